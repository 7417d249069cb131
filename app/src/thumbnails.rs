//! Photos for display, decoded and scaled off the UI thread (`arnet-thumbnails`), cached as
//! textures by path and size.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};

use crate::worker::Waker;

/// The size of a `width x height` image scaled to fit a `side x side` square, aspect ratio
/// kept (never enlarged, at least one pixel).
pub fn fit_within((width, height): (u32, u32), side: u32) -> [u32; 2] {
    let scale = (side as f32 / width.max(height).max(1) as f32).min(1.0);
    [width, height].map(|n| ((n as f32 * scale).round() as u32).max(1))
}

/// Loads images for display, off the UI thread, at most `side` pixels on a side (aspect ratio
/// kept).
pub struct ImageLoader {
    requests: Sender<(PathBuf, u32)>,
    results: Receiver<(PathBuf, u32, Result<egui::ColorImage, String>)>,
    waker: Waker,
    /// Loaded textures (or the failure) by path and size.
    pub cache: HashMap<(PathBuf, u32), Result<egui::TextureHandle, String>>,
    pending: std::collections::HashSet<(PathBuf, u32)>,
}

impl std::fmt::Debug for ImageLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageLoader")
            .field("cached", &self.cache.len())
            .finish()
    }
}

impl Default for ImageLoader {
    fn default() -> Self {
        let (requests, inbox) = channel::<(PathBuf, u32)>();
        let (results, outbox) = channel();
        let waker = Waker::default();
        let wake = waker.clone();
        std::thread::Builder::new()
            .name("arnet-thumbnails".into())
            .spawn(move || {
                for (path, side) in inbox {
                    let image = arnet_model::preprocess::decode_rgb(&path)
                        .map(|rgb| {
                            let [width, height] = fit_within(rgb.dimensions(), side);
                            let rgb = image::imageops::thumbnail(&rgb, width, height);
                            egui::ColorImage::from_rgb(
                                [rgb.width() as usize, rgb.height() as usize],
                                rgb.as_raw(),
                            )
                        })
                        .map_err(|e| e.to_string());
                    if results.send((path, side, image)).is_err() {
                        return;
                    }
                    wake.wake();
                }
            })
            .expect("spawning the thumbnail thread");
        Self {
            requests,
            results: outbox,
            waker,
            cache: HashMap::new(),
            pending: Default::default(),
        }
    }
}

impl ImageLoader {
    /// The texture of `path` at `side`, requesting it if needed (`None` while loading).
    pub fn get(
        &mut self,
        ctx: &egui::Context,
        path: &Path,
        side: u32,
    ) -> Option<Result<egui::TextureHandle, String>> {
        {
            let mut slot = self.waker.0.lock().expect("waker lock");
            if slot.is_none() {
                *slot = Some(ctx.clone());
            }
        }
        for (path, side, image) in self.results.try_iter() {
            self.pending.remove(&(path.clone(), side));
            let texture = image.map(|image| {
                ctx.load_texture(
                    format!("{}@{side}", path.display()),
                    image,
                    egui::TextureOptions::LINEAR,
                )
            });
            self.cache.insert((path, side), texture);
        }
        let key = (path.to_path_buf(), side);
        if let Some(found) = self.cache.get(&key) {
            return Some(found.clone());
        }
        if self.pending.insert(key.clone()) {
            let _ = self.requests.send(key);
        }
        None
    }
}
