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
    /// Classes ({"STEM": "class"}, what `arnet data fashion-mnist` writes): also report
    /// category precision@10, the share of the top ten that is the sketch's kind of garment,
    /// and how often the first result is of that kind, overall and per kind (JSON "p10",
    /// "kind1", "per_kind"; percent). A sketch's kind is its own stem's label when the file
    /// has one, else its photo's; sketches of no photo that the file labels (free-hand
    /// drawings of a kind, `arnet freehand`) count for the kind figures only.
    #[arg(long, conflicts_with = "on_the_fly")]
    labels: Option<PathBuf>,
    /// With --labels: simulate "more like this / not this" for this many rounds (a user who
    /// marks the first result of the drawn kind in the top ten "more like this" and the first
    /// of another kind "not this", docs/feedback.md) and report the figures after each (JSON
    /// "feedback": [{"round", "p10", "kind1", "acc1", "acc10", "per_kind"}], round 0 before
    /// any mark).
    #[arg(long, requires = "labels")]
    feedback_rounds: Option<usize>,
    /// With --feedback-rounds: how far a mark moves the query (as `arnet search
    /// --feedback-weight`).
    #[arg(long, requires = "feedback_rounds", default_value_t = arnet_model::feedback::DEFAULT_FEEDBACK_WEIGHT)]
    feedback_weight: f32,
    /// With --feedback-rounds: how much a "not this" counts against a "more like this"
    /// (the app's and `arnet search`'s share is fixed; this is for choosing it).
    #[arg(long, requires = "feedback_rounds", default_value_t = arnet_model::feedback::UNLIKE_SHARE)]
    feedback_unlike_share: f32,
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let name = args.split;
    let scan = dataset::scan_split(&args.data, name, true);
    let labels = args
        .labels
        .as_deref()
        .map(categories::Labels::read)
        .transpose()?;
    // Sketches of no photo that the labels file names: free-hand drawings of a kind.
    let mut freehand: Vec<PathBuf> = Vec::new();
    for problem in &scan.problems {
        if let (
            Some(labels),
            dataset::Problem::SketchWithoutPhoto(path) | dataset::Problem::UnpairableName(path),
        ) = (&labels, problem)
            && labels.class_of(path).is_some()
        {
            freehand.push(path.clone());
            continue;
        }
        eprintln!("warning: [{name}] {problem}");
    }
    if scan.split.sketches.is_empty() && freehand.is_empty() {
        anyhow::bail!(
            "{}: the {name} split has no usable sketch",
            args.data.display()
        );
    }
    if args.on_the_fly {
        return run_eval_on_the_fly(&args, name, &scan.split);
    }
    let (pair, device) = args.model.load()?;
    let batch_size = args.model.run.batch_size;
    let Some(labels) = labels else {
        let accuracy = evaluate::evaluate(&pair, &scan.split, batch_size, &device)?;
        if args.json {
            println!("{}", serde_json::to_value(accuracy)?);
        } else {
            println!("{name}: {}", accuracy_text(&accuracy));
        }
        return Ok(());
    };
    let result = evaluate::evaluate_with_labels(
        &pair,
        &scan.split,
        &freehand,
        &labels,
        args.feedback_rounds
            .map(|rounds| arnet_training::feedback_eval::FeedbackSimulation {
                rounds,
                like_weight: args.feedback_weight,
                unlike_weight: args.feedback_weight * args.feedback_unlike_share,
            }),
        batch_size,
        &device,
    )?;
    let Some(kinds) = result.kinds else {
        anyhow::bail!(
            "{}: no sketch of the {name} split, nor its photo, has a label in it",
            args.labels.as_deref().unwrap_or(Path::new("")).display()
        );
    };
    if args.json {
        let mut line = match &result.accuracy {
            Some(accuracy) => serde_json::to_value(accuracy)?,
            None => serde_json::json!({
                "acc1": null, "acc5": null, "acc10": null, "sketches": 0,
                "photos": scan.split.photos.len(),
            }),
        };
        line["p10"] = serde_json::json!(kinds.overall.p10);
        line["kind1"] = serde_json::json!(kinds.overall.kind1);
        line["kind_sketches"] = serde_json::json!(kinds.overall.sketches);
        line["freehand_sketches"] = serde_json::json!(freehand.len());
        line["per_kind"] = serde_json::to_value(&kinds.per_kind)?;
        if args.feedback_rounds.is_some() {
            line["feedback"] = serde_json::to_value(&result.feedback)?;
        }
        println!("{line}");
    } else {
        if let Some(accuracy) = &result.accuracy {
            println!("{name}: {}", accuracy_text(accuracy));
        }
        println!(
            "{name}, kind of garment: category P@10 {:.2}%  first result of the kind {:.2}%  \
             ({} sketches with a kind, {} of them free-hand drawings of no photo)",
            kinds.overall.p10,
            kinds.overall.kind1,
            kinds.overall.sketches,
            freehand.len()
        );
        for (kind, figures) in &kinds.per_kind {
            println!(
                "  {kind:<12} P@10 {:>6.2}%  first {:>6.2}%  ({} sketches)",
                figures.p10, figures.kind1, figures.sketches
            );
        }
        for round in result.feedback.iter().skip(1) {
            let percent = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.2}%"));
            println!(
                "{name}, after {} round(s) of \"more like this / not this\": category P@10 \
                 {:.2}%  first result of the kind {:.2}%  Acc@1 {}  Acc@10 {}",
                round.round,
                round.kinds.overall.p10,
                round.kinds.overall.kind1,
                percent(round.acc1),
                percent(round.acc10)
            );
        }
    }
    Ok(())
}

fn accuracy_text(accuracy: &evaluate::Accuracy) -> String {
    format!(
        "Acc@1 {:.2}%  Acc@5 {:.2}%  Acc@10 {:.2}%  ({} sketches, {} photos)",
        accuracy.acc1, accuracy.acc5, accuracy.acc10, accuracy.sketches, accuracy.photos
    )
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
