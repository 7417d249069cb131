//! Synthetic Clothes-V1-style data: procedurally drawn garments rendered as photo-like images,
//! and freehand-looking sketches of the same garments by several simulated "drawers".
//!
//! Every garment is a category (top, dress, coat, skirt, trousers) plus fine-grained attributes
//! (sleeve length, neckline, collar, hem, length, flare, pockets, buttons, stripes, colours).
//! Many garments share a category and differ only in a few attributes, which is what makes the
//! retrieval fine-grained: an untrained model scores near chance, a trained one must learn
//! sleeve lengths, necklines and details.
//!
//! Photos are filled, shaded, coloured shapes on a light background (tiny-skia). Sketches are
//! the same garment's outline and details as dark strokes on white, drawn with the project's
//! shared stroke rasteriser ([`arnet_model::raster`], the one the app's canvas uses) with
//! per-drawer wobble, line width, ink, pose jitter and dropped details.
//!
//! Output layout (what the trainer reads): `OUT/trainA/STEM_KK.png` sketches,
//! `OUT/trainB/STEM.png` photos, the same under `testA/` / `testB/`, and `OUT/synth.json`
//! describing every garment. A seed regenerates the same files.

use std::path::{Path, PathBuf};

use anyhow::Context;
use arnet_model::raster::{Stroke, rasterize};
use image::RgbImage;
use serde::Serialize;
use tiny_skia::{
    Color, FillRule, GradientStop, LinearGradient, Mask, Paint, PathBuilder, Pixmap, Point,
    SpreadMode, Transform,
};

use crate::rng::Rng;

/// Side of generated photos and sketches in pixels.
pub const IMAGE_SIZE: u32 = 256;

/// Garment category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// T-shirts, blouses, shirts.
    Top,
    /// Dresses.
    Dress,
    /// Coats and jackets (front opening, often buttons and collar).
    Coat,
    /// Skirts.
    Skirt,
    /// Trousers and shorts.
    Trousers,
}

/// Sleeve length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sleeve {
    /// Sleeveless.
    None,
    /// Short sleeves.
    Short,
    /// Three-quarter sleeves.
    ThreeQuarter,
    /// Long sleeves.
    Long,
}

/// Neckline shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Neckline {
    /// Round.
    Round,
    /// V-neck.
    V,
    /// Square.
    Square,
    /// Wide and shallow.
    Boat,
}

/// Hem shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hem {
    /// Straight.
    Straight,
    /// Curved downwards in the middle.
    Curved,
    /// One side lower than the other.
    Asymmetric,
}

/// Stripe pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stripes {
    /// Plain fabric.
    None,
    /// Horizontal stripes (count).
    Horizontal(u8),
    /// Vertical stripes (count).
    Vertical(u8),
}

/// Everything that defines one garment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Garment {
    /// Category.
    pub category: Category,
    /// Sleeves (tops, dresses, coats).
    pub sleeve: Sleeve,
    /// Neckline (tops, dresses, coats).
    pub neckline: Neckline,
    /// Whether it has a collar.
    pub collar: bool,
    /// Hem shape.
    pub hem: Hem,
    /// Length as a fraction of the image height.
    pub length: f32,
    /// Half-width at the shoulders / waist as a fraction of the image width.
    pub width: f32,
    /// Hem width relative to the waist.
    pub flare: f32,
    /// Number of patch pockets (0-2).
    pub pockets: u8,
    /// Number of buttons on a centre placket (0 = none).
    pub buttons: u8,
    /// Stripe pattern.
    pub stripes: Stripes,
    /// Vertical pleats on a skirt (0 = none).
    pub pleats: u8,
    /// Main colour.
    pub colour: [u8; 3],
    /// Second colour (stripes, buttons).
    pub accent: [u8; 3],
}

fn random_colour(rng: &mut Rng) -> [u8; 3] {
    // Saturated-ish colours, never close to the white background.
    let hue = rng.unit() * 6.0;
    let (sat, val) = (rng.range(0.35, 0.95), rng.range(0.25, 0.85));
    let c = val * sat;
    let x = c * (1.0 - ((hue % 2.0) - 1.0).abs());
    let (r, g, b) = match hue as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = val - c;
    [r, g, b].map(|v| ((v + m) * 255.0).round() as u8)
}

