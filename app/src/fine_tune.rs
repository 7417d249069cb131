//! "Fine-tune on this gallery": `arnet fine-tune` run as a child process, in the background.
//!
//! Why a child process and not a thread: `app/` and `training/` depend on `model/`, never on
//! each other (the trainer stays one program with one set of flags), and a process is what a
//! long job should be: Cancel kills it at once, a crash in training cannot take the window
//! down, and the run folder it leaves stays on disk.
//!
//! The app runs exactly what a user types: `arnet fine-tune --gallery G --weights W --out RUN
//! [--dataset D] --epochs N` (arnet_training::fine_tune has what it does: the training folder,
//! traced sketches of the photos, the held-out check before and after, and the starting model
//! kept when fine-tuning did not improve it), with `--events json`: the trainer prints its
//! progress as [`TrainingEvent`] JSON lines on stdout, the type both sides share, so the app
//! never parses text meant for people. Its stderr is read only for the last error line.

use std::io::{BufRead, BufReader};

use arnet_model::events::TrainingEvent;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};

/// What to fine-tune and where.
#[derive(Debug, Clone)]
pub struct FineTuneSpec {
    /// The `arnet` executable.
    pub arnet: PathBuf,
    /// The gallery folder.
    pub gallery: PathBuf,
    /// The dataset folder of saved training pairs (`trainA/`, `trainB/`), if any.
    pub dataset: Option<PathBuf>,
    /// The current model (a two-encoder file), the starting point.
    pub weights: PathBuf,
    /// The run folder to create (must not exist yet).
    pub run: PathBuf,
    /// Epochs to train.
    pub epochs: usize,
    /// Further `arnet fine-tune` flags (batch size, learning rate, device...).
    pub extra_args: Vec<String>,
}

/// Why a fine-tune could not start.
#[derive(Debug, thiserror::Error)]
pub enum FineTuneError {
    /// The run folder is taken (nothing in it is overwritten).
    #[error("{0}: already exists")]
    RunExists(PathBuf),
    /// The `arnet` program could not be started.
    #[error("cannot start {program}: {source}")]
    Start {
        /// The program.
        program: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// What the job reports.
#[derive(Debug, Clone, PartialEq)]
pub enum FineTuneEvent {
    /// What the trainer reported (data ready, the untrained check, steps, epochs, the
    /// outcome).
    Trainer(TrainingEvent),
    /// Training finished: the model to use and held-out Acc@1 before / after.
    Finished {
        /// The model `arnet fine-tune` wrote (the starting model's copy when `kept_start`).
        weights: PathBuf,
        /// Held-out Acc@1 of the starting model, if reported.
        before: Option<f64>,
        /// Held-out Acc@1 of the best fine-tuned epoch, if reported.
        after: Option<f64>,
        /// Fine-tuning did not improve the held-out check: the starting model stays.
        kept_start: bool,
        /// The kind check (category precision@10), before and after, if reported.
        kinds: Option<[f64; 2]>,
    },
    /// Training failed (the trainer's last error line).
    Failed(String),
    /// Cancelled by the user.
    Cancelled,
}

/// What the thread reading the trainer's stderr sends.
#[derive(Debug)]
enum Message {
    /// A progress event.
    Event(FineTuneEvent),
    /// The trainer closed its stderr (it has exited, or is about to).
    Eof {
        before: Option<f64>,
        after: Option<f64>,
        kept_start: bool,
        kinds: Option<[f64; 2]>,
        /// The model the outcome names, if the trainer reported one.
        weights: Option<PathBuf>,
        last_error: Option<String>,
    },
}

/// What the trainer's output said once it ended: held-out Acc@1 before / after, whether the
/// starting model was kept, its last error line.
#[derive(Debug)]
struct TrainerEnd {
    before: Option<f64>,
    after: Option<f64>,
    kept_start: bool,
    kinds: Option<[f64; 2]>,
    weights: Option<PathBuf>,
    last_error: Option<String>,
}

/// A running fine-tune.
#[derive(Debug)]
pub struct FineTuneJob {
    child: Child,
    messages: Receiver<Message>,
    weights: PathBuf,
    /// What the trainer's output said once it ended.
    ended: Option<TrainerEnd>,
    cancelled: bool,
    finished: bool,
}

impl FineTuneJob {
    /// Assembles the data and starts `arnet train`; events arrive through [`poll`](Self::poll).
    pub fn start(spec: &FineTuneSpec) -> Result<Self, FineTuneError> {
        if spec.run.exists() {
            return Err(FineTuneError::RunExists(spec.run.clone()));
        }
        let mut command = Command::new(&spec.arnet);
        command
            .arg("fine-tune")
            .arg("--gallery")
            .arg(&spec.gallery)
            .arg("--weights")
            .arg(&spec.weights)
            .arg("--out")
            .arg(&spec.run)
            .args(["--epochs", &spec.epochs.to_string(), "--events", "json"]);
        if let Some(dataset) = &spec.dataset {
            command.arg("--dataset").arg(dataset);
        }
        let mut child = command
            .args(&spec.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| FineTuneError::Start {
                program: spec.arnet.clone(),
                source,
            })?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let errors = std::thread::spawn(move || last_error_line(BufReader::new(stderr)));
            read_trainer_events(BufReader::new(stdout), errors, &sender);
        });
        Ok(Self {
            child,
            messages,
            weights: spec.run.join("best.safetensors"),
            ended: None,
            cancelled: false,
            finished: false,
        })
    }

