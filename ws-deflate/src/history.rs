//! Context takeover kept as bytes instead of a zlib state
//! ([`TakeoverContext::History`](crate::TakeoverContext::History)).
//!
//! With context takeover (RFC 7692 §7.2.3.1), all a message may refer back
//! to is the last 2^w bytes of the uncompressed payloads that went through
//! the same direction's compressor before it: the peer's inflater window. A
//! connection that keeps exactly those bytes can borrow any pooled zlib
//! context for one message and prime it with them (`deflateReset` +
//! `deflateSetDictionary`, `inflateReset` + `inflateSetDictionary`): the
//! DEFLATE bytes on the wire are those a kept state would have produced or
//! accepted. Only messages sent compressed (RSV1) enter the window; one
//! sent as it is does not (§6), and is not added here.
//!
//! # Histories shared by connections in step
//!
//! A compressor primed with a history compresses the next message the same
//! way for every connection with that history, so connections that received
//! the same messages (the members of a room that get only the room's
//! broadcasts) can share one compression of each broadcast
//! (`sockwell_core::PreparedMessage`), and one copy of the history:
//!
//! - A sent history is a [`HistoryNode`] behind an `Arc`, which the
//!   connections in step point to. Its [`HistoryKey`] says exactly which
//!   messages its bytes are: the ids of the broadcasts
//!   ([`MessageId`]) whose bytes are in the window, oldest first, from the
//!   oldest one of which at least one byte is in the window (or from the
//!   connection's first message while fewer than 2^w bytes were sent). A
//!   message of the connection's own (not a broadcast) is recorded as
//!   private. Two keys with the same broadcast ids and no private message
//!   are histories of the same bytes: the window is the last 2^w bytes of
//!   the same messages. No hashing decides it (a hash only rejects unequal
//!   keys early).
//! - A broadcast compressed for a history (by
//!   [`encode_shared_from_state`](sockwell_extensions::Extension::encode_shared_from_state))
//!   leaves a [`Successor`]: the key of the next history and, once the
//!   first connection that sends it has made it, a weak reference to the
//!   next node, which every later connection in step adopts (an `Arc`
//!   clone). So a group keeps one history however many connections it has,
//!   and a prepared message keeps no history bytes once its receivers have
//!   moved on; a connection that sends it later (one that fell behind)
//!   makes the bytes again from its own history, under the same key.
//! - A connection that sends a message of its own gets a history of its
//!   own (copied on write), with a private message in its key: it
//!   compresses broadcasts for itself ([`StateSharing::Private`]). Once its
//!   window holds only broadcasts again (2^w bytes of them since its own
//!   message), its key equals the group's if it got the same broadcasts,
//!   and it shares the group's compression and next history again. A
//!   connection that joins late has an empty history (one shared by every
//!   new connection), and meets the group's key the same way once 2^w
//!   bytes of broadcasts filled its window.

use sockwell_extensions::{MessageId, SharedState, StateSharing};
use std::sync::{Arc, LazyLock, OnceLock, Weak};

/// One message's bytes in a history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Segment {
    /// The broadcast's [`MessageId`], or 0 for a message of the
    /// connection's own.
    id: u64,
    len: usize,
}

/// Which messages' bytes a history holds (see the module's docs): equal
/// keys without private messages are histories of equal bytes.
#[derive(Clone, Debug)]
pub(crate) struct HistoryKey {
    /// The messages with at least one byte in the window, oldest first.
    segments: Vec<Segment>,
    /// Their bytes in all (at least the window when it is full).
    total: usize,
    /// How many of them are the connection's own.
    private: usize,
    /// Of the segments, to tell unequal keys apart quickly.
    hash: u64,
}

impl HistoryKey {
    const EMPTY: HistoryKey = HistoryKey {
        segments: Vec::new(),
        total: 0,
        private: 0,
        hash: 0,
    };

