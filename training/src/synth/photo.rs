//! The photo of a garment: its outline filled with a shaded gradient on a light studio
//! background, stripes, seams, pockets and buttons clipped to the body, rendered with
//! tiny-skia. Only photos need tiny-skia; sketches go through the shared stroke rasteriser.

use image::RgbImage;
use tiny_skia::{
    Color, FillRule, GradientStop, LinearGradient, Mask, Paint, PathBuilder, Pixmap, Point,
    SpreadMode, Transform,
};

use super::IMAGE_SIZE;
use super::garment::Garment;
use super::shape::closed;
use crate::rng::Rng;

fn path_of(points: &[[f32; 2]], close: bool, size: f32) -> Option<tiny_skia::Path> {
    let mut pb = PathBuilder::new();
    let (first, rest) = points.split_first()?;
    pb.move_to(first[0] * size, first[1] * size);
    for p in rest {
        pb.line_to(p[0] * size, p[1] * size);
    }
    if close {
        pb.close();
    }
    pb.finish()
}

fn shade(colour: [u8; 3], factor: f32) -> Color {
    let [r, g, b] = colour.map(|c| (c as f32 * factor).clamp(0.0, 255.0) as u8);
    Color::from_rgba8(r, g, b, 255)
}

/// Renders the photo of a garment.
pub fn render_photo(garment: &Garment, rng: &mut Rng) -> RgbImage {
    let size = IMAGE_SIZE as f32;
    let mut pixmap = Pixmap::new(IMAGE_SIZE, IMAGE_SIZE).expect("non-zero size");
    let bg = rng.range(228.0, 250.0) as u8;
    let tint = [
        bg,
        bg.saturating_sub(rng.below(8) as u8),
        bg.saturating_sub(rng.below(14) as u8),
    ];
    pixmap.fill(shade(tint, 1.0));
    // A studio-photo framing: slight zoom and offset.
    let zoom = rng.range(0.94, 1.06);
    let (dx, dy) = (rng.range(-0.02, 0.02) * size, rng.range(-0.02, 0.02) * size);
    let frame = Transform::from_translate(-size / 2.0, -size / 2.0)
        .post_scale(zoom, zoom)
        .post_translate(size / 2.0 + dx, size / 2.0 + dy);
    let shape = garment.shape();
    let Some(body) = path_of(&shape.outline, true, size) else {
        return pixmap_to_rgb(&pixmap);
    };
    let [x0, _, x1, _] = shape.bounds();
    let mut paint = Paint {
        anti_alias: true,
        ..Paint::default()
    };
    // Shading: darker at the sides, as a lit rounded body.
    paint.shader = LinearGradient::new(
        Point::from_xy(x0 * size, 0.0),
        Point::from_xy(x1 * size, 0.0),
        vec![
            GradientStop::new(0.0, shade(garment.colour, 0.72)),
            GradientStop::new(0.45, shade(garment.colour, 1.08)),
            GradientStop::new(1.0, shade(garment.colour, 0.8)),
        ],
        SpreadMode::Pad,
        Transform::identity(),
    )
    .expect("valid gradient");
    pixmap.fill_path(&body, &paint, FillRule::Winding, frame, None);

    let mut mask = Mask::new(IMAGE_SIZE, IMAGE_SIZE).expect("non-zero size");
    mask.fill_path(&body, FillRule::Winding, true, frame);
    let line =
        |pixmap: &mut Pixmap, pts: &[[f32; 2]], colour: Color, width: f32, clip: Option<&Mask>| {
            if let Some(path) = path_of(pts, false, size) {
                let mut paint = Paint {
                    anti_alias: true,
                    ..Paint::default()
                };
                paint.set_color(colour);
                let stroke = tiny_skia::Stroke {
                    width,
                    ..Default::default()
                };
                pixmap.stroke_path(&path, &paint, &stroke, frame, clip);
            }
        };
    let stripe_width = size / 45.0;
    for [a, b] in shape.stripe_lines(garment.stripes) {
        line(
            &mut pixmap,
            &[a, b],
            shade(garment.accent, 1.0),
            stripe_width,
            Some(&mask),
        );
    }
    let seam = shade(garment.colour, 0.55);
    for detail in &shape.details {
        line(&mut pixmap, detail, seam, 1.6, Some(&mask));
    }
    for [a, b] in &shape.pockets {
        let rect = [*a, [b[0], a[1]], *b, [a[0], b[1]], *a];
        line(&mut pixmap, &rect, seam, 1.6, Some(&mask));
    }
    for centre in &shape.buttons {
        let mut pb = PathBuilder::new();
        pb.push_circle(centre[0] * size, centre[1] * size, size * 0.011);
        if let Some(circle) = pb.finish() {
            let mut paint = Paint {
                anti_alias: true,
                ..Paint::default()
            };
            paint.set_color(shade(garment.accent, 0.9));
            pixmap.fill_path(&circle, &paint, FillRule::Winding, frame, None);
        }
    }
    line(
        &mut pixmap,
        &closed(&shape.outline),
        shade(garment.colour, 0.45),
        1.2,
        None,
    );
    pixmap_to_rgb(&pixmap)
}

fn pixmap_to_rgb(pixmap: &Pixmap) -> RgbImage {
    // The background is opaque, so premultiplied RGBA equals straight RGBA.
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|px| [px[0], px[1], px[2]])
        .collect();
    RgbImage::from_raw(pixmap.width(), pixmap.height(), rgb).expect("size matches")
}
