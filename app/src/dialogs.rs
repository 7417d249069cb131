//! The file dialogs (rfd: the desktop portal on Linux, the system dialogs elsewhere).
//!
//! A dialog that cannot open (no portal) returns "nothing chosen" like a cancelled one; rfd
//! logs why, and [`crate::logging`] puts that error in the status bar.

use std::path::PathBuf;

/// Image types offered when opening a sketch.
const SKETCH_TYPES: [&str; 5] = ["png", "jpg", "jpeg", "webp", "bmp"];

fn chosen(what: &str, choice: Option<PathBuf>) -> Option<PathBuf> {
    match &choice {
        Some(path) => log::info!("{what}: {}", path.display()),
        None => log::debug!("{what}: none chosen"),
    }
    choice
}

/// A gallery folder.
pub fn gallery_folder() -> Option<PathBuf> {
    chosen(
        "gallery folder",
        rfd::FileDialog::new()
            .set_title("Gallery folder")
            .pick_folder(),
    )
}

/// A weight file.
pub fn weights_file() -> Option<PathBuf> {
    chosen(
        "weights",
        rfd::FileDialog::new()
            .set_title("Weights")
            .add_filter("weights", &["safetensors", "pth", "pt", "bin"])
            .pick_file(),
    )
}

/// A sketch image to search with.
pub fn sketch_to_open() -> Option<PathBuf> {
    chosen(
        "sketch to open",
        rfd::FileDialog::new()
            .set_title("Open a sketch")
            .add_filter("images", &SKETCH_TYPES)
            .pick_file(),
    )
}

/// Where to save the drawing.
pub fn sketch_to_save() -> Option<PathBuf> {
    chosen(
        "sketch to save",
        rfd::FileDialog::new()
            .set_title("Save the sketch")
            .add_filter("PNG", &["png"])
            .set_file_name("sketch.png")
            .save_file(),
    )
}
