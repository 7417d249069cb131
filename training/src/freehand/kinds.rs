//! What each kind of garment looks like when a person draws it from the idea of it: the
//! outline with that kind's proportions, and the details that name the kind (a pointed collar
//! and a button placket for a shirt, ribbed cuffs and hem for a pullover, a long open front
//! with lapels for a coat, two legs and a waistband for trousers). Every proportion and every
//! detail is drawn at random per drawing, within what still reads as that kind.
//!
//! Coordinates: the page is `[0, 1]²`, y down; a garment is built upright and centred on
//! x = 0.5, its right half mirrored to make the left (people draw garments symmetric, then the
//! hand in `mod.rs` makes them not quite so).

use super::Kind;
use crate::rng::Rng;

/// A polyline on the page.
pub type Line = Vec<[f32; 2]>;

/// A garment as drawn: its outline (closed, one polyline) and its details, before the hand.
#[derive(Debug, Clone, Default)]
pub struct Drawing {
    /// The silhouette, closed (first point repeated at the end).
    pub outline: Line,
    /// The lines inside it that name the kind, each optional to the drawer.
    pub details: Vec<Line>,
    /// Small round marks (buttons), as centres; drawn as dots or tiny circles.
    pub buttons: Vec<[f32; 2]>,
}

/// Mirrors a right-half point to the left half.
fn mirror(p: [f32; 2]) -> [f32; 2] {
    [1.0 - p[0], p[1]]
}

/// A closed outline from a right half running from the top centre clockwise to the bottom
/// centre: the right half, then its mirror image back up to the start.
fn symmetric_outline(right: &[[f32; 2]]) -> Line {
    let mut outline: Line = right.to_vec();
    outline.extend(right.iter().rev().skip(1).map(|&p| mirror(p)));
    outline
}

/// A quadratic Bézier from `a` to `b` bent towards `control`, as `n + 1` points.
fn curve(a: [f32; 2], control: [f32; 2], b: [f32; 2], n: usize) -> Line {
    (0..=n)
        .map(|i| {
            let t = i as f32 / n as f32;
            let u = 1.0 - t;
            [
                u * u * a[0] + 2.0 * u * t * control[0] + t * t * b[0],
                u * u * a[1] + 2.0 * u * t * control[1] + t * t * b[1],
            ]
        })
        .collect()
}

fn lerp(a: [f32; 2], b: [f32; 2], t: f32) -> [f32; 2] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
}

/// A line and its mirror image.
fn both_sides(line: Line) -> [Line; 2] {
    let mirrored = line.iter().map(|&p| mirror(p)).collect();
    [line, mirrored]
}

/// How the neck opening is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Neck {
    Round,
    V,
    /// A high band standing above the neckline (turtleneck, mock neck).
    High,
}

/// The proportions of a garment for the upper body (the tops, the coat, the dress's bodice).
#[derive(Debug, Clone)]
struct Upper {
    /// Shoulder line's y.
    top: f32,
    /// Hem's y (at the side seams).
    bottom: f32,
    /// Neck half-width and depth.
    neck_half: f32,
    neck_depth: f32,
    neck: Neck,
    /// Shoulder point (right half).
    shoulder: [f32; 2],
    /// Armpit (right half).
    armpit: [f32; 2],
    /// Hem corner (right half).
    hem: [f32; 2],
    /// How far the middle of the hem sits below (positive) or above the corners.
    hem_curve: f32,
    /// Sleeve length (0: sleeveless), and its direction's angle from straight down, outwards.
    sleeve_length: f32,
    sleeve_angle: f32,
    /// Sleeve width at the armhole, and the cuff's as a share of it.
    sleeve_width: f32,
    sleeve_taper: f32,
    /// Waist half-width at mid-body (a fitted bodice pinches in here).
    waist_half: f32,
}

/// A sleeve's ends (right half): where its outer line ends, where its inner line ends, and
/// where the inner line meets the body (the armpit).
struct Sleeve {
    outer_end: [f32; 2],
    inner_end: [f32; 2],
    armpit: [f32; 2],
}

