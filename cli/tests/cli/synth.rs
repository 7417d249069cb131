//! `arnet synth`: layout, determinism and the look of what it writes.

use std::path::Path;
use std::process::Command;

fn synth(out: &Path, seed: &str) {
    let status = Command::new(env!("CARGO_BIN_EXE_arnet"))
        .args(["synth", "--out"])
        .arg(out)
        .args(["--photos", "8", "--sketches-per-photo", "2", "--seed", seed])
        .status()
        .unwrap();
    assert!(status.success());
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn writes_the_trainer_layout_deterministically() {
    let root = std::env::temp_dir().join(format!("arnet-synth-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (a, b, c) = (root.join("a"), root.join("b"), root.join("c"));
    synth(&a, "5");
    synth(&b, "5");
    synth(&c, "6");
    assert_eq!(files(&a.join("trainB")).len(), 6);
    assert_eq!(files(&a.join("testB")).len(), 2);
    assert_eq!(files(&a.join("trainA")).len(), 12);
    assert_eq!(files(&a.join("testA")).len(), 4);
    assert_eq!(
        files(&a.join("trainA"))[..2],
        ["00001_01.png", "00001_02.png"]
    );
    assert_eq!(files(&a.join("testB")), ["00007.png", "00008.png"]);
    for sub in ["trainA", "trainB", "testA", "testB"] {
        for name in files(&a.join(sub)) {
            let x = std::fs::read(a.join(sub).join(&name)).unwrap();
            let y = std::fs::read(b.join(sub).join(&name)).unwrap();
            assert!(
                x == y,
                "{sub}/{name} differs between runs with the same seed"
            );
        }
    }
    let photo = |dir: &Path| std::fs::read(dir.join("trainB/00001.png")).unwrap();
    assert_ne!(photo(&a), photo(&c), "another seed gives other garments");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("synth.json")).unwrap()).unwrap();
    assert_eq!(manifest["garments"].as_array().unwrap().len(), 8);

    // Sketches: dark strokes on a white page; photos: a coloured garment on a light ground.
    let sketch = image::open(a.join("trainA/00001_01.png"))
        .unwrap()
        .to_rgb8();
    let white = sketch.pixels().filter(|p| p.0 == [255; 3]).count();
    let dark = sketch.pixels().filter(|p| p[0] < 100).count();
    let total = sketch.pixels().count();
    assert!(white > total / 2, "mostly white page");
    assert!(dark > 200, "visible strokes ({dark} dark px)");
    assert!(
        sketch.pixels().all(|p| p[0] == p[1] && p[1] == p[2]),
        "grey ink"
    );
    let photo = image::open(a.join("trainB/00001.png")).unwrap().to_rgb8();
    assert_eq!(photo.dimensions(), (256, 256));
    let colourful = photo
        .pixels()
        .filter(|p| p.0.iter().max().unwrap() - p.0.iter().min().unwrap() > 8)
        .count();
    assert!(colourful > total / 20, "a coloured garment is visible");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn the_varied_style_draws_other_sketches_of_the_same_garments_deterministically() {
    let root = std::env::temp_dir().join(format!("arnet-synth-varied-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let run = |name: &str, style: &str| {
        let out = root.join(name);
        let status = Command::new(env!("CARGO_BIN_EXE_arnet"))
            .args(["synth", "--out"])
            .arg(&out)
            .args([
                "--photos",
                "12",
                "--sketches-per-photo",
                "3",
                "--seed",
                "5",
                "--style",
                style,
            ])
            .status()
            .unwrap();
        assert!(status.success());
        out
    };
    let (standard, varied, again) = (
        run("s", "standard"),
        run("v", "varied"),
        run("v2", "varied"),
    );
    let read = |dir: &Path, file: &str| std::fs::read(dir.join(file)).unwrap();
    assert_eq!(
        files(&varied.join("trainA")),
        files(&standard.join("trainA"))
    );
    for photo in files(&standard.join("trainB")) {
        let file = format!("trainB/{photo}");
        assert_eq!(
            read(&standard, &file),
            read(&varied, &file),
            "same garments"
        );
    }
    let mut differing = 0;
    let mut ink = Vec::new();
    for sketch in files(&varied.join("trainA")) {
        let file = format!("trainA/{sketch}");
        assert_eq!(
            read(&varied, &file),
            read(&again, &file),
            "deterministic: {file}"
        );
        differing += usize::from(read(&standard, &file) != read(&varied, &file));
        let image = image::open(varied.join(&file)).unwrap().to_rgb8();
        let dark = image.pixels().filter(|p| p[0] < 160).count();
        assert!(
            dark > 50 && dark < image.pixels().count() / 3,
            "{file}: {dark} dark px"
        );
        ink.push(dark);
    }
    assert_eq!(differing, ink.len(), "every sketch is drawn anew");
    // Line widths, partial and outline-only sketches: the amount of ink varies a lot.
    let (least, most) = (ink.iter().min().unwrap(), ink.iter().max().unwrap());
    assert!(*most > 3 * *least, "ink from {least} to {most} px");
    std::fs::remove_dir_all(&root).unwrap();
}

/// Sketch k of photo i is drawn from random stream item `i * 1000 + k`: more than 1000 sketches a
/// photo would give two sketches the same randomness, so it is refused before anything is written.
#[test]
fn more_than_a_thousand_sketches_a_photo_are_refused() {
    let out = std::env::temp_dir().join(format!("arnet-synth-limit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let result = Command::new(env!("CARGO_BIN_EXE_arnet"))
        .args(["synth", "--out"])
        .arg(&out)
        .args(["--photos", "1", "--sketches-per-photo", "1001"])
        .output()
        .unwrap();
    assert!(!result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("at most 1000 sketches a photo, not 1001"),
        "{stderr}"
    );
    assert!(!out.join("trainA").exists(), "nothing written");
}