impl Garment {
    /// A random garment.
    pub fn random(rng: &mut Rng) -> Self {
        use Category::*;
        let category = rng.pick(&[Top, Top, Dress, Coat, Skirt, Trousers]);
        let upper = matches!(category, Top | Dress | Coat);
        let sleeve = if upper {
            rng.pick(&[
                Sleeve::None,
                Sleeve::Short,
                Sleeve::ThreeQuarter,
                Sleeve::Long,
            ])
        } else {
            Sleeve::None
        };
        let neckline = rng.pick(&[
            Neckline::Round,
            Neckline::V,
            Neckline::Square,
            Neckline::Boat,
        ]);
        let length = match category {
            Top => rng.range(0.38, 0.56),
            Dress => rng.range(0.55, 0.78),
            Coat => rng.range(0.5, 0.78),
            Skirt => rng.range(0.28, 0.62),
            Trousers => {
                if rng.chance(0.3) {
                    rng.range(0.3, 0.4) // shorts
                } else {
                    rng.range(0.55, 0.78)
                }
            }
        };
        let flare = match category {
            Dress | Skirt => rng.range(1.0, 1.9),
            Trousers => rng.range(0.55, 1.1),
            _ => rng.range(0.9, 1.15),
        };
        let stripes = match rng.below(4) {
            0 => Stripes::Horizontal(3 + rng.below(6) as u8),
            1 => Stripes::Vertical(3 + rng.below(5) as u8),
            _ => Stripes::None,
        };
        Self {
            category,
            sleeve,
            neckline,
            collar: upper && rng.chance(if category == Coat { 0.7 } else { 0.3 }),
            hem: rng.pick(&[Hem::Straight, Hem::Curved, Hem::Asymmetric]),
            length,
            width: rng.range(0.14, 0.22),
            flare,
            pockets: rng.below(3) as u8,
            buttons: if category == Coat || (upper && rng.chance(0.3)) {
                2 + rng.below(5) as u8
            } else {
                0
            },
            stripes,
            pleats: if category == Skirt && rng.chance(0.4) {
                3 + rng.below(4) as u8
            } else {
                0
            },
            colour: random_colour(rng),
            accent: random_colour(rng),
        }
    }

    /// The garment's drawing: a closed outline and detail lines, in normalised coordinates.
    pub fn shape(&self) -> Shape {
        match self.category {
            Category::Skirt => self.skirt(),
            Category::Trousers => self.trousers(),
            _ => self.upper_body(),
        }
    }

    fn hem_points(&self, left: [f32; 2], right: [f32; 2]) -> Vec<[f32; 2]> {
        let steps = 8;
        (0..=steps)
            .map(|i| {
                let t = i as f32 / steps as f32;
                let x = left[0] + (right[0] - left[0]) * t;
                let base = left[1] + (right[1] - left[1]) * t;
                let dy = match self.hem {
                    Hem::Straight => 0.0,
                    Hem::Curved => 0.05 * (std::f32::consts::PI * t).sin(),
                    Hem::Asymmetric => 0.08 * t,
                };
                [x, base + dy]
            })
            .collect()
    }

