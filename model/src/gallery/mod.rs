//! The gallery index: every photo of a folder embedded by the photo encoder, kept on disk.
//!
//! This file is the searchable index ([`GalleryIndex`]) and its settings; bringing a store up to
//! date is `update.rs` ([`index_gallery`]); the store, manifest, files, pipeline, colours and
//! the shared catalogue are the other submodules.
//!
//! Shared by the app and `arnet index`, so both use (and fill) the same store.
//!
//! # Store and invalidation
//! One store per (gallery folder, model): `CACHE/galleries/<hash of the folder path>/<model
//! id>/` (see [`manifest`], [`store`] and docs/gallery-store.md), where the model id is a hash of the weight
//! file's bytes and the head count ([`model_identity`]). A different model therefore never
//! reads another model's embeddings. Each photo is keyed by its path relative to the folder,
//! its size and its modification time: an entry is reused only when all three match, so a
//! changed file is re-embedded, an added one embedded, a removed one dropped. Unreadable
//! images are not stored (they are listed every time, with the reason). A store that does not
//! parse (truncated, foreign, older version) is ignored and rebuilt. Updates are committed
//! atomically, also when indexing is cancelled, so the work done so far is kept.
//!
//! # Search
//! A gallery of up to [`IndexSettings::exact_up_to`] photos is read into memory and searched
//! exactly; a larger one stays memory-mapped and is searched through the store's HNSW graph
//! (approximate; the default switch point [`EXACT_SEARCH_UP_TO`] is measured by the
//! `gallery_scale` bench, see README).

mod by_colour;
pub mod database;
mod files;
mod identity;
mod manifest;
mod pipeline;
mod store;
mod update;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

pub use by_colour::{COLOUR_RERANK_POOL, rerank_by_colour, rerank_paths};
pub use database::{CatalogueError, SharedCatalogue, SyncReport, sync_gallery};
pub use files::{
    Depth, FileKey, IMAGE_EXTENSIONS, Skipped, is_image_path, list_images, list_images_in,
    photo_stem_of_sketch,
};
pub use identity::{default_cache_dir, model_identity, store_dir};
pub use manifest::{Entry, Manifest, read_manifest, write_manifest};
pub use store::{EXPANSION_SEARCH, OpenMode, Storage, VectorStore};
pub use update::index_gallery;
pub(crate) use update::{list_keyed, reporter};

use crate::colour::{ColourQuery, Palette};
use crate::retrieval::{EmbeddingMatrix, Hit};
use crate::shadow::LineDrawing;

/// Largest gallery searched exactly by default. Measured by the `gallery_scale` bench on
/// the 2-core development machine: exact top-10 over 512-d embeddings takes 2.2 ms at 10,000,
/// 11 ms at 50,000 (about what a live refresh can spend), 22 ms at 100,000 and 230 ms at a
/// million, where the HNSW graph answers in 5 ms at recall@10 0.977.
pub const EXACT_SEARCH_UP_TO: usize = 50_000;

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
    /// An empty vector store could not be created (out of memory, or a zero width).
    #[error("{path}: cannot create the gallery store: {source}")]
    Store {
        /// The store folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Indexing was cancelled (the store keeps what was done).
    #[error("indexing cancelled")]
    Cancelled,
    /// The shared catalogue failed (see [`database`]).
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
}

/// Progress of an indexing run, reported after each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Photos handled so far (from the store, embedded or skipped).
    pub done: usize,
    /// Photos in the folder.
    pub total: usize,
    /// Photos embedded so far in this run.
    pub embedded: usize,
    /// Time spent embedding so far in this run (decoding included).
    pub elapsed: Duration,
}

impl Progress {
    /// Photos embedded per second in this run.
    pub fn rate(&self) -> Option<f64> {
        let seconds = self.elapsed.as_secs_f64();
        (self.embedded > 0 && seconds > 0.0).then(|| self.embedded as f64 / seconds)
    }

    /// Time left at the current rate.
    pub fn remaining(&self) -> Option<Duration> {
        let rate = self.rate()?;
        Some(Duration::from_secs_f64(
            self.total.saturating_sub(self.done) as f64 / rate,
        ))
    }
}

