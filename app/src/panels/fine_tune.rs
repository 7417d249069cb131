//! "Fine-tune on this gallery": start, progress (epoch, step, loss, validation Acc@K),
//! Cancel, and the outcome. The job itself is [`crate::fine_tune`].

use arnet_model::events::TrainingEvent;

use super::Action;

/// Where a fine-tune stands, as the panel shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum FineTuneStatus {
    /// None started.
    #[default]
    Idle,
    /// Training.
    Running {
        /// Photos in the training folder.
        photos: usize,
        /// Drawn sketches among them (the rest get pseudo-sketches).
        sketches: usize,
        /// 1-based epoch, and epochs in all.
        epoch: (usize, usize),
        /// Steps done in this epoch, and its steps.
        step: (usize, usize),
        /// Mean loss so far in this epoch.
        loss: Option<f64>,
        /// Validation Acc@1 of the starting model.
        before: Option<f64>,
        /// Validation Acc@1, Acc@5, Acc@10 after the last finished epoch.
        val: Option<[f64; 3]>,
    },
    /// Finished: the app switched to the new model.
    Done {
        /// Validation Acc@1 of the starting model.
        before: Option<f64>,
        /// Validation Acc@1 of the new model.
        after: Option<f64>,
        /// Fine-tuning did not improve the held-out check: the app kept the starting model.
        kept_start: bool,
        /// The kind check (category precision@10 of free-hand drawings among the gallery),
        /// before and after, if the trainer reported it.
        kinds: Option<[f64; 2]>,
    },
    /// Failed (message).
    Failed(String),
    /// Cancelled by the user.
    Cancelled,
}

impl FineTuneStatus {
    /// Whether a job is running.
    pub fn is_running(&self) -> bool {
        matches!(self, Self::Running { .. })
    }

    /// Takes in what the trainer reported while running (nothing changes otherwise).
    pub fn follow(&mut self, event: TrainingEvent) {
        let Self::Running {
            photos,
            sketches,
            epoch,
            step,
            loss,
            before,
            val,
        } = self
        else {
            return;
        };
        match event {
            TrainingEvent::Prepared {
                photos: p,
                sketches: s,
            } => (*photos, *sketches) = (p, s),
            TrainingEvent::Untrained { val: v } => *before = Some(v[0]),
            TrainingEvent::Step {
                epoch: e,
                epochs,
                step: s,
                steps,
                loss: l,
            } => (*epoch, *step, *loss) = ((e, epochs), (s, steps), l),
            TrainingEvent::Epoch {
                epoch: e,
                epochs,
                val: v,
                ..
            } => (*epoch, *val) = ((e, epochs), Some(v)),
            TrainingEvent::WeightAverage { .. } | TrainingEvent::Outcome { .. } => {}
        }
    }
}

/// Label of the start button (for tests).
pub const START_LABEL: &str = "Fine-tune on this gallery";

/// The fine-tuning row.
#[derive(Debug)]
pub struct FineTunePanel {
    /// Epochs to train.
    pub epochs: usize,
}

impl Default for FineTunePanel {
    fn default() -> Self {
        Self { epochs: 3 }
    }
}

impl FineTunePanel {
    /// Draws the row. `can_start` says whether a model and a gallery are ready.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        status: &FineTuneStatus,
        can_start: bool,
        actions: &mut Vec<Action>,
    ) {
        ui.horizontal(|ui| {
            let running = status.is_running();
            if ui
                .add_enabled(can_start && !running, egui::Button::new(START_LABEL))
                .on_hover_text(
                    "Trains the current model on this gallery's photos (pseudo-sketches) and \
                     the saved training pairs, in the background; then switches to it",
                )
                .clicked()
            {
                actions.push(Action::StartFineTune {
                    epochs: self.epochs,
                });
            }
            ui.add_enabled(
                !running,
                egui::DragValue::new(&mut self.epochs)
                    .range(1..=50)
                    .suffix(" epochs"),
            );
            match status {
                FineTuneStatus::Idle => {}
                FineTuneStatus::Running {
                    photos,
                    sketches,
                    epoch,
                    step,
                    loss,
                    before,
                    val,
                } => {
                    let done = (epoch.0.saturating_sub(1)) as f32
                        + if step.1 == 0 {
                            0.0
                        } else {
                            step.0 as f32 / step.1 as f32
                        };
                    let fraction = done / epoch.1.max(1) as f32;
                    ui.add(
                        egui::ProgressBar::new(fraction)
                            .desired_width(180.0)
                            .text(format!("epoch {}/{}", epoch.0.max(1), epoch.1)),
                    );
                    if ui.button("Cancel").clicked() {
                        actions.push(Action::CancelFineTune);
                    }
                    let mut text = format!("{photos} photos, {sketches} drawn sketches");
                    if let Some(loss) = loss {
                        text += &format!(", loss {loss:.3}");
                    }
                    if let Some(before) = before {
                        text += &format!(", val Acc@1 before {before:.1}%");
                    }
                    if let Some([a1, a5, a10]) = val {
                        text += &format!(", now Acc@1 {a1:.1}% Acc@5 {a5:.1}% Acc@10 {a10:.1}%");
                    }
                    ui.label(text);
                }
                FineTuneStatus::Done {
                    before,
                    after,
                    kept_start,
                    kinds,
                } => {
                    let percent =
                        |v: &Option<f64>| v.map_or("?".to_string(), |v| format!("{v:.1}%"));
                    let kinds = kinds
                        .map(|[b, a]| format!("; kinds P@10 {b:.1}% before, {a:.1}% after"))
                        .unwrap_or_default();
                    ui.label(if *kept_start {
                        format!(
                            "fine-tuning did not help (held-out Acc@1 {} before, {} after{kinds}): \
                             kept the current model",
                            percent(before),
                            percent(after)
                        )
                    } else {
                        format!(
                            "fine-tuned: held-out Acc@1 {} before, {} after{kinds}",
                            percent(before),
                            percent(after)
                        )
                    });
                }
                FineTuneStatus::Failed(reason) => {
                    ui.colored_label(egui::Color32::RED, format!("fine-tuning failed: {reason}"));
                }
                FineTuneStatus::Cancelled => {
                    ui.label("fine-tuning cancelled");
                }
            }
        });
    }
}
