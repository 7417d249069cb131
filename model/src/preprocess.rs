//! Image decoding and the model's input transform.
//!
//! The authors feed `ToTensor()(Resize((224, 224))(img.convert("RGB")))`: no mean/std
//! normalisation, values in [0, 1], aspect ratio not kept, and PIL's bilinear resampling,
//! which antialiases (its filter widens with the downscale factor) and works in 8-bit fixed
//! point. [`resize_bilinear_like_pil`] reproduces that arithmetic exactly, so a photo gives
//! the same input bytes here as in PyTorch (tested against PIL-made fixtures).
//!
//! Decoding accepts anything the `image` crate reads (PNG, JPEG, WebP, GIF, BMP, TIFF; 8 or
//! 16 bit; gray or colour). Transparent pixels are composited on white, because sketches are
//! dark strokes on white and a transparent background must not turn black. Decoding is
//! bounded: a tiny PNG can declare 30000 x 30000 pixels, so dimensions and allocation are
//! limited, and a JPEG cut short (which the decoder would silently fill with grey) is refused.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor, TensorData};
use image::{DynamicImage, ImageFormat, ImageReader, Limits, RgbImage};

/// Side of the model's square input.
pub const MODEL_INPUT_SIZE: usize = 224;

/// Largest accepted image side in pixels.
pub const MAX_IMAGE_SIDE: u32 = 16_384;

/// Largest decoder allocation in bytes.
pub const MAX_DECODE_BYTES: u64 = 1 << 30;

/// Why an image could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ImageLoadError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The decoder refused the file (unknown format, corrupt data, over the size limits).
    #[error("{path}: cannot decode image: {source}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        #[source]
        source: image::ImageError,
    },
    /// A JPEG without its end-of-image marker: the file was cut short.
    #[error("{path}: truncated JPEG (no end-of-image marker)")]
    TruncatedJpeg {
        /// The file.
        path: PathBuf,
    },
    /// An image with no pixels.
    #[error("{path}: image is empty (0 pixels)")]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

