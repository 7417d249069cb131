//! Synthetic Clothes-V1-style data: procedurally drawn garments rendered as photo-like images,
//! and freehand-looking sketches of the same garments by several simulated "drawers".
//!
//! Every garment is a category (top, dress, coat, skirt, trousers) plus fine-grained attributes
//! (sleeve length, neckline, collar, hem, length, flare, pockets, buttons, stripes, colours).
//! Many garments share a category and differ only in a few attributes, which is what makes the
//! retrieval fine-grained: an untrained model scores near chance, a trained one must learn
//! sleeve lengths, necklines and details.
//!
//! Photos are filled, shaded, coloured shapes on a light background (tiny-skia). Sketches are
//! the same garment's outline and details as dark strokes on white, drawn with the project's
//! shared stroke rasteriser ([`arnet_model::raster`], the one the app's canvas uses) with
//! per-drawer wobble, line width, ink, pose jitter and dropped details.
//!
//! Output layout (what the trainer reads): `OUT/trainA/STEM_KK.png` sketches,
//! `OUT/trainB/STEM.png` photos, the same under `testA/` / `testB/`, `OUT/labels.json` (each
//! photo's category) and `OUT/synth.json`
//! describing every garment. A seed regenerates the same files.
//!
//! The parts, one idea each: `garment` what a garment is and how a random one is drawn;
//! `shape` its outline and details in normalised coordinates; `photo` its photo; `sketch` the
//! simulated drawers and their strokes; `pose` how a sketch sits on the page. This file holds
//! the public entry point, [`generate`], and what it writes; every public item of the parts is
//! re-exported here, so its path stays `synth::NAME`.

mod garment;
mod photo;
mod pose;
mod shape;
mod sketch;

use std::path::{Path, PathBuf};

use anyhow::Context;
use arnet_model::raster::{Stroke, rasterize};
use image::RgbImage;
use serde::Serialize;

use crate::rng::Rng;

pub use garment::{Category, Garment, Hem, Neckline, Sleeve, Stripes};
pub use photo::render_photo;
pub use shape::Shape;
pub(crate) use sketch::resample;
pub use sketch::{Drawer, app_drawer, render_sketch, sketch_strokes, varied_sketch_strokes};

/// Side of generated photos and sketches in pixels.
pub const IMAGE_SIZE: u32 = 256;

/// How the sketches of a synthetic set are drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SketchStyle {
    /// A pool of drawers with moderate variation (the bundled demo's gallery and the tests).
    #[default]
    Standard,
    /// For training a model that has to find what people draw: every sketch by its own
    /// drawer over a much wider range of line widths, ink and wobble, a third of them with the
    /// app's own pen, some outline-only, some partial (the first strokes only), some
    /// over-drawn (each stroke twice), and a wider pose (scale, rotation, position).
    Varied,
}

/// Options of `arnet synth`.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Output folder.
    pub out: PathBuf,
    /// Number of photos (garments), split into train and test.
    pub photos: usize,
    /// Sketches per photo.
    pub sketches_per_photo: usize,
    /// Seed.
    pub seed: u64,
    /// Share of photos in the test split.
    pub test_fraction: f32,
    /// Also write, per photo, the strokes of one sketch drawn the way the app draws
    /// (`{split}A-strokes/STEM_app.json`: the app's pen width, black, light wobble), for
    /// evaluating a model on sketches rasterised by the app's own canvas code.
    pub stroke_lists: bool,
    /// How the sketches (not the stroke lists) are drawn.
    pub style: SketchStyle,
}

const APP_STROKE_STREAM: u64 = 5;

#[derive(Serialize)]
struct Record<'a> {
    stem: String,
    split: &'a str,
    garment: &'a Garment,
}

const GARMENT_STREAM: u64 = 1;
const PHOTO_STREAM: u64 = 2;
const SKETCH_STREAM: u64 = 3;
const DRAWER_STREAM: u64 = 4;

/// Most sketches [`generate`] draws of one photo (their random streams are numbered per photo).
pub const MAX_SKETCHES_PER_PHOTO: usize = 1000;