    fn upper_body(&self) -> Shape {
        let cx = 0.5;
        let top = 0.5 - (self.length + 0.08) / 2.0;
        let sw = self.width + 0.03;
        let nw = match self.neckline {
            Neckline::Boat => 0.1,
            _ => 0.06,
        };
        let waist_y = top + 0.45 * self.length;
        let waist = sw * 0.82;
        let hem_y = top + self.length;
        let hem = waist * self.flare;
        let shoulder = [cx - sw, top + 0.035];
        let armpit = [cx - sw * 0.9, top + 0.17];
        let mut left: Vec<[f32; 2]> = vec![[cx - nw, top], shoulder];
        let sleeve_len = match self.sleeve {
            Sleeve::None => 0.0,
            Sleeve::Short => 0.12,
            Sleeve::ThreeQuarter => 0.24,
            Sleeve::Long => 0.36,
        };
        let mut details = Vec::new();
        if sleeve_len > 0.0 {
            let dir = [-0.55f32, 0.835]; // down and out
            let cuff_outer = [
                shoulder[0] + dir[0] * sleeve_len,
                shoulder[1] + dir[1] * sleeve_len,
            ];
            let cuff_w = 0.085 - 0.025 * (sleeve_len / 0.36);
            let cuff_inner = [
                cuff_outer[0] + 0.835 * cuff_w,
                cuff_outer[1] + 0.55 * cuff_w,
            ];
            left.extend([cuff_outer, cuff_inner]);
            details.push(vec![shoulder, armpit]); // sleeve seam
        }
        left.extend([armpit, [cx - waist, waist_y]]);
        let hem_left = [cx - hem, hem_y];
        let hem_right = [cx + hem, hem_y];
        left.push(hem_left);
        let mirror = |p: [f32; 2]| [2.0 * cx - p[0], p[1]];
        let mut outline = left.clone();
        outline.extend(self.hem_points(hem_left, hem_right).into_iter().skip(1));
        outline.extend(left.iter().rev().skip(1).map(|&p| mirror(p)));
        // Neckline from the right neck point back to the left one.
        let depth = match self.neckline {
            Neckline::Round => 0.06,
            Neckline::V => 0.15,
            Neckline::Square => 0.08,
            Neckline::Boat => 0.025,
        };
        let neck: Vec<[f32; 2]> = match self.neckline {
            Neckline::V => vec![[cx, top + depth]],
            Neckline::Square => vec![[cx + nw, top + depth], [cx - nw, top + depth]],
            _ => (1..8)
                .map(|i| {
                    let a = std::f32::consts::PI * i as f32 / 8.0;
                    [cx + nw * a.cos(), top + depth * a.sin()]
                })
                .collect(),
        };
        outline.extend(neck);
        let neck_bottom = top + depth;
        if self.collar {
            details.push(vec![
                [cx - nw, top],
                [cx - nw - 0.05, top + 0.07],
                [cx - 0.01, neck_bottom],
            ]);
            details.push(vec![
                [cx + nw, top],
                [cx + nw + 0.05, top + 0.07],
                [cx + 0.01, neck_bottom],
            ]);
        }
        if self.category == Category::Dress || self.category == Category::Top && self.length > 0.5 {
            details.push(vec![[cx - waist, waist_y], [cx + waist, waist_y]]); // waist seam
        }
        let mut buttons = Vec::new();
        if self.buttons > 0 {
            details.push(vec![[cx, neck_bottom], [cx, hem_y]]);
            let n = self.buttons as usize;
            let span = (waist_y + 0.1).min(hem_y - 0.04) - (neck_bottom + 0.03);
            for i in 0..n {
                buttons.push([
                    cx + 0.018,
                    neck_bottom + 0.03 + span * i as f32 / (n - 1).max(1) as f32,
                ]);
            }
        }
        let pockets = self.pocket_boxes(cx, waist, waist_y + 0.03);
        Shape {
            outline,
            details,
            pockets,
            buttons,
        }
    }

    fn pocket_boxes(&self, cx: f32, half: f32, y: f32) -> Vec<[[f32; 2]; 2]> {
        let (w, h) = (0.07, 0.06);
        match self.pockets {
            0 => vec![],
            1 => vec![[
                [cx - half * 0.55 - w / 2.0, y],
                [cx - half * 0.55 + w / 2.0, y + h],
            ]],
            _ => [-1.0f32, 1.0]
                .iter()
                .map(|s| {
                    let x = cx + s * half * 0.55;
                    [[x - w / 2.0, y], [x + w / 2.0, y + h]]
                })
                .collect(),
        }
    }

    fn skirt(&self) -> Shape {
        let cx = 0.5;
        let top = 0.5 - self.length / 2.0;
        let waist = self.width;
        let hem = waist * self.flare;
        let hem_y = top + self.length;
        let hem_left = [cx - hem, hem_y];
        let hem_right = [cx + hem, hem_y];
        let mut outline = vec![[cx - waist, top]];
        outline.extend(self.hem_points(hem_left, hem_right));
        outline.push([cx + waist, top]);
        let mut details = vec![vec![
            [cx - waist * 1.01, top + 0.035],
            [cx + waist * 1.01, top + 0.035],
        ]];
        for i in 1..=self.pleats as usize {
            let t = i as f32 / (self.pleats as f32 + 1.0);
            let x_top = cx - waist + 2.0 * waist * t;
            let x_bottom = cx - hem + 2.0 * hem * t;
            details.push(vec![[x_top, top + 0.035], [x_bottom, hem_y - 0.01]]);
        }
        let mut buttons = Vec::new();
        if self.buttons > 0 {
            details.push(vec![[cx, top + 0.035], [cx, hem_y]]);
            for i in 0..self.buttons as usize {
                buttons.push([cx + 0.015, top + 0.07 + 0.05 * i as f32]);
            }
        }
        Shape {
            outline,
            details,
            pockets: self.pocket_boxes(cx, waist, top + 0.07),
            buttons,
        }
    }

