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
    /// Data messages (both ways) counted at the last poll.
    data_seen: u64,
    /// When a data message was last seen to go either way.
    last_data: Option<Instant>,
}

impl Protocol {
    /// Drives [`Keepalive`](crate::Keepalive): call with the current time
    /// whenever the driver wakes up, best after a read found nothing (so that
    /// bytes already waiting in the stream count as a sign of life). Queues a
    /// ping when nothing has arrived for `interval`, and fails the connection
    /// with [`Error::KeepaliveTimeout`] when nothing arrives within `timeout`
    /// after it, or with [`Error::IdleTimeout`] when no data message went
    /// either way for `idle_timeout`. Returns when to call again (`None`:
    /// keepalive is off or the connection is closing).
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
        let data = self.data_messages;
        let state = &mut self.keepalive;
        if received != state.seen || state.last_activity.is_none() {
            state.seen = received;
            state.last_activity = Some(now);
            state.ping_sent = None;
        }
        if data != state.data_seen || state.last_data.is_none() {
            state.data_seen = data;
            state.last_data = Some(now);
        }
        let idle_until = config
            .idle_timeout
            .and_then(|idle| state.last_data.map(|t| t + idle));
        if idle_until.is_some_and(|t| now >= t) {
            self.fail_with_close(CloseCode::GOING_AWAY, "idle timeout");
            return Err(Error::IdleTimeout);
        }
        let next = if let Some(sent) = state.ping_sent {
            let deadline = sent + config.timeout;
            if now >= deadline {
                self.fail_with_close(CloseCode::INTERNAL_ERROR, "keepalive timeout");
                return Err(Error::KeepaliveTimeout);
            }
            deadline
        } else {
            let quiet_until = state.last_activity.unwrap_or(now) + config.interval;
            if now < quiet_until {
                quiet_until
            } else {
                state.ping_sent = Some(now);
                self.write_frame(true, Rsv::NONE, OpCode::Ping, b"keepalive");
                now + config.timeout
            }
        };
        Ok(Some(idle_until.map_or(next, |idle| idle.min(next))))
    }

    /// Ends the connection from our side: a Close with `code` is queued.
    fn fail_with_close(&mut self, code: CloseCode, reason: &str) {
        self.queue_close(Some(&CloseFrame::new(code, reason)));
        self.failed = true;
        self.closed_reported = true;
    }
}

#[cfg(test)]
mod tests {
    use crate::{Error, Keepalive, Protocol, Role, WebSocketConfig};
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
    fn can_be_turned_off() {
        let config = WebSocketConfig::default().with_keepalive_config(None);
        let mut p = Protocol::new(Role::Server, config);
        assert_eq!(p.poll_keepalive(Instant::now()).unwrap(), None);
        assert!(!p.wants_write());
    }

    #[test]
    fn on_by_default_with_twenty_seconds_each() {
        let mut p = Protocol::new(Role::Server, WebSocketConfig::default());
        let t0 = Instant::now();
        let s = Duration::from_secs;
        assert_eq!(p.poll_keepalive(t0).unwrap(), Some(t0 + s(20)));
        assert_eq!(p.poll_keepalive(t0 + s(20)).unwrap(), Some(t0 + s(40)));
        assert!(p.wants_write(), "a ping");
    }

    #[test]
    fn idle_connections_are_closed_with_going_away() {
        let keepalive = Keepalive::new(Duration::from_secs(10), Duration::from_secs(5))
            .with_idle_timeout(Some(Duration::from_secs(60)));
        let config = WebSocketConfig::default().with_keepalive_config(Some(keepalive));
        let mut p = Protocol::new(Role::Server, config);
        let t0 = Instant::now();
        let s = Duration::from_secs;
        p.poll_keepalive(t0).unwrap();
        // Pings and pongs keep it alive, but they are not data.
        for t in (10..60).step_by(10) {
            p.poll_keepalive(t0 + s(t)).unwrap();
            let n = p.pending_output().len();
            p.advance_output(n);
            p.receive(&[0x8a, 0x80, 0, 0, 0, 0]); // a pong
            assert!(matches!(p.next_message(), Ok(Some(_))));
        }
        // A data message sent at 55 s restarts the idle clock.
        p.send(&crate::Message::text("still here")).unwrap();
        let n = p.pending_output().len();
        p.advance_output(n);
        p.poll_keepalive(t0 + s(55)).unwrap();
        assert!(p.poll_keepalive(t0 + s(114)).is_ok());
        let n = p.pending_output().len();
        p.advance_output(n);
        p.receive(&[0x8a, 0x80, 0, 0, 0, 0]);
        assert!(matches!(p.next_message(), Ok(Some(_))));
        assert!(matches!(
            p.poll_keepalive(t0 + s(115)),
            Err(Error::IdleTimeout)
        ));
        let out = p.pending_output().to_vec();
        assert_eq!(&out[..4], &[0x88, 14, 0x03, 0xe9], "Close 1001");
    }
}
