//! Free-hand drawings of a *kind* of garment, for training: what a designer draws from the idea
//! of a coat or a shirt, not from a photo.
//!
//! Every other training sketch of a real photo is a tracing or an edge map of that very photo;
//! nothing in them says that two coats are both coats. These drawings are made from a kind's
//! description alone ([`kinds`]: the outline with that kind's proportions and the details that
//! name it), with random proportions, details, slant, pen and hand, and are paired with photos
//! of the kind by the category term of training (docs/model.md, "The kind of garment").
//!
//! They are never drawn from a photo, and the project's free-hand *evaluation* drawings
//! (`scripts/eval_freehand.py`) are written separately, with their own templates, so that the
//! figures measure drawings the model never saw the like of.

mod kinds;
mod parts;

use arnet_model::raster::{SKETCH_RASTER_SIZE, Stroke, rasterize};
use image::RgbImage;

use crate::rng::Rng;

/// The kinds of garment the sketcher draws: Fashion-MNIST's six garment classes, and the
/// synthetic generator's skirt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// T-shirts and tops (short sleeves, or none).
    TShirt,
    /// Trousers.
    Trouser,
    /// Pullovers: long sleeves, ribbed cuffs and hem, a round or high neck.
    Pullover,
    /// Dresses: fitted at the waist, a skirt below.
    Dress,
    /// Coats: long, open at the front, lapels, buttons.
    Coat,
    /// Shirts: a pointed collar and a buttoned placket.
    Shirt,
    /// Skirts.
    Skirt,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 7] = [
        Kind::TShirt,
        Kind::Trouser,
        Kind::Pullover,
        Kind::Dress,
        Kind::Coat,
        Kind::Shirt,
        Kind::Skirt,
    ];

    /// The kind a class label names: Fashion-MNIST's names as `arnet data fashion-mnist`
    /// writes them, and the synthetic generator's categories. `None` for a label the sketcher
    /// cannot draw (those photos still take part in the category term through their
    /// tracings).
    pub fn from_label(label: &str) -> Option<Kind> {
        match label.trim().to_ascii_lowercase().as_str() {
            "t-shirt/top" | "t-shirt" | "tshirt" | "top" | "tee" => Some(Kind::TShirt),
            "trouser" | "trousers" | "pants" => Some(Kind::Trouser),
            "pullover" | "sweater" | "jumper" => Some(Kind::Pullover),
            "dress" => Some(Kind::Dress),
            "coat" | "jacket" => Some(Kind::Coat),
            "shirt" => Some(Kind::Shirt),
            "skirt" => Some(Kind::Skirt),
            _ => None,
        }
    }

    /// The class label of the kind: Fashion-MNIST's name for its six, `skirt` for the skirt.
    pub fn label(self) -> &'static str {
        match self {
            Kind::TShirt => "t-shirt/top",
            Kind::Skirt => "skirt",
            other => other.name(),
        }
    }

    /// The name used in file names and reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::TShirt => "t-shirt",
            Kind::Trouser => "trouser",
            Kind::Pullover => "pullover",
            Kind::Dress => "dress",
            Kind::Coat => "coat",
            Kind::Shirt => "shirt",
            Kind::Skirt => "skirt",
        }
    }
}

/// How one drawing is drawn: pen, hand, care.
#[derive(Debug, Clone)]
struct Hand {
    /// Line width relative to the page.
    width: f32,
    /// Ink darkness.
    darkness: f32,
    /// Amplitude of the slow wobble, and of the point jitter.
    wobble: f32,
    jitter: f32,
    /// Probability of leaving out each detail.
    skip_detail: f32,
    /// Probability of going over a line twice (a sketchy hand).
    double_line: f32,
    /// How far a stroke may run past its end or stop short of it.
    overshoot: f32,
    /// Buttons as filled dots rather than small circles.
    dot_buttons: bool,
    /// Each line drawn as short, overlapping strokes (a feathery sketching hand), these many
    /// points long; `None` draws each line in one go.
    feathery: Option<usize>,
}

impl Hand {
    fn random(rng: &mut Rng) -> Self {
        Self {
            // From a hard pencil to a felt pen.
            width: if rng.chance(0.2) {
                rng.range(0.03, 0.045)
            } else {
                rng.range(0.004, 0.03)
            },
            darkness: rng.range(0.55, 1.0),
            wobble: rng.range(0.0, 0.014),
            jitter: rng.range(0.0005, 0.003),
            skip_detail: rng.range(0.0, 0.5),
            double_line: if rng.chance(0.25) {
                rng.range(0.2, 0.8)
            } else {
                0.0
            },
            overshoot: rng.range(0.0, 0.03),
            dot_buttons: rng.chance(0.5),
            feathery: rng.chance(0.2).then(|| 4 + rng.below(10)),
        }
    }
}

