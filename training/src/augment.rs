//! The training views of ARNet (spec, "Augmentation").
//!
//! - A0: resize to 224 x 224 (the model input transform).
//! - A1: resize to 268 x 268, random rotation up to +-30 degrees, horizontal flip with
//!   p = 0.8, centre crop 224. Rotation uses nearest-neighbour sampling about the centre,
//!   without expanding the canvas, as torchvision's `RandomRotation` does by default; the
//!   uncovered corners are filled white by default (the authors fill black, which draws a
//!   dark frame around white-background sketches; `RotationFill::Black` reproduces it).

use arnet_model::preprocess::{model_input, resize_bilinear_like_pil, to_chw_unit};
use image::{Rgb, RgbImage};

use crate::rng::Rng;

/// Colour of the corners a rotation uncovers.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum RotationFill {
    /// White (default: sketches are drawn on white).
    #[default]
    White,
    /// Black (the authors' choice).
    Black,
}

/// Parameters of view A1. Defaults are the paper's.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct A1Options {
    /// Side of the first resize.
    pub resize: usize,
    /// Maximum absolute rotation in degrees.
    pub max_rotation_degrees: f32,
    /// Probability of a horizontal flip.
    pub flip_probability: f32,
    /// Corner fill after rotation.
    pub fill: RotationFill,
}

impl Default for A1Options {
    fn default() -> Self {
        Self {
            resize: 268,
            max_rotation_degrees: 30.0,
            flip_probability: 0.8,
            fill: RotationFill::White,
        }
    }
}

/// View A0: the plain model input (CHW, [0, 1], `size x size`).
pub fn view_a0(image: &RgbImage, size: usize) -> Vec<f32> {
    model_input(image, size)
}

/// View A1 (CHW, [0, 1], `size x size`), drawing its randomness from `rng`.
pub fn view_a1(image: &RgbImage, size: usize, options: &A1Options, rng: &mut Rng) -> Vec<f32> {
    let resized = resize_bilinear_like_pil(image, options.resize, options.resize);
    let angle = rng.range(-options.max_rotation_degrees, options.max_rotation_degrees);
    let flip = rng.chance(options.flip_probability);
    let fill = match options.fill {
        RotationFill::White => Rgb([255; 3]),
        RotationFill::Black => Rgb([0; 3]),
    };
    let rotated = rotate_nearest(&resized, angle, fill);
    let flipped = if flip {
        image::imageops::flip_horizontal(&rotated)
    } else {
        rotated
    };
    let cropped = centre_crop(&flipped, size);
    to_chw_unit(&cropped)
}

