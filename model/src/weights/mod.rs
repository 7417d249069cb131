//! Reading and writing encoder weights.
//!
//! # Formats read
//! 1. The authors' checkpoints: a PyTorch `.pth` (zip/pickle, read by burn-store's pickle
//!    parser without executing any pickle code) holding `skt_model` and `img_model` state dicts
//!    (tensor storages may be tagged `cuda:0`; that tag is ignored).
//! 2. A single-encoder `.safetensors` with the same names (`encoder.*`, `mlp_head.0.*`).
//! 3. timm ViT weights (`.safetensors` or `.pth`, names without the `encoder.` prefix) to
//!    initialise a backbone.
//! 4. Our own format, which is also what the project writes: safetensors with the authors'
//!    names (a pair as `skt_model.*` / `img_model.*`, one encoder without prefix) and the
//!    [`ArnetEncoderConfig`] as JSON in the header metadata under [`CONFIG_METADATA_KEY`].
//!
//! The format is detected from the file's first bytes, not its extension.
//!
//! # Names
//! Parameter names are PyTorch's, produced by one walk over the module
//! ([`crate::params::VisitParams`]). The only renames, all in [`canonical_name`]:
//! - `module.` (a `DataParallel` wrapper) is dropped;
//! - a timm backbone's names get the `encoder.` prefix;
//! - timm's ImageNet classifier is ignored in every format: `head.*` (and `fc_norm.*`) of a
//!   timm file, `encoder.head.*` of the authors' checkpoints, which build each encoder with
//!   `timm.create_model(..., pretrained=True)` and so keep its 1000-class head. What was
//!   ignored is listed by [`WeightFile::ignored_note`], which the CLI prints once.
//!
//! # Configuration
//! Without metadata, the backbone is read from tensor shapes (width from `cls_token`, patch and
//! channels from `patch_embed.proj.weight`, grid from `pos_embed`, depth from the block count,
//! MLP width from `fc1`); the head count cannot be read from shapes and defaults to
//! `embed_dim / 64` (timm's ViT-Ti/S/B all use 64-wide heads) unless given.
//!
//! Loading checks every tensor and reports all problems at once: missing, unexpected and
//! wrongly shaped tensors, each by name, with the file's path.
//!
//! # Layout
//! - `format`: reading `.pth` and safetensors files into host tensors;
//! - `names`: which tensors belong to which encoder, and the renames;
//! - `infer`: the configuration read from shapes;
//! - `check`: checking tensors against a module before copying them in;
//! - `save`: writing our format.

mod check;
mod format;
mod infer;
mod names;
mod save;

pub use check::TensorCheck;
pub use names::{IgnoredTensor, canonical_name};
pub use save::write_safetensors;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use burn::tensor::Device;

use crate::encoder::{ArnetEncoder, ArnetEncoderConfig, ArnetPair, EncoderRole};
use crate::params::{HostTensor, collect_host};
use save::config_metadata;

/// Safetensors metadata key holding the encoder configuration as JSON.
pub const CONFIG_METADATA_KEY: &str = "arnet_config";
/// Safetensors metadata key naming the format.
pub const FORMAT_METADATA_KEY: &str = "format";
/// Value of [`FORMAT_METADATA_KEY`] in files written by this project.
pub const FORMAT_NAME: &str = "arnet-sketch/1";

/// Why weights could not be read, written or applied. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a readable checkpoint.
    #[error("{path}: not a readable weight file: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The file's tensors do not fit the model.
    #[error("{path}: weights do not fit the model:{details}")]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// One line per problem.
        details: String,
    },
    /// The configuration could not be determined or is invalid.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The `log` target of notes a user should read (what loading a file leaves out): the CLI
/// prints them as `note: …`, the app's log keeps them. A library logs, it never prints.
pub const NOTE_TARGET: &str = "arnet_model::note";

/// All tensors of a weight file, as f32 on the host, with the file's metadata.
#[derive(Debug, Clone)]
pub struct WeightFile {
    /// Where it was read from (for messages).
    pub path: PathBuf,
    /// Tensors by their name in the file.
    pub tensors: BTreeMap<String, HostTensor>,
    /// Safetensors header metadata (empty for `.pth`).
    pub metadata: HashMap<String, String>,
}

