//! The drawing: strokes in normalised canvas coordinates, with undo / redo.
//!
//! Every change is an [`Edit`] that can be undone, so erasing a stroke and clearing the canvas
//! undo as naturally as drawing does.

use arnet_model::raster::Stroke;

/// One undoable change.
#[derive(Debug, Clone, PartialEq)]
enum Edit {
    /// A stroke was appended.
    Add(Stroke),
    /// The stroke at this index was removed.
    Remove(usize, Stroke),
    /// Every stroke was removed.
    Clear(Vec<Stroke>),
}

/// The strokes of the current sketch and their history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sketch {
    strokes: Vec<Stroke>,
    undo: Vec<Edit>,
    redo: Vec<Edit>,
}

impl Sketch {
    /// A sketch made of `strokes` (no history).
    pub fn from_strokes(strokes: Vec<Stroke>) -> Self {
        Self {
            strokes,
            ..Self::default()
        }
    }

    /// The strokes, oldest first.
    pub fn strokes(&self) -> &[Stroke] {
        &self.strokes
    }

    /// Whether nothing is drawn.
    pub fn is_empty(&self) -> bool {
        self.strokes.is_empty()
    }

    /// Adds a stroke (smoothed); strokes of fewer than one point are ignored.
    pub fn add(&mut self, stroke: Stroke) -> bool {
        if stroke.points.is_empty() {
            return false;
        }
        let stroke = Stroke {
            points: smooth(&stroke.points),
            ..stroke
        };
        self.strokes.push(stroke.clone());
        self.record(Edit::Add(stroke));
        true
    }

    /// Removes every stroke passing within `radius` of `point`; returns how many.
    pub fn erase_at(&mut self, point: [f32; 2], radius: f32) -> usize {
        let mut removed = 0;
        let mut i = 0;
        while i < self.strokes.len() {
            if touches(&self.strokes[i], point, radius) {
                let stroke = self.strokes.remove(i);
                self.record(Edit::Remove(i, stroke));
                removed += 1;
            } else {
                i += 1;
            }
        }
        removed
    }

    /// Removes everything (undoable).
    pub fn clear(&mut self) -> bool {
        if self.strokes.is_empty() {
            return false;
        }
        let strokes = std::mem::take(&mut self.strokes);
        self.record(Edit::Clear(strokes));
        true
    }

    /// Undoes the last change; `false` when there is none.
    pub fn undo(&mut self) -> bool {
        let Some(edit) = self.undo.pop() else {
            return false;
        };
        match &edit {
            Edit::Add(_) => {
                self.strokes.pop();
            }
            Edit::Remove(i, stroke) => self.strokes.insert(*i, stroke.clone()),
            Edit::Clear(strokes) => self.strokes = strokes.clone(),
        }
        self.redo.push(edit);
        true
    }

    /// Redoes the last undone change; `false` when there is none.
    pub fn redo(&mut self) -> bool {
        let Some(edit) = self.redo.pop() else {
            return false;
        };
        match &edit {
            Edit::Add(stroke) => self.strokes.push(stroke.clone()),
            Edit::Remove(i, _) => {
                self.strokes.remove(*i);
            }
            Edit::Clear(_) => self.strokes.clear(),
        }
        self.undo.push(edit);
        true
    }

    /// Whether [`Sketch::undo`] would do something.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether [`Sketch::redo`] would do something.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    fn record(&mut self, edit: Edit) {
        self.undo.push(edit);
        self.redo.clear();
    }
}

/// Light smoothing of a freehand polyline: points closer than 0.2 % of the canvas to the
/// previous one are dropped (pointer noise), then one pass of a [1, 2, 1] / 4 filter keeps
/// the end points fixed.
pub fn smooth(points: &[[f32; 2]]) -> Vec<[f32; 2]> {
    let mut kept: Vec<[f32; 2]> = Vec::with_capacity(points.len());
    for &p in points {
        let far = kept
            .last()
            .is_none_or(|q: &[f32; 2]| (p[0] - q[0]).hypot(p[1] - q[1]) >= 0.002);
        if far {
            kept.push(p);
        }
    }
    if kept.len() < 3 {
        return kept;
    }
    let mut out = kept.clone();
    for i in 1..kept.len() - 1 {
        for c in 0..2 {
            out[i][c] = (kept[i - 1][c] + 2.0 * kept[i][c] + kept[i + 1][c]) / 4.0;
        }
    }
    out
}

/// Whether any segment of `stroke` passes within `radius` of `point`.
fn touches(stroke: &Stroke, point: [f32; 2], radius: f32) -> bool {
    let reach = radius + stroke.width / 2.0;
    if stroke.points.len() == 1 {
        let q = stroke.points[0];
        return (q[0] - point[0]).hypot(q[1] - point[1]) <= reach;
    }
    stroke.points.windows(2).any(|w| {
        let (a, b) = (w[0], w[1]);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let length2 = dx * dx + dy * dy;
        let t = if length2 > 0.0 {
            (((point[0] - a[0]) * dx + (point[1] - a[1]) * dy) / length2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (x, y) = (a[0] + t * dx, a[1] + t * dy);
        (x - point[0]).hypot(y - point[1]) <= reach
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(y: f32) -> Stroke {
        Stroke::new(vec![[0.1, y], [0.5, y], [0.9, y]], 0.01)
    }

    #[test]
    fn undo_redo_walks_through_add_erase_and_clear() {
        let mut sketch = Sketch::default();
        sketch.add(line(0.2));
        sketch.add(line(0.5));
        assert_eq!(sketch.erase_at([0.5, 0.5], 0.01), 1);
        assert_eq!(sketch.strokes().len(), 1);
        assert!(sketch.clear());
        assert!(sketch.is_empty());
        assert!(sketch.undo(), "undo clear");
        assert_eq!(sketch.strokes().len(), 1);
        assert!(sketch.undo(), "undo erase");
        assert_eq!(sketch.strokes()[1].points[0][1], 0.5);
        assert!(sketch.undo(), "undo second stroke");
        assert!(sketch.redo());
        assert_eq!(sketch.strokes().len(), 2);
        sketch.add(line(0.8));
        assert!(!sketch.can_redo(), "a new stroke drops the redo history");
        while sketch.undo() {}
        assert!(sketch.is_empty());
    }

    #[test]
    fn eraser_misses_far_strokes() {
        let mut sketch = Sketch::default();
        sketch.add(line(0.2));
        assert_eq!(sketch.erase_at([0.5, 0.6], 0.02), 0);
        assert_eq!(sketch.strokes().len(), 1);
    }

    #[test]
    fn smoothing_keeps_ends_and_drops_jitter() {
        let points = vec![
            [0.0, 0.0],
            [0.0005, 0.0],
            [0.1, 0.1],
            [0.2, 0.0],
            [0.3, 0.1],
        ];
        let smoothed = smooth(&points);
        assert_eq!(smoothed.len(), 4, "the near-duplicate point is dropped");
        assert_eq!(smoothed[0], [0.0, 0.0]);
        assert_eq!(*smoothed.last().unwrap(), [0.3, 0.1]);
        assert!(
            (smoothed[1][1] - 0.05).abs() < 1e-6,
            "the zigzag is flattened"
        );
    }
}
