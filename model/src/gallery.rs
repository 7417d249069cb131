//! The gallery index: every photo of a folder embedded by the photo encoder, cached on disk.
//!
//! Shared by the app and `arnet index`, so both use (and fill) the same cache.
//!
//! # Cache layout and invalidation
//! One file per (gallery folder, model): `CACHE/galleries/<hash of the folder path>/<model id>.idx`
//! where the model id is a hash of the weight file's bytes and the head count
//! ([`model_identity`]). A different model therefore never reads another model's
//! embeddings. Inside, each photo is keyed by its path relative to the folder, its size and
//! its modification time: an entry is reused only when all three match, so a changed file is
//! re-embedded, an added one embedded, a removed one dropped. Unreadable images are not cached
//! (they are listed every time, with the reason).
//!
//! The file is `ARNETIDX` + version byte, a little-endian u32 length and a JSON header
//! (model id, embedding width, entries), then the embeddings as little-endian f32 rows. A
//! file that does not parse (truncated, foreign, older version) is ignored and rebuilt. It is
//! written atomically, also when indexing is cancelled, so the work done so far is kept.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::embed::{embed_inputs, input_size};
use crate::encoder::ArnetEncoder;
use crate::parallel::parallel_map;
use crate::preprocess::load_model_input;
use crate::retrieval::{EmbeddingMatrix, Hit};

/// File extensions treated as images.
pub const IMAGE_EXTENSIONS: [&str; 8] = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"];

const MAGIC: &[u8; 8] = b"ARNETIDX";
const VERSION: u8 = 1;

/// Whether `path` has an image extension.
pub fn is_image_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// The photo stem a sketch file belongs to in a Clothes-V1-style folder: its stem before the
/// last `_` (`trainA/00066_01.png` is a sketch of `trainB/00066.*`). Shared by the trainer and
/// the app's fine-tuning, which assemble such folders.
pub fn photo_stem_of_sketch(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let (photo, _) = stem.rsplit_once('_')?;
    (!photo.is_empty()).then(|| photo.to_string())
}

/// The platform cache folder of ARNet Sketch (`ARNET_CACHE_DIR` overrides it).
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ARNET_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("", "", "arnet-sketch")
        .map(|dirs| dirs.cache_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("arnet-sketch-cache"))
}

/// 64-bit FNV-1a, streaming.
#[derive(Debug, Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The identity of a model for the cache: a hash of the weight file's bytes and the head
/// count it is run with.
pub fn model_identity(weights: &Path, heads: Option<usize>) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(weights)?;
    let mut hash = Fnv::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hash.update(&buffer[..n]);
    }
    hash.update(format!("heads={heads:?}").as_bytes());
    Ok(format!("{:016x}", hash.0))
}

/// The cache file of `gallery` for `model_id` under `cache_dir`.
pub fn cache_file(cache_dir: &Path, gallery: &Path, model_id: &str) -> PathBuf {
    let canonical = gallery
        .canonicalize()
        .unwrap_or_else(|_| gallery.to_path_buf());
    let mut hash = Fnv::new();
    hash.update(canonical.to_string_lossy().as_bytes());
    cache_dir
        .join("galleries")
        .join(format!("{:016x}", hash.0))
        .join(format!("{model_id}.idx"))
}

/// A photo file as found on disk.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileKey {
    /// Path relative to the gallery folder, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub modified_ns: u128,
}

/// A file that looked like an image but could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

