//! Traced sketches: what a person draws when tracing a garment photo, made from the photo.
//!
//! Edge detectors (HED, Canny) draw every contrast of a photo: texture, shadows, a logo, and a
//! garment's outline only where it differs from the background. A designer sketching a garment
//! draws its *silhouette* first, then a few inner lines (a collar, a zip, the sleeves' seams),
//! in a handful of strokes that wobble, overshoot, leave gaps and never sit exactly on the
//! photo's pixels. Training only on edge maps teaches the sketch encoder edge maps; these
//! sketches teach it drawings.
//!
//! How one is made ([`traced_sketch`]):
//! 1. the garment's mask: pixels that differ from the background colour (the median of the
//!    photo's border) by more than a threshold, the largest connected piece, holes filled;
//! 2. its outline, traced around the mask's boundary, simplified (Douglas-Peucker) by a random
//!    tolerance, smoothed or left angular, with a slow wobble, cut into a few strokes;
//! 3. a style drawn at random per sketch: outline only, outline with the photo's inner edges
//!    (Canny inside the mask), a partial outline, or the edge map alone, with random pen
//!    widths, ink and a small shift, scale and rotation of the whole drawing.
//!
//! Several sketches per photo (`arnet pseudo-sketch --method traced --per-photo K`) give the
//! trainer several hands for one garment.

use arnet_model::pseudo_sketch::CannyParams;
use arnet_model::pseudo_sketch::canny::canny_edges;
use arnet_model::pseudo_sketch::postprocess::{Mask, render_strokes, thin};
use std::path::{Path, PathBuf};

use arnet_model::raster::{Stroke, rasterize};
use image::RgbImage;

use crate::rng::Rng;
use crate::silhouette::{TRACE_GRID, garment_mask, outline, simplify};

/// The drawing styles, by how often they are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The silhouette alone.
    Outline,
    /// The silhouette and the photo's inner edges.
    OutlineAndInner,
    /// Part of the silhouette (a piece left out), maybe with inner edges.
    Partial,
    /// The photo's edge map (Canny), no tracing.
    Edges,
}

impl Style {
    fn random(rng: &mut Rng) -> Self {
        let u = rng.unit();
        if u < 0.35 {
            Style::Outline
        } else if u < 0.7 {
            Style::OutlineAndInner
        } else if u < 0.88 {
            Style::Partial
        } else {
            Style::Edges
        }
    }
}

/// One round of Chaikin corner cutting (rounder corners, like a quick pen).
fn chaikin(points: &[[f32; 2]]) -> Vec<[f32; 2]> {
    if points.len() < 3 {
        return points.to_vec();
    }
    let mut out = vec![points[0]];
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        out.push([0.75 * a[0] + 0.25 * b[0], 0.75 * a[1] + 0.25 * b[1]]);
        out.push([0.25 * a[0] + 0.75 * b[0], 0.25 * a[1] + 0.75 * b[1]]);
    }
    out.push(*points.last().expect("non-empty"));
    out
}

/// Points every `step` along the polyline (so that the wobble is even).
fn resample(points: &[[f32; 2]], step: f32) -> Vec<[f32; 2]> {
    let mut out = vec![points[0]];
    let mut carry = 0.0;
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let length = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
        let mut t = step - carry;
        while t < length {
            let f = t / length;
            out.push([a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])]);
            t += step;
        }
        carry = length - (t - step);
    }
    out.push(*points.last().expect("non-empty"));
    out
}

/// A slow random wobble added across the stroke: smooth noise of amplitude `amplitude`.
fn wobble(points: &mut [[f32; 2]], amplitude: f32, rng: &mut Rng) {
    if amplitude <= 0.0 || points.len() < 2 {
        return;
    }
    let period = rng.range(6.0, 20.0);
    let (phase_x, phase_y) = (rng.range(0.0, 6.3), rng.range(0.0, 6.3));
    let (mut drift_x, mut drift_y) = (0.0f32, 0.0f32);
    for (i, p) in points.iter_mut().enumerate() {
        drift_x = 0.9 * drift_x + rng.normal(amplitude * 0.3);
        drift_y = 0.9 * drift_y + rng.normal(amplitude * 0.3);
        let t = i as f32 / period;
        p[0] += amplitude * (t + phase_x).sin() * 0.6 + drift_x;
        p[1] += amplitude * (t * 1.3 + phase_y).cos() * 0.6 + drift_y;
    }
}

