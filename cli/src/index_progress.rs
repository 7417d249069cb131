//! What `arnet index` shows while it embeds: a bar with the rate and the time left on a
//! terminal, a line a second otherwise (logs, pipes, tests).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use arnet_model::gallery::Progress;
use indicatif::{ProgressBar, ProgressStyle};

/// Reports an indexing run's [`Progress`].
pub struct IndexProgress {
    bar: Option<ProgressBar>,
    last_line: Option<Instant>,
}

impl IndexProgress {
    /// A bar when stderr is a terminal, else plain lines.
    pub fn new() -> Self {
        Self {
            bar: std::io::stderr().is_terminal().then(|| {
                let bar = ProgressBar::new(0);
                bar.set_style(
                    ProgressStyle::with_template("indexing [{bar:30}] {pos}/{len} photos {msg}")
                        .expect("valid template")
                        .progress_chars("=> "),
                );
                bar
            }),
            last_line: None,
        }
    }

    /// Shows `progress`; always continues (returns true).
    pub fn update(&mut self, progress: Progress) -> bool {
        let status = describe(&progress);
        match &self.bar {
            Some(bar) => {
                bar.set_length(progress.total as u64);
                bar.set_position(progress.done as u64);
                bar.set_message(status);
            }
            None => {
                let due = self
                    .last_line
                    .is_none_or(|at| at.elapsed() >= Duration::from_secs(1));
                if due || progress.done == progress.total {
                    eprintln!("indexed {}/{}{status}", progress.done, progress.total);
                    self.last_line = Some(Instant::now());
                }
            }
        }
        true
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `" (12.3 photos/s, 4m05s left)"` once photos are being embedded, else nothing.
fn describe(progress: &Progress) -> String {
    match (progress.rate(), progress.remaining()) {
        (Some(rate), Some(left)) => {
            let seconds = left.as_secs();
            format!(
                " ({rate:.1} photos/s, {}m{:02}s left)",
                seconds / 60,
                seconds % 60
            )
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_gives_the_rate_and_the_time_left() {
        let progress = Progress {
            done: 150,
            total: 1150,
            embedded: 100,
            elapsed: Duration::from_secs(10),
        };
        assert_eq!(describe(&progress), " (10.0 photos/s, 1m40s left)");
        let nothing_embedded = Progress {
            embedded: 0,
            ..progress
        };
        assert_eq!(describe(&nothing_embedded), "");
    }
}
