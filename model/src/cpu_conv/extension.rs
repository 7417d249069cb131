//! The two convolutions as a Burn backend extension: their forward passes on burn-flex and
//! hand-written backward passes under autodiff.
//!
//! Burn 0.22 routes a tensor operation through its `Dispatch` backend to the concrete backend
//! the tensor lives on. `#[backend_extension]` generates that routing for a trait of our own;
//! it is implemented for `Flex` (the computation) and for `Autodiff<Flex>` (the same forward
//! pass, plus a `Backward` step that computes the gradients with the same kernels). No other
//! backend is listed: [`super`] only calls these for `f32` tensors on the CPU backend.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Flex, backend_extension};
use burn::tensor::{Shape, TensorData};

use super::depthwise::{self, DepthwiseGeometry};
use crate::flex_kernels::{register_gradients, values};

/// Paddings of a depthwise convolution: `((top, bottom), (left, right))`.
pub type Padding2d = ((usize, usize), (usize, usize));

/// Convolutions with CPU kernels of their own (see the module docs).
#[backend_extension(Flex, Autodiff)]
pub trait MobileConvBackend: Backend {
    /// Depthwise convolution: `x` `[batch, channels, h, w]`, `weight` `[channels, 1, k, k]`.
    fn depthwise_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        stride: usize,
        pad_top: usize,
        pad_bottom: usize,
        pad_left: usize,
        pad_right: usize,
    ) -> FloatTensor<Self>;

    /// 1 x 1 convolution, stride 1: `x` `[batch, in, h, w]`, `weight` `[out, in, 1, 1]`.
    fn pointwise_conv2d(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self>;
}

fn tensor(values: Vec<f32>, shape: [usize; 4]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, Shape::new(shape)))
}

fn dims4(tensor: &FlexTensor) -> [usize; 4] {
    tensor.layout().shape().dims::<4>()
}

fn depthwise_geometry(
    x: &FlexTensor,
    weight: &FlexTensor,
    stride: usize,
    pad: Padding2d,
) -> DepthwiseGeometry {
    let dims = dims4(x);
    let [channels, per_group, kernel_h, kernel_w] = dims4(weight);
    assert_eq!(
        channels, dims[1],
        "depthwise_conv2d: one filter per input channel"
    );
    assert_eq!(
        per_group, 1,
        "depthwise_conv2d: weight must be [channels, 1, k, k]"
    );
    assert_eq!(kernel_h, kernel_w, "depthwise_conv2d: square kernels only");
    DepthwiseGeometry::new(dims, kernel_h, stride, pad.0, pad.1)
}

fn depthwise_forward(
    x: FlexTensor,
    weight: FlexTensor,
    stride: usize,
    pad: Padding2d,
) -> FlexTensor {
    let g = depthwise_geometry(&x, &weight, stride, pad);
    let out = depthwise::forward(&g, &values(&x), &values(&weight));
    tensor(out, [g.batch, g.channels, g.out_h, g.out_w])
}

/// 1 x 1 convolution as a batched matrix product: `[1, out, in] x [batch, in, h * w]`.
fn pointwise_forward(x: FlexTensor, weight: FlexTensor) -> FlexTensor {
    let [batch, channels_in, h, w] = dims4(&x);
    let [channels_out, weight_in, kh, kw] = dims4(&weight);
    assert_eq!(
        (weight_in, kh, kw),
        (channels_in, 1, 1),
        "pointwise_conv2d: weight must be [out, in, 1, 1]"
    );
    let x = Flex::float_reshape(x, Shape::new([batch, channels_in, h * w]));
    let weight = Flex::float_reshape(weight, Shape::new([1, channels_out, channels_in]));
    let out = Flex::float_matmul(weight, x);
    Flex::float_reshape(out, Shape::new([batch, channels_out, h, w]))
}

