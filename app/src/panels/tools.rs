//! The rows above the canvas: pen or eraser, pen width, undo / redo / clear, stroke count;
//! then the colour swatch and its weight, and the shadow and its opacity.

use super::Action;
use crate::sketch::Sketch;

/// The pen width slider's range, relative to the canvas side.
pub const PEN_WIDTHS: std::ops::RangeInclusive<f32> = 0.004..=0.04;

/// The swatch shown when the colour is first switched on.
const FIRST_SWATCH: [u8; 3] = [180, 40, 50];

/// What the tools row edits in place.
#[derive(Debug)]
pub struct ToolSettings<'a> {
    /// Pen width relative to the canvas side.
    pub pen_width: &'a mut f32,
    /// The colour swatch (none: off).
    pub colour: &'a mut Option<[u8; 3]>,
    /// The colour's weight.
    pub colour_weight: &'a mut f32,
    /// Whether the shadow is drawn.
    pub shadow: &'a mut bool,
    /// Its opacity.
    pub shadow_opacity: &'a mut f32,
}

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
    /// Draws the row; the sliders and the swatch edit `settings` in place.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        settings: ToolSettings<'_>,
        sketch: &Sketch,
        actions: &mut Vec<Action>,
    ) {
        let ToolSettings {
            pen_width,
            colour,
            colour_weight,
            shadow,
            shadow_opacity,
        } = settings;
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.tool, Tool::Pen, "Pen")
                .on_hover_text("P");
            ui.selectable_value(&mut self.tool, Tool::Eraser, "Eraser")
                .on_hover_text("E");
            ui.add(
                egui::Slider::new(pen_width, PEN_WIDTHS)
                    .text("width")
                    .fixed_decimals(3),
            )
            .on_hover_text("[ and ]");
            if ui
                .add_enabled(sketch.can_undo(), egui::Button::new("Undo"))
                .on_hover_text("Ctrl+Z")
                .clicked()
            {
                actions.push(Action::Undo);
            }
            if ui
                .add_enabled(sketch.can_redo(), egui::Button::new("Redo"))
                .on_hover_text("Ctrl+Y or Ctrl+Shift+Z")
                .clicked()
            {
                actions.push(Action::Redo);
            }
            if ui.button("Clear").clicked() {
                actions.push(Action::Clear);
            }
            ui.label(format!("{} strokes", sketch.strokes().len()));
        });
        // Its own row, always there, so the canvas below never moves.
        ui.horizontal(|ui| {
            colour_swatch(ui, colour, colour_weight, actions);
            ui.separator();
            shadow_toggle(ui, shadow, shadow_opacity, actions);
        });
    }
}

/// The shadow's check box and opacity slider.
fn shadow_toggle(
    ui: &mut egui::Ui,
    shadow: &mut bool,
    opacity: &mut f32,
    actions: &mut Vec<Action>,
) {
    if ui
        .checkbox(shadow, "Shadow")
        .on_hover_text(
            "draw the line drawings of the best matches faintly under your strokes \
             (they are never part of the search)",
        )
        .changed()
    {
        actions.push(Action::ShadowChanged);
    }
    ui.add_enabled(
        *shadow,
        egui::Slider::new(opacity, 0.05..=1.0)
            .text("opacity")
            .fixed_decimals(2),
    )
    .on_hover_text("how dark the shadow is");
}

/// The optional colour: a check box, the swatch, and the weight slider.
fn colour_swatch(
    ui: &mut egui::Ui,
    colour: &mut Option<[u8; 3]>,
    weight: &mut f32,
    actions: &mut Vec<Action>,
) {
    let mut on = colour.is_some();
    let toggled = ui
        .checkbox(&mut on, "Colour")
        .on_hover_text("re-rank the results by how close each garment's colour is to the swatch")
        .changed();
    if toggled {
        *colour = on.then_some(colour.unwrap_or(FIRST_SWATCH));
        actions.push(Action::ColourChanged);
    }
    let mut shown = colour.unwrap_or(FIRST_SWATCH);
    ui.add_enabled_ui(colour.is_some(), |ui| {
        let picked = egui::color_picker::color_edit_button_srgb(ui, &mut shown)
            .on_hover_text("the garment's colour")
            .changed();
        let slider = egui::Slider::new(weight, 0.0..=1.0)
            .text("colour weight")
            .fixed_decimals(2);
        let weighted = ui
            .add(slider)
            .on_hover_text("how much the colour counts against the shape (0: shape only)")
            .changed();
        if colour.is_some() && (picked || weighted) {
            *colour = Some(shown);
            actions.push(Action::ColourChanged);
        }
    });
}
