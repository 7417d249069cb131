//! `arnet search`: the photos of a folder ranked for each sketch, through the same query path
//! as the app ([`arnet_model::query`]): sketch -> model input -> embedding -> [`Searcher`].

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use arnet_model::colour::ColourQuery;
use arnet_model::embed;
use arnet_model::feedback::FeedbackPhotos;
use arnet_model::gallery::{self, photo_stem_of_sketch};
use arnet_model::query::{
    CataloguePalettes, CatalogueSearch, Feedback, SearchHit, Searcher, Sketch,
};
use arnet_training::categories;

use crate::args::{ModelArgs, StoreArgs, warn_kept, warn_skipped};

#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Folder of photos to search.
    #[arg(long)]
    gallery: PathBuf,
    /// Results per sketch.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Print one JSON object per sketch instead of text.
    #[arg(long)]
    json: bool,
    /// With --json: photo classes ({"STEM": "class"}); every result gets its "class", and a
    /// sketch the file labels (a free-hand drawing of a kind) or named after a labelled photo
    /// (`STEM_N.png`) its "class" and "p10", the share of its first ten results of that class
    /// (percent).
    #[arg(long, requires = "json")]
    labels: Option<PathBuf>,
    /// The garment's colour, #RRGGBB: results are re-ranked by shape plus how close each
    /// photo's garment colour is to it (docs/colour.md); scores are then the combined score,
    /// and with --json every result gets its "colour_match" (0 to 1).
    #[arg(long, value_parser = arnet_model::colour::parse_hex_colour)]
    colour: Option<[u8; 3]>,
    /// With --colour: how much the colour counts against the shape's cosine.
    #[arg(long, default_value_t = arnet_model::colour::DEFAULT_COLOUR_WEIGHT, requires = "colour")]
    colour_weight: f32,
    /// "More like this": a photo whose kind of garment the results should move towards (its
    /// embedding is added to the sketch's, Rocchio's update, docs/feedback.md). Repeatable,
    /// one photo each.
    #[arg(long = "like", value_name = "PATH")]
    like: Vec<PathBuf>,
    /// "Not this": a photo the results should move away from; it is also left out of the
    /// results. Repeatable, one photo each.
    #[arg(long = "unlike", value_name = "PATH")]
    unlike: Vec<PathBuf>,
    /// How far --like and --unlike move the query (0: not at all).
    #[arg(long, default_value_t = arnet_model::feedback::DEFAULT_FEEDBACK_WEIGHT)]
    feedback_weight: f32,
    #[command(flatten)]
    store: StoreArgs,
    /// Sketches to search with.
    #[arg(required = true)]
    sketches: Vec<PathBuf>,
}

/// Candidates the shared catalogue gives a search with a colour to re-rank (their palettes
/// are read from the photos, so fewer than the local index's
/// [`arnet_model::gallery::COLOUR_RERANK_POOL`]).
const CATALOGUE_COLOUR_POOL: usize = 200;

