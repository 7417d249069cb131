//! GFLOP/s of `gemm::gemm` (f32, row-major, as burn-flex calls it) at ViT-B/16's matrix
//! shapes: batch 1 (197 tokens) and batch 16 (3152 rows). Best of 5 x 10 calls each; the
//! right-hand matrix rotates over 12 copies so that it is not always warm in cache. Prints one
//! JSON line per shape. Threads: `RAYON_NUM_THREADS` (gemm's `Parallelism::Rayon(0)`).

use std::time::Instant;

const SHAPES: [(usize, usize, usize); 6] = [
    (197, 768, 2304),
    (197, 768, 768),
    (197, 768, 3072),
    (197, 3072, 768),
    (3152, 768, 2304),
    (3152, 3072, 768),
];
const COPIES: usize = 12;

fn main() {
    let debug_assertions = cfg!(debug_assertions);
    for (m, k, n) in SHAPES {
        let lhs: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 * 0.1).collect();
        let rhs: Vec<Vec<f32>> = (0..COPIES)
            .map(|c| (0..k * n).map(|i| ((i + c) % 5) as f32 * 0.1).collect())
            .collect();
        let mut out = vec![0f32; m * n];
        let mut call = 0;
        let mut multiply = |out: &mut [f32]| {
            let rhs = &rhs[call % COPIES];
            call += 1;
            // SAFETY: the pointers and strides describe the row-major buffers above.
            unsafe {
                gemm::gemm(
                    m,
                    n,
                    k,
                    out.as_mut_ptr(),
                    1,
                    n as isize,
                    false,
                    lhs.as_ptr(),
                    1,
                    k as isize,
                    rhs.as_ptr(),
                    1,
                    n as isize,
                    0.0f32,
                    1.0f32,
                    false,
                    false,
                    false,
                    gemm::Parallelism::Rayon(0),
                );
            }
        };
        multiply(&mut out);
        let mut best = f64::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            for _ in 0..10 {
                multiply(&mut out);
            }
            best = best.min(start.elapsed().as_secs_f64() / 10.0);
        }
        let gflops = 2.0 * (m * k * n) as f64 / best / 1e9;
        println!(
            "{{\"impl\": \"gemm 0.19\", \"debug_assertions\": {debug_assertions}, \"m\": {m}, \
             \"k\": {k}, \"n\": {n}, \"gflops\": {gflops:.1}}}"
        );
    }
}
