//! Embedding speed of ViT-B/16 ARNet encoders on the CPU backend(s) of this build.
//!
//! A bench binary rather than criterion: one ViT-B/16 photo batch of 16 takes seconds on a
//! 2-core machine, and what we report is a ratio against timm measured in the same run
//! (`scripts/bench.sh`), so a median of a few timed runs after warm-up is what we need.
//!
//! `cargo bench -p arnet-model --bench embed_speed` (env `BENCH_RUNS`, default 5).
//! Prints one JSON line per case: backend, case, batch, median seconds per batch and per image.

use std::time::Instant;

use arnet_model::burn::tensor::{Device, Distribution, Tensor};
use arnet_model::{ArnetEncoderConfig, Backend, VitConfig};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn time_case(name: &str, backend: &str, device: &Device, batch: usize, runs: usize) {
    let encoder = ArnetEncoderConfig::new(VitConfig::vit_base_patch16_224())
        .init(device)
        .expect("ViT-B/16 builds");
    let images = Tensor::<4>::random(
        [batch, 3, 224, 224],
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
            "impl": "burn", "backend": backend, "case": name, "batch": batch,
            "runs": runs, "median_s_per_batch": per_batch,
            "median_s_per_image": per_batch / batch as f64,
        })
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let device = Backend::Cpu.device().expect("CPU backend");
    time_case("sketch_embedding", "flex", &device, 1, runs);
    time_case(
        "photo_embedding",
        "flex",
        &device,
        16,
        runs.div_ceil(2).max(3),
    );
}
