//! `arnet_model::allocator::tune_for_tensors` keeps freed tensor-sized blocks for reuse.
//!
//! Measured by the process's minor page faults (`/proc/self/stat`): a block the kernel hands
//! out afresh faults once per page when first written, a block malloc reuses does not. The
//! pattern is a forward pass's: a few activation-sized buffers live at once, then all freed,
//! round after round. With glibc's defaults every round faults like the first (each buffer is
//! a new mapping: 9,200-12,300 faults per round for these 12,288 pages, measured); tuned, from
//! the third round on none.

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

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn freed_activation_sized_blocks_are_reused_without_new_page_faults() {
    const BLOCK: usize = 12 << 20;
    // 48 MiB live: within one of glibc's 64 MiB per-thread heaps (the test runs on a thread).
    const LIVE: usize = 4;
    const PAGE: u64 = 4096;
    arnet_model::allocator::tune_for_tensors();
    let mut per_round = Vec::new();
    for round in 0..5u8 {
        let before = minor_faults();
        let blocks: Vec<Vec<u8>> = (0..LIVE).map(|i| vec![round ^ i as u8; BLOCK]).collect();
        let checksum: u64 = blocks.iter().map(|b| u64::from(b[BLOCK - 1])).sum();
        std::hint::black_box(checksum);
        drop(blocks);
        per_round.push(minor_faults() - before);
    }
    let pages = (BLOCK * LIVE) as u64 / PAGE;
    assert!(
        per_round[0] > pages / 2,
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
