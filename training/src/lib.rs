//! Training, evaluation and data tools for ARNet, behind the `arnet` command line.
//!
//! - [`augment`]: the training views A0 / A1;
//! - [`dataset`]: Clothes-V1-style folders, pairing and the pre-training check;
//! - [`evaluate`]: Acc@1/5/10 evaluation;
//! - [`synth`]: the synthetic Clothes-V1-style data generator (`arnet synth`).

pub mod augment;
pub mod dataset;
pub mod evaluate;
pub mod rng;
pub mod synth;
