//! `arnet index`: the headless gallery indexing the app shares, with its exact JSON line, the
//! cache's incremental updates, and bad input.

use crate::fixtures;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fixtures::{photo, tiny_weights};
use image::{Rgb, RgbImage};

fn scratch(name: &str) -> PathBuf {
    fixtures::scratch("cli-index", name)
}

fn index(cache: &Path, weights: &Path, gallery: &Path) -> (Output, serde_json::Value) {
    index_with(cache, weights, gallery, &[])
}

fn index_with(
    cache: &Path,
    weights: &Path,
    gallery: &Path,
    extra: &[&str],
) -> (Output, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_arnet"))
        .env("ARNET_CACHE_DIR", cache)
        .args(["index", "--weights"])
        .arg(weights)
        .arg("--gallery")
        .arg(gallery)
        .arg("--json")
        .args(extra)
        .output()
        .unwrap();
    let last = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    let json = serde_json::from_str(&last).unwrap_or(serde_json::Value::Null);
    (out, json)
}

/// The JSON line of `arnet search --json` for one sketch, after checking that it succeeded.
fn search_json(
    cache: &Path,
    weights: &Path,
    gallery: &Path,
    sketch: &Path,
    extra: &[&str],
) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_arnet"))
        .env("ARNET_CACHE_DIR", cache)
        .args(["search", "--weights"])
        .arg(weights)
        .arg("--gallery")
        .arg(gallery)
        .arg("--json")
        .args(extra)
        .arg(sketch)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn index_reuses_the_cache_and_follows_added_changed_removed_and_broken_files() {
    let dir = scratch("incremental");
    let (weights, cache, gallery) = (dir.join("w.safetensors"), dir.join("cache"), dir.join("g"));
    tiny_weights(&weights, 1);
    std::fs::create_dir_all(gallery.join("sub")).unwrap();
    for i in 0..5u8 {
        photo(&gallery.join(format!("p{i}.png")), i * 40);
    }
    photo(&gallery.join("sub/nested.png"), 200);
    std::fs::write(gallery.join("broken.jpg"), b"\xFF\xD8\xFF garbage").unwrap();
    std::fs::write(gallery.join("notes.txt"), b"not an image").unwrap();

    let (out, json) = index(&cache, &weights, &gallery);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json["indexed"], 6);
    assert_eq!(json["cached"], 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("indexed 7/7 (") && stderr.contains(" photos/s, 0m00s left)"),
        "the last progress line gives the rate: {stderr}"
    );
    let skipped = json["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{json}");
    assert!(skipped[0]["path"].as_str().unwrap().ends_with("broken.jpg"));
    assert!(!skipped[0]["reason"].as_str().unwrap().is_empty());
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["cached", "indexed", "skipped"]);

    let (_, json) = index(&cache, &weights, &gallery);
    assert_eq!(
        (json["indexed"].as_u64(), json["cached"].as_u64()),
        (Some(6), Some(6))
    );

    // One added, one changed (size differs), one removed.
    photo(&gallery.join("p5.png"), 77);
    RgbImage::from_pixel(44, 44, Rgb([9, 9, 9]))
        .save(gallery.join("p0.png"))
        .unwrap();
    std::fs::remove_file(gallery.join("p1.png")).unwrap();
    let (_, json) = index(&cache, &weights, &gallery);
    assert_eq!(
        (json["indexed"].as_u64(), json["cached"].as_u64()),
        (Some(6), Some(4))
    );

    // Another model never reuses these embeddings.
    let other = dir.join("other.safetensors");
    tiny_weights(&other, 2);
    let (_, json) = index(&cache, &other, &gallery);
    assert_eq!(
        (json["indexed"].as_u64(), json["cached"].as_u64()),
        (Some(6), Some(0))
    );

    // A corrupt cache is rebuilt, not fatal.
    for entry in walk(&cache) {
        std::fs::write(entry, b"corrupt").unwrap();
    }
    let (out, json) = index(&cache, &weights, &gallery);
    assert!(out.status.success());
    assert_eq!(
        (json["indexed"].as_u64(), json["cached"].as_u64()),
        (Some(6), Some(0))
    );
    let (_, json) = index(&cache, &weights, &gallery);
    assert_eq!(json["cached"], 6, "the rebuilt cache is used");

    // A vector file that is not the committed one (same name, other bytes) is not trusted.
    // The newest vector file is this model's, just rebuilt (the other model's is corrupt).
    let vectors = walk(&cache)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "usearch"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .unwrap();
    let mut bytes = std::fs::read(&vectors).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&vectors, &bytes).unwrap();
    let (out, json) = index(&cache, &weights, &gallery);
    assert!(out.status.success());
    assert_eq!(json["cached"], 0, "a truncated vector file is rebuilt");

    // Another storage precision converts what is stored: nothing is embedded again.
    let (out, json) = index_with(&cache, &weights, &gallery, &["--storage", "f16"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        (json["indexed"].as_u64(), json["cached"].as_u64()),
        (Some(6), Some(6))
    );
    let usearch_files = walk(vectors.parent().unwrap())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "usearch"))
        .count();
    assert_eq!(usearch_files, 1, "superseded vector files are removed");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `search` ranks a small gallery the same through the HNSW graph (`--exact-up-to 0`) as by
