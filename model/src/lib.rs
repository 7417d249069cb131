//! ARNet (AAAI 2025) for fine-grained sketch-based image retrieval, in Burn.
//!
//! Everything both front ends (the `arnet` CLI / trainer and the desktop app) need:
//! - [`vit`]: the ViT backbone with timm's structure and names;
//! - [`mstr`]: multi-scale token recycling and its loss target;
//! - [`encoder`]: the ARNet encoder (backbone + 512-d head) and the sketch/photo pair;
//! - [`loss`]: Eq. 4-6;
//! - [`preprocess`]: image decoding and PIL-exact resizing to the model input;
//! - [`raster`]: the stroke rasteriser shared by the app canvas and synthetic sketches;
//! - [`weights`]: the authors' checkpoints, timm weights and our own format;
//! - [`retrieval`]: normalised embeddings and cosine top-k;
//! - [`embed`]: batch embedding of prepared images;
//! - [`device`]: backend selection.
//!
//! The numbers come from `ARNET-SPEC.md`; parity with PyTorch/timm is tested in `tests/`.

pub mod device;
pub mod embed;
pub mod encoder;
pub mod fsutil;
pub mod gallery;
pub mod loss;
pub mod mstr;
pub mod parallel;
pub mod params;
pub mod patch_norm;
pub mod precision;
pub mod preprocess;
pub mod raster;
pub mod retrieval;
pub mod vit;
pub mod weights;

pub use burn;
pub use device::Backend;
pub use encoder::{ArnetEncoder, ArnetEncoderConfig, ArnetPair, EncoderOutput, EncoderRole};
pub use mstr::MstrConfig;
pub use vit::VitConfig;
