//! Training data in memory and the four views of each batch, made on worker threads.
//!
//! Every image of the training split is decoded once (in parallel) and kept; anchors (A0) are
//! prepared once too. Each step's augmented views are drawn from a generator seeded by
//! `(seed, epoch, sketch index)`, so a batch's pixels do not depend on which thread made them
//! or on whether the run was interrupted: that is what makes `--resume` reproduce an
//! uninterrupted run. A producer thread prepares the next batch while the model trains.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, sync_channel};

use anyhow::Context;
use arnet_model::burn::tensor::{Device, Tensor, TensorData};
pub use arnet_model::parallel::parallel_map;
use arnet_model::preprocess::{decode_rgb, model_input, sketch_input};
use arnet_model::sketch_frame::frame_sketch_owned;
use image::RgbImage;

use crate::augment::{A1Options, view_a1, view_a2};
use crate::categories::Labels;
use crate::dataset::Split;
use crate::freehand::{self, Kind};
use crate::recipe::{AugmentedView, Recipe};
use crate::rng::Rng;

const SHUFFLE_STREAM: u64 = 11;
const AUGMENT_STREAM: u64 = 12;
const FREEHAND_STREAM: u64 = 13;

/// Decodes `paths` on `workers` threads, in order; the first unreadable file is an error
/// naming it (the folder check has already removed the ones it could not read).
pub fn decode_all(paths: &[PathBuf], workers: usize) -> anyhow::Result<Vec<RgbImage>> {
    parallel_map(paths.len(), workers, |i| decode_rgb(&paths[i]))
        .into_iter()
        .map(|image| image.map_err(anyhow::Error::from))
        .collect()
}

/// The training split, decoded.
#[derive(Debug)]
pub struct TrainData {
    /// Sketch images.
    pub sketches: Vec<RgbImage>,
    /// Photo images.
    pub photos: Vec<RgbImage>,
    /// Index into `photos` of each sketch's photo.
    pub owners: Vec<usize>,
    /// A0 of each sketch.
    sketch_anchors: Vec<Vec<f32>>,
    /// A0 of each photo.
    photo_anchors: Vec<Vec<f32>>,
    /// The kind of each photo (an index into `kinds`), for the category term.
    photo_classes: Vec<Option<usize>>,
    /// The class names, and the kind the free-hand sketcher draws for each (if it can).
    pub class_names: Vec<String>,
    class_kinds: Vec<Option<Kind>>,
}

impl TrainData {
    /// Decodes the split and prepares the anchors at `size x size`.
    pub fn load(split: &Split, size: usize, workers: usize) -> anyhow::Result<Self> {
        let sketch_paths: Vec<PathBuf> = split.sketches.iter().map(|s| s.path.clone()).collect();
        // Sketches as the encoder will see them when searching: small drawings framed.
        let sketches: Vec<RgbImage> = decode_all(&sketch_paths, workers)
            .context("loading training sketches")?
            .into_iter()
            .map(frame_sketch_owned)
            .collect();
        let photos = decode_all(&split.photos, workers).context("loading training photos")?;
        let anchors = |images: &[RgbImage]| -> Vec<Vec<f32>> {
            parallel_map(images.len(), workers, |i| model_input(&images[i], size))
        };
        Ok(Self {
            sketch_anchors: anchors(&sketches),
            photo_anchors: anchors(&photos),
            owners: split.sketches.iter().map(|s| s.photo).collect(),
            photo_classes: vec![None; photos.len()],
            class_names: Vec::new(),
            class_kinds: Vec::new(),
            sketches,
            photos,
        })
    }

