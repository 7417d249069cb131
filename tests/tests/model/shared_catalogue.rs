//! The shared catalogue on a real PostgreSQL + pgvector server: it ranks like the local store,
//! two machines indexing one folder at once store each photo once, an interrupted run
//! resumes, models never mix, and a server that goes away gives a clear error.

use crate::database;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use arnet_model::burn::tensor::Device;
use arnet_model::embed::{embed_inputs, embedding_width, input_size};
use arnet_model::gallery::{
    CatalogueError, GalleryError, IndexSettings, SharedCatalogue, SyncReport, index_gallery,
    list_images, model_identity, sync_gallery,
};
use arnet_model::preprocess::load_model_input;
use arnet_model::{ArnetPair, Backend, weights};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/demo")
}

fn demo_weights() -> PathBuf {
    demo().join("model.safetensors")
}

fn device() -> Device {
    Backend::Cpu.device().unwrap()
}

fn load_pair() -> ArnetPair {
    weights::WeightFile::read(&demo_weights())
        .unwrap()
        .load_pair(None, &device())
        .unwrap()
}

/// The demo pair, loaded once per test binary.
fn pair() -> &'static ArnetPair {
    static PAIR: OnceLock<ArnetPair> = OnceLock::new();
    PAIR.get_or_init(load_pair)
}

