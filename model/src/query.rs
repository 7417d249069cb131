//! The one path of a query, shared by `arnet search` and the app: a [`Sketch`] (drawn strokes
//! or an image) becomes the model's input, the sketch encoder embeds it ([`embed_sketch`]),
//! and a [`Searcher`] (this machine's gallery index or the shared catalogue) ranks the photos,
//! optionally re-ranked by a colour.
//!
//! Why one path: the CLI and the app used to do each of these steps in their own words, and
//! a change to one (the raster size, the colour pool, the catalogue's paths) silently left the
//! other behind. The steps are small; what matters is that both front ends call the same ones.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::tensor::Device;
use image::RgbImage;

use crate::colour::{ColourQuery, Palette};
use crate::embed;
use crate::encoder::ArnetEncoder;
use crate::feedback::{FeedbackPhotos, rocchio};
use crate::gallery::{
    COLOUR_RERANK_POOL, CatalogueError, GalleryIndex, SharedCatalogue, rerank_paths,
};
use crate::preprocess::{ImageLoadError, decode_rgb, model_input, sketch_input};
use crate::raster::{SKETCH_RASTER_SIZE, Stroke, rasterize};

/// A sketch to search with.
#[derive(Debug, Clone)]
pub enum Sketch {
    /// Strokes drawn on a canvas (coordinates in `0..1`), rasterised at
    /// [`SKETCH_RASTER_SIZE`] like the training sketches.
    Strokes(Vec<Stroke>),
    /// A sketch image (decoded, transparency flattened on white).
    Image(Arc<RgbImage>),
}

impl Sketch {
    /// The sketch image file at `path`.
    pub fn open(path: &Path) -> Result<Self, ImageLoadError> {
        Ok(Self::Image(Arc::new(decode_rgb(path)?)))
    }

    /// The sketch as an image: the strokes rasterised, or the image itself.
    pub fn raster(&self) -> RgbImage {
        match self {
            Self::Strokes(strokes) => rasterize(strokes, SKETCH_RASTER_SIZE),
            Self::Image(image) => (**image).clone(),
        }
    }

    /// The model input of an encoder that takes `size` x `size` images, a small drawing
    /// framed first (see [`crate::preprocess::sketch_input`]).
    pub fn model_input(&self, size: usize) -> Vec<f32> {
        match self {
            Self::Strokes(_) => sketch_input(&self.raster(), size),
            // No copy of the image: it is only read.
            Self::Image(image) => sketch_input(image, size),
        }
    }
}

/// The unit-length embedding of one sketch by the sketch encoder.
pub fn embed_sketch(encoder: &ArnetEncoder, sketch: &Sketch, device: &Device) -> Vec<f32> {
    let input = sketch.model_input(embed::input_size(encoder));
    embed::embed_inputs(encoder, &[input], 1, device)
        .pop()
        .expect("one embedding per input")
}

/// "More like this / not this" ready to apply: the marked photos' embeddings
/// ([`crate::feedback`]).
#[derive(Debug, Clone, Default)]
pub struct Feedback {
    liked: Vec<Vec<f32>>,
    unliked: Vec<Vec<f32>>,
    /// The "not this" photos, left out of the results (as given, and as the file system
    /// names them, so `./g/a.png` and `g/a.png` are one photo).
    excluded: Vec<(PathBuf, Option<PathBuf>)>,
    weight: f32,
}

impl Feedback {
    /// The embeddings of the photos `marks` names: from `index` when it holds the photo (the
    /// store keeps every gallery photo's embedding), else embedded from the file with the photo
    /// encoder (a photo of a shared catalogue, or outside the gallery). An unreadable photo is
    /// an error naming it.
    pub fn resolve(
        marks: &FeedbackPhotos,
        index: Option<&GalleryIndex>,
        photo_encoder: &ArnetEncoder,
        device: &Device,
    ) -> Result<Self, ImageLoadError> {
        let embeddings = |photos: &[PathBuf]| -> Result<Vec<Vec<f32>>, ImageLoadError> {
            photos
                .iter()
                .map(|photo| {
                    let stored = index.and_then(|index| index.embedding(index.position(photo)?));
                    match stored {
                        Some(embedding) => Ok(embedding),
                        None => embed_photo(photo_encoder, photo, device),
                    }
                })
                .collect()
        };
        Ok(Self {
            liked: embeddings(&marks.liked)?,
            unliked: embeddings(&marks.unliked)?,
            excluded: marks
                .unliked
                .iter()
                .map(|p| (p.clone(), p.canonicalize().ok()))
                .collect(),
            weight: marks.weight,
        })
    }

    /// Whether nothing is marked.
    pub fn is_empty(&self) -> bool {
        self.liked.is_empty() && self.unliked.is_empty()
    }

