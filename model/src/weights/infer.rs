//! Inferring an encoder's configuration from tensor shapes (and the file's metadata) when
//! the file does not carry [`CONFIG_METADATA_KEY`].

use super::{CONFIG_METADATA_KEY, StateDict, WeightsError};
use crate::backbone::BackboneConfig;
use crate::backbone::efficientnet::{
    BlockKind, BlockSpec, EfficientNetConfig, LITE_INPUT_MEAN, LITE_INPUT_STD, TF_BATCH_NORM_EPS,
    lite_stage_strides,
};
use crate::encoder::ArnetEncoderConfig;
use crate::mstr::MstrConfig;
use crate::vit::{IMAGENET_MEAN, IMAGENET_STD, VitConfig};

impl StateDict {
    fn shape(&self, name: &str) -> Option<&[usize]> {
        self.tensors.get(name).map(|t| t.shape.as_slice())
    }

    pub(super) fn config_error(&self, message: impl Into<String>) -> WeightsError {
        WeightsError::Config {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// The backbone configuration read from tensor shapes: an EfficientNet-Lite when the file
    /// has `conv_stem`, else a ViT. `heads` overrides a ViT's head count (default
    /// `embed_dim / 64`, at least 1).
    pub fn infer_backbone(&self, heads: Option<usize>) -> Result<BackboneConfig, WeightsError> {
        if self.tensors.contains_key("encoder.conv_stem.weight") {
            return self.infer_efficientnet().map(BackboneConfig::EfficientNet);
        }
        self.infer_vit(heads).map(BackboneConfig::Vit)
    }

    /// An EfficientNet-Lite read from shapes: widths, kernels and depths from the tensors, the
    /// strides from the Lite layout (shapes cannot tell them), input 224 px (any size works).
    fn infer_efficientnet(&self) -> Result<EfficientNetConfig, WeightsError> {
        let weight = |name: &str| -> Result<&[usize], WeightsError> {
            match self.shape(name) {
                Some(shape) if shape.len() == 4 => Ok(shape),
                Some(shape) => Err(self.config_error(format!(
                    "tensor {name} has shape {shape:?}, expected a convolution weight"
                ))),
                None => Err(self.config_error(format!(
                    "EfficientNet tensors incomplete: `{name}` is missing"
                ))),
            }
        };
        let stem = weight("encoder.conv_stem.weight")?;
        let (stem_channels, in_channels) = (stem[0], stem[1]);
        let strides = lite_stage_strides();
        let block = |s: usize, i: usize| format!("encoder.blocks.{s}.{i}");
        let stage_count = (0..)
            .take_while(|s| {
                self.shape(&format!("{}.conv_dw.weight", block(*s, 0)))
                    .is_some()
            })
            .count();
        if stage_count != strides.len() {
            return Err(self.config_error(format!(
                "an EfficientNet with {stage_count} stages: only the EfficientNet-Lite layout \
                 ({} stages) is known, and its strides cannot be read from shapes",
                strides.len()
            )));
        }
        let mut stages = Vec::with_capacity(stage_count);
        for (s, stage_stride) in strides.into_iter().enumerate() {
            let mut blocks = Vec::new();
            for i in 0.. {
                let prefix = block(s, i);
                let Some(dw) = self.shape(&format!("{prefix}.conv_dw.weight")) else {
                    break;
                };
                let dw = dw.to_vec();
                let stride = if i == 0 { stage_stride } else { 1 };
                let spec = if self.shape(&format!("{prefix}.conv_pwl.weight")).is_some() {
                    let pw = weight(&format!("{prefix}.conv_pw.weight"))?;
                    let pwl = weight(&format!("{prefix}.conv_pwl.weight"))?;
                    BlockSpec {
                        kind: BlockKind::InvertedResidual,
                        in_channels: pw[1],
                        mid_channels: pw[0],
                        out_channels: pwl[0],
                        kernel_size: dw[2],
                        stride,
                    }
                } else {
                    let pw = weight(&format!("{prefix}.conv_pw.weight"))?;
                    BlockSpec {
                        kind: BlockKind::DepthwiseSeparable,
                        in_channels: dw[0],
                        mid_channels: dw[0],
                        out_channels: pw[0],
                        kernel_size: dw[2],
                        stride,
                    }
                };
                blocks.push(spec);
            }
            stages.push(blocks);
        }
        let head_channels = weight("encoder.conv_head.weight")?[0];
        let config = EfficientNetConfig {
            image_size: 224,
            in_channels,
            stem_channels,
            stages,
            head_channels,
            batch_norm_eps: TF_BATCH_NORM_EPS,
            input_mean: self.channel_metadata("input_mean", LITE_INPUT_MEAN)?,
            input_std: self.channel_metadata("input_std", LITE_INPUT_STD)?,
        };
        config.validate().map_err(|m| self.config_error(m))?;
        Ok(config)
    }

    /// Three comma-separated numbers from metadata `key` (a converter's `input_mean` /
    /// `input_std`), or `default` when the file has no such key.
    fn channel_metadata(&self, key: &str, default: [f32; 3]) -> Result<[f32; 3], WeightsError> {
        let Some(text) = self.metadata.get(key) else {
            return Ok(default);
        };
        let values: Vec<f32> = text
            .split(',')
            .map(|v| v.trim().parse::<f32>())
            .collect::<Result<_, _>>()
            .map_err(|e| self.config_error(format!("metadata {key} = {text:?}: {e}")))?;
        values
            .try_into()
            .map_err(|_| self.config_error(format!("metadata {key} needs 3 values")))
    }

    fn infer_vit(&self, heads: Option<usize>) -> Result<VitConfig, WeightsError> {
        let need = |name: &str, rank: usize| -> Result<&[usize], WeightsError> {
            match self.shape(name) {
                Some(shape) if shape.len() == rank => Ok(shape),
                Some(shape) => Err(self.config_error(format!(
                    "tensor {name} has shape {shape:?}, expected rank {rank}"
                ))),
                None => {
                    Err(self
                        .config_error(format!("no ViT backbone found: tensor `{name}` is missing")))
                }
            }
        };
        let embed_dim = need("encoder.cls_token", 3)?[2];
        let proj = need("encoder.patch_embed.proj.weight", 4)?;
        let (in_channels, patch_size) = (proj[1], proj[2]);
        let positions = need("encoder.pos_embed", 3)?[1];
        let patches = positions.saturating_sub(1);
        let grid = (patches as f64).sqrt().round() as usize;
        if grid * grid != patches {
            return Err(self.config_error(format!(
                "pos_embed has {positions} positions: not 1 + a square number of patches"
            )));
        }
        let depth = (0..)
            .take_while(|i| {
                self.shape(&format!("encoder.blocks.{i}.norm1.weight"))
                    .is_some()
            })
            .count();
        let mlp_hidden_dim = need("encoder.blocks.0.mlp.fc1.weight", 2)?[0];
        let num_heads = match (heads, self.metadata.get("num_heads")) {
            (Some(heads), _) => heads,
            (None, Some(text)) => text
                .trim()
                .parse()
                .map_err(|e| self.config_error(format!("metadata num_heads = {text:?}: {e}")))?,
            (None, None) => (embed_dim / 64).max(1),
        };
        // LayerScale means DINOv2, which takes ImageNet-normalised input; the authors' ViTs
        // take [0, 1]. A converter's metadata says it outright.
        let layer_scale = self.shape("encoder.blocks.0.ls1.gamma").is_some();
        let (mean, std) = if layer_scale {
            (IMAGENET_MEAN, IMAGENET_STD)
        } else {
            ([0.0; 3], [1.0; 3])
        };
        let config = VitConfig::new()
            .with_image_size(grid * patch_size)
            .with_patch_size(patch_size)
            .with_in_channels(in_channels)
            .with_embed_dim(embed_dim)
            .with_depth(depth)
            .with_num_heads(num_heads)
            .with_mlp_hidden_dim(mlp_hidden_dim)
            .with_patch_norm(self.shape("encoder.patch_embed.norm.weight").is_some())
            .with_layer_scale(layer_scale)
            .with_input_mean(self.channel_metadata("input_mean", mean)?)
            .with_input_std(self.channel_metadata("input_std", std)?);
        config.validate().map_err(|m| self.config_error(m))?;
        Ok(config)
    }

    /// The encoder configuration: the file's own if it has one (its head count replaced by
    /// `heads` when given), else read from shapes. MSTR found in the tensors but not described
    /// by metadata gets the paper's defaults for everything shapes do not tell.
    pub fn infer_config(&self, heads: Option<usize>) -> Result<ArnetEncoderConfig, WeightsError> {
        if let Some(config) = &self.config {
            let mut config = config.clone();
            if let (Some(heads), BackboneConfig::Vit(vit)) = (heads, &mut config.backbone) {
                vit.num_heads = heads;
                vit.validate().map_err(|m| self.config_error(m))?;
            }
            return Ok(config);
        }
        let backbone = self.infer_backbone(heads)?;
        let embedding_dim = match self.shape("mlp_head.0.weight") {
            Some(&[out, _]) => out,
            _ => crate::encoder::EMBEDDING_DIM,
        };
        let mstr = if self.tensors.keys().any(|k| k.starts_with("mstr.")) {
            Some(self.infer_mstr(&backbone)?)
        } else {
            None
        };
        Ok(ArnetEncoderConfig::new(backbone)
            .with_embedding_dim(embedding_dim)
            .with_mstr(mstr))
    }

    fn infer_mstr(&self, backbone: &BackboneConfig) -> Result<MstrConfig, WeightsError> {
        let scales = (0..)
            .take_while(|s| {
                self.shape(&format!("mstr.scales.{s}.layers.0.norm1.weight"))
                    .is_some()
            })
            .count();
        let layers = (0..)
            .take_while(|l| {
                self.shape(&format!("mstr.scales.0.layers.{l}.norm1.weight"))
                    .is_some()
            })
            .count();
        let feedforward = match self.shape("mstr.scales.0.layers.0.linear1.weight") {
            Some(&[ff, _]) => ff,
            _ => return Err(self.config_error("MSTR tensors present but incomplete")),
        };
        let tokens = match self.shape("mstr.token_mix.weight") {
            Some(&[1, t]) => t,
            _ => return Err(self.config_error("MSTR tensors present but `mstr.token_mix` is not")),
        };
        let defaults = MstrConfig::new();
        let grid = backbone.grid_size();
        let candidates = window_sets(grid, scales, tokens);
        let windows = if candidates.contains(&defaults.window_sizes) {
            defaults.window_sizes.clone()
        } else if candidates.len() == 1 {
            candidates[0].clone()
        } else {
            return Err(self.config_error(format!(
                "MSTR with {scales} scales and {tokens} tokens on a {grid} x {grid} grid and no \
                 `{CONFIG_METADATA_KEY}` metadata: cannot tell its window sizes"
            )));
        };
        let mut config = defaults
            .with_window_sizes(windows)
            .with_layers_per_scale(layers)
            .with_feedforward_dim(feedforward);
        if !backbone.feature_dim().is_multiple_of(config.num_heads) {
            config.num_heads = 1;
        }
        Ok(config)
    }
}

/// Every increasing set of `scales` window sides that divide `grid` and together make
/// `tokens` tokens.
fn window_sets(grid: usize, scales: usize, tokens: usize) -> Vec<Vec<usize>> {
    let divisors: Vec<usize> = (1..=grid).filter(|d| grid.is_multiple_of(*d)).collect();
    let mut found = Vec::new();
    let mut current = Vec::new();
    fn search(
        divisors: &[usize],
        grid: usize,
        left: usize,
        tokens: usize,
        current: &mut Vec<usize>,
        found: &mut Vec<Vec<usize>>,
    ) {
        if left == 0 {
            if tokens == 0 {
                found.push(current.clone());
            }
            return;
        }
        for (i, &w) in divisors.iter().enumerate() {
            let count = (grid / w) * (grid / w);
            if count <= tokens {
                current.push(w);
                search(
                    &divisors[i + 1..],
                    grid,
                    left - 1,
                    tokens - count,
                    current,
                    found,
                );
                current.pop();
            }
        }
    }
    search(&divisors, grid, scales, tokens, &mut current, &mut found);
    found
}
