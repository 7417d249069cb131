//! The window of a clicked result: the photo large, its path, copy / reveal / track, and
//! "Save as training pair" into a dataset folder.

use std::path::PathBuf;

use egui::Vec2;

use arnet_model::feedback::FeedbackPhotos;

use super::Action;
use super::results::feedback_buttons;
use crate::thumbnails::ImageLoader;

/// The selected result and the dataset folder typed for training pairs.
#[derive(Debug, Default)]
pub struct SelectedPhoto {
    /// The photo shown (none: the window is closed).
    pub path: Option<PathBuf>,
    /// The dataset folder field.
    pub dataset_input: String,
}

impl SelectedPhoto {
    /// Draws the window while a photo is selected. `can_save` says whether there is a sketch
    /// to save as a training pair.
    pub fn ui(
        &mut self,
        ctx: &egui::Context,
        images: &mut ImageLoader,
        can_save: bool,
        feedback: &FeedbackPhotos,
        actions: &mut Vec<Action>,
    ) {
        let Some(path) = self.path.clone() else {
            return;
        };
        let mut open = true;
        egui::Window::new("Result")
            .open(&mut open)
            .default_width(420.0)
            .show(ctx, |ui| {
                match images.get(ctx, &path, 512) {
                    Some(Ok(texture)) => {
                        ui.add(egui::Image::new(&texture).max_size(Vec2::splat(400.0)));
                    }
                    Some(Err(e)) => {
                        ui.label(e);
                    }
                    None => {
                        ui.spinner();
                    }
                }
                ui.label(path.display().to_string());
                ui.horizontal(|ui| {
                    if ui.button("Copy path").clicked() {
                        ctx.copy_text(path.display().to_string());
                    }
                    if ui.button("Reveal in file manager").clicked() {
                        actions.push(Action::Reveal(path.clone()));
                    }
                    if ui.button("Track this photo while drawing").clicked() {
                        actions.push(Action::Track(Some(path.clone())));
                    }
                });
                ui.separator();
                ui.horizontal(|ui| {
                    ui.label("Dataset folder");
                    ui.text_edit_singleline(&mut self.dataset_input);
                });
                let can_save = can_save && !self.dataset_input.trim().is_empty();
                if ui
                    .add_enabled(can_save, egui::Button::new("Save as training pair"))
                    .clicked()
                {
                    actions.push(Action::SaveTrainingPair {
                        dataset: PathBuf::from(self.dataset_input.trim()),
                        photo: path.clone(),
                    });
                }
                // Last, away from the other buttons: the window grows when the photo arrives,
                // and a click meant for *Copy path* must not land on "not this".
                ui.separator();
                ui.horizontal(|ui| {
                    feedback_buttons(ui, &path, "this photo", feedback, actions);
                    ui.label("more like this / not this");
                });
            });
        if !open {
            self.path = None;
        }
    }
}
