//! GELU and scaled dot-product attention as a Burn backend extension: forward passes on
//! burn-flex and backward passes of our own under autodiff (the pattern of
//! [`crate::cpu_conv::extension`]).
//!
//! Attention keeps the softmax probabilities `p` [batch, heads, n_q, n_k] from the forward
//! pass, as Burn's composite does, and computes the four gradient products with burn-flex's
//! batched matrix product:
//! `dv = p^T do`, `dp = do v^T`, `ds = scale * p * (dp - rowsum(dp * p))`, `dq = ds k`,
//! `dk = ds^T q`.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Flex, backend_extension};
use burn::tensor::{Shape, TensorData};

use super::kernels;
use crate::flex_kernels::{register_gradients, values};

/// Transformer operations with CPU kernels of their own (see the module docs).
#[backend_extension(Flex, Autodiff)]
pub trait TransformerBackend: Backend {
    /// Exact (erf) GELU of every element.
    fn gelu(x: FloatTensor<Self>) -> FloatTensor<Self>;

    /// `softmax(q k^T / sqrt(head_dim)) v` for `q` `[batch, heads, n_q, head_dim]`, `k` and
    /// `v` `[batch, heads, n_k, head_dim]`; no mask, no bias.
    fn attention(
        q: FloatTensor<Self>,
        k: FloatTensor<Self>,
        v: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

fn shape_of(tensor: &FlexTensor) -> Shape {
    tensor.layout().shape().clone()
}

/// A tensor whose buffer holds exactly its values in row-major order and is not shared, so
/// that a kernel can overwrite it in place (a fresh matrix product already is one).
fn exclusive(tensor: FlexTensor) -> FlexTensor {
    let exact = tensor
        .as_slice::<f32>()
        .is_some_and(|slice| slice.len() == tensor.storage::<f32>().len());
    if exact && tensor.is_unique() {
        tensor
    } else {
        let shape = shape_of(&tensor);
        FlexTensor::from_data(TensorData::new(values(&tensor).into_owned(), shape))
    }
}

fn gelu_forward(x: FlexTensor) -> FlexTensor {
    let shape = shape_of(&x);
    FlexTensor::from_data(TensorData::new(kernels::gelu_forward(&values(&x)), shape))
}

/// `1 / sqrt(head_dim)`, Burn's and PyTorch's default attention scale.
fn attention_scale(q: &FlexTensor) -> f32 {
    let head_dim = q.layout().shape().dims::<4>()[3];
    1.0 / (head_dim as f32).sqrt()
}

/// The attention output and the softmax probabilities it was made with.
fn attention_forward(q: FlexTensor, k: FlexTensor, v: FlexTensor) -> (FlexTensor, FlexTensor) {
    let [_, _, q_len, _] = q.layout().shape().dims::<4>();
    let [_, _, k_len, _] = k.layout().shape().dims::<4>();
    assert!(q_len > 0 && k_len > 0, "attention: empty sequence");
    let scale = attention_scale(&q);
    let mut p = exclusive(Flex::float_matmul(q, Flex::float_swap_dims(k, 2, 3)));
    kernels::softmax_rows(p.storage_mut::<f32>(), k_len, scale);
    let out = Flex::float_matmul(p.clone(), v);
    (out, p)
}

/// Gradients of `q`, `k` and `v` (those asked for) from the output gradient `grad_out`.
fn attention_backward(
    (q, k, v, p): (FlexTensor, FlexTensor, FlexTensor, FlexTensor),
    grad_out: FlexTensor,
    want: [bool; 3],
) -> [Option<FlexTensor>; 3] {
    let k_len = k.layout().shape().dims::<4>()[2];
    let scale = attention_scale(&q);
    let grad_v = want[2]
        .then(|| Flex::float_matmul(Flex::float_swap_dims(p.clone(), 2, 3), grad_out.clone()));
    if !want[0] && !want[1] {
        return [None, None, grad_v];
    }
    let mut grad_scores = exclusive(Flex::float_matmul(grad_out, Flex::float_swap_dims(v, 2, 3)));
    kernels::softmax_rows_backward(&values(&p), grad_scores.storage_mut::<f32>(), k_len, scale);
    let grad_q = want[0].then(|| Flex::float_matmul(grad_scores.clone(), k));
    let grad_k = want[1].then(|| Flex::float_matmul(Flex::float_swap_dims(grad_scores, 2, 3), q));
    [grad_q, grad_k, grad_v]
}

impl TransformerBackend for Flex {
    fn gelu(x: FloatTensor<Self>) -> FloatTensor<Self> {
        gelu_forward(x)
    }

    fn attention(
        q: FloatTensor<Self>,
        k: FloatTensor<Self>,
        v: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        attention_forward(q, k, v).0
    }
}

/// Backward step of GELU; its state is the input.
#[derive(Debug)]
struct GeluBackward;

impl Backward<Flex, 1> for GeluBackward {
    type State = FlexTensor;

    fn backward(
        self,
        ops: Ops<Self::State, 1>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let [node] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        if let Some(node) = node {
            let x = ops.state;
            let dx = kernels::gelu_backward(&values(&x), &values(&grad));
            grads.register::<Flex>(
                node.id,
                FlexTensor::from_data(TensorData::new(dx, shape_of(&x))),
            );
        }
    }
}

/// Backward step of attention; its state is `(q, k, v, p)`.
#[derive(Debug)]
struct AttentionBackward;

impl Backward<Flex, 3> for AttentionBackward {
    type State = (FlexTensor, FlexTensor, FlexTensor, FlexTensor);

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let grad = grads.consume::<Flex>(&ops.node);
        let want = ops.parents.each_ref().map(Option::is_some);
        let computed = attention_backward(ops.state, grad, want);
        register_gradients(grads, ops.parents.map(|n| n.map(|n| n.id)), computed);
    }
}

impl<C: CheckpointStrategy> TransformerBackend for Autodiff<Flex, C> {
    fn gelu(x: FloatTensor<Self>) -> FloatTensor<Self> {
        match GeluBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let x = x.primitive().clone();
                let out = gelu_forward(x.clone());
                prep.finish(x, out)
            }
            OpsKind::UnTracked(prep) => prep.finish(gelu_forward(x.into_primitive())),
        }
    }

    fn attention(
        q: FloatTensor<Self>,
        k: FloatTensor<Self>,
        v: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        match AttentionBackward
            .prepare::<C>([q.node(), k.node(), v.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (q, k, v) = (
                    q.primitive().clone(),
                    k.primitive().clone(),
                    v.primitive().clone(),
                );
                let (out, p) = attention_forward(q.clone(), k.clone(), v.clone());
                prep.finish((q, k, v, p), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(
                attention_forward(q.into_primitive(), k.into_primitive(), v.into_primitive()).0,
            ),
        }
    }
}
