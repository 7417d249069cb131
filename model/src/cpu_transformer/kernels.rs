//! Element and row kernels for GELU and softmax attention, written so that the compiler
//! vectorises them: branch-free `f32` arithmetic, run inside [`pulp::Arch::dispatch`] (which
//! compiles the loop for the widest vector extension the processor has, AVX-512 on the
//! development machines), split over the rayon pool in chunks.
//!
//! burn-flex computes GELU through `libm`'s scalar `erff`, and attention under autodiff as
//! Burn's composite of a scale, a five-operation softmax and their recorded backward passes:
//! together 15-20 % of a ViT training step (docs/speed.md).

use rayon::prelude::*;

/// Elements per rayon task of the element-wise kernels: large enough that scheduling is
/// negligible, small enough that both cores get work on a ViT-Ti activation.
const ELEMENTS_PER_TASK: usize = 1 << 15;

const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split in two so that `n * LN2_HI` is exact for the `n` that occur (Cody and Waite).
const LN2_HI: f32 = 0.693_145_75;
const LN2_LO: f32 = 1.428_606_8e-6;

/// `e^x` to about 2e-7 relative error for `x` in [-87, 88] (clamped outside, where `f32`
/// underflows or overflows anyway): `2^n * e^r` with `|r| <= ln 2 / 2` and a degree-6 Taylor
/// polynomial for `e^r`. Branch-free, so it vectorises, unlike a call to `libm`.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2_E).round_ties_even();
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // 2^n through the exponent bits: n + 127 is in [1, 254] after the clamp.
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// `erf(x)` to 5e-7 absolute error in `f32` (the formula, Abramowitz and Stegun 7.1.26, is
/// good to 1.5e-7; the rest is `f32` rounding and [`exp`]), with the sign restored
/// (erf is odd).
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_8 + t * (-1.453_152 + t * 1.061_405_4))));
    (1.0 - poly * exp(-z * z)).copysign(x)
}

const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// `1 / sqrt(2 pi)`, the standard normal density at 0.
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

/// Exact GELU, `x * Phi(x)` with `Phi` the standard normal distribution function.
#[inline(always)]
pub fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * FRAC_1_SQRT_2))
}

/// The derivative of [`gelu`]: `Phi(x) + x * phi(x)`.
#[inline(always)]
pub fn gelu_derivative(x: f32) -> f32 {
    let cdf = 0.5 * (1.0 + erf(x * FRAC_1_SQRT_2));
    cdf + x * FRAC_1_SQRT_2PI * exp(-0.5 * x * x)
}

/// `out[i] = f(x[i])` (or `f(x[i]) * g[i]`), compiled for the processor's vectors.
struct ElementTask<'a> {
    x: &'a [f32],
    grad: Option<&'a [f32]>,
    out: &'a mut [f32],
}

impl pulp::WithSimd for ElementTask<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        match self.grad {
            None => {
                for (o, &x) in self.out.iter_mut().zip(self.x) {
                    *o = gelu(x);
                }
            }
            Some(grad) => {
                for ((o, &x), &g) in self.out.iter_mut().zip(self.x).zip(grad) {
                    *o = g * gelu_derivative(x);
                }
            }
        }
    }
}

/// GELU of every element.
pub fn gelu_forward(x: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    out.par_chunks_mut(ELEMENTS_PER_TASK)
        .zip(x.par_chunks(ELEMENTS_PER_TASK))
        .for_each(|(out, x)| pulp::Arch::new().dispatch(ElementTask { x, grad: None, out }));
    out
}

/// The gradient of GELU's input: `grad * gelu'(x)`.
pub fn gelu_backward(x: &[f32], grad: &[f32]) -> Vec<f32> {
    assert_eq!(
        x.len(),
        grad.len(),
        "gelu_backward: input and gradient differ in size"
    );
    let mut out = vec![0.0; x.len()];
    out.par_chunks_mut(ELEMENTS_PER_TASK)
        .zip(x.par_chunks(ELEMENTS_PER_TASK))
        .zip(grad.par_chunks(ELEMENTS_PER_TASK))
        .for_each(|((out, x), grad)| {
            pulp::Arch::new().dispatch(ElementTask {
                x,
                grad: Some(grad),
                out,
            })
        });
    out
}

/// Row-wise softmax or its backward pass over rows of `len` elements.
enum RowOp<'a> {
    /// `rows = softmax(scale * rows)`, in place.
    Softmax { rows: &'a mut [f32], scale: f32 },
    /// `grad = scale * p * (grad - sum(grad * p))` per row, in place: the gradient of the
    /// scores from the gradient of the probabilities `p`.
    SoftmaxBackward {
        p: &'a [f32],
        grad: &'a mut [f32],
        scale: f32,
    },
}