/// Where the drawing sits on the page: scale, stretch, slant, rotation and shift.
#[derive(Debug, Clone, Copy)]
struct Placement {
    scale_x: f32,
    scale_y: f32,
    shear: f32,
    sin: f32,
    cos: f32,
    shift: [f32; 2],
}

impl Placement {
    fn random(rng: &mut Rng) -> Self {
        // Most drawings fill the page as a photo's garment fills its frame; some are drawn
        // smaller, anywhere on the page (a designer does not always start in the middle).
        let small = rng.chance(0.15);
        let scale = if small {
            rng.range(0.55, 0.72)
        } else {
            rng.range(0.72, 1.08)
        };
        let stretch = rng.range(0.8, 1.2);
        let (sin, cos) = rng.range(-0.14, 0.14).sin_cos();
        let shift = if small {
            let room = (1.0 - scale) * 0.4;
            [rng.range(-room, room), rng.range(-room, room)]
        } else {
            [rng.normal(0.04), rng.normal(0.04)]
        };
        Self {
            scale_x: scale * stretch,
            scale_y: scale / stretch,
            shear: rng.normal(0.06),
            sin,
            cos,
            shift,
        }
    }

    fn apply(&self, p: [f32; 2]) -> [f32; 2] {
        let (x, y) = (p[0] - 0.5, p[1] - 0.5);
        let (x, y) = (x * self.scale_x + self.shear * y, y * self.scale_y);
        [
            0.5 + self.shift[0] + self.cos * x - self.sin * y,
            0.5 + self.shift[1] + self.sin * x + self.cos * y,
        ]
    }
}

/// Resamples a polyline about every `step`, then bends it with a slow wobble and jitters each
/// point, as a hand does.
fn by_hand(points: &[[f32; 2]], hand: &Hand, rng: &mut Rng) -> Vec<[f32; 2]> {
    let dense = crate::synth::resample(points, 0.01);
    let (fx, fy) = (rng.range(3.0, 12.0), rng.range(3.0, 12.0));
    let (px, py) = (rng.range(0.0, 6.3), rng.range(0.0, 6.3));
    let count = dense.len().max(2) as f32;
    dense
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let t = i as f32 / count;
            [
                p[0] + hand.wobble * (fx * t + px).sin() + rng.normal(hand.jitter),
                p[1] + hand.wobble * (fy * t + py).sin() + rng.normal(hand.jitter),
            ]
        })
        .collect()
}

/// Runs a stroke a little past (or short of) each end.
fn overshoot(points: &mut [[f32; 2]], amount: f32, rng: &mut Rng) {
    if points.len() < 2 || amount <= 0.0 {
        return;
    }
    let extend = |from: [f32; 2], to: [f32; 2], by: f32| {
        let (dx, dy) = (to[0] - from[0], to[1] - from[1]);
        let len = (dx * dx + dy * dy).sqrt().max(1e-6);
        [to[0] + dx / len * by, to[1] + dy / len * by]
    };
    let n = points.len();
    let end = extend(points[n - 2], points[n - 1], rng.range(-0.3, 1.0) * amount);
    points[n - 1] = end;
    let start = extend(points[1], points[0], rng.range(-0.3, 1.0) * amount);
    points[0] = start;
}

/// A line as a feathery hand draws it: short strokes of about `length` points, each
/// overlapping the last a little and set off from the line by a hair.
fn feathered(line: &[[f32; 2]], length: usize, rng: &mut Rng) -> Vec<Vec<[f32; 2]>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    while start + 1 < line.len() {
        let end = (start + length + rng.below(length / 2 + 1)).min(line.len());
        let (dx, dy) = (rng.normal(0.004), rng.normal(0.004));
        pieces.push(
            line[start..end]
                .iter()
                .map(|p| [p[0] + dx, p[1] + dy])
                .collect(),
        );
        if end == line.len() {
            break;
        }
        // Back up one or two points: the next stroke starts over the end of this one.
        start = end.saturating_sub(1 + rng.below(2)).max(start + 1);
    }
    pieces
}

