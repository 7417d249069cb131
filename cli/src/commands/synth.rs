//! `arnet synth`: a synthetic Clothes-V1-style data set (garment photos and sketches).

use std::path::PathBuf;

use arnet_training::synth;

#[derive(clap::Args, Debug)]
pub struct SynthArgs {
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

pub fn run(args: SynthArgs) -> anyhow::Result<()> {
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
