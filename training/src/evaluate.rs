//! Acc@K evaluation: the share of sketches whose own photo is among the K gallery photos most
//! similar to it (gallery = every photo of the split; similarity = cosine of the embeddings).

use arnet_model::ArnetPair;
use arnet_model::burn::tensor::Device;
use arnet_model::embed::{embed_inputs, input_size};
use arnet_model::preprocess::load_model_input;
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
    let size = input_size(&pair.photo);
    let load = |paths: Vec<&std::path::Path>| -> anyhow::Result<Vec<Vec<f32>>> {
        paths
            .into_iter()
            .map(|p| load_model_input(p, size).map_err(anyhow::Error::from))
            .collect()
    };
    let photo_inputs = load(split.photos.iter().map(|p| p.as_path()).collect())?;
    let sketch_inputs = load(split.sketches.iter().map(|s| s.path.as_path()).collect())?;
    let owners: Vec<usize> = split.sketches.iter().map(|s| s.photo).collect();
    Ok(ranks_of_inputs(
        pair,
        &PreparedSplit {
            photos: photo_inputs,
            sketches: sketch_inputs,
            owners,
        },
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
    let photos = embed_inputs(&pair.photo, &split.photos, batch_size, device);
    let gallery = EmbeddingMatrix::from_rows(&photos);
    let sketches = embed_inputs(&pair.sketch, &split.sketches, batch_size, device);
    sketches
        .iter()
        .zip(&split.owners)
        .map(|(query, &owner)| gallery.rank_of(query, owner))
        .collect()
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
