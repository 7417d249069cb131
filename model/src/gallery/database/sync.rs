//! Bringing the shared catalogue up to date with a gallery folder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::Device;

use super::{CatalogueError, SharedCatalogue};
use crate::encoder::ArnetEncoder;
use crate::gallery::files::{FileKey, Skipped};
use crate::gallery::{
    GalleryError, GalleryIndex, IndexSettings, Progress, list_keyed, pipeline, reporter,
};

/// Rows written per transaction when uploading local embeddings.
const UPLOAD_BATCH: usize = 500;

/// What syncing a folder into the catalogue did.
#[derive(Debug)]
pub struct SyncReport {
    /// The folder.
    pub root: PathBuf,
    /// Photos of the folder now in the catalogue, sorted.
    pub photos: Vec<PathBuf>,
    /// Photos that were already stored as they are.
    pub cached: usize,
    /// Photos embedded by this run.
    pub embedded: usize,
    /// Photos written from the local index given to [`sync_gallery`] (not embedded again).
    pub uploaded: usize,
    /// Rows removed because their file is gone.
    pub removed: usize,
    /// Rows whose file is gone but which were kept: so many of the catalogue's photos were
    /// missing that this folder is more likely another one under the same catalogue name
    /// than a deletion (see [`removes_too_much`]).
    pub kept_gone: usize,
    /// Files that could not be used.
    pub skipped: Vec<Skipped>,
}

