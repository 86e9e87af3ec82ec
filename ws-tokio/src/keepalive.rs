//! Keepalive on tokio's timers: the engine decides (a ping after a quiet
//! interval, a deadline for the answer, an idle timeout); this arms one
//! timer for the next moment the engine wants to be asked again.

use sockwell_core::{Protocol, WsError};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use tokio::time::{Instant, Sleep};

/// How often, in parts of the keepalive interval, the timer looks at the
/// engine while traffic flows (between two looks nothing reads the clock).
const CHECK_FRACTION: u32 = 4;

/// One timer per connection, allocated the first time keepalive needs it.
#[derive(Debug, Default)]
pub(crate) struct Timer {
    sleep: Option<Pin<Box<Sleep>>>,
    /// The armed timer: the waker it will wake (polling it again with the
    /// same one and the same deadline would change nothing, and costs
    /// atomics) and its deadline, kept here beside the connection's other
    /// state: the common check (not due yet) reads the clock instead of the
    /// boxed `Sleep`, which with many connections is a cache miss each time.
    /// The flag: whether the extensions held idle state when it was armed
    /// (state held since brings an earlier deadline, the quiet release).
    armed: Option<(Waker, Instant, bool)>,
}

impl Timer {
    /// Runs the engine's keepalive and arms the timer for its next turn
    /// (the waker of `cx` is woken then). An error ends the connection: a
    /// dead peer ([`WsError::KeepaliveTimeout`]) or an idle one
    /// ([`WsError::IdleTimeout`]); its Close is queued.
    pub(crate) fn poll(
        &mut self,
        protocol: &mut Protocol,
        cx: &mut Context<'_>,
    ) -> Result<(), WsError> {
        // Armed, not due, and it will wake this task: the engine has nothing
        // to do before it fires (activity only moves its deadlines later),
        // so only the clock is read. Activity is then noted when the timer
        // fires, which `CHECK_FRACTION` keeps close enough.
        let holds = protocol.extensions().holds_idle_state();
        if let Some((waker, until, held)) = &self.armed {
            // Before its deadline the timer cannot have fired; at or after
            // it, the slow path below looks at the timer itself. Idle state
            // taken since it was armed is the one thing that brings a
            // deadline nearer (its release after a quiet spell).
            if *held == holds && waker.will_wake(cx.waker()) && Instant::now() < *until {
                return Ok(());
            }
        }
        loop {
            let now = std::time::Instant::now();
            let Some(next) = protocol.poll_timers(now)? else {
                self.sleep = None;
                self.armed = None;
                return Ok(());
            };
            // Look again a fraction of the interval from now at the latest:
            // activity between two looks is dated to the second one, so a
            // ping goes out at most interval / CHECK_FRACTION late.
            let check = protocol
                .config()
                .keepalive
                .map(|k| k.interval / CHECK_FRACTION)
                .filter(|step| !step.is_zero())
                .map(|step| now + step);
            let next = Instant::from_std(check.map_or(next, |c| next.min(c)));
            match &mut self.sleep {
                // A later deadline than the armed one: let that one fire
                // first and re-arm then, instead of moving the timer on
                // every read (activity pushes the deadline out all the time);
                // it is polled below with this task's waker (the same waker
                // returned at the top).
                Some(sleep) if sleep.deadline() <= next && !sleep.is_elapsed() => {}
                Some(sleep) => sleep.as_mut().reset(next),
                None => self.sleep = Some(Box::pin(tokio::time::sleep_until(next))),
            }
            let Some(sleep) = &mut self.sleep else {
                return Ok(());
            };
            match sleep.as_mut().poll(cx) {
                Poll::Pending => {
                    self.armed = Some((cx.waker().clone(), sleep.deadline(), holds));
                    return Ok(());
                }
                // Due already: ask the engine again.
                Poll::Ready(()) => self.armed = None,
            }
        }
    }
}
