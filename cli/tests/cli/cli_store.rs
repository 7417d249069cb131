//! `arnet index --store URL` and `arnet search --store URL`: the shared catalogue through
//! the command line, on a real PostgreSQL + pgvector server, giving what the local cache gives.

use crate::database;

use crate::fixtures;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fixtures::{photo, search_results as results, tiny_weights};

fn scratch(name: &str) -> PathBuf {
    fixtures::scratch("cli-store", name)
}

fn arnet(cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arnet"))
        .env("ARNET_CACHE_DIR", cache)
        .args(args)
        .output()
        .unwrap()
}

fn last_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

#[test]
fn index_and_search_through_the_shared_catalogue_match_the_local_cache() {
    let url = database::url();
    let catalogue = database::unique("cli");
    let dir = scratch("match");
    let (weights, cache, gallery) = (dir.join("w.safetensors"), dir.join("cache"), dir.join("g"));
    tiny_weights(&weights, 5);
    let sketch = fixtures::twelve_photos_and_a_sketch(&gallery, &dir);
    let (w, g, s) = (
        weights.to_str().unwrap(),
        gallery.to_str().unwrap(),
        sketch.to_str().unwrap(),
    );
    let shared = ["--store", url.as_str(), "--catalogue", catalogue.as_str()];
    let index = |extra: &[&str]| {
        let mut args = vec!["index", "--weights", w, "--gallery", g, "--json"];
        args.extend_from_slice(extra);
        last_json(&arnet(&cache, &args))
    };
    let mut args = vec!["index", "--weights", w, "--gallery", g, "--json"];
    args.extend_from_slice(&shared);
    let out = arnet(&cache, &args);
    let first = last_json(&out);
    assert_eq!(first["indexed"], 12);
    // The documented field order, the local index's fields first.
    let line = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap()
        .to_string();
    let fields = [
        "indexed",
        "cached",
        "skipped",
        "embedded",
        "removed",
        "kept_gone",
        "store",
    ];
    let at: Vec<usize> = fields
        .iter()
        .map(|f| line.find(&format!("\"{f}\":")).expect(f))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{line}");
    assert_eq!(first["embedded"], 12);
    let second = index(&shared);
    assert_eq!(
        (second["cached"].as_u64(), second["embedded"].as_u64()),
        (Some(12), Some(0))
    );

    let search = |extra: &[&str]| {
        let mut args = vec![
            "search",
            "--weights",
            w,
            "--gallery",
            g,
            "--json",
            "--top",
            "12",
        ];
        args.extend_from_slice(extra);
        args.push(s);
        results(&last_json(&arnet(&cache, &args)))
    };
    let local = search(&[]);
    let database = search(&shared);
    assert_eq!(local.len(), 12);
    assert_eq!(database.len(), 12);
    for ((path, score), (local_path, local_score)) in database.iter().zip(&local) {
        assert_eq!(path, local_path, "same ranking as the local cache");
        assert!(
            (score - local_score).abs() < 1e-5,
            "{path}: {score} vs {local_score}"
        );
    }
    // With a colour too: the catalogue keeps no colours, its hits are re-ranked with palettes
    // read from the photos, as the local index re-ranks with its stored ones.
    let colour = ["--colour", "#dc5023", "--colour-weight", "1"];
    let local = search(&colour);
    let database = search(&[&shared[..], &colour[..]].concat());
    assert!(local[0].0.ends_with("p11.png"), "{local:?}");
    for ((path, score), (local_path, local_score)) in database.iter().zip(&local) {
        assert_eq!(path, local_path, "same ranking by shape and colour");
        assert!(
            (score - local_score).abs() < 1e-4,
            "{path}: {score} vs {local_score}"
        );
    }
    // "More like this / not this" through the catalogue: the liked photo's embedding comes
    // from its file (the catalogue is searched without a local index), the same as the local
    // store's, so the moved query ranks the same; the "not this" photo is left out of both.
    let plain = search(&[]);
    let (liked, unliked) = (plain[6].0.clone(), plain[0].0.clone());
    let marks = ["--like", liked.as_str(), "--unlike", unliked.as_str()];
    let local = search(&marks);
    let database = search(&[&shared[..], &marks[..]].concat());
    assert_eq!(local.len(), 11);
    assert!(local.iter().all(|(path, _)| path != &unliked), "{local:?}");
    assert_ne!(local, plain[1..], "the marks moved the query");
    for ((path, score), (local_path, local_score)) in database.iter().zip(&local) {
        assert_eq!(path, local_path, "same ranking with marks");
        assert!(
            (score - local_score).abs() < 1e-4,
            "{path}: {score} vs {local_score}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unreachable_or_malformed_store_is_a_clear_error() {
    let dir = scratch("unreachable");
    let (weights, cache, gallery) = (dir.join("w.safetensors"), dir.join("cache"), dir.join("g"));
    tiny_weights(&weights, 6);
    std::fs::create_dir_all(&gallery).unwrap();
    photo(&gallery.join("p.png"), 10);
    let (w, g) = (weights.to_str().unwrap(), gallery.to_str().unwrap());
    // `arnet index` with these extra flags must fail; its stderr.
    let refused = |extra: &[&str]| {
        let mut args = vec!["index", "--weights", w, "--gallery", g];
        args.extend_from_slice(extra);
        let out = arnet(&cache, &args);
        assert!(!out.status.success(), "{extra:?} was accepted");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // Port 9 (discard) on loopback: nothing listens there.
    let stderr = refused(&["--store", "postgres://team:pw@127.0.0.1:9/db"]);
    assert!(
        stderr.contains("postgres://team@127.0.0.1:9/db") && stderr.contains("unreachable"),
        "{stderr}"
    );
    assert!(!stderr.contains("pw@"), "no password in messages: {stderr}");
    let stderr = refused(&["--store", "postgres://x@localhost:port/db"]);
    assert!(stderr.contains("not a PostgreSQL URL"), "{stderr}");
    // --catalogue without --store is refused by the parser.
    refused(&["--catalogue", "x"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
