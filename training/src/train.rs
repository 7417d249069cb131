//! The training loop of `arnet train`.
//!
//! Why not burn-train's `Learner`: an ARNet step encodes four views with two encoders and
//! sums up to six InfoNCE / recycling terms, which a `TrainStep` could express; but resuming
//! to the *same* result needs control the Learner does not give: name-derived parameter ids
//! (so Adam's state reattaches), Burn's generator re-seeded per epoch (dropout), augmentation
//! drawn per (seed, epoch, sample), and a checkpoint whose model file is our pair format that
//! `arnet embed` and the app load. burn-train would also add its dashboard's dependencies
//! (ratatui and more) to every build. The loop below is short and does exactly that.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use arnet_model::burn::module::Module;
use arnet_model::burn::tensor::Device;
use arnet_model::embed::input_size;
use arnet_model::params::assign_stable_ids;
use arnet_model::precision;
use arnet_model::preprocess::model_input;
use arnet_model::weights::{self, LoadScope, WeightFile};
use arnet_model::{ArnetEncoderConfig, ArnetPair, BackboneConfig, Backend, EncoderRole};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::averaging::RunningAverage;
use crate::batches::{TrainData, epoch_batches, parallel_map, prefetch};
use crate::checkpoint::{AverageState, Best, RunDir, RunState, STATE_FORMAT};
use crate::dataset::{self, SketchEntry, Split, SplitName};
use crate::evaluate::{Accuracy, PreparedSplit, evaluate_prepared};
use crate::metrics::{self, EpochMetrics};
use crate::optimizer::PinnedAdam;
use crate::recipe::{BackboneKind, Init, Objective, Precision, Recipe};
use crate::rng::Rng;
use crate::step::{LossSums, adam_config, train_step};

const VAL_STREAM: u64 = 21;
const DROPOUT_STREAM: u64 = 22;

/// How to run a training (the recipe plus what does not change the result).
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Data folder (`trainA/ trainB/ testA/ testB/`, optionally `valA/ valB/`).
    pub data: PathBuf,
    /// Run folder.
    pub out: PathBuf,
    /// Compute backend.
    pub backend: Backend,
    /// What is trained, and how.
    pub recipe: Recipe,
    /// Total epochs (a resumed run continues up to this).
    pub epochs: usize,
    /// Continue the run in `out`.
    pub resume: bool,
    /// Threads decoding and augmenting images.
    pub workers: usize,
    /// Images per forward pass when evaluating.
    pub eval_batch_size: usize,
    /// Draw a progress bar (on a terminal).
    pub show_progress: bool,
    /// Print a `progress: epoch E/N step S/T loss L` line per step (for programs that follow
    /// the run, like the app's fine-tuning).
    pub progress_lines: bool,
    /// How pseudo-sketches are made (`hed`, `canny`; `None`: HED when its weights are there).
    pub pseudo_method: Option<crate::pseudo_sketch::Method>,
    /// HED weights for pseudo-sketches (default `pretrained/hed_bsds500.safetensors`).
    pub pseudo_weights: Option<PathBuf>,
}

/// What a finished run reports.
#[derive(Debug)]
pub struct TrainSummary {
    /// Best epoch by validation accuracy.
    pub best: Option<Best>,
    /// The untrained model on the test split.
    pub untrained_test: Option<Accuracy>,
    /// The best model on the test split.
    pub test: Option<Accuracy>,
    /// Every epoch's metrics (epoch 0: untrained).
    pub history: Vec<EpochMetrics>,
    /// The model after the last epoch (inference mode, on the plain device).
    pub last: ArnetPair,
}

/// `OUT/best.json`.
#[derive(Debug, Serialize)]
struct BestReport<'a> {
    epoch: usize,
    /// The best model is the mean of the weights of epochs `averaged_from..=epoch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    averaged_from: Option<usize>,
    val: &'a Accuracy,
    test: Option<&'a Accuracy>,
    untrained_test: Option<&'a Accuracy>,
    weights: &'a str,
}

