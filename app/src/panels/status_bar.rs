//! The bottom bar: device, model, gallery indexing (progress and Cancel, skipped files) and the
//! last query's time.

use egui::Color32;

use super::Action;
use crate::status::{GalleryStatus, ModelStatus};
use crate::worker::QueryResults;

/// The status bar.
#[derive(Debug, Default)]
pub struct StatusBar;

impl StatusBar {
    /// Draws the bar.
    pub fn ui(
        &self,
        ui: &mut egui::Ui,
        device: &str,
        model: &ModelStatus,
        gallery: &GalleryStatus,
        results: Option<&QueryResults>,
        actions: &mut Vec<Action>,
    ) {
        ui.horizontal(|ui| {
            ui.label(device);
            ui.separator();
            match model {
                ModelStatus::Loading(path) => ui.label(format!("loading {}…", path.display())),
                ModelStatus::Ready { weights, summary } => ui.label(format!(
                    "model: {} ({summary})",
                    weights.file_name().unwrap_or_default().to_string_lossy()
                )),
                ModelStatus::Failed(reason) => {
                    ui.colored_label(Color32::RED, format!("model: {reason}"))
                }
            };
            ui.separator();
            match gallery {
                GalleryStatus::None => {
                    ui.label("no gallery");
                }
                GalleryStatus::Indexing { .. } if matches!(model, ModelStatus::Failed(_)) => {
                    ui.label("gallery waits for a model");
                }
                GalleryStatus::Indexing { done, total, .. } => {
                    let fraction = if *total == 0 {
                        0.0
                    } else {
                        *done as f32 / *total as f32
                    };
                    ui.add(
                        egui::ProgressBar::new(fraction)
                            .desired_width(160.0)
                            .text(format!("indexing {done}/{total}")),
                    );
                    if ui.button("Cancel").clicked() {
                        actions.push(Action::CancelIndex);
                    }
                }
                GalleryStatus::Ready {
                    photos,
                    cached,
                    skipped,
                    ..
                } => {
                    ui.label(format!("gallery: {photos} photos ({cached} from cache)"));
                    if !skipped.is_empty() {
                        ui.collapsing(format!("{} files skipped", skipped.len()), |ui| {
                            for (path, reason) in skipped {
                                ui.label(format!("{}: {reason}", path.display()));
                            }
                        });
                    }
                }
                GalleryStatus::Failed(reason) => {
                    ui.colored_label(Color32::RED, format!("gallery: {reason}"));
                }
                GalleryStatus::Cancelled(folder) => {
                    ui.label(format!("indexing of {} cancelled", folder.display()));
                }
            }
            if let Some(results) = results {
                ui.separator();
                ui.label(format!(
                    "last query {:.0} ms",
                    results.elapsed.as_secs_f64() * 1000.0
                ));
            }
        });
    }
}
