//! What a gallery folder holds: its image files, and the key that tells whether a file changed.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

/// File extensions treated as images.
pub const IMAGE_EXTENSIONS: [&str; 8] = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"];

/// Whether `path` has an image extension.
pub fn is_image_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// The photo stem a sketch file belongs to in a Clothes-V1-style folder: its stem before the
/// last `_` (`trainA/00066_01.png` is a sketch of `trainB/00066.*`). Shared by the trainer and
/// the app's fine-tuning, which assemble such folders.
pub fn photo_stem_of_sketch(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let (photo, _) = stem.rsplit_once('_')?;
    (!photo.is_empty()).then(|| photo.to_string())
}

/// A photo file as found on disk.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileKey {
    /// Path relative to the gallery folder, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub modified_ns: u128,
}

/// A file that looked like an image but could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

/// How deep [`list_images_in`] looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// The folder's own files: a data split (`trainA/`, `testB/`), a folder of photos to draw.
    Flat,
    /// Every subfolder too: a gallery, which a designer keeps as folders of folders.
    Recursive,
}

/// Every image file under `gallery` (recursively), by the one rule of [`list_images_in`].
pub fn list_images(gallery: &Path) -> std::io::Result<Vec<PathBuf>> {
    list_images_in(gallery, Depth::Recursive)
}

/// The one rule every part of the project lists images by: files whose extension is an image's
/// ([`is_image_path`]), hidden entries (a name starting with '.', e.g. macOS's `._x.png`)
/// left out, sorted by path. The folder itself must be readable (a missing folder is an error,
/// the caller decides what it means); an unreadable subfolder is skipped.
pub fn list_images_in(dir: &Path, depth: Depth) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    let mut first = true;
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if first => return Err(e),
            Err(_) => continue,
        };
        first = false;
        for entry in entries.flatten() {
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if hidden {
                continue;
            }
            if path.is_dir() {
                if depth == Depth::Recursive {
                    pending.push(path);
                }
            } else if is_image_path(&path) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

pub(crate) fn file_key(gallery: &Path, path: &Path) -> std::io::Result<FileKey> {
    let meta = std::fs::metadata(path)?;
    let modified_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let relative = path.strip_prefix(gallery).unwrap_or(path);
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok(FileKey {
        path: parts.join("/"),
        size: meta.len(),
        modified_ns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_is_recursive_sorted_and_skips_hidden_and_non_images() {
        let dir = std::env::temp_dir().join(format!("arnet-gallery-list-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::create_dir_all(dir.join(".hidden")).unwrap();
        for name in ["b.png", "a.JPG", "notes.txt", "sub/c.webp", ".hidden/d.png"] {
            std::fs::write(dir.join(name), b"x").unwrap();
        }
        let names: Vec<String> = list_images(&dir)
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["a.JPG", "b.png", "sub/c.webp"]);
        assert!(list_images(&dir.join("missing")).is_err());
        // Flat (a data split): the same rule without the subfolders; a folder named like an
        // image and a hidden file are never images.
        std::fs::create_dir_all(dir.join("folder.png")).unwrap();
        std::fs::write(dir.join("._b.png"), b"x").unwrap();
        let flat: Vec<String> = list_images_in(&dir, Depth::Flat)
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(flat, vec!["a.JPG", "b.png"]);
        assert!(list_images_in(&dir.join("missing"), Depth::Flat).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
