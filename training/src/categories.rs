//! Category metrics: how often the results are the query's *kind* of garment.
//!
//! Acc@K says whether the drawn garment itself comes up; a designer also judges a result list by
//! whether it holds the right kind of garment at all (a coat sketch answered by coats). With a
//! labels file (`{"STEM": "class", ...}`, what `arnet data fashion-mnist` writes) `arnet eval`
//! reports category precision@10: over the sketches whose photo has a label, the mean share of
//! the ten best-ranked photos that carry the same label (a photo without a label never counts as
//! the same kind).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

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

/// The kind of a query sketch: its own label when the labels file names its stem (a free-hand
/// drawing of a kind, made from no photo), otherwise its photo's.
pub fn class_of_sketch<'a>(
    labels: &'a Labels,
    sketch: &Path,
    photo: Option<&Path>,
) -> Option<&'a str> {
    labels
        .class_of(sketch)
        .or_else(|| photo.and_then(|p| labels.class_of(p)))
}

/// How well the results hold the query's kind, over a set of queries.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct KindFigures {
    /// Category precision@10 (%): the mean share of the top ten that is the query's kind.
    pub p10: f64,
    /// The share of queries whose first result is their kind (%).
    pub kind1: f64,
    /// Queries counted.
    pub sketches: usize,
}

/// Kind figures overall and per kind (by class name, sorted).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KindReport {
    /// Over every query with a kind.
    #[serde(flatten)]
    pub overall: KindFigures,
    /// Per kind of the query.
    pub per_kind: BTreeMap<String, KindFigures>,
}

/// Kind figures of `queries`, each its kind and the photo indices best first (only the
/// first [`PRECISION_AT`] are read); `photo_classes[i]` is photo `i`'s kind. `None` when no
/// query has results.
pub fn kind_report(
    photo_classes: &[Option<&str>],
    queries: &[(&str, Vec<usize>)],
) -> Option<KindReport> {
    let mut sums: BTreeMap<String, (f64, f64, usize)> = BTreeMap::new();
    for (class, ranked) in queries {
        let top = &ranked[..ranked.len().min(PRECISION_AT)];
        if top.is_empty() {
            continue;
        }
        let same = top
            .iter()
            .filter(|&&i| photo_classes[i] == Some(*class))
            .count();
        let entry = sums.entry(class.to_string()).or_default();
        entry.0 += same as f64 / top.len() as f64;
        entry.1 += f64::from(u8::from(photo_classes[top[0]] == Some(*class)));
        entry.2 += 1;
    }
    let figures = |(p, k, n): (f64, f64, usize)| KindFigures {
        p10: 100.0 * p / n as f64,
        kind1: 100.0 * k / n as f64,
        sketches: n,
    };
    let total = sums
        .values()
        .fold((0.0, 0.0, 0usize), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
    (total.2 > 0).then(|| KindReport {
        overall: figures(total),
        per_kind: sums.into_iter().map(|(c, s)| (c, figures(s))).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_report_counts_per_kind_and_the_first_result() {
        let photo_classes = [Some("coat"), Some("coat"), Some("dress"), None];
        // A coat query: coat, dress, coat, unlabelled -> P@10 50, first is a coat. A dress
        // query: coat, dress -> P@10 50, first is not a dress. Another coat query: dress
        // first -> 1 of 2, first wrong.
        let queries = vec![
            ("coat", vec![0, 2, 1, 3]),
            ("dress", vec![0, 2]),
            ("coat", vec![2, 0]),
            ("coat", vec![]),
        ];
        let report = kind_report(&photo_classes, &queries).unwrap();
        assert_eq!(report.overall.sketches, 3);
        assert!((report.overall.p10 - 50.0).abs() < 1e-9);
        assert!((report.overall.kind1 - 100.0 / 3.0).abs() < 1e-9);
        let coat = report.per_kind["coat"];
        assert_eq!((coat.p10, coat.kind1, coat.sketches), (50.0, 50.0, 2));
        let dress = report.per_kind["dress"];
        assert_eq!((dress.p10, dress.kind1, dress.sketches), (50.0, 0.0, 1));
        assert!(kind_report(&photo_classes, &[("coat", vec![])]).is_none());
    }

    #[test]
    fn a_sketch_labelled_itself_wins_over_its_photo() {
        let labels = Labels::from_pairs([("freehand-coat-001_1", "coat"), ("p1", "dress")]);
        let own = class_of_sketch(&labels, Path::new("a/freehand-coat-001_1.png"), None);
        assert_eq!(own, Some("coat"));
        let photo = class_of_sketch(
            &labels,
            Path::new("a/p1_1.png"),
            Some(Path::new("b/p1.png")),
        );
        assert_eq!(photo, Some("dress"));
        assert_eq!(class_of_sketch(&labels, Path::new("a/x_1.png"), None), None);
    }

    #[test]
    fn only_the_first_ten_results_count() {
        // Ten photos of class a, then two of class b; a b query ranked in that order.
        let photo_classes: Vec<Option<&str>> = (0..12)
            .map(|i| Some(if i < 10 { "a" } else { "b" }))
            .collect();
        let report = kind_report(&photo_classes, &[("b", (0..12).collect())]).unwrap();
        assert_eq!((report.overall.p10, report.overall.kind1), (0.0, 0.0));
    }
}
