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

/// Where the shared catalogue stands (see `arnet_model::gallery::database`).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum CatalogueStatus {
    /// None set: this machine's index only.
    #[default]
    Off,
    /// Being brought up to date with the gallery.
    Syncing(String),
    /// Searched: the database (without password) and its photos of this gallery.
    Connected {
        /// The database.
        database: String,
        /// Photos of the gallery in it.
        photos: usize,
    },
    /// Cannot be used (message): searches go to this machine's index.
    Unreachable(String),
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