/// Moves a seeded share of the training photos (with their sketches) to a validation split.
///
/// At least one photo goes to validation and at least two stay for training.
pub fn carve_validation(train: &Split, fraction: f32, seed: u64) -> anyhow::Result<(Split, Split)> {
    let photos = train.photos.len();
    let wanted = ((photos as f32) * fraction).round() as usize;
    let count = wanted.max(1).min(photos.saturating_sub(2));
    if count == 0 {
        bail!(
            "the training split has {photos} photos: too few to hold some out for validation \
             (add valA/ valB/ folders or more photos)"
        );
    }
    let mut order: Vec<usize> = (0..photos).collect();
    Rng::for_item(seed, VAL_STREAM, 0).shuffle(&mut order);
    let mut held_out = vec![false; photos];
    for &i in &order[..count] {
        held_out[i] = true;
    }
    let mut parts = [Split::default(), Split::default()]; // [train, val]
    let mut new_index = vec![0; photos];
    for (i, photo) in train.photos.iter().enumerate() {
        let part = &mut parts[usize::from(held_out[i])];
        new_index[i] = part.photos.len();
        part.photos.push(photo.clone());
    }
    for sketch in &train.sketches {
        parts[usize::from(held_out[sketch.photo])]
            .sketches
            .push(SketchEntry {
                path: sketch.path.clone(),
                photo: new_index[sketch.photo],
            });
    }
    let [train, val] = parts;
    Ok((train, val))
}

/// Decodes a split into model inputs.
fn prepare(split: &Split, size: usize, workers: usize) -> anyhow::Result<PreparedSplit> {
    let paths: Vec<PathBuf> = split.sketches.iter().map(|s| s.path.clone()).collect();
    let sketches = crate::batches::decode_all(&paths, workers)?;
    let photos = crate::batches::decode_all(&split.photos, workers)?;
    Ok(PreparedSplit {
        sketches: parallel_map(sketches.len(), workers, |i| model_input(&sketches[i], size)),
        photos: parallel_map(photos.len(), workers, |i| model_input(&photos[i], size)),
        owners: split.sketches.iter().map(|s| s.photo).collect(),
    })
}

/// Builds the starting pair on `device` as the recipe says.
fn initial_pair(recipe: &Recipe, device: &Device) -> anyhow::Result<ArnetPair> {
    let pair = match &recipe.init {
        Init::Scratch => {
            let config = recipe.encoder_config().map_err(anyhow::Error::msg)?;
            ArnetPair::init(&config, device)?
        }
        Init::Backbone(path) => {
            let file = WeightFile::read_with_note(path)?;
            let sketch_dict = file.state_dict(EncoderRole::Sketch)?;
            let mut backbone = sketch_dict.infer_backbone(recipe.heads)?;
            let found = BackboneKind::of(&backbone);
            if let Some(asked) = recipe.backbone
                && asked != found
            {
                bail!(
                    "{}: --backbone {} but the file's backbone is {}",
                    path.display(),
                    asked.to_possible_value().expect("named").get_name(),
                    found.to_possible_value().expect("named").get_name()
                );
            }
            // A CNN takes any input size; a ViT's follows from its position embedding.
            if let (BackboneConfig::EfficientNet(net), Some(size)) =
                (&mut backbone, recipe.image_size)
            {
                net.image_size = size;
            }
            if let (BackboneConfig::Vit(vit), Some(size)) = (&backbone, recipe.image_size)
                && vit.image_size != size
            {
                let hint = if found == BackboneKind::Dinov2S14 {
                    format!(
                        "; convert it for {size} px with `bash scripts/convert_pretrained.sh \
                         --only dinov2-s14 --dinov2-image-size {size}`"
                    )
                } else {
                    String::new()
                };
                bail!(
                    "{}: --image-size {size} but the file's position embedding is for {} px \
                     ({} x {} patches of {} px){hint}",
                    path.display(),
                    vit.image_size,
                    vit.grid_size(),
                    vit.grid_size(),
                    vit.patch_size
                );
            }
            let mstr = recipe.mstr_config(&backbone);
            let config = ArnetEncoderConfig::new(backbone).with_mstr(mstr);
            let mut pair = ArnetPair::init(&config, device)?;
            sketch_dict.apply(&mut pair.sketch, LoadScope::BackboneOnly, device)?;
            file.state_dict(EncoderRole::Photo)?.apply(
                &mut pair.photo,
                LoadScope::BackboneOnly,
                device,
            )?;
            pair
        }
        Init::Checkpoint(path) => {
            let file = WeightFile::read_with_note(path)?;
            let pair = file.load_pair(recipe.heads, device)?;
            if pair.sketch.mstr.is_some() != recipe.mstr {
                bail!(
                    "{}: the checkpoint {} MSTR but --mstr was {}; start a full model from \
                     --init-backbone instead",
                    path.display(),
                    if recipe.mstr { "has no" } else { "has" },
                    if recipe.mstr { "given" } else { "not given" },
                );
            }
            pair
        }
    };
    Ok(pair)
}

