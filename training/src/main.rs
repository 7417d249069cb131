//! `arnet`: the headless command line of ARNet Sketch.

mod data_command;
mod fine_tune_command;
mod index_progress;

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use arnet_model::colour::{ColourQuery, Palette};
use arnet_model::preprocess::load_model_input;
use arnet_model::{Backend, EncoderRole, embed, weights};
use arnet_training::augment::RotationFill;
use arnet_training::pseudo_pairs::{self, PseudoSketches};
use arnet_training::recipe::{
    AugmentedView, BackboneKind, Init, LrSchedule, Objective, Precision, Preset, Recipe, Views,
};
use arnet_training::{categories, dataset, evaluate, pseudo_sketch, synth, train};

#[derive(Parser, Debug)]
#[command(
    name = "arnet",
    version,
    about = "ARNet fine-grained sketch-based image retrieval"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the L2-normalised embedding of each image as one JSON object per line.
    Embed(EmbedArgs),
    /// Generate a synthetic Clothes-V1-style data set (garment photos and sketches).
    Synth(SynthArgs),
    /// Check a data folder: counts per split and every problem found.
    Check(CheckArgs),
    /// Acc@1/5/10 of a sketch/photo pair on a split of a data folder.
    Eval(EvalArgs),
    /// Rank the photos of a folder for each sketch.
    Search(SearchArgs),
    /// Embed every photo of a gallery folder into the cache the app uses.
    Index(IndexArgs),
    /// Train (or fine-tune) a sketch/photo pair on a data folder; writes OUT/best.safetensors.
    Train(Box<TrainArgs>),
    /// Draw a pseudo-sketch OUT/STEM_p1.png of every photo of a folder (HED or Canny edges).
    PseudoSketch(PseudoSketchArgs),
    /// Adapt a model to a gallery of photos (what the app's "Fine-tune on this gallery"
    /// runs); writes OUT/best.safetensors, and keeps the starting model when the held-out check
    /// does not improve.
    FineTune(fine_tune_command::FineTuneArgs),
    /// Write a data set that can be had on this machine as a data folder.
    #[command(subcommand)]
    Data(data_command::DataCommand),
}

/// Weights and device options shared by the commands that run a model.
#[derive(clap::Args, Debug)]
struct ModelArgs {
    /// A two-encoder checkpoint: the authors' .pth or our pair .safetensors (`index` also
    /// takes a single-encoder file as the photo encoder).
    #[arg(long)]
    weights: PathBuf,
    #[command(flatten)]
    run: RunArgs,
}

/// How to run a model: head count, device and batch size (shared by every model command).
#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Attention heads (default: from the file's config, else embed_dim / 64).
    #[arg(long)]
    heads: Option<usize>,
    /// Compute device: cpu, wgpu or cuda.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Images embedded per forward pass.
    #[arg(long, default_value_t = 16)]
    batch_size: usize,
}

impl RunArgs {
    fn device(&self) -> anyhow::Result<arnet_model::burn::tensor::Device> {
        Ok(self.device.parse::<Backend>()?.device()?)
    }
}

/// How a gallery's embeddings are stored and searched (shared by `index` and `search`).
#[derive(clap::Args, Debug)]
struct StoreArgs {
    /// Precision of the stored embeddings: f32, or f16 (half the disk and memory; a change
    /// converts the store without re-embedding).
    #[arg(long, default_value = "f32")]
    storage: arnet_model::gallery::Storage,
    /// Galleries up to this many photos are searched exactly; larger ones through the
    /// store's HNSW graph (approximate; see README for the measured recall).
    #[arg(long, default_value_t = arnet_model::gallery::EXACT_SEARCH_UP_TO)]
    exact_up_to: usize,
    /// Keep the index in a shared PostgreSQL + pgvector database instead of the local cache
    /// (postgres://user[:password]@host:port/dbname; docs/shared-catalogue.md).
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// With --store: the catalogue's name in the database (default: the gallery folder's
    /// name). Machines that share a catalogue use the same name.
    #[arg(long, requires = "store")]
    catalogue: Option<String>,
}

impl StoreArgs {
    /// Connects to the shared catalogue of `gallery` for this model, when --store is given.
    fn connect(
        &self,
        gallery: &std::path::Path,
        settings: &arnet_model::gallery::IndexSettings,
        dim: usize,
    ) -> anyhow::Result<Option<arnet_model::gallery::SharedCatalogue>> {
        use arnet_model::gallery::{SharedCatalogue, database};
        let Some(url) = &self.store else {
            return Ok(None);
        };
        let name = self
            .catalogue
            .clone()
            .unwrap_or_else(|| database::default_catalogue_name(gallery));
        Ok(Some(SharedCatalogue::connect(
            url,
            &name,
            &settings.model_id,
            dim,
        )?))
    }
}

