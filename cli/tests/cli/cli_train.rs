//! `arnet train` run as a command on generated data: a bf16 run learns and saves f32
//! weights, its output loads in `arnet embed` and `arnet eval`, it refuses to overwrite a run
//! and an absent device, and it trains DINOv2 from a converted file. The trainer library is
//! tested in `training/tests/train.rs`.

use std::path::Path;
use std::process::Command;

use arnet_model::{Backend, weights};

use crate::train_data;

use train_data::{data, embeddings, scratch, turn};

/// `tiny_recipe`'s model, batch size and learning rate (`training/tests/train.rs`) as
/// `arnet train` flags.
const TINY_FLAGS: [&str; 16] = [
    "--preset",
    "vit-ti",
    "--image-size",
    "32",
    "--patch-size",
    "8",
    "--embed-dim",
    "32",
    "--depth",
    "1",
    "--heads",
    "2",
    "--batch-size",
    "8",
    "--lr",
    "1e-3",
];

/// `arnet train --precision bf16`: the tiny run with its encoders in bf16 learns as well, and
/// what it saves is f32 (Adam's master weights), loadable like any other model.
#[test]
fn mixed_precision_training_learns_and_saves_f32_weights() {
    let out = scratch("bf16");
    let result = {
        let _turn = turn();
        Command::new(env!("CARGO_BIN_EXE_arnet"))
            .args(["train", "--data", data().to_str().unwrap(), "--out"])
            .arg(&out)
            .args(["--device", "cpu", "--epochs", "8", "--precision", "bf16"])
            .args(["--seed", "3", "--val-fraction", "0.2"])
            .args(TINY_FLAGS)
            .output()
            .unwrap()
    };
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let recipe: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("recipe.json")).unwrap()).unwrap();
    assert_eq!(recipe["precision"], "bf16");
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let losses: Vec<f64> = csv
        .lines()
        .skip(2)
        .map(|line| line.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(losses.len(), 8);
    assert!(
        losses[7] < 0.8 * losses[0],
        "the loss falls over 8 epochs: {losses:?}"
    );
    let best = out.join("best.safetensors");
    let bytes = std::fs::read(&best).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
    let tensors: Vec<_> = header
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, _)| *name != "__metadata__")
        .collect();
    assert!(tensors.len() > 20);
    for (name, tensor) in tensors {
        assert_eq!(tensor["dtype"], "F32", "{name}");
    }
    let device = Backend::Cpu.device().unwrap();
    let pair = weights::load_pair(&best, None, &device).unwrap();
    assert!(
        embeddings(&pair, &device)
            .iter()
            .flatten()
            .all(|v| v.is_finite())
    );
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn cli_trains_and_its_output_loads_in_embed_and_eval() {
    let out = scratch("cli");
    let arnet = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_arnet"))
            .args(args)
            .output()
            .unwrap()
    };
    let data = data().to_str().unwrap();
    let out_str = out.to_str().unwrap();
    let train_args = [
        &[
            "train", "--data", data, "--out", out_str, "--device", "cpu", "--epochs", "1",
        ],
        &TINY_FLAGS[..],
    ]
    .concat();
    let result = arnet(&train_args);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("epoch 1/1"), "{stderr}");
    let best = out.join("best.safetensors");
    let eval = arnet(&[
        "eval",
        "--data",
        data,
        "--weights",
        best.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&eval.stdout).unwrap();
    assert_eq!(json["photos"], 10);
    let sketch = Path::new(data).join("testA/00031_01.png");
    let embed = arnet(&[
        "embed",
        "--weights",
        best.to_str().unwrap(),
        sketch.to_str().unwrap(),
    ]);
    assert!(
        embed.status.success(),
        "{}",
        String::from_utf8_lossy(&embed.stderr)
    );
    // The same run again without --resume is refused, and nothing is overwritten.
    let before = std::fs::read(&best).unwrap();
    let again = arnet(&["train", "--data", data, "--out", out_str, "--epochs", "1"]);
    assert!(!again.status.success());
    assert_eq!(std::fs::read(&best).unwrap(), before);
    let fresh = scratch("cli-cuda");
    let absent = arnet(&[
        "train",
        "--data",
        data,
        "--out",
        fresh.to_str().unwrap(),
        "--device",
        "cuda",
    ]);
    assert!(!absent.status.success());
    assert!(
        String::from_utf8_lossy(&absent.stderr).contains("cuda"),
        "{}",
        String::from_utf8_lossy(&absent.stderr)
    );
    std::fs::remove_dir_all(&out).unwrap();
}

/// `--backbone dinov2-s14` starts from a converted DINOv2 file (here the small timm fixture of
/// `tests/fixtures/dinov2-a`, 56 px): the trained model keeps LayerScale and the ImageNet
/// normalisation, and a size the file's position embedding was not made for is refused with
/// the converter command that makes one.
#[test]
fn cli_trains_dinov2_from_a_converted_file_and_refuses_another_size() {
    let start = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/dinov2-a/timm_backbone.safetensors");
    let start = start.to_str().unwrap();
    let data = data().to_str().unwrap();
    let out = scratch("dinov2");
    let arnet = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_arnet"))
            .args(["train", "--data", data, "--out", out.to_str().unwrap()])
            .args(["--device", "cpu", "--epochs", "1", "--batch-size", "8"])
            .args([
                "--lr",
                "1e-4",
                "--backbone",
                "dinov2-s14",
                "--init-backbone",
                start,
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let refused = arnet(&["--image-size", "112"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("timm_backbone.safetensors")
            && stderr.contains("56 px")
            && stderr.contains("--dinov2-image-size 112"),
        "{stderr}"
    );

    let trained = arnet(&[]);
    assert!(
        trained.status.success(),
        "{}",
        String::from_utf8_lossy(&trained.stderr)
    );
    let device = Backend::Cpu.device().unwrap();
    let pair = weights::load_pair(&out.join("best.safetensors"), None, &device).unwrap();
    let config = pair.sketch.config();
    let vit = config.backbone.vit().expect("a ViT");
    assert!(vit.layer_scale, "{vit:?}");
    assert_eq!((vit.patch_size, vit.image_size, vit.num_heads), (14, 56, 2));
    assert_eq!(vit.input_mean, arnet_model::vit::IMAGENET_MEAN);
    std::fs::remove_dir_all(&out).unwrap();
}
