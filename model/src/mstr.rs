//! MSTR, multi-scale token recycling (ARNet full model).
//!
//! The patch tokens of the backbone (a `G x G` grid) are averaged over square windows of each
//! configured size (1 x 1, 2 x 2 and 7 x 7 for ViT-B/16's 14 x 14 grid: 196 + 49 + 4 = 249
//! tokens), each scale runs through its own stack of post-norm Transformer layers attending
//! over that scale's tokens, the scales are concatenated, and a Linear across the token axis
//! (`249 -> 1`) mixes them into one vector. The recycled class feature is
//! `0.9 * class token + 0.1 * that vector`. In training, the recycling loss (Eq. 3) pulls the
//! channel-pooled token similarity matrix towards the target built by [`recycling_target`].
//!
//! # Where this departs from the authors' code, and why
//! `docs/model.md` (section "Where this implementation follows the authors' code rather than
//! the paper") lists where the public PyTorch code differs from the paper. Here we follow the
//! paper in every case:
//! - Scales are **spatial windows** on the patch grid. The authors group consecutive tokens in
//!   raster order (`view(B, N/s^2, s, s, C)`), so their 7-token "windows" straddle grid rows.
//! - The per-scale Transformers are **registered parameters**: trained and saved. The authors
//!   keep them in a Python list, so they are never trained nor saved, and published full-model
//!   checkpoints cannot restore them.
//! - Attention runs **across tokens**. The authors feed `(B, N, C)` to a
//!   `batch_first=False` layer, so their attention mixes samples of the batch; that also makes
//!   an embedding depend on its batch, which a retrieval system cannot accept.
//! - The target matrix is built from window overlap (see [`recycling_target`]) and is
//!   symmetric; the authors' builder writes some blocks twice and leaves others unset.
//! - The augmented view goes through MSTR as well (the authors take its class token from the
//!   backbone alone).

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::{relu, softmax};
use burn::tensor::{Device, Tensor, TensorData};

use crate::params::{ParamSlot, VisitParams};
use crate::vit::Attention;

/// PyTorch `nn.LayerNorm` default epsilon, used by `nn.TransformerEncoderLayer`.
const TORCH_LAYER_NORM_EPS: f64 = 1e-5;

/// MSTR hyper-parameters. Defaults are the paper's.
#[derive(Config, Debug, PartialEq)]
pub struct MstrConfig {
    /// Window sides on the patch grid, one scale each (LayS = 3).
    #[config(default = "vec![1, 2, 7]")]
    pub window_sizes: Vec<usize>,
    /// Transformer layers per scale (LayT = 2).
    #[config(default = 2)]
    pub layers_per_scale: usize,
    /// Attention heads of the per-scale layers.
    #[config(default = 8)]
    pub num_heads: usize,
    /// Feed-forward width of the per-scale layers.
    #[config(default = 2048)]
    pub feedforward_dim: usize,
    /// Dropout of the per-scale layers (PyTorch's default 0.1), active only in training.
    #[config(default = 0.1)]
    pub dropout: f64,
    /// Weight of the class token in the recycled feature (the MSTR vector gets `1 - this`).
    #[config(default = 0.9)]
    pub class_token_weight: f64,
    /// Channel groups of the recycling loss (Dim = 16).
    #[config(default = 16)]
    pub pooled_dim: usize,
}

/// Why an MSTR configuration cannot be built for a backbone.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MstrError {
    /// A window side does not divide the patch grid's side.
    #[error(
        "MSTR window size {window} does not divide the {grid} x {grid} patch grid \
         (window sizes must divide the grid side; use e.g. --mstr-windows with divisors of {grid})"
    )]
    WindowDoesNotDivideGrid {
        /// The offending window side.
        window: usize,
        /// The grid side.
        grid: usize,
    },
    /// The token width is not divisible by the head count or by the pooled dimension.
    #[error("MSTR token width {embed_dim} is not divisible by {what} {value}")]
    WidthNotDivisible {
        /// The token width.
        embed_dim: usize,
        /// Which divisor.
        what: &'static str,
        /// Its value.
        value: usize,
    },
    /// No scales were configured.
    #[error("MSTR needs at least one window size")]
    NoScales,
}