/// Names the recipe fields that differ between two runs (the epoch count is not a field).
fn recipe_differences(saved: &Recipe, asked: &Recipe) -> Vec<String> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(saved), serde_json::to_value(asked))
    else {
        return vec!["(unreadable)".into()];
    };
    a.iter()
        .filter(|(key, value)| b.get(*key) != Some(value))
        .map(|(key, value)| {
            let asked = b.get(key).map(ToString::to_string).unwrap_or_default();
            format!("{key}: run has {value}, asked {asked}")
        })
        .collect()
}

/// Sets the patch norms' inference statistics (if any) from the training images (see
/// [`arnet_model::patch_norm`]), so that evaluations, checkpoints and `best.safetensors` use
/// statistics of the current weights.
fn calibrate(pair: &mut ArnetPair, data: &TrainData, size: usize, device: &Device) {
    const CALIBRATION_BATCH: usize = 64;
    pair.sketch
        .calibrate_patch_norm(data.anchor_batches(false, CALIBRATION_BATCH, size, device));
    pair.photo
        .calibrate_patch_norm(data.anchor_batches(true, CALIBRATION_BATCH, size, device));
}

/// "epochs 6-9", or "epoch 6" when the span is one epoch.
fn epoch_span(first: usize, last: usize) -> String {
    if first == last {
        format!("epoch {first}")
    } else {
        format!("epochs {first}-{last}")
    }
}

/// Seed of Burn's generator for `epoch` (dropout in MSTR).
fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    Rng::for_item(seed, DROPOUT_STREAM, epoch as u64).next_u64()
}

