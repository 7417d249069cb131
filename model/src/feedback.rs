//! Relevance feedback: "more like this" and "not this" on results move the query, so the
//! ranking changes without redrawing (docs/feedback.md).
//!
//! Rocchio's update (Rocchio 1971, the textbook form in Manning et al., *Introduction to
//! Information Retrieval*, 9.1.1), in the model's embedding space:
//!
//! `q' = normalise( q + w · mean(liked) − u · w · mean(unliked) )`
//!
//! with `q` the sketch's unit embedding, `liked` / `unliked` the photos' unit embeddings (the
//! gallery store already holds them), `w` the feedback weight and `u` = [`UNLIKE_SHARE`]. Why
//! this and not re-training: it is instant, it works on any gallery and any model, and it
//! composes with the colour re-ranking (which rescores what this query finds). The photos the
//! user marked "not this" are also left out of the results: they said so.
//!
//! Why the unliked half counts less: a "not this" says one photo is wrong, not which way the
//! right ones lie; the textbook weights are β = 0.75 and γ = 0.15. The measured choice is in
//! docs/feedback.md.

use std::path::PathBuf;

use crate::retrieval::l2_normalize;

/// The feedback weight `w` when none is given: chosen on a tuning set of drawings and photos
/// that docs/feedback.md does not report on.
pub const DEFAULT_FEEDBACK_WEIGHT: f32 = 0.8;

/// How much a "not this" counts against a "more like this" (`u` above).
pub const UNLIKE_SHARE: f32 = 0.5;

/// The photos marked on the results, by file.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackPhotos {
    /// "More like this", in the order marked.
    pub liked: Vec<PathBuf>,
    /// "Not this", in the order marked.
    pub unliked: Vec<PathBuf>,
    /// `w`: how far the marks move the query.
    pub weight: f32,
}

impl Default for FeedbackPhotos {
    fn default() -> Self {
        Self {
            liked: Vec::new(),
            unliked: Vec::new(),
            weight: DEFAULT_FEEDBACK_WEIGHT,
        }
    }
}

impl FeedbackPhotos {
    /// Whether no photo is marked.
    pub fn is_empty(&self) -> bool {
        self.liked.is_empty() && self.unliked.is_empty()
    }

    /// Marks `photo` "more like this" (a photo is in one list at most: the newest mark wins).
    pub fn like(&mut self, photo: PathBuf) {
        self.unliked.retain(|p| p != &photo);
        if !self.liked.contains(&photo) {
            self.liked.push(photo);
        }
    }

    /// Marks `photo` "not this" (removing a "more like this" on it).
    pub fn unlike(&mut self, photo: PathBuf) {
        self.liked.retain(|p| p != &photo);
        if !self.unliked.contains(&photo) {
            self.unliked.push(photo);
        }
    }

    /// Removes any mark on `photo`.
    pub fn forget(&mut self, photo: &std::path::Path) {
        self.liked.retain(|p| p != photo);
        self.unliked.retain(|p| p != photo);
    }

    /// Removes every mark (the weight stays).
    pub fn clear(&mut self) {
        self.liked.clear();
        self.unliked.clear();
    }
}

/// Rocchio's update of `query` (see the module doc): unit length; `query` itself, normalised,
/// when nothing is marked or `weight` is 0.
pub fn rocchio(query: &[f32], liked: &[Vec<f32>], unliked: &[Vec<f32>], weight: f32) -> Vec<f32> {
    rocchio_weighted(query, liked, unliked, weight, weight * UNLIKE_SHARE)
}

/// [`rocchio`] with the two weights apart (the measurement tries other shares).
pub fn rocchio_weighted(
    query: &[f32],
    liked: &[Vec<f32>],
    unliked: &[Vec<f32>],
    like_weight: f32,
    unlike_weight: f32,
) -> Vec<f32> {
    let mut moved = query.to_vec();
    l2_normalize(&mut moved);
    add_mean(&mut moved, liked, like_weight);
    add_mean(&mut moved, unliked, -unlike_weight);
    l2_normalize(&mut moved);
    moved
}

/// `target += scale · mean(rows)` (nothing when `rows` is empty).
fn add_mean(target: &mut [f32], rows: &[Vec<f32>], scale: f32) {
    if rows.is_empty() {
        return;
    }
    let factor = scale / rows.len() as f32;
    for row in rows {
        for (t, x) in target.iter_mut().zip(row) {
            *t += factor * x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked by hand: q = (1, 0, 0); liked (0, 1, 0) and (0, 0, 1); unliked (1, 0, 0) ... at
    /// w = 1, u = 0.5: q + (0, 0.5, 0.5) − 0.5 · (1, 0, 0) = (0.5, 0.5, 0.5) -> 1/√3 each.
    #[test]
    fn rocchio_matches_the_hand_worked_update() {
        let moved = rocchio(
            &[2.0, 0.0, 0.0],
            &[vec![0.0, 1.0, 0.0], vec![0.0, 0.0, 1.0]],
            &[vec![1.0, 0.0, 0.0]],
            1.0,
        );
        let third = 1.0 / 3f32.sqrt();
        for (got, want) in moved.iter().zip([third, third, third]) {
            assert!((got - want).abs() < 1e-6, "{moved:?}");
        }
    }

    #[test]
    fn no_marks_or_no_weight_leave_the_query_normalised() {
        assert_eq!(rocchio(&[3.0, 4.0], &[], &[], 1.0), vec![0.6, 0.8]);
        assert_eq!(
            rocchio(&[3.0, 4.0], &[vec![1.0, 0.0]], &[vec![0.0, 1.0]], 0.0),
            vec![0.6, 0.8]
        );
    }

    #[test]
    fn a_photo_is_liked_or_unliked_never_both() {
        let mut marks = FeedbackPhotos::default();
        marks.like("a.png".into());
        marks.like("a.png".into());
        marks.unlike("b.png".into());
        assert_eq!(marks.liked, [PathBuf::from("a.png")]);
        marks.unlike("a.png".into());
        assert!(marks.liked.is_empty());
        assert_eq!(marks.unliked, ["b.png", "a.png"].map(PathBuf::from));
        marks.forget(std::path::Path::new("b.png"));
        assert_eq!(marks.unliked, [PathBuf::from("a.png")]);
        marks.clear();
        assert!(marks.is_empty());
    }
}
