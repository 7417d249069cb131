//! The run folder: checkpoints, the best model, and the state that `--resume` reads.
//!
//! ```text
//! OUT/recipe.json                      the run's recipe (resume refuses a different one)
//! OUT/checkpoint/state.json            epochs done, best so far, metrics history: the commit point
//! OUT/checkpoint/model-EEEE.safetensors    both encoders after epoch EEEE (our pair format)
//! OUT/checkpoint/optimizer-EEEE.bpk        Adam's state (Burn's burnpack), keyed by name-derived ids
//! OUT/checkpoint/average-EEEE.safetensors  with --average-from: the mean weights so far
//! OUT/best.safetensors, OUT/best.json  the best epoch (or average) by validation Acc@1, @10, @5
//! OUT/metrics.csv, OUT/curves.png      per-epoch metrics and their plot
//! ```
//! Every file is written to a temporary name and renamed. After an epoch the model and
//! optimiser files are written first and `state.json` last, naming them; only then are older
//! files removed. A run killed at any instant therefore leaves a `state.json` that names
//! complete files, and `--resume` restarts from the last finished epoch. The random state
//! needs no file: every random draw is a function of (seed, epoch, sample), and Burn's own
//! generator (dropout) is re-seeded from (seed, epoch) at the start of each epoch.

use std::path::{Path, PathBuf};

use anyhow::Context;
use arnet_model::burn::optim::ModuleOptimizer;
use arnet_model::burn::tensor::Device;
use arnet_model::weights::{self, LoadScope, WeightFile};
use arnet_model::{ArnetPair, EncoderRole};
use serde::{Deserialize, Serialize};

use crate::evaluate::Accuracy;
use crate::metrics::EpochMetrics;

/// Format tag of `state.json`.
pub const STATE_FORMAT: &str = "arnet-sketch-run/1";

/// The best epoch so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Best {
    /// Epoch (1-based).
    pub epoch: usize,
    /// Its validation accuracy.
    pub val: Accuracy,
    /// When the best model is the mean of the weights of epochs `averaged_from..=epoch`
    /// (`--average-from`), its first epoch; `None`: the weights after `epoch` alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub averaged_from: Option<usize>,
}

/// The running weight average of a run with `--average-from` ([`crate::averaging`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AverageState {
    /// Its file, relative to the checkpoint folder.
    pub file: String,
    /// First epoch averaged.
    pub from: usize,
    /// Epochs averaged (`from..from + count`).
    pub count: usize,
}

/// `OUT/checkpoint/state.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunState {
    /// [`STATE_FORMAT`].
    pub format: String,
    /// Epochs completed.
    pub epochs_done: usize,
    /// Best epoch so far.
    pub best: Option<Best>,
    /// The untrained model on the test split.
    #[serde(default)]
    pub untrained_test: Option<Accuracy>,
    /// Metrics of every epoch so far (epoch 0: untrained).
    pub history: Vec<EpochMetrics>,
    /// Model file, relative to the checkpoint folder.
    pub model_file: String,
    /// Optimiser file, relative to the checkpoint folder.
    pub optimizer_file: String,
    /// The weight average so far, with `--average-from` (older runs: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average: Option<AverageState>,
}

/// The best model's file name in a run folder: what `arnet train` and `arnet fine-tune` leave
/// for the user (and the app) to load.
pub const BEST_WEIGHTS_FILE: &str = "best.safetensors";

/// Paths of a run folder.
#[derive(Debug, Clone)]
pub struct RunDir {
    /// `OUT`.
    pub root: PathBuf,
}

impl RunDir {
    /// The run folder `root`.
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
        }
    }

    /// `OUT/checkpoint`.
    pub fn checkpoints(&self) -> PathBuf {
        self.root.join("checkpoint")
    }

    /// `OUT/checkpoint/state.json`.
    pub fn state(&self) -> PathBuf {
        self.checkpoints().join("state.json")
    }

    /// `OUT/recipe.json`.
    pub fn recipe(&self) -> PathBuf {
        self.root.join("recipe.json")
    }

    /// `OUT/best.safetensors`.
    pub fn best_weights(&self) -> PathBuf {
        self.root.join(BEST_WEIGHTS_FILE)
    }

    /// `OUT/best.json`.
    pub fn best_report(&self) -> PathBuf {
        self.root.join("best.json")
    }

    /// Reads `state.json`, if the folder holds a run.
    pub fn read_state(&self) -> anyhow::Result<Option<RunState>> {
        let path = self.state();
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
        let state: RunState = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a run state", path.display()))?;
        if state.format != STATE_FORMAT {
            anyhow::bail!(
                "{}: format `{}`, expected `{STATE_FORMAT}`",
                path.display(),
                state.format
            );
        }
        Ok(Some(state))
    }

    /// Saves the model and optimiser after `epoch`, commits `state`, and removes older files
    /// (the average file that `state.average` names is written by the caller beforehand).
    pub fn save_checkpoint(
        &self,
        pair: &mut ArnetPair,
        optimizer: &ModuleOptimizer,
        state: &mut RunState,
    ) -> anyhow::Result<()> {
        let dir = self.checkpoints();
        std::fs::create_dir_all(&dir).with_context(|| format!("{}", dir.display()))?;
        let model_file = format!("model-{:04}.safetensors", state.epochs_done);
        let optimizer_file = format!("optimizer-{:04}.bpk", state.epochs_done);
        weights::save_pair(pair, &dir.join(&model_file))?;
        let optimizer_path = dir.join(&optimizer_file);
        let tmp = dir.join(format!(".{optimizer_file}.tmp-{}", std::process::id()));
        optimizer
            .save(&tmp)
            .map_err(|e| anyhow::anyhow!("{}: {e:?}", optimizer_path.display()))?;
        std::fs::rename(&tmp, &optimizer_path)
            .with_context(|| format!("{}", optimizer_path.display()))?;
        state.model_file = model_file;
        state.optimizer_file = optimizer_file;
        let json = serde_json::to_vec_pretty(state)?;
        arnet_model::fsutil::write_atomic(&self.state(), &json)
            .with_context(|| format!("{}", self.state().display()))?;
        // Only now are the previous epoch's files unreferenced.
        for entry in std::fs::read_dir(&dir)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let current_average = state.average.as_ref().map(|a| a.file.as_str());
            let stale = (name.starts_with("model-")
                || name.starts_with("optimizer-")
                || name.starts_with("average-"))
                && name != state.model_file
                && name != state.optimizer_file
                && Some(name.as_str()) != current_average;
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    /// Loads the checkpointed model into `pair` (keeping its parameter ids, on `device`) and the
    /// optimiser state into `optimizer` (on `optimizer_device`, the device without autodiff).
    pub fn load_checkpoint(
        &self,
        state: &RunState,
        pair: &mut ArnetPair,
        optimizer: ModuleOptimizer,
        device: &Device,
        optimizer_device: &Device,
    ) -> anyhow::Result<ModuleOptimizer> {
        let dir = self.checkpoints();
        let file = WeightFile::read(&dir.join(&state.model_file))?;
        file.state_dict(EncoderRole::Sketch)?
            .apply(&mut pair.sketch, LoadScope::Full, device)?;
        file.state_dict(EncoderRole::Photo)?
            .apply(&mut pair.photo, LoadScope::Full, device)?;
        let path = dir.join(&state.optimizer_file);
        crate::optimizer::load_onto(optimizer, &path, optimizer_device)
            .map_err(|e| anyhow::anyhow!("{}: cannot read optimiser state: {e:?}", path.display()))
    }
}
