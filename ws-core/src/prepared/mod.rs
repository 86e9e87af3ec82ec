//! A data message prepared once and sent to many connections (a broadcast).

mod encoding;

use crate::{Message, SendError, Utf8Bytes, WsError};
use bytes::Bytes;
pub(crate) use encoding::{frame_size, Encoding};
use sockwell_extensions::{MessageId, MessageKind};
use std::fmt;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, OnceLock};

/// A text or binary message to send to many connections, encoded once.
///
/// A server's frames are not masked, so connections whose extensions turn
/// a message into the same bytes can all be sent the same frames. The first
/// connection that needs an encoding makes it (compression included) and
/// every later one with the same [`ExtensionStack::shared_encoding`](sockwell_extensions::ExtensionStack::shared_encoding) key and
/// frame size queues those bytes: with permessage-deflate, a message is
/// compressed once for all the connections with the same window, level and
/// threshold, and, with context takeover, the same history (the
/// [`ExtensionStack::shared_state`](sockwell_extensions::ExtensionStack::shared_state): connections that received the same
/// messages, such as the members of a room that get only the room's
/// broadcasts; each then moves to the same next history). Without
/// extensions it is framed once.
///
/// A connection that cannot share (a client, which masks each frame with a
/// key of its own; a compressor that owns its zlib state; a history that
/// holds a message of the connection's own) encodes the message itself, as
/// [`Protocol::write`](crate::Protocol::write) would: sending a prepared
/// message is always correct, and cheap where sharing is possible. A
/// connection whose history no other holds but may equal others' (catching
/// up with a group) shares an encoding from an equal history if the
/// message has one, and otherwise has one made and kept, for at most a
/// few such connections per message.
///
/// Cheap to clone (clones share the payload and the encodings); `Send` and
/// `Sync`, so one message can be handed to connections on many threads.
///
/// ```
/// use sockwell_core::{Message, PreparedMessage, Protocol, Role, WebSocketConfig};
///
/// let prepared = PreparedMessage::new(Message::text("to everyone")).unwrap();
/// let mut connections: Vec<Protocol> = (0..3)
///     .map(|_| Protocol::new(Role::Server, WebSocketConfig::default()))
///     .collect();
/// for connection in &mut connections {
///     connection.write_prepared(&prepared).unwrap();
/// }
/// let first = connections[0].pending_output().to_vec();
/// assert_eq!(connections[2].pending_output(), first);
/// assert_eq!(prepared.encodings(), 1);
/// ```
#[derive(Clone)]
pub struct PreparedMessage {
    inner: Arc<Inner>,
}

struct Inner {
    kind: MessageKind,
    payload: Bytes,
    /// The first encoding made (almost always the only one).
    first: OnceLock<Encoding>,
    /// Encodings for other keys, frame sizes or states.
    others: Mutex<Vec<Arc<Encoding>>>,
    /// Its identity, for stateful extensions.
    id: MessageId,
    /// How many encodings were made from lone states
    /// ([`StateSharing::Lone`](sockwell_extensions::StateSharing::Lone)).
    lone: AtomicUsize,
}

impl fmt::Debug for PreparedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedMessage")
            .field("kind", &self.inner.kind)
            .field("len", &self.inner.payload.len())
            .field("encodings", &self.encodings())
            .finish()
    }
}

impl PreparedMessage {
    /// Prepares a text or binary message. Control messages (ping, pong,
    /// close) are refused with [`SendError::NotData`]: they are per
    /// connection.
    pub fn new(message: Message) -> Result<Self, WsError> {
        let (kind, payload) = match message {
            Message::Text(text) => (MessageKind::Text, text.into_bytes()),
            Message::Binary(data) => (MessageKind::Binary, data),
            _ => return Err(SendError::NotData.into()),
        };
        Ok(PreparedMessage {
            inner: Arc::new(Inner {
                kind,
                payload,
                first: OnceLock::new(),
                others: Mutex::new(Vec::new()),
                id: MessageId::new(),
                lone: AtomicUsize::new(0),
            }),
        })
    }

