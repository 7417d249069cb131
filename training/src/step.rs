//! One optimisation step of `arnet train`: encode the views, sum the loss terms, step Adam.
//!
//! Its own module so that the training loop ([`crate::train`]) and the training-speed bench
//! (`training/benches/train_speed.rs`, against PyTorch) run the very same step.

use anyhow::bail;
use arnet_model::burn::optim::decay::WeightDecayConfig;
use arnet_model::burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use arnet_model::burn::tensor::{Device, Int, Tensor, TensorData};
use arnet_model::category_loss::category_contrastive;
use arnet_model::loss::{ArnetLoss, FourViews, triplet_loss};
use arnet_model::precision;
use arnet_model::{ArnetEncoder, ArnetPair};

use crate::batches::Batch;
use crate::recipe::{Objective, Precision, Recipe};

/// The paper's optimiser: Adam (0.9, 0.999, eps 1e-8) with the recipe's L2 weight decay.
pub fn adam_config(recipe: &Recipe) -> AdamConfig {
    AdamConfig::new()
        .with_beta_1(0.9)
        .with_beta_2(0.999)
        .with_epsilon(1e-8)
        .with_weight_decay(Some(WeightDecayConfig {
            penalty: recipe.optimiser.weight_decay as f32,
        }))
}

/// Mean of each loss term over an epoch.
#[derive(Debug, Default)]
pub struct LossSums {
    pub steps: usize,
    pub total: f64,
    pub multi_modal: f64,
    pub inter_sample: f64,
    pub intra_sketch: f64,
    pub intra_photo: f64,
    pub recycling: f64,
    pub has_recycling: bool,
    pub has_intra: bool,
    /// The category term (unweighted), over the steps that had one.
    pub category: f64,
    pub category_steps: usize,
    /// The category term between photos (unweighted), over the steps that had one.
    pub photo_category: f64,
}

impl LossSums {
    /// The mean of `value` (one of the sums) over the steps, if any.
    pub fn mean(&self, value: f64) -> Option<f64> {
        (self.steps > 0).then(|| value / self.steps as f64)
    }
}

fn scalar(tensor: &Tensor<1>) -> f64 {
    let values = tensor
        .clone()
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("f32 scalar");
    f64::from(values[0])
}

/// The category term of a batch: the labelled pairs' anchor sketches and the free-hand
/// drawings against the labelled pairs' photos ([`category_contrastive`]). `None` when no
/// pair has a kind.
fn category_term(
    sketches: &Tensor<2>,
    photos: &Tensor<2>,
    freehand: Option<Tensor<2>>,
    batch: &Batch,
    temperature: f64,
) -> Option<Tensor<1>> {
    let labelled: Vec<(usize, usize)> = batch
        .classes
        .iter()
        .enumerate()
        .filter_map(|(row, class)| class.map(|c| (row, c)))
        .collect();
    if labelled.is_empty() {
        return None;
    }
    let device = sketches.device();
    let rows: Vec<i64> = labelled.iter().map(|&(row, _)| row as i64).collect();
    let rows = Tensor::<1, Int>::from_data(TensorData::new(rows, [labelled.len()]), &device);
    let photo_rows = photos.clone().select(0, rows.clone());
    let mut sketch_rows = sketches.clone().select(0, rows);
    let photo_classes: Vec<usize> = labelled.iter().map(|&(_, c)| c).collect();
    let mut sketch_classes = photo_classes.clone();
    if let Some(freehand) = freehand {
        sketch_rows = Tensor::cat(vec![sketch_rows, freehand], 0);
        sketch_classes.extend(&batch.freehand_classes);
    }
    category_contrastive(
        sketch_rows,
        &sketch_classes,
        photo_rows,
        &photo_classes,
        temperature,
    )
}

/// The category term between photos: the labelled photos against the augmented views of
/// the same photos ([`category_contrastive`]), so that every photo of a kind, not only its own
/// second view, counts as a positive. `None` when no pair has a kind.
fn photo_category_term(
    photos: &Tensor<2>,
    photos_augmented: &Tensor<2>,
    batch: &Batch,
    temperature: f64,
) -> Option<Tensor<1>> {
    let (rows, classes): (Vec<i64>, Vec<usize>) = batch
        .classes
        .iter()
        .enumerate()
        .filter_map(|(row, class)| class.map(|c| (row as i64, c)))
        .unzip();
    if rows.is_empty() {
        return None;
    }
    let rows =
        Tensor::<1, Int>::from_data(TensorData::new(rows, [classes.len()]), &photos.device());
    category_contrastive(
        photos.clone().select(0, rows.clone()),
        &classes,
        photos_augmented.clone().select(0, rows),
        &classes,
        temperature,
    )
}

