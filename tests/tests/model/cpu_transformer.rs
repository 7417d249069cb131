//! `arnet_model::cpu_transformer` (the CPU backend's own GELU and attention, forward and
//! backward) against Burn's `gelu` and `attention` and their autodiff, on random data: the
//! shapes the ViT and DINOv2 backbones use, queries and keys of different lengths, inputs that
//! are strided views of a fused `qkv` tensor (as in the ViT), large scores (softmax overflow
//! guard), and gradients asked for only some inputs; the inference kernels (`linear`,
//! `self_attention` over a fused projection) against Burn's `Linear` and attention. PyTorch's
//! outputs for whole ViT and DINOv2 backbones are checked in `parity_a.rs`, `parity_b.rs` and
//! `dinov2.rs`.

use arnet_model::Backend;
use arnet_model::burn::module::Param;
use arnet_model::burn::nn::{Linear, LinearConfig, LinearLayout};
use arnet_model::burn::tensor::activation;
use arnet_model::burn::tensor::module::attention as burn_attention;
use arnet_model::burn::tensor::ops::AttentionModuleOptions;
use arnet_model::burn::tensor::{DType, Device, Distribution, FloatDType, Tensor, TensorData};
use arnet_model::cpu_transformer::{attention, gelu, linear, self_attention};
use arnet_tests::{assert_close, values};

fn cpu_autodiff() -> Device {
    let device = Backend::Cpu.device().unwrap().autodiff();
    device.seed(11);
    device
}

fn normal<const D: usize>(dims: [usize; D], std: f64, device: &Device) -> Tensor<D> {
    Tensor::random(dims, Distribution::Normal(0.0, std), device)
}

/// GELU's output and input gradient (of `sum(gelu(x) * r)`), ours or Burn's.
fn gelu_pass(x: &Tensor<3>, r: &Tensor<3>, ours: bool) -> (Vec<f32>, Vec<f32>) {
    let x = x.clone().require_grad();
    let y = if ours {
        gelu(x.clone())
    } else {
        activation::gelu(x.clone())
    };
    let grads = (y.clone() * r.clone()).sum().backward();
    (values(y), values(x.grad(&grads).expect("input gradient")))
}

#[test]
fn gelu_matches_burns_and_its_gradient() {
    let device = cpu_autodiff();
    // An even sweep over [-10, 10] (both tails, where erf saturates, and zero), and a tensor
    // large enough to be split over several tasks.
    let sweep: Vec<f32> = (0..4001).map(|i| -10.0 + i as f32 * 0.005).collect();
    let sweep = Tensor::<3>::from_data(TensorData::new(sweep, [1, 1, 4001]), &device);
    for (what, x) in [
        ("sweep", sweep),
        ("normal, 3 x 100 x 300", normal([3, 100, 300], 3.0, &device)),
    ] {
        let r = normal(x.dims(), 1.0, &device);
        let (ours_y, ours_dx) = gelu_pass(&x, &r, true);
        let (burn_y, burn_dx) = gelu_pass(&x, &r, false);
        assert_close(&ours_y, &burn_y, 2e-6, &format!("gelu {what}: output"));
        assert_close(&ours_dx, &burn_dx, 2e-6, &format!("gelu {what}: gradient"));
    }
}

/// Attention's output and the gradients of `sum(out * r)` for the inputs that require one.
struct AttentionPass {
    output: Vec<f32>,
    grads: Vec<Option<Vec<f32>>>,
}

