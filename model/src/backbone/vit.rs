//! Vision Transformer backbone with timm's structure and parameter names.
//!
//! Field names mirror timm's `VisionTransformer` (`patch_embed.proj`, `cls_token`, `pos_embed`,
//! `blocks.N.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}`, `norm`) so that loading a
//! checkpoint is a walk over the same names (see [`crate::weights`]), not a renaming exercise.
//!
//! Details that silently break parity with timm and are therefore pinned here:
//! LayerNorm eps is 1e-6 (Burn's transformer default is 1e-5), GELU is the exact erf form,
//! q, k and v come out of one fused `qkv` Linear with bias, and the backbone returns every token
//! (class token first) after the final norm, as ARNet uses the class token and the patch tokens.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::gelu;
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{Device, Tensor};

use crate::params::{ParamSlot, VisitParams};
use crate::patch_norm::TokenBatchNorm;

/// LayerNorm epsilon used by timm's ViT (`partial(nn.LayerNorm, eps=1e-6)`).
pub const TIMM_LAYER_NORM_EPS: f64 = 1e-6;

/// Shape of a ViT backbone. Presets name the timm models they reproduce.
#[derive(Config, Debug, PartialEq, Eq)]
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
}

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
        let blocks = (0..self.depth)
            .map(|_| Block {
                norm1: norm(),
                attn: Attention {
                    qkv: linear(self.embed_dim, 3 * self.embed_dim),
                    proj: linear(self.embed_dim, self.embed_dim),
                    num_heads: self.num_heads,
                },
                norm2: norm(),
                mlp: Mlp {
                    fc1: linear(self.embed_dim, self.mlp_hidden_dim),
                    fc2: linear(self.mlp_hidden_dim, self.embed_dim),
                },
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
        }
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
        let [batch, seq, dim] = tokens.dims();
        let head_dim = dim / self.num_heads;
        let qkv = self.qkv.forward(tokens); // [B, N, 3C]
        let heads = |i: usize| {
            qkv.clone()
                .narrow(2, i * dim, dim)
                .reshape([batch, seq, self.num_heads, head_dim])
                .swap_dims(1, 2) // [B, H, N, hd]
        };
        let context = attention(
            heads(0),
            heads(1),
            heads(2),
            None,
            None,
            AttentionModuleOptions::default(),
        ); // [B, H, N, hd]
        let context = context.swap_dims(1, 2).reshape([batch, seq, dim]);
        self.proj.forward(context)
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
        self.fc2.forward(gelu(self.fc1.forward(x)))
    }
}

/// Pre-norm Transformer block: `x + attn(norm1(x))`, then `x + mlp(norm2(x))`.
#[derive(Module, Debug)]
pub struct Block {
    /// Norm before attention.
    pub norm1: LayerNorm,
    /// Self-attention.
    pub attn: Attention,
    /// Norm before the MLP.
    pub norm2: LayerNorm,
    /// Feed-forward network.
    pub mlp: Mlp,
}

impl Block {
    /// # Shapes
    /// - input and output: `[batch, tokens, embed_dim]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let x = x.clone() + self.attn.forward(self.norm1.forward(x));
        x.clone() + self.mlp.forward(self.norm2.forward(x))
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
    }

    /// # Shapes
    /// - images: `[batch, channels, image_size, image_size]`, values in [0, 1]
    /// - output: `[batch, 1 + patches, embed_dim]`, class token first
    pub fn forward(&self, images: Tensor<4>) -> Tensor<3> {
        let x = self.embed_tokens(self.patch_embed.forward(images));
        let x = self.blocks.iter().fold(x, |x, block| block.forward(x));
        self.norm.forward(x)
    }

    /// Like [`forward`](Self::forward) but keeps every intermediate.
    pub fn forward_intermediates(&self, images: Tensor<4>) -> VitIntermediates {
        let patch_embed = self.patch_embed.forward(images);
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
            block.norm2.visit_params(&format!("{p}norm2."), visit);
            block.mlp.fc1.visit_params(&format!("{p}mlp.fc1."), visit);
            block.mlp.fc2.visit_params(&format!("{p}mlp.fc2."), visit);
        }
        self.norm.visit_params(&format!("{prefix}norm."), visit);
    }
}
