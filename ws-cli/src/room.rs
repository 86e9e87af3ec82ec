//! The memory of a `ws serve --broadcast` room, and its bound.
//!
//! A room keeps each message until every listener has taken it (at most
//! [`BACKLOG`] of them). Besides its payload, a [`PreparedMessage`] keeps
//! one framed copy per distinct encoding its listeners need: the
//! uncompressed frames, and with permessage-deflate one copy per window
//! size (8..15) a client asked for (8 sends uncompressed: zlib cannot
//! compress with it) and, with context takeover (the default), per group
//! of listeners whose histories are in the same state (a listener is not
//! sent its own messages, so each speaker's history differs from the
//! others'). Unchecked, that is many copies of each message, some the
//! size of its payload. Here every message charges a room-wide
//! [`Budget`] for the copies it holds, and a listener whose copy would not
//! fit gets the message encoded for it alone, kept nowhere in the room.
//!
//! So the room holds at most `BACKLOG` payloads (each within the message
//! limit) plus the budget's bytes of framed copies; each listener besides
//! holds what it is writing (one message: the room writes one at a time).

use sockwell_core::{Protocol, MAX_HEADER_LEN};
use sockwell_server::{Message, PreparedMessage, WsError};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// How many messages a slow listener may fall behind before it misses some.
pub const BACKLOG: usize = 256;

/// The bytes of framed copies a room may keep: as much again as its
/// payloads at most, one copy of each message.
pub fn budget_for(max_message_size: usize) -> usize {
    BACKLOG.saturating_mul(max_message_size)
}

/// A room-wide count of the bytes of framed copies its messages hold,
/// never past its limit.
#[derive(Debug)]
pub struct Budget {
    limit: usize,
    held: AtomicUsize,
}

impl Budget {
    pub fn new(limit: usize) -> Self {
        Budget {
            limit,
            held: AtomicUsize::new(0),
        }
    }

    /// Bytes charged now: the copies held, and the upper estimates of the
    /// copies being made. (The tests read it; the server has no use.)
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Acquire)
    }

    /// Charges `bytes` if they fit under the limit.
    fn try_charge(&self, bytes: usize) -> bool {
        self.held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                held.checked_add(bytes).filter(|&after| after <= self.limit)
            })
            .is_ok()
    }

    fn release(&self, bytes: usize) {
        self.held.fetch_sub(bytes, Ordering::AcqRel);
    }
}

/// A message said in the room: who said it (it is not sent back to them)
/// and the message, charging the room's budget for its framed copies until
/// the last listener drops it.
#[derive(Debug)]
pub struct Said {
    pub from: u64,
    message: PreparedMessage,
    budget: Arc<Budget>,
    /// What this message is charged: the bytes its copies hold. Locked
    /// while a copy is made, so that each copy is charged exactly once.
    charged: tokio::sync::Mutex<usize>,
}

/// How a listener got a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The room's shared frames (made now, or before for another listener).
    Shared,
    /// Encoded for this listener alone: a new copy would not fit the budget.
    Own,
}

/// How a connection encodes prepared messages: its
/// [`shared_encoding`](sockwell_core::sockwell_extensions::ExtensionStack::shared_encoding) key,
/// its `max_outgoing_frame_size`, and whether the encoding also depends
/// on a state that moves with every message it is sent (context takeover:
/// [`shared_state`](sockwell_core::sockwell_extensions::ExtensionStack::shared_state)),
/// so that a message holding an encoding for the key may still make a
/// new copy for it (one per group of connections in the same state).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Encoding {
    pub key: String,
    pub max_frame: Option<usize>,
    pub stateful: bool,
}

/// A listener's connection as the room sees it: the way it encodes a
/// prepared message, and how to queue one.
pub trait Listener {
    /// How it encodes prepared messages, or `None` when it encodes every
    /// message itself (then a prepared message keeps nothing for it).
    fn encoding(&self) -> Option<&Encoding>;
    /// Queues the prepared message (`send_prepared`).
    fn queue_prepared(&mut self, message: &PreparedMessage) -> Result<(), WsError>;
    /// Queues an ordinary message, encoded for this connection alone.
    fn queue(&mut self, message: Message) -> Result<(), WsError>;
}

