//! ARNet (AAAI 2025) for fine-grained sketch-based image retrieval, in Burn.
//!
//! Everything both front ends (the `arnet` CLI / trainer and the desktop app) need:
//! - [`backbone`]: the backbones with timm's structures and names: [`vit`] (with the
//!   [`patch_norm`] for training from scratch) and EfficientNet-Lite;
//! - [`mstr`]: multi-scale token recycling and its loss target;
//! - [`encoder`]: the ARNet encoder (backbone + 512-d head) and the sketch/photo pair;
//! - [`loss`]: Eq. 4-6;
//! - [`preprocess`]: image decoding and PIL-exact resizing to the model input;
//! - [`raster`]: the stroke rasteriser shared by the app canvas and synthetic sketches;
//! - [`weights`]: the authors' checkpoints, timm weights and our own format;
//! - [`retrieval`]: normalised embeddings and cosine top-k;
//! - [`pseudo_sketch`]: line drawings from photos (HED or Canny) for photos-only training;
//! - [`embed`]: batch embedding of prepared images; [`query`]: the one path of a query
//!   (sketch -> input -> embedding -> search), shared by the CLI and the app;
//! - [`events`]: a training run's events as JSON lines (trainer -> app);
//! - [`device`]: backend selection; [`allocator`]: malloc settings for tensor work.
//!
//! The model and its numbers are described in `docs/model.md`; parity with PyTorch/timm is
//! tested in `tests/`.

pub mod allocator;
pub mod backbone;
pub mod category_loss;
pub mod colour;
pub mod cpu_conv;
pub mod cpu_transformer;
pub mod device;
pub mod embed;
pub mod encoder;
pub mod events;
pub mod feedback;
mod flex_kernels;
pub mod fsutil;
pub mod gallery;
pub mod hash;
pub mod loss;
pub mod mstr;
pub mod parallel;
pub mod params;
pub mod precision;
pub mod preprocess;
pub mod pseudo_sketch;
pub mod query;
pub mod raster;
pub mod retrieval;
pub mod shadow;
pub mod sketch_frame;
pub mod weights;

pub use backbone::{BackboneConfig, patch_norm, vit};
pub use burn;
pub use device::Backend;
pub use encoder::{ArnetEncoder, ArnetEncoderConfig, ArnetPair, EncoderOutput, EncoderRole};
pub use mstr::MstrConfig;
pub use vit::VitConfig;
