//! The window's panels, one per file, each a struct with a `ui` method (the layout of egui's
//! demo app): [`toolbar`], [`tools`], [`canvas`], [`rank_plot`], [`results`],
//! [`selected_photo`], [`fine_tune`] and [`status_bar`].
//!
//! A panel draws from the state it is handed and reports what the user asked for as
//! [`Action`]s; [`crate::SketchApp`] applies them after the frame's panels are drawn. So a panel
//! never reaches into another's state, and what a click does is in one place
//! (`SketchApp::apply`).

pub mod canvas;
pub mod fine_tune;
pub mod rank_plot;
pub mod results;
pub mod selected_photo;
pub mod status_bar;
pub mod toolbar;
pub mod tools;

use std::path::PathBuf;

use arnet_model::raster::Stroke;

use self::tools::Tool;

/// What the user asked for in a panel.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Index this folder as the gallery.
    OpenGallery(PathBuf),
    /// Load this weight file.
    OpenWeights(PathBuf),
    /// Ask for a gallery folder with the file dialog.
    ChooseGallery,
    /// Ask for a weight file with the file dialog.
    ChooseWeights,
    /// Ask for a sketch image to search with (file dialog).
    ChooseSketchToOpen,
    /// Ask where to save the drawing as a PNG (file dialog).
    ChooseSketchToSave,
    /// Search with this sketch image.
    OpenSketch(PathBuf),
    /// Write the drawing as a PNG here.
    SaveSketch(PathBuf),
    /// A stroke was drawn (normalised coordinates).
    AddStroke(Stroke),
    /// The eraser touched this point (normalised coordinates).
    EraseAt([f32; 2]),
    /// Undo the last change to the strokes.
    Undo,
    /// Redo it.
    Redo,
    /// Clear the canvas.
    Clear,
    /// Draw with this tool.
    SetTool(Tool),
    /// Multiply the pen width by this factor (kept within the slider's range).
    ScalePenWidth(f32),
    /// The colour swatch or its weight changed: search again.
    ColourChanged,
    /// Show this many results.
    SetResultCount(usize),
    /// Close the result window (Esc).
    Dismiss,
    /// Show this result large.
    Select(PathBuf),
    /// Track this photo's rank while drawing (none: stop).
    Track(Option<PathBuf>),
    /// Save the sketch and this photo as a training pair in this dataset folder.
    SaveTrainingPair {
        /// The dataset folder.
        dataset: PathBuf,
        /// The photo.
        photo: PathBuf,
    },
    /// Show this file in the platform's file manager.
    Reveal(PathBuf),
    /// Stop indexing the gallery.
    CancelIndex,
    /// Fine-tune the current model on the gallery for this many epochs.
    StartFineTune {
        /// Epochs.
        epochs: usize,
    },
    /// Stop fine-tuning.
    CancelFineTune,
    /// Search this shared catalogue (a PostgreSQL URL; none: this machine only).
    SetStore(Option<String>),
    /// "More like this" on this photo.
    Like(PathBuf),
    /// "Not this" on this photo.
    Unlike(PathBuf),
    /// Remove the mark on this photo (its chip's ×).
    Unmark(PathBuf),
    /// The shadow was switched on or off: search again to draw (or drop) it.
    ShadowChanged,
}
