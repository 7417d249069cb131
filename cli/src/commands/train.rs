//! `arnet train`: train (or fine-tune, or resume) a sketch/photo pair on a data folder.

use std::path::PathBuf;

use arnet_model::Backend;
use arnet_training::augment::RotationFill;
use arnet_training::pseudo_pairs::PseudoSketches;
use arnet_training::recipe::{
    AugmentedView, BackboneKind, Init, LrSchedule, Objective, Precision, Preset, Recipe, Views,
};
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
    #[arg(long, value_parser = backend_parser())]
    device: Option<Backend>,
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
    fill: RotationFill,
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
    /// Report the run to a program as it goes: `json` prints one event per line on stdout
    /// (untrained, step, epoch, weight_average, and for fine-tune prepared and outcome;
    /// docs/cli.md).
    #[arg(long, value_enum, value_name = "FORMAT")]
    events: Option<EventFormat>,
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let backend = match args.device {
        Some(backend) => backend,
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
        fill: args.fill,
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
    let workers = args.workers.unwrap_or_else(all_cores);
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
        events: args.events.is_some(),
        pseudo_method: args.pseudo_sketch_method,
        pseudo_weights: args.pseudo_sketch_weights,
    })?;
    if summary.best.is_none() {
        eprintln!("no epoch was trained (--epochs {})", args.epochs);
    }
    Ok(())
}
