//! Keepalive on tokio's timers: the engine decides (a ping after a quiet
//! interval, a deadline for the answer, an idle timeout); this arms one
//! timer for the next moment the engine wants to be asked again.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use tokio::time::{Instant, Sleep};
use ws_core::{Error, Protocol};

/// One timer per connection, allocated the first time keepalive needs it.
#[derive(Debug, Default)]
pub(crate) struct Timer {
    sleep: Option<Pin<Box<Sleep>>>,
    /// The waker the armed timer will wake: polling it again with the same
    /// one and the same deadline would change nothing (and costs atomics).
    armed_for: Option<Waker>,
}

impl Timer {
    /// Runs the engine's keepalive and arms the timer for its next turn
    /// (the waker of `cx` is woken then). An error ends the connection: a
    /// dead peer ([`Error::KeepaliveTimeout`]) or an idle one
    /// ([`Error::IdleTimeout`]); its Close is queued.
    pub(crate) fn poll(
        &mut self,
        protocol: &mut Protocol,
        cx: &mut Context<'_>,
    ) -> Result<(), Error> {
        loop {
            let Some(next) = protocol.poll_keepalive(std::time::Instant::now())? else {
                self.sleep = None;
                self.armed_for = None;
                return Ok(());
            };
            let next = Instant::from_std(next);
            match &mut self.sleep {
                // A later deadline than the armed one: let that one fire
                // first and re-arm then, instead of moving the timer on
                // every read (activity pushes the deadline out all the time).
                Some(sleep) if sleep.deadline() <= next && !sleep.is_elapsed() => {
                    if self
                        .armed_for
                        .as_ref()
                        .is_some_and(|w| w.will_wake(cx.waker()))
                    {
                        return Ok(());
                    }
                }
                Some(sleep) => sleep.as_mut().reset(next),
                None => self.sleep = Some(Box::pin(tokio::time::sleep_until(next))),
            }
            let Some(sleep) = &mut self.sleep else {
                return Ok(());
            };
            match sleep.as_mut().poll(cx) {
                Poll::Pending => {
                    self.armed_for = Some(cx.waker().clone());
                    return Ok(());
                }
                // Due already: ask the engine again.
                Poll::Ready(()) => self.armed_for = None,
            }
        }
    }
}
