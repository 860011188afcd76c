//! Password hashing on a fixed pool of long-lived threads.
//!
//! Each argon2id hash (or verification) needs ~19 MiB and tens of
//! milliseconds of one core. Run on Tokio's blocking pool, a burst of
//! logins ran as many at once as arrived, each thread allocating its own
//! blocks; glibc keeps freed memory in per-thread arenas, so every burst
//! left the process larger (five bursts of 12 logins: 21 MB to 1.1 GB).
//!
//! Here a fixed number of threads (about one per core) each own one
//! `password::Memory`, reused for every hash, so the memory hashing can hold
//! is `workers × 19 MiB`, whatever the load. Work waits in a short queue;
//! when that is full the caller gets `RATE_LIMITED` (with `Retry-After`)
//! at once instead of waiting without end.

use std::{
    panic::AssertUnwindSafe,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicU64, AtomicUsize, Ordering},
        mpsc::{Receiver, SyncSender, TrySendError, sync_channel},
    },
    thread,
};

use crate::{
    domain::password::Memory,
    error::{Error, Result},
};

/// Queued jobs allowed per worker beyond the ones running: at tens of
/// milliseconds a hash, a queued caller waits well under a second.
pub const QUEUE_PER_WORKER: usize = 8;

/// The wait suggested to callers turned away by a full queue.
const RETRY_AFTER_SECS: u64 = 1;

/// The most workers `MUSTER_PASSWORD_HASHERS` may ask for.
pub const MAX_WORKERS: usize = 64;

type Job = Box<dyn FnOnce(&mut Memory) + Send>;

struct Pool {
    jobs: SyncSender<Job>,
    workers: usize,
    capacity: usize,
}

static POOL: OnceLock<Pool> = OnceLock::new();

/// Jobs handed to the queue that no worker has taken yet.
static QUEUED: AtomicUsize = AtomicUsize::new(0);
/// Workers running a job now.
static BUSY: AtomicUsize = AtomicUsize::new(0);
/// Jobs turned away because the queue was full.
static REFUSED: AtomicU64 = AtomicU64::new(0);

/// The pool's load, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingStats {
    /// Threads running (0 until the first login or start).
    pub workers: usize,
    /// Threads hashing now.
    pub busy: usize,
    /// Jobs waiting for a thread.
    pub queued: usize,
    /// Jobs that may wait before more are refused.
    pub capacity: usize,
    /// Jobs refused since start because the queue was full.
    pub refused: u64,
}

pub fn stats() -> HashingStats {
    let (workers, capacity) = POOL.get().map_or((0, 0), |pool| (pool.workers, pool.capacity));
    HashingStats {
        workers,
        busy: BUSY.load(Ordering::Relaxed),
        queued: QUEUED.load(Ordering::Relaxed),
        capacity,
        refused: REFUSED.load(Ordering::Relaxed),
    }
}

/// One worker per core the process may use, at least one and at most eight.
pub fn default_workers() -> usize {
    thread::available_parallelism().map_or(1, usize::from).clamp(1, 8)
}

/// Starts the pool with `workers` threads. The first call wins: later calls
/// (and the first hash, when nobody called this) keep the pool already
/// running. Returns the number of workers running.
pub fn start(workers: usize) -> usize {
    POOL.get_or_init(|| Pool::spawn(workers.clamp(1, MAX_WORKERS))).workers
}

fn pool() -> &'static Pool {
    POOL.get_or_init(|| Pool::spawn(default_workers()))
}

