//! What the CPU kernels of [`crate::cpu_conv`] and [`crate::cpu_transformer`] share: which
//! tensors they take, how they read a burn-flex tensor's values, and how a backward step hands
//! its gradients back to autodiff.

use std::borrow::Cow;

use burn::backend::DispatchDevice;
use burn::backend::Flex;
use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::flex::FlexTensor;
use burn::tensor::{DType, Tensor};

/// Whether our kernels take `tensor`: `f32` on burn-flex, with or without autodiff. Anything
/// else (wgpu, CUDA, bf16) goes through Burn's own operations.
pub(crate) fn takes<const D: usize>(tensor: &Tensor<D>) -> bool {
    tensor.dtype() == DType::F32
        && matches!(
            tensor.device().inner().as_dispatch(),
            DispatchDevice::Flex(_)
        )
}

/// The `f32` values of a tensor in row-major order (copied only when not contiguous).
pub(crate) fn values(tensor: &FlexTensor) -> Cow<'_, [f32]> {
    match tensor.as_slice::<f32>() {
        Some(slice) => Cow::Borrowed(slice),
        None => Cow::Owned(
            tensor
                .to_contiguous()
                .into_data()
                .try_into_vec::<f32>()
                .expect("an f32 tensor"),
        ),
    }
}

/// Registers each computed gradient for its parent node (a backward step's `ops.parents`,
/// mapped to their ids); parents without a node, or without a gradient, are skipped.
pub(crate) fn register_gradients<const N: usize>(
    grads: &mut Gradients,
    parents: [Option<NodeId>; N],
    computed: [Option<FlexTensor>; N],
) {
    for (node, grad) in parents.into_iter().zip(computed) {
        if let (Some(node), Some(grad)) = (node, grad) {
            grads.register::<Flex>(node, grad);
        }
    }
}
