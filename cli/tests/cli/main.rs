//! The `arnet` command line end to end, one test binary (each test binary links the whole
//! tree: docs/build.md). Every module runs the built `arnet` as a user would.

#[path = "../../../tests/support/database.rs"]
mod database;
#[path = "../../../training/tests/support/train_data.rs"]
mod train_data;

mod cli_authors;
mod cli_data;
mod cli_embed;
mod cli_index;
mod cli_pseudo_sketch;
mod cli_real_photos;
mod cli_store;
mod cli_train;
mod fixtures;
mod synth;
