//! `arnet freehand`: free-hand drawings of kinds of garment, as the trainer's category term
//! draws them (a designer's drawing from the idea of a garment, not from a photo), to look at
//! or to evaluate with.

use std::path::PathBuf;

use arnet_training::freehand::{self, Kind};

#[derive(clap::Args, Debug)]
pub struct FreehandArgs {
    /// Output folder: `freehand-KIND-NNN_1.png` and `labels.json` (stem to kind).
    #[arg(long)]
    out: PathBuf,
    /// Kinds to draw (repeatable; default all): t-shirt, trouser, pullover, dress, coat,
    /// shirt, skirt, or a class label such as `t-shirt/top`.
    #[arg(long = "kind", value_parser = parse_kind)]
    kinds: Vec<Kind>,
    /// Drawings of each kind.
    #[arg(long, default_value_t = 10)]
    per_kind: usize,
    /// Seed: the same seed writes the same files.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn parse_kind(text: &str) -> Result<Kind, String> {
    Kind::from_label(text).ok_or_else(|| {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        format!("unknown kind {text:?}; one of {}", names.join(", "))
    })
}

pub fn run(args: FreehandArgs) -> anyhow::Result<()> {
    if args.per_kind == 0 {
        anyhow::bail!("--per-kind must be at least 1");
    }
    let kinds = if args.kinds.is_empty() {
        Kind::ALL.to_vec()
    } else {
        args.kinds
    };
    let written = freehand::write_folder(&args.out, &kinds, args.per_kind, args.seed)?;
    eprintln!("wrote {written} drawings to {}", args.out.display());
    Ok(())
}