struct RowTask<'a> {
    len: usize,
    op: RowOp<'a>,
}

impl pulp::WithSimd for RowTask<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let len = self.len;
        match self.op {
            RowOp::Softmax { rows, scale } => {
                for row in rows.chunks_exact_mut(len) {
                    let max = lanewise(row, f32::NEG_INFINITY, f32::max);
                    for v in row.iter_mut() {
                        *v = exp(scale * (*v - max));
                    }
                    let inv = 1.0 / lanewise(row, 0.0, |a, b| a + b);
                    for v in row.iter_mut() {
                        *v *= inv;
                    }
                }
            }
            RowOp::SoftmaxBackward { p, grad, scale } => {
                for (p, g) in p.chunks_exact(len).zip(grad.chunks_exact_mut(len)) {
                    let dot: f32 = p.iter().zip(g.iter()).map(|(p, g)| p * g).sum();
                    for (g, &p) in g.iter_mut().zip(p) {
                        *g = scale * p * (*g - dot);
                    }
                }
            }
        }
    }
}

/// Lanes of [`lanewise`]: one AVX-512 register of `f32`.
const LANES: usize = 16;

/// `values` folded with `f` (associative, `init` its identity) in [`LANES`] independent
/// accumulators, combined at the end: a plain fold is one chain of dependent steps, which the
/// compiler may not reorder for floating point, so it would not vectorise.
#[inline(always)]
fn lanewise(values: &[f32], init: f32, f: impl Fn(f32, f32) -> f32) -> f32 {
    let mut lanes = [init; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane = f(*lane, v);
        }
    }
    let folded = lanes.into_iter().fold(init, &f);
    rest.iter().fold(folded, |acc, &v| f(acc, v))
}

/// Rows per rayon task for rows of `len` elements.
fn rows_per_task(len: usize) -> usize {
    (ELEMENTS_PER_TASK / len.max(1)).max(1)
}

/// `softmax(scale * row)` of every row of `len` elements, in place. `scale > 0`, so the row's
/// maximum is subtracted before scaling (the usual overflow guard).
pub fn softmax_rows(values: &mut [f32], len: usize, scale: f32) {
    let chunk = rows_per_task(len) * len;
    values
        .par_chunks_mut(chunk)
        .for_each(|rows| softmax_rows_serial(rows, len, scale));
}

/// [`softmax_rows`] on the calling thread, for callers that already run one task per core.
pub fn softmax_rows_serial(values: &mut [f32], len: usize, scale: f32) {
    pulp::Arch::new().dispatch(RowTask {
        len,
        op: RowOp::Softmax {
            rows: values,
            scale,
        },
    });
}

/// Turns the gradient of the probabilities `p = softmax(scale * s)` (rows of `len`) into the
/// gradient of the scores `s`, in place.
pub fn softmax_rows_backward(p: &[f32], grad: &mut [f32], len: usize, scale: f32) {
    assert_eq!(p.len(), grad.len(), "softmax_rows_backward: sizes differ");
    let chunk = rows_per_task(len) * len;
    grad.par_chunks_mut(chunk)
        .zip(p.par_chunks(chunk))
        .for_each(|(grad, p)| {
            pulp::Arch::new().dispatch(RowTask {
                len,
                op: RowOp::SoftmaxBackward { p, grad, scale },
            })
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erf in f64 from its Maclaurin series, `2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))`,
    /// for |x| < 4 (where cancellation costs under 1e-9); beyond, erf is within 1.6e-8 of +-1.
    fn reference_erf(x: f64) -> f64 {
        if x.abs() >= 4.0 {
            return x.signum();
        }
        let (mut term, mut sum) = (x, x);
        for n in 1..200 {
            term *= -x * x / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    /// The approximations against f64 references over the range that matters.
    #[test]
    fn exp_and_erf_are_within_their_stated_error() {
        let mut worst_exp: f64 = 0.0;
        let mut worst_erf: f64 = 0.0;
        for i in -80_000..=80_000 {
            let x = i as f32 * 1e-3;
            let e = (x as f64).exp();
            worst_exp = worst_exp.max(((exp(x) as f64) - e).abs() / e);
            let reference = reference_erf(x as f64);
            worst_erf = worst_erf.max(((erf(x) as f64) - reference).abs());
        }
        assert!(worst_exp < 4e-7, "exp relative error {worst_exp}");
        assert!(worst_erf < 5e-7, "erf absolute error {worst_erf}");
        // Outside the clamp: tiny and finite below, large and finite above (no NaN, no inf).
        assert!(exp(-200.0) > 0.0 && exp(-200.0) < 1e-37);
        assert!(exp(200.0).is_finite() && exp(200.0) > 1e38);
        assert!(erf(0.0).abs() < 1e-7);
        assert_eq!(erf(-9.0), -1.0);
    }
}
