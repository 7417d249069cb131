//! The background threads of the model: queries (`arnet-query`) and gallery indexing
//! (`arnet-index`). Thumbnails have their own thread ([`crate::thumbnails`]).
//!
//! The UI thread never waits on them: it sends [`Request`]s and, each frame, takes whatever
//! [`Event`]s have arrived. Queries supersede each other: before embedding, the query thread
//! drains its queue and keeps only the newest query, so a burst of strokes costs one encoder
//! pass, not one per stroke.
//!
//! Why one file past 500 lines: the requests, events and the query thread that answers them
//! are one protocol, read together; the indexing thread is the query thread's job.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arnet_model::burn::tensor::Device;
use arnet_model::colour::ColourQuery;
use arnet_model::feedback::FeedbackPhotos;
use arnet_model::gallery::{
    GalleryError, GalleryIndex, IndexSettings, Progress, Skipped, index_gallery, model_identity,
};
use arnet_model::query::{Feedback, Searcher, Sketch, embed_sketch};
use arnet_model::shadow::{Extent, SHADOW_PHOTOS, Shadow, compose};
use arnet_model::{ArnetEncoder, Backend, EncoderRole, weights};

use crate::shared_catalogue;
use crate::status::CatalogueStatus;

/// Results shown unless the user asks for more.
pub const TOP_K: usize = 10;

/// One retrieval request.
#[derive(Debug, Clone)]
pub struct Query {
    /// Increasing id: results of an older query are recognisable.
    pub id: u64,
    /// The sketch.
    pub image: Sketch,
    /// A photo whose rank to report (the on-the-fly view).
    pub target: Option<PathBuf>,
    /// Results wanted.
    pub k: usize,
    /// The colour swatch to re-rank by (none: shape only).
    pub colour: Option<ColourQuery>,
    /// Results marked "more like this" / "not this" (docs/feedback.md).
    pub feedback: FeedbackPhotos,
    /// Whether to compose the shadow of the best matches ([`arnet_model::shadow`]).
    pub shadow: bool,
}

/// Requests to the query thread.
#[derive(Debug)]
pub enum Request {
    /// Load a weight file (then re-index the current gallery with it): a two-encoder file, or
    /// a single-encoder file as the photo encoder alone.
    LoadModel {
        /// The file.
        weights: PathBuf,
        /// Head-count override.
        heads: Option<usize>,
    },
    /// Index a gallery folder (cancels an indexing in progress).
    Index(PathBuf),
    /// Stop the indexing in progress (what is done stays cached).
    CancelIndex,
    /// Retrieve.
    Query(Query),
    /// Search this shared catalogue (none: this machine's index only); re-indexes the
    /// current gallery into it.
    SetStore(Option<String>),
    /// Internal: an indexing thread finished (with the shared catalogue to search, when one
    /// is set and reachable).
    Indexed(u64, Arc<GalleryIndex>, Option<Box<Searcher>>),
}

/// The result of a query.
#[derive(Debug, Clone)]
pub struct QueryResults {
    /// The query's id.
    pub id: u64,
    /// Top photos with their cosine similarity, best first.
    pub hits: Vec<(PathBuf, f32)>,
    /// Time from the query thread picking it up to the ranking.
    pub elapsed: Duration,
    /// 1-based rank of the query's target photo, if it had one in the gallery.
    pub target_rank: Option<usize>,
    /// Photos in the gallery.
    pub gallery_size: usize,
    /// Whether the shared catalogue answered (else this machine's index).
    pub from_catalogue: bool,
    /// The shadow of the best matches over the drawing, when asked for and any has a line
    /// drawing (its time is in `elapsed`).
    pub shadow: Option<Arc<Shadow>>,
}

/// Messages to the UI.
#[derive(Debug, Clone)]
pub enum Event {
    /// A model is loaded.
    ModelLoaded {
        /// The file.
        weights: PathBuf,
        /// Short description (input size, width, depth).
        summary: String,
    },
    /// A model could not be loaded (the previous one stays).
    ModelFailed(String),
    /// Indexing progress.
    IndexProgress(Progress),
    /// A gallery is ready.
    GalleryReady {
        /// The folder.
        folder: PathBuf,
        /// Photos indexed.
        photos: usize,
        /// Reused from the cache.
        cached: usize,
        /// Unusable files.
        skipped: Vec<Skipped>,
    },
    /// A gallery could not be indexed.
    GalleryFailed(String),
    /// Indexing was cancelled.
    IndexCancelled,
    /// The shared catalogue's state changed.
    Catalogue(CatalogueStatus),
    /// Results of a query.
    Results(QueryResults),
    /// A query could not run (no model or no gallery yet).
    QueryFailed {
        /// The query's id.
        id: u64,
        /// Why.
        reason: String,
    },
}