/// The outline cut where a person lifts the pen: one stroke, each half on its own (a common
/// way to draw something symmetric), or two to four pieces.
fn outline_strokes(outline: &[[f32; 2]], rng: &mut Rng) -> Vec<Vec<[f32; 2]>> {
    let n = outline.len();
    if n < 3 {
        return vec![outline.to_vec()];
    }
    match rng.below(3) {
        0 => vec![outline.to_vec()],
        1 => {
            // The outline starts at the top centre and its middle is the bottom centre.
            let middle = n / 2;
            vec![outline[..=middle].to_vec(), outline[middle..].to_vec()]
        }
        _ => {
            let pieces = 2 + rng.below(3);
            let offset = rng.below(n - 1);
            let ring: Vec<[f32; 2]> = (0..n - 1)
                .map(|i| outline[(i + offset) % (n - 1)])
                .chain(std::iter::once(outline[offset % (n - 1)]))
                .collect();
            let chunk = ring.len().div_ceil(pieces);
            (0..pieces)
                .filter_map(|i| {
                    let start = i * chunk;
                    let end = ((i + 1) * chunk + 1).min(ring.len());
                    (end > start + 1).then(|| ring[start..end].to_vec())
                })
                .collect()
        }
    }
}

/// The strokes of one free-hand drawing of `kind`, on a `[0, 1]²` page.
pub fn strokes(kind: Kind, rng: &mut Rng) -> Vec<Stroke> {
    let drawing = kinds::garment(kind, rng);
    let hand = Hand::random(rng);
    let placement = Placement::random(rng);
    let mut lines: Vec<Vec<[f32; 2]>> = outline_strokes(&drawing.outline, rng);
    for detail in drawing.details {
        if !rng.chance(hand.skip_detail) {
            lines.push(detail);
        }
    }
    let mut result = Vec::new();
    let stroke = |points: Vec<[f32; 2]>, width: f32| Stroke {
        points,
        width,
        darkness: hand.darkness,
    };
    for line in lines {
        let placed: Vec<[f32; 2]> = line.iter().map(|&p| placement.apply(p)).collect();
        let mut drawn = by_hand(&placed, &hand, rng);
        overshoot(&mut drawn, hand.overshoot, rng);
        if rng.chance(hand.double_line) {
            let again: Vec<[f32; 2]> = by_hand(&placed, &hand, rng);
            result.push(stroke(again, hand.width * 0.8));
        }
        match hand.feathery {
            Some(length) => {
                for piece in feathered(&drawn, length, rng) {
                    result.push(stroke(piece, hand.width));
                }
            }
            None => result.push(stroke(drawn, hand.width)),
        }
    }
    if !rng.chance(hand.skip_detail) {
        for centre in drawing.buttons {
            let c = placement.apply(centre);
            let r = rng.range(0.006, 0.012);
            if hand.dot_buttons {
                result.push(stroke(
                    vec![c, [c[0] + 0.001, c[1]]],
                    (2.0 * r).max(hand.width),
                ));
            } else {
                let ring = (0..=8)
                    .map(|k| {
                        let a = k as f32 / 8.0 * std::f32::consts::TAU;
                        [c[0] + r * a.cos(), c[1] + r * a.sin()]
                    })
                    .collect();
                result.push(stroke(ring, hand.width * 0.7));
            }
        }
    }
    result
}

/// One free-hand drawing of `kind`, rasterised as the app rasterises a drawn sketch.
pub fn draw(kind: Kind, rng: &mut Rng) -> RgbImage {
    rasterize(&strokes(kind, rng), SKETCH_RASTER_SIZE)
}

/// Writes `per_kind` drawings of each of `kinds` to `out` as `freehand-KIND-NNN_1.png`, and a
/// `labels.json` of their stems' kinds (the format `arnet eval --labels` reads); returns how
/// many were written. Drawing `i` of a kind comes from its own seeded stream, so a seed always
/// writes the same files.
pub fn write_folder(
    out: &std::path::Path,
    kinds: &[Kind],
    per_kind: usize,
    seed: u64,
) -> anyhow::Result<usize> {
    use anyhow::Context;
    std::fs::create_dir_all(out).with_context(|| format!("{}: cannot create", out.display()))?;
    let mut labels = std::collections::BTreeMap::new();
    for &kind in kinds {
        for i in 0..per_kind {
            let mut rng = Rng::for_item(seed, FOLDER_STREAM + kind as u64, i as u64);
            let stem = format!("freehand-{}-{i:03}", kind.name());
            let path = out.join(format!("{stem}_1.png"));
            draw(kind, &mut rng)
                .save(&path)
                .with_context(|| format!("{}: cannot write", path.display()))?;
            labels.insert(format!("{stem}_1"), kind.label());
        }
    }
    let path = out.join("labels.json");
    std::fs::write(&path, serde_json::to_string_pretty(&labels)?)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(labels.len())
}

const FOLDER_STREAM: u64 = 0xF4EE;