impl Upper {
    fn random(rng: &mut Rng, length: (f32, f32), sleeve: (f32, f32), angle: (f32, f32)) -> Self {
        let height = rng.range(length.0, length.1);
        let top = 0.5 - height / 2.0 + rng.normal(0.02);
        let bottom = top + height;
        let shoulder_half = rng.range(0.13, 0.21);
        let body_half = shoulder_half * rng.range(0.85, 1.02);
        let armhole = rng.range(0.15, 0.24) * height.max(0.55);
        let hem_half = body_half * rng.range(0.88, 1.15);
        Self {
            top,
            bottom,
            neck_half: rng.range(0.045, 0.09),
            neck_depth: rng.range(0.02, 0.09),
            neck: Neck::Round,
            shoulder: [0.5 + shoulder_half, top + rng.range(0.015, 0.05)],
            armpit: [0.5 + body_half, top + armhole],
            hem: [0.5 + hem_half, bottom],
            hem_curve: rng.range(-0.01, 0.02),
            sleeve_length: rng.range(sleeve.0, sleeve.1) * height,
            sleeve_angle: rng.range(angle.0, angle.1).to_radians(),
            sleeve_width: rng.range(0.065, 0.11),
            sleeve_taper: rng.range(0.65, 0.95),
            waist_half: body_half * rng.range(0.92, 1.0),
        }
    }

    /// The sleeve, if any: its outer line runs from the shoulder along the sleeve's direction;
    /// its inner line runs parallel, a sleeve's width in, from where it leaves the body's side
    /// (the lower the more the sleeve hangs down) to the cuff.
    fn sleeve(&self) -> Option<Sleeve> {
        if self.sleeve_length <= 0.0 {
            return None;
        }
        let (s, c) = self.sleeve_angle.sin_cos();
        let direction = [s, c];
        // Square to the sleeve, pointing to the body's side of it.
        let across = [-c, s];
        let outer_end = [
            self.shoulder[0] + direction[0] * self.sleeve_length,
            self.shoulder[1] + direction[1] * self.sleeve_length,
        ];
        let w = self.sleeve_width;
        let inner_end = [
            outer_end[0] + across[0] * w * self.sleeve_taper,
            outer_end[1] + across[1] * w * self.sleeve_taper,
        ];
        // Where the inner line crosses the body's side (x of the armpit), clamped to a
        // plausible armhole depth.
        let start = [
            self.shoulder[0] + across[0] * w,
            self.shoulder[1] + across[1] * w,
        ];
        let along = if s > 1e-3 {
            (self.armpit[0] - start[0]) / s
        } else {
            f32::INFINITY
        };
        let along = along.clamp(0.0, 0.3 * (self.bottom - self.top).max(0.3));
        let along = along.min(self.sleeve_length * 0.7);
        let armpit = [start[0] + s * along, start[1] + c * along];
        Some(Sleeve {
            outer_end,
            inner_end,
            armpit,
        })
    }

    /// Where the sleeve (or the armhole) meets the body's side.
    fn armpit(&self) -> [f32; 2] {
        self.sleeve().map_or(self.armpit, |s| s.armpit)
    }

    /// The outline's right half, from the neck's centre front to the hem's centre.
    fn right_half(&self) -> Line {
        let centre_neck = [0.5, self.top + self.neck_depth];
        let neck_corner = [0.5 + self.neck_half, self.top];
        let mut half = match self.neck {
            Neck::V => vec![centre_neck, neck_corner],
            Neck::Round | Neck::High => curve(
                centre_neck,
                [0.5 + self.neck_half * 0.9, self.top + self.neck_depth],
                neck_corner,
                5,
            ),
        };
        half.push(self.shoulder);
        if let Some(sleeve) = self.sleeve() {
            half.push(sleeve.outer_end);
            half.push(sleeve.inner_end);
        }
        let armpit = self.armpit();
        half.push(armpit);
        let waist_y = armpit[1] + (self.bottom - armpit[1]) * 0.45;
        half.push([0.5 + self.waist_half, waist_y]);
        half.push(self.hem);
        half.extend(curve(
            self.hem,
            [
                0.5 + (self.hem[0] - 0.5) * 0.5,
                self.bottom + self.hem_curve,
            ],
            [0.5, self.bottom + self.hem_curve],
            4,
        ));
        half.remove(half.len() - 5); // the hem corner appears twice
        half
    }

