//! `arnet pseudo-sketch`: a pseudo-sketch for every photo of a folder (issue 13, "photos
//! only").
//!
//! Each photo `STEM.ext` of `--photos` gets `STEM_p1.png` in `--out`, the trainer's sketch
//! naming (a sketch's photo is its stem up to the last `_`, see
//! [`crate::dataset::photo_stem_of_sketch`]), so `--photos DATA/trainB --out DATA/trainA`
//! makes a training folder from photos alone. The sketch has the photo's size and is drawn by
//! [`arnet_model::pseudo_sketch`]: HED when its weights are there, else Canny. Files are
//! written atomically; a photo that cannot be decoded is skipped and listed on stderr, and the
//! run succeeds when at least one sketch was written.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use anyhow::Context;
use arnet_model::fsutil::write_atomic;
use arnet_model::parallel::parallel_map;
use arnet_model::preprocess::decode_rgb;
use arnet_model::pseudo_sketch::{CannyParams, Hed, PseudoSketcher, canny, draw};
use indicatif::{ProgressBar, ProgressStyle};

/// Where `scripts/convert_pretrained.sh --only hed` writes the HED weights (relative to the
/// working directory, the repository root when run from there).
pub const DEFAULT_HED_WEIGHTS: &str = "pretrained/hed_bsds500.safetensors";

/// The method named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// HED edges (needs the converted weights).
    Hed,
    /// Canny edges of the photo's colours (no weights).
    Canny,
    /// The garment's silhouette traced as a person would, with some of its inner lines,
    /// several hands per photo (`STEM_t1.png`...; [`crate::traced_sketch`]; no weights).
    Traced,
}

/// What `arnet pseudo-sketch` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Folder of photos (only its own files are read, not sub-folders).
    pub photos: PathBuf,
    /// Output folder (created if needed).
    pub out: PathBuf,
    /// The method; `None` chooses (see [`choose`]).
    pub method: Option<Method>,
    /// HED weights; `None`: [`DEFAULT_HED_WEIGHTS`].
    pub weights: Option<PathBuf>,
    /// Compute device for HED.
    pub device: arnet_model::Backend,
    /// Threads for Canny (HED runs one photo at a time on its device).
    pub workers: usize,
    /// Show a progress bar on stderr (hidden anyway when stderr is not a terminal).
    pub show_progress: bool,
    /// Traced sketches per photo (`--method traced`).
    pub per_photo: usize,
    /// Seed of the traced sketches.
    pub seed: u64,
}

/// A photo that got no sketch, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The photo.
    pub path: PathBuf,
    /// Why (without the path).
    pub reason: String,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Summary {
    /// `hed` or `canny`.
    pub method: &'static str,
    /// The sketches written, in photo order.
    pub written: Vec<PathBuf>,
    /// The photos skipped.
    pub skipped: Vec<Skipped>,
}

/// The sketch file name for a photo: `STEM_p1.png`.
pub fn sketch_name(photo: &Path) -> Option<String> {
    let stem = photo.file_stem()?.to_str()?;
    Some(format!("{stem}_p1.png"))
}

/// The image files directly in `dir` ([`arnet_model::gallery::list_images_in`]'s rule, flat).
pub fn list_photos(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    arnet_model::gallery::list_images_in(dir, arnet_model::gallery::Depth::Flat)
}

/// The method to use and, for HED, its weight file: `--method` if given (HED then needs
/// `--weights` or [`DEFAULT_HED_WEIGHTS`]), else HED when `--weights` is given or the default
/// file exists, else Canny.
pub fn choose(
    method: Option<Method>,
    weights: Option<&Path>,
) -> anyhow::Result<(Method, Option<PathBuf>)> {
    let default = Path::new(DEFAULT_HED_WEIGHTS);
    let hed_weights = weights
        .map(Path::to_path_buf)
        .or_else(|| default.is_file().then(|| default.to_path_buf()));
    match (method, hed_weights) {
        (Some(Method::Canny), _) => Ok((Method::Canny, None)),
        (Some(Method::Traced), _) => Ok((Method::Traced, None)),
        (Some(Method::Hed) | None, Some(path)) => Ok((Method::Hed, Some(path))),
        (None, None) => Ok((Method::Canny, None)),
        (Some(Method::Hed), None) => anyhow::bail!(
            "--method hed needs HED weights: pass --weights FILE, or convert them with \
             `bash scripts/convert_pretrained.sh --only hed` (writes {DEFAULT_HED_WEIGHTS}); \
             --method canny needs none"
        ),
    }
}