    fn trousers(&self) -> Shape {
        let cx = 0.5;
        let top = 0.5 - self.length / 2.0;
        let waist = self.width;
        let hem_y = top + self.length;
        let crotch = [cx, top + 0.2f32.min(self.length * 0.45)];
        let leg = (waist * self.flare * 0.55).max(0.05);
        let outer_l = [cx - waist - 0.02 * self.flare, hem_y];
        let outer_r = [cx + waist + 0.02 * self.flare, hem_y];
        let outline = vec![
            [cx - waist, top],
            outer_l,
            [outer_l[0] + 2.0 * leg, hem_y],
            crotch,
            [outer_r[0] - 2.0 * leg, hem_y],
            outer_r,
            [cx + waist, top],
        ];
        let mut details = vec![
            vec![[cx - waist, top + 0.035], [cx + waist, top + 0.035]],
            vec![[cx, top + 0.035], [cx, crotch[1] - 0.03]],
        ];
        if self.pleats > 0 || self.hem == Hem::Curved {
            // Pressed creases.
            details.push(vec![
                [cx - waist / 2.0, top + 0.05],
                [outer_l[0] + leg, hem_y - 0.01],
            ]);
            details.push(vec![
                [cx + waist / 2.0, top + 0.05],
                [outer_r[0] - leg, hem_y - 0.01],
            ]);
        }
        let buttons = if self.buttons > 0 {
            vec![[cx, top + 0.018]]
        } else {
            vec![]
        };
        Shape {
            outline,
            details,
            pockets: self.pocket_boxes(cx, waist, top + 0.06),
            buttons,
        }
    }
}

/// A garment's geometry in normalised coordinates.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Closed outline.
    pub outline: Vec<[f32; 2]>,
    /// Open detail lines (seams, collar, placket, pleats, creases).
    pub details: Vec<Vec<[f32; 2]>>,
    /// Patch pockets as `[top-left, bottom-right]`.
    pub pockets: Vec<[[f32; 2]; 2]>,
    /// Button centres.
    pub buttons: Vec<[f32; 2]>,
}

impl Shape {
    /// Horizontal extent of the outline at height `y` (outermost crossings).
    fn span_at(&self, y: f32) -> Option<(f32, f32)> {
        let n = self.outline.len();
        let xs: Vec<f32> = (0..n)
            .filter_map(|i| {
                let (a, b) = (self.outline[i], self.outline[(i + 1) % n]);
                if (a[1] <= y) != (b[1] <= y) {
                    Some(a[0] + (y - a[1]) / (b[1] - a[1]) * (b[0] - a[0]))
                } else {
                    None
                }
            })
            .collect();
        let lo = xs.iter().cloned().fold(f32::INFINITY, f32::min);
        let hi = xs.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        (lo < hi).then_some((lo, hi))
    }

    fn bounds(&self) -> [f32; 4] {
        let mut b = [
            f32::INFINITY,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NEG_INFINITY,
        ];
        for p in &self.outline {
            b = [
                b[0].min(p[0]),
                b[1].min(p[1]),
                b[2].max(p[0]),
                b[3].max(p[1]),
            ];
        }
        b
    }

    /// Stripe lines clipped to the outline, as segments.
    fn stripe_lines(&self, stripes: Stripes) -> Vec<[[f32; 2]; 2]> {
        let [x0, y0, x1, y1] = self.bounds();
        match stripes {
            Stripes::None => vec![],
            Stripes::Horizontal(n) => (1..=n as usize)
                .filter_map(|i| {
                    let y = y0 + (y1 - y0) * i as f32 / (n as f32 + 1.0);
                    self.span_at(y).map(|(a, b)| [[a, y], [b, y]])
                })
                .collect(),
            Stripes::Vertical(n) => (1..=n as usize)
                .map(|i| {
                    let x = x0 + (x1 - x0) * i as f32 / (n as f32 + 1.0);
                    [[x, y0 + 0.04], [x, y1 - 0.02]]
                })
                .collect(),
        }
    }
}

fn path_of(points: &[[f32; 2]], close: bool, size: f32) -> Option<tiny_skia::Path> {
    let mut pb = PathBuilder::new();
    let (first, rest) = points.split_first()?;
    pb.move_to(first[0] * size, first[1] * size);
    for p in rest {
        pb.line_to(p[0] * size, p[1] * size);
    }
    if close {
        pb.close();
    }
    pb.finish()
}

fn shade(colour: [u8; 3], factor: f32) -> Color {
    let [r, g, b] = colour.map(|c| (c as f32 * factor).clamp(0.0, 255.0) as u8);
    Color::from_rgba8(r, g, b, 255)
}