/// Wakes the UI when an event is sent (set once the UI has a context).
#[derive(Clone, Default)]
pub(crate) struct Waker(pub(crate) Arc<Mutex<Option<egui::Context>>>);

impl Waker {
    pub(crate) fn wake(&self) {
        if let Some(ctx) = self.0.lock().expect("waker lock").as_ref() {
            ctx.request_repaint();
        }
    }
}

/// Sends events to the UI and wakes it.
#[derive(Clone)]
struct Outbox {
    events: Sender<Event>,
    waker: Waker,
}

impl Outbox {
    fn send(&self, event: Event) {
        let _ = self.events.send(event);
        self.waker.wake();
    }
}

/// The UI's handle on the background threads.
pub struct Worker {
    requests: Sender<Request>,
    events: Receiver<Event>,
    waker: Waker,
    /// Backend the model runs on.
    pub backend: Backend,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Worker {
    /// Starts the query thread on `backend`; gallery embeddings are cached under `cache_dir`.
    pub fn start(backend: Backend, cache_dir: PathBuf) -> Self {
        let (requests, inbox) = channel();
        let (events, outbox_receiver) = channel();
        let waker = Waker::default();
        let outbox = Outbox {
            events,
            waker: waker.clone(),
        };
        let loopback = requests.clone();
        std::thread::Builder::new()
            .name("arnet-query".into())
            .spawn(move || QueryThread::new(backend, cache_dir, outbox, loopback).run(inbox))
            .expect("spawning the query thread");
        Self {
            requests,
            events: outbox_receiver,
            waker,
            backend,
        }
    }

    /// Lets the threads wake the UI.
    pub fn set_context(&self, ctx: &egui::Context) {
        let mut slot = self.waker.0.lock().expect("waker lock");
        if slot.is_none() {
            *slot = Some(ctx.clone());
        }
    }

    /// Sends a request (a stopped thread is ignored: the app shows no results).
    pub fn send(&self, request: Request) {
        let _ = self.requests.send(request);
    }

    /// Events that have arrived since the last call.
    pub fn poll(&self) -> Vec<Event> {
        self.events.try_iter().collect()
    }
}

/// Why a weight file could not be loaded (the previous model stays).
#[derive(Debug, thiserror::Error)]
enum ModelLoadError {
    /// The file cannot be read or does not fit the model (the error names it).
    #[error(transparent)]
    Weights(#[from] weights::WeightsError),
    /// Its identity (the gallery store's key) could not be computed.
    #[error("{path}: {source}")]
    Identity {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

struct LoadedModel {
    /// Embeds the gallery.
    photo: Arc<ArnetEncoder>,
    /// Embeds the drawing; a single-encoder file has none, and the message says what to load.
    sketch: Result<ArnetEncoder, String>,
    model_id: String,
}

/// Loads a weight file for the app: both encoders of a pair, or a single-encoder file as the
/// photo encoder alone (enough to index a gallery; queries then say the sketch encoder is
/// missing). The tensors loading leaves out (timm's classifier) are noted on stderr, as the
/// CLI notes them.
fn load_model_file(
    path: &Path,
    heads: Option<usize>,
    device: &Device,
) -> Result<LoadedModel, ModelLoadError> {
    let file = weights::WeightFile::read_with_note(path)?;
    let (photo, sketch) = match file.contents().missing_for_pair() {
        None => {
            let pair = file.load_pair(heads, device)?;
            (pair.photo, Ok(pair.sketch))
        }
        Some(missing) => {
            let photo = file.load_encoder(EncoderRole::Photo, heads, device)?;
            (photo, Err(format!("{}: {missing}", path.display())))
        }
    };
    let model_id = model_identity(path, heads).map_err(|source| ModelLoadError::Identity {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(LoadedModel {
        photo: Arc::new(photo),
        sketch,
        model_id,
    })
}

struct QueryThread {
    cache_dir: PathBuf,
    device: Option<Device>,
    device_error: Option<String>,
    outbox: Outbox,
    loopback: Sender<Request>,
    model: Option<LoadedModel>,
    gallery: Option<Arc<GalleryIndex>>,
    gallery_folder: Option<PathBuf>,
    store_url: Option<String>,
    /// The shared catalogue, searched instead of `gallery` while it answers.
    catalogue: Option<Box<Searcher>>,
    index_job: u64,
    index_cancel: Arc<AtomicBool>,
}

impl QueryThread {
    fn new(
        backend: Backend,
        cache_dir: PathBuf,
        outbox: Outbox,
        loopback: Sender<Request>,
    ) -> Self {
        let (device, device_error) = match backend.device() {
            Ok(device) => (Some(device), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Self {
            cache_dir,
            device,
            device_error,
            outbox,
            loopback,
            model: None,
            gallery: None,
            gallery_folder: None,
            store_url: None,
            catalogue: None,
            index_job: 0,
            index_cancel: Arc::new(AtomicBool::new(false)),
        }
    }

    fn run(mut self, inbox: Receiver<Request>) {
        while let Ok(first) = inbox.recv() {
            let mut pending: Vec<Request> = vec![first];
            pending.extend(inbox.try_iter());
            // Only the newest query matters; everything else runs in order.
            let newest_query = pending.iter().rposition(|r| matches!(r, Request::Query(_)));
            for (i, request) in pending.into_iter().enumerate() {
                match request {
                    Request::Query(query) if Some(i) == newest_query => self.query(query),
                    Request::Query(_) => {}
                    Request::LoadModel { weights, heads } => self.load_model(&weights, heads),
                    Request::Index(folder) => self.start_index(folder),
                    Request::CancelIndex => self.index_cancel.store(true, Ordering::Relaxed),
                    Request::SetStore(url) => {
                        self.store_url = url;
                        self.catalogue = None;
                        if let Some(folder) = self.gallery_folder.clone() {
                            self.start_index(folder);
                        }
                    }
                    Request::Indexed(job, index, catalogue) => {
                        if job == self.index_job {
                            self.gallery = Some(index);
                            self.catalogue = catalogue;
                        }
                    }
                }
            }
        }
    }

    fn load_model(&mut self, path: &Path, heads: Option<usize>) {
        let Some(device) = &self.device else {
            let reason = self.device_error.clone().unwrap_or_default();
            self.outbox.send(Event::ModelFailed(reason));
            return;
        };
        match load_model_file(path, heads, device) {
            Ok(model) => {
                let summary = format!(
                    "{}{}{}",
                    model.photo.encoder.describe(),
                    if model.photo.mstr.is_some() {
                        ", MSTR"
                    } else {
                        ""
                    },
                    if model.sketch.is_err() {
                        "; photo encoder only: no sketch encoder to search with"
                    } else {
                        ""
                    }
                );
                self.model = Some(model);
                self.outbox.send(Event::ModelLoaded {
                    weights: path.to_path_buf(),
                    summary,
                });
                // Embeddings of another model are meaningless with this one.
                self.gallery = None;
                if let Some(folder) = self.gallery_folder.clone() {
                    self.start_index(folder);
                }
            }
            Err(reason) => self.outbox.send(Event::ModelFailed(reason.to_string())),
        }
    }

    fn start_index(&mut self, folder: PathBuf) {
        self.index_cancel.store(true, Ordering::Relaxed);
        self.gallery_folder = Some(folder.clone());
        let (Some(model), Some(device)) = (&self.model, &self.device) else {
            // Indexed as soon as a model loads.
            return;
        };
        self.index_job += 1;
        let job = self.index_job;
        let cancel = Arc::new(AtomicBool::new(false));
        self.index_cancel = cancel.clone();
        let photo_encoder = model.photo.clone();
        let settings = IndexSettings::new(self.cache_dir.clone(), model.model_id.clone());
        let device = device.clone();
        let outbox = self.outbox.clone();
        let loopback = self.loopback.clone();
        let store_url = self.store_url.clone();
        std::thread::Builder::new()
            .name("arnet-index".into())
            .spawn(move || {
                let mut report = |progress: Progress| {
                    outbox.send(Event::IndexProgress(progress));
                    !cancel.load(Ordering::Relaxed)
                };
                match index_gallery(&folder, &photo_encoder, &device, &settings, &mut report) {
                    Ok(index) => {
                        let ready = Event::GalleryReady {
                            folder: folder.clone(),
                            photos: index.photos.len(),
                            cached: index.cached,
                            skipped: index.skipped.clone(),
                        };
                        // The local index answers at once; the shared catalogue, when set, is
                        // brought up to date from it and then searched instead.
                        let index = Arc::new(index);
                        let _ = loopback.send(Request::Indexed(job, index.clone(), None));
                        outbox.send(ready);
                        if let Some(url) = store_url {
                            let notify = |status| outbox.send(Event::Catalogue(status));
                            let catalogue = shared_catalogue::attach(
                                &url,
                                &index,
                                &photo_encoder,
                                &device,
                                &settings,
                                notify,
                            );
                            if let Some(catalogue) = catalogue {
                                let searcher = Searcher::Shared(Box::new(catalogue));
                                let shared = Some(Box::new(searcher));
                                let _ = loopback.send(Request::Indexed(job, index, shared));
                            }
                        }
                    }
                    Err(GalleryError::Cancelled) => outbox.send(Event::IndexCancelled),
                    Err(e) => outbox.send(Event::GalleryFailed(e.to_string())),
                }
            })
            .expect("spawning the indexing thread");
    }

    fn query(&mut self, query: Query) {
        let started = Instant::now();
        let (Some(model), Some(gallery), Some(device)) = (&self.model, &self.gallery, &self.device)
        else {
            let reason = if self.model.is_none() {
                "no model loaded"
            } else {
                "gallery not indexed yet"
            };
            return self.fail(query.id, reason.into());
        };
        let sketch_encoder = match &model.sketch {
            Ok(encoder) => encoder,
            Err(reason) => return self.fail(query.id, reason.clone()),
        };
        let embedding = embed_sketch(sketch_encoder, &query.image, device);
        let feedback = match Feedback::resolve(&query.feedback, Some(gallery), &model.photo, device)
        {
            Ok(feedback) => feedback,
            Err(e) => return self.fail(query.id, e.to_string()),
        };
        let k = query.k.max(1);
        let colour = query.colour.as_ref();
        let mut shared_hits = None;
        if let Some(catalogue) = self.catalogue.as_mut() {
            match feedback.search(catalogue, &embedding, k, colour) {
                Ok(hits) => shared_hits = Some(hits),
                Err(e) => {
                    // Gone mid-session: say so once, and keep answering from the local index.
                    self.catalogue = None;
                    let reason = e.to_string();
                    self.outbox
                        .send(Event::Catalogue(CatalogueStatus::Unreachable(reason)));
                }
            }
        }
        let from_catalogue = shared_hits.is_some();
        let hits = match shared_hits {
            Some(hits) => hits,
            None => feedback
                .search(&mut Searcher::Local(gallery.clone()), &embedding, k, colour)
                .expect("a local index cannot fail"),
        };
        let hits: Vec<(PathBuf, f32)> = hits.into_iter().map(|hit| (hit.path, hit.score)).collect();
        let shadow = query
            .shadow
            .then(|| shadow_of(gallery, &hits, &query.image))
            .flatten()
            .map(Arc::new);
        let target = query.target.as_deref().and_then(|t| gallery.position(t));
        let target_rank = match (target, colour) {
            (Some(i), None) => gallery.rank_of(&embedding, i),
            // By shape and colour: where it falls among the whole (exactly searched) gallery.
            (Some(i), Some(colour)) if !gallery.is_approximate() => gallery
                .search(&embedding, gallery.len(), Some(colour))
                .iter()
                .position(|hit| hit.index == i),
            _ => None,
        }
        .map(|rank| rank + 1);
        self.outbox.send(Event::Results(QueryResults {
            id: query.id,
            hits,
            elapsed: started.elapsed(),
            target_rank,
            gallery_size: gallery.photos.len(),
            from_catalogue,
            shadow,
        }));
    }

    /// Tells the UI that query `id` could not run, and why.
    fn fail(&self, id: u64, reason: String) {
        self.outbox.send(Event::QueryFailed { id, reason });
    }
}

/// The shadow of the best of `hits` over `sketch`'s extent: their line drawings from the
/// gallery (made now for photos stored without one), blended by score. None for a blank
/// sketch or when no hit has a line drawing.
pub fn shadow_of(
    gallery: &GalleryIndex,
    hits: &[(PathBuf, f32)],
    sketch: &Sketch,
) -> Option<Shadow> {
    let extent = match sketch {
        Sketch::Strokes(strokes) => Extent::of_strokes(strokes),
        Sketch::Image(image) => Extent::of_image(image),
    }?;
    let drawings: Vec<_> = hits
        .iter()
        .take(SHADOW_PHOTOS)
        .filter_map(|(path, score)| Some((gallery.line_drawing(gallery.position(path)?)?, *score)))
        .collect();
    if drawings.is_empty() {
        return None;
    }
    Some(compose(&drawings, extent))
}
