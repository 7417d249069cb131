//! Embedding speed of ARNet encoders on the CPU backend, for each backbone a user can run.
//!
//! A bench binary rather than criterion: one ViT-B/16 photo batch of 16 takes seconds on a
//! 2-core machine, and what we report is a ratio against timm measured in the same run
//! (`scripts/bench.sh`, with `scripts/bench_timm.py` timing the same models), so a median of a
//! few timed runs after warm-up is what we need.
//!
//! Models (env `BENCH_MODELS`, comma-separated, default all), each at batch 1 (a sketch query)
//! and batch 16 (gallery indexing):
//! - `vit_b16_224`: ViT-B/16 at 224, the paper's backbone;
//! - `efficientnet_lite0_160`: EfficientNet-Lite0 at 160, the bundled demo model's shape;
//! - `dinov2_s14_224`: DINOv2 ViT-S/14 at 224.
//!
//! Env `BENCH_RUNS` (default 21: a batch-1 embedding takes milliseconds on a shared machine,
//! and medians of 5 moved by up to 30 % from one run to the next; batch 16 runs half as often,
//! at least 3). Prints one JSON line per case: backend, model, case, batch, median seconds per
//! batch and per image.

use std::time::Instant;

use arnet_model::backbone::efficientnet::EfficientNetConfig;
use arnet_model::burn::tensor::{Device, Distribution, Tensor};
use arnet_model::{ArnetEncoderConfig, BackboneConfig, Backend, VitConfig};

/// The default models, in the order they run.
const MODELS: &str = "vit_b16_224,efficientnet_lite0_160,dinov2_s14_224";

fn backbone(model: &str) -> Option<BackboneConfig> {
    Some(match model {
        "vit_b16_224" => VitConfig::vit_base_patch16_224().into(),
        "efficientnet_lite0_160" => EfficientNetConfig::lite0(160).into(),
        "dinov2_s14_224" => VitConfig::dinov2_small_patch14(224).into(),
        _ => return None,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn time_case(model: &str, name: &str, device: &Device, batch: usize, runs: usize) {
    let backbone = backbone(model).expect("a known model");
    let size = backbone.image_size();
    let encoder = ArnetEncoderConfig::new(backbone)
        .init(device)
        .expect("the encoder builds");
    let images = Tensor::<4>::random(
        [batch, 3, size, size],
        Distribution::Uniform(0.0, 1.0),
        device,
    );
    // Warm-up (allocations, autotune, thread pools).
    let _ = encoder.embed(images.clone()).into_data();
    let times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let _ = encoder.embed(images.clone()).into_data();
            start.elapsed().as_secs_f64()
        })
        .collect();
    let per_batch = median(times);
    println!(
        "{}",
        serde_json::json!({
            "impl": "burn", "backend": "flex", "model": model, "case": name, "batch": batch,
            "runs": runs, "median_s_per_batch": per_batch,
            "median_s_per_image": per_batch / batch as f64,
        })
    );
}

fn main() {
    // What the CLI and the app run with (arnet_model::allocator).
    arnet_model::allocator::tune_for_tensors();
    // `cargo bench` passes `--bench`; nothing else to parse.
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(21);
    let models = std::env::var("BENCH_MODELS").unwrap_or_else(|_| MODELS.into());
    let device = Backend::Cpu.device().expect("CPU backend");
    for model in models.split(',').filter(|m| !m.is_empty()) {
        assert!(backbone(model).is_some(), "unknown model {model}");
        time_case(model, "sketch_embedding", &device, 1, runs);
        time_case(
            model,
            "photo_embedding",
            &device,
            16,
            runs.div_ceil(2).max(3),
        );
    }
}
