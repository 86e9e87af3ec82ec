//! How a prepared message is encoded for a connection: once per way of
//! encoding it (extension key, frame size, and the shared state of a
//! stateful extension), kept and shared by every connection that encodes
//! it alike, and framed as a server sends it (unmasked).

use super::PreparedMessage;
use crate::header::{FrameHeader, MAX_HEADER_LEN};
use crate::{OpCode, WsError};
use bytes::Bytes;
use sockwell_extensions::{
    ExtensionStack, MessageKind, NextState, Rsv, SharedState, SharedStateRef, StateSharing,
};
use std::sync::atomic::Ordering;
use std::sync::Arc;

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

impl PreparedMessage {
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
    ) -> Result<Option<R>, WsError> {
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
    pub(super) fn keep_other<R>(
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
    pub(super) fn count_lone(&self) -> bool {
        self.inner
            .lone
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < LONE_ENCODINGS).then_some(n + 1)
            })
            .is_ok()
    }

    /// [`encode`](Self::encode), uncounting a lone encoding that failed.
    pub(super) fn encode_counted(
        &self,
        key: &str,
        frame_size: usize,
        stateful: bool,
        stack: &ExtensionStack,
        lone: bool,
    ) -> Result<Encoding, WsError> {
        let encoding = self.encode(key, frame_size, stateful, stack);
        if encoding.is_err() {
            self.uncount_lone(lone);
        }
        encoding
    }

    /// A counted lone encoding was not kept after all.
    pub(super) fn uncount_lone(&self, lone: bool) {
        if lone {
            self.inner.lone.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Runs the payload through `stack`'s shared encoding (from its shared
    /// state if `stateful`) and frames it (unmasked: server frames),
    /// fragmented at `frame_size`.
    pub(super) fn encode(
        &self,
        key: &str,
        frame_size: usize,
        stateful: bool,
        stack: &ExtensionStack,
    ) -> Result<Encoding, WsError> {
        let payload = &self.inner.payload;
        let (encoded, rsv, from, next) = if stateful {
            let (encoded, encoding) = stack
                .encode_shared_from_state(self.inner.kind, payload, self.inner.id)
                .map_err(WsError::Extension)?;
            let rsv = encoding.rsv.unwrap_or(Rsv::NONE);
            (encoded, rsv, Some(encoding.from), encoding.next)
        } else {
            let (encoded, rsv) = stack
                .encode_shared(self.inner.kind, payload)
                .map_err(WsError::Extension)?;
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
    pub(super) fn is_for_key(&self, key: &str, frame_size: usize) -> bool {
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
