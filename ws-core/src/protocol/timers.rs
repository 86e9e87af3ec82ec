//! The engine's timers: keepalive (a ping after a quiet interval, failure
//! when nothing answers it), the write stall timeout, and the closing
//! handshake's deadline. Each bounds a wait that a peer can prolong: a peer
//! that vanished, one that stopped reading, one that never answers our Close.
//!
//! The engine never reads the clock: [`Protocol::poll_timers`] is handed the
//! time, notes what changed since the last call (bytes that arrived, bytes
//! the stream took) and says when to call again.

use super::{CloseState, Protocol};
use crate::{CloseCode, CloseFrame, Keepalive, OpCode, WsError};
use sockwell_extensions::Rsv;
use std::time::Instant;

#[derive(Debug, Default)]
pub(crate) struct TimerState {
    /// Progress at the last poll: bytes received plus bytes the stream
    /// took while reads were held back for the output (backpressure).
    seen: u64,
    /// When progress was last seen (first poll: the start).
    last_activity: Option<Instant>,
    /// When our keepalive ping was queued, while unanswered.
    ping_sent: Option<Instant>,
    /// Data messages (both ways) counted at the last poll.
    data_seen: u64,
    /// When a data message was last seen to go either way.
    last_data: Option<Instant>,
    /// Bytes written at the last poll, for the write stall timeout.
    written_seen: u64,
    /// Since when output has waited for the stream without any progress.
    write_stalled_since: Option<Instant>,
    /// When the closing handshake was first seen under way.
    closing_since: Option<Instant>,
    /// Bytes read plus bytes written at the last poll, for the release of
    /// the extensions' idle state.
    traffic_seen: u64,
    /// Since when no byte went either way while the extensions hold state
    /// to give back when quiet.
    quiet_since: Option<Instant>,
}

impl Protocol {
    /// Drives every timer of the connection: call with the current time
    /// whenever the driver is about to wait (a read found nothing, a write
    /// could not go on), and again at the returned instant (`None`: no timer
    /// is running). An error ends the connection; drop the stream after
    /// writing what [`pending_output`](Self::pending_output) holds, if the
    /// stream takes it at once.
    ///
    /// - [`Keepalive`](crate::Keepalive), while the connection is open:
    ///   queues a ping when nothing arrived for `interval`, and fails with
    ///   [`WsError::KeepaliveTimeout`] (Close 1011 queued) when nothing arrives
    ///   within `timeout` after it, or with [`WsError::IdleTimeout`] (Close
    ///   1001) when no data message went either way for `idle_timeout`.
    ///   While reads are held back because the output is over
    ///   [`write_buffer_size`](crate::WebSocketConfig::write_buffer_size),
    ///   bytes the stream takes count as a sign of life too (the peer is
    ///   reading, we are not): a peer that stops reading therefore fails
    ///   like a silent one, its ping never even leaving the queue.
    /// - [`write_timeout`](crate::WebSocketConfig::write_timeout): output
    ///   that must go out (over `write_buffer_size`, the engine's own
    ///   replies, or a Close) and of which the stream took nothing for that
    ///   long fails with [`WsError::WriteTimeout`].
    /// - [`close_timeout`](crate::WebSocketConfig::close_timeout): once a
    ///   Close was sent or received (or the connection failed and its Close
    ///   waits to be written), the handshake must end (both Closes
    ///   exchanged, ours written) within it, or [`WsError::CloseTimeout`].
    ///
    /// - [`release_idle_state_after`](crate::WebSocketConfig::release_idle_state_after):
    ///   while an extension holds state only to be faster while busy
    ///   ([`ExtensionStack::holds_idle_state`](sockwell_extensions::ExtensionStack::holds_idle_state)),
    ///   no byte read or written for that long gives it back.
    ///
    /// Time is an argument, not read here, so the engine stays sans-IO and
    /// testable.
    pub fn poll_timers(&mut self, now: Instant) -> Result<Option<Instant>, WsError> {
        if self.closed_reported && !self.wants_write() {
            // Over, and nothing left to write: no timer matters.
            return Ok(None);
        }
        let mut next = self.poll_write_stall(now)?;
        if let Some(t) = self.poll_idle_state(now) {
            next = Some(next.map_or(t, |n: Instant| n.min(t)));
        }
        let closing = self.close_sent || self.close_received || self.failed;
        let other = if closing {
            self.poll_close_deadline(now)?
        } else {
            self.poll_keepalive(now)?
        };
        if let Some(t) = other {
            next = Some(next.map_or(t, |n: Instant| n.min(t)));
        }
        Ok(next)
    }

