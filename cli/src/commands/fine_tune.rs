//! `arnet fine-tune`: the command line of [`arnet_training::fine_tune`].

use std::path::PathBuf;

use arnet_model::Backend;
use arnet_training::fine_tune::{self, FineTuneOptions};

use crate::args::{EventFormat, all_cores, backend_parser};

#[derive(clap::Args, Debug)]
pub struct FineTuneArgs {
    /// Folder of photos to adapt the model to (searched recursively).
    #[arg(long)]
    gallery: PathBuf,
    /// The starting model: a two-encoder file (the bundled demo, a trained run's
    /// best.safetensors, the authors' .pth).
    #[arg(long)]
    weights: PathBuf,
    /// Output folder: best.safetensors (the model to use), the trainer's files, data/.
    #[arg(long)]
    out: PathBuf,
    /// Epochs.
    #[arg(long, default_value_t = fine_tune::DEFAULT_EPOCHS)]
    epochs: usize,
    /// Saved training pairs (trainA/ sketches, trainB/ photos: what the app's "Save as
    /// training pair" writes), trained on with the gallery.
    #[arg(long)]
    dataset: Option<PathBuf>,
    /// Sketch/photo pairs per step.
    #[arg(long, default_value_t = fine_tune::DEFAULT_BATCH_SIZE)]
    batch_size: usize,
    /// Adam learning rate.
    #[arg(long = "lr", default_value_t = fine_tune::DEFAULT_LEARNING_RATE)]
    learning_rate: f64,
    /// Compute device.
    #[arg(long, default_value = "cpu", value_parser = backend_parser(), ignore_case = true)]
    device: Backend,
    /// Threads decoding and augmenting images (default: all cores).
    #[arg(long)]
    workers: Option<usize>,
    /// Also print one `progress: epoch E/N step S/T loss L` line per step on stderr.
    #[arg(long)]
    progress_lines: bool,
    /// Report the run to a program as it goes: `json` prints one event per line on stdout
    /// (untrained, step, epoch, weight_average, and for fine-tune prepared and outcome;
    /// docs/cli.md).
    #[arg(long, value_enum, value_name = "FORMAT")]
    events: Option<EventFormat>,
}

pub fn run(args: FineTuneArgs) -> anyhow::Result<()> {
    let outcome = fine_tune::fine_tune(&FineTuneOptions {
        gallery: args.gallery,
        dataset: args.dataset,
        weights: args.weights,
        out: args.out,
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.learning_rate,
        backend: args.device,
        workers: args.workers.unwrap_or_else(all_cores),
        progress_lines: args.progress_lines,
        events: args.events.is_some(),
    })?;
    eprintln!("{}", outcome.summary());
    Ok(())
}
