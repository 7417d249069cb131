//! The training loop of `arnet train`.
//!
//! Why one file past 500 lines: it is the loop, in the order it runs ([`train`], then
//! `Trainer::run_epoch`, `end_epoch`, `average_epoch`, `finish`); what happens before the first
//! step (run folder, splits, starting pair) is in `run_setup.rs`.
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
use arnet_model::burn::optim::ModuleOptimizer;
use arnet_model::burn::tensor::Device;
use arnet_model::embed::input_size;
use arnet_model::events::{TrainingEvent, finite};
use arnet_model::params::assign_stable_ids;
use arnet_model::precision;
use arnet_model::weights;
use arnet_model::{ArnetPair, Backend};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::averaging::RunningAverage;
use crate::batches::{TrainData, epoch_batches, prefetch};
use crate::checkpoint::{AverageState, Best, RunDir, RunState, STATE_FORMAT};
use crate::evaluate::{Accuracy, PreparedSplit, evaluate_prepared};
use crate::metrics::{self, EpochMetrics};
use crate::optimizer::PinnedAdam;
use crate::recipe::{Objective, Precision, Recipe};
use crate::rng::Rng;
use crate::run_setup::{initial_pair, load_splits, open_run, prepare};
use crate::step::{LossSums, adam_config, train_step};

pub use crate::run_setup::carve_validation;

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
    /// Print a `progress: epoch E/N step S/T loss L` line per step on stderr.
    pub progress_lines: bool,
    /// Print the run's [`TrainingEvent`]s as JSON lines on stdout (for programs that follow
    /// the run, like the app's fine-tuning).
    pub events: bool,
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
///
/// The steps: check the options, open the run folder ([`open_run`]), load the splits
/// ([`load_splits`]), build the pair and Adam, then per epoch [`Trainer::run_epoch`] and
/// [`Trainer::end_epoch`] (validate, keep the best, average, checkpoint), and at the end
/// [`Trainer::finish`] (the best model on the test split).
pub fn train(options: &TrainOptions) -> anyhow::Result<TrainSummary> {
    let recipe = &options.recipe;
    let device = check_options(options)?;
    let run = RunDir::new(&options.out);
    let previous = open_run(options, &run)?;
    let splits = load_splits(options)?;

    // The model and optimiser.
    let train_device = device.clone().autodiff();
    train_device.seed(recipe.seed);
    let mut pair = initial_pair(recipe, &train_device)?;
    assign_stable_ids(&mut pair);
    let mut optimizer = PinnedAdam::init(&adam_config(recipe));
    let size = input_size(&pair.sketch);
    let workers = options.workers.max(1);
    let trainer = Trainer {
        options,
        data: load_train_data(options, &splits.train, size, workers)?,
        val: prepare(&splits.val, size, workers).context("loading validation images")?,
        test: match &splits.test {
            Some(split) => Some(prepare(split, size, workers).context("loading test images")?),
            None => None,
        },
        run,
        size,
        workers,
        device,
        train_device,
    };

    let mut state = match previous {
        Some(state) => {
            optimizer = trainer.run.load_checkpoint(
                &state,
                &mut pair,
                optimizer,
                &trainer.train_device,
                &trainer.device,
            )?;
            eprintln!(
                "resuming {} after epoch {}",
                options.out.display(),
                state.epochs_done
            );
            state
        }
        None => trainer.first_state(&mut pair),
    };
    trainer.report_untrained(&state);
    let mut average = match &state.average {
        Some(saved) => RunningAverage::read(
            &trainer.run.checkpoints().join(&saved.file),
            saved.count,
            &trainer.device,
        )?,
        None => RunningAverage::empty(),
    };
    if let Some(from) = recipe.optimiser.average_from
        && from > options.epochs
    {
        eprintln!(
            "note: --average-from {from} is after the last epoch ({}): no weights are averaged",
            options.epochs
        );
    }

    for epoch in state.epochs_done..options.epochs {
        let (trained, epoch_run) = trainer.run_epoch(pair, &mut optimizer, epoch)?;
        pair = trained;
        trainer.end_epoch(
            &mut pair,
            &optimizer,
            &mut state,
            &mut average,
            epoch,
            epoch_run,
        )?;
    }
    trainer.finish(pair, state)
}

