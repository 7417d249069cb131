//! Small fixtures the command-line tests share: a tiny random model and
//! photos of coloured shapes.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use arnet_model::{ArnetEncoderConfig, ArnetPair, Backend, VitConfig, weights};
use image::{Rgb, RgbImage};

/// An empty folder `arnet-{suite}-{pid}-{name}` in the temporary folder.
pub fn scratch(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arnet-{suite}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A random tiny ViT pair (32 px, 8 px patches, 32 wide, 1 block) saved at `path`.
pub fn tiny_weights(path: &Path, seed: u64) {
    let device = Backend::Cpu.device().unwrap();
    device.seed(seed);
    let config = ArnetEncoderConfig::new(VitConfig::custom(32, 8, 32, 1, 2));
    let mut pair = ArnetPair::init(&config, &device).unwrap();
    weights::save_pair(&mut pair, path).unwrap();
}

/// A 40 x 40 photo of a rectangle whose colour depends on `shade`.
pub fn photo(path: &Path, shade: u8) {
    RgbImage::from_fn(40, 40, |x, y| {
        if (8..32).contains(&x) && (6..36).contains(&y) {
            Rgb([shade, 80, 255 - shade])
        } else {
            Rgb([255; 3])
        }
    })
    .save(path)
    .unwrap();
}

/// Twelve photos `p00.png`..`p11.png` of graded colours in `gallery` (created), and a sketch
/// of a shade between them in `dir`; returns the sketch's path.
pub fn twelve_photos_and_a_sketch(gallery: &Path, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(gallery).unwrap();
    for i in 0..12u8 {
        photo(&gallery.join(format!("p{i:02}.png")), i * 20);
    }
    let sketch = dir.join("sketch.png");
    photo(&sketch, 90);
    sketch
}

/// The `(path, score)` list of one `arnet search --json` line.
pub fn search_results(line: &serde_json::Value) -> Vec<(String, f64)> {
    line["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["score"].as_f64().unwrap(),
            )
        })
        .collect()
}