/// How a gallery is searched.
#[derive(Debug)]
enum Search {
    /// Every embedding in memory, ranked exactly.
    Exact(EmbeddingMatrix),
    /// Embeddings in the store (memory-mapped when unchanged), ranked through its graph.
    Approximate {
        store: VectorStore,
        /// Store id of each photo, by position.
        ids: Vec<u64>,
        position_of: HashMap<u64, usize>,
    },
}

/// An indexed gallery: the usable photos and how to search them.
#[derive(Debug)]
pub struct GalleryIndex {
    /// The folder.
    pub root: PathBuf,
    /// Usable photos; [`Hit::index`] is a position in this list.
    pub photos: Vec<PathBuf>,
    /// Files that could not be used.
    pub skipped: Vec<Skipped>,
    /// How many photos were reused from the store.
    pub cached: usize,
    /// Each photo's garment colours (same order as `photos`; none when unknown).
    pub palettes: Vec<Option<Palette>>,
    /// Each photo's line drawing for the shadow (same order; none when the store was written
    /// before they were kept, or the photo has no edge).
    lines: Vec<Option<LineDrawing>>,
    /// Line drawings made since this index was opened, for photos stored without one.
    made_lines: Mutex<HashMap<usize, Option<LineDrawing>>>,
    /// Each photo's position by path, built when first asked ([`GalleryIndex::position`]).
    positions: OnceLock<HashMap<PathBuf, usize>>,
    search: Search,
}

