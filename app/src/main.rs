//! `arnet-app`: the ARNet Sketch desktop application.

use arnet_app::settings::{STORAGE_KEY, Settings};

fn main() -> eframe::Result {
    arnet_model::allocator::tune_for_tensors();
    let device = arnet_app::hardware::choose_device();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("ARNet Sketch")
            .with_inner_size([1280.0, 820.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "ARNet Sketch",
        options,
        Box::new(move |cc| {
            let settings = cc
                .storage
                .and_then(|storage| storage.get_string(STORAGE_KEY))
                .map(|text| Settings::from_json(&text))
                .unwrap_or_default();
            Ok(Box::new(arnet_app::SketchApp::new(settings, device)))
        }),
    )
}
