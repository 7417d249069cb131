//! `arnet eval`: Acc@1/5/10 of a sketch/photo pair on a split of a data folder, and with
//! `--on-the-fly` m@A / m@B over stroke lists.

use std::path::{Path, PathBuf};

use arnet_training::dataset::{self, SplitName};
use arnet_training::{categories, evaluate};

use crate::args::ModelArgs;

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// Data folder.
    #[arg(long)]
    data: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    /// Split to evaluate.
    #[arg(long, value_enum, default_value = "test")]
    split: SplitName,
    /// Print one JSON object: {"acc1", "acc5", "acc10", "sketches", "photos"} (percent; with
    /// --on-the-fly also "m_a", "m_b" and "steps").
    #[arg(long)]
    json: bool,
    /// Replay stroke lists stroke by stroke and report m@A and m@B (Bhunia et al., CVPR 2020)
    /// beside the complete sketches' Acc@K.
    #[arg(long)]
    on_the_fly: bool,
    /// Stroke lists for --on-the-fly (`PHOTOSTEM_N.json`, the app's format; default
    /// DATA/{split}A-strokes, what `arnet synth --stroke-lists` writes).
    #[arg(long, requires = "on_the_fly")]
    strokes: Option<PathBuf>,
    /// Photo classes ({"STEM": "class"}, what `arnet data fashion-mnist` writes): also report
    /// category precision@10, the share of the top ten that is the sketch's kind of garment
    /// (JSON field "p10", percent).
    #[arg(long, conflicts_with = "on_the_fly")]
    labels: Option<PathBuf>,
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let name = args.split;
    let scan = dataset::scan_split(&args.data, name, true);
    for problem in &scan.problems {
        eprintln!("warning: [{name}] {problem}");
    }
    if scan.split.sketches.is_empty() {
        anyhow::bail!(
            "{}: the {name} split has no usable sketch",
            args.data.display()
        );
    }
    if args.on_the_fly {
        return run_eval_on_the_fly(&args, name, &scan.split);
    }
    let labels = args
        .labels
        .as_deref()
        .map(categories::Labels::read)
        .transpose()?;
    let (pair, device) = args.model.load()?;
    let (accuracy, p10) = evaluate::evaluate_with_labels(
        &pair,
        &scan.split,
        labels.as_ref(),
        args.model.run.batch_size,
        &device,
    )?;
    if labels.is_some() && p10.is_none() {
        anyhow::bail!(
            "{}: no photo of the {name} split has a label in it",
            args.labels.as_deref().unwrap_or(Path::new("")).display()
        );
    }
    if args.json {
        let mut line = serde_json::to_value(accuracy)?;
        if let Some(p10) = p10 {
            line["p10"] = serde_json::json!(p10);
        }
        println!("{line}");
    } else {
        let category = p10
            .map(|p| format!("  category P@10 {p:.2}%"))
            .unwrap_or_default();
        println!(
            "{name}: Acc@1 {:.2}%  Acc@5 {:.2}%  Acc@10 {:.2}%{category}  ({} sketches, {} photos)",
            accuracy.acc1, accuracy.acc5, accuracy.acc10, accuracy.sketches, accuracy.photos
        );
    }
    Ok(())
}

fn run_eval_on_the_fly(
    args: &EvalArgs,
    name: SplitName,
    split: &dataset::Split,
) -> anyhow::Result<()> {
    use arnet_training::on_the_fly;
    let strokes = args
        .strokes
        .clone()
        .unwrap_or_else(|| args.data.join(format!("{}A-strokes", name.prefix())));
    let sketches = on_the_fly::stroke_sketches(&strokes, &split.photos)?;
    if sketches.is_empty() {
        anyhow::bail!("{}: no stroke list (PHOTOSTEM_N.json)", strokes.display());
    }
    let (pair, device) = args.model.load()?;
    let result = on_the_fly::evaluate_on_the_fly(
        &pair,
        &split.photos,
        &sketches,
        args.model.run.batch_size,
        &device,
    )?;
    if args.json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        println!(
            "{name}, on the fly: m@A {:.2}%  m@B {:.2}%  ({} stroke lists, {} steps, {} photos); \
             complete sketches: Acc@1 {:.2}%  Acc@5 {:.2}%  Acc@10 {:.2}%",
            result.m_a,
            result.m_b,
            result.sketches,
            result.steps,
            result.photos,
            result.acc1,
            result.acc5,
            result.acc10
        );
    }
    Ok(())
}
