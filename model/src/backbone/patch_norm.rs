//! BatchNorm over the patch tokens, right after the patch embedding (an option of
//! [`crate::vit::VitConfig`], off in every timm preset).
//!
//! Why it exists: a ViT trained *from scratch* on garment data (mostly white background, the
//! garment's identity in its silhouette) never leaves its starting point. At initialisation the
//! class token attends uniformly, every token is dominated by the background, and the output
//! hardly depends on the image (cosine 0.9998 between different garments); the ARNet loss
//! then falls fastest by making all embeddings equal, and it collapses (`docs/training.md`
//! has the experiments: PyTorch/timm collapses the same way, so it is not a Burn issue).
//! Normalising each channel of the patch tokens across the batch removes the component that
//! every image shares and makes the garment's tokens unit-scale; with this one layer the same
//! recipe learns. A pretrained backbone (the paper's start) does not need it.
//!
//! Training mode (the forward runs on an autodiff device) uses the batch's statistics, with
//! gradients through them, as PyTorch's `BatchNorm1d` does. Inference uses `running_mean` /
//! `running_var`, which are not trained: the trainer sets them from the training images after
//! each epoch ([`PatchNormStatistics`], "precise BN"), so they depend only on the weights and
//! the data (a resumed run computes the same ones) rather than on a momentum average of past
//! batches. PyTorch names and layout: `norm.weight`, `norm.bias`, `norm.running_mean`,
//! `norm.running_var` (a `BatchNorm1d` over channels; its `num_batches_tracked` is ignored).

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

use crate::params::{ParamSlot, VisitParams, visit_batch_norm};

/// PyTorch's BatchNorm epsilon.
pub const BATCH_NORM_EPS: f64 = 1e-5;

/// Per-channel BatchNorm of `[batch, tokens, channels]` tokens.
#[derive(Module, Debug)]
pub struct TokenBatchNorm {
    /// Scale (gamma), `[channels]`.
    pub weight: Param<Tensor<1>>,
    /// Shift (beta), `[channels]`.
    pub bias: Param<Tensor<1>>,
    /// Mean used at inference, `[channels]`; set by calibration, never trained.
    pub running_mean: Param<Tensor<1>>,
    /// Variance used at inference, `[channels]`; set by calibration, never trained.
    pub running_var: Param<Tensor<1>>,
}

impl TokenBatchNorm {
    /// Identity-initialised norm (gamma 1, beta 0, mean 0, variance 1), as PyTorch's.
    pub fn new(channels: usize, device: &Device) -> Self {
        Self {
            weight: Param::from_tensor(Tensor::ones([channels], device)),
            bias: Param::from_tensor(Tensor::zeros([channels], device)),
            running_mean: Param::from_tensor(Tensor::zeros([channels], device)),
            running_var: Param::from_tensor(Tensor::ones([channels], device)),
        }
    }

    /// # Shapes
    /// - input and output: `[batch, tokens, channels]`
    pub fn forward(&self, tokens: Tensor<3>) -> Tensor<3> {
        let [_, _, channels] = tokens.dims();
        let (mean, var) = if tokens.device().is_autodiff() {
            let mean = tokens.clone().mean_dim(0).mean_dim(1); // [1, 1, C]
            let centred = tokens.clone() - mean.clone();
            let var = (centred.clone() * centred).mean_dim(0).mean_dim(1);
            (mean, var)
        } else {
            (
                self.running_mean.val().reshape([1, 1, channels]),
                self.running_var.val().reshape([1, 1, channels]),
            )
        };
        let scale = self.weight.val().reshape([1, 1, channels]);
        let shift = self.bias.val().reshape([1, 1, channels]);
        (tokens - mean) / (var + BATCH_NORM_EPS).sqrt() * scale + shift
    }

    /// Replaces the inference statistics.
    pub fn set_statistics(&mut self, statistics: &PatchNormStatistics) {
        let device = self.running_mean.device();
        let id_mean = self.running_mean.id;
        let id_var = self.running_var.id;
        self.running_mean =
            Param::from_tensor(Tensor::from_floats(statistics.mean().as_slice(), &device));
        self.running_var = Param::from_tensor(Tensor::from_floats(
            statistics.variance().as_slice(),
            &device,
        ));
        self.running_mean.id = id_mean;
        self.running_var.id = id_var;
    }
}

impl VisitParams for TokenBatchNorm {
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

/// Per-channel mean and (biased) variance of patch tokens, accumulated over any number of
/// batches in f64.
#[derive(Debug, Clone)]
pub struct PatchNormStatistics {
    count: f64,
    sum: Vec<f64>,
    sum_squares: Vec<f64>,
}

impl PatchNormStatistics {
    /// No tokens seen yet.
    pub fn new(channels: usize) -> Self {
        Self {
            count: 0.0,
            sum: vec![0.0; channels],
            sum_squares: vec![0.0; channels],
        }
    }

    /// Adds a batch of tokens `[batch, tokens, channels]`.
    pub fn add(&mut self, tokens: Tensor<3>) {
        let [batch, count, channels] = tokens.dims();
        assert_eq!(channels, self.sum.len(), "channel count changed");
        let values = tokens
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("float tokens");
        for row in values.chunks_exact(channels) {
            for (c, &v) in row.iter().enumerate() {
                let v = f64::from(v);
                self.sum[c] += v;
                self.sum_squares[c] += v * v;
            }
        }
        self.count += (batch * count) as f64;
    }

    /// Tokens seen.
    pub fn count(&self) -> usize {
        self.count as usize
    }

    /// Mean per channel (0 when nothing was seen).
    pub fn mean(&self) -> Vec<f32> {
        let n = self.count.max(1.0);
        self.sum.iter().map(|s| (s / n) as f32).collect()
    }

    /// Biased variance per channel (1 when nothing was seen).
    pub fn variance(&self) -> Vec<f32> {
        if self.count == 0.0 {
            return vec![1.0; self.sum.len()];
        }
        let n = self.count;
        self.sum
            .iter()
            .zip(&self.sum_squares)
            .map(|(s, q)| ((q / n) - (s / n) * (s / n)).max(0.0) as f32)
            .collect()
    }
}
