//! The colour swatch measured on the bundled demo (docs/colour.md): Acc@1 / Acc@10 of the
//! demo's sketches searched without a colour, with their garment's colour (what a designer who
//! sees the garment picks), and with a wrong colour (the demo garment colour farthest from the
//! right one), at several weights.
//!
//! The demo gallery's generator knows every garment's colour: `arnet synth` with the demo's
//! seed (scripts/make_demo.sh) writes it to `synth.json`; the photos it writes are checked to be
//! the bundled ones. Searches go through `GalleryIndex::search`, the path the app and
//! `arnet search --colour` take. Two sketch sets: the generated sketches
//! (`assets/demo/sketches/`) and the app-style stroke lists (`assets/demo/strokes/`) rasterised
//! as the canvas does.
//!
//! Run: `bash scripts/eval_colour.sh` (prints one JSON line per set and weight).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arnet_model::colour::{ColourQuery, lab};
use arnet_model::gallery::{GalleryIndex, IndexSettings, index_gallery, model_identity};
use arnet_model::preprocess::{decode_rgb, model_input};
use arnet_model::raster::{SKETCH_RASTER_SIZE, rasterize};
use arnet_model::{Backend, embed, weights};
use arnet_training::on_the_fly::read_strokes;
use arnet_training::synth::{SketchStyle, SynthOptions, generate};

const WEIGHTS: [f32; 6] = [0.0, 0.1, 0.2, 0.3, 0.5, 1.0];

/// A sketch: the stem of the photo it shows, and its model input.
type Sketch = (String, Vec<f32>);

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let demo = root.join("assets/demo");
    let gallery = demo.join("gallery");
    let model_path = demo.join("model.safetensors");
    let colours = garment_colours(&gallery)?;

    let device = Backend::Cpu.device()?;
    let pair = weights::load_pair(&model_path, None, &device)?;
    let settings = IndexSettings::new(
        arnet_model::gallery::default_cache_dir(),
        model_identity(&model_path, None)?,
    );
    let index = index_gallery(&gallery, &pair.photo, &device, &settings, &mut |_| true)?;
    let size = embed::input_size(&pair.sketch);

    let mut sets: Vec<(&str, Vec<Sketch>)> = Vec::new();
    let mut generated = Vec::new();
    for path in sorted_files(&demo.join("sketches"), "png")? {
        generated.push((
            stem_before_underscore(&path),
            model_input(&decode_rgb(&path)?, size),
        ));
    }
    sets.push(("generated sketches", generated));
    let mut strokes = Vec::new();
    for path in sorted_files(&demo.join("strokes"), "json")? {
        let raster = rasterize(&read_strokes(&path)?, SKETCH_RASTER_SIZE);
        strokes.push((stem_before_underscore(&path), model_input(&raster, size)));
    }
    sets.push(("app stroke lists", strokes));

    for (name, sketches) in sets {
        let inputs: Vec<Vec<f32>> = sketches.iter().map(|(_, input)| input.clone()).collect();
        let queries = embed::embed_inputs(&pair.sketch, &inputs, 16, &device);
        let targets: Vec<usize> = sketches
            .iter()
            .map(|(stem, _)| position_of(&index, stem))
            .collect::<anyhow::Result<_>>()?;
        let accuracy = |colour_of: &dyn Fn(&str) -> Option<ColourQuery>| {
            let mut hits = [0usize; 2];
            for ((stem, _), (query, &target)) in sketches.iter().zip(queries.iter().zip(&targets)) {
                let colour = colour_of(stem);
                let ranked = index.search(query, 10, colour.as_ref());
                let rank = ranked.iter().position(|h| h.index == target);
                hits[0] += usize::from(rank == Some(0));
                hits[1] += usize::from(rank.is_some());
            }
            hits.map(|h| 100.0 * h as f64 / sketches.len() as f64)
        };
        let [acc1, acc10] = accuracy(&|_| None);
        println!(
            "{}",
            serde_json::json!({"set": name, "sketches": sketches.len(), "colour": "none",
                "acc1": acc1, "acc10": acc10})
        );
        for weight in WEIGHTS {
            let right = |stem: &str| {
                Some(ColourQuery {
                    rgb: colours[stem],
                    weight,
                })
            };
            let wrong = |stem: &str| {
                Some(ColourQuery {
                    rgb: farthest(&colours, colours[stem]),
                    weight,
                })
            };
            let [right1, right10] = accuracy(&right);
            let [wrong1, wrong10] = accuracy(&wrong);
            println!(
                "{}",
                serde_json::json!({"set": name, "weight": (f64::from(weight) * 100.0).round() / 100.0,
                    "right_acc1": right1, "right_acc10": right10,
                    "wrong_acc1": wrong1, "wrong_acc10": wrong10})
            );
        }
    }
    Ok(())
}

/// Each demo garment's main colour, from the generator run that made the demo gallery.
fn garment_colours(gallery: &Path) -> anyhow::Result<HashMap<String, [u8; 3]>> {
    let out = std::env::temp_dir().join(format!("arnet-colour-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    // scripts/make_demo.sh's gallery command.
    generate(&SynthOptions {
        out: out.clone(),
        photos: 200,
        sketches_per_photo: 1,
        seed: 202,
        test_fraction: 0.0,
        stroke_lists: false,
        style: SketchStyle::Standard,
    })?;
    let synth: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("synth.json"))?)?;
    let mut colours = HashMap::new();
    for record in synth["garments"].as_array().into_iter().flatten() {
        let stem = record["stem"].as_str().unwrap_or_default().to_string();
        let made = std::fs::read(out.join("trainB").join(format!("{stem}.png")))?;
        let bundled = std::fs::read(gallery.join(format!("{stem}.png")))?;
        anyhow::ensure!(made == bundled, "{stem}: not the bundled demo photo");
        let rgb: [u8; 3] = serde_json::from_value(record["garment"]["colour"].clone())?;
        colours.insert(stem, rgb);
    }
    std::fs::remove_dir_all(&out)?;
    anyhow::ensure!(colours.len() == 200, "{} garment colours", colours.len());
    Ok(colours)
}

/// The garment colour farthest (CIELAB) from `rgb`.
fn farthest(colours: &HashMap<String, [u8; 3]>, rgb: [u8; 3]) -> [u8; 3] {
    let distance = |other: [u8; 3]| {
        let (a, b) = (lab(rgb), lab(other));
        (0..3).map(|i| (a[i] - b[i]).powi(2)).sum::<f32>()
    };
    let mut all: Vec<[u8; 3]> = colours.values().copied().collect();
    all.sort();
    all.into_iter()
        .max_by(|a, b| distance(*a).total_cmp(&distance(*b)))
        .unwrap_or(rgb)
}

fn position_of(index: &GalleryIndex, stem: &str) -> anyhow::Result<usize> {
    index
        .photos
        .iter()
        .position(|p| p.file_stem().is_some_and(|s| s == stem))
        .ok_or_else(|| anyhow::anyhow!("{stem}: not in the gallery"))
}

fn sorted_files(dir: &Path, extension: &str) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    Ok(files)
}

fn stem_before_underscore(path: &Path) -> String {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    stem.split('_').next().unwrap_or_default().to_string()
}
