//! Gallery search at scale: exact search against the HNSW store, up to a million photos.
//!
//! The vectors are clustered like real embeddings: noisy copies of the bundled demo gallery's
//! 200 photo embeddings (demo model), each copy `base + noise` renormalised, the noise sized so
//! that a copy keeps a cosine of about 0.85 with its photo. The queries are the demo's 200
//! sketch embeddings, so they land among the clusters the way a drawn sketch does.
//!
//! Per gallery size (env `GALLERY_SIZES`, default `10000,50000,100000,1000000`):
//! - exact top-10 (the in-memory scan the app uses for small galleries): median latency;
//! - the store: build time (2 threads), memory, file size, re-opening time (manifest and
//!   memory-mapped vectors, through `GalleryIndex::open_stored`), HNSW top-10 latency (median,
//!   95th percentile) and recall@10 against exact search for several graph-search widths
//!   (`expansion_search`), for f32 and f16 storage;
//! - f16 against f32: how many of the exact f32 top-10 the exact f16 top-10 keeps.
//!
//! Prints one JSON line per measurement. Run: `bash scripts/bench_gallery.sh` (reuses the
//! test build).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use arnet_model::gallery::{
    EXPANSION_SEARCH, Entry, FileKey, GalleryIndex, IndexSettings, Manifest, Storage, VectorStore,
    store_dir, write_manifest,
};
use arnet_model::retrieval::{EmbeddingMatrix, l2_normalize};
use arnet_model::{Backend, EncoderRole, embed, preprocess, weights};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/demo");
const TOP: usize = 10;

/// splitmix64 and Box-Muller: reproducible Gaussian noise without another dependency.
struct Noise(u64);

impl Noise {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn gaussian(&mut self) -> f32 {
        let (u, v) = (self.uniform(), self.uniform());
        ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
    }
}

fn images(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// The demo model's embeddings of the demo gallery's photos and of its sketches.
fn demo_embeddings() -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    let device = Backend::Cpu.device().expect("CPU backend");
    let file = weights::WeightFile::read(Path::new(DEMO).join("model.safetensors").as_path())
        .expect("the demo model");
    let embed_folder = |role, folder: &str| {
        let encoder = file
            .load_encoder(role, None, &device)
            .expect("demo encoder");
        let size = embed::input_size(&encoder);
        let inputs: Vec<_> = images(&Path::new(DEMO).join(folder))
            .iter()
            .map(|p| preprocess::load_model_input(p, size).expect("demo image"))
            .collect();
        embed::embed_inputs(&encoder, &inputs, 16, &device)
    };
    (
        embed_folder(EncoderRole::Photo, "gallery"),
        embed_folder(EncoderRole::Sketch, "sketches"),
    )
}

