//! How the desktop knows the app: its id, its icon, and its one data folder.
//!
//! The id names the window for the desktop (Wayland's app id, X11's WM_CLASS), which matches
//! it to `arnet-sketch.desktop` and its icon. It also names eframe's settings folder: with the
//! id set, eframe keeps its `app.ron` in `~/.local/share/arnet-sketch/`, the folder the app
//! already keeps its sketch and fine-tuned models in. Earlier versions set no id, so eframe
//! used the window title, `~/.local/share/arnetsketch/`: [`move_old_settings`] moves those
//! settings over once.

use std::path::Path;

/// The app id (also the `.desktop` file's and the icon's name).
pub const APP_ID: &str = "arnet-sketch";
/// The window title.
pub const TITLE: &str = "ARNet Sketch";
/// eframe's settings file.
pub const SETTINGS_FILE: &str = "app.ron";

/// The icon, 256 x 256 RGBA (`assets/icon/arnet-sketch.png`, compiled in).
pub fn icon() -> Option<egui::IconData> {
    let png = include_bytes!("../../assets/icon/arnet-sketch.png");
    let image = image::load_from_memory_with_format(png, image::ImageFormat::Png).ok()?;
    let rgba = image.to_rgba8();
    Some(egui::IconData {
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
    })
}

/// Moves eframe's settings from the folder of versions without an app id (`old_dir`) to
/// `new_dir`, unless `new_dir` already has some. Returns whether they were moved. The old
/// folder is removed when nothing else is left in it.
pub fn move_old_settings(old_dir: &Path, new_dir: &Path) -> std::io::Result<bool> {
    let old = old_dir.join(SETTINGS_FILE);
    let new = new_dir.join(SETTINGS_FILE);
    if old_dir == new_dir || !old.is_file() || new.exists() {
        return Ok(false);
    }
    std::fs::create_dir_all(new_dir)?;
    if std::fs::rename(&old, &new).is_err() {
        // Another file system: copy, then remove.
        std::fs::copy(&old, &new)?;
        std::fs::remove_file(&old)?;
    }
    // Only succeeds when empty.
    let _ = std::fs::remove_dir(old_dir);
    Ok(true)
}

/// [`move_old_settings`] between eframe's folders for the old and the new id, logging what
/// happened (a failure leaves the old settings where they were: the app starts with defaults).
pub fn move_old_settings_in_place() {
    let (Some(old_dir), Some(new_dir)) = (eframe::storage_dir(TITLE), eframe::storage_dir(APP_ID))
    else {
        return;
    };
    match move_old_settings(&old_dir, &new_dir) {
        Ok(true) => log::info!(
            "moved the settings from {} to {}",
            old_dir.display(),
            new_dir.display()
        ),
        Ok(false) => {}
        Err(e) => log::warn!(
            "could not move the settings from {} to {}: {e}",
            old_dir.display(),
            new_dir.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_settings_move_once_and_never_over_new_ones() {
        let root = std::env::temp_dir().join(format!("arnet-desktop-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let (old, new) = (root.join("arnetsketch"), root.join("arnet-sketch"));
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join(SETTINGS_FILE), "old settings").unwrap();
        assert!(move_old_settings(&old, &new).unwrap());
        assert_eq!(
            std::fs::read_to_string(new.join(SETTINGS_FILE)).unwrap(),
            "old settings"
        );
        assert!(!old.exists(), "the emptied old folder is removed");
        // Newer settings are never overwritten.
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join(SETTINGS_FILE), "stale").unwrap();
        assert!(!move_old_settings(&old, &new).unwrap());
        assert_eq!(
            std::fs::read_to_string(new.join(SETTINGS_FILE)).unwrap(),
            "old settings"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_icon_decodes_and_the_ids_agree_with_the_desktop_file() {
        let icon = icon().expect("the icon decodes");
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
        let entry = include_str!("../../assets/icon/arnet-sketch.desktop");
        assert!(entry.contains(&format!("Icon={APP_ID}\n")), "{entry}");
        assert!(
            entry.contains(&format!("StartupWMClass={APP_ID}\n")),
            "{entry}"
        );
        assert!(entry.contains(&format!("Name={TITLE}\n")), "{entry}");
    }
}
