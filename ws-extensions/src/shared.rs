//! Shared encodings that depend on a connection's state: broadcasts to
//! connections whose extension keeps state from one message to the next
//! (permessage-deflate with context takeover), shared among the
//! connections that are in the same state.
//!
//! A stateless extension shares one encoding of a broadcast among every
//! connection with the same [`shared_encoding`](crate::Extension::shared_encoding)
//! key. A stateful one shares it among the connections with the same key
//! *and* an equal [`SharedState`]: the encoding starts from that state, and
//! every connection that sends it moves to the same next state
//! ([`Extension::adopt_shared_state`](crate::Extension::adopt_shared_state)),
//! so connections that receive the same messages stay in step and keep
//! sharing. What a prepared message (`sockwell_core::PreparedMessage`) keeps per
//! encoding is the state it starts from and the next state (both small,
//! chosen by the extension), besides the frames.

use crate::Rsv;
use std::any::Any;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The identity of a broadcast message's payload, unique in the process: two
/// messages with the same id have the same bytes. A stateful extension
/// records it in its state, so that connections that received the same
/// messages can tell that their states are equal without comparing bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessageId(NonZeroU64);

impl MessageId {
    /// A new id, never given before in this process.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        MessageId(NonZeroU64::new(id).expect("2^64 ids are not used up"))
    }

    /// The id as a number (never 0).
    pub fn get(self) -> u64 {
        self.0.get()
    }
}

/// What, besides the message and the [`shared_encoding`](crate::Extension::shared_encoding)
/// key, a stateful extension's encoding of the next outgoing message
/// depends on, in a form that can be compared between connections.
pub trait SharedState: Any + Send + Sync + fmt::Debug {
    /// True only if a connection in this state and one in `other` (with
    /// the same key) encode every message into the same bytes and move to
    /// equal states. It must never say `true` wrongly: connections in
    /// states said to be the same are sent the same bytes. (The same object
    /// is always the same: callers check that first.)
    fn same_as(&self, other: &dyn SharedState) -> bool;

    /// `self`, to downcast `other` in [`same_as`](Self::same_as).
    fn as_any(&self) -> &dyn Any;
}

/// Whether an encoding made from a connection's state is worth keeping
/// for other connections ([`SharedStateRef::sharing`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateSharing {
    /// Other connections are in this very state: an encoding made from it
    /// is kept for them.
    Shared,
    /// No other connection holds this state object, but one may be in an
    /// equal state (for example a connection catching up with a group): an
    /// encoding from an equal state is used if there is one; a new one is
    /// kept only while the message keeps few such encodings.
    Lone,
    /// No other connection can be in an equal state: the connection
    /// encodes the message for itself
    /// ([`Extension::encode_prepared`](crate::Extension::encode_prepared))
    /// and nothing is kept.
    Private,
}

/// A connection's current [`SharedState`], borrowed, and how it stands
/// among other connections.
#[derive(Clone, Copy, Debug)]
pub struct SharedStateRef<'a> {
    /// The state the next message's encoding starts from.
    pub state: &'a dyn SharedState,
    /// Whether an encoding made from it is worth keeping.
    pub sharing: StateSharing,
}

impl SharedStateRef<'_> {
    /// True if `other` is this state: the same object, or an equal one
    /// ([`SharedState::same_as`]).
    pub fn is(&self, other: &dyn SharedState) -> bool {
        std::ptr::addr_eq(self.state, other) || self.state.same_as(other)
    }
}

/// The next state of the connections that send a stateful shared
/// encoding, opaque to everyone but the extension that made it
/// ([`Extension::adopt_shared_state`](crate::Extension::adopt_shared_state)).
pub type NextState = Arc<dyn Any + Send + Sync>;

/// A stateful extension's shared encoding of one message
/// ([`Extension::encode_shared_from_state`](crate::Extension::encode_shared_from_state)).
#[derive(Debug)]
pub struct StatefulEncoding {
    /// As [`encode_shared`](crate::Extension::encode_shared) returns: the
    /// RSV bits of a transformed payload (written to `out`), or `None` for
    /// the payload as it is.
    pub rsv: Option<Rsv>,
    /// The state the encoding started from: connections in this state (or
    /// an equal one) can send it.
    pub from: Arc<dyn SharedState>,
    /// The state every connection that sends it moves to; `None` when the
    /// state stays as it was.
    pub next: Option<NextState>,
}