impl MstrConfig {
    /// Tokens produced by all scales together for a `grid x grid` patch grid.
    pub fn total_tokens(&self, grid: usize) -> usize {
        self.window_sizes
            .iter()
            .map(|w| (grid / w) * (grid / w))
            .sum()
    }

    /// Checks that this configuration fits a backbone of `embed_dim` and a `grid x grid` grid.
    pub fn validate(&self, embed_dim: usize, grid: usize) -> Result<(), MstrError> {
        if self.window_sizes.is_empty() {
            return Err(MstrError::NoScales);
        }
        for &window in &self.window_sizes {
            if window == 0 || !grid.is_multiple_of(window) {
                return Err(MstrError::WindowDoesNotDivideGrid { window, grid });
            }
        }
        for (what, value) in [("heads", self.num_heads), ("pooled dim", self.pooled_dim)] {
            if value == 0 || !embed_dim.is_multiple_of(value) {
                return Err(MstrError::WidthNotDivisible {
                    embed_dim,
                    what,
                    value,
                });
            }
        }
        Ok(())
    }

    /// Builds the module for a backbone of width `embed_dim` and a `grid x grid` patch grid.
    pub fn init(&self, embed_dim: usize, grid: usize, device: &Device) -> Result<Mstr, MstrError> {
        self.validate(embed_dim, grid)?;
        let norm = || {
            LayerNormConfig::new(embed_dim)
                .with_epsilon(TORCH_LAYER_NORM_EPS)
                .init(device)
        };
        let layer = || MstrLayer {
            self_attn: Attention {
                qkv: LinearConfig::new(embed_dim, 3 * embed_dim).init(device),
                proj: LinearConfig::new(embed_dim, embed_dim).init(device),
                num_heads: self.num_heads,
            },
            linear1: LinearConfig::new(embed_dim, self.feedforward_dim).init(device),
            linear2: LinearConfig::new(self.feedforward_dim, embed_dim).init(device),
            norm1: norm(),
            norm2: norm(),
            dropout: DropoutConfig::new(self.dropout).init(),
        };
        let scales = self
            .window_sizes
            .iter()
            .map(|_| ScaleEncoder {
                layers: (0..self.layers_per_scale).map(|_| layer()).collect(),
            })
            .collect();
        Ok(Mstr {
            scales,
            token_mix: LinearConfig::new(self.total_tokens(grid), 1).init(device),
            window_sizes: self.window_sizes.clone(),
            grid_size: grid,
            class_token_weight: self.class_token_weight,
            pooled_dim: self.pooled_dim,
        })
    }
}

/// One post-norm Transformer encoder layer, as PyTorch's `nn.TransformerEncoderLayer`
/// (ReLU, `norm_first = False`) and with its parameter names.
#[derive(Module, Debug)]
pub struct MstrLayer {
    /// Self-attention (PyTorch `self_attn.in_proj_*` / `self_attn.out_proj`).
    pub self_attn: Attention,
    /// Feed-forward in.
    pub linear1: Linear,
    /// Feed-forward out.
    pub linear2: Linear,
    /// Norm after attention.
    pub norm1: LayerNorm,
    /// Norm after the feed-forward.
    pub norm2: LayerNorm,
    /// Dropout (attention weights, after attention, inside and after the feed-forward).
    pub dropout: Dropout,
}

