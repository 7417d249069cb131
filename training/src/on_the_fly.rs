//! On-the-fly evaluation: how early a sketch finds its photo while it is being drawn.
//!
//! A stroke list (the app's format, [`arnet_model::raster::Stroke`] as JSON) is replayed
//! stroke by stroke; after each stroke the partial sketch is rasterised exactly as the app
//! rasterises its canvas ([`SKETCH_RASTER_SIZE`], then the model's input size) and the rank of
//! the true photo among the gallery is taken. Two measures of Bhunia et al., "Sketch Less for
//! More: On-the-Fly Fine-Grained Sketch Based Image Retrieval" (CVPR 2020):
//! - m@A: the mean over drawing steps of the ranking percentile `(G - rank) / (G - 1)`
//!   (1 when the photo is first, 0 when last; `G` photos), averaged over sketches;
//! - m@B: the mean over drawing steps of `1 / rank`, averaged over sketches.
//!
//! Both are reported in percent, like Acc@K, which is given for the complete sketches.

use std::path::{Path, PathBuf};

use anyhow::Context;
use arnet_model::ArnetPair;
use arnet_model::burn::tensor::Device;
use arnet_model::embed::{embed_inputs, input_size};
use arnet_model::preprocess::{load_model_input, sketch_input};
use arnet_model::raster::{SKETCH_RASTER_SIZE, Stroke, rasterize};
use arnet_model::retrieval::EmbeddingMatrix;
use serde::Serialize;

use crate::evaluate::Accuracy;

/// One stroke list and the photo it was drawn from.
#[derive(Debug, Clone)]
pub struct StrokeSketch {
    /// The stroke list's file (for messages).
    pub path: PathBuf,
    /// Its strokes, in drawing order.
    pub strokes: Vec<Stroke>,
    /// Index of its photo in the gallery.
    pub photo: usize,
}

/// What on-the-fly evaluation measures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OnTheFly {
    /// Acc@1 of the complete sketches (%).
    pub acc1: f64,
    /// Acc@5 of the complete sketches (%).
    pub acc5: f64,
    /// Acc@10 of the complete sketches (%).
    pub acc10: f64,
    /// m@A (%): mean ranking percentile over drawing steps.
    pub m_a: f64,
    /// m@B (%): mean reciprocal rank over drawing steps.
    pub m_b: f64,
    /// Stroke lists evaluated.
    pub sketches: usize,
    /// Photos in the gallery.
    pub photos: usize,
    /// Drawing steps evaluated (strokes over all lists).
    pub steps: usize,
}

/// m@A and m@B (as fractions) of one sketch from its 0-based ranks after each stroke.
pub fn measures(ranks: &[usize], photos: usize) -> (f64, f64) {
    if ranks.is_empty() {
        return (0.0, 0.0);
    }
    let steps = ranks.len() as f64;
    let percentile = |rank: usize| {
        if photos <= 1 {
            1.0
        } else {
            (photos - 1 - rank) as f64 / (photos - 1) as f64
        }
    };
    let m_a = ranks.iter().map(|&r| percentile(r)).sum::<f64>() / steps;
    let m_b = ranks.iter().map(|&r| 1.0 / (r + 1) as f64).sum::<f64>() / steps;
    (m_a, m_b)
}

/// Reads a stroke list written by the app or `arnet synth --stroke-lists`.
pub fn read_strokes(path: &Path) -> anyhow::Result<Vec<Stroke>> {
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let strokes: Vec<Stroke> = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a stroke list", path.display()))?;
    if strokes.is_empty() {
        anyhow::bail!("{}: the stroke list is empty", path.display());
    }
    Ok(strokes)
}

/// The stroke lists of `dir` (`STEM_*.json`, STEM naming a photo of `photos` by file stem),
/// sorted by path; a list whose photo is not in the gallery is an error naming it.
pub fn stroke_sketches(dir: &Path, photos: &[PathBuf]) -> anyhow::Result<Vec<StrokeSketch>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let stem_of = |p: &Path| p.file_stem().map(|s| s.to_string_lossy().to_string());
    files
        .into_iter()
        .map(|path| {
            let owner = crate::dataset::photo_stem_of_sketch(&path).with_context(|| {
                format!(
                    "{}: a stroke list is named PHOTOSTEM_N.json",
                    path.display()
                )
            })?;
            let photo = photos
                .iter()
                .position(|p| stem_of(p).as_deref() == Some(owner.as_str()))
                .with_context(|| {
                    format!(
                        "{}: no photo with stem {owner} in the gallery",
                        path.display()
                    )
                })?;
            Ok(StrokeSketch {
                strokes: read_strokes(&path)?,
                path,
                photo,
            })
        })
        .collect()
}

/// Replays every stroke list against the gallery `photos` (embedded once).
pub fn evaluate_on_the_fly(
    pair: &ArnetPair,
    photos: &[PathBuf],
    sketches: &[StrokeSketch],
    batch_size: usize,
    device: &Device,
) -> anyhow::Result<OnTheFly> {
    let size = input_size(&pair.photo);
    let photo_inputs = photos
        .iter()
        .map(|p| load_model_input(p, size))
        .collect::<Result<Vec<_>, _>>()?;
    let gallery = EmbeddingMatrix::from_rows(&embed_inputs(
        &pair.photo,
        &photo_inputs,
        batch_size,
        device,
    ));
    let sketch_size = input_size(&pair.sketch);
    let (mut sum_a, mut sum_b, mut steps) = (0.0, 0.0, 0);
    let mut final_ranks = Vec::with_capacity(sketches.len());
    for sketch in sketches {
        let prefixes: Vec<Vec<f32>> = (1..=sketch.strokes.len())
            .map(|k| {
                let raster = rasterize(&sketch.strokes[..k], SKETCH_RASTER_SIZE);
                sketch_input(&raster, sketch_size)
            })
            .collect();
        let queries = embed_inputs(&pair.sketch, &prefixes, batch_size, device);
        let ranks: Vec<usize> = queries
            .iter()
            .map(|q| gallery.rank_of(q, sketch.photo))
            .collect();
        let (m_a, m_b) = measures(&ranks, photos.len());
        sum_a += m_a;
        sum_b += m_b;
        steps += ranks.len();
        final_ranks.push(*ranks.last().expect("non-empty stroke list"));
    }
    let accuracy = Accuracy::from_ranks(&final_ranks, photos.len());
    let mean = |sum: f64| {
        if sketches.is_empty() {
            0.0
        } else {
            100.0 * sum / sketches.len() as f64
        }
    };
    Ok(OnTheFly {
        acc1: accuracy.acc1,
        acc5: accuracy.acc5,
        acc10: accuracy.acc10,
        m_a: mean(sum_a),
        m_b: mean(sum_b),
        sketches: sketches.len(),
        photos: photos.len(),
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_follow_bhunia_et_al() {
        // First at every step: both 1. Last of 5 at every step: m@A 0, m@B 1/5.
        assert_eq!(measures(&[0, 0, 0], 5), (1.0, 1.0));
        assert_eq!(measures(&[4, 4], 5), (0.0, 0.2));
        // Ranks 3rd then 1st of 11: percentiles 0.8 and 1, reciprocal ranks 1/3 and 1.
        let (m_a, m_b) = measures(&[2, 0], 11);
        assert!((m_a - 0.9).abs() < 1e-12);
        assert!((m_b - (1.0 / 3.0 + 1.0) / 2.0).abs() < 1e-12);
    }
}
