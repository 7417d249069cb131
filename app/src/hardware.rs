//! Which compute device the app uses.
//!
//! A hardware GPU adapter (discrete, integrated or virtual) runs the encoders through
//! burn-wgpu. A software adapter (Mesa lavapipe / llvmpipe, WARP) counts as no GPU: measured
//! on the project's 2-core machine it runs ViT-B/16 about 25x slower than the CPU backend,
//! after some 90 s of shader compilation. `ARNET_DEVICE=cpu|wgpu` overrides the choice.

use arnet_model::Backend;
use eframe::wgpu;

/// The chosen backend and how to describe it in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceChoice {
    /// The backend.
    pub backend: Backend,
    /// For the status bar.
    pub description: String,
}

/// Picks the device: `ARNET_DEVICE` if set, else wgpu on a hardware adapter, else CPU.
pub fn choose_device() -> DeviceChoice {
    if let Ok(name) = std::env::var("ARNET_DEVICE")
        && let Ok(backend) = name.parse::<Backend>()
    {
        return DeviceChoice {
            backend,
            description: format!("{backend} (ARNET_DEVICE)"),
        };
    }
    match hardware_adapter() {
        Some(name) if Backend::Wgpu.compiled_in() => DeviceChoice {
            backend: Backend::Wgpu,
            description: format!("GPU: {name} (wgpu)"),
        },
        _ => DeviceChoice {
            backend: Backend::Cpu,
            description: "CPU (no hardware GPU adapter)".into(),
        },
    }
}

/// The name of the first hardware GPU adapter, if any.
pub fn hardware_adapter() -> Option<String> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    adapters
        .iter()
        .map(|a| a.get_info())
        .find(|info| is_hardware(info.device_type))
        .map(|info| info.name)
}

/// Whether an adapter type is real hardware (not a CPU rasteriser).
pub fn is_hardware(kind: wgpu::DeviceType) -> bool {
    matches!(
        kind,
        wgpu::DeviceType::DiscreteGpu
            | wgpu::DeviceType::IntegratedGpu
            | wgpu::DeviceType::VirtualGpu
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn software_adapters_are_not_gpus() {
        assert!(!is_hardware(wgpu::DeviceType::Cpu));
        assert!(!is_hardware(wgpu::DeviceType::Other));
        assert!(is_hardware(wgpu::DeviceType::DiscreteGpu));
    }
}