impl MstrLayer {
    /// # Shapes
    /// - input and output: `[batch, tokens, embed_dim]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let attended = self.attention(x.clone());
        let x = self.norm1.forward(x + self.dropout.forward(attended));
        let hidden = self.dropout.forward(relu(self.linear1.forward(x.clone())));
        let x2 = self.dropout.forward(self.linear2.forward(hidden));
        self.norm2.forward(x + x2)
    }

    /// Attention with dropout on the attention weights, as `nn.MultiheadAttention` does in
    /// training. In inference the fused kernel of [`Attention`] is used.
    fn attention(&self, x: Tensor<3>) -> Tensor<3> {
        if !x.device().is_autodiff() || self.dropout.prob == 0.0 {
            return self.self_attn.forward(x);
        }
        let [batch, seq, dim] = x.dims();
        let heads = self.self_attn.num_heads;
        let head_dim = dim / heads;
        let qkv = self.self_attn.qkv.forward(x); // [B, N, 3C]
        let split = |i: usize| {
            qkv.clone()
                .narrow(2, i * dim, dim)
                .reshape([batch, seq, heads, head_dim])
                .swap_dims(1, 2) // [B, H, N, hd]
        };
        let scores = split(0).matmul(split(1).swap_dims(2, 3)) / (head_dim as f64).sqrt();
        let weights = self.dropout.forward(softmax(scores, 3)); // [B, H, N, N]
        let context = weights
            .matmul(split(2))
            .swap_dims(1, 2)
            .reshape([batch, seq, dim]);
        self.self_attn.proj.forward(context)
    }
}

/// The Transformer layers of one scale.
#[derive(Module, Debug)]
pub struct ScaleEncoder {
    /// Layers, applied in order.
    pub layers: Vec<MstrLayer>,
}

/// The MSTR module. Build it with [`MstrConfig::init`].
#[derive(Module, Debug)]
pub struct Mstr {
    /// One encoder per scale, in the order of `window_sizes`.
    pub scales: Vec<ScaleEncoder>,
    /// Linear across the token axis, `total tokens -> 1`.
    pub token_mix: Linear,
    /// Window side of each scale.
    pub window_sizes: Vec<usize>,
    /// Patches per side of the grid.
    pub grid_size: usize,
    /// Weight of the class token in the recycled feature.
    pub class_token_weight: f64,
    /// Channel groups of the recycling loss.
    pub pooled_dim: usize,
}

/// What MSTR produces for a batch.
#[derive(Debug, Clone)]
pub struct MstrOutput {
    /// Recycled class feature, `[batch, embed_dim]`.
    pub class_feature: Tensor<2>,
    /// All scales' tokens after their Transformers, `[batch, total tokens, embed_dim]`.
    pub tokens: Tensor<3>,
}

impl Mstr {
    /// # Shapes
    /// - class_token: `[batch, embed_dim]`
    /// - patch_tokens: `[batch, grid * grid, embed_dim]`, raster order
    pub fn forward(&self, class_token: Tensor<2>, patch_tokens: Tensor<3>) -> MstrOutput {
        let [batch, _, dim] = patch_tokens.dims();
        let per_scale = self
            .window_sizes
            .iter()
            .zip(&self.scales)
            .map(|(&window, scale)| {
                let pooled = window_mean(patch_tokens.clone(), self.grid_size, window);
                scale
                    .layers
                    .iter()
                    .fold(pooled, |x, layer| layer.forward(x))
            })
            .collect();
        let tokens = Tensor::cat(per_scale, 1); // [B, T, C]
        let mixed = self
            .token_mix
            .forward(tokens.clone().swap_dims(1, 2)) // [B, C, 1]
            .reshape([batch, dim]);
        let class_feature =
            class_token * self.class_token_weight + mixed * (1.0 - self.class_token_weight);
        MstrOutput {
            class_feature,
            tokens,
        }
    }

    /// The recycling loss of Eq. 3, averaged over the batch.
    ///
    /// Each token's channels are average-pooled into `pooled_dim` groups, `S = P P^T`
    /// (no normalisation), and the loss is `mean((S - MAP)^2)`.
    ///
    /// # Shapes
    /// - tokens: `[batch, total tokens, embed_dim]` (from [`MstrOutput::tokens`])
    /// - output: `[1]`
    pub fn recycling_loss(&self, tokens: Tensor<3>) -> Tensor<1> {
        let [batch, count, dim] = tokens.dims();
        let groups = self.pooled_dim;
        let pooled = tokens
            .reshape([batch, count, groups, dim / groups])
            .mean_dim(3)
            .reshape([batch, count, groups]);
        let similarity = pooled.clone().matmul(pooled.swap_dims(1, 2)); // [B, T, T]
        let target = recycling_target(self.grid_size, &self.window_sizes);
        let target = Tensor::<2>::from_data(
            TensorData::new(target, [count, count]),
            &similarity.device(),
        )
        .unsqueeze_dim::<3>(0);
        (similarity - target).square().mean()
    }
}

