//! Garment colour: a small palette of each photo's foreground, and how close it is to a colour
//! swatch the designer picks. Searches then rank by shape *and* colour (docs/colour.md).
//!
//! # The palette
//! The background is the colour most common along the photo's border (product photos sit on
//! a plain ground); the foreground is every pixel further than [`BACKGROUND_DISTANCE`] from it
//! in CIELAB. Its colour histogram (8 x 8 x 8 sRGB bins) gives the palette: the
//! [`PALETTE_SIZE`] fullest bins, each as the mean colour of its pixels and its share of the
//! foreground. Eight bytes a colour; the store keeps it beside the embedding.
//!
//! # The score
//! How much of the garment is near the swatch: `sum_i share_i * exp(-dE_i^2 / (2 sigma^2))`,
//! with `dE_i` the CIELAB distance of palette colour `i` to the swatch and `sigma` =
//! [`COLOUR_SIGMA`]; 1 for a garment all of the swatch's colour, 0 for one far from it. A
//! search with a swatch ranks by `cosine + weight * score`.

use image::RgbImage;

/// Colours kept per photo.
pub const PALETTE_SIZE: usize = 4;
/// CIELAB distance from the background colour beyond which a pixel is garment.
pub const BACKGROUND_DISTANCE: f32 = 12.0;
/// Width of the colour match in CIELAB units (about "clearly the same hue and lightness").
pub const COLOUR_SIGMA: f32 = 20.0;
/// The colour's weight against the shape's cosine when none is chosen (docs/colour.md has the
/// measurement behind it).
pub const DEFAULT_COLOUR_WEIGHT: f32 = 0.2;
/// Side the photo is reduced to before its palette is taken (enough for a few colours).
const PALETTE_SIDE: u32 = 64;
/// Bins per sRGB channel of the histogram.
const BINS: usize = 8;

/// One colour of a palette and the share of the foreground it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PaletteColour {
    /// sRGB.
    pub rgb: [u8; 3],
    /// Share of the foreground, in 1/255ths.
    pub share: u8,
}

/// A photo's garment colours, fullest first (unused entries have share 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Palette(pub [PaletteColour; PALETTE_SIZE]);

/// Bytes of a palette in a store.
pub const PALETTE_BYTES: usize = PALETTE_SIZE * 4;

impl Palette {
    /// The palette of a photo's foreground (see the module docs).
    pub fn of_photo(image: &RgbImage) -> Self {
        let longest = image.width().max(image.height());
        let small = if longest > PALETTE_SIDE {
            // Nearest-neighbour sampling: every sampled colour is one of the photo's own
            // (averaging would add blends of garment and background at every edge).
            let scale = |n: u32| (n * PALETTE_SIDE).div_ceil(longest).max(1);
            image::imageops::resize(
                image,
                scale(image.width()),
                scale(image.height()),
                image::imageops::FilterType::Nearest,
            )
        } else {
            image.clone()
        };
        let background = lab(border_colour(&small));
        let mut counts = vec![(0u32, [0u64; 3]); BINS * BINS * BINS];
        let mut foreground = 0u32;
        let mut add = |p: [u8; 3]| {
            let bin = p.map(|c| c as usize * BINS / 256);
            let slot = &mut counts[(bin[0] * BINS + bin[1]) * BINS + bin[2]];
            slot.0 += 1;
            for (sum, channel) in slot.1.iter_mut().zip(p) {
                *sum += u64::from(channel);
            }
        };
        for p in small.pixels() {
            if distance(lab(p.0), background) > BACKGROUND_DISTANCE {
                add(p.0);
                foreground += 1;
            }
        }
        if foreground == 0 {
            // Nothing stands out from the ground: the photo is one colour, that is its colour.
            small.pixels().for_each(|p| add(p.0));
            foreground = small.width() * small.height();
        }
        let mut order: Vec<usize> = (0..counts.len()).filter(|&b| counts[b].0 > 0).collect();
        order.sort_by_key(|&b| std::cmp::Reverse(counts[b].0));
        let mut palette = Palette::default();
        for (slot, &bin) in palette.0.iter_mut().zip(&order) {
            let (n, sum) = counts[bin];
            *slot = PaletteColour {
                rgb: sum.map(|s| (s as f64 / f64::from(n)).round() as u8),
                share: ((f64::from(n) / f64::from(foreground.max(1))) * 255.0).round() as u8,
            };
        }
        palette
    }

