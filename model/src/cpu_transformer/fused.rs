//! Inference kernels for a transformer block on `f32` slices, calling the `gemm` crate (the
//! matrix product burn-flex itself uses) directly, so that what surrounds each product costs
//! no extra pass over memory:
//! - [`linear`]: the output buffer starts as the bias, repeated per row, and the product is
//!   accumulated onto it. burn-flex zero-fills an output, copies it once more to align it, and
//!   adds the bias in a third pass.
//! - [`self_attention`]: reads queries, keys and values where the fused `qkv` projection
//!   wrote them (`[batch, tokens, 3, heads, head_dim]`) and writes each head's output into
//!   its columns of `[batch, tokens, heads * head_dim]`, the layout the output projection
//!   reads. The composite copies `q`, `k` and `v` into `[batch, heads, tokens, head_dim]`
//!   and the output back, four transposing copies per block. The softmax is
//!   [`kernels::softmax_rows_serial`] (vectorised), where burn-flex's is a scalar loop over
//!   `expf`.
//!
//! On DINOv2 ViT-S/14 at 224 px these transposing copies, the scalar softmax and the extra
//! output passes took about a fifth of an embedding (docs/speed.md).
//!
//! `gemm`'s interface is raw pointers with strides, so this module allows the `unsafe` the
//! workspace otherwise denies, in two places: [`product`], whose callers bounds-check every
//! matrix they pass, and the output buffer [`self_attention`]'s tasks share, each writing
//! disjoint elements.
#![allow(unsafe_code)]

use rayon::prelude::*;

use super::kernels;

/// Multiply-accumulates above which one product is split over the rayon pool (below,
/// scheduling costs more than it saves); burn-flex uses the same figure.
const PARALLEL_MACS: usize = 192 * 192 * 192;

/// A matrix read in place from a buffer: element `(row, col)` is
/// `data[offset + row * row_stride + col * col_stride]`.
#[derive(Clone, Copy, Debug)]
pub struct MatrixView<'a> {
    /// The buffer the matrix lies in.
    pub data: &'a [f32],
    /// Index of element `(0, 0)`.
    pub offset: usize,
    /// Rows and columns.
    pub shape: [usize; 2],
    /// Step between rows and between columns, in elements.
    pub strides: [usize; 2],
}

impl MatrixView<'_> {
    /// Panics unless every element lies inside `data`: the product below reads through raw
    /// pointers.
    fn check_bounds(&self, what: &str) {
        let [rows, cols] = self.shape;
        if rows == 0 || cols == 0 {
            return;
        }
        let last = self.offset + (rows - 1) * self.strides[0] + (cols - 1) * self.strides[1];
        assert!(
            last < self.data.len(),
            "{what}: a {rows} x {cols} view with strides {:?} from {} overruns a buffer of {}",
            self.strides,
            self.offset,
            self.data.len()
        );
    }
}

