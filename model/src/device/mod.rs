//! Compute device selection: the only place that names a backend.
//!
//! Everything else takes a [`Device`], so the same code runs on the CPU backend (Burn's `flex`,
//! chosen by measurement: see README's benchmark table), on any GPU through wgpu
//! (Vulkan / Metal / DX12) and, with the `cuda` cargo feature, on CUDA. The CUDA lines below
//! and [`cuda_runtime`] (what a CUDA device needs on the machine) are the only CUDA-specific
//! code in the project; `scripts/setup-cuda-build.sh` makes the feature compile (docs/cuda.md).

pub mod cuda_runtime;

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;

/// A compute backend the user can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Burn's `flex` CPU backend (SIMD, multi-threaded).
    Cpu,
    /// Any GPU through wgpu.
    Wgpu,
    /// NVIDIA GPUs through CUDA (cargo feature `cuda`).
    Cuda,
}

impl Backend {
    /// Every backend, in the order a user would try them.
    pub const ALL: [Backend; 3] = [Backend::Cuda, Backend::Wgpu, Backend::Cpu];

    /// Whether this build can create a device of this backend.
    pub fn compiled_in(self) -> bool {
        match self {
            Backend::Cpu => true,
            Backend::Wgpu => cfg!(feature = "wgpu"),
            Backend::Cuda => cfg!(feature = "cuda"),
        }
    }

    /// The device for this backend, or why there is none in this build.
    pub fn device(self) -> Result<Device, DeviceError> {
        match self {
            Backend::Cpu => Ok(Device::flex()),
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => {
                let device = Device::wgpu(burn::tensor::DeviceKind::DefaultDevice);
                probe(self, &device)?;
                Ok(device)
            }
            #[cfg(feature = "cuda")]
            Backend::Cuda => {
                // Looked for first: without them cudarc panics generically, or the first
                // kernel that needs libdevice fails in the middle of a run.
                let missing = cuda_runtime::CudaSearch::from_environment().missing();
                if !missing.is_empty() {
                    let reasons: Vec<String> = missing.iter().map(ToString::to_string).collect();
                    return Err(DeviceError::Unavailable(self, reasons.join("; and ")));
                }
                let device = Device::cuda(0usize);
                probe(self, &device)?;
                Ok(device)
            }
            #[allow(unreachable_patterns)]
            other => Err(DeviceError::NotCompiled(other)),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Cpu => "cpu",
            Backend::Wgpu => "wgpu",
            Backend::Cuda => "cuda",
        })
    }
}

impl FromStr for Backend {
    type Err = DeviceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Ok(Backend::Cpu),
            "wgpu" | "gpu" => Ok(Backend::Wgpu),
            "cuda" => Ok(Backend::Cuda),
            _ => Err(DeviceError::Unknown(s.to_string())),
        }
    }
}

/// Runs one tiny operation on `device`; a backend with no usable adapter panics inside Burn,
/// which becomes a [`DeviceError::Unavailable`] naming the backend.
#[allow(dead_code)]
fn probe(backend: Backend, device: &Device) -> Result<(), DeviceError> {
    let device = device.clone();
    std::panic::catch_unwind(move || {
        burn::tensor::Tensor::<1>::zeros([1], &device).into_data();
    })
    .map_err(|panic| {
        let reason = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "no usable adapter".into());
        DeviceError::Unavailable(
            backend,
            reason.lines().next().unwrap_or_default().to_string(),
        )
    })
}

/// Why a device could not be created.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DeviceError {
    /// The name is not a backend.
    #[error("unknown device `{0}` (expected cpu, wgpu or cuda)")]
    Unknown(String),
    /// The backend was left out of this build.
    #[error(
        "device `{0}` is not available in this build; rebuild with `--features {0}` \
         (for cuda, run `bash scripts/setup-cuda-build.sh` first; README, \"CUDA\")"
    )]
    NotCompiled(Backend),
    /// The backend is built in but this machine has no device for it.
    #[error("device `{0}` is not available on this machine: {1}")]
    Unavailable(Backend, String),
}
