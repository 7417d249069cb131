//! The ARNet Sketch desktop application (eframe/egui): draw a garment, see the ten closest
//! photos of a folder update as you draw.
//!
//! Why one file past 500 lines: it is `SketchApp`'s state and layout; what changes it is in
//! `app_actions.rs`, `app_events.rs` and `app_fine_tune.rs`.
//!
//! - [`sketch`]: strokes with undo / redo and the eraser;
//! - [`worker`]: the model, queries, indexing and thumbnails, on background threads;
//! - [`settings`]: what is remembered between runs;
//! - [`annotate`]: "save as training pair";
//! - [`hardware`]: GPU or CPU;
//! - [`assets`]: the bundled demo;
//! - [`fine_tune`]: "Fine-tune on this gallery", `arnet fine-tune` in a child process;
//! - [`sketch_file`]: the current sketch on disk after every stroke;
//! - [`panels`]: the window's panels, one per file;
//! - [`status`]: where the model and the gallery stand;
//! - [`shortcuts`]: the keyboard;
//! - [`dialogs`]: the file dialogs;
//! - [`logging`]: the log, and the errors it shows in the status bar;
//! - [`desktop`]: the app id, icon and data folder the desktop knows the app by.
//!
//! `SketchApp` itself is split by concern: this file holds its state, construction, the
//! sketch operations and the frame's layout; `app_actions.rs` applies what the panels and the
//! keyboard ask for, `app_events.rs` follows the worker and `app_fine_tune.rs` the
//! fine-tuning job.
//!
//! [`SketchApp::ui`] draws every panel into a [`egui::Ui`] and applies what they report
//! ([`panels::Action`]); the eframe [`eframe::App`] impl only adds persistence, so tests drive
//! the very same UI with egui_kittest.

pub mod annotate;
mod app_actions;
mod app_events;
mod app_fine_tune;
pub mod assets;
pub mod desktop;
pub mod dialogs;
pub mod fine_tune;
pub mod hardware;
pub mod logging;
pub mod panels;
pub mod settings;
pub mod shared_catalogue;
pub mod shortcuts;
pub mod sketch;
pub mod sketch_file;
pub mod status;
pub mod thumbnails;
pub mod worker;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arnet_model::colour::ColourQuery;
use arnet_model::feedback::FeedbackPhotos;
use arnet_model::query::Sketch as QuerySketch;
use arnet_model::raster::Stroke;
use image::RgbImage;

use crate::fine_tune::FineTuneJob;
use crate::hardware::DeviceChoice;
use crate::panels::Action;
pub use crate::panels::canvas::CANVAS_LABEL;
use crate::panels::canvas::{Canvas, CanvasInput, OpenedSketch};
use crate::panels::fine_tune::FineTunePanel;
pub use crate::panels::fine_tune::FineTuneStatus;
use crate::panels::rank_plot::{self, RankPlot};
use crate::panels::results::{ResultsPanel, ResultsView};
use crate::panels::selected_photo::SelectedPhoto;
use crate::panels::status_bar::{Status, StatusBar};
use crate::panels::toolbar::Toolbar;
pub use crate::panels::tools::Tool;
use crate::panels::tools::{ToolSettings, Tools};
use crate::settings::Settings;
use crate::sketch::Sketch;
pub use crate::status::{CatalogueStatus, GalleryStatus, ModelStatus};
use crate::thumbnails::ImageLoader;
use crate::worker::{Query, QueryResults, Request, Worker};

/// Height of the two tools rows above the canvas, in points.
const TOOLS_ROW: f32 = 58.0;
/// The canvas is never smaller than this, in points.
const MIN_CANVAS: f32 = 240.0;