impl GalleryIndex {
    /// The `k` photos most similar to a sketch embedding (normalised here), best first.
    pub fn top_k(&self, query: &[f32], k: usize) -> Vec<Hit> {
        match &self.search {
            Search::Exact(matrix) => matrix.top_k(query, k),
            Search::Approximate {
                store, position_of, ..
            } => {
                // Vectors no photo names (a removal that failed, see `index_gallery`) are
                // fetched and dropped, so they cost no result.
                let stale = store.len().saturating_sub(position_of.len());
                store
                    .search(query, k + stale)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|(id, score)| {
                        let index = *position_of.get(&id)?;
                        Some(Hit { index, score })
                    })
                    .take(k)
                    .collect()
            }
        }
    }

    /// The `k` best photos for a sketch embedding and, when given, a colour: by shape alone
    /// ([`GalleryIndex::top_k`]) without one; with one, the shape's best
    /// [`COLOUR_RERANK_POOL`] re-ranked by [`ColourQuery::rescore`] (the hit's score is then the
    /// combined score).
    pub fn search(&self, query: &[f32], k: usize, colour: Option<&ColourQuery>) -> Vec<Hit> {
        let Some(colour) = colour else {
            return self.top_k(query, k);
        };
        let pool = self.top_k(query, k.max(COLOUR_RERANK_POOL));
        rerank_by_colour(pool, k, colour, |index| {
            self.palettes.get(index).and_then(Option::as_ref)
        })
    }

    /// The line drawing of photo `position` ([`crate::shadow`]): the stored one, or (a store
    /// written before they were kept) made from the photo now and remembered while the index
    /// is open; none when the photo cannot be read.
    pub fn line_drawing(&self, position: usize) -> Option<LineDrawing> {
        if let Some(stored) = self.lines.get(position)? {
            return Some(*stored);
        }
        let mut made = self.made_lines.lock().unwrap_or_else(|e| e.into_inner());
        *made.entry(position).or_insert_with(|| {
            crate::preprocess::decode_rgb(&self.photos[position])
                .ok()
                .map(|photo| LineDrawing::of_photo(&photo))
        })
    }

    /// How many photos have a stored line drawing.
    pub fn stored_line_drawings(&self) -> usize {
        self.lines.iter().flatten().count()
    }

    /// The palette of `photo`, if it is in the gallery and has one.
    pub fn palette_of(&self, photo: &Path) -> Option<&Palette> {
        self.palettes.get(self.position(photo)?)?.as_ref()
    }

    /// Rank (0 = best) of photo `target` for `query`, where the gallery is searched exactly;
    /// `None` for a gallery searched through the graph (ranking all of it would cost a scan).
    pub fn rank_of(&self, query: &[f32], target: usize) -> Option<usize> {
        match &self.search {
            Search::Exact(matrix) => Some(matrix.rank_of(query, target)),
            Search::Approximate { .. } => None,
        }
    }

    /// The store searched through its graph; `None` for a gallery searched exactly.
    pub fn graph(&self) -> Option<&VectorStore> {
        match &self.search {
            Search::Exact(_) => None,
            Search::Approximate { store, .. } => Some(store),
        }
    }

    /// Whether searches go through the HNSW graph (approximate) rather than a full scan.
    pub fn is_approximate(&self) -> bool {
        matches!(self.search, Search::Approximate { .. })
    }

    /// Number of usable photos.
    pub fn len(&self) -> usize {
        self.photos.len()
    }

    /// Whether no photo is usable.
    pub fn is_empty(&self) -> bool {
        self.photos.is_empty()
    }

    /// The unit-length embedding of photo `position` (in [`GalleryIndex::photos`]).
    pub fn embedding(&self, position: usize) -> Option<Vec<f32>> {
        match &self.search {
            Search::Exact(matrix) => {
                (position < matrix.len()).then(|| matrix.row(position).to_vec())
            }
            Search::Approximate { store, ids, .. } => store.get(*ids.get(position)?),
        }
    }

    /// Index of `photo` in [`GalleryIndex::photos`]: a hash lookup (the table is built on the
    /// first call), so a query's palettes, marks and shadow cost nothing per gallery photo.
    pub fn position(&self, photo: &Path) -> Option<usize> {
        let positions = self.positions.get_or_init(|| {
            self.photos
                .iter()
                .enumerate()
                .map(|(i, p)| (p.clone(), i))
                .collect()
        });
        positions.get(photo).copied()
    }

    /// Opens the stored index of `gallery` without looking at the folder (no listing, no
    /// file dates): what was indexed last, ready to search. `None` when nothing usable is
    /// stored for this model (`dim` wide, stored as `settings.storage`).
    pub fn open_stored(gallery: &Path, dim: usize, settings: &IndexSettings) -> Option<Self> {
        let dir = store_dir(&settings.cache_dir, gallery, &settings.model_id);
        let manifest = read_manifest(&dir, &settings.model_id)
            .filter(|m| m.dim == dim && m.storage == settings.storage)?;
        let store = manifest.open_vectors(&dir, OpenMode::View).ok()?;
        let (photos, ids): (Vec<PathBuf>, Vec<u64>) = manifest
            .entries
            .iter()
            .map(|e| (gallery.join(&e.key.path), e.id))
            .unzip();
        let palettes = manifest.entries.iter().map(|e| e.palette).collect();
        let lines = manifest.entries.iter().map(|e| e.lines).collect();
        let search = search_for(store, &ids, settings.exact_up_to)?;
        Some(Self {
            root: gallery.to_path_buf(),
            photos,
            skipped: Vec::new(),
            cached: ids.len(),
            palettes,
            lines,
            made_lines: Mutex::default(),
            positions: OnceLock::new(),
            search,
        })
    }
}

