//! `arnet fine-tune`: adapt a model to one gallery of photos, never leaving the user worse off.
//!
//! This is exactly what the app's "Fine-tune on this gallery" runs (the app starts this command
//! as a child process, see `app/src/fine_tune.rs`). Steps:
//! 1. [`prepare_data`] assembles `OUT/data/`: `trainB/` links every gallery photo (and the
//!    photos of pairs saved with "Save as training pair", from `--dataset`), `trainA/` the
//!    saved sketches;
//! 2. `arnet train` from the given weights (`--init`) on that folder: photos without a drawn
//!    sketch get [traced sketches](crate::traced_sketch) (several hands per photo), a seeded
//!    tenth of the photos is held out, and the best epoch is kept in `OUT/best.safetensors`;
//! 3. the held-out check: the held-out photos' sketches searched among the whole gallery (as
//!    the user will search it) by the starting model and by the kept epoch. When fine-tuning
//!    did not improve Acc@1 (then Acc@10, Acc@5), `OUT/best.safetensors` is the starting
//!    model, written anew, and the last line says so.
//!
//! Why these defaults (docs/fine-tuning.md has the measurements): a low rate (2e-5) and few
//! epochs keep the model near its start, which already knows both synthetic and real garments;
//! traced sketches rather than edge maps, because people draw silhouettes.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use arnet_model::weights::{WeightFile, save_pair};

use crate::dataset::{self, SketchEntry, Split, SplitName};
use crate::evaluate::evaluate;
use crate::pseudo_pairs::{self, PseudoOptions, PseudoSketches};
use crate::pseudo_sketch::Method;
use crate::recipe::{Init, Recipe};
use crate::train::{TrainOptions, carve_validation, train};
use arnet_model::Backend;

/// Default epochs (about four minutes for a 200-photo gallery on two CPU cores).
pub const DEFAULT_EPOCHS: usize = 3;
/// Default Adam rate: low, so that the model stays near what it knew.
pub const DEFAULT_LEARNING_RATE: f64 = 2e-5;
/// Default batch size.
pub const DEFAULT_BATCH_SIZE: usize = 16;

/// What to fine-tune and where.
#[derive(Debug, Clone)]
pub struct FineTuneOptions {
    /// Folder of photos (searched recursively).
    pub gallery: PathBuf,
    /// Saved training pairs (`trainA/` sketches, `trainB/` photos), if any.
    pub dataset: Option<PathBuf>,
    /// The starting model (a two-encoder file).
    pub weights: PathBuf,
    /// Output folder (`data/`, `best.safetensors`, the trainer's files).
    pub out: PathBuf,
    /// Epochs.
    pub epochs: usize,
    /// Pairs per step.
    pub batch_size: usize,
    /// Adam rate.
    pub learning_rate: f64,
    /// Where training runs.
    pub backend: Backend,
    /// Threads decoding and augmenting images.
    pub workers: usize,
    /// One `progress:` line per step on stderr (for the app).
    pub progress_lines: bool,
}

/// The outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct FineTuneOutcome {
    /// The model to use: `OUT/best.safetensors`.
    pub weights: PathBuf,
    /// Held-out Acc@1 of the starting model (percent).
    pub before: f64,
    /// Held-out Acc@1 of the best fine-tuned epoch (percent).
    pub after: f64,
    /// Whether `weights` is the fine-tuned model (`false`: the starting model was kept).
    pub improved: bool,
}

impl FineTuneOutcome {
    /// The command's last line.
    pub fn summary(&self) -> String {
        if self.improved {
            format!(
                "fine-tune: held-out Acc@1 before {:.2}% after {:.2}%: the fine-tuned model is {}",
                self.before,
                self.after,
                self.weights.display()
            )
        } else {
            format!(
                "fine-tune: held-out Acc@1 before {:.2}% after {:.2}%: no better, kept the \
                 starting model ({} is the starting model)",
                self.before,
                self.after,
                self.weights.display()
            )
        }
    }
}

/// Runs the whole fine-tune (see the module docs).
pub fn fine_tune(options: &FineTuneOptions) -> anyhow::Result<FineTuneOutcome> {
    if !options.gallery.is_dir() {
        anyhow::bail!("{}: not a folder", options.gallery.display());
    }
    // The starting model must load before anything is written.
    let start = WeightFile::read(&options.weights)?;
    if options.out.join("best.safetensors").exists() {
        anyhow::bail!(
            "{}: already holds a fine-tuned model; choose another --out",
            options.out.display()
        );
    }
    let data = options.out.join("data");
    if data.exists() {
        std::fs::remove_dir_all(&data)
            .with_context(|| format!("{}: cannot clear it", data.display()))?;
    }
    let (photos, sketches) = prepare_data(&options.gallery, options.dataset.as_deref(), &data)
        .map_err(anyhow::Error::msg)?;
    eprintln!("fine-tune: {photos} photos, {sketches} drawn sketches");
    let recipe = Recipe {
        init: Init::Checkpoint(options.weights.clone()),
        batch_size: options.batch_size,
        learning_rate: options.learning_rate,
        pseudo_sketches: PseudoSketches::Auto,
        ..Recipe::default()
    };
    let summary = train(&TrainOptions {
        data,
        out: options.out.clone(),
        backend: options.backend,
        recipe,
        epochs: options.epochs,
        resume: false,
        workers: options.workers,
        eval_batch_size: 32,
        show_progress: true,
        progress_lines: options.progress_lines,
        pseudo_method: Some(Method::Traced),
        pseudo_weights: None,
    })?;
    summary.best.context("no epoch was trained")?;
    // The held-out check: the held-out photos' sketches searched among the *whole* gallery,
    // as the user will search it, by the starting model and by the kept epoch.
    let device = options.backend.device()?;
    let check = held_out_check(&options.out, options.workers)?;
    let start_pair = start.load_pair(None, &device)?;
    let weights = options.out.join("best.safetensors");
    let tuned_pair = WeightFile::read(&weights)?.load_pair(None, &device)?;
    let before = evaluate(&start_pair, &check, 32, &device)?;
    let after = evaluate(&tuned_pair, &check, 32, &device)?;
    let improved = after.better_than(&before);
    if !improved {
        let mut pair = start_pair;
        save_pair(&mut pair, &weights)?;
    }
    Ok(FineTuneOutcome {
        weights,
        before: before.acc1,
        after: after.acc1,
        improved,
    })
}