/// Every image file under `gallery` (recursively, hidden entries skipped), sorted.
pub fn list_images(gallery: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![gallery.to_path_buf()];
    let mut first = true;
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            // The gallery itself must be readable; an unreadable subfolder is skipped.
            Err(e) if first => return Err(e),
            Err(_) => continue,
        };
        first = false;
        for entry in entries.flatten() {
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if hidden {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if is_image_path(&path) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn file_key(gallery: &Path, path: &Path) -> std::io::Result<FileKey> {
    let meta = std::fs::metadata(path)?;
    let modified_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let relative = path.strip_prefix(gallery).unwrap_or(path);
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok(FileKey {
        path: parts.join("/"),
        size: meta.len(),
        modified_ns,
    })
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    model_id: String,
    dim: usize,
    entries: Vec<FileKey>,
}

/// Embeddings read from (or to be written to) a cache file.
#[derive(Debug, Default)]
struct CachedRows {
    rows: HashMap<FileKey, Vec<f32>>,
}

fn read_cache(path: &Path, model_id: &str) -> Option<CachedRows> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.len() < 13 || &bytes[..8] != MAGIC || bytes[8] != VERSION {
        return None;
    }
    let length = u32::from_le_bytes(bytes[9..13].try_into().ok()?) as usize;
    let header: Header = serde_json::from_slice(bytes.get(13..13 + length)?).ok()?;
    if header.model_id != model_id {
        return None;
    }
    let data = bytes.get(13 + length..)?;
    if data.len() != header.entries.len() * header.dim * 4 {
        return None;
    }
    let floats: Vec<f32> = data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let rows = header
        .entries
        .into_iter()
        .enumerate()
        .map(|(i, key)| (key, floats[i * header.dim..(i + 1) * header.dim].to_vec()))
        .collect();
    Some(CachedRows { rows })
}

fn write_cache(
    path: &Path,
    model_id: &str,
    dim: usize,
    rows: &[(FileKey, Vec<f32>)],
) -> std::io::Result<()> {
    let header = Header {
        model_id: model_id.to_string(),
        dim,
        entries: rows.iter().map(|(k, _)| k.clone()).collect(),
    };
    let json = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
    let mut bytes = Vec::with_capacity(13 + json.len() + rows.len() * dim * 4);
    bytes.extend_from_slice(MAGIC);
    bytes.push(VERSION);
    bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&json);
    for (_, row) in rows {
        for v in row {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    crate::fsutil::write_atomic(path, &bytes)
}

/// Why a gallery could not be indexed at all.
#[derive(Debug, thiserror::Error)]
pub enum GalleryError {
    /// The folder cannot be listed.
    #[error("{path}: cannot read the gallery folder: {source}")]
    Unreadable {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Indexing was cancelled (the cache keeps what was done).
    #[error("indexing cancelled")]
    Cancelled,
}

/// Progress of an indexing run, reported after each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Photos handled so far (cached, embedded or skipped).
    pub done: usize,
    /// Photos in the folder.
    pub total: usize,
}

/// An indexed gallery: the usable photos and their embeddings.
#[derive(Debug, Clone)]
pub struct GalleryIndex {
    /// The folder.
    pub root: PathBuf,
    /// Usable photos, in the order of `embeddings`' rows.
    pub photos: Vec<PathBuf>,
    /// L2-normalised photo embeddings.
    pub embeddings: EmbeddingMatrix,
    /// Files that could not be used.
    pub skipped: Vec<Skipped>,
    /// How many photos were reused from the cache.
    pub cached: usize,
}

impl GalleryIndex {
    /// The `k` photos most similar to a (normalised) sketch embedding.
    pub fn top_k(&self, query: &[f32], k: usize) -> Vec<Hit> {
        self.embeddings.top_k(query, k)
    }

    /// Index of `photo` in [`GalleryIndex::photos`].
    pub fn position(&self, photo: &Path) -> Option<usize> {
        self.photos.iter().position(|p| p == photo)
    }
}

/// How to index.
#[derive(Debug, Clone)]
pub struct IndexSettings {
    /// Cache folder (see [`default_cache_dir`]).
    pub cache_dir: PathBuf,
    /// Identity of the model (see [`model_identity`]).
    pub model_id: String,
    /// Photos embedded per forward pass.
    pub batch_size: usize,
    /// Threads decoding images.
    pub workers: usize,
}

/// Indexes `gallery` with the photo encoder, reusing and updating the cache.
///
/// `progress` is called after each batch; returning `false` cancels (what was embedded so far
/// is saved to the cache). Unreadable images are skipped and listed, never fatal.
pub fn index_gallery(
    gallery: &Path,
    encoder: &ArnetEncoder,
    device: &Device,
    settings: &IndexSettings,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<GalleryIndex, GalleryError> {
    let files = list_images(gallery).map_err(|source| GalleryError::Unreadable {
        path: gallery.to_path_buf(),
        source,
    })?;
    let cache_path = cache_file(&settings.cache_dir, gallery, &settings.model_id);
    let mut cached_rows = read_cache(&cache_path, &settings.model_id).unwrap_or_default();
    let size = input_size(encoder);
    let total = files.len();
    let mut skipped = Vec::new();
    // Per file: its key and, once known, its embedding.
    let mut keyed: Vec<(PathBuf, FileKey, Option<Vec<f32>>)> = Vec::new();
    for path in files {
        match file_key(gallery, &path) {
            Ok(key) => {
                let row = cached_rows.rows.remove(&key);
                keyed.push((path, key, row));
            }
            Err(e) => skipped.push(Skipped {
                path,
                reason: e.to_string(),
            }),
        }
    }
    let cached = keyed.iter().filter(|(_, _, row)| row.is_some()).count();
    let mut done = cached + skipped.len();
    let dim = encoder.mlp_head.weight.dims()[1];
    let todo: Vec<usize> = (0..keyed.len()).filter(|&i| keyed[i].2.is_none()).collect();
    let mut cancelled = !progress(Progress { done, total });
    let mut unusable = vec![false; keyed.len()];
    for chunk in todo.chunks(settings.batch_size.max(1)) {
        if cancelled {
            break;
        }
        let decoded = parallel_map(chunk.len(), settings.workers, |k| {
            load_model_input(&keyed[chunk[k]].0, size).map_err(|e| e.to_string())
        });
        let mut inputs = Vec::new();
        let mut owners = Vec::new();
        for (&i, result) in chunk.iter().zip(decoded) {
            match result {
                Ok(input) => {
                    inputs.push(input);
                    owners.push(i);
                }
                Err(reason) => {
                    unusable[i] = true;
                    skipped.push(Skipped {
                        path: keyed[i].0.clone(),
                        reason,
                    });
                }
            }
        }
        for (i, row) in
            owners
                .into_iter()
                .zip(embed_inputs(encoder, &inputs, inputs.len().max(1), device))
        {
            keyed[i].2 = Some(row);
        }
        done += chunk.len();
        cancelled = !progress(Progress { done, total });
    }
    let rows: Vec<(FileKey, Vec<f32>)> = keyed
        .iter()
        .filter_map(|(_, key, row)| row.clone().map(|r| (key.clone(), r)))
        .collect();
    // Best effort: an unwritable cache only costs time next run.
    let _ = write_cache(&cache_path, &settings.model_id, dim, &rows);
    if cancelled {
        return Err(GalleryError::Cancelled);
    }
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    let mut embeddings = EmbeddingMatrix::new(dim);
    let mut photos = Vec::new();
    for (path, _, row) in keyed {
        if let Some(row) = row {
            embeddings.push(&row);
            photos.push(path);
        }
    }
    Ok(GalleryIndex {
        root: gallery.to_path_buf(),
        photos,
        embeddings,
        skipped,
        cached,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("arnet-gallery-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn key(path: &str, size: u64, modified_ns: u128) -> FileKey {
        FileKey {
            path: path.into(),
            size,
            modified_ns,
        }
    }

    #[test]
    fn cache_round_trips_and_rejects_other_models_and_corruption() {
        let dir = scratch("cache");
        let path = dir.join("g.idx");
        let rows = vec![
            (key("a.png", 10, 1), vec![1.0, 0.0]),
            (key("b.png", 20, 2), vec![0.0, 1.0]),
        ];
        write_cache(&path, "model-1", 2, &rows).unwrap();
        let read = read_cache(&path, "model-1").unwrap();
        assert_eq!(read.rows[&key("a.png", 10, 1)], vec![1.0, 0.0]);
        assert_eq!(read.rows.len(), 2);
        assert!(
            read_cache(&path, "model-2").is_none(),
            "another model's cache is not used"
        );
        // A changed size or mtime is a different key: the entry will not be reused.
        assert!(!read.rows.contains_key(&key("a.png", 11, 1)));
        assert!(!read.rows.contains_key(&key("a.png", 10, 9)));
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert!(
            read_cache(&path, "model-1").is_none(),
            "truncated cache is ignored"
        );
        std::fs::write(&path, b"garbage").unwrap();
        assert!(read_cache(&path, "model-1").is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn model_identity_follows_the_bytes_and_heads() {
        let dir = scratch("identity");
        let (a, b) = (dir.join("a.bin"), dir.join("b.bin"));
        std::fs::write(&a, b"weights one").unwrap();
        std::fs::write(&b, b"weights two").unwrap();
        let id = |p: &Path, h| model_identity(p, h).unwrap();
        assert_eq!(id(&a, None), id(&a, None));
        assert_ne!(id(&a, None), id(&b, None));
        assert_ne!(id(&a, None), id(&a, Some(4)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn listing_is_recursive_sorted_and_skips_hidden_and_non_images() {
        let dir = scratch("list");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::create_dir_all(dir.join(".hidden")).unwrap();
        for name in ["b.png", "a.JPG", "notes.txt", "sub/c.webp", ".hidden/d.png"] {
            std::fs::write(dir.join(name), b"x").unwrap();
        }
        let names: Vec<String> = list_images(&dir)
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["a.JPG", "b.png", "sub/c.webp"]);
        assert!(list_images(&dir.join("missing")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