/// Renders the photo of a garment.
pub fn render_photo(garment: &Garment, rng: &mut Rng) -> RgbImage {
    let size = IMAGE_SIZE as f32;
    let mut pixmap = Pixmap::new(IMAGE_SIZE, IMAGE_SIZE).expect("non-zero size");
    let bg = rng.range(228.0, 250.0) as u8;
    let tint = [
        bg,
        bg.saturating_sub(rng.below(8) as u8),
        bg.saturating_sub(rng.below(14) as u8),
    ];
    pixmap.fill(shade(tint, 1.0));
    // A studio-photo framing: slight zoom and offset.
    let zoom = rng.range(0.94, 1.06);
    let (dx, dy) = (rng.range(-0.02, 0.02) * size, rng.range(-0.02, 0.02) * size);
    let frame = Transform::from_translate(-size / 2.0, -size / 2.0)
        .post_scale(zoom, zoom)
        .post_translate(size / 2.0 + dx, size / 2.0 + dy);
    let shape = garment.shape();
    let Some(body) = path_of(&shape.outline, true, size) else {
        return pixmap_to_rgb(&pixmap);
    };
    let [x0, _, x1, _] = shape.bounds();
    let mut paint = Paint {
        anti_alias: true,
        ..Paint::default()
    };
    // Shading: darker at the sides, as a lit rounded body.
    paint.shader = LinearGradient::new(
        Point::from_xy(x0 * size, 0.0),
        Point::from_xy(x1 * size, 0.0),
        vec![
            GradientStop::new(0.0, shade(garment.colour, 0.72)),
            GradientStop::new(0.45, shade(garment.colour, 1.08)),
            GradientStop::new(1.0, shade(garment.colour, 0.8)),
        ],
        SpreadMode::Pad,
        Transform::identity(),
    )
    .expect("valid gradient");
    pixmap.fill_path(&body, &paint, FillRule::Winding, frame, None);

    let mut mask = Mask::new(IMAGE_SIZE, IMAGE_SIZE).expect("non-zero size");
    mask.fill_path(&body, FillRule::Winding, true, frame);
    let line =
        |pixmap: &mut Pixmap, pts: &[[f32; 2]], colour: Color, width: f32, clip: Option<&Mask>| {
            if let Some(path) = path_of(pts, false, size) {
                let mut paint = Paint {
                    anti_alias: true,
                    ..Paint::default()
                };
                paint.set_color(colour);
                let stroke = tiny_skia::Stroke {
                    width,
                    ..Default::default()
                };
                pixmap.stroke_path(&path, &paint, &stroke, frame, clip);
            }
        };
    let stripe_width = size / 45.0;
    for [a, b] in shape.stripe_lines(garment.stripes) {
        line(
            &mut pixmap,
            &[a, b],
            shade(garment.accent, 1.0),
            stripe_width,
            Some(&mask),
        );
    }
    let seam = shade(garment.colour, 0.55);
    for detail in &shape.details {
        line(&mut pixmap, detail, seam, 1.6, Some(&mask));
    }
    for [a, b] in &shape.pockets {
        let rect = [*a, [b[0], a[1]], *b, [a[0], b[1]], *a];
        line(&mut pixmap, &rect, seam, 1.6, Some(&mask));
    }
    for centre in &shape.buttons {
        let mut pb = PathBuilder::new();
        pb.push_circle(centre[0] * size, centre[1] * size, size * 0.011);
        if let Some(circle) = pb.finish() {
            let mut paint = Paint {
                anti_alias: true,
                ..Paint::default()
            };
            paint.set_color(shade(garment.accent, 0.9));
            pixmap.fill_path(&circle, &paint, FillRule::Winding, frame, None);
        }
    }
    line(
        &mut pixmap,
        &closed(&shape.outline),
        shade(garment.colour, 0.45),
        1.2,
        None,
    );
    pixmap_to_rgb(&pixmap)
}

fn closed(points: &[[f32; 2]]) -> Vec<[f32; 2]> {
    let mut v = points.to_vec();
    if let Some(&first) = points.first() {
        v.push(first);
    }
    v
}

fn pixmap_to_rgb(pixmap: &Pixmap) -> RgbImage {
    // The background is opaque, so premultiplied RGBA equals straight RGBA.
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|px| [px[0], px[1], px[2]])
        .collect();
    RgbImage::from_raw(pixmap.width(), pixmap.height(), rgb).expect("size matches")
}

