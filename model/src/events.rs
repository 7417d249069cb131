//! What a training run reports to a program that follows it: `arnet train --events json` and
//! `arnet fine-tune --events json` print one [`TrainingEvent`] per line on stdout, and the app's
//! fine-tuning reads them.
//!
//! Why a type and not the trainer's text: the text is for people and changes with them; the
//! app used to parse it and silently missed a line it did not know (the weight average's "best
//! so far", so its "after" figure was wrong with `--average-from`). Both sides now share this
//! enum, so a new or changed event is a compile error on the reading side, not a wrong number.

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One event of a training run, one JSON object per line (`{"event": "step", ...}`).
/// Accuracies are percentages `[Acc@1, Acc@5, Acc@10]` on the run's validation split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TrainingEvent {
    /// `arnet fine-tune`: the data folder is ready.
    Prepared {
        /// Photos to train on.
        photos: usize,
        /// Drawn (saved) sketches among the training pairs.
        sketches: usize,
    },
    /// The starting model on the validation split, before any step.
    Untrained {
        /// Its accuracy.
        val: [f64; 3],
    },
    /// A training step finished.
    Step {
        /// 1-based epoch.
        epoch: usize,
        /// Epochs in the run.
        epochs: usize,
        /// Steps done in this epoch.
        step: usize,
        /// Steps in this epoch.
        steps: usize,
        /// Mean loss so far in this epoch (`null` when not finite).
        loss: Option<f64>,
    },
    /// An epoch finished and was validated.
    Epoch {
        /// 1-based epoch.
        epoch: usize,
        /// Epochs in the run.
        epochs: usize,
        /// Mean training loss (`null` when not finite).
        loss: Option<f64>,
        /// The epoch's weights on the validation split.
        val: [f64; 3],
        /// They are the best so far: `best.safetensors` now holds them.
        best: bool,
    },
    /// With `--average-from`: the running weight average after an epoch, validated.
    WeightAverage {
        /// 1-based epoch the average ends with.
        epoch: usize,
        /// 1-based epoch it starts from.
        from: usize,
        /// The average on the validation split.
        val: [f64; 3],
        /// It is the best so far: `best.safetensors` now holds it.
        best: bool,
    },
    /// `arnet fine-tune`: the held-out check before and after, and the model to use.
    Outcome {
        /// Held-out Acc@1 of the starting model.
        before: f64,
        /// Held-out Acc@1 of the best fine-tuned weights.
        after: f64,
        /// Fine-tuning did not improve the check: `weights` is the starting model.
        kept_start: bool,
        /// The model to use.
        weights: PathBuf,
        /// Category precision@10 of the kind check (the gallery's kinds as the starting model
        /// reads them) before and after; absent from runs that had no kind check.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind_before: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind_after: Option<f64>,
    },
}

impl TrainingEvent {
    /// The event as one JSON line (no newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("an event always serialises")
    }

    /// The event of a line, or `None` when the line is not an event (another program's
    /// output, a human line).
    pub fn parse(line: &str) -> Option<Self> {
        serde_json::from_str(line.trim()).ok()
    }

    /// Prints the event as one line on stdout, flushed at once so a reader sees it while the
    /// run goes on.
    pub fn emit(&self) {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        // A closed stdout (the reader quit) must not stop the training.
        let _ = writeln!(out, "{}", self.to_line()).and_then(|()| out.flush());
    }
}

/// A loss as an event field: `None` for NaN or infinity, which JSON cannot hold.
pub fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_json_lines_that_read_back() {
        let step = TrainingEvent::Step {
            epoch: 2,
            epochs: 3,
            step: 4,
            steps: 9,
            loss: finite(1.25),
        };
        assert_eq!(
            step.to_line(),
            r#"{"event":"step","epoch":2,"epochs":3,"step":4,"steps":9,"loss":1.25}"#
        );
        assert_eq!(TrainingEvent::parse(&step.to_line()), Some(step));
        let nan = TrainingEvent::Epoch {
            epoch: 1,
            epochs: 1,
            loss: finite(f64::NAN),
            val: [10.0, 50.0, 90.0],
            best: true,
        };
        assert!(nan.to_line().contains(r#""loss":null"#));
        assert_eq!(TrainingEvent::parse(&nan.to_line()), Some(nan));
        assert_eq!(TrainingEvent::parse("epoch 1/3: loss 1.0"), None);
        assert_eq!(TrainingEvent::parse(r#"{"event":"unknown"}"#), None);
    }
}
