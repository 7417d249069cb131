//! The ARNet encoder (backbone + 512-d head, optionally MSTR) and the sketch/photo pair.

use burn::module::Module;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::backbone::{Backbone, BackboneConfig};
use crate::mstr::{Mstr, MstrConfig, MstrError};
use crate::params::{ParamSlot, VisitParams};
use crate::retrieval::l2_normalize_rows;

/// Width of the retrieval embedding in the paper.
pub const EMBEDDING_DIM: usize = 512;

/// Everything needed to rebuild one encoder. Saved beside every checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArnetEncoderConfig {
    /// The backbone.
    pub backbone: BackboneConfig,
    /// Output width of the head (`mlp_head`).
    #[serde(default = "default_embedding_dim")]
    pub embedding_dim: usize,
    /// MSTR (full model) or none (basic model).
    #[serde(default)]
    pub mstr: Option<MstrConfig>,
}

fn default_embedding_dim() -> usize {
    EMBEDDING_DIM
}

impl ArnetEncoderConfig {
    /// An encoder on `backbone` with the paper's 512-d head and no MSTR.
    pub fn new(backbone: impl Into<BackboneConfig>) -> Self {
        Self {
            backbone: backbone.into(),
            embedding_dim: EMBEDDING_DIM,
            mstr: None,
        }
    }

    /// With another head width.
    pub fn with_embedding_dim(mut self, embedding_dim: usize) -> Self {
        self.embedding_dim = embedding_dim;
        self
    }

    /// With MSTR (`Some`, the full model) or without.
    pub fn with_mstr(mut self, mstr: Option<MstrConfig>) -> Self {
        self.mstr = mstr;
        self
    }

    /// Builds a randomly initialised encoder.
    pub fn init(&self, device: &Device) -> Result<ArnetEncoder, MstrError> {
        let encoder = self.backbone.init(device);
        let dim = self.backbone.feature_dim();
        let mstr = match &self.mstr {
            Some(mstr) => Some(mstr.init(dim, self.backbone.grid_size(), device)?),
            None => None,
        };
        Ok(ArnetEncoder {
            encoder,
            mlp_head: LinearConfig::new(dim, self.embedding_dim)
                .with_initializer(Initializer::Normal {
                    mean: 0.0,
                    std: 0.02,
                })
                .init(device),
            mstr,
        })
    }
}

/// One ARNet encoder: backbone, optional MSTR, and a Linear head on the class feature.
///
/// Field names follow the authors' state dicts (`encoder.*`, `mlp_head.0.*`; the `.0` of their
/// `nn.Sequential` is the one rename, see [`crate::weights`]).
#[derive(Module, Debug)]
pub struct ArnetEncoder {
    /// The backbone.
    pub encoder: Backbone,
    /// Head `embed_dim -> 512` on the (recycled) class feature.
    pub mlp_head: Linear,
    /// Multi-scale token recycling (full model).
    pub mstr: Option<Mstr>,
}

/// What the encoder computes for a batch; the losses use every part of it.
#[derive(Debug, Clone)]
pub struct EncoderOutput {
    /// Head output (not normalised), `[batch, embedding_dim]`: the retrieval embedding.
    pub embedding: Tensor<2>,
    /// The class feature the head was applied to, `[batch, embed_dim]`: the backbone's class
    /// token, or with MSTR the recycled class feature.
    pub class_feature: Tensor<2>,
    /// MSTR's tokens for the recycling loss, `[batch, total tokens, embed_dim]`.
    pub mstr_tokens: Option<Tensor<3>>,
}

impl ArnetEncoder {
    /// Whether the backbone has a patch-token BatchNorm whose statistics need
    /// [`calibrate_patch_norm`](Self::calibrate_patch_norm).
    pub fn has_patch_norm(&self) -> bool {
        self.encoder
            .vit()
            .is_some_and(|vit| vit.patch_embed.norm.is_some())
    }

    /// Sets the patch norm's inference statistics from `batches` of images (precise BN; see
    /// [`crate::patch_norm`]). Does nothing without a patch norm.
    ///
    /// # Shapes
    /// - each batch: `[batch, 3, image_size, image_size]`, values in [0, 1]
    pub fn calibrate_patch_norm(&mut self, batches: impl IntoIterator<Item = Tensor<4>>) {
        let Some(vit) = self.encoder.vit_mut() else {
            return;
        };
        if vit.patch_embed.norm.is_none() {
            return;
        }
        let mut statistics = crate::patch_norm::PatchNormStatistics::new(vit.embed_dim());
        for images in batches {
            statistics.add(vit.patch_embed.proj_tokens(images).detach());
        }
        if let Some(norm) = &mut vit.patch_embed.norm {
            norm.set_statistics(&statistics);
        }
    }

