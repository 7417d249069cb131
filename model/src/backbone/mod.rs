//! The backbones an ARNet encoder can have, behind one enum.
//!
//! - [`vit`]: timm's Vision Transformer (the paper's ViT-B/16 and smaller), with the optional
//!   patch-token BatchNorm of [`patch_norm`] for training from scratch.
//! - [`efficientnet`]: EfficientNet-Lite, a CNN with ImageNet weights that can be had here,
//!   with its [`frozen_batch_norm`].
//!
//! Every backbone takes images in [0, 1] (it applies its own input normalisation) and gives a
//! class feature (`[batch, dim]`: the ViT's class token, the CNN's pooled feature) and a square
//! grid of tokens (`[batch, grid * grid, dim]`: patch tokens, feature-map cells) for MSTR.
//!
//! # Saved configuration
//! [`BackboneConfig`] is saved in every weight file the project writes. A ViT is written as the
//! plain [`VitConfig`] object (what files from before this enum hold, so they still load); an
//! EfficientNet as `{"efficientnet": {...}}`.

pub mod efficientnet;
pub mod frozen_batch_norm;
pub mod patch_norm;
pub mod vit;

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::params::{ParamSlot, VisitParams};
use efficientnet::{EfficientNet, EfficientNetConfig};
use vit::{SavedVitConfig, VisionTransformer, VitConfig};

/// Which backbone, with its shape.
#[derive(Debug, Clone, PartialEq)]
pub enum BackboneConfig {
    /// A Vision Transformer.
    Vit(VitConfig),
    /// An EfficientNet-Lite.
    EfficientNet(EfficientNetConfig),
}

impl From<VitConfig> for BackboneConfig {
    fn from(config: VitConfig) -> Self {
        Self::Vit(config)
    }
}

impl From<EfficientNetConfig> for BackboneConfig {
    fn from(config: EfficientNetConfig) -> Self {
        Self::EfficientNet(config)
    }
}

/// The JSON forms of [`BackboneConfig`] (see the module docs).
#[derive(Serialize)]
#[serde(untagged)]
enum BackboneConfigJson {
    EfficientNet { efficientnet: EfficientNetConfig },
    Vit(VitConfig),
}

/// The JSON forms read back: a ViT's fields added since the first files default there.
#[derive(Deserialize)]
#[serde(untagged)]
enum SavedBackboneConfig {
    EfficientNet { efficientnet: EfficientNetConfig },
    Vit(SavedVitConfig),
}

impl Serialize for BackboneConfig {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.clone() {
            Self::Vit(vit) => BackboneConfigJson::Vit(vit),
            Self::EfficientNet(efficientnet) => BackboneConfigJson::EfficientNet { efficientnet },
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for BackboneConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match SavedBackboneConfig::deserialize(deserializer)? {
            SavedBackboneConfig::Vit(vit) => Self::Vit(vit.into()),
            SavedBackboneConfig::EfficientNet { efficientnet } => Self::EfficientNet(efficientnet),
        })
    }
}

impl BackboneConfig {
    /// Width of the class feature and of the tokens.
    pub fn feature_dim(&self) -> usize {
        match self {
            Self::Vit(c) => c.embed_dim,
            Self::EfficientNet(c) => c.head_channels,
        }
    }

    /// Side of the token grid (patch grid, last feature map).
    pub fn grid_size(&self) -> usize {
        match self {
            Self::Vit(c) => c.grid_size(),
            Self::EfficientNet(c) => c.grid_size(),
        }
    }

    /// Side of the input image in pixels.
    pub fn image_size(&self) -> usize {
        match self {
            Self::Vit(c) => c.image_size,
            Self::EfficientNet(c) => c.image_size,
        }
    }

    /// The ViT's configuration, if this is one.
    pub fn vit(&self) -> Option<&VitConfig> {
        match self {
            Self::Vit(c) => Some(c),
            Self::EfficientNet(_) => None,
        }
    }

    /// Checks the constraints the network relies on.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Self::Vit(c) => c.validate(),
            Self::EfficientNet(c) => c.validate(),
        }
    }

    /// Builds a randomly initialised backbone.
    ///
    /// # Panics
    /// Panics if [`validate`](Self::validate) fails.
    pub fn init(&self, device: &Device) -> Backbone {
        match self {
            Self::Vit(c) => Backbone::Vit(c.init(device)),
            Self::EfficientNet(c) => Backbone::EfficientNet(c.init(device)),
        }
    }
}

