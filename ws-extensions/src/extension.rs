//! The [`Extension`] trait: what an extension does to the messages of one connection.

use crate::{DecodeOutput, ExtensionError, MessageId, Rsv, SharedStateRef, StatefulEncoding};
use std::any::Any;
use std::fmt;

/// The kind of a data message, as its first frame's opcode says (RFC 6455 §5.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// Opcode 0x1: the assembled, decoded payload must be UTF-8.
    Text,
    /// Opcode 0x2.
    Binary,
}

/// One negotiated extension, bound to one connection.
///
/// Extensions sit between message assembly and the frame codec (RFC 6455 §9):
/// they see data message payloads and the RSV bits of each message's first
/// frame, never control frames and never the socket. Sending, the stack calls
/// [`encode`](Extension::encode) in negotiation order; receiving, it calls
/// [`decode`](Extension::decode) frame by frame in reverse order, so an extension
/// can decode as a stream and stop as soon as the decoded size passes the limit.
///
/// RSV bits: an extension owns the bits [`reserved_bits`](Extension::reserved_bits)
/// returns. Only the first frame of a data message may carry them; an RSV bit
/// on a continuation or control frame, or one that no extension owns, fails the
/// connection with close code 1002.
pub trait Extension: Send + fmt::Debug {
    /// The registered extension token, e.g. `permessage-deflate`.
    fn name(&self) -> &str;

    /// The RSV bits this extension gives a meaning to.
    fn reserved_bits(&self) -> Rsv;

