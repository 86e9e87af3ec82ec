//! A data message prepared once and sent to many connections (a broadcast).

use crate::header::{FrameHeader, MAX_HEADER_LEN};
use crate::{Error, Message, OpCode, SendError, Utf8Bytes};
use bytes::Bytes;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use ws_extensions::{
    ExtensionStack, MessageId, MessageKind, NextState, Rsv, SharedState, SharedStateRef,
    StateSharing,
};

/// A text or binary message to send to many connections, encoded once.
///
/// A server's frames are not masked, so connections whose extensions turn
/// a message into the same bytes can all be sent the same frames. The first
/// connection that needs an encoding makes it (compression included) and
/// every later one with the same [`ExtensionStack::shared_encoding`] key and
/// frame size queues those bytes: with permessage-deflate, a message is
/// compressed once for all the connections with the same window, level and
/// threshold, and, with context takeover, the same history (the
/// [`ExtensionStack::shared_state`]: connections that received the same
/// messages, such as the members of a room that get only the room's
/// broadcasts; each then moves to the same next history). Without
/// extensions it is framed once.
///
/// A connection that cannot share (a client, which masks each frame with a
/// key of its own; a compressor that owns its zlib state; a history that
/// holds a message of the connection's own) encodes the message itself, as
/// [`Protocol::send`](crate::Protocol::send) would: sending a prepared
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
/// use ws_core::{Message, PreparedMessage, Protocol, Role, WebSocketConfig};
///
/// let prepared = PreparedMessage::new(Message::text("to everyone")).unwrap();
/// let mut connections: Vec<Protocol> = (0..3)
///     .map(|_| Protocol::new(Role::Server, WebSocketConfig::default()))
///     .collect();
/// for connection in &mut connections {
///     connection.send_prepared(&prepared).unwrap();
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
    /// ([`StateSharing::Lone`]).
    lone: AtomicUsize,
}

/// The most encodings a message keeps for connections whose state no other
/// connection shares ([`StateSharing::Lone`]: catching up with a group):
/// beyond, they encode the message themselves, so that the frames a
/// message keeps follow the groups of its receivers, not their number.
pub(crate) const LONE_ENCODINGS: usize = 8;