/// How one simulated person draws.
#[derive(Debug, Clone)]
pub struct Drawer {
    /// Line width relative to the image side.
    pub width: f32,
    /// Ink darkness.
    pub darkness: f32,
    /// Amplitude of the slow hand wobble (normalised units).
    pub wobble: f32,
    /// Probability of leaving out each detail.
    pub skip_detail: f32,
    /// Probability of drawing stripes at all.
    pub draws_stripes: f32,
}

impl Drawer {
    /// A random drawer.
    pub fn random(rng: &mut Rng) -> Self {
        Self {
            width: rng.range(0.007, 0.017),
            darkness: rng.range(0.75, 1.0),
            wobble: rng.range(0.002, 0.011),
            skip_detail: rng.range(0.05, 0.45),
            draws_stripes: rng.range(0.2, 0.9),
        }
    }
}

/// Resamples a polyline every `step` and adds a smooth wobble plus jitter.
fn hand_drawn(points: &[[f32; 2]], drawer: &Drawer, rng: &mut Rng) -> Vec<[f32; 2]> {
    let step = 0.012;
    let mut dense = Vec::new();
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
        let n = (len / step).ceil().max(1.0) as usize;
        for i in 0..n {
            let t = i as f32 / n as f32;
            dense.push([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]);
        }
    }
    if let Some(&last) = points.last() {
        dense.push(last);
    }
    let (fx, fy) = (rng.range(4.0, 11.0), rng.range(4.0, 11.0));
    let (px, py) = (rng.range(0.0, 6.3), rng.range(0.0, 6.3));
    let count = dense.len().max(2) as f32;
    dense
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let t = i as f32 / count;
            [
                p[0] + drawer.wobble * (fx * t + px).sin() + rng.normal(0.0012),
                p[1] + drawer.wobble * (fy * t + py).sin() + rng.normal(0.0012),
            ]
        })
        .collect()
}

/// The strokes a drawer makes for a garment (in normalised coordinates, before posing).
pub fn sketch_strokes(garment: &Garment, drawer: &Drawer, rng: &mut Rng) -> Vec<Stroke> {
    let shape = garment.shape();
    let mut polylines: Vec<Vec<[f32; 2]>> = Vec::new();
    // The outline in 1-3 strokes, as people lift the pen.
    let outline = closed(&shape.outline);
    let pieces = 1 + rng.below(3);
    let chunk = outline.len().div_ceil(pieces);
    for i in 0..pieces {
        let start = i * chunk;
        let end = ((i + 1) * chunk + 1).min(outline.len());
        if end > start + 1 {
            polylines.push(outline[start..end].to_vec());
        }
    }
    for detail in &shape.details {
        if !rng.chance(drawer.skip_detail) {
            polylines.push(detail.clone());
        }
    }
    for [a, b] in &shape.pockets {
        if !rng.chance(drawer.skip_detail) {
            polylines.push(vec![*a, [b[0], a[1]], *b, [a[0], b[1]], *a]);
        }
    }
    for c in &shape.buttons {
        if !rng.chance(drawer.skip_detail) {
            let r = 0.011;
            polylines.push(
                (0..=8)
                    .map(|k| {
                        let a = k as f32 / 8.0 * std::f32::consts::TAU;
                        [c[0] + r * a.cos(), c[1] + r * a.sin()]
                    })
                    .collect(),
            );
        }
    }
    if rng.chance(drawer.draws_stripes) {
        for [a, b] in shape.stripe_lines(garment.stripes) {
            polylines.push(vec![a, b]);
        }
    }
    // Pose: each sketch sits a little differently on the page.
    let scale = rng.range(0.88, 1.08);
    let angle = rng.range(-0.1, 0.1);
    let (shift_x, shift_y) = (rng.range(-0.05, 0.05), rng.range(-0.05, 0.05));
    let (sin, cos) = angle.sin_cos();
    let pose = |p: [f32; 2]| {
        let (x, y) = (p[0] - 0.5, p[1] - 0.5);
        [
            0.5 + shift_x + scale * (cos * x - sin * y),
            0.5 + shift_y + scale * (sin * x + cos * y),
        ]
    };
    polylines
        .iter()
        .map(|line| {
            let points = hand_drawn(line, drawer, rng)
                .into_iter()
                .map(pose)
                .collect();
            Stroke {
                points,
                width: drawer.width * rng.range(0.85, 1.15),
                darkness: drawer.darkness,
            }
        })
        .collect()
}

