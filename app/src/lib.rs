//! The ARNet Sketch desktop application (eframe/egui): draw a garment, see the ten closest
//! photos of a folder update as you draw.
//!
//! - [`sketch`]: strokes with undo / redo and the eraser;
//! - [`worker`]: the model, queries, indexing and thumbnails, on background threads;
//! - [`settings`]: what is remembered between runs;
//! - [`annotate`]: "save as training pair";
//! - [`hardware`]: GPU or CPU;
//! - [`assets`]: the bundled demo.
//!
//! [`SketchApp::ui`] draws everything into a [`egui::Ui`]; the eframe [`eframe::App`] impl
//! only adds persistence, so tests drive the very same UI with egui_kittest.

pub mod annotate;
pub mod assets;
pub mod hardware;
pub mod settings;
pub mod sketch;
pub mod sketch_file;
pub mod worker;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arnet_model::raster::{Stroke, rasterize};
use egui::{Color32, Pos2, Rect, Sense, Stroke as LineStyle, Vec2};
use image::RgbImage;

use crate::hardware::DeviceChoice;
use crate::settings::Settings;
use crate::sketch::Sketch;
use crate::worker::{Event, ImageLoader, Query, QueryImage, QueryResults, Request, Worker};

/// Label of the drawing canvas (for accessibility and tests).
pub const CANVAS_LABEL: &str = "Sketch canvas";

/// The drawing tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Draws strokes.
    Pen,
    /// Removes the strokes it touches.
    Eraser,
}

/// Where the model stands.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelStatus {
    /// Loading this file.
    Loading(PathBuf),
    /// Loaded.
    Ready {
        /// The file.
        weights: PathBuf,
        /// Its shape.
        summary: String,
    },
    /// Failed (message).
    Failed(String),
}

/// Where the gallery stands.
#[derive(Debug, Clone, PartialEq)]
pub enum GalleryStatus {
    /// No folder chosen.
    None,
    /// Being indexed.
    Indexing {
        /// The folder.
        folder: PathBuf,
        /// Photos handled.
        done: usize,
        /// Photos found.
        total: usize,
    },
    /// Ready.
    Ready {
        /// The folder.
        folder: PathBuf,
        /// Photos indexed.
        photos: usize,
        /// Reused from the cache.
        cached: usize,
        /// Unusable files, with the reason.
        skipped: Vec<(PathBuf, String)>,
    },
    /// Failed (message).
    Failed(String),
    /// Cancelled by the user.
    Cancelled(PathBuf),
}

/// The application state.
pub struct SketchApp {
    settings: Settings,
    sketch: Sketch,
    tool: Tool,
    drawing: Option<Vec<[f32; 2]>>,
    opened_sketch: Option<(PathBuf, Arc<RgbImage>, Option<egui::TextureHandle>)>,
    worker: Worker,
    device: DeviceChoice,
    images: ImageLoader,
    next_query: u64,
    results: Option<QueryResults>,
    query_note: Option<String>,
    model: ModelStatus,
    gallery: GalleryStatus,
    gallery_input: String,
    weights_input: String,
    dataset_input: String,
    selected: Option<PathBuf>,
    target: Option<PathBuf>,
    rank_history: Vec<(usize, usize)>,
    message: Option<String>,
    /// Where the current sketch is written after every change (none: not written).
    sketch_file: Option<PathBuf>,
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
    pub fn with_paths(
        settings: Settings,
        device: DeviceChoice,
        cache_dir: PathBuf,
        sketch_file: Option<PathBuf>,
    ) -> Self {
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
            gallery_input: gallery.display().to_string(),
            weights_input: weights.display().to_string(),
            dataset_input: settings
                .dataset
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            settings,
            sketch,
            tool: Tool::Pen,
            drawing: None,
            opened_sketch: None,
            worker,
            device,
            images: ImageLoader::default(),
            next_query: 0,
            results: None,
            query_note: None,
            model: ModelStatus::Loading(weights.clone()),
            gallery: GalleryStatus::None,
            selected: None,
            target: None,
            rank_history: Vec::new(),
            message: sketch_file_error,
            sketch_file,
        };
        app.worker.send(Request::LoadModel {
            weights,
            heads: app.settings.heads,
        });
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