/// The trainer's held-out sketches (the same seeded carve as `arnet train`), each pointing at
/// its photo among all the gallery's photos.
fn held_out_check(out: &Path, workers: usize) -> anyhow::Result<Split> {
    let mut split = dataset::scan_split(&out.join("data"), SplitName::Train, false).split;
    pseudo_pairs::add(
        &mut split,
        &PseudoOptions {
            mode: PseudoSketches::Auto,
            method: Some(Method::Traced),
            weights: None,
            dir: out.join("pseudo-sketches"),
            device: "cpu".into(),
            workers,
        },
    )?;
    let (_, held_out) = carve_validation(&split, Recipe::default().val_fraction, 0)?;
    let index: HashMap<&Path, usize> = split
        .photos
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_path(), i))
        .collect();
    let sketches = held_out
        .sketches
        .iter()
        .map(|s| SketchEntry {
            path: s.path.clone(),
            photo: index[held_out.photos[s.photo].as_path()],
        })
        .collect();
    Ok(Split {
        photos: split.photos,
        sketches,
    })
}

/// Builds the training folder `data` from a gallery and saved pairs; returns (photos, drawn
/// sketches). Nested gallery folders are flattened, clashing stems numbered; a gallery photo
/// whose stem is a saved pair's is that pair's photo and is not linked twice (it would be two
/// classes).
pub fn prepare_data(
    gallery: &Path,
    dataset: Option<&Path>,
    data: &Path,
) -> Result<(usize, usize), String> {
    let train_a = data.join("trainA");
    let train_b = data.join("trainB");
    for dir in [&train_a, &train_b] {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut stems = HashSet::new();
    let mut photos = 0;
    let mut sketches = 0;
    // Saved pairs first: their photo stems must stay as their sketches name them.
    if let Some(dataset) = dataset {
        let saved_photos: HashMap<String, PathBuf> = image_files(&dataset.join("trainB"))?
            .into_iter()
            .filter_map(|p| Some((p.file_stem()?.to_string_lossy().into_owned(), p)))
            .collect();
        for sketch in image_files(&dataset.join("trainA"))? {
            let Some(stem) = arnet_model::gallery::photo_stem_of_sketch(&sketch) else {
                continue;
            };
            let Some(photo) = saved_photos.get(&stem) else {
                continue;
            };
            if stems.insert(stem.clone()) {
                link(photo, &train_b.join(photo.file_name().expect("a file")))?;
                photos += 1;
            }
            link(&sketch, &train_a.join(sketch.file_name().expect("a file")))?;
            sketches += 1;
        }
    }
    let listing = arnet_model::gallery::list_images(gallery)
        .map_err(|e| format!("{}: {e}", gallery.display()))?;
    let saved_stems = stems.clone();
    for photo in listing {
        let stem = photo
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if saved_stems.contains(&stem) {
            continue;
        }
        let extension = photo
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut name = stem.clone();
        let mut n = 1;
        while !stems.insert(name.clone()) {
            n += 1;
            name = format!("{stem}-{n}");
        }
        link(&photo, &train_b.join(format!("{name}.{extension}")))?;
        photos += 1;
    }
    if photos == 0 {
        return Err(format!("{}: no photos to train on", gallery.display()));
    }
    Ok((photos, sketches))
}

/// The image files directly in `dir` (none if it does not exist), sorted.
fn image_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && arnet_model::gallery::is_image_path(p))
        .collect();
    files.sort();
    Ok(files)
}

/// `to` refers to `from`: a symbolic link on Unix, a copy elsewhere.
fn link(from: &Path, to: &Path) -> Result<(), String> {
    let from = std::fs::canonicalize(from).map_err(|e| format!("{}: {e}", from.display()))?;
    #[cfg(unix)]
    let result = std::os::unix::fs::symlink(&from, to);
    #[cfg(not(unix))]
    let result = std::fs::copy(&from, to).map(|_| ());
    result.map_err(|e| format!("{}: {e}", to.display()))
}