/// How the sketches of a synthetic set are drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SketchStyle {
    /// A pool of drawers with moderate variation (the bundled demo's gallery and the tests).
    #[default]
    Standard,
    /// For training a model that has to find what people draw: every sketch by its own
    /// drawer over a much wider range of line widths, ink and wobble, a third of them with the
    /// app's own pen, some outline-only, some partial (the first strokes only), some
    /// over-drawn (each stroke twice), and a wider pose (scale, rotation, position).
    Varied,
}

/// A drawer over a wider range than [`Drawer::random`] (see [`SketchStyle::Varied`]).
fn varied_drawer(rng: &mut Rng) -> Drawer {
    let mut drawer = if rng.chance(0.3) {
        app_drawer()
    } else {
        Drawer {
            width: rng.range(0.004, 0.03),
            darkness: rng.range(0.55, 1.0),
            wobble: rng.range(0.0, 0.02),
            skip_detail: rng.range(0.0, 0.7),
            draws_stripes: rng.range(0.0, 1.0),
        }
    };
    if rng.chance(0.15) {
        // Outline only.
        drawer.skip_detail = 1.0;
        drawer.draws_stripes = 0.0;
    }
    drawer
}

/// One sketch in the [`SketchStyle::Varied`] style.
pub fn varied_sketch_strokes(garment: &Garment, rng: &mut Rng) -> Vec<Stroke> {
    let drawer = varied_drawer(rng);
    let mut strokes = sketch_strokes(garment, &drawer, rng);
    if rng.chance(0.2) && strokes.len() > 1 {
        // Partial: the first strokes only (the outline comes first).
        let keep = ((strokes.len() as f32 * rng.range(0.35, 0.9)).ceil() as usize).max(1);
        strokes.truncate(keep);
    }
    if rng.chance(0.15) {
        // Over-drawn: each line traced twice by a slightly different hand.
        let again: Vec<Stroke> = strokes
            .iter()
            .map(|s| Stroke {
                points: s
                    .points
                    .iter()
                    .map(|p| [p[0] + rng.normal(0.004), p[1] + rng.normal(0.004)])
                    .collect(),
                ..s.clone()
            })
            .collect();
        strokes.extend(again);
    }
    // A wider pose than sketch_strokes' own.
    let scale = rng.range(0.8, 1.12);
    let (sin, cos) = rng.range(-0.15, 0.15).sin_cos();
    let (shift_x, shift_y) = (rng.range(-0.06, 0.06), rng.range(-0.06, 0.06));
    for stroke in &mut strokes {
        for p in &mut stroke.points {
            let (x, y) = (p[0] - 0.5, p[1] - 0.5);
            *p = [
                0.5 + shift_x + scale * (cos * x - sin * y),
                0.5 + shift_y + scale * (sin * x + cos * y),
            ];
        }
    }
    strokes
}

/// Renders a sketch of a garment by a drawer.
pub fn render_sketch(garment: &Garment, drawer: &Drawer, rng: &mut Rng) -> RgbImage {
    rasterize(&sketch_strokes(garment, drawer, rng), IMAGE_SIZE)
}

/// Options of `arnet synth`.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Output folder.
    pub out: PathBuf,
    /// Number of photos (garments), split into train and test.
    pub photos: usize,
    /// Sketches per photo.
    pub sketches_per_photo: usize,
    /// Seed.
    pub seed: u64,
    /// Share of photos in the test split.
    pub test_fraction: f32,
    /// Also write, per photo, the strokes of one sketch drawn the way the app draws
    /// (`{split}A-strokes/STEM_app.json`: the app's pen width, black, light wobble), for
    /// evaluating a model on sketches rasterised by the app's own canvas code.
    pub stroke_lists: bool,
    /// How the sketches (not the stroke lists) are drawn.
    pub style: SketchStyle,
}

/// A drawer that draws like a person using the app: the app's default pen (width and black
/// ink), a light hand wobble, most details drawn.
pub fn app_drawer() -> Drawer {
    Drawer {
        width: arnet_model::raster::DEFAULT_STROKE_WIDTH,
        darkness: 1.0,
        wobble: 0.004,
        skip_detail: 0.15,
        draws_stripes: 0.6,
    }
}

const APP_STROKE_STREAM: u64 = 5;

#[derive(Serialize)]
struct Record<'a> {
    stem: String,
    split: &'a str,
    garment: &'a Garment,
}

const GARMENT_STREAM: u64 = 1;
const PHOTO_STREAM: u64 = 2;
const SKETCH_STREAM: u64 = 3;
const DRAWER_STREAM: u64 = 4;

/// Most sketches [`generate`] draws of one photo (their random streams are numbered per photo).
pub const MAX_SKETCHES_PER_PHOTO: usize = 1000;

