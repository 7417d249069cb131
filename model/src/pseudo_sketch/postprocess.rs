//! From an edge-strength map to strokes a person could have drawn.
//!
//! An edge detector gives a soft, thick response (HED's probabilities are 3-6 px wide ridges;
//! a gradient magnitude is a blurred band around each contour). A sketch is thin lines of one
//! width with nothing in between, so the map goes through the classic steps, each here once and
//! shared by both methods:
//! 1. non-maximum suppression across the edge ([`ridge_nms`] along the ridge's normal, read
//!    from the map's structure tensor, for HED; [`gradient_nms`] along the image gradient for
//!    Canny): one pixel per position along a contour;
//! 2. hysteresis ([`hysteresis`]): keep the weak pixels connected to a strong one, so a
//!    contour is not broken where it fades, and drop pieces smaller than a few pixels (texture
//!    and noise, which no one draws);
//! 3. thinning ([`thin`], Zhang-Suen): NMS leaves two-pixel steps and blobs where ridges meet
//!    or end; a one-pixel skeleton renders as an even line;
//! 4. [`render_strokes`]: dark anti-aliased lines of sketch width on white, as RGB (the
//!    trainer's sketches are RGB images). The width follows the image: [`stroke_width_for`]
//!    gives 2.5 px at 224 px (the short side), the width of the pen strokes in Clothes-V1-style
//!    sketches at the model's input size.

use image::RgbImage;

/// A dense single-channel `f32` map, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `width * height` values, row by row.
    pub data: Vec<f32>,
}

impl Map {
    /// Wraps `data`.
    ///
    /// # Panics
    /// If `data` does not hold `width * height` values.
    pub fn new(width: usize, height: usize, data: Vec<f32>) -> Self {
        assert_eq!(
            data.len(),
            width * height,
            "map data does not fill its size"
        );
        Self {
            width,
            height,
            data,
        }
    }

    /// A map of zeros.
    pub fn zeros(width: usize, height: usize) -> Self {
        Self::new(width, height, vec![0.0; width * height])
    }

    /// The value at `(x, y)`, the coordinates clamped into the map (edge replication).
    pub fn at(&self, x: isize, y: isize) -> f32 {
        let x = x.clamp(0, self.width as isize - 1) as usize;
        let y = y.clamp(0, self.height as isize - 1) as usize;
        self.data[y * self.width + x]
    }

    /// Bilinear sample at a real position (pixel centres at integers), edge replication.
    pub fn sample(&self, x: f32, y: f32) -> f32 {
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let (x0, y0) = (x0 as isize, y0 as isize);
        let top = self.at(x0, y0) * (1.0 - fx) + self.at(x0 + 1, y0) * fx;
        let bottom = self.at(x0, y0 + 1) * (1.0 - fx) + self.at(x0 + 1, y0 + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

/// A binary image, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mask {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `width * height` flags, row by row.
    pub data: Vec<bool>,
}

impl Mask {
    /// An empty mask.
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            data: vec![false; width * height],
        }
    }

    /// Whether `(x, y)` is set; outside the mask is unset.
    pub fn get(&self, x: isize, y: isize) -> bool {
        x >= 0
            && y >= 0
            && (x as usize) < self.width
            && (y as usize) < self.height
            && self.data[y as usize * self.width + x as usize]
    }

    /// Number of set pixels.
    pub fn count(&self) -> usize {
        self.data.iter().filter(|&&b| b).count()
    }
}

/// Stroke width in pixels for an image: 2.5 px at a 224 px short side, proportional (at
/// least 1 px), so that a sketch resized to the model input has the same lines at any size.
pub fn stroke_width_for(width: usize, height: usize) -> f32 {
    (2.5 * width.min(height) as f32 / 224.0).max(1.0)
}

/// How much larger than 224 px the image's short side is (length parameters scale with it).
pub fn scale_for(width: usize, height: usize) -> f32 {
    width.min(height) as f32 / 224.0
}

/// A piece size given for 224 px, at `scale` ([`scale_for`]): at least one pixel.
pub fn scaled_pixels(pixels: usize, scale: f32) -> usize {
    ((pixels as f32 * scale).round() as usize).max(1)
}

