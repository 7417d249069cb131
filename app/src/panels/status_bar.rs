//! The bottom bar: device, model, gallery indexing (progress and Cancel, skipped files) and the
//! last query's time.

use egui::Color32;

use super::Action;
use crate::status::{CatalogueStatus, GalleryStatus, ModelStatus};
use crate::worker::QueryResults;

/// The status bar.
#[derive(Debug, Default)]
pub struct StatusBar;

/// What the status bar shows.
#[derive(Debug, Clone, Copy)]
pub struct Status<'a> {
    /// The compute device, in words.
    pub device: &'a str,
    /// The model.
    pub model: &'a ModelStatus,
    /// The gallery.
    pub gallery: &'a GalleryStatus,
    /// The shared catalogue.
    pub catalogue: &'a CatalogueStatus,
    /// The last results.
    pub results: Option<&'a QueryResults>,
    /// The latest error from the log (a file dialog, the GPU); Esc dismisses it.
    pub error: Option<&'a str>,
}

impl StatusBar {
    /// Draws the bar.
    pub fn ui(&self, ui: &mut egui::Ui, status: Status<'_>, actions: &mut Vec<Action>) {
        let Status {
            device,
            model,
            gallery,
            catalogue,
            results,
            error,
        } = status;
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
            match catalogue {
                CatalogueStatus::Off => {}
                CatalogueStatus::Syncing(database) => {
                    ui.separator();
                    ui.label("shared catalogue: updating…")
                        .on_hover_text(database);
                }
                CatalogueStatus::Connected { database, photos } => {
                    ui.separator();
                    ui.label(format!("shared catalogue: {photos} photos"))
                        .on_hover_text(database);
                }
                CatalogueStatus::Unreachable(reason) => {
                    ui.separator();
                    ui.colored_label(
                        Color32::from_rgb(200, 120, 0),
                        format!("{reason}; searching this machine's index"),
                    );
                }
            }
            if let Some(results) = results {
                ui.separator();
                ui.label(format!(
                    "last query {:.0} ms{}",
                    results.elapsed.as_secs_f64() * 1000.0,
                    if results.from_catalogue {
                        " (shared catalogue)"
                    } else {
                        ""
                    }
                ));
            }
            if let Some(error) = error {
                ui.separator();
                ui.colored_label(Color32::RED, error)
                    .on_hover_text("from the log (RUST_LOG for more); Esc dismisses it");
            }
        });
    }
}
