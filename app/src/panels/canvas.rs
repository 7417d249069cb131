//! The drawing canvas: pen strokes and the eraser in, the strokes (or an opened sketch image)
//! drawn on white, over the shadow of the best matches when it is on ([`arnet_model::shadow`]).
//! The shadow is only painted here: the query is the strokes alone.

use std::path::PathBuf;
use std::sync::Arc;

use arnet_model::raster::Stroke;
use arnet_model::shadow::Shadow;
use egui::{Color32, Pos2, Rect, Sense, Stroke as LineStyle, Vec2};
use image::RgbImage;

use super::Action;
use super::tools::Tool;
use crate::sketch::Sketch;

/// Label of the drawing canvas (for accessibility and tests).
pub const CANVAS_LABEL: &str = "Sketch canvas";

/// Eraser radius, as a fraction of the canvas side.
const ERASER_RADIUS: f32 = 0.02;

/// A sketch image opened as the query in place of the strokes.
pub struct OpenedSketch {
    /// Its file.
    pub path: PathBuf,
    /// Its pixels.
    pub image: Arc<RgbImage>,
    /// Its texture, made on first display.
    pub texture: Option<egui::TextureHandle>,
}

impl std::fmt::Debug for OpenedSketch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedSketch")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The colour the shadow is painted in (at the opacity the slider sets): a cool grey-blue,
/// never mistaken for the black of the pen.
const SHADOW_COLOUR: [u8; 3] = [70, 110, 170];

/// The canvas and the stroke being drawn.
#[derive(Default)]
pub struct Canvas {
    /// Points of the stroke in progress (normalised), while the pen is down.
    pub drawing: Option<Vec<[f32; 2]>>,
    /// The shadow's texture, with the query id and opacity it was made for.
    shadow_texture: Option<(u64, f32, egui::TextureHandle)>,
}

impl std::fmt::Debug for Canvas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Canvas")
            .field("drawing", &self.drawing)
            .finish_non_exhaustive()
    }
}

/// What the canvas draws.
#[derive(Debug)]
pub struct CanvasInput<'a> {
    /// The tool in use.
    pub tool: Tool,
    /// Pen width relative to the canvas side.
    pub pen_width: f32,
    /// The strokes.
    pub sketch: &'a Sketch,
    /// A sketch image opened in place of the strokes.
    pub opened: Option<&'a mut OpenedSketch>,
    /// The shadow to paint under the strokes: the id of the query it belongs to, the shadow,
    /// its opacity.
    pub shadow: Option<(u64, &'a Shadow, f32)>,
    /// Height left free below the canvas (the rank plot).
    pub reserved_below: f32,
}

/// Accessible name of the painted shadow (tests find it by this).
pub const SHADOW_LABEL: &str = "Shadow of the best matches";

