//! Under the canvas, while a photo is tracked: its rank after each stroke (the on-the-fly
//! measure of the FG-SBIR literature), on a log scale with rank 1 at the top.

use std::path::Path;

use egui::{Color32, Pos2, Sense, Stroke as LineStyle, Vec2};

use super::Action;

/// Height the plot takes under the canvas (its header included).
pub const HEIGHT: f32 = 130.0;

const LINE: Color32 = Color32::from_rgb(31, 119, 180);

/// The rank plot.
#[derive(Debug, Default)]
pub struct RankPlot;

impl RankPlot {
    /// Draws the plot of `history` ((strokes drawn, rank) pairs) for `target`.
    pub fn ui(
        &self,
        ui: &mut egui::Ui,
        target: &Path,
        history: &[(usize, usize)],
        actions: &mut Vec<Action>,
    ) {
        ui.horizontal(|ui| {
            ui.label(format!(
                "Drawing: {} — rank after each stroke",
                target.file_name().unwrap_or_default().to_string_lossy()
            ));
            if ui.button("Stop tracking").clicked() {
                actions.push(Action::Track(None));
            }
        });
        let (rect, _) =
            ui.allocate_exact_size(Vec2::new(ui.available_width(), 100.0), Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        let Some(last) = history.last() else {
            return;
        };
        let max_strokes = history.iter().map(|h| h.0).max().unwrap_or(1).max(1) as f32;
        let max_rank = history.iter().map(|h| h.1).max().unwrap_or(1).max(10) as f32;
        // Rank 1 at the top; a log scale keeps the top ranks readable.
        let y = |rank: usize| {
            rect.top() + 8.0 + (rank as f32).ln() / max_rank.ln() * (rect.height() - 16.0)
        };
        let x = |strokes: usize| {
            rect.left() + 8.0 + strokes as f32 / max_strokes * (rect.width() - 16.0)
        };
        let points: Vec<Pos2> = history
            .iter()
            .map(|&(s, r)| Pos2::new(x(s), y(r)))
            .collect();
        painter.add(egui::Shape::line(points.clone(), LineStyle::new(2.0, LINE)));
        for p in points {
            painter.circle_filled(p, 3.0, LINE);
        }
        painter.text(
            rect.right_top() + Vec2::new(-8.0, 4.0),
            egui::Align2::RIGHT_TOP,
            format!("rank {} after {} strokes", last.1, last.0),
            egui::FontId::proportional(12.0),
            ui.visuals().text_color(),
        );
    }
}
