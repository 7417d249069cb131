//! `arnet_model::cpu_conv` (the CPU backend's own depthwise and 1 x 1 convolutions, forward
//! and backward) against Burn's generic `conv2d` and its autodiff, on random data, over the
//! geometries EfficientNet uses and a few it does not: kernels 3 and 5, strides 1 and 2,
//! "same" padding at even and odd sides (asymmetric on stride 2), valid and explicit padding,
//! planes from 1 x 1 up, batches above one. PyTorch's gradients for a whole network are in
//! `efficientnet.rs`; this covers the shapes one by one.

use arnet_model::Backend;
use arnet_model::burn::nn::PaddingConfig2d;
use arnet_model::burn::nn::conv::{Conv2d, Conv2dConfig};
use arnet_model::burn::tensor::{Device, Distribution, FloatDType, Tensor};
use arnet_model::cpu_conv::{depthwise_conv2d, pointwise_conv2d};
use arnet_tests::{assert_close, values};

/// A convolution with random weights on `device`.
fn conv(
    channels: [usize; 2],
    kernel: usize,
    stride: usize,
    groups: usize,
    padding: PaddingConfig2d,
    device: &Device,
) -> Conv2d {
    Conv2dConfig::new(channels, [kernel, kernel])
        .with_stride([stride, stride])
        .with_groups(groups)
        .with_padding(padding)
        .with_bias(false)
        .init(device)
}

/// What a convolution gives: its output, and the gradients of `sum(output * r)` for a fixed
/// random `r` with respect to the input and the weight.
struct Pass {
    output: Vec<f32>,
    input_grad: Vec<f32>,
    weight_grad: Vec<f32>,
}

fn pass(
    conv: &Conv2d,
    x: &Tensor<4>,
    r: &Tensor<4>,
    ours: bool,
    f: fn(&Conv2d, Tensor<4>) -> Tensor<4>,
) -> Pass {
    let x = x.clone().require_grad();
    let output = if ours {
        f(conv, x.clone())
    } else {
        conv.forward(x.clone())
    };
    let grads = (output.clone() * r.clone()).sum().backward();
    let weight = conv.weight.val();
    Pass {
        output: values(output),
        input_grad: values(x.grad(&grads).expect("input gradient")),
        weight_grad: values(weight.grad(&grads).expect("weight gradient")),
    }
}

/// Checks `f` against `Conv2d::forward` for one convolution and input shape.
#[track_caller]
fn check(conv: &Conv2d, input: [usize; 4], f: fn(&Conv2d, Tensor<4>) -> Tensor<4>, what: &str) {
    let device = conv.weight.val().device();
    let x = Tensor::<4>::random(input, Distribution::Normal(0.0, 1.0), &device);
    let out_dims = conv.forward(x.clone()).dims();
    let r = Tensor::<4>::random(out_dims, Distribution::Normal(0.0, 1.0), &device);
    let ours = pass(conv, &x, &r, true, f);
    let burn = pass(conv, &x, &r, false, f);
    // Sums of up to a few thousand products of unit-scale values, in another order.
    let tolerance = 2e-4;
    assert_close(
        &ours.output,
        &burn.output,
        tolerance,
        &format!("{what}: output"),
    );
    assert_close(
        &ours.input_grad,
        &burn.input_grad,
        tolerance,
        &format!("{what}: input gradient"),
    );
    let scale = burn.weight_grad.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    assert_close(
        &ours.weight_grad,
        &burn.weight_grad,
        tolerance * scale,
        &format!("{what}: weight gradient"),
    );
}

fn cpu_autodiff() -> Device {
    let device = Backend::Cpu.device().unwrap().autodiff();
    device.seed(7);
    device
}

#[test]
fn depthwise_matches_burns_convolution_and_its_gradients() {
    let device = cpu_autodiff();
    for kernel in [3, 5] {
        for stride in [1, 2] {
            for (side_h, side_w) in [(5, 5), (6, 6), (7, 10), (11, 8), (16, 16), (1, 1), (2, 3)] {
                for padding in [
                    PaddingConfig2d::Same,
                    PaddingConfig2d::Valid,
                    PaddingConfig2d::Explicit(1, 2, 0, 1),
                ] {
                    let fits = |side: usize| match &padding {
                        PaddingConfig2d::Valid => side >= kernel,
                        PaddingConfig2d::Explicit(..) => side + 1 >= kernel,
                        PaddingConfig2d::Same => true,
                    };
                    if !fits(side_h) || !fits(side_w) {
                        continue;
                    }
                    let channels = 3;
                    let c = conv(
                        [channels, channels],
                        kernel,
                        stride,
                        channels,
                        padding.clone(),
                        &device,
                    );
                    check(
                        &c,
                        [2, channels, side_h, side_w],
                        depthwise_conv2d,
                        &format!("depthwise k{kernel} s{stride} {side_h}x{side_w} {padding:?}"),
                    );
                }
            }
        }
    }
}

#[test]
fn pointwise_matches_burns_convolution_and_its_gradients() {
    let device = cpu_autodiff();
    // Both ways of summing the weight gradient over the batch: many channels on a small plane
    // (one product of the batch side by side) and few channels on a large one (per sample).
    for (channels, side, batch) in [
        ([4, 6], 5, 3),
        ([40, 48], 2, 3),
        ([3, 8], 20, 2),
        ([5, 5], 1, 1),
    ] {
        let c = conv(channels, 1, 1, 1, PaddingConfig2d::Valid, &device);
        check(
            &c,
            [batch, channels[0], side, side],
            pointwise_conv2d,
            &format!("pointwise {channels:?} {side}x{side} batch {batch}"),
        );
    }
}

/// Without autodiff (inference) the kernels run too, and give Burn's output.
#[test]
fn inference_without_autodiff_matches_burn() {
    let device = Backend::Cpu.device().unwrap();
    let dw = conv([8, 8], 5, 2, 8, PaddingConfig2d::Same, &device);
    let pw = conv([8, 16], 1, 1, 1, PaddingConfig2d::Valid, &device);
    let x = Tensor::<4>::random([2, 8, 9, 9], Distribution::Normal(0.0, 1.0), &device);
    assert_close(
        &values(depthwise_conv2d(&dw, x.clone())),
        &values(dw.forward(x.clone())),
        2e-4,
        "depthwise",
    );
    assert_close(
        &values(pointwise_conv2d(&pw, x.clone())),
        &values(pw.forward(x)),
        2e-4,
        "pointwise",
    );
}

/// bf16 tensors (mixed-precision training) are not the kernels' to take: they go through
/// Burn's convolution and still give its result.
#[test]
fn half_precision_goes_through_burns_convolution() {
    let device = cpu_autodiff();
    let dw = conv([4, 4], 3, 1, 4, PaddingConfig2d::Same, &device);
    let x = Tensor::<4>::random([1, 4, 6, 6], Distribution::Normal(0.0, 1.0), &device);
    let half = |t: Tensor<4>| t.cast(FloatDType::BF16);
    let weight = half(dw.weight.val()).detach();
    let dw_half = Conv2d {
        weight: arnet_model::burn::module::Param::from_tensor(weight),
        ..dw.clone()
    };
    let ours = depthwise_conv2d(&dw_half, half(x.clone()));
    assert_eq!(ours.dtype(), arnet_model::burn::tensor::DType::BF16);
    assert_close(
        &values(ours.cast(FloatDType::F32)),
        &values(dw_half.forward(half(x)).cast(FloatDType::F32)),
        0.0,
        "bf16",
    );
}