    fn outline(&self) -> Line {
        let half = self.right_half();
        symmetric_outline(&half)
    }

    /// A line across each sleeve near its end (a cuff), `depth` up the sleeve.
    fn cuffs(&self, depth: f32) -> Vec<Line> {
        let Some(sleeve) = self.sleeve() else {
            return Vec::new();
        };
        let t = 1.0 - depth / self.sleeve_length.max(1e-3);
        let outer = lerp(self.shoulder, sleeve.outer_end, t);
        let t_inner = 1.0 - depth / self.sleeve_length.max(1e-3) * 1.1;
        let inner = lerp(sleeve.armpit, sleeve.inner_end, t_inner.max(0.0));
        both_sides(vec![outer, inner]).to_vec()
    }

    /// The back of the neck, seen through the opening.
    fn back_neck(&self) -> Line {
        curve(
            [0.5 - self.neck_half, self.top],
            [0.5, self.top + self.neck_depth * 0.25],
            [0.5 + self.neck_half, self.top],
            6,
        )
    }

    /// A line parallel to the neckline, `gap` below it (a rib or a binding).
    fn neck_band(&self, gap: f32) -> Line {
        let l = [0.5 - self.neck_half - gap * 0.6, self.top + gap * 0.3];
        let r = [0.5 + self.neck_half + gap * 0.6, self.top + gap * 0.3];
        match self.neck {
            Neck::V => vec![l, [0.5, self.top + self.neck_depth + gap * 1.5], r],
            _ => curve(l, [0.5, self.top + self.neck_depth * 2.0 + gap * 2.0], r, 8),
        }
    }

    /// A line parallel to the hem, `depth` above it (a rib band, a turn-up).
    fn hem_band(&self, depth: f32) -> Line {
        let y = self.bottom - depth;
        let half = self.hem[0] - 0.5;
        vec![[0.5 - half, y], [0.5, y + self.hem_curve], [0.5 + half, y]]
    }
}

/// Short vertical strokes along a band: how people draw ribbing.
fn rib_ticks(rng: &mut Rng, from: [f32; 2], to: [f32; 2], depth: f32) -> Vec<Line> {
    let count = 3 + rng.below(6);
    (1..count)
        .map(|i| {
            let p = lerp(from, to, i as f32 / count as f32);
            vec![p, [p[0], p[1] + depth]]
        })
        .collect()
}

/// A hood standing up behind the neck: the shape of a head's back, from one neck corner to
/// the other.
fn hood(upper: &Upper, rng: &mut Rng) -> Line {
    let w = upper.neck_half + rng.range(0.02, 0.05);
    let h = rng.range(0.1, 0.17);
    vec![
        [0.5 - upper.neck_half, upper.top],
        [0.5 - w, upper.top - h * 0.55],
        [0.5 - w * 0.6, upper.top - h],
        [0.5 + w * 0.6, upper.top - h],
        [0.5 + w, upper.top - h * 0.55],
        [0.5 + upper.neck_half, upper.top],
    ]
}

/// A front pouch pocket (a hoodie's): a trapezoid across the belly.
fn pouch(upper: &Upper) -> Line {
    let y0 = upper.bottom - (upper.bottom - upper.top) * 0.35;
    let y1 = upper.bottom - (upper.bottom - upper.top) * 0.08;
    let half = (upper.hem[0] - 0.5) * 0.55;
    vec![
        [0.5 - half * 0.75, y0],
        [0.5 - half, y1],
        [0.5 + half, y1],
        [0.5 + half * 0.75, y0],
        [0.5 - half * 0.75, y0],
    ]
}