/// Separable Gaussian blur (kernel radius `ceil(3 sigma)`, edge replication); `sigma <= 0` is
/// the identity.
pub fn gaussian_blur(map: &Map, sigma: f32) -> Map {
    if sigma <= 0.0 {
        return map.clone();
    }
    let radius = (3.0 * sigma).ceil() as isize;
    let mut kernel: Vec<f32> = (-radius..=radius)
        .map(|d| (-((d * d) as f32) / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= sum);
    let (w, h) = (map.width, map.height);
    let mut horizontal = Map::zeros(w, h);
    for y in 0..h {
        for x in 0..w {
            horizontal.data[y * w + x] = kernel
                .iter()
                .zip(-radius..=radius)
                .map(|(k, d)| k * map.at(x as isize + d, y as isize))
                .sum();
        }
    }
    let mut out = Map::zeros(w, h);
    for y in 0..h {
        for x in 0..w {
            out.data[y * w + x] = kernel
                .iter()
                .zip(-radius..=radius)
                .map(|(k, d)| k * horizontal.at(x as isize, y as isize + d))
                .sum();
        }
    }
    out
}

/// Half-pixel bilinear resize (PyTorch `align_corners=False`, no antialiasing), for bringing
/// an edge map computed on a smaller copy back to the photo's size.
pub fn resize_bilinear(map: &Map, width: usize, height: usize) -> Map {
    if (width, height) == (map.width, map.height) {
        return map.clone();
    }
    let coordinate = |out: usize, size_in: usize, size_out: usize| {
        let scale = size_in as f32 / size_out as f32;
        ((out as f32 + 0.5) * scale - 0.5).max(0.0)
    };
    let mut out = Map::zeros(width, height);
    for y in 0..height {
        let sy = coordinate(y, map.height, height);
        for x in 0..width {
            let sx = coordinate(x, map.width, width);
            out.data[y * width + x] = map.sample(sx, sy);
        }
    }
    out
}

/// Non-maximum suppression across ridges of `strength` (HED's edge probability): a pixel is
/// kept (with its value) when it is at least as strong as the map one pixel to either side
/// along the ridge's normal (bilinear samples); the others become 0.
///
/// On a ridge's crest the gradient vanishes, so Canny's rule (suppress along the gradient)
/// has no direction there, and the Hessian's sign flips between the crest and the foot of the
/// ridge. The normal is instead the dominant direction of the gradients around the pixel: the
/// main eigenvector of the structure tensor (the outer products of the gradient, blurred by
/// `orientation_sigma`), `theta = atan2(2 Jxy, Jxx - Jyy) / 2`. The two flanks' gradients point
/// in opposite directions along the normal and add up in the tensor, so the whole ridge,
/// crest included, gets the same normal. `margin` (e.g. 1.01) keeps pixels within 1 % of a
/// neighbour, so a plateau of saturated probabilities is not erased whole; [`thin`] makes it
/// one pixel wide afterwards.
pub fn ridge_nms(strength: &Map, orientation_sigma: f32, margin: f32) -> Map {
    let (gx, gy) = central_gradient(strength);
    let product = |a: &Map, b: &Map| {
        let data = a.data.iter().zip(&b.data).map(|(x, y)| x * y).collect();
        gaussian_blur(&Map::new(a.width, a.height, data), orientation_sigma)
    };
    let (jxx, jxy, jyy) = (product(&gx, &gx), product(&gx, &gy), product(&gy, &gy));
    suppress_non_maxima(strength, margin, |i| {
        let theta = 0.5 * (2.0 * jxy.data[i]).atan2(jxx.data[i] - jyy.data[i]);
        (theta.cos(), theta.sin())
    })
}

/// Canny's non-maximum suppression: `magnitude` is kept where it is at least its two
/// neighbours one pixel along the gradient `(gx, gy)` (bilinear samples), else 0.
pub fn gradient_nms(magnitude: &Map, gx: &Map, gy: &Map) -> Map {
    suppress_non_maxima(magnitude, 1.0, |i| {
        let value = magnitude.data[i];
        (gx.data[i] / value, gy.data[i] / value)
    })
}

/// The non-maximum suppression both methods share: a positive `strength` is kept where
/// `strength * margin` is at least its two bilinear samples one pixel either way along the
/// unit direction `normal(index)`, else 0.
fn suppress_non_maxima(strength: &Map, margin: f32, normal: impl Fn(usize) -> (f32, f32)) -> Map {
    let mut out = Map::zeros(strength.width, strength.height);
    for y in 0..strength.height {
        for x in 0..strength.width {
            let i = y * strength.width + x;
            let value = strength.data[i];
            if value <= 0.0 {
                continue;
            }
            let (nx, ny) = normal(i);
            let (xf, yf) = (x as f32, y as f32);
            if value * margin >= strength.sample(xf - nx, yf - ny)
                && value * margin >= strength.sample(xf + nx, yf + ny)
            {
                out.data[i] = value;
            }
        }
    }
    out
}

/// `(d/dx, d/dy)` by central differences (one-sided at the borders, as `numpy.gradient`).
pub fn central_gradient(map: &Map) -> (Map, Map) {
    let (w, h) = (map.width, map.height);
    let mut gx = Map::zeros(w, h);
    let mut gy = Map::zeros(w, h);
    let diff = |a: f32, b: f32, span: usize| {
        if span == 0 {
            0.0
        } else {
            (a - b) / span as f32
        }
    };
    for y in 0..h {
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(1), (x + 1).min(w - 1));
            let (y0, y1) = (y.saturating_sub(1), (y + 1).min(h - 1));
            gx.data[y * w + x] = diff(map.data[y * w + x1], map.data[y * w + x0], x1 - x0);
            gy.data[y * w + x] = diff(map.data[y1 * w + x], map.data[y0 * w + x], y1 - y0);
        }
    }
    (gx, gy)
}

