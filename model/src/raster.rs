//! Stroke rasteriser shared by the app's canvas and the synthetic sketch generator, so that a
//! sketch drawn in the app looks like the sketches the model was trained on.
//!
//! Strokes are polylines in normalised canvas coordinates (`[0, 1]` on both axes, origin top
//! left). They are drawn as dark anti-aliased round-capped lines on white: each pixel's ink is
//! the coverage of the nearest stroke's "capsule", computed from its exact distance to the
//! segment, so line width scales with the raster size and no supersampling is needed.

use image::{Rgb, RgbImage};

/// One stroke: points in normalised coordinates, and its width as a fraction of the image side.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Stroke {
    /// Polyline vertices, `[x, y]` in `[0, 1]`.
    pub points: Vec<[f32; 2]>,
    /// Line width relative to the image side (e.g. `0.012` is about 2.7 px at 224 px).
    pub width: f32,
    /// Ink darkness in `[0, 1]` (1 = black).
    pub darkness: f32,
}

impl Stroke {
    /// A black stroke of relative `width` through `points`.
    pub fn new(points: Vec<[f32; 2]>, width: f32) -> Self {
        Self {
            points,
            width,
            darkness: 1.0,
        }
    }
}

/// Side of the raster a drawn sketch is rasterised to before it is resized to the model's
/// input (the paper's input size): the app's canvas, on-the-fly evaluation and the synthetic
/// stroke lists all use it, so the same strokes give the same image everywhere.
pub const SKETCH_RASTER_SIZE: u32 = 224;

/// Default stroke width relative to the image side, matching the training sketches' look.
pub const DEFAULT_STROKE_WIDTH: f32 = 0.012;

/// Rasterises `strokes` to a `size x size` RGB image: dark lines on white.
pub fn rasterize(strokes: &[Stroke], size: u32) -> RgbImage {
    let side = size as usize;
    let mut ink = vec![0.0f32; side * side];
    for stroke in strokes {
        draw_stroke(&mut ink, side, stroke);
    }
    let mut image = RgbImage::new(size, size);
    for (pixel, &amount) in image.pixels_mut().zip(&ink) {
        let value = (255.0 * (1.0 - amount)).round().clamp(0.0, 255.0) as u8;
        *pixel = Rgb([value; 3]);
    }
    image
}

/// Accumulates one stroke's ink (max-blend, so overlapping segments do not darken).
fn draw_stroke(ink: &mut [f32], side: usize, stroke: &Stroke) {
    let scale = side as f32;
    // Never thinner than a pixel, so small rasters keep their lines.
    let half_width = (stroke.width * scale * 0.5).max(0.5);
    let points: Vec<[f32; 2]> = stroke
        .points
        .iter()
        .map(|p| [p[0] * scale, p[1] * scale])
        .collect();
    let segments: Vec<([f32; 2], [f32; 2])> = match points.len() {
        0 => return,
        1 => vec![(points[0], points[0])],
        _ => points.windows(2).map(|w| (w[0], w[1])).collect(),
    };
    let reach = half_width + 1.0;
    for (a, b) in segments {
        let x0 = (a[0].min(b[0]) - reach).floor().max(0.0) as usize;
        let y0 = (a[1].min(b[1]) - reach).floor().max(0.0) as usize;
        let x1 = ((a[0].max(b[0]) + reach).ceil() as usize).min(side);
        let y1 = ((a[1].max(b[1]) + reach).ceil() as usize).min(side);
        for y in y0..y1 {
            for x in x0..x1 {
                let centre = [x as f32 + 0.5, y as f32 + 0.5];
                let distance = distance_to_segment(centre, a, b);
                let coverage = (half_width + 0.5 - distance).clamp(0.0, 1.0) * stroke.darkness;
                let cell = &mut ink[y * side + x];
                *cell = cell.max(coverage);
            }
        }
    }
}

fn distance_to_segment(p: [f32; 2], a: [f32; 2], b: [f32; 2]) -> f32 {
    let ab = [b[0] - a[0], b[1] - a[1]];
    let ap = [p[0] - a[0], p[1] - a[1]];
    let len2 = ab[0] * ab[0] + ab[1] * ab[1];
    let t = if len2 > 0.0 {
        ((ap[0] * ab[0] + ap[1] * ab[1]) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let d = [ap[0] - t * ab[0], ap[1] - t * ab[1]];
    (d[0] * d[0] + d[1] * d[1]).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strokes_are_dark_on_white_and_width_scales_with_size() {
        let stroke = Stroke::new(vec![[0.1, 0.5], [0.9, 0.5]], 0.05);
        for size in [112u32, 224] {
            let image = rasterize(std::slice::from_ref(&stroke), size);
            assert_eq!(image.dimensions(), (size, size));
            let mid = size / 2;
            assert!(image.get_pixel(mid, mid)[0] < 10, "stroke centre is dark");
            assert_eq!(image.get_pixel(mid, 2).0, [255; 3], "background is white");
            assert_eq!(
                image.get_pixel(2, mid).0,
                [255; 3],
                "beyond the end is white"
            );
            // Column through the middle: count dark pixels, about 5% of the side.
            let dark = (0..size)
                .filter(|&y| image.get_pixel(mid, y)[0] < 128)
                .count();
            let expected = 0.05 * size as f32;
            assert!(
                (dark as f32 - expected).abs() <= 1.5,
                "{size}: {dark} dark px"
            );
        }
    }

    #[test]
    fn edges_are_anti_aliased_and_a_dot_is_drawn() {
        let image = rasterize(&[Stroke::new(vec![[0.3, 0.3], [0.7, 0.61]], 0.02)], 224);
        let greys = image.pixels().filter(|p| p[0] > 20 && p[0] < 235).count();
        assert!(greys > 20, "partially covered pixels exist");
        let dot = rasterize(&[Stroke::new(vec![[0.5, 0.5]], 0.02)], 224);
        assert!(dot.get_pixel(112, 112)[0] < 50);
    }
}