/// A column of `count` buttons from `top` to `bottom` at `x`.
fn button_column(x: f32, top: f32, bottom: f32, count: usize) -> Vec<[f32; 2]> {
    (0..count)
        .map(|i| {
            let t = (i as f32 + 0.5) / count as f32;
            [x, top + (bottom - top) * t]
        })
        .collect()
}

pub(super) fn t_shirt(rng: &mut Rng) -> Drawing {
    let tank = rng.chance(0.15);
    let mut upper = if tank {
        Upper::random(rng, (0.6, 0.8), (0.0, 0.0), (0.0, 0.0))
    } else {
        Upper::random(rng, (0.55, 0.78), (0.18, 0.33), (40.0, 68.0))
    };
    if tank {
        upper.neck_half = rng.range(0.07, 0.11);
        upper.neck_depth = rng.range(0.06, 0.14);
        upper.shoulder[0] = upper.neck_half + 0.5 + rng.range(0.02, 0.05);
    }
    upper.neck = if rng.chance(0.3) {
        Neck::V
    } else {
        Neck::Round
    };
    let mut drawing = Drawing {
        outline: upper.outline(),
        ..Drawing::default()
    };
    if rng.chance(0.5) {
        drawing.details.push(upper.back_neck());
    }
    if rng.chance(0.45) {
        drawing
            .details
            .push(upper.neck_band(rng.range(0.012, 0.025)));
    }
    if !tank && rng.chance(0.45) {
        drawing.details.extend(upper.cuffs(rng.range(0.02, 0.04)));
    }
    if rng.chance(0.25) {
        drawing.details.push(upper.hem_band(rng.range(0.02, 0.035)));
    }
    if rng.chance(0.15) {
        // A print on the chest.
        let c = [
            0.5 + rng.normal(0.02),
            upper.top + (upper.bottom - upper.top) * 0.4,
        ];
        let r = rng.range(0.04, 0.08);
        drawing.details.push(vec![
            [c[0] - r, c[1] - r * 0.6],
            [c[0] + r, c[1] - r * 0.6],
            [c[0] + r, c[1] + r * 0.6],
            [c[0] - r, c[1] + r * 0.6],
            [c[0] - r, c[1] - r * 0.6],
        ]);
    }
    drawing
}

pub(super) fn pullover(rng: &mut Rng) -> Drawing {
    let mut upper = Upper::random(rng, (0.62, 0.82), (0.85, 1.1), (6.0, 28.0));
    upper.neck = match rng.below(10) {
        0..=5 => Neck::Round,
        6..=7 => Neck::V,
        _ => Neck::High,
    };
    upper.neck_depth = rng.range(0.015, 0.05);
    let mut drawing = Drawing {
        outline: upper.outline(),
        ..Drawing::default()
    };
    if upper.neck == Neck::Round && rng.chance(0.2) {
        // A hoodie: the hood behind the neck and a pouch at the front.
        drawing.details.push(hood(&upper, rng));
        drawing.details.push(pouch(&upper));
    }
    match upper.neck {
        Neck::High => {
            // The turtleneck: a band standing above the shoulders, folded over.
            let h = rng.range(0.04, 0.08);
            let w = upper.neck_half * rng.range(0.9, 1.1);
            drawing.details.push(vec![
                [0.5 - w, upper.top],
                [0.5 - w * 0.95, upper.top - h],
                [0.5 + w * 0.95, upper.top - h],
                [0.5 + w, upper.top],
            ]);
            drawing.details.push(vec![
                [0.5 - w, upper.top - h * 0.45],
                [0.5 + w, upper.top - h * 0.45],
            ]);
        }
        _ => {
            drawing
                .details
                .push(upper.neck_band(rng.range(0.012, 0.028)));
            if rng.chance(0.5) {
                drawing.details.push(upper.back_neck());
            }
        }
    }
    // Ribbed cuffs and hem: the pullover's mark.
    let cuff = rng.range(0.03, 0.06);
    if rng.chance(0.8) {
        drawing.details.extend(upper.cuffs(cuff));
    }
    let band = rng.range(0.03, 0.07);
    if rng.chance(0.85) {
        let line = upper.hem_band(band);
        if rng.chance(0.5) {
            drawing
                .details
                .extend(rib_ticks(rng, line[0], line[2], band * 0.9));
        }
        drawing.details.push(line);
    }
    if rng.chance(0.2) {
        // A cable or a stripe across the chest.
        let y = upper.armpit[1] + rng.range(0.0, 0.1);
        drawing.details.push(vec![
            [0.5 - (upper.armpit[0] - 0.5), y],
            [0.5 + (upper.armpit[0] - 0.5), y],
        ]);
    }
    drawing
}

