//! Where the model and the gallery stand, as the window shows them.

use std::path::PathBuf;

/// Where the model stands.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelStatus {
    /// Loading this file.
    Loading(PathBuf),
    /// Loaded.
    Ready {
        /// The file.
        weights: PathBuf,
        /// Its shape.
        summary: String,
    },
    /// Failed (message).
    Failed(String),
}

/// Where the gallery stands.
#[derive(Debug, Clone, PartialEq)]
pub enum GalleryStatus {
    /// No folder chosen.
    None,
    /// Being indexed.
    Indexing {
        /// The folder.
        folder: PathBuf,
        /// Photos handled.
        done: usize,
        /// Photos found.
        total: usize,
    },
    /// Ready.
    Ready {
        /// The folder.
        folder: PathBuf,
        /// Photos indexed.
        photos: usize,
        /// Reused from the cache.
        cached: usize,
        /// Unusable files, with the reason.
        skipped: Vec<(PathBuf, String)>,
    },
    /// Failed (message).
    Failed(String),
    /// Cancelled by the user.
    Cancelled(PathBuf),
}
