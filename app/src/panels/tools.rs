//! The row above the canvas: pen or eraser, pen width, undo / redo / clear, stroke count.

use super::Action;
use crate::sketch::Sketch;

/// The drawing tool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tool {
    /// Draws strokes.
    #[default]
    Pen,
    /// Removes the strokes it touches.
    Eraser,
}

/// The tools row and the chosen tool.
#[derive(Debug, Default)]
pub struct Tools {
    /// The tool in use.
    pub tool: Tool,
}

impl Tools {
    /// Draws the row; the width slider edits `pen_width` in place.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        pen_width: &mut f32,
        sketch: &Sketch,
        actions: &mut Vec<Action>,
    ) {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.tool, Tool::Pen, "Pen");
            ui.selectable_value(&mut self.tool, Tool::Eraser, "Eraser");
            ui.add(
                egui::Slider::new(pen_width, 0.004..=0.04)
                    .text("width")
                    .fixed_decimals(3),
            );
            if ui
                .add_enabled(sketch.can_undo(), egui::Button::new("Undo"))
                .on_hover_text("Ctrl+Z")
                .clicked()
            {
                actions.push(Action::Undo);
            }
            if ui
                .add_enabled(sketch.can_redo(), egui::Button::new("Redo"))
                .on_hover_text("Ctrl+Shift+Z")
                .clicked()
            {
                actions.push(Action::Redo);
            }
            if ui.button("Clear").clicked() {
                actions.push(Action::Clear);
            }
            ui.label(format!("{} strokes", sketch.strokes().len()));
        });
    }
}