pub(super) fn shirt(rng: &mut Rng) -> Drawing {
    let long = rng.chance(0.75);
    let mut upper = if long {
        Upper::random(rng, (0.62, 0.82), (0.8, 1.05), (6.0, 26.0))
    } else {
        Upper::random(rng, (0.58, 0.78), (0.2, 0.33), (35.0, 60.0))
    };
    upper.neck = Neck::V;
    upper.neck_depth = rng.range(0.03, 0.08);
    upper.neck_half = rng.range(0.04, 0.07);
    // The shirttail: the hem curves down in the middle.
    upper.hem_curve = rng.range(0.0, 0.06);
    let mut drawing = Drawing {
        outline: upper.outline(),
        ..Drawing::default()
    };
    // The collar: a pointed flap each side of the neck.
    let point_drop = rng.range(0.05, 0.1);
    let spread = rng.range(0.0, 0.05);
    for side in both_sides(vec![
        [0.5 + upper.neck_half, upper.top],
        [0.5 + upper.neck_half * 0.5 + spread, upper.top + point_drop],
        [0.5 + rng.range(0.0, 0.01), upper.top + upper.neck_depth],
    ]) {
        drawing.details.push(side);
    }
    if rng.chance(0.5) {
        drawing.details.push(upper.back_neck());
    }
    // The placket: a line (or two) down the front, with buttons.
    let placket_top = upper.top + upper.neck_depth;
    let hem_y = upper.bottom + upper.hem_curve;
    let offset = rng.range(0.0, 0.015);
    drawing
        .details
        .push(vec![[0.5 + offset, placket_top], [0.5 + offset, hem_y]]);
    if rng.chance(0.4) {
        drawing.details.push(vec![
            [0.5 + offset + 0.02, placket_top],
            [0.5 + offset + 0.02, hem_y],
        ]);
    }
    if rng.chance(0.85) {
        let count = 4 + rng.below(4);
        drawing.buttons = button_column(0.5 + offset + 0.01, placket_top, hem_y - 0.03, count);
    }
    if long && rng.chance(0.75) {
        drawing.details.extend(upper.cuffs(rng.range(0.03, 0.06)));
    }
    if rng.chance(0.4) {
        // A chest pocket.
        let x = 0.5 - (upper.armpit[0] - 0.5) * 0.55;
        let y = upper.armpit[1] - 0.02;
        let (w, h) = (rng.range(0.045, 0.07), rng.range(0.05, 0.08));
        drawing.details.push(vec![
            [x - w / 2.0, y],
            [x - w / 2.0, y + h],
            [x + w / 2.0, y + h],
            [x + w / 2.0, y],
            [x - w / 2.0, y],
        ]);
    }
    drawing
}

pub(super) fn coat(rng: &mut Rng) -> Drawing {
    if rng.chance(0.35) {
        return jacket(rng);
    }
    long_coat(rng)
}