/// the exact scan, and f16 storage changes scores by no more than its rounding.
#[test]
fn search_through_the_graph_agrees_with_the_exact_scan_on_a_small_gallery() {
    let dir = scratch("graph");
    let (weights, cache, gallery) = (dir.join("w.safetensors"), dir.join("cache"), dir.join("g"));
    tiny_weights(&weights, 3);
    let sketch = fixtures::twelve_photos_and_a_sketch(&gallery, &dir);
    let search = |extra: &[&str]| {
        let line = search_json(&cache, &weights, &gallery, &sketch, extra);
        fixtures::search_results(&line)
    };
    let exact = search(&["--top", "12"]);
    assert_eq!(exact.len(), 12);
    let exact_score: std::collections::HashMap<&str, f64> =
        exact.iter().map(|(p, s)| (p.as_str(), *s)).collect();
    let graph = search(&["--top", "5", "--exact-up-to", "0"]);
    assert_eq!(graph.len(), 5);
    for ((path, score), (exact_path, expected)) in graph.iter().zip(&exact) {
        assert_eq!(
            path, exact_path,
            "the graph of 12 photos finds the exact top 5"
        );
        assert!(
            (score - expected).abs() < 1e-5,
            "{path}: {score} vs {expected}"
        );
    }
    // f16 storage may swap photos whose scores differ by less than its rounding.
    let half = search(&["--top", "5", "--exact-up-to", "0", "--storage", "f16"]);
    assert_eq!(half.len(), 5);
    for (path, score) in &half {
        let expected = exact_score[path.as_str()];
        assert!(
            (score - expected).abs() < 2e-3,
            "{path}: {score} vs {expected}"
        );
    }
    assert!(half.windows(2).all(|w| w[0].1 >= w[1].1), "best first");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn index_fails_only_when_the_gallery_or_weights_cannot_be_read() {
    let dir = scratch("bad");
    let weights = dir.join("w.safetensors");
    tiny_weights(&weights, 1);
    let (out, _) = index(&dir.join("cache"), &weights, &dir.join("missing"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"));
    let bad = dir.join("bad.safetensors");
    std::fs::write(&bad, b"nonsense").unwrap();
    let (out, _) = index(&dir.join("cache"), &bad, &dir);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.safetensors"));
    // An empty folder is a valid (empty) gallery.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (out, json) = index(&dir.join("cache"), &weights, &empty);
    assert!(out.status.success());
    assert_eq!(json["indexed"], 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `search --colour`: the photo of the swatch's colour comes first, each score is the cosine
/// plus the weighted colour match, and without the flag the output is what it was.
#[test]
fn search_with_a_colour_reranks_by_shape_plus_colour() {
    let dir = scratch("colour");
    let (weights, cache, gallery) = (dir.join("w.safetensors"), dir.join("cache"), dir.join("g"));
    tiny_weights(&weights, 5);
    let sketch = fixtures::twelve_photos_and_a_sketch(&gallery, &dir);
    let search = |extra: &[&str]| {
        let extra = [&["--top", "12"][..], extra].concat();
        search_json(&cache, &weights, &gallery, &sketch, &extra)
    };
    let file = |path: &str| {
        Path::new(path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string()
    };
    let plain = search(&[]);
    let shape = fixtures::search_results(&plain);
    assert!(
        plain["results"][0].get("colour_match").is_none(),
        "no colour, no new field"
    );
    let cosine: std::collections::HashMap<String, f64> =
        shape.iter().map(|(p, s)| (file(p), *s)).collect();
    // p11 is drawn in (220, 80, 35); the sketch's own shade is 90 (p04 / p05's neighbour).
    for (swatch, expected_first) in [("#dc5023", "p11.png"), ("#0050ff", "p00.png")] {
        let line = search(&["--colour", swatch, "--colour-weight", "1"]);
        let results = line["results"].as_array().unwrap();
        assert_eq!(
            file(results[0]["path"].as_str().unwrap()),
            expected_first,
            "{line}"
        );
        assert!(results[0]["colour_match"].as_f64().unwrap() > 0.9, "{line}");
        for result in results {
            let name = file(result["path"].as_str().unwrap());
            let matched = result["colour_match"].as_f64().unwrap();
            let score = result["score"].as_f64().unwrap();
            assert!(
                (score - (cosine[&name] + matched)).abs() < 1e-4,
                "{name}: {score} is not {} + {matched}",
                cosine[&name]
            );
        }
        assert!(
            results
                .windows(2)
                .all(|w| w[0]["score"].as_f64() >= w[1]["score"].as_f64()),
            "best first"
        );
    }
    // A weight of 0 keeps the shape's order.
    let weightless = search(&["--colour", "#dc5023", "--colour-weight", "0"]);
    let order: Vec<String> = fixtures::search_results(&weightless)
        .iter()
        .map(|(p, _)| file(p))
        .collect();
    let shape_order: Vec<String> = shape.iter().map(|(p, _)| file(p)).collect();
    assert_eq!(order, shape_order);
    // Bad colours are named.
    let out = Command::new(env!("CARGO_BIN_EXE_arnet"))
        .env("ARNET_CACHE_DIR", &cache)
        .args(["search", "--weights"])
        .arg(&weights)
        .arg("--gallery")
        .arg(&gallery)
        .args(["--colour", "crimson"])
        .arg(&sketch)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("crimson") && stderr.contains("#RRGGBB"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A cache that cannot be written costs time, not the index: the command succeeds and says so.
#[test]
fn an_unwritable_cache_is_a_warning_and_the_index_still_answers() {
    let dir = scratch("unwritable");
    let (weights, gallery) = (dir.join("w.safetensors"), dir.join("g"));
    tiny_weights(&weights, 2);
    std::fs::create_dir_all(&gallery).unwrap();
    for i in 0..3u8 {
        photo(&gallery.join(format!("p{i}.png")), i * 60);
    }
    // A file where the cache folder should be: nothing can be created under it (also as root).
    let cache = dir.join("cache-is-a-file");
    std::fs::write(&cache, b"not a folder").unwrap();
    let (out, json) = index(&cache, &weights, &gallery);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json["indexed"], 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the gallery store could not be saved"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
