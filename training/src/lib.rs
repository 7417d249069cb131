//! Training, evaluation and data tools for ARNet, behind the `arnet` command line.
//!
//! - [`augment`]: the training views A0 / A1;
//! - [`dataset`]: Clothes-V1-style folders, pairing and the pre-training check;
//! - [`evaluate`]: Acc@1/5/10 evaluation; [`categories`]: category precision@10 from labels; [`on_the_fly`]: m@A / m@B over stroke lists;
//! - [`recipe`], [`train`], [`step`], [`batches`], [`checkpoint`], [`optimizer`], [`averaging`],
//!   [`metrics`]: `arnet train`;
//! - [`fashion_mnist`]: real product photos as a data folder (`arnet data fashion-mnist`);
//! - [`fine_tune`]: `arnet fine-tune`, what the app's "Fine-tune on this gallery" runs;
//! - [`freehand`]: free-hand drawings of a kind of garment, from its description, not a photo
//!   (the category term of training);
//! - [`synth`]: the synthetic Clothes-V1-style data generator (`arnet synth`);
//! - [`pseudo_sketch`]: sketches drawn from photos by HED or Canny (`arnet pseudo-sketch`);
//!   [`traced_sketch`]: sketches traced from a photo's silhouette ([`silhouette`]), several
//!   hands per photo;
//!   [`pseudo_pairs`]: them in training (`arnet train --pseudo-sketches`).

pub mod augment;
pub mod averaging;
pub mod batches;
pub mod categories;
pub mod checkpoint;
pub mod dataset;
pub mod evaluate;
pub mod fashion_mnist;
pub mod feedback_eval;
pub mod fine_tune;
pub mod freehand;
pub mod kind_check;
pub mod metrics;
pub mod on_the_fly;
pub mod optimizer;
pub mod pseudo_pairs;
pub mod pseudo_sketch;
pub mod recipe;
pub mod rng;
mod run_setup;
pub mod silhouette;
pub mod step;
pub mod synth;
pub mod traced_sketch;
pub mod train;