    /// The query moved by the marks (Rocchio, [`crate::feedback::rocchio`]).
    pub fn apply(&self, query: &[f32]) -> Vec<f32> {
        rocchio(query, &self.liked, &self.unliked, self.weight)
    }

    /// Whether `photo` was marked "not this".
    pub fn excludes(&self, photo: &Path) -> bool {
        self.excluded.iter().any(|(given, canonical)| {
            given == photo
                || canonical
                    .as_ref()
                    .is_some_and(|c| photo.canonicalize().is_ok_and(|p| &p == c))
        })
    }

    /// The `k` best photos for `query` moved by the marks, the "not this" photos left out.
    pub fn search(
        &self,
        searcher: &mut Searcher,
        query: &[f32],
        k: usize,
        colour: Option<&ColourQuery>,
    ) -> Result<Vec<SearchHit>, CatalogueError> {
        if self.is_empty() {
            return searcher.search(query, k, colour);
        }
        let moved = self.apply(query);
        let mut hits = searcher.search(&moved, k + self.excluded.len(), colour)?;
        hits.retain(|hit| !self.excludes(&hit.path));
        hits.truncate(k);
        Ok(hits)
    }
}

/// The unit-length embedding of the photo file at `path` by the photo encoder.
pub fn embed_photo(
    encoder: &ArnetEncoder,
    path: &Path,
    device: &Device,
) -> Result<Vec<f32>, ImageLoadError> {
    let input = model_input(&decode_rgb(path)?, embed::input_size(encoder));
    Ok(embed::embed_inputs(encoder, &[input], 1, device)
        .pop()
        .expect("one embedding per input"))
}

/// One photo found for a query.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The photo.
    pub path: PathBuf,
    /// Its cosine similarity to the sketch, or with a colour the combined score
    /// ([`ColourQuery::rescore`]).
    pub score: f32,
    /// With a colour: how close the photo's garment colours are to it (0 to 1; 0 when the
    /// photo's palette is unknown).
    pub colour_match: Option<f32>,
}

/// Where the palettes of a shared catalogue's photos come from (the catalogue keeps none).
#[derive(Debug)]
pub enum CataloguePalettes {
    /// From this machine's index of the same folder (the app indexes locally first).
    Index(Arc<GalleryIndex>),
    /// Read from each candidate photo when first needed, then remembered (`arnet search
    /// --store`, which has no local index).
    FromPhotos(HashMap<PathBuf, Option<Palette>>),
}

impl CataloguePalettes {
    fn ensure(&mut self, photos: impl Iterator<Item = PathBuf>) {
        if let Self::FromPhotos(known) = self {
            for photo in photos {
                known.entry(photo).or_insert_with_key(|path| {
                    decode_rgb(path).ok().map(|image| Palette::of_photo(&image))
                });
            }
        }
    }

    fn get(&self, photo: &Path) -> Option<&Palette> {
        match self {
            Self::Index(index) => index.palette_of(photo),
            Self::FromPhotos(known) => known.get(photo)?.as_ref(),
        }
    }
}

/// The shared catalogue of one gallery folder, ready to search.
#[derive(Debug)]
pub struct CatalogueSearch {
    /// The connected catalogue.
    pub catalogue: SharedCatalogue,
    /// The gallery folder its relative paths are under.
    pub root: PathBuf,
    /// Catalogues up to this many rows are searched exactly, larger ones through the graph.
    pub exact_up_to: usize,
    /// Candidates fetched for a colour re-ranking (at least the results wanted).
    pub colour_pool: usize,
    /// The candidates' palettes.
    pub palettes: CataloguePalettes,
}

/// A gallery to search: this machine's index, or a shared catalogue.
#[derive(Debug)]
pub enum Searcher {
    /// The local index (exact or through its HNSW graph).
    Local(Arc<GalleryIndex>),
    /// The shared PostgreSQL + pgvector catalogue (docs/shared-catalogue.md).
    Shared(Box<CatalogueSearch>),
}

