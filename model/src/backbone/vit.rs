//! Vision Transformer backbone with timm's structure and parameter names.
//!
//! Why one file past 500 lines: it is one network (configuration, blocks, forward pass, timm's
//! names), meant to be read top to bottom beside timm's `vision_transformer.py`.
//!
//! Field names mirror timm's `VisionTransformer` (`patch_embed.proj`, `cls_token`, `pos_embed`,
//! `blocks.N.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}`, `norm`) so that loading a
//! checkpoint is a walk over the same names (see [`crate::weights`]), not a renaming exercise.
//!
//! Details that silently break parity with timm and are therefore pinned here:
//! LayerNorm eps is 1e-6 (Burn's transformer default is 1e-5), GELU is the exact erf form,
//! q, k and v come out of one fused `qkv` Linear with bias, and the backbone returns every token
//! (class token first) after the final norm, as ARNet uses the class token and the patch tokens.
//!
//! # DINOv2
//! timm's `vit_small_patch14_dinov2` is this network with 14 px patches, LayerScale after the
//! attention and the MLP of every block (`blocks.N.ls1.gamma`, `ls2.gamma`: a learned
//! per-channel scale of the residual branch) and ImageNet input normalisation; the config's
//! [`VitConfig::layer_scale`], [`VitConfig::input_mean`] and [`VitConfig::input_std`] say so.
//! Its position embedding is learned for a 37 x 37 grid (518 px); the converter
//! (`scripts/pretrained/dinov2.py`; docs/pretrained-conversion.md) resamples it to the training grid with timm's own bicubic
//! resampling, so this module never resamples: a file's grid is the model's grid.
//!
//! # Input
//! Images arrive in [0, 1] like every backbone's. The authors' ViTs take them as they are
//! (`ToTensor()` only: mean 0, std 1, the defaults, so files from before these fields load
//! unchanged); DINOv2 subtracts ImageNet's mean and divides by its std, inside the backbone.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};
use serde::Deserialize;

use crate::cpu_transformer::{gelu, linear, self_attention};
use crate::params::{ParamSlot, VisitParams};
use crate::patch_norm::TokenBatchNorm;

/// LayerNorm epsilon used by timm's ViT (`partial(nn.LayerNorm, eps=1e-6)`).
pub const TIMM_LAYER_NORM_EPS: f64 = 1e-6;

/// Shape of a ViT backbone. Presets name the timm models they reproduce.
#[derive(Config, Debug, PartialEq)]
pub struct VitConfig {
    /// Side of the (square) input image in pixels.
    #[config(default = 224)]
    pub image_size: usize,
    /// Side of a square patch; the patch grid is `image_size / patch_size` on each side.
    #[config(default = 16)]
    pub patch_size: usize,
    /// Input channels (3 for RGB).
    #[config(default = 3)]
    pub in_channels: usize,
    /// Token width.
    #[config(default = 768)]
    pub embed_dim: usize,
    /// Number of Transformer blocks.
    #[config(default = 12)]
    pub depth: usize,
    /// Attention heads per block; `embed_dim` must be divisible by it.
    #[config(default = 12)]
    pub num_heads: usize,
    /// Hidden width of each block's MLP (timm: `embed_dim * mlp_ratio`, ratio 4).
    #[config(default = 3072)]
    pub mlp_hidden_dim: usize,
    /// BatchNorm over the patch tokens after the patch embedding (not in timm's ViTs; what
    /// lets a small ViT train from scratch, see [`crate::patch_norm`]).
    #[config(default = false)]
    pub patch_norm: bool,
    /// LayerScale on both residual branches of every block (DINOv2, CaiT).
    #[config(default = false)]
    pub layer_scale: bool,
    /// Per-channel mean subtracted from the [0, 1] input (0 for the authors' ViTs).
    #[config(default = "[0.0, 0.0, 0.0]")]
    pub input_mean: [f32; 3],
    /// Per-channel standard deviation the input is divided by (1 for the authors' ViTs).
    #[config(default = "[1.0, 1.0, 1.0]")]
    pub input_std: [f32; 3],
}

