//! What a designer expects of a desktop app, driven headless with egui_kittest: shortcuts that
//! leave text fields alone, the system clipboard, thumbnails in their own proportions, more
//! than ten results, and the colour swatch re-ranking the results.

use std::path::{Path, PathBuf};

use crate::support::{self, cpu, draw, harness, ready, scratch, settings, tiny_weights, wait_for};
use arnet_app::panels::results::thumbnail_label;
use arnet_app::{SketchApp, Tool};
use egui::{Key, Modifiers, OutputCommand};
use egui_kittest::kittest::Queryable;
use image::{Rgb, RgbImage};

/// A gallery of garments in six clearly different colours, one of them wide (2:1).
fn coloured_gallery(dir: &Path) -> PathBuf {
    let folder = dir.join("colours");
    std::fs::create_dir_all(&folder).unwrap();
    let colours = [
        ("red", [200, 30, 40]),
        ("green", [40, 160, 60]),
        ("blue", [30, 60, 200]),
        ("yellow", [230, 210, 40]),
        ("purple", [120, 40, 150]),
        ("cyan", [40, 200, 210]),
    ];
    for (name, rgb) in colours {
        RgbImage::from_fn(48, 48, |x, y| {
            if (10..38).contains(&x) && (6..44).contains(&y) {
                Rgb(rgb)
            } else {
                Rgb([255, 255, 255])
            }
        })
        .save(folder.join(format!("{name}.png")))
        .unwrap();
    }
    RgbImage::from_fn(96, 48, |x, y| {
        if (10..86).contains(&x) && (8..40).contains(&y) {
            Rgb([90, 90, 90])
        } else {
            Rgb([255, 255, 255])
        }
    })
    .save(folder.join("wide.png"))
    .unwrap();
    folder
}

fn start(name: &str) -> (PathBuf, egui_kittest::Harness<'static, SketchApp>) {
    let dir = scratch(name);
    let weights = tiny_weights(&dir);
    let folder = coloured_gallery(&dir);
    let mut app_settings = settings(&weights, &folder);
    // Colour counts as much as the shape, so that the random test model's shape ranking
    // cannot outweigh it.
    app_settings.colour_weight = 1.0;
    let app = SketchApp::with_cache_dir(app_settings, cpu(), dir.join("cache"));
    let mut harness = harness(app);
    wait_for(&mut harness, "the gallery", ready);
    (dir, harness)
}

