//! What a training run is: every choice that changes its result, with the paper's defaults.
//!
//! A [`Recipe`] is saved as `OUT/recipe.json` when a run starts; `--resume` refuses to
//! continue a run whose recipe differs (the epoch count excepted: a finished run can be
//! extended), because the result would then be neither run.
//!
//! Why one file past 500 lines: every field is also an `arnet train` flag whose doc comment is
//! its `--help` text, so the recipe, its defaults and its checks stay side by side.

use std::path::PathBuf;

use arnet_model::backbone::efficientnet::EfficientNetConfig;
use arnet_model::{ArnetEncoderConfig, BackboneConfig, MstrConfig, VitConfig};
use serde::{Deserialize, Serialize};

use crate::augment::RotationFill;
use crate::pseudo_pairs::PseudoSketches;

/// The backbone architecture (its size is [`Preset`] for a ViT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum BackboneKind {
    /// A Vision Transformer, sized by `--preset` (the paper's backbone).
    Vit,
    /// EfficientNet-Lite0 (timm `tf_efficientnet_lite0`), a CNN with ImageNet weights from
    /// `scripts/convert_pretrained.sh`; any input size (`--image-size`, default 224).
    EfficientnetLite0,
    /// DINOv2 ViT-S/14 (timm `vit_small_patch14_dinov2`: LayerScale, 14 px patches, ImageNet
    /// normalisation), self-supervised weights from `scripts/convert_pretrained.sh`; input
    /// `--image-size` (a multiple of 14, default 224), fixed by the converted file's grid.
    Dinov2S14,
}

impl BackboneKind {
    /// What a backbone configuration is.
    pub fn of(config: &BackboneConfig) -> Self {
        match config {
            BackboneConfig::Vit(vit) if vit.layer_scale && vit.patch_size == 14 => Self::Dinov2S14,
            BackboneConfig::Vit(_) => Self::Vit,
            BackboneConfig::EfficientNet(_) => Self::EfficientnetLite0,
        }
    }
}

/// ViT size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// timm `vit_tiny_patch16_224` (192 wide, 12 blocks).
    VitTi,
    /// timm `vit_small_patch16_224` (384 wide, 12 blocks).
    VitS,
    /// timm `vit_base_patch16_224`, the paper's backbone.
    VitB,
    /// The bundled demo model: 224 px input, 32 px patches (7 x 7 grid), 192 wide, 4 blocks,
    /// 3 heads. About 2 M parameters per encoder: trainable from scratch on a laptop CPU in an
    /// hour, and instant to query.
    Demo,
}

/// The training objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// ARNet: Eq. 5 (Basic), or Eq. 6 (Full) when the encoders have MSTR.
    Arnet,
    /// The triplet-loss baseline (ablation), on the 512-d embeddings.
    Triplet,
}

/// Whether each sample is also encoded in its augmented view (dual weight-sharing networks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Views {
    /// Anchor and augmented view (the paper).
    Dual,
    /// Anchor only: no intra-sample terms (ablation).
    Single,
}

/// The augmented view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum AugmentedView {
    /// Resize, rotate +-30 degrees, flip, centre crop (the paper's best).
    A1,
    /// MoCo-style crop, flip, colour jitter, ImageNet normalisation.
    A2,
}

/// The float type of the encoders' forward pass during training (see
/// `arnet_model::precision`). Weights, gradients, Adam and the losses are always f32.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    /// f32 throughout.
    #[default]
    F32,
    /// Mixed precision: the encoders in bfloat16 (CUDA GPUs, the CPU backend).
    Bf16,
}

/// How the learning rate moves over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LrSchedule {
    /// `--lr` at every step (the paper's recipe).
    #[default]
    Constant,
    /// Half a cosine from `--lr` at the first step down to zero after the last step of
    /// `--epochs`: late epochs take small steps, so the weights settle instead of wandering
    /// around the minimum (with a constant rate the demo's validation Acc@1 swung by 5 points
    /// from one epoch to the next). The horizon is `--epochs`: resume with the same count.
    Cosine,
}