    /// Adds a message (`None`: the connection's own) of `len` bytes to a
    /// window of `capacity` bytes, dropping the messages that no longer
    /// have a byte in it.
    fn push(&mut self, message: Option<MessageId>, len: usize, capacity: usize) {
        let id = message.map_or(0, MessageId::get);
        self.total += len;
        match self.segments.last_mut() {
            // The connection's own messages in a row count as one: a key
            // with one of them never equals another.
            Some(last) if id == 0 && last.id == 0 => last.len += len,
            _ => {
                self.segments.push(Segment { id, len });
                self.private += usize::from(id == 0);
            }
        }
        let mut gone = 0;
        for segment in &self.segments {
            if self.total - segment.len < capacity {
                break;
            }
            self.total -= segment.len;
            self.private -= usize::from(segment.id == 0);
            gone += 1;
        }
        self.segments.drain(..gone);
        if self.private > 0 {
            // Never compared.
            self.hash = 0;
            return;
        }
        self.hash = self.segments.iter().fold(0, |hash, s| {
            (hash.rotate_left(5) ^ s.id ^ (s.len as u64).rotate_left(32))
                .wrapping_mul(0x517c_c1b7_2722_0a95)
        });
    }

    fn pushed(&self, message: Option<MessageId>, len: usize, capacity: usize) -> Self {
        let mut key = self.clone();
        key.push(message, len, capacity);
        key
    }
}

impl SharedState for HistoryKey {
    fn same_as(&self, other: &dyn SharedState) -> bool {
        let Some(other) = other.as_any().downcast_ref::<HistoryKey>() else {
            return false;
        };
        self.private == 0
            && other.private == 0
            && self.hash == other.hash
            && self.total == other.total
            && self.segments == other.segments
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A sent history: its bytes and which messages they are.
#[derive(Debug)]
pub(crate) struct HistoryNode {
    key: Arc<HistoryKey>,
    bytes: Vec<u8>,
}

/// The empty history every new connection starts from.
static EMPTY: LazyLock<Arc<HistoryNode>> = LazyLock::new(|| {
    Arc::new(HistoryNode {
        key: Arc::new(HistoryKey::EMPTY),
        bytes: Vec::new(),
    })
});

/// What a connection that sends a shared compression adopts: the next
/// history's key, and its node once the first of them made it.
#[derive(Debug)]
pub(crate) struct Successor {
    key: Arc<HistoryKey>,
    node: OnceLock<Weak<HistoryNode>>,
}

/// The last `capacity` bytes of a direction's compressed messages' payloads,
/// oldest first, in one allocation of exactly that size made on first use.
pub(crate) struct History {
    bytes: Vec<u8>,
    capacity: usize,
}

impl History {
    /// An empty history for a window of `1 << bits` bytes; nothing is
    /// allocated until the first message.
    pub(crate) fn new(bits: u8) -> Self {
        History {
            bytes: Vec::new(),
            capacity: 1 << bits,
        }
    }

    /// The bytes a message refers back to, oldest first.
    pub(crate) fn as_slice(&self) -> &[u8] {
        window(&self.bytes, self.capacity)
    }

    /// Appends a message's payload, dropping from the front what no longer
    /// fits in the window (amortized: the allocation may hold up to twice
    /// the window while messages flow).
    pub(crate) fn push(&mut self, payload: &[u8]) {
        push_bytes(&mut self.bytes, payload, self.capacity);
    }

    /// Gives back what the allocation holds beyond the window (a quiet
    /// connection).
    pub(crate) fn compact(&mut self) {
        compact(&mut self.bytes, self.capacity);
    }

    /// Heap held.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.bytes.capacity()
    }
}

/// A [`History`] of what a connection sent, in a node that the connections
/// in step share (see the module's docs).
pub(crate) struct SentHistory {
    node: Arc<HistoryNode>,
    capacity: usize,
}

impl SentHistory {
    /// An empty history for a window of `1 << bits` bytes, the one every
    /// new connection shares.
    pub(crate) fn new(bits: u8) -> Self {
        SentHistory {
            node: EMPTY.clone(),
            capacity: 1 << bits,
        }
    }

    /// The bytes a message refers back to, oldest first.
    pub(crate) fn as_slice(&self) -> &[u8] {
        window(&self.node.bytes, self.capacity)
    }