impl ModelArgs {
    /// How `index` and `search` index a gallery: the app's cache, this model's identity.
    fn index_settings(
        &self,
        store: &StoreArgs,
    ) -> anyhow::Result<arnet_model::gallery::IndexSettings> {
        use arnet_model::gallery;
        let model_id = gallery::model_identity(&self.weights, self.run.heads)
            .with_context(|| format!("{}", self.weights.display()))?;
        Ok(gallery::IndexSettings {
            batch_size: self.run.batch_size,
            storage: store.storage,
            exact_up_to: store.exact_up_to,
            ..gallery::IndexSettings::new(gallery::default_cache_dir(), model_id)
        })
    }

    /// Both encoders, for the commands that search with sketches.
    fn load(&self) -> anyhow::Result<(arnet_model::ArnetPair, arnet_model::burn::tensor::Device)> {
        let file = read_weights(&self.weights)?;
        let device = self.run.device()?;
        let pair = file.load_pair(self.run.heads, &device)?;
        Ok((pair, device))
    }

    /// The photo encoder alone, for indexing: a pair's `img_model`, or a single-encoder file.
    fn load_photo_encoder(
        &self,
    ) -> anyhow::Result<(arnet_model::ArnetEncoder, arnet_model::burn::tensor::Device)> {
        let file = read_weights(&self.weights)?;
        let device = self.run.device()?;
        let encoder = file.load_encoder(EncoderRole::Photo, self.run.heads, &device)?;
        Ok((encoder, device))
    }
}