/// The application state.
pub struct SketchApp {
    settings: Settings,
    sketch: Sketch,
    opened_sketch: Option<OpenedSketch>,
    worker: Worker,
    device: DeviceChoice,
    images: ImageLoader,
    next_query: u64,
    results: Option<QueryResults>,
    query_note: Option<String>,
    model: ModelStatus,
    gallery: GalleryStatus,
    catalogue: CatalogueStatus,
    target: Option<PathBuf>,
    rank_history: Vec<(usize, usize)>,
    /// The results marked "more like this" and "not this" (cleared with the canvas).
    feedback: FeedbackPhotos,
    message: Option<String>,
    /// The latest error the log reported (a file dialog, the GPU), for the status bar.
    log_error: Option<String>,
    /// Number of the last log error taken into `log_error`.
    log_errors_seen: u64,
    /// Where the current sketch is written after every change (none: not written).
    sketch_file: Option<PathBuf>,
    /// Folder that fine-tuning runs are written to.
    fine_tune_root: PathBuf,
    fine_tune: Option<FineTuneJob>,
    fine_tune_status: FineTuneStatus,
    toolbar: Toolbar,
    tools: Tools,
    canvas: Canvas,
    rank_plot: RankPlot,
    results_panel: ResultsPanel,
    selected_photo: SelectedPhoto,
    fine_tune_panel: FineTunePanel,
    status_bar: StatusBar,
}

impl SketchApp {
    /// Starts the app with `settings` on `device`: loads the remembered (or the demo) model and
    /// gallery in the background, caching embeddings in the platform cache folder.
    ///
    /// The sketch is also written to [`sketch_file::default_path`] after every stroke, and read
    /// back from there on start.
    pub fn new(settings: Settings, device: DeviceChoice) -> Self {
        Self::with_paths(
            settings,
            device,
            arnet_model::gallery::default_cache_dir(),
            sketch_file::default_path(),
        )
    }

    /// [`SketchApp::new`] with the embedding cache in `cache_dir` and no sketch file.
    pub fn with_cache_dir(settings: Settings, device: DeviceChoice, cache_dir: PathBuf) -> Self {
        Self::with_paths(settings, device, cache_dir, None)
    }

    /// [`SketchApp::new`] with the embedding cache in `cache_dir` and the current sketch kept
    /// in `sketch_file` (its strokes, when it holds any, replace the settings' strokes).
    /// Fine-tuning runs go to `fine-tuned/` beside the sketch file (or in `cache_dir`).
    pub fn with_paths(
        settings: Settings,
        device: DeviceChoice,
        cache_dir: PathBuf,
        sketch_file: Option<PathBuf>,
    ) -> Self {
        let fine_tune_root = sketch_file
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(&cache_dir)
            .join("fine-tuned");
        let worker = Worker::start(device.backend, cache_dir);
        let weights = settings
            .weights
            .clone()
            .unwrap_or_else(assets::demo_weights);
        let gallery = settings
            .gallery
            .clone()
            .unwrap_or_else(assets::demo_gallery);
        let (strokes, sketch_file_error) = match sketch_file.as_deref().map(sketch_file::load) {
            Some(Ok(Some(strokes))) => (strokes, None),
            Some(Err(e)) => (settings.strokes.clone(), Some(e)),
            Some(Ok(None)) | None => (settings.strokes.clone(), None),
        };
        let sketch = Sketch::from_strokes(strokes);
        let mut app = Self {
            toolbar: Toolbar {
                gallery_input: gallery.display().to_string(),
                weights_input: weights.display().to_string(),
                store_input: settings.store_url.clone().unwrap_or_default(),
            },
            selected_photo: SelectedPhoto {
                path: None,
                dataset_input: settings
                    .dataset
                    .as_ref()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default(),
            },
            tools: Tools::default(),
            fine_tune_root,
            fine_tune: None,
            fine_tune_status: FineTuneStatus::Idle,
            fine_tune_panel: FineTunePanel::default(),
            canvas: Canvas::default(),
            rank_plot: RankPlot,
            results_panel: ResultsPanel,
            status_bar: StatusBar,
            settings,
            sketch,
            opened_sketch: None,
            worker,
            device,
            images: ImageLoader::default(),
            next_query: 0,
            results: None,
            query_note: None,
            model: ModelStatus::Loading(weights.clone()),
            gallery: GalleryStatus::None,
            catalogue: CatalogueStatus::Off,
            target: None,
            rank_history: Vec::new(),
            feedback: FeedbackPhotos::default(),
            message: sketch_file_error.map(|e| e.to_string()),
            log_error: None,
            log_errors_seen: logging::error_since(0).map_or(0, |(number, _)| number),
            sketch_file,
        };
        app.worker.send(Request::LoadModel {
            weights,
            heads: app.settings.heads,
        });
        app.worker
            .send(Request::SetStore(app.settings.store_url.clone()));
        app.open_gallery(gallery);
        app.request_query();
        app
    }