    /// The model's state.
    pub fn model_status(&self) -> &ModelStatus {
        &self.model
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

    /// Whether the demo gallery and the demo model are in use.
    pub fn using_demo(&self) -> bool {
        self.settings.gallery.is_none() && self.settings.weights.is_none()
    }

    /// Indexes `folder` and remembers it.
    pub fn open_gallery(&mut self, folder: PathBuf) {
        if folder != assets::demo_gallery() {
            self.settings.gallery = Some(folder.clone());
        }
        self.gallery_input = folder.display().to_string();
        self.gallery = GalleryStatus::Indexing {
            folder: folder.clone(),
            done: 0,
            total: 0,
        };
        self.results = None;
        self.worker.send(Request::Index(folder));
    }

    /// Loads a weight file and remembers it.
    pub fn open_weights(&mut self, weights: PathBuf) {
        self.model = ModelStatus::Loading(weights.clone());
        self.weights_input = weights.display().to_string();
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
                self.opened_sketch = Some((path.to_path_buf(), Arc::new(image), None));
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

    /// The sketch as the model sees it: the opened image, or the strokes rasterised at 224.
    fn query_raster(&self) -> RgbImage {
        match &self.opened_sketch {
            Some((_, image, _)) => (**image).clone(),
            None => rasterize(self.sketch.strokes(), worker::SKETCH_RASTER),
        }
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

    /// Clears the canvas (undoable).
    pub fn clear(&mut self) {
        let had_image = self.opened_sketch.take().is_some();
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
        let image = match &self.opened_sketch {
            Some((_, image, _)) => QueryImage::Image(image.clone()),
            None if self.sketch.is_empty() => {
                self.results = None;
                return;
            }
            None => QueryImage::Strokes(self.sketch.strokes().to_vec()),
        };
        self.next_query += 1;
        self.worker.send(Request::Query(Query {
            id: self.next_query,
            image,
            target: self.target.clone(),
        }));
    }

    fn handle_events(&mut self) {
        for event in self.worker.poll() {
            match event {
                Event::ModelLoaded { weights, summary } => {
                    if weights != assets::demo_weights() {
                        self.settings.weights = Some(weights.clone());
                    }
                    self.model = ModelStatus::Ready { weights, summary };
                    if let GalleryStatus::Ready { folder, .. } = &self.gallery {
                        // The worker re-indexes with the new model.
                        self.gallery = GalleryStatus::Indexing {
                            folder: folder.clone(),
                            done: 0,
                            total: 0,
                        };
                    }
                }
                Event::ModelFailed(reason) => self.model = ModelStatus::Failed(reason),
                Event::IndexProgress(progress) => {
                    if let GalleryStatus::Indexing { done, total, .. } = &mut self.gallery {
                        (*done, *total) = (progress.done, progress.total);
                    }
                }
                Event::GalleryReady {
                    folder,
                    photos,
                    cached,
                    skipped,
                } => {
                    self.gallery = GalleryStatus::Ready {
                        folder,
                        photos,
                        cached,
                        skipped: skipped.into_iter().map(|s| (s.path, s.reason)).collect(),
                    };
                    self.request_query();
                }
                Event::GalleryFailed(reason) => self.gallery = GalleryStatus::Failed(reason),
                Event::IndexCancelled => {
                    if let GalleryStatus::Indexing { folder, .. } = &self.gallery {
                        self.gallery = GalleryStatus::Cancelled(folder.clone());
                    }
                }
                Event::Results(results) => {
                    if results.id == self.next_query {
                        if let Some(rank) = results.target_rank {
                            let strokes = self.sketch.strokes().len();
                            match self.rank_history.last_mut() {
                                Some(last) if last.0 == strokes => last.1 = rank,
                                _ => self.rank_history.push((strokes, rank)),
                            }
                        }
                        self.query_note = None;
                        self.results = Some(results);
                    }
                }
                Event::QueryFailed { id, reason } => {
                    if id == self.next_query {
                        self.query_note = Some(reason);
                    }
                }
            }
        }
    }

    fn handle_input(&mut self, ctx: &egui::Context) {
        let (redo, undo, dropped) = ctx.input_mut(|input| {
            let redo = input.consume_key(
                egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
                egui::Key::Z,
            );
            let undo = input.consume_key(egui::Modifiers::COMMAND, egui::Key::Z);
            let dropped: Vec<PathBuf> = input
                .raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect();
            (redo, undo, dropped)
        });
        if redo {
            self.redo();
        } else if undo {
            self.undo();
        }
        for path in dropped {
            self.open_dropped(&path);
        }
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

    /// Draws the whole UI.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.worker.set_context(&ctx);
        self.handle_events();
        self.handle_input(&ctx);
        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        egui::Panel::right("results")
            .min_size(300.0)
            .show(ui, |ui| self.results_panel(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            self.tools_row(ui);
            self.canvas(ui);
            self.rank_plot(ui);
        });
        self.selected_window(&ctx);
    }

    fn toolbar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = ui.label("Gallery folder");
            ui.add(egui::TextEdit::singleline(&mut self.gallery_input).desired_width(260.0))
                .labelled_by(label.id);
            if ui.button("Load folder").clicked() {
                self.open_gallery(PathBuf::from(self.gallery_input.trim()));
            }
            if ui.button("Browse…").clicked()
                && let Some(folder) = rfd::FileDialog::new().pick_folder()
            {
                self.open_gallery(folder);
            }
            ui.separator();
            let label = ui.label("Weights");
            ui.add(egui::TextEdit::singleline(&mut self.weights_input).desired_width(200.0))
                .labelled_by(label.id);
            if ui.button("Load weights").clicked() {
                self.open_weights(PathBuf::from(self.weights_input.trim()));
            }
            if ui.button("Browse weights…").clicked()
                && let Some(file) = rfd::FileDialog::new()
                    .add_filter("weights", &["safetensors", "pth", "pt"])
                    .pick_file()
            {
                self.open_weights(file);
            }
        });
        ui.horizontal(|ui| {
            if ui.button("Open sketch…").clicked()
                && let Some(file) = rfd::FileDialog::new()
                    .add_filter("images", &["png", "jpg", "jpeg", "webp", "bmp"])
                    .pick_file()
            {
                self.open_sketch(&file);
            }
            if ui.button("Save sketch…").clicked()
                && let Some(file) = rfd::FileDialog::new()
                    .add_filter("PNG", &["png"])
                    .set_file_name("sketch.png")
                    .save_file()
            {
                self.save_sketch(&file);
            }
            if self.using_demo() && assets::demo_weights().exists() {
                ui.label(
                    egui::RichText::new(
                        "demo gallery, demo model — open your own folder / weights",
                    )
                    .italics(),
                );
            }
            if let Some(message) = &self.message {
                ui.label(message);
            }
        });
    }

