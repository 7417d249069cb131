//! A garment's silhouette in a photo: its mask and its outline as a polyline.
//!
//! What [`crate::traced_sketch`] traces. The mask is the set of pixels that differ from the
//! background colour (the median of the photo's border), the largest connected piece with its
//! holes filled, on a small square grid; the outline is that piece's boundary, traced with the
//! Moore neighbourhood and simplified with Douglas-Peucker.

use arnet_model::pseudo_sketch::postprocess::Mask;
use image::RgbImage;

/// Side of the grid the mask is traced on (the outline's resolution; the sketch itself is
/// rasterised at the photo's size).
pub const TRACE_GRID: usize = 128;

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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A dark rectangle on white, from (x0, y0) to (x1, y1) in pixels.
    pub(crate) fn rectangle(size: u32, x0: u32, y0: u32, x1: u32, y1: u32) -> RgbImage {
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
}
