//! The model library's integration tests, one test binary: parity with PyTorch (the fixtures
//! under `tests/fixtures/`), the CPU kernels, weights, bad input, the gallery and the shared
//! catalogue. One binary rather than one per file: each links the whole tree (120-150 MB and a
//! link step apiece; docs/build.md). `allocator.rs` stays its own binary (no libtest harness).

#[path = "../../support/database.rs"]
mod database;

mod bad_input;
mod cpu_conv;
mod cpu_transformer;
mod demo;
mod dinov2;
mod efficientnet;
mod efficientnet_mstr_step;
mod hed;
mod losses;
mod mstr;
mod parity_a;
mod parity_b;
mod patch_norm;
mod precision;
mod shared_catalogue;
mod wgpu_parity;
