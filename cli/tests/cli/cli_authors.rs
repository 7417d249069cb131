//! Checkpoints made the way the authors' training script makes them (timm's 1000-class
//! classifier kept in every encoder, storages tagged `cuda:0`), at two shapes no other fixture
//! has, through the CLI: `arnet embed` reproduces PyTorch's embeddings from the `.pth` pair and
//! from single-encoder safetensors, the classifier is reported once and ignored, `arnet index`
//! takes a single-encoder file as the photo encoder, and `arnet search` says which encoder a
//! single-encoder file lacks. Fixtures: `tests/fixtures/make_authors_fixtures.py`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arnet_model::params::HostTensor;
use arnet_model::{ArnetEncoderConfig, ArnetPair, Backend, VitConfig, weights};

/// The fixture sets: name, `--heads` to pass (`None`: the default embed_dim / 64 is right),
/// embed dim.
const SETS: [(&str, Option<&str>, usize); 2] =
    [("authors-p12", Some("2"), 32), ("authors-p14", None, 64)];

fn fixture(set: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(set)
        .join(file)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arnet-cli-authors-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn arnet(args: &[&str], cache: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_arnet"));
    if let Some(cache) = cache {
        command.env("ARNET_CACHE_DIR", cache);
    }
    command.args(args).output().expect("arnet runs")
}

fn expected(set: &str, state_dict: &str, input: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(fixture(set, "expected.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json[state_dict][input]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

/// Runs `arnet embed` and returns the embeddings (in argument order) and stderr.
fn embed(set: &str, heads: Option<&str>, weights: &str, encoder: &str) -> (Vec<Vec<f64>>, String) {
    let weights = fixture(set, weights).display().to_string();
    let inputs = ["sketch", "photo"].map(|n| fixture(set, &format!("input_{n}.png")));
    let inputs = inputs.map(|p| p.display().to_string());
    let mut args = vec!["embed", "--weights", &weights, "--encoder", encoder];
    if let Some(heads) = heads {
        args.extend(["--heads", heads]);
    }
    args.extend(inputs.iter().map(String::as_str));
    let out = arnet(&args, None);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{set} {weights}: {stderr}");
    (embeddings(&out.stdout), stderr)
}

/// The embeddings of `arnet embed`'s JSON lines, in order.
fn embeddings(stdout: &[u8]) -> Vec<Vec<f64>> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| {
            let json: serde_json::Value = serde_json::from_str(line).unwrap();
            json["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        })
        .collect()
}

fn assert_matches_pytorch(actual: &[f64], reference: &[f64], what: &str) {
    assert_eq!(actual.len(), 512, "{what}");
    let diff = actual
        .iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let dot: f64 = actual.iter().zip(reference).map(|(a, b)| a * b).sum();
    let norms = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let cosine = dot / (norms(actual) * norms(reference));
    assert!(diff <= 1e-4, "{what}: max |diff| {diff:e}");
    assert!(cosine >= 0.99999, "{what}: cosine {cosine}");
}

/// The one stderr line saying the classifier was ignored, with the shapes of `prefixes`' heads.
fn assert_one_note(stderr: &str, prefixes: &[&str], dim: usize, what: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{what}: one line on stderr, got {stderr}");
    let note = lines[0];
    assert!(
        note.starts_with("note: ") && note.contains("classifier"),
        "{what}: {note}"
    );
    for prefix in prefixes {
        assert!(
            note.contains(&format!("{prefix}encoder.head.weight [1000, {dim}]"))
                && note.contains(&format!("{prefix}encoder.head.bias [1000]")),
            "{what}: {note}"
        );
    }
}

#[test]
fn the_authors_pth_pair_embeds_like_pytorch_for_both_encoders() {
    for (set, heads, dim) in SETS {
        for (encoder, state_dict) in [("sketch", "skt_model"), ("image", "img_model")] {
            let (embeddings, stderr) = embed(set, heads, "checkpoint.pth", encoder);
            assert_one_note(&stderr, &["skt_model.", "img_model."], dim, set);
            for (embedding, input) in embeddings.iter().zip(["sketch", "photo"]) {
                let what = format!("{set} checkpoint.pth {encoder} {input}");
                assert_matches_pytorch(embedding, &expected(set, state_dict, input), &what);
            }
        }
    }
}

#[test]
fn single_encoder_safetensors_with_the_classifier_embed_like_pytorch() {
    for (set, heads, dim) in SETS {
        for (file, state_dict, encoder) in [
            ("skt_encoder.safetensors", "skt_model", "sketch"),
            ("img_encoder.safetensors", "img_model", "image"),
        ] {
            let (embeddings, stderr) = embed(set, heads, file, encoder);
            assert_one_note(&stderr, &[""], dim, set);
            assert!(!stderr.contains("skt_model"), "{stderr}");
            for (embedding, input) in embeddings.iter().zip(["sketch", "photo"]) {
                let what = format!("{set} {file} {input}");
                assert_matches_pytorch(embedding, &expected(set, state_dict, input), &what);
            }
        }
    }
}

/// A gallery of the fixture's two input images.
fn gallery(dir: &Path, set: &str) -> PathBuf {
    let gallery = dir.join("gallery");
    std::fs::create_dir_all(&gallery).unwrap();
    for name in ["sketch", "photo"] {
        let file = format!("input_{name}.png");
        std::fs::copy(fixture(set, &file), gallery.join(file)).unwrap();
    }
    gallery
}

#[test]
fn index_takes_a_single_encoder_file_as_the_photo_encoder_and_search_names_the_missing_one() {
    let (set, heads, _) = SETS[0];
    let heads = heads.unwrap();
    let dir = scratch("index");
    let (gallery, cache) = (gallery(&dir, set), dir.join("cache"));
    let gallery_arg = gallery.display().to_string();
    let single = fixture(set, "img_encoder.safetensors")
        .display()
        .to_string();
    let index_args = [
        "index",
        "--weights",
        &single,
        "--heads",
        heads,
        "--gallery",
        &gallery_arg,
        "--json",
    ];
    let out = arnet(&index_args, Some(&cache));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let last = String::from_utf8(out.stdout).unwrap();
    let json: serde_json::Value = serde_json::from_str(last.lines().last().unwrap()).unwrap();
    assert_eq!(json["indexed"], 2, "{json}");
    assert_eq!(json["skipped"].as_array().unwrap().len(), 0, "{json}");
    assert_eq!(stderr.matches("note: ").count(), 1, "{stderr}");

    // The pair file indexes too (its photo encoder).
    let pair = fixture(set, "checkpoint.pth").display().to_string();
    let out = arnet(
        &[
            "index",
            "--weights",
            &pair,
            "--heads",
            heads,
            "--gallery",
            &gallery_arg,
        ],
        Some(&cache),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Searching needs the sketch encoder as well: one line that says so.
    let sketch = fixture(set, "input_sketch.png").display().to_string();
    for weights in [
        &single,
        &fixture(set, "skt_encoder.safetensors")
            .display()
            .to_string(),
    ] {
        let out = arnet(
            &[
                "search",
                "--weights",
                weights,
                "--heads",
                heads,
                "--gallery",
                &gallery_arg,
                &sketch,
            ],
            Some(&cache),
        );
        assert!(!out.status.success());
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8(out.stderr).unwrap();
        let error = stderr.lines().last().unwrap();
        assert!(
            error.starts_with("error: ")
                && error.contains(weights.as_str())
                && error.contains("the sketch encoder is missing")
                && error.contains("two-encoder file"),
            "{error}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Writes `source`'s tensors plus `extra` (all as f32) to `path`, keeping its metadata.
fn with_extra_tensors(source: &Path, path: &Path, extra: &[(&str, Vec<usize>)]) {
    let file = weights::WeightFile::read(source).unwrap();
    let mut tensors: Vec<(String, HostTensor)> = file.tensors.into_iter().collect();
    for (name, shape) in extra {
        let len = shape.iter().product();
        tensors.push((
            name.to_string(),
            HostTensor::new(shape.clone(), vec![0.5; len]),
        ));
    }
    weights::write_safetensors(path, tensors, file.metadata).unwrap();
}

#[test]
fn our_own_pair_format_with_a_classifier_loads_and_any_other_stray_tensor_is_still_an_error() {
    let dir = scratch("own");
    let device = Backend::Cpu.device().unwrap();
    let config = ArnetEncoderConfig::new(VitConfig::custom(32, 8, 32, 1, 2));
    let mut pair = ArnetPair::init(&config, &device).unwrap();
    let plain = dir.join("plain.safetensors");
    weights::save_pair(&mut pair, &plain).unwrap();
    let image = fixture("authors-p12", "input_photo.png")
        .display()
        .to_string();

    let with_head = dir.join("with_head.safetensors");
    with_extra_tensors(
        &plain,
        &with_head,
        &[
            ("skt_model.encoder.head.weight", vec![1000, 32]),
            ("skt_model.encoder.head.bias", vec![1000]),
            ("img_model.module.encoder.head.weight", vec![1000, 32]),
            ("img_model.module.encoder.head.bias", vec![1000]),
        ],
    );
    let run = |weights: &Path| {
        let weights = weights.display().to_string();
        arnet(
            &["embed", "--weights", &weights, "--encoder", "image", &image],
            None,
        )
    };
    let (reference, loaded) = (run(&plain), run(&with_head));
    assert!(
        loaded.status.success(),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    assert_eq!(loaded.stdout.len(), reference.stdout.len());
    let strip_path = |out: &Output| {
        let line = String::from_utf8_lossy(&out.stdout).to_string();
        let json: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
        json["embedding"].clone()
    };
    assert_eq!(
        strip_path(&loaded),
        strip_path(&reference),
        "the head changes nothing"
    );
    let stderr = String::from_utf8(loaded.stderr).unwrap();
    assert!(
        stderr.contains("img_model.module.encoder.head.weight [1000, 32]")
            && stderr.contains("skt_model.encoder.head.bias [1000]"),
        "{stderr}"
    );

    let stray = dir.join("stray.safetensors");
    with_extra_tensors(
        &plain,
        &stray,
        &[
            ("img_model.encoder.head.weight", vec![1000, 32]),
            ("img_model.encoder.bogus.weight", vec![3]),
        ],
    );
    let out = run(&stray);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let error = stderr.lines().last().unwrap();
    assert!(
        error.contains("stray.safetensors")
            && error.contains("unexpected (1): encoder.bogus.weight"),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--device cuda` either embeds like the CPU (a `cuda` build on a machine with the NVIDIA
/// driver, a GPU and libdevice) or fails with one line naming each missing part, or, in a
/// build without the feature, with how to build it. Never a panic or a backtrace.
#[test]
fn device_cuda_embeds_like_the_cpu_or_names_what_is_missing() {
    let weights = fixture("parity-a", "checkpoint.pth").display().to_string();
    let input = fixture("parity-a", "input_sketch.png")
        .display()
        .to_string();
    let run = |device: &str| {
        arnet(
            &[
                "embed",
                "--device",
                device,
                "--heads",
                "4",
                "--weights",
                &weights,
                &input,
            ],
            None,
        )
    };
    let cuda = run("cuda");
    let stderr = String::from_utf8_lossy(&cuda.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The binary's device code is arnet-model's, built with the same features as this test.
    if !Backend::Cuda.compiled_in() {
        assert!(!cuda.status.success());
        assert!(stderr.contains("--features cuda"), "{stderr}");
        assert!(stderr.contains("setup-cuda-build.sh"), "{stderr}");
        return;
    }
    let missing = arnet_model::device::cuda_runtime::CudaSearch::from_environment().missing();
    if missing.is_empty() {
        assert!(cuda.status.success(), "{stderr}");
        let cpu = run("cpu");
        assert_matches_pytorch(
            &embeddings(&cuda.stdout)[0],
            &embeddings(&cpu.stdout)[0],
            "cuda against cpu",
        );
    } else {
        assert!(!cuda.status.success());
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        for part in &missing {
            assert!(
                stderr.contains(&part.to_string()),
                "{part} not in: {stderr}"
            );
        }
    }
}