    /// Transforms an outgoing message.
    ///
    /// Return `Ok(None)` to leave `payload` as it is (nothing is copied), or
    /// write the transformed payload to `out` (which is empty on entry) and return
    /// the RSV bits to set on the message's first frame, `Ok(Some(bits))`.
    fn encode(
        &mut self,
        kind: MessageKind,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Rsv>, ExtensionError>;

    /// Whether this extension transforms an incoming message whose first frame
    /// carried `rsv`. Asked once per message, before its first [`decode`](Extension::decode).
    fn decodes(&self, rsv: Rsv) -> bool;

    /// Decodes one frame's payload (or a piece of it, as it arrives) of an
    /// incoming message this extension [`decodes`](Extension::decodes),
    /// appending to `out`. `fin` is set on the message's last piece.
    ///
    /// For the extension that runs last (the first negotiated), `out` holds
    /// the message decoded so far; in a stack of several decoding extensions,
    /// the earlier stages get a scratch buffer holding only this piece's output.
    /// Either way `out` can only grow ([`DecodeOutput`] says why), and its
    /// length must never pass [`out.max_len()`](DecodeOutput::max_len):
    /// return [`ExtensionError::MessageTooLarge`] instead, before allocating
    /// past it ([`DecodeOutput::extend_from_slice`] does so itself). After an
    /// error the message is dropped, whatever `out` holds.
    fn decode(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut DecodeOutput<'_>,
    ) -> Result<(), ExtensionError>;

    /// For broadcasts (a message prepared once for many connections):
    /// `Some(key)` when this connection encodes every outgoing message as a
    /// function of the message alone, with no state carried from one
    /// message to the next, and every connection whose extension gives the
    /// same key encodes it the same way. Such connections share one
    /// encoding of a prepared message, made by
    /// [`encode_shared`](Extension::encode_shared). The key must stay the
    /// same for the connection's life.
    ///
    /// An extension that carries state between messages can give a key
    /// too, if the encoding is a function of the message and a state that
    /// connections can share: it then gives that state with
    /// [`shared_state`](Extension::shared_state) and implements
    /// [`encode_shared_from_state`](Extension::encode_shared_from_state)
    /// and [`adopt_shared_state`](Extension::adopt_shared_state) instead of
    /// `encode_shared`.
    ///
    /// The default, `None`, has the connection encode each message itself
    /// (a broadcast then costs one [`encode`](Extension::encode) per
    /// receiver, which is always correct).
    fn shared_encoding(&self) -> Option<String> {
        None
    }

    /// Encodes like [`encode`](Extension::encode), for every connection
    /// whose [`shared_encoding`](Extension::shared_encoding) is this one's;
    /// called only when that is `Some`, and must neither depend on nor
    /// change this connection's state. The default fails: an extension that
    /// gives a key implements this too.
    fn encode_shared(
        &self,
        kind: MessageKind,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Rsv>, ExtensionError> {
        let _ = (kind, payload, out);
        Err(ExtensionError::Internal {
            extension: self.name().to_owned(),
            source: "shared_encoding gave a key but encode_shared is not implemented".into(),
        })
    }

    /// For a stateful shared encoding (see [`crate::SharedState`]): the
    /// state the encoding of this connection's next message depends on,
    /// besides the [`shared_encoding`](Extension::shared_encoding) key
    /// (which must then be `Some`). Connections with the same key and an
    /// equal state share one encoding of a prepared message, made by
    /// [`encode_shared_from_state`](Extension::encode_shared_from_state),
    /// and then each [`adopt_shared_state`](Extension::adopt_shared_state).
    /// It must be `Some` for every message of the connection or for none.
    /// Only the first extension of a stack may have one (it sees the
    /// message as it was prepared); a stack with a stateful extension
    /// elsewhere encodes broadcasts per connection.
    ///
    /// The default, `None`: the shared encoding, if any, is stateless.
    fn shared_state(&self) -> Option<SharedStateRef<'_>> {
        None
    }

    /// Encodes a broadcast message (whose payload `message` identifies)
    /// from this connection's [`shared_state`](Extension::shared_state),
    /// for every connection with the same key and an equal state, without
    /// changing this connection's state: writes to `out` and returns the
    /// RSV bits as [`encode_shared`](Extension::encode_shared) does, the
    /// state it started from and the state the connections that send it
    /// move to. Called only when `shared_state` is `Some`; the default
    /// fails.
    fn encode_shared_from_state(
        &self,
        kind: MessageKind,
        payload: &[u8],
        message: MessageId,
        out: &mut Vec<u8>,
    ) -> Result<StatefulEncoding, ExtensionError> {
        let _ = (kind, payload, message, out);
        Err(ExtensionError::Internal {
            extension: self.name().to_owned(),
            source: "shared_state gave a state but encode_shared_from_state is not implemented"
                .into(),
        })
    }

    /// This connection sent a stateful shared encoding of `payload` (made
    /// by [`encode_shared_from_state`](Extension::encode_shared_from_state)
    /// on a connection with an equal state): its state becomes `next`, the
    /// encoding's [`StatefulEncoding::next`], a
    /// [`NextState`](crate::NextState) this extension made, as `dyn Any`.
    /// The default does nothing.
    fn adopt_shared_state(&mut self, next: &(dyn Any + Send + Sync), payload: &[u8]) {
        let _ = (next, payload);
    }

    /// Encodes a broadcast message (whose payload `message` identifies) for
    /// this connection alone, like [`encode`](Extension::encode): a
    /// stateful extension whose state no other connection shares
    /// ([`StateSharing::Private`](crate::StateSharing::Private)) records
    /// the id, so that its state can be found equal to others' later. The
    /// default calls `encode`.
    fn encode_prepared(
        &mut self,
        kind: MessageKind,
        payload: &[u8],
        message: MessageId,
        out: &mut Vec<u8>,
    ) -> Result<Option<Rsv>, ExtensionError> {
        let _ = message;
        self.encode(kind, payload, out)
    }

    /// The connection has gone quiet: give back what this extension holds
    /// only to make its next messages cheaper (for example a context
    /// borrowed from a shared pool), so that an idle connection keeps as
    /// little as it can. Called through
    /// [`ExtensionStack::release_idle_state`](crate::ExtensionStack::release_idle_state):
    /// the engine (`sockwell_core::Protocol::poll_timers`) calls it once the
    /// connection has been quiet for a while while
    /// [`holds_idle_state`](Self::holds_idle_state) says there is something
    /// to give back, and the sync driver also when a read finds the stream
    /// idle twice in a row. It may come between any two calls of this
    /// trait, including between two pieces of an incoming message, so what
    /// a message in progress needs must stay. Whatever is released must be
    /// rebuildable: the messages after it are encoded and decoded as if
    /// nothing had been released.
    ///
    /// The default does nothing.
    fn release_idle_state(&mut self) {}

    /// True while this extension holds something that
    /// [`release_idle_state`](Self::release_idle_state) would give back: the
    /// engine then wakes once the connection has been quiet for a while to
    /// call it (and not at all otherwise). The default says `false`.
    fn holds_idle_state(&self) -> bool {
        false
    }
}