/// Averages the patch tokens over non-overlapping `window x window` squares of the grid.
///
/// # Shapes
/// - tokens: `[batch, grid * grid, embed_dim]`, raster order
/// - output: `[batch, (grid / window)^2, embed_dim]`, raster order over the windows
pub fn window_mean(tokens: Tensor<3>, grid: usize, window: usize) -> Tensor<3> {
    if window == 1 {
        return tokens;
    }
    let [batch, _, dim] = tokens.dims();
    let cells = grid / window;
    tokens
        .reshape([batch, cells, window, cells, window, dim])
        .mean_dim(4)
        .mean_dim(2) // [B, cells, 1, cells, 1, C]
        .reshape([batch, cells * cells, dim])
}

/// The target (MAP) of the recycling loss, row-major `T x T` for the concatenated scales.
///
/// 1 on the diagonal; 0 between different tokens of the same scale; 0.5 between tokens of
/// different scales whose windows on the grid overlap (partial overlap counts), in both
/// directions; 0 elsewhere. Symmetric by construction.
pub fn recycling_target(grid: usize, window_sizes: &[usize]) -> Vec<f32> {
    // Each token as (scale, row span, column span) on the patch grid.
    let windows: Vec<(usize, [usize; 2], [usize; 2])> = window_sizes
        .iter()
        .enumerate()
        .flat_map(|(scale, &w)| {
            let cells = grid / w;
            (0..cells * cells).map(move |k| {
                let (r, c) = (k / cells, k % cells);
                (scale, [r * w, (r + 1) * w], [c * w, (c + 1) * w])
            })
        })
        .collect();
    let overlaps = |a: [usize; 2], b: [usize; 2]| a[0] < b[1] && b[0] < a[1];
    let count = windows.len();
    let mut target = vec![0.0; count * count];
    for (i, &(scale_i, rows_i, cols_i)) in windows.iter().enumerate() {
        for (j, &(scale_j, rows_j, cols_j)) in windows.iter().enumerate() {
            target[i * count + j] = if i == j {
                1.0
            } else if scale_i != scale_j && overlaps(rows_i, rows_j) && overlaps(cols_i, cols_j) {
                0.5
            } else {
                0.0
            };
        }
    }
    target
}

impl VisitParams for Mstr {
    fn visit_params(&mut self, prefix: &str, visit: &mut dyn FnMut(&str, ParamSlot<'_>)) {
        for (s, scale) in self.scales.iter_mut().enumerate() {
            for (l, layer) in scale.layers.iter_mut().enumerate() {
                let p = format!("{prefix}scales.{s}.layers.{l}.");
                // PyTorch's nn.MultiheadAttention names its fused projection `in_proj_*`.
                let attn = &mut layer.self_attn;
                visit(
                    &format!("{p}self_attn.in_proj_weight"),
                    ParamSlot::LinearWeight(&mut attn.qkv.weight),
                );
                if let Some(bias) = &mut attn.qkv.bias {
                    visit(
                        &format!("{p}self_attn.in_proj_bias"),
                        ParamSlot::Rank1(bias),
                    );
                }
                attn.proj
                    .visit_params(&format!("{p}self_attn.out_proj."), visit);
                layer.linear1.visit_params(&format!("{p}linear1."), visit);
                layer.linear2.visit_params(&format!("{p}linear2."), visit);
                layer.norm1.visit_params(&format!("{p}norm1."), visit);
                layer.norm2.visit_params(&format!("{p}norm2."), visit);
            }
        }
        self.token_mix
            .visit_params(&format!("{prefix}token_mix."), visit);
    }
}
