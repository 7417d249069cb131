//! Flags several commands share: the weights and how to run them, the gallery store, and the
//! typed values (device, encoder) clap parses.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use arnet_model::burn::tensor::Device;
use arnet_model::gallery::{self, IndexSettings, SharedCatalogue, Skipped, SyncReport, database};
use arnet_model::weights::WeightFile;
use arnet_model::{ArnetEncoder, ArnetPair, Backend, EncoderRole};

/// `--device`: cpu, wgpu or cuda, parsed into a [`Backend`] (`--help` lists the values).
pub fn backend_parser() -> impl TypedValueParser<Value = Backend> {
    PossibleValuesParser::new([
        PossibleValue::new("cpu"),
        // `gpu` was always accepted for wgpu (`Backend::from_str`); kept as an alias.
        PossibleValue::new("wgpu").alias("gpu"),
        PossibleValue::new("cuda"),
    ])
    .map(|name| name.parse::<Backend>().expect("one of the listed names"))
}

/// `--encoder`: which encoder of a two-encoder checkpoint (sketch, or image for the photo
/// encoder, the names of the authors' files).
pub fn encoder_parser() -> impl TypedValueParser<Value = EncoderRole> {
    PossibleValuesParser::new([
        PossibleValue::new("sketch").help("The sketch encoder (`skt_model`)"),
        PossibleValue::new("image").help("The photo encoder (`img_model`)"),
    ])
    .map(|name| {
        name.parse::<EncoderRole>()
            .expect("one of the listed names")
    })
}

/// Weights and device options shared by the commands that run a model.
#[derive(clap::Args, Debug)]
pub struct ModelArgs {
    /// A two-encoder checkpoint: the authors' .pth or our pair .safetensors (`index` also
    /// takes a single-encoder file as the photo encoder).
    #[arg(long)]
    pub weights: PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
}

/// How to run a model: head count, device and batch size (shared by every model command).
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Attention heads (default: from the file's config, else embed_dim / 64).
    #[arg(long)]
    pub heads: Option<usize>,
    /// Compute device.
    #[arg(long, default_value = "cpu", value_parser = backend_parser(), ignore_case = true)]
    pub device: Backend,
    /// Images embedded per forward pass.
    #[arg(long, default_value_t = 16)]
    pub batch_size: usize,
}

impl RunArgs {
    /// The device, or why it cannot be used.
    pub fn device(&self) -> anyhow::Result<Device> {
        Ok(self.device.device()?)
    }
}

/// How a gallery's embeddings are stored and searched (shared by `index` and `search`).
#[derive(clap::Args, Debug)]
pub struct StoreArgs {
    /// Precision of the stored embeddings: f32, or f16 (half the disk and memory; a change
    /// converts the store without re-embedding).
    #[arg(long, default_value = "f32")]
    pub storage: gallery::Storage,
    /// Galleries up to this many photos are searched exactly; larger ones through the
    /// store's HNSW graph (approximate; see README for the measured recall).
    #[arg(long, default_value_t = gallery::EXACT_SEARCH_UP_TO)]
    pub exact_up_to: usize,
    /// Keep the index in a shared PostgreSQL + pgvector database instead of the local cache
    /// (postgres://user[:password]@host:port/dbname; docs/shared-catalogue.md).
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// With --store: the catalogue's name in the database (default: the gallery folder's
    /// name). Machines that share a catalogue use the same name.
    #[arg(long, requires = "store")]
    pub catalogue: Option<String>,
}

impl StoreArgs {
    /// Connects to the shared catalogue of `gallery` for this model, when --store is given.
    pub fn connect(
        &self,
        gallery: &Path,
        settings: &IndexSettings,
        dim: usize,
    ) -> anyhow::Result<Option<SharedCatalogue>> {
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
    pub fn index_settings(&self, store: &StoreArgs) -> anyhow::Result<IndexSettings> {
        let model_id = gallery::model_identity(&self.weights, self.run.heads)
            .with_context(|| format!("{}", self.weights.display()))?;
        Ok(IndexSettings {
            batch_size: self.run.batch_size,
            storage: store.storage,
            exact_up_to: store.exact_up_to,
            ..IndexSettings::new(gallery::default_cache_dir(), model_id)
        })
    }

    /// Both encoders, for the commands that search with sketches.
    pub fn load(&self) -> anyhow::Result<(ArnetPair, Device)> {
        let file = WeightFile::read_with_note(&self.weights)?;
        let device = self.run.device()?;
        let pair = file.load_pair(self.run.heads, &device)?;
        Ok((pair, device))
    }

    /// The photo encoder alone, for indexing: a pair's `img_model`, or a single-encoder file.
    pub fn load_photo_encoder(&self) -> anyhow::Result<(ArnetEncoder, Device)> {
        let file = WeightFile::read_with_note(&self.weights)?;
        let device = self.run.device()?;
        let encoder = file.load_encoder(EncoderRole::Photo, self.run.heads, &device)?;
        Ok((encoder, device))
    }
}

/// Says on stderr that rows of missing photos were kept (see `removes_too_much`).
pub fn warn_kept(report: &SyncReport, catalogue: &SharedCatalogue) {
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
pub fn warn_skipped(skipped: &[Skipped]) {
    for skipped in skipped {
        eprintln!(
            "warning: skipped {}: {}",
            skipped.path.display(),
            skipped.reason
        );
    }
}

/// Threads to use when a command's `--workers` is not given: one per core.
pub fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `--events FORMAT`: how a training run reports to a program that follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EventFormat {
    /// One JSON object per line on stdout (`arnet_model::events::TrainingEvent`).
    Json,
}