impl Canvas {
    /// Draws the canvas as a square of the available width, leaving `reserved_below` pixels of
    /// height for what follows (the rank plot).
    pub fn ui(&mut self, ui: &mut egui::Ui, input: CanvasInput<'_>, actions: &mut Vec<Action>) {
        let CanvasInput {
            tool,
            pen_width,
            sketch,
            opened,
            shadow,
            reserved_below,
        } = input;
        let available = ui.available_size();
        let side = available.x.min(available.y - reserved_below).max(120.0);
        let (response, painter) = ui.allocate_painter(Vec2::splat(side), Sense::click_and_drag());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, CANVAS_LABEL));
        let rect = response.rect;
        let to_unit = |pos: Pos2| {
            [
                ((pos.x - rect.min.x) / side).clamp(0.0, 1.0),
                ((pos.y - rect.min.y) / side).clamp(0.0, 1.0),
            ]
        };
        let pointer = response.interact_pointer_pos().map(to_unit);
        match tool {
            Tool::Pen => {
                if response.drag_started()
                    && let Some(p) = pointer
                {
                    // egui reports a drag once the pointer has moved a few pixels: start the
                    // stroke where the button went down, not where the drag was recognised.
                    let origin = ui.input(|i| i.pointer.press_origin()).map(to_unit);
                    self.drawing = Some(origin.into_iter().chain([p]).collect());
                }
                if response.dragged()
                    && let (Some(points), Some(p)) = (&mut self.drawing, pointer)
                {
                    points.push(p);
                }
                if response.drag_stopped()
                    && let Some(points) = self.drawing.take()
                {
                    actions.push(Action::AddStroke(Stroke::new(points, pen_width)));
                } else if response.clicked()
                    && let Some(p) = pointer
                {
                    actions.push(Action::AddStroke(Stroke::new(vec![p], pen_width)));
                }
            }
            Tool::Eraser => {
                if (response.dragged() || response.clicked())
                    && let Some(p) = pointer
                {
                    actions.push(Action::EraseAt(p));
                }
            }
        }

        painter.rect_filled(rect, 0.0, Color32::WHITE);
        if let Some(opened) = opened {
            let texture = opened.texture.get_or_insert_with(|| {
                let pixels = egui::ColorImage::from_rgb(
                    [
                        opened.image.width() as usize,
                        opened.image.height() as usize,
                    ],
                    opened.image.as_raw(),
                );
                ui.ctx().load_texture(
                    opened.path.display().to_string(),
                    pixels,
                    Default::default(),
                )
            });
            painter.image(
                texture.id(),
                rect,
                Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
                Color32::WHITE,
            );
        }
        if let Some((id, shadow, opacity)) = shadow {
            let texture = self.shadow_texture(ui.ctx(), id, shadow, opacity);
            painter.image(
                texture.id(),
                rect,
                Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
                Color32::WHITE,
            );
            let info = || egui::WidgetInfo::labeled(egui::Role::Image, true, SHADOW_LABEL);
            ui.interact(rect, ui.scope_id().with("shadow"), Sense::hover())
                .widget_info(info);
        } else {
            self.shadow_texture = None;
        }
        let to_screen =
            |p: &[f32; 2]| Pos2::new(rect.min.x + p[0] * side, rect.min.y + p[1] * side);
        let in_progress = self
            .drawing
            .as_ref()
            .map(|points| Stroke::new(points.clone(), pen_width));
        for stroke in sketch.strokes().iter().chain(in_progress.as_ref()) {
            let grey = (255.0 * (1.0 - stroke.darkness)) as u8;
            let style = LineStyle::new(stroke.width * side, Color32::from_gray(grey));
            let points: Vec<Pos2> = stroke.points.iter().map(to_screen).collect();
            if points.len() == 1 {
                painter.circle_filled(points[0], stroke.width * side / 2.0, style.color);
            } else {
                painter.add(egui::Shape::line(points, style));
            }
        }
        painter.rect_stroke(
            rect,
            0.0,
            LineStyle::new(1.0, Color32::GRAY),
            egui::StrokeKind::Inside,
        );
    }

    /// The shadow as a texture: made once per query result and opacity, then reused.
    fn shadow_texture(
        &mut self,
        ctx: &egui::Context,
        id: u64,
        shadow: &Shadow,
        opacity: f32,
    ) -> egui::TextureHandle {
        if let Some((made_for, made_at, texture)) = &self.shadow_texture
            && *made_for == id
            && *made_at == opacity
        {
            return texture.clone();
        }
        let [r, g, b] = SHADOW_COLOUR;
        let pixels: Vec<Color32> = shadow
            .ink
            .iter()
            .map(|&ink| {
                let alpha = (f32::from(ink) * opacity.clamp(0.0, 1.0)).round() as u8;
                Color32::from_rgba_unmultiplied(r, g, b, alpha)
            })
            .collect();
        let image = egui::ColorImage::new([shadow.side, shadow.side], pixels);
        let texture = ctx.load_texture("shadow", image, egui::TextureOptions::LINEAR);
        self.shadow_texture = Some((id, opacity, texture.clone()));
        texture
    }

    /// The eraser's radius for [`Action::EraseAt`].
    pub fn eraser_radius() -> f32 {
        ERASER_RADIUS
    }
}