    /// Gives each photo its kind from `labels` (by file stem; `paths` are the split's photos,
    /// in the order they were loaded); returns how many photos have one.
    pub fn set_classes(&mut self, paths: &[PathBuf], labels: &Labels) -> usize {
        let mut names: Vec<String> = Vec::new();
        self.photo_classes = paths
            .iter()
            .map(|path| {
                let class = labels.class_of(path)?;
                Some(match names.iter().position(|n| n == class) {
                    Some(i) => i,
                    None => {
                        names.push(class.to_string());
                        names.len() - 1
                    }
                })
            })
            .collect();
        self.class_kinds = names.iter().map(|n| Kind::from_label(n)).collect();
        self.class_names = names;
        self.photo_classes.iter().flatten().count()
    }

    /// The A0 views of every training sketch (`photos == false`) or photo, in batches of at
    /// most `batch` images on `device`: what the patch norm's statistics are computed from.
    pub fn anchor_batches<'a>(
        &'a self,
        photos: bool,
        batch: usize,
        size: usize,
        device: &'a Device,
    ) -> impl Iterator<Item = Tensor<4>> + 'a {
        let anchors = if photos {
            &self.photo_anchors
        } else {
            &self.sketch_anchors
        };
        anchors.chunks(batch.max(1)).map(move |chunk| {
            let values: Vec<f32> = chunk.iter().flatten().copied().collect();
            Tensor::from_data(
                TensorData::new(values, [chunk.len(), 3, size, size]),
                device,
            )
        })
    }

    /// Number of training samples (sketches).
    pub fn len(&self) -> usize {
        self.sketches.len()
    }

    /// Whether there is nothing to train on.
    pub fn is_empty(&self) -> bool {
        self.sketches.is_empty()
    }
}

/// The inputs of one step, each `[batch, 3, size, size]` flattened.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Pairs in the batch.
    pub len: usize,
    /// Anchor sketches (A0).
    pub sketches: Vec<f32>,
    /// Augmented sketches (empty when the recipe uses one view).
    pub sketches_augmented: Vec<f32>,
    /// Anchor photos (A0).
    pub photos: Vec<f32>,
    /// Augmented photos (empty when the recipe uses one view).
    pub photos_augmented: Vec<f32>,
    /// The kind of each pair's photo (all `None` without the category term).
    pub classes: Vec<Option<usize>>,
    /// Free-hand drawings of the batch's kinds (A0), for the category term.
    pub freehand: Vec<f32>,
    /// The kind of each free-hand drawing.
    pub freehand_classes: Vec<usize>,
}

/// The sample order of `epoch` (0-based), in batches; a last batch of one sample is dropped
/// (InfoNCE needs at least one negative).
pub fn epoch_batches(
    samples: usize,
    batch_size: usize,
    seed: u64,
    epoch: usize,
) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..samples).collect();
    Rng::for_item(seed, SHUFFLE_STREAM, epoch as u64).shuffle(&mut order);
    order
        .chunks(batch_size)
        .filter(|chunk| chunk.len() >= 2)
        .map(<[usize]>::to_vec)
        .collect()
}

/// Makes the views of the samples in `items` for `epoch`.
pub fn make_batch(
    data: &TrainData,
    items: &[usize],
    recipe: &Recipe,
    epoch: usize,
    size: usize,
    workers: usize,
) -> Batch {
    let augmented = recipe.uses_augmented_views();
    let a1 = A1Options {
        resize: (size * 268).div_ceil(224),
        fill: recipe.optimiser.fill,
        ..A1Options::default()
    };
    let view = |image: &RgbImage, rng: &mut Rng| match recipe.optimiser.augmented_view {
        AugmentedView::A1 => view_a1(image, size, &a1, rng),
        AugmentedView::A2 => view_a2(image, size, rng),
    };
    let pairs: Vec<(Vec<f32>, Vec<f32>)> = if augmented {
        parallel_map(items.len(), workers, |k| {
            let sample = items[k];
            let index = (epoch as u64) << 32 | sample as u64;
            let mut rng = Rng::for_item(recipe.seed, AUGMENT_STREAM, index);
            let sketch = view(&data.sketches[sample], &mut rng);
            let photo = view(&data.photos[data.owners[sample]], &mut rng);
            (sketch, photo)
        })
    } else {
        Vec::new()
    };
    let classes: Vec<Option<usize>> = items
        .iter()
        .map(|&sample| data.photo_classes[data.owners[sample]])
        .collect();
    let (freehand, freehand_classes) = if recipe.optimiser.class_weight > 0.0 {
        freehand_drawings(data, &classes, items, recipe, epoch, size, workers)
    } else {
        (Vec::new(), Vec::new())
    };
    let mut batch = Batch {
        len: items.len(),
        sketches: Vec::new(),
        sketches_augmented: Vec::new(),
        photos: Vec::new(),
        photos_augmented: Vec::new(),
        classes,
        freehand,
        freehand_classes,
    };
    for &sample in items {
        batch
            .sketches
            .extend_from_slice(&data.sketch_anchors[sample]);
        batch
            .photos
            .extend_from_slice(&data.photo_anchors[data.owners[sample]]);
    }
    for (sketch, photo) in pairs {
        batch.sketches_augmented.extend(sketch);
        batch.photos_augmented.extend(photo);
    }
    batch
}

