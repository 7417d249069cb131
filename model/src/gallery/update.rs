//! Bringing a gallery's store up to date ([`index_gallery`]): list the folder, reuse what the
//! store holds for unchanged files, embed the rest in batches (with each photo's colour palette
//! and line drawing), commit, and return the searchable [`GalleryIndex`] (`mod.rs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use burn::tensor::Device;

use super::files::{self, FileKey, Skipped, list_images};
use super::manifest::{Entry, Manifest, read_manifest, write_manifest};
use super::store::{OpenMode, VectorStore};
use super::{
    GalleryError, GalleryIndex, IndexSettings, Progress, by_colour, identity::store_dir, pipeline,
    search_for,
};
use crate::colour::Palette;
use crate::encoder::ArnetEncoder;
use crate::shadow::LineDrawing;

/// A gallery's images with their keys, and the files that could not be keyed.
pub(crate) type Listing = (Vec<(PathBuf, FileKey)>, Vec<Skipped>);

/// Every image of `gallery` with its key; files that cannot be stat'ed are skipped and listed.
pub(crate) fn list_keyed(gallery: &Path) -> Result<Listing, GalleryError> {
    let files = list_images(gallery).map_err(|source| GalleryError::Unreadable {
        path: gallery.to_path_buf(),
        source,
    })?;
    let mut skipped = Vec::new();
    let mut keyed = Vec::new();
    for path in files {
        match files::file_key(gallery, &path) {
            Ok(key) => keyed.push((path, key)),
            Err(e) => skipped.push(Skipped {
                path,
                reason: e.to_string(),
            }),
        }
    }
    Ok((keyed, skipped))
}

/// `progress` as a `(done, embedded) -> keep going` call for a run over `total` photos,
/// timed from now.
pub(crate) fn reporter(
    progress: &mut dyn FnMut(Progress) -> bool,
    total: usize,
) -> impl FnMut(usize, usize) -> bool + '_ {
    let started = Instant::now();
    move |done, embedded| {
        progress(Progress {
            done,
            total,
            embedded,
            elapsed: started.elapsed(),
        })
    }
}

/// The store as found at the start of a run: which files it already holds.
struct Previous {
    store: Option<VectorStore>,
    next_id: u64,
    /// Stored file key -> id, palette and line drawing, for the files still to be matched.
    ids: HashMap<FileKey, (u64, Option<Palette>, Option<LineDrawing>)>,
}

fn previous_store(dir: &Path, manifest: Option<Manifest>, unchanged: bool) -> Previous {
    let empty = Previous {
        store: None,
        next_id: 0,
        ids: HashMap::new(),
    };
    let Some(manifest) = manifest else {
        return empty;
    };
    let mode = if unchanged {
        OpenMode::View
    } else {
        OpenMode::Load
    };
    match manifest.open_vectors(dir, mode) {
        Ok(store) => Previous {
            store: Some(store),
            next_id: manifest.next_id,
            ids: manifest
                .entries
                .into_iter()
                .map(|e| (e.key, (e.id, e.palette, e.lines)))
                .collect(),
        },
        // A manifest whose vector file is gone, broken or disagrees: nothing is reusable.
        Err(_) => Previous {
            next_id: manifest.next_id,
            ..empty
        },
    }
}