    /// Gives back what the allocation holds beyond the window (a quiet
    /// connection), when no other connection shares it.
    pub(crate) fn compact(&mut self) {
        if let Some(node) = Arc::get_mut(&mut self.node) {
            compact(&mut node.bytes, self.capacity);
        }
    }

    /// Which messages they are.
    pub(crate) fn key(&self) -> &Arc<HistoryKey> {
        &self.node.key
    }

    /// Whether other connections are in step with this one.
    pub(crate) fn sharing(&self) -> StateSharing {
        if self.node.key.private > 0 {
            StateSharing::Private
        } else if Arc::strong_count(&self.node) > 1 {
            StateSharing::Shared
        } else {
            StateSharing::Lone
        }
    }

    /// Appends a message's payload (`message`: the broadcast it is, `None`
    /// for the connection's own), dropping from the front what no longer
    /// fits in the window. In place when no one else holds the history;
    /// otherwise this connection's history becomes a copy of its own.
    pub(crate) fn push(&mut self, payload: &[u8], message: Option<MessageId>) {
        let capacity = self.capacity;
        if let Some(node) = Arc::get_mut(&mut self.node) {
            match Arc::get_mut(&mut node.key) {
                Some(key) => key.push(message, payload.len(), capacity),
                None => node.key = Arc::new(node.key.pushed(message, payload.len(), capacity)),
            }
            push_bytes(&mut node.bytes, payload, capacity);
            return;
        }
        let key = Arc::new(self.key().pushed(message, payload.len(), capacity));
        self.node = Arc::new(self.next_node(payload, key));
    }

    /// The successor of this history after a broadcast compressed from it,
    /// for every connection in step.
    pub(crate) fn successor(&self, payload: &[u8], message: MessageId) -> Successor {
        Successor {
            key: Arc::new(
                self.key()
                    .pushed(Some(message), payload.len(), self.capacity),
            ),
            node: OnceLock::new(),
        }
    }

    /// Moves to `next`, a successor of a history equal to this one after
    /// `payload`: the node the first connection made, or (if no
    /// connection holds it any more) the same bytes made again, under the
    /// same key.
    pub(crate) fn adopt(&mut self, next: &Successor, payload: &[u8]) {
        let mut made = None;
        let weak = next.node.get_or_init(|| {
            let node = Arc::new(self.next_node(payload, next.key.clone()));
            let weak = Arc::downgrade(&node);
            made = Some(node);
            weak
        });
        self.node = match made.or_else(|| weak.upgrade()) {
            Some(node) => node,
            None => Arc::new(self.next_node(payload, next.key.clone())),
        };
    }

    /// A new node: these bytes and then `payload`, under `key`.
    fn next_node(&self, payload: &[u8], key: Arc<HistoryKey>) -> HistoryNode {
        let mut bytes = Vec::with_capacity(self.capacity);
        let keep = self.capacity.saturating_sub(payload.len());
        let old = self.as_slice();
        bytes.extend_from_slice(&old[old.len().saturating_sub(keep)..]);
        push_bytes(&mut bytes, payload, self.capacity);
        HistoryNode { key, bytes }
    }
}

/// Appends `payload` to a window of `capacity` bytes, dropping from the
/// front what no longer fits, in one allocation of exactly that size.
fn push_bytes(bytes: &mut Vec<u8>, payload: &[u8], capacity: usize) {
    if payload.len() >= capacity {
        bytes.clear();
        bytes.reserve_exact(capacity);
        let start = payload.len() - capacity;
        bytes.extend_from_slice(payload.get(start..).unwrap_or_default());
        return;
    }
    let len = bytes.len() + payload.len();
    if len > 2 * capacity {
        // Full twice over: keep what stays in the window, one memmove per
        // window's worth of messages rather than one per message.
        let keep = capacity - payload.len();
        let start = bytes.len() - keep;
        bytes.copy_within(start.., 0);
        bytes.truncate(keep);
    } else if bytes.capacity() < len {
        // The window exactly at first; twice it once messages go past it
        // (a busy connection; `compact` gives the half back when quiet).
        let want = if len <= capacity {
            capacity
        } else {
            2 * capacity
        };
        bytes.reserve_exact(want - bytes.len());
    }
    bytes.extend_from_slice(payload);
}

/// The window: the last `capacity` bytes of `bytes`.
fn window(bytes: &[u8], capacity: usize) -> &[u8] {
    bytes
        .get(bytes.len().saturating_sub(capacity)..)
        .unwrap_or_default()
}

/// Keeps only the window, in an allocation of exactly its size.
fn compact(bytes: &mut Vec<u8>, capacity: usize) {
    if bytes.len() > capacity {
        let start = bytes.len() - capacity;
        bytes.copy_within(start.., 0);
        bytes.truncate(capacity);
    }
    if bytes.capacity() > capacity {
        bytes.shrink_to(capacity);
    }
}

#[cfg(test)]
mod tests {
    use super::{History, SentHistory};
    use sockwell_extensions::{MessageId, SharedState, StateSharing};