    /// Events since the last call. After the trainer exits, the last one is
    /// [`FineTuneEvent::Finished`], [`FineTuneEvent::Failed`] or [`FineTuneEvent::Cancelled`].
    pub fn poll(&mut self) -> Vec<FineTuneEvent> {
        let mut events = Vec::new();
        for message in self.messages.try_iter() {
            match message {
                Message::Event(event) => events.push(event),
                Message::Eof {
                    before,
                    after,
                    kept_start,
                    kinds,
                    weights,
                    last_error,
                } => {
                    self.ended = Some(TrainerEnd {
                        before,
                        after,
                        kept_start,
                        kinds,
                        weights,
                        last_error,
                    })
                }
            }
        }
        if self.finished || self.ended.is_none() {
            return events;
        }
        // The output has ended; the outcome is the exit status (never blocks: until the
        // process is reaped, the next frame looks again).
        let Ok(Some(status)) = self.child.try_wait() else {
            return events;
        };
        self.finished = true;
        let TrainerEnd {
            before,
            after,
            kept_start,
            kinds,
            weights,
            last_error,
        } = self.ended.take().expect("ended");
        // The file the outcome names; the run folder's best model when it named none.
        let weights = weights.unwrap_or_else(|| self.weights.clone());
        events.push(if self.cancelled {
            FineTuneEvent::Cancelled
        } else if status.success() && weights.is_file() {
            FineTuneEvent::Finished {
                weights,
                before,
                after,
                kept_start,
                kinds,
            }
        } else {
            FineTuneEvent::Failed(
                last_error.unwrap_or_else(|| format!("arnet fine-tune stopped ({status})")),
            )
        });
        events
    }

    /// Stops training (the run folder stays on disk).
    pub fn cancel(&mut self) {
        self.cancelled = true;
        let _ = self.child.kill();
    }