/// The sketcher `choose` picks for `method` / `weights`, HED loaded on `device`; says on stderr
/// which it is.
pub fn sketcher(
    method: Option<Method>,
    weights: Option<&Path>,
    device: arnet_model::Backend,
) -> anyhow::Result<PseudoSketcher> {
    let (method, hed_weights) = choose(method, weights)?;
    if method == Method::Traced {
        anyhow::bail!("traced sketches are drawn by crate::traced_sketch, not an edge sketcher");
    }
    Ok(match (method, hed_weights) {
        (Method::Hed, Some(path)) => {
            let device = device.device()?;
            let net = Hed::load(&path, &device)?;
            eprintln!("pseudo-sketch: HED ({})", path.display());
            PseudoSketcher::hed(net, device)
        }
        _ => {
            if weights.is_some() {
                eprintln!("note: HED weights are not used by --method canny");
            }
            eprintln!("pseudo-sketch: Canny (no HED weights)");
            PseudoSketcher::canny()
        }
    })
}

/// Decodes a photo to sketch; why not, without the path (the caller lists the photo).
pub(crate) fn decode_photo(photo: &Path) -> Result<image::RgbImage, String> {
    decode_rgb(photo).map_err(|e| {
        let message = e.to_string();
        let prefix = format!("{}: ", photo.display());
        message
            .strip_prefix(&prefix)
            .map_or(message.clone(), str::to_string)
    })
}

/// Writes a sketch as PNG, atomically.
pub(crate) fn write_sketch(sketch: &image::RgbImage, dest: &Path) -> Result<(), String> {
    let mut png = Vec::new();
    sketch
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| format!("cannot encode the sketch: {e}"))?;
    write_atomic(dest, &png).map_err(|e| format!("cannot write {}: {e}", dest.display()))
}

