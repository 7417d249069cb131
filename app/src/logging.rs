//! The app's log: `log` records from the app and from its libraries (wgpu, winit, eframe, rfd)
//! go to stderr through `env_logger` (`RUST_LOG` picks what; by default warnings and errors,
//! and the app's own info lines), and the latest *error* is also kept for the status bar.
//!
//! Why keep errors: some failures reach the app only as a log record. rfd's file dialog, when
//! no desktop portal answers, logs an error and returns "nothing chosen", which looks exactly
//! like a cancelled dialog; wgpu reports a lost or failing adapter the same way. Without this,
//! those failures were silent in the window.

use std::sync::Mutex;

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "warn,arnet_app=info,arnet_model=info";

/// The newest error record, as `target: message`, with its number (1 for the first): each
/// reader remembers the last number it showed ([`error_since`]).
static LATEST_ERROR: Mutex<(u64, Option<String>)> = Mutex::new((0, None));

/// Forwards every record to `env_logger` and remembers the newest error.
struct KeepingErrors {
    inner: env_logger::Logger,
}

impl log::Log for KeepingErrors {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() == log::Level::Error || self.inner.enabled(metadata)
    }

    fn log(&self, record: &log::Record<'_>) {
        if record.level() == log::Level::Error {
            remember_error(record.target(), &record.args().to_string());
        }
        if self.inner.enabled(record.metadata()) {
            self.inner.log(record);
        }
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

/// Installs the logger (once; later calls do nothing).
pub fn init() {
    let inner =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(DEFAULT_FILTER))
            .build();
    let max_level = inner.filter().max(log::LevelFilter::Error);
    if log::set_boxed_logger(Box::new(KeepingErrors { inner })).is_ok() {
        log::set_max_level(max_level);
    }
}

/// Keeps `message` (from `target`) as the newest error for the status bar.
pub fn remember_error(target: &str, message: &str) {
    let text = if target.is_empty() {
        message.to_string()
    } else {
        format!("{target}: {message}")
    };
    let mut latest = LATEST_ERROR.lock().unwrap_or_else(|e| e.into_inner());
    *latest = (latest.0 + 1, Some(text));
}

/// The newest error if it is newer than number `seen`, with its number.
pub fn error_since(seen: u64) -> Option<(u64, String)> {
    let latest = LATEST_ERROR.lock().unwrap_or_else(|e| e.into_inner());
    match &latest.1 {
        Some(text) if latest.0 > seen => Some((latest.0, text.clone())),
        _ => None,
    }
}