impl WeightFile {
    /// Reads a weight file as every front end does (the CLI's commands, the trainer's starting
    /// model, the app): [`WeightFile::read`], then logs once what loading it leaves out
    /// ([`WeightFile::ignored_note`], to [`NOTE_TARGET`]), so a user sees why tensors of the
    /// file are unused.
    pub fn read_with_note(path: &Path) -> Result<Self, WeightsError> {
        let file = Self::read(path)?;
        if let Some(note) = file.ignored_note() {
            log::info!(target: NOTE_TARGET, "{note}");
        }
        Ok(file)
    }

    /// Reads a `.pth` or `.safetensors` file (detected from its content).
    pub fn read(path: &Path) -> Result<Self, WeightsError> {
        let mut head = [0u8; 9];
        let read_head = std::fs::File::open(path).and_then(|mut f| {
            let mut n = 0;
            while n < head.len() {
                match f.read(&mut head[n..])? {
                    0 => break,
                    k => n += k,
                }
            }
            Ok(n)
        });
        let n = read_head.map_err(|source| WeightsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        // safetensors: an 8-byte little-endian header length, then a JSON header.
        let is_safetensors = n == 9 && head[8] == b'{';
        if is_safetensors {
            Self::read_safetensors(path)
        } else {
            Self::read_pytorch(path)
        }
    }

    /// Whether the file holds both encoders (`skt_model.*` and `img_model.*`).
    pub fn is_pair(&self) -> bool {
        self.contents() == FileContents::Pair
    }

    /// The state dict of one encoder, under canonical names (see [`canonical_name`]).
    ///
    /// A two-encoder file yields the state dict of `role`; a one-encoder file (or a timm
    /// backbone) yields its only state dict whatever `role` is.
    pub fn state_dict(&self, role: EncoderRole) -> Result<StateDict, WeightsError> {
        let (is_timm, entries) = self.select(role)?;
        let mut tensors = BTreeMap::new();
        let mut ignored = Vec::new();
        for (name, canonical, tensor) in entries {
            match canonical {
                Some(canonical) => {
                    tensors.insert(canonical, tensor.clone());
                }
                None => ignored.push(IgnoredTensor {
                    name: name.clone(),
                    shape: tensor.shape.clone(),
                }),
            }
        }
        let config = match self.metadata.get(CONFIG_METADATA_KEY) {
            Some(json) => {
                let invalid = |e: serde_json::Error| WeightsError::Config {
                    path: self.path.clone(),
                    message: format!("invalid `{CONFIG_METADATA_KEY}` metadata: {e}"),
                };
                let mut value: serde_json::Value = serde_json::from_str(json).map_err(invalid)?;
                // Files written before the patch norm existed do not name it: the tensors say.
                if let Some(backbone) = value
                    .get_mut("backbone")
                    .and_then(serde_json::Value::as_object_mut)
                    .filter(|b| !b.contains_key("efficientnet"))
                {
                    backbone.entry("patch_norm").or_insert_with(|| {
                        tensors
                            .contains_key("encoder.patch_embed.norm.weight")
                            .into()
                    });
                }
                Some(serde_json::from_value(value).map_err(invalid)?)
            }
            None => None,
        };
        Ok(StateDict {
            path: self.path.clone(),
            tensors,
            config,
            is_timm_backbone: is_timm,
            ignored,
            metadata: self.metadata.clone(),
        })
    }

    /// The encoders the file holds: both, or one (a single-encoder file, or a checkpoint
    /// with only one of `skt_model` / `img_model`).
    pub fn contents(&self) -> FileContents {
        let has = |role: EncoderRole| {
            let prefix = format!("{}.", role.state_dict_key());
            self.tensors.keys().any(|k| k.starts_with(&prefix))
        };
        match (has(EncoderRole::Sketch), has(EncoderRole::Photo)) {
            (true, true) => FileContents::Pair,
            (true, false) => FileContents::OnlySketch,
            (false, true) => FileContents::OnlyPhoto,
            (false, false) => FileContents::SingleEncoder,
        }
    }

    /// Loads one encoder (see [`state_dict`](Self::state_dict) for which one a single-encoder
    /// file gives). `heads` overrides the head count.
    pub fn load_encoder(
        &self,
        role: EncoderRole,
        heads: Option<usize>,
        device: &Device,
    ) -> Result<ArnetEncoder, WeightsError> {
        self.state_dict(role)?.load_encoder(heads, device)
    }

    /// Loads both encoders; a file with one encoder is an error that says which is missing
    /// and what to pass instead.
    pub fn load_pair(
        &self,
        heads: Option<usize>,
        device: &Device,
    ) -> Result<ArnetPair, WeightsError> {
        if let Some(message) = self.contents().missing_for_pair() {
            return Err(WeightsError::Config {
                path: self.path.clone(),
                message,
            });
        }
        Ok(ArnetPair {
            sketch: self.load_encoder(EncoderRole::Sketch, heads, device)?,
            photo: self.load_encoder(EncoderRole::Photo, heads, device)?,
        })
    }
}

/// What a weight file holds, as far as the two encoders go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileContents {
    /// `skt_model.*` and `img_model.*`: both encoders.
    Pair,
    /// Only `skt_model.*`.
    OnlySketch,
    /// Only `img_model.*`.
    OnlyPhoto,
    /// One encoder without a role prefix (`encoder.*`, `mlp_head.0.*`), or a timm backbone.
    /// Indexing takes it as the photo encoder.
    SingleEncoder,
}

