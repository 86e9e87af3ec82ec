//! Keepalive: a ping after a quiet interval, failure when nothing answers it.

use super::Protocol;
use crate::{CloseCode, CloseFrame, Error, OpCode};
use std::time::Instant;
use ws_extensions::Rsv;

#[derive(Debug, Default)]
pub(crate) struct KeepaliveState {
    /// `total_received` at the last poll.
    seen: u64,
    /// When bytes were last seen to arrive (first poll: the start).
    last_activity: Option<Instant>,
    /// When our keepalive ping went out, while unanswered.
    ping_sent: Option<Instant>,
}

impl Protocol {
    /// Drives [`Keepalive`](crate::Keepalive): call with the current time
    /// whenever the driver wakes up. Queues a ping when nothing has arrived for
    /// `interval`, and fails the connection with [`Error::KeepaliveTimeout`]
    /// when nothing arrives within `timeout` after it. Returns when to call
    /// again (`None`: keepalive is off or the connection is closing).
    ///
    /// Time is an argument, not read here, so the engine stays sans-IO and
    /// testable; activity is measured in bytes received between two polls.
    pub fn poll_keepalive(&mut self, now: Instant) -> Result<Option<Instant>, Error> {
        let Some(config) = self.config.keepalive else {
            return Ok(None);
        };
        if self.close_sent || self.close_received || self.failed {
            return Ok(None);
        }
        let received = self.rx.total_received();
        let state = &mut self.keepalive;
        if received != state.seen || state.last_activity.is_none() {
            state.seen = received;
            state.last_activity = Some(now);
            state.ping_sent = None;
        }
        if let Some(sent) = state.ping_sent {
            let deadline = sent + config.timeout;
            if now < deadline {
                return Ok(Some(deadline));
            }
            let reply = CloseFrame::new(CloseCode::INTERNAL_ERROR, "keepalive timeout");
            self.queue_close(Some(&reply));
            self.failed = true;
            self.closed_reported = true;
            return Err(Error::KeepaliveTimeout);
        }
        let quiet_until = state.last_activity.unwrap_or(now) + config.interval;
        if now < quiet_until {
            return Ok(Some(quiet_until));
        }
        state.ping_sent = Some(now);
        self.write_frame(true, Rsv::NONE, OpCode::Ping, b"keepalive");
        Ok(Some(now + config.timeout))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Error, Protocol, Role, WebSocketConfig};
    use std::time::{Duration, Instant};

    fn engine() -> Protocol {
        let config = WebSocketConfig::default()
            .with_keepalive(Duration::from_secs(10), Duration::from_secs(5));
        Protocol::new(Role::Client, config)
    }

    #[test]
    fn pings_when_quiet_and_fails_when_unanswered() {
        let mut p = engine();
        let t0 = Instant::now();
        let s = Duration::from_secs;
        assert_eq!(p.poll_keepalive(t0).unwrap(), Some(t0 + s(10)));
        assert!(!p.wants_write());
        assert_eq!(p.poll_keepalive(t0 + s(9)).unwrap(), Some(t0 + s(10)));
        // Quiet for the interval: a ping goes out.
        assert_eq!(p.poll_keepalive(t0 + s(10)).unwrap(), Some(t0 + s(15)));
        let out = p.pending_output().to_vec();
        assert_eq!(out[0], 0x89, "a ping");
        p.advance_output(out.len());
        // The peer answers (any bytes count): quiet time starts again.
        p.receive(&[0x8a, 0x00]);
        assert_eq!(p.poll_keepalive(t0 + s(12)).unwrap(), Some(t0 + s(22)));
        assert_eq!(p.poll_keepalive(t0 + s(22)).unwrap(), Some(t0 + s(27)));
        let out = p.pending_output().to_vec();
        p.advance_output(out.len());
        // This time nothing comes back.
        assert_eq!(p.poll_keepalive(t0 + s(26)).unwrap(), Some(t0 + s(27)));
        assert!(matches!(
            p.poll_keepalive(t0 + s(27)),
            Err(Error::KeepaliveTimeout)
        ));
        let out = p.pending_output().to_vec();
        assert_eq!(out[0], 0x88, "a Close");
        let code = [out[6] ^ out[2], out[7] ^ out[3]]; // unmask (client frame)
        assert_eq!(code, 1011u16.to_be_bytes());
        assert!(matches!(p.next_message(), Err(Error::AlreadyClosed)));
        assert_eq!(p.poll_keepalive(t0 + s(30)).unwrap(), None);
    }

    #[test]
    fn off_by_default() {
        let mut p = Protocol::new(Role::Server, WebSocketConfig::default());
        assert_eq!(p.poll_keepalive(Instant::now()).unwrap(), None);
        assert!(!p.wants_write());
    }
}