impl LrSchedule {
    /// The learning rate of step `step` (0-based, counted over the whole run) of
    /// `total_steps`, for base rate `base`.
    pub fn rate(self, base: f64, step: usize, total_steps: usize) -> f64 {
        match self {
            LrSchedule::Constant => base,
            LrSchedule::Cosine => {
                let progress = step as f64 / total_steps.max(1) as f64;
                0.5 * base * (1.0 + (std::f64::consts::PI * progress.min(1.0)).cos())
            }
        }
    }
}

/// Where the weights start from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Init {
    /// Random initialisation (seeded).
    #[default]
    Scratch,
    /// A timm ViT weight file for both backbones (the paper starts from ImageNet weights);
    /// heads and MSTR start random. The backbone shape comes from the file.
    Backbone(PathBuf),
    /// A two-encoder checkpoint (the authors' `.pth` or ours): everything, config included.
    Checkpoint(PathBuf),
}

/// The network: its backbone, size and MSTR (`arnet train`'s model flags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clap::Args)]
pub struct ModelRecipe {
    /// Backbone architecture (default: a ViT, or the one --init-backbone's file holds).
    #[arg(long, value_enum)]
    #[serde(default)]
    pub backbone: Option<BackboneKind>,
    /// ViT size (`demo`: the small model bundled with the app).
    #[arg(long, value_enum, default_value = "vit-b")]
    pub preset: Preset,
    /// Input side in pixels (overrides the preset).
    #[arg(long)]
    pub image_size: Option<usize>,
    /// Patch side in pixels (overrides the preset).
    #[arg(long)]
    pub patch_size: Option<usize>,
    /// Token width (overrides the preset; the MLP is 4x).
    #[arg(long)]
    pub embed_dim: Option<usize>,
    /// Transformer blocks (overrides the preset).
    #[arg(long)]
    pub depth: Option<usize>,
    /// Attention heads (overrides the preset or the --init-backbone file's default).
    #[arg(long)]
    pub heads: Option<usize>,
    /// Full model: MSTR and the recycling loss (Eq. 6). Without it: Basic (Eq. 5).
    #[arg(long)]
    pub mstr: bool,
    /// MSTR window sides, comma-separated (default 1,2,7 on a 14 x 14 grid; on other grids 1,
    /// the smallest divisor above 1, and the grid side).
    #[arg(long, value_delimiter = ',')]
    pub mstr_windows: Option<Vec<usize>>,
    /// Feed-forward width of MSTR's layers (paper: 2048).
    #[arg(long, default_value_t = 2048)]
    pub mstr_feedforward: usize,
    /// From scratch, put a BatchNorm over the patch tokens (default true: without it a ViT
    /// trained from scratch collapses to one embedding; `false` gives timm's plain ViT).
    /// Ignored with --init-backbone / --init, whose files define the backbone.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    #[serde(default = "default_patch_norm")]
    pub patch_norm: bool,
}