fn attention_pass(
    [q, k, v]: [Tensor<4>; 3],
    track: [bool; 3],
    r: &Tensor<4>,
    ours: bool,
) -> AttentionPass {
    let inputs = [q, k, v].map(|t| t.detach());
    let inputs: Vec<Tensor<4>> = inputs
        .into_iter()
        .zip(track)
        .map(|(t, tracked)| if tracked { t.require_grad() } else { t })
        .collect();
    let [q, k, v] = [0, 1, 2].map(|i| inputs[i].clone());
    let out = if ours {
        attention(q, k, v)
    } else {
        burn_attention(q, k, v, None, None, AttentionModuleOptions::default())
    };
    let grads = (out.clone() * r.clone()).sum().backward();
    AttentionPass {
        output: values(out),
        grads: inputs
            .iter()
            .zip(track)
            .map(|(t, tracked)| tracked.then(|| values(t.grad(&grads).expect("gradient"))))
            .collect(),
    }
}

#[track_caller]
fn check_attention(inputs: [Tensor<4>; 3], track: [bool; 3], what: &str) {
    let [b, h, n_q, _] = inputs[0].dims();
    let d_v = inputs[2].dims()[3];
    let r = normal([b, h, n_q, d_v], 1.0, &inputs[0].device());
    let ours = attention_pass(inputs.clone(), track, &r, true);
    let burn = attention_pass(inputs, track, &r, false);
    assert_close(&ours.output, &burn.output, 2e-5, &format!("{what}: output"));
    for (name, (ours, burn)) in ["q", "k", "v"]
        .iter()
        .zip(ours.grads.iter().zip(&burn.grads))
    {
        match (ours, burn) {
            (Some(ours), Some(burn)) => {
                let scale = burn.iter().fold(1.0f32, |m, v| m.max(v.abs()));
                assert_close(
                    ours,
                    burn,
                    5e-5 * scale,
                    &format!("{what}: gradient of {name}"),
                );
            }
            (None, None) => {}
            _ => panic!("{what}: gradient of {name} present on one side only"),
        }
    }
}

#[test]
fn attention_matches_burns_and_its_gradients() {
    let device = cpu_autodiff();
    for (dims_q, n_k, std) in [
        ([2, 3, 5, 4], 5, 1.0),
        ([2, 6, 65, 64], 65, 1.0), // DINOv2 ViT-S/14 at 112 px: 64 patches and the class token
        ([1, 3, 197, 64], 197, 1.0), // ViT-Ti/16 at 224 px
        ([2, 2, 3, 16], 9, 1.0),   // fewer queries than keys
        ([1, 1, 1, 8], 1, 1.0),    // one token
        ([2, 2, 7, 16], 7, 20.0),  // scores in the hundreds: exp would overflow unguarded
    ] {
        let [b, h, _, d] = dims_q;
        let q = normal(dims_q, std, &device);
        let k = normal([b, h, n_k, d], std, &device);
        let v = normal([b, h, n_k, d], 1.0, &device);
        check_attention(
            [q, k, v],
            [true; 3],
            &format!("attention {dims_q:?} keys {n_k}"),
        );
    }
}

/// q, k and v as the ViT makes them: strided views into one `[batch, tokens, 3 * dim]` tensor,
/// so that their gradients also flow back into that one tensor.
#[test]
fn attention_on_views_of_a_fused_projection_matches_burn() {
    let device = cpu_autodiff();
    let (batch, seq, heads, head_dim) = (2, 10, 3, 8);
    let dim = heads * head_dim;
    let qkv = normal([batch, seq, 3 * dim], 1.0, &device);
    let r = normal([batch, heads, seq, head_dim], 1.0, &device);
    let run = |ours: bool| {
        let qkv = qkv.clone().require_grad();
        let head = |i: usize| {
            qkv.clone()
                .narrow(2, i * dim, dim)
                .reshape([batch, seq, heads, head_dim])
                .swap_dims(1, 2)
        };
        let out = if ours {
            attention(head(0), head(1), head(2))
        } else {
            burn_attention(
                head(0),
                head(1),
                head(2),
                None,
                None,
                AttentionModuleOptions::default(),
            )
        };
        let grads = (out.clone() * r.clone()).sum().backward();
        (values(out), values(qkv.grad(&grads).expect("qkv gradient")))
    };
    let (ours_out, ours_grad) = run(true);
    let (burn_out, burn_grad) = run(false);
    assert_close(&ours_out, &burn_out, 2e-5, "fused qkv: output");
    assert_close(&ours_grad, &burn_grad, 5e-5, "fused qkv: gradient");
}