/// A short jacket: hip length, zipped down the middle, often hooded, pockets at the sides.
fn jacket(rng: &mut Rng) -> Drawing {
    let mut upper = Upper::random(rng, (0.62, 0.8), (0.85, 1.05), (6.0, 24.0));
    upper.neck = Neck::Round;
    upper.neck_depth = rng.range(0.015, 0.04);
    let mut drawing = Drawing {
        outline: upper.outline(),
        ..Drawing::default()
    };
    let hem_y = upper.bottom + upper.hem_curve;
    drawing
        .details
        .push(vec![[0.5, upper.top + upper.neck_depth], [0.5, hem_y]]);
    if rng.chance(0.55) {
        drawing.details.push(hood(&upper, rng));
    } else if rng.chance(0.6) {
        // A stand-up collar.
        let h = rng.range(0.025, 0.05);
        drawing.details.push(vec![
            [0.5 - upper.neck_half, upper.top],
            [0.5 - upper.neck_half, upper.top - h],
            [0.5 + upper.neck_half, upper.top - h],
            [0.5 + upper.neck_half, upper.top],
        ]);
    }
    if rng.chance(0.6) {
        let y = upper.bottom - (upper.bottom - upper.top) * rng.range(0.2, 0.32);
        let x = 0.5 + (upper.hem[0] - 0.5) * 0.6;
        for side in both_sides(vec![[x - 0.02, y - 0.05], [x + 0.02, y + 0.03]]) {
            drawing.details.push(side);
        }
    }
    if rng.chance(0.5) {
        drawing.details.push(upper.hem_band(rng.range(0.025, 0.05)));
    }
    if rng.chance(0.5) {
        drawing.details.extend(upper.cuffs(rng.range(0.03, 0.05)));
    }
    drawing
}

/// A long coat: open down the front under lapels, buttons, pocket flaps, sometimes a belt.
fn long_coat(rng: &mut Rng) -> Drawing {
    let mut upper = Upper::random(rng, (0.78, 0.95), (0.62, 0.8), (6.0, 24.0));
    upper.neck = Neck::V;
    upper.neck_half = rng.range(0.05, 0.09);
    upper.neck_depth = rng.range(0.12, 0.26);
    let flare = rng.range(1.0, 1.3);
    upper.hem[0] = 0.5 + (upper.hem[0] - 0.5) * flare;
    upper.hem_curve = rng.range(-0.01, 0.01);
    let mut drawing = Drawing {
        outline: upper.outline(),
        ..Drawing::default()
    };
    let lapel_bottom = [0.5, upper.top + upper.neck_depth];
    // The lapels: from the collar out to a notch, then down to where the fronts meet.
    let notch = [
        0.5 + upper.neck_half + rng.range(0.03, 0.07),
        upper.top + upper.neck_depth * rng.range(0.3, 0.5),
    ];
    for side in both_sides(vec![
        [0.5 + upper.neck_half, upper.top],
        notch,
        lapel_bottom,
    ]) {
        drawing.details.push(side);
    }
    if rng.chance(0.6) {
        // The collar standing behind the neck.
        drawing.details.push(curve(
            [0.5 - upper.neck_half, upper.top],
            [0.5, upper.top - rng.range(0.02, 0.05)],
            [0.5 + upper.neck_half, upper.top],
            6,
        ));
    }
    // The opening: down the front to the hem (off-centre for a double-breasted front).
    let hem_y = upper.bottom + upper.hem_curve;
    let offset = if rng.chance(0.3) {
        rng.range(0.02, 0.05)
    } else {
        0.0
    };
    drawing.details.push(vec![
        lapel_bottom,
        [0.5 + offset, lapel_bottom[1] + 0.02],
        [0.5 + offset, hem_y],
    ]);
    if rng.chance(0.75) {
        let count = 2 + rng.below(4);
        let bottom = lapel_bottom[1] + (hem_y - lapel_bottom[1]) * rng.range(0.45, 0.7);
        let x = 0.5 + offset - rng.range(0.015, 0.03);
        drawing.buttons = button_column(x, lapel_bottom[1] + 0.02, bottom, count);
        if offset > 0.0 {
            let second = button_column(1.0 - x, lapel_bottom[1] + 0.02, bottom, count);
            drawing.buttons.extend(second);
        }
    }
    if rng.chance(0.6) {
        // Pocket flaps at the hips.
        let y = upper.bottom - (upper.bottom - upper.top) * rng.range(0.25, 0.35);
        let w = rng.range(0.05, 0.08);
        let x = 0.5 + (upper.hem[0] - 0.5) * 0.55;
        for side in both_sides(vec![[x - w / 2.0, y], [x + w / 2.0, y + rng.normal(0.008)]]) {
            drawing.details.push(side);
        }
    }
    if rng.chance(0.3) {
        // A belt at the waist.
        let y = upper.armpit[1] + (upper.bottom - upper.armpit[1]) * 0.35;
        let half = upper.waist_half + 0.01;
        drawing.details.push(vec![[0.5 - half, y], [0.5 + half, y]]);
        drawing
            .details
            .push(vec![[0.5 - half, y + 0.025], [0.5 + half, y + 0.025]]);
    }
    if rng.chance(0.5) {
        drawing.details.extend(upper.cuffs(rng.range(0.03, 0.06)));
    }
    drawing
}