fn model_id() -> String {
    model_identity(&demo_weights(), None).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arnet-catalogue-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A gallery folder holding the first `n` demo photos.
fn gallery_of(name: &str, n: usize) -> PathBuf {
    let dir = scratch(name).join("photos");
    std::fs::create_dir_all(&dir).unwrap();
    for photo in list_images(&demo().join("gallery")).unwrap().iter().take(n) {
        std::fs::copy(photo, dir.join(photo.file_name().unwrap())).unwrap();
    }
    dir
}

fn settings(name: &str) -> IndexSettings {
    IndexSettings {
        batch_size: 8,
        workers: 2,
        ..IndexSettings::new(scratch(&format!("{name}-cache")), model_id())
    }
}

fn connect(url: &str, catalogue: &str) -> SharedCatalogue {
    let dim = embedding_width(&pair().photo);
    SharedCatalogue::connect(url, catalogue, &model_id(), dim).unwrap()
}

/// Syncs `gallery` into `catalogue` with the demo photo encoder, to the end.
fn sync(
    gallery: &Path,
    settings: &IndexSettings,
    catalogue: &mut SharedCatalogue,
) -> Result<SyncReport, GalleryError> {
    sync_gallery(
        gallery,
        &pair().photo,
        &device(),
        settings,
        catalogue,
        None,
        &mut |_| true,
    )
}

fn sketch_embeddings(n: usize) -> Vec<(String, Vec<f32>)> {
    let size = input_size(&pair().sketch);
    let sketches: Vec<PathBuf> = list_images(&demo().join("sketches"))
        .unwrap()
        .into_iter()
        .take(n)
        .collect();
    let inputs: Vec<Vec<f32>> = sketches
        .iter()
        .map(|p| load_model_input(p, size).unwrap())
        .collect();
    let rows = embed_inputs(&pair().sketch, &inputs, 16, &device());
    sketches
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .zip(rows)
        .collect()
}

/// The same top-10, in the same order, from the database (exactly, and through its HNSW
/// index) as from the local store, for the demo's sketches on the whole demo gallery.
#[test]
fn the_catalogue_ranks_like_the_local_store() {
    let url = database::url();
    let gallery = demo().join("gallery");
    let settings = settings("ranks");
    let local =
        index_gallery(&gallery, &pair().photo, &device(), &settings, &mut |_| true).unwrap();
    let mut catalogue = connect(&url, &database::unique("ranks"));
    let report = sync(&gallery, &settings, &mut catalogue).unwrap();
    assert_eq!((report.photos.len(), report.embedded), (200, 200));
    assert_eq!(catalogue.len(), 200);
    let mut approximate_found = 0;
    let queries = sketch_embeddings(200);
    for (sketch, query) in &queries {
        let expected: Vec<(PathBuf, f32)> = local
            .top_k(query, 10)
            .into_iter()
            .map(|h| (local.photos[h.index].clone(), h.score))
            .collect();
        let exact = catalogue.top_k(query, 10, usize::MAX).unwrap();
        assert_eq!(exact.len(), 10);
        for ((path, score), (want_path, want_score)) in exact.iter().zip(&expected) {
            // The stored embeddings were computed by a second, independent embedding pass.
            assert!(
                (score - want_score).abs() < 1e-4,
                "{sketch}: score {score} against {want_score}"
            );
            if &gallery.join(path) != want_path {
                // Only a near-tie may swap places.
                let theirs = expected
                    .iter()
                    .find(|(p, _)| p == &gallery.join(path))
                    .map(|(_, s)| *s);
                assert!(
                    theirs.is_some_and(|s| (s - score).abs() < 1e-4),
                    "{sketch}: the database ranks {path} where the local store has {}",
                    want_path.display()
                );
            }
        }
        let graph = catalogue.top_k(query, 10, 0).unwrap();
        approximate_found += graph
            .iter()
            .filter(|(p, _)| exact.iter().any(|(q, _)| q == p))
            .count();
    }
    let recall = approximate_found as f64 / (10 * queries.len()) as f64;
    assert!(recall >= 0.95, "HNSW recall@10 {recall}");
}

/// Two machines (here two threads, each with its own model and connection) index the same
/// folder at once: every photo ends up stored exactly once, with its own embedding.
#[test]
fn two_clients_indexing_one_folder_at_once_store_each_photo_once() {
    let url = database::url();
    let gallery = gallery_of("concurrent", 48);
    let name = database::unique("concurrent");
    let reports: Vec<_> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..2)
            .map(|client| {
                let (url, gallery, name) = (&url, &gallery, &name);
                scope.spawn(move || {
                    let pair = load_pair();
                    let dim = embedding_width(&pair.photo);
                    let mut catalogue =
                        SharedCatalogue::connect(url, name, &model_id(), dim).unwrap();
                    sync_gallery(
                        gallery,
                        &pair.photo,
                        &device(),
                        &IndexSettings {
                            workers: 1,
                            ..settings(&format!("concurrent-{client}"))
                        },
                        &mut catalogue,
                        None,
                        &mut |_| true,
                    )
                    .unwrap()
                })
            })
            .collect();
        clients.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for report in &reports {
        assert_eq!(report.photos.len(), 48, "each client sees the whole folder");
    }
    let mut catalogue = connect(&url, &name);
    let stored = catalogue.keys().unwrap();
    assert_eq!(stored.len(), 48);
    assert_eq!(catalogue.len(), 48);
    // Each stored row is its photo's embedding: searching with it finds that photo first.
    let size = input_size(&pair().photo);
    let photos = list_images(&gallery).unwrap();
    let inputs: Vec<Vec<f32>> = photos
        .iter()
        .map(|p| load_model_input(p, size).unwrap())
        .collect();
    let rows = embed_inputs(&pair().photo, &inputs, 16, &device());
    for (photo, row) in photos.iter().zip(&rows) {
        let best = &catalogue.top_k(row, 1, usize::MAX).unwrap()[0];
        assert_eq!(gallery.join(&best.0), *photo);
        assert!(best.1 > 0.9999, "{}: {}", photo.display(), best.1);
    }
    let embedded: usize = reports.iter().map(|r| r.embedded).sum();
    eprintln!(
        "photos embedded by the two clients: {} + {} (48 photos)",
        reports[0].embedded, reports[1].embedded
    );
    assert!(embedded >= 48);
}

