//! The on-disk store of one gallery's embeddings for one model.
//!
//! Two files in the store folder (see [`super::store_dir`]; the manifest is
//! [`super::manifest`]), described in
//! docs/gallery-store.md:
//! - `entries.bin`, the manifest: which photo (path, size, modification time) has which id,
//!   the embedding width, the storage precision and the name of the vector file.
//! - `vectors-<generation>.usearch`: a [usearch](https://github.com/unum-cloud/usearch) index
//!   holding every embedding (f32 or f16) under its id, with an HNSW graph over them. Opened
//!   with `view`, it is memory-mapped: a gallery of a million photos opens without reading its
//!   vectors, and the pages a search touches are read on demand.
//!
//! An update writes a new vector file under a new generation name, then replaces the manifest
//! atomically; the manifest is the commit point, so a crash leaves the previous store whole.

use std::path::Path;

use serde::{Deserialize, Serialize};
use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

use crate::retrieval::l2_normalize;

/// HNSW graph degree: usearch's default, and what the 1M-vector bench measured recall with.
const CONNECTIVITY: usize = 16;
/// Candidates kept while inserting (graph quality; build time grows with it).
const EXPANSION_ADD: usize = 128;
/// Candidates kept while searching: recall against latency. Measured by the
/// `gallery_scale` bench (README) on a million clustered 512-d vectors with sketch queries:
/// recall@10 0.70 at 128, 0.90 at 512, 0.944 at 1024, 0.977 at 2048 (5.1 ms, p95 9.8 ms).
pub const EXPANSION_SEARCH: usize = 2048;

/// How the embeddings are stored on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Storage {
    /// 4 bytes per number: exactly what the encoder produced.
    #[default]
    F32,
    /// 2 bytes per number: half the disk and memory; ranks measured against f32 in README.
    F16,
}

impl Storage {
    fn scalar(self) -> ScalarKind {
        match self {
            Self::F32 => ScalarKind::F32,
            Self::F16 => ScalarKind::F16,
        }
    }
}

impl std::str::FromStr for Storage {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "f32" => Ok(Self::F32),
            "f16" => Ok(Self::F16),
            other => Err(format!("unknown storage {other:?}: expected f32 or f16")),
        }
    }
}

impl std::fmt::Display for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::F32 => "f32",
            Self::F16 => "f16",
        })
    }
}

pub(super) fn io_error(context: &str, error: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("{context}: {error}"))
}

fn path_str(path: &Path) -> std::io::Result<&str> {
    path.to_str().ok_or_else(|| {
        io_error(
            &path.to_string_lossy(),
            "the vector store needs a UTF-8 path",
        )
    })
}

/// The vectors of a store: a usearch index keyed by entry id, inner-product metric over
/// unit vectors (so the score is the cosine similarity).
pub struct VectorStore {
    index: Index,
    dim: usize,
    storage: Storage,
}

impl std::fmt::Debug for VectorStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorStore")
            .field("dim", &self.dim)
            .field("storage", &self.storage)
            .field("len", &self.len())
            .finish()
    }
}

/// How to open a vector file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Memory-mapped, read-only: opening costs nothing, searching reads pages on demand.
    View,
    /// Read into memory, to be changed and saved.
    Load,
}

impl VectorStore {
    fn options(dim: usize, storage: Storage) -> IndexOptions {
        IndexOptions {
            dimensions: dim,
            metric: MetricKind::IP,
            quantization: storage.scalar(),
            connectivity: CONNECTIVITY,
            expansion_add: EXPANSION_ADD,
            expansion_search: EXPANSION_SEARCH,
            multi: false,
        }
    }

    /// An empty store for vectors of width `dim`.
    pub fn new(dim: usize, storage: Storage) -> std::io::Result<Self> {
        let index = Index::new(&Self::options(dim, storage))
            .map_err(|e| io_error("creating the vector index", e))?;
        Ok(Self {
            index,
            dim,
            storage,
        })
    }

    /// Opens the vector file at `path`, checking that it holds vectors of width `dim` stored
    /// as `storage`.
    pub fn open(
        path: &Path,
        dim: usize,
        storage: Storage,
        mode: OpenMode,
    ) -> std::io::Result<Self> {
        let store = Self::new(dim, storage)?;
        let name = path_str(path)?;
        let opened = match mode {
            OpenMode::View => store.index.view(name),
            OpenMode::Load => store.index.load(name),
        };
        opened.map_err(|e| io_error(name, e))?;
        if store.index.dimensions() != dim || store.index.scalar_kind() != storage.scalar() {
            return Err(io_error(
                name,
                "holds vectors of another width or precision",
            ));
        }
        Ok(store)
    }

    /// Candidates kept while searching the graph: more raises recall and latency (the
    /// default is [`EXPANSION_SEARCH`]; the bench sweeps it).
    pub fn set_expansion_search(&self, candidates: usize) {
        self.index.change_expansion_search(candidates);
    }

    /// Embedding width.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Storage precision.
    pub fn storage(&self) -> Storage {
        self.storage
    }

