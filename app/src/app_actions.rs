//! [`SketchApp`] doing what its panels and the keyboard asked for ([`Action`]): the one place
//! where a click or a shortcut takes effect.

use crate::panels::Action;
use crate::panels::canvas::Canvas;
use crate::panels::tools::PEN_WIDTHS;
use crate::status::CatalogueStatus;
use crate::worker::Request;
use crate::{SketchApp, annotate, dialogs};

impl SketchApp {
    /// Does what a panel asked for.
    pub(crate) fn apply(&mut self, action: Action) {
        match action {
            Action::OpenGallery(folder) => self.open_gallery(folder),
            Action::OpenWeights(file) => self.open_weights(file),
            Action::ChooseGallery => {
                if let Some(folder) = dialogs::gallery_folder() {
                    self.open_gallery(folder);
                }
            }
            Action::ChooseWeights => {
                if let Some(file) = dialogs::weights_file() {
                    self.open_weights(file);
                }
            }
            Action::ChooseSketchToOpen => {
                if let Some(file) = dialogs::sketch_to_open() {
                    self.open_sketch(&file);
                }
            }
            Action::ChooseSketchToSave => {
                if let Some(file) = dialogs::sketch_to_save() {
                    self.save_sketch(&file);
                }
            }
            Action::OpenSketch(file) => self.open_sketch(&file),
            Action::SaveSketch(file) => self.save_sketch(&file),
            Action::AddStroke(stroke) => self.add_stroke(stroke),
            Action::EraseAt(point) => {
                if self.sketch.erase_at(point, Canvas::eraser_radius()) > 0 {
                    self.sketch_changed();
                }
            }
            Action::Undo => self.undo(),
            Action::Redo => self.redo(),
            Action::Clear => self.clear(),
            Action::SetTool(tool) => self.tools.tool = tool,
            Action::ScalePenWidth(factor) => {
                self.settings.pen_width = (self.settings.pen_width * factor)
                    .clamp(*PEN_WIDTHS.start(), *PEN_WIDTHS.end());
            }
            Action::ColourChanged => self.request_query(),
            Action::SetResultCount(count) => {
                self.settings.result_count = count;
                self.request_query();
            }
            Action::Dismiss => {
                if self.selected_photo.path.take().is_none() {
                    self.log_error = None;
                }
            }
            Action::Select(photo) => self.selected_photo.path = Some(photo),
            Action::Track(photo) => self.set_target(photo),
            Action::SaveTrainingPair { dataset, photo } => {
                self.settings.dataset = Some(dataset.clone());
                let sketch = self.query_raster();
                self.message = Some(
                    match annotate::save_training_pair(&dataset, &photo, &sketch) {
                        Ok(saved) => format!("saved {}", saved.sketch.display()),
                        Err(e) => format!("{e:#}"),
                    },
                );
            }
            Action::Reveal(path) => {
                if let Err(e) = opener::reveal(&path) {
                    log::warn!("cannot show {} in a file manager: {e}", path.display());
                    self.message = Some(format!(
                        "cannot show {} in a file manager: {e}",
                        path.display()
                    ));
                }
            }
            Action::CancelIndex => self.worker.send(Request::CancelIndex),
            Action::SetStore(url) => {
                self.settings.store_url = url.clone();
                self.catalogue = if url.is_some() {
                    CatalogueStatus::Syncing(String::new())
                } else {
                    CatalogueStatus::Off
                };
                self.worker.send(Request::SetStore(url));
            }
            Action::Like(photo) => {
                self.feedback.like(photo);
                self.request_query();
            }
            Action::Unlike(photo) => {
                if self.selected_photo.path.as_ref() == Some(&photo) {
                    // It leaves the results; its window goes with it.
                    self.selected_photo.path = None;
                }
                self.feedback.unlike(photo);
                self.request_query();
            }
            Action::Unmark(photo) => {
                self.feedback.forget(&photo);
                self.request_query();
            }
            Action::ShadowChanged => self.request_query(),
            Action::StartFineTune { epochs } => self.start_fine_tune(epochs, Vec::new()),
            Action::CancelFineTune => {
                if let Some(job) = &mut self.fine_tune {
                    job.cancel();
                }
            }
        }
    }
}