/// A progress bar over `len` photos (hidden unless `show`).
fn photo_progress(show: bool, len: usize, prefix: String) -> ProgressBar {
    let progress = if show {
        ProgressBar::new(len as u64)
    } else {
        ProgressBar::hidden()
    };
    progress.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} photos (eta {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    progress.set_prefix(prefix);
    progress
}

/// Sketches one photo into `out`; the written path, or why not.
pub(crate) fn sketch_one(
    photo: &Path,
    out: &Path,
    sketch: impl Fn(&image::RgbImage) -> image::RgbImage,
) -> Result<PathBuf, String> {
    let name = sketch_name(photo).ok_or_else(|| "the file name is not valid UTF-8".to_string())?;
    let drawn = sketch(&decode_photo(photo)?);
    let dest = out.join(name);
    write_sketch(&drawn, &dest)?;
    Ok(dest)
}

/// Runs `arnet pseudo-sketch`. Fails when the folder cannot be read, holds no photo, the HED
/// weights do not load, or no sketch at all could be written.
pub fn run(options: &Options) -> anyhow::Result<Summary> {
    let photos = list_photos(&options.photos)
        .with_context(|| format!("{}: cannot read the folder", options.photos.display()))?;
    if photos.is_empty() {
        anyhow::bail!(
            "{}: no photos (image files) in it",
            options.photos.display()
        );
    }
    std::fs::create_dir_all(&options.out)
        .with_context(|| format!("{}: cannot create the folder", options.out.display()))?;
    if options.method == Some(Method::Traced) {
        return run_traced(options, photos);
    }
    let sketcher = sketcher(options.method, options.weights.as_deref(), options.device)?;

    // Two photos with one stem would write one sketch: the second is skipped.
    let mut skipped = Vec::new();
    let mut stems: std::collections::HashMap<String, PathBuf> = std::collections::HashMap::new();
    let mut todo = Vec::new();
    for photo in photos {
        match sketch_name(&photo) {
            Some(name) => match stems.get(&name) {
                Some(first) => skipped.push(Skipped {
                    reason: format!("same stem as {}, whose sketch is {name}", first.display()),
                    path: photo,
                }),
                None => {
                    stems.insert(name, photo.clone());
                    todo.push(photo);
                }
            },
            None => todo.push(photo), // reported by sketch_one
        }
    }

    let progress = photo_progress(
        options.show_progress,
        todo.len(),
        format!("pseudo-sketch ({})", sketcher.name()),
    );
    let mut results = Vec::with_capacity(todo.len());
    match &sketcher {
        PseudoSketcher::Canny(params) => {
            // Canny is plain CPU work: chunks of photos over the threads.
            let params: &CannyParams = params;
            let workers = options.workers.max(1);
            for chunk in todo.chunks(workers * 2) {
                let done = parallel_map(chunk.len(), workers, |i| {
                    sketch_one(&chunk[i], &options.out, |image| {
                        draw(&canny::canny_edges(image, params))
                    })
                });
                progress.inc(chunk.len() as u64);
                results.extend(done);
            }
        }
        hed => {
            for photo in &todo {
                results.push(sketch_one(photo, &options.out, |image| hed.sketch(image)));
                progress.inc(1);
            }
        }
    }
    progress.finish_and_clear();

    let mut written = Vec::new();
    for (photo, result) in todo.into_iter().zip(results) {
        match result {
            Ok(path) => written.push(path),
            Err(reason) => skipped.push(Skipped {
                path: photo,
                reason,
            }),
        }
    }
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    for s in &skipped {
        eprintln!("warning: skipped {}: {}", s.path.display(), s.reason);
    }
    if written.is_empty() {
        anyhow::bail!(
            "{}: none of the {} photo(s) could be sketched",
            options.photos.display(),
            skipped.len()
        );
    }
    eprintln!(
        "wrote {} pseudo-sketch(es) ({}) to {}{}",
        written.len(),
        sketcher.name(),
        options.out.display(),
        if skipped.is_empty() {
            String::new()
        } else {
            format!(", skipped {} photo(s)", skipped.len())
        }
    );
    Ok(Summary {
        method: sketcher.name(),
        written,
        skipped,
    })
}

/// `arnet pseudo-sketch --method traced`: `per_photo` traced sketches of every photo.
fn run_traced(options: &Options, photos: Vec<PathBuf>) -> anyhow::Result<Summary> {
    if options.per_photo == 0 {
        anyhow::bail!("--per-photo must be at least 1");
    }
    let progress = photo_progress(
        options.show_progress,
        photos.len(),
        "pseudo-sketch (traced)".to_string(),
    );
    let workers = options.workers.max(1);
    let mut written = Vec::new();
    let mut skipped = Vec::new();
    for chunk in photos.chunks(workers * 4) {
        let done = parallel_map(chunk.len(), workers, |i| {
            crate::traced_sketch::sketch_photo_file(
                &chunk[i],
                &options.out,
                options.per_photo,
                options.seed,
            )
        });
        progress.inc(chunk.len() as u64);
        for (photo, result) in chunk.iter().zip(done) {
            match result {
                Ok(paths) => written.extend(paths),
                Err(reason) => skipped.push(Skipped {
                    path: photo.clone(),
                    reason,
                }),
            }
        }
    }
    progress.finish_and_clear();
    for s in &skipped {
        eprintln!("warning: skipped {}: {}", s.path.display(), s.reason);
    }
    if written.is_empty() {
        anyhow::bail!(
            "{}: none of the {} photo(s) could be sketched",
            options.photos.display(),
            skipped.len()
        );
    }
    eprintln!(
        "wrote {} traced sketch(es) of {} photo(s) to {}{}",
        written.len(),
        photos.len() - skipped.len(),
        options.out.display(),
        if skipped.is_empty() {
            String::new()
        } else {
            format!(", skipped {} photo(s)", skipped.len())
        }
    );
    Ok(Summary {
        method: "traced",
        written,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sketch_names_pair_with_their_photo() {
        let name = sketch_name(Path::new("/data/trainB/00066.jpg")).unwrap();
        assert_eq!(name, "00066_p1.png");
        assert_eq!(
            crate::dataset::photo_stem_of_sketch(Path::new(&name)).as_deref(),
            Some("00066")
        );
        // A stem with underscores still pairs (the split is at the last one).
        let name = sketch_name(Path::new("red_dress.png")).unwrap();
        assert_eq!(
            crate::dataset::photo_stem_of_sketch(Path::new(&name)).as_deref(),
            Some("red_dress")
        );
    }

    #[test]
    fn the_method_defaults_to_canny_without_weights() {
        // The default weight file is relative to the working directory (the crate root under
        // `cargo test`, where there is none).
        let default = Path::new(DEFAULT_HED_WEIGHTS);
        let expected = if default.is_file() {
            (Method::Hed, Some(default.to_path_buf()))
        } else {
            (Method::Canny, None)
        };
        assert_eq!(choose(None, None).unwrap(), expected);
        let w = Path::new("x.safetensors");
        assert_eq!(
            choose(None, Some(w)).unwrap(),
            (Method::Hed, Some(w.to_path_buf()))
        );
        assert_eq!(
            choose(Some(Method::Canny), Some(w)).unwrap(),
            (Method::Canny, None)
        );
        if !default.is_file() {
            let error = choose(Some(Method::Hed), None).unwrap_err().to_string();
            assert!(error.contains("--weights"), "{error}");
        }
    }
}