    /// How much of the garment is near `swatch` (sRGB): 0 to 1 (see the module docs).
    pub fn match_score(&self, swatch: [u8; 3]) -> f32 {
        let target = lab(swatch);
        self.0
            .iter()
            .map(|c| {
                let d = distance(lab(c.rgb), target);
                f32::from(c.share) / 255.0 * (-d * d / (2.0 * COLOUR_SIGMA * COLOUR_SIGMA)).exp()
            })
            .sum::<f32>()
            .min(1.0)
    }

    /// The palette as stored: per colour r, g, b, share.
    pub fn to_bytes(&self) -> [u8; PALETTE_BYTES] {
        let mut bytes = [0; PALETTE_BYTES];
        for (chunk, c) in bytes.chunks_exact_mut(4).zip(&self.0) {
            chunk.copy_from_slice(&[c.rgb[0], c.rgb[1], c.rgb[2], c.share]);
        }
        bytes
    }

    /// Reads what [`Palette::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8; PALETTE_BYTES]) -> Self {
        let mut palette = Palette::default();
        for (c, chunk) in palette.0.iter_mut().zip(bytes.chunks_exact(4)) {
            *c = PaletteColour {
                rgb: [chunk[0], chunk[1], chunk[2]],
                share: chunk[3],
            };
        }
        palette
    }
}

/// A colour to search for, and how much it counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColourQuery {
    /// The swatch, sRGB.
    pub rgb: [u8; 3],
    /// Weight of the colour score against the shape's cosine.
    pub weight: f32,
}

impl ColourQuery {
    /// The combined score of a photo: its cosine plus the weighted colour match (a photo
    /// without a palette gets no colour score).
    pub fn rescore(&self, cosine: f32, palette: Option<&Palette>) -> f32 {
        cosine + self.weight * palette.map_or(0.0, |p| p.match_score(self.rgb))
    }
}

/// Parses `#RRGGBB` (the `#` optional).
pub fn parse_hex_colour(text: &str) -> Result<[u8; 3], String> {
    let hex = text.trim().trim_start_matches('#');
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "{text:?} is not a colour: expected #RRGGBB, e.g. #B42832"
        ));
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).expect("checked hex");
    Ok([channel(0), channel(2), channel(4)])
}

/// The most common colour along the border (quantised to 16 levels a channel, then averaged
/// within that bin), taken as the background.
fn border_colour(image: &RgbImage) -> [u8; 3] {
    let (w, h) = image.dimensions();
    let mut bins: std::collections::HashMap<[u8; 3], (u32, [u32; 3])> = Default::default();
    let mut add = |x: u32, y: u32| {
        let p = image.get_pixel(x, y).0;
        let slot = bins.entry(p.map(|c| c / 16)).or_default();
        slot.0 += 1;
        for (sum, channel) in slot.1.iter_mut().zip(p) {
            *sum += u32::from(channel);
        }
    };
    for x in 0..w {
        add(x, 0);
        add(x, h - 1);
    }
    for y in 1..h.saturating_sub(1) {
        add(0, y);
        add(w - 1, y);
    }
    let (n, sum) = bins
        .into_values()
        .max_by_key(|(n, _)| *n)
        .unwrap_or((1, [255; 3]));
    sum.map(|s| (s / n) as u8)
}

