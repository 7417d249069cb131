//! What a garment is: its category and fine-grained attributes (sleeves, neckline, collar,
//! hem, length, flare, pockets, buttons, stripes, colours), and how a random one is drawn.
//! Kept apart from its geometry (`shape.rs`) so that the attributes, which `synth.json`
//! records, read on their own.

use serde::Serialize;

use crate::rng::Rng;

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
}
