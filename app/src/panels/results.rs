//! The results: the closest photos with rank and score, in a grid that fills the space beside
//! the canvas (as many columns as fit), or why there are none. Under each, "more like this"
//! and "not this" (docs/feedback.md); the marked photos are listed as chips above the grid.

use std::path::Path;

use arnet_model::feedback::FeedbackPhotos;
use egui::{Sense, Vec2};

use super::Action;
use crate::settings::RESULT_COUNTS;
use crate::thumbnails::ImageLoader;
use crate::worker::QueryResults;

/// Side of the square a result thumbnail is fitted into, in points.
pub const THUMBNAIL: f32 = 128.0;
/// Room for the rank-and-score button under a thumbnail, in points.
const CAPTION: f32 = 26.0;

/// The results panel.
#[derive(Debug, Default)]
pub struct ResultsPanel;

/// What the results panel shows.
#[derive(Debug, Clone, Copy)]
pub struct ResultsView<'a> {
    /// The latest results (none: `note` says why).
    pub results: Option<&'a QueryResults>,
    /// At most this many are shown.
    pub count: usize,
    /// Why there are no results.
    pub note: &'a str,
    /// The marks on the results.
    pub feedback: &'a FeedbackPhotos,
}

/// Accessible name of the "more like this" button of `what` ("result 3", "this photo").
pub fn like_label(what: &str) -> String {
    format!("More like {what}")
}

/// Accessible name of the "not this" button of `what`.
pub fn unlike_label(what: &str) -> String {
    format!("Not {what}")
}

/// Text of the chip of a photo marked "more like this" (`liked`) or "not this"; clicking it
/// removes the mark.
pub fn chip_label(liked: bool, file: &str) -> String {
    format!("{} {file} ×", if liked { "+" } else { "−" })
}

/// The two feedback buttons of `photo`, named after `what`; a marked one shows selected, and
/// a click on it removes the mark.
pub fn feedback_buttons(
    ui: &mut egui::Ui,
    photo: &Path,
    what: &str,
    feedback: &FeedbackPhotos,
    actions: &mut Vec<Action>,
) {
    let liked = feedback.liked.iter().any(|p| p == photo);
    let unliked = feedback.unliked.iter().any(|p| p == photo);
    for (marked, icon, label, hint, mark) in [
        (
            liked,
            "+",
            like_label(what),
            "more like this: move the results towards this garment",
            Action::Like(photo.to_path_buf()),
        ),
        (
            unliked,
            "−",
            unlike_label(what),
            "not this: move the results away from it, and leave it out",
            Action::Unlike(photo.to_path_buf()),
        ),
    ] {
        let response = ui.add(egui::Button::selectable(marked, icon));
        response
            .widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, marked, &label));
        if response.on_hover_text(hint).clicked() {
            actions.push(if marked {
                Action::Unmark(photo.to_path_buf())
            } else {
                mark
            });
        }
    }
}

/// The marked photos as chips ("+ file ×", "− file ×"); clicking one removes its mark.
fn chips(ui: &mut egui::Ui, feedback: &FeedbackPhotos, actions: &mut Vec<Action>) {
    if feedback.is_empty() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        let marked = feedback
            .liked
            .iter()
            .map(|p| (true, p))
            .chain(feedback.unliked.iter().map(|p| (false, p)));
        for (liked, photo) in marked {
            let file = photo.file_name().unwrap_or_default().to_string_lossy();
            if ui
                .button(chip_label(liked, &file))
                .on_hover_text(format!("{}: remove this mark", photo.display()))
                .clicked()
            {
                actions.push(Action::Unmark(photo.clone()));
            }
        }
    });
}

/// Accessible name of result `rank` (1-based) showing `file`: screen readers read it, tests
/// find the thumbnail by it.
pub fn thumbnail_label(rank: usize, file: &str) -> String {
    format!("result {rank}: {file}")
}

