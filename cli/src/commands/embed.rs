//! `arnet embed`: the L2-normalised embedding of each image, one JSON object per line.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use arnet_model::preprocess::load_model_input;
use arnet_model::weights::WeightFile;
use arnet_model::{EncoderRole, embed};

use crate::args::{RunArgs, encoder_parser};

#[derive(clap::Args, Debug)]
pub struct EmbedArgs {
    /// Weights: the authors' .pth, a .safetensors encoder or pair, or timm-named weights
    /// with a head.
    #[arg(long)]
    weights: PathBuf,
    /// Encoder of a two-encoder checkpoint.
    #[arg(long, default_value = "sketch", value_parser = encoder_parser())]
    encoder: EncoderRole,
    #[command(flatten)]
    run: RunArgs,
    /// Images to embed.
    #[arg(required = true)]
    images: Vec<PathBuf>,
}

pub fn run(args: EmbedArgs) -> anyhow::Result<()> {
    let file = WeightFile::read_with_note(&args.weights)?;
    let device = args.run.device()?;
    let encoder = file.load_encoder(args.encoder, args.run.heads, &device)?;
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
