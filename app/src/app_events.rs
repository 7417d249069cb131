//! [`SketchApp`] following its worker: models loaded, indexing progress, results.

use crate::assets;
use crate::worker::Event;
use crate::{GalleryStatus, ModelStatus, SketchApp};

impl SketchApp {
    /// Applies what the worker threads reported since the last frame.
    pub(crate) fn handle_events(&mut self) {
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
                Event::Catalogue(status) => self.catalogue = status,
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
}
