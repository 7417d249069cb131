//! Parity of the optional patch-token BatchNorm with PyTorch (`parity-c`, written by
//! `fixtures/make_patch_norm_fixture.py`): inference with running statistics, training mode
//! with batch statistics and gradients through them, the calibrated statistics, and the
//! configuration read back from tensor names alone.

use arnet_model::burn::tensor::{Device, Tensor};
use arnet_model::params::collect_grads;
use arnet_model::weights::{self, WeightFile};
use arnet_model::{ArnetEncoder, Backend, EncoderRole};
use arnet_tests::{FixtureTensor, assert_close, fixture, read_tensor, scratch_dir, values};

const SET: &str = "parity-c";
const HEADS: Option<usize> = Some(3);
const TOLERANCE: f32 = 1e-4;

fn expected(key: &str) -> FixtureTensor {
    read_tensor(&fixture(SET, "expected.safetensors"), key)
}

fn load(device: &Device) -> ArnetEncoder {
    weights::load_encoder(
        &fixture(SET, "encoder.safetensors"),
        EncoderRole::Sketch,
        HEADS,
        device,
    )
    .unwrap()
}

#[test]
fn inference_uses_the_running_statistics() {
    let device = Backend::Cpu.device().unwrap();
    let encoder = load(&device);
    assert!(encoder.has_patch_norm(), "norm found from tensor names");
    assert!(encoder.config().backbone.vit().unwrap().patch_norm);
    let tokens = encoder
        .encoder
        .vit()
        .unwrap()
        .forward(expected("input").to_tensor::<4>(&device));
    assert_close(
        &values(tokens),
        &expected("eval.tokens").data,
        TOLERANCE,
        "eval tokens",
    );
}

#[test]
fn training_uses_batch_statistics_and_back_propagates_through_them() {
    let device = Backend::Cpu.device().unwrap().autodiff();
    let mut encoder = load(&device);
    let tokens = encoder
        .encoder
        .vit()
        .unwrap()
        .forward(expected("input").to_tensor::<4>(&device));
    assert_close(
        &values(tokens.clone()),
        &expected("train.tokens").data,
        TOLERANCE,
        "train tokens",
    );
    let probe: Tensor<3> = expected("probe").to_tensor(&device);
    let grads = (tokens * probe).sum().backward();
    let ours = collect_grads(&mut encoder, &grads);
    for name in [
        "patch_embed.proj.weight",
        "patch_embed.norm.weight",
        "patch_embed.norm.bias",
        "blocks.0.attn.qkv.weight",
    ] {
        let grad = ours
            .iter()
            .find(|(n, _)| n == &format!("encoder.{name}"))
            .and_then(|(_, g)| g.clone())
            .unwrap_or_else(|| panic!("no gradient for {name}"));
        let reference = expected(&format!("train.grad.{name}"));
        let scale = reference.data.iter().fold(1.0f32, |m, v| m.max(v.abs()));
        assert_close(&grad.data, &reference.data, 1e-4 * scale, name);
    }
    // The running statistics are never trained.
    for name in ["running_mean", "running_var"] {
        let (_, grad) = ours
            .iter()
            .find(|(n, _)| n == &format!("encoder.patch_embed.norm.{name}"))
            .unwrap();
        assert!(grad.is_none(), "{name} got a gradient");
    }
}

#[test]
fn calibration_stores_the_population_statistics_and_they_survive_a_save() {
    let device = Backend::Cpu.device().unwrap();
    let mut encoder = load(&device);
    let input: Tensor<4> = expected("input").to_tensor(&device);
    // Two uneven batches: the statistics are of all tokens, not an average of batch means.
    encoder.calibrate_patch_norm([input.clone().narrow(0, 0, 1), input.narrow(0, 1, 3)]);
    let norm = encoder
        .encoder
        .vit()
        .unwrap()
        .patch_embed
        .norm
        .as_ref()
        .unwrap();
    assert_close(
        &values(norm.running_mean.val()),
        &expected("calib.mean").data,
        1e-5,
        "mean",
    );
    assert_close(
        &values(norm.running_var.val()),
        &expected("calib.var").data,
        1e-5,
        "variance",
    );

    let dir = scratch_dir("patch-norm-save");
    let path = dir.join("encoder.safetensors");
    weights::save_encoder(&mut encoder, &path).unwrap();
    let file = WeightFile::read(&path).unwrap();
    let reloaded = file
        .state_dict(EncoderRole::Sketch)
        .unwrap()
        .load_encoder(None, &device)
        .unwrap();
    let norm = reloaded
        .encoder
        .vit()
        .unwrap()
        .patch_embed
        .norm
        .as_ref()
        .unwrap();
    assert_close(
        &values(norm.running_var.val()),
        &expected("calib.var").data,
        1e-6,
        "reloaded variance",
    );
}
