//! The Vision Transformer's GELU and attention with CPU kernels and backward passes of our
//! own, where burn-flex's are slow.
//!
//! burn-flex evaluates GELU with `libm`'s scalar `erff`, and under autodiff Burn computes
//! attention as a composite (scale, max, subtract, exp, sum, divide, two matrix products), each
//! operation recording its own backward step and buffers. Here:
//! - GELU and its derivative are vectorised element kernels with an `erf` accurate to 5e-7
//!   ([`kernels`]);
//! - attention under autodiff is one operation: two matrix products around an in-place row
//!   softmax forward, four products around an in-place softmax backward ([`extension`]).
//!   Without autodiff (inference) burn-flex's own attention runs, which is fused already.
//!
//! They are used for `f32` tensors on the CPU backend. Anything else (wgpu, CUDA, bf16 mixed
//! precision, masks) goes through Burn's own `gelu` and `attention`, which compute the same
//! functions: `tests/tests/cpu_transformer.rs` checks outputs and gradients against them.

pub mod extension;
pub mod kernels;

use burn::backend::Dispatch;
use burn::tensor::Tensor;
use burn::tensor::activation;
use burn::tensor::module::attention as burn_attention;
use burn::tensor::ops::AttentionModuleOptions;

use crate::flex_kernels::takes;
use extension::TransformerBackend;

/// Exact GELU, `x * Phi(x)` (timm's `nn.GELU()`).
pub fn gelu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    if !takes(&x) {
        return activation::gelu(x);
    }
    Tensor::from_dispatch(<Dispatch as TransformerBackend>::gelu(x.into_dispatch()))
}

/// Scaled dot-product attention without mask or bias, scale `1 / sqrt(head_dim)`:
/// `softmax(q k^T * scale) v`.
///
/// # Shapes
/// - q: `[batch, heads, n_q, head_dim]`; k, v: `[batch, heads, n_k, head_dim]`
/// - output: `[batch, heads, n_q, head_dim]`
pub fn attention(q: Tensor<4>, k: Tensor<4>, v: Tensor<4>) -> Tensor<4> {
    // Without autodiff, burn-flex's own attention (fused per batch and head) is as fast or
    // faster (DINOv2 at batch 16: 0.100 s per image against 0.105-0.108 with ours).
    let ours = q.device().is_autodiff() && takes(&q) && takes(&k) && takes(&v);
    if !ours {
        return burn_attention(q, k, v, None, None, AttentionModuleOptions::default());
    }
    Tensor::from_dispatch(<Dispatch as TransformerBackend>::attention(
        q.into_dispatch(),
        k.into_dispatch(),
        v.into_dispatch(),
    ))
}