/// sRGB to CIELAB (D65).
pub fn lab(rgb: [u8; 3]) -> [f32; 3] {
    let linear = rgb.map(|c| {
        let c = f32::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    });
    let [r, g, b] = linear;
    let x = (0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b) / 0.950_47;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b;
    let z = (0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b) / 1.088_83;
    let f = |t: f32| {
        if t > 216.0 / 24389.0 {
            t.cbrt()
        } else {
            (24389.0 / 27.0 * t + 16.0) / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

fn distance(a: [f32; 3], b: [f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    /// A red garment with a blue pocket, on white: 60 x 60, so no reduction blurs its edges.
    fn red_coat(side: u32) -> RgbImage {
        let scale = side / 60;
        RgbImage::from_fn(side, side, |x, y| {
            let (x, y) = (x / scale, y / scale);
            if (20..40).contains(&x) && (5..55).contains(&y) {
                if (22..32).contains(&x) && (30..40).contains(&y) {
                    Rgb([20, 40, 200])
                } else {
                    Rgb([200, 20, 30])
                }
            } else {
                Rgb([250, 250, 250])
            }
        })
    }

    #[test]
    fn lab_matches_reference_values() {
        // Reference values of the CIE formulas (D65), e.g. from colormine.org / Bruce Lindbloom.
        let close = |a: [f32; 3], b: [f32; 3]| distance(a, b) < 0.05;
        assert!(
            close(lab([255, 255, 255]), [100.0, 0.0, 0.0]),
            "{:?}",
            lab([255; 3])
        );
        assert!(close(lab([0, 0, 0]), [0.0, 0.0, 0.0]));
        assert!(
            close(lab([255, 0, 0]), [53.2408, 80.0925, 67.2032]),
            "{:?}",
            lab([255, 0, 0])
        );
        assert!(
            close(lab([0, 0, 255]), [32.2970, 79.1875, -107.8602]),
            "{:?}",
            lab([0, 0, 255])
        );
    }

    #[test]
    fn the_palette_is_the_garment_not_the_background() {
        let palette = Palette::of_photo(&red_coat(60));
        // A 20 x 50 garment with a 10 x 10 pocket: 900 red and 100 blue pixels of 1000.
        assert_eq!(palette.0[0].rgb, [200, 20, 30], "{palette:?}");
        assert_eq!(palette.0[0].share, 230);
        assert_eq!(palette.0[1].rgb, [20, 40, 200]);
        assert_eq!(palette.0[1].share, 26);
        assert_eq!(palette.0[2].share, 0, "only two colours");
        assert_eq!(Palette::from_bytes(&palette.to_bytes()), palette);
        // A large photo is sampled first: the same colours in about the same shares.
        let large = Palette::of_photo(&red_coat(300));
        assert_eq!(large.0[0].rgb, [200, 20, 30], "{large:?}");
        assert!((i32::from(large.0[0].share) - 230).abs() <= 8, "{large:?}");
        assert_eq!(large.0[1].rgb, [20, 40, 200], "{large:?}");
        assert_eq!(large.0[2].share, 0, "no blends: {large:?}");
    }

    #[test]
    fn the_score_is_high_for_the_garment_colour_and_low_for_others() {
        let palette = Palette::of_photo(&red_coat(60));
        let red = palette.match_score([205, 25, 35]);
        let blue = palette.match_score([20, 40, 200]);
        let green = palette.match_score([30, 160, 40]);
        assert!(red > 0.85, "{red}");
        assert!((0.08..0.11).contains(&blue), "the pocket's share: {blue}");
        assert!(green < 0.01, "{green}");
        let query = ColourQuery {
            rgb: [205, 25, 35],
            weight: 0.5,
        };
        assert!((query.rescore(0.25, Some(&palette)) - (0.25 + 0.5 * red)).abs() < 1e-6);
        assert_eq!(query.rescore(0.25, None), 0.25);
    }

    #[test]
    fn a_one_colour_photo_is_its_own_colour_and_hex_parses() {
        let plain = RgbImage::from_pixel(10, 10, Rgb([10, 120, 30]));
        let palette = Palette::of_photo(&plain);
        assert_eq!(palette.0[0].rgb, [10, 120, 30]);
        assert_eq!(palette.0[0].share, 255);
        assert_eq!(parse_hex_colour("#B42832"), Ok([0xb4, 0x28, 0x32]));
        assert_eq!(parse_hex_colour("00ff00"), Ok([0, 255, 0]));
        assert!(parse_hex_colour("#B4283").unwrap_err().contains("#RRGGBB"));
        assert!(parse_hex_colour("red").is_err());
    }
}
