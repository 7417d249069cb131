//! The app's tests, one test binary (each test binary links the whole tree: docs/build.md):
//! `ui` drives the whole app headless with egui_kittest, `desktop` the parts that talk to the
//! desktop (clipboard, file manager, drag and drop, keyboard).

#[path = "../../../tests/support/database.rs"]
mod database;
mod desktop;
mod support;
mod ui;