#[test]
fn attention_gradients_for_some_inputs_only() {
    let device = cpu_autodiff();
    let q = normal([2, 2, 6, 8], 1.0, &device);
    let k = normal([2, 2, 6, 8], 1.0, &device);
    let v = normal([2, 2, 6, 8], 1.0, &device);
    for track in [
        [true, false, false],
        [false, true, false],
        [false, false, true],
        [true, false, true],
    ] {
        check_attention(
            [q.clone(), k.clone(), v.clone()],
            track,
            &format!("tracked {track:?}"),
        );
    }
}

/// Without autodiff (inference) GELU's kernel runs too and gives Burn's output (attention is
/// then burn-flex's own).
#[test]
fn inference_without_autodiff_matches_burn() {
    let device = Backend::Cpu.device().unwrap();
    let q = normal([2, 3, 17, 16], 1.0, &device);
    let k = normal([2, 3, 17, 16], 1.0, &device);
    let v = normal([2, 3, 17, 16], 1.0, &device);
    let burn = burn_attention(
        q.clone(),
        k.clone(),
        v.clone(),
        None,
        None,
        AttentionModuleOptions::default(),
    );
    assert_close(
        &values(attention(q, k, v)),
        &values(burn),
        2e-5,
        "attention",
    );
    let x = normal([4, 9, 33], 2.0, &device);
    assert_close(
        &values(gelu(x.clone())),
        &values(activation::gelu(x)),
        2e-6,
        "gelu",
    );
}

/// bf16 tensors (mixed-precision training) go through Burn's operations and give their result.
#[test]
fn half_precision_goes_through_burns_operations() {
    let device = cpu_autodiff();
    let half = |t: Tensor<4>| t.cast(FloatDType::BF16);
    let [q, k, v] = [0; 3].map(|_| half(normal([1, 2, 5, 8], 1.0, &device)));
    let ours = attention(q.clone(), k.clone(), v.clone());
    assert_eq!(ours.dtype(), DType::BF16);
    let burn = burn_attention(q, k, v, None, None, AttentionModuleOptions::default());
    assert_close(
        &values(ours.cast(FloatDType::F32)),
        &values(burn.cast(FloatDType::F32)),
        0.0,
        "bf16 attention",
    );
    let x = half(normal([1, 2, 5, 8], 1.0, &device));
    let ours = gelu(x.clone());
    assert_eq!(ours.dtype(), DType::BF16);
    assert_close(
        &values(ours.cast(FloatDType::F32)),
        &values(activation::gelu(x).cast(FloatDType::F32)),
        0.0,
        "bf16 gelu",
    );
}

/// Burn's attention over the three parts of a fused `qkv` `[batch, tokens, 3 * width]`, back
/// in `[batch, tokens, width]`: the reference for `self_attention`.
fn burn_self_attention(qkv: Tensor<3>, heads: usize) -> Tensor<3> {
    let [batch, tokens, fused] = qkv.dims();
    let width = fused / 3;
    let part = |i: usize| {
        qkv.clone()
            .narrow(2, i * width, width)
            .reshape([batch, tokens, heads, width / heads])
            .swap_dims(1, 2)
    };
    burn_attention(
        part(0),
        part(1),
        part(2),
        None,
        None,
        AttentionModuleOptions::default(),
    )
    .swap_dims(1, 2)
    .reshape([batch, tokens, width])
}