fn noisy_copies(bases: &[Vec<f32>], count: usize, seed: u64) -> Vec<Vec<f32>> {
    let dim = bases[0].len();
    // Noise of norm ~0.6 on a unit vector: cosine ~0.86 with its photo.
    let sigma = 0.6 / (dim as f32).sqrt();
    let mut noise = Noise(seed);
    (0..count)
        .map(|i| {
            let mut v: Vec<f32> = bases[i % bases.len()]
                .iter()
                .map(|x| x + sigma * noise.gaussian())
                .collect();
            l2_normalize(&mut v);
            v
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn percentile95(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[(v.len() * 95 / 100).min(v.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Share of `truth`'s members found in `found`.
fn overlap(truth: &[usize], found: &[usize]) -> f64 {
    truth.iter().filter(|i| found.contains(i)).count() as f64 / truth.len() as f64
}

/// The graph-search widths tried, the default among them (`BENCH_EXPANSIONS`).
fn expansions() -> Vec<usize> {
    std::env::var("BENCH_EXPANSIONS")
        .unwrap_or_else(|_| format!("128,512,1024,{EXPANSION_SEARCH},4096"))
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .expect("BENCH_EXPANSIONS: comma-separated widths")
        })
        .collect()
}

fn main() {
    let sizes: Vec<usize> = std::env::var("GALLERY_SIZES")
        .unwrap_or_else(|_| "10000,50000,100000,1000000".into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .expect("GALLERY_SIZES: comma-separated sizes")
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    let (photos, sketches) = demo_embeddings();
    eprintln!(
        "demo embeddings: {} photos, {} sketches ({:.1} s)",
        photos.len(),
        sketches.len(),
        started.elapsed().as_secs_f64()
    );
    let scratch = std::env::temp_dir().join(format!("arnet-gallery-bench-{}", std::process::id()));
    for &size in &sizes {
        let vectors = noisy_copies(&photos, size, 7);
        let exact = EmbeddingMatrix::from_rows(&vectors);
        let mut exact_ms = Vec::new();
        let truth: Vec<Vec<usize>> = sketches
            .iter()
            .map(|q| {
                let t = Instant::now();
                let hits = exact.top_k(q, TOP);
                exact_ms.push(ms(t.elapsed()));
                hits.iter().map(|h| h.index).collect()
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({"case": "exact", "size": size, "median_ms": median(exact_ms.clone()),
                "p95_ms": percentile95(exact_ms)})
        );
        let mut f32_exact_store: Option<Vec<Vec<usize>>> = None;
        for storage in [Storage::F32, Storage::F16] {
            let gallery = scratch.join(format!("gallery-{size}-{storage}"));
            let settings = IndexSettings {
                storage,
                exact_up_to: 0,
                ..IndexSettings::new(scratch.join("cache"), format!("bench-{size}-{storage}"))
            };
            let items: Vec<(u64, Vec<f32>)> = vectors
                .iter()
                .enumerate()
                .map(|(i, v)| (i as u64, v.clone()))
                .collect();
            let mut store = VectorStore::new(vectors[0].len(), storage).unwrap();
            let t = Instant::now();
            store.add_all(&items, threads).unwrap();
            let build_s = t.elapsed().as_secs_f64();
            drop(items);
            let memory_mb = store.memory_usage() as f64 / 1e6;
            let dir = store_dir(&settings.cache_dir, &gallery, &settings.model_id);
            let vectors_file = "vectors-bench.usearch".to_string();
            store.save(&dir.join(&vectors_file)).unwrap();
            drop(store);
            let vectors_bytes = std::fs::metadata(dir.join(&vectors_file)).unwrap().len();
            let manifest = Manifest {
                model_id: settings.model_id.clone(),
                dim: vectors[0].len(),
                storage,
                vectors_file: vectors_file.clone(),
                vectors_bytes,
                next_id: size as u64,
                entries: (0..size)
                    .map(|i| Entry {
                        id: i as u64,
                        key: FileKey {
                            path: format!("catalogue/{:03}/{i:07}.jpg", i % 997),
                            size: 100_000 + i as u64,
                            modified_ns: 1_700_000_000_000_000_000 + i as u128,
                        },
                        palette: None,
                        lines: None,
                    })
                    .collect(),
            };
            write_manifest(&dir, &manifest).unwrap();
            drop(manifest);
            let file_mb = vectors_bytes as f64 / 1e6;
            let t = Instant::now();
            let index = GalleryIndex::open_stored(&gallery, vectors[0].len(), &settings)
                .expect("the stored index opens");
            let reopen_s = t.elapsed().as_secs_f64();
            assert!(index.is_approximate() && index.len() == size);
            for candidates in expansions() {
                index.graph().unwrap().set_expansion_search(candidates);
                let mut ann_ms = Vec::new();
                let mut recall = 0.0;
                for (q, truth) in sketches.iter().zip(&truth) {
                    let t = Instant::now();
                    let hits = index.top_k(q, TOP);
                    ann_ms.push(ms(t.elapsed()));
                    let found: Vec<usize> = hits.iter().map(|h| h.index).collect();
                    recall += overlap(truth, &found);
                }
                recall /= sketches.len() as f64;
                println!(
                    "{}",
                    serde_json::json!({"case": "hnsw", "storage": storage.to_string(),
                        "size": size, "expansion_search": candidates, "threads": threads,
                        "build_s": build_s, "memory_mb": memory_mb, "file_mb": file_mb,
                        "reopen_s": reopen_s, "median_ms": median(ann_ms.clone()),
                        "p95_ms": percentile95(ann_ms), "recall_at_10": recall})
                );
            }
            // Exact search over the stored vectors: what f16 rounding alone does to the ranks.
            let stored = VectorStore::open(
                &dir.join(&vectors_file),
                vectors[0].len(),
                storage,
                arnet_model::gallery::OpenMode::View,
            )
            .unwrap();
            let stored_exact: Vec<Vec<usize>> = sketches
                .iter()
                .map(|q| {
                    stored
                        .exact_search(q, TOP)
                        .unwrap()
                        .iter()
                        .map(|(id, _)| *id as usize)
                        .collect()
                })
                .collect();
            match &f32_exact_store {
                None => f32_exact_store = Some(stored_exact),
                Some(f32_top) => {
                    let kept = f32_top
                        .iter()
                        .zip(&stored_exact)
                        .map(|(a, b)| overlap(a, b))
                        .sum::<f64>()
                        / sketches.len() as f64;
                    let same_first = f32_top
                        .iter()
                        .zip(&stored_exact)
                        .filter(|(a, b)| a[0] == b[0])
                        .count() as f64
                        / sketches.len() as f64;
                    println!(
                        "{}",
                        serde_json::json!({"case": "f16_vs_f32_exact", "size": size,
                            "top10_kept": kept, "same_first": same_first})
                    );
                }
            }
            drop(index);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
