//! A garment's geometry: the closed outline, detail lines, pockets and buttons of each
//! category in normalised coordinates, and the polyline helpers (stripes clipped to the
//! outline, bounds, closing a polyline) that both the photo and the sketch draw from, so the
//! two always show the same garment.

use super::garment::{Category, Garment, Hem, Neckline, Sleeve, Stripes};

impl Garment {
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

    pub(super) fn bounds(&self) -> [f32; 4] {
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
    pub(super) fn stripe_lines(&self, stripes: Stripes) -> Vec<[[f32; 2]; 2]> {
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

/// The polyline with its first point repeated at the end.
pub(super) fn closed(points: &[[f32; 2]]) -> Vec<[f32; 2]> {
    let mut v = points.to_vec();
    if let Some(&first) = points.first() {
        v.push(first);
    }
    v
}
