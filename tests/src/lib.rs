//! Helpers shared by the workspace-level integration tests: fixture paths, fixture tensors,
//! tolerance checks.
//!
//! Fixtures live in `tests/fixtures/` and are committed: `parity-a` (from the team's shared
//! fixtures) and `parity-b` (written by `tests/fixtures/make_fixtures.py`). CI needs no Python.

use std::path::{Path, PathBuf};

use arnet_model::burn::tensor::{Device, Tensor, TensorData};
use safetensors::{Dtype, SafeTensors};

/// Directory of fixture set `name`.
pub fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Path of `file` in fixture set `set`.
pub fn fixture(set: &str, file: &str) -> PathBuf {
    fixture_dir(set).join(file)
}

/// A tensor read from a fixture safetensors file, as f32 (u8 inputs are widened as-is).
#[derive(Debug, Clone)]
pub struct FixtureTensor {
    /// Extents.
    pub shape: Vec<usize>,
    /// Row-major values.
    pub data: Vec<f32>,
}

impl FixtureTensor {
    /// As a Burn tensor on `device`.
    pub fn to_tensor<const D: usize>(&self, device: &Device) -> Tensor<D> {
        Tensor::from_data(
            TensorData::new(self.data.clone(), self.shape.clone()),
            device,
        )
    }
}

/// Reads tensor `key` of a fixture safetensors file.
pub fn read_tensor(path: &Path, key: &str) -> FixtureTensor {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = SafeTensors::deserialize(&bytes).expect("fixture is safetensors");
    let view = file
        .tensor(key)
        .unwrap_or_else(|_| panic!("{}: no tensor {key}", path.display()));
    let raw = view.data();
    let data = match view.dtype() {
        Dtype::U8 => raw.iter().map(|&b| f32::from(b)).collect(),
        Dtype::F32 => raw
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        other => panic!("unsupported fixture dtype {other:?}"),
    };
    FixtureTensor {
        shape: view.shape().to_vec(),
        data,
    }
}

/// Reads a JSON fixture.
pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// A JSON array of numbers as f32.
pub fn json_floats(value: &serde_json::Value) -> Vec<f32> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_f64().expect("number") as f32)
        .collect()
}

/// A Burn tensor's values as f32.
pub fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("f32 data")
}

/// Largest absolute difference.
pub fn max_abs_diff(actual: &[f32], expected: &[f32]) -> f32 {
    assert_eq!(actual.len(), expected.len(), "length mismatch");
    actual
        .iter()
        .zip(expected)
        .map(|(a, e)| (a - e).abs())
        .fold(0.0, f32::max)
}

/// Asserts every element is within `tolerance` of the reference.
#[track_caller]
pub fn assert_close(actual: &[f32], expected: &[f32], tolerance: f32, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: length mismatch");
    assert!(
        actual.iter().all(|v| v.is_finite()),
        "{what}: non-finite values"
    );
    let diff = max_abs_diff(actual, expected);
    assert!(
        diff <= tolerance,
        "{what}: max |diff| {diff:e} exceeds {tolerance:e}"
    );
}

/// A scratch directory unique to the calling test, emptied first.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arnet-tests-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The optimiser of the PyTorch reference steps: `torch.optim.Adam(betas=(0.9, 0.999),
/// eps=1e-8, weight_decay=1e-4)`, i.e. Adam with the L2 term added to the gradient (not
/// AdamW), the paper's recipe.
pub fn torch_adam_config() -> arnet_model::burn::optim::AdamConfig {
    arnet_model::burn::optim::AdamConfig::new()
        .with_beta_1(0.9)
        .with_beta_2(0.999)
        .with_epsilon(1e-8)
        .with_weight_decay(Some(arnet_model::burn::optim::decay::WeightDecayConfig {
            penalty: 1e-4,
        }))
}
