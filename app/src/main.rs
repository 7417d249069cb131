//! `arnet-app`: the ARNet Sketch desktop application.

fn main() -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("ARNet Sketch")
            .with_inner_size([1200.0, 800.0]),
        ..Default::default()
    };
    eframe::run_native(
        "ARNet Sketch",
        options,
        Box::new(|_cc| Ok(Box::new(arnet_app::SketchApp::default()))),
    )
}
