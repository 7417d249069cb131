//! glibc malloc settings for tensor work: keep freed blocks for reuse instead of handing them
//! back to the kernel.
//!
//! burn-flex gives most results a fresh buffer. glibc serves a request above its mmap
//! threshold (128 KiB at start, raised as mapped blocks are freed, at most 32 MiB) with a new
//! `mmap` and returns it with `munmap`, and trims its heaps as soon as 128 KiB sit free at the
//! top. So nearly every intermediate tensor of a forward pass came from the kernel: page
//! faults, pages zeroed by the kernel, and on release an inter-processor interrupt to flush the
//! other cores' TLBs (dear in a virtual machine). A `perf` profile of DINOv2 ViT-S/14
//! embedding 16 images put 17 % of the time there (docs/speed.md).
//!
//! [`tune_for_tensors`] turns glibc's per-block mappings off (`M_MMAP_MAX` 0: every block, however
//! large, comes from malloc's heaps), never trims the heap (`M_TRIM_THRESHOLD` -1: free memory at
//! its top is kept rather than handed back), and puts every thread on the main heap (`M_ARENA_MAX`
//! 1): a thread's own arena grows in mappings of at most 64 MiB and unmaps one as soon as it is
//! free, so a model trained or run on a background thread (the app's fine-tuning, the tests) paid
//! the page faults again. The first setting matters for training: an EfficientNet-Lite0 step at
//! batch 32 (64 images per encoder) has activations of up to 157 MB, above any mmap threshold glibc
//! allows, and with only the thresholds raised (the first version of this module) each step still
//! took 367 thousand page faults, 14 % of its time in the kernel zeroing pages; with mappings off,
//! none after the first step, and the step 26 % faster (5.5 to 4.1 s). Trimming went for the same
//! reason: a DINOv2 ViT-S/14 training step at batch 32 frees gigabytes at once at its end, so with
//! a 256 MiB trim threshold (the previous setting) every step gave them back and faulted them in
//! again (14 % of a step in `clear_page_erms`, 6.6 % without trimming, most of it the first
//! step's). Peak memory does not change (the same blocks are live at the peak); what the process
//! keeps between peaks is what its heaps hold, at most the highest peak so far. A caching allocator
//! of our own on top (tried) gained nothing measurable.

/// Turns glibc's per-block mappings and heap trimming off (see the module docs).
/// Call it first thing in `main`, before any thread starts; a no-op on other C libraries.
pub fn tune_for_tensors() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    glibc::keep_freed_blocks(-1);
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
mod glibc {
    /// `mallopt(M_MMAP_MAX, 0)` (no block is served by its own mapping),
    /// `mallopt(M_ARENA_MAX, 1)` (every thread allocates from the main heap) and
    /// `mallopt(M_TRIM_THRESHOLD, trim)` (-1: never trim).
    pub fn keep_freed_blocks(trim: i32) {
        // SAFETY: mallopt takes plain integers and only changes malloc's tuning parameters
        // (under malloc's own lock); no pointer or memory is involved. glibc documents both
        // parameters; with M_MMAP_MAX 0, large requests grow the heap instead.
        let ok = unsafe {
            libc::mallopt(libc::M_MMAP_MAX, 0) == 1
                && libc::mallopt(libc::M_ARENA_MAX, 1) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, trim) == 1
        };
        debug_assert!(
            ok,
            "glibc refused one of the mallopt settings (trim {trim})"
        );
    }
}
