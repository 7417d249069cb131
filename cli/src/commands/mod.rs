//! One module per `arnet` subcommand: its flags and its `run`.

pub mod check;
pub mod data;
pub mod embed;
pub mod eval;
pub mod fine_tune;
pub mod freehand;
pub mod index;
pub mod pseudo_sketch;
pub mod search;
pub mod synth;
pub mod train;
