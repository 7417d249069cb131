//! Shadow guidance (ShadowDraw: Lee, Zitnick and Cohen, SIGGRAPH 2011): under the pen, a faint
//! blend of the line drawings of the photos that best match the drawing so far, aligned to it
//! and weighted by their scores (docs/app.md, "Shadow").
//!
//! - [`LineDrawing`]: a photo's line drawing, made once per photo while the gallery is
//!   indexed with the trainer's Canny pseudo-sketcher ([`crate::pseudo_sketch`]), at 64 x 64
//!   one bit per pixel (512 bytes, a quarter of a 512-wide f32 embedding), kept in the gallery
//!   store beside the embedding.
//! - [`compose`]: the shadow of some hits over a drawing's [`Extent`].
//!
//! The shadow is only painted: the query the encoder sees is the strokes alone.

use image::RgbImage;

use crate::pseudo_sketch::canny::{CannyParams, canny_edges};
use crate::pseudo_sketch::postprocess::thin;
use crate::raster::Stroke;

/// Side of a line drawing, in cells.
pub const LINE_SIDE: usize = 64;
/// Bytes of one line drawing on disk.
pub const LINE_BYTES: usize = LINE_SIDE * LINE_SIDE / 8;
/// Side the photo is brought to before edge detection: twice the cells, so each cell is the
/// OR of 2 x 2 edge pixels and a one-pixel contour is never lost between cells.
const EDGE_SIDE: u32 = 2 * LINE_SIDE as u32;
/// Photos whose line drawings make the shadow: the best few, as ShadowDraw blends its top
/// matches; more blur it into a grey cloud.
pub const SHADOW_PHOTOS: usize = 5;
/// Softmax temperature over the hits' cosine scores: a hit 0.05 below the best counts
/// e^-1 of it, so a clear best match dominates and near ties blend.
const SCORE_TEMPERATURE: f32 = 0.05;
/// Side of a composed shadow, in pixels (the canvas scales it, smoothly): fine enough that
/// the line drawings' cells, read between their centres, give soft lines, not steps.
pub const SHADOW_SIDE: usize = 256;
/// A drawing smaller than this (a fraction of the canvas) still gets a shadow this large:
/// the first stroke does not shrink the garment to a dot.
const MIN_SHADOW_SCALE: f32 = 0.3;

/// A photo's line drawing: 64 x 64 cells, one bit each, the photo stretched to a square as the
/// model sees it ([`crate::preprocess::model_input`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LineDrawing {
    rows: [u64; LINE_SIDE],
}

impl std::fmt::Debug for LineDrawing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineDrawing")
            .field("ink", &self.ink())
            .finish()
    }
}

impl LineDrawing {
    /// An empty drawing.
    pub fn empty() -> Self {
        Self {
            rows: [0; LINE_SIDE],
        }
    }

    /// The line drawing of `photo`: Canny edges (the trainer's settings), thinned, at
    /// 128 x 128, each cell the OR of its 2 x 2 pixels.
    pub fn of_photo(photo: &RgbImage) -> Self {
        // A camera photo is brought down by the fast box average (a triangle filter over 6
        // megapixels cost 136 ms a photo, more than embedding it); a small one is enlarged
        // smoothly.
        let small = if photo.width() > EDGE_SIDE && photo.height() > EDGE_SIDE {
            image::imageops::thumbnail(photo, EDGE_SIDE, EDGE_SIDE)
        } else {
            image::imageops::resize(
                photo,
                EDGE_SIDE,
                EDGE_SIDE,
                image::imageops::FilterType::Triangle,
            )
        };
        let edges = thin(&canny_edges(&small, &CannyParams::default()));
        let mut drawing = Self::empty();
        for y in 0..EDGE_SIDE as isize {
            for x in 0..EDGE_SIDE as isize {
                if edges.get(x, y) {
                    drawing.set(x as usize / 2, y as usize / 2);
                }
            }
        }
        drawing
    }

    /// Inks cell (`x`, `y`).
    pub fn set(&mut self, x: usize, y: usize) {
        self.rows[y] |= 1 << x;
    }