    /// Keepalive and the idle timeout, while the connection is open.
    fn poll_keepalive(&mut self, now: Instant) -> Result<Option<Instant>, WsError> {
        let Some(config) = self.config.keepalive else {
            return Ok(None);
        };
        let progress = self.rx.total_received() + self.written_backpressured;
        let data = self.data_messages;
        let state = &mut self.timers;
        if progress != state.seen || state.last_activity.is_none() {
            state.seen = progress;
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
            return Err(WsError::IdleTimeout);
        }
        let next = if let Some(sent) = state.ping_sent {
            let deadline = sent + config.timeout;
            if now >= deadline {
                self.fail_with_close(CloseCode::INTERNAL_ERROR, "keepalive timeout");
                return Err(WsError::KeepaliveTimeout);
            }
            deadline
        } else {
            let quiet_until = state.last_activity.unwrap_or(now) + config.interval;
            if now < quiet_until {
                quiet_until
            } else {
                state.ping_sent = Some(now);
                self.write_frame(true, Rsv::NONE, OpCode::Ping, Keepalive::PING_PAYLOAD);
                now + config.timeout
            }
        };
        Ok(Some(idle_until.map_or(next, |idle| idle.min(next))))
    }

    /// The extensions' idle state goes back after a quiet spell.
    fn poll_idle_state(&mut self, now: Instant) -> Option<Instant> {
        let quiet = self.config.release_idle_state_after?;
        if !self.extensions.holds_idle_state() {
            self.timers.quiet_since = None;
            return None;
        }
        let traffic = self.rx.total_received() + self.written;
        let state = &mut self.timers;
        if traffic != state.traffic_seen || state.quiet_since.is_none() {
            state.traffic_seen = traffic;
            state.quiet_since = Some(now);
        }
        let due = state.quiet_since.unwrap_or(now) + quiet;
        if now < due {
            return Some(due);
        }
        state.quiet_since = None;
        self.extensions.release_idle_state();
        None
    }

    /// The write stall timeout: output that must go out and does not move.
    fn poll_write_stall(&mut self, now: Instant) -> Result<Option<Instant>, WsError> {
        let Some(limit) = self.config.write_timeout else {
            return Ok(None);
        };
        // Output the application queued and has not flushed yet is not
        // waiting for the stream; output past the buffer size, replies and
        // Closes are.
        let must_go_out =
            self.wants_write() && (!self.has_output_room() || self.wants_reply_write());
        let written = self.written;
        let state = &mut self.timers;
        if !must_go_out {
            state.write_stalled_since = None;
            state.written_seen = written;
            return Ok(None);
        }
        if written != state.written_seen || state.write_stalled_since.is_none() {
            state.written_seen = written;
            state.write_stalled_since = Some(now);
        }
        let deadline = state.write_stalled_since.unwrap_or(now) + limit;
        if now >= deadline {
            self.abandon();
            return Err(WsError::WriteTimeout);
        }
        Ok(Some(deadline))
    }

    /// The closing handshake's deadline.
    fn poll_close_deadline(&mut self, now: Instant) -> Result<Option<Instant>, WsError> {
        let done = self.close_state() == CloseState::Closed && !self.wants_write();
        let Some(limit) = self.config.close_timeout else {
            return Ok(None);
        };
        if done {
            return Ok(None);
        }
        let since = *self.timers.closing_since.get_or_insert(now);
        let deadline = since + limit;
        if now >= deadline {
            self.abandon();
            return Err(WsError::CloseTimeout);
        }
        Ok(Some(deadline))
    }

    /// Ends the connection from our side: a Close with `code` is queued.
    fn fail_with_close(&mut self, code: CloseCode, reason: &str) {
        self.queue_close(Some(&CloseFrame::new(code, reason)));
        self.failed = true;
        self.closed_reported = true;
    }

