//! Mixed precision (`arnet_model::precision`): a bf16 forward pass gives the f32 losses and
//! gradients to bf16's accuracy, and the gradients arrive in f32 on the f32 weights.

use arnet_model::burn::tensor::{DType, Device, Distribution, Tensor};
use arnet_model::loss::{ArnetLoss, FourViews, TEMPERATURE};
use arnet_model::params::collect_grads;
use arnet_model::precision;
use arnet_model::{ArnetEncoderConfig, ArnetPair, Backend, MstrConfig, VitConfig};
use arnet_tests::values;

/// A small Full model with the patch norm, so every kind of layer runs in bf16. No dropout:
/// both passes must see the same network.
fn config() -> ArnetEncoderConfig {
    ArnetEncoderConfig::new(VitConfig::custom(224, 16, 32, 1, 2).with_patch_norm(true)).with_mstr(
        Some(MstrConfig::new().with_feedforward_dim(64).with_dropout(0.0)),
    )
}

fn images(batch: usize, device: &Device) -> Tensor<4> {
    Tensor::random(
        [batch, 3, 224, 224],
        Distribution::Uniform(-2.0, 2.0),
        device,
    )
}

/// The ARNet Full loss of `pair` on one batch, its encoders run in bf16 when `mixed`.
fn loss(pair: &ArnetPair, sketches: &Tensor<4>, photos: &Tensor<4>, mixed: bool) -> ArnetLoss {
    let views = if mixed {
        let copy = precision::compute_copy(pair);
        FourViews {
            sketch: precision::forward(&copy.sketch, sketches.clone()),
            sketch_augmented: precision::forward(&copy.sketch, sketches.clone().flip([3])),
            photo: precision::forward(&copy.photo, photos.clone()),
            photo_augmented: precision::forward(&copy.photo, photos.clone().flip([3])),
        }
    } else {
        FourViews::compute(
            pair,
            sketches.clone(),
            sketches.clone().flip([3]),
            photos.clone(),
            photos.clone().flip([3]),
        )
    };
    ArnetLoss::compute(pair, &views, TEMPERATURE)
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (norm(a) * norm(b))
}

#[test]
fn a_bf16_forward_gives_the_f32_loss_and_gradients_to_bf16_accuracy() {
    let device = Backend::Cpu.device().unwrap().autodiff();
    assert!(precision::supported(&device));
    device.seed(7);
    let mut pair = ArnetPair::init(&config(), &device).unwrap();
    let (sketches, photos) = (images(4, &device), images(4, &device));

    let copy = precision::compute_copy(&pair);
    assert_eq!(copy.sketch.mlp_head.weight.val().dtype(), DType::BF16);
    assert_eq!(pair.sketch.mlp_head.weight.val().dtype(), DType::F32);
    let full = loss(&pair, &sketches, &photos, false);
    let mixed = loss(&pair, &sketches, &photos, true);
    assert_eq!(
        mixed.total.dtype(),
        DType::F32,
        "the losses are computed in f32"
    );
    let (full_total, mixed_total) = (
        values(full.total.clone())[0],
        values(mixed.total.clone())[0],
    );
    eprintln!("loss: f32 {full_total}, bf16 forward {mixed_total}");
    assert_ne!(
        mixed_total, full_total,
        "the forward pass really ran in bf16"
    );
    assert!(
        ((mixed_total - full_total) / full_total).abs() < 0.01,
        "loss: f32 {full_total}, bf16 forward {mixed_total}"
    );
    let recycling = |l: &ArnetLoss| values(l.recycling_sketch.clone().unwrap())[0];
    assert!(
        ((recycling(&mixed) - recycling(&full)) / recycling(&full)).abs() < 0.05,
        "recycling loss: f32 {}, bf16 forward {}",
        recycling(&full),
        recycling(&mixed)
    );

    let full_grads = full.total.backward();
    let mixed_grads = mixed.total.backward();
    // The gradients land on the f32 weights, in f32.
    let head = pair.photo.mlp_head.weight.val();
    assert_eq!(head.grad(&mixed_grads).unwrap().dtype(), DType::F32);

    let full_grads = collect_grads(&mut pair, &full_grads);
    let mixed_grads = collect_grads(&mut pair, &mixed_grads);
    assert!(full_grads.len() > 40);
    let mut checked = 0;
    for ((name, full), (_, mixed)) in full_grads.iter().zip(&mixed_grads) {
        if name.contains(".running_") {
            continue; // the patch norm's inference statistics are not trained
        }
        let full = full
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no f32 gradient"));
        let Some(mixed) = mixed.as_ref() else {
            // Only the patch-conv bias may go without: the patch norm cancels it, and its
            // gradient is rounding noise in both precisions.
            assert!(
                name.ends_with("patch_embed.proj.bias"),
                "{name}: no bf16 gradient"
            );
            continue;
        };
        if name.ends_with("patch_embed.proj.bias") {
            continue;
        }
        let similarity = cosine(&full.data, &mixed.data);
        assert!(
            similarity > 0.98,
            "{name}: gradient direction differs (cosine {similarity:.4})"
        );
        checked += 1;
    }
    assert!(checked > 40, "{checked} gradients compared");
}