    /// The settings as they would be saved now (the current sketch included).
    pub fn settings(&self) -> Settings {
        Settings {
            strokes: self.sketch.strokes().to_vec(),
            ..self.settings.clone()
        }
    }

    /// The drawing tool in use.
    pub fn tool(&self) -> Tool {
        self.tools.tool
    }

    /// The photo shown in the result window, if it is open.
    pub fn selected_photo(&self) -> Option<&Path> {
        self.selected_photo.path.as_deref()
    }

    /// The latest error the log reported, as the status bar shows it.
    pub fn log_error(&self) -> Option<&str> {
        self.log_error.as_deref()
    }

    /// The current drawing.
    pub fn sketch(&self) -> &Sketch {
        &self.sketch
    }

    /// The latest results shown.
    pub fn results(&self) -> Option<&QueryResults> {
        self.results.as_ref()
    }

    /// The gallery's state.
    pub fn gallery_status(&self) -> &GalleryStatus {
        &self.gallery
    }

    /// The shared catalogue's state.
    pub fn catalogue_status(&self) -> &CatalogueStatus {
        &self.catalogue
    }

    /// The model's state.
    pub fn model_status(&self) -> &ModelStatus {
        &self.model
    }

    /// The results marked "more like this" and "not this".
    pub fn feedback(&self) -> &FeedbackPhotos {
        &self.feedback
    }

    /// The image the sketch encoder is given for the current drawing: the strokes (or the
    /// opened sketch) alone, never the shadow painted under them.
    pub fn query_image(&self) -> RgbImage {
        self.query_raster()
    }

    /// Id of the newest query sent (0: none).
    pub fn latest_query(&self) -> u64 {
        self.next_query
    }

    /// Why the latest query has no results (no model, gallery not ready, no sketch encoder).
    pub fn query_note(&self) -> Option<&str> {
        self.query_note.as_deref()
    }

    /// The on-the-fly rank history: (strokes drawn, rank of the target photo).
    pub fn rank_history(&self) -> &[(usize, usize)] {
        &self.rank_history
    }

    /// Marks `photo` as the one being drawn; its rank is tracked after every stroke.
    pub fn set_target(&mut self, photo: Option<PathBuf>) {
        self.target = photo;
        self.rank_history.clear();
        self.request_query();
    }

    /// Sets the colour swatch (none: shape only) and searches again, as the swatch does.
    pub fn set_colour(&mut self, colour: Option<[u8; 3]>) {
        self.settings.colour = colour;
        self.request_query();
    }

    /// Whether the demo gallery and the demo model are in use.
    pub fn using_demo(&self) -> bool {
        self.settings.gallery.is_none() && self.settings.weights.is_none()
    }

    /// Indexes `folder` and remembers it.
    pub fn open_gallery(&mut self, folder: PathBuf) {
        if folder != assets::demo_gallery() {
            self.settings.gallery = Some(folder.clone());
        }
        self.toolbar.gallery_input = folder.display().to_string();
        self.gallery = GalleryStatus::Indexing {
            folder: folder.clone(),
            done: 0,
            total: 0,
        };
        self.results = None;
        // Marks name photos of the previous gallery.
        self.feedback.clear();
        self.worker.send(Request::Index(folder));
    }

    /// Loads a weight file and remembers it.
    pub fn open_weights(&mut self, weights: PathBuf) {
        self.model = ModelStatus::Loading(weights.clone());
        self.toolbar.weights_input = weights.display().to_string();
        self.worker.send(Request::LoadModel {
            weights,
            heads: self.settings.heads,
        });
    }

    /// Uses a sketch image file as the query (replacing the drawing, undoably).
    pub fn open_sketch(&mut self, path: &Path) {
        match arnet_model::preprocess::decode_rgb(path) {
            Ok(image) => {
                self.sketch.clear();
                self.opened_sketch = Some(OpenedSketch {
                    path: path.to_path_buf(),
                    image: Arc::new(image),
                    texture: None,
                });
                self.sketch_changed();
            }
            Err(e) => self.message = Some(e.to_string()),
        }
    }