    /// Whether cell (`x`, `y`) is inked.
    pub fn get(&self, x: usize, y: usize) -> bool {
        self.rows[y] >> x & 1 == 1
    }

    /// The ink at (`x`, `y`) in cell units, read bilinearly between the four nearest cells'
    /// centres (0 outside), so a magnified drawing has soft lines instead of steps.
    pub fn sample(&self, x: f32, y: f32) -> f32 {
        let (fx, fy) = (x - 0.5, y - 0.5);
        let (x0, y0) = (fx.floor(), fy.floor());
        let (tx, ty) = (fx - x0, fy - y0);
        let side = LINE_SIDE as f32;
        let cell = |cx: f32, cy: f32| -> f32 {
            let inside = (0.0..side).contains(&cx) && (0.0..side).contains(&cy);
            f32::from(u8::from(inside && self.get(cx as usize, cy as usize)))
        };
        let top = cell(x0, y0) * (1.0 - tx) + cell(x0 + 1.0, y0) * tx;
        let bottom = cell(x0, y0 + 1.0) * (1.0 - tx) + cell(x0 + 1.0, y0 + 1.0) * tx;
        top * (1.0 - ty) + bottom * ty
    }

    /// Inked cells.
    pub fn ink(&self) -> usize {
        self.rows.iter().map(|r| r.count_ones() as usize).sum()
    }

    /// The inked cells' bounding box `[x0, y0, x1, y1]` (inclusive), none when blank.
    pub fn ink_box(&self) -> Option<[usize; 4]> {
        let rows: Vec<usize> = (0..LINE_SIDE).filter(|&y| self.rows[y] != 0).collect();
        let (&y0, &y1) = (rows.first()?, rows.last()?);
        let any = self.rows.iter().fold(0u64, |a, r| a | r);
        let x0 = any.trailing_zeros() as usize;
        let x1 = 63 - any.leading_zeros() as usize;
        Some([x0, y0, x1, y1])
    }

    /// The 512 bytes stored (rows top to bottom, each little-endian).
    pub fn to_bytes(&self) -> [u8; LINE_BYTES] {
        let mut bytes = [0u8; LINE_BYTES];
        for (chunk, row) in bytes.chunks_exact_mut(8).zip(&self.rows) {
            chunk.copy_from_slice(&row.to_le_bytes());
        }
        bytes
    }

    /// Reads [`LineDrawing::to_bytes`]'s layout.
    pub fn from_bytes(bytes: &[u8; LINE_BYTES]) -> Self {
        let mut rows = [0u64; LINE_SIDE];
        for (row, chunk) in rows.iter_mut().zip(bytes.chunks_exact(8)) {
            *row = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        }
        Self { rows }
    }
}

/// Where a drawing lies on the canvas: its bounding box in canvas units (`0..1`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    /// Top-left corner.
    pub min: [f32; 2],
    /// Bottom-right corner.
    pub max: [f32; 2],
}

impl Extent {
    /// The bounding box of `strokes`' points, none without points.
    pub fn of_strokes(strokes: &[Stroke]) -> Option<Self> {
        let mut points = strokes.iter().flat_map(|s| s.points.iter());
        let first = *points.next()?;
        let (min, max) = points.fold((first, first), |(lo, hi), p| {
            (
                [lo[0].min(p[0]), lo[1].min(p[1])],
                [hi[0].max(p[0]), hi[1].max(p[1])],
            )
        });
        Some(Self { min, max })
    }

    /// The bounding box of `image`'s dark pixels (a sketch opened from a file), none when it
    /// is blank.
    pub fn of_image(image: &RgbImage) -> Option<Self> {
        let (w, h) = (image.width() as f32, image.height() as f32);
        let dark =
            |pixel: &image::Rgb<u8>| pixel.0.iter().map(|&c| u32::from(c)).sum::<u32>() < 3 * 128;
        crate::sketch_frame::box_of(image, dark).map(|[x0, y0, x1, y1]| Self {
            min: [x0 as f32 / w, y0 as f32 / h],
            max: [x1 as f32 / w, y1 as f32 / h],
        })
    }
}

