//! How a sketch sits on the page: a random scale and rotation about the page centre, then a
//! shift. One transform for both `sketch_strokes`' own pose and the varied style's wider one
//! (they were written out twice), with the same arithmetic in the same order, so every
//! generated sketch stays bit for bit what it was.

use crate::rng::Rng;

/// A pose: scale and rotation about the page centre (0.5, 0.5), then a shift.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pose {
    scale: f32,
    sin: f32,
    cos: f32,
    shift_x: f32,
    shift_y: f32,
}

impl Pose {
    /// A random pose: the scale drawn from `scale_range`, the angle from ±`max_angle` radians
    /// and each shift from ±`max_shift`, in that order (the order fixes the random stream).
    pub(super) fn random(
        rng: &mut Rng,
        scale_range: (f32, f32),
        max_angle: f32,
        max_shift: f32,
    ) -> Self {
        let scale = rng.range(scale_range.0, scale_range.1);
        let (sin, cos) = rng.range(-max_angle, max_angle).sin_cos();
        let (shift_x, shift_y) = (
            rng.range(-max_shift, max_shift),
            rng.range(-max_shift, max_shift),
        );
        Self {
            scale,
            sin,
            cos,
            shift_x,
            shift_y,
        }
    }

    /// Where the pose puts point `p`.
    pub(super) fn apply(&self, p: [f32; 2]) -> [f32; 2] {
        let (x, y) = (p[0] - 0.5, p[1] - 0.5);
        [
            0.5 + self.shift_x + self.scale * (self.cos * x - self.sin * y),
            0.5 + self.shift_y + self.scale * (self.sin * x + self.cos * y),
        ]
    }
}
