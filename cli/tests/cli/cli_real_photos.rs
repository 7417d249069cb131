//! The real-photo commands: `arnet data fashion-mnist` on planted idx files, `--labels` on
//! `eval` and `search`, `arnet pseudo-sketch --method traced`, and `arnet fine-tune` on a tiny
//! gallery (a model written, before / after reported, the starting model kept when the
//! held-out check does not improve).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arnet_model::events::TrainingEvent;
use arnet_model::{ArnetEncoderConfig, ArnetPair, Backend, VitConfig, weights};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arnet-real-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn arnet_in(source: Option<&Path>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_arnet"));
    command.env(
        "ARNET_CACHE_DIR",
        std::env::temp_dir().join(format!("arnet-real-cache-{}", std::process::id())),
    );
    if let Some(source) = source {
        command.env("ARNET_FASHION_MNIST_DIR", source);
    }
    command.args(args).output().expect("arnet runs")
}

fn arnet(args: &[&str]) -> Output {
    arnet_in(None, args)
}

/// `arnet` with `args`, which must succeed (its stderr is the failure message).
fn arnet_ok(args: &[&str]) -> Output {
    let run = arnet(args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    run
}

fn gz(path: &Path, bytes: &[u8]) {
    let file = std::fs::File::create(path).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap();
}

/// Planted Fashion-MNIST train files: 4 photos with labels t-shirt (0), sandal (5), dress (3),
/// ankle boot (9). Photo 0 is stored bright (255) in a block, the rest dark (0).
fn planted_source(dir: &Path) -> PathBuf {
    let source = dir.join("source");
    std::fs::create_dir_all(&source).unwrap();
    let mut images = vec![0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 28, 0, 0, 0, 28];
    for i in 0..4 {
        for y in 0..28 {
            for x in 0..28 {
                let bright = i == 0 && (8..20).contains(&x) && (8..20).contains(&y);
                images.push(if bright { 255 } else { 0 });
            }
        }
    }
    gz(&source.join("train-images-idx3-ubyte.gz"), &images);
    gz(
        &source.join("train-labels-idx1-ubyte.gz"),
        &[0, 0, 8, 1, 0, 0, 0, 4, 0, 5, 3, 9],
    );
    source
}

#[test]
fn fashion_mnist_photos_are_negated_padded_and_labelled() {
    let dir = scratch("fm");
    let source = planted_source(&dir);
    let out = dir.join("out");
    let run = arnet_in(
        Some(&source),
        &[
            "data",
            "fashion-mnist",
            "--out",
            out.to_str().unwrap(),
            "--size",
            "72",
            "--pad",
            "4",
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // Only the garment classes: photo 0 (t-shirt) and photo 2 (dress).
    let mut written: Vec<String> = std::fs::read_dir(out.join("trainB"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written, ["train-00000.png", "train-00002.png"]);
    let labels: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("labels.json")).unwrap()).unwrap();
    assert_eq!(
        labels,
        serde_json::json!({"train-00000": "t-shirt/top", "train-00002": "dress"})
    );
    // Negated back: the stored-bright block is a dark garment, the rest white; 72 px RGB.
    let photo = image::open(out.join("trainB/train-00000.png")).unwrap();
    assert_eq!(photo.color(), image::ColorType::Rgb8);
    let photo = photo.to_rgb8();
    assert_eq!(photo.dimensions(), (72, 72));
    assert!(
        photo.get_pixel(36, 36).0[0] < 20,
        "{:?}",
        photo.get_pixel(36, 36)
    );
    assert!(photo.get_pixel(3, 3).0[0] > 245, "padding is white");
    let dress = image::open(out.join("trainB/train-00002.png"))
        .unwrap()
        .to_rgb8();
    assert!(dress.pixels().all(|p| p.0[0] > 245), "stored 0 is white");

    // --limit: a seeded sample.
    let limited = dir.join("limited");
    let run = arnet_in(
        Some(&source),
        &[
            "data",
            "fashion-mnist",
            "--out",
            limited.to_str().unwrap(),
            "--limit",
            "1",
        ],
    );
    assert!(run.status.success());
    assert_eq!(
        std::fs::read_dir(limited.join("trainB")).unwrap().count(),
        1
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_or_damaged_fashion_mnist_files_are_clear_errors() {
    let dir = scratch("fm-missing");
    let source = planted_source(&dir);
    std::fs::remove_file(source.join("train-labels-idx1-ubyte.gz")).unwrap();
    let out = dir.join("out");
    let run = arnet_in(
        Some(&source),
        &["data", "fashion-mnist", "--out", out.to_str().unwrap()],
    );
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("train-labels-idx1-ubyte.gz"), "{stderr}");
    assert!(
        stderr.contains("apt-get install dataset-fashion-mnist"),
        "{stderr}"
    );
    assert!(!out.join("labels.json").exists(), "nothing written");

    // A truncated image file: named, and said to be damaged.
    gz(
        &source.join("train-labels-idx1-ubyte.gz"),
        &[0, 0, 8, 1, 0, 0, 0, 4, 0, 5, 3, 9],
    );
    gz(
        &source.join("train-images-idx3-ubyte.gz"),
        &[0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2],
    );
    let run = arnet_in(
        Some(&source),
        &["data", "fashion-mnist", "--out", out.to_str().unwrap()],
    );
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("train-images-idx3-ubyte.gz") && stderr.contains("damaged"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A tiny two-encoder model (32 px ViT), saved.
fn tiny_weights(dir: &Path) -> PathBuf {
    let config = ArnetEncoderConfig::new(VitConfig::custom(32, 8, 32, 1, 2));
    let device = Backend::Cpu.device().unwrap();
    let mut pair = ArnetPair::init(&config, &device).unwrap();
    let path = dir.join("tiny.safetensors");
    weights::save_pair(&mut pair, &path).unwrap();
    path
}

/// Dark shapes on white, each its own size and place: `count` photos in `folder`.
fn shapes(folder: &Path, count: u32) {
    std::fs::create_dir_all(folder).unwrap();
    for i in 0..count {
        let image = image::RgbImage::from_fn(64, 64, |x, y| {
            let inside = x > 6 + 2 * i && x < 58 - i && y > 4 + i && y < 60 - 2 * i;
            if inside {
                image::Rgb([40 + (i * 9 % 150) as u8, 40, 60])
            } else {
                image::Rgb([255, 255, 255])
            }
        });
        image.save(folder.join(format!("p{i:02}.png"))).unwrap();
    }
}

#[test]
fn labels_give_category_precision_in_eval_and_search() {
    let dir = scratch("labels");
    let weights = tiny_weights(&dir);
    // A test split of 4 photos, one traced sketch each (STEM_t1.png).
    shapes(&dir.join("data/testB"), 4);
    std::fs::create_dir_all(dir.join("data/trainB")).unwrap();
    arnet_ok(&[
        "pseudo-sketch",
        "--photos",
        dir.join("data/testB").to_str().unwrap(),
        "--out",
        dir.join("data/testA").to_str().unwrap(),
        "--method",
        "traced",
    ]);
    let eval = |labels: &serde_json::Value| -> serde_json::Value {
        let path = dir.join("labels.json");
        std::fs::write(&path, labels.to_string()).unwrap();
        let run = arnet_ok(&[
            "eval",
            "--data",
            dir.join("data").to_str().unwrap(),
            "--weights",
            weights.to_str().unwrap(),
            "--labels",
            path.to_str().unwrap(),
            "--json",
        ]);
        serde_json::from_slice(&run.stdout).unwrap()
    };
    // One class for all: every result is the right kind.
    let same = eval(&serde_json::json!({"p00": "a", "p01": "a", "p02": "a", "p03": "a"}));
    assert_eq!(same["p10"], 100.0, "{same}");
    assert_eq!(same["sketches"], 4);
    // A class per photo: of the 4 results (the whole gallery), only the photo itself.
    let unique = eval(&serde_json::json!({"p00": "a", "p01": "b", "p02": "c", "p03": "d"}));
    assert_eq!(unique["p10"], 25.0, "{unique}");
    // Two classes of two: the sketch's own photo and its twin among four.
    let pairs = eval(&serde_json::json!({"p00": "a", "p01": "a", "p02": "b", "p03": "b"}));
    assert_eq!(pairs["p10"], 50.0, "{pairs}");

    // search --json --labels: classes on the results, the sketch's class and its p10.
    let sketch = dir.join("data/testA/p01_t1.png");
    let run = arnet_ok(&[
        "search",
        "--weights",
        weights.to_str().unwrap(),
        "--gallery",
        dir.join("data/testB").to_str().unwrap(),
        "--labels",
        dir.join("labels.json").to_str().unwrap(),
        "--json",
        sketch.to_str().unwrap(),
    ]);
    let line: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(line["class"], "a");
    assert_eq!(line["p10"], 50.0, "{line}");
    let classes: Vec<&str> = line["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["class"].as_str().unwrap())
        .collect();
    assert_eq!(classes.len(), 4);
    assert_eq!(classes.iter().filter(|c| **c == "a").count(), 2);

    // A broken labels file is named.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "[1, 2]").unwrap();
    let run = arnet(&[
        "eval",
        "--data",
        dir.join("data").to_str().unwrap(),
        "--weights",
        weights.to_str().unwrap(),
        "--labels",
        bad.to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("bad.json") && stderr.contains("labels"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The embedding `arnet embed` prints for `image` with `weights`.
fn embedding(weights: &Path, image: &Path) -> Vec<f64> {
    let run = arnet_ok(&[
        "embed",
        "--weights",
        weights.to_str().unwrap(),
        "--encoder",
        "image",
        image.to_str().unwrap(),
    ]);
    let line: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    line["embedding"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn last_line(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn fine_tune_writes_a_model_reports_before_and_after_and_keeps_the_start_when_no_better() {
    let dir = scratch("fine-tune");
    let weights = tiny_weights(&dir);
    let gallery = dir.join("gallery");
    shapes(&gallery, 20);
    let probe = gallery.join("p03.png");
    let fine_tune = |flags: &[&str], out: &Path| {
        let mut args = vec![
            "fine-tune",
            "--gallery",
            gallery.to_str().unwrap(),
            "--weights",
            weights.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(flags);
        arnet(&args)
    };

    // An ordinary run: a model is written and the last line reports the check; with
    // --events json, stdout carries the run's events, one JSON object per line.
    let out = dir.join("run");
    let run = fine_tune(&["--epochs", "2", "--lr", "1e-3", "--events", "json"], &out);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let line = last_line(&run);
    assert!(
        line.starts_with("fine-tune: held-out Acc@1 before ")
            && line.contains("% after ")
            && line.contains("kind P@10 before "),
        "{line}"
    );
    assert!(
        out.join("data/labels.json").is_file(),
        "the kinds the starting model reads in the gallery, for the category term"
    );
    let best = out.join("best.safetensors");
    assert!(best.is_file());
    let changed = embedding(&best, &probe) != embedding(&weights, &probe);
    assert_eq!(
        changed,
        line.contains("the fine-tuned model is"),
        "the file is the fine-tuned model exactly when the line says so: {line}"
    );
    let events: Vec<TrainingEvent> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|line| TrainingEvent::parse(line).unwrap_or_else(|| panic!("not an event: {line}")))
        .collect();
    assert_eq!(
        events.first(),
        Some(&TrainingEvent::Prepared {
            photos: 20,
            sketches: 0
        })
    );
    assert!(matches!(events[1], TrainingEvent::Untrained { .. }));
    let epochs: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            TrainingEvent::Epoch {
                epoch, epochs, val, ..
            } => Some((*epoch, *epochs, val[0])),
            _ => None,
        })
        .collect();
    assert_eq!(
        epochs.iter().map(|e| (e.0, e.1)).collect::<Vec<_>>(),
        [(1, 2), (2, 2)]
    );
    let steps = events
        .iter()
        .filter(|e| matches!(e, TrainingEvent::Step { epoch: 2, .. }))
        .count();
    assert!(steps > 0, "a step event per step");
    match events.last() {
        Some(TrainingEvent::Outcome {
            kept_start,
            weights,
            after,
            kind_before,
            kind_after,
            ..
        }) => {
            for kind in [kind_before, kind_after] {
                assert!(kind.is_some_and(|k| (0.0..=100.0).contains(&k)), "{kind:?}");
            }
            assert_eq!(*kept_start, !changed);
            assert_eq!(weights, &best);
            assert!(
                epochs.iter().any(|e| e.2 == *after),
                "after is an epoch's Acc@1"
            );
        }
        other => panic!("the last event is the outcome: {other:?}"),
    }
    // The same --out again is refused (nothing overwritten).
    let again = fine_tune(&[], &out);
    assert!(!again.status.success());
    assert!(last_line(&again).contains("already holds a fine-tuned model"));

    // A rate too small to move the weights cannot improve the check: the starting model is
    // kept, and said so.
    let kept = dir.join("kept");
    let run = fine_tune(&["--epochs", "1", "--lr", "1e-12"], &kept);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let line = last_line(&run);
    assert!(line.contains("kept the starting model"), "{line}");
    let start = embedding(&weights, &probe);
    let written = embedding(&kept.join("best.safetensors"), &probe);
    assert!(
        start
            .iter()
            .zip(&written)
            .all(|(a, b)| (a - b).abs() < 1e-6),
        "best.safetensors is the starting model"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `arnet freehand` writes drawings of a kind with their labels.json; `arnet eval --labels`
/// counts such drawings (sketches of no photo, labelled themselves) for the kind figures only,
/// overall and per kind, and reports a folder of drawings alone without Acc@K.
#[test]
fn freehand_drawings_count_for_the_kind_figures_only() {
    let dir = scratch("freehand");
    let weights = tiny_weights(&dir);
    shapes(&dir.join("data/testB"), 4);
    std::fs::create_dir_all(dir.join("data/trainB")).unwrap();
    let drawings = dir.join("drawings");
    arnet_ok(&[
        "freehand",
        "--out",
        drawings.to_str().unwrap(),
        "--kind",
        "coat",
        "--kind",
        "t-shirt/top",
        "--per-kind",
        "1",
    ]);
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(drawings.join("labels.json")).unwrap()).unwrap();
    assert_eq!(
        written,
        serde_json::json!({"freehand-coat-000_1": "coat", "freehand-t-shirt-000_1": "t-shirt/top"})
    );
    let bad = arnet(&[
        "freehand",
        "--out",
        drawings.to_str().unwrap(),
        "--kind",
        "sandal",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("sandal"));

    std::fs::create_dir_all(dir.join("data/testA")).unwrap();
    for stem in ["freehand-coat-000_1", "freehand-t-shirt-000_1"] {
        std::fs::copy(
            drawings.join(format!("{stem}.png")),
            dir.join(format!("data/testA/{stem}.png")),
        )
        .unwrap();
    }
    // Two photos of each kind; each drawing's top four (the whole gallery) holds two of its.
    let labels = dir.join("labels.json");
    std::fs::write(
        &labels,
        serde_json::json!({
            "p00": "coat", "p01": "coat", "p02": "t-shirt/top", "p03": "t-shirt/top",
            "freehand-coat-000_1": "coat", "freehand-t-shirt-000_1": "t-shirt/top",
        })
        .to_string(),
    )
    .unwrap();
    let eval = || -> serde_json::Value {
        let run = arnet_ok(&[
            "eval",
            "--data",
            dir.join("data").to_str().unwrap(),
            "--weights",
            weights.to_str().unwrap(),
            "--labels",
            labels.to_str().unwrap(),
            "--json",
        ]);
        serde_json::from_slice(&run.stdout).unwrap()
    };
    let only_drawings = eval();
    assert_eq!(
        only_drawings["acc1"],
        serde_json::Value::Null,
        "{only_drawings}"
    );
    assert_eq!(only_drawings["kind_sketches"], 2);
    assert_eq!(only_drawings["freehand_sketches"], 2);
    assert_eq!(only_drawings["p10"], 50.0);
    assert_eq!(only_drawings["per_kind"]["coat"]["sketches"], 1);
    assert_eq!(only_drawings["per_kind"]["t-shirt/top"]["p10"], 50.0);
    // search --labels names a labelled drawing's own kind.
    let run = arnet_ok(&[
        "search",
        "--weights",
        weights.to_str().unwrap(),
        "--gallery",
        dir.join("data/testB").to_str().unwrap(),
        "--labels",
        labels.to_str().unwrap(),
        "--json",
        dir.join("data/testA/freehand-coat-000_1.png")
            .to_str()
            .unwrap(),
    ]);
    let line: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(line["class"], "coat", "{line}");
    assert_eq!(line["p10"], 50.0, "{line}");

    // With traced sketches of the photos beside them: Acc@K over those four, kinds over six.
    arnet_ok(&[
        "pseudo-sketch",
        "--photos",
        dir.join("data/testB").to_str().unwrap(),
        "--out",
        dir.join("data/testA").to_str().unwrap(),
        "--method",
        "traced",
    ]);
    let both = eval();
    assert_eq!(both["sketches"], 4, "{both}");
    assert!(both["acc1"].is_number());
    assert_eq!(both["kind_sketches"], 6);
    assert_eq!(both["per_kind"]["coat"]["sketches"], 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `arnet search --like/--unlike/--feedback-weight` moves the query and leaves the "not this"
/// photos out; a missing photo is named; `arnet eval --feedback-rounds` reports every round.
#[test]
fn more_like_this_and_not_this_move_the_results() {
    let dir = scratch("feedback");
    let weights = tiny_weights(&dir);
    let gallery = dir.join("data/testB");
    shapes(&gallery, 6);
    let sketch = dir.join("sketch.png");
    image::RgbImage::from_fn(64, 64, |x, y| {
        let edge = (x == 10 || x == 50) && (8..56).contains(&y);
        image::Rgb(if edge { [0, 0, 0] } else { [255, 255, 255] })
    })
    .save(&sketch)
    .unwrap();
    let search = |extra: &[&str]| -> Vec<String> {
        let mut args = vec![
            "search",
            "--weights",
            weights.to_str().unwrap(),
            "--gallery",
            gallery.to_str().unwrap(),
            "--json",
        ];
        args.extend_from_slice(extra);
        args.push(sketch.to_str().unwrap());
        let run = arnet_ok(&args);
        let line: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        line["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let path = PathBuf::from(r["path"].as_str().unwrap());
                path.file_name().unwrap().to_string_lossy().into_owned()
            })
            .collect()
    };
    let plain = search(&[]);
    assert_eq!(plain.len(), 6);
    // The photo ranked last, liked with a large weight, comes first: the query is nearly it.
    let last = gallery.join(plain.last().unwrap());
    let liked = search(&["--like", last.to_str().unwrap(), "--feedback-weight", "50"]);
    assert_eq!(liked[0], plain[5], "{plain:?} -> {liked:?}");
    // The first, marked "not this", is gone.
    let first = gallery.join(&plain[0]);
    let unliked = search(&["--unlike", first.to_str().unwrap()]);
    assert_eq!(unliked.len(), 5);
    assert!(!unliked.contains(&plain[0]), "{unliked:?}");
    // Weight 0 moves nothing.
    let still = search(&["--like", last.to_str().unwrap(), "--feedback-weight", "0"]);
    assert_eq!(still, plain);
    // A photo that is not there is named.
    let missing = dir.join("nowhere.png");
    let run = arnet(&[
        "search",
        "--weights",
        weights.to_str().unwrap(),
        "--gallery",
        gallery.to_str().unwrap(),
        "--like",
        missing.to_str().unwrap(),
        sketch.to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("nowhere.png"));

    // eval --feedback-rounds: round 0 is the plain figure, then one entry per round.
    std::fs::create_dir_all(dir.join("data/testA")).unwrap();
    for stem in ["p00", "p03"] {
        std::fs::copy(&sketch, dir.join(format!("data/testA/{stem}_1.png"))).unwrap();
    }
    std::fs::create_dir_all(dir.join("data/trainB")).unwrap();
    let labels = dir.join("labels.json");
    let classes = serde_json::json!({
        "p00": "a", "p01": "a", "p02": "a", "p03": "b", "p04": "b", "p05": "b"
    });
    std::fs::write(&labels, classes.to_string()).unwrap();
    let run = arnet_ok(&[
        "eval",
        "--data",
        dir.join("data").to_str().unwrap(),
        "--weights",
        weights.to_str().unwrap(),
        "--labels",
        labels.to_str().unwrap(),
        "--feedback-rounds",
        "2",
        "--json",
    ]);
    let line: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let rounds = line["feedback"].as_array().unwrap();
    assert_eq!(rounds.len(), 3, "{line}");
    assert_eq!(rounds[0]["p10"], line["p10"]);
    assert_eq!(rounds[0]["acc10"], line["acc10"]);
    // Each round marks one wrong photo "not this": it leaves the six shown, so P@10 rises.
    let p10 = |i: usize| rounds[i]["p10"].as_f64().unwrap();
    assert!(p10(2) > p10(0), "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}
