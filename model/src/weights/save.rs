//! Writing our format: safetensors with the configuration in the header metadata.

use std::collections::HashMap;
use std::path::Path;

use safetensors::Dtype;

use super::{CONFIG_METADATA_KEY, FORMAT_METADATA_KEY, FORMAT_NAME, WeightsError};
use crate::encoder::ArnetEncoderConfig;
use crate::params::HostTensor;

pub(super) fn config_metadata(config: &ArnetEncoderConfig) -> HashMap<String, String> {
    HashMap::from([
        (FORMAT_METADATA_KEY.to_string(), FORMAT_NAME.to_string()),
        (
            CONFIG_METADATA_KEY.to_string(),
            serde_json::to_string(config).expect("config serialises"),
        ),
    ])
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
