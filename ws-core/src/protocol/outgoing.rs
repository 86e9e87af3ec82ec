//! The send path: extensions, fragmentation, frame encoding into the write buffer.

use super::Protocol;
use crate::header::{FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN};
use crate::mask::{apply_mask, extend_masked};
use crate::write_buffer::WriteBuffer;
use crate::{OpCode, PreparedMessage, Role, SendError, WsError};
use bytes::Bytes;
use sockwell_extensions::{MessageId, MessageKind, Rsv, StateSharing};

/// Payloads from this size on, given by value, are queued without a copy
/// (below it, copying costs less than one more piece in a vectored write).
const OWNED_MIN: usize = 16 << 10;

/// A message payload, borrowed or given by value.
pub(super) enum Payload<'a> {
    Borrowed(&'a [u8]),
    Owned(Bytes),
}

impl Payload<'_> {
    fn as_slice(&self) -> &[u8] {
        match self {
            Payload::Borrowed(b) => b,
            Payload::Owned(v) => v,
        }
    }
}

impl Protocol {
    /// Queues a text or binary message.
    ///
    /// Fails with [`WsError::WriteBufferFull`] when the frames would take the
    /// queued output past [`WebSocketConfig::max_write_buffer_size`](crate::WebSocketConfig::max_write_buffer_size)
    /// (checked with the size before compression, so that a refused message
    /// leaves the compressor's window untouched).
    pub fn write_data(&mut self, kind: MessageKind, payload: &[u8]) -> Result<(), WsError> {
        self.queue_data(kind, Payload::Borrowed(payload))
    }

    /// Queues the frames of a text or binary message given by value.
    pub(super) fn queue_data(
        &mut self,
        kind: MessageKind,
        payload: Payload<'_>,
    ) -> Result<(), WsError> {
        self.queue_data_as(kind, payload, None)
    }

    /// [`queue_data`](Self::queue_data), for a broadcast message (`message`
    /// its id) that this connection encodes alone.
    fn queue_data_as(
        &mut self,
        kind: MessageKind,
        payload: Payload<'_>,
        message: Option<MessageId>,
    ) -> Result<(), WsError> {
        self.check_data_room(payload.as_slice().len())?;
        let frame_size = self.outgoing_frame_size();
        self.serialize_pending_pong();
        let encoded = match message {
            Some(id) => self
                .extensions
                .encode_prepared(kind, payload.as_slice(), id),
            None => self.extensions.encode(kind, payload.as_slice()),
        };
        let (encoded, rsv) = encoded.map_err(WsError::Extension)?;
        let opcode = match kind {
            MessageKind::Text => OpCode::Text,
            MessageKind::Binary => OpCode::Binary,
        };
        let limit = self.config.max_write_buffer_size;
        // A large payload that the extensions left as it was and that goes
        // out as one frame: queued as it is, not copied.
        let as_is = encoded.len() >= OWNED_MIN
            && encoded.len() <= frame_size
            && std::ptr::eq(encoded, payload.as_slice());
        if as_is {
            if let Payload::Owned(bytes) = payload {
                let mask = self.role.mask_key();
                let header = FrameHeader {
                    fin: true,
                    rsv,
                    opcode,
                    mask,
                    payload_len: bytes.len() as u64,
                };
                header.write_to(self.tx.reserve(header.encoded_len(), limit));
                let bytes = match mask {
                    // A server sends the payload as it is: shared, not copied.
                    None => bytes,
                    // A client masks it: in place if nobody else holds it.
                    Some(key) => match bytes.try_into_mut() {
                        Ok(mut unique) => {
                            apply_mask(&mut unique, key, 0);
                            unique.freeze()
                        }
                        Err(shared) => {
                            let mut masked = Vec::with_capacity(shared.len());
                            extend_masked(&mut masked, &shared, key);
                            masked.into()
                        }
                    },
                };
                self.tx.push_owned(bytes);
                self.app_unflushed = true;
                self.data_messages += 1;
                return Ok(());
            }
        }
        let mut chunks = encoded.chunks(frame_size);
        let first = chunks.next().unwrap_or(&[]);
        let mut fin = first.len() == encoded.len();
        write_frame(&mut self.tx, limit, self.role, fin, rsv, opcode, first);
        let mut sent = first.len();
        for chunk in chunks {
            sent += chunk.len();
            fin = sent == encoded.len();
            let (role, tx) = (self.role, &mut self.tx);
            write_frame(tx, limit, role, fin, Rsv::NONE, OpCode::Continuation, chunk);
        }
        self.app_unflushed = true;
        self.data_messages += 1;
        Ok(())
    }