/// Gradients of the 1 x 1 convolution, for `x` and `weight` as asked.
fn pointwise_backward(
    x: FlexTensor,
    weight: FlexTensor,
    grad: FlexTensor,
    want: [bool; 2],
) -> [Option<FlexTensor>; 2] {
    let [batch, channels_in, h, w] = dims4(&x);
    let [channels_out, ..] = dims4(&weight);
    let hw = h * w;
    let grad = Flex::float_reshape(grad, Shape::new([batch, channels_out, hw]));
    let grad_x = want[0].then(|| {
        // dx[n] = W^T dy[n]: the transposed weight is a strided view, which gemm reads as is.
        let weight_t = Flex::float_swap_dims(
            Flex::float_reshape(weight.clone(), Shape::new([1, channels_out, channels_in])),
            1,
            2,
        );
        let dx = Flex::float_matmul(weight_t, grad.clone());
        Flex::float_reshape(dx, Shape::new([batch, channels_in, h, w]))
    });
    let grad_weight = want[1].then(|| {
        let x = Flex::float_reshape(x, Shape::new([batch, channels_in, hw]));
        // dW = sum over n of dy[n] x[n]^T. Either one product per sample and a sum over the
        // batch (a [batch, out, in] temporary), or one product of the batch laid side by side
        // ([out, batch * hw] x [batch * hw, in], two transposed copies): whichever moves less.
        let per_sample = batch * channels_out * channels_in;
        let side_by_side = batch * hw * (channels_out + channels_in);
        let dw = if per_sample <= side_by_side {
            let products = Flex::float_matmul(grad, Flex::float_swap_dims(x, 1, 2));
            Flex::float_sum_dim(products, 0)
        } else {
            let grad = Flex::float_reshape(
                Flex::float_swap_dims(grad, 0, 1).to_contiguous(),
                Shape::new([channels_out, batch * hw]),
            );
            let x = Flex::float_reshape(
                Flex::float_swap_dims(x, 0, 1).to_contiguous(),
                Shape::new([channels_in, batch * hw]),
            );
            Flex::float_matmul(grad, Flex::float_swap_dims(x, 0, 1))
        };
        Flex::float_reshape(dw, Shape::new([channels_out, channels_in, 1, 1]))
    });
    [grad_x, grad_weight]
}

impl MobileConvBackend for Flex {
    fn depthwise_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        stride: usize,
        pad_top: usize,
        pad_bottom: usize,
        pad_left: usize,
        pad_right: usize,
    ) -> FloatTensor<Self> {
        depthwise_forward(
            x,
            weight,
            stride,
            ((pad_top, pad_bottom), (pad_left, pad_right)),
        )
    }

    fn pointwise_conv2d(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self> {
        pointwise_forward(x, weight)
    }
}

/// Backward step of the depthwise convolution; its state is the forward pass's inputs.
#[derive(Debug)]
struct DepthwiseBackward;

impl Backward<Flex, 2> for DepthwiseBackward {
    type State = (FlexTensor, FlexTensor, usize, Padding2d);

    fn backward(
        self,
        ops: Ops<Self::State, 2>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let [node_x, node_weight] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        let (x, weight, stride, pad) = ops.state;
        let g = depthwise_geometry(&x, &weight, stride, pad);
        let grad = values(&grad);
        if let Some(node) = node_x {
            let dx = depthwise::input_grad(&g, &grad, &values(&weight));
            grads.register::<Flex>(node.id, tensor(dx, [g.batch, g.channels, g.in_h, g.in_w]));
        }
        if let Some(node) = node_weight {
            let dw = depthwise::weight_grad(&g, &values(&x), &grad);
            grads.register::<Flex>(node.id, tensor(dw, [g.channels, 1, g.kernel, g.kernel]));
        }
    }
}

/// Backward step of the 1 x 1 convolution.
#[derive(Debug)]
struct PointwiseBackward;

impl Backward<Flex, 2> for PointwiseBackward {
    type State = (FlexTensor, FlexTensor);

    fn backward(
        self,
        ops: Ops<Self::State, 2>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let grad = grads.consume::<Flex>(&ops.node);
        let want = ops.parents.each_ref().map(Option::is_some);
        let (x, weight) = ops.state;
        let computed = pointwise_backward(x, weight, grad, want);
        register_gradients(grads, ops.parents.map(|n| n.map(|n| n.id)), computed);
    }
}

impl<C: CheckpointStrategy> MobileConvBackend for Autodiff<Flex, C> {
    fn depthwise_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        stride: usize,
        pad_top: usize,
        pad_bottom: usize,
        pad_left: usize,
        pad_right: usize,
    ) -> FloatTensor<Self> {
        let pad = ((pad_top, pad_bottom), (pad_left, pad_right));
        match DepthwiseBackward
            .prepare::<C>([x.node(), weight.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (x, weight) = (x.primitive().clone(), weight.primitive().clone());
                let out = depthwise_forward(x.clone(), weight.clone(), stride, pad);
                prep.finish((x, weight, stride, pad), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(depthwise_forward(
                x.into_primitive(),
                weight.into_primitive(),
                stride,
                pad,
            )),
        }
    }

    fn pointwise_conv2d(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self> {
        match PointwiseBackward
            .prepare::<C>([x.node(), weight.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (x, weight) = (x.primitive().clone(), weight.primitive().clone());
                let out = pointwise_forward(x.clone(), weight.clone());
                prep.finish((x, weight), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(pointwise_forward(
                x.into_primitive(),
                weight.into_primitive(),
            )),
        }
    }
}
