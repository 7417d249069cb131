//! `arnet`: the headless command line of ARNet Sketch.
//!
//! One file per command under [`commands`], each with its flags (`*Args`) and its `run`; the
//! flags several commands share (weights, device, gallery store) are in [`args`]. The work
//! itself is in the libraries: `arnet_model` (models, weights, the query path, the gallery
//! store) and `arnet_training` (the trainer, evaluation, data tools).

mod args;
mod commands;
mod index_progress;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::{
    check, data, embed, eval, fine_tune, freehand, index, pseudo_sketch, search, synth, train,
};

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
    Embed(embed::EmbedArgs),
    /// Generate a synthetic Clothes-V1-style data set (garment photos and sketches).
    Synth(synth::SynthArgs),
    /// Check a data folder: counts per split and every problem found.
    Check(check::CheckArgs),
    /// Acc@1/5/10 of a sketch/photo pair on a split of a data folder.
    Eval(eval::EvalArgs),
    /// Rank the photos of a folder for each sketch.
    Search(search::SearchArgs),
    /// Embed every photo of a gallery folder into the cache the app uses.
    Index(index::IndexArgs),
    /// Train (or fine-tune) a sketch/photo pair on a data folder; writes OUT/best.safetensors.
    Train(Box<train::TrainArgs>),
    /// Draw a pseudo-sketch OUT/STEM_p1.png of every photo of a folder (HED or Canny edges).
    PseudoSketch(pseudo_sketch::PseudoSketchArgs),
    /// Adapt a model to a gallery of photos (what the app's "Fine-tune on this gallery"
    /// runs); writes OUT/best.safetensors, and keeps the starting model when the held-out check
    /// does not improve.
    FineTune(fine_tune::FineTuneArgs),
    /// Draw garments of given kinds free-hand, from the idea of the kind rather than a photo
    /// (what the trainer's category term draws); writes the drawings and their labels.json.
    Freehand(freehand::FreehandArgs),
    /// Write a data set that can be had on this machine as a data folder.
    #[command(subcommand)]
    Data(data::DataCommand),
}

fn main() -> ExitCode {
    // Our crates' warnings (e.g. a gallery store that could not be saved) and notes (what a
    // weight file's loading leaves out) on stderr, one line each, as the CLI's own `warning:`
    // lines; other libraries stay quiet unless RUST_LOG asks for them.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(format!(
        "off,arnet_model=warn,arnet_training=warn,{}=info",
        arnet_model::weights::NOTE_TARGET
    )))
    .format(|out, record| {
        use std::io::Write;
        if record.target() == arnet_model::weights::NOTE_TARGET {
            return writeln!(out, "note: {}", record.args());
        }
        let level = match record.level() {
            log::Level::Error => "error",
            log::Level::Warn => "warning",
            log::Level::Info => "info",
            log::Level::Debug => "debug",
            log::Level::Trace => "trace",
        };
        writeln!(out, "{level}: {}: {}", record.target(), record.args())
    })
    .init();
    arnet_model::allocator::tune_for_tensors();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Embed(args) => embed::run(args),
        Command::Synth(args) => synth::run(args),
        Command::Check(args) => check::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Search(args) => search::run(args),
        Command::Train(args) => train::run(*args),
        Command::Index(args) => index::run(args),
        Command::PseudoSketch(args) => pseudo_sketch::run(args),
        Command::Data(command) => data::run(command),
        Command::FineTune(args) => fine_tune::run(args),
        Command::Freehand(args) => freehand::run(args),
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
