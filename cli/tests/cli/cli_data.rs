//! `arnet check`, `arnet eval` and `arnet search` on generated data with planted problems.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn arnet<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_arnet"))
        .env(
            "ARNET_CACHE_DIR",
            std::env::temp_dir().join(format!("arnet-cli-data-cache-{}", std::process::id())),
        )
        .args(args)
        .output()
        .expect("arnet runs")
}

fn checkpoint() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/parity-a/checkpoint.pth")
}

/// A fresh synthetic folder: 8 photos (6 train, 2 test), 2 sketches each.
fn synth_folder(name: &str) -> PathBuf {
    synth_folder_with(name, &["--sketches-per-photo", "2", "--seed", "11"])
}

/// A fresh synthetic folder of 8 photos (6 train, 2 test), with more `arnet synth` flags.
fn synth_folder_with(name: &str, flags: &[&str]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arnet-cli-data-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut args = vec!["synth", "--out", dir.to_str().unwrap(), "--photos", "8"];
    args.extend(flags);
    let out = arnet(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

#[test]
fn check_reports_every_planted_problem() {
    let dir = synth_folder("check");
    let train_a = dir.join("trainA");
    let train_b = dir.join("trainB");
    // A sketch whose photo does not exist, a photo nobody drew, a corrupt file, a duplicate
    // stem and a sketch name that names no photo.
    std::fs::copy(train_a.join("00001_01.png"), train_a.join("99999_01.png")).unwrap();
    std::fs::copy(train_b.join("00001.png"), train_b.join("55555.png")).unwrap();
    std::fs::write(train_a.join("00002_09.png"), b"not an image").unwrap();
    std::fs::copy(train_b.join("00003.png"), train_b.join("00003.jpg")).unwrap();
    std::fs::copy(
        train_a.join("00001_01.png"),
        train_a.join("nounderscore.png"),
    )
    .unwrap();
    let out = arnet(["check", "--data", dir.to_str().unwrap()]);
    assert!(out.status.success());
    let report = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "train: 12 sketches, 7 photos",
        "test: 4 sketches, 2 photos",
        "sketch without photo",
        "99999_01.png",
        "photo without sketch",
        "55555.png",
        "unreadable, skipped",
        "00002_09.png",
        "duplicate photo stem 00003",
        "nounderscore.png",
        "train: 1 photo(s) without a drawn sketch: `arnet train` gives them pseudo-sketches",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
    assert!(report.contains("5 problem(s)"), "{report}");
}

#[test]
fn eval_prints_accuracy_json() {
    let dir = synth_folder("eval");
    let out = arnet([
        "eval",
        "--data",
        dir.to_str().unwrap(),
        "--weights",
        checkpoint().to_str().unwrap(),
        "--heads",
        "4",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["sketches"], 4);
    assert_eq!(json["photos"], 2);
    // With two photos every sketch's photo is in the top 5 and top 10.
    assert_eq!(json["acc5"], 100.0);
    assert_eq!(json["acc10"], 100.0);
    let acc1 = json["acc1"].as_f64().unwrap();
    assert!([0.0, 25.0, 50.0, 75.0, 100.0].contains(&acc1));

    let out = arnet([
        "eval",
        "--data",
        dir.to_str().unwrap(),
        "--weights",
        checkpoint().to_str().unwrap(),
        "--heads",
        "4",
        "--split",
        "val",
    ]);
    assert!(!out.status.success(), "no val split in a synth folder");
}

#[test]
fn search_ranks_the_gallery_and_skips_broken_photos() {
    let dir = synth_folder("search");
    let gallery = dir.join("trainB");
    std::fs::write(gallery.join("broken.png"), b"\x89PNG broken").unwrap();
    let sketch = dir.join("trainA/00002_01.png");
    let out = arnet([
        "search",
        "--weights",
        checkpoint().to_str().unwrap(),
        "--heads",
        "4",
        "--gallery",
        gallery.to_str().unwrap(),
        "--top",
        "4",
        "--json",
        sketch.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.png"));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = json["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    let scores: Vec<f64> = results
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "sorted best first: {scores:?}"
    );
    assert!(
        results
            .iter()
            .all(|r| !r["path"].as_str().unwrap().ends_with("broken.png"))
    );
}

#[test]
fn eval_on_the_fly_replays_stroke_lists_and_reports_m_a_and_m_b() {
    let dir = synth_folder_with(
        "otf",
        &[
            "--sketches-per-photo",
            "1",
            "--seed",
            "12",
            "--stroke-lists",
        ],
    );
    let strokes = dir.join("testA-strokes");
    let mut total_strokes = 0;
    for entry in std::fs::read_dir(&strokes).unwrap() {
        let list: serde_json::Value =
            serde_json::from_slice(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap();
        total_strokes += list.as_array().unwrap().len();
    }
    let weights = checkpoint();
    let eval = |extra: &[&str]| {
        let mut args = vec![
            "eval",
            "--data",
            dir.to_str().unwrap(),
            "--weights",
            weights.to_str().unwrap(),
            "--heads",
            "4",
            "--on-the-fly",
        ];
        args.extend(extra);
        arnet(args)
    };
    let out = eval(&["--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["sketches"], 2, "{json}");
    assert_eq!(json["photos"], 2, "{json}");
    assert_eq!(json["steps"], total_strokes, "one rank per stroke: {json}");
    let (m_a, m_b) = (json["m_a"].as_f64().unwrap(), json["m_b"].as_f64().unwrap());
    assert!((0.0..=100.0).contains(&m_a), "{json}");
    // With two photos a step is either first (percentile 1, 1/rank 1) or last (0, 1/2):
    // m@B = 50 + m@A / 2 whatever the ranks.
    assert!((m_b - (50.0 + m_a / 2.0)).abs() < 1e-9, "{json}");
    assert_eq!(json["acc5"], 100.0);

    let text = eval(&[]);
    let line = String::from_utf8(text.stdout).unwrap();
    assert!(line.contains("m@A") && line.contains("m@B"), "{line}");

    // A broken stroke list is one line naming it.
    let broken = strokes.join("00007_app.json");
    std::fs::write(&broken, b"[{\"points\": [[0.1, ").unwrap();
    let out = eval(&[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("00007_app.json"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