#[cfg(test)]
mod tests {
    use super::*;

    fn ink_box(image: &RgbImage) -> Option<(u32, u32, u32, u32)> {
        let mut bounds: Option<(u32, u32, u32, u32)> = None;
        for (x, y, p) in image.enumerate_pixels() {
            if p[0] < 200 {
                let b = bounds.get_or_insert((x, y, x, y));
                *b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
            }
        }
        bounds
    }

    #[test]
    fn every_kind_draws_a_garment_sized_figure_on_the_page() {
        for kind in Kind::ALL {
            for seed in 0..20 {
                let image = draw(kind, &mut Rng::new(seed));
                let (x0, y0, x1, y1) = ink_box(&image).expect("some ink");
                let side = image.width() as f32;
                let (w, h) = ((x1 - x0) as f32 / side, (y1 - y0) as f32 / side);
                // Some are drawn small (down to about half the page's height), none a doodle.
                assert!(
                    w > 0.1 && h > 0.2,
                    "{kind:?} seed {seed}: a {w:.2} x {h:.2} figure"
                );
                let ink = image.pixels().filter(|p| p[0] < 128).count() as f32;
                assert!(
                    ink / (side * side) < 0.35,
                    "{kind:?} seed {seed}: a line drawing, not a filled shape"
                );
            }
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_and_another_differs() {
        let a = draw(Kind::Coat, &mut Rng::new(3));
        assert_eq!(a, draw(Kind::Coat, &mut Rng::new(3)));
        assert_ne!(a, draw(Kind::Coat, &mut Rng::new(4)));
    }

    #[test]
    fn trousers_have_a_gap_between_the_legs_and_tops_do_not() {
        // Down the middle column, below the crotch, a pair of trousers has no ink between the
        // legs' inner lines; a dress's skirt is one closed shape, so a scan across it at the
        // same height meets exactly two outline crossings (left and right), as do trousers'
        // legs four.
        let crossings = |image: &RgbImage, y: u32| {
            let mut count = 0;
            let mut inside = false;
            for x in 0..image.width() {
                let dark = image.get_pixel(x, y)[0] < 128;
                if dark && !inside {
                    count += 1;
                }
                inside = dark;
            }
            count
        };
        let mut trouser_four = 0;
        let mut dress_two = 0;
        for seed in 0..20 {
            let trouser = draw(Kind::Trouser, &mut Rng::new(seed));
            let (_, y0, _, y1) = ink_box(&trouser).unwrap();
            if crossings(&trouser, y0 + (y1 - y0) * 4 / 5) >= 4 {
                trouser_four += 1;
            }
            let dress = draw(Kind::Dress, &mut Rng::new(seed));
            let (_, y0, _, y1) = ink_box(&dress).unwrap();
            if crossings(&dress, y0 + (y1 - y0) * 4 / 5) <= 3 {
                dress_two += 1;
            }
        }
        assert!(
            trouser_four >= 14,
            "{trouser_four} of 20 trousers show two legs"
        );
        assert!(dress_two >= 14, "{dress_two} of 20 dresses show one skirt");
    }

    #[test]
    fn a_feathery_line_is_short_overlapping_strokes_along_it() {
        let line: Vec<[f32; 2]> = (0..60).map(|i| [0.2 + i as f32 * 0.01, 0.5]).collect();
        let pieces = feathered(&line, 6, &mut Rng::new(9));
        assert!(pieces.len() >= 6, "{} strokes", pieces.len());
        assert!(pieces.iter().all(|p| p.len() >= 2 && p.len() <= 10));
        // Together they run the line's length, end to end, each near the line.
        let xs = pieces.iter().flatten().map(|p| p[0]);
        let (lo, hi) = xs.fold((f32::MAX, f32::MIN), |(a, b), x| (a.min(x), b.max(x)));
        assert!(lo < 0.22 && hi > 0.77, "{lo}..{hi}");
        assert!(pieces.iter().flatten().all(|p| (p[1] - 0.5).abs() < 0.03));
        // Each stroke starts where the last one had not yet ended (no gaps).
        for pair in pieces.windows(2) {
            assert!(pair[1][0][0] <= pair[0].last().unwrap()[0] + 0.02);
        }
    }

    #[test]
    fn labels_name_kinds() {
        assert_eq!(Kind::from_label("t-shirt/top"), Some(Kind::TShirt));
        assert_eq!(Kind::from_label("Trousers"), Some(Kind::Trouser));
        assert_eq!(Kind::from_label("coat"), Some(Kind::Coat));
        assert_eq!(Kind::from_label("sandal"), None);
    }
}
