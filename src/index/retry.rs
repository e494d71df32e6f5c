//! The one retry policy for every request: a failure that may pass (a refused connection, a
//! server error, a connection that dropped mid-body) is tried again after a backoff that
//! doubles each time; any other failure ends the request at once.

use std::future::Future;
use std::time::Duration;

/// How one try of a request failed.
#[derive(Debug)]
pub(crate) enum Failed<E> {
    /// Trying again cannot mend it (a 404, a hash mismatch, a full disk).
    Fatal(E),
    /// It may pass; after the last retry this is the error.
    Transient(E),
}

/// `?` on a plain error inside a try ends the request: only what a try marks transient is
/// retried.
impl<E> From<E> for Failed<E> {
    fn from(e: E) -> Failed<E> {
        Failed::Fatal(e)
    }
}

/// `retries` more tries after the first, waiting `backoff`, `2 × backoff`, `4 × backoff`…
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retry {
    pub retries: u32,
    pub backoff: Duration,
}

impl Retry {
    pub(super) const DEFAULT: Retry = Retry {
        retries: 4,
        backoff: Duration::from_millis(200),
    };

    /// Runs `attempt` (given the number of tries before it, from 0) until it succeeds, fails
    /// for good, or has failed transiently `retries + 1` times.
    ///
    /// Each try is a new future that owns what it uses (state kept across tries goes behind a
    /// lock): an async closure borrowing its captures would make the futures' `Send` depend on
    /// higher-ranked lifetimes, which rustc cannot prove for the spawned proxy tasks.
    pub(super) async fn run<T, E, Fut>(&self, mut attempt: impl FnMut(u32) -> Fut) -> Result<T, E>
    where
        Fut: Future<Output = Result<T, Failed<E>>>,
    {
        let mut tries = 0;
        loop {
            match attempt(tries).await {
                Ok(v) => return Ok(v),
                Err(Failed::Fatal(e)) => return Err(e),
                Err(Failed::Transient(e)) if tries >= self.retries => return Err(e),
                Err(Failed::Transient(_)) => {}
            }
            tokio::time::sleep(self.backoff * 2u32.pow(tries)).await;
            tries += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    const FAST: Retry = Retry {
        retries: 3,
        backoff: Duration::from_millis(1),
    };

    #[tokio::test]
    async fn transient_failures_are_tried_again_then_returned() {
        let seen = Mutex::new(Vec::new());
        let r: Result<(), u32> = FAST
            .run(|n| {
                seen.lock().unwrap().push(n);
                async move { Err(Failed::Transient(n)) }
            })
            .await;
        assert_eq!(r, Err(3), "the last try's error, after `retries` retries");
        assert_eq!(*seen.lock().unwrap(), [0, 1, 2, 3]);
    }

    #[tokio::test]
    async fn a_fatal_failure_or_a_success_ends_at_once() {
        let mut tries = 0;
        let r: Result<(), &str> = FAST
            .run(|_| {
                tries += 1;
                async { Err("gone")? }
            })
            .await;
        assert_eq!((r, tries), (Err("gone"), 1));
        let r: Result<u32, &str> = FAST
            .run(|n| async move {
                if n < 2 {
                    Err(Failed::Transient("again"))
                } else {
                    Ok(n)
                }
            })
            .await;
        assert_eq!(r, Ok(2));
    }

    #[tokio::test]
    async fn the_backoff_doubles() {
        let start = std::time::Instant::now();
        let slow = Retry {
            retries: 3,
            backoff: Duration::from_millis(10),
        };
        let _: Result<(), ()> = slow.run(|_| async { Err(Failed::Transient(())) }).await;
        assert!(start.elapsed() >= Duration::from_millis(10 + 20 + 40));
    }
}
