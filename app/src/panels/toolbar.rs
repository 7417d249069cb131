//! The toolbar: gallery folder and weights (typed, browsed), open and save a sketch, the shared
//! catalogue's URL, the demo note and the latest message.

use std::path::PathBuf;

use super::Action;

/// The toolbar and the paths typed into it.
#[derive(Debug, Default)]
pub struct Toolbar {
    /// The gallery folder field.
    pub gallery_input: String,
    /// The weights field.
    pub weights_input: String,
    /// The shared catalogue field (a PostgreSQL URL; empty: this machine only).
    pub store_input: String,
}

impl Toolbar {
    /// Draws the two toolbar rows. `demo` shows the demo note; `message` is the latest message.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        demo: bool,
        message: Option<&str>,
        actions: &mut Vec<Action>,
    ) {
        ui.horizontal(|ui| {
            let label = ui.label("Gallery folder");
            ui.add(egui::TextEdit::singleline(&mut self.gallery_input).desired_width(260.0))
                .labelled_by(label.id);
            if ui.button("Load folder").clicked() {
                actions.push(Action::OpenGallery(PathBuf::from(
                    self.gallery_input.trim(),
                )));
            }
            if ui.button("Browse…").clicked() {
                actions.push(Action::ChooseGallery);
            }
            ui.separator();
            let label = ui.label("Weights");
            ui.add(egui::TextEdit::singleline(&mut self.weights_input).desired_width(200.0))
                .labelled_by(label.id);
            if ui.button("Load weights").clicked() {
                actions.push(Action::OpenWeights(PathBuf::from(
                    self.weights_input.trim(),
                )));
            }
            if ui.button("Browse weights…").clicked() {
                actions.push(Action::ChooseWeights);
            }
        });
        ui.horizontal(|ui| {
            if ui.button("Open sketch…").on_hover_text("Ctrl+O").clicked() {
                actions.push(Action::ChooseSketchToOpen);
            }
            if ui.button("Save sketch…").on_hover_text("Ctrl+S").clicked() {
                actions.push(Action::ChooseSketchToSave);
            }
            ui.separator();
            let label = ui.label("Shared catalogue");
            ui.add(
                egui::TextEdit::singleline(&mut self.store_input)
                    .hint_text("postgres://user@host/db (empty: this machine)")
                    .desired_width(200.0),
            )
            .labelled_by(label.id);
            if ui.button("Use catalogue").clicked() {
                let url = self.store_input.trim();
                actions.push(Action::SetStore((!url.is_empty()).then(|| url.to_string())));
            }
            ui.separator();
            // The two bundled demo galleries: synthetic garments, and real product photos
            // (Fashion-MNIST test split, docs/real-photos.md).
            if ui
                .button("Demo: synthetic")
                .on_hover_text("the bundled gallery of 200 synthetic garments")
                .clicked()
            {
                actions.push(Action::OpenGallery(crate::assets::demo_gallery()));
            }
            if ui
                .button("Demo: real photos")
                .on_hover_text("200 real product photos (Fashion-MNIST test split, MIT)")
                .clicked()
            {
                actions.push(Action::OpenGallery(crate::assets::real_demo_gallery()));
            }
            if demo {
                ui.label(
                    egui::RichText::new(
                        "demo gallery, demo model — open your own folder / weights",
                    )
                    .italics(),
                );
            }
            if let Some(message) = message {
                ui.label(message);
            }
        });
    }
}