fn result_files(app: &SketchApp) -> Vec<String> {
    app.results()
        .map(|r| {
            r.hits
                .iter()
                .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Steps frames until a widget named `label` is on screen (thumbnails are decoded on another
/// thread, a new window needs a frame), for at most 300 frames; the caller's `get_by_label`
/// then fails with the whole tree if it never came.
fn step_until_shown(harness: &mut egui_kittest::Harness<'_, SketchApp>, label: &str) {
    for _ in 0..300 {
        if harness.query_by_label(label).is_some() {
            return;
        }
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

fn wait_for_query(harness: &mut egui_kittest::Harness<'_, SketchApp>, what: &str) {
    wait_for(harness, what, |app| {
        app.results().is_some_and(|r| r.id == app.latest_query())
    });
}

#[test]
fn shortcuts_work_on_the_canvas_and_leave_text_fields_alone() {
    let (dir, mut harness) = start("shortcuts");
    draw(&mut harness, [0.2, 0.2], [0.8, 0.8]);
    draw(&mut harness, [0.2, 0.8], [0.8, 0.2]);
    assert_eq!(harness.state().sketch().strokes().len(), 2);

    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.step();
    assert_eq!(harness.state().sketch().strokes().len(), 1, "Ctrl+Z undoes");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Y);
    harness.step();
    assert_eq!(harness.state().sketch().strokes().len(), 2, "Ctrl+Y redoes");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.step();
    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    harness.step();
    assert_eq!(
        harness.state().sketch().strokes().len(),
        2,
        "Ctrl+Shift+Z redoes"
    );

    harness.key_press(Key::E);
    harness.step();
    assert_eq!(harness.state().tool(), Tool::Eraser);
    harness.key_press(Key::P);
    harness.step();
    assert_eq!(harness.state().tool(), Tool::Pen);
    let width = harness.state().settings().pen_width;
    harness.key_press(Key::CloseBracket);
    harness.step();
    let wider = harness.state().settings().pen_width;
    assert!((wider - width * 1.25).abs() < 1e-6, "{width} -> {wider}");
    harness.key_press(Key::OpenBracket);
    harness.step();
    assert!((harness.state().settings().pen_width - width).abs() < 1e-6);

    // In the gallery path field the same keys edit the text, not the sketch.
    harness.get_by_label("Gallery folder").click();
    harness.step();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.step();
    harness.key_press(Key::E);
    harness.step();
    harness.key_press(Key::CloseBracket);
    harness.step();
    let app = harness.state();
    assert_eq!(app.sketch().strokes().len(), 2, "Ctrl+Z in a text field");
    assert_eq!(app.tool(), Tool::Pen, "E in a text field");
    assert!(
        (app.settings().pen_width - width).abs() < 1e-6,
        "] in a text field"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn copy_path_reaches_the_clipboard_and_esc_closes_the_result_window() {
    let (dir, mut harness) = start("clipboard");
    draw(&mut harness, [0.3, 0.2], [0.6, 0.8]);
    wait_for_query(&mut harness, "results");
    let first = harness.state().results().unwrap().hits[0].0.clone();
    let file = first.file_name().unwrap().to_string_lossy().into_owned();
    step_until_shown(&mut harness, &thumbnail_label(1, &file));
    harness.get_by_label(&thumbnail_label(1, &file)).click();
    harness.step();
    harness.step();
    assert_eq!(harness.state().selected_photo(), Some(first.as_path()));

    step_until_shown(&mut harness, "Copy path");
    // The photo's image arrives from the thumbnail thread and can move the button between the
    // frame that located it and the frame that takes the click: click again until a frame
    // reports a copy (one that never does still fails).
    let mut copied: Vec<String> = Vec::new();
    for _ in 0..20 {
        harness.get_by_label("Copy path").click();
        harness.step();
        copied = harness
            .output()
            .platform_output
            .commands
            .iter()
            .filter_map(|c| match c {
                OutputCommand::CopyText(text) => Some(text.clone()),
                _ => None,
            })
            .collect();
        if !copied.is_empty() {
            break;
        }
    }
    assert_eq!(copied, vec![first.display().to_string()]);

    harness.key_press(Key::Escape);
    harness.step();
    harness.step();
    assert_eq!(harness.state().selected_photo(), None, "Esc closes it");
    assert!(harness.query_by_label("Copy path").is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_wide_photo_keeps_its_proportions_and_more_than_ten_results_can_be_shown() {
    let dir = scratch("aspect");
    let weights = tiny_weights(&dir);
    let folder = coloured_gallery(&dir);
    // Five more photos, so that the gallery has twelve and the 20-result setting shows all.
    for i in 0..5u8 {
        RgbImage::from_pixel(30, 40, Rgb([i * 40, 100, 100]))
            .save(folder.join(format!("extra{i}.png")))
            .unwrap();
    }
    let mut app_settings = settings(&weights, &folder);
    app_settings.result_count = 20;
    let app = SketchApp::with_cache_dir(app_settings, cpu(), dir.join("cache"));
    let mut harness = support::harness(app);
    wait_for(&mut harness, "the gallery", ready);
    draw(&mut harness, [0.2, 0.5], [0.8, 0.5]);
    wait_for_query(&mut harness, "results");
    assert_eq!(
        harness.state().results().unwrap().hits.len(),
        12,
        "all 12, not 10"
    );
    let rank = result_files(harness.state())
        .iter()
        .position(|f| f == "wide.png")
        .unwrap()
        + 1;
    let label = thumbnail_label(rank, "wide.png");
    step_until_shown(&mut harness, &label);
    let rect = harness.get_by_label(&label).rect();
    let ratio = rect.width() / rect.height();
    assert!(
        (ratio - 2.0).abs() < 0.05,
        "the 96 x 48 photo is shown {rect:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_colour_swatch_reranks_and_switching_it_off_restores_the_shape_order() {
    let (dir, mut harness) = start("colour");
    draw(&mut harness, [0.3, 0.2], [0.6, 0.8]);
    wait_for_query(&mut harness, "results by shape");
    let by_shape = result_files(harness.state());
    assert_eq!(by_shape.len(), 7);

    // The check box turns the swatch on, reddish (180, 40, 50): the red garment comes first.
    harness.get_by_label("Colour").click();
    harness.step();
    wait_for_query(&mut harness, "results by shape and colour");
    assert_eq!(harness.state().settings().colour, Some([180, 40, 50]));
    assert_eq!(result_files(harness.state())[0], "red.png");

    // The garment the shape ranks last among the coloured ones comes first in its colour.
    let colours = [
        ("red.png", [200, 30, 40]),
        ("green.png", [40, 160, 60]),
        ("blue.png", [30, 60, 200]),
        ("yellow.png", [230, 210, 40]),
        ("purple.png", [120, 40, 150]),
        ("cyan.png", [40, 200, 210]),
    ];
    let last = by_shape
        .iter()
        .rev()
        .find_map(|file| colours.iter().find(|(name, _)| name == file))
        .unwrap();
    harness.state_mut().set_colour(Some(last.1));
    wait_for_query(&mut harness, "results in the last one's colour");
    let by_colour = result_files(harness.state());
    assert_eq!(
        by_colour[0], last.0,
        "shape {by_shape:?}, colour {by_colour:?}"
    );

    harness.get_by_label("Colour").click();
    harness.step();
    wait_for_query(&mut harness, "results by shape again");
    assert_eq!(harness.state().settings().colour, None);
    assert_eq!(result_files(harness.state()), by_shape);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_error_in_the_log_shows_in_the_status_bar_until_esc() {
    let (dir, mut harness) = start("log-error");
    // What rfd logs when no desktop portal answers a file dialog.
    arnet_app::logging::remember_error("rfd::backend::xdg_desktop_portal", "no portal to ask");
    harness.step();
    harness.step();
    let shown = "rfd::backend::xdg_desktop_portal: no portal to ask";
    assert_eq!(harness.state().log_error(), Some(shown));
    assert!(harness.query_by_label(shown).is_some(), "in the status bar");
    harness.key_press(Key::Escape);
    harness.step();
    harness.step();
    assert_eq!(harness.state().log_error(), None);
    assert!(harness.query_by_label(shown).is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}
