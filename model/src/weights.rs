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

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use burn::store::pytorch_reader::{DType as TorchDType, PytorchReader};
use burn::tensor::Device;
use safetensors::{Dtype, SafeTensors};

use crate::backbone::BackboneConfig;
use crate::backbone::efficientnet::{
    BlockKind, BlockSpec, EfficientNetConfig, LITE_INPUT_MEAN, LITE_INPUT_STD, TF_BATCH_NORM_EPS,
    lite_stage_strides,
};
use crate::encoder::{ArnetEncoder, ArnetEncoderConfig, ArnetPair, EncoderRole};
use crate::mstr::MstrConfig;
use crate::params::{HostTensor, VisitParams, collect_host};
use crate::vit::{IMAGENET_MEAN, IMAGENET_STD, VitConfig};

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
    /// model, the app): [`WeightFile::read`], then says once on stderr what loading it leaves
    /// out ([`WeightFile::ignored_note`]), so a user sees why tensors of the file are unused.
    pub fn read_with_note(path: &Path) -> Result<Self, WeightsError> {
        let file = Self::read(path)?;
        if let Some(note) = file.ignored_note() {
            eprintln!("note: {note}");
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

    fn format_error(path: &Path, message: impl Into<String>) -> WeightsError {
        WeightsError::Format {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }

    fn read_pytorch(path: &Path) -> Result<Self, WeightsError> {
        let reader =
            PytorchReader::new(path).map_err(|e| Self::format_error(path, e.to_string()))?;
        let mut tensors = BTreeMap::new();
        for (name, tensor) in reader.into_tensors() {
            let dtype = match tensor.dtype() {
                TorchDType::F32 => Dtype::F32,
                TorchDType::F16 => Dtype::F16,
                TorchDType::BF16 => Dtype::BF16,
                TorchDType::F64 => Dtype::F64,
                // Integer buffers (e.g. BatchNorm's num_batches_tracked) are not parameters.
                _ => continue,
            };
            let bytes = tensor
                .read()
                .map_err(|e| Self::format_error(path, e.to_string()))?;
            let data = floats_from_bytes(&bytes, dtype)
                .ok_or_else(|| Self::format_error(path, format!("{name}: bad tensor data")))?;
            tensors.insert(name, HostTensor::new(tensor.shape().to_vec(), data));
        }
        if tensors.is_empty() {
            return Err(Self::format_error(path, "no floating-point tensors found"));
        }
        Ok(Self {
            path: path.to_path_buf(),
            tensors,
            metadata: HashMap::new(),
        })
    }

    fn read_safetensors(path: &Path) -> Result<Self, WeightsError> {
        let bytes = std::fs::read(path).map_err(|source| WeightsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let file = SafeTensors::deserialize(&bytes).map_err(|e| {
            Self::format_error(
                path,
                format!("neither a PyTorch checkpoint nor safetensors ({e})"),
            )
        })?;
        let (_, header) = SafeTensors::read_metadata(&bytes)
            .map_err(|e| Self::format_error(path, e.to_string()))?;
        let mut tensors = BTreeMap::new();
        for (name, view) in file.tensors() {
            let Some(data) = floats_from_bytes(view.data(), view.dtype()) else {
                continue; // integer tensors are not parameters
            };
            tensors.insert(name, HostTensor::new(view.shape().to_vec(), data));
        }
        Ok(Self {
            path: path.to_path_buf(),
            tensors,
            metadata: header.metadata().clone().unwrap_or_default(),
        })
    }

    /// Whether the file holds both encoders (`skt_model.*` and `img_model.*`).
    pub fn is_pair(&self) -> bool {
        self.contents() == FileContents::Pair
    }

    /// The tensors of `role`'s state dict with their canonical names (`None`: ignored on
    /// purpose), and whether the names are a bare timm backbone's. Borrows, copies nothing.
    #[allow(clippy::type_complexity)]
    fn select(
        &self,
        role: EncoderRole,
    ) -> Result<(bool, Vec<(&String, Option<String>, &HostTensor)>), WeightsError> {
        let key = role.state_dict_key();
        let other = role.other().state_dict_key();
        let has = |k: &str| {
            let prefix = format!("{k}.");
            self.tensors.keys().any(|name| name.starts_with(&prefix))
        };
        let prefix = if has(key) {
            Some(format!("{key}."))
        } else if has(other) {
            return Err(WeightsError::Config {
                path: self.path.clone(),
                message: format!(
                    "holds only the {} encoder (`{other}`); the {} encoder (`{key}`) is missing",
                    role.other().label(),
                    role.label()
                ),
            });
        } else {
            None
        };
        // Names without the role prefix, for this role's tensors.
        let selected: Vec<(&String, &str, &HostTensor)> = self
            .tensors
            .iter()
            .filter_map(|(name, t)| match &prefix {
                Some(p) => name.strip_prefix(p.as_str()).map(|local| (name, local, t)),
                None => Some((name, name.as_str(), t)),
            })
            .collect();
        let is_timm = !selected.iter().any(|(_, local, _)| {
            let local = local.strip_prefix("module.").unwrap_or(local);
            local.starts_with("encoder.")
        });
        let entries = selected
            .into_iter()
            .map(|(name, local, t)| (name, canonical_name(local, is_timm), t))
            .collect();
        Ok((is_timm, entries))
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

    /// Every tensor of the file that loading leaves out on purpose (timm's classifier), by its
    /// name in the file, sorted. The same for every role: a pair reports both encoders'.
    pub fn ignored_tensors(&self) -> Vec<IgnoredTensor> {
        let roles: &[EncoderRole] = match self.contents() {
            FileContents::Pair => &[EncoderRole::Sketch, EncoderRole::Photo],
            FileContents::OnlySketch => &[EncoderRole::Sketch],
            FileContents::OnlyPhoto | FileContents::SingleEncoder => &[EncoderRole::Photo],
        };
        let mut ignored: Vec<IgnoredTensor> = roles
            .iter()
            .filter_map(|role| self.select(*role).ok())
            .flat_map(|(_, entries)| entries)
            .filter(|(_, canonical, _)| canonical.is_none())
            .map(|(name, _, tensor)| IgnoredTensor {
                name: name.clone(),
                shape: tensor.shape.clone(),
            })
            .collect();
        ignored.sort_by(|a, b| a.name.cmp(&b.name));
        ignored
    }

    /// One line saying which tensors are ignored and why, or `None` when none are: what the
    /// CLI prints once on stderr when it loads the file.
    pub fn ignored_note(&self) -> Option<String> {
        let ignored = self.ignored_tensors();
        if ignored.is_empty() {
            return None;
        }
        let list: Vec<String> = ignored
            .iter()
            .map(|t| format!("{} {:?}", t.name, t.shape))
            .collect();
        Some(format!(
            "{}: ignoring timm's ImageNet classifier, which ARNet does not use ({} tensors): {}",
            self.path.display(),
            list.len(),
            list.join(", ")
        ))
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

/// A tensor of a file that loading leaves out on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredTensor {
    /// Its name in the file (with any `skt_model.` / `img_model.` / `module.` prefix).
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
}

/// The rename table: a name in a file to our canonical name, or `None` to ignore it.
///
/// `is_timm` says the state dict is a bare timm ViT (no `encoder.` prefix anywhere).
pub fn canonical_name(name: &str, is_timm: bool) -> Option<String> {
    // DataParallel wraps every name in `module.`.
    let name = name.strip_prefix("module.").unwrap_or(name);
    if is_timm_classifier(name, is_timm) {
        return None;
    }
    if is_timm {
        // timm names are the backbone's names without our `encoder.` prefix.
        return Some(format!("encoder.{name}"));
    }
    Some(name.to_string())
}

/// Whether `name` (without `module.`) is timm's ImageNet classifier, which ARNet never uses:
/// `timm.create_model(..., pretrained=True)` keeps its 1000-class `head` (a ViT's; with
/// global pooling also `fc_norm`; an EfficientNet's is `classifier`), so the authors'
/// checkpoints hold `encoder.head.*` and timm's own files
/// `head.*`. ARNet's head is `mlp_head.0`, applied to the class token.
fn is_timm_classifier(name: &str, is_timm: bool) -> bool {
    let backbone_name = if is_timm {
        Some(name)
    } else {
        name.strip_prefix("encoder.")
    };
    backbone_name.is_some_and(|n| {
        n.starts_with("head.")
            || n.starts_with("classifier.")
            || (is_timm && n.starts_with("fc_norm."))
    })
}

fn floats_from_bytes(bytes: &[u8], dtype: Dtype) -> Option<Vec<f32>> {
    let chunks = |n: usize| bytes.chunks_exact(n);
    Some(match dtype {
        Dtype::F32 => chunks(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::F64 => chunks(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")) as f32)
            .collect(),
        Dtype::F16 => chunks(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        Dtype::BF16 => chunks(2)
            .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        _ => return None,
    })
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

impl StateDict {
    fn shape(&self, name: &str) -> Option<&[usize]> {
        self.tensors.get(name).map(|t| t.shape.as_slice())
    }

    fn config_error(&self, message: impl Into<String>) -> WeightsError {
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

    /// Copies the tensors into `encoder`, checking every name and shape first.
    ///
    /// On error nothing is changed and the message lists every missing, unexpected and
    /// wrongly shaped tensor.
    pub fn apply(
        &self,
        encoder: &mut ArnetEncoder,
        scope: LoadScope,
        device: &Device,
    ) -> Result<(), WeightsError> {
        let in_scope = |name: &str| scope == LoadScope::Full || name.starts_with("encoder.");
        let check = TensorCheck::of(encoder, &self.tensors, in_scope);
        if !check.fits() {
            let wrong_shape: Vec<String> = check
                .wrong_shape
                .iter()
                .map(|(name, found, expected)| {
                    format!("{name}: file has {found:?}, model expects {expected:?}")
                })
                .collect();
            let mut details = String::new();
            for (label, items) in [
                ("missing", check.missing.iter().collect::<Vec<_>>()),
                ("wrong shape", wrong_shape.iter().collect()),
                ("unexpected", check.unexpected.iter().collect()),
            ] {
                if !items.is_empty() {
                    let list: Vec<&str> = items.iter().map(|s| s.as_str()).collect();
                    let _ = write!(details, " {label} ({}): {};", list.len(), list.join(", "));
                }
            }
            details.pop();
            return Err(WeightsError::Mismatch {
                path: self.path.clone(),
                details,
            });
        }
        encoder.visit_params("", &mut |name, slot| {
            if in_scope(name) {
                slot.set(&self.tensors[name], device);
            }
        });
        Ok(())
    }

    /// Builds an encoder from these tensors (configuration as [`infer_config`](Self::infer_config)).
    pub fn load_encoder(
        &self,
        heads: Option<usize>,
        device: &Device,
    ) -> Result<ArnetEncoder, WeightsError> {
        let config = self.infer_config(heads)?;
        let mut encoder = config
            .init(device)
            .map_err(|e| self.config_error(e.to_string()))?;
        self.apply(&mut encoder, LoadScope::Full, device)?;
        Ok(encoder)
    }
}

/// How a module's parameters fit a file's tensors: the walk every loader does before it copies
/// anything, so that an error can list every problem and nothing is changed on error.
#[derive(Debug, Default)]
pub struct TensorCheck {
    /// Parameters (in scope) with no tensor of their name.
    pub missing: Vec<String>,
    /// (name, the file's shape, the module's shape) where they differ.
    pub wrong_shape: Vec<(String, Vec<usize>, Vec<usize>)>,
    /// Tensors (in scope) no parameter takes.
    pub unexpected: Vec<String>,
}

impl TensorCheck {
    /// Checks `module`'s parameters whose name is `in_scope` against `tensors` (PyTorch
    /// names and layouts).
    pub fn of<M: VisitParams>(
        module: &mut M,
        tensors: &BTreeMap<String, HostTensor>,
        in_scope: impl Fn(&str) -> bool,
    ) -> Self {
        let mut check = Self::default();
        let mut used = std::collections::HashSet::new();
        module.visit_params("", &mut |name, slot| {
            if !in_scope(name) {
                return;
            }
            match tensors.get(name) {
                None => check.missing.push(name.to_string()),
                Some(t) => {
                    used.insert(name.to_string());
                    let expected = slot.torch_shape();
                    if t.shape != expected {
                        check
                            .wrong_shape
                            .push((name.to_string(), t.shape.clone(), expected));
                    }
                }
            }
        });
        check.unexpected = tensors
            .keys()
            .filter(|k| !used.contains(*k) && in_scope(k))
            .cloned()
            .collect();
        check
    }

    /// Whether every tensor fits.
    pub fn fits(&self) -> bool {
        self.missing.is_empty() && self.wrong_shape.is_empty() && self.unexpected.is_empty()
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

fn config_metadata(config: &ArnetEncoderConfig) -> HashMap<String, String> {
    HashMap::from([
        (FORMAT_METADATA_KEY.to_string(), FORMAT_NAME.to_string()),
        (
            CONFIG_METADATA_KEY.to_string(),
            serde_json::to_string(config).expect("config serialises"),
        ),
    ])
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

/// Serialises named f32 tensors to `path` via a temporary file in the same directory.
pub fn write_safetensors(
    path: &Path,
    tensors: Vec<(String, HostTensor)>,
    metadata: HashMap<String, String>,
) -> Result<(), WeightsError> {
    let io = |source| WeightsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = tensors
        .into_iter()
        .map(|(name, t)| {
            let raw = t.data.iter().flat_map(|v| v.to_le_bytes()).collect();
            (name, raw, t.shape)
        })
        .collect();
    let views = bytes
        .iter()
        .map(|(name, raw, shape)| {
            safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), raw)
                .map(|view| (name.clone(), view))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| WeightsError::Format {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    let serialized =
        safetensors::serialize(views, Some(metadata)).map_err(|e| WeightsError::Format {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    crate::fsutil::write_atomic(path, &serialized).map_err(io)
}
