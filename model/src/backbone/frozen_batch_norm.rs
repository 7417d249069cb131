//! BatchNorm with frozen statistics, as EfficientNet-Lite is fine-tuned here.
//!
//! The running mean and variance are used in training too and never updated; the scale and
//! shift are trained. Why (small batches of two very different modalities, results that must
//! not depend on the batch size, training and inference computing the same function) is in
//! [`super::efficientnet`]'s module docs.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

use crate::params::{ParamSlot, VisitParams, visit_batch_norm};

/// BatchNorm over channels that always uses its running statistics (see [`super::efficientnet`]).
/// PyTorch names: `weight`, `bias`, `running_mean`, `running_var`.
#[derive(Module, Debug)]
pub struct FrozenBatchNorm2d {
    /// Scale (gamma), `[channels]`, trained.
    pub weight: Param<Tensor<1>>,
    /// Shift (beta), `[channels]`, trained.
    pub bias: Param<Tensor<1>>,
    /// Mean, `[channels]`, never trained (no gradient flows to it).
    pub running_mean: Param<Tensor<1>>,
    /// Variance, `[channels]`, never trained.
    pub running_var: Param<Tensor<1>>,
    /// Epsilon added to the variance.
    pub eps: f64,
}

impl FrozenBatchNorm2d {
    /// Identity statistics (gamma 1, beta 0, mean 0, variance 1).
    pub fn new(channels: usize, eps: f64, device: &Device) -> Self {
        Self {
            weight: Param::from_tensor(Tensor::ones([channels], device)),
            bias: Param::from_tensor(Tensor::zeros([channels], device)),
            running_mean: Param::from_tensor(Tensor::zeros([channels], device)),
            running_var: Param::from_tensor(Tensor::ones([channels], device)),
            eps,
        }
    }

    /// # Shapes
    /// - input and output: `[batch, channels, height, width]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let channels = self.weight.dims()[0];
        let per_channel = |t: Tensor<1>| t.reshape([1, channels, 1, 1]);
        // Folded into one scale and shift: x * (gamma / sqrt(var + eps)) + (beta - mean * that).
        let inv_std = (self.running_var.val().detach() + self.eps).sqrt().recip();
        let scale = self.weight.val() * inv_std;
        let shift = self.bias.val() - self.running_mean.val().detach() * scale.clone();
        x * per_channel(scale) + per_channel(shift)
    }
}

impl VisitParams for FrozenBatchNorm2d {
    fn visit_params(&mut self, prefix: &str, visit: &mut dyn FnMut(&str, ParamSlot<'_>)) {
        visit_batch_norm(
            prefix,
            [
                &mut self.weight,
                &mut self.bias,
                &mut self.running_mean,
                &mut self.running_var,
            ],
            visit,
        );
    }
}
