//! What the UI tests share: scratch folders, a tiny model, galleries, and driving the harness.

#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};
use std::time::Duration;

use arnet_app::hardware::DeviceChoice;
use arnet_app::settings::Settings;
use arnet_app::{CANVAS_LABEL, GalleryStatus, ModelStatus, SketchApp};
use arnet_model::{ArnetEncoderConfig, ArnetPair, Backend, VitConfig, weights};
use egui::{Event, Modifiers, PointerButton, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use image::{Rgb, RgbImage};

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arnet-app-ui-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A random tiny model (32 px input) saved in our pair format.
pub fn tiny_weights(dir: &Path) -> PathBuf {
    let config = ArnetEncoderConfig::new(VitConfig::custom(32, 8, 32, 1, 2));
    let device = Backend::Cpu.device().unwrap();
    let mut pair = ArnetPair::init(&config, &device).unwrap();
    let path = dir.join("tiny.safetensors");
    weights::save_pair(&mut pair, &path).unwrap();
    path
}

/// `count` photos of coloured shapes, plus a broken file when `broken`.
pub fn gallery(dir: &Path, count: u32, broken: bool) -> PathBuf {
    let folder = dir.join("gallery");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..count {
        let image = RgbImage::from_fn(48, 48, |x, y| {
            let inside = x > 4 + i && x < 40 && y > 8 && y < 44 - i;
            if inside {
                Rgb([(i * 40 % 256) as u8, 90, (i * 20 % 200) as u8])
            } else {
                Rgb([255, 255, 255])
            }
        });
        image.save(folder.join(format!("photo{i:02}.png"))).unwrap();
    }
    if broken {
        std::fs::write(folder.join("broken.png"), b"not a png at all").unwrap();
    }
    folder
}

pub fn cpu() -> DeviceChoice {
    DeviceChoice {
        backend: Backend::Cpu,
        description: "CPU (test)".into(),
    }
}

pub fn harness(app: SketchApp) -> Harness<'static, SketchApp> {
    Harness::builder()
        .with_size([1280.0, 820.0])
        .build_ui_state(|ui, app: &mut SketchApp| app.ui(ui), app)
}

/// Steps frames until `done` holds (the worker threads answer asynchronously).
pub fn wait_for(
    harness: &mut Harness<'_, SketchApp>,
    what: &str,
    done: impl Fn(&SketchApp) -> bool,
) {
    for _ in 0..1500 {
        harness.step();
        if done(harness.state()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!(
        "timed out waiting for {what}; gallery {:?}, model {:?}, shared catalogue {:?}",
        harness.state().gallery_status(),
        harness.state().model_status(),
        harness.state().catalogue_status()
    );
}

pub fn ready(app: &SketchApp) -> bool {
    matches!(app.gallery_status(), GalleryStatus::Ready { .. })
        && matches!(app.model_status(), ModelStatus::Ready { .. })
}

/// Draws one stroke across the canvas with the mouse, from `a` to `b` (fractions of its side).
pub fn draw(harness: &mut Harness<'_, SketchApp>, a: [f32; 2], b: [f32; 2]) {
    let rect = harness.get_by_label(CANVAS_LABEL).rect();
    let at = |t: f32| {
        Pos2::new(
            rect.min.x + rect.width() * (a[0] + (b[0] - a[0]) * t),
            rect.min.y + rect.height() * (a[1] + (b[1] - a[1]) * t),
        )
    };
    harness.event(Event::PointerMoved(at(0.0)));
    harness.step();
    harness.event(Event::PointerButton {
        pos: at(0.0),
        button: PointerButton::Primary,
        pressed: true,
        modifiers: Modifiers::NONE,
    });
    harness.step();
    for k in 1..=10 {
        harness.event(Event::PointerMoved(at(k as f32 / 10.0)));
        harness.step();
    }
    harness.event(Event::PointerButton {
        pos: at(1.0),
        button: PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    harness.step();
    harness.step();
}

pub fn settings(weights: &Path, gallery: &Path) -> Settings {
    Settings {
        weights: Some(weights.to_path_buf()),
        gallery: Some(gallery.to_path_buf()),
        ..Settings::default()
    }
}
