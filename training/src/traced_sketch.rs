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

use arnet_model::fsutil::write_atomic;
use arnet_model::preprocess::decode_rgb;
use arnet_model::raster::{Stroke, rasterize};
use image::RgbImage;

use crate::rng::Rng;

/// Side of the grid the mask is traced on (the outline's resolution; the sketch itself is
/// rasterised at the photo's size).
const TRACE_GRID: usize = 128;

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

/// The garment's mask on a `TRACE_GRID` square grid: foreground where the photo differs from
/// its border's median colour by more than `threshold` grey levels (any channel).
pub fn garment_mask(photo: &RgbImage, threshold: u8) -> Mask {
    let small = image::imageops::resize(
        photo,
        TRACE_GRID as u32,
        TRACE_GRID as u32,
        image::imageops::FilterType::Triangle,
    );
    let n = TRACE_GRID;
    let mut border: [Vec<u8>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for i in 0..n {
        for (x, y) in [(i, 0), (i, n - 1), (0, i), (n - 1, i)] {
            let p = small.get_pixel(x as u32, y as u32).0;
            for c in 0..3 {
                border[c].push(p[c]);
            }
        }
    }
    let background: Vec<u8> = border
        .iter_mut()
        .map(|values| {
            values.sort_unstable();
            values[values.len() / 2]
        })
        .collect();
    let mut mask = Mask::new(n, n);
    for (i, pixel) in small.pixels().enumerate() {
        mask.data[i] = (0..3).any(|c| pixel.0[c].abs_diff(background[c]) > threshold);
    }
    fill_holes(&largest_component(&mask))
}

/// The largest 8-connected piece of `mask`.
fn largest_component(mask: &Mask) -> Mask {
    let (w, h) = (mask.width, mask.height);
    let mut label = vec![0u32; w * h];
    let mut best = (0usize, 0u32);
    let mut next = 0u32;
    let mut stack = Vec::new();
    for start in 0..w * h {
        if !mask.data[start] || label[start] != 0 {
            continue;
        }
        next += 1;
        label[start] = next;
        stack.push(start);
        let mut size = 0;
        while let Some(i) = stack.pop() {
            size += 1;
            let (x, y) = ((i % w) as isize, (i / w) as isize);
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let (nx, ny) = (x + dx, y + dy);
                    if mask.get(nx, ny) {
                        let j = ny as usize * w + nx as usize;
                        if label[j] == 0 {
                            label[j] = next;
                            stack.push(j);
                        }
                    }
                }
            }
        }
        if size > best.0 {
            best = (size, next);
        }
    }
    let mut out = Mask::new(w, h);
    for (o, &l) in out.data.iter_mut().zip(&label) {
        *o = best.1 != 0 && l == best.1;
    }
    out
}

/// `mask` with every hole (background not reachable from the border) filled.
fn fill_holes(mask: &Mask) -> Mask {
    let (w, h) = (mask.width, mask.height);
    let mut outside = vec![false; w * h];
    let mut stack: Vec<usize> = Vec::new();
    for x in 0..w {
        stack.push(x);
        stack.push((h - 1) * w + x);
    }
    for y in 0..h {
        stack.push(y * w);
        stack.push(y * w + w - 1);
    }
    while let Some(i) = stack.pop() {
        if outside[i] || mask.data[i] {
            continue;
        }
        outside[i] = true;
        let (x, y) = (i % w, i / w);
        if x > 0 {
            stack.push(i - 1);
        }
        if x + 1 < w {
            stack.push(i + 1);
        }
        if y > 0 {
            stack.push(i - w);
        }
        if y + 1 < h {
            stack.push(i + w);
        }
    }
    let mut out = Mask::new(w, h);
    for (i, o) in out.data.iter_mut().enumerate() {
        *o = !outside[i];
    }
    out
}

/// The outer boundary of the (one-piece) mask as a closed polyline of pixel centres, traced
/// clockwise (Moore neighbourhood); empty for an empty mask.
pub fn outline(mask: &Mask) -> Vec<[f32; 2]> {
    let Some(start) = mask.data.iter().position(|&b| b) else {
        return Vec::new();
    };
    let w = mask.width;
    // Clockwise neighbours starting west.
    const DIRS: [(isize, isize); 8] = [
        (-1, 0),
        (-1, -1),
        (0, -1),
        (1, -1),
        (1, 0),
        (1, 1),
        (0, 1),
        (-1, 1),
    ];
    let start = ((start % w) as isize, (start / w) as isize);
    let mut points = vec![[start.0 as f32, start.1 as f32]];
    let mut current = start;
    // We entered the start pixel from the west (the scan found it from the left).
    let mut from = 0usize;
    let limit = 4 * mask.width * mask.height;
    for _ in 0..limit {
        let mut found = None;
        for k in 0..8 {
            let d = (from + 1 + k) % 8;
            let (nx, ny) = (current.0 + DIRS[d].0, current.1 + DIRS[d].1);
            if mask.get(nx, ny) {
                found = Some((d, (nx, ny)));
                break;
            }
        }
        let Some((d, next)) = found else {
            break; // a single pixel
        };
        if next == start && points.len() > 2 {
            break;
        }
        points.push([next.0 as f32, next.1 as f32]);
        // Search the next pixel starting from the neighbour after the one we came from.
        from = (d + 4) % 8;
        current = next;
    }
    points
}