/// Writes a synthetic data set; returns the number of photos and sketches written.
pub fn generate(options: &SynthOptions) -> anyhow::Result<(usize, usize)> {
    // Sketch k of photo i draws from stream item i * 1000 + k: past 1000 sketches a photo, two
    // sketches would share their randomness (and the stream numbering cannot change without
    // changing every sketch already generated, the bundled demo's included).
    anyhow::ensure!(
        options.sketches_per_photo <= MAX_SKETCHES_PER_PHOTO,
        "at most {MAX_SKETCHES_PER_PHOTO} sketches a photo, not {}",
        options.sketches_per_photo
    );
    let garments: Vec<Garment> = (0..options.photos)
        .map(|i| Garment::random(&mut Rng::for_item(options.seed, GARMENT_STREAM, i as u64)))
        .collect();
    // A pool of drawers shared by the whole set, as in a real data set.
    let drawers: Vec<Drawer> = (0..options.sketches_per_photo.max(1) * 3)
        .map(|i| Drawer::random(&mut Rng::for_item(options.seed, DRAWER_STREAM, i as u64)))
        .collect();
    let test_count = ((options.photos as f32) * options.test_fraction).round() as usize;
    let split_of = |i: usize| {
        if i < options.photos - test_count {
            "train"
        } else {
            "test"
        }
    };
    for split in ["train", "test"] {
        if options.stroke_lists {
            let dir = options.out.join(format!("{split}A-strokes"));
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        for side in ["A", "B"] {
            let dir = options.out.join(format!("{split}{side}"));
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        }
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let result: anyhow::Result<()> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(garment) = garments.get(i) else {
                            return Ok(());
                        };
                        write_item(options, i, garment, &drawers, split_of(i))?;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().expect("worker panicked"))
    });
    result?;
    let records: Vec<Record> = garments
        .iter()
        .enumerate()
        .map(|(i, garment)| Record {
            stem: stem(i),
            split: split_of(i),
            garment,
        })
        .collect();
    let json = serde_json::to_vec_pretty(&serde_json::json!({
        "seed": options.seed,
        "photos": options.photos,
        "sketches_per_photo": options.sketches_per_photo,
        "garments": records,
    }))?;
    arnet_model::fsutil::write_atomic(&options.out.join("synth.json"), &json)?;
    Ok((options.photos, options.photos * options.sketches_per_photo))
}

fn stem(i: usize) -> String {
    format!("{:05}", i + 1)
}

fn write_item(
    options: &SynthOptions,
    i: usize,
    garment: &Garment,
    drawers: &[Drawer],
    split: &str,
) -> anyhow::Result<()> {
    let stem = stem(i);
    let save = |image: RgbImage, path: &Path| -> anyhow::Result<()> {
        let mut bytes = std::io::Cursor::new(Vec::new());
        image.write_to(&mut bytes, image::ImageFormat::Png)?;
        arnet_model::fsutil::write_atomic(path, bytes.get_ref())
            .with_context(|| format!("writing {}", path.display()))
    };
    let photo = render_photo(
        garment,
        &mut Rng::for_item(options.seed, PHOTO_STREAM, i as u64),
    );
    save(photo, &options.out.join(format!("{split}B/{stem}.png")))?;
    for k in 0..options.sketches_per_photo {
        let item = i * MAX_SKETCHES_PER_PHOTO + k;
        let mut rng = Rng::for_item(options.seed, SKETCH_STREAM, item as u64);
        let sketch = match options.style {
            SketchStyle::Standard => {
                let drawer = &drawers[rng.below(drawers.len())];
                render_sketch(garment, drawer, &mut rng)
            }
            SketchStyle::Varied => rasterize(&varied_sketch_strokes(garment, &mut rng), IMAGE_SIZE),
        };
        save(
            sketch,
            &options
                .out
                .join(format!("{split}A/{stem}_{:02}.png", k + 1)),
        )?;
    }
    if options.stroke_lists {
        let mut rng = Rng::for_item(options.seed, APP_STROKE_STREAM, i as u64);
        let strokes: Vec<Stroke> = sketch_strokes(garment, &app_drawer(), &mut rng)
            .into_iter()
            .map(|s| Stroke {
                width: arnet_model::raster::DEFAULT_STROKE_WIDTH,
                darkness: 1.0,
                ..s
            })
            .collect();
        let path = options
            .out
            .join(format!("{split}A-strokes/{stem}_app.json"));
        arnet_model::fsutil::write_atomic(&path, &serde_json::to_vec(&strokes)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
