//! glibc malloc settings for tensor work: keep freed blocks of up to 32 MiB for reuse.
//!
//! burn-flex gives most results a fresh buffer. glibc serves a request above its mmap
//! threshold (128 KiB at start, raised as mapped blocks are freed) with a new `mmap` and
//! returns it with `munmap`, and trims its heaps as soon as 128 KiB sit free at the top. So
//! nearly every intermediate tensor of a forward pass came from the kernel: page faults, pages
//! zeroed by the kernel, and on release an inter-processor interrupt to flush the other cores'
//! TLBs (dear in a virtual machine). A `perf` profile of DINOv2 ViT-S/14 embedding 16 images
//! put 17 % of the time there (docs/speed.md).
//!
//! [`tune_for_tensors`] fixes the thresholds instead: blocks up to 32 MiB (every activation of
//! a batch-16 ViT-S or EfficientNet-Lite0 forward pass, most of ViT-B's) come from malloc's
//! heaps, and up to 256 MiB of free heap top is kept rather than handed back. Peak memory does
//! not change (the same blocks are live at the peak); what the process keeps between peaks is
//! bounded by those 256 MiB per heap. Larger blocks are still mapped per use (glibc refuses an
//! mmap threshold above 32 MiB); with these settings two EfficientNet-Lite0 training steps (batch 32)
//! after the first took 59 thousand minor page faults against the first's 2.2 million, so
//! a caching allocator of our own on top (tried) gained nothing measurable.

/// Sets glibc's mmap and trim thresholds (see the module docs). Call it first thing in `main`,
/// before any thread starts; a no-op on other C libraries.
pub fn tune_for_tensors() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    glibc::set_thresholds(32 << 20, 256 << 20);
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
mod glibc {
    /// `mallopt(M_MMAP_THRESHOLD, mmap)` and `mallopt(M_TRIM_THRESHOLD, trim)`.
    pub fn set_thresholds(mmap: i32, trim: i32) {
        // SAFETY: mallopt takes plain integers and only changes malloc's tuning parameters
        // (under malloc's own lock); no pointer or memory is involved. glibc documents both
        // parameters and caps M_MMAP_THRESHOLD at 32 MiB on 64-bit (larger values return 0).
        let ok = unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, mmap) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, trim) == 1
        };
        debug_assert!(ok, "glibc refused mallopt({mmap}, {trim})");
    }
}
