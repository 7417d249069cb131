//! Depthwise 2-D convolution on contiguous `f32` NCHW buffers: forward, input gradient and
//! weight gradient, each a direct per-channel correlation.
//!
//! Why not Burn's: burn-flex runs a depthwise convolution's forward pass directly, but its
//! backward pass is Burn's generic one. The input gradient is a grouped transposed
//! convolution (a gemm and a scatter per group over tiny matrices) and the weight gradient a
//! loop over the groups (up to 1,152 in EfficientNet-Lite0) of slice, convolution and
//! slice-assign. Together they took about 40 % of an EfficientNet-Lite0 training step
//! (docs/speed.md).
//!
//! # How
//! Each input plane is copied once into a zero-padded buffer, split into `stride x stride`
//! phases (phase `(py, px)` holds the padded pixels `(qy * stride + py, qx * stride + px)`).
//! A strided correlation is then a stride-1 correlation over the phases, and a stride-1
//! correlation over a plane `wq` wide is, with the plane flattened, a sum of shifted copies:
//! output pixel `oy * wq + ox` reads phase pixel `oy * wq + ox + (ky / s) * wq + kx / s`. So
//! every filter tap is one long multiply-add over the whole plane (the output is computed
//! `wq` wide and its last `wq - out_w` columns dropped), which the compiler vectorises
//! whatever the plane's width: EfficientNet's late planes are 5 to 10 pixels wide, too short
//! for row-by-row loops. The input gradient runs the same taps in reverse (a scatter into
//! phase buffers), the weight gradient takes one dot product per tap.
//!
//! The loops run under [`pulp`]'s run-time CPU dispatch, so they are compiled for AVX2 and
//! AVX-512 as well as the baseline and the best the processor has is used.

use rayon::prelude::*;

/// The shape of one depthwise convolution: `[batch, channels, in_h, in_w]` in,
/// `[batch, channels, out_h, out_w]` out, a `kernel x kernel` filter per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthwiseGeometry {
    /// Batch size.
    pub batch: usize,
    /// Channels (= groups).
    pub channels: usize,
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Filter side.
    pub kernel: usize,
    /// Stride, both directions.
    pub stride: usize,
    /// Zero rows above the input.
    pub pad_top: usize,
    /// Zero columns left of the input.
    pub pad_left: usize,
    /// Output height.
    pub out_h: usize,
    /// Output width.
    pub out_w: usize,
}

impl DepthwiseGeometry {
    /// The geometry for explicit paddings `(top, bottom)` and `(left, right)`.
    ///
    /// # Panics
    /// Panics on a zero kernel or stride, or a kernel larger than the padded input.
    pub fn new(
        [batch, channels, in_h, in_w]: [usize; 4],
        kernel: usize,
        stride: usize,
        (pad_top, pad_bottom): (usize, usize),
        (pad_left, pad_right): (usize, usize),
    ) -> Self {
        assert!(kernel > 0 && stride > 0, "depthwise: zero kernel or stride");
        let out = |size: usize, before: usize, after: usize| {
            let padded = size + before + after;
            assert!(
                padded >= kernel,
                "depthwise: kernel larger than the padded input"
            );
            (padded - kernel) / stride + 1
        };
        Self {
            batch,
            channels,
            in_h,
            in_w,
            kernel,
            stride,
            pad_top,
            pad_left,
            out_h: out(in_h, pad_top, pad_bottom),
            out_w: out(in_w, pad_left, pad_right),
        }
    }

    fn in_plane(&self) -> usize {
        self.in_h * self.in_w
    }

    fn out_plane(&self) -> usize {
        self.out_h * self.out_w
    }

    fn taps(&self) -> usize {
        self.kernel * self.kernel
    }