    /// Number of stored vectors.
    pub fn len(&self) -> usize {
        self.index.size()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of memory the index holds (vectors and graph; a viewed file's pages are not
    /// counted by the operating system as this process's until touched).
    pub fn memory_usage(&self) -> usize {
        self.index.memory_usage()
    }

    /// Makes room for `additional` more vectors added from up to `threads` threads.
    pub fn reserve(&mut self, additional: usize, threads: usize) -> std::io::Result<()> {
        let needed = self.len() + additional;
        if needed > self.index.capacity() || threads > 1 {
            let capacity = needed.max(self.index.capacity() * 2).max(64);
            self.index
                .reserve_capacity_and_threads(capacity, threads.max(1))
                .map_err(|e| io_error("reserving the vector index", e))?;
        }
        Ok(())
    }

    /// Adds `vector` (normalised here) under `id`.
    pub fn add(&mut self, id: u64, vector: &[f32]) -> std::io::Result<()> {
        self.reserve(1, 1)?;
        self.insert(id, vector)
    }

    /// Adds every `(id, vector)` from `threads` threads (the graph insertions dominate
    /// building a large store).
    pub fn add_all(&mut self, items: &[(u64, Vec<f32>)], threads: usize) -> std::io::Result<()> {
        let threads = threads.clamp(1, items.len().max(1));
        self.reserve(items.len(), threads)?;
        let this = &*self;
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    scope.spawn(move || {
                        items
                            .iter()
                            .skip(t)
                            .step_by(threads)
                            .try_for_each(|(id, v)| this.insert(*id, v))
                    })
                })
                .collect();
            workers
                .into_iter()
                .try_for_each(|w| w.join().expect("an insertion thread panicked"))
        })
    }

    fn insert(&self, id: u64, vector: &[f32]) -> std::io::Result<()> {
        assert_eq!(vector.len(), self.dim, "embedding width mismatch");
        let mut unit = vector.to_vec();
        l2_normalize(&mut unit);
        self.index
            .add(id, &unit)
            .map_err(|e| io_error("adding to the vector index", e))
    }

    /// Removes the vector of `id` (no-op when absent).
    pub fn remove(&mut self, id: u64) -> std::io::Result<()> {
        self.index
            .remove(id)
            .map(|_| ())
            .map_err(|e| io_error("removing from the vector index", e))
    }

    /// Whether a vector is stored under `id`.
    pub fn contains(&self, id: u64) -> bool {
        self.index.contains(id)
    }

    /// The stored vector of `id` (as stored: rounded to f16 under [`Storage::F16`]).
    pub fn get(&self, id: u64) -> Option<Vec<f32>> {
        let mut vector = vec![0.0f32; self.dim];
        match self.index.get(id, &mut vector) {
            Ok(1) => Some(vector),
            _ => None,
        }
    }

    /// The `k` stored vectors nearest to `query` (normalised here) by HNSW search, as
    /// `(id, cosine)`, best first. Approximate: recall is measured in the bench.
    pub fn search(&self, query: &[f32], k: usize) -> std::io::Result<Vec<(u64, f32)>> {
        self.matches(query, k, false)
    }

    /// The same by brute force over every stored vector: exact, and linear in the size.
    pub fn exact_search(&self, query: &[f32], k: usize) -> std::io::Result<Vec<(u64, f32)>> {
        self.matches(query, k, true)
    }

    fn matches(&self, query: &[f32], k: usize, exact: bool) -> std::io::Result<Vec<(u64, f32)>> {
        let mut unit = query.to_vec();
        l2_normalize(&mut unit);
        let found = if exact {
            self.index.exact_search(&unit, k)
        } else {
            self.index.search(&unit, k)
        }
        .map_err(|e| io_error("searching the vector index", e))?;
        // The inner-product metric's distance is 1 - dot.
        Ok(found
            .keys
            .into_iter()
            .zip(found.distances)
            .map(|(id, distance)| (id, 1.0 - distance))
            .collect())
    }

    /// Writes the store to `path` (through a temporary file, renamed into place).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        crate::fsutil::replace_atomic(path, |tmp| {
            self.index
                .save(path_str(tmp)?)
                .map_err(|e| io_error(&tmp.to_string_lossy(), e))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("arnet-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn vectors_are_found_by_id_after_a_save_and_a_view() {
        let dir = scratch("vectors");
        let mut store = VectorStore::new(3, Storage::F32).unwrap();
        store.add(7, &[2.0, 0.0, 0.0]).unwrap();
        store.add(9, &[0.0, 1.0, 1.0]).unwrap();
        store.add(11, &[1.0, 1.0, 0.0]).unwrap();
        store.remove(11).unwrap();
        let path = dir.join("v.usearch");
        store.save(&path).unwrap();
        let view = VectorStore::open(&path, 3, Storage::F32, OpenMode::View).unwrap();
        assert_eq!(view.len(), 2);
        assert_eq!(
            view.get(7).unwrap(),
            vec![1.0, 0.0, 0.0],
            "stored normalised"
        );
        assert!(view.get(11).is_none(), "removed");
        let hits = view.exact_search(&[0.0, 0.0, 3.0], 2).unwrap();
        assert_eq!(hits[0].0, 9);
        assert!((hits[0].1 - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
        assert_eq!(view.search(&[1.0, 0.1, 0.0], 1).unwrap()[0].0, 7);
        assert!(
            VectorStore::open(&path, 4, Storage::F32, OpenMode::View).is_err(),
            "another width is refused"
        );
        assert!(VectorStore::open(&path, 3, Storage::F16, OpenMode::View).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn f16_storage_rounds_to_half_precision() {
        let mut store = VectorStore::new(2, Storage::F16).unwrap();
        store.add(1, &[0.6, 0.8]).unwrap();
        let back = store.get(1).unwrap();
        assert!(back != vec![0.6, 0.8], "rounded: {back:?}");
        assert!((back[0] - 0.6).abs() < 1e-3 && (back[1] - 0.8).abs() < 1e-3);
    }
}
