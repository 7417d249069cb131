//! `arnet_model::cpu_transformer` (the CPU backend's own GELU and attention, forward and
//! backward) against Burn's `gelu` and `attention` and their autodiff, on random data: the
//! shapes the ViT and DINOv2 backbones use, queries and keys of different lengths, inputs that
//! are strided views of a fused `qkv` tensor (as in the ViT), large scores (softmax overflow
//! guard), and gradients asked for only some inputs. PyTorch's outputs for whole ViT and
//! DINOv2 backbones are checked in `vit.rs` and `dinov2.rs`.

use arnet_model::Backend;
use arnet_model::burn::tensor::activation;
use arnet_model::burn::tensor::module::attention as burn_attention;
use arnet_model::burn::tensor::ops::AttentionModuleOptions;
use arnet_model::burn::tensor::{DType, Device, Distribution, FloatDType, Tensor, TensorData};
use arnet_model::cpu_transformer::{attention, gelu};
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
