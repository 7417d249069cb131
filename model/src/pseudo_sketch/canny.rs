//! Canny edges of the photo itself: the method that needs no weights.
//!
//! Why it exists beside HED: the converted HED weights are made on the user's machine and
//! never committed, so tests, CI and anyone who has not run `scripts/convert_pretrained.sh`
//! still need pseudo-sketches. Canny (1986) is the classical answer and is small enough to
//! write out on the `image` crate's pixel buffers: Gaussian smoothing, Sobel gradients,
//! non-maximum suppression along the gradient, hysteresis. It works on colour: each pixel
//! takes the gradient of the channel where it is largest (as OpenCV does for colour input),
//! so a red garment on a grey background of the same brightness still has an outline.
//!
//! What it cannot do is tell an object's contour from texture or shading, which is what HED
//! learned from people's drawings on BSDS500; on clean product photos (a garment on a plain
//! background, as in Clothes-V1) the difference is small.

use image::RgbImage;

use super::postprocess::{Map, Mask, gaussian_blur, gradient_nms, hysteresis, scale_for};

/// Canny's settings, for a photo whose short side is 224 px (lengths scale with the photo).
#[derive(Debug, Clone, PartialEq)]
pub struct CannyParams {
    /// Standard deviation of the Gaussian smoothing, in pixels at 224 px.
    pub sigma: f32,
    /// Hysteresis: gradient magnitude (intensity in [0, 1] per pixel) of the weak pixels.
    pub low: f32,
    /// Hysteresis: gradient magnitude a piece of contour must reach somewhere.
    pub high: f32,
    /// Pieces with fewer pixels (at 224 px) are dropped.
    pub min_pixels: usize,
}

impl Default for CannyParams {
    /// Sigma 1.4 px, thresholds 0.02 and 0.06 (about 5 and 15 grey levels per pixel), pieces
    /// of at least 10 px: a garment's outline, seams and stripes on a product photo, without
    /// the fabric's texture.
    fn default() -> Self {
        Self {
            sigma: 1.4,
            low: 0.02,
            high: 0.06,
            min_pixels: 10,
        }
    }
}

/// One colour channel in [0, 1].
fn channel(photo: &RgbImage, c: usize) -> Map {
    let (w, h) = (photo.width() as usize, photo.height() as usize);
    let data = photo
        .as_raw()
        .chunks_exact(3)
        .map(|p| f32::from(p[c]) / 255.0)
        .collect();
    Map::new(w, h, data)
}

/// Sobel derivatives `(d/dx, d/dy)`, divided by 8 so that a ramp of slope s gives s.
fn sobel(map: &Map) -> (Map, Map) {
    let (w, h) = (map.width, map.height);
    let mut gx = Map::zeros(w, h);
    let mut gy = Map::zeros(w, h);
    for y in 0..h as isize {
        for x in 0..w as isize {
            let v = |dx, dy| map.at(x + dx, y + dy);
            let i = y as usize * w + x as usize;
            gx.data[i] =
                (v(1, -1) + 2.0 * v(1, 0) + v(1, 1) - v(-1, -1) - 2.0 * v(-1, 0) - v(-1, 1)) / 8.0;
            gy.data[i] =
                (v(-1, 1) + 2.0 * v(0, 1) + v(1, 1) - v(-1, -1) - 2.0 * v(0, -1) - v(1, -1)) / 8.0;
        }
    }
    (gx, gy)
}

/// Canny's thin edges of `photo` (one pixel wide before thinning, mostly).
pub fn canny_edges(photo: &RgbImage, params: &CannyParams) -> Mask {
    let (w, h) = (photo.width() as usize, photo.height() as usize);
    let scale = scale_for(w, h);
    let mut magnitude = Map::zeros(w, h);
    let mut gx = Map::zeros(w, h);
    let mut gy = Map::zeros(w, h);
    for c in 0..3 {
        let smooth = gaussian_blur(&channel(photo, c), params.sigma * scale);
        let (dx, dy) = sobel(&smooth);
        for i in 0..w * h {
            let m = dx.data[i].hypot(dy.data[i]);
            if m > magnitude.data[i] {
                magnitude.data[i] = m;
                gx.data[i] = dx.data[i];
                gy.data[i] = dy.data[i];
            }
        }
    }
    let thin = gradient_nms(&magnitude, &gx, &gy);
    let min_pixels = super::postprocess::scaled_pixels(params.min_pixels, scale);
    hysteresis(&thin, params.low, params.high, min_pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_square_gives_its_outline_and_nothing_else() {
        let mut photo = RgbImage::from_pixel(64, 64, image::Rgb([235, 235, 235]));
        for y in 16..48 {
            for x in 16..48 {
                photo.put_pixel(x, y, image::Rgb([180, 30, 40]));
            }
        }
        let edges = canny_edges(&photo, &CannyParams::default());
        assert!(edges.count() > 100, "{} edge pixels", edges.count());
        for (i, _) in edges.data.iter().enumerate().filter(|(_, b)| **b) {
            let (x, y) = ((i % 64) as i32, (i / 64) as i32);
            let near = |v: i32| (v - 16).abs() <= 2 || (v - 47).abs() <= 2;
            let on_outline =
                (near(x) && (14..50).contains(&y)) || (near(y) && (14..50).contains(&x));
            assert!(
                on_outline,
                "edge pixel ({x}, {y}) is not on the square's outline"
            );
        }
    }
}