    /// The window is always the last 2^w bytes; the allocation holds at
    /// most twice that while messages flow (one memmove per window's
    /// worth of messages) and exactly the window once compacted.
    #[test]
    fn keeps_the_last_window_of_bytes_in_at_most_twice_its_size() {
        let mut history = History::new(9);
        let mut sent_history = SentHistory::new(9);
        let all: Vec<u8> = (0..4000u32).map(|i| (i % 251) as u8).collect();
        let mut sent = 0;
        let mut grown = false;
        for len in [
            1, 100, 300, 0, 511, 512, 513, 40, 7, 200, 300, 300, 60, 90, 100, 80,
        ] {
            history.push(&all[sent..sent + len]);
            sent_history.push(&all[sent..sent + len], None);
            sent += len;
            let start = sent.saturating_sub(512);
            assert_eq!(history.as_slice(), &all[start..sent], "after {sent} bytes");
            assert_eq!(sent_history.as_slice(), history.as_slice());
            assert!(history.held() <= 1024, "{}", history.held());
            assert!(sent_history.node.bytes.capacity() <= 1024);
            grown |= history.held() > 512;
            if sent % 3 == 0 {
                history.compact();
                sent_history.compact();
                assert_eq!(history.held(), 512);
                assert_eq!(history.as_slice(), &all[start..sent], "compacted");
                assert_eq!(sent_history.as_slice(), history.as_slice());
                assert!(sent_history.node.bytes.capacity() <= 512);
            }
        }
        assert!(grown, "a busy history takes up to twice its window");
    }

    /// Histories that got the same broadcasts have equal keys once their
    /// own messages slid out of the window, and adopt the same bytes.
    #[test]
    fn keys_meet_once_the_window_holds_the_same_broadcasts() {
        let mut a = SentHistory::new(9);
        let mut b = SentHistory::new(9);
        assert_eq!(a.sharing(), StateSharing::Shared, "the empty history");
        let broadcasts: Vec<(MessageId, Vec<u8>)> =
            (0..8u8).map(|n| (MessageId::new(), vec![n; 200])).collect();
        b.push(b"a message of b's own", None);
        assert_eq!(b.sharing(), StateSharing::Private);
        for (n, (id, payload)) in broadcasts.iter().enumerate() {
            // b: own bytes in the window until three broadcasts (600 >= 512
            // after the oldest of them) pushed them out.
            assert_eq!(a.key().same_as(&**b.key()), n >= 3, "before broadcast {n}");
            let next = a.successor(payload, *id);
            a.adopt(&next, payload);
            if n >= 3 {
                b.adopt(&next, payload);
            } else {
                let own = b.successor(payload, *id);
                b.adopt(&own, payload);
            }
            assert_eq!(a.as_slice() == b.as_slice(), n >= 2, "after broadcast {n}");
        }
        assert!(a.key().same_as(&**b.key()));
        assert!(std::sync::Arc::ptr_eq(&a.node, &b.node));
        assert_eq!(a.sharing(), StateSharing::Shared);
        // A broadcast of one's own diverges again.
        let id = MessageId::new();
        a.push(b"x", Some(id));
        assert!(!a.key().same_as(&**b.key()));
        assert_eq!(a.as_slice().len(), 512);
    }
}
