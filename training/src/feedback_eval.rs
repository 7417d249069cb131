//! Measuring "more like this / not this" (docs/feedback.md) with a simulated user: after each
//! search, they mark the first result of the kind they drew "more like this" and the first of
//! another kind "not this" (each photo once), and the query moves by Rocchio's update
//! ([`arnet_model::feedback`]), the "not this" photos left out, exactly as `arnet search
//! --like/--unlike` and the app do.
//!
//! Why this user: it is the least a person does who wants their kind of garment (one click
//! each way per round), so the figures are a floor, not a best case.

use arnet_model::feedback::rocchio_weighted;
use arnet_model::retrieval::EmbeddingMatrix;
use serde::Serialize;

use crate::categories::{KindReport, PRECISION_AT, kind_report};

/// The simulation's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeedbackSimulation {
    /// Rounds of marking after the first search.
    pub rounds: usize,
    /// How far a "more like this" moves the query (`w`).
    pub like_weight: f32,
    /// How far a "not this" moves it away.
    pub unlike_weight: f32,
}

/// One query of the simulation.
#[derive(Debug, Clone)]
pub struct FeedbackQuery<'a> {
    /// The kind drawn.
    pub class: &'a str,
    /// The sketch's embedding.
    pub embedding: Vec<f32>,
    /// The photo it was drawn from, if any (for Acc@K).
    pub owner: Option<usize>,
}

/// The figures after one round of marks (round 0: before any).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedbackRound {
    /// Rounds of marks so far.
    pub round: usize,
    /// Kind figures of the results shown.
    #[serde(flatten)]
    pub kinds: KindReport,
    /// Acc@1 over the queries drawn from a photo (%; none without such queries).
    pub acc1: Option<f64>,
    /// Acc@10 over them.
    pub acc10: Option<f64>,
}

/// Runs the simulated user over `queries` against `photos` (unit embeddings; `classes[i]` is
/// photo `i`'s kind): the figures before any mark and after each round.
pub fn simulate_feedback(
    photos: &EmbeddingMatrix,
    classes: &[Option<&str>],
    queries: &[FeedbackQuery<'_>],
    settings: FeedbackSimulation,
) -> Vec<FeedbackRound> {
    let mut marks: Vec<(Vec<usize>, Vec<usize>)> = vec![Default::default(); queries.len()];
    let mut rounds = Vec::with_capacity(settings.rounds + 1);
    for round in 0..=settings.rounds {
        let mut shown: Vec<(&str, Vec<usize>)> = Vec::with_capacity(queries.len());
        let (mut hits1, mut hits10, mut paired) = (0usize, 0usize, 0usize);
        for (query, (liked, unliked)) in queries.iter().zip(&mut marks) {
            let rows = |ids: &[usize]| -> Vec<Vec<f32>> {
                ids.iter().map(|&i| photos.row(i).to_vec()).collect()
            };
            let moved = rocchio_weighted(
                &query.embedding,
                &rows(liked),
                &rows(unliked),
                settings.like_weight,
                settings.unlike_weight,
            );
            let top: Vec<usize> = photos
                .top_k(&moved, PRECISION_AT + unliked.len())
                .into_iter()
                .map(|hit| hit.index)
                .filter(|i| !unliked.contains(i))
                .take(PRECISION_AT)
                .collect();
            if let Some(owner) = query.owner {
                paired += 1;
                hits1 += usize::from(top.first() == Some(&owner));
                hits10 += usize::from(top.contains(&owner));
            }
            if round < settings.rounds {
                let of_kind = |i: &&usize| classes[**i] == Some(query.class);
                if let Some(&like) = top.iter().filter(of_kind).find(|i| !liked.contains(i)) {
                    liked.push(like);
                }
                let other = |i: &&usize| classes[**i] != Some(query.class);
                if let Some(&unlike) = top.iter().filter(other).find(|i| !unliked.contains(i)) {
                    unliked.push(unlike);
                }
            }
            shown.push((query.class, top));
        }
        let Some(kinds) = kind_report(classes, &shown) else {
            break;
        };
        let percent = |n: usize| (paired > 0).then(|| 100.0 * n as f64 / paired as f64);
        rounds.push(FeedbackRound {
            round,
            kinds,
            acc1: percent(hits1),
            acc10: percent(hits10),
        });
    }
    rounds
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twelve photos on a circle: coats around angle 0, dresses around angle π/2. A sketch
    /// between them, nearer the dresses, is drawn as a coat: feedback must turn its results
    /// to coats, and the coat it was drawn from must come in.
    #[test]
    fn marks_turn_the_results_to_the_drawn_kind() {
        let angles: Vec<f32> = (0..12)
            .map(|i| {
                if i < 6 {
                    -0.5 + 0.15 * i as f32
                } else {
                    1.2 + 0.1 * (i - 6) as f32
                }
            })
            .collect();
        let rows: Vec<Vec<f32>> = angles.iter().map(|a| vec![a.cos(), a.sin()]).collect();
        let photos = EmbeddingMatrix::from_rows(&rows);
        let classes: Vec<Option<&str>> = (0..12)
            .map(|i| Some(if i < 6 { "coat" } else { "dress" }))
            .collect();
        let angle: f32 = 1.0;
        let queries = [FeedbackQuery {
            class: "coat",
            embedding: vec![angle.cos(), angle.sin()],
            owner: Some(0),
        }];
        let settings = FeedbackSimulation {
            rounds: 2,
            like_weight: 1.0,
            unlike_weight: 0.5,
        };
        let rounds = simulate_feedback(&photos, &classes, &queries, settings);
        assert_eq!(rounds.len(), 3);
        // Ten of twelve shown: before, the six dresses and the four nearest coats (P@10 40,
        // not the coat drawn from); after, every coat (P@10 60: only six exist).
        assert!((rounds[0].kinds.overall.p10 - 40.0).abs() < 1e-9);
        assert_eq!(rounds[0].acc10, Some(0.0));
        assert!((rounds[2].kinds.overall.p10 - 60.0).abs() < 1e-9);
        assert_eq!(rounds[0].kinds.overall.kind1, 0.0, "a dress comes first");
        assert_eq!(rounds[2].kinds.overall.kind1, 100.0, "a coat comes first");
        assert_eq!(rounds[2].acc10, Some(100.0));
    }
}
