//! Kinds of garment in a gallery that has no labels: what `arnet fine-tune` keeps and checks.
//!
//! A user's folder says nothing about which photo is a coat. The *starting* model does: it was
//! trained with the category term, so a photo sits nearest the free-hand drawings of its kind.
//! Before fine-tuning, each gallery photo gets the kind whose drawings (a fixed, seeded set,
//! [`PROTOTYPES_PER_KIND`] per kind) it is closest to on average: the starting model's reading
//! of the gallery. Fine-tuning then trains with the category term on those kinds, so it does
//! not trade them away for the instance term, and its held-out check measures them: other
//! drawings ([`CHECK_PER_KIND`] per kind, another seed), searched among the gallery, and the
//! share of their top ten that is their kind ([`KindCheck::precision`]). A fine-tuned model
//! whose figure falls more than [`KIND_TOLERANCE`] points below the starting model's is not
//! installed.
//!
//! The kinds are the starting model's own reading, so the check measures whether fine-tuning
//! *keeps* the kind structure, not whether the starting model had it right; with a labelled
//! gallery `arnet eval --labels` measures that.

use std::path::PathBuf;

use arnet_model::ArnetPair;
use arnet_model::burn::tensor::Device;
use arnet_model::embed::{embed_inputs, input_size};
use arnet_model::preprocess::{load_model_input, sketch_input};
use arnet_model::retrieval::{EmbeddingMatrix, dot, l2_normalize};

use crate::categories::{KindFigures, PRECISION_AT, kind_report};
use crate::freehand::{self, Kind};
use crate::rng::Rng;

/// Drawings per kind that decide a photo's kind.
pub const PROTOTYPES_PER_KIND: usize = 16;
/// Held-out drawings per kind that the check searches with.
pub const CHECK_PER_KIND: usize = 10;
/// How many points of category precision@10 fine-tuning may lose and still be installed.
pub const KIND_TOLERANCE: f64 = 2.0;

const PROTOTYPE_STREAM: u64 = 0x4B01;
const CHECK_STREAM: u64 = 0x4B02;
/// Photos decoded and embedded at a time (bounds memory on a large gallery).
const CHUNK: usize = 64;

/// Free-hand drawings of every kind from `stream`, as model inputs, with their kinds.
fn drawings(per_kind: usize, stream: u64, size: usize) -> (Vec<Vec<f32>>, Vec<Kind>) {
    let mut inputs = Vec::new();
    let mut kinds = Vec::new();
    for kind in Kind::ALL {
        for i in 0..per_kind {
            let mut rng = Rng::for_item(kind as u64, stream, i as u64);
            inputs.push(sketch_input(&freehand::draw(kind, &mut rng), size));
            kinds.push(kind);
        }
    }
    (inputs, kinds)
}

/// The gallery's photos embedded by `pair`'s photo encoder, a chunk at a time.
fn embed_photos(
    pair: &ArnetPair,
    photos: &[PathBuf],
    device: &Device,
) -> anyhow::Result<EmbeddingMatrix> {
    let size = input_size(&pair.photo);
    let mut matrix = EmbeddingMatrix::new(arnet_model::embed::embedding_width(&pair.photo));
    for chunk in photos.chunks(CHUNK) {
        let inputs = chunk
            .iter()
            .map(|p| load_model_input(p, size))
            .collect::<Result<Vec<_>, _>>()?;
        for row in embed_inputs(&pair.photo, &inputs, 32, device) {
            matrix.push(&row);
        }
    }
    Ok(matrix)
}

/// The kinds of a gallery as one model reads them, and the drawings that check them.
#[derive(Debug, Clone)]
pub struct KindCheck {
    /// Each photo's kind.
    pub photo_kinds: Vec<Kind>,
    /// The gallery as the reading model embedded it (its own check reuses it).
    start_gallery: EmbeddingMatrix,
    check: Vec<Vec<f32>>,
    check_kinds: Vec<Kind>,
}

impl KindCheck {
    /// Reads the kinds of `photos` with `pair` (the starting model).
    pub fn read(pair: &ArnetPair, photos: &[PathBuf], device: &Device) -> anyhow::Result<Self> {
        let size = input_size(&pair.sketch);
        let (inputs, kinds) = drawings(PROTOTYPES_PER_KIND, PROTOTYPE_STREAM, size);
        let embedded = embed_inputs(&pair.sketch, &inputs, 32, device);
        // Each kind's prototype: the normalised mean of its drawings' embeddings.
        let prototypes: Vec<(Kind, Vec<f32>)> = Kind::ALL
            .iter()
            .map(|&kind| {
                let mut mean = vec![0.0f32; embedded[0].len()];
                for (row, _) in embedded.iter().zip(&kinds).filter(|(_, k)| **k == kind) {
                    mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
                }
                l2_normalize(&mut mean);
                (kind, mean)
            })
            .collect();
        let gallery = embed_photos(pair, photos, device)?;
        let photo_kinds = (0..gallery.len())
            .map(|i| {
                let row = gallery.row(i);
                prototypes
                    .iter()
                    .map(|(kind, p)| (*kind, dot(row, p)))
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(kind, _)| kind)
                    .expect("at least one kind")
            })
            .collect();
        let (check, check_kinds) = drawings(CHECK_PER_KIND, CHECK_STREAM, size);
        Ok(Self {
            photo_kinds,
            start_gallery: gallery,
            check,
            check_kinds,
        })
    }

    /// Category precision@10 (and the first result's kind) of the held-out drawings searched
    /// with `pair` among `photos` (the gallery [`KindCheck::read`] labelled, in its order).
    pub fn precision(
        &self,
        pair: &ArnetPair,
        photos: &[PathBuf],
        device: &Device,
    ) -> anyhow::Result<KindFigures> {
        self.precision_among(pair, &embed_photos(pair, photos, device)?, device)
    }

    /// [`KindCheck::precision`] of the model that read the kinds, from the gallery embeddings
    /// [`KindCheck::read`] already made.
    pub fn start_precision(
        &self,
        start: &ArnetPair,
        device: &Device,
    ) -> anyhow::Result<KindFigures> {
        self.precision_among(start, &self.start_gallery, device)
    }

    fn precision_among(
        &self,
        pair: &ArnetPair,
        gallery: &EmbeddingMatrix,
        device: &Device,
    ) -> anyhow::Result<KindFigures> {
        let queries = embed_inputs(&pair.sketch, &self.check, 32, device);
        let labels: Vec<Option<&str>> = self.photo_kinds.iter().map(|k| Some(k.label())).collect();
        let ranked: Vec<(&str, Vec<usize>)> = queries
            .iter()
            .zip(&self.check_kinds)
            // A kind with no photo in the gallery has nothing to find.
            .filter(|(_, kind)| self.photo_kinds.contains(kind))
            .map(|(query, kind)| {
                let top = gallery.top_k(query, PRECISION_AT);
                (kind.label(), top.into_iter().map(|h| h.index).collect())
            })
            .collect();
        kind_report(&labels, &ranked)
            .map(|report| report.overall)
            .ok_or_else(|| anyhow::anyhow!("no photo to check the kinds on"))
    }

    /// The kinds as a labels file's map (photo stem to class), for the trainer.
    pub fn labels(&self, photos: &[PathBuf]) -> std::collections::BTreeMap<String, String> {
        photos
            .iter()
            .zip(&self.photo_kinds)
            .filter_map(|(p, k)| {
                Some((
                    p.file_stem()?.to_string_lossy().into_owned(),
                    k.label().to_string(),
                ))
            })
            .collect()
    }
}