    /// Saves the drawing as a PNG.
    pub fn save_sketch(&mut self, path: &Path) {
        let image = self.query_raster();
        let mut bytes = std::io::Cursor::new(Vec::new());
        let result = image
            .write_to(&mut bytes, image::ImageFormat::Png)
            .map_err(|e| e.to_string())
            .and_then(|()| {
                arnet_model::fsutil::write_atomic(path, bytes.get_ref()).map_err(|e| e.to_string())
            });
        self.message = Some(match result {
            Ok(()) => format!("saved {}", path.display()),
            Err(e) => format!("{}: {e}", path.display()),
        });
    }

    /// The sketch to search with: the opened image, or the strokes.
    fn query_sketch(&self) -> QuerySketch {
        match &self.opened_sketch {
            Some(opened) => QuerySketch::Image(opened.image.clone()),
            None => QuerySketch::Strokes(self.sketch.strokes().to_vec()),
        }
    }

    /// The sketch as the model sees it: the opened image, or the strokes rasterised at 224.
    fn query_raster(&self) -> RgbImage {
        self.query_sketch().raster()
    }

    /// Adds a stroke as if drawn (normalised coordinates) and queries.
    pub fn add_stroke(&mut self, stroke: Stroke) {
        self.opened_sketch = None;
        if self.sketch.add(stroke) {
            self.sketch_changed();
        }
    }

    /// Undo (Ctrl+Z).
    pub fn undo(&mut self) {
        if self.sketch.undo() {
            self.sketch_changed();
        }
    }

    /// Redo (Ctrl+Shift+Z).
    pub fn redo(&mut self) {
        if self.sketch.redo() {
            self.sketch_changed();
        }
    }

    /// Clears the canvas (undoable) and the "more like this / not this" marks: they were
    /// about that drawing.
    pub fn clear(&mut self) {
        let had_image = self.opened_sketch.take().is_some();
        self.feedback.clear();
        if self.sketch.clear() || had_image {
            self.sketch_changed();
        }
    }

    /// After every change to the strokes: write them to the sketch file, and query.
    fn sketch_changed(&mut self) {
        if let Some(path) = &self.sketch_file
            && let Err(e) = sketch_file::save(path, self.sketch.strokes())
        {
            self.message = Some(format!("the sketch could not be saved: {e}"));
        }
        self.request_query();
    }

    fn request_query(&mut self) {
        if self.opened_sketch.is_none() && self.sketch.is_empty() {
            self.results = None;
            return;
        }
        let image = self.query_sketch();
        self.next_query += 1;
        self.worker.send(Request::Query(Query {
            id: self.next_query,
            image,
            target: self.target.clone(),
            k: self.settings.result_count,
            colour: self.colour_query(),
            feedback: self.feedback.clone(),
            shadow: self.settings.shadow,
        }));
    }

    /// The colour to re-rank by, when the swatch is on.
    fn colour_query(&self) -> Option<ColourQuery> {
        self.settings.colour.map(|rgb| ColourQuery {
            rgb,
            weight: self.settings.colour_weight,
        })
    }

