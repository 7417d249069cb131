//! Acc@K evaluation: the share of sketches whose own photo is among the K gallery photos most
//! similar to it (gallery = every photo of the split; similarity = cosine of the embeddings).

use arnet_model::ArnetPair;
use arnet_model::burn::tensor::Device;
use arnet_model::embed::{embed_inputs, input_size};
use arnet_model::preprocess::{load_model_input, load_sketch_input};
use arnet_model::retrieval::EmbeddingMatrix;
use serde::{Deserialize, Serialize};

use crate::dataset::Split;

/// Acc@1/5/10 in percent, with the split's size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Accuracy {
    /// Acc@1 (%).
    pub acc1: f64,
    /// Acc@5 (%).
    pub acc5: f64,
    /// Acc@10 (%).
    pub acc10: f64,
    /// Sketches evaluated.
    pub sketches: usize,
    /// Photos in the gallery.
    pub photos: usize,
}

impl Accuracy {
    /// `[Acc@1, Acc@5, Acc@10]`, as training events carry them.
    pub fn top(&self) -> [f64; 3] {
        [self.acc1, self.acc5, self.acc10]
    }

    /// Acc@K from the 0-based rank of each sketch's true photo.
    pub fn from_ranks(ranks: &[usize], photos: usize) -> Self {
        let pct = |k: usize| {
            if ranks.is_empty() {
                0.0
            } else {
                100.0 * ranks.iter().filter(|&&r| r < k).count() as f64 / ranks.len() as f64
            }
        };
        Self {
            acc1: pct(1),
            acc5: pct(5),
            acc10: pct(10),
            sketches: ranks.len(),
            photos,
        }
    }

    /// The paper's model selection order: Acc@1, then Acc@10, then Acc@5.
    pub fn better_than(&self, other: &Accuracy) -> bool {
        (self.acc1, self.acc10, self.acc5) > (other.acc1, other.acc10, other.acc5)
    }
}

/// Embeds every photo of `split` with the photo encoder and every sketch with the sketch
/// encoder, and returns the rank of each sketch's photo.
pub fn ranks(
    pair: &ArnetPair,
    split: &Split,
    batch_size: usize,
    device: &Device,
) -> anyhow::Result<Vec<usize>> {
    Ok(ranks_of_inputs(
        pair,
        &prepare(pair, split)?,
        batch_size,
        device,
    ))
}

/// A split decoded once into model inputs, for evaluating every epoch without re-reading files.
#[derive(Debug, Clone, Default)]
pub struct PreparedSplit {
    /// Photo inputs (see [`arnet_model::preprocess::model_input`]).
    pub photos: Vec<Vec<f32>>,
    /// Sketch inputs.
    pub sketches: Vec<Vec<f32>>,
    /// Index into `photos` of each sketch's photo.
    pub owners: Vec<usize>,
}

/// The rank of each prepared sketch's photo among the prepared photos.
pub fn ranks_of_inputs(
    pair: &ArnetPair,
    split: &PreparedSplit,
    batch_size: usize,
    device: &Device,
) -> Vec<usize> {
    ranks_and_top(pair, split, 0, batch_size, device).0
}

/// The rank of each prepared sketch's photo, and the indices of its `top` best photos.
pub fn ranks_and_top(
    pair: &ArnetPair,
    split: &PreparedSplit,
    top: usize,
    batch_size: usize,
    device: &Device,
) -> (Vec<usize>, Vec<Vec<usize>>) {
    let photos = embed_inputs(&pair.photo, &split.photos, batch_size, device);
    let gallery = EmbeddingMatrix::from_rows(&photos);
    let sketches = embed_inputs(&pair.sketch, &split.sketches, batch_size, device);
    sketches
        .iter()
        .zip(&split.owners)
        .map(|(query, &owner)| {
            let best = if top == 0 {
                Vec::new()
            } else {
                gallery
                    .top_k(query, top)
                    .into_iter()
                    .map(|h| h.index)
                    .collect()
            };
            (gallery.rank_of(query, owner), best)
        })
        .unzip()
}

/// Decodes a split's files into model inputs at the pair's input size.
pub fn prepare(pair: &ArnetPair, split: &Split) -> anyhow::Result<PreparedSplit> {
    let size = input_size(&pair.photo);
    let load = |paths: Vec<&std::path::Path>| -> anyhow::Result<Vec<Vec<f32>>> {
        paths
            .into_iter()
            .map(|p| load_model_input(p, size).map_err(anyhow::Error::from))
            .collect()
    };
    Ok(PreparedSplit {
        photos: load(split.photos.iter().map(|p| p.as_path()).collect())?,
        sketches: load(split.sketches.iter().map(|s| s.path.as_path()).collect())?,
        owners: split.sketches.iter().map(|s| s.photo).collect(),
    })
}