/// One optimisation step at learning rate `rate`; returns the updated pair.
#[allow(clippy::too_many_arguments)]
pub fn train_step(
    pair: ArnetPair,
    optimizer: &mut ModuleOptimizer,
    rate: f64,
    batch: &Batch,
    recipe: &Recipe,
    size: usize,
    device: &Device,
    sums: &mut LossSums,
) -> anyhow::Result<ArnetPair> {
    let tensor = |values: &[f32]| {
        Tensor::<4>::from_data(
            TensorData::new(values.to_vec(), [batch.len, 3, size, size]),
            device,
        )
    };
    // Mixed precision: the encoders run as a bf16 copy inside the graph, the losses in f32.
    let mixed = recipe.optimiser.precision == Precision::Bf16;
    let compute_pair;
    let encoders = if mixed {
        compute_pair = precision::compute_copy(&pair);
        &compute_pair
    } else {
        &pair
    };
    let encode = |encoder: &ArnetEncoder, values: &[f32]| {
        if mixed {
            precision::forward(encoder, tensor(values))
        } else {
            encoder.forward(tensor(values))
        }
    };
    let total = match recipe.optimiser.objective {
        Objective::Triplet => {
            let sketches = encode(&encoders.sketch, &batch.sketches).embedding;
            let photos = encode(&encoders.photo, &batch.photos).embedding;
            let loss = triplet_loss(sketches, photos, recipe.optimiser.triplet_margin);
            sums.multi_modal += scalar(&loss);
            loss
        }
        Objective::Arnet => {
            let sketch = encode(&encoders.sketch, &batch.sketches);
            let photo = encode(&encoders.photo, &batch.photos);
            let category = if recipe.optimiser.class_weight > 0.0 {
                let freehand = (!batch.freehand_classes.is_empty()).then(|| {
                    let rows = batch.freehand_classes.len();
                    let values = TensorData::new(batch.freehand.clone(), [rows, 3, size, size]);
                    let input = Tensor::<4>::from_data(values, device);
                    if mixed {
                        precision::forward(&encoders.sketch, input).embedding
                    } else {
                        encoders.sketch.forward(input).embedding
                    }
                });
                category_term(
                    &sketch.embedding,
                    &photo.embedding,
                    freehand,
                    batch,
                    recipe.optimiser.temperature,
                )
            } else {
                None
            };
            let mut loss = if recipe.uses_augmented_views() {
                let views = FourViews {
                    sketch,
                    sketch_augmented: encode(&encoders.sketch, &batch.sketches_augmented),
                    photo,
                    photo_augmented: encode(&encoders.photo, &batch.photos_augmented),
                };
                sums.has_intra = true;
                let mut loss = ArnetLoss::compute(&pair, &views, recipe.optimiser.temperature);
                let weight = recipe.optimiser.photo_class_weight;
                if weight > 0.0
                    && let Some(term) = photo_category_term(
                        &views.photo.embedding,
                        &views.photo_augmented.embedding,
                        batch,
                        recipe.optimiser.temperature,
                    )
                {
                    sums.photo_category += scalar(&term);
                    loss.total = loss.total + term * weight;
                }
                loss
            } else {
                ArnetLoss::compute_single_view(&pair, &sketch, &photo, recipe.optimiser.temperature)
            };
            if let Some(term) = category {
                sums.category += scalar(&term);
                sums.category_steps += 1;
                loss.total = loss.total + term * recipe.optimiser.class_weight;
            }
            sums.multi_modal += scalar(&loss.multi_modal);
            sums.inter_sample += scalar(&loss.inter_sample);
            sums.intra_sketch += scalar(&loss.intra_sketch);
            sums.intra_photo += scalar(&loss.intra_photo);
            for term in [&loss.recycling_sketch, &loss.recycling_photo]
                .into_iter()
                .flatten()
            {
                sums.recycling += scalar(term);
                sums.has_recycling = true;
            }
            loss.total
        }
    };
    let value = scalar(&total);
    if !value.is_finite() {
        bail!(
            "the loss became {value} (learning rate {} too high?); the last finished epoch's \
             checkpoint is intact",
            recipe.optimiser.learning_rate
        );
    }
    sums.total += value;
    sums.steps += 1;
    let mut grads = GradientsParams::from_grads(total.backward(), &pair);
    // With a patch norm, the patch convolution's bias is cancelled exactly by the norm's batch
    // mean: its gradient is rounding noise, which Adam would turn into full-size steps (and
    // which would make a resumed run drift from an uninterrupted one). It is not trained.
    for encoder in [&pair.sketch, &pair.photo] {
        if encoder.has_patch_norm()
            && let Some(bias) = encoder
                .encoder
                .vit()
                .and_then(|vit| vit.patch_embed.proj.bias.as_ref())
        {
            grads.remove::<1>(bias.id);
        }
    }
    Ok(optimizer.step(rate, pair, grads))
}