impl FileContents {
    /// Why the file cannot serve where both encoders are needed (searching with a sketch),
    /// naming the missing encoder and what to pass; `None` for a pair.
    pub fn missing_for_pair(self) -> Option<String> {
        const HOW: &str = "searching with a sketch needs both encoders: pass a two-encoder \
                           file (the authors' .pth with `skt_model` and `img_model`, or the \
                           best.safetensors that `arnet train` writes)";
        Some(match self {
            FileContents::Pair => return None,
            FileContents::OnlySketch => format!(
                "holds only the sketch encoder (`skt_model`); the photo encoder (`img_model`) \
                 is missing: {HOW}"
            ),
            FileContents::OnlyPhoto => format!(
                "holds only the photo encoder (`img_model`); the sketch encoder (`skt_model`) \
                 is missing: {HOW}"
            ),
            FileContents::SingleEncoder => format!(
                "holds a single encoder (no `skt_model` / `img_model`), which can index a \
                 gallery as the photo encoder; the sketch encoder is missing: {HOW}"
            ),
        })
    }
}

/// What to load from a state dict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadScope {
    /// Every parameter of the encoder must be present (backbone, head, MSTR if configured).
    Full,
    /// Only the backbone (`encoder.*`) is loaded; the head and MSTR keep their values.
    /// For starting training from timm weights.
    BackboneOnly,
}

/// One encoder's tensors under canonical names, with its configuration if the file had one.
#[derive(Debug, Clone)]
pub struct StateDict {
    /// The file it came from.
    pub path: PathBuf,
    /// Tensors by canonical name.
    pub tensors: BTreeMap<String, HostTensor>,
    /// Configuration from the file's metadata.
    pub config: Option<ArnetEncoderConfig>,
    /// Whether the names were a bare timm backbone's.
    pub is_timm_backbone: bool,
    /// Tensors of the file left out on purpose (timm's classifier).
    pub ignored: Vec<IgnoredTensor>,
    /// The file's header metadata (e.g. the converter's `input_mean` / `input_std`).
    pub metadata: HashMap<String, String>,
}

/// Loads one encoder from any supported file. `heads` overrides the head count.
pub fn load_encoder(
    path: &Path,
    role: EncoderRole,
    heads: Option<usize>,
    device: &Device,
) -> Result<ArnetEncoder, WeightsError> {
    WeightFile::read(path)?.load_encoder(role, heads, device)
}

/// Loads both encoders from a two-encoder file (the authors' checkpoint or our pair format).
pub fn load_pair(
    path: &Path,
    heads: Option<usize>,
    device: &Device,
) -> Result<ArnetPair, WeightsError> {
    WeightFile::read(path)?.load_pair(heads, device)
}

/// Writes one encoder in our format (atomically: a temporary file renamed into place).
pub fn save_encoder(encoder: &mut ArnetEncoder, path: &Path) -> Result<(), WeightsError> {
    let metadata = config_metadata(&encoder.config());
    write_safetensors(path, collect_host(encoder), metadata)
}

/// Writes both encoders in our pair format (atomically).
pub fn save_pair(pair: &mut ArnetPair, path: &Path) -> Result<(), WeightsError> {
    let metadata = config_metadata(&pair.sketch.config());
    write_safetensors(path, collect_host(pair), metadata)
}
