//! The [`fused`] inference kernels as a Burn backend extension on burn-flex. Only `Flex` is
//! listed: these operations record no backward step, so [`super`] calls them only for tensors
//! that are not tracked by autodiff (inference), and Burn's operations otherwise.

use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, backend_extension};
use burn::tensor::{Shape, TensorData};

use super::fused::{self, AttentionShape, MatrixView};
use crate::flex_kernels::values;

/// Transformer inference operations with CPU kernels of their own (see [`fused`]).
#[backend_extension(Flex)]
pub trait TransformerInferenceBackend: Backend {
    /// `x W + b` over the last dimension of `x`; `weight` `[in, out]`, `bias` `[out]`.
    fn linear(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self>;

    /// Multi-head self-attention from a fused projection `qkv` `[batch, tokens, 3 * width]`
    /// to `[batch, tokens, width]`, with `heads` heads of `width / heads` channels.
    fn self_attention(qkv: FloatTensor<Self>, heads: usize) -> FloatTensor<Self>;
}

/// The weight as a strided matrix over its own buffer, or `None` where its layout has a
/// negative stride (then it is read through a contiguous copy).
fn matrix_view(weight: &FlexTensor) -> Option<MatrixView<'_>> {
    let layout = weight.layout();
    let [rows, cols] = layout.shape().dims::<2>();
    let strides = layout.strides();
    let stride = |i: usize| usize::try_from(strides[i]).ok();
    Some(MatrixView {
        data: weight.storage::<f32>(),
        offset: layout.start_offset(),
        shape: [rows, cols],
        strides: [stride(0)?, stride(1)?],
    })
}

impl TransformerInferenceBackend for Flex {
    fn linear(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let mut dims = x.layout().shape().to_vec();
        let width = *dims.last().expect("linear: a scalar input");
        let rows = dims.iter().product::<usize>() / width.max(1);
        let out_width = weight.layout().shape().dims::<2>()[1];
        let (x, bias) = (values(&x), values(&bias));
        let out = match matrix_view(&weight) {
            Some(view) => fused::linear(&x, rows, view, &bias),
            None => {
                let contiguous = values(&weight);
                let view = MatrixView {
                    data: &contiguous,
                    offset: 0,
                    shape: [width, out_width],
                    strides: [out_width, 1],
                };
                fused::linear(&x, rows, view, &bias)
            }
        };
        *dims.last_mut().expect("checked above") = out_width;
        FlexTensor::from_data(TensorData::new(out, Shape::from(dims)))
    }

    fn self_attention(qkv: FloatTensor<Self>, heads: usize) -> FloatTensor<Self> {
        let [batch, tokens, fused_width] = qkv.layout().shape().dims::<3>();
        let width = fused_width / 3;
        assert!(
            heads > 0 && fused_width == 3 * width && width.is_multiple_of(heads),
            "self_attention: {fused_width} channels are not 3 x {heads} heads"
        );
        let shape = AttentionShape {
            batch,
            tokens,
            heads,
            head_dim: width / heads,
        };
        let out = fused::self_attention(&values(&qkv), shape);
        FlexTensor::from_data(TensorData::new(out, [batch, tokens, width]))
    }
}
