//! Embedding a list of photo files in batches, decoding the next batch while the current one
//! is embedded. Shared by the local store ([`super::index_gallery`]) and the shared catalogue
//! ([`super::database::sync_gallery`]).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use burn::tensor::Device;

use super::IndexSettings;
use crate::colour::Palette;
use crate::embed::{embed_inputs, input_size};
use crate::encoder::ArnetEncoder;
use crate::parallel::parallel_map;
use crate::preprocess::{decode_rgb, model_input};
use crate::shadow::LineDrawing;

/// What one batch gave.
pub(crate) struct Batch {
    /// `(position in paths, L2-normalised embedding)` of the photos embedded.
    pub embedded: Vec<(usize, Vec<f32>)>,
    /// `(position in paths, colour palette, line drawing)` of the photos embedded (taken
    /// from the same decoded pixels, so a photo is read once).
    pub looks: Vec<(usize, Palette, LineDrawing)>,
    /// `(position in paths, reason)` of the photos that could not be decoded.
    pub failed: Vec<(usize, String)>,
    /// Photos of the batch handled, including those `still_needed` dropped.
    pub handled: usize,
}

/// Embeds `paths[i]` for every `i` of `todo`, `settings.batch_size` at a time.
///
/// Before a decoded batch is embedded, `still_needed` says which of its photos are still to
/// be done (another indexer may have done them meanwhile). `on_batch` gets each batch's
/// results and returns `false` to stop. Returns whether it was stopped.
pub(crate) fn embed_in_batches(
    paths: &[&Path],
    todo: &[usize],
    encoder: &ArnetEncoder,
    device: &Device,
    settings: &IndexSettings,
    still_needed: &mut dyn FnMut(&[usize]) -> Vec<bool>,
    on_batch: &mut dyn FnMut(Batch) -> bool,
) -> bool {
    let size = input_size(encoder);
    let stop = AtomicBool::new(false);
    let mut stopped = false;
    std::thread::scope(|scope| {
        let (sender, batches) = std::sync::mpsc::sync_channel(1);
        let stop = &stop;
        let chunks = todo.chunks(settings.batch_size.max(1));
        scope.spawn(move || {
            for chunk in chunks {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let decoded = parallel_map(chunk.len(), settings.workers, |k| {
                    decode_rgb(paths[chunk[k]])
                        .map(|image| {
                            let looks = (Palette::of_photo(&image), LineDrawing::of_photo(&image));
                            (model_input(&image, size), looks)
                        })
                        .map_err(|e| e.to_string())
                });
                if sender.send((chunk, decoded)).is_err() {
                    break;
                }
            }
        });
        for (chunk, decoded) in batches {
            if stopped {
                break;
            }
            let needed = still_needed(chunk);
            let mut inputs = Vec::new();
            let mut owners = Vec::new();
            let mut looks = Vec::new();
            let mut failed = Vec::new();
            for ((&i, result), needed) in chunk.iter().zip(decoded).zip(needed) {
                match result {
                    Ok(_) if !needed => {}
                    Ok((input, (palette, drawing))) => {
                        inputs.push(input);
                        owners.push(i);
                        looks.push((i, palette, drawing));
                    }
                    Err(reason) => failed.push((i, reason)),
                }
            }
            let rows = if inputs.is_empty() {
                Vec::new()
            } else {
                embed_inputs(encoder, &inputs, inputs.len(), device)
            };
            stopped = !on_batch(Batch {
                embedded: owners.into_iter().zip(rows).collect(),
                looks,
                failed,
                handled: chunk.len(),
            });
            stop.store(stopped, Ordering::Relaxed);
        }
    });
    stopped
}
