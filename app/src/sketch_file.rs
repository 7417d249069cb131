//! The current sketch on disk, rewritten atomically after every change to it.
//!
//! eframe's own persistence (the settings, which also hold the strokes) is written only every
//! 30 seconds and on a clean exit, so a crash or a kill lost what was drawn since. This file
//! is written after every stroke, undo, redo, erase and clear (a temporary file renamed over
//! the old one, [`arnet_model::fsutil::write_atomic`], so a kill mid-write leaves the previous
//! version), and on start it wins over the strokes in the settings.
//!
//! Where: `current-sketch.json` in the platform data folder (`~/.local/share/arnet-sketch` on
//! Linux); `ARNET_SKETCH_FILE` overrides it.

use std::path::{Path, PathBuf};

use arnet_model::raster::Stroke;
use serde::{Deserialize, Serialize};

/// File name inside the data folder.
pub const FILE_NAME: &str = "current-sketch.json";

/// What the file holds: the strokes, versioned so that a later format can tell.
#[derive(Debug, Serialize, Deserialize)]
struct SketchFile {
    version: u32,
    strokes: Vec<Stroke>,
}

/// The default location (see the module docs), if the platform has a data folder.
pub fn default_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ARNET_SKETCH_FILE") {
        return Some(PathBuf::from(path));
    }
    directories::ProjectDirs::from("", "", "arnet-sketch")
        .map(|dirs| dirs.data_dir().join(FILE_NAME))
}

/// Reads the strokes saved at `path`: `Ok(None)` when there is no file yet, an error naming
/// the file when it cannot be read or is not a sketch file.
pub fn load(path: &Path) -> Result<Option<Vec<Stroke>>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let file: SketchFile = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a sketch file: {e}", path.display()))?;
    Ok(Some(file.strokes))
}

/// Writes `strokes` to `path` atomically, creating its folder.
pub fn save(path: &Path, strokes: &[Stroke]) -> Result<(), String> {
    let file = SketchFile {
        version: 1,
        strokes: strokes.to_vec(),
    };
    let text = serde_json::to_string(&file).expect("strokes serialise");
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    arnet_model::fsutil::write_atomic(path, text.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_and_loads_and_names_the_file_on_errors() {
        let dir = std::env::temp_dir().join(format!("arnet-sketch-file-{}", std::process::id()));
        let path = dir.join("nested").join(FILE_NAME);
        assert_eq!(load(&path), Ok(None));
        let strokes = vec![Stroke::new(vec![[0.1, 0.2], [0.3, 0.4]], 0.02)];
        save(&path, &strokes).unwrap();
        assert_eq!(load(&path), Ok(Some(strokes)));
        std::fs::write(&path, "{broken").unwrap();
        let err = load(&path).unwrap_err();
        assert!(
            err.contains(FILE_NAME) && err.contains("not a sketch file"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
