//! "Save as training pair": the current sketch and a gallery photo, written in the layout
//! `arnet train` reads (`trainA/STEM_NN.png` and `trainB/STEM.ext`), never overwriting a file.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use image::RgbImage;

/// The files one pair was saved as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedPair {
    /// The new sketch file.
    pub sketch: PathBuf,
    /// The photo in `trainB` (already there, or copied now).
    pub photo: PathBuf,
    /// Whether the photo was copied (false: it was already in `trainB`).
    pub photo_copied: bool,
}

/// Writes `sketch` as `DATASET/trainA/STEM_NN.png` (the first free `NN` from 01) and copies
/// `photo` to `DATASET/trainB/STEM.ext` unless a file of that name exists.
pub fn save_training_pair(
    dataset: &Path,
    photo: &Path,
    sketch: &RgbImage,
) -> anyhow::Result<SavedPair> {
    let stem = photo
        .file_stem()
        .and_then(|s| s.to_str())
        .with_context(|| format!("{}: photo has no usable file name", photo.display()))?;
    let extension = photo.extension().and_then(|s| s.to_str()).unwrap_or("png");
    let sketches = dataset.join("trainA");
    let photos = dataset.join("trainB");
    for dir in [&sketches, &photos] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let Some(sketch_path) = (1..1000)
        .map(|n| sketches.join(format!("{stem}_{n:02}.png")))
        .find(|p| !p.exists())
    else {
        bail!("{}: no free sketch name for {stem}", sketches.display());
    };
    let mut bytes = std::io::Cursor::new(Vec::new());
    sketch.write_to(&mut bytes, image::ImageFormat::Png)?;
    arnet_model::fsutil::write_atomic(&sketch_path, bytes.get_ref())
        .with_context(|| format!("writing {}", sketch_path.display()))?;
    let photo_path = photos.join(format!("{stem}.{extension}"));
    let photo_copied = !photo_path.exists();
    if photo_copied {
        let content =
            std::fs::read(photo).with_context(|| format!("reading {}", photo.display()))?;
        arnet_model::fsutil::write_atomic(&photo_path, &content)
            .with_context(|| format!("writing {}", photo_path.display()))?;
    }
    Ok(SavedPair {
        sketch: sketch_path,
        photo: photo_path,
        photo_copied,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_sketches_and_never_overwrites() {
        let root = std::env::temp_dir().join(format!("arnet-annotate-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let photo = root.join("dress7.jpg");
        std::fs::write(&photo, b"photo bytes").unwrap();
        let dataset = root.join("data");
        let sketch = RgbImage::from_pixel(8, 8, image::Rgb([255; 3]));
        let first = save_training_pair(&dataset, &photo, &sketch).unwrap();
        assert_eq!(first.sketch, dataset.join("trainA/dress7_01.png"));
        assert_eq!(first.photo, dataset.join("trainB/dress7.jpg"));
        assert!(first.photo_copied);
        std::fs::write(&first.photo, b"edited by the user").unwrap();
        let second = save_training_pair(&dataset, &photo, &sketch).unwrap();
        assert_eq!(second.sketch, dataset.join("trainA/dress7_02.png"));
        assert!(!second.photo_copied);
        assert_eq!(std::fs::read(&first.photo).unwrap(), b"edited by the user");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