pub(super) fn dress(rng: &mut Rng) -> Drawing {
    let sleeves = rng.below(3);
    let (sleeve, angle) = match sleeves {
        0 => ((0.0, 0.0), (0.0, 0.0)),
        1 => ((0.1, 0.18), (40.0, 65.0)),
        _ => ((0.5, 0.7), (8.0, 25.0)),
    };
    let mut upper = Upper::random(rng, (0.78, 0.95), sleeve, angle);
    let height = upper.bottom - upper.top;
    let shoulder_half = rng.range(0.1, 0.16);
    upper.shoulder[0] = 0.5 + shoulder_half;
    upper.armpit = [
        0.5 + shoulder_half * rng.range(0.9, 1.05),
        upper.top + height * 0.17,
    ];
    if sleeves == 0 {
        upper.neck_half = rng.range(0.05, 0.09);
        upper.shoulder[0] = 0.5 + upper.neck_half + rng.range(0.015, 0.04);
    }
    upper.neck = if rng.chance(0.4) {
        Neck::V
    } else {
        Neck::Round
    };
    // Fitted at the waist, then the skirt flares to a wide hem.
    upper.waist_half = shoulder_half * rng.range(0.65, 0.85);
    upper.hem[0] = 0.5 + rng.range(0.2, 0.36);
    upper.hem_curve = rng.range(0.0, 0.03);
    let waist_y = upper.top + height * rng.range(0.3, 0.42);
    let mut half = upper.right_half();
    // Replace the mid-body point with the waist, higher up, so the skirt flares from it.
    if let Some(index) = half
        .iter()
        .position(|p| (p[0] - (0.5 + upper.waist_half)).abs() < 1e-6)
    {
        half[index] = [0.5 + upper.waist_half, waist_y];
    }
    let mut drawing = Drawing {
        outline: symmetric_outline(&half),
        ..Drawing::default()
    };
    if rng.chance(0.6) {
        drawing.details.push(vec![
            [0.5 - upper.waist_half, waist_y],
            [0.5 + upper.waist_half, waist_y],
        ]);
    }
    if rng.chance(0.5) {
        // Folds falling from the waist.
        let folds = 1 + rng.below(3);
        for i in 0..folds {
            let t = (i as f32 + 1.0) / (folds as f32 + 1.0) - 0.5;
            let x_top = 0.5 + t * upper.waist_half * 1.6;
            let x_bottom = 0.5 + t * (upper.hem[0] - 0.5) * 1.6;
            drawing.details.push(vec![
                [x_top, waist_y + 0.04],
                [x_bottom, upper.bottom - rng.range(0.0, 0.05)],
            ]);
        }
    }
    if rng.chance(0.3) {
        drawing.details.push(upper.neck_band(0.015));
    }
    drawing
}