/// The 8 neighbours' offsets.
const NEIGHBOURS: [(isize, isize); 8] = [
    (-1, -1),
    (0, -1),
    (1, -1),
    (-1, 0),
    (1, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
];

/// Hysteresis threshold: the pixels `>= low` that are 8-connected (through pixels `>= low`) to
/// a pixel `>= high`, in pieces of at least `min_pixels` pixels.
pub fn hysteresis(map: &Map, low: f32, high: f32, min_pixels: usize) -> Mask {
    let (w, h) = (map.width, map.height);
    let mut out = Mask::new(w, h);
    let mut seen = vec![false; w * h];
    let mut piece = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if seen[start] || map.data[start] < low {
            continue;
        }
        // One 8-connected piece of pixels >= low.
        piece.clear();
        stack.push(start);
        seen[start] = true;
        let mut strong = false;
        while let Some(i) = stack.pop() {
            piece.push(i);
            strong |= map.data[i] >= high;
            let (x, y) = ((i % w) as isize, (i / w) as isize);
            for (dx, dy) in NEIGHBOURS {
                let (nx, ny) = (x + dx, y + dy);
                if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                    continue;
                }
                let j = ny as usize * w + nx as usize;
                if !seen[j] && map.data[j] >= low {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        if strong && piece.len() >= min_pixels {
            for &i in &piece {
                out.data[i] = true;
            }
        }
    }
    out
}

/// Zhang-Suen thinning to a one-pixel 8-connected skeleton (topology kept: no piece is broken
/// or removed).
pub fn thin(mask: &Mask) -> Mask {
    let mut out = mask.clone();
    let (w, h) = (mask.width as isize, mask.height as isize);
    let mut remove = Vec::new();
    loop {
        let mut changed = false;
        for step in 0..2 {
            remove.clear();
            for y in 0..h {
                for x in 0..w {
                    if !out.get(x, y) {
                        continue;
                    }
                    // P2..P9 clockwise from north.
                    let p = [
                        out.get(x, y - 1),
                        out.get(x + 1, y - 1),
                        out.get(x + 1, y),
                        out.get(x + 1, y + 1),
                        out.get(x, y + 1),
                        out.get(x - 1, y + 1),
                        out.get(x - 1, y),
                        out.get(x - 1, y - 1),
                    ];
                    let neighbours = p.iter().filter(|&&b| b).count();
                    let transitions = (0..8).filter(|&k| !p[k] && p[(k + 1) % 8]).count();
                    let (n, e, s, west) = (p[0], p[2], p[4], p[6]);
                    // Step 1: P2 P4 P6 = 0 and P4 P6 P8 = 0; step 2: P2 P4 P8 = 0 and
                    // P2 P6 P8 = 0 (Zhang & Suen 1984), factored.
                    let erasable = if step == 0 {
                        !(e && s && (n || west))
                    } else {
                        !(n && west && (e || s))
                    };
                    if (2..=6).contains(&neighbours) && transitions == 1 && erasable {
                        remove.push(y as usize * mask.width + x as usize);
                    }
                }
            }
            for &i in &remove {
                out.data[i] = false;
            }
            changed |= !remove.is_empty();
        }
        if !changed {
            return out;
        }
    }
}

/// Grey level of the strokes (near black, like a pen or pencil line scanned on white).
pub const INK: u8 = 24;

/// Dark lines of `stroke_width` px centred on the set pixels of `mask`, anti-aliased, on white.
///
/// Each set pixel stamps a disc of radius `stroke_width / 2`; a pixel whose centre is at
/// distance `d` from the nearest set pixel gets coverage `clamp(r + 0.5 - d, 0, 1)`, and its
/// grey level goes from white to [`INK`] with the coverage.
pub fn render_strokes(mask: &Mask, stroke_width: f32) -> RgbImage {
    let (w, h) = (mask.width, mask.height);
    let radius = stroke_width / 2.0;
    let reach = (radius + 0.5).ceil() as isize;
    let mut coverage = vec![0.0f32; w * h];
    for (i, _) in mask.data.iter().enumerate().filter(|(_, b)| **b) {
        let (x, y) = ((i % w) as isize, (i / w) as isize);
        for dy in -reach..=reach {
            for dx in -reach..=reach {
                let (px, py) = (x + dx, y + dy);
                if px < 0 || py < 0 || px >= w as isize || py >= h as isize {
                    continue;
                }
                let d = ((dx * dx + dy * dy) as f32).sqrt();
                let c = (radius + 0.5 - d).clamp(0.0, 1.0);
                let slot = &mut coverage[py as usize * w + px as usize];
                *slot = slot.max(c);
            }
        }
    }
    let ink = f32::from(INK);
    let raw: Vec<u8> = coverage
        .iter()
        .flat_map(|&c| {
            let v = (255.0 - c * (255.0 - ink)).round() as u8;
            [v, v, v]
        })
        .collect();
    RgbImage::from_raw(w as u32, h as u32, raw).expect("buffer matches dimensions")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vertical ridge 5 px wide (values 0.3, 0.7, 1, 0.7, 0.3) at column 10 of a 21 x 15 map.
    fn ridge() -> Map {
        let profile = [0.3, 0.7, 1.0, 0.7, 0.3];
        let mut map = Map::zeros(21, 15);
        for y in 0..15 {
            for (k, v) in profile.iter().enumerate() {
                map.data[y * 21 + 8 + k] = *v;
            }
        }
        map
    }

    #[test]
    fn ridge_nms_keeps_the_crest_only() {
        let thin_ridge = ridge_nms(&ridge(), 1.0, 1.01);
        for y in 2..13 {
            let kept: Vec<usize> = (0..21)
                .filter(|&x| thin_ridge.data[y * 21 + x] > 0.0)
                .collect();
            assert_eq!(kept, vec![10], "row {y}");
        }
    }

    #[test]
    fn hysteresis_follows_weak_pixels_from_strong_ones_and_drops_small_pieces() {
        let mut map = Map::zeros(12, 3);
        // Row 0: strong at 0, weak run to 4 (kept); row 2: a weak run without strong (dropped).
        for x in 0..5 {
            map.data[x] = if x == 0 { 0.9 } else { 0.3 };
        }
        for x in 6..12 {
            map.data[24 + x] = 0.3;
        }
        let mask = hysteresis(&map, 0.2, 0.5, 1);
        assert_eq!(mask.count(), 5);
        assert!(mask.data[..5].iter().all(|&b| b));
        // A strong piece of 5 pixels is dropped when pieces must have 6.
        assert_eq!(hysteresis(&map, 0.2, 0.5, 6).count(), 0);
    }

    #[test]
    fn thinning_makes_a_thick_bar_one_pixel_wide() {
        let mut mask = Mask::new(20, 9);
        for y in 3..6 {
            for x in 2..18 {
                mask.data[y * 20 + x] = true;
            }
        }
        let skeleton = thin(&mask);
        assert!(skeleton.count() > 8, "the bar is not erased");
        for x in 5..15 {
            let column = (0..9).filter(|&y| skeleton.data[y * 20 + x]).count();
            assert_eq!(column, 1, "column {x}");
        }
    }

    #[test]
    fn strokes_are_dark_on_white_and_about_the_stroke_width() {
        let mut mask = Mask::new(30, 30);
        for y in 5..25 {
            mask.data[y * 30 + 15] = true;
        }
        let image = render_strokes(&mask, 2.5);
        assert_eq!(image.get_pixel(2, 2).0, [255; 3]);
        assert_eq!(image.get_pixel(15, 15).0, [INK; 3]);
        let dark = (0..30)
            .filter(|&x| image.get_pixel(x, 15).0[0] < 128)
            .count();
        assert!(
            (2..=3).contains(&dark),
            "{dark} dark pixels across the line"
        );
        assert!((stroke_width_for(224, 300) - 2.5).abs() < 1e-6);
        assert_eq!(stroke_width_for(20, 20), 1.0);
    }

    #[test]
    fn resize_bilinear_is_half_pixel() {
        // 2 -> 4: PyTorch align_corners=False gives [a, .75a+.25b, .25a+.75b, b].
        let map = Map::new(2, 1, vec![0.0, 1.0]);
        let up = resize_bilinear(&map, 4, 1);
        assert_eq!(up.data, vec![0.0, 0.25, 0.75, 1.0]);
    }
}