/// The training split, decoded; with `--class-weight`, each photo's kind from
/// `DATA/labels.json`.
fn load_train_data(
    options: &TrainOptions,
    split: &crate::dataset::Split,
    size: usize,
    workers: usize,
) -> anyhow::Result<TrainData> {
    let mut data = TrainData::load(split, size, workers)?;
    if options.recipe.optimiser.class_weight > 0.0 {
        let path = options.data.join(LABELS_FILE);
        if !path.is_file() {
            bail!(
                "{}: --class-weight needs the photos' kinds in this file (a JSON object of \
                 photo stem to class, as `arnet data fashion-mnist` writes)",
                path.display()
            );
        }
        let labels = crate::categories::Labels::read(&path)?;
        let labelled = data.set_classes(&split.photos, &labels);
        if labelled == 0 {
            bail!(
                "{}: no training photo's stem is in it, so the category term has nothing to \
                 work with",
                path.display()
            );
        }
        eprintln!(
            "category term: {labelled} of {} training photos have a kind ({}), weight {}",
            split.photos.len(),
            data.class_names.join(", "),
            options.recipe.optimiser.class_weight
        );
    }
    Ok(data)
}

/// The labels file `--class-weight` reads from the data folder.
pub const LABELS_FILE: &str = "labels.json";

/// What cannot work, before anything is read or written; the device to compute on.
fn check_options(options: &TrainOptions) -> anyhow::Result<Device> {
    let recipe = &options.recipe;
    recipe.validate()?;
    let device = options.backend.device()?;
    if recipe.optimiser.precision == Precision::Bf16 && !precision::supported(&device) {
        bail!(
            "--precision bf16: the {} device cannot compute in bfloat16; use --precision f32",
            options.backend
        );
    }
    if !options.data.is_dir() {
        bail!("{}: not a folder", options.data.display());
    }
    Ok(device)
}

/// What stays the same over a run's epochs: its options, data, folder and devices.
struct Trainer<'a> {
    options: &'a TrainOptions,
    data: TrainData,
    val: PreparedSplit,
    test: Option<PreparedSplit>,
    run: RunDir,
    size: usize,
    workers: usize,
    /// Evaluation and saving.
    device: Device,
    /// Training (autodiff).
    train_device: Device,
}

/// One epoch's training, before validation.
struct EpochRun {
    sums: LossSums,
    seconds: f64,
    pairs: usize,
}

