//! [`SketchApp`]'s side of "Fine-tune on this gallery": starting the job with the open model
//! and gallery, following its events, switching to the new model. The job is
//! [`crate::fine_tune`], the row [`crate::panels::fine_tune`].

use crate::fine_tune::{self, FineTuneEvent, FineTuneJob, FineTuneSpec};
use crate::{FineTuneStatus, GalleryStatus, ModelStatus, SketchApp};

impl SketchApp {
    /// Where fine-tuning stands.
    pub fn fine_tune_status(&self) -> &FineTuneStatus {
        &self.fine_tune_status
    }

    /// Starts fine-tuning the current model on the gallery (and the saved training pairs) for
    /// `epochs` epochs, in the background; `extra_args` go to `arnet fine-tune` as they are.
    pub fn start_fine_tune(&mut self, epochs: usize, extra_args: Vec<String>) {
        let (ModelStatus::Ready { weights, .. }, GalleryStatus::Ready { folder, .. }) =
            (&self.model, &self.gallery)
        else {
            self.fine_tune_status =
                FineTuneStatus::Failed("a model and an indexed gallery are needed".into());
            return;
        };
        let Some(arnet) = fine_tune::arnet_executable() else {
            self.fine_tune_status = FineTuneStatus::Failed(
                "the arnet program is not beside the app (set ARNET_BIN)".into(),
            );
            return;
        };
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "gallery".into());
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // `arnet fine-tune`'s own defaults (the same run as on the command line), on the
        // app's device unless given.
        let mut args = extra_args;
        if !args.iter().any(|a| a == "--device") {
            args.extend(["--device".to_string(), self.device.backend.to_string()]);
        }
        let spec = FineTuneSpec {
            arnet,
            gallery: folder.clone(),
            dataset: self.settings.dataset.clone(),
            weights: weights.clone(),
            run: self.fine_tune_root.join(format!("{name}-{seconds}")),
            epochs,
            extra_args: args,
        };
        match FineTuneJob::start(&spec) {
            Ok(job) => {
                self.fine_tune = Some(job);
                self.fine_tune_status = FineTuneStatus::Running {
                    photos: 0,
                    sketches: 0,
                    epoch: (0, epochs),
                    step: (0, 0),
                    loss: None,
                    before: None,
                    val: None,
                };
            }
            Err(e) => self.fine_tune_status = FineTuneStatus::Failed(e.to_string()),
        }
    }

    /// Follows the running fine-tune; when it finishes, switches to the new model.
    pub(crate) fn handle_fine_tune(&mut self) {
        let Some(job) = &mut self.fine_tune else {
            return;
        };
        let events = job.poll();
        let finished = job.is_finished();
        for event in events {
            match (&mut self.fine_tune_status, event) {
                (FineTuneStatus::Running { .. }, FineTuneEvent::Trainer(event)) => {
                    self.fine_tune_status.follow(event);
                }
                (
                    _,
                    FineTuneEvent::Finished {
                        weights,
                        before,
                        after,
                        kept_start,
                        kinds,
                    },
                ) => {
                    self.fine_tune_status = FineTuneStatus::Done {
                        before,
                        after,
                        kept_start,
                        kinds,
                    };
                    // Kept: the open model is the starting model; nothing to switch.
                    if !kept_start {
                        self.open_weights(weights);
                    }
                }
                (_, FineTuneEvent::Failed(reason)) => {
                    self.fine_tune_status = FineTuneStatus::Failed(reason);
                }
                (_, FineTuneEvent::Cancelled) => self.fine_tune_status = FineTuneStatus::Cancelled,
                _ => {}
            }
        }
        if finished {
            self.fine_tune = None;
        }
    }
}
