//! `arnet pseudo-sketch`: a line drawing of every photo of a folder (HED, Canny or traced).

use std::path::PathBuf;

use arnet_model::Backend;
use arnet_training::pseudo_sketch;

use crate::args::{all_cores, backend_parser};

#[derive(clap::Args, Debug)]
pub struct PseudoSketchArgs {
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
    /// Compute device for HED.
    #[arg(long, default_value = "cpu", value_parser = backend_parser(), ignore_case = true)]
    device: Backend,
    /// With --method traced: sketches per photo (STEM_t1.png, STEM_t2.png...), each in a
    /// hand drawn at random.
    #[arg(long, default_value_t = 1)]
    per_photo: usize,
    /// With --method traced: seed of the hands.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(args: PseudoSketchArgs) -> anyhow::Result<()> {
    pseudo_sketch::run(&pseudo_sketch::Options {
        photos: args.photos,
        out: args.out,
        method: args.method,
        weights: args.weights,
        device: args.device,
        workers: all_cores(),
        show_progress: true,
        per_photo: args.per_photo,
        seed: args.seed,
    })?;
    Ok(())
}