/// Exact search (vectors read into memory) up to `exact_up_to` photos, else the store's graph.
/// `None` when a photo's vector is missing from the store. Vectors no photo names are
/// tolerated (a failed removal leaves one; the graph's results skip them).
fn search_for(store: VectorStore, ids: &[u64], exact_up_to: usize) -> Option<Search> {
    if ids.len() <= exact_up_to {
        let mut matrix = EmbeddingMatrix::new(store.dim());
        for &id in ids {
            matrix.push(&store.get(id)?);
        }
        Some(Search::Exact(matrix))
    } else {
        if !ids.iter().all(|&id| store.contains(id)) {
            return None;
        }
        let position_of = ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
        Some(Search::Approximate {
            store,
            ids: ids.to_vec(),
            position_of,
        })
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
    /// Precision of the stored embeddings (changing it converts the store, no re-embedding).
    pub storage: Storage,
    /// Galleries up to this size are searched exactly, larger ones through the graph.
    pub exact_up_to: usize,
}

impl IndexSettings {
    /// Settings with the defaults: batches of 16, one decoding thread per core, f32 storage,
    /// exact search up to [`EXACT_SEARCH_UP_TO`] photos.
    pub fn new(cache_dir: PathBuf, model_id: String) -> Self {
        Self {
            cache_dir,
            model_id,
            batch_size: 16,
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            storage: Storage::F32,
            exact_up_to: EXACT_SEARCH_UP_TO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_of(ids: &[u64]) -> VectorStore {
        let mut store = VectorStore::new(2, Storage::F32).unwrap();
        for &id in ids {
            let angle = id as f32;
            store.add(id, &[angle.cos(), angle.sin()]).unwrap();
        }
        store
    }

    /// A vector left behind by a failed removal must not empty the index: before, the graph
    /// search refused a store with more vectors than photos, and the gallery listed its photos
    /// but every search found nothing.
    #[test]
    fn a_stale_vector_in_the_store_costs_no_result() {
        let search = search_for(store_of(&[0, 1, 2]), &[0, 2], 0).expect("searchable");
        let index = GalleryIndex {
            root: PathBuf::from("g"),
            photos: vec![PathBuf::from("g/a.png"), PathBuf::from("g/c.png")],
            skipped: Vec::new(),
            cached: 2,
            palettes: vec![None, None],
            lines: vec![None, None],
            made_lines: Mutex::default(),
            positions: OnceLock::new(),
            search,
        };
        assert!(index.is_approximate());
        // The stale vector (id 1) is the nearest to this query; the two photos still come.
        let hits = index.top_k(&[1.0f32.cos(), 1.0f32.sin()], 2);
        let mut found: Vec<usize> = hits.iter().map(|hit| hit.index).collect();
        found.sort_unstable();
        assert_eq!(found, [0, 1]);
    }

    #[test]
    fn a_missing_vector_is_not_searchable() {
        assert!(search_for(store_of(&[0, 1]), &[0, 1, 2], 10).is_none());
        assert!(search_for(store_of(&[0, 1]), &[0, 1, 2], 0).is_none());
    }

    /// Indexing keeps each photo's line drawing in the store, the same as one made from the
    /// file; a store written without them (an earlier version) has them made when asked.
    #[test]
    fn line_drawings_are_stored_while_indexing_and_made_when_missing() {
        use crate::shadow::LineDrawing;
        let dir = std::env::temp_dir().join(format!("arnet-lines-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let gallery = dir.join("g");
        std::fs::create_dir_all(&gallery).unwrap();
        for i in 0..3u32 {
            let photo = image::RgbImage::from_fn(64, 64, |x, y| {
                let inside = x > 8 + 4 * i && x < 56 && y > 10 && y < 54 - 3 * i;
                image::Rgb(if inside {
                    [40, 40, 90]
                } else {
                    [255, 255, 255]
                })
            });
            photo.save(gallery.join(format!("p{i}.png"))).unwrap();
        }
        let device = crate::Backend::Cpu.device().unwrap();
        let encoder = crate::ArnetEncoderConfig::new(crate::VitConfig::custom(32, 8, 32, 1, 2))
            .init(&device)
            .unwrap();
        let settings = IndexSettings::new(dir.join("cache"), "lines-test".into());
        let index = index_gallery(&gallery, &encoder, &device, &settings, &mut |_| true).unwrap();
        assert_eq!(index.stored_line_drawings(), 3);
        let of_file = |i: usize| {
            LineDrawing::of_photo(&crate::preprocess::decode_rgb(&index.photos[i]).unwrap())
        };
        for i in 0..3 {
            assert_eq!(index.line_drawing(i), Some(of_file(i)));
            assert!(of_file(i).ink() > 50, "an outline");
        }
        let dim = crate::embed::embedding_width(&encoder);
        let reopened = GalleryIndex::open_stored(&gallery, dim, &settings).unwrap();
        assert_eq!(reopened.stored_line_drawings(), 3, "kept in the store");
        // As an earlier store: none stored, each made from its file when first asked.
        let earlier = GalleryIndex {
            lines: vec![None; 3],
            ..reopened
        };
        assert_eq!(earlier.stored_line_drawings(), 0);
        assert_eq!(earlier.line_drawing(1), Some(of_file(1)));
        assert_eq!(earlier.position(&earlier.photos[2].clone()), Some(2));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