impl ResultsPanel {
    /// Draws `results` (at most `count`) as a grid of thumbnails, or `note` when there are
    /// none; the count chooser changes how many are asked for.
    pub fn ui(
        &self,
        ui: &mut egui::Ui,
        view: ResultsView<'_>,
        images: &mut ImageLoader,
        actions: &mut Vec<Action>,
    ) {
        let ResultsView {
            results,
            count,
            note,
            feedback,
        } = view;
        ui.horizontal(|ui| {
            ui.heading("Results");
            let mut chosen = count;
            egui::ComboBox::from_label("shown")
                .selected_text(count.to_string())
                .show_ui(ui, |ui| {
                    for n in RESULT_COUNTS {
                        ui.selectable_value(&mut chosen, n, n.to_string());
                    }
                });
            if chosen != count {
                actions.push(Action::SetResultCount(chosen));
            }
        });
        chips(ui, feedback, actions);
        let Some(results) = results else {
            ui.label(note);
            return;
        };
        let ctx = ui.ctx().clone();
        // Thumbnails decoded at the screen's pixel density, so they are sharp on HiDPI screens.
        let pixels = (THUMBNAIL * ctx.pixels_per_point()).round() as u32;
        let spacing = ui.spacing().item_spacing;
        let columns = ((ui.available_width() + spacing.x) / (THUMBNAIL + spacing.x))
            .floor()
            .max(1.0) as usize;
        egui::ScrollArea::vertical().show(ui, |ui| {
            egui::Grid::new("results-grid")
                .num_columns(columns)
                .show(ui, |ui| {
                    for (i, (path, score)) in results.hits.iter().take(count).enumerate() {
                        let file = path.file_name().unwrap_or_default().to_string_lossy();
                        ui.allocate_ui(Vec2::new(THUMBNAIL, THUMBNAIL + CAPTION), |ui| {
                            ui.vertical_centered(|ui| {
                                match images.get(&ctx, path, pixels) {
                                    Some(Ok(texture)) => {
                                        let label = thumbnail_label(i + 1, &file);
                                        if thumbnail(ui, &texture, label).clicked() {
                                            actions.push(Action::Select(path.clone()));
                                        }
                                    }
                                    Some(Err(_)) => {
                                        ui.add_sized(
                                            Vec2::splat(THUMBNAIL),
                                            egui::Label::new("(unreadable)"),
                                        );
                                    }
                                    None => {
                                        ui.add_sized(Vec2::splat(THUMBNAIL), egui::Spinner::new());
                                    }
                                }
                                ui.horizontal(|ui| {
                                    let label = format!("#{} {:.3}", i + 1, score);
                                    if ui
                                        .button(label)
                                        .on_hover_text(path.display().to_string())
                                        .clicked()
                                    {
                                        actions.push(Action::Select(path.clone()));
                                    }
                                    let what = format!("result {}", i + 1);
                                    feedback_buttons(ui, path, &what, feedback, actions);
                                });
                            });
                        });
                        if i % columns == columns - 1 {
                            ui.end_row();
                        }
                    }
                });
        });
    }
}

/// Draws `texture` fitted (aspect ratio kept) and centred in a [`THUMBNAIL`] square, as a
/// clickable image named `label`; the response covers the picture itself.
fn thumbnail(ui: &mut egui::Ui, texture: &egui::TextureHandle, label: String) -> egui::Response {
    let (cell, _) = ui.allocate_exact_size(Vec2::splat(THUMBNAIL), Sense::hover());
    let rect = egui::Rect::from_center_size(cell.center(), fitted_size(texture.size_vec2()));
    let response = ui.interact(rect, ui.scope_id().with(&label), Sense::click());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &label));
    egui::Image::new(texture).paint_at(ui, rect);
    response.on_hover_cursor(egui::CursorIcon::PointingHand)
}

/// The size a thumbnail of `texture` pixels is shown at: fitted into the
/// [`THUMBNAIL`] square with its aspect ratio kept.
pub fn fitted_size(texture: Vec2) -> Vec2 {
    let scale = THUMBNAIL / texture.x.max(texture.y).max(1.0);
    texture * scale
}
