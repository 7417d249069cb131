//! `arnet data`: data sets that can be had on this machine, written as data folders.

use std::path::PathBuf;

use arnet_training::fashion_mnist;

/// `arnet data <SOURCE>`.
#[derive(clap::Subcommand, Debug)]
pub enum DataCommand {
    /// Real product photos from Debian's `dataset-fashion-mnist` (garment classes only):
    /// `{split}B/` photos, dark garment on white, and `labels.json` ({stem: class}).
    FashionMnist(FashionMnistArgs),
}

#[derive(clap::Args, Debug)]
pub struct FashionMnistArgs {
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// train (for training) or test (for evaluation only).
    #[arg(long, value_enum, default_value = "train")]
    split: fashion_mnist::Split,
    /// Side of the written photos in pixels (Lanczos upscaling).
    #[arg(long, default_value_t = 256)]
    size: u32,
    /// White pixels added on every side of the 28 x 28 photo before upscaling.
    #[arg(long, default_value_t = 4)]
    pad: u32,
    /// At most this many photos: a seeded random sample of the split's garment photos.
    #[arg(long)]
    limit: Option<usize>,
    /// Seed of the sample.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(command: DataCommand) -> anyhow::Result<()> {
    match command {
        DataCommand::FashionMnist(args) => {
            let counts = fashion_mnist::write(&fashion_mnist::Options {
                source: fashion_mnist::default_source(),
                out: args.out.clone(),
                split: args.split,
                size: args.size,
                pad: args.pad,
                limit: args.limit,
                seed: args.seed,
            })?;
            let total: usize = counts.values().sum();
            let per_class: Vec<String> = counts.iter().map(|(c, n)| format!("{c} {n}")).collect();
            println!(
                "{total} photos in {} ({}); labels in {}",
                args.out.join(format!("{}B", args.split.name())).display(),
                per_class.join(", "),
                args.out.join("labels.json").display()
            );
            Ok(())
        }
    }
}