impl Searcher {
    /// The `k` best photos for a sketch embedding, best first; with a colour, the shape's best
    /// candidates re-ranked by shape plus colour (docs/colour.md), each with its colour match.
    /// Only a shared catalogue can fail (the database stopped answering).
    pub fn search(
        &mut self,
        query: &[f32],
        k: usize,
        colour: Option<&ColourQuery>,
    ) -> Result<Vec<SearchHit>, CatalogueError> {
        let hits: Vec<(PathBuf, f32)> = match self {
            Self::Local(index) => index
                .search(query, k, colour)
                .into_iter()
                .map(|hit| (index.photos[hit.index].clone(), hit.score))
                .collect(),
            Self::Shared(shared) => {
                let wanted = match colour {
                    Some(_) => k.max(shared.colour_pool),
                    None => k,
                };
                let candidates: Vec<(PathBuf, f32)> = shared
                    .catalogue
                    .top_k(query, wanted, shared.exact_up_to)?
                    .into_iter()
                    .map(|(path, score)| (shared.root.join(path), score))
                    .collect();
                match colour {
                    None => candidates,
                    Some(colour) => {
                        shared
                            .palettes
                            .ensure(candidates.iter().map(|(path, _)| path.clone()));
                        let palettes = &shared.palettes;
                        rerank_paths(candidates, k, colour, |photo| palettes.get(photo))
                    }
                }
            }
        };
        // Every result's palette was read for the re-ranking: none is decoded again.
        let palette_of = |photo: &Path| -> Option<Palette> {
            match &*self {
                Self::Local(index) => index.palette_of(photo).copied(),
                Self::Shared(shared) => shared.palettes.get(photo).copied(),
            }
        };
        Ok(hits
            .into_iter()
            .map(|(path, score)| SearchHit {
                colour_match: colour.map(|colour| {
                    palette_of(&path).map_or(0.0, |palette| palette.match_score(colour.rgb))
                }),
                path,
                score,
            })
            .collect())
    }

    /// Photos that can be found.
    pub fn len(&self) -> usize {
        match self {
            Self::Local(index) => index.len(),
            Self::Shared(shared) => shared.catalogue.len(),
        }
    }

    /// Whether no photo can be found.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl CatalogueSearch {
    /// A catalogue searched like the app does: palettes from the local index of the same
    /// folder, colour candidates as many as the local index re-ranks.
    pub fn beside_index(
        catalogue: SharedCatalogue,
        index: Arc<GalleryIndex>,
        exact_up_to: usize,
    ) -> Self {
        Self {
            catalogue,
            root: index.root.clone(),
            exact_up_to,
            colour_pool: COLOUR_RERANK_POOL,
            palettes: CataloguePalettes::Index(index),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strokes_are_rasterised_at_the_sketch_raster_size_and_images_kept() {
        let strokes = Sketch::Strokes(vec![Stroke::new(vec![[0.2, 0.2], [0.8, 0.8]], 0.02)]);
        let raster = strokes.raster();
        assert_eq!(
            raster.dimensions(),
            (SKETCH_RASTER_SIZE, SKETCH_RASTER_SIZE)
        );
        assert!(
            raster.pixels().any(|p| p.0 != [255, 255, 255]),
            "the line is drawn"
        );
        let image = RgbImage::from_pixel(7, 5, image::Rgb([10, 20, 30]));
        let opened = Sketch::Image(Arc::new(image.clone()));
        assert_eq!(opened.raster(), image);
        assert_eq!(opened.model_input(4).len(), 3 * 4 * 4);
    }

    /// The ink box of a CHW model input's first channel, in pixels `[x0, y0, x1, y1]`.
    fn input_ink_box(input: &[f32], size: usize) -> [usize; 4] {
        let mut b = [usize::MAX, usize::MAX, 0, 0];
        for y in 0..size {
            for x in 0..size {
                if input[y * size + x] < 0.5 {
                    b = [b[0].min(x), b[1].min(y), b[2].max(x + 1), b[3].max(y + 1)];
                }
            }
        }
        b
    }

    #[test]
    fn a_small_drawing_in_a_corner_reaches_the_encoder_centred_and_larger() {
        // A square a fifth of the canvas, in the top-left corner.
        let square = vec![
            [0.05, 0.05],
            [0.25, 0.05],
            [0.25, 0.25],
            [0.05, 0.25],
            [0.05, 0.05],
        ];
        let small = Sketch::Strokes(vec![Stroke::new(square, 0.01)]);
        let [x0, y0, x1, y1] = input_ink_box(&small.model_input(100), 100);
        assert!(
            (x1 - x0) >= 65 && (y1 - y0) >= 65,
            "{x0}..{x1} x {y0}..{y1}"
        );
        assert!((x0 + x1).abs_diff(100) <= 3 && (y0 + y1).abs_diff(100) <= 3);
        // A drawing over most of the canvas reaches it where it was drawn.
        let large = vec![[0.1, 0.2], [0.9, 0.2], [0.9, 0.7], [0.1, 0.7], [0.1, 0.2]];
        let large = Sketch::Strokes(vec![Stroke::new(large, 0.01)]);
        let [x0, y0, _, y1] = input_ink_box(&large.model_input(100), 100);
        assert!(x0.abs_diff(10) <= 2 && y0.abs_diff(20) <= 2 && y1.abs_diff(70) <= 2);
    }
}
