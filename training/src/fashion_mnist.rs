//! `arnet data fashion-mnist`: real product photos as a Clothes-V1-style folder.
//!
//! Fashion-MNIST (Zalando, MIT) is the one set of real garment photos that can be had on the
//! project's machines: Debian's `dataset-fashion-mnist` installs it under
//! `/usr/share/datasets/fashion-mnist/` as four gzipped idx files. Each photo is 28 x 28
//! grayscale and stored *negated* (the garment bright on black), so this module turns it back
//! into a dark garment on a white background, pads it with white, upscales it with Lanczos and
//! writes an RGB PNG, the way a shop photo of a garment on white looks.
//!
//! Only the six garment classes are written (T-shirt/top, trouser, pullover, dress, coat,
//! shirt); sandals, bags, sneakers and ankle boots are left out. Photos go to `trainB/` or
//! `testB/` (no sketches), named `{split}-{index:05}.png` after their index in the idx file, and
//! `labels.json` beside them maps every stem to its class name (what `arnet eval --labels`
//! reads). Train on the train split only: the test split is what the product is measured on.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use arnet_model::fsutil::write_atomic;
use image::imageops::FilterType;
use image::{GrayImage, Luma, RgbImage};

use crate::rng::Rng;

/// Where Debian's `dataset-fashion-mnist` puts the files (`ARNET_FASHION_MNIST_DIR` overrides).
pub const DEBIAN_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// The garment classes kept: (Fashion-MNIST label, name written to `labels.json`).
pub const GARMENT_CLASSES: [(u8, &str); 6] = [
    (0, "t-shirt/top"),
    (1, "trouser"),
    (2, "pullover"),
    (3, "dress"),
    (4, "coat"),
    (6, "shirt"),
];

/// Side of a Fashion-MNIST photo.
pub const SIDE: usize = 28;

/// Which half of the data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Split {
    /// The 60,000 training photos (for training).
    Train,
    /// The 10,000 test photos (for evaluation only).
    Test,
}

impl Split {
    fn file_prefix(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "t10k",
        }
    }

    /// `train` or `test`: the photo folder is `{name}B/`, stems start with it.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

/// What `arnet data fashion-mnist` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Folder with the four `.gz` idx files.
    pub source: PathBuf,
    /// Output folder (photos in `{split}B/`, `labels.json` beside).
    pub out: PathBuf,
    /// Which split.
    pub split: Split,
    /// Side of the written photos in pixels.
    pub size: u32,
    /// White pixels added on every side of the 28 x 28 photo before upscaling.
    pub pad: u32,
    /// At most this many photos (a seeded random sample of the garment photos).
    pub limit: Option<usize>,
    /// Seed of the sample.
    pub seed: u64,
}

/// The source folder: `ARNET_FASHION_MNIST_DIR` when set, else Debian's.
pub fn default_source() -> PathBuf {
    std::env::var_os("ARNET_FASHION_MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEBIAN_DIR))
}

/// The class name of a Fashion-MNIST label, `None` for the non-garment classes.
pub fn class_name(label: u8) -> Option<&'static str> {
    GARMENT_CLASSES
        .iter()
        .find(|(l, _)| *l == label)
        .map(|(_, n)| *n)
}

/// Reads a gzipped idx file whole, with a clear error when it is missing.
fn read_gz(path: &Path) -> anyhow::Result<Vec<u8>> {
    if !path.is_file() {
        bail!(
            "{}: not found. Fashion-MNIST comes from Debian's `dataset-fashion-mnist` package \
             (apt-get install dataset-fashion-mnist), or set ARNET_FASHION_MNIST_DIR to a folder \
             holding its four .gz files",
            path.display()
        );
    }
    let file = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{}: not a readable gzip file", path.display()))?;
    Ok(bytes)
}

/// Parses an idx file: (dimensions, data), checking the magic number and the size.
fn parse_idx(path: &Path, bytes: &[u8], rank: usize) -> anyhow::Result<(Vec<usize>, Vec<u8>)> {
    let header = 4 + 4 * rank;
    if bytes.len() < header || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08 {
        bail!("{}: not an idx file of bytes", path.display());
    }
    if bytes[3] as usize != rank {
        bail!(
            "{}: an idx file of rank {}, expected {rank}",
            path.display(),
            bytes[3]
        );
    }
    let dims: Vec<usize> = (0..rank)
        .map(|i| {
            let at = 4 + 4 * i;
            u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize
        })
        .collect();
    let count: usize = dims.iter().product();
    if bytes.len() - header != count {
        bail!(
            "{}: {} data bytes for dimensions {dims:?} ({count} expected); the file is damaged",
            path.display(),
            bytes.len() - header
        );
    }
    Ok((dims, bytes[header..].to_vec()))
}