/// Indexes `gallery` with the photo encoder, reusing and updating its store.
///
/// `progress` is called after each batch; returning `false` cancels (what was embedded so far
/// is saved). Unreadable images are skipped and listed, never fatal. Decoding the next batch
/// overlaps embedding the current one.
pub fn index_gallery(
    gallery: &Path,
    encoder: &ArnetEncoder,
    device: &Device,
    settings: &IndexSettings,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<GalleryIndex, GalleryError> {
    let (keyed, mut skipped) = list_keyed(gallery)?;
    let dir = store_dir(&settings.cache_dir, gallery, &settings.model_id);
    let dim = crate::embed::embedding_width(encoder);
    let store_error = |source| GalleryError::Store {
        path: dir.clone(),
        source,
    };
    let manifest = read_manifest(&dir, &settings.model_id).filter(|m| m.dim == dim);
    // Whether the folder is exactly what the store holds: then the store is only viewed.
    let unchanged = manifest.as_ref().is_some_and(|m| {
        m.storage == settings.storage
            && m.entries.len() == keyed.len()
            && m.entries
                .iter()
                .zip(&keyed)
                .all(|(e, (_, key))| &e.key == key)
    });
    let mut previous = previous_store(&dir, manifest, unchanged);
    let mut ids: Vec<Option<u64>> = Vec::with_capacity(keyed.len());
    let mut palettes: Vec<Option<Palette>> = Vec::with_capacity(keyed.len());
    let mut lines: Vec<Option<LineDrawing>> = Vec::with_capacity(keyed.len());
    for (_, key) in &keyed {
        let (id, palette, drawing) = match previous.ids.remove(key) {
            Some((id, palette, drawing)) => (Some(id), palette, drawing),
            None => (None, None, None),
        };
        ids.push(id);
        palettes.push(palette);
        lines.push(drawing);
    }
    if let Some(store) = &previous.store {
        ids.iter_mut()
            .for_each(|id| *id = id.filter(|&i| store.contains(i)));
    }
    let mut changed = !unchanged;
    let mut store = match previous.store.take() {
        Some(old) if old.storage() == settings.storage => old,
        Some(old) => {
            // Another precision asked for: convert what is stored, without re-embedding.
            let mut converted = VectorStore::new(dim, settings.storage).map_err(store_error)?;
            for id in ids.iter_mut() {
                *id = id.and_then(|i| {
                    old.get(i)
                        .and_then(|v| converted.add(i, &v).ok())
                        .map(|()| i)
                });
            }
            converted
        }
        // `previous_store` gives ids only with a store, so there is nothing to forget.
        None => VectorStore::new(dim, settings.storage).map_err(store_error)?,
    };
    for (_, (stale, _, _)) in previous.ids.drain() {
        if let Err(e) = store.remove(stale) {
            // Left in the vector file, it matches no photo; the next commit tries again.
            log::warn!("{}: a removed photo's vector stays: {e}", dir.display());
        }
    }
    let mut next_id = previous.next_id;
    let cached = ids.iter().filter(|id| id.is_some()).count();
    let total = keyed.len() + skipped.len();
    let mut done = cached + skipped.len();
    let todo: Vec<usize> = (0..keyed.len()).filter(|&i| ids[i].is_none()).collect();
    let mut embedded = 0;
    let mut report = reporter(progress, total);
    let mut cancelled = !report(done, 0);
    let paths: Vec<&Path> = keyed.iter().map(|(p, _)| p.as_path()).collect();
    if !cancelled {
        cancelled = pipeline::embed_in_batches(
            &paths,
            &todo,
            encoder,
            device,
            settings,
            &mut |chunk| vec![true; chunk.len()],
            &mut |batch| {
                for (i, reason) in batch.failed {
                    skipped.push(Skipped {
                        path: keyed[i].0.clone(),
                        reason,
                    });
                }
                for (i, palette, drawing) in batch.looks {
                    palettes[i] = Some(palette);
                    lines[i] = Some(drawing);
                }
                for (i, row) in batch.embedded {
                    if store.add(next_id, &row).is_ok() {
                        ids[i] = Some(next_id);
                        next_id += 1;
                        embedded += 1;
                        changed = true;
                    }
                }
                done += batch.handled;
                report(done, embedded)
            },
        );
    }
    if !cancelled {
        // Stored by an earlier version without colours: their palettes, without embedding.
        changed |= by_colour::fill_missing_palettes(&paths, &ids, &mut palettes, settings.workers);
    }
    if changed {
        // Best effort: an unwritable store only costs time next run (what was not saved is
        // embedded again), so it is a warning, not a failure of this index.
        if let Err(e) = commit(
            &dir, settings, dim, next_id, &store, &keyed, &ids, &palettes, &lines,
        ) {
            log::warn!(
                "{}: the gallery store could not be saved ({e}); the next run embeds again \
                 what was not saved",
                dir.display()
            );
        }
    }
    if cancelled {
        return Err(GalleryError::Cancelled);
    }
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    let mut kept_palettes = Vec::with_capacity(keyed.len());
    let mut kept_lines = Vec::with_capacity(keyed.len());
    let (photos, kept): (Vec<PathBuf>, Vec<u64>) = keyed
        .into_iter()
        .zip(ids)
        .zip(palettes.into_iter().zip(lines))
        .filter_map(|(((path, _), id), (palette, drawing))| {
            let id = id?;
            kept_palettes.push(palette);
            kept_lines.push(drawing);
            Some((path, id))
        })
        .unzip();
    // Every kept id was just added or found in the store, so this holds; were it ever not,
    // an index that lists photos but finds none would be a silent failure: say it instead.
    let search = search_for(store, &kept, settings.exact_up_to).ok_or_else(|| {
        store_error(std::io::Error::other(
            "a photo's vector is missing from the store; delete the folder to rebuild it",
        ))
    })?;
    Ok(GalleryIndex {
        root: gallery.to_path_buf(),
        photos,
        skipped,
        cached,
        palettes: kept_palettes,
        lines: kept_lines,
        made_lines: Mutex::default(),
        positions: OnceLock::new(),
        search,
    })
}

/// Saves `store` under a new generation name, then the manifest naming it (the commit), then
/// removes the vector files no manifest names any more.
#[allow(clippy::too_many_arguments)] // the parts of one commit, each used once
fn commit(
    dir: &Path,
    settings: &IndexSettings,
    dim: usize,
    next_id: u64,
    store: &VectorStore,
    keyed: &[(PathBuf, FileKey)],
    ids: &[Option<u64>],
    palettes: &[Option<Palette>],
    lines: &[Option<LineDrawing>],
) -> std::io::Result<()> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let vectors_file = format!("vectors-{nanos:x}-{}.usearch", std::process::id());
    store.save(&dir.join(&vectors_file))?;
    let manifest = Manifest {
        model_id: settings.model_id.clone(),
        dim,
        storage: store.storage(),
        vectors_file: vectors_file.clone(),
        vectors_bytes: std::fs::metadata(dir.join(&vectors_file))?.len(),
        next_id,
        entries: keyed
            .iter()
            .zip(ids)
            .zip(palettes.iter().zip(lines))
            .filter_map(|(((_, key), id), (palette, drawing))| {
                Some(Entry {
                    id: (*id)?,
                    key: key.clone(),
                    palette: *palette,
                    lines: *drawing,
                })
            })
            .collect(),
    };
    write_manifest(dir, &manifest)?;
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Superseded vector files, and the temporary files of saves that never finished.
        let vectors = name.trim_start_matches('.').starts_with("vectors-");
        if vectors && name.contains(".usearch") && name != vectors_file {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    // The single-file cache of earlier versions, beside the store folder.
    let _ = std::fs::remove_file(dir.with_extension("idx"));
    Ok(())
}
