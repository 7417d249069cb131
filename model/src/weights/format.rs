//! Reading the file formats: a PyTorch `.pth` (through burn-store's pickle reader) and
//! safetensors, both into host f32 tensors.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use burn::store::pytorch_reader::{DType as TorchDType, PytorchReader};
use safetensors::{Dtype, SafeTensors};

use super::{WeightFile, WeightsError};
use crate::params::HostTensor;

impl WeightFile {
    fn format_error(path: &Path, message: impl Into<String>) -> WeightsError {
        WeightsError::Format {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }

    pub(super) fn read_pytorch(path: &Path) -> Result<Self, WeightsError> {
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

    pub(super) fn read_safetensors(path: &Path) -> Result<Self, WeightsError> {
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