/// The frames of the message for one way of encoding it.
pub(crate) struct Encoding {
    key: String,
    frame_size: usize,
    frames: Bytes,
    /// With a stateful shared encoding: the state it starts from.
    from: Option<Arc<dyn SharedState>>,
    /// With a stateful shared encoding: the state the connections that send
    /// it move to (`None`: unchanged).
    next: Option<NextState>,
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
    pub fn new(message: Message) -> Result<Self, Error> {
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
    /// the shared-encoding key `key` ([`ExtensionStack::shared_encoding`])
    /// and `max_outgoing_frame_size` (their
    /// [`WebSocketConfig::max_outgoing_frame_size`](crate::WebSocketConfig::max_outgoing_frame_size)):
    /// sending it to such a connection then adds no encoding, unless its
    /// extension's shared encoding depends on a state
    /// ([`ExtensionStack::shared_state`]) that no encoding here started
    /// from: then one may be made and kept, one per group of connections
    /// in the same state, and at most eight for connections alone in
    /// theirs. A caller that
    /// bounds the memory of the messages it keeps checks this before
    /// [`Protocol::send_prepared`](crate::Protocol::send_prepared), and
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
        let first = self.inner.first.get().map_or(0, |e| e.frames.len());
        first + self.others().iter().map(|e| e.frames.len()).sum::<usize>()
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

    /// Calls `use_frames` with the server frames of this message for
    /// connections with `stack`'s shared key (`key`), outgoing frame size
    /// `frame_size` and shared state `state` (`stack.shared_state()`),
    /// made once (borrowed, so that a small frame is copied without
    /// touching the shared reference count). `None` when there is no
    /// encoding from an equal state and the state is
    /// [`StateSharing::Lone`] while the message keeps
    /// [`LONE_ENCODINGS`] already: the connection then encodes the
    /// message itself.
    pub(crate) fn with_frames<R>(
        &self,
        key: &str,
        frame_size: usize,
        state: Option<SharedStateRef<'_>>,
        stack: &ExtensionStack,
        use_frames: impl FnOnce(&Encoding) -> R,
    ) -> Result<Option<R>, Error> {
        let matches = |e: &Encoding| e.is_for(key, frame_size, state.as_ref());
        let lone = state.is_some_and(|s| s.sharing == StateSharing::Lone);
        match self.inner.first.get() {
            Some(first) if matches(first) => return Ok(Some(use_frames(first))),
            Some(_) => {}
            None => {
                if lone && !self.count_lone() {
                    return Ok(None);
                }
                let encoding =
                    self.encode_counted(key, frame_size, state.is_some(), stack, lone)?;
                // Another thread may have set it meanwhile: then keep ours
                // aside if it is for other connections.
                return Ok(Some(match self.inner.first.set(encoding) {
                    Ok(()) => use_frames(self.inner.first.get().expect("just set")),
                    Err(encoding) => {
                        let first = self.inner.first.get().expect("set");
                        if matches(first) {
                            self.uncount_lone(lone);
                            use_frames(first)
                        } else {
                            self.keep_other(encoding, lone, matches, use_frames)
                        }
                    }
                }));
            }
        }
        let found = self.others().iter().find(|e| matches(e)).cloned();
        if let Some(found) = found {
            return Ok(Some(use_frames(&found)));
        }
        if lone && !self.count_lone() {
            return Ok(None);
        }
        // Encoded outside the lock: compression may take a while.
        let encoding = self.encode_counted(key, frame_size, state.is_some(), stack, lone)?;
        Ok(Some(self.keep_other(encoding, lone, matches, use_frames)))
    }

    /// Keeps `encoding` among the others unless one for the same
    /// connections was kept meanwhile (then uses that one).
    fn keep_other<R>(
        &self,
        encoding: Encoding,
        lone: bool,
        matches: impl Fn(&Encoding) -> bool,
        use_frames: impl FnOnce(&Encoding) -> R,
    ) -> R {
        let encoding = {
            let mut others = self.others();
            match others.iter().find(|e| matches(e)) {
                Some(found) => {
                    self.uncount_lone(lone);
                    found.clone()
                }
                None => {
                    let encoding = Arc::new(encoding);
                    others.push(encoding.clone());
                    encoding
                }
            }
        };
        use_frames(&encoding)
    }

    /// Counts one more encoding made from a lone state, if the message
    /// keeps fewer than [`LONE_ENCODINGS`].
    fn count_lone(&self) -> bool {
        self.inner
            .lone
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < LONE_ENCODINGS).then_some(n + 1)
            })
            .is_ok()
    }

    /// [`encode`](Self::encode), uncounting a lone encoding that failed.
    fn encode_counted(
        &self,
        key: &str,
        frame_size: usize,
        stateful: bool,
        stack: &ExtensionStack,
        lone: bool,
    ) -> Result<Encoding, Error> {
        let encoding = self.encode(key, frame_size, stateful, stack);
        if encoding.is_err() {
            self.uncount_lone(lone);
        }
        encoding
    }

    /// A counted lone encoding was not kept after all.
    fn uncount_lone(&self, lone: bool) {
        if lone {
            self.inner.lone.fetch_sub(1, Ordering::AcqRel);
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

    /// Runs the payload through `stack`'s shared encoding (from its shared
    /// state if `stateful`) and frames it (unmasked: server frames),
    /// fragmented at `frame_size`.
    fn encode(
        &self,
        key: &str,
        frame_size: usize,
        stateful: bool,
        stack: &ExtensionStack,
    ) -> Result<Encoding, Error> {
        let payload = &self.inner.payload;
        let (encoded, rsv, from, next) = if stateful {
            let (encoded, encoding) = stack
                .encode_shared_from_state(self.inner.kind, payload, self.inner.id)
                .map_err(Error::Extension)?;
            let rsv = encoding.rsv.unwrap_or(Rsv::NONE);
            (encoded, rsv, Some(encoding.from), encoding.next)
        } else {
            let (encoded, rsv) = stack
                .encode_shared(self.inner.kind, payload)
                .map_err(Error::Extension)?;
            (encoded, rsv, None, None)
        };
        let encoded = encoded.as_deref().unwrap_or(payload);
        let opcode = match self.inner.kind {
            MessageKind::Text => OpCode::Text,
            MessageKind::Binary => OpCode::Binary,
        };
        let frame_count = encoded.len().div_ceil(frame_size).max(1);
        let mut frames = Vec::with_capacity(encoded.len() + frame_count * MAX_HEADER_LEN);
        let mut chunks = encoded.chunks(frame_size);
        let first = chunks.next().unwrap_or(&[]);
        let mut sent = first.len();
        write_server_frame(&mut frames, sent == encoded.len(), rsv, opcode, first);
        for chunk in chunks {
            sent += chunk.len();
            let fin = sent == encoded.len();
            write_server_frame(&mut frames, fin, Rsv::NONE, OpCode::Continuation, chunk);
        }
        Ok(Encoding {
            key: key.to_owned(),
            frame_size,
            frames: frames.into(),
            from,
            next,
        })
    }
}

impl Encoding {
    /// Is this the encoding for connections with `key` and `frame_size`
    /// (whatever their state)?
    fn is_for_key(&self, key: &str, frame_size: usize) -> bool {
        self.frame_size == frame_size
            && self.key.len() == key.len()
            && (key.is_empty() || self.key.as_bytes() == key.as_bytes())
    }

    /// Is this the encoding for connections with `key`, `frame_size` and
    /// shared state `state`?
    fn is_for(&self, key: &str, frame_size: usize, state: Option<&SharedStateRef<'_>>) -> bool {
        self.is_for_key(key, frame_size)
            && match (&self.from, state) {
                (None, None) => true,
                (Some(from), Some(state)) => state.is(&**from),
                _ => false,
            }
    }

    /// The frames.
    pub(crate) fn frames(&self) -> &Bytes {
        &self.frames
    }

    /// The state the connections that send it move to, if it changes.
    pub(crate) fn next(&self) -> Option<&NextState> {
        self.next.as_ref()
    }
}

/// The largest frame payload a connection sends, from its
/// `max_outgoing_frame_size` (`None`: unlimited).
pub(crate) fn frame_size(max_outgoing_frame_size: Option<usize>) -> usize {
    max_outgoing_frame_size.unwrap_or(usize::MAX).max(1)
}

fn write_server_frame(out: &mut Vec<u8>, fin: bool, rsv: Rsv, opcode: OpCode, payload: &[u8]) {
    FrameHeader {
        fin,
        rsv,
        opcode,
        mask: None,
        payload_len: payload.len() as u64,
    }
    .write_to(out);
    out.extend_from_slice(payload);
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

        server(None).send_prepared(&prepared).unwrap();
        assert!(prepared.has_encoding("", None));
        assert!(!prepared.has_encoding("", Some(100)));
        assert!(!prepared.has_encoding("other", None));
        // One frame: a 4-byte header (16-bit length) and the payload.
        assert_eq!(prepared.encoded_len(), 304);

        // A frame size of 100: three frames of 2-byte headers.
        server(Some(100)).send_prepared(&prepared).unwrap();
        assert!(prepared.has_encoding("", Some(100)));
        assert_eq!(prepared.encoded_len(), 304 + 306);
        // The same key again adds nothing.
        server(Some(100)).send_prepared(&prepared).unwrap();
        assert_eq!((prepared.encodings(), prepared.encoded_len()), (2, 610));
    }
}
