//! The trainer's Adam, whose saved state is read back onto the training device.
//!
//! burn-optim 0.22.1's `ModuleOptimizer::load` rebuilds every state tensor on
//! `Device::default()` and moves it to the parameter's device at the next step. The default
//! device is the first backend compiled in, not the one the run uses: the CUDA GPU in a `cuda`
//! build, the wgpu adapter in the default build. So `--resume` of a CPU run crashed in a cuda
//! build on a machine without a GPU (cudarc panics on the missing driver), and would on any
//! machine without a Vulkan driver; elsewhere it took a detour through the GPU. [`PinnedAdam`]
//! is Adam unchanged, with a state type that reads its tensors onto the device that
//! [`load_onto`] names. It writes the same names as Adam's own state, so checkpoints written
//! before it existed load unchanged.

use std::cell::RefCell;
use std::path::Path;

use arnet_model::burn::optim::{
    Adam, AdamConfig, AdamState, LearningRate, ModuleOptimizer, Optimizer, RecordState, StateSink,
    StateSource,
};
use arnet_model::burn::tensor::{Device, Tensor};

thread_local! {
    /// The device [`PinnedState`] reads onto while [`load_onto`] runs on this thread.
    static LOAD_DEVICE: RefCell<Option<Device>> = const { RefCell::new(None) };
}

/// Adam (the paper's optimiser), with state read back onto the training device.
#[derive(Clone)]
pub struct PinnedAdam(Adam);

impl PinnedAdam {
    /// The whole-model optimiser for `config` (no gradient clipping: the recipe has none).
    pub fn init(config: &AdamConfig) -> ModuleOptimizer {
        ModuleOptimizer::from(PinnedAdam(config.build()))
    }
}

/// Adam's state for one parameter; only reading it back differs.
#[derive(Clone)]
pub struct PinnedState<const D: usize>(AdamState<D>);

impl<const D: usize> RecordState for PinnedState<D> {
    fn state_flatten(&self, prefix: &str, out: &mut StateSink) {
        self.0.state_flatten(prefix, out);
    }

    fn state_unflatten(prefix: &str, src: &mut StateSource, device: &Device) -> Option<Self> {
        let pinned = LOAD_DEVICE.with(|slot| slot.borrow().clone());
        AdamState::state_unflatten(prefix, src, pinned.as_ref().unwrap_or(device)).map(PinnedState)
    }
}

impl Optimizer for PinnedAdam {
    type State<const D: usize> = PinnedState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let (tensor, state) = self.0.step(lr, tensor, grad, state.map(|s| s.0));
        (tensor, state.map(PinnedState))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        PinnedState(Adam::to_device(state.0, device))
    }
}

/// `optimizer.load(path)` with every state tensor created on `device`.
pub fn load_onto(
    optimizer: ModuleOptimizer,
    path: &Path,
    device: &Device,
) -> Result<ModuleOptimizer, arnet_model::burn::store::RecordError> {
    LOAD_DEVICE.with(|slot| *slot.borrow_mut() = Some(device.clone()));
    let loaded = optimizer.load(path);
    LOAD_DEVICE.with(|slot| *slot.borrow_mut() = None);
    loaded
}

#[cfg(test)]
mod tests {
    use super::*;
    use arnet_model::burn::nn::{Linear, LinearConfig};
    use arnet_model::burn::optim::GradientsParams;

    /// One Adam step on a fixed input. The input is written out rather than drawn: burn-flex's
    /// random generator is one per process, so another test drawing in parallel between a
    /// `seed` and a `random` here would hand the two optimisers different batches.
    fn step(model: Linear, optimizer: &mut ModuleOptimizer, device: &Device) -> Linear {
        let x = Tensor::<2>::from_floats(
            [
                [0.3, -1.2, 0.7, 0.1],
                [-0.5, 0.4, 1.1, -0.9],
                [0.8, 0.2, -0.6, 0.5],
            ],
            device,
        );
        let loss = model.forward(x).powf_scalar(2.0).sum();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        optimizer.step(1e-2, model, grads)
    }

    fn weights(model: &Linear) -> Vec<f32> {
        model.weight.val().into_data().try_to_vec::<f32>().unwrap()
    }

    /// A checkpoint written by burn's plain Adam (every checkpoint before this type existed),
    /// read back through [`load_onto`], continues exactly as the uninterrupted optimiser does.
    /// (That the state lands on the named device, never on
    /// `Device::default()`, is what `train`'s resume test checks in a `cuda` build without a
    /// GPU, where the default device cannot be used at all.)
    #[test]
    fn a_reloaded_optimiser_continues_like_an_uninterrupted_one() {
        let device = Device::flex().autodiff();
        device.seed(7);
        let config = AdamConfig::new().with_epsilon(1e-8);
        let mut straight = config.init();
        let model = step(
            LinearConfig::new(4, 2).init(&device),
            &mut straight,
            &device,
        );

        let dir = std::env::temp_dir().join(format!("arnet-optim-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("optimizer.bpk");
        straight.save(&path).unwrap();
        let mut resumed =
            load_onto(PinnedAdam::init(&config), &path, &Device::flex()).expect("loads");
        let a = step(model.clone(), &mut straight, &device);
        let b = step(model.clone(), &mut resumed, &device);
        let fresh = step(model, &mut PinnedAdam::init(&config), &device);
        assert_eq!(weights(&a), weights(&b));
        assert_ne!(
            weights(&a),
            weights(&fresh),
            "the state matters to the step"
        );
    }
}
