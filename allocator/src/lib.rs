//! Large blocks straight from the kernel and back.
//!
//! glibc's allocator serves a block above its mmap threshold with a
//! mapping of its own and unmaps it when freed; below it, from an arena,
//! where a freed block stays in the process unless it happens to be at the
//! arena's top. The threshold starts at 128 KiB but *rises* to the size of
//! each large block freed (up to 32 MiB), so after a server has rendered a
//! few 1 MB feeds, every later render lands in the arenas and a busy day
//! keeps tens of MB it no longer uses (measured in BENCHMARKS.md: a
//! simulated day at 148–159 MB, 121–129 MB with the threshold fixed).
//! Setting it explicitly fixes it and turns the rise off.

/// Blocks of at least this many bytes get a mapping of their own.
pub const LARGE_BLOCK_BYTES: usize = 256 * 1024;

/// Fixes the allocator's mmap threshold at [`LARGE_BLOCK_BYTES`]; call it
/// first thing in `main`, before any thread starts. Returns whether the C
/// library took it (always false where the C library is not glibc).
pub fn return_large_blocks() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let threshold = libc::c_int::try_from(LARGE_BLOCK_BYTES).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only sets a tuning parameter of the allocator;
        // it is called before other threads exist, as glibc asks.
        unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, threshold) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn glibc_takes_the_threshold() {
        let taken = super::return_large_blocks();
        assert_eq!(taken, cfg!(all(target_os = "linux", target_env = "gnu")));
    }
}