    /// The phase buffers' layout.
    fn phases(&self) -> Phases {
        let s = self.stride;
        // Tall and wide enough for every tap of every output pixel and for the whole input.
        let side = |out: usize, before: usize, size: usize| {
            ((out - 1) * s + self.kernel).max(before + size).div_ceil(s)
        };
        let hq = side(self.out_h, self.pad_top, self.in_h);
        let wq = side(self.out_w, self.pad_left, self.in_w);
        Phases {
            stride: s,
            wq,
            // The flat reads of the last output row run (kernel - 1) / s past the plane.
            len: hq * wq + (self.kernel - 1) / s,
            span: self.out_h * wq,
        }
    }
}

/// Layout of the `stride x stride` phase buffers of one padded plane.
#[derive(Debug, Clone, Copy)]
struct Phases {
    stride: usize,
    /// Width of a phase plane.
    wq: usize,
    /// Length of one phase buffer.
    len: usize,
    /// Length of the flat output (`out_h * wq`): what one tap multiplies.
    span: usize,
}

impl Phases {
    fn total(&self) -> usize {
        self.len * self.stride * self.stride
    }

    /// Where in the phase buffers padded pixel `(y, x)` is.
    #[inline(always)]
    fn index(&self, y: usize, x: usize) -> usize {
        let s = self.stride;
        ((y % s) * s + x % s) * self.len + (y / s) * self.wq + x / s
    }

    /// Start of the span that tap `(ky, kx)` reads for output pixel 0.
    #[inline(always)]
    fn tap_start(&self, ky: usize, kx: usize) -> usize {
        self.index(ky, kx)
    }
}

/// `out[i] += a * x[i]`.
#[inline(always)]
fn axpy(out: &mut [f32], a: f32, x: &[f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o += a * v;
    }
}

/// `sum a[i] * b[i]` with 16 independent partial sums, so that it vectorises.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut partial = [0.0f32; 16];
    let (a_chunks, b_chunks) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for i in 0..16 {
            partial[i] += x[i] * y[i];
        }
    }
    partial.iter().sum::<f32>() + tail
}

/// The part of row `y` of the padded plane that phase column `px` holds: the first input
/// column in that phase, the phase index it goes to, and the phase row's start.
#[inline(always)]
fn phase_columns(g: &DepthwiseGeometry, p: &Phases, y: usize, px: usize) -> (usize, usize) {
    let s = g.stride;
    // Input column ix sits at padded column ix + pad_left; the first with that % s == px.
    let first = (px + s - g.pad_left % s) % s;
    (first, p.index(y, first + g.pad_left))
}

/// Copies input plane `x` into zeroed phase buffers.
#[inline(always)]
fn split(g: &DepthwiseGeometry, p: &Phases, x: &[f32], phases: &mut [f32]) {
    phases.fill(0.0);
    for (iy, row) in x.chunks_exact(g.in_w).enumerate() {
        let y = iy + g.pad_top;
        for px in 0..g.stride {
            let (first, start) = phase_columns(g, p, y, px);
            let source = row.iter().skip(first).step_by(g.stride);
            for (dst, &v) in phases[start..].iter_mut().zip(source) {
                *dst = v;
            }
        }
    }
}

/// The inverse of [`split`]: reads input plane `dx` back out of the phase buffers.
#[inline(always)]
fn merge(g: &DepthwiseGeometry, p: &Phases, phases: &[f32], dx: &mut [f32]) {
    for (iy, row) in dx.chunks_exact_mut(g.in_w).enumerate() {
        let y = iy + g.pad_top;
        for px in 0..g.stride {
            let (first, start) = phase_columns(g, p, y, px);
            let target = row.iter_mut().skip(first).step_by(g.stride);
            for (v, &src) in target.zip(&phases[start..]) {
                *v = src;
            }
        }
    }
}

/// Copies `out_h x out_w` plane `dy` into the first columns of a zeroed `out_h x wq` span.
#[inline(always)]
fn widen(g: &DepthwiseGeometry, p: &Phases, dy: &[f32], span: &mut [f32]) {
    span.fill(0.0);
    for (row, wide) in dy.chunks_exact(g.out_w).zip(span.chunks_exact_mut(p.wq)) {
        wide[..g.out_w].copy_from_slice(row);
    }
}

