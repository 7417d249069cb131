//! Clothes-V1-style folders: scanning, sketch/photo pairing, and the pre-training check.
//!
//! ```text
//! ROOT/trainA/00066_01.png   sketch of photo 00066 by drawer 01
//! ROOT/trainB/00066.png      photo
//! ROOT/testA/ ...  ROOT/testB/ ...   (optionally valA/ valB/)
//! ```
//! A sketch belongs to the photo whose file stem is the sketch's stem before its last `_`.
//! Any dataset name works; PNG and JPEG (and the other formats the decoder reads) are accepted.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use arnet_model::preprocess::decode_rgb;

/// The image extensions shared with the gallery index (one list for the whole project).
pub use arnet_model::gallery::{IMAGE_EXTENSIONS, is_image_path, photo_stem_of_sketch};

/// A data split (`--split` of `arnet eval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum SplitName {
    /// `trainA` / `trainB`.
    Train,
    /// `valA` / `valB`.
    Val,
    /// `testA` / `testB`.
    Test,
}

impl SplitName {
    /// Folder prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Val => "val",
            Self::Test => "test",
        }
    }
}

impl fmt::Display for SplitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// One sketch and the index of its photo in [`Split::photos`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SketchEntry {
    /// The sketch file.
    pub path: PathBuf,
    /// Index of its photo.
    pub photo: usize,
}

/// The usable sketches and photos of one split.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    /// Photos, sorted by path.
    pub photos: Vec<PathBuf>,
    /// Sketches that have a photo, sorted by path.
    pub sketches: Vec<SketchEntry>,
}

/// Something wrong with a data folder. None of them stops training; each is reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A split folder is missing.
    MissingFolder(PathBuf),
    /// A sketch whose photo does not exist.
    SketchWithoutPhoto(PathBuf),
    /// A photo no sketch refers to (kept in the gallery).
    PhotoWithoutSketch(PathBuf),
    /// A file that could not be decoded (skipped).
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Two photos with the same stem (the first in path order is used).
    DuplicateStem {
        /// The stem.
        stem: String,
        /// Every photo with it.
        paths: Vec<PathBuf>,
    },
    /// A sketch name without `_` (cannot tell its photo).
    UnpairableName(PathBuf),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingFolder(p) => write!(f, "missing folder {}", p.display()),
            Self::SketchWithoutPhoto(p) => write!(f, "sketch without photo: {}", p.display()),
            Self::PhotoWithoutSketch(p) => write!(f, "photo without sketch: {}", p.display()),
            Self::Unreadable { path, reason } => {
                write!(f, "unreadable, skipped: {} ({reason})", path.display())
            }
            Self::DuplicateStem { stem, paths } => {
                let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                write!(f, "duplicate photo stem {stem}: {}", list.join(", "))
            }
            Self::UnpairableName(p) => {
                write!(f, "sketch name has no `_STEM` suffix: {}", p.display())
            }
        }
    }
}

/// The scan of one split: what can be used and what is wrong.
#[derive(Debug, Clone, Default)]
pub struct SplitScan {
    /// Usable files.
    pub split: Split,
    /// Problems found.
    pub problems: Vec<Problem>,
}

/// The images of one split folder ([`arnet_model::gallery::list_images_in`]'s rule, flat).
fn list_images(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    arnet_model::gallery::list_images_in(dir, arnet_model::gallery::Depth::Flat)
}

/// Scans `ROOT/{split}A` and `ROOT/{split}B`. With `verify_images`, every file is decoded
/// (in parallel) and unreadable ones are skipped and reported.
pub fn scan_split(root: &Path, name: SplitName, verify_images: bool) -> SplitScan {
    let mut scan = SplitScan::default();
    let sketch_dir = root.join(format!("{}A", name.prefix()));
    let photo_dir = root.join(format!("{}B", name.prefix()));
    let mut listed = Vec::new();
    for dir in [&sketch_dir, &photo_dir] {
        match list_images(dir) {
            Ok(files) => listed.push(files),
            Err(_) => {
                scan.problems.push(Problem::MissingFolder(dir.clone()));
                listed.push(Vec::new());
            }
        }
    }
    let (mut sketches, mut photos) = (listed.remove(0), listed.remove(0));
    if verify_images {
        let bad = unreadable(sketches.iter().chain(&photos));
        for (path, reason) in &bad {
            scan.problems.push(Problem::Unreadable {
                path: path.clone(),
                reason: reason.clone(),
            });
        }
        sketches.retain(|p| !bad.contains_key(p));
        photos.retain(|p| !bad.contains_key(p));
    }
    let mut by_stem: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for photo in photos {
        let stem = photo
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        by_stem.entry(stem).or_default().push(photo);
    }
    let mut index_of = BTreeMap::new();
    for (stem, paths) in by_stem {
        if paths.len() > 1 {
            scan.problems.push(Problem::DuplicateStem {
                stem: stem.clone(),
                paths: paths.clone(),
            });
        }
        index_of.insert(stem, scan.split.photos.len());
        scan.split.photos.push(paths[0].clone());
    }
    let mut used = vec![false; scan.split.photos.len()];
    for sketch in sketches {
        match photo_stem_of_sketch(&sketch) {
            None => scan.problems.push(Problem::UnpairableName(sketch)),
            Some(stem) => match index_of.get(&stem) {
                Some(&photo) => {
                    used[photo] = true;
                    scan.split.sketches.push(SketchEntry {
                        path: sketch,
                        photo,
                    });
                }
                None => scan.problems.push(Problem::SketchWithoutPhoto(sketch)),
            },
        }
    }
    for (photo, used) in scan.split.photos.iter().zip(used) {
        if !used {
            scan.problems
                .push(Problem::PhotoWithoutSketch(photo.clone()));
        }
    }
    scan
}