    /// A prepared text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Self::new(Message::Text(text.into())).expect("a text message is data")
    }

    /// A prepared binary message.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self::new(Message::Binary(data.into())).expect("a binary message is data")
    }

    /// Text or binary.
    pub fn kind(&self) -> MessageKind {
        self.inner.kind
    }

    /// The payload as given (before any extension).
    pub fn payload(&self) -> &Bytes {
        &self.inner.payload
    }

    /// How many distinct encodings were made so far and kept (one per
    /// extension key, frame size and shared state met among the
    /// connections it was sent to; a connection that encodes the message
    /// for itself keeps none here).
    pub fn encodings(&self) -> usize {
        let first = usize::from(self.inner.first.get().is_some());
        first
            + self
                .inner
                .others
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .len()
    }

    /// True if this message already holds frames for connections with
    /// the shared-encoding key `key` ([`ExtensionStack::shared_encoding`](sockwell_extensions::ExtensionStack::shared_encoding))
    /// and `max_outgoing_frame_size` (their
    /// [`WebSocketConfig::max_outgoing_frame_size`](crate::WebSocketConfig::max_outgoing_frame_size)):
    /// sending it to such a connection then adds no encoding, unless its
    /// extension's shared encoding depends on a state
    /// ([`ExtensionStack::shared_state`](sockwell_extensions::ExtensionStack::shared_state)) that no encoding here started
    /// from: then one may be made and kept, one per group of connections
    /// in the same state, and at most eight for connections alone in
    /// theirs. A caller that
    /// bounds the memory of the messages it keeps checks this before
    /// [`Protocol::write_prepared`](crate::Protocol::write_prepared), and
    /// sends an ordinary message instead when a new copy would not fit.
    pub fn has_encoding(&self, key: &str, max_outgoing_frame_size: Option<usize>) -> bool {
        let frame_size = frame_size(max_outgoing_frame_size);
        let first = self.inner.first.get();
        first.is_some_and(|e| e.is_for_key(key, frame_size))
            || self.others().iter().any(|e| e.is_for_key(key, frame_size))
    }

    /// The bytes of frames held over all its encodings (what it keeps
    /// besides the [`payload`](Self::payload)).
    pub fn encoded_len(&self) -> usize {
        let first = self.inner.first.get().map_or(0, |e| e.frames().len());
        first
            + self
                .others()
                .iter()
                .map(|e| e.frames().len())
                .sum::<usize>()
    }

    /// The message as a [`Message`] (sharing the payload).
    pub fn to_message(&self) -> Message {
        match self.inner.kind {
            MessageKind::Text => Message::Text(
                Utf8Bytes::try_from(self.inner.payload.clone())
                    .expect("a prepared text message is UTF-8"),
            ),
            MessageKind::Binary => Message::Binary(self.inner.payload.clone()),
        }
    }

    /// The message's process-wide identity (what a stateful extension
    /// records of it).
    pub(crate) fn id(&self) -> MessageId {
        self.inner.id
    }

    fn others(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Encoding>>> {
        self.inner.others.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Protocol, Role, WebSocketConfig};

    fn server(frame: Option<usize>) -> Protocol {
        let config = WebSocketConfig {
            max_outgoing_frame_size: frame,
            ..WebSocketConfig::default()
        };
        Protocol::new(Role::Server, config)
    }

    #[test]
    fn has_encoding_and_encoded_len_follow_what_was_sent() {
        let prepared = PreparedMessage::binary(vec![7u8; 300]);
        assert!(!prepared.has_encoding("", None));
        assert_eq!(prepared.encoded_len(), 0);

        server(None).write_prepared(&prepared).unwrap();
        assert!(prepared.has_encoding("", None));
        assert!(!prepared.has_encoding("", Some(100)));
        assert!(!prepared.has_encoding("other", None));
        // One frame: a 4-byte header (16-bit length) and the payload.
        assert_eq!(prepared.encoded_len(), 304);

        // A frame size of 100: three frames of 2-byte headers.
        server(Some(100)).write_prepared(&prepared).unwrap();
        assert!(prepared.has_encoding("", Some(100)));
        assert_eq!(prepared.encoded_len(), 304 + 306);
        // The same key again adds nothing.
        server(Some(100)).write_prepared(&prepared).unwrap();
        assert_eq!((prepared.encodings(), prepared.encoded_len()), (2, 610));
    }
}
