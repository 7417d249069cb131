//! The right-hand panel: the ten closest photos with rank and cosine, or why there are none.

use egui::{Sense, Vec2};

use super::Action;
use crate::worker::{ImageLoader, QueryResults};

/// Side of a result thumbnail, in points.
const THUMBNAIL: f32 = 128.0;

/// The results panel.
#[derive(Debug, Default)]
pub struct ResultsPanel;

impl ResultsPanel {
    /// Draws `results` as a two-column grid of thumbnails, or `note` when there are none.
    pub fn ui(
        &self,
        ui: &mut egui::Ui,
        results: Option<&QueryResults>,
        note: &str,
        images: &mut ImageLoader,
        actions: &mut Vec<Action>,
    ) {
        ui.heading("Top 10");
        let Some(results) = results else {
            ui.label(note);
            return;
        };
        let ctx = ui.ctx().clone();
        egui::ScrollArea::vertical().show(ui, |ui| {
            egui::Grid::new("results-grid")
                .num_columns(2)
                .show(ui, |ui| {
                    for (i, (path, score)) in results.hits.iter().enumerate() {
                        ui.vertical(|ui| {
                            match images.get(&ctx, path, THUMBNAIL as u32) {
                                Some(Ok(texture)) => {
                                    let image = egui::Image::new(&texture)
                                        .fit_to_exact_size(Vec2::splat(THUMBNAIL))
                                        .sense(Sense::click());
                                    if ui.add(image).clicked() {
                                        actions.push(Action::Select(path.clone()));
                                    }
                                }
                                Some(Err(_)) => {
                                    ui.label("(unreadable)");
                                }
                                None => {
                                    ui.add_sized(Vec2::splat(THUMBNAIL), egui::Spinner::new());
                                }
                            }
                            let label = format!("#{} {:.3}", i + 1, score);
                            if ui
                                .button(label)
                                .on_hover_text(path.display().to_string())
                                .clicked()
                            {
                                actions.push(Action::Select(path.clone()));
                            }
                        });
                        if i % 2 == 1 {
                            ui.end_row();
                        }
                    }
                });
        });
    }
}
