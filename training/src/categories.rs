//! Category metrics: how often the results are the query's *kind* of garment.
//!
//! Acc@K says whether the drawn garment itself comes up; a designer also judges a result list by
//! whether it holds the right kind of garment at all (a coat sketch answered by coats). With a
//! labels file (`{"STEM": "class", ...}`, what `arnet data fashion-mnist` writes) `arnet eval`
//! reports category precision@10: over the sketches whose photo has a label, the mean share of
//! the ten best-ranked photos that carry the same label (a photo without a label never counts as
//! the same kind).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// How many results category precision looks at.
pub const PRECISION_AT: usize = 10;

/// Photo stem to class.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Labels(HashMap<String, String>);

impl Labels {
    /// Reads a JSON object of stem to class name, naming the file in every error.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let bytes =
            std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
        let map: HashMap<String, String> = serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{}: not a labels file (a JSON object of photo stem to class name, \
                 {{\"test-00001\": \"trouser\"}})",
                path.display()
            )
        })?;
        if map.is_empty() {
            anyhow::bail!("{}: no labels in the file", path.display());
        }
        Ok(Self(map))
    }

    /// Labels from pairs (for tests and callers that build them).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(s, c)| (s.to_string(), c.to_string()))
                .collect(),
        )
    }

    /// The class of a photo, by its file stem.
    pub fn class_of(&self, photo: &Path) -> Option<&str> {
        self.class_of_stem(photo.file_stem()?.to_str()?)
    }

    /// The class of a photo stem.
    pub fn class_of_stem(&self, stem: &str) -> Option<&str> {
        self.0.get(stem).map(String::as_str)
    }
}

/// Category precision@`PRECISION_AT` in percent: for each query, `owner` is its photo and
/// `ranked` the photo indices best first (only the first `PRECISION_AT` are read). `None` when
/// no query's photo has a label.
pub fn precision_at_10(
    labels: &Labels,
    photos: &[PathBuf],
    queries: &[(usize, Vec<usize>)],
) -> Option<f64> {
    let classes: Vec<Option<&str>> = photos.iter().map(|p| labels.class_of(p)).collect();
    let mut sum = 0.0;
    let mut counted = 0usize;
    for (owner, ranked) in queries {
        let Some(class) = classes[*owner] else {
            continue;
        };
        let top = &ranked[..ranked.len().min(PRECISION_AT)];
        if top.is_empty() {
            continue;
        }
        let same = top.iter().filter(|&&i| classes[i] == Some(class)).count();
        sum += same as f64 / top.len() as f64;
        counted += 1;
    }
    (counted > 0).then(|| 100.0 * sum / counted as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_counts_same_class_photos_in_the_top_ten() {
        let labels = Labels::from_pairs([("a", "coat"), ("b", "coat"), ("c", "dress")]);
        let photos: Vec<PathBuf> = ["x/a.png", "x/b.png", "x/c.png", "x/unlabelled.png"]
            .iter()
            .map(PathBuf::from)
            .collect();
        // Query of a (coat): a, c, b, unlabelled -> 2 of 4 coats. Query of c (dress): c, a ->
        // 1 of 2. Query of the unlabelled photo: not counted.
        let queries = vec![(0, vec![0, 2, 1, 3]), (2, vec![2, 0]), (3, vec![3, 0])];
        let p = precision_at_10(&labels, &photos, &queries).unwrap();
        assert!((p - 50.0).abs() < 1e-9, "{p}");
        assert_eq!(precision_at_10(&labels, &photos, &[(3, vec![0])]), None);
    }

    #[test]
    fn only_the_first_ten_results_count() {
        let pairs: Vec<(String, String)> = (0..12)
            .map(|i| (format!("p{i}"), if i < 10 { "a" } else { "b" }.to_string()))
            .collect();
        let labels = Labels::from_pairs(pairs.iter().map(|(s, c)| (s.as_str(), c.as_str())));
        let photos: Vec<PathBuf> = (0..12)
            .map(|i| PathBuf::from(format!("p{i}.png")))
            .collect();
        // Query of p10 (class b): the ten first results are class a, then p10 and p11.
        let ranked: Vec<usize> = (0..12).collect();
        assert_eq!(
            precision_at_10(&labels, &photos, &[(10, ranked)]),
            Some(0.0)
        );
    }
}
