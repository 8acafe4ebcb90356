//! A request that runs to its end without its client.
//!
//! hyper drops a request's future when its client hangs up, and the
//! request stops at whatever `.await` it had reached: a verify whose
//! write had landed went without its event and its count. [`RunToEnd`]
//! polls the request in place while the client is there (no task, no
//! thread hop: spawning every request instead cost 5–20% more CPU a
//! request, docs/PERFORMANCE.md), and when it is dropped before its end,
//! hands the rest to a task of its own, which finishes it and throws the
//! answer away. Whatever the request holds (its connection's slot) is
//! held until then.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

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
        let rest = self
            .rest
            .as_mut()
            .expect("a RunToEnd is not polled after its end");
        let answer = ready!(rest.as_mut().poll(cx));
        self.rest = None;
        Poll::Ready(answer)
    }
}

impl<F: Future + Send + 'static> Drop for RunToEnd<F> {
    fn drop(&mut self) {
        // Outside a runtime (it is shutting down) there is nothing left
        // to finish it on.
        if let (Some(rest), Ok(runtime)) = (self.rest.take(), tokio::runtime::Handle::try_current())
        {
            runtime.spawn(async move {
                let _ = rest.await;
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