/// How a connection encodes prepared messages, read from its engine.
pub fn encoding_of(protocol: &Protocol) -> Option<Encoding> {
    let stack = protocol.extensions();
    let key = stack.shared_encoding()?;
    Some(Encoding {
        key: key.to_owned(),
        max_frame: protocol.config().max_outgoing_frame_size,
        stateful: stack.shared_state().is_some(),
    })
}

/// An upper bound of a framed copy of `payload_len` bytes in frames of
/// `max_frame` bytes: deflate stores what it cannot compress, a few bytes
/// per block of at least 4 KiB, well within 1/1024 and 1 KiB more; each
/// frame adds a header.
fn copy_bound(payload_len: usize, max_frame: Option<usize>) -> usize {
    let encoded = payload_len
        .saturating_add(payload_len / 1024)
        .saturating_add(1024);
    let frames = encoded / max_frame.unwrap_or(usize::MAX).max(1) + 1;
    encoded.saturating_add(frames.saturating_mul(MAX_HEADER_LEN))
}

impl Said {
    pub fn new(from: u64, message: PreparedMessage, budget: Arc<Budget>) -> Self {
        Said {
            from,
            message,
            budget,
            charged: tokio::sync::Mutex::new(0),
        }
    }

    /// Queues the message on `listener`: the shared frames when the message
    /// holds them already or the budget takes a new copy, and otherwise an
    /// ordinary message encoded for it alone.
    pub async fn deliver(&self, listener: &mut impl Listener) -> Result<Delivery, WsError> {
        let (key, max_frame, stateful) = match listener.encoding() {
            // Encodings are only ever added: one found stays. With a
            // state, one found for the key may be another group's.
            Some(e) if e.stateful || !self.message.has_encoding(&e.key, e.max_frame) => {
                (e.key.clone(), e.max_frame, e.stateful)
            }
            _ => {
                listener.queue_prepared(&self.message)?;
                return Ok(Delivery::Shared);
            }
        };
        let mut charged = self.charged.lock().await;
        // Another listener with the same key may have made it meanwhile.
        if !stateful && self.message.has_encoding(&key, max_frame) {
            listener.queue_prepared(&self.message)?;
            return Ok(Delivery::Shared);
        }
        let estimate = copy_bound(self.message.payload().len(), max_frame);
        if !self.budget.try_charge(estimate) {
            listener.queue(self.message.to_message())?;
            return Ok(Delivery::Own);
        }
        let queued = listener.queue_prepared(&self.message);
        // Charge what is held now (the copy made, if one was) instead of
        // the estimate. Copies are made only under this lock, so the new
        // bytes are this one copy, within the estimate.
        let held = self.message.encoded_len();
        let made = held.saturating_sub(*charged);
        self.budget.release(estimate.saturating_sub(made));
        if made > estimate {
            // Not expected (the estimate is an upper bound); still counted.
            self.budget
                .held
                .fetch_add(made - estimate, Ordering::AcqRel);
        }
        *charged = held;
        queued.map(|()| Delivery::Shared)
    }
}