/// What `arnet eval --labels` measures: Acc@K over the sketches drawn of a photo of the split
/// (`None` when there are none), and the kind figures over every sketch with a kind, free-hand
/// drawings of a kind (sketches of no photo, labelled themselves) included.
#[derive(Debug, Clone)]
pub struct LabelledEvaluation {
    /// Acc@1/5/10 of the paired sketches.
    pub accuracy: Option<Accuracy>,
    /// Kind figures (`None` when no query has a kind).
    pub kinds: Option<crate::categories::KindReport>,
    /// With a feedback simulation: the figures before any mark and after each round
    /// ([`crate::feedback_eval`]).
    pub feedback: Vec<crate::feedback_eval::FeedbackRound>,
}

/// Evaluates `pair` on `split` and on `freehand` (sketch files with no photo), with the kinds
/// of `labels` ([`crate::categories::class_of_sketch`]); with `feedback`, also the simulated
/// user of [`crate::feedback_eval`] over the same queries.
#[allow(clippy::too_many_arguments)] // the evaluation's inputs, each used once
pub fn evaluate_with_labels(
    pair: &ArnetPair,
    split: &Split,
    freehand: &[std::path::PathBuf],
    labels: &crate::categories::Labels,
    feedback: Option<crate::feedback_eval::FeedbackSimulation>,
    batch_size: usize,
    device: &Device,
) -> anyhow::Result<LabelledEvaluation> {
    use crate::categories::{PRECISION_AT, class_of_sketch, kind_report};
    use crate::feedback_eval::{FeedbackQuery, simulate_feedback};
    let mut prepared = prepare(pair, split)?;
    let size = input_size(&pair.photo);
    let paired = prepared.sketches.len();
    for path in freehand {
        prepared.sketches.push(load_sketch_input(path, size)?);
    }
    let photos = embed_inputs(&pair.photo, &prepared.photos, batch_size, device);
    let gallery = EmbeddingMatrix::from_rows(&photos);
    let sketches = embed_inputs(&pair.sketch, &prepared.sketches, batch_size, device);
    let ranks: Vec<usize> = sketches[..paired]
        .iter()
        .zip(&prepared.owners)
        .map(|(query, &owner)| gallery.rank_of(query, owner))
        .collect();
    let sketch_paths: Vec<&std::path::Path> = split
        .sketches
        .iter()
        .map(|s| s.path.as_path())
        .chain(freehand.iter().map(|p| p.as_path()))
        .collect();
    let labelled: Vec<FeedbackQuery<'_>> = sketches
        .into_iter()
        .enumerate()
        .filter_map(|(i, embedding)| {
            let photo = (i < paired).then(|| split.photos[prepared.owners[i]].as_path());
            Some(FeedbackQuery {
                class: class_of_sketch(labels, sketch_paths[i], photo)?,
                embedding,
                owner: (i < paired).then(|| prepared.owners[i]),
            })
        })
        .collect();
    let queries: Vec<(&str, Vec<usize>)> = labelled
        .iter()
        .map(|query| {
            let top = gallery.top_k(&query.embedding, PRECISION_AT);
            (query.class, top.into_iter().map(|h| h.index).collect())
        })
        .collect();
    let photo_classes: Vec<Option<&str>> =
        split.photos.iter().map(|p| labels.class_of(p)).collect();
    Ok(LabelledEvaluation {
        accuracy: (paired > 0).then(|| Accuracy::from_ranks(&ranks, split.photos.len())),
        kinds: kind_report(&photo_classes, &queries),
        feedback: feedback.map_or_else(Vec::new, |settings| {
            simulate_feedback(&gallery, &photo_classes, &labelled, settings)
        }),
    })
}

/// Acc@1/5/10 of `pair` on a prepared split.
pub fn evaluate_prepared(
    pair: &ArnetPair,
    split: &PreparedSplit,
    batch_size: usize,
    device: &Device,
) -> Accuracy {
    Accuracy::from_ranks(
        &ranks_of_inputs(pair, split, batch_size, device),
        split.photos.len(),
    )
}

/// Acc@1/5/10 of `pair` on `split`.
pub fn evaluate(
    pair: &ArnetPair,
    split: &Split,
    batch_size: usize,
    device: &Device,
) -> anyhow::Result<Accuracy> {
    Ok(Accuracy::from_ranks(
        &ranks(pair, split, batch_size, device)?,
        split.photos.len(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_counts_ranks_below_k() {
        let acc = Accuracy::from_ranks(&[0, 0, 3, 7, 20], 30);
        assert_eq!((acc.acc1, acc.acc5, acc.acc10), (40.0, 60.0, 80.0));
        let tie_break = Accuracy {
            acc1: 40.0,
            acc5: 50.0,
            acc10: 90.0,
            sketches: 5,
            photos: 30,
        };
        assert!(tie_break.better_than(&acc), "equal Acc@1: Acc@10 decides");
    }
}