/// The inference kernel (no autodiff) gives Burn's attention: DINOv2 ViT-S/14 at 224 px (257
/// tokens, a length no kernel tile divides), batch 1 and several images, one head, a single
/// token, and scores in the hundreds (the softmax's overflow guard).
#[test]
fn fused_self_attention_matches_burn() {
    let device = Backend::Cpu.device().unwrap();
    device.seed(5);
    for (batch, tokens, heads, head_dim, std) in [
        (1, 257, 6, 64, 1.0),
        (3, 50, 3, 8, 1.0),
        (2, 17, 1, 5, 1.0),
        (2, 1, 2, 4, 1.0),
        (2, 9, 2, 16, 6.0),
    ] {
        let qkv = normal([batch, tokens, 3 * heads * head_dim], std, &device);
        let ours = self_attention(qkv.clone(), heads);
        assert_eq!(ours.dims(), [batch, tokens, heads * head_dim]);
        assert_close(
            &values(ours),
            &values(burn_self_attention(qkv, heads)),
            2e-5,
            &format!("self-attention {batch} x {tokens}, {heads} heads of {head_dim}"),
        );
    }
}

/// Under autodiff `self_attention` is Burn's composite with our attention, so the gradient of
/// the fused projection reaches it as with Burn's.
#[test]
fn self_attention_under_autodiff_keeps_its_gradient() {
    let device = cpu_autodiff();
    let qkv = normal([2, 11, 3 * 12], 1.0, &device);
    let r = normal([2, 11, 12], 1.0, &device);
    let run = |ours: bool| {
        let qkv = qkv.clone().require_grad();
        let out = if ours {
            self_attention(qkv.clone(), 3)
        } else {
            burn_self_attention(qkv.clone(), 3)
        };
        let grads = (out.clone() * r.clone()).sum().backward();
        (values(out), values(qkv.grad(&grads).expect("qkv gradient")))
    };
    let (ours_out, ours_grad) = run(true);
    let (burn_out, burn_grad) = run(false);
    assert_close(
        &ours_out,
        &burn_out,
        2e-5,
        "autodiff self-attention: output",
    );
    assert_close(
        &ours_grad,
        &burn_grad,
        5e-5,
        "autodiff self-attention: gradient",
    );
}

/// `linear` gives `Linear::forward`'s output for weights stored `[in, out]` and as a
/// transposed view of `[out, in]` (how PyTorch checkpoints load), 2-D and 3-D inputs, a row
/// count no tile divides, and a layer without bias.
#[test]
fn linear_matches_burns_linear() {
    let device = Backend::Cpu.device().unwrap();
    device.seed(9);
    let layer = |d_in: usize, d_out: usize, layout: LinearLayout, bias: bool| -> Linear {
        LinearConfig::new(d_in, d_out)
            .with_layout(layout)
            .with_bias(bias)
            .init(&device)
    };
    for (what, layer) in [
        ("row layout", layer(384, 1152, LinearLayout::Row, true)),
        ("column layout", layer(64, 48, LinearLayout::Col, true)),
        ("no bias", layer(32, 16, LinearLayout::Row, false)),
    ] {
        let [d_in, _] = layer.weight.dims();
        let x3 = normal([3, 257, d_in], 1.0, &device);
        let x2 = normal([7, d_in], 1.0, &device);
        assert_close(
            &values(linear(&layer, x3.clone())),
            &values(layer.forward(x3)),
            2e-5,
            &format!("linear, {what}, 3-D"),
        );
        assert_close(
            &values(linear(&layer, x2.clone())),
            &values(layer.forward(x2)),
            2e-5,
            &format!("linear, {what}, 2-D"),
        );
    }
    // A weight that is a view into a larger tensor (offset and row stride both not its own).
    let big = normal([10, 40], 1.0, &device);
    let view = Linear {
        weight: Param::from_tensor(big.narrow(0, 2, 6).narrow(1, 5, 20)),
        bias: Some(Param::from_tensor(normal([20], 1.0, &device))),
    };
    let x = normal([2, 5, 6], 1.0, &device);
    assert_close(
        &values(linear(&view, x.clone())),
        &values(view.forward(x)),
        2e-5,
        "linear, weight viewed inside a larger tensor",
    );
}
