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
//! kept when fine-tuning did not improve it). This module follows its stderr line by line.

use std::io::{BufRead, BufReader};
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

/// What the job reports.
#[derive(Debug, Clone, PartialEq)]
pub enum FineTuneEvent {
    /// The data folder is ready: photos and drawn sketches found.
    Prepared {
        /// Photos to train on.
        photos: usize,
        /// Drawn (saved) sketches among the training pairs.
        sketches: usize,
    },
    /// The starting model's validation Acc@1 (percent).
    Before(f64),
    /// A training step finished.
    Step {
        /// 1-based epoch.
        epoch: usize,
        /// Epochs in all.
        epochs: usize,
        /// Steps done in this epoch.
        step: usize,
        /// Steps in this epoch.
        steps: usize,
        /// Mean loss so far in this epoch.
        loss: f64,
    },
    /// An epoch finished.
    Epoch {
        /// 1-based epoch.
        epoch: usize,
        /// Epochs in all.
        epochs: usize,
        /// Mean training loss.
        loss: f64,
        /// Validation Acc@1, Acc@5, Acc@10 (percent).
        val: [f64; 3],
    },
    /// The held-out check: Acc@1 before and after, and whether the starting model was kept
    /// because fine-tuning did not improve it.
    Outcome {
        /// Held-out Acc@1 of the starting model.
        before: f64,
        /// Held-out Acc@1 of the best fine-tuned epoch.
        after: f64,
        /// The starting model was kept.
        kept_start: bool,
    },
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
    pub fn start(spec: &FineTuneSpec) -> Result<Self, String> {
        if spec.run.exists() {
            return Err(format!("{}: already exists", spec.run.display()));
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
            .args(["--epochs", &spec.epochs.to_string(), "--progress-lines"]);
        if let Some(dataset) = &spec.dataset {
            command.arg("--dataset").arg(dataset);
        }
        let mut child = command
            .args(&spec.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", spec.arnet.display()))?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let (sender, messages) = channel();
        std::thread::spawn(move || read_trainer_output(BufReader::new(stderr), &sender));
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
                    last_error,
                } => {
                    self.ended = Some(TrainerEnd {
                        before,
                        after,
                        kept_start,
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
            last_error,
        } = self.ended.take().expect("ended");
        events.push(if self.cancelled {
            FineTuneEvent::Cancelled
        } else if status.success() && self.weights.is_file() {
            FineTuneEvent::Finished {
                weights: self.weights.clone(),
                before,
                after,
                kept_start,
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

/// Turns the trainer's stderr into events; when it closes, says so with what the outcome needs.
/// Error lines are kept for the message only: libraries print `error:` lines that are not
/// failures (wgpu without `XDG_RUNTIME_DIR`), so success is the exit status.
fn read_trainer_output(stderr: impl BufRead, sender: &Sender<Message>) {
    let (mut before, mut after, mut kept_start, mut last_error) = (None, None, false, None);
    for line in stderr.lines().map_while(Result::ok) {
        let event = parse_line(&line);
        match &event {
            Some(FineTuneEvent::Before(acc)) => before = Some(*acc),
            Some(FineTuneEvent::Epoch { val, .. }) if line.contains("best so far") => {
                after = Some(val[0]);
            }
            Some(FineTuneEvent::Outcome {
                before: b,
                after: a,
                kept_start: k,
            }) => (before, after, kept_start) = (Some(*b), Some(*a), *k),
            None if line.starts_with("error") => last_error = Some(line.clone()),
            _ => {}
        }
        if let Some(event) = event
            && sender.send(Message::Event(event)).is_err()
        {
            return;
        }
    }
    let _ = sender.send(Message::Eof {
        before,
        after,
        kept_start,
        last_error,
    });
}

/// One trainer line as an event: the `untrained:` line, a `progress:` step line
/// (`--progress-lines`) or an epoch summary.
pub fn parse_line(line: &str) -> Option<FineTuneEvent> {
    let number_after = |key: &str| -> Option<f64> {
        let rest = &line[line.find(key)? + key.len()..];
        let token = rest.split_whitespace().next()?;
        token.trim_end_matches([':', '%']).parse().ok()
    };
    let fraction_after = |key: &str| -> Option<(usize, usize)> {
        let rest = &line[line.find(key)? + key.len()..];
        let token = rest.split_whitespace().next()?.trim_end_matches(':');
        let (a, b) = token.split_once('/')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    };
    if let Some(rest) = line.strip_prefix("fine-tune: ") {
        if rest.starts_with("held-out Acc@1") {
            return Some(FineTuneEvent::Outcome {
                before: number_after("before ")?,
                after: number_after("after ")?,
                kept_start: rest.contains("kept the starting model"),
            });
        }
        let mut numbers = rest
            .split(|c: char| !c.is_ascii_digit())
            .filter(|t| !t.is_empty());
        let photos = numbers.next()?.parse().ok()?;
        let sketches = numbers.next()?.parse().ok()?;
        return Some(FineTuneEvent::Prepared { photos, sketches });
    }
    if line.starts_with("untrained:") {
        return number_after("val Acc@1").map(FineTuneEvent::Before);
    }
    if line.starts_with("progress:") {
        let (epoch, epochs) = fraction_after("epoch ")?;
        let (step, steps) = fraction_after("step ")?;
        return Some(FineTuneEvent::Step {
            epoch,
            epochs,
            step,
            steps,
            loss: number_after("loss ")?,
        });
    }
    if line.starts_with("epoch ") {
        let (epoch, epochs) = fraction_after("epoch ")?;
        return Some(FineTuneEvent::Epoch {
            epoch,
            epochs,
            loss: number_after("loss ")?,
            val: [
                number_after("val Acc@1")?,
                number_after("Acc@5")?,
                number_after("Acc@10")?,
            ],
        });
    }
    None
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

    /// A stand-in `arnet` (a shell script) that prints `lines`, writes OUT/best.safetensors
    /// when `writes` and exits with `code`; returns the job's events until its outcome.
    #[cfg(unix)]
    fn run_fake_trainer(name: &str, lines: &[&str], writes: bool, code: i32) -> Vec<FineTuneEvent> {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("arnet-fake-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let gallery = dir.join("gallery");
        std::fs::create_dir_all(&gallery).unwrap();
        image::RgbImage::new(8, 8)
            .save(gallery.join("a.png"))
            .unwrap();
        let echo: String = lines.iter().map(|l| format!("echo '{l}' >&2\n")).collect();
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

    /// Success is the trainer's exit status, not the absence of `error:` lines (wgpu prints
    /// one without XDG_RUNTIME_DIR even when all goes well).
    #[cfg(unix)]
    #[test]
    fn the_outcome_is_the_exit_status() {
        let ok = run_fake_trainer(
            "ok",
            &[
                "error: XDG_RUNTIME_DIR is invalid or not set in the environment.",
                "untrained: val Acc@1 10.00%  Acc@10 50.00%",
                "epoch 1/1: loss 1.0  val Acc@1 20.00%  Acc@5 60.00%  Acc@10 90.00%  (1 s, 1.0 pairs/s)  best so far",
            ],
            true,
            0,
        );
        assert!(
            matches!(ok.last(), Some(FineTuneEvent::Finished { before: Some(b), after: Some(a), .. }) if *b == 10.0 && *a == 20.0),
            "{ok:?}"
        );
        let failed = run_fake_trainer("failed", &["error: DATA: no photos"], false, 1);
        assert_eq!(
            failed.last(),
            Some(&FineTuneEvent::Failed("error: DATA: no photos".into()))
        );
    }

    #[test]
    fn trainer_lines_become_events() {
        assert_eq!(
            parse_line("untrained: val Acc@1 6.67%  Acc@10 70.00%"),
            Some(FineTuneEvent::Before(6.67))
        );
        assert_eq!(
            parse_line("progress: epoch 2/3 step 4/9 loss 1.2500"),
            Some(FineTuneEvent::Step {
                epoch: 2,
                epochs: 3,
                step: 4,
                steps: 9,
                loss: 1.25
            })
        );
        assert_eq!(
            parse_line(
                "epoch 1/2: loss 23.2231  val Acc@1 6.67%  Acc@5 30.00%  Acc@10 73.33%  \
                 (113 s, 2.4 pairs/s)  best so far"
            ),
            Some(FineTuneEvent::Epoch {
                epoch: 1,
                epochs: 2,
                loss: 23.2231,
                val: [6.67, 30.0, 73.33]
            })
        );
        assert_eq!(parse_line("train: 300 sketches, 150 photos"), None);
        assert_eq!(
            parse_line("fine-tune: 200 photos, 3 drawn sketches"),
            Some(FineTuneEvent::Prepared {
                photos: 200,
                sketches: 3
            })
        );
        assert_eq!(
            parse_line(
                "fine-tune: held-out Acc@1 before 40.00% after 55.50%: the fine-tuned model is \
                 run/best.safetensors"
            ),
            Some(FineTuneEvent::Outcome {
                before: 40.0,
                after: 55.5,
                kept_start: false
            })
        );
        assert_eq!(
            parse_line(
                "fine-tune: held-out Acc@1 before 40.00% after 38.00%: no better, kept the \
                 starting model (run/best.safetensors is the starting model)"
            ),
            Some(FineTuneEvent::Outcome {
                before: 40.0,
                after: 38.0,
                kept_start: true
            })
        );
    }
}