/// Trains (or resumes) a run; see the module docs of [`crate::checkpoint`] for the files.
pub fn train(options: &TrainOptions) -> anyhow::Result<TrainSummary> {
    let recipe = &options.recipe;
    recipe.validate().map_err(anyhow::Error::msg)?;
    let device = options.backend.device()?;
    if recipe.precision == Precision::Bf16 && !precision::supported(&device) {
        bail!(
            "--precision bf16: the {} device cannot compute in bfloat16; use --precision f32",
            options.backend
        );
    }
    if !options.data.is_dir() {
        bail!("{}: not a folder", options.data.display());
    }
    let run = RunDir::new(&options.out);
    let previous = run.read_state()?;
    match (&previous, options.resume) {
        (Some(_), false) => bail!(
            "{}: already holds a training run; pass --resume to continue it or choose another --out",
            options.out.display()
        ),
        (None, true) => bail!(
            "{}: nothing to resume (no {})",
            options.out.display(),
            run.state().display()
        ),
        (Some(_), true) => {
            let text = std::fs::read_to_string(run.recipe())
                .with_context(|| format!("{}", run.recipe().display()))?;
            let saved: Recipe = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a recipe", run.recipe().display()))?;
            let differences = recipe_differences(&saved, recipe);
            if !differences.is_empty() {
                bail!(
                    "{}: --resume needs the same recipe as the interrupted run; differs in {}",
                    run.recipe().display(),
                    differences.join("; ")
                );
            }
        }
        (None, false) => {
            std::fs::create_dir_all(&options.out)
                .with_context(|| format!("creating {}", options.out.display()))?;
            arnet_model::fsutil::write_atomic(&run.recipe(), &serde_json::to_vec_pretty(recipe)?)
                .with_context(|| format!("{}", run.recipe().display()))?;
        }
    }

    // The data, checked first: every problem is listed, none stops the run.
    let (report, mut splits) = dataset::check_folder(&options.data);
    eprint!("{report}");
    let mut train_split = splits.remove(&SplitName::Train).unwrap_or_default();
    let sources = crate::pseudo_pairs::add(
        &mut train_split,
        &crate::pseudo_pairs::PseudoOptions {
            mode: recipe.pseudo_sketches,
            method: options.pseudo_method,
            weights: options.pseudo_weights.clone(),
            dir: options.out.join("pseudo-sketches"),
            device: options.backend,
            workers: options.workers,
        },
    )?;
    eprintln!("{sources}");
    let (train_split, val_split) = match splits.remove(&SplitName::Val) {
        Some(val) if !val.sketches.is_empty() => (train_split, val),
        _ => {
            let (train, val) = carve_validation(&train_split, recipe.val_fraction, recipe.seed)?;
            eprintln!(
                "validation: {} sketches / {} photos held out of train (seed {}, --val-fraction {})",
                val.sketches.len(),
                val.photos.len(),
                recipe.seed,
                recipe.val_fraction
            );
            (train, val)
        }
    };
    if train_split.sketches.len() < 2 {
        bail!(
            "{}: the training split has {} usable sketch(es); at least 2 are needed",
            options.data.display(),
            train_split.sketches.len()
        );
    }
    let test_split = splits
        .remove(&SplitName::Test)
        .filter(|s| !s.sketches.is_empty());

    // The model and optimiser.
    let train_device = device.clone().autodiff();
    train_device.seed(recipe.seed);
    let mut pair = initial_pair(recipe, &train_device)?;
    assign_stable_ids(&mut pair);
    let mut optimizer = PinnedAdam::init(&adam_config(recipe));
    let size = input_size(&pair.sketch);
    let workers = options.workers.max(1);
    let data = TrainData::load(&train_split, size, workers)?;
    let val = prepare(&val_split, size, workers).context("loading validation images")?;
    let test = match &test_split {
        Some(split) => Some(prepare(split, size, workers).context("loading test images")?),
        None => None,
    };
    let evaluate = |pair: &ArnetPair, split: &PreparedSplit| {
        evaluate_prepared(pair, split, options.eval_batch_size, &device)
    };

    let mut state = match previous {
        Some(state) => {
            optimizer =
                run.load_checkpoint(&state, &mut pair, optimizer, &train_device, &device)?;
            eprintln!(
                "resuming {} after epoch {}",
                options.out.display(),
                state.epochs_done
            );
            state
        }
        None => {
            calibrate(&mut pair, &data, size, &train_device);
            let untrained = pair.valid();
            let history = vec![EpochMetrics {
                epoch: 0,
                loss: None,
                multi_modal: None,
                inter_sample: None,
                intra_sketch: None,
                intra_photo: None,
                recycling: None,
                val: evaluate(&untrained, &val),
                seconds: 0.0,
                pairs_per_second: 0.0,
                averaged_val: None,
            }];
            RunState {
                format: STATE_FORMAT.into(),
                epochs_done: 0,
                best: None,
                untrained_test: test.as_ref().map(|t| evaluate(&untrained, t)),
                history,
                model_file: String::new(),
                optimizer_file: String::new(),
                average: None,
            }
        }
    };
    if let Some(first) = state.history.first() {
        eprintln!(
            "untrained: val Acc@1 {:.2}%  Acc@10 {:.2}%",
            first.val.acc1, first.val.acc10
        );
    }
    let mut average = match &state.average {
        Some(saved) => {
            RunningAverage::read(&run.checkpoints().join(&saved.file), saved.count, &device)?
        }
        None => RunningAverage::empty(),
    };
    if let Some(from) = recipe.average_from
        && from > options.epochs
    {
        eprintln!(
            "note: --average-from {from} is after the last epoch ({}): no weights are averaged",
            options.epochs
        );
    }

    for epoch in state.epochs_done..options.epochs {
        train_device.seed(epoch_seed(recipe.seed, epoch));
        let plan = epoch_batches(data.len(), recipe.batch_size, recipe.seed, epoch);
        let progress = if options.show_progress {
            ProgressBar::new(plan.len() as u64)
        } else {
            ProgressBar::hidden()
        };
        progress.set_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} steps, {msg} (eta {eta})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        progress.set_prefix(format!("epoch {}/{}", epoch + 1, options.epochs));
        let pairs: usize = plan.iter().map(Vec::len).sum();
        let steps = plan.len();
        let started = Instant::now();
        let mut sums = LossSums::default();
        pair = std::thread::scope(|scope| -> anyhow::Result<ArnetPair> {
            let mut pair = pair;
            let batches = prefetch(scope, &data, recipe, plan, epoch, size, workers);
            for batch in batches {
                // Every epoch has the same number of steps, so the run's step index (and the
                // schedule) is the same whether or not the run was resumed.
                let step = epoch * steps + sums.steps;
                let rate =
                    recipe
                        .lr_schedule
                        .rate(recipe.learning_rate, step, options.epochs * steps);
                pair = train_step(
                    pair,
                    &mut optimizer,
                    rate,
                    &batch,
                    recipe,
                    size,
                    &train_device,
                    &mut sums,
                )?;
                progress.inc(1);
                let loss = sums.total / sums.steps as f64;
                progress.set_message(format!("loss {loss:.4}"));
                if options.progress_lines {
                    eprintln!(
                        "progress: epoch {}/{} step {}/{} loss {loss:.4}",
                        epoch + 1,
                        options.epochs,
                        sums.steps,
                        steps
                    );
                }
            }
            Ok(pair)
        })?;
        progress.finish_and_clear();
        let seconds = started.elapsed().as_secs_f64();
        calibrate(&mut pair, &data, size, &train_device);
        let mut eval_pair = pair.valid();
        let mut metrics = EpochMetrics {
            epoch: epoch + 1,
            loss: sums.mean(sums.total),
            multi_modal: sums.mean(sums.multi_modal),
            inter_sample: (recipe.objective == Objective::Arnet)
                .then(|| sums.mean(sums.inter_sample))
                .flatten(),
            intra_sketch: sums
                .has_intra
                .then(|| sums.mean(sums.intra_sketch))
                .flatten(),
            intra_photo: sums
                .has_intra
                .then(|| sums.mean(sums.intra_photo))
                .flatten(),
            recycling: sums
                .has_recycling
                .then(|| sums.mean(sums.recycling))
                .flatten(),
            val: evaluate(&eval_pair, &val),
            seconds,
            pairs_per_second: pairs as f64 / seconds.max(1e-9),
            averaged_val: None,
        };
        let improved = state
            .best
            .as_ref()
            .is_none_or(|best| metrics.val.better_than(&best.val));
        eprintln!(
            "epoch {}/{}: loss {:.4}  val Acc@1 {:.2}%  Acc@5 {:.2}%  Acc@10 {:.2}%  ({:.0} s, {:.1} pairs/s){}",
            epoch + 1,
            options.epochs,
            metrics.loss.unwrap_or(f64::NAN),
            metrics.val.acc1,
            metrics.val.acc5,
            metrics.val.acc10,
            seconds,
            metrics.pairs_per_second,
            if improved { "  best so far" } else { "" }
        );
        if improved {
            weights::save_pair(&mut eval_pair, &run.best_weights())?;
            state.best = Some(Best {
                epoch: epoch + 1,
                val: metrics.val,
                averaged_from: None,
            });
            write_best_report(&run, &state, None)?;
        }
        if let Some(from) = recipe.average_from
            && epoch + 1 >= from
        {
            average.add(&mut eval_pair);
            let file = format!("average-{:04}.safetensors", epoch + 1);
            std::fs::create_dir_all(run.checkpoints())
                .with_context(|| format!("{}", run.checkpoints().display()))?;
            let mut averaged = average.model(&eval_pair, &device);
            weights::save_pair(&mut averaged, &run.checkpoints().join(&file))?;
            // Committed with the epoch's checkpoint below.
            state.average = Some(AverageState {
                file,
                from,
                count: average.count(),
            });
            let val = evaluate(&averaged, &val);
            let better = state
                .best
                .as_ref()
                .is_none_or(|best| val.better_than(&best.val));
            eprintln!(
                "  weight average of {}: val Acc@1 {:.2}%  Acc@5 {:.2}%  Acc@10 {:.2}%{}",
                epoch_span(from, epoch + 1),
                val.acc1,
                val.acc5,
                val.acc10,
                if better { "  best so far" } else { "" }
            );
            if better {
                weights::save_pair(&mut averaged, &run.best_weights())?;
                state.best = Some(Best {
                    epoch: epoch + 1,
                    val,
                    averaged_from: Some(from),
                });
                write_best_report(&run, &state, None)?;
            }
            metrics.averaged_val = Some(val);
        }
        state.history.push(metrics);
        state.epochs_done = epoch + 1;
        metrics::write_all(&options.out, &state.history)?;
        run.save_checkpoint(&mut pair, &optimizer, &mut state)?;
    }

    // The best model on the test split, reloaded from the file the user gets.
    let test_accuracy = match (&test, &state.best) {
        (Some(test), Some(_)) => {
            let best = weights::load_pair(&run.best_weights(), None, &device)?;
            let accuracy = evaluate(&best, test);
            write_best_report(&run, &state, Some(&accuracy))?;
            Some(accuracy)
        }
        _ => None,
    };
    if let Some(best) = &state.best {
        let what = match best.averaged_from {
            Some(from) => format!("the weight average of {}", epoch_span(from, best.epoch)),
            None => format!("epoch {}", best.epoch),
        };
        eprintln!(
            "best: {what} (val Acc@1 {:.2}%) -> {}",
            best.val.acc1,
            run.best_weights().display()
        );
    }
    if let (Some(accuracy), Some(untrained)) = (&test_accuracy, &state.untrained_test) {
        eprintln!(
            "test: Acc@1 {:.2}%  Acc@5 {:.2}%  Acc@10 {:.2}%  (untrained: Acc@1 {:.2}%)",
            accuracy.acc1, accuracy.acc5, accuracy.acc10, untrained.acc1
        );
    }
    Ok(TrainSummary {
        best: state.best.clone(),
        untrained_test: state.untrained_test,
        test: test_accuracy,
        history: state.history,
        last: {
            calibrate(&mut pair, &data, size, &train_device);
            pair.valid()
        },
    })
}

