//! The bundled demo: a gallery of synthetic garment photos and a small model trained on a
//! separate synthetic set (see README, "The bundled demo", for the command that made them).

use std::path::PathBuf;

/// The `assets/` folder: `ARNET_ASSETS` if set, else next to the executable, else the
/// repository's (compiled in, so `cargo run` from a clone finds it).
pub fn assets_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ARNET_ASSETS") {
        return PathBuf::from(dir);
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent().map(|d| d.join("assets"))
        && dir.join("demo").is_dir()
    {
        return dir;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../assets"))
}

/// The demo model (both encoders).
pub fn demo_weights() -> PathBuf {
    assets_dir().join("demo/model.safetensors")
}

/// The demo gallery folder.
pub fn demo_gallery() -> PathBuf {
    assets_dir().join("demo/gallery")
}