/// Writes a synthetic data set; returns the number of photos and sketches written.
pub fn generate(options: &SynthOptions) -> anyhow::Result<(usize, usize)> {
    // Sketch k of photo i draws from stream item i * 1000 + k: past 1000 sketches a photo, two
    // sketches would share their randomness (and the stream numbering cannot change without
    // changing every sketch already generated, the bundled demo's included).
    anyhow::ensure!(
        options.sketches_per_photo <= MAX_SKETCHES_PER_PHOTO,
        "at most {MAX_SKETCHES_PER_PHOTO} sketches a photo, not {}",
        options.sketches_per_photo
    );
    let garments: Vec<Garment> = (0..options.photos)
        .map(|i| Garment::random(&mut Rng::for_item(options.seed, GARMENT_STREAM, i as u64)))
        .collect();
    // A pool of drawers shared by the whole set, as in a real data set.
    let drawers: Vec<Drawer> = (0..options.sketches_per_photo.max(1) * 3)
        .map(|i| Drawer::random(&mut Rng::for_item(options.seed, DRAWER_STREAM, i as u64)))
        .collect();
    let test_count = ((options.photos as f32) * options.test_fraction).round() as usize;
    let split_of = |i: usize| {
        if i < options.photos - test_count {
            "train"
        } else {
            "test"
        }
    };
    for split in ["train", "test"] {
        if options.stroke_lists {
            let dir = options.out.join(format!("{split}A-strokes"));
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        for side in ["A", "B"] {
            let dir = options.out.join(format!("{split}{side}"));
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        }
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let result: anyhow::Result<()> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(garment) = garments.get(i) else {
                            return Ok(());
                        };
                        write_item(options, i, garment, &drawers, split_of(i))?;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().expect("worker panicked"))
    });
    result?;
    let records: Vec<Record> = garments
        .iter()
        .enumerate()
        .map(|(i, garment)| Record {
            stem: stem(i),
            split: split_of(i),
            garment,
        })
        .collect();
    let json = serde_json::to_vec_pretty(&serde_json::json!({
        "seed": options.seed,
        "photos": options.photos,
        "sketches_per_photo": options.sketches_per_photo,
        "garments": records,
    }))?;
    arnet_model::fsutil::write_atomic(&options.out.join("synth.json"), &json)?;
    // Each photo's category, in the labels format `arnet eval --labels` and
    // `arnet train --class-weight` read (the same as `arnet data fashion-mnist` writes).
    let labels: std::collections::BTreeMap<String, serde_json::Value> = garments
        .iter()
        .enumerate()
        .map(|(i, garment)| (stem(i), serde_json::to_value(garment.category)))
        .map(|(stem, value)| value.map(|v| (stem, v)))
        .collect::<Result<_, _>>()?;
    arnet_model::fsutil::write_atomic(
        &options.out.join("labels.json"),
        &serde_json::to_vec_pretty(&labels)?,
    )?;
    Ok((options.photos, options.photos * options.sketches_per_photo))
}

fn stem(i: usize) -> String {
    format!("{:05}", i + 1)
}

fn write_item(
    options: &SynthOptions,
    i: usize,
    garment: &Garment,
    drawers: &[Drawer],
    split: &str,
) -> anyhow::Result<()> {
    let stem = stem(i);
    let save = |image: RgbImage, path: &Path| -> anyhow::Result<()> {
        let mut bytes = std::io::Cursor::new(Vec::new());
        image.write_to(&mut bytes, image::ImageFormat::Png)?;
        arnet_model::fsutil::write_atomic(path, bytes.get_ref())
            .with_context(|| format!("writing {}", path.display()))
    };
    let photo = render_photo(
        garment,
        &mut Rng::for_item(options.seed, PHOTO_STREAM, i as u64),
    );
    save(photo, &options.out.join(format!("{split}B/{stem}.png")))?;
    for k in 0..options.sketches_per_photo {
        let item = i * MAX_SKETCHES_PER_PHOTO + k;
        let mut rng = Rng::for_item(options.seed, SKETCH_STREAM, item as u64);
        let sketch = match options.style {
            SketchStyle::Standard => {
                let drawer = &drawers[rng.below(drawers.len())];
                render_sketch(garment, drawer, &mut rng)
            }
            SketchStyle::Varied => rasterize(&varied_sketch_strokes(garment, &mut rng), IMAGE_SIZE),
        };
        save(
            sketch,
            &options
                .out
                .join(format!("{split}A/{stem}_{:02}.png", k + 1)),
        )?;
    }
    if options.stroke_lists {
        let mut rng = Rng::for_item(options.seed, APP_STROKE_STREAM, i as u64);
        let strokes: Vec<Stroke> = sketch_strokes(garment, &app_drawer(), &mut rng)
            .into_iter()
            .map(|s| Stroke {
                width: arnet_model::raster::DEFAULT_STROKE_WIDTH,
                darkness: 1.0,
                ..s
            })
            .collect();
        let path = options
            .out
            .join(format!("{split}A-strokes/{stem}_app.json"));
        arnet_model::fsutil::write_atomic(&path, &serde_json::to_vec(&strokes)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