/// [`VitConfig`] as saved in weight files. Burn's `Config` derive gives no serde defaults, so
/// the fields added after the first files were written (`patch_norm`, `layer_scale`, the
/// normalisation) are defaulted here, to what those files' networks were.
#[derive(Deserialize)]
pub(super) struct SavedVitConfig {
    image_size: usize,
    patch_size: usize,
    in_channels: usize,
    embed_dim: usize,
    depth: usize,
    num_heads: usize,
    mlp_hidden_dim: usize,
    #[serde(default)]
    patch_norm: bool,
    #[serde(default)]
    layer_scale: bool,
    #[serde(default = "identity_mean")]
    input_mean: [f32; 3],
    #[serde(default = "identity_std")]
    input_std: [f32; 3],
}

fn identity_mean() -> [f32; 3] {
    [0.0; 3]
}

fn identity_std() -> [f32; 3] {
    [1.0; 3]
}

impl From<SavedVitConfig> for VitConfig {
    fn from(saved: SavedVitConfig) -> Self {
        VitConfig::new()
            .with_image_size(saved.image_size)
            .with_patch_size(saved.patch_size)
            .with_in_channels(saved.in_channels)
            .with_embed_dim(saved.embed_dim)
            .with_depth(saved.depth)
            .with_num_heads(saved.num_heads)
            .with_mlp_hidden_dim(saved.mlp_hidden_dim)
            .with_patch_norm(saved.patch_norm)
            .with_layer_scale(saved.layer_scale)
            .with_input_mean(saved.input_mean)
            .with_input_std(saved.input_std)
    }
}

/// ImageNet's per-channel mean, DINOv2's input normalisation.
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
/// ImageNet's per-channel standard deviation.
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];
/// timm's LayerScale initial value for DINOv2 (`init_values=1e-5`).
pub const DINOV2_LAYER_SCALE_INIT: f32 = 1e-5;

impl VitConfig {
    /// A custom backbone with timm's defaults for the MLP width (4x).
    pub fn custom(
        image_size: usize,
        patch_size: usize,
        embed_dim: usize,
        depth: usize,
        num_heads: usize,
    ) -> Self {
        Self::new()
            .with_image_size(image_size)
            .with_patch_size(patch_size)
            .with_embed_dim(embed_dim)
            .with_depth(depth)
            .with_num_heads(num_heads)
            .with_mlp_hidden_dim(embed_dim * 4)
    }

    /// timm `vit_tiny_patch16_224`: 192 wide, 12 blocks, 3 heads (5.7 M parameters).
    pub fn vit_tiny_patch16_224() -> Self {
        Self::custom(224, 16, 192, 12, 3)
    }

    /// timm `vit_small_patch16_224`: 384 wide, 12 blocks, 6 heads (22 M parameters).
    pub fn vit_small_patch16_224() -> Self {
        Self::custom(224, 16, 384, 12, 6)
    }

    /// timm `vit_base_patch16_224`: 768 wide, 12 blocks, 12 heads (86 M parameters); the
    /// backbone of the paper's main results.
    pub fn vit_base_patch16_224() -> Self {
        Self::custom(224, 16, 768, 12, 12)
    }

    /// timm `vit_small_patch14_dinov2` at `image_size` (a multiple of 14): 384 wide, 12
    /// blocks, 6 heads, LayerScale, ImageNet normalisation (22 M parameters).
    pub fn dinov2_small_patch14(image_size: usize) -> Self {
        Self::custom(image_size, 14, 384, 12, 6)
            .with_layer_scale(true)
            .with_input_mean(IMAGENET_MEAN)
            .with_input_std(IMAGENET_STD)
    }

    /// Patches per side of the grid.
    pub fn grid_size(&self) -> usize {
        self.image_size / self.patch_size
    }

    /// Number of patch tokens (the class token not counted).
    pub fn num_patches(&self) -> usize {
        self.grid_size() * self.grid_size()
    }

    /// Checks the divisibility constraints the network relies on.
    pub fn validate(&self) -> Result<(), String> {
        if self.patch_size == 0 || !self.image_size.is_multiple_of(self.patch_size) {
            return Err(format!(
                "image size {} is not a multiple of patch size {}",
                self.image_size, self.patch_size
            ));
        }
        if self.num_heads == 0 || !self.embed_dim.is_multiple_of(self.num_heads) {
            return Err(format!(
                "embed dim {} is not divisible by {} heads",
                self.embed_dim, self.num_heads
            ));
        }
        if self.depth == 0 || self.in_channels == 0 || self.mlp_hidden_dim == 0 {
            return Err("depth, input channels and MLP width must be positive".into());
        }
        if self.in_channels != 3 && (self.input_mean != [0.0; 3] || self.input_std != [1.0; 3]) {
            return Err("input normalisation is per RGB channel: needs 3 input channels".into());
        }
        if self.input_std.iter().any(|s| !s.is_finite() || *s <= 0.0) {
            return Err(format!("input std {:?} must be positive", self.input_std));
        }
        Ok(())
    }