pub fn run(args: SearchArgs) -> anyhow::Result<()> {
    if !args.gallery.is_dir() {
        anyhow::bail!("{}: not a folder", args.gallery.display());
    }
    let labels = args
        .labels
        .as_deref()
        .map(categories::Labels::read)
        .transpose()?;
    let (pair, device) = args.model.load()?;
    let size = embed::input_size(&pair.sketch);
    // Every sketch decoded first, so a bad file fails before any output is printed.
    let inputs = args
        .sketches
        .iter()
        .map(|path| Ok(Sketch::open(path)?.model_input(size)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if !(args.feedback_weight.is_finite() && args.feedback_weight >= 0.0) {
        anyhow::bail!(
            "--feedback-weight {}: must be a number of at least 0",
            args.feedback_weight
        );
    }
    let marks = FeedbackPhotos {
        liked: args.like.clone(),
        unliked: args.unlike.clone(),
        weight: args.feedback_weight,
    };
    for photo in marks.liked.iter().chain(&marks.unliked) {
        if !photo.is_file() {
            anyhow::bail!("{}: no such photo (--like / --unlike)", photo.display());
        }
    }
    let mut searcher = gallery_searcher(&args, &pair.photo, &device)?;
    let index = match &searcher {
        Searcher::Local(index) => Some(index.clone()),
        Searcher::Shared(_) => None,
    };
    let feedback = Feedback::resolve(&marks, index.as_deref(), &pair.photo, &device)?;
    let queries = embed::embed_inputs(&pair.sketch, &inputs, args.model.run.batch_size, &device);
    let colour = args.colour.map(|rgb| ColourQuery {
        rgb,
        weight: args.colour_weight,
    });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (sketch, query) in args.sketches.iter().zip(queries) {
        let hits = feedback.search(&mut searcher, &query, args.top, colour.as_ref())?;
        if args.json {
            writeln!(out, "{}", json_line(sketch, &hits, labels.as_ref()))?;
        } else {
            writeln!(out, "{}", sketch.display())?;
            for (i, hit) in hits.iter().enumerate() {
                writeln!(
                    out,
                    "  {:>3}  {:.4}  {}",
                    i + 1,
                    hit.score,
                    hit.path.display()
                )?;
            }
        }
    }
    Ok(())
}

/// The gallery indexed and ready to search: through the index and its cache, shared with the
/// app and `arnet index`, or through the shared catalogue with --store. An error when the
/// folder has no readable photo.
fn gallery_searcher(
    args: &SearchArgs,
    photo_encoder: &arnet_model::ArnetEncoder,
    device: &arnet_model::burn::tensor::Device,
) -> anyhow::Result<Searcher> {
    let settings = args.model.index_settings(&args.store)?;
    let dim = embed::embedding_width(photo_encoder);
    Ok(match args.store.connect(&args.gallery, &settings, dim)? {
        Some(mut catalogue) => {
            let report = gallery::sync_gallery(
                &args.gallery,
                photo_encoder,
                device,
                &settings,
                &mut catalogue,
                None,
                &mut |_| true,
            )?;
            warn_skipped(&report.skipped);
            warn_kept(&report, &catalogue);
            if report.photos.is_empty() {
                anyhow::bail!("{}: no readable photos", args.gallery.display());
            }
            Searcher::Shared(Box::new(CatalogueSearch {
                catalogue,
                root: args.gallery.clone(),
                exact_up_to: args.store.exact_up_to,
                colour_pool: CATALOGUE_COLOUR_POOL,
                // The catalogue keeps no colours: its candidates' palettes are taken from the
                // photos themselves, once each.
                palettes: CataloguePalettes::FromPhotos(Default::default()),
            }))
        }
        None => {
            let index = gallery::index_gallery(
                &args.gallery,
                photo_encoder,
                device,
                &settings,
                &mut |_| true,
            )?;
            warn_skipped(&index.skipped);
            if index.is_empty() {
                anyhow::bail!("{}: no readable photos", args.gallery.display());
            }
            Searcher::Local(Arc::new(index))
        }
    })
}

/// `--json`: {"sketch", "results": [{"rank", "path", "score", "class"?, "colour_match"?}],
/// "class"?, "p10"?}.
fn json_line(
    sketch: &std::path::Path,
    hits: &[SearchHit],
    labels: Option<&categories::Labels>,
) -> serde_json::Value {
    let results: Vec<_> = hits
        .iter()
        .enumerate()
        .map(|(i, hit)| {
            let mut result = serde_json::json!({
                "rank": i + 1, "path": hit.path.to_string_lossy(), "score": hit.score
            });
            if let Some(labels) = labels {
                result["class"] = serde_json::json!(labels.class_of(&hit.path));
            }
            if let Some(matched) = hit.colour_match {
                result["colour_match"] = serde_json::json!(matched);
            }
            result
        })
        .collect();
    let mut line = serde_json::json!({ "sketch": sketch.to_string_lossy(), "results": results });
    if let Some(labels) = labels {
        // The sketch's own label (a free-hand drawing of a kind), else its photo's.
        let class = labels
            .class_of(sketch)
            .or_else(|| photo_stem_of_sketch(sketch).and_then(|stem| labels.class_of_stem(&stem)));
        line["class"] = serde_json::json!(class);
        if let Some(class) = class {
            let top = &hits[..hits.len().min(categories::PRECISION_AT)];
            let same = top
                .iter()
                .filter(|hit| labels.class_of(&hit.path) == Some(class))
                .count();
            if !top.is_empty() {
                line["p10"] = serde_json::json!(100.0 * same as f64 / top.len() as f64);
            }
        }
    }
    line
}