/// Brings the catalogue up to date with `gallery`: embeds the photos it lacks (or holds at
/// another size or date), one committed transaction per batch, and removes the rows of
/// files that are gone. Photos that `local` (an index of the same folder, for the same model)
/// holds are written from it instead of being embedded again. `progress` is called after each
/// batch; returning `false` cancels (the finished batches stay stored).
pub fn sync_gallery(
    gallery: &Path,
    encoder: &ArnetEncoder,
    device: &Device,
    settings: &IndexSettings,
    catalogue: &mut SharedCatalogue,
    local: Option<&GalleryIndex>,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<SyncReport, GalleryError> {
    let (keyed, mut skipped) = list_keyed(gallery)?;
    let mut stored = catalogue.keys()?;
    // Whether each photo is stored as it is now (the catalogue holds its row).
    let mut present: Vec<bool> = keyed
        .iter()
        .map(|(_, key)| stored.get(&key.path) == Some(key))
        .collect();
    let mut todo: Vec<usize> = (0..keyed.len()).filter(|&i| !present[i]).collect();
    let cached = keyed.len() - todo.len();
    let uploaded = match local {
        Some(local) => upload_local(local, &keyed, &mut todo, &mut present, catalogue)?,
        None => 0,
    };
    // Each indexer starts at a random place in the list, so machines indexing the same new
    // photos at once mostly meet photos the other has stored, and skip them, instead of
    // embedding the same batches side by side.
    if !todo.is_empty() {
        use std::hash::BuildHasher;
        let start = std::collections::hash_map::RandomState::new().hash_one(Instant::now());
        let offset = (start % todo.len() as u64) as usize;
        todo.rotate_left(offset);
    }
    let present = std::cell::RefCell::new(present);
    for (_, key) in &keyed {
        stored.remove(&key.path);
    }
    let total = keyed.len() + skipped.len();
    let mut done = cached + uploaded + skipped.len();
    let mut embedded = 0;
    let mut failure: Option<CatalogueError> = None;
    let mut report = reporter(progress, total);
    let mut cancelled = !report(done, 0);
    let paths: Vec<&Path> = keyed.iter().map(|(p, _)| p.as_path()).collect();
    if !cancelled && !todo.is_empty() {
        // Both closures use the connection: one at a time, in turn, on this thread.
        let connection = std::cell::RefCell::new(&mut *catalogue);
        let failure_cell = std::cell::RefCell::new(&mut failure);
        cancelled = pipeline::embed_in_batches(
            &paths,
            &todo,
            encoder,
            device,
            settings,
            &mut |chunk| {
                let keys: Vec<&FileKey> = chunk.iter().map(|&i| &keyed[i].1).collect();
                match connection.borrow_mut().still_missing(&keys) {
                    Ok(missing) => {
                        let mut present = present.borrow_mut();
                        for (&i, &missing) in chunk.iter().zip(&missing) {
                            present[i] |= !missing;
                        }
                        missing
                    }
                    // Embed them all; the write below reports the failure.
                    Err(_) => vec![true; chunk.len()],
                }
            },
            &mut |batch| {
                for (i, reason) in batch.failed {
                    skipped.push(Skipped {
                        path: keyed[i].0.clone(),
                        reason,
                    });
                }
                let rows: Vec<(FileKey, Vec<f32>)> = batch
                    .embedded
                    .iter()
                    .map(|(i, row)| (keyed[*i].1.clone(), row.clone()))
                    .collect();
                if let Err(e) = connection.borrow_mut().upsert(&rows) {
                    **failure_cell.borrow_mut() = Some(e);
                    return false;
                }
                let mut present = present.borrow_mut();
                for (i, _) in &batch.embedded {
                    present[*i] = true;
                }
                embedded += rows.len();
                done += batch.handled;
                report(done, embedded)
            },
        );
    }
    if let Some(e) = failure {
        return Err(e.into());
    }
    if cancelled {
        return Err(GalleryError::Cancelled);
    }
    // Gone from the folder (not merely unreadable): its row goes, unless re-added since.
    let gone: Vec<FileKey> = stored
        .into_values()
        .filter(|key| !gallery.join(&key.path).exists())
        .collect();
    let mut removed = 0;
    let mut kept_gone = 0;
    if removes_too_much(gone.len(), catalogue.rows) {
        kept_gone = gone.len();
    } else {
        for key in &gone {
            if catalogue.remove_if_unchanged(key)? {
                removed += 1;
            }
        }
    }
    catalogue.rows = catalogue.count()?;
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    let photos = keyed
        .into_iter()
        .zip(present.into_inner())
        .filter_map(|((path, _), present)| present.then_some(path))
        .collect();
    Ok(SyncReport {
        root: gallery.to_path_buf(),
        photos,
        cached,
        embedded,
        uploaded,
        removed,
        kept_gone,
        skipped,
    })
}

/// Whether deleting `gone` rows of a catalogue of `rows` looks like a mistake: more than half
/// of a catalogue of over 20 photos. Two unrelated folders of the same name (the default
/// catalogue name) would otherwise delete each other's photos.
pub fn removes_too_much(gone: usize, rows: usize) -> bool {
    rows > 20 && gone * 2 > rows
}

/// Writes the photos of `todo` that `local` holds from their local embeddings, removing them
/// from `todo`; returns how many were written.
fn upload_local(
    local: &GalleryIndex,
    keyed: &[(PathBuf, FileKey)],
    todo: &mut Vec<usize>,
    present: &mut [bool],
    catalogue: &mut SharedCatalogue,
) -> Result<usize, CatalogueError> {
    let position: HashMap<&Path, usize> = local
        .photos
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_path(), i))
        .collect();
    let mut rows = Vec::new();
    let mut written = 0;
    let mut remaining = Vec::new();
    for &i in todo.iter() {
        let embedding = position
            .get(keyed[i].0.as_path())
            .and_then(|&p| local.embedding(p));
        match embedding {
            Some(embedding) => {
                rows.push((keyed[i].1.clone(), embedding));
                present[i] = true;
            }
            None => remaining.push(i),
        }
        if rows.len() == UPLOAD_BATCH {
            catalogue.upsert(&rows)?;
            written += rows.len();
            rows.clear();
        }
    }
    catalogue.upsert(&rows)?;
    written += rows.len();
    *todo = remaining;
    Ok(written)
}
