//! `arnet embed`, driven as a user (and the external checks) would drive it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn parity_a(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/parity-a")
        .join(file)
}

fn arnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arnet"))
        .args(args)
        .output()
        .expect("arnet runs")
}

fn expected(input: &str, state_dict: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(parity_a("expected_outputs.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    // A non-square PNG is resized to 224 x 224 (the authors' training transform).
    let tag = if input == "nonsquare" {
        "train"
    } else {
        "eval"
    };
    json["inputs"][input][tag][state_dict]["mlp_feat_l2"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

#[test]
fn embed_reproduces_the_fixture_embeddings_in_argument_order() {
    let names = ["sketch256", "sketch", "nonsquare", "colour"];
    let images: Vec<String> = names
        .iter()
        .map(|n| parity_a(&format!("input_{n}.png")).display().to_string())
        .collect();
    let checkpoint = parity_a("checkpoint.pth").display().to_string();
    for (encoder, state_dict) in [("sketch", "skt_model"), ("image", "img_model")] {
        let mut args = vec![
            "embed",
            "--weights",
            &checkpoint,
            "--encoder",
            encoder,
            "--heads",
            "4",
        ];
        args.extend(images.iter().map(String::as_str));
        let out = arnet(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), names.len());
        for ((line, name), path) in lines.iter().zip(names).zip(&images) {
            let json: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(json["path"].as_str().unwrap(), path);
            let embedding: Vec<f64> = json["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert_eq!(embedding.len(), 512);
            let norm: f64 = embedding.iter().map(|v| v * v).sum::<f64>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5);
            let reference = expected(name, state_dict);
            let diff = embedding
                .iter()
                .zip(&reference)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(diff < 1e-4, "{encoder} {name}: max diff {diff}");
        }
    }
}

#[test]
fn embed_defaults_to_the_sketch_encoder_and_reads_safetensors() {
    let image = parity_a("input_sketch.png").display().to_string();
    let weights = parity_a("weights.safetensors").display().to_string();
    let out = arnet(&["embed", "--weights", &weights, "--heads", "4", &image]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
    let reference = expected("sketch", "skt_model");
    let first = json["embedding"][0].as_f64().unwrap();
    assert!((first - reference[0]).abs() < 1e-4);
}

/// Runs a failing command and returns its one-line error.
fn failure(args: &[&str]) -> String {
    let out = arnet(args);
    assert!(!out.status.success(), "expected failure for {args:?}");
    assert!(out.stdout.is_empty(), "no partial output on failure");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    stderr
}

#[test]
fn bad_input_fails_with_one_line_naming_the_file() {
    let dir = std::env::temp_dir().join(format!("arnet-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let checkpoint = parity_a("checkpoint.pth").display().to_string();
    let good = parity_a("input_sketch.png").display().to_string();

    let missing = dir.join("nope.png").display().to_string();
    let err = failure(&["embed", "--weights", &checkpoint, &good, &missing]);
    assert!(err.contains("nope.png"), "{err}");

    let corrupt = dir.join("corrupt.jpg");
    std::fs::write(&corrupt, b"\xff\xd8\xff\xe0 definitely not a jpeg").unwrap();
    let corrupt = corrupt.display().to_string();
    let err = failure(&["embed", "--weights", &checkpoint, &corrupt]);
    assert!(err.contains("corrupt.jpg"), "{err}");

    let bad_weights = dir.join("weights.pth");
    std::fs::write(&bad_weights, b"PK\x03\x04 broken zip").unwrap();
    let bad_weights = bad_weights.display().to_string();
    let err = failure(&["embed", "--weights", &bad_weights, &good]);
    assert!(err.contains("weights.pth"), "{err}");

    let err = failure(&["embed", "--weights", &checkpoint, "--heads", "3", &good]);
    assert!(
        err.contains("checkpoint.pth") && err.contains("heads"),
        "{err}"
    );
}

/// `--device` is typed: `-h` lists its values, an unknown one is refused with them, and what
/// was always accepted still is (any case; `gpu` for wgpu).
#[test]
fn the_device_is_one_of_the_listed_values() {
    let help = String::from_utf8(arnet(&["embed", "-h"]).stdout).unwrap();
    assert!(
        help.contains("[possible values: cpu, wgpu, cuda]"),
        "{help}"
    );
    let weights = parity_a("weights.safetensors");
    let image = parity_a("input_sketch.png");
    let unknown = arnet(&[
        "embed",
        "--device",
        "tpu",
        "--weights",
        weights.to_str().unwrap(),
        image.to_str().unwrap(),
    ]);
    assert!(!unknown.status.success());
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("'tpu'") && stderr.contains("cpu, wgpu, cuda"),
        "{stderr}"
    );
    for device in ["cpu", "CPU"] {
        let out = arnet(&[
            "embed",
            "--device",
            device,
            "--heads",
            "4",
            "--weights",
            weights.to_str().unwrap(),
            image.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{device}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