/// Douglas-Peucker simplification of an open polyline with tolerance `epsilon`.
pub fn simplify(points: &[[f32; 2]], epsilon: f32) -> Vec<[f32; 2]> {
    if points.len() < 3 {
        return points.to_vec();
    }
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut stack = vec![(0, points.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        let (pa, pb) = (points[a], points[b]);
        let (dx, dy) = (pb[0] - pa[0], pb[1] - pa[1]);
        let length = (dx * dx + dy * dy).sqrt();
        let mut worst = (0.0f32, a);
        for (i, p) in points.iter().enumerate().take(b).skip(a + 1) {
            // A closed outline starts and ends on one point: distance to that point.
            let d = if length < 1e-6 {
                ((p[0] - pa[0]).powi(2) + (p[1] - pa[1]).powi(2)).sqrt()
            } else {
                ((p[0] - pa[0]) * dy - (p[1] - pa[1]) * dx).abs() / length
            };
            if d > worst.0 {
                worst = (d, i);
            }
        }
        if worst.0 > epsilon {
            keep[worst.1] = true;
            stack.push((a, worst.1));
            stack.push((worst.1, b));
        }
    }
    points
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(p, _)| *p)
        .collect()
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
    stem.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
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
    let image = decode_rgb(photo).map_err(|e| {
        let message = e.to_string();
        let prefix = format!("{}: ", photo.display());
        message
            .strip_prefix(&prefix)
            .map_or(message.clone(), str::to_string)
    })?;
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
        let mut png = Vec::new();
        sketch
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(|e| format!("cannot encode the sketch: {e}"))?;
        write_atomic(&path, &png).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
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

    /// A dark rectangle on white, from (x0, y0) to (x1, y1) in pixels.
    fn rectangle(size: u32, x0: u32, y0: u32, x1: u32, y1: u32) -> RgbImage {
        RgbImage::from_fn(size, size, |x, y| {
            if (x0..x1).contains(&x) && (y0..y1).contains(&y) {
                image::Rgb([60, 60, 60])
            } else {
                image::Rgb([255, 255, 255])
            }
        })
    }

    #[test]
    fn the_mask_is_the_garment_with_its_holes_filled() {
        let mut photo = rectangle(128, 32, 16, 96, 112);
        // A white hole inside the garment (a print): still garment.
        for y in 50..60 {
            for x in 60..70 {
                photo.put_pixel(x, y, image::Rgb([255, 255, 255]));
            }
        }
        // A small speck far away: not the largest piece.
        photo.put_pixel(5, 5, image::Rgb([0, 0, 0]));
        let mask = garment_mask(&photo, 30);
        assert!(mask.get(64, 55), "hole filled");
        assert!(!mask.get(5, 5), "speck dropped");
        assert!(!mask.get(20, 64));
        assert_eq!(mask.count(), 64 * 96);
    }

    #[test]
    fn the_outline_goes_around_the_rectangle() {
        let mask = garment_mask(&rectangle(128, 32, 16, 96, 112), 30);
        let contour = outline(&mask);
        // The boundary of a 64 x 96 block has 2 * (63 + 95) pixels.
        assert_eq!(contour.len(), 2 * (63 + 95));
        let xs: Vec<f32> = contour.iter().map(|p| p[0]).collect();
        let ys: Vec<f32> = contour.iter().map(|p| p[1]).collect();
        let min = |v: &[f32]| v.iter().copied().fold(f32::INFINITY, f32::min);
        let max = |v: &[f32]| v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        assert_eq!(
            (min(&xs), max(&xs), min(&ys), max(&ys)),
            (32.0, 95.0, 16.0, 111.0)
        );
        // Douglas-Peucker keeps the corners of a rectangle and nothing else.
        let mut closed = contour.clone();
        closed.push(contour[0]);
        assert_eq!(simplify(&closed, 0.5).len(), 5);
    }

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