    /// # Shapes
    /// - images: `[batch, 3, image_size, image_size]`, values in [0, 1]
    pub fn forward(&self, images: Tensor<4>) -> EncoderOutput {
        let backbone = self.encoder.forward(images); // class [B, C], tokens [B, G * G, C]
        let (class_feature, mstr_tokens) = match &self.mstr {
            Some(mstr) => {
                let out = mstr.forward(backbone.class_feature, backbone.tokens);
                (out.class_feature, Some(out.tokens))
            }
            None => (backbone.class_feature, None),
        };
        EncoderOutput {
            embedding: self.mlp_head.forward(class_feature.clone()),
            class_feature,
            mstr_tokens,
        }
    }

    /// L2-normalised retrieval embeddings.
    ///
    /// # Shapes
    /// - images: `[batch, 3, image_size, image_size]`
    /// - output: `[batch, embedding_dim]`, unit rows
    pub fn embed(&self, images: Tensor<4>) -> Tensor<2> {
        l2_normalize_rows(self.forward(images).embedding)
    }

    /// The configuration this encoder was built with (MSTR's per-layer widths included).
    pub fn config(&self) -> ArnetEncoderConfig {
        let backbone = self.encoder.config();
        let mstr = self.mstr.as_ref().map(|m| {
            let layer = &m.scales[0].layers[0];
            MstrConfig::new()
                .with_window_sizes(m.window_sizes.clone())
                .with_layers_per_scale(m.scales[0].layers.len())
                .with_num_heads(layer.self_attn.num_heads)
                .with_feedforward_dim(layer.linear1.weight.dims()[1])
                .with_dropout(layer.dropout.prob)
                .with_class_token_weight(m.class_token_weight)
                .with_pooled_dim(m.pooled_dim)
        });
        ArnetEncoderConfig::new(backbone)
            .with_embedding_dim(self.mlp_head.weight.dims()[1])
            .with_mstr(mstr)
    }
}

impl VisitParams for ArnetEncoder {
    fn visit_params(&mut self, prefix: &str, visit: &mut dyn FnMut(&str, ParamSlot<'_>)) {
        self.encoder
            .visit_params(&format!("{prefix}encoder."), visit);
        self.mlp_head
            .visit_params(&format!("{prefix}mlp_head.0."), visit);
        if let Some(mstr) = &mut self.mstr {
            mstr.visit_params(&format!("{prefix}mstr."), visit);
        }
    }
}

/// Which of the two encoders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EncoderRole {
    /// The sketch encoder (`skt_model` in the authors' checkpoints).
    Sketch,
    /// The photo encoder (`img_model`).
    Photo,
}

impl std::str::FromStr for EncoderRole {
    type Err = String;

    /// `sketch`, or `image` / `photo` (the authors' files call the photo encoder `img_model`).
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.to_ascii_lowercase().as_str() {
            "sketch" => Ok(Self::Sketch),
            "image" | "photo" => Ok(Self::Photo),
            _ => Err(format!("unknown encoder {name:?} (sketch or image)")),
        }
    }
}

impl EncoderRole {
    /// The key of this encoder's state dict in a two-encoder checkpoint.
    pub fn state_dict_key(self) -> &'static str {
        match self {
            Self::Sketch => "skt_model",
            Self::Photo => "img_model",
        }
    }

    /// The other encoder of the pair.
    pub fn other(self) -> Self {
        match self {
            Self::Sketch => Self::Photo,
            Self::Photo => Self::Sketch,
        }
    }

    /// "sketch" or "photo", for messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Sketch => "sketch",
            Self::Photo => "photo",
        }
    }
}

/// The two ARNet encoders; they do not share weights.
#[derive(Module, Debug)]
pub struct ArnetPair {
    /// Embeds sketches.
    pub sketch: ArnetEncoder,
    /// Embeds photos.
    pub photo: ArnetEncoder,
}

impl ArnetPair {
    /// Builds two independently initialised encoders of the same configuration.
    pub fn init(config: &ArnetEncoderConfig, device: &Device) -> Result<Self, MstrError> {
        Ok(Self {
            sketch: config.init(device)?,
            photo: config.init(device)?,
        })
    }

    /// The encoder of `role`.
    pub fn get(&self, role: EncoderRole) -> &ArnetEncoder {
        match role {
            EncoderRole::Sketch => &self.sketch,
            EncoderRole::Photo => &self.photo,
        }
    }
}

impl VisitParams for ArnetPair {
    fn visit_params(&mut self, prefix: &str, visit: &mut dyn FnMut(&str, ParamSlot<'_>)) {
        self.sketch
            .visit_params(&format!("{prefix}skt_model."), visit);
        self.photo
            .visit_params(&format!("{prefix}img_model."), visit);
    }
}
