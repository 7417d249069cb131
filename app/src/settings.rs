//! What the app remembers between runs (stored by eframe's persistence, as JSON).
//!
//! Every field has a default (`#[serde(default)]`), so settings written by an older or newer
//! version load without error: unknown fields are ignored, missing ones take their default.

use std::path::PathBuf;

use arnet_model::raster::{DEFAULT_STROKE_WIDTH, Stroke};
use serde::{Deserialize, Serialize};

/// Key under which the settings are stored.
pub const STORAGE_KEY: &str = "arnet-sketch-settings";

/// The persisted state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Last gallery folder (none: the bundled demo gallery).
    pub gallery: Option<PathBuf>,
    /// Last weights file (none: the bundled demo model).
    pub weights: Option<PathBuf>,
    /// Head-count override for weights without a config.
    pub heads: Option<usize>,
    /// Pen width relative to the canvas side.
    pub pen_width: f32,
    /// The sketch on the canvas.
    pub strokes: Vec<Stroke>,
    /// Data folder that "save as training pair" writes to.
    pub dataset: Option<PathBuf>,
    /// Shared catalogue (a PostgreSQL + pgvector URL) searched instead of this machine's
    /// index; none: this machine only.
    pub store_url: Option<String>,
    /// The colour swatch (sRGB): results are re-ranked by how close each photo's garment colour
    /// is to it; none: shape only.
    pub colour: Option<[u8; 3]>,
    /// How much the colour counts against the shape (docs/colour.md).
    pub colour_weight: f32,
    /// Results shown.
    pub result_count: usize,
    /// Whether the shadow of the best matches is drawn under the strokes (docs/app.md).
    pub shadow: bool,
    /// How dark the shadow is drawn at its darkest (0 to 1).
    pub shadow_opacity: f32,
}

/// The shadow's opacity until the user moves the slider: visible, never mistaken for ink.
pub const DEFAULT_SHADOW_OPACITY: f32 = 0.4;

/// The result counts offered.
pub const RESULT_COUNTS: [usize; 4] = [10, 20, 50, 100];

impl Default for Settings {
    fn default() -> Self {
        Self {
            gallery: None,
            weights: None,
            heads: None,
            pen_width: DEFAULT_STROKE_WIDTH,
            strokes: Vec::new(),
            dataset: None,
            store_url: None,
            colour: None,
            colour_weight: arnet_model::colour::DEFAULT_COLOUR_WEIGHT,
            result_count: RESULT_COUNTS[0],
            shadow: true,
            shadow_opacity: DEFAULT_SHADOW_OPACITY,
        }
    }
}

impl Settings {
    /// Serialises to the stored text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("settings serialise")
    }

    /// Reads stored text; anything unreadable gives the defaults.
    pub fn from_json(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tolerant_reading() {
        let settings = Settings {
            gallery: Some("/photos".into()),
            weights: Some("/w.safetensors".into()),
            heads: Some(4),
            pen_width: 0.02,
            strokes: vec![Stroke::new(vec![[0.1, 0.2], [0.3, 0.4]], 0.02)],
            dataset: None,
            store_url: Some("postgres://arnet@127.0.0.1:55432/arnet".into()),
            colour: Some([200, 30, 40]),
            colour_weight: 0.5,
            result_count: 50,
            shadow: false,
            shadow_opacity: 0.5,
        };
        assert_eq!(Settings::from_json(&settings.to_json()), settings);
        let partial = Settings::from_json(r#"{"pen_width": 0.03, "future_field": 1}"#);
        assert_eq!(partial.pen_width, 0.03);
        assert_eq!(partial.gallery, None);
        assert!(
            partial.shadow,
            "settings of older versions get the shadow on"
        );
        assert_eq!(Settings::from_json("not json"), Settings::default());
    }
}