impl Pool {
    fn spawn(workers: usize) -> Self {
        let (jobs, queue) = sync_channel::<Job>(workers * QUEUE_PER_WORKER);
        let queue = Arc::new(Mutex::new(queue));
        let started = (0..workers)
            .filter(|n| {
                let queue = queue.clone();
                thread::Builder::new()
                    .name(format!("password-{n}"))
                    .spawn(move || work(&queue))
                    .map_err(|e| tracing::error!(error = %e, "could not start a password hashing thread"))
                    .is_ok()
            })
            .count();
        tracing::info!(
            workers = started,
            queue = workers * QUEUE_PER_WORKER,
            "password hashing threads started"
        );
        Self {
            jobs,
            workers: started,
            capacity: workers * QUEUE_PER_WORKER,
        }
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
    let mut memory = Memory::default();
    loop {
        // Held only while waiting for the next job; a poisoned lock means a
        // sibling panicked while waiting, and the receiver is still sound.
        let next = queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).recv();
        let Ok(job) = next else {
            return;
        };
        QUEUED.fetch_sub(1, Ordering::Relaxed);
        BUSY.fetch_add(1, Ordering::Relaxed);
        // A job that panics drops its answer (its caller sees an internal
        // error); the thread and its memory carry on with the next.
        if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut memory))).is_err() {
            tracing::error!("a password hashing job panicked");
        }
        BUSY.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runs `task` on a hashing thread with that thread's memory, or answers
/// `RATE_LIMITED` at once when the queue is full.
pub async fn run<T: Send + 'static>(task: impl FnOnce(&mut Memory) -> T + Send + 'static) -> Result<T> {
    let pool = pool();
    if pool.workers == 0 {
        return Err(Error::Internal(anyhow::anyhow!(
            "no password hashing thread is running"
        )));
    }
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move |memory| {
        // The caller may have gone away (a closed connection): nothing to do.
        let _ = answer.send(task(memory));
    });
    // Counted before the send, so that a worker taking the job at once
    // never counts below zero.
    QUEUED.fetch_add(1, Ordering::Relaxed);
    match pool.jobs.try_send(job) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => {
            QUEUED.fetch_sub(1, Ordering::Relaxed);
            REFUSED.fetch_add(1, Ordering::Relaxed);
            return Err(Error::RateLimited {
                retry_after_secs: RETRY_AFTER_SECS,
            });
        }
        Err(TrySendError::Disconnected(_)) => {
            QUEUED.fetch_sub(1, Ordering::Relaxed);
            return Err(Error::Internal(anyhow::anyhow!("password hashing threads stopped")));
        }
    }
    answered
        .await
        .map_err(|_| Error::Internal(anyhow::anyhow!("a password hashing job ended without an answer")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_beyond_the_queue_are_turned_away_and_memory_is_reused() {
        let workers = start(2);
        // Hold every worker and fill the queue: the next job is refused at
        // once, never queued without end.
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Arc::new(Mutex::new(released));
        let mut held = Vec::new();
        let refused = loop {
            let released = released.clone();
            let (queued, was_queued) = tokio::sync::oneshot::channel();
            held.push(tokio::spawn(async move {
                let answer = run(move |memory| {
                    let _ = released.lock().unwrap().recv();
                    crate::domain::password::hash_in("a long enough passphrase", memory).is_ok()
                });
                tokio::pin!(answer);
                // First poll hands the job to the pool (or is refused).
                let first = futures_util::poll!(&mut answer);
                let _ = queued.send(matches!(first, std::task::Poll::Pending));
                match first {
                    std::task::Poll::Ready(result) => result,
                    std::task::Poll::Pending => answer.await,
                }
            }));
            if !was_queued.await.unwrap() {
                break held.pop().unwrap().await.unwrap().unwrap_err();
            }
            assert!(
                held.len() <= workers * (QUEUE_PER_WORKER + 1) + 1,
                "the queue never filled"
            );
            // Let the workers pick up what they can.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        };
        assert_eq!(refused.code(), "RATE_LIMITED");
        let load = stats();
        assert!(load.refused >= 1, "{load:?}");
        assert_eq!(load.busy, workers, "{load:?}");
        assert_eq!(load.queued, load.capacity, "{load:?}");
        assert!(
            held.len() >= workers * QUEUE_PER_WORKER,
            "only {} were admitted",
            held.len()
        );
        for _ in 0..held.len() {
            release.send(()).unwrap();
        }
        for job in held {
            assert!(job.await.unwrap().unwrap());
        }
        let held_bytes = run(|memory| memory.held_bytes()).await.unwrap();
        assert_eq!(held_bytes, 19 * 1024 * 1024, "one default-cost block set per worker");
    }
}