/// ImageNet channel means and standard deviations (A2 normalises with them, as MoCo does).
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
/// See [`IMAGENET_MEAN`].
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// View A2, MoCo-v2 style (CHW, `size x size`, ImageNet-normalised): random resized crop
/// (area 20-100 %, aspect 3/4-4/3), horizontal flip with p = 0.5, colour jitter (brightness,
/// contrast, saturation +-40 %) with p = 0.8, greyscale with p = 0.2. The paper (Table 3)
/// finds it worse than A1; it is here for that ablation.
pub fn view_a2(image: &RgbImage, size: usize, rng: &mut Rng) -> Vec<f32> {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let mut crop = (0, 0, image.width(), image.height());
    for _ in 0..10 {
        let area = w * h * rng.range(0.2, 1.0);
        let aspect = rng.range((3.0f32 / 4.0).ln(), (4.0f32 / 3.0).ln()).exp();
        let (cw, ch) = ((area * aspect).sqrt(), (area / aspect).sqrt());
        if cw <= w && ch <= h && cw >= 1.0 && ch >= 1.0 {
            let x = rng.range(0.0, w - cw) as u32;
            let y = rng.range(0.0, h - ch) as u32;
            crop = (x, y, cw as u32, ch as u32);
            break;
        }
    }
    let cropped = image::imageops::crop_imm(image, crop.0, crop.1, crop.2, crop.3).to_image();
    let mut view = resize_bilinear_like_pil(&cropped, size, size);
    if rng.chance(0.5) {
        view = image::imageops::flip_horizontal(&view);
    }
    let mut values = to_chw_unit(&view);
    let plane = size * size;
    if rng.chance(0.8) {
        let brightness = rng.range(0.6, 1.4);
        let contrast = rng.range(0.6, 1.4);
        let saturation = rng.range(0.6, 1.4);
        let grey =
            |v: &[f32], i: usize| 0.299 * v[i] + 0.587 * v[plane + i] + 0.114 * v[2 * plane + i];
        values
            .iter_mut()
            .for_each(|v| *v = (*v * brightness).clamp(0.0, 1.0));
        let mean = (0..plane).map(|i| grey(&values, i)).sum::<f32>() / plane as f32;
        values
            .iter_mut()
            .for_each(|v| *v = ((*v - mean) * contrast + mean).clamp(0.0, 1.0));
        for i in 0..plane {
            let g = grey(&values, i);
            for c in 0..3 {
                let v = &mut values[c * plane + i];
                *v = ((*v - g) * saturation + g).clamp(0.0, 1.0);
            }
        }
    }
    if rng.chance(0.2) {
        for i in 0..plane {
            let g = 0.299 * values[i] + 0.587 * values[plane + i] + 0.114 * values[2 * plane + i];
            for c in 0..3 {
                values[c * plane + i] = g;
            }
        }
    }
    for c in 0..3 {
        for v in &mut values[c * plane..(c + 1) * plane] {
            *v = (*v - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
        }
    }
    values
}

/// Rotates counter-clockwise by `degrees` about the centre, keeping the size.
pub fn rotate_nearest(image: &RgbImage, degrees: f32, fill: Rgb<u8>) -> RgbImage {
    let (w, h) = image.dimensions();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (sin, cos) = degrees.to_radians().sin_cos();
    RgbImage::from_fn(w, h, |x, y| {
        // Inverse mapping: where in the source does this output pixel come from.
        let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
        let sx = cos * dx - sin * dy + cx;
        let sy = sin * dx + cos * dy + cy;
        if sx >= 0.0 && sy >= 0.0 && (sx as u32) < w && (sy as u32) < h {
            *image.get_pixel(sx as u32, sy as u32)
        } else {
            fill
        }
    })
}

/// The central `size x size` square (the image must be at least that large).
pub fn centre_crop(image: &RgbImage, size: usize) -> RgbImage {
    let (w, h) = image.dimensions();
    let size = size as u32;
    let (x, y) = ((w.saturating_sub(size)) / 2, (h.saturating_sub(size)) / 2);
    image::imageops::crop_imm(image, x, y, size.min(w), size.min(h)).to_image()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch() -> RgbImage {
        let strokes = [arnet_model::raster::Stroke::new(
            vec![[0.2, 0.3], [0.8, 0.7]],
            0.02,
        )];
        arnet_model::raster::rasterize(&strokes, 256)
    }

    #[test]
    fn a1_keeps_shape_and_size() {
        let mut rng = Rng::new(0);
        for _ in 0..5 {
            let view = view_a1(&sketch(), 224, &A1Options::default(), &mut rng);
            assert_eq!(view.len(), 3 * 224 * 224);
            assert!(view.iter().all(|v| (0.0..=1.0).contains(v)));
            let ink = view.iter().filter(|&&v| v < 0.5).count();
            assert!(
                ink > 300,
                "the stroke survives the view ({ink} dark values)"
            );
        }
    }

    #[test]
    fn rotation_fill_is_configurable_and_zero_rotation_is_identity() {
        let image = RgbImage::from_pixel(20, 20, Rgb([100, 100, 100]));
        assert_eq!(rotate_nearest(&image, 0.0, Rgb([0; 3])), image);
        let white = rotate_nearest(&image, 30.0, Rgb([255; 3]));
        let black = rotate_nearest(&image, 30.0, Rgb([0; 3]));
        assert_eq!(white.get_pixel(0, 0).0, [255; 3]);
        assert_eq!(black.get_pixel(0, 0).0, [0; 3]);
        assert_eq!(white.get_pixel(10, 10).0, [100; 3]);
    }

    #[test]
    fn a2_keeps_size_and_is_normalised() {
        let mut rng = Rng::new(3);
        let view = view_a2(&sketch(), 64, &mut rng);
        assert_eq!(view.len(), 3 * 64 * 64);
        // White, the largest value, maps to (1 - mean) / std in each channel.
        for c in 0..3 {
            let white = (1.0 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
            let plane = &view[c * 64 * 64..(c + 1) * 64 * 64];
            assert!(plane.iter().all(|v| v.is_finite() && *v <= white + 1e-4));
        }
    }

    #[test]
    fn a0_is_the_model_input() {
        let image = sketch();
        assert_eq!(view_a0(&image, 224), model_input(&image, 224));
    }
}