    /// Whether the trainer has exited and its outcome was reported.
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

impl Drop for FineTuneJob {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Turns the trainer's JSON lines into events; when its stdout closes, says so with what the
/// outcome needs (the held-out Acc@1 before and after: the untrained check, then each new best
/// epoch or weight average, then the fine-tune's own outcome; and stderr's last error line).
fn read_trainer_events(
    stdout: impl BufRead,
    errors: std::thread::JoinHandle<Option<String>>,
    sender: &Sender<Message>,
) {
    let (mut before, mut after, mut kept_start, mut kinds) = (None, None, false, None);
    let mut weights = None;
    for line in stdout.lines().map_while(Result::ok) {
        let Some(event) = TrainingEvent::parse(&line) else {
            continue;
        };
        match &event {
            TrainingEvent::Untrained { val } => before = Some(val[0]),
            TrainingEvent::Epoch {
                val, best: true, ..
            }
            | TrainingEvent::WeightAverage {
                val, best: true, ..
            } => after = Some(val[0]),
            TrainingEvent::Outcome {
                before: b,
                after: a,
                kept_start: k,
                kind_before,
                kind_after,
                weights: w,
            } => {
                (before, after, kept_start) = (Some(*b), Some(*a), *k);
                kinds = kind_before.zip(*kind_after).map(|(b, a)| [b, a]);
                weights = Some(w.clone());
            }
            _ => {}
        }
        if sender
            .send(Message::Event(FineTuneEvent::Trainer(event)))
            .is_err()
        {
            return;
        }
    }
    let last_error = errors.join().ok().flatten();
    let _ = sender.send(Message::Eof {
        before,
        after,
        kept_start,
        kinds,
        weights,
        last_error,
    });
}

/// The trainer's last `error` line on stderr, kept for the message only: libraries print
/// `error:` lines that are not failures (wgpu without `XDG_RUNTIME_DIR`), so success is the
/// exit status.
fn last_error_line(stderr: impl BufRead) -> Option<String> {
    stderr
        .lines()
        .map_while(Result::ok)
        .filter(|line| line.starts_with("error"))
        .last()
}

/// The `arnet` executable: `ARNET_BIN`, else the one beside the app's own executable, else
/// the first on `PATH` (`cargo install` puts both in `~/.cargo/bin`, the Debian package in
/// `/usr/bin`).
pub fn arnet_executable() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ARNET_BIN") {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    let name = format!("arnet{}", std::env::consts::EXE_SUFFIX);
    // Beside the app (target/debug/arnet-app), or one level up from a test binary
    // (target/debug/deps/ui-HASH).
    let beside = exe
        .ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join(&name))
        .find(|path| path.is_file());
    beside.or_else(|| {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join(&name))
            .find(|path| path.is_file())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in `arnet` (a shell script) that prints `events` on stdout as the trainer's
    /// JSON lines and `stderr` lines on stderr, writes OUT/best.safetensors when `writes` and
    /// exits with `code`; returns the job's events until its outcome.
    #[cfg(unix)]
    fn run_fake_trainer(
        name: &str,
        events: &[TrainingEvent],
        stderr: &[&str],
        writes: bool,
        code: i32,
    ) -> Vec<FineTuneEvent> {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("arnet-fake-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let gallery = dir.join("gallery");
        std::fs::create_dir_all(&gallery).unwrap();
        image::RgbImage::new(8, 8)
            .save(gallery.join("a.png"))
            .unwrap();
        let mut echo: String = stderr.iter().map(|l| format!("echo '{l}' >&2\n")).collect();
        echo.push_str("echo 'epoch 1/1: a line for people on stdout'\n");
        for event in events {
            echo.push_str(&format!("echo '{}'\n", event.to_line()));
        }
        let write = if writes {
            "mkdir -p \"$out\" && touch \"$out/best.safetensors\"\n"
        } else {
            ""
        };
        let script = format!(
            "#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = --out ] && out=$2; shift; done\n\
             {echo}{write}exit {code}\n"
        );
        let arnet = dir.join("arnet");
        std::fs::write(&arnet, script).unwrap();
        std::fs::set_permissions(&arnet, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut job = FineTuneJob::start(&FineTuneSpec {
            arnet,
            gallery,
            dataset: None,
            weights: dir.join("model.safetensors"),
            run: dir.join("run"),
            epochs: 1,
            extra_args: Vec::new(),
        })
        .unwrap();
        let mut events = Vec::new();
        for _ in 0..500 {
            events.extend(job.poll());
            if job.is_finished() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        std::fs::remove_dir_all(&dir).unwrap();
        events
    }

    fn epoch(acc1: f64, best: bool) -> TrainingEvent {
        TrainingEvent::Epoch {
            epoch: 1,
            epochs: 2,
            loss: Some(1.0),
            val: [acc1, 60.0, 90.0],
            best,
        }
    }

    /// Success is the trainer's exit status, not the absence of `error:` lines (wgpu prints
    /// one without XDG_RUNTIME_DIR even when all goes well).
    #[cfg(unix)]
    #[test]
    fn the_outcome_is_the_exit_status() {
        let untrained = TrainingEvent::Untrained {
            val: [10.0, 40.0, 50.0],
        };
        let ok = run_fake_trainer(
            "ok",
            &[untrained.clone(), epoch(20.0, true), epoch(15.0, false)],
            &["error: XDG_RUNTIME_DIR is invalid or not set in the environment."],
            true,
            0,
        );
        assert!(
            ok.contains(&FineTuneEvent::Trainer(untrained)),
            "events pass through: {ok:?}"
        );
        assert!(
            matches!(ok.last(), Some(FineTuneEvent::Finished { before: Some(b), after: Some(a), .. }) if *b == 10.0 && *a == 20.0),
            "{ok:?}"
        );
        let failed = run_fake_trainer("failed", &[], &["error: DATA: no photos"], false, 1);
        assert_eq!(
            failed.last(),
            Some(&FineTuneEvent::Failed("error: DATA: no photos".into()))
        );
    }

    /// With `--average-from` the best weights can be a weight average: its figure is the
    /// "after" (the trainer's text said so in a line the app did not understand).
    #[cfg(unix)]
    #[test]
    fn a_weight_average_that_validates_best_is_the_after_figure() {
        let events = run_fake_trainer(
            "average",
            &[
                TrainingEvent::Untrained {
                    val: [10.0, 40.0, 50.0],
                },
                epoch(20.0, true),
                TrainingEvent::WeightAverage {
                    epoch: 2,
                    from: 1,
                    val: [25.0, 60.0, 90.0],
                    best: true,
                },
            ],
            &[],
            true,
            0,
        );
        assert!(
            matches!(events.last(), Some(FineTuneEvent::Finished { after: Some(a), .. }) if *a == 25.0),
            "{events:?}"
        );
    }
}
