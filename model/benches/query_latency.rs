//! Stroke-to-results latency: what the app does after each stroke, timed end to end.
//!
//! Rasterise a 30-stroke sketch at 224 x 224, prepare the model input, embed it with the sketch
//! encoder, rank a 200-photo gallery (cosine top-10). Models side by side, so the table reads
//! as a ratio: the from-scratch demo's shape (224 px, 32 px patches, 192 wide, 4 blocks),
//! EfficientNet-Lite0 at 160 px and 224 px (the pretrained backbone), DINOv2 ViT-S/14 at 112 px
//! and 224 px, and ViT-B/16; the app's
//! target is under 100 ms with the bundled demo model on a 2-core CPU.
//! Random weights: the time does not depend on their values.
//!
//! Then the shadow (issue 38) on the demo gallery's 200 photos: the line drawing made per
//! photo while indexing, and what a stroke adds in the app's query thread (the five best
//! photos' line drawings composed over the sketch's extent), beside the stroke-to-results time
//! of the bundled model's shape in the same run.
//!
//! Run through `scripts/bench.sh` (reuses the test build), or the bench binary with `--bench`.
//! Prints one JSON line per case (env `BENCH_RUNS`, default 15).

use std::time::Instant;

use arnet_model::backbone::BackboneConfig;
use arnet_model::backbone::efficientnet::EfficientNetConfig;
use arnet_model::preprocess::{batch_tensor, model_input};
use arnet_model::raster::{DEFAULT_STROKE_WIDTH, Stroke, rasterize};
use arnet_model::retrieval::EmbeddingMatrix;
use arnet_model::{ArnetEncoderConfig, Backend, VitConfig, embed};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn sketch() -> Vec<Stroke> {
    (0..30)
        .map(|i| {
            let t = i as f32 / 30.0;
            let points = (0..40)
                .map(|k| {
                    let s = k as f32 / 40.0;
                    [
                        0.1 + 0.8 * s,
                        0.2 + 0.6 * t + 0.05 * (s * 9.0 + t * 3.0).sin(),
                    ]
                })
                .collect();
            Stroke::new(points, DEFAULT_STROKE_WIDTH)
        })
        .collect()
}

fn main() {
    arnet_model::allocator::tune_for_tensors();
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let device = Backend::Cpu.device().expect("CPU backend");
    let strokes = sketch();
    let mut gallery = EmbeddingMatrix::new(512);
    for i in 0..200 {
        let mut row: Vec<f32> = (0..512)
            .map(|d| ((i * 31 + d * 7) % 97) as f32 - 48.0)
            .collect();
        arnet_model::retrieval::l2_normalize(&mut row);
        gallery.push(&row);
    }
    let cases: [(&str, BackboneConfig); 6] = [
        (
            "ViT demo shape (224/32, 192 wide, 4 blocks)",
            VitConfig::custom(224, 32, 192, 4, 3).into(),
        ),
        (
            "EfficientNet-Lite0 160 px",
            EfficientNetConfig::lite0(160).into(),
        ),
        (
            "EfficientNet-Lite0 224 px",
            EfficientNetConfig::lite0(224).into(),
        ),
        (
            "DINOv2 ViT-S/14 112 px",
            VitConfig::dinov2_small_patch14(112).into(),
        ),
        (
            "DINOv2 ViT-S/14 224 px",
            VitConfig::dinov2_small_patch14(224).into(),
        ),
        ("ViT-B/16", VitConfig::vit_base_patch16_224().into()),
    ];
    for (name, backbone) in cases {
        let encoder = ArnetEncoderConfig::new(backbone)
            .init(&device)
            .expect("encoder builds");
        let size = embed::input_size(&encoder);
        let query = || {
            let raster = rasterize(&strokes, 224);
            let input = model_input(&raster, size);
            let embedding = encoder
                .embed(batch_tensor(&[input], size, &device))
                .into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .expect("f32");
            gallery.top_k(&embedding, 10)
        };
        query(); // warm-up
        let times: Vec<f64> = (0..runs)
            .map(|_| {
                let start = Instant::now();
                let hits = query();
                assert_eq!(hits.len(), 10);
                start.elapsed().as_secs_f64()
            })
            .collect();
        let raster_start = Instant::now();
        let _ = rasterize(&strokes, 224);
        let raster_ms = raster_start.elapsed().as_secs_f64() * 1000.0;
        println!(
            "{}",
            serde_json::json!({
                "case": "stroke_to_results", "model": name, "backend": "flex", "runs": runs,
                "median_ms": median(times) * 1000.0, "rasterise_ms": raster_ms,
            })
        );
    }
    shadow_cost(&strokes, runs);
}

/// The shadow's costs on the demo gallery (see the module doc).
fn shadow_cost(strokes: &[Stroke], runs: usize) {
    use arnet_model::shadow::{Extent, LineDrawing, SHADOW_PHOTOS, compose};
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/demo/gallery");
    let mut photos: Vec<_> = std::fs::read_dir(&folder)
        .expect("the demo gallery")
        .flatten()
        .map(|e| e.path())
        .collect();
    photos.sort();
    let decoded: Vec<_> = photos
        .iter()
        .map(|p| arnet_model::preprocess::decode_rgb(p).expect("a demo photo"))
        .collect();
    let start = Instant::now();
    let drawings: Vec<LineDrawing> = decoded.iter().map(LineDrawing::of_photo).collect();
    let per_photo_ms = start.elapsed().as_secs_f64() * 1000.0 / decoded.len() as f64;
    // A camera-sized photo (3000 x 2000): what a designer's own folder holds.
    let large = image::RgbImage::from_fn(3000, 2000, |x, y| {
        let inside = (800..2200).contains(&x) && (300..1800).contains(&y);
        image::Rgb(if inside {
            [120, 40, 60]
        } else {
            [240, 240, 235]
        })
    });
    let start = Instant::now();
    let large_drawing = LineDrawing::of_photo(&large);
    let large_ms = start.elapsed().as_secs_f64() * 1000.0;
    assert!(large_drawing.ink() > 0);
    let extent = Extent::of_strokes(strokes).expect("strokes");
    let times: Vec<f64> = (0..runs.max(1) * 10)
        .map(|run| {
            // Another five best photos each time, with scores a stroke's results might have.
            let hits: Vec<_> = (0..SHADOW_PHOTOS)
                .map(|k| {
                    (
                        drawings[(run * 7 + k * 13) % drawings.len()],
                        0.6 - 0.01 * k as f32,
                    )
                })
                .collect();
            let start = Instant::now();
            let shadow = compose(&hits, extent);
            assert!(shadow.ink.iter().any(|&ink| ink > 0));
            start.elapsed().as_secs_f64()
        })
        .collect();
    println!(
        "{}",
        serde_json::json!({
            "case": "shadow", "photos": decoded.len(), "runs": times.len(),
            "line_drawing_per_photo_ms": per_photo_ms,
            "line_drawing_3000x2000_ms": large_ms,
            "compose_per_stroke_median_ms": median(times) * 1000.0,
        })
    );
}
