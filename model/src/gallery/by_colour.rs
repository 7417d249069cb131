//! Colour in a gallery search ([`crate::colour`], docs/colour.md): re-ranking the shape's best
//! by shape plus colour, and the palettes of photos stored before colours were kept.

use std::path::{Path, PathBuf};

use crate::colour::{ColourQuery, Palette};
use crate::parallel::parallel_map;
use crate::retrieval::Hit;

/// Candidates, best by shape, that a search with a colour re-ranks: the whole gallery up to
/// this size (so the colour is exact there), the shape's best this many beyond.
pub const COLOUR_RERANK_POOL: usize = 1000;

/// The `k` best of `pool` (hits by shape) by shape plus colour; `palette` gives a hit's
/// palette. Ties keep the shape's order.
pub fn rerank_by_colour<'a>(
    pool: Vec<Hit>,
    k: usize,
    colour: &ColourQuery,
    palette: impl Fn(usize) -> Option<&'a Palette>,
) -> Vec<Hit> {
    let mut hits: Vec<Hit> = pool
        .into_iter()
        .map(|hit| Hit {
            index: hit.index,
            score: colour.rescore(hit.score, palette(hit.index)),
        })
        .collect();
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    hits.truncate(k);
    hits
}

/// [`rerank_by_colour`] for hits given as `(photo, score)` (a shared catalogue's, which keeps no
/// colours): `palette_of` gives a photo's palette.
pub fn rerank_paths<'a>(
    hits: Vec<(PathBuf, f32)>,
    k: usize,
    colour: &ColourQuery,
    palette_of: impl Fn(&Path) -> Option<&'a Palette>,
) -> Vec<(PathBuf, f32)> {
    let pool = hits
        .iter()
        .enumerate()
        .map(|(index, (_, score))| Hit {
            index,
            score: *score,
        })
        .collect();
    rerank_by_colour(pool, k, colour, |i| palette_of(&hits[i].0))
        .into_iter()
        .map(|hit| (hits[hit.index].0.clone(), hit.score))
        .collect()
}

/// Computes the palettes of the stored photos that have none (stores written before colours
/// were kept). Returns whether any was added.
pub(super) fn fill_missing_palettes(
    paths: &[&Path],
    ids: &[Option<u64>],
    palettes: &mut [Option<Palette>],
    workers: usize,
) -> bool {
    let missing: Vec<usize> = (0..paths.len())
        .filter(|&i| ids[i].is_some() && palettes[i].is_none())
        .collect();
    let found = parallel_map(missing.len(), workers, |k| {
        crate::preprocess::decode_rgb(paths[missing[k]])
            .ok()
            .map(|image| Palette::of_photo(&image))
    });
    let mut added = false;
    for (&i, palette) in missing.iter().zip(found) {
        added |= palette.is_some();
        palettes[i] = palette;
    }
    added
}