impl Drop for Said {
    fn drop(&mut self) {
        self.budget.release(*self.charged.get_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockwell_client::sockwell_extensions::{
        client_confirm, client_offer, server_negotiate, ExtensionFactory,
    };
    use sockwell_client::DeflateConfig;
    use sockwell_core::{Role, WebSocketConfig};
    use std::sync::Arc;

    /// A server engine (what the room writes to) and its client.
    struct Pair {
        server: Protocol,
        client: Protocol,
        encoding: Option<Encoding>,
    }

    impl Listener for Pair {
        fn encoding(&self) -> Option<&Encoding> {
            self.encoding.as_ref()
        }
        fn queue_prepared(&mut self, message: &PreparedMessage) -> Result<(), WsError> {
            self.server.write_prepared(message)
        }
        fn queue(&mut self, message: Message) -> Result<(), WsError> {
            self.server.write_owned(message)
        }
    }

    const FRAME: usize = 16 << 10;

    /// A connection whose client asked for `deflate` (None: no extension),
    /// to a server without context takeover: its messages are encoded once
    /// for every such listener, the copies this module bounds.
    fn pair(deflate: Option<DeflateConfig>) -> Pair {
        pair_with(
            deflate,
            DeflateConfig::default()
                .server_no_context_takeover(true)
                .client_no_context_takeover(true),
        )
    }

    /// The same with the server's config `accepts`.
    fn pair_with(deflate: Option<DeflateConfig>, accepts: DeflateConfig) -> Pair {
        let mut config = WebSocketConfig::default();
        config.max_outgoing_frame_size = Some(FRAME);
        let mut server = Protocol::new(Role::Server, config.clone());
        let mut client = Protocol::new(Role::Client, config);
        if let Some(deflate) = deflate {
            let offered: Vec<Arc<dyn ExtensionFactory>> = vec![deflate.into_factory()];
            let offer = client_offer(&offered).unwrap();
            let accepts = [accepts.into_factory()];
            let (answer, stack) = server_negotiate(&accepts, [offer.as_bytes()]).unwrap();
            let confirmed = client_confirm(&offered, [answer.unwrap().as_bytes()]).unwrap();
            server = server.with_extensions(stack);
            client = client.with_extensions(confirmed);
        }
        let encoding = encoding_of(&server);
        Pair {
            server,
            client,
            encoding,
        }
    }

    /// Connections that each need another copy: no extension, and the
    /// server's window at every size 8..15.
    fn listeners() -> Vec<Pair> {
        let mut all = vec![pair(None)];
        for bits in 8..=15 {
            all.push(pair(Some(
                DeflateConfig::default().server_max_window_bits(bits),
            )));
        }
        all
    }

    /// Bytes no compressor shrinks (xorshift).
    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    fn receive(pair: &mut Pair) -> Message {
        let wire = pair.server.pending_output().to_vec();
        pair.server.advance_output(wire.len());
        pair.client.receive(&wire);
        pair.client
            .read_buffered()
            .unwrap()
            .expect("a whole message")
    }

    #[tokio::test]
    async fn copies_past_the_budget_are_not_kept_and_everyone_gets_the_message() {
        let mut listeners = listeners();
        let keys: std::collections::HashSet<_> =
            listeners.iter().map(|l| l.encoding.clone()).collect();
        assert_eq!(keys.len(), 9, "each listener needs its own copy");
        let payload = noise(100 << 10);
        // Room for three copies of this message, not four.
        let limit = 3 * copy_bound(payload.len(), Some(FRAME)) + 100;
        let budget = Arc::new(Budget::new(limit));
        let prepared = PreparedMessage::binary(payload.clone());
        let said = Said::new(0, prepared.clone(), budget.clone());
        let mut own = 0;
        for listener in &mut listeners {
            if said.deliver(listener).await.unwrap() == Delivery::Own {
                own += 1;
            }
            // What the room keeps, counted and actual, stays in the budget.
            assert_eq!(budget.held(), prepared.encoded_len());
            assert!(
                prepared.encoded_len() <= limit,
                "{}",
                prepared.encoded_len()
            );
            assert_eq!(receive(listener), Message::binary(payload.clone()));
        }
        assert_eq!((prepared.encodings(), own), (3, 6));
        // A listener with a key the message holds still shares it.
        let mut again = pair(None);
        assert_eq!(said.deliver(&mut again).await.unwrap(), Delivery::Shared);
        assert_eq!(receive(&mut again), Message::binary(payload));
        drop(said);
        assert_eq!(budget.held(), 0, "a dropped message frees its charge");
    }

    #[tokio::test]
    async fn the_charge_is_what_the_copies_hold() {
        let budget = Arc::new(Budget::new(budget_for(1 << 20)));
        let text = "compressible ".repeat(10_000);
        let prepared = PreparedMessage::text(text.clone());
        let said = Said::new(0, prepared.clone(), budget.clone());
        for listener in &mut listeners() {
            assert_eq!(said.deliver(listener).await.unwrap(), Delivery::Shared);
            assert_eq!(receive(listener), Message::text(text.clone()));
        }
        assert_eq!(prepared.encodings(), 9);
        assert_eq!(budget.held(), prepared.encoded_len());
        // Most of it is the two uncompressed copies (no extension, and
        // window bits 8, which zlib cannot compress with).
        let held = prepared.encoded_len();
        assert!(held < 2 * text.len() + text.len() / 4, "{held}");
        drop(said);
        assert_eq!(budget.held(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn listeners_at_once_keep_the_count_exact() {
        let payload = noise(64 << 10);
        let limit = 4 * copy_bound(payload.len(), Some(FRAME));
        let budget = Arc::new(Budget::new(limit));
        let prepared = PreparedMessage::binary(payload.clone());
        let said = Arc::new(Said::new(0, prepared.clone(), budget.clone()));
        // Two listeners of each kind, all at once.
        let tasks: Vec<_> = listeners()
            .into_iter()
            .chain(listeners())
            .map(|mut listener| {
                let said = said.clone();
                tokio::spawn(async move {
                    said.deliver(&mut listener).await.unwrap();
                    receive(&mut listener)
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), Message::binary(payload.clone()));
        }
        assert_eq!(prepared.encodings(), 4);
        assert_eq!(budget.held(), prepared.encoded_len());
        assert!(budget.held() <= limit);
        drop(said);
        assert_eq!(budget.held(), 0);
    }

    #[test]
    fn copy_bound_covers_incompressible_data_in_frames() {
        for len in [0, 1, 100, 4 << 10, 1 << 20] {
            let prepared = PreparedMessage::binary(noise(len));
            let mut deflate = pair(Some(DeflateConfig::default().level(9)));
            deflate.server.write_prepared(&prepared).unwrap();
            let mut plain = pair(None);
            plain.server.write_prepared(&prepared).unwrap();
            let bound = copy_bound(len, Some(FRAME));
            assert!(prepared.encodings() == 2 && prepared.encoded_len() <= 2 * bound);
            assert!(deflate.server.pending_output().len() <= bound, "{len}");
        }
    }

    /// With context takeover (the default) a message keeps one copy per
    /// group of listeners in the same state; the room charges each copy,
    /// whatever the group, and a listener whose copy would not fit gets
    /// the message encoded for it alone.
    #[tokio::test]
    async fn copies_for_each_state_with_context_takeover_are_charged() {
        let default = || pair_with(Some(DeflateConfig::default()), DeflateConfig::default());
        let mut listeners: Vec<Pair> = (0..4).map(|_| default()).collect();
        assert!(listeners[0].encoding.as_ref().unwrap().stateful);
        // Listeners 2 and 3 each heard an earlier message the others did
        // not: three states (0 and 1 in step).
        for (n, listener) in listeners.iter_mut().enumerate().skip(2) {
            let earlier = PreparedMessage::text(format!("{{\"earlier\":{n}}}").repeat(40));
            listener.queue_prepared(&earlier).unwrap();
            assert_eq!(receive(listener), earlier.to_message());
        }
        // Bytes that do not compress: each copy is about the payload's size.
        let payload = noise(100 << 10);
        let bound = copy_bound(payload.len(), Some(FRAME));
        // Room for two copies, not three.
        let budget = Arc::new(Budget::new(2 * bound + 100));
        let prepared = PreparedMessage::binary(payload.clone());
        let said = Said::new(0, prepared.clone(), budget.clone());
        let mut own = 0;
        for listener in &mut listeners {
            if said.deliver(listener).await.unwrap() == Delivery::Own {
                own += 1;
            }
            assert_eq!(budget.held(), prepared.encoded_len());
            assert_eq!(receive(listener), Message::binary(payload.clone()));
        }
        // The two in step shared one copy, listener 2 made a second, and
        // listener 3's would not fit.
        assert_eq!(prepared.encodings(), 2);
        assert_eq!(own, 1);
        drop(said);
        assert_eq!(budget.held(), 0);
    }
}