/// One plane's work, run through [`pulp`]'s dispatch so that its loops are compiled for the
/// processor's widest vectors (a `WithSimd` implementation inlines into the dispatched
/// function, where a closure would stay a separate baseline function).
enum PlaneOp<'a> {
    /// `out = x (*) w`.
    Forward {
        x: &'a [f32],
        w: &'a [f32],
        out: &'a mut [f32],
    },
    /// `dx = dy` scattered back through `w`.
    InputGrad {
        dy: &'a [f32],
        w: &'a [f32],
        dx: &'a mut [f32],
    },
    /// `dw += x (*) dy`.
    WeightGrad {
        x: &'a [f32],
        dy: &'a [f32],
        dw: &'a mut [f32],
    },
}

struct PlaneTask<'a> {
    g: &'a DepthwiseGeometry,
    p: &'a Phases,
    scratch: &'a mut Scratch,
    op: PlaneOp<'a>,
}

impl pulp::WithSimd for PlaneTask<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Self { g, p, scratch, op } = self;
        let k = g.kernel;
        match op {
            PlaneOp::Forward { x, w, out } => {
                split(g, p, x, &mut scratch.phases);
                let span = &mut scratch.span;
                span.fill(0.0);
                for ky in 0..k {
                    for kx in 0..k {
                        let start = p.tap_start(ky, kx);
                        axpy(span, w[ky * k + kx], &scratch.phases[start..start + p.span]);
                    }
                }
                for (row, wide) in out.chunks_exact_mut(g.out_w).zip(span.chunks_exact(p.wq)) {
                    row.copy_from_slice(&wide[..g.out_w]);
                }
            }
            PlaneOp::InputGrad { dy, w, dx } => {
                // The wide span's extra columns are zero, so they scatter nothing.
                widen(g, p, dy, &mut scratch.span);
                let phases = &mut scratch.phases;
                phases.fill(0.0);
                for ky in 0..k {
                    for kx in 0..k {
                        let start = p.tap_start(ky, kx);
                        axpy(
                            &mut phases[start..start + p.span],
                            w[ky * k + kx],
                            &scratch.span,
                        );
                    }
                }
                merge(g, p, phases, dx);
            }
            PlaneOp::WeightGrad { x, dy, dw } => {
                split(g, p, x, &mut scratch.phases);
                widen(g, p, dy, &mut scratch.span);
                for ky in 0..k {
                    for kx in 0..k {
                        let start = p.tap_start(ky, kx);
                        dw[ky * k + kx] +=
                            dot(&scratch.span, &scratch.phases[start..start + p.span]);
                    }
                }
            }
        }
    }
}

fn run_plane(g: &DepthwiseGeometry, p: &Phases, scratch: &mut Scratch, op: PlaneOp<'_>) {
    pulp::Arch::new().dispatch(PlaneTask { g, p, scratch, op });
}

/// One worker's buffers: the phases of a plane and one flat output span.
struct Scratch {
    phases: Vec<f32>,
    span: Vec<f32>,
}

impl Scratch {
    fn new(p: &Phases) -> Self {
        Self {
            phases: vec![0.0; p.total()],
            span: vec![0.0; p.span],
        }
    }
}

fn check_sizes(g: &DepthwiseGeometry, x: Option<&[f32]>, dy: Option<&[f32]>, w: Option<&[f32]>) {
    if let Some(x) = x {
        assert_eq!(
            x.len(),
            g.batch * g.channels * g.in_plane(),
            "depthwise: input size"
        );
    }
    if let Some(dy) = dy {
        assert_eq!(
            dy.len(),
            g.batch * g.channels * g.out_plane(),
            "depthwise: gradient size"
        );
    }
    if let Some(w) = w {
        assert_eq!(w.len(), g.channels * g.taps(), "depthwise: weight size");
    }
}