/// A run cancelled after its first batch keeps that batch; the next run embeds only the rest,
/// a photo deleted from the folder leaves the catalogue, and most of it gone is not deleted.
#[test]
fn an_interrupted_sync_resumes_and_deleted_photos_leave() {
    let url = database::url();
    let gallery = gallery_of("resume", 24);
    let settings = settings("resume");
    let mut catalogue = connect(&url, &database::unique("resume"));
    let mut calls = 0;
    let cancelled = sync_gallery(
        &gallery,
        &pair().photo,
        &device(),
        &settings,
        &mut catalogue,
        None,
        &mut |progress| {
            calls += 1;
            // The first call is the start; stop after the first batch of 8.
            calls < 2 || progress.embedded == 0
        },
    );
    assert!(matches!(cancelled, Err(GalleryError::Cancelled)));
    assert_eq!(
        catalogue.keys().unwrap().len(),
        8,
        "the finished batch stays"
    );
    let resumed = sync(&gallery, &settings, &mut catalogue).unwrap();
    assert_eq!((resumed.cached, resumed.embedded), (8, 16));
    assert_eq!(catalogue.len(), 24);

    let gone = list_images(&gallery).unwrap()[3].clone();
    std::fs::remove_file(&gone).unwrap();
    let pruned = sync(&gallery, &settings, &mut catalogue).unwrap();
    assert_eq!((pruned.removed, pruned.embedded), (1, 0));
    assert_eq!(catalogue.len(), 23);
    let name = gone.file_name().unwrap().to_string_lossy().into_owned();
    assert!(!catalogue.keys().unwrap().contains_key(&name));

    // Most of the catalogue missing looks like another folder under the same name, not a
    // deletion: the rows are kept and counted, not deleted.
    for photo in list_images(&gallery).unwrap().iter().skip(3) {
        std::fs::remove_file(photo).unwrap();
    }
    let other = sync(&gallery, &settings, &mut catalogue).unwrap();
    assert_eq!((other.removed, other.kept_gone), (0, 20));
    assert_eq!(catalogue.len(), 23);
}

/// Each model has its own rows: another model's catalogue of the same folder is empty, and a
/// model id registered at another width is refused with a message naming it.
#[test]
fn a_model_change_never_mixes_embeddings() {
    let url = database::url();
    let gallery = gallery_of("models", 8);
    let name = database::unique("models");
    let dim = embedding_width(&pair().photo);
    let first = database::unique("model-a");
    let mut a = SharedCatalogue::connect(&url, &name, &first, dim).unwrap();
    sync(&gallery, &settings("models"), &mut a).unwrap();
    assert_eq!(a.len(), 8);
    let mut b = SharedCatalogue::connect(&url, &name, &database::unique("model-b"), dim).unwrap();
    assert!(b.is_empty());
    assert!(b.keys().unwrap().is_empty());
    assert!(b.top_k(&vec![1.0; dim], 10, usize::MAX).unwrap().is_empty());
    let refused = SharedCatalogue::connect(&url, &name, &first, dim / 2).unwrap_err();
    assert!(matches!(refused, CatalogueError::Width { .. }));
    let message = refused.to_string();
    assert!(
        message.contains(&first) && message.contains(&dim.to_string()),
        "{message}"
    );
}

/// A server that goes away while a client is connected: the next search is an error that
/// says the catalogue is unreachable and names the database, and reconnecting fails the same
/// way instead of hanging.
#[test]
fn a_server_gone_mid_session_gives_a_clear_error() {
    const PORT: u16 = 55433;
    let url = database::start_own(PORT);
    let gallery = gallery_of("gone", 8);
    let mut catalogue = connect(&url, "gone");
    sync(&gallery, &settings("gone"), &mut catalogue).unwrap();
    let query = vec![1.0; embedding_width(&pair().photo)];
    assert_eq!(catalogue.top_k(&query, 5, usize::MAX).unwrap().len(), 5);
    database::kill(PORT);
    let error = catalogue.top_k(&query, 5, usize::MAX).unwrap_err();
    assert!(
        matches!(error, CatalogueError::Unreachable { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("unreachable") && message.contains("127.0.0.1:55433"),
        "{message}"
    );
    let started = std::time::Instant::now();
    let with_password = url.replace("arnet@", "arnet:s3cret@");
    let again =
        SharedCatalogue::connect(&with_password, "gone", &model_id(), query.len()).unwrap_err();
    assert!(
        matches!(again, CatalogueError::Unreachable { .. }),
        "{again:?}"
    );
    assert!(started.elapsed().as_secs() < 30);
    let message = again.to_string();
    assert!(
        message.contains("127.0.0.1:55433") && !message.contains("s3cret"),
        "the database is named, its password is not: {message}"
    );
}

/// A URL that is not one names itself and says what a URL looks like.
#[test]
fn a_malformed_url_is_named() {
    let error =
        SharedCatalogue::connect("postgres://arnet@127.0.0.1:notaport/x", "c", "m", 8).unwrap_err();
    assert!(matches!(error, CatalogueError::BadUrl { .. }));
    assert!(error.to_string().contains("notaport"), "{error}");
}
