//! The sketches of a garment: simulated drawers (line width, ink, hand wobble, dropped
//! details), the strokes each draws of a garment's shape, the wider varied style, and their
//! rasterisation with the shared stroke rasteriser the app's canvas uses, so synthetic
//! sketches look like what people draw in the app.

use arnet_model::raster::{Stroke, rasterize};
use image::RgbImage;

use super::IMAGE_SIZE;
use super::garment::Garment;
use super::pose::Pose;
use super::shape::closed;
use crate::rng::Rng;

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

/// `points` with a point about every `step` along each segment (the segments' own points
/// kept), so that a hand's wobble bends long straight lines too. The free-hand sketcher uses it
/// as well.
pub(crate) fn resample(points: &[[f32; 2]], step: f32) -> Vec<[f32; 2]> {
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
    dense
}

/// Resamples a polyline every `step` and adds a smooth wobble plus jitter.
fn hand_drawn(points: &[[f32; 2]], drawer: &Drawer, rng: &mut Rng) -> Vec<[f32; 2]> {
    let dense = resample(points, 0.012);
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
    let pose = Pose::random(rng, (0.88, 1.08), 0.1, 0.05);
    polylines
        .iter()
        .map(|line| {
            let points = hand_drawn(line, drawer, rng)
                .into_iter()
                .map(|p| pose.apply(p))
                .collect();
            Stroke {
                points,
                width: drawer.width * rng.range(0.85, 1.15),
                darkness: drawer.darkness,
            }
        })
        .collect()
}

/// A drawer over a wider range than [`Drawer::random`] (see
/// [`SketchStyle::Varied`](super::SketchStyle::Varied)).
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

/// One sketch in the [`SketchStyle::Varied`](super::SketchStyle::Varied) style.
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
    let pose = Pose::random(rng, (0.8, 1.12), 0.15, 0.06);
    for stroke in &mut strokes {
        for p in &mut stroke.points {
            *p = pose.apply(*p);
        }
    }
    strokes
}

/// Renders a sketch of a garment by a drawer.
pub fn render_sketch(garment: &Garment, drawer: &Drawer, rng: &mut Rng) -> RgbImage {
    rasterize(&sketch_strokes(garment, drawer, rng), IMAGE_SIZE)
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
