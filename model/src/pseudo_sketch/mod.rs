//! Pseudo-sketches: line drawings made from photos, for training without drawn sketches.
//!
//! ARNet learns from sketch/photo pairs, but a new garment collection usually comes with
//! photos only. An edge detector turns each photo into something a person could have drawn
//! (dark strokes on white, the outline and the main inner lines), and those pairs train (or
//! pre-train) the sketch encoder on the photos' own domain (issue 13). Two methods:
//! - [`hed`]: HED (BSDS500 weights converted by `scripts/convert_pretrained.sh --only hed`),
//!   which draws the contours people draw and leaves texture out: the better sketches;
//! - [`canny`]: Canny on the photo, no weights at all, so that tests, CI and users without the
//!   converted file still get sketches.
//!
//! Both end in the same [`postprocess`]: non-maximum suppression, hysteresis, thinning and
//! strokes of sketch width ([`postprocess::stroke_width_for`]: 2.5 px at 224 px) on white, as
//! RGB at the photo's own size.

pub mod canny;
pub mod hed;
pub mod postprocess;

use burn::tensor::Device;
use image::RgbImage;

pub use canny::CannyParams;
pub use hed::{Hed, HedEdgeParams};
use postprocess::{Mask, render_strokes, stroke_width_for, thin};

/// How pseudo-sketches are made.
#[derive(Debug)]
pub enum PseudoSketcher {
    /// HED on `device`, its probabilities turned into edges with `params`.
    Hed {
        /// The network.
        net: Box<Hed>,
        /// Where it runs.
        device: Device,
        /// The post-processing settings.
        params: HedEdgeParams,
    },
    /// Canny with these settings.
    Canny(CannyParams),
}

impl PseudoSketcher {
    /// HED with the default post-processing.
    pub fn hed(net: Hed, device: Device) -> Self {
        Self::Hed {
            net: Box::new(net),
            device,
            params: HedEdgeParams::default(),
        }
    }

    /// Canny with the default settings.
    pub fn canny() -> Self {
        Self::Canny(CannyParams::default())
    }

    /// The method's name (`hed` or `canny`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Hed { .. } => "hed",
            Self::Canny(_) => "canny",
        }
    }

    /// The thin edges of `photo` (before thinning and rendering).
    pub fn edges(&self, photo: &RgbImage) -> Mask {
        match self {
            Self::Hed {
                net,
                device,
                params,
            } => hed::hed_edges(&net.edge_probabilities(photo, device), params),
            Self::Canny(params) => canny::canny_edges(photo, params),
        }
    }

    /// The pseudo-sketch of `photo`: dark strokes on white, RGB, the photo's size.
    pub fn sketch(&self, photo: &RgbImage) -> RgbImage {
        draw(&self.edges(photo))
    }
}

/// Strokes of sketch width along the one-pixel skeleton of `edges`.
pub fn draw(edges: &Mask) -> RgbImage {
    render_strokes(&thin(edges), stroke_width_for(edges.width, edges.height))
}