    /// Builds a randomly initialised backbone (timm-like: truncated-normal-ish small weights).
    ///
    /// # Panics
    /// Panics if [`validate`](Self::validate) fails.
    pub fn init(&self, device: &Device) -> VisionTransformer {
        if let Err(message) = self.validate() {
            panic!("invalid ViT configuration: {message}");
        }
        let small = Initializer::Normal {
            mean: 0.0,
            std: 0.02,
        };
        let linear = |d_in, d_out| {
            LinearConfig::new(d_in, d_out)
                .with_initializer(small.clone())
                .init(device)
        };
        let norm = || {
            LayerNormConfig::new(self.embed_dim)
                .with_epsilon(TIMM_LAYER_NORM_EPS)
                .init(device)
        };
        let layer_scale = || {
            self.layer_scale
                .then(|| LayerScale::new(self.embed_dim, DINOV2_LAYER_SCALE_INIT, device))
        };
        let blocks = (0..self.depth)
            .map(|_| Block {
                norm1: norm(),
                attn: Attention {
                    qkv: linear(self.embed_dim, 3 * self.embed_dim),
                    proj: linear(self.embed_dim, self.embed_dim),
                    num_heads: self.num_heads,
                },
                ls1: layer_scale(),
                norm2: norm(),
                mlp: Mlp {
                    fc1: linear(self.embed_dim, self.mlp_hidden_dim),
                    fc2: linear(self.mlp_hidden_dim, self.embed_dim),
                },
                ls2: layer_scale(),
            })
            .collect();
        VisionTransformer {
            patch_embed: PatchEmbed {
                proj: Conv2dConfig::new(
                    [self.in_channels, self.embed_dim],
                    [self.patch_size, self.patch_size],
                )
                .with_stride([self.patch_size, self.patch_size])
                .with_initializer(small.clone())
                .init(device),
                norm: self
                    .patch_norm
                    .then(|| TokenBatchNorm::new(self.embed_dim, device)),
            },
            cls_token: small.init([1, 1, self.embed_dim], device),
            pos_embed: small.init([1, self.num_patches() + 1, self.embed_dim], device),
            blocks,
            norm: norm(),
            grid_size: self.grid_size(),
            input_mean: self.input_mean.to_vec(),
            input_std: self.input_std.to_vec(),
        }
    }
}

/// A learned per-channel scale of a residual branch (timm `LayerScale`, parameter `gamma`).
#[derive(Module, Debug)]
pub struct LayerScale {
    /// The scale, `[embed_dim]`.
    pub gamma: Param<Tensor<1>>,
}

impl LayerScale {
    /// Every channel scaled by `init`.
    pub fn new(dim: usize, init: f32, device: &Device) -> Self {
        Self {
            gamma: Param::from_tensor(Tensor::full([dim], init, device)),
        }
    }

    /// # Shapes
    /// - input and output: `[batch, tokens, embed_dim]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let dim = self.gamma.dims()[0];
        x * self.gamma.val().reshape([1, 1, dim])
    }
}

/// Non-overlapping patch embedding: a strided convolution, flattened to tokens.
#[derive(Module, Debug)]
pub struct PatchEmbed {
    /// Conv `in_channels -> embed_dim`, kernel = stride = patch size.
    pub proj: Conv2d,
    /// Optional BatchNorm over the tokens (timm's `PatchEmbed.norm` slot).
    pub norm: Option<TokenBatchNorm>,
}

impl PatchEmbed {
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, grid * grid, embed_dim]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<3> {
        let tokens = self.proj_tokens(images);
        match &self.norm {
            Some(norm) => norm.forward(tokens),
            None => tokens,
        }
    }

    /// The projected patches before the norm: what the norm's statistics describe.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, grid * grid, embed_dim]`
    pub fn proj_tokens(&self, images: Tensor<4>) -> Tensor<3> {
        let x = self.proj.forward(images); // [B, C, G, G]
        let [batch, channels, grid_h, grid_w] = x.dims();
        x.reshape([batch, channels, grid_h * grid_w])
            .swap_dims(1, 2) // [B, G*G, C]
    }
}

