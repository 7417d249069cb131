//! Pseudo-sketches in training: photos without a drawn sketch get one made from the photo
//! (`arnet train --pseudo-sketches auto|off|only`), so a folder of photos alone trains.
//!
//! - `auto` (the default): every training photo that no sketch refers to gets a pseudo-sketch;
//!   a folder where every photo has a drawn sketch trains exactly as before.
//! - `off`: drawn sketches only (photos without one stay in the gallery, as before).
//! - `only`: the drawn sketches are left out and every photo gets a pseudo-sketch (to measure
//!   what pseudo-sketches alone are worth).
//!
//! Only the training split gets them (the validation split is then carved out of it, so its
//! held-out pairs may be pseudo-sketches too); the test split measures drawn sketches, as ever.
//! The sketches are written once to `OUT/pseudo-sketches/STEM_p1.png` and reused by a resumed
//! run (a file that exists is not redrawn), atomically.

use std::path::{Path, PathBuf};

use anyhow::Context;
use arnet_model::parallel::parallel_map;
use arnet_model::pseudo_sketch::PseudoSketcher;
use serde::{Deserialize, Serialize};

use crate::dataset::{SketchEntry, Split};
use crate::pseudo_sketch::{self, Method};

/// Which photos get pseudo-sketches (see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum PseudoSketches {
    /// Photos without a drawn sketch.
    #[default]
    Auto,
    /// None.
    Off,
    /// Every photo; drawn sketches are left out.
    Only,
}

/// How many training sketches came from where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SketchSources {
    /// Drawn sketches used.
    pub drawn: usize,
    /// Pseudo-sketches used.
    pub pseudo: usize,
    /// How they were made (`hed`, `canny`), when there are any.
    pub method: Option<&'static str>,
    /// Photos whose pseudo-sketch could not be made, with the reason.
    pub failed: Vec<(PathBuf, String)>,
}

impl std::fmt::Display for SketchSources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "training sketches: {} drawn", self.drawn)?;
        if let Some(method) = self.method {
            write!(f, ", {} pseudo-sketches ({method})", self.pseudo)?;
        }
        for (path, reason) in &self.failed {
            write!(f, "\n  no pseudo-sketch for {}: {reason}", path.display())?;
        }
        Ok(())
    }
}

/// What [`add`] needs besides the split.
#[derive(Debug, Clone)]
pub struct PseudoOptions {
    /// Which photos.
    pub mode: PseudoSketches,
    /// `hed` or `canny`; `None` chooses (HED when its weights are there).
    pub method: Option<Method>,
    /// HED weights (default: `pretrained/hed_bsds500.safetensors`).
    pub weights: Option<PathBuf>,
    /// Where the sketches are written (`OUT/pseudo-sketches`).
    pub dir: PathBuf,
    /// Device HED runs on.
    pub device: arnet_model::Backend,
    /// Threads.
    pub workers: usize,
}

/// How many photos of `split` at least one sketch refers to.
pub fn photos_with_sketches(split: &Split) -> usize {
    let mut has_sketch = vec![false; split.photos.len()];
    for sketch in &split.sketches {
        has_sketch[sketch.photo] = true;
    }
    has_sketch.iter().filter(|&&h| h).count()
}

/// Adds pseudo-sketches to `split` as `options` says; returns where its sketches came from.
pub fn add(split: &mut Split, options: &PseudoOptions) -> anyhow::Result<SketchSources> {
    if options.mode == PseudoSketches::Only {
        split.sketches.clear();
    }
    let mut sources = SketchSources {
        drawn: split.sketches.len(),
        ..SketchSources::default()
    };
    if options.mode == PseudoSketches::Off {
        return Ok(sources);
    }
    let mut has_sketch = vec![false; split.photos.len()];
    for sketch in &split.sketches {
        has_sketch[sketch.photo] = true;
    }
    let todo: Vec<usize> = (0..split.photos.len())
        .filter(|&i| !has_sketch[i])
        .collect();
    if todo.is_empty() {
        return Ok(sources);
    }
    std::fs::create_dir_all(&options.dir)
        .with_context(|| format!("{}: cannot create the folder", options.dir.display()))?;
    if options.method == Some(Method::Traced) {
        add_traced(split, &todo, options, &mut sources);
        return Ok(sources);
    }
    let sketcher =
        pseudo_sketch::sketcher(options.method, options.weights.as_deref(), options.device)?;
    sources.method = Some(sketcher.name());
    eprintln!(
        "pseudo-sketches: {} photos without a drawn sketch ({}, into {})",
        todo.len(),
        sketcher.name(),
        options.dir.display()
    );
    // HED runs one photo at a time on its device; Canny in parallel.
    let workers = match sketcher {
        PseudoSketcher::Hed { .. } => 1,
        PseudoSketcher::Canny(_) => options.workers.max(1),
    };
    let made = parallel_map(todo.len(), workers, |k| {
        let photo = &split.photos[todo[k]];
        sketch_cached(photo, &options.dir, &sketcher)
    });
    for (&photo, result) in todo.iter().zip(made) {
        match result {
            Ok(path) => {
                split.sketches.push(SketchEntry { path, photo });
                sources.pseudo += 1;
            }
            Err(reason) => sources.failed.push((split.photos[photo].clone(), reason)),
        }
    }
    split.sketches.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(sources)
}

/// Traced sketches ([`crate::traced_sketch`]) of the photos `todo`, several per photo.
fn add_traced(
    split: &mut Split,
    todo: &[usize],
    options: &PseudoOptions,
    sources: &mut SketchSources,
) {
    use crate::traced_sketch::{TRACED_PER_PHOTO, sketch_photo_file};
    sources.method = Some("traced");
    eprintln!(
        "pseudo-sketches: {} photos without a drawn sketch (traced, {TRACED_PER_PHOTO} each, \
         into {})",
        todo.len(),
        options.dir.display()
    );
    let made = parallel_map(todo.len(), options.workers.max(1), |k| {
        sketch_photo_file(&split.photos[todo[k]], &options.dir, TRACED_PER_PHOTO, 0)
    });
    for (&photo, result) in todo.iter().zip(made) {
        match result {
            Ok(paths) => {
                sources.pseudo += paths.len();
                split
                    .sketches
                    .extend(paths.into_iter().map(|path| SketchEntry { path, photo }));
            }
            Err(reason) => sources.failed.push((split.photos[photo].clone(), reason)),
        }
    }
    split.sketches.sort_by(|a, b| a.path.cmp(&b.path));
}

/// The pseudo-sketch of `photo` in `dir`: drawn and written unless it is already there.
fn sketch_cached(photo: &Path, dir: &Path, sketcher: &PseudoSketcher) -> Result<PathBuf, String> {
    let name = pseudo_sketch::sketch_name(photo)
        .ok_or_else(|| "the file name is not valid UTF-8".to_string())?;
    let dest = dir.join(name);
    if dest.is_file() {
        return Ok(dest);
    }
    pseudo_sketch::sketch_one(photo, dir, |image| sketcher.sketch(image))
}