/// What is optimised and how: the objective, the views, the optimiser and its schedule
/// (`arnet train`'s optimisation flags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clap::Args)]
pub struct OptimiserRecipe {
    /// Objective: arnet (the paper) or triplet (baseline).
    #[arg(long, value_enum, default_value = "arnet")]
    pub objective: Objective,
    /// dual: anchor + augmented view (the paper); single: anchor only.
    #[arg(long, value_enum, default_value = "dual")]
    pub views: Views,
    /// The augmented view: a1 (the paper's best) or a2 (MoCo-style).
    #[arg(long, value_enum, default_value = "a1")]
    pub augmented_view: AugmentedView,
    /// Corner fill of the rotation: white, or black (the authors' code).
    #[arg(long, value_enum, default_value = "white")]
    pub fill: RotationFill,
    /// Sketch/photo pairs per step (paper: 16).
    #[arg(long, default_value_t = 16)]
    pub batch_size: usize,
    /// Adam learning rate (the paper's 6e-6 is for an ImageNet-pretrained start; from
    /// scratch use ~3e-4).
    #[arg(long = "lr", default_value_t = 6e-6)]
    pub learning_rate: f64,
    /// How the learning rate moves: constant (the paper), or cosine (from --lr down to zero
    /// over --epochs; resume with the same --epochs).
    #[arg(long, value_enum, default_value = "constant")]
    #[serde(default)]
    pub lr_schedule: LrSchedule,
    /// Average the weights of every epoch from this one (1-based) to the last (stochastic
    /// weight averaging); after each such epoch the average is validated like the epoch's own
    /// weights, and best.safetensors is whichever validates better.
    #[arg(long, value_name = "EPOCH")]
    #[serde(default)]
    pub average_from: Option<usize>,
    /// L2 weight decay added to the gradient (paper: 1e-4; Adam, not AdamW).
    #[arg(long, default_value_t = 1e-4)]
    pub weight_decay: f64,
    /// InfoNCE temperature (paper: 0.07).
    #[arg(long, default_value_t = 0.07)]
    pub temperature: f64,
    /// Margin of the triplet baseline.
    #[arg(long, default_value_t = 0.2)]
    pub triplet_margin: f64,
    /// Float type of the encoders' forward pass: f32, or bf16 for mixed precision (weights,
    /// gradients, Adam and the losses stay f32). For CUDA GPUs; the device must compute in bf16.
    #[arg(long, value_enum, default_value = "f32")]
    #[serde(default)]
    pub precision: Precision,
    /// Weight of the category term beside ARNet's objective (0: off, the paper): a
    /// supervised-contrastive loss that pulls each sketch towards every photo of its kind in
    /// the batch (docs/model.md). Kinds come from DATA/labels.json ({"STEM": "class"}, what
    /// `arnet data fashion-mnist` and `arnet synth` write).
    #[arg(long, default_value_t = 0.0)]
    #[serde(default)]
    pub class_weight: f64,
    /// With --class-weight: free-hand drawings of the batch's kinds added to each step (drawn
    /// from the idea of the kind, not from any photo; `arnet freehand` shows them). They take
    /// part in the category term only.
    #[arg(long, default_value_t = 8)]
    #[serde(default = "default_freehand_per_batch")]
    pub freehand_per_batch: usize,
    /// Weight of the category term between photos (0: off): the same supervised-contrastive
    /// loss over the batch's labelled photos and their augmented views, so that photos of a
    /// kind sit together in the photo space, which is what "more like this" searches
    /// (docs/model.md). Needs --views dual.
    #[arg(long, default_value_t = 0.0)]
    #[serde(default)]
    pub photo_class_weight: f64,
}

fn default_freehand_per_batch() -> usize {
    8
}

/// Every choice that changes a run's result: `arnet train`'s flags, parsed into this directly
/// (`#[command(flatten)]`), and `OUT/recipe.json` (one flat object: the nested parts are
/// flattened, so files written before the nesting read unchanged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clap::Args)]
pub struct Recipe {
    /// The network.
    #[command(flatten)]
    #[serde(flatten)]
    pub model: ModelRecipe,
    /// What is optimised and how.
    #[command(flatten)]
    #[serde(flatten)]
    pub optimiser: OptimiserRecipe,
    /// Seed of initialisation, order, augmentation, dropout and the validation carve.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Share of train photos held out for validation when there is no valA/ valB/.
    #[arg(long, default_value_t = 0.1)]
    pub val_fraction: f32,
    /// Starting weights (from `--init-backbone` / `--init`, which name a file each).
    #[arg(skip)]
    pub init: Init,
    /// Training photos that get a pseudo-sketch drawn from the photo: auto (those without a
    /// drawn sketch, so a folder of photos alone trains), off, or only (every photo; drawn
    /// sketches left out). Written to OUT/pseudo-sketches/ and reused on --resume.
    #[arg(long, value_enum, default_value = "auto")]
    #[serde(default)]
    pub pseudo_sketches: PseudoSketches,
}

fn default_patch_norm() -> bool {
    true
}

impl Default for ModelRecipe {
    /// The paper's network: ViT-B/16, Basic (no MSTR), the patch norm from scratch.
    fn default() -> Self {
        Self {
            backbone: None,
            preset: Preset::VitB,
            image_size: None,
            patch_size: None,
            embed_dim: None,
            depth: None,
            heads: None,
            mstr: false,
            mstr_windows: None,
            mstr_feedforward: 2048,
            patch_norm: true,
        }
    }
}