/// A composed shadow: `side` x `side` ink strengths (0: none, 255: every photo inks it),
/// row-major, over the whole canvas.
#[derive(Debug, Clone, PartialEq)]
pub struct Shadow {
    /// Pixels per side.
    pub side: usize,
    /// Ink strength per pixel.
    pub ink: Vec<u8>,
}

/// The shadow of `hits` (line drawings with their cosine scores, best first; the first
/// [`SHADOW_PHOTOS`] are used) over a drawing lying in `extent`: each line drawing is scaled
/// (keeping its proportions) so that its inked box covers the drawing's box, but never past
/// the canvas's size, centred on it across and starting at its top (garments are drawn from the
/// shoulders down, so a half-drawn garment's shadow shows where the rest could go), then the
/// drawings are blended by the softmax of their scores. The blend is scaled so that its
/// strongest line is full strength: where the best matches agree, the shadow is darkest.
pub fn compose(hits: &[(LineDrawing, f32)], extent: Extent) -> Shadow {
    let side = SHADOW_SIDE;
    let mut strength = vec![0f32; side * side];
    let hits = &hits[..hits.len().min(SHADOW_PHOTOS)];
    let best = hits.iter().map(|h| h.1).fold(f32::NEG_INFINITY, f32::max);
    let weights: Vec<f32> = hits
        .iter()
        .map(|h| ((h.1 - best) / SCORE_TEMPERATURE).exp())
        .collect();
    let total: f32 = weights.iter().sum();
    let cell = 1.0 / LINE_SIDE as f32;
    for ((drawing, _), weight) in hits.iter().zip(&weights) {
        let Some([x0, y0, x1, y1]) = drawing.ink_box() else {
            continue;
        };
        let share = weight / total;
        // The inked box in canvas units, and the scale that puts it over the drawing's box.
        let box_w = (x1 - x0 + 1) as f32 * cell;
        let box_h = (y1 - y0 + 1) as f32 * cell;
        let ext_w = extent.max[0] - extent.min[0];
        let ext_h = extent.max[1] - extent.min[1];
        let largest = box_w.max(box_h);
        let scale = (ext_w / box_w)
            .max(ext_h / box_h)
            .clamp(MIN_SHADOW_SCALE / largest, 1.0 / largest);
        let left = (extent.min[0] + extent.max[0]) / 2.0 - scale * box_w / 2.0;
        let top = extent.min[1];
        // Cells are read one cell beyond the inked box, where the bilinear read fades out.
        let (lo_x, hi_x) = (x0 as f32 - 1.0, (x1 + 2) as f32);
        let (lo_y, hi_y) = (y0 as f32 - 1.0, (y1 + 2) as f32);
        for py in 0..side {
            let v = (py as f32 + 0.5) / side as f32;
            let cy = y0 as f32 + (v - top) / scale / cell;
            if !(lo_y..hi_y).contains(&cy) {
                continue;
            }
            for px in 0..side {
                let u = (px as f32 + 0.5) / side as f32;
                let cx = x0 as f32 + (u - left) / scale / cell;
                if (lo_x..hi_x).contains(&cx) {
                    strength[py * side + px] += share * drawing.sample(cx, cy);
                }
            }
        }
    }
    let strongest = strength.iter().copied().fold(0.0f32, f32::max);
    let gain = if strongest > 0.0 {
        1.0 / strongest
    } else {
        0.0
    };
    Shadow {
        side,
        ink: strength
            .into_iter()
            .map(|s| (s * gain * 255.0).round().min(255.0) as u8)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A drawing whose ink is the rectangle outline between cells (x0, y0) and (x1, y1).
    fn frame(x0: usize, y0: usize, x1: usize, y1: usize) -> LineDrawing {
        let mut drawing = LineDrawing::empty();
        for x in x0..=x1 {
            drawing.set(x, y0);
            drawing.set(x, y1);
        }
        for y in y0..=y1 {
            drawing.set(x0, y);
            drawing.set(x1, y);
        }
        drawing
    }

    #[test]
    fn a_dark_square_on_white_gives_its_outline() {
        let photo = RgbImage::from_fn(200, 200, |x, y| {
            let inside = (50..150).contains(&x) && (50..150).contains(&y);
            image::Rgb(if inside {
                [30, 30, 30]
            } else {
                [255, 255, 255]
            })
        });
        let drawing = LineDrawing::of_photo(&photo);
        let [x0, y0, x1, y1] = drawing.ink_box().expect("an outline");
        // The square spans cells 16..48 of 64; the edge sits on its border, a cell either way.
        for (got, want) in [(x0, 16), (y0, 16), (x1, 47), (y1, 47)] {
            assert!(got.abs_diff(want) <= 1, "{:?}", [x0, y0, x1, y1]);
        }
        assert!(!drawing.get(32, 32), "no ink inside a flat square");
        assert!(
            drawing.ink() > 100 && drawing.ink() < 200,
            "{}",
            drawing.ink()
        );
        assert_eq!(LineDrawing::from_bytes(&drawing.to_bytes()), drawing);
    }

    #[test]
    fn the_shadow_covers_the_drawing_and_blends_by_score() {
        // Two frames: one a tall box, one a wide box, both scaled over the same drawing.
        let tall = frame(24, 0, 39, 63);
        let wide = frame(0, 24, 63, 39);
        let extent = Extent {
            min: [0.25, 0.25],
            max: [0.75, 0.75],
        };
        let shadow = compose(&[(tall, 0.9), (wide, 0.9 - SCORE_TEMPERATURE)], extent);
        assert_eq!(shadow.ink.len(), SHADOW_SIDE * SHADOW_SIDE);
        // The strongest ink in the canvas box u0..u1 x v0..v1, as a share of full strength.
        let peak = |u: [f32; 2], v: [f32; 2]| -> f32 {
            let px = |t: f32| (t * SHADOW_SIDE as f32) as usize;
            let mut most = 0u8;
            for y in px(v[0])..px(v[1]) {
                for x in px(u[0])..px(u[1]) {
                    most = most.max(shadow.ink[y * SHADOW_SIDE + x]);
                }
            }
            f32::from(most) / 255.0
        };
        // Each covers the drawing's box, capped at the canvas's size: the tall one (a quarter
        // as wide as high) 0.25 wide and 1.0 high, centred, from the drawing's top (0.25);
        // the wide one 1.0 wide and 0.25 high from there. Where both tops lie the ink is near
        // full strength (only corners, where lines cross, are stronger); each frame alone is
        // its share of that.
        let tall_share = 1.0 / (1.0 + (-1f32).exp());
        let both = peak([0.45, 0.55], [0.24, 0.28]);
        assert!(both > 0.85, "both tops {both}");
        let tall_side = peak([0.36, 0.40], [0.69, 0.71]) / both;
        assert!(
            (tall_side - tall_share).abs() < 0.02,
            "tall side {tall_side}"
        );
        let wide_top = peak([0.29, 0.31], [0.24, 0.28]) / both;
        assert!(
            (wide_top - (1.0 - tall_share)).abs() < 0.02,
            "wide top {wide_top}"
        );
        assert_eq!(
            peak([0.45, 0.55], [0.35, 0.45]),
            0.0,
            "nothing inside both frames"
        );
        assert_eq!(
            peak([0.0, 0.2], [0.0, 0.2]),
            0.0,
            "nothing above the drawing"
        );
    }

    #[test]
    fn extents_of_strokes_and_images() {
        let strokes = [Stroke::new(vec![[0.2, 0.3], [0.6, 0.1]], 0.01)];
        assert_eq!(
            Extent::of_strokes(&strokes),
            Some(Extent {
                min: [0.2, 0.1],
                max: [0.6, 0.3]
            })
        );
        assert_eq!(Extent::of_strokes(&[]), None);
        let image = RgbImage::from_fn(10, 10, |x, y| {
            image::Rgb(if x == 2 && y == 5 { [0; 3] } else { [255; 3] })
        });
        assert_eq!(
            Extent::of_image(&image),
            Some(Extent {
                min: [0.2, 0.5],
                max: [0.3, 0.6]
            })
        );
    }
}