/// `dst = lhs rhs` (or `dst += lhs rhs` with `accumulate`) for `lhs` `[m, k]` and `rhs`
/// `[k, n]` at raw, strided addresses.
///
/// # Safety
/// The three matrices must lie in live buffers at the given strides, `dst` must not overlap
/// the others, and no other thread may touch `dst`'s elements meanwhile.
unsafe fn product(
    [m, k, n]: [usize; 3],
    dst: (*mut f32, [isize; 2]),
    lhs: (*const f32, [isize; 2]),
    rhs: (*const f32, [isize; 2]),
    accumulate: bool,
    parallel: bool,
) {
    let parallelism = if parallel && m * n * k >= PARALLEL_MACS {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: forwarded from the caller.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.0,
            dst.1[1],
            dst.1[0],
            accumulate,
            lhs.0,
            lhs.1[1],
            lhs.1[0],
            rhs.0,
            rhs.1[1],
            rhs.1[0],
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// `x W + b` for `x` of `rows` contiguous rows of `W`'s input width; `W` `[in, out]` may be
/// any strided view (a checkpoint's transposed `[out, in]` weight is read in place).
/// Returns `[rows, out]`, row-major.
pub fn linear(x: &[f32], rows: usize, weight: MatrixView, bias: &[f32]) -> Vec<f32> {
    let [width, out_width] = weight.shape;
    assert_eq!(
        x.len(),
        rows * width,
        "linear: input of {} values is not {rows} rows of {width}",
        x.len()
    );
    assert_eq!(
        bias.len(),
        out_width,
        "linear: bias of {} for {out_width} outputs",
        bias.len()
    );
    weight.check_bounds("linear weight");
    let mut out = Vec::with_capacity(rows * out_width);
    for _ in 0..rows {
        out.extend_from_slice(bias);
    }
    if rows == 0 || out_width == 0 || width == 0 {
        return out;
    }
    // SAFETY: `x` is `rows x width` row-major, `weight` was bounds-checked, `out` is a fresh
    // `rows x out_width` buffer.
    unsafe {
        product(
            [rows, width, out_width],
            (out.as_mut_ptr(), [out_width as isize, 1]),
            (x.as_ptr(), [width as isize, 1]),
            (
                weight.data.as_ptr().add(weight.offset),
                [weight.strides[0] as isize, weight.strides[1] as isize],
            ),
            true,
            true,
        );
    }
    out
}

/// The shape of a self-attention over a fused projection.
#[derive(Clone, Copy, Debug)]
pub struct AttentionShape {
    /// Images in the batch.
    pub batch: usize,
    /// Tokens per image.
    pub tokens: usize,
    /// Attention heads.
    pub heads: usize,
    /// Width of one head.
    pub head_dim: usize,
}

/// The output buffer, shared by the (batch, head) tasks, each writing its own columns.
struct SharedOutput(*mut f32);
// SAFETY: tasks write disjoint elements (see `self_attention`).
unsafe impl Send for SharedOutput {}
unsafe impl Sync for SharedOutput {}

impl SharedOutput {
    /// The address `offset` elements in.
    ///
    /// # Safety
    /// `offset` must lie inside the buffer.
    unsafe fn at(&self, offset: usize) -> *mut f32 {
        // SAFETY: forwarded from the caller.
        unsafe { self.0.add(offset) }
    }
}

/// `softmax(q k^T / sqrt(head_dim)) v` for every image and head, with `q`, `k`, `v` read from
/// `qkv` `[batch, tokens, 3 * heads * head_dim]` (ordered q | k | v, then head, then channel,
/// as timm's fused projection). Returns `[batch, tokens, heads * head_dim]`, row-major.
pub fn self_attention(qkv: &[f32], shape: AttentionShape) -> Vec<f32> {
    let AttentionShape {
        batch,
        tokens,
        heads,
        head_dim,
    } = shape;
    let width = heads * head_dim;
    let row = 3 * width;
    assert_eq!(
        qkv.len(),
        batch * tokens * row,
        "self_attention: {} values are not {batch} x {tokens} x {row}",
        qkv.len()
    );
    let mut out = vec![0.0f32; batch * tokens * width];
    if out.is_empty() {
        return out;
    }
    let scale = 1.0 / (head_dim as f32).sqrt();
    let shared = SharedOutput(out.as_mut_ptr());
    let run = |scores: &mut Vec<f32>, task: usize| {
        let (image, head) = (task / heads, task % heads);
        let base = image * tokens * row + head * head_dim;
        let (q, k, v) = (base, base + width, base + 2 * width);
        let row = row as isize;
        // SAFETY: every read lies inside `qkv` (its length was checked above); the task
        // writes `scores` (its own) and the `tokens x head_dim` block of `out` at rows of
        // `image` and columns of `head`, which no other task writes.
        unsafe {
            let qkv = qkv.as_ptr();
            product(
                [tokens, head_dim, tokens],
                (scores.as_mut_ptr(), [tokens as isize, 1]),
                (qkv.add(q), [row, 1]),
                (qkv.add(k), [1, row]), // k^T: column j is token j's key
                false,
                false,
            );
            kernels::softmax_rows_serial(scores, tokens, scale);
            let dst = shared.at(image * tokens * width + head * head_dim);
            product(
                [tokens, tokens, head_dim],
                (dst, [width as isize, 1]),
                (scores.as_ptr(), [tokens as isize, 1]),
                (qkv.add(v), [row, 1]),
                false,
                false,
            );
        }
    };
    (0..batch * heads)
        .into_par_iter()
        .for_each_init(|| vec![0.0f32; tokens * tokens], run);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A weight view reaching past its buffer is refused before any pointer is read.
    #[test]
    #[should_panic(expected = "overruns a buffer of 12")]
    fn a_view_past_its_buffer_is_refused() {
        let weight = [0.0f32; 12];
        let view = MatrixView {
            data: &weight,
            offset: 1,
            shape: [3, 4],
            strides: [4, 1],
        };
        linear(&[0.0; 6], 2, view, &[0.0; 4]);
    }

    /// A small product by hand: rows of `x` times a transposed (column-major) weight, plus bias.
    #[test]
    fn linear_by_hand() {
        // W [in 2, out 3] stored as its transpose [3, 2]: W[i][o] = stored[o * 2 + i].
        let stored = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let view = MatrixView {
            data: &stored,
            offset: 0,
            shape: [2, 3],
            strides: [1, 2],
        };
        let out = linear(&[1.0, 1.0, 2.0, -1.0], 2, view, &[0.5, 0.0, -0.5]);
        assert_eq!(out, vec![3.5, 7.0, 10.5, 0.5, 2.0, 3.5]);
    }
}