impl Default for OptimiserRecipe {
    /// The paper's optimisation: Basic objective, A0 + A1, batch 16, Adam 6e-6, L2 1e-4.
    fn default() -> Self {
        Self {
            objective: Objective::Arnet,
            views: Views::Dual,
            augmented_view: AugmentedView::A1,
            fill: RotationFill::White,
            batch_size: 16,
            learning_rate: 6e-6,
            lr_schedule: LrSchedule::Constant,
            average_from: None,
            weight_decay: 1e-4,
            temperature: 0.07,
            triplet_margin: 0.2,
            precision: Precision::F32,
            class_weight: 0.0,
            freehand_per_batch: default_freehand_per_batch(),
            photo_class_weight: 0.0,
        }
    }
}

impl Default for Recipe {
    /// The paper's recipe (ViT-B/16, Basic objective, A0 + A1, batch 16, Adam 6e-6, L2 1e-4).
    fn default() -> Self {
        Self {
            model: ModelRecipe::default(),
            optimiser: OptimiserRecipe::default(),
            seed: 0,
            val_fraction: 0.1,
            init: Init::Scratch,
            pseudo_sketches: PseudoSketches::Auto,
        }
    }
}

impl Recipe {
    /// The backbone built from scratch: the architecture, its preset and the overrides.
    pub fn backbone(&self) -> BackboneConfig {
        match self.model.backbone.unwrap_or(BackboneKind::Vit) {
            BackboneKind::Vit => self.vit().into(),
            BackboneKind::EfficientnetLite0 => {
                EfficientNetConfig::lite0(self.model.image_size.unwrap_or(224)).into()
            }
            BackboneKind::Dinov2S14 => {
                VitConfig::dinov2_small_patch14(self.model.image_size.unwrap_or(224)).into()
            }
        }
    }

    /// The ViT: the preset with the overrides applied.
    pub fn vit(&self) -> VitConfig {
        let mut config = match self.model.preset {
            Preset::VitTi => VitConfig::vit_tiny_patch16_224(),
            Preset::VitS => VitConfig::vit_small_patch16_224(),
            Preset::VitB => VitConfig::vit_base_patch16_224(),
            Preset::Demo => VitConfig::custom(224, 32, 192, 4, 3),
        };
        if let Some(size) = self.model.image_size {
            config.image_size = size;
        }
        if let Some(patch) = self.model.patch_size {
            config.patch_size = patch;
        }
        if let Some(dim) = self.model.embed_dim {
            config.embed_dim = dim;
            config.mlp_hidden_dim = 4 * dim;
        }
        if let Some(depth) = self.model.depth {
            config.depth = depth;
        }
        if let Some(heads) = self.model.heads {
            config.num_heads = heads;
        }
        config.patch_norm = self.model.patch_norm;
        config
    }

    /// The MSTR configuration for `backbone` (when [`Recipe::mstr`] is set).
    pub fn mstr_config(&self, backbone: &BackboneConfig) -> Option<MstrConfig> {
        if !self.model.mstr {
            return None;
        }
        let grid = backbone.grid_size();
        let windows = self
            .model
            .mstr_windows
            .clone()
            .unwrap_or_else(|| default_windows(grid));
        let mut config = MstrConfig::new()
            .with_window_sizes(windows)
            .with_feedforward_dim(self.model.mstr_feedforward);
        // The paper's 8 heads and Dim = 16 channel groups, unless the width does not divide
        // by them: then the ViT's head count (a divisor by construction), or 1.
        let fallback = backbone.vit().map_or(1, |vit| vit.num_heads);
        let width = backbone.feature_dim();
        if !width.is_multiple_of(config.num_heads) {
            config.num_heads = fallback;
        }
        if !width.is_multiple_of(config.pooled_dim) {
            config.pooled_dim = fallback;
        }
        Some(config)
    }

    /// The encoder configuration built from the preset (for [`Init::Scratch`]).
    pub fn encoder_config(&self) -> Result<ArnetEncoderConfig, InvalidRecipe> {
        let backbone = self.backbone();
        backbone.validate().map_err(InvalidRecipe)?;
        let mstr = self.mstr_config(&backbone);
        Ok(ArnetEncoderConfig::new(backbone).with_mstr(mstr))
    }

