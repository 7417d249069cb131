//! `arnet`: the headless command line of ARNet Sketch.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use arnet_model::preprocess::load_model_input;
use arnet_model::{Backend, EncoderRole, embed, weights};

#[derive(Parser, Debug)]
#[command(name = "arnet", version, about = "ARNet fine-grained sketch-based image retrieval")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the L2-normalised embedding of each image as one JSON object per line.
    Embed(EmbedArgs),
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
    /// Attention heads (default: from the file's config, else embed_dim / 64).
    #[arg(long)]
    heads: Option<usize>,
    /// Compute device: cpu, wgpu or cuda.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Images embedded per forward pass.
    #[arg(long, default_value_t = 16)]
    batch_size: usize,
    /// Images to embed.
    #[arg(required = true)]
    images: Vec<PathBuf>,
}

fn run_embed(args: EmbedArgs) -> anyhow::Result<()> {
    let device = args.device.parse::<Backend>()?.device()?;
    let encoder = weights::load_encoder(&args.weights, args.encoder.into(), args.heads, &device)?;
    let size = embed::input_size(&encoder);
    // Decode everything first so a bad file fails before any output is printed.
    let inputs = args
        .images
        .iter()
        .map(|path| load_model_input(path, size))
        .collect::<Result<Vec<_>, _>>()?;
    let embeddings = embed::embed_inputs(&encoder, &inputs, args.batch_size, &device);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (path, embedding) in args.images.iter().zip(embeddings) {
        let line = serde_json::json!({ "path": path.to_string_lossy(), "embedding": embedding });
        writeln!(out, "{line}").context("writing to stdout")?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Embed(args) => run_embed(args),
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