/// Forward pass: `out[n, c] = x[n, c] (*) weight[c]` (correlation, as PyTorch's conv2d).
///
/// `x`: `[batch, channels, in_h, in_w]`; `weight`: `[channels, 1, k, k]`; returns
/// `[batch, channels, out_h, out_w]`.
pub fn forward(g: &DepthwiseGeometry, x: &[f32], weight: &[f32]) -> Vec<f32> {
    check_sizes(g, Some(x), None, Some(weight));
    let p = g.phases();
    let mut out = vec![0.0f32; g.batch * g.channels * g.out_plane()];
    if out.is_empty() || g.in_plane() == 0 {
        return out;
    }
    out.par_chunks_mut(g.out_plane())
        .zip(x.par_chunks(g.in_plane()))
        .enumerate()
        .for_each_init(
            || Scratch::new(&p),
            |scratch, (plane, (out, x))| {
                let c = plane % g.channels;
                let w = &weight[c * g.taps()..(c + 1) * g.taps()];
                run_plane(g, &p, scratch, PlaneOp::Forward { x, w, out });
            },
        );
    out
}

/// Input gradient: `dy[n, c]` scattered back through `weight[c]`.
///
/// `grad_out`: `[batch, channels, out_h, out_w]`; returns `[batch, channels, in_h, in_w]`.
pub fn input_grad(g: &DepthwiseGeometry, grad_out: &[f32], weight: &[f32]) -> Vec<f32> {
    check_sizes(g, None, Some(grad_out), Some(weight));
    let p = g.phases();
    let mut dx = vec![0.0f32; g.batch * g.channels * g.in_plane()];
    if dx.is_empty() || g.out_plane() == 0 {
        return dx;
    }
    dx.par_chunks_mut(g.in_plane())
        .zip(grad_out.par_chunks(g.out_plane()))
        .enumerate()
        .for_each_init(
            || Scratch::new(&p),
            |scratch, (plane, (dx, dy))| {
                let c = plane % g.channels;
                let w = &weight[c * g.taps()..(c + 1) * g.taps()];
                run_plane(g, &p, scratch, PlaneOp::InputGrad { dy, w, dx });
            },
        );
    dx
}

/// Weight gradient: `dweight[c] = sum over n of x[n, c] (*) dy[n, c]`, `[channels, 1, k, k]`.
pub fn weight_grad(g: &DepthwiseGeometry, x: &[f32], grad_out: &[f32]) -> Vec<f32> {
    check_sizes(g, Some(x), Some(grad_out), None);
    let p = g.phases();
    let mut dw = vec![0.0f32; g.channels * g.taps()];
    if g.in_plane() == 0 || g.out_plane() == 0 {
        return dw;
    }
    dw.par_chunks_mut(g.taps()).enumerate().for_each_init(
        || Scratch::new(&p),
        |scratch, (c, dw)| {
            for n in 0..g.batch {
                let plane = n * g.channels + c;
                let x = &x[plane * g.in_plane()..(plane + 1) * g.in_plane()];
                let dy = &grad_out[plane * g.out_plane()..(plane + 1) * g.out_plane()];
                run_plane(g, &p, scratch, PlaneOp::WeightGrad { x, dy, dw });
            }
        },
    );
    dw
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tf_same_padding_on_stride_two_fits_every_tap_in_the_phases() {
        // 5 x 5, kernel 5, stride 2, "same" (out 3, padding 2 before and 2 after).
        let g = DepthwiseGeometry::new([1, 1, 5, 5], 5, 2, (2, 2), (2, 2));
        assert_eq!((g.out_h, g.out_w), (3, 3));
        let p = g.phases();
        // Padded side 9 rounded up to 10: phases 5 wide.
        assert_eq!(p.wq, 5);
        // The last tap of the last output pixel reads inside its phase buffer.
        let last = p.tap_start(4, 4) + p.span - 1;
        assert!(last < p.total());
        assert_eq!(last / p.len, p.tap_start(4, 4) / p.len);
    }
}