/// The outline cut into strokes as a person would draw it: `pieces` strokes, each a little
/// longer or shorter than its share (overshoot or gap), in grid coordinates.
fn outline_strokes(closed: &[[f32; 2]], rng: &mut Rng, drop_one: bool) -> Vec<Vec<[f32; 2]>> {
    let n = closed.len();
    if n < 4 {
        return Vec::new();
    }
    let pieces = 1 + rng.below(4);
    let offset = rng.below(n);
    let dropped = (drop_one && pieces > 1).then(|| rng.below(pieces));
    let mut strokes = Vec::new();
    for k in 0..pieces {
        if Some(k) == dropped {
            continue;
        }
        let from = (k * n / pieces) as isize + rng.range(-3.0, 3.0) as isize;
        let to = ((k + 1) * n / pieces) as isize + rng.range(-2.0, 5.0) as isize;
        let stroke: Vec<[f32; 2]> = (from..=to.max(from + 1))
            .map(|i| closed[((i + offset as isize).rem_euclid(n as isize)) as usize])
            .collect();
        strokes.push(stroke);
    }
    if drop_one && pieces == 1 {
        // One stroke that stops short.
        if let Some(stroke) = strokes.first_mut() {
            let keep = (stroke.len() as f32 * rng.range(0.6, 0.85)) as usize;
            stroke.truncate(keep.max(2));
        }
    }
    strokes
}

/// The photo's inner edges (Canny inside the eroded mask), thinned, at the photo's size.
fn inner_edges(photo: &RgbImage, mask: &Mask, rng: &mut Rng) -> Mask {
    let params = CannyParams {
        sigma: rng.range(1.2, 2.2),
        ..CannyParams::default()
    };
    let edges = thin(&canny_edges(photo, &params));
    let (w, h) = (edges.width, edges.height);
    let margin = rng.range(3.0, 6.0); // grid pixels kept clear of the outline
    let mut out = Mask::new(w, h);
    for y in 0..h {
        for x in 0..w {
            if !edges.data[y * w + x] {
                continue;
            }
            let gx = x as f32 * TRACE_GRID as f32 / w as f32;
            let gy = y as f32 * TRACE_GRID as f32 / h as f32;
            let m = margin as isize;
            let (cx, cy) = (gx as isize, gy as isize);
            let inside = mask.get(cx - m, cy)
                && mask.get(cx + m, cy)
                && mask.get(cx, cy - m)
                && mask.get(cx, cy + m);
            out.data[y * w + x] = inside;
        }
    }
    out
}

/// A traced sketch of `photo` at the photo's size, in a random style (see the module docs).
/// `None` when no garment stands out from the background.
pub fn traced_sketch(photo: &RgbImage, rng: &mut Rng) -> Option<RgbImage> {
    let style = Style::random(rng);
    traced_sketch_in_style(photo, style, rng)
}

/// A traced sketch of `photo` in `style`.
pub fn traced_sketch_in_style(photo: &RgbImage, style: Style, rng: &mut Rng) -> Option<RgbImage> {
    let (w, h) = photo.dimensions();
    let side = w.min(h) as f32;
    if style == Style::Edges {
        let params = CannyParams {
            sigma: rng.range(1.0, 2.5),
            ..CannyParams::default()
        };
        let edges = thin(&canny_edges(photo, &params));
        if edges.count() == 0 {
            return None;
        }
        return Some(render_strokes(&edges, rng.range(1.5, 4.0) * side / 224.0));
    }
    let threshold = rng.range(12.0, 40.0) as u8;
    let mask = garment_mask(photo, threshold);
    if mask.count() < 16 {
        return None;
    }
    let contour = outline(&mask);
    if contour.len() < 8 {
        return None;
    }
    let epsilon = rng.range(0.4, 3.0);
    let mut closed = contour.clone();
    closed.push(contour[0]);
    let mut simple = simplify(&closed, epsilon);
    if rng.chance(0.6) {
        simple = chaikin(&chaikin(&simple));
    }
    let dense = resample(&simple, 1.5);
    let strokes_grid = outline_strokes(&dense, rng, style == Style::Partial);
    // The whole drawing is placed a little off the photo, like a freehand copy.
    let scale = rng.range(0.92, 1.06);
    let angle = rng.normal(0.03);
    let shift = [rng.normal(0.02), rng.normal(0.02)];
    let (sin, cos) = angle.sin_cos();
    let wobble_amplitude = rng.range(0.0, 1.6);
    let width = rng.range(0.006, 0.02);
    let darkness = rng.range(0.75, 1.0);
    let grid = TRACE_GRID as f32;
    let strokes: Vec<Stroke> = strokes_grid
        .into_iter()
        .map(|mut points| {
            wobble(&mut points, wobble_amplitude, rng);
            let points = points
                .into_iter()
                .map(|[x, y]| {
                    let (u, v) = ((x + 0.5) / grid - 0.5, (y + 0.5) / grid - 0.5);
                    let (u, v) = (scale * (cos * u - sin * v), scale * (sin * u + cos * v));
                    [u + 0.5 + shift[0], v + 0.5 + shift[1]]
                })
                .collect();
            Stroke {
                points,
                width: width * rng.range(0.85, 1.15),
                darkness,
            }
        })
        .collect();
    let mut sketch = rasterize(&strokes, w.min(h));
    if w != h {
        sketch = image::imageops::resize(&sketch, w, h, image::imageops::FilterType::Triangle);
    }
    let with_inner = match style {
        Style::OutlineAndInner => true,
        Style::Partial => rng.chance(0.5),
        _ => false,
    };
    if with_inner {
        let inner = inner_edges(photo, &mask, rng);
        if inner.count() > 0 {
            let drawn = render_strokes(&inner, width * side * rng.range(0.7, 1.0));
            // The inner lines follow the photo; the outline moved with the drawing. Move the
            // inner lines the same way (nearest-pixel), then keep the darker of the two.
            for (x, y, pixel) in sketch.enumerate_pixels_mut() {
                let (u, v) = (
                    x as f32 / w as f32 - 0.5 - shift[0],
                    y as f32 / h as f32 - 0.5 - shift[1],
                );
                let (u, v) = ((cos * u + sin * v) / scale, (-sin * u + cos * v) / scale);
                let (sx, sy) = ((u + 0.5) * w as f32, (v + 0.5) * h as f32);
                if sx < 0.0 || sy < 0.0 || sx >= w as f32 || sy >= h as f32 {
                    continue;
                }
                let value = drawn.get_pixel(sx as u32, sy as u32).0[0];
                let value = 255 - ((255 - value) as f32 * darkness) as u8;
                if value < pixel.0[0] {
                    *pixel = image::Rgb([value; 3]);
                }
            }
        }
    }
    Some(sketch)
}