/// Multi-head self-attention with timm's fused `qkv` projection.
#[derive(Module, Debug)]
pub struct Attention {
    /// Fused projection `embed_dim -> 3 * embed_dim`, output ordered q | k | v.
    pub qkv: Linear,
    /// Output projection.
    pub proj: Linear,
    /// Number of heads.
    pub num_heads: usize,
}

impl Attention {
    /// # Shapes
    /// - tokens: `[batch, tokens, embed_dim]`
    /// - output: `[batch, tokens, embed_dim]`
    pub fn forward(&self, tokens: Tensor<3>) -> Tensor<3> {
        let qkv = linear(&self.qkv, tokens); // [B, N, 3C]
        let context = self_attention(qkv, self.num_heads); // [B, N, C]
        linear(&self.proj, context)
    }
}

/// Two-layer MLP with exact GELU.
#[derive(Module, Debug)]
pub struct Mlp {
    /// `embed_dim -> hidden`.
    pub fc1: Linear,
    /// `hidden -> embed_dim`.
    pub fc2: Linear,
}

impl Mlp {
    /// # Shapes
    /// - input and output: `[batch, tokens, embed_dim]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        linear(&self.fc2, gelu(linear(&self.fc1, x)))
    }
}

/// Pre-norm Transformer block: `x + ls1(attn(norm1(x)))`, then `x + ls2(mlp(norm2(x)))`
/// (without LayerScale, `ls1` and `ls2` are the identity).
#[derive(Module, Debug)]
pub struct Block {
    /// Norm before attention.
    pub norm1: LayerNorm,
    /// Self-attention.
    pub attn: Attention,
    /// LayerScale of the attention branch (DINOv2).
    pub ls1: Option<LayerScale>,
    /// Norm before the MLP.
    pub norm2: LayerNorm,
    /// Feed-forward network.
    pub mlp: Mlp,
    /// LayerScale of the MLP branch (DINOv2).
    pub ls2: Option<LayerScale>,
}

impl Block {
    /// # Shapes
    /// - input and output: `[batch, tokens, embed_dim]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let scaled = |scale: &Option<LayerScale>, branch: Tensor<3>| match scale {
            Some(scale) => scale.forward(branch),
            None => branch,
        };
        let x = x.clone() + scaled(&self.ls1, self.attn.forward(self.norm1.forward(x)));
        x.clone() + scaled(&self.ls2, self.mlp.forward(self.norm2.forward(x)))
    }
}

/// The ViT backbone. Returns all tokens after the final norm.
#[derive(Module, Debug)]
pub struct VisionTransformer {
    /// Patch embedding.
    pub patch_embed: PatchEmbed,
    /// Learned class token, `[1, 1, embed_dim]`.
    pub cls_token: Param<Tensor<3>>,
    /// Learned position embedding, `[1, 1 + patches, embed_dim]` (class token first).
    pub pos_embed: Param<Tensor<3>>,
    /// Transformer blocks.
    pub blocks: Vec<Block>,
    /// Final LayerNorm.
    pub norm: LayerNorm,
    /// Patches per side of the grid.
    pub grid_size: usize,
    /// Input normalisation: per-channel mean.
    pub input_mean: Vec<f32>,
    /// Input normalisation: per-channel standard deviation.
    pub input_std: Vec<f32>,
}

/// Every intermediate the parity tests compare with timm.
#[derive(Debug, Clone)]
pub struct VitIntermediates {
    /// Output of the patch embedding, `[batch, patches, embed_dim]`.
    pub patch_embed: Tensor<3>,
    /// Output of each block, `[batch, 1 + patches, embed_dim]`.
    pub blocks: Vec<Tensor<3>>,
    /// Output of the final norm, `[batch, 1 + patches, embed_dim]`.
    pub norm: Tensor<3>,
}

impl VisionTransformer {
    /// Token width.
    pub fn embed_dim(&self) -> usize {
        self.cls_token.dims()[2]
    }