pub(super) fn trouser(rng: &mut Rng) -> Drawing {
    let height = rng.range(0.78, 0.96);
    let top = 0.5 - height / 2.0 + rng.normal(0.02);
    let bottom = top + height;
    let waist_half = rng.range(0.12, 0.2);
    let band = rng.range(0.025, 0.05);
    let crotch = top + height * rng.range(0.22, 0.36);
    let flare = rng.range(-0.03, 0.07);
    let outer_bottom = 0.5 + waist_half + flare + rng.range(0.0, 0.03);
    let leg_width = rng.range(0.09, 0.16) + flare.max(0.0);
    let inner_bottom = (outer_bottom - leg_width).max(0.51);
    let hip = [0.5 + waist_half + rng.range(0.0, 0.03), top + height * 0.18];
    let right = vec![
        [0.5, top],
        [0.5 + waist_half, top],
        hip,
        [outer_bottom, bottom],
        [inner_bottom, bottom + rng.normal(0.005)],
        [0.5 + rng.range(0.005, 0.02), crotch],
        [0.5, crotch],
    ];
    let mut drawing = Drawing {
        outline: symmetric_outline(&right),
        ..Drawing::default()
    };
    if rng.chance(0.8) {
        drawing.details.push(vec![
            [0.5 - waist_half, top + band],
            [0.5 + waist_half, top + band],
        ]);
    }
    if rng.chance(0.6) {
        // The fly.
        drawing.details.push(curve(
            [0.5 + 0.005, top + band],
            [0.5 + rng.range(0.025, 0.04), crotch - 0.02],
            [0.5, crotch - 0.01],
            5,
        ));
    }
    if rng.chance(0.45) {
        // Slanted front pockets.
        for side in both_sides(vec![
            [0.5 + waist_half * 0.55, top + band],
            [0.5 + waist_half + 0.005, top + band + rng.range(0.06, 0.1)],
        ]) {
            drawing.details.push(side);
        }
    }
    if rng.chance(0.4) {
        // Creases down the middle of each leg.
        let x_top = 0.5 + waist_half * 0.55;
        let x_bottom = (outer_bottom + inner_bottom) / 2.0;
        for side in both_sides(vec![[x_top, crotch - 0.04], [x_bottom, bottom - 0.03]]) {
            drawing.details.push(side);
        }
    }
    if rng.chance(0.25) {
        // Turn-ups.
        for side in both_sides(vec![
            [inner_bottom, bottom - 0.03],
            [outer_bottom - 0.004, bottom - 0.03],
        ]) {
            drawing.details.push(side);
        }
    }
    drawing
}

pub(super) fn skirt(rng: &mut Rng) -> Drawing {
    let height = rng.range(0.45, 0.8);
    let top = 0.5 - height / 2.0 + rng.normal(0.02);
    let bottom = top + height;
    let waist_half = rng.range(0.12, 0.18);
    let hem_half = waist_half + rng.range(0.04, 0.2);
    let band = rng.range(0.025, 0.05);
    let right = vec![
        [0.5, top],
        [0.5 + waist_half, top],
        [0.5 + waist_half + 0.005, top + band],
        [0.5 + hem_half, bottom],
        [0.5, bottom + rng.range(0.0, 0.03)],
    ];
    let mut drawing = Drawing {
        outline: symmetric_outline(&right),
        ..Drawing::default()
    };
    if rng.chance(0.7) {
        drawing.details.push(vec![
            [0.5 - waist_half, top + band],
            [0.5 + waist_half, top + band],
        ]);
    }
    if rng.chance(0.5) {
        let pleats = 2 + rng.below(4);
        for i in 1..pleats {
            let t = i as f32 / pleats as f32 - 0.5;
            drawing.details.push(vec![
                [0.5 + t * 2.0 * waist_half, top + band + 0.02],
                [0.5 + t * 2.0 * hem_half, bottom - 0.01],
            ]);
        }
    }
    drawing
}

/// The drawing of one garment of `kind`, before the hand.
pub(super) fn garment(kind: Kind, rng: &mut Rng) -> Drawing {
    match kind {
        Kind::TShirt => t_shirt(rng),
        Kind::Trouser => trouser(rng),
        Kind::Pullover => pullover(rng),
        Kind::Dress => dress(rng),
        Kind::Coat => coat(rng),
        Kind::Shirt => shirt(rng),
        Kind::Skirt => skirt(rng),
    }
}
