//! A bound on private feed renders at once. A private feed is one person's
//! and is rendered for each fetch, holding its whole body in memory while it
//! is written and sent (a member's feed of 2,000 events is about 1.5 MB): a
//! burst of calendar apps polling at the same minute, each within its own
//! per-token limit, must not add up to unbounded memory. Past the bound a
//! fetch waits briefly for a slot, then is told to come back
//! (`429 Retry-After`), which calendar apps honour.

use std::{sync::OnceLock, time::Duration};

use tokio::sync::{Semaphore, SemaphorePermit};

/// Renders at once: two per core, at most 16.
fn slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Semaphore::new((cores * 2).clamp(2, 16))
    })
}

/// How long a fetch waits for a slot before it is refused.
pub const WAIT: Duration = Duration::from_secs(2);
/// What a refused fetch is asked to wait, in seconds.
pub const RETRY_AFTER_SECS: u64 = 5;

/// A slot to render in, held until dropped; `None` when none came free in
/// `wait`.
pub async fn take(wait: Duration) -> Option<SemaphorePermit<'static>> {
    tokio::time::timeout(wait, slots().acquire()).await.ok()?.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_render_past_the_bound_waits_then_is_refused() {
        let held: Vec<_> = std::iter::from_fn(|| slots().try_acquire().ok()).collect();
        assert!(!held.is_empty());
        assert!(take(Duration::from_millis(20)).await.is_none(), "all slots are taken");
        drop(held);
        assert!(take(Duration::from_millis(20)).await.is_some(), "a freed slot is taken");
    }
}
