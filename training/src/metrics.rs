//! Per-epoch metrics: the CSV table and the PNG plot written as training goes.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::evaluate::Accuracy;

/// One row of `metrics.csv`. Epoch 0 is the untrained model (losses are empty there).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// Epochs completed (0 = before training).
    pub epoch: usize,
    /// Mean total loss over the epoch's steps.
    pub loss: Option<f64>,
    /// Mean multi-modal term (heads), or the triplet loss for the baseline.
    pub multi_modal: Option<f64>,
    /// Mean inter-sample term (class features of the two modalities).
    pub inter_sample: Option<f64>,
    /// Mean intra-sample term, sketches.
    pub intra_sketch: Option<f64>,
    /// Mean intra-sample term, photos.
    pub intra_photo: Option<f64>,
    /// Mean recycling loss (both encoders), full model only.
    pub recycling: Option<f64>,
    /// Validation accuracy after this epoch.
    pub val: Accuracy,
    /// Seconds the epoch's steps took.
    pub seconds: f64,
    /// Training pairs per second.
    pub pairs_per_second: f64,
    /// Validation accuracy of the weight average up to this epoch (`--average-from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub averaged_val: Option<Accuracy>,
    /// Mean category term (`--class-weight`, unweighted), over the steps that had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<f64>,
}

const COLUMNS: &str = "epoch,loss,multi_modal,inter_sample,intra_sketch,intra_photo,recycling,\
                       val_acc1,val_acc5,val_acc10,seconds,pairs_per_second,\
                       avg_val_acc1,avg_val_acc5,avg_val_acc10,category";

/// The CSV text of `history`.
pub fn to_csv(history: &[EpochMetrics]) -> String {
    let mut out = format!("{COLUMNS}\n");
    let cell = |v: Option<f64>| v.map(|v| format!("{v:.6}")).unwrap_or_default();
    let percent = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_default();
    for m in history {
        let averaged = m.averaged_val.as_ref();
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{:.2},{:.2},{:.2},{:.2},{:.2},{},{},{},{}",
            m.epoch,
            cell(m.loss),
            cell(m.multi_modal),
            cell(m.inter_sample),
            cell(m.intra_sketch),
            cell(m.intra_photo),
            cell(m.recycling),
            m.val.acc1,
            m.val.acc5,
            m.val.acc10,
            m.seconds,
            m.pairs_per_second,
            percent(averaged.map(|a| a.acc1)),
            percent(averaged.map(|a| a.acc5)),
            percent(averaged.map(|a| a.acc10)),
            cell(m.category),
        );
    }
    out
}

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 420;

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // egui's bundled font: no system font lookup, identical plots everywhere.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        );
    });
}

