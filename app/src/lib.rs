//! The ARNet Sketch desktop application (eframe/egui).
//!
//! Today this is the window shell; drawing, live retrieval and gallery indexing are issue #4.

/// The application state.
#[derive(Debug, Default)]
pub struct SketchApp {}

impl eframe::App for SketchApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("ARNet Sketch");
            ui.label("Drawing and live retrieval are coming next.");
        });
    }
}