/// `recipe.optimiser.freehand_per_batch` free-hand drawings of kinds the batch holds (each
/// drawing's kind is that of a pair picked at random among those whose kind the sketcher can
/// draw, so common kinds get more), as model inputs, with their class ids. Seeded by the
/// epoch and the batch's first sample, so a resumed run draws the same.
fn freehand_drawings(
    data: &TrainData,
    classes: &[Option<usize>],
    items: &[usize],
    recipe: &Recipe,
    epoch: usize,
    size: usize,
    workers: usize,
) -> (Vec<f32>, Vec<usize>) {
    let drawable: Vec<(usize, Kind)> = classes
        .iter()
        .flatten()
        .filter_map(|&c| data.class_kinds[c].map(|kind| (c, kind)))
        .collect();
    if drawable.is_empty() || items.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let index = (epoch as u64) << 32 | items[0] as u64;
    let mut rng = Rng::for_item(recipe.seed, FREEHAND_STREAM, index);
    let picks: Vec<(usize, Kind, u64)> = (0..recipe.optimiser.freehand_per_batch)
        .map(|_| {
            let (class, kind) = drawable[rng.below(drawable.len())];
            (class, kind, rng.next_u64())
        })
        .collect();
    let inputs = parallel_map(picks.len(), workers, |i| {
        let (_, kind, seed) = picks[i];
        sketch_input(&freehand::draw(kind, &mut Rng::new(seed)), size)
    });
    (
        inputs.into_iter().flatten().collect(),
        picks.iter().map(|&(class, _, _)| class).collect(),
    )
}

/// Starts a thread that makes the batches of `epoch` ahead of the training loop (one batch
/// of look-ahead); it stops early when the receiver is dropped.
pub fn prefetch<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    data: &'scope TrainData,
    recipe: &'scope Recipe,
    plan: Vec<Vec<usize>>,
    epoch: usize,
    size: usize,
    workers: usize,
) -> Receiver<Batch> {
    let (sender, receiver) = sync_channel(1);
    std::thread::Builder::new()
        .name("arnet-batches".into())
        .spawn_scoped(scope, move || {
            for items in plan {
                let batch = make_batch(data, &items, recipe, epoch, size, workers);
                if sender.send(batch).is_err() {
                    return;
                }
            }
        })
        .expect("spawning the batch thread");
    receiver
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_order_is_a_seeded_permutation() {
        let a = epoch_batches(10, 4, 7, 0);
        assert_eq!(
            a,
            epoch_batches(10, 4, 7, 0),
            "same seed and epoch, same order"
        );
        assert_ne!(a, epoch_batches(10, 4, 7, 1), "each epoch reshuffles");
        let mut seen: Vec<usize> = a.concat();
        seen.sort();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        // 9 samples in batches of 4: 4 + 4 + 1, the lone sample is dropped.
        assert_eq!(epoch_batches(9, 4, 7, 0).concat().len(), 8);
    }
}