/// Sketches per photo `arnet train --pseudo-sketch-method traced` (hence `arnet fine-tune`)
/// draws. Three did a little better on real photos than two but made a 200-photo fine-tune
/// take 5 min 03 s instead of 3 min 40 s on two CPU cores (docs/fine-tuning.md).
pub const TRACED_PER_PHOTO: usize = 2;

/// The file name of traced sketch `k` (1-based) of `photo`: `STEM_tK.png`.
pub fn traced_name(photo: &Path, k: usize) -> Option<String> {
    let stem = photo.file_stem()?.to_str()?;
    Some(format!("{stem}_t{k}.png"))
}

/// A stable 64-bit hash of a stem (FNV-1a), so a photo's sketches do not depend on its
/// position in a folder.
fn stem_hash(stem: &str) -> u64 {
    arnet_model::hash::fnv1a(stem.as_bytes())
}

/// Writes `per_photo` traced sketches of `photo` into `out` (`STEM_t1.png`...), reusing the
/// files already there; the paths, or why none could be made.
pub fn sketch_photo_file(
    photo: &Path,
    out: &Path,
    per_photo: usize,
    seed: u64,
) -> Result<Vec<PathBuf>, String> {
    let names: Vec<String> = (1..=per_photo)
        .map(|k| {
            traced_name(photo, k).ok_or_else(|| "the file name is not valid UTF-8".to_string())
        })
        .collect::<Result<_, _>>()?;
    let paths: Vec<PathBuf> = names.iter().map(|n| out.join(n)).collect();
    if paths.iter().all(|p| p.is_file()) {
        return Ok(paths);
    }
    let image = crate::pseudo_sketch::decode_photo(photo)?;
    let stem = photo
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let mut written = Vec::new();
    for (k, path) in paths.into_iter().enumerate() {
        if path.is_file() {
            written.push(path);
            continue;
        }
        let mut rng = Rng::for_item(seed, stem_hash(stem), k as u64);
        let Some(sketch) = traced_sketch(&image, &mut rng) else {
            continue;
        };
        crate::pseudo_sketch::write_sketch(&sketch, &path)?;
        written.push(path);
    }
    if written.is_empty() {
        return Err("no garment stands out from the background".to_string());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::silhouette::tests::rectangle;

    #[test]
    fn a_traced_outline_is_drawn_near_the_garment_edge_only() {
        let photo = rectangle(256, 64, 32, 192, 224);
        let mut rng = Rng::new(3);
        let sketch = traced_sketch_in_style(&photo, Style::Outline, &mut rng).unwrap();
        let dark = |x: u32, y: u32| sketch.get_pixel(x, y).0[0] < 128;
        let inked: Vec<(u32, u32)> = (0..256)
            .flat_map(|y| (0..256).map(move |x| (x, y)))
            .filter(|&(x, y)| dark(x, y))
            .collect();
        assert!(
            inked.len() > 300,
            "an outline was drawn ({} px)",
            inked.len()
        );
        // No ink in the middle of the garment or far outside it.
        assert!(!dark(128, 128));
        assert!(!dark(5, 5));
        // Ink lies near the rectangle's border (within the drawing's small shift and scale).
        let near = inked
            .iter()
            .filter(|&&(x, y)| {
                let dx = (x as i32 - 64).abs().min((x as i32 - 192).abs());
                let dy = (y as i32 - 32).abs().min((y as i32 - 224).abs());
                dx.min(dy) < 24
            })
            .count();
        // The drawing is placed a little off the photo (shift, scale, rotation), like a
        // freehand copy: most of the ink, not all, lies on the garment's edge.
        assert!(near * 10 >= inked.len() * 8, "{near} of {}", inked.len());
    }

    #[test]
    fn a_blank_photo_gives_no_sketch() {
        let photo = RgbImage::from_pixel(64, 64, image::Rgb([250, 250, 250]));
        assert!(traced_sketch_in_style(&photo, Style::Outline, &mut Rng::new(0)).is_none());
    }
}
