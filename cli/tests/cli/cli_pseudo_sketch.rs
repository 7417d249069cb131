//! `arnet pseudo-sketch` on folders that `arnet synth` makes, with planted problems.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn arnet<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    // Run from a scratch folder: the default HED weights are looked up relative to it.
    let cwd = scratch("cwd");
    Command::new(env!("CARGO_BIN_EXE_arnet"))
        .current_dir(&cwd)
        .args(args)
        .output()
        .expect("arnet runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "arnet-cli-pseudo-sketch-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh synthetic data folder (6 train photos, 2 test photos); returns its trainB/.
fn synth_photos(name: &str) -> PathBuf {
    let dir = scratch(name);
    let _ = std::fs::remove_dir_all(&dir);
    let out = arnet([
        "synth",
        "--out",
        dir.to_str().unwrap(),
        "--photos",
        "8",
        "--sketches-per-photo",
        "1",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    dir.join("trainB")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `arnet pseudo-sketch --photos PHOTOS --out OUT EXTRA...`.
fn pseudo_sketch(photos: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "pseudo-sketch",
        "--photos",
        photos.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    arnet(args)
}

fn photo_stems(dir: &Path) -> Vec<String> {
    let mut stems: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    stems.sort();
    stems
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn canny_writes_one_sketch_per_photo_and_skips_a_broken_one() {
    let photos = synth_photos("canny");
    let stems = photo_stems(&photos);
    assert_eq!(stems.len(), 6);
    std::fs::write(photos.join("broken.png"), b"not a png at all").unwrap();
    std::fs::write(photos.join("notes.txt"), b"not an image, not a photo").unwrap();
    let out_dir = scratch("canny-out");
    let _ = std::fs::remove_dir_all(&out_dir);

    let out = pseudo_sketch(&photos, &out_dir, &["--method", "canny"]);
    let log = stderr(&out);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("skipped") && log.contains("broken.png"),
        "the broken photo is not listed: {log}"
    );
    assert!(!log.contains("notes.txt"), "{log}");

    // One sketch per readable photo, the trainer's naming, nothing else (no temporary files).
    let expected: Vec<String> = stems.iter().map(|s| format!("{s}_p1.png")).collect();
    assert_eq!(files_in(&out_dir), expected);
    for stem in &stems {
        let photo = image::open(photos.join(format!("{stem}.png"))).unwrap();
        let sketch = image::open(out_dir.join(format!("{stem}_p1.png")))
            .unwrap()
            .to_rgb8();
        assert_eq!(sketch.dimensions(), (photo.width(), photo.height()));
        let pixels = sketch.pixels().count() as f64;
        let grey = |p: &image::Rgb<u8>| p.0.iter().map(|&v| u32::from(v)).sum::<u32>() / 3;
        let white = sketch.pixels().filter(|p| grey(p) >= 230).count() as f64 / pixels;
        let dark = sketch.pixels().filter(|p| grey(p) < 100).count() as f64 / pixels;
        assert!(white > 0.7, "{stem}: only {:.1}% near-white", 100.0 * white);
        assert!(dark > 0.01, "{stem}: only {:.2}% dark", 100.0 * dark);
    }

    // Without --method and without weights (none in the working directory) it is Canny too.
    let again = scratch("default-out");
    let out = pseudo_sketch(&photos, &again, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Canny"), "{}", stderr(&out));
    for stem in &stems {
        let a = std::fs::read(out_dir.join(format!("{stem}_p1.png"))).unwrap();
        let b = std::fs::read(again.join(format!("{stem}_p1.png"))).unwrap();
        assert_eq!(a, b, "{stem}: the same photo gives the same sketch");
    }
}

#[test]
fn hed_runs_with_the_fixture_weights() {
    let weights =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/hed-a/hed.safetensors");
    let photos = scratch("hed-photos");
    // Two photos of different sizes (HED runs one photo at a time at its own size).
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/hed-a");
    std::fs::copy(fixture.join("input_photo.png"), photos.join("a.png")).unwrap();
    std::fs::copy(fixture.join("input_strip.png"), photos.join("b_2.png")).unwrap();
    let out_dir = scratch("hed-out");
    let _ = std::fs::remove_dir_all(&out_dir);
    let out = pseudo_sketch(
        &photos,
        &out_dir,
        &["--method", "hed", "--weights", weights.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("HED"), "{}", stderr(&out));
    assert_eq!(files_in(&out_dir), ["a_p1.png", "b_2_p1.png"]);
    let size = |p: PathBuf| image::open(p).unwrap().to_rgb8().dimensions();
    assert_eq!(size(out_dir.join("a_p1.png")), (45, 37));
    assert_eq!(size(out_dir.join("b_2_p1.png")), (33, 20));

    // --method hed without weights says where to get them.
    let out = pseudo_sketch(&photos, &out_dir, &["--method", "hed"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("convert_pretrained.sh"),
        "{}",
        stderr(&out)
    );

    // A file that is not HED's is refused with its name.
    let other = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/efficientnet-a/encoder.safetensors");
    let out = pseudo_sketch(&photos, &out_dir, &["--weights", other.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("encoder.safetensors"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_folder_of_broken_photos_fails() {
    let photos = scratch("broken-photos");
    std::fs::write(photos.join("x.png"), b"garbage").unwrap();
    std::fs::write(photos.join("y.jpg"), b"garbage").unwrap();
    let out_dir = scratch("broken-out");
    let out = pseudo_sketch(&photos, &out_dir, &["--method", "canny"]);
    assert!(!out.status.success());
    let log = stderr(&out);
    assert!(log.contains("x.png") && log.contains("y.jpg"), "{log}");
    assert!(files_in(&out_dir).is_empty());
}