    /// Gives the connection up without a word: what is queued will never
    /// be written, so it is dropped (with its memory).
    pub(super) fn abandon(&mut self) {
        self.tx.clear();
        self.pending_pong = None;
        self.app_unflushed = false;
        self.failed = true;
        self.closed_reported = true;
    }
}

#[cfg(test)]
mod tests {
    use crate::{Keepalive, Protocol, Role, WebSocketConfig, WsError};
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
        assert_eq!(p.poll_timers(t0).unwrap(), Some(t0 + s(10)));
        assert!(!p.wants_write());
        assert_eq!(p.poll_timers(t0 + s(9)).unwrap(), Some(t0 + s(10)));
        // Quiet for the interval: a ping goes out.
        assert_eq!(p.poll_timers(t0 + s(10)).unwrap(), Some(t0 + s(15)));
        let out = p.pending_output().to_vec();
        assert_eq!(out[0], 0x89, "a ping");
        p.advance_output(out.len());
        // The peer answers (any bytes count): quiet time starts again.
        p.receive(&[0x8a, 0x00]);
        assert_eq!(p.poll_timers(t0 + s(12)).unwrap(), Some(t0 + s(22)));
        assert_eq!(p.poll_timers(t0 + s(22)).unwrap(), Some(t0 + s(27)));
        let out = p.pending_output().to_vec();
        p.advance_output(out.len());
        // This time nothing comes back.
        assert_eq!(p.poll_timers(t0 + s(26)).unwrap(), Some(t0 + s(27)));
        assert!(matches!(
            p.poll_timers(t0 + s(27)),
            Err(WsError::KeepaliveTimeout)
        ));
        let out = p.pending_output().to_vec();
        assert_eq!(out[0], 0x88, "a Close");
        let code = [out[6] ^ out[2], out[7] ^ out[3]]; // unmask (client frame)
        assert_eq!(code, 1011u16.to_be_bytes());
        assert!(matches!(p.read_buffered(), Err(WsError::AlreadyClosed)));
        p.advance_output(out.len());
        assert_eq!(p.poll_timers(t0 + s(30)).unwrap(), None);
    }

    #[test]
    fn can_be_turned_off() {
        let config = WebSocketConfig::default().with_keepalive_config(None);
        let mut p = Protocol::new(Role::Server, config);
        assert_eq!(p.poll_timers(Instant::now()).unwrap(), None);
        assert!(!p.wants_write());
    }

    #[test]
    fn on_by_default_with_twenty_seconds_each() {
        let mut p = Protocol::new(Role::Server, WebSocketConfig::default());
        let t0 = Instant::now();
        let s = Duration::from_secs;
        assert_eq!(p.poll_timers(t0).unwrap(), Some(t0 + s(20)));
        assert_eq!(p.poll_timers(t0 + s(20)).unwrap(), Some(t0 + s(40)));
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
        p.poll_timers(t0).unwrap();
        // Pings and pongs keep it alive, but they are not data.
        for t in (10..60).step_by(10) {
            p.poll_timers(t0 + s(t)).unwrap();
            let n = p.pending_output().len();
            p.advance_output(n);
            p.receive(&[0x8a, 0x80, 0, 0, 0, 0]); // a pong
            assert!(matches!(p.read_buffered(), Ok(Some(_))));
        }
        // A data message sent at 55 s restarts the idle clock.
        p.write(&crate::Message::text("still here")).unwrap();
        let n = p.pending_output().len();
        p.advance_output(n);
        p.poll_timers(t0 + s(55)).unwrap();
        assert!(p.poll_timers(t0 + s(114)).is_ok());
        let n = p.pending_output().len();
        p.advance_output(n);
        p.receive(&[0x8a, 0x80, 0, 0, 0, 0]);
        assert!(matches!(p.read_buffered(), Ok(Some(_))));
        assert!(matches!(
            p.poll_timers(t0 + s(115)),
            Err(WsError::IdleTimeout)
        ));
        let out = p.pending_output().to_vec();
        assert_eq!(&out[..4], &[0x88, 14, 0x03, 0xe9], "Close 1001");
    }
    #[test]
    fn the_close_timeout_bounds_the_closing_handshake() {
        let config = WebSocketConfig::default().with_keepalive_config(None);
        let mut p = Protocol::new(Role::Server, config);
        let t0 = Instant::now();
        let s = Duration::from_secs;
        assert_eq!(p.poll_timers(t0).unwrap(), None, "no timer while open");
        p.close(None).unwrap();
        let n = p.pending_output().len();
        p.advance_output(n);
        assert_eq!(p.poll_timers(t0 + s(1)).unwrap(), Some(t0 + s(11)));
        assert_eq!(p.poll_timers(t0 + s(5)).unwrap(), Some(t0 + s(11)));
        assert!(matches!(
            p.poll_timers(t0 + s(11)),
            Err(WsError::CloseTimeout)
        ));
        assert!(!p.wants_write());
        assert!(matches!(p.read_buffered(), Err(WsError::AlreadyClosed)));
        assert_eq!(p.poll_timers(t0 + s(12)).unwrap(), None);
    }

    #[test]
    fn the_close_timeout_ends_when_the_peer_answers() {
        let config = WebSocketConfig::default().with_keepalive_config(None);
        let mut p = Protocol::new(Role::Server, config);
        let t0 = Instant::now();
        p.close(None).unwrap();
        let n = p.pending_output().len();
        p.advance_output(n);
        assert!(p.poll_timers(t0).unwrap().is_some());
        p.receive(&[0x88, 0x80, 0, 0, 0, 0]); // the client's Close
        assert!(matches!(p.read_buffered(), Ok(Some(_))));
        assert_eq!(p.poll_timers(t0 + Duration::from_secs(60)).unwrap(), None);
    }

    #[test]
    fn the_write_timeout_fires_when_output_that_must_go_out_does_not_move() {
        let config = WebSocketConfig::default()
            .with_keepalive_config(None)
            .with_write_buffer_size(0)
            .with_write_timeout(Some(Duration::from_secs(5)));
        let mut p = Protocol::new(Role::Server, config);
        let t0 = Instant::now();
        let s = Duration::from_secs;
        p.write(&crate::Message::binary(vec![1; 100])).unwrap();
        assert_eq!(p.poll_timers(t0).unwrap(), Some(t0 + s(5)));
        // Some progress: the clock starts again.
        p.advance_output(10);
        assert_eq!(p.poll_timers(t0 + s(3)).unwrap(), Some(t0 + s(8)));
        assert!(matches!(
            p.poll_timers(t0 + s(8)),
            Err(WsError::WriteTimeout)
        ));
        assert!(!p.wants_write(), "what could not go out is dropped");
    }

    #[test]
    fn the_write_timeout_ignores_output_the_application_has_not_flushed() {
        let config = WebSocketConfig::default()
            .with_keepalive_config(None)
            .with_write_timeout(Some(Duration::from_secs(5)));
        let mut p = Protocol::new(Role::Server, config);
        let t0 = Instant::now();
        p.write(&crate::Message::text("batched")).unwrap();
        assert_eq!(p.poll_timers(t0).unwrap(), None);
        assert!(p.poll_timers(t0 + Duration::from_secs(60)).is_ok());
    }

    #[test]
    fn under_backpressure_bytes_the_stream_takes_are_a_sign_of_life() {
        let config = WebSocketConfig::default()
            .with_write_buffer_size(0)
            .with_keepalive(Duration::from_secs(10), Duration::from_secs(5));
        let mut p = Protocol::new(Role::Server, config);
        let t0 = Instant::now();
        let s = Duration::from_secs;
        p.write(&crate::Message::binary(vec![1; 10_000])).unwrap();
        assert!(!p.wants_read(), "reads wait for the output");
        p.poll_timers(t0).unwrap();
        // A ping is due, queued behind the message.
        assert_eq!(p.poll_timers(t0 + s(10)).unwrap(), Some(t0 + s(15)));
        // The peer reads slowly: 100 bytes a second.
        for t in 11..30 {
            p.advance_output(100);
            assert!(p.poll_timers(t0 + s(t)).is_ok(), "at {t} s");
        }
        // Then it stops reading: a ping is due after the interval (it
        // cannot get out), and nothing answers it.
        assert_eq!(p.poll_timers(t0 + s(30)).unwrap(), Some(t0 + s(39)));
        assert_eq!(p.poll_timers(t0 + s(39)).unwrap(), Some(t0 + s(44)));
        assert!(matches!(
            p.poll_timers(t0 + s(44)),
            Err(WsError::KeepaliveTimeout)
        ));
    }
}
