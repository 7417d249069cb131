//! Mixed-precision training: the encoders' forward pass in bfloat16, everything else in f32.
//!
//! The weights stay f32 (the "master" copy the optimiser updates). For each step a bf16 view
//! of them is made by casting every float parameter *inside* the autodiff graph
//! ([`compute_copy`]); [`forward`] casts the images the same way, runs an encoder of the copy
//! in bf16 and casts its outputs back to f32 before the losses, whose softmax over the batch
//! needs f32's mantissa. The backward pass runs through the casts, so the gradients arrive in
//! f32 on the f32 weights and Adam never sees a half-precision number.
//!
//! bf16 has f32's exponent range, so unlike f16 it needs no loss scaling. What it saves is the
//! matmul time and activation memory of the encoders, which is where a GPU spends a training
//! step (no speed-up has been measured: no GPU was available; the CPU backend runs it for
//! the tests). Evaluation, checkpoints and the app always use the f32 weights.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Device, FloatDType, Tensor};

use crate::encoder::{ArnetEncoder, ArnetPair, EncoderOutput};

/// The half-precision type of the forward pass.
pub const COMPUTE_DTYPE: FloatDType = FloatDType::BF16;

/// Whether `device` computes in [`COMPUTE_DTYPE`] (storage, conversion *and* arithmetic): true
/// on the CPU backend and on CUDA GPUs; Vulkan devices usually can only store bf16.
pub fn supported(device: &Device) -> bool {
    device.supports_dtype(COMPUTE_DTYPE)
}

/// A copy of `pair` whose float parameters are cast to [`COMPUTE_DTYPE`], still connected to
/// `pair`'s parameters in the autodiff graph: gradients of a loss computed with the copy land
/// on the originals (in f32).
pub fn compute_copy(pair: &ArnetPair) -> ArnetPair {
    pair.clone().map(&mut CastFloats(COMPUTE_DTYPE))
}

/// `encoder` (one of a [`compute_copy`]'s) on f32 `images`: computed in [`COMPUTE_DTYPE`],
/// returned in f32 for the losses.
pub fn forward(encoder: &ArnetEncoder, images: Tensor<4>) -> EncoderOutput {
    to_f32(encoder.forward(images.cast(COMPUTE_DTYPE)))
}

fn to_f32(output: EncoderOutput) -> EncoderOutput {
    EncoderOutput {
        embedding: output.embedding.cast(FloatDType::F32),
        class_feature: output.class_feature.cast(FloatDType::F32),
        mstr_tokens: output.mstr_tokens.map(|t| t.cast(FloatDType::F32)),
    }
}

/// Casts every float parameter, keeping its id.
struct CastFloats(FloatDType);

impl ModuleMapper for CastFloats {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let dtype = self.0;
        param.map(|tensor| tensor.cast(dtype))
    }
}