fn write_best_report(
    run: &RunDir,
    state: &RunState,
    test: Option<&Accuracy>,
) -> anyhow::Result<()> {
    let Some(best) = &state.best else {
        return Ok(());
    };
    let report = BestReport {
        epoch: best.epoch,
        averaged_from: best.averaged_from,
        val: &best.val,
        test,
        untrained_test: state.untrained_test.as_ref(),
        weights: "best.safetensors",
    };
    arnet_model::fsutil::write_atomic(&run.best_report(), &serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("{}", run.best_report().display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(photos: usize, sketches_each: usize) -> Split {
        Split {
            photos: (0..photos)
                .map(|i| PathBuf::from(format!("B/{i}.png")))
                .collect(),
            sketches: (0..photos * sketches_each)
                .map(|k| SketchEntry {
                    path: PathBuf::from(format!("A/{}_{}.png", k / sketches_each, k)),
                    photo: k / sketches_each,
                })
                .collect(),
        }
    }

    #[test]
    fn validation_carve_moves_whole_photos_and_is_seeded() {
        let all = split(20, 3);
        let (train, val) = carve_validation(&all, 0.1, 5).unwrap();
        assert_eq!((train.photos.len(), val.photos.len()), (18, 2));
        assert_eq!((train.sketches.len(), val.sketches.len()), (54, 6));
        for part in [&train, &val] {
            for s in &part.sketches {
                let photo = part.photos[s.photo].file_stem().unwrap().to_str().unwrap();
                assert!(
                    s.path.to_str().unwrap().starts_with(&format!("A/{photo}_")),
                    "sketch follows its photo"
                );
            }
        }
        assert_eq!(carve_validation(&all, 0.1, 5).unwrap().1, val);
        assert!(carve_validation(&split(2, 1), 0.1, 0).is_err());
    }
}