impl Trainer<'_> {
    fn evaluate(&self, pair: &ArnetPair, split: &PreparedSplit) -> Accuracy {
        evaluate_prepared(pair, split, self.options.eval_batch_size, &self.device)
    }

    /// A new run's state: the untrained pair validated (epoch 0) and scored on the test split.
    fn first_state(&self, pair: &mut ArnetPair) -> RunState {
        calibrate(pair, &self.data, self.size, &self.train_device);
        let untrained = pair.valid();
        let history = vec![EpochMetrics {
            epoch: 0,
            loss: None,
            multi_modal: None,
            inter_sample: None,
            intra_sketch: None,
            intra_photo: None,
            recycling: None,
            val: self.evaluate(&untrained, &self.val),
            seconds: 0.0,
            pairs_per_second: 0.0,
            averaged_val: None,
            category: None,
        }];
        RunState {
            format: STATE_FORMAT.into(),
            epochs_done: 0,
            best: None,
            untrained_test: self.test.as_ref().map(|t| self.evaluate(&untrained, t)),
            history,
            model_file: String::new(),
            optimizer_file: String::new(),
            average: None,
        }
    }

    /// The `untrained:` line (and event): where the starting model stands on validation.
    fn report_untrained(&self, state: &RunState) {
        if let Some(first) = state.history.first() {
            eprintln!(
                "untrained: val Acc@1 {:.2}%  Acc@10 {:.2}%",
                first.val.acc1, first.val.acc10
            );
            if self.options.events {
                TrainingEvent::Untrained {
                    val: first.val.top(),
                }
                .emit();
            }
        }
    }

    /// Trains one epoch: the seeded batches, made ahead on threads, one step each.
    fn run_epoch(
        &self,
        pair: ArnetPair,
        optimizer: &mut ModuleOptimizer,
        epoch: usize,
    ) -> anyhow::Result<(ArnetPair, EpochRun)> {
        let (options, recipe) = (self.options, &self.options.recipe);
        self.train_device.seed(epoch_seed(recipe.seed, epoch));
        let plan = epoch_batches(
            self.data.len(),
            recipe.optimiser.batch_size,
            recipe.seed,
            epoch,
        );
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
        let pair = std::thread::scope(|scope| -> anyhow::Result<ArnetPair> {
            let mut pair = pair;
            let batches = prefetch(
                scope,
                &self.data,
                recipe,
                plan,
                epoch,
                self.size,
                self.workers,
            );
            for batch in batches {
                // Every epoch has the same number of steps, so the run's step index (and the
                // schedule) is the same whether or not the run was resumed.
                let step = epoch * steps + sums.steps;
                let rate = recipe.optimiser.lr_schedule.rate(
                    recipe.optimiser.learning_rate,
                    step,
                    options.epochs * steps,
                );
                pair = train_step(
                    pair,
                    optimizer,
                    rate,
                    &batch,
                    recipe,
                    self.size,
                    &self.train_device,
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
                if options.events {
                    TrainingEvent::Step {
                        epoch: epoch + 1,
                        epochs: options.epochs,
                        step: sums.steps,
                        steps,
                        loss: finite(loss),
                    }
                    .emit();
                }
            }
            Ok(pair)
        })?;
        progress.finish_and_clear();
        let seconds = started.elapsed().as_secs_f64();
        Ok((
            pair,
            EpochRun {
                sums,
                seconds,
                pairs,
            },
        ))
    }

    /// After an epoch: validate, keep the best weights, update and validate the weight
    /// average, write the metrics and the checkpoint.
    fn end_epoch(
        &self,
        pair: &mut ArnetPair,
        optimizer: &ModuleOptimizer,
        state: &mut RunState,
        average: &mut RunningAverage,
        epoch: usize,
        epoch_run: EpochRun,
    ) -> anyhow::Result<()> {
        let (options, recipe, run) = (self.options, &self.options.recipe, &self.run);
        let EpochRun {
            sums,
            seconds,
            pairs,
        } = epoch_run;
        calibrate(pair, &self.data, self.size, &self.train_device);
        let mut eval_pair = pair.valid();
        let mut metrics = EpochMetrics {
            epoch: epoch + 1,
            loss: sums.mean(sums.total),
            multi_modal: sums.mean(sums.multi_modal),
            inter_sample: (recipe.optimiser.objective == Objective::Arnet)
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
            val: self.evaluate(&eval_pair, &self.val),
            seconds,
            pairs_per_second: pairs as f64 / seconds.max(1e-9),
            averaged_val: None,
            category: (sums.category_steps > 0).then(|| sums.category / sums.category_steps as f64),
        };
        let improved = state
            .best
            .as_ref()
            .is_none_or(|best| metrics.val.better_than(&best.val));
        let photo_category = (options.recipe.optimiser.photo_class_weight > 0.0)
            .then(|| sums.mean(sums.photo_category))
            .flatten();
        eprintln!(
            "epoch {}/{}: loss {:.4}{}{}  val Acc@1 {:.2}%  Acc@5 {:.2}%  Acc@10 {:.2}%  ({:.0} s, {:.1} pairs/s){}",
            epoch + 1,
            options.epochs,
            metrics.loss.unwrap_or(f64::NAN),
            metrics
                .category
                .map(|c| format!(" (category term {c:.4})"))
                .unwrap_or_default(),
            photo_category
                .map(|c| format!(" (between photos {c:.4})"))
                .unwrap_or_default(),
            metrics.val.acc1,
            metrics.val.acc5,
            metrics.val.acc10,
            seconds,
            metrics.pairs_per_second,
            if improved { "  best so far" } else { "" }
        );
        if options.events {
            TrainingEvent::Epoch {
                epoch: epoch + 1,
                epochs: options.epochs,
                loss: metrics.loss.and_then(finite),
                val: metrics.val.top(),
                best: improved,
            }
            .emit();
        }
        if improved {
            weights::save_pair(&mut eval_pair, &run.best_weights())?;
            state.best = Some(Best {
                epoch: epoch + 1,
                val: metrics.val,
                averaged_from: None,
            });
            write_best_report(run, state, None)?;
        }
        if let Some(from) = recipe.optimiser.average_from
            && epoch + 1 >= from
        {
            metrics.averaged_val =
                Some(self.average_epoch(&mut eval_pair, state, average, epoch, from)?);
        }
        state.history.push(metrics);
        state.epochs_done = epoch + 1;
        metrics::write_all(&options.out, &state.history)?;
        run.save_checkpoint(pair, optimizer, state)
    }

    /// With `--average-from`: adds the epoch's weights to the running average, saves it with
    /// the checkpoint, validates it and keeps it as the best when it is. Returns its accuracy.
    fn average_epoch(
        &self,
        eval_pair: &mut ArnetPair,
        state: &mut RunState,
        average: &mut RunningAverage,
        epoch: usize,
        from: usize,
    ) -> anyhow::Result<Accuracy> {
        let run = &self.run;
        average.add(eval_pair);
        let file = format!("average-{:04}.safetensors", epoch + 1);
        std::fs::create_dir_all(run.checkpoints())
            .with_context(|| format!("{}", run.checkpoints().display()))?;
        let mut averaged = average.model(eval_pair, &self.device);
        weights::save_pair(&mut averaged, &run.checkpoints().join(&file))?;
        // Committed with the epoch's checkpoint.
        state.average = Some(AverageState {
            file,
            from,
            count: average.count(),
        });
        let val = self.evaluate(&averaged, &self.val);
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
        if self.options.events {
            TrainingEvent::WeightAverage {
                epoch: epoch + 1,
                from,
                val: val.top(),
                best: better,
            }
            .emit();
        }
        if better {
            weights::save_pair(&mut averaged, &run.best_weights())?;
            state.best = Some(Best {
                epoch: epoch + 1,
                val,
                averaged_from: Some(from),
            });
            write_best_report(run, state, None)?;
        }
        Ok(val)
    }

    /// The best model on the test split, reloaded from the file the user gets; the summary.
    fn finish(&self, mut pair: ArnetPair, state: RunState) -> anyhow::Result<TrainSummary> {
        let run = &self.run;
        let test_accuracy = match (&self.test, &state.best) {
            (Some(test), Some(_)) => {
                let best = weights::load_pair(&run.best_weights(), None, &self.device)?;
                let accuracy = self.evaluate(&best, test);
                write_best_report(run, &state, Some(&accuracy))?;
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
        calibrate(&mut pair, &self.data, self.size, &self.train_device);
        Ok(TrainSummary {
            best: state.best.clone(),
            untrained_test: state.untrained_test,
            test: test_accuracy,
            history: state.history,
            last: pair.valid(),
        })
    }
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
        weights: crate::checkpoint::BEST_WEIGHTS_FILE,
    };
    arnet_model::fsutil::write_atomic(&run.best_report(), &serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("{}", run.best_report().display()))
}
