//! What each kind of garment looks like when a person draws it from the idea of it: the
//! outline with that kind's proportions, and the details that name the kind (a pointed collar
//! and a button placket for a shirt, ribbed cuffs and hem for a pullover, a long open front
//! with lapels for a coat, two legs and a waistband for trousers). Every proportion and every
//! detail is drawn at random per drawing, within what still reads as that kind.
//!
//! Coordinates: the page is `[0, 1]²`, y down; a garment is built upright and centred on
//! x = 0.5, its right half mirrored to make the left (people draw garments symmetric, then the
//! hand in `mod.rs` makes them not quite so). The shared pieces are in `parts.rs`; this file
//! is one function per kind, in one place so the kinds can be compared (why it passes 500
//! lines).

use super::Kind;
use super::parts::{
    Drawing, Neck, Upper, both_sides, button_column, curve, hood, pouch, rib_ticks,
    symmetric_outline,
};
use crate::rng::Rng;

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
