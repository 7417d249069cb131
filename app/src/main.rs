//! `arnet-app`: the ARNet Sketch desktop application.

use arnet_app::desktop::{self, APP_ID, TITLE};
use arnet_app::settings::{STORAGE_KEY, Settings};

fn main() -> eframe::Result {
    arnet_app::logging::init();
    arnet_model::allocator::tune_for_tensors();
    desktop::move_old_settings_in_place();
    let device = arnet_app::hardware::choose_device();
    log::info!("compute device: {}", device.description);
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(TITLE)
        .with_app_id(APP_ID)
        .with_inner_size([1280.0, 820.0])
        .with_min_inner_size([720.0, 480.0])
        .with_drag_and_drop(true);
    if let Some(icon) = desktop::icon() {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    let result = eframe::run_native(
        APP_ID,
        options,
        Box::new(move |cc| {
            let settings = cc
                .storage
                .and_then(|storage| storage.get_string(STORAGE_KEY))
                .map(|text| Settings::from_json(&text))
                .unwrap_or_default();
            Ok(Box::new(arnet_app::SketchApp::new(settings, device)))
        }),
    );
    if let Err(e) = &result {
        // No window at all: most often no display, or no GPU adapter and no software one.
        log::error!("the window could not open: {e}");
    }
    result
}