/// Reads a weight file and says once on stderr what loading it leaves out.
fn read_weights(path: &std::path::Path) -> anyhow::Result<weights::WeightFile> {
    let file = weights::WeightFile::read(path)?;
    if let Some(note) = file.ignored_note() {
        eprintln!("note: {note}");
    }
    Ok(file)
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// Data folder (trainA/ trainB/ testA/ testB/, optionally valA/ valB/).
    #[arg(long)]
    data: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SplitArg {
    Train,
    Val,
    Test,
}

#[derive(clap::Args, Debug)]
struct EvalArgs {
    /// Data folder.
    #[arg(long)]
    data: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    /// Split to evaluate.
    #[arg(long, value_enum, default_value = "test")]
    split: SplitArg,
    /// Print one JSON object: {"acc1", "acc5", "acc10", "sketches", "photos"} (percent; with
    /// --on-the-fly also "m_a", "m_b" and "steps").
    #[arg(long)]
    json: bool,
    /// Replay stroke lists stroke by stroke and report m@A and m@B (Bhunia et al., CVPR 2020)
    /// beside the complete sketches' Acc@K.
    #[arg(long)]
    on_the_fly: bool,
    /// Stroke lists for --on-the-fly (`PHOTOSTEM_N.json`, the app's format; default
    /// DATA/{split}A-strokes, what `arnet synth --stroke-lists` writes).
    #[arg(long, requires = "on_the_fly")]
    strokes: Option<PathBuf>,
    /// Photo classes ({"STEM": "class"}, what `arnet data fashion-mnist` writes): also report
    /// category precision@10, the share of the top ten that is the sketch's kind of garment
    /// (JSON field "p10", percent).
    #[arg(long, conflicts_with = "on_the_fly")]
    labels: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct SearchArgs {
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
    /// sketch named after a labelled photo (`STEM_N.png`) its "class" and "p10", the share of
    /// its first ten results of that class (percent).
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
    #[command(flatten)]
    store: StoreArgs,
    /// Sketches to search with.
    #[arg(required = true)]
    sketches: Vec<PathBuf>,
}

fn run_check(args: CheckArgs) -> anyhow::Result<()> {
    if !args.data.is_dir() {
        anyhow::bail!("{}: not a folder", args.data.display());
    }
    let (report, splits) = dataset::check_folder(&args.data);
    print!("{report}");
    if let Some(train) = splits.get(&dataset::SplitName::Train) {
        let without = train.photos.len() - pseudo_pairs::photos_with_sketches(train);
        if without > 0 {
            println!(
                "train: {without} photo(s) without a drawn sketch: `arnet train` gives them \
                 pseudo-sketches (--pseudo-sketches auto; off leaves them out)"
            );
        }
    }
    Ok(())
}

fn run_eval(args: EvalArgs) -> anyhow::Result<()> {
    let name = match args.split {
        SplitArg::Train => dataset::SplitName::Train,
        SplitArg::Val => dataset::SplitName::Val,
        SplitArg::Test => dataset::SplitName::Test,
    };
    let scan = dataset::scan_split(&args.data, name, true);
    for problem in &scan.problems {
        eprintln!("warning: [{name}] {problem}");
    }
    if scan.split.sketches.is_empty() {
        anyhow::bail!(
            "{}: the {name} split has no usable sketch",
            args.data.display()
        );
    }
    if args.on_the_fly {
        return run_eval_on_the_fly(&args, name, &scan.split);
    }
    let labels = args
        .labels
        .as_deref()
        .map(categories::Labels::read)
        .transpose()?;
    let (pair, device) = args.model.load()?;
    let (accuracy, p10) = evaluate::evaluate_with_labels(
        &pair,
        &scan.split,
        labels.as_ref(),
        args.model.run.batch_size,
        &device,
    )?;
    if labels.is_some() && p10.is_none() {
        anyhow::bail!(
            "{}: no photo of the {name} split has a label in it",
            args.labels
                .as_deref()
                .unwrap_or_else(|| std::path::Path::new(""))
                .display()
        );
    }
    if args.json {
        let mut line = serde_json::to_value(accuracy)?;
        if let Some(p10) = p10 {
            line["p10"] = serde_json::json!(p10);
        }
        println!("{line}");
    } else {
        let category = p10
            .map(|p| format!("  category P@10 {p:.2}%"))
            .unwrap_or_default();
        println!(
            "{name}: Acc@1 {:.2}%  Acc@5 {:.2}%  Acc@10 {:.2}%{category}  ({} sketches, {} photos)",
            accuracy.acc1, accuracy.acc5, accuracy.acc10, accuracy.sketches, accuracy.photos
        );
    }
    Ok(())
}

fn run_eval_on_the_fly(
    args: &EvalArgs,
    name: dataset::SplitName,
    split: &dataset::Split,
) -> anyhow::Result<()> {
    use arnet_training::on_the_fly;
    let strokes = args
        .strokes
        .clone()
        .unwrap_or_else(|| args.data.join(format!("{}A-strokes", name.prefix())));
    let sketches = on_the_fly::stroke_sketches(&strokes, &split.photos)?;
    if sketches.is_empty() {
        anyhow::bail!("{}: no stroke list (PHOTOSTEM_N.json)", strokes.display());
    }
    let (pair, device) = args.model.load()?;
    let result = on_the_fly::evaluate_on_the_fly(
        &pair,
        &split.photos,
        &sketches,
        args.model.run.batch_size,
        &device,
    )?;
    if args.json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        println!(
            "{name}, on the fly: m@A {:.2}%  m@B {:.2}%  ({} stroke lists, {} steps, {} photos); \
             complete sketches: Acc@1 {:.2}%  Acc@5 {:.2}%  Acc@10 {:.2}%",
            result.m_a,
            result.m_b,
            result.sketches,
            result.steps,
            result.photos,
            result.acc1,
            result.acc5,
            result.acc10
        );
    }
    Ok(())
}

/// Candidates the shared catalogue gives a search with a colour to re-rank (their palettes
/// are read from the photos, so fewer than the local index's [`arnet_model::gallery::COLOUR_RERANK_POOL`]).
const CATALOGUE_COLOUR_POOL: usize = 200;

fn run_search(args: SearchArgs) -> anyhow::Result<()> {
    use arnet_model::gallery;
    if !args.gallery.is_dir() {
        anyhow::bail!("{}: not a folder", args.gallery.display());
    }
    let labels = args
        .labels
        .as_deref()
        .map(categories::Labels::read)
        .transpose()?;
    let (pair, device) = args.model.load()?;
    let size = embed::input_size(&pair.photo);
    let sketches = args
        .sketches
        .iter()
        .map(|p| load_model_input(p, size))
        .collect::<Result<Vec<_>, _>>()?;
    // The gallery goes through the index and its cache, shared with the app and `arnet index`
    // (or through the shared catalogue with --store).
    let settings = args.model.index_settings(&args.store)?;
    let dim = embed::embedding_width(&pair.photo);
    let mut shared = args.store.connect(&args.gallery, &settings, dim)?;
    let (local, photos) = match &mut shared {
        Some(catalogue) => {
            let report = gallery::sync_gallery(
                &args.gallery,
                &pair.photo,
                &device,
                &settings,
                catalogue,
                None,
                &mut |_| true,
            )?;
            warn_skipped(&report.skipped);
            warn_kept(&report, catalogue);
            (None, report.photos.len())
        }
        None => {
            let index = gallery::index_gallery(
                &args.gallery,
                &pair.photo,
                &device,
                &settings,
                &mut |_| true,
            )?;
            warn_skipped(&index.skipped);
            let photos = index.photos.len();
            (Some(index), photos)
        }
    };
    if photos == 0 {
        anyhow::bail!("{}: no readable photos", args.gallery.display());
    }
    let queries = embed::embed_inputs(&pair.sketch, &sketches, args.model.run.batch_size, &device);
    let colour = args.colour.map(|rgb| ColourQuery {
        rgb,
        weight: args.colour_weight,
    });
    // The shared catalogue keeps no colours: its candidates' palettes are taken from the photos
    // themselves, once each.
    // Shared with `colour_match` below, which reports the match of the very palettes used.
    let palettes: RefCell<HashMap<PathBuf, Option<Palette>>> = RefCell::default();
    let mut search = |query: &[f32]| -> anyhow::Result<Vec<(PathBuf, f32)>> {
        Ok(match (&local, &mut shared) {
            (Some(index), _) => index
                .search(query, args.top, colour.as_ref())
                .into_iter()
                .map(|h| (index.photos[h.index].clone(), h.score))
                .collect(),
            (None, Some(catalogue)) => {
                let wanted = match colour {
                    Some(_) => args.top.max(CATALOGUE_COLOUR_POOL),
                    None => args.top,
                };
                let hits: Vec<(PathBuf, f32)> = catalogue
                    .top_k(query, wanted, args.store.exact_up_to)?
                    .into_iter()
                    .map(|(path, score)| (args.gallery.join(path), score))
                    .collect();
                match &colour {
                    None => hits,
                    Some(colour) => {
                        let mut palettes = palettes.borrow_mut();
                        for (path, _) in &hits {
                            palettes.entry(path.clone()).or_insert_with(|| {
                                arnet_model::preprocess::decode_rgb(path)
                                    .ok()
                                    .map(|image| Palette::of_photo(&image))
                            });
                        }
                        gallery::rerank_paths(hits, args.top, colour, |photo| {
                            palettes.get(photo).and_then(Option::as_ref)
                        })
                    }
                }
            }
            (None, None) => unreachable!("one of the two indexes is built above"),
        })
    };
    let colour_match = |path: &Path| -> Option<f32> {
        let colour = colour.as_ref()?;
        // Every result's palette was read for the re-ranking: none is decoded again.
        let palette = match &local {
            Some(index) => index.palette_of(path).copied(),
            None => palettes.borrow().get(path).copied().flatten(),
        };
        Some(palette.map_or(0.0, |p| p.match_score(colour.rgb)))
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (sketch, query) in args.sketches.iter().zip(queries) {
        let hits = search(&query)?;
        if args.json {
            let results: Vec<_> = hits
                .iter()
                .enumerate()
                .map(|(i, (path, score))| {
                    let mut result = serde_json::json!({
                        "rank": i + 1, "path": path.to_string_lossy(), "score": score
                    });
                    if let Some(labels) = &labels {
                        result["class"] = serde_json::json!(labels.class_of(path));
                    }
                    if let Some(matched) = colour_match(path) {
                        result["colour_match"] = serde_json::json!(matched);
                    }
                    result
                })
                .collect();
            let mut line =
                serde_json::json!({ "sketch": sketch.to_string_lossy(), "results": results });
            if let Some(labels) = &labels {
                let class = arnet_model::gallery::photo_stem_of_sketch(sketch)
                    .and_then(|stem| labels.class_of_stem(&stem));
                line["class"] = serde_json::json!(class);
                if let Some(class) = class {
                    let top = &hits[..hits.len().min(categories::PRECISION_AT)];
                    let same = top
                        .iter()
                        .filter(|(path, _)| labels.class_of(path) == Some(class))
                        .count();
                    if !top.is_empty() {
                        line["p10"] = serde_json::json!(100.0 * same as f64 / top.len() as f64);
                    }
                }
            }
            writeln!(out, "{line}")?;
        } else {
            writeln!(out, "{}", sketch.display())?;
            for (i, (path, score)) in hits.iter().enumerate() {
                writeln!(out, "  {:>3}  {:.4}  {}", i + 1, score, path.display())?;
            }
        }
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
struct SynthArgs {
    /// Output folder (trainA/ trainB/ testA/ testB/ and synth.json are written in it).
    #[arg(long)]
    out: PathBuf,
    /// Number of photos (garments) in total; a quarter go to the test split.
    #[arg(long, default_value_t = 200)]
    photos: usize,
    /// Sketches drawn of each photo (at most 1000).
    #[arg(long, default_value_t = 3)]
    sketches_per_photo: usize,
    /// Seed: the same seed writes the same files.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Share of photos in the test split.
    #[arg(long, default_value_t = 0.25)]
    test_fraction: f32,
    /// Also write app-style stroke lists ({split}A-strokes/STEM_app.json), one per photo.
    #[arg(long)]
    stroke_lists: bool,
    /// How sketches are drawn: standard (a pool of drawers), or varied (widths, wobble, the
    /// app's pen, outline-only, partial and over-drawn sketches, wider poses: for training).
    #[arg(long, value_enum, default_value = "standard")]
    style: synth::SketchStyle,
}

fn run_synth(args: SynthArgs) -> anyhow::Result<()> {
    if !(0.0..1.0).contains(&args.test_fraction) {
        anyhow::bail!(
            "--test-fraction must be in [0, 1), got {}",
            args.test_fraction
        );
    }
    if args.photos == 0 || args.sketches_per_photo == 0 {
        anyhow::bail!("--photos and --sketches-per-photo must be positive");
    }
    let (photos, sketches) = synth::generate(&synth::SynthOptions {
        out: args.out.clone(),
        photos: args.photos,
        sketches_per_photo: args.sketches_per_photo,
        seed: args.seed,
        test_fraction: args.test_fraction,
        stroke_lists: args.stroke_lists,
        style: args.style,
    })?;
    eprintln!(
        "wrote {photos} photos and {sketches} sketches to {}",
        args.out.display()
    );
    Ok(())
}

/// Which encoder of a two-encoder checkpoint to use.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum EncoderArg {
    /// The sketch encoder (`skt_model`).
    Sketch,
    /// The photo encoder (`img_model`).
    Image,
}

impl From<EncoderArg> for EncoderRole {
    fn from(arg: EncoderArg) -> Self {
        match arg {
            EncoderArg::Sketch => EncoderRole::Sketch,
            EncoderArg::Image => EncoderRole::Photo,
        }
    }
}

#[derive(clap::Args, Debug)]
struct EmbedArgs {
    /// Weights: the authors' .pth, a .safetensors encoder or pair, or timm-named weights
    /// with a head.
    #[arg(long)]
    weights: PathBuf,
    /// Encoder of a two-encoder checkpoint.
    #[arg(long, value_enum, default_value = "sketch")]
    encoder: EncoderArg,
    #[command(flatten)]
    run: RunArgs,
    /// Images to embed.
    #[arg(required = true)]
    images: Vec<PathBuf>,
}

fn run_embed(args: EmbedArgs) -> anyhow::Result<()> {
    let file = read_weights(&args.weights)?;
    let device = args.run.device()?;
    let encoder = file.load_encoder(args.encoder.into(), args.run.heads, &device)?;
    let size = embed::input_size(&encoder);
    // Decode everything first so a bad file fails before any output is printed.
    let inputs = args
        .images
        .iter()
        .map(|path| load_model_input(path, size))
        .collect::<Result<Vec<_>, _>>()?;
    let embeddings = embed::embed_inputs(&encoder, &inputs, args.run.batch_size, &device);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (path, embedding) in args.images.iter().zip(embeddings) {
        let line = serde_json::json!({ "path": path.to_string_lossy(), "embedding": embedding });
        writeln!(out, "{line}").context("writing to stdout")?;
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
struct TrainArgs {
    /// Data folder (trainA/ trainB/ testA/ testB/, optionally valA/ valB/).
    #[arg(long)]
    data: PathBuf,
    /// Run folder: best.safetensors, best.json, metrics.csv, curves.png, checkpoint/.
    #[arg(long)]
    out: PathBuf,
    /// Compute device: cpu, wgpu or cuda (default: cuda when this is a cuda build and a CUDA
    /// GPU answers, else cpu).
    #[arg(long)]
    device: Option<String>,
    /// Backbone architecture (default: a ViT, or the one --init-backbone's file holds).
    #[arg(long, value_enum)]
    backbone: Option<BackboneKind>,
    /// ViT size (`demo`: the small model bundled with the app).
    #[arg(long, value_enum, default_value = "vit-b")]
    preset: Preset,
    /// Full model: MSTR and the recycling loss (Eq. 6). Without it: Basic (Eq. 5).
    #[arg(long)]
    mstr: bool,
    /// Epochs in total (a resumed run continues up to this).
    #[arg(long, default_value_t = 500)]
    epochs: usize,
    /// Sketch/photo pairs per step.
    #[arg(long, default_value_t = 16)]
    batch_size: usize,
    /// Continue the interrupted (or finished) run in --out.
    #[arg(long)]
    resume: bool,
    /// Adam learning rate (the paper's 6e-6 is for an ImageNet-pretrained start; from
    /// scratch use ~3e-4).
    #[arg(long = "lr", default_value_t = 6e-6)]
    learning_rate: f64,
    /// How the learning rate moves: constant (the paper), or cosine (from --lr down to zero
    /// over --epochs; resume with the same --epochs).
    #[arg(long, value_enum, default_value = "constant")]
    lr_schedule: LrSchedule,
    /// Average the weights of every epoch from this one (1-based) to the last (stochastic
    /// weight averaging); after each such epoch the average is validated like the epoch's own
    /// weights, and best.safetensors is whichever validates better.
    #[arg(long, value_name = "EPOCH")]
    average_from: Option<usize>,
    /// L2 weight decay added to the gradient.
    #[arg(long, default_value_t = 1e-4)]
    weight_decay: f64,
    /// InfoNCE temperature.
    #[arg(long, default_value_t = 0.07)]
    temperature: f64,
    /// Seed of initialisation, order, augmentation, dropout and the validation carve.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Objective: arnet (the paper) or triplet (baseline).
    #[arg(long, value_enum, default_value = "arnet")]
    objective: Objective,
    /// dual: anchor + augmented view (the paper); single: anchor only.
    #[arg(long, value_enum, default_value = "dual")]
    views: Views,
    /// The augmented view: a1 (the paper's best) or a2 (MoCo-style).
    #[arg(long, value_enum, default_value = "a1")]
    augmented_view: AugmentedView,
    /// Corner fill of the rotation: white, or black (the authors' code).
    #[arg(long, value_enum, default_value = "white")]
    fill: FillArg,
    /// Share of train photos held out for validation when there is no valA/ valB/.
    #[arg(long, default_value_t = 0.1)]
    val_fraction: f32,
    /// Start both backbones from a timm weight file (.safetensors or .pth): a ViT, or the
    /// EfficientNet-Lite0 that scripts/convert_pretrained.sh writes.
    #[arg(long, conflicts_with = "init")]
    init_backbone: Option<PathBuf>,
    /// Start from a two-encoder checkpoint (the authors' .pth or ours).
    #[arg(long)]
    init: Option<PathBuf>,
    /// Attention heads (overrides the preset or the --init-backbone file's default).
    #[arg(long)]
    heads: Option<usize>,
    /// Input side in pixels (overrides the preset).
    #[arg(long)]
    image_size: Option<usize>,
    /// Patch side in pixels (overrides the preset).
    #[arg(long)]
    patch_size: Option<usize>,
    /// Token width (overrides the preset; the MLP is 4x).
    #[arg(long)]
    embed_dim: Option<usize>,
    /// Transformer blocks (overrides the preset).
    #[arg(long)]
    depth: Option<usize>,
    /// MSTR window sides, comma-separated (default 1,2,7 on a 14 x 14 grid).
    #[arg(long, value_delimiter = ',')]
    mstr_windows: Option<Vec<usize>>,
    /// Feed-forward width of MSTR's layers.
    #[arg(long, default_value_t = 2048)]
    mstr_feedforward: usize,
    /// Margin of the triplet baseline.
    #[arg(long, default_value_t = 0.2)]
    triplet_margin: f64,
    /// From scratch, put a BatchNorm over the patch tokens (default true: without it a ViT
    /// trained from scratch collapses to one embedding; `false` gives timm's plain ViT).
    /// Ignored with --init-backbone / --init, whose files define the backbone.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    patch_norm: bool,
    /// Float type of the encoders' forward pass: f32, or bf16 for mixed precision (weights,
    /// gradients, Adam and the losses stay f32). For CUDA GPUs; the device must compute in bf16.
    #[arg(long, value_enum, default_value = "f32")]
    precision: Precision,
    /// Threads decoding and augmenting images (default: all cores).
    #[arg(long)]
    workers: Option<usize>,
    /// Images per forward pass when evaluating.
    #[arg(long, default_value_t = 32)]
    eval_batch_size: usize,
    /// Training photos that get a pseudo-sketch drawn from the photo: auto (those without a
    /// drawn sketch, so a folder of photos alone trains), off, or only (every photo; drawn
    /// sketches left out). Written to OUT/pseudo-sketches/ and reused on --resume.
    #[arg(long, value_enum, default_value = "auto")]
    pseudo_sketches: PseudoSketches,
    /// How pseudo-sketches are drawn: hed or canny (default: hed when its weights are there).
    #[arg(long, value_enum)]
    pseudo_sketch_method: Option<pseudo_sketch::Method>,
    /// HED weights for pseudo-sketches (default: pretrained/hed_bsds500.safetensors, which
    /// `bash scripts/convert_pretrained.sh --only hed` writes).
    #[arg(long)]
    pseudo_sketch_weights: Option<PathBuf>,
    /// Also print one `progress: epoch E/N step S/T loss L` line per step on stderr, for
    /// programs that follow the run (the app's fine-tuning).
    #[arg(long)]
    progress_lines: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FillArg {
    White,
    Black,
}

fn run_train(args: TrainArgs) -> anyhow::Result<()> {
    let backend = match &args.device {
        Some(name) => name.parse::<Backend>()?,
        None if Backend::Cuda.device().is_ok() => Backend::Cuda,
        None => Backend::Cpu,
    };
    let init = match (&args.init_backbone, &args.init) {
        (Some(path), _) => Init::Backbone(path.clone()),
        (None, Some(path)) => Init::Checkpoint(path.clone()),
        (None, None) => Init::Scratch,
    };
    let recipe = Recipe {
        backbone: args.backbone,
        preset: args.preset,
        image_size: args.image_size,
        patch_size: args.patch_size,
        embed_dim: args.embed_dim,
        depth: args.depth,
        heads: args.heads,
        mstr: args.mstr,
        mstr_windows: args.mstr_windows,
        mstr_feedforward: args.mstr_feedforward,
        objective: args.objective,
        views: args.views,
        augmented_view: args.augmented_view,
        fill: match args.fill {
            FillArg::White => RotationFill::White,
            FillArg::Black => RotationFill::Black,
        },
        batch_size: args.batch_size,
        learning_rate: args.learning_rate,
        lr_schedule: args.lr_schedule,
        average_from: args.average_from,
        weight_decay: args.weight_decay,
        temperature: args.temperature,
        triplet_margin: args.triplet_margin,
        seed: args.seed,
        val_fraction: args.val_fraction,
        init,
        patch_norm: args.patch_norm,
        precision: args.precision,
        pseudo_sketches: args.pseudo_sketches,
    };
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let summary = train::train(&train::TrainOptions {
        data: args.data,
        out: args.out,
        backend,
        recipe,
        epochs: args.epochs,
        resume: args.resume,
        workers,
        eval_batch_size: args.eval_batch_size,
        show_progress: true,
        progress_lines: args.progress_lines,
        pseudo_method: args.pseudo_sketch_method,
        pseudo_weights: args.pseudo_sketch_weights,
    })?;
    if summary.best.is_none() {
        eprintln!("no epoch was trained (--epochs {})", args.epochs);
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
struct IndexArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Folder of photos (searched recursively).
    #[arg(long)]
    gallery: PathBuf,
    /// End with one JSON line: {"indexed", "cached", "skipped": [{"path", "reason"}]}.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

fn run_index(args: IndexArgs) -> anyhow::Result<()> {
    use arnet_model::gallery;
    if !args.gallery.is_dir() {
        anyhow::bail!("{}: not a folder", args.gallery.display());
    }
    let (photo_encoder, device) = args.model.load_photo_encoder()?;
    let settings = args.model.index_settings(&args.store)?;
    let dim = embed::embedding_width(&photo_encoder);
    if let Some(mut catalogue) = args.store.connect(&args.gallery, &settings, dim)? {
        return index_into_catalogue(&args, &photo_encoder, &device, &settings, &mut catalogue);
    }
    let mut progress = index_progress::IndexProgress::new();
    let index = gallery::index_gallery(
        &args.gallery,
        &photo_encoder,
        &device,
        &settings,
        &mut |p| progress.update(p),
    )?;
    progress.finish();
    warn_skipped(&index.skipped);
    if args.json {
        /// The line checks read: field order as documented.
        #[derive(serde::Serialize)]
        struct Line<'a> {
            indexed: usize,
            cached: usize,
            skipped: &'a [gallery::Skipped],
        }
        let line = Line {
            indexed: index.photos.len(),
            cached: index.cached,
            skipped: &index.skipped,
        };
        println!("{}", serde_json::to_string(&line)?);
    } else {
        println!(
            "{}: {} photos indexed ({} from the cache), {} skipped; searched {}",
            args.gallery.display(),
            index.photos.len(),
            index.cached,
            index.skipped.len(),
            if index.is_approximate() {
                "through the HNSW graph (approximate)"
            } else {
                "exactly"
            }
        );
    }
    Ok(())
}

/// `arnet index --store URL`: the folder synced into the shared catalogue.
fn index_into_catalogue(
    args: &IndexArgs,
    photo_encoder: &arnet_model::ArnetEncoder,
    device: &arnet_model::burn::tensor::Device,
    settings: &arnet_model::gallery::IndexSettings,
    catalogue: &mut arnet_model::gallery::SharedCatalogue,
) -> anyhow::Result<()> {
    let mut progress = index_progress::IndexProgress::new();
    let report = arnet_model::gallery::sync_gallery(
        &args.gallery,
        photo_encoder,
        device,
        settings,
        catalogue,
        None,
        &mut |p| progress.update(p),
    )?;
    progress.finish();
    warn_skipped(&report.skipped);
    warn_kept(&report, catalogue);
    if args.json {
        /// The local index's line (same fields, same order), then the catalogue's own.
        #[derive(serde::Serialize)]
        struct Line<'a> {
            indexed: usize,
            cached: usize,
            skipped: &'a [arnet_model::gallery::Skipped],
            embedded: usize,
            removed: usize,
            kept_gone: usize,
            store: &'a str,
        }
        let line = Line {
            indexed: report.photos.len(),
            cached: report.cached,
            skipped: &report.skipped,
            embedded: report.embedded,
            removed: report.removed,
            kept_gone: report.kept_gone,
            store: catalogue.database(),
        };
        println!("{}", serde_json::to_string(&line)?);
    } else {
        println!(
            "{}: {} photos in the shared catalogue {} ({} already there, {} embedded, {} removed), \
             {} skipped",
            args.gallery.display(),
            report.photos.len(),
            catalogue.database(),
            report.cached,
            report.embedded,
            report.removed,
            report.skipped.len(),
        );
    }
    Ok(())
}

/// Says on stderr that rows of missing photos were kept (see `removes_too_much`).
fn warn_kept(
    report: &arnet_model::gallery::SyncReport,
    catalogue: &arnet_model::gallery::SharedCatalogue,
) {
    if report.kept_gone > 0 {
        eprintln!(
            "warning: {} of the {} photos stored in the shared catalogue {} are not in {}; they \
             were kept, since this looks like another folder under the same catalogue name \
             (give --catalogue NAME to keep it apart, or delete them there)",
            report.kept_gone,
            catalogue.len(),
            catalogue.database(),
            report.root.display()
        );
    }
}

/// Says on stderr which files could not be used, and why.
fn warn_skipped(skipped: &[arnet_model::gallery::Skipped]) {
    for skipped in skipped {
        eprintln!(
            "warning: skipped {}: {}",
            skipped.path.display(),
            skipped.reason
        );
    }
}

#[derive(clap::Args, Debug)]
struct PseudoSketchArgs {
    /// Folder of photos (its image files; sub-folders are not read).
    #[arg(long)]
    photos: PathBuf,
    /// Output folder: STEM_p1.png for each photo STEM, at the photo's size.
    #[arg(long)]
    out: PathBuf,
    /// hed (learned edges; needs weights), canny (Canny edges of the photo, no weights) or
    /// traced (the garment's silhouette traced like a hand, with some inner lines; no weights;
    /// writes STEM_t1.png...).
    /// Default: hed when --weights is given or pretrained/hed_bsds500.safetensors exists
    /// (bash scripts/convert_pretrained.sh --only hed writes it), else canny.
    #[arg(long, value_enum)]
    method: Option<pseudo_sketch::Method>,
    /// HED weights (default: pretrained/hed_bsds500.safetensors).
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Compute device for HED: cpu, wgpu or cuda.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// With --method traced: sketches per photo (STEM_t1.png, STEM_t2.png...), each in a
    /// hand drawn at random.
    #[arg(long, default_value_t = 1)]
    per_photo: usize,
    /// With --method traced: seed of the hands.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn run_pseudo_sketch(args: PseudoSketchArgs) -> anyhow::Result<()> {
    pseudo_sketch::run(&pseudo_sketch::Options {
        photos: args.photos,
        out: args.out,
        method: args.method,
        weights: args.weights,
        device: args.device,
        workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
        show_progress: true,
        per_photo: args.per_photo,
        seed: args.seed,
    })?;
    Ok(())
}

fn main() -> ExitCode {
    // Our crates' warnings (e.g. a gallery store that could not be saved) on stderr; other
    // libraries stay quiet unless RUST_LOG asks for them.
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("off,arnet_model=warn,arnet_training=warn"),
    )
    .init();
    arnet_model::allocator::tune_for_tensors();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Embed(args) => run_embed(args),
        Command::Synth(args) => run_synth(args),
        Command::Check(args) => run_check(args),
        Command::Eval(args) => run_eval(args),
        Command::Search(args) => run_search(args),
        Command::Train(args) => run_train(*args),
        Command::Index(args) => run_index(args),
        Command::PseudoSketch(args) => run_pseudo_sketch(args),
        Command::Data(command) => data_command::run(command),
        Command::FineTune(args) => fine_tune_command::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line, naming the file (every library error carries its path).
            let message = format!("{error:#}").replace('\n', " ");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
