//! A data message prepared once and sent to many connections (a broadcast).

use crate::header::{FrameHeader, MAX_HEADER_LEN};
use crate::{Error, Message, OpCode, SendError, Utf8Bytes};
use bytes::Bytes;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use ws_extensions::{ExtensionStack, MessageKind, Rsv};

/// A text or binary message to send to many connections, encoded once.
///
/// A server's frames are not masked, so connections whose extensions turn
/// a message into the same bytes can all be sent the same frames. The first
/// connection that needs an encoding makes it (compression included) and
/// every later one with the same [`ExtensionStack::shared_encoding`] key and
/// frame size queues those bytes: with permessage-deflate, a message is
/// compressed once for all the connections without server context takeover
/// (the server's default) and the same window, level and threshold; without
/// extensions it is framed once.
///
/// A connection that cannot share (a client, which masks each frame with a
/// key of its own; a compressor that keeps its context, whose window must
/// see every message) encodes the message itself, as
/// [`Protocol::send`](crate::Protocol::send) would: sending a prepared
/// message is always correct, and cheap where sharing is possible.
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
    /// Encodings for other keys or frame sizes.
    others: Mutex<Vec<Arc<Encoding>>>,
}

/// The frames of the message for one way of encoding it.
struct Encoding {
    key: String,
    frame_size: usize,
    frames: Bytes,
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

    /// How many distinct encodings were made so far (one per extension
    /// key and frame size met among the connections it was sent to).
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
    /// sending it to such a connection then adds no encoding. A caller that
    /// bounds the memory of the messages it keeps checks this before
    /// [`Protocol::send_prepared`](crate::Protocol::send_prepared), and
    /// sends an ordinary message instead when a new copy would not fit.
    pub fn has_encoding(&self, key: &str, max_outgoing_frame_size: Option<usize>) -> bool {
        let frame_size = frame_size(max_outgoing_frame_size);
        let first = self.inner.first.get();
        first.is_some_and(|e| e.is_for(key, frame_size))
            || self.others().iter().any(|e| e.is_for(key, frame_size))
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
    /// connections with `stack`'s shared key (`key`) and outgoing frame
    /// size `frame_size`, made once (borrowed, so that a small frame is
    /// copied without touching the shared reference count).
    pub(crate) fn with_frames<R>(
        &self,
        key: &str,
        frame_size: usize,
        stack: &ExtensionStack,
        use_frames: impl FnOnce(&Bytes) -> R,
    ) -> Result<R, Error> {
        let matches = |e: &Encoding| e.is_for(key, frame_size);
        match self.inner.first.get() {
            Some(first) if matches(first) => return Ok(use_frames(&first.frames)),
            Some(_) => {}
            None => {
                let encoding = self.encode(key, frame_size, stack)?;
                // Another thread may have set it meanwhile: then keep ours
                // aside if it is for other connections.
                return Ok(match self.inner.first.set(encoding) {
                    Ok(()) => use_frames(&self.inner.first.get().expect("just set").frames),
                    Err(encoding) => {
                        let frames = encoding.frames.clone();
                        if !matches(self.inner.first.get().expect("set")) {
                            self.others().push(Arc::new(encoding));
                        }
                        use_frames(&frames)
                    }
                });
            }
        }
        let found = self.others().iter().find(|e| matches(e)).cloned();
        if let Some(found) = found {
            return Ok(use_frames(&found.frames));
        }
        // Encoded outside the lock: compression may take a while.
        let encoding = Arc::new(self.encode(key, frame_size, stack)?);
        let encoding = {
            let mut others = self.others();
            match others.iter().find(|e| matches(e)) {
                Some(found) => found.clone(),
                None => {
                    others.push(encoding.clone());
                    encoding
                }
            }
        };
        Ok(use_frames(&encoding.frames))
    }

    fn others(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Encoding>>> {
        self.inner.others.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs the payload through `stack`'s shared encoding and frames it
    /// (unmasked: server frames), fragmented at `frame_size`.
    fn encode(
        &self,
        key: &str,
        frame_size: usize,
        stack: &ExtensionStack,
    ) -> Result<Encoding, Error> {
        let payload = &self.inner.payload;
        let (encoded, rsv) = stack
            .encode_shared(self.inner.kind, payload)
            .map_err(Error::Extension)?;
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
        })
    }
}

impl Encoding {
    /// Is this the encoding for connections with `key` and `frame_size`?
    fn is_for(&self, key: &str, frame_size: usize) -> bool {
        self.frame_size == frame_size
            && self.key.len() == key.len()
            && (key.is_empty() || self.key.as_bytes() == key.as_bytes())
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
