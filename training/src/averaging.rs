//! Weight averaging over a run's last epochs (`arnet train --average-from E`).
//!
//! The averaged model is the mean of the weights after epochs E, E+1, ..., N: stochastic weight
//! averaging (Izmailov et al., UAI 2018) with the run's own constant learning rate and one
//! snapshot per epoch. Why: at a constant rate the weights keep wandering around the minimum
//! (the demo's validation Acc@1 swung between 75 % and 81 % from one epoch to the next), and
//! the mean of the wandering points sits nearer the centre of the basin than any one of them.
//!
//! Statistics are averaged with the weights, as PyTorch's `AveragedModel(use_buffers=True)`
//! does, rather than estimated again by a further pass over the training images.
//! EfficientNet's BatchNorm statistics are frozen (the same in every snapshot, so the mean is
//! exact); a ViT's calibrated patch-norm statistics move little between a fine-tune's epochs.
//!
//! The running mean is kept in the checkpoint folder as a pair file like any other
//! (`average-EEEE.safetensors`), named in `state.json` with its count, so `--resume` continues
//! it and a run killed mid-epoch loses nothing.

use std::path::Path;

use arnet_model::ArnetPair;
use arnet_model::burn::tensor::Device;
use arnet_model::params::{HostTensor, assign_host, collect_host};
use arnet_model::weights::{self, WeightsError};

/// The mean of the snapshots added so far.
#[derive(Debug, Clone)]
pub struct RunningAverage {
    count: usize,
    mean: Vec<(String, HostTensor)>,
}

impl RunningAverage {
    /// No snapshot yet.
    pub fn empty() -> Self {
        Self {
            count: 0,
            mean: Vec::new(),
        }
    }

    /// The mean of `count` snapshots, saved as the pair file `path` (of [`RunningAverage::model`]).
    pub fn read(path: &Path, count: usize, device: &Device) -> Result<Self, WeightsError> {
        let mut pair = weights::load_pair(path, None, device)?;
        Ok(Self {
            count,
            mean: collect_host(&mut pair),
        })
    }

    /// Snapshots averaged so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Adds `pair`'s current weights to the mean (incrementally, in f64, so the order of
    /// additions does not matter beyond f32 rounding of the stored mean).
    pub fn add(&mut self, pair: &mut ArnetPair) {
        let snapshot = collect_host(pair);
        self.count += 1;
        if self.count == 1 {
            self.mean = snapshot;
            return;
        }
        let weight = 1.0 / self.count as f64;
        assert_eq!(self.mean.len(), snapshot.len(), "same architecture");
        for ((name, mean), (other, value)) in self.mean.iter_mut().zip(&snapshot) {
            assert_eq!(name, other, "parameters in the same order");
            for (m, &v) in mean.data.iter_mut().zip(&value.data) {
                let m64 = f64::from(*m);
                *m = (m64 + (f64::from(v) - m64) * weight) as f32;
            }
        }
    }

    /// The averaged model: `like` (any pair of the run's architecture) with the mean weights.
    pub fn model(&self, like: &ArnetPair, device: &Device) -> ArnetPair {
        assert!(self.count > 0, "an average of no snapshot");
        let mut pair = like.clone();
        assign_host(&mut pair, &self.mean, device);
        pair
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arnet_model::burn::tensor::Device;
    use arnet_model::{ArnetEncoderConfig, BackboneConfig};

    fn tiny_pair(seed: u64, device: &Device) -> ArnetPair {
        device.seed(seed);
        let backbone = BackboneConfig::Vit(
            arnet_model::VitConfig::new()
                .with_image_size(16)
                .with_patch_size(8)
                .with_embed_dim(16)
                .with_depth(1)
                .with_num_heads(2)
                .with_mlp_hidden_dim(32),
        );
        ArnetPair::init(&ArnetEncoderConfig::new(backbone), device).unwrap()
    }

    #[test]
    fn the_mean_of_three_snapshots_is_their_elementwise_mean_and_survives_a_file() {
        let device = Device::flex();
        let mut snapshots: Vec<ArnetPair> = (0..3).map(|s| tiny_pair(s, &device)).collect();
        let values: Vec<Vec<(String, HostTensor)>> =
            snapshots.iter_mut().map(collect_host).collect();
        let mut average = RunningAverage::empty();
        for pair in &mut snapshots {
            average.add(pair);
        }
        assert_eq!(average.count(), 3);
        let mut model = average.model(&snapshots[0], &device);
        let got = collect_host(&mut model);
        let mut checked = 0;
        for (k, (name, tensor)) in got.iter().enumerate() {
            assert_eq!(name, &values[0][k].0);
            for (i, &v) in tensor.data.iter().enumerate() {
                let expected =
                    (values[0][k].1.data[i] + values[1][k].1.data[i] + values[2][k].1.data[i])
                        / 3.0;
                assert!(
                    (v - expected).abs() <= 1e-6,
                    "{name}[{i}]: {v} vs {expected}"
                );
                checked += 1;
            }
        }
        assert!(checked > 1000, "the whole model was compared");
        // The snapshots differ, so the mean is none of them.
        assert_ne!(got[0].1, values[0][0].1);

        let dir = std::env::temp_dir().join(format!("arnet-average-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("average.safetensors");
        weights::save_pair(&mut average.model(&snapshots[0], &device), &path).unwrap();
        let mut reread = RunningAverage::read(&path, 3, &device).unwrap();
        let mut fourth = tiny_pair(9, &device);
        let fourth_values = collect_host(&mut fourth);
        reread.add(&mut fourth);
        average.add(&mut fourth);
        assert_eq!(reread.count(), 4);
        let (a, b) = (
            collect_host(&mut reread.model(&fourth, &device)),
            collect_host(&mut average.model(&fourth, &device)),
        );
        assert_eq!(a, b, "a resumed average continues exactly");
        let expected = (values[0][0].1.data[0]
            + values[1][0].1.data[0]
            + values[2][0].1.data[0]
            + fourth_values[0].1.data[0])
            / 4.0;
        assert!((a[0].1.data[0] - expected).abs() <= 1e-6);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
