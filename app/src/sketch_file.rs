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

/// Why the sketch file could not be read or written (each names the file).
#[derive(Debug, thiserror::Error)]
pub enum SketchFileError {
    /// Reading, writing or creating its folder failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a sketch file (another program's, or damaged).
    #[error("{path}: not a sketch file: {source}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What did not parse.
        source: serde_json::Error,
    },
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
pub fn load(path: &Path) -> Result<Option<Vec<Stroke>>, SketchFileError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SketchFileError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let file: SketchFile =
        serde_json::from_str(&text).map_err(|source| SketchFileError::Format {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(Some(file.strokes))
}

/// Writes `strokes` to `path` atomically, creating its folder.
pub fn save(path: &Path, strokes: &[Stroke]) -> Result<(), SketchFileError> {
    let file = SketchFile {
        version: 1,
        strokes: strokes.to_vec(),
    };
    let text = serde_json::to_string(&file).expect("strokes serialise");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SketchFileError::Io { path, source }
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    arnet_model::fsutil::write_atomic(path, text.as_bytes()).map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_and_loads_and_names_the_file_on_errors() {
        let dir = std::env::temp_dir().join(format!("arnet-sketch-file-{}", std::process::id()));
        let path = dir.join("nested").join(FILE_NAME);
        assert!(matches!(load(&path), Ok(None)));
        let strokes = vec![Stroke::new(vec![[0.1, 0.2], [0.3, 0.4]], 0.02)];
        save(&path, &strokes).unwrap();
        assert_eq!(load(&path).unwrap(), Some(strokes));
        std::fs::write(&path, "{broken").unwrap();
        let err = load(&path).unwrap_err();
        assert!(matches!(err, SketchFileError::Format { .. }), "{err}");
        let err = err.to_string();
        assert!(
            err.contains(FILE_NAME) && err.contains("not a sketch file"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