    /// Checks combinations that cannot work, before any data is read.
    pub fn validate(&self) -> Result<(), InvalidRecipe> {
        self.problem().map_err(InvalidRecipe)
    }

    /// What [`Recipe::validate`] refuses, as the message naming the flag.
    fn problem(&self) -> Result<(), String> {
        if self.optimiser.batch_size < 2 {
            return Err(format!(
                "--batch-size must be at least 2 (InfoNCE needs negatives), got {}",
                self.optimiser.batch_size
            ));
        }
        if self.optimiser.objective == Objective::Triplet && self.model.mstr {
            return Err("--objective triplet is a baseline without MSTR; drop --mstr".into());
        }
        if !(0.0..0.9).contains(&self.val_fraction) {
            return Err(format!(
                "--val-fraction must be in [0, 0.9), got {}",
                self.val_fraction
            ));
        }
        if self.optimiser.learning_rate <= 0.0 || !self.optimiser.learning_rate.is_finite() {
            return Err(format!(
                "--lr must be positive, got {}",
                self.optimiser.learning_rate
            ));
        }
        if !(0.0..=100.0).contains(&self.optimiser.class_weight) {
            return Err(format!(
                "--class-weight must be in [0, 100], got {}",
                self.optimiser.class_weight
            ));
        }
        if self.optimiser.class_weight > 0.0 && self.optimiser.objective == Objective::Triplet {
            return Err("--class-weight goes with --objective arnet".into());
        }
        if !(0.0..=100.0).contains(&self.optimiser.photo_class_weight) {
            return Err(format!(
                "--photo-class-weight must be in [0, 100], got {}",
                self.optimiser.photo_class_weight
            ));
        }
        if self.optimiser.photo_class_weight > 0.0 && !self.uses_augmented_views() {
            return Err(
                "--photo-class-weight compares photos with their augmented views: it needs \
                 --objective arnet with --views dual"
                    .into(),
            );
        }
        if self.optimiser.average_from == Some(0) {
            return Err("--average-from counts epochs from 1 (the first epoch's weights)".into());
        }
        Ok(())
    }

    /// Whether a training step encodes the augmented copies.
    pub fn uses_augmented_views(&self) -> bool {
        self.optimiser.objective == Objective::Arnet && self.optimiser.views == Views::Dual
    }
}

/// A recipe that cannot train (a flag out of range, a combination that cannot work); the
/// message names the flag. An error type, so `?` carries it into `anyhow` as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRecipe(pub String);

impl std::fmt::Display for InvalidRecipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidRecipe {}

