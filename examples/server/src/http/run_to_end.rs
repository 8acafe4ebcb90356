//! A request that runs to its end without its client.
//!
//! hyper drops a request's future when its client hangs up, and the
//! request stops at whatever `.await` it had reached: a verify whose
//! write had landed went without its event and its count. [`RunToEnd`]
//! polls the request in place while the client is there (no task, no
//! thread hop: spawning every request instead took a median 1.09× the CPU
//! a request against 1.01× for this, docs/PERFORMANCE.md), and when it is
//! dropped before its end, hands the rest to a task of its own, which
//! finishes it and throws the answer away. Whatever the request holds
//! (its connection's slot) is held until then. The gauge
//! `mfa_detached_requests` counts the rests still running.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use metrics::gauge;

/// `F`, finished in a task of its own if dropped before its end.
pub struct RunToEnd<F: Future + Send + 'static> {
    /// `None` once finished.
    rest: Option<Pin<Box<F>>>,
}

impl<F: Future + Send + 'static> RunToEnd<F> {
    /// Wraps `request`.
    pub fn new(request: F) -> Self {
        RunToEnd {
            rest: Some(Box::pin(request)),
        }
    }
}

impl<F: Future + Send + 'static> Future for RunToEnd<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // Out while it is polled: a request that panics is dropped in the
        // unwind, not handed on to be polled again.
        let mut rest = self
            .rest
            .take()
            .expect("a RunToEnd is not polled after its end");
        match rest.as_mut().poll(cx) {
            Poll::Ready(answer) => Poll::Ready(answer),
            Poll::Pending => {
                self.rest = Some(rest);
                Poll::Pending
            }
        }
    }
}

impl<F: Future + Send + 'static> Drop for RunToEnd<F> {
    fn drop(&mut self) {
        // Outside a runtime there is nothing to finish it on; a runtime
        // shutting down drops what is spawned on it at once.
        if let (Some(rest), Ok(runtime)) = (self.rest.take(), tokio::runtime::Handle::try_current())
        {
            gauge!("mfa_detached_requests").increment(1.0);
            runtime.spawn(async move {
                let _ = rest.await;
                gauge!("mfa_detached_requests").decrement(1.0);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::sync::oneshot;

    /// Two steps with a wait between them; the second reports.
    async fn two_steps(done: oneshot::Sender<&'static str>) -> &'static str {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let _ = done.send("second step ran");
        "answer"
    }

    #[tokio::test]
    async fn dropped_midway_it_finishes_in_a_task_of_its_own() {
        let (done, finished) = oneshot::channel();
        let request = RunToEnd::new(two_steps(done));
        // Polled once (it waits in the first step), then dropped.
        let once = tokio::time::timeout(Duration::ZERO, request).await;
        assert!(once.is_err(), "still at its first step");
        assert_eq!(finished.await, Ok("second step ran"));
    }

    #[tokio::test]
    async fn a_request_that_panics_is_not_handed_on() {
        let mut request = RunToEnd::new(async {
            if true {
                panic!("a handler's bug");
            }
        });
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Pin::new(&mut request).poll(&mut cx)
        }));
        assert!(unwound.is_err());
        drop(request);
        let handed_on = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        assert_eq!(handed_on, 0);
    }

    #[tokio::test]
    async fn polled_to_its_end_it_answers_and_leaves_nothing_behind() {
        let (done, finished) = oneshot::channel();
        assert_eq!(RunToEnd::new(two_steps(done)).await, "answer");
        assert_eq!(finished.await, Ok("second step ran"));
        // Dropping a finished one spawns nothing (nothing left to run).
        let idle = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        assert_eq!(idle, 0);
    }
}