    fn tools_row(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.tool, Tool::Pen, "Pen");
            ui.selectable_value(&mut self.tool, Tool::Eraser, "Eraser");
            ui.add(
                egui::Slider::new(&mut self.settings.pen_width, 0.004..=0.04)
                    .text("width")
                    .fixed_decimals(3),
            );
            if ui
                .add_enabled(self.sketch.can_undo(), egui::Button::new("Undo"))
                .on_hover_text("Ctrl+Z")
                .clicked()
            {
                self.undo();
            }
            if ui
                .add_enabled(self.sketch.can_redo(), egui::Button::new("Redo"))
                .on_hover_text("Ctrl+Shift+Z")
                .clicked()
            {
                self.redo();
            }
            if ui.button("Clear").clicked() {
                self.clear();
            }
            ui.label(format!("{} strokes", self.sketch.strokes().len()));
        });
    }

    fn canvas(&mut self, ui: &mut egui::Ui) {
        let available = ui.available_size();
        let plot_room = if self.target.is_some() { 130.0 } else { 0.0 };
        let side = available.x.min(available.y - plot_room).max(120.0);
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
        match self.tool {
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
                    self.add_stroke(Stroke::new(points, self.settings.pen_width));
                } else if response.clicked()
                    && let Some(p) = pointer
                {
                    self.add_stroke(Stroke::new(vec![p], self.settings.pen_width));
                }
            }
            Tool::Eraser => {
                if (response.dragged() || response.clicked())
                    && let Some(p) = pointer
                    && self.sketch.erase_at(p, 0.02) > 0
                {
                    self.sketch_changed();
                }
            }
        }

        painter.rect_filled(rect, 0.0, Color32::WHITE);
        if let Some((path, image, texture)) = &mut self.opened_sketch {
            let texture = texture.get_or_insert_with(|| {
                let pixels = egui::ColorImage::from_rgb(
                    [image.width() as usize, image.height() as usize],
                    image.as_raw(),
                );
                ui.ctx()
                    .load_texture(path.display().to_string(), pixels, Default::default())
            });
            painter.image(
                texture.id(),
                rect,
                Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
                Color32::WHITE,
            );
        }
        let to_screen =
            |p: &[f32; 2]| Pos2::new(rect.min.x + p[0] * side, rect.min.y + p[1] * side);
        let in_progress = self
            .drawing
            .as_ref()
            .map(|points| Stroke::new(points.clone(), self.settings.pen_width));
        for stroke in self.sketch.strokes().iter().chain(in_progress.as_ref()) {
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

    fn rank_plot(&mut self, ui: &mut egui::Ui) {
        let Some(target) = self.target.clone() else {
            return;
        };
        ui.horizontal(|ui| {
            ui.label(format!(
                "Drawing: {} — rank after each stroke",
                target.file_name().unwrap_or_default().to_string_lossy()
            ));
            if ui.button("Stop tracking").clicked() {
                self.set_target(None);
            }
        });
        let (rect, _) =
            ui.allocate_exact_size(Vec2::new(ui.available_width(), 100.0), Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        let history = &self.rank_history;
        if history.is_empty() {
            return;
        }
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
        painter.add(egui::Shape::line(
            points.clone(),
            LineStyle::new(2.0, Color32::from_rgb(31, 119, 180)),
        ));
        for p in points {
            painter.circle_filled(p, 3.0, Color32::from_rgb(31, 119, 180));
        }
        let last = history.last().expect("not empty");
        painter.text(
            rect.right_top() + Vec2::new(-8.0, 4.0),
            egui::Align2::RIGHT_TOP,
            format!("rank {} after {} strokes", last.1, last.0),
            egui::FontId::proportional(12.0),
            ui.visuals().text_color(),
        );
    }

    fn results_panel(&mut self, ui: &mut egui::Ui) {
        ui.heading("Top 10");
        let Some(results) = self.results.clone() else {
            let note = match (&self.gallery, &self.query_note) {
                (GalleryStatus::Indexing { .. }, _) => "indexing the gallery…".to_string(),
                (_, Some(note)) => note.clone(),
                _ if self.sketch.is_empty() && self.opened_sketch.is_none() => {
                    "draw a garment on the canvas".to_string()
                }
                _ => "searching…".to_string(),
            };
            ui.label(note);
            return;
        };
        let ctx = ui.ctx().clone();
        egui::ScrollArea::vertical().show(ui, |ui| {
            egui::Grid::new("results-grid")
                .num_columns(2)
                .show(ui, |ui| {
                    for (i, (path, score)) in results.hits.iter().enumerate() {
                        ui.vertical(|ui| {
                            let thumbnail = self.images.get(&ctx, path, 128);
                            match thumbnail {
                                Some(Ok(texture)) => {
                                    let image = egui::Image::new(&texture)
                                        .fit_to_exact_size(Vec2::splat(128.0))
                                        .sense(Sense::click());
                                    if ui.add(image).clicked() {
                                        self.selected = Some(path.clone());
                                    }
                                }
                                Some(Err(_)) => {
                                    ui.label("(unreadable)");
                                }
                                None => {
                                    ui.add_sized(Vec2::splat(128.0), egui::Spinner::new());
                                }
                            }
                            let label = format!("#{} {:.3}", i + 1, score);
                            if ui
                                .button(label)
                                .on_hover_text(path.display().to_string())
                                .clicked()
                            {
                                self.selected = Some(path.clone());
                            }
                        });
                        if i % 2 == 1 {
                            ui.end_row();
                        }
                    }
                });
        });
    }

    fn selected_window(&mut self, ctx: &egui::Context) {
        let Some(path) = self.selected.clone() else {
            return;
        };
        let mut open = true;
        egui::Window::new("Result")
            .open(&mut open)
            .default_width(420.0)
            .show(ctx, |ui| {
                match self.images.get(ctx, &path, 512) {
                    Some(Ok(texture)) => {
                        ui.add(egui::Image::new(&texture).max_size(Vec2::splat(400.0)));
                    }
                    Some(Err(e)) => {
                        ui.label(e);
                    }
                    None => {
                        ui.spinner();
                    }
                }
                ui.label(path.display().to_string());
                ui.horizontal(|ui| {
                    if ui.button("Copy path").clicked() {
                        ctx.copy_text(path.display().to_string());
                    }
                    if ui.button("Reveal in file manager").clicked() {
                        self.message = reveal(&path).err();
                    }
                    if ui.button("Track this photo while drawing").clicked() {
                        self.set_target(Some(path.clone()));
                    }
                });
                ui.separator();
                ui.horizontal(|ui| {
                    ui.label("Dataset folder");
                    ui.text_edit_singleline(&mut self.dataset_input);
                });
                let can_save = !self.dataset_input.trim().is_empty()
                    && (!self.sketch.is_empty() || self.opened_sketch.is_some());
                if ui
                    .add_enabled(can_save, egui::Button::new("Save as training pair"))
                    .clicked()
                {
                    let dataset = PathBuf::from(self.dataset_input.trim());
                    self.settings.dataset = Some(dataset.clone());
                    let sketch = self.query_raster();
                    self.message = Some(
                        match annotate::save_training_pair(&dataset, &path, &sketch) {
                            Ok(saved) => format!("saved {}", saved.sketch.display()),
                            Err(e) => format!("{e:#}"),
                        },
                    );
                }
            });
        if !open {
            self.selected = None;
        }
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.label(&self.device.description);
            ui.separator();
            match &self.model {
                ModelStatus::Loading(path) => ui.label(format!("loading {}…", path.display())),
                ModelStatus::Ready { weights, summary } => ui.label(format!(
                    "model: {} ({summary})",
                    weights.file_name().unwrap_or_default().to_string_lossy()
                )),
                ModelStatus::Failed(reason) => {
                    ui.colored_label(Color32::RED, format!("model: {reason}"))
                }
            };
            ui.separator();
            let mut cancel = false;
            match &self.gallery {
                GalleryStatus::None => {
                    ui.label("no gallery");
                }
                GalleryStatus::Indexing { .. } if matches!(self.model, ModelStatus::Failed(_)) => {
                    ui.label("gallery waits for a model");
                }
                GalleryStatus::Indexing { done, total, .. } => {
                    let fraction = if *total == 0 {
                        0.0
                    } else {
                        *done as f32 / *total as f32
                    };
                    ui.add(
                        egui::ProgressBar::new(fraction)
                            .desired_width(160.0)
                            .text(format!("indexing {done}/{total}")),
                    );
                    cancel = ui.button("Cancel").clicked();
                }
                GalleryStatus::Ready {
                    photos,
                    cached,
                    skipped,
                    ..
                } => {
                    ui.label(format!("gallery: {photos} photos ({cached} from cache)"));
                    if !skipped.is_empty() {
                        ui.collapsing(format!("{} files skipped", skipped.len()), |ui| {
                            for (path, reason) in skipped {
                                ui.label(format!("{}: {reason}", path.display()));
                            }
                        });
                    }
                }
                GalleryStatus::Failed(reason) => {
                    ui.colored_label(Color32::RED, format!("gallery: {reason}"));
                }
                GalleryStatus::Cancelled(folder) => {
                    ui.label(format!("indexing of {} cancelled", folder.display()));
                }
            }
            if cancel {
                self.worker.send(Request::CancelIndex);
            }
            if let Some(results) = &self.results {
                ui.separator();
                ui.label(format!(
                    "last query {:.0} ms",
                    results.elapsed.as_secs_f64() * 1000.0
                ));
            }
        });
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

/// Shows `path` in the platform's file manager.
fn reveal(path: &Path) -> Result<(), String> {
    let folder = path.parent().unwrap_or(path);
    let result = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
            .arg("-R")
            .arg(path)
            .spawn()
    } else if cfg!(target_os = "windows") {
        std::process::Command::new("explorer")
            .arg(format!("/select,{}", path.display()))
            .spawn()
    } else {
        std::process::Command::new("xdg-open").arg(folder).spawn()
    };
    result
        .map(|_| ())
        .map_err(|e| format!("cannot open a file manager: {e}"))
}

impl eframe::App for SketchApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        SketchApp::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        storage.set_string(settings::STORAGE_KEY, self.settings().to_json());
    }
}
