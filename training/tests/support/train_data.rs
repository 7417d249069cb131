//! The generated data set, scratch folders and Burn lock that the trainer's tests
//! (`training/tests/train.rs`) and `arnet train`'s tests (`cli/tests/cli/cli_train.rs`) share,
//! `#[path]`-included by both.

// Shared by two test crates, each of which uses a part of it: an item that one of them does
// not use would otherwise warn (and fail clippy) there.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use arnet_model::ArnetPair;
use arnet_model::burn::tensor::Device;
use arnet_model::embed::{embed_inputs, input_size};
use arnet_model::preprocess::load_model_input;
use arnet_training::synth::{SketchStyle, SynthOptions, generate};

/// `arnet-train-{test crate}-{pid}-{name}` in the temporary folder, removed if it is there
/// (not created). The test crate's name and the process id keep the folders of the two test
/// binaries apart when they run at the same time.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "arnet-train-{}-{}-{name}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A scratch folder `name` of `photos` generated garments (a quarter held out as the test
/// split), 2 sketches each, seed 5.
pub fn synth_folder(name: &str, photos: usize) -> PathBuf {
    let dir = scratch(name);
    generate(&SynthOptions {
        out: dir.clone(),
        photos,
        sketches_per_photo: 2,
        seed: 5,
        test_fraction: 0.25,
        stroke_lists: false,
        style: SketchStyle::Standard,
    })
    .unwrap();
    dir
}

/// 40 garments (30 train, 10 test), 2 sketches each; generated once per test binary.
pub fn data() -> &'static Path {
    static DATA: OnceLock<PathBuf> = OnceLock::new();
    DATA.get_or_init(|| synth_folder("data", 40))
}

/// Burn's CPU generator (weight initialisation, MSTR dropout) is process-global: a test that
/// builds or trains a model while another trains would take numbers from the other's sequence
/// (CI once saw a resumed run differ by 4e-4 that way). So every test that uses Burn in a test
/// process holds its turn for its whole body; tests that run `arnet` as a child process don't.
/// Each test binary has its own lock.
pub static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn turn() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn embeddings(pair: &ArnetPair, device: &Device) -> Vec<Vec<f32>> {
    let inputs: Vec<Vec<f32>> = std::fs::read_dir(data().join("testA"))
        .unwrap()
        .take(6)
        .map(|e| load_model_input(&e.unwrap().path(), input_size(&pair.sketch)).unwrap())
        .collect();
    embed_inputs(&pair.sketch, &inputs, 4, device)
}