    /// The configuration, read back from the module.
    pub fn config(&self) -> VitConfig {
        let first = &self.blocks[0];
        let [_, in_channels, patch, _] = self.patch_embed.proj.weight.dims();
        VitConfig::new()
            .with_image_size(self.grid_size * patch)
            .with_patch_size(patch)
            .with_in_channels(in_channels)
            .with_embed_dim(self.embed_dim())
            .with_depth(self.blocks.len())
            .with_num_heads(first.attn.num_heads)
            .with_mlp_hidden_dim(first.mlp.fc1.weight.dims()[1])
            .with_patch_norm(self.patch_embed.norm.is_some())
            .with_layer_scale(first.ls1.is_some())
            .with_input_mean(rgb(&self.input_mean))
            .with_input_std(rgb(&self.input_std))
    }

    /// Normalises [0, 1] images with the configured mean and standard deviation (nothing to
    /// do for the authors' ViTs, which take [0, 1] as is).
    fn normalise(&self, images: Tensor<4>) -> Tensor<4> {
        if self.input_mean.iter().all(|m| *m == 0.0) && self.input_std.iter().all(|s| *s == 1.0) {
            return images;
        }
        super::normalise_input(images, &self.input_mean, &self.input_std)
    }

    /// # Shapes
    /// - images: `[batch, channels, image_size, image_size]`, values in [0, 1]
    /// - output: `[batch, 1 + patches, embed_dim]`, class token first
    pub fn forward(&self, images: Tensor<4>) -> Tensor<3> {
        let x = self.embed_tokens(self.patch_embed.forward(self.normalise(images)));
        let x = self.blocks.iter().fold(x, |x, block| block.forward(x));
        self.norm.forward(x)
    }

    /// Like [`forward`](Self::forward) but keeps every intermediate.
    pub fn forward_intermediates(&self, images: Tensor<4>) -> VitIntermediates {
        let patch_embed = self.patch_embed.forward(self.normalise(images));
        let mut x = self.embed_tokens(patch_embed.clone());
        let mut blocks = Vec::with_capacity(self.blocks.len());
        for block in &self.blocks {
            x = block.forward(x);
            blocks.push(x.clone());
        }
        VitIntermediates {
            patch_embed,
            blocks,
            norm: self.norm.forward(x),
        }
    }

    /// Prepends the class token and adds the position embedding.
    ///
    /// # Shapes
    /// - patches: `[batch, patches, embed_dim]`
    /// - output: `[batch, 1 + patches, embed_dim]`
    fn embed_tokens(&self, patches: Tensor<3>) -> Tensor<3> {
        let [batch, _, dim] = patches.dims();
        let cls = self.cls_token.val().expand([batch, 1, dim]);
        Tensor::cat(vec![cls, patches], 1) + self.pos_embed.val()
    }
}

impl VisitParams for VisionTransformer {
    fn visit_params(&mut self, prefix: &str, visit: &mut dyn FnMut(&str, ParamSlot<'_>)) {
        self.patch_embed
            .proj
            .visit_params(&format!("{prefix}patch_embed.proj."), visit);
        if let Some(norm) = &mut self.patch_embed.norm {
            norm.visit_params(&format!("{prefix}patch_embed.norm."), visit);
        }
        visit(
            &format!("{prefix}cls_token"),
            ParamSlot::Rank3(&mut self.cls_token),
        );
        visit(
            &format!("{prefix}pos_embed"),
            ParamSlot::Rank3(&mut self.pos_embed),
        );
        for (i, block) in self.blocks.iter_mut().enumerate() {
            let p = format!("{prefix}blocks.{i}.");
            block.norm1.visit_params(&format!("{p}norm1."), visit);
            block.attn.qkv.visit_params(&format!("{p}attn.qkv."), visit);
            block
                .attn
                .proj
                .visit_params(&format!("{p}attn.proj."), visit);
            if let Some(scale) = &mut block.ls1 {
                visit(&format!("{p}ls1.gamma"), ParamSlot::Rank1(&mut scale.gamma));
            }
            block.norm2.visit_params(&format!("{p}norm2."), visit);
            block.mlp.fc1.visit_params(&format!("{p}mlp.fc1."), visit);
            block.mlp.fc2.visit_params(&format!("{p}mlp.fc2."), visit);
            if let Some(scale) = &mut block.ls2 {
                visit(&format!("{p}ls2.gamma"), ParamSlot::Rank1(&mut scale.gamma));
            }
        }
        self.norm.visit_params(&format!("{prefix}norm."), visit);
    }
}

/// The first three values of a per-channel vector (the config's fixed-size form).
fn rgb(values: &[f32]) -> [f32; 3] {
    [values[0], values[1], values[2]]
}
