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
//! - for inference (no autodiff), [`linear`] and [`self_attention`] run the [`fused`]
//!   kernels: bias folded into the product, attention read in place from the fused `qkv`
//!   projection and written in place for the output projection, a vectorised softmax.
//!
//! They are used for `f32` tensors on the CPU backend. Anything else (wgpu, CUDA, bf16 mixed
//! precision, masks) goes through Burn's own operations, which compute the same functions:
//! `tests/tests/model/cpu_transformer.rs` checks outputs and gradients against them.

pub mod extension;
pub mod fused;
pub mod inference;
pub mod kernels;

use burn::backend::Dispatch;
use burn::nn::Linear;
use burn::tensor::Tensor;
use burn::tensor::activation;
use burn::tensor::module::attention as burn_attention;
use burn::tensor::ops::AttentionModuleOptions;

use crate::flex_kernels::takes;
use extension::TransformerBackend;
use inference::TransformerInferenceBackend;

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
    // Without autodiff, burn-flex's own attention (fused per batch and head) does without the
    // probabilities' buffer this one keeps for the backward pass.
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

/// Whether the inference kernels take `tensor`: ours ([`takes`]) and not tracked by autodiff.
fn inference_takes<const D: usize>(tensor: &Tensor<D>) -> bool {
    !tensor.device().is_autodiff() && takes(tensor)
}

/// `layer.forward(x)`, with the bias added inside the matrix product on the CPU backend
/// without autodiff ([`fused::linear`]).
pub fn linear<const D: usize>(layer: &Linear, x: Tensor<D>) -> Tensor<D> {
    let weight = layer.weight.val();
    let bias = match &layer.bias {
        Some(bias) if inference_takes(&x) && takes(&weight) && takes(&bias.val()) => bias.val(),
        _ => return layer.forward(x),
    };
    Tensor::from_dispatch(<Dispatch as TransformerInferenceBackend>::linear(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
    ))
}

/// Multi-head self-attention over timm's fused projection: `qkv` `[batch, tokens, 3 * width]`
/// (q | k | v, each `heads` heads of `width / heads` channels) to `[batch, tokens, width]`,
/// scale `1 / sqrt(width / heads)`.
pub fn self_attention(qkv: Tensor<3>, heads: usize) -> Tensor<3> {
    if inference_takes(&qkv) {
        return Tensor::from_dispatch(<Dispatch as TransformerInferenceBackend>::self_attention(
            qkv.into_dispatch(),
            heads,
        ));
    }
    let [batch, tokens, fused_width] = qkv.dims();
    let width = fused_width / 3;
    let part = |i: usize| {
        qkv.clone()
            .narrow(2, i * width, width)
            .reshape([batch, tokens, heads, width / heads])
            .swap_dims(1, 2) // [B, H, N, hd]
    };
    attention(part(0), part(1), part(2)) // [B, H, N, hd]
        .swap_dims(1, 2)
        .reshape([batch, tokens, width])
}