/// Decodes an image file to 8-bit RGB, compositing any transparency on white.
pub fn decode_rgb(path: &Path) -> Result<RgbImage, ImageLoadError> {
    let io = |source| ImageLoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let decode = |source| ImageLoadError::Decode {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = ImageReader::open(path)
        .map_err(io)?
        .with_guessed_format()
        .map_err(io)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    if reader.format() == Some(ImageFormat::Jpeg) && !jpeg_has_end_marker(path).map_err(io)? {
        return Err(ImageLoadError::TruncatedJpeg {
            path: path.to_path_buf(),
        });
    }
    let image = reader.decode().map_err(decode)?;
    if image.width() == 0 || image.height() == 0 {
        return Err(ImageLoadError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(flatten_on_white(image))
}

/// Whether the JPEG at `path` ends with an EOI marker (`FF D9`), allowing trailing padding.
fn jpeg_has_end_marker(path: &Path) -> std::io::Result<bool> {
    let mut file = BufReader::new(std::fs::File::open(path)?);
    let len = file.seek(SeekFrom::End(0))?;
    let tail_len = len.min(4096);
    file.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    file.read_to_end(&mut tail)?;
    Ok(tail.windows(2).any(|w| w == [0xFF, 0xD9]))
}

/// Converts to 8-bit RGB; pixels with alpha are composited on white.
pub fn flatten_on_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    let (width, height) = rgba.dimensions();
    let mut rgb = RgbImage::new(width, height);
    for (out, pixel) in rgb.pixels_mut().zip(rgba.pixels()) {
        let alpha = u32::from(pixel[3]);
        for c in 0..3 {
            let value = u32::from(pixel[c]) * alpha + 255 * (255 - alpha);
            out[c] = ((value + 127) / 255) as u8;
        }
    }
    rgb
}

/// PIL's fixed-point precision for 8-bit resampling (`32 - 8 - 2`).
const PRECISION_BITS: u32 = 22;

/// One output pixel's contributing input range and fixed-point weights.
struct Taps {
    start: usize,
    weights: Vec<i32>,
}

/// PIL's `precompute_coeffs` + `normalize_coeffs_8bpc` for the bilinear (triangle) filter.
fn bilinear_taps(in_size: usize, out_size: usize) -> Vec<Taps> {
    let scale = in_size as f64 / out_size as f64;
    let filter_scale = scale.max(1.0);
    let support = filter_scale; // triangle filter support 1.0, widened when downscaling
    let inv_filter_scale = 1.0 / filter_scale;
    (0..out_size)
        .map(|xx| {
            let center = (xx as f64 + 0.5) * scale;
            let x_min = ((center - support + 0.5) as i64).max(0) as usize;
            let x_max = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            let raw: Vec<f64> = (x_min..x_max)
                .map(|x| {
                    let t = ((x as f64 - center + 0.5) * inv_filter_scale).abs();
                    if t < 1.0 { 1.0 - t } else { 0.0 }
                })
                .collect();
            let total: f64 = raw.iter().sum();
            let weights = raw
                .iter()
                .map(|&w| {
                    let w = if total != 0.0 { w / total } else { w };
                    let fixed = w * f64::from(1u32 << PRECISION_BITS);
                    (if fixed < 0.0 {
                        fixed - 0.5
                    } else {
                        fixed + 0.5
                    }) as i32
                })
                .collect();
            Taps {
                start: x_min,
                weights,
            }
        })
        .collect()
}

/// PIL's `clip8`: fixed-point accumulator back to a byte.
fn clip8(acc: i64) -> u8 {
    if acc >= (1i64 << PRECISION_BITS) * 256 {
        255
    } else if acc <= 0 {
        0
    } else {
        (acc >> PRECISION_BITS) as u8
    }
}

/// Resizes like PIL's `Image.resize((width, height), Image.BILINEAR)` on an RGB image,
/// bit for bit: horizontal pass then vertical pass, each rounded to 8 bits.
pub fn resize_bilinear_like_pil(image: &RgbImage, width: usize, height: usize) -> RgbImage {
    let (in_w, in_h) = (image.width() as usize, image.height() as usize);
    let src = image.as_raw();
    let half = 1i64 << (PRECISION_BITS - 1);

    // Horizontal pass: in_h rows of `width` pixels.
    let mut horizontal = src.clone();
    if width != in_w {
        let taps = bilinear_taps(in_w, width);
        horizontal = vec![0u8; in_h * width * 3];
        for y in 0..in_h {
            let row = &src[y * in_w * 3..(y + 1) * in_w * 3];
            for (x, tap) in taps.iter().enumerate() {
                for c in 0..3 {
                    let acc = tap.weights.iter().enumerate().fold(half, |acc, (i, &w)| {
                        acc + i64::from(row[(tap.start + i) * 3 + c]) * i64::from(w)
                    });
                    horizontal[(y * width + x) * 3 + c] = clip8(acc);
                }
            }
        }
    }

    // Vertical pass: `height` rows from the horizontal result.
    let mut out = horizontal.clone();
    if height != in_h {
        let taps = bilinear_taps(in_h, height);
        out = vec![0u8; height * width * 3];
        for (y, tap) in taps.iter().enumerate() {
            for x in 0..width * 3 {
                let acc = tap.weights.iter().enumerate().fold(half, |acc, (i, &w)| {
                    acc + i64::from(horizontal[(tap.start + i) * width * 3 + x]) * i64::from(w)
                });
                out[y * width * 3 + x] = clip8(acc);
            }
        }
    }
    RgbImage::from_raw(width as u32, height as u32, out).expect("buffer matches dimensions")
}

/// Channel-first values in [0, 1] (`ToTensor`: `u8 / 255`), length `3 * height * width`.
pub fn to_chw_unit(image: &RgbImage) -> Vec<f32> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let raw = image.as_raw();
    let mut out = vec![0.0f32; 3 * w * h];
    for (i, px) in raw.chunks_exact(3).enumerate() {
        for c in 0..3 {
            out[c * w * h + i] = f32::from(px[c]) / 255.0;
        }
    }
    out
}

/// The model input for one decoded image: resized to `size x size`, CHW, in [0, 1].
pub fn model_input(image: &RgbImage, size: usize) -> Vec<f32> {
    if image.width() as usize == size && image.height() as usize == size {
        return to_chw_unit(image);
    }
    to_chw_unit(&resize_bilinear_like_pil(image, size, size))
}

/// Decodes `path` and prepares it as a model input of `size x size`.
pub fn load_model_input(path: &Path, size: usize) -> Result<Vec<f32>, ImageLoadError> {
    Ok(model_input(&decode_rgb(path)?, size))
}

/// The sketch encoder's input: [`model_input`] of the sketch after a small drawing is brought
/// to the middle of the page and enlarged ([`crate::sketch_frame`]).
pub fn sketch_input(image: &RgbImage, size: usize) -> Vec<f32> {
    model_input(&crate::sketch_frame::frame_sketch(image), size)
}

/// [`sketch_input`] of an image file.
pub fn load_sketch_input(path: &Path, size: usize) -> Result<Vec<f32>, ImageLoadError> {
    Ok(sketch_input(&decode_rgb(path)?, size))
}

/// Stacks prepared inputs (each `3 * size * size`) into a `[batch, 3, size, size]` tensor.
pub fn batch_tensor(inputs: &[Vec<f32>], size: usize, device: &Device) -> Tensor<4> {
    let mut data = Vec::with_capacity(inputs.len() * 3 * size * size);
    for input in inputs {
        assert_eq!(
            input.len(),
            3 * size * size,
            "input is not 3 x {size} x {size}"
        );
        data.extend_from_slice(input);
    }
    Tensor::from_data(TensorData::new(data, [inputs.len(), 3, size, size]), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_to_same_size_is_identity() {
        let image = RgbImage::from_fn(5, 3, |x, y| image::Rgb([x as u8 * 40, y as u8 * 70, 9]));
        assert_eq!(resize_bilinear_like_pil(&image, 5, 3), image);
    }

    #[test]
    fn transparent_pixels_become_white() {
        let mut rgba = image::RgbaImage::new(2, 1);
        rgba.put_pixel(0, 0, image::Rgba([0, 0, 0, 0]));
        rgba.put_pixel(1, 0, image::Rgba([0, 0, 0, 255]));
        let rgb = flatten_on_white(DynamicImage::ImageRgba8(rgba));
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(rgb.get_pixel(1, 0).0, [0, 0, 0]);
    }
}
