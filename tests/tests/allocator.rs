//! `arnet_model::allocator::tune_for_tensors` keeps freed tensor-sized blocks for reuse.
//!
//! A test binary without libtest's harness (`harness = false` in Cargo.toml): malloc's arena
//! settings apply to threads that start after them, as in the CLI and the app, which call it
//! first thing in `main`; libtest would have started its threads (and their arenas) first.
//!
//! Measured by the process's minor page faults (`/proc/self/stat`): a block the kernel hands
//! out afresh faults once per page when first written, a block malloc reuses does not. The
//! pattern is a forward pass's: a few activation-sized buffers live at once, then all freed,
//! round after round. With glibc's defaults every round faults like the first (each buffer is
//! a new mapping: 9,200-12,300 faults per round for the 12 MiB blocks, measured); tuned, from
//! the third round on none. Blocks above 32 MiB, glibc's largest mmap threshold (a batch-32
//! EfficientNet training step has activations of 157 MB), were mapped afresh every round
//! while only the thresholds were raised: the second test fails with that setting.

/// Minor page faults of this process so far (field 10 of `/proc/self/stat`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let after_name = &stat[stat.rfind(')').expect("stat has a name") + 2..];
    after_name
        .split(' ')
        .nth(7)
        .expect("field 10")
        .parse()
        .expect("a count")
}

/// Five rounds of `live` blocks of `block` bytes, written, then freed: the third and later
/// ones reuse the memory; the first takes its pages from the kernel where `fresh` (nothing
/// that size was freed before).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn assert_rounds_reuse_memory(block: usize, live: usize, fresh: bool) {
    const PAGE: u64 = 4096;
    let mut per_round = Vec::new();
    for round in 0..5u8 {
        let before = minor_faults();
        let blocks: Vec<Vec<u8>> = (0..live).map(|i| vec![round ^ i as u8; block]).collect();
        let checksum: u64 = blocks.iter().map(|b| u64::from(b[block - 1])).sum();
        std::hint::black_box(checksum);
        drop(blocks);
        per_round.push(minor_faults() - before);
    }
    let pages = (block * live) as u64 / PAGE;
    assert!(
        !fresh || per_round[0] > pages / 2,
        "the first round takes its memory from the kernel: {per_round:?} faults, {pages} pages"
    );
    // The second round may still grow the heap (the first round's blocks were mappings).
    for &faults in &per_round[2..] {
        assert!(
            faults < pages / 20,
            "later rounds reuse the freed blocks: faults per round {per_round:?} ({pages} pages)"
        );
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn main() {
    arnet_model::allocator::tune_for_tensors();
    let checks: [(&str, usize, usize); 3] = [
        // 48 MiB live in 12 MiB blocks: activation-sized.
        (
            "freed_activation_sized_blocks_are_reused_without_new_page_faults",
            12 << 20,
            4,
        ),
        // Above 32 MiB, the largest mmap threshold glibc accepts (144 MiB live, so its first
        // round needs new pages too).
        ("freed_blocks_above_32_mib_are_reused_too", 48 << 20, 3),
        // The same on a thread started after the setting (the app trains on one), whose own
        // arena would map and unmap a 64 MiB heap per block: 12,292 faults per round then.
        // The main heap already holds the pages, so its first round may need none.
        ("a_background_thread_reuses_freed_blocks_too", 48 << 20, 3),
    ];
    for (index, (name, block, live)) in checks.into_iter().enumerate() {
        if index == 2 {
            std::thread::spawn(move || assert_rounds_reuse_memory(block, live, false))
                .join()
                .unwrap_or_else(|_| panic!("{name} failed"));
        } else {
            assert_rounds_reuse_memory(block, live, true);
        }
        println!("test {name} ... ok");
    }
    println!("allocator: {} passed, 0 failed", checks.len());
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn main() {
    println!("allocator: glibc only, nothing to check here");
}