/// MSTR's default window sides on a `grid x grid` patch grid: the paper's 1, 2, 7 on 14 x 14;
/// elsewhere 1, the smallest divisor above 1 and the grid side (deduplicated).
pub fn default_windows(grid: usize) -> Vec<usize> {
    if grid == 14 {
        return vec![1, 2, 7];
    }
    let mut windows = vec![1];
    if let Some(d) = (2..grid).find(|d| grid.is_multiple_of(*d)) {
        windows.push(d);
    }
    if grid > 1 {
        windows.push(grid);
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_papers_recipe() {
        let recipe = Recipe::default();
        // From scratch the patch norm is added (docs/training.md); without it, timm's ViT-B/16.
        assert_eq!(
            recipe.backbone(),
            VitConfig::vit_base_patch16_224()
                .with_patch_norm(true)
                .into()
        );
        let plain = Recipe {
            model: ModelRecipe {
                patch_norm: false,
                ..ModelRecipe::default()
            },
            ..Recipe::default()
        };
        assert_eq!(plain.backbone(), VitConfig::vit_base_patch16_224().into());
        assert_eq!(
            (
                recipe.optimiser.batch_size,
                recipe.optimiser.learning_rate,
                recipe.optimiser.weight_decay
            ),
            (16, 6e-6, 1e-4)
        );
        assert_eq!(recipe.optimiser.temperature, 0.07);
        let full = Recipe {
            model: ModelRecipe {
                mstr: true,
                ..ModelRecipe::default()
            },
            ..Recipe::default()
        };
        let mstr = full.mstr_config(&full.backbone()).unwrap();
        assert_eq!(mstr.window_sizes, vec![1, 2, 7]);
        assert_eq!((mstr.num_heads, mstr.feedforward_dim), (8, 2048));
    }

    #[test]
    fn the_cosine_schedule_falls_from_the_base_rate_to_zero() {
        let rate = |step| LrSchedule::Cosine.rate(1e-4, step, 100);
        // Reference values of 0.5 * (1 + cos(pi * t)) at t = 0, 1/4, 1/2, 3/4 and 1.
        for (step, expected) in [
            (0, 1e-4),
            (25, 0.853_553_390_6e-4),
            (50, 0.5e-4),
            (75, 0.146_446_609_4e-4),
            (100, 0.0),
        ] {
            assert!(
                (rate(step) - expected).abs() < 1e-14,
                "step {step}: {}",
                rate(step)
            );
        }
        assert!((1..100).all(|step| rate(step) < rate(step - 1)));
        assert_eq!(LrSchedule::Constant.rate(1e-4, 75, 100), 1e-4);
    }

    #[test]
    fn a_recipe_saved_before_schedules_existed_reads_as_constant() {
        let mut saved = serde_json::to_value(Recipe::default()).unwrap();
        saved.as_object_mut().unwrap().remove("lr_schedule");
        let recipe: Recipe = serde_json::from_value(saved).unwrap();
        assert_eq!(recipe.optimiser.lr_schedule, LrSchedule::Constant);
    }

    #[test]
    fn averaging_counts_epochs_from_one_and_older_recipes_do_not_average() {
        let zero = Recipe {
            optimiser: OptimiserRecipe {
                average_from: Some(0),
                ..OptimiserRecipe::default()
            },
            ..Recipe::default()
        };
        assert!(zero.validate().unwrap_err().0.contains("--average-from"));
        let mut saved = serde_json::to_value(Recipe::default()).unwrap();
        saved.as_object_mut().unwrap().remove("average_from");
        let recipe: Recipe = serde_json::from_value(saved).unwrap();
        assert_eq!(recipe.optimiser.average_from, None);
    }

    /// The nesting is for code; `recipe.json` stays one flat object, so runs written before it
    /// resume (the keys below are those of a recipe.json of the previous layout).
    #[test]
    fn recipe_json_is_flat_and_reads_the_previous_layout() {
        let value = serde_json::to_value(Recipe::default()).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        for key in [
            "preset",
            "mstr",
            "batch_size",
            "learning_rate",
            "seed",
            "init",
        ] {
            assert!(keys.iter().any(|k| *k == key), "{key} at the top: {keys:?}");
        }
        let previous = r#"{"backbone":null,"preset":"demo","image_size":null,"patch_size":null,
            "embed_dim":null,"depth":null,"heads":null,"mstr":true,"mstr_windows":null,
            "mstr_feedforward":512,"objective":"arnet","views":"single","augmented_view":"a1",
            "fill":"white","batch_size":8,"learning_rate":0.0003,"lr_schedule":"cosine",
            "average_from":null,"weight_decay":0.0001,"temperature":0.07,"triplet_margin":0.2,
            "seed":4,"val_fraction":0.1,"init":"scratch","patch_norm":true,"precision":"f32",
            "pseudo_sketches":"auto"}"#;
        let recipe: Recipe = serde_json::from_str(previous).unwrap();
        assert_eq!(
            (
                recipe.model.preset,
                recipe.model.mstr,
                recipe.model.mstr_feedforward
            ),
            (Preset::Demo, true, 512)
        );
        assert_eq!(
            (
                recipe.optimiser.views,
                recipe.optimiser.batch_size,
                recipe.optimiser.lr_schedule
            ),
            (Views::Single, 8, LrSchedule::Cosine)
        );
        assert_eq!(recipe.seed, 4);
    }

    #[test]
    fn default_windows_divide_the_grid() {
        assert_eq!(default_windows(7), vec![1, 7]);
        assert_eq!(default_windows(8), vec![1, 2, 8]);
        for grid in 1..20 {
            assert!(default_windows(grid).iter().all(|w| grid % w == 0));
        }
    }
}