    /// Queues a message prepared for many connections (a broadcast): the
    /// frames shared by every server connection with the same extension
    /// key, frame size and (for an extension that keeps state between
    /// messages, such as permessage-deflate with context takeover) state,
    /// encoded (compressed) by the first of them; a connection that cannot
    /// share (a client, an extension without a key, or a state that no
    /// other connection can be in) encodes the message itself, as
    /// [`write`](Self::write) would. The same checks and errors as `write`
    /// (the room check uses the size before compression).
    pub fn write_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), WsError> {
        // A client masks every frame with a key of its own.
        let shares = self.role == Role::Server && self.extensions.shared_encoding().is_some();
        let payload = || Payload::Owned(prepared.payload().clone());
        if !shares {
            return self.queue_data(prepared.kind(), payload());
        }
        let sharing = self.extensions.shared_state().map(|s| s.sharing);
        if sharing == Some(StateSharing::Private) {
            return self.queue_data_as(prepared.kind(), payload(), Some(prepared.id()));
        }
        self.check_data_room(prepared.payload().len())?;
        self.serialize_pending_pong();
        let state = self.extensions.shared_state();
        let key = self.extensions.shared_encoding().unwrap_or_default();
        let limit = self.config.max_write_buffer_size;
        let frame_size = self.outgoing_frame_size();
        let tx = &mut self.tx;
        let sent = prepared.with_frames(key, frame_size, state, &self.extensions, |encoding| {
            let frames = encoding.frames();
            if frames.len() >= OWNED_MIN {
                // Large: queued as the shared bytes, written in a vectored write.
                tx.push_owned(frames.clone());
            } else {
                // Small: a copy costs less than another piece to write.
                tx.reserve(frames.len(), limit).extend_from_slice(frames);
            }
            encoding.next().cloned()
        })?;
        let Some(next) = sent else {
            // A lone state the message keeps no encoding for.
            return self.queue_data_as(prepared.kind(), payload(), Some(prepared.id()));
        };
        if let Some(next) = next {
            self.extensions
                .adopt_shared_state(&*next, prepared.payload());
        }
        self.app_unflushed = true;
        self.data_messages += 1;
        Ok(())
    }

    /// Queues a ping.
    pub fn write_ping(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.check_control(payload)?;
        self.serialize_pending_pong();
        self.write_frame(true, Rsv::NONE, OpCode::Ping, payload);
        self.app_unflushed = true;
        Ok(())
    }

    /// Queues an unsolicited pong (a heartbeat, §5.5.3). It also answers a
    /// ping that arrived before and was not answered yet.
    pub fn write_pong(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.check_control(payload)?;
        self.pending_pong = None;
        self.write_frame(true, Rsv::NONE, OpCode::Pong, payload);
        self.app_unflushed = true;
        Ok(())
    }

    fn check_control(&self, payload: &[u8]) -> Result<(), WsError> {
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(SendError::ControlPayloadTooLong(payload.len()).into());
        }
        self.check_can_send(payload.len() + MAX_HEADER_LEN)
    }

    /// The largest frame payload to send (`max_outgoing_frame_size`).
    fn outgoing_frame_size(&self) -> usize {
        crate::prepared::frame_size(self.config.max_outgoing_frame_size)
    }

    /// May the application queue a data message of `len` payload bytes
    /// (its frames' headers included)?
    pub(super) fn check_data_room(&self, len: usize) -> Result<(), WsError> {
        let frames = 1 + len / self.outgoing_frame_size();
        self.check_can_send(len.saturating_add(frames * MAX_HEADER_LEN))
    }

    /// May the application queue `bytes` more?
    pub(super) fn check_can_send(&self, bytes: usize) -> Result<(), WsError> {
        if self.close_sent || self.failed {
            return Err(WsError::AlreadyClosed);
        }
        if self.buffered_output().saturating_add(bytes) > self.config.max_write_buffer_size {
            return Err(WsError::WriteBufferFull {
                max: self.config.max_write_buffer_size,
            });
        }
        Ok(())
    }

    pub(super) fn serialize_pending_pong(&mut self) {
        if let Some(payload) = self.pending_pong.take() {
            self.write_frame(true, Rsv::NONE, OpCode::Pong, &payload);
        }
    }

    pub(super) fn write_frame(&mut self, fin: bool, rsv: Rsv, opcode: OpCode, payload: &[u8]) {
        let limit = self.config.max_write_buffer_size;
        write_frame(&mut self.tx, limit, self.role, fin, rsv, opcode, payload);
    }
}

impl Role {
    /// A fresh random masking key for a client's frame (§5.3), none for a
    /// server's.
    fn mask_key(self) -> Option<[u8; 4]> {
        match self {
            Role::Client => Some(rand::random::<[u8; 4]>()),
            Role::Server => None,
        }
    }
}

/// Encodes one frame into `tx` (`limit`: the write buffer's configured
/// bound, see [`WriteBuffer::reserve`]); clients mask with a fresh random
/// key (§5.3).
fn write_frame(
    tx: &mut WriteBuffer,
    limit: usize,
    role: Role,
    fin: bool,
    rsv: Rsv,
    opcode: OpCode,
    payload: &[u8],
) {
    let mask = role.mask_key();
    let header = FrameHeader {
        fin,
        rsv,
        opcode,
        mask,
        payload_len: payload.len() as u64,
    };
    // Room for exactly this frame: a small message's buffer stays within
    // the allocator's fast size classes (1 KiB of payload and its 4-byte
    // header fit in glibc's largest tcache bin; 14 bytes more would not).
    let tx = tx.reserve(header.encoded_len() + payload.len(), limit);
    header.write_to(tx);
    match mask {
        Some(key) => extend_masked(tx, payload, key),
        None => tx.extend_from_slice(payload),
    }
}