    /// The keyboard shortcuts ([`shortcuts`]) and dropped files.
    fn handle_input(&mut self, ctx: &egui::Context) -> Vec<Action> {
        let dropped: Vec<PathBuf> = ctx.input(|input| {
            input
                .raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        for path in dropped {
            self.open_dropped(&path);
        }
        shortcuts::read(ctx)
    }

    /// A dropped folder is a gallery, a weight file a model, an image a sketch.
    fn open_dropped(&mut self, path: &Path) {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if path.is_dir() {
            self.open_gallery(path.to_path_buf());
        } else if ["safetensors", "pth", "pt", "bin"].contains(&extension.as_str()) {
            self.open_weights(path.to_path_buf());
        } else if arnet_model::gallery::is_image_path(path) {
            self.open_sketch(path);
        } else {
            self.message = Some(format!(
                "{}: not a folder, weights or image",
                path.display()
            ));
        }
    }

    /// Draws the whole UI, then applies what the panels report.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.worker.set_context(&ctx);
        self.handle_events();
        self.handle_fine_tune();
        if self.fine_tune.is_some() {
            // The child process does not wake the UI: look again soon.
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
        if let Some((number, error)) = logging::error_since(self.log_errors_seen) {
            self.log_errors_seen = number;
            self.log_error = Some(error);
        }
        let mut actions = self.handle_input(&ctx);
        let demo = self.using_demo() && assets::demo_weights().exists();
        egui::Panel::top("toolbar").show(ui, |ui| {
            self.toolbar
                .ui(ui, demo, self.message.as_deref(), &mut actions);
        });
        egui::Panel::bottom("status").show(ui, |ui| {
            let status = Status {
                device: &self.device.description,
                model: &self.model,
                gallery: &self.gallery,
                catalogue: &self.catalogue,
                results: self.results.as_ref(),
                error: self.log_error.as_deref(),
            };
            self.status_bar.ui(ui, status, &mut actions);
        });
        let can_fine_tune = matches!(self.model, ModelStatus::Ready { .. })
            && matches!(self.gallery, GalleryStatus::Ready { .. });
        egui::Panel::bottom("fine-tune").show(ui, |ui| {
            self.fine_tune_panel
                .ui(ui, &self.fine_tune_status, can_fine_tune, &mut actions);
        });
        // The canvas takes a square as tall as the window allows (less the tools row and the
        // rank plot), at most 60 % of the width; the results fill the rest.
        let reserved = if self.target.is_some() {
            rank_plot::HEIGHT
        } else {
            0.0
        };
        let free = ui.available_rect_before_wrap();
        let canvas_side = (free.height() - TOOLS_ROW - reserved)
            .min(free.width() * 0.6)
            .max(MIN_CANVAS);
        egui::Panel::left("sketch")
            .resizable(false)
            .exact_size(canvas_side)
            .show(ui, |ui| {
                let settings = ToolSettings {
                    pen_width: &mut self.settings.pen_width,
                    colour: &mut self.settings.colour,
                    colour_weight: &mut self.settings.colour_weight,
                    shadow: &mut self.settings.shadow,
                    shadow_opacity: &mut self.settings.shadow_opacity,
                };
                self.tools.ui(ui, settings, &self.sketch, &mut actions);
                let shadow = self
                    .results
                    .as_ref()
                    .filter(|_| self.settings.shadow)
                    .and_then(|results| Some((results.id, results.shadow.as_deref()?)));
                self.canvas.ui(
                    ui,
                    CanvasInput {
                        tool: self.tools.tool,
                        pen_width: self.settings.pen_width,
                        sketch: &self.sketch,
                        opened: self.opened_sketch.as_mut(),
                        shadow: shadow
                            .map(|(id, shadow)| (id, shadow, self.settings.shadow_opacity)),
                        reserved_below: reserved,
                    },
                    &mut actions,
                );
                if let Some(target) = &self.target {
                    self.rank_plot
                        .ui(ui, target, &self.rank_history, &mut actions);
                }
            });
        let note = self.results_note();
        egui::CentralPanel::default().show(ui, |ui| {
            self.results_panel.ui(
                ui,
                ResultsView {
                    results: self.results.as_ref(),
                    count: self.settings.result_count,
                    note: &note,
                    feedback: &self.feedback,
                },
                &mut self.images,
                &mut actions,
            );
        });
        let can_save = !self.sketch.is_empty() || self.opened_sketch.is_some();
        self.selected_photo.ui(
            &ctx,
            &mut self.images,
            can_save,
            &self.feedback,
            &mut actions,
        );
        for action in actions {
            self.apply(action);
        }
    }

    /// Why the results panel has no results.
    fn results_note(&self) -> String {
        match (&self.gallery, &self.query_note) {
            (GalleryStatus::Indexing { .. }, _) => "indexing the gallery…".to_string(),
            (_, Some(note)) => note.clone(),
            _ if self.sketch.is_empty() && self.opened_sketch.is_none() => {
                "draw a garment on the canvas".to_string()
            }
            _ => "searching…".to_string(),
        }
    }
}

impl std::fmt::Debug for SketchApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SketchApp")
            .field("strokes", &self.sketch.strokes().len())
            .field("model", &self.model)
            .field("gallery", &self.gallery)
            .finish_non_exhaustive()
    }
}

impl eframe::App for SketchApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        SketchApp::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        storage.set_string(settings::STORAGE_KEY, self.settings().to_json());
    }
}
