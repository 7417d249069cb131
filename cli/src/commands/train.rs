//! `arnet train`: train (or fine-tune, or resume) a sketch/photo pair on a data folder.
//!
//! The flags that change the result are the [`Recipe`]'s own (`#[command(flatten)]`: its
//! doc comments are the `--help` text); the ones here only say where and how to run it.

use std::path::PathBuf;

use arnet_model::Backend;
use arnet_training::recipe::{Init, Recipe};
use arnet_training::{pseudo_sketch, train};

use crate::args::{EventFormat, all_cores, backend_parser};

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Data folder (trainA/ trainB/ testA/ testB/, optionally valA/ valB/).
    #[arg(long)]
    data: PathBuf,
    /// Run folder: best.safetensors, best.json, metrics.csv, curves.png, checkpoint/.
    #[arg(long)]
    out: PathBuf,
    /// Compute device (default: cuda when this is a cuda build and a CUDA GPU answers, else
    /// cpu).
    #[arg(long, value_parser = backend_parser(), ignore_case = true)]
    device: Option<Backend>,
    /// Epochs in total (a resumed run continues up to this).
    #[arg(long, default_value_t = 500)]
    epochs: usize,
    /// Continue the interrupted (or finished) run in --out.
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    recipe: Recipe,
    /// Start both backbones from a timm weight file (.safetensors or .pth): a ViT, or the
    /// EfficientNet-Lite0 that scripts/convert_pretrained.sh writes.
    #[arg(long, conflicts_with = "init")]
    init_backbone: Option<PathBuf>,
    /// Start from a two-encoder checkpoint (the authors' .pth or ours).
    #[arg(long)]
    init: Option<PathBuf>,
    /// Threads decoding and augmenting images (default: all cores).
    #[arg(long)]
    workers: Option<usize>,
    /// Images per forward pass when evaluating.
    #[arg(long, default_value_t = 32)]
    eval_batch_size: usize,
    /// How pseudo-sketches are drawn: hed or canny (default: hed when its weights are there).
    #[arg(long, value_enum)]
    pseudo_sketch_method: Option<pseudo_sketch::Method>,
    /// HED weights for pseudo-sketches (default: pretrained/hed_bsds500.safetensors, which
    /// `bash scripts/convert_pretrained.sh --only hed` writes).
    #[arg(long)]
    pseudo_sketch_weights: Option<PathBuf>,
    /// Also print one `progress: epoch E/N step S/T loss L` line per step on stderr.
    #[arg(long)]
    progress_lines: bool,
    /// Report the run to a program as it goes: `json` prints one event per line on stdout
    /// (untrained, step, epoch, weight_average; docs/cli.md).
    #[arg(long, value_enum, value_name = "FORMAT")]
    events: Option<EventFormat>,
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let backend = match args.device {
        Some(backend) => backend,
        None if Backend::Cuda.device().is_ok() => Backend::Cuda,
        None => Backend::Cpu,
    };
    let recipe = Recipe {
        init: match (args.init_backbone, args.init) {
            (Some(path), _) => Init::Backbone(path),
            (None, Some(path)) => Init::Checkpoint(path),
            (None, None) => Init::Scratch,
        },
        ..args.recipe
    };
    let summary = train::train(&train::TrainOptions {
        data: args.data,
        out: args.out,
        backend,
        recipe,
        epochs: args.epochs,
        resume: args.resume,
        workers: args.workers.unwrap_or_else(all_cores),
        eval_batch_size: args.eval_batch_size,
        show_progress: true,
        progress_lines: args.progress_lines,
        events: args.events.is_some(),
        pseudo_method: args.pseudo_sketch_method,
        pseudo_weights: args.pseudo_sketch_weights,
    })?;
    if summary.best.is_none() {
        eprintln!("no epoch was trained (--epochs {})", args.epochs);
    }
    Ok(())
}
