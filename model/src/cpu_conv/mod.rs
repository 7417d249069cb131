//! EfficientNet's depthwise and 1 x 1 convolutions with CPU kernels and backward passes of
//! our own, where Burn's generic ones are slow.
//!
//! On the CPU backend (burn-flex) Burn computes a convolution's gradients with its generic
//! backend-independent code: the input gradient as a transposed convolution and the weight
//! gradient as a convolution of transposed copies, looping over the groups one by one for a
//! grouped convolution. For EfficientNet-Lite0's depthwise (up to 1,152 groups) and 1 x 1
//! convolutions that made training 2.4x slower than PyTorch's (docs/speed.md). Here:
//! - a depthwise convolution is a direct per-channel correlation in all three passes
//!   ([`depthwise`]), with TensorFlow's asymmetric "same" padding read as implicit zeros;
//! - a 1 x 1 convolution is a batched matrix product, and so are both of its gradients.
//!
//! They are Burn operations with their own autodiff steps ([`extension`]), used for `f32`
//! tensors on the CPU backend. Anything else (wgpu, CUDA, bf16 mixed precision) goes through
//! Burn's own `conv2d`, which computes the same function: `tests/tests/model/cpu_conv.rs` checks the
//! outputs and the gradients against it.

pub mod depthwise;
pub mod extension;

use burn::backend::Dispatch;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::tensor::Tensor;

use crate::flex_kernels::takes;
use extension::MobileConvBackend;

/// Whether the kernels here can run `x` with `weight` (see [`takes`]).
fn runs_here(x: &Tensor<4>, weight: &Tensor<4>) -> bool {
    takes(x) && takes(weight)
}

/// `(before, after)` padding of one side, as Burn's `Conv2d` computes it.
fn padding_pair(
    padding: &PaddingConfig2d,
    axis: usize,
    size: usize,
    conv: &Conv2d,
) -> (usize, usize) {
    let (kernel, stride) = (conv.kernel_size[axis], conv.stride[axis]);
    match padding {
        PaddingConfig2d::Valid => (0, 0),
        // burn-nn's `calculate_same_padding` (TensorFlow's: the odd pixel after).
        PaddingConfig2d::Same => {
            let out = size.div_ceil(stride);
            let total = if out > 0 {
                ((out - 1) * stride + kernel).saturating_sub(size)
            } else {
                0
            };
            (total / 2, total - total / 2)
        }
        PaddingConfig2d::Explicit(top, left, bottom, right) => {
            if axis == 0 {
                (*top, *bottom)
            } else {
                (*left, *right)
            }
        }
    }
}

/// Burn's own `Conv2d::forward`, for what the kernels here do not take.
fn generic(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    conv.forward(x)
}

/// A depthwise `Conv2d` (`groups == channels`, no bias, square kernel, no dilation).
///
/// # Panics
/// Panics if `conv` is not such a convolution.
pub fn depthwise_conv2d(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let weight = conv.weight.val();
    let [channels, per_group, kh, kw] = weight.dims();
    assert!(
        conv.groups == channels && per_group == 1 && conv.bias.is_none(),
        "depthwise_conv2d: not a bias-free depthwise convolution"
    );
    let square = kh == kw && conv.stride[0] == conv.stride[1] && conv.dilation == [1, 1];
    if !square || !runs_here(&x, &weight) {
        return generic(conv, x);
    }
    let [_, _, h, w] = x.dims();
    let (top, bottom) = padding_pair(&conv.padding, 0, h, conv);
    let (left, right) = padding_pair(&conv.padding, 1, w, conv);
    Tensor::from_dispatch(<Dispatch as MobileConvBackend>::depthwise_conv2d(
        x.into_dispatch(),
        weight.into_dispatch(),
        conv.stride[0],
        top,
        bottom,
        left,
        right,
    ))
}

/// A 1 x 1, stride-1, ungrouped `Conv2d` without bias.
///
/// # Panics
/// Panics if `conv` is not such a convolution.
pub fn pointwise_conv2d(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let weight = conv.weight.val();
    assert!(
        conv.kernel_size == [1, 1]
            && conv.stride == [1, 1]
            && conv.groups == 1
            && conv.bias.is_none(),
        "pointwise_conv2d: not a bias-free 1 x 1 convolution"
    );
    if !runs_here(&x, &weight) {
        return generic(conv, x);
    }
    Tensor::from_dispatch(<Dispatch as MobileConvBackend>::pointwise_conv2d(
        x.into_dispatch(),
        weight.into_dispatch(),
    ))
}