/// Draws the loss terms (left) and validation Acc@K (right) against epochs, as PNG bytes.
pub fn plot_png(history: &[EpochMetrics]) -> anyhow::Result<Vec<u8>> {
    register_font();
    let mut pixels = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let (left, right) = root.split_horizontally(WIDTH / 2);
        let last_epoch = history.iter().map(|m| m.epoch).max().unwrap_or(1).max(1);

        type Term = (&'static str, fn(&EpochMetrics) -> Option<f64>, RGBColor);
        let terms: [Term; 6] = [
            ("total", |m| m.loss, BLACK),
            ("multi-modal", |m| m.multi_modal, RGBColor(31, 119, 180)),
            ("inter-sample", |m| m.inter_sample, RGBColor(255, 127, 14)),
            ("intra sketch", |m| m.intra_sketch, RGBColor(44, 160, 44)),
            ("intra photo", |m| m.intra_photo, RGBColor(214, 39, 40)),
            ("recycling", |m| m.recycling, RGBColor(148, 103, 189)),
        ];
        let loss_max = history
            .iter()
            .filter_map(|m| m.loss)
            .fold(0.0f64, f64::max)
            .max(1e-6);
        let mut losses = ChartBuilder::on(&left)
            .caption("training loss", ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..last_epoch as f64, 0f64..loss_max * 1.05)
            .map_err(plot_error)?;
        losses
            .configure_mesh()
            .x_desc("epoch")
            .draw()
            .map_err(plot_error)?;
        for (name, value, colour) in terms {
            let points: Vec<(f64, f64)> = history
                .iter()
                .filter_map(|m| value(m).map(|v| (m.epoch as f64, v)))
                .collect();
            if points.is_empty() || points.iter().all(|(_, v)| *v == 0.0) {
                continue;
            }
            losses
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                .map_err(plot_error)?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
        }
        losses
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(plot_error)?;

        let mut accuracy = ChartBuilder::on(&right)
            .caption("validation Acc@K (%)", ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..last_epoch as f64, 0f64..100f64)
            .map_err(plot_error)?;
        accuracy
            .configure_mesh()
            .x_desc("epoch")
            .draw()
            .map_err(plot_error)?;
        type Acc = (&'static str, fn(&Accuracy) -> f64, RGBColor);
        let series: [Acc; 3] = [
            ("Acc@1", |a| a.acc1, RGBColor(31, 119, 180)),
            ("Acc@5", |a| a.acc5, RGBColor(255, 127, 14)),
            ("Acc@10", |a| a.acc10, RGBColor(44, 160, 44)),
        ];
        for (name, value, colour) in series {
            let points: Vec<(f64, f64)> = history
                .iter()
                .map(|m| (m.epoch as f64, value(&m.val)))
                .collect();
            accuracy
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                .map_err(plot_error)?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
        }
        let averaged: Vec<(f64, f64)> = history
            .iter()
            .filter_map(|m| m.averaged_val.as_ref().map(|a| (m.epoch as f64, a.acc1)))
            .collect();
        if !averaged.is_empty() {
            let colour = RGBColor(148, 103, 189);
            accuracy
                .draw_series(LineSeries::new(averaged, colour.stroke_width(2)))
                .map_err(plot_error)?
                .label("Acc@1, weight average")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
        }
        accuracy
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    let image = image::RgbImage::from_raw(WIDTH, HEIGHT, pixels).expect("buffer size");
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png)?;
    Ok(bytes.into_inner())
}

fn plot_error<E: std::fmt::Debug>(error: E) -> anyhow::Error {
    anyhow::anyhow!("drawing the metrics plot: {error:?}")
}

/// Writes `metrics.csv` and `curves.png` into `dir` (each atomically).
pub fn write_all(dir: &Path, history: &[EpochMetrics]) -> anyhow::Result<()> {
    let csv = dir.join("metrics.csv");
    arnet_model::fsutil::write_atomic(&csv, to_csv(history).as_bytes())
        .map_err(|e| anyhow::anyhow!("{}: {e}", csv.display()))?;
    let png = dir.join("curves.png");
    arnet_model::fsutil::write_atomic(&png, &plot_png(history)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", png.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(epoch: usize, loss: Option<f64>, acc1: f64) -> EpochMetrics {
        EpochMetrics {
            epoch,
            loss,
            multi_modal: loss.map(|l| l / 2.0),
            inter_sample: loss.map(|l| l / 2.0),
            intra_sketch: None,
            intra_photo: None,
            recycling: None,
            val: Accuracy::from_ranks(&[0, 3, 20], 30),
            seconds: 1.0,
            pairs_per_second: acc1,
            averaged_val: (epoch > 1).then(|| Accuracy::from_ranks(&[0, 0, 0], 30)),
            category: None,
        }
    }

    #[test]
    fn csv_has_a_header_and_one_row_per_epoch() {
        let csv = to_csv(&[row(0, None, 0.0), row(1, Some(3.5), 1.0)]);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].split(',').count(), lines[2].split(',').count());
        assert!(
            lines[1].starts_with("0,,"),
            "untrained row has empty losses"
        );
        assert!(lines[2].starts_with("1,3.500000,1.750000"));
        assert!(
            lines[2].ends_with(",,,,"),
            "no average after epoch 1, no category term: empty cells"
        );
        let mut averaged = row(2, Some(1.0), 2.0);
        averaged.category = Some(0.25);
        let with_average = to_csv(&[averaged]);
        let last = with_average.lines().nth(1).unwrap();
        assert!(last.ends_with(",100.00,100.00,100.00,0.250000"), "{last}");
    }

    #[test]
    fn plot_is_a_png_with_drawn_curves() {
        let png = plot_png(&[
            row(0, None, 0.0),
            row(1, Some(3.0), 1.0),
            row(2, Some(2.0), 2.0),
        ])
        .unwrap();
        let image = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(image.dimensions(), (WIDTH, HEIGHT));
        let coloured = image
            .pixels()
            .filter(|p| p.0 != [255, 255, 255] && !(p.0[0] == p.0[1] && p.0[1] == p.0[2]))
            .count();
        assert!(coloured > 500, "curves drawn ({coloured} coloured pixels)");
    }
}