/// The photos and labels of one split: (`n` raw 28 x 28 photos as stored, `n` labels).
pub fn read_split(source: &Path, split: Split) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    let images_path = source.join(format!("{}-images-idx3-ubyte.gz", split.file_prefix()));
    let labels_path = source.join(format!("{}-labels-idx1-ubyte.gz", split.file_prefix()));
    let (dims, images) = parse_idx(&images_path, &read_gz(&images_path)?, 3)?;
    if dims[1] != SIDE || dims[2] != SIDE {
        bail!(
            "{}: photos of {} x {}, expected {SIDE} x {SIDE}",
            images_path.display(),
            dims[1],
            dims[2]
        );
    }
    let (label_dims, labels) = parse_idx(&labels_path, &read_gz(&labels_path)?, 1)?;
    if label_dims[0] != dims[0] {
        bail!(
            "{}: {} labels for {} photos in {}",
            labels_path.display(),
            label_dims[0],
            dims[0],
            images_path.display()
        );
    }
    Ok((images, labels))
}

/// One stored photo as a dark garment on white: negated, padded with white, upscaled with
/// Lanczos to `size`, RGB.
pub fn photo(stored: &[u8], size: u32, pad: u32) -> RgbImage {
    assert_eq!(stored.len(), SIDE * SIDE, "a 28 x 28 photo");
    let side = SIDE as u32 + 2 * pad;
    let mut gray = GrayImage::from_pixel(side, side, Luma([255]));
    for y in 0..SIDE {
        for x in 0..SIDE {
            let value = 255 - stored[y * SIDE + x];
            gray.put_pixel(x as u32 + pad, y as u32 + pad, Luma([value]));
        }
    }
    let big = image::imageops::resize(&gray, size, size, FilterType::Lanczos3);
    image::DynamicImage::ImageLuma8(big).to_rgb8()
}

/// Writes the folder; returns how many photos were written per class name.
pub fn write(options: &Options) -> anyhow::Result<BTreeMap<&'static str, usize>> {
    if options.size == 0 {
        bail!("--size must be at least 1");
    }
    let (images, labels) = read_split(&options.source, options.split)?;
    let mut chosen: Vec<usize> = (0..labels.len())
        .filter(|&i| class_name(labels[i]).is_some())
        .collect();
    if let Some(limit) = options.limit
        && limit < chosen.len()
    {
        // A seeded partial Fisher-Yates shuffle, then back into file order.
        let mut rng = Rng::new(options.seed);
        for i in 0..limit {
            let j = i + rng.below(chosen.len() - i);
            chosen.swap(i, j);
        }
        chosen.truncate(limit);
        chosen.sort_unstable();
    }
    let folder = options.out.join(format!("{}B", options.split.name()));
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("{}: cannot create the folder", folder.display()))?;
    let labels_path = options.out.join("labels.json");
    // Labels of an earlier run into the same folder (the other split) are kept.
    let mut all_labels: BTreeMap<String, String> = match std::fs::read(&labels_path) {
        Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{}: not a JSON object of stem to class",
                labels_path.display()
            )
        })?,
        Err(_) => BTreeMap::new(),
    };
    let mut counts = BTreeMap::new();
    let pixels = SIDE * SIDE;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let written = arnet_model::parallel::parallel_map(chosen.len(), workers, |k| {
        let index = chosen[k];
        let image = photo(
            &images[index * pixels..(index + 1) * pixels],
            options.size,
            options.pad,
        );
        let stem = format!("{}-{index:05}", options.split.name());
        let path = folder.join(format!("{stem}.png"));
        let mut bytes = std::io::Cursor::new(Vec::new());
        image
            .write_to(&mut bytes, image::ImageFormat::Png)
            .map_err(|e| e.to_string())?;
        write_atomic(&path, bytes.get_ref()).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok::<_, String>(stem)
    });
    for (k, result) in written.into_iter().enumerate() {
        let stem = result.map_err(anyhow::Error::msg)?;
        let name = class_name(labels[chosen[k]]).expect("garment classes only");
        *counts.entry(name).or_insert(0) += 1;
        all_labels.insert(stem, name.to_string());
    }
    write_atomic(
        &labels_path,
        &serde_json::to_vec_pretty(&all_labels).expect("strings serialise"),
    )
    .with_context(|| format!("writing {}", labels_path.display()))?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_photo_is_negated_padded_and_upscaled() {
        let mut stored = vec![0u8; SIDE * SIDE];
        // A bright (stored) garment block: it must come out dark.
        for y in 10..18 {
            for x in 10..18 {
                stored[y * SIDE + x] = 255;
            }
        }
        let image = photo(&stored, 72, 4);
        assert_eq!(image.dimensions(), (72, 72));
        // Corner: padding, white. Centre: the garment, dark. Gray to RGB keeps channels equal.
        assert_eq!(image.get_pixel(0, 0).0, [255, 255, 255]);
        let centre = image.get_pixel(36, 36).0;
        assert!(centre[0] < 10, "{centre:?}");
        assert_eq!(centre[0], centre[1]);
    }

    #[test]
    fn only_garment_classes_have_names() {
        assert_eq!(class_name(0), Some("t-shirt/top"));
        assert_eq!(class_name(6), Some("shirt"));
        for label in [5, 7, 8, 9] {
            assert_eq!(class_name(label), None);
        }
    }
}