/// Decodes files on all cores; returns the ones that fail with the reason.
fn unreadable<'a>(paths: impl Iterator<Item = &'a PathBuf>) -> BTreeMap<PathBuf, String> {
    let paths: Vec<&PathBuf> = paths.collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = paths.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = paths
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .filter_map(|p| decode_rgb(p).err().map(|e| ((*p).clone(), e.to_string())))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("decode worker panicked"))
            .collect()
    })
}

/// The check printed before training: per split counts and every problem.
#[derive(Debug, Clone, Default)]
pub struct FolderReport {
    /// Per split present: (name, sketches, photos).
    pub counts: Vec<(SplitName, usize, usize)>,
    /// Every problem, with its split.
    pub problems: Vec<(SplitName, Problem)>,
}

impl fmt::Display for FolderReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, sketches, photos) in &self.counts {
            writeln!(f, "{name}: {sketches} sketches, {photos} photos")?;
        }
        // Photos without a sketch are one line per split, not one per photo: a photos-only
        // folder (which trains on pseudo-sketches) would otherwise print its whole listing.
        let mut lines = Vec::new();
        let mut without_sketch: BTreeMap<SplitName, Vec<&Path>> = BTreeMap::new();
        for (name, problem) in &self.problems {
            match problem {
                Problem::PhotoWithoutSketch(path) => {
                    without_sketch.entry(*name).or_default().push(path)
                }
                other => lines.push(format!("  [{name}] {other}")),
            }
        }
        for (name, photos) in without_sketch {
            if photos.len() == 1 {
                lines.push(format!(
                    "  [{name}] {}",
                    Problem::PhotoWithoutSketch(photos[0].to_path_buf())
                ));
            } else {
                let first: Vec<String> = photos
                    .iter()
                    .take(3)
                    .map(|p| {
                        p.file_name()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .into_owned()
                    })
                    .collect();
                lines.push(format!(
                    "  [{name}] {} photos without sketch (kept in the gallery): {}{}",
                    photos.len(),
                    first.join(", "),
                    if photos.len() > 3 { ", ..." } else { "" }
                ));
            }
        }
        if lines.is_empty() {
            writeln!(f, "no problems found")?;
        } else {
            writeln!(f, "{} problem(s):", lines.len())?;
            for line in lines {
                writeln!(f, "{line}")?;
            }
        }
        Ok(())
    }
}

/// Checks a data folder: train and test must exist; val is optional.
pub fn check_folder(root: &Path) -> (FolderReport, BTreeMap<SplitName, Split>) {
    let mut report = FolderReport::default();
    let mut splits = BTreeMap::new();
    for name in [SplitName::Train, SplitName::Val, SplitName::Test] {
        let optional = name == SplitName::Val;
        let present = root.join(format!("{}A", name.prefix())).is_dir()
            || root.join(format!("{}B", name.prefix())).is_dir();
        if optional && !present {
            continue;
        }
        let scan = scan_split(root, name, true);
        report
            .counts
            .push((name, scan.split.sketches.len(), scan.split.photos.len()));
        report
            .problems
            .extend(scan.problems.into_iter().map(|p| (name, p)));
        splits.insert(name, scan.split);
    }
    (report, splits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_without_sketch_are_one_line_per_split() {
        let mut report = FolderReport::default();
        report.counts.push((SplitName::Train, 0, 200));
        for i in 0..200 {
            report.problems.push((
                SplitName::Train,
                Problem::PhotoWithoutSketch(PathBuf::from(format!("d/trainB/{i:03}.png"))),
            ));
        }
        report.problems.push((
            SplitName::Test,
            Problem::PhotoWithoutSketch(PathBuf::from("d/testB/x.png")),
        ));
        let text = report.to_string();
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(text.contains("[train] 200 photos without sketch"), "{text}");
        assert!(text.contains("000.png, 001.png, 002.png, ..."), "{text}");
        assert!(
            text.contains("[test] photo without sketch: d/testB/x.png"),
            "{text}"
        );
    }
}
