//! Training-step speed on the CPU backend: the step `arnet train` runs
//! ([`arnet_training::step::train_step`]: four views through the two encoders, ARNet-Basic's
//! four InfoNCE terms, backward, Adam), timed per step on fixed random batches.
//!
//! The data pipeline (decoding, augmentation) is left out: `arnet train` prepares the next
//! batches on worker threads while a step runs, and PyTorch's side of the comparison
//! (`scripts/bench_train_torch.py`, run in the same go by `scripts/bench_train.sh`) times the
//! same step on the same shapes, so the ratio is the model's and the autodiff's alone.
//!
//! Cases (env `BENCH_CASES`, comma-separated, default all):
//! - `vit_ti_224`: ViT-Ti/16 at 224, batch 8 (issue 15's first measurement);
//! - `efficientnet_lite0_160`: EfficientNet-Lite0 at 160, batch 32 (the bundled demo's recipe);
//! - `dinov2_s14_112`: DINOv2 ViT-S/14 at 112, batch 32 (`make_demo.sh`'s DINOv2 recipe).
//!
//! Env `BENCH_STEPS` (default 3) timed steps after one warm-up step. Prints one JSON line per
//! case: backend, case, batch, median seconds per step and pairs per second.

use std::time::Instant;

use arnet_model::params::assign_stable_ids;
use arnet_model::{ArnetPair, Backend};
use arnet_training::batches::Batch;
use arnet_training::optimizer::PinnedAdam;
use arnet_training::recipe::{BackboneKind, Preset, Recipe};
use arnet_training::rng::Rng;
use arnet_training::step::{LossSums, adam_config, train_step};

/// A recipe for one case: the demo recipes' backbones, sizes and batch sizes; from scratch,
/// without the patch norm (timm's ViTs have none), ARNet-Basic with dual views.
fn recipe(case: &str) -> Option<Recipe> {
    let mut recipe = Recipe::default();
    recipe.model.patch_norm = false;
    recipe.optimiser.learning_rate = 1e-4;
    match case {
        "vit_ti_224" => {
            recipe.model.preset = Preset::VitTi;
            recipe.optimiser.batch_size = 8;
        }
        "efficientnet_lite0_160" => {
            recipe.model.backbone = Some(BackboneKind::EfficientnetLite0);
            recipe.model.image_size = Some(160);
            recipe.optimiser.batch_size = 32;
        }
        "dinov2_s14_112" => {
            recipe.model.backbone = Some(BackboneKind::Dinov2S14);
            recipe.model.image_size = Some(112);
            recipe.optimiser.batch_size = 32;
        }
        _ => return None,
    }
    Some(recipe)
}

/// `count` values in [0, 1) from the project's seeded generator (images arrive in [0, 1]).
fn pixels(count: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..count).map(|_| rng.unit()).collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn time_case(case: &str, recipe: &Recipe, steps: usize) -> anyhow::Result<()> {
    let device = Backend::Cpu.device()?.autodiff();
    device.seed(0);
    // What `arnet train` builds for a from-scratch recipe (`train::initial_pair`).
    let config = recipe.encoder_config()?;
    let mut pair = ArnetPair::init(&config, &device)?;
    assign_stable_ids(&mut pair);
    let size = config.backbone.image_size();
    let mut optimizer = PinnedAdam::init(&adam_config(recipe));
    let values = recipe.optimiser.batch_size * 3 * size * size;
    let batch = Batch {
        len: recipe.optimiser.batch_size,
        sketches: pixels(values, 1),
        sketches_augmented: pixels(values, 2),
        photos: pixels(values, 3),
        photos_augmented: pixels(values, 4),
        // The paper's step: no category term.
        classes: vec![None; recipe.optimiser.batch_size],
        freehand: Vec::new(),
        freehand_classes: Vec::new(),
    };
    let mut sums = LossSums::default();
    let mut times = Vec::with_capacity(steps);
    for step in 0..=steps {
        let start = Instant::now();
        pair = train_step(
            pair,
            &mut optimizer,
            recipe.optimiser.learning_rate,
            &batch,
            recipe,
            size,
            &device,
            &mut sums,
        )?;
        if step > 0 {
            times.push(start.elapsed().as_secs_f64());
        }
    }
    let per_step = median(times);
    println!(
        "{}",
        serde_json::json!({
            "impl": "burn", "backend": "flex", "case": case, "batch": recipe.optimiser.batch_size,
            "image_size": size, "steps": steps, "median_s_per_step": per_step,
            "pairs_per_s": recipe.optimiser.batch_size as f64 / per_step,
            "mean_loss": sums.total / sums.steps as f64,
        })
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    // What `arnet train` runs with (arnet_model::allocator).
    arnet_model::allocator::tune_for_tensors();
    // `cargo bench` passes `--bench`; nothing else to parse.
    let steps: usize = std::env::var("BENCH_STEPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let cases = std::env::var("BENCH_CASES")
        .unwrap_or_else(|_| "vit_ti_224,efficientnet_lite0_160,dinov2_s14_112".into());
    for case in cases.split(',').filter(|c| !c.is_empty()) {
        let recipe = recipe(case).ok_or_else(|| anyhow::anyhow!("unknown case {case}"))?;
        time_case(case, &recipe, steps.max(1))?;
    }
    Ok(())
}