/// A backbone module.
// One per encoder, built once: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Backbone {
    /// A Vision Transformer.
    Vit(VisionTransformer),
    /// An EfficientNet-Lite.
    EfficientNet(EfficientNet),
}

/// What a backbone computes for a batch.
#[derive(Debug, Clone)]
pub struct BackboneOutput {
    /// The class feature, `[batch, dim]`.
    pub class_feature: Tensor<2>,
    /// The token grid in raster order, `[batch, grid * grid, dim]`.
    pub tokens: Tensor<3>,
}

impl Backbone {
    /// # Shapes
    /// - images: `[batch, 3, size, size]`, values in [0, 1]
    pub fn forward(&self, images: Tensor<4>) -> BackboneOutput {
        match self {
            Self::Vit(vit) => {
                let tokens = vit.forward(images); // [B, 1 + P, C]
                let [batch, count, dim] = tokens.dims();
                BackboneOutput {
                    class_feature: tokens.clone().narrow(1, 0, 1).reshape([batch, dim]),
                    tokens: tokens.narrow(1, 1, count - 1),
                }
            }
            Self::EfficientNet(net) => {
                let out = net.forward(images);
                BackboneOutput {
                    class_feature: out.pooled,
                    tokens: out.tokens,
                }
            }
        }
    }

    /// The configuration, read back from the module.
    pub fn config(&self) -> BackboneConfig {
        match self {
            Self::Vit(vit) => BackboneConfig::Vit(vit.config()),
            Self::EfficientNet(net) => BackboneConfig::EfficientNet(net.config()),
        }
    }

    /// Width of the class feature.
    pub fn feature_dim(&self) -> usize {
        match self {
            Self::Vit(vit) => vit.embed_dim(),
            Self::EfficientNet(net) => net.feature_dim(),
        }
    }

    /// Side of the input image in pixels.
    pub fn image_size(&self) -> usize {
        match self {
            Self::Vit(vit) => vit.grid_size * vit.patch_embed.proj.weight.dims()[2],
            Self::EfficientNet(net) => net.image_size,
        }
    }

    /// The ViT, if this is one.
    pub fn vit(&self) -> Option<&VisionTransformer> {
        match self {
            Self::Vit(vit) => Some(vit),
            Self::EfficientNet(_) => None,
        }
    }

    /// The ViT, mutably, if this is one.
    pub fn vit_mut(&mut self) -> Option<&mut VisionTransformer> {
        match self {
            Self::Vit(vit) => Some(vit),
            Self::EfficientNet(_) => None,
        }
    }

    /// A short description for people ("ViT 224 px, 192 wide, 4 blocks").
    pub fn describe(&self) -> String {
        match self {
            Self::Vit(vit) => format!(
                "ViT {} px, {} wide, {} blocks",
                self.image_size(),
                vit.embed_dim(),
                vit.blocks.len()
            ),
            Self::EfficientNet(net) => format!(
                "EfficientNet-Lite {} px, {} blocks, {} features",
                net.image_size,
                net.blocks.iter().map(|s| s.blocks.len()).sum::<usize>(),
                net.feature_dim()
            ),
        }
    }
}

/// `(images - mean) / std` per channel, the input normalisation a backbone's config names.
///
/// # Shapes
/// - images and output: `[batch, channels, height, width]`; `mean`, `std`: `[channels]`
fn normalise_input(images: Tensor<4>, mean: &[f32], std: &[f32]) -> Tensor<4> {
    let device = images.device();
    let channels = mean.len();
    let mean = Tensor::<1>::from_floats(mean, &device).reshape([1, channels, 1, 1]);
    let std = Tensor::<1>::from_floats(std, &device).reshape([1, channels, 1, 1]);
    (images - mean) / std
}

impl VisitParams for Backbone {
    fn visit_params(&mut self, prefix: &str, visit: &mut dyn FnMut(&str, ParamSlot<'_>)) {
        match self {
            Self::Vit(vit) => vit.visit_params(prefix, visit),
            Self::EfficientNet(net) => net.visit_params(prefix, visit),
        }
    }
}
