//! The pieces garments are drawn from: polylines on the page, mirroring, curves, the
//! proportions of an upper-body garment (neck, shoulders, sleeves, body, hem) and the small
//! parts several kinds share (ribbing, a hood, a pouch pocket, a column of buttons). Each
//! kind's drawing in `kinds.rs` is built from them.
//!
//! Coordinates: the page is `[0, 1]²`, y down; a garment is built upright and centred on
//! x = 0.5, its right half mirrored to make the left.

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
pub(super) fn mirror(p: [f32; 2]) -> [f32; 2] {
    [1.0 - p[0], p[1]]
}

/// A closed outline from a right half running from the top centre clockwise to the bottom
/// centre: the right half, then its mirror image back up to the start.
pub(super) fn symmetric_outline(right: &[[f32; 2]]) -> Line {
    let mut outline: Line = right.to_vec();
    outline.extend(right.iter().rev().skip(1).map(|&p| mirror(p)));
    outline
}

/// A quadratic Bézier from `a` to `b` bent towards `control`, as `n + 1` points.
pub(super) fn curve(a: [f32; 2], control: [f32; 2], b: [f32; 2], n: usize) -> Line {
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

pub(super) fn lerp(a: [f32; 2], b: [f32; 2], t: f32) -> [f32; 2] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
}

/// A line and its mirror image.
pub(super) fn both_sides(line: Line) -> [Line; 2] {
    let mirrored = line.iter().map(|&p| mirror(p)).collect();
    [line, mirrored]
}

/// How the neck opening is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Neck {
    Round,
    V,
    /// A high band standing above the neckline (turtleneck, mock neck).
    High,
}

/// The proportions of a garment for the upper body (the tops, the coat, the dress's bodice).
#[derive(Debug, Clone)]
pub(super) struct Upper {
    /// Shoulder line's y.
    pub(super) top: f32,
    /// Hem's y (at the side seams).
    pub(super) bottom: f32,
    /// Neck half-width and depth.
    pub(super) neck_half: f32,
    pub(super) neck_depth: f32,
    pub(super) neck: Neck,
    /// Shoulder point (right half).
    pub(super) shoulder: [f32; 2],
    /// Armpit (right half).
    pub(super) armpit: [f32; 2],
    /// Hem corner (right half).
    pub(super) hem: [f32; 2],
    /// How far the middle of the hem sits below (positive) or above the corners.
    pub(super) hem_curve: f32,
    /// Sleeve length (0: sleeveless), and its direction's angle from straight down, outwards.
    pub(super) sleeve_length: f32,
    pub(super) sleeve_angle: f32,
    /// Sleeve width at the armhole, and the cuff's as a share of it.
    pub(super) sleeve_width: f32,
    pub(super) sleeve_taper: f32,
    /// Waist half-width at mid-body (a fitted bodice pinches in here).
    pub(super) waist_half: f32,
}

/// A sleeve's ends (right half): where its outer line ends, where its inner line ends, and
/// where the inner line meets the body (the armpit).
pub(super) struct Sleeve {
    pub(super) outer_end: [f32; 2],
    pub(super) inner_end: [f32; 2],
    pub(super) armpit: [f32; 2],
}

impl Upper {
    pub(super) fn random(
        rng: &mut Rng,
        length: (f32, f32),
        sleeve: (f32, f32),
        angle: (f32, f32),
    ) -> Self {
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
    pub(super) fn sleeve(&self) -> Option<Sleeve> {
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
    pub(super) fn armpit(&self) -> [f32; 2] {
        self.sleeve().map_or(self.armpit, |s| s.armpit)
    }

    /// The outline's right half, from the neck's centre front to the hem's centre.
    pub(super) fn right_half(&self) -> Line {
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

    pub(super) fn outline(&self) -> Line {
        let half = self.right_half();
        symmetric_outline(&half)
    }

    /// A line across each sleeve near its end (a cuff), `depth` up the sleeve.
    pub(super) fn cuffs(&self, depth: f32) -> Vec<Line> {
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
    pub(super) fn back_neck(&self) -> Line {
        curve(
            [0.5 - self.neck_half, self.top],
            [0.5, self.top + self.neck_depth * 0.25],
            [0.5 + self.neck_half, self.top],
            6,
        )
    }

    /// A line parallel to the neckline, `gap` below it (a rib or a binding).
    pub(super) fn neck_band(&self, gap: f32) -> Line {
        let l = [0.5 - self.neck_half - gap * 0.6, self.top + gap * 0.3];
        let r = [0.5 + self.neck_half + gap * 0.6, self.top + gap * 0.3];
        match self.neck {
            Neck::V => vec![l, [0.5, self.top + self.neck_depth + gap * 1.5], r],
            _ => curve(l, [0.5, self.top + self.neck_depth * 2.0 + gap * 2.0], r, 8),
        }
    }

    /// A line parallel to the hem, `depth` above it (a rib band, a turn-up).
    pub(super) fn hem_band(&self, depth: f32) -> Line {
        let y = self.bottom - depth;
        let half = self.hem[0] - 0.5;
        vec![[0.5 - half, y], [0.5, y + self.hem_curve], [0.5 + half, y]]
    }
}

/// Short vertical strokes along a band: how people draw ribbing.
pub(super) fn rib_ticks(rng: &mut Rng, from: [f32; 2], to: [f32; 2], depth: f32) -> Vec<Line> {
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
pub(super) fn hood(upper: &Upper, rng: &mut Rng) -> Line {
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
pub(super) fn pouch(upper: &Upper) -> Line {
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
pub(super) fn button_column(x: f32, top: f32, bottom: f32, count: usize) -> Vec<[f32; 2]> {
    (0..count)
        .map(|i| {
            let t = (i as f32 + 0.5) / count as f32;
            [x, top + (bottom - top) * t]
        })
        .collect()
}
