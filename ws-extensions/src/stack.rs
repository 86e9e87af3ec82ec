//! The negotiated extension stack of one connection.

use crate::{
    DecodeOutput, Extension, ExtensionError, ExtensionOffer, MessageId, MessageKind, Rsv,
    RsvConflict, SharedStateRef, StatefulEncoding,
};
use std::any::Any;

/// The extensions negotiated on one connection, in negotiation order.
///
/// Outgoing messages pass through them in that order, incoming ones in
/// reverse (RFC 6455 §9.1: "the order of extensions ... is the order in which
/// they are applied"). An empty stack costs one branch per message.
#[derive(Debug)]
pub struct ExtensionStack {
    extensions: Vec<Box<dyn Extension>>,
    /// What was agreed for each extension, as the response header said it.
    negotiated: Vec<ExtensionOffer>,
    owned: Rsv,
    /// Which extensions decode the message being received (bit i = extension i).
    active: u64,
    scratch: [Vec<u8>; 2],
    /// The stack's [`shared_encoding`](Self::shared_encoding) key: `Some("")`
    /// for an empty stack, `None` once an extension has no key.
    shared: Option<String>,
    /// The first extension's shared encoding depends on its
    /// [`shared_state`](Extension::shared_state).
    stateful: bool,
}

impl Default for ExtensionStack {
    fn default() -> Self {
        ExtensionStack {
            extensions: Vec::new(),
            negotiated: Vec::new(),
            owned: Rsv::NONE,
            active: 0,
            scratch: Default::default(),
            shared: Some(String::new()),
            stateful: false,
        }
    }
}

impl ExtensionStack {
    /// A stack with no extension: every payload passes unchanged.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an extension with no parameters. Fails if it claims an RSV
    /// bit that an extension already in the stack owns.
    pub fn push(&mut self, extension: Box<dyn Extension>) -> Result<(), RsvConflict> {
        let agreed = ExtensionOffer::new(extension.name());
        self.push_negotiated(extension, agreed)
    }

    /// Appends a negotiated extension with the parameters agreed for it.
    /// Fails if it claims an RSV bit that an extension already in the stack owns.
    pub fn push_negotiated(
        &mut self,
        extension: Box<dyn Extension>,
        agreed: ExtensionOffer,
    ) -> Result<(), RsvConflict> {
        let bits = extension.reserved_bits();
        if let Some(first) = self
            .extensions
            .iter()
            .find(|e| e.reserved_bits().intersects(bits))
        {
            return Err(RsvConflict {
                first: first.name().to_owned(),
                second: extension.name().to_owned(),
                bits: first.reserved_bits().bits() & bits.bits(),
            });
        }
        if self.extensions.len() >= 64 {
            // Far beyond any real negotiation; keeps `active` a plain bit set.
            return Err(RsvConflict {
                first: "(64 extensions)".to_owned(),
                second: extension.name().to_owned(),
                bits: 0,
            });
        }
        self.owned = self.owned.union(bits);
        // Only the first extension may share an encoding that depends on
        // its state: it sees the message as prepared.
        let stateful = extension.shared_state().is_some();
        let first = self.extensions.is_empty();
        self.stateful |= stateful && first;
        self.shared = match (self.shared.take(), extension.shared_encoding()) {
            (Some(_), Some(_)) if stateful && !first => None,
            (Some(mut key), Some(own)) => {
                if !key.is_empty() {
                    key.push_str(" | ");
                }
                key.push_str(&own);
                Some(key)
            }
            _ => None,
        };
        self.extensions.push(extension);
        self.negotiated.push(agreed);
        Ok(())
    }

    /// True if no extension was negotiated.
    pub fn is_empty(&self) -> bool {
        self.extensions.is_empty()
    }

    /// The negotiated extensions, in negotiation order.
    pub fn extensions(&self) -> impl Iterator<Item = &dyn Extension> {
        self.extensions.iter().map(|e| e.as_ref())
    }

    /// What was agreed for each extension (name and parameters), in
    /// negotiation order: what the `Sec-WebSocket-Extensions` response said.
    pub fn negotiated(&self) -> impl Iterator<Item = &ExtensionOffer> {
        self.negotiated.iter()
    }

    /// The RSV bits that some extension owns.
    pub fn reserved_bits(&self) -> Rsv {
        self.owned
    }

    /// Frees the scratch buffers that encoding keeps from one message to the
    /// next, when they are small (for a connection going quiet: the next
    /// message allocates them again). Large ones stay, so that a stream of
    /// large messages does not reallocate (and fault in) one per message.
    /// What the extensions hold to be faster while busy stays: that is
    /// [`release_idle_state`](Self::release_idle_state)'s, which a driver
    /// calls only once the connection has been quiet for a while.
    pub fn release_buffers(&mut self) {
        for buf in &mut self.scratch {
            if buf.capacity() <= 64 << 10 {
                *buf = Vec::new();
            }
        }
    }

    /// True while some extension holds something only to be faster while
    /// busy ([`Extension::holds_idle_state`]): a driver then arranges to call
    /// [`release_idle_state`](Self::release_idle_state) once the connection
    /// has been quiet for a while.
    pub fn holds_idle_state(&self) -> bool {
        self.extensions.iter().any(|e| e.holds_idle_state())
    }

    /// The connection has gone quiet: each extension gives back what it
    /// holds only to be faster while busy
    /// ([`Extension::release_idle_state`]).
    pub fn release_idle_state(&mut self) {
        for extension in &mut self.extensions {
            extension.release_idle_state();
        }
    }

    /// For broadcasts: a key that is the same for every connection whose
    /// stack turns a message into the same bytes, with no state carried
    /// between messages (see [`Extension::shared_encoding`]); `Some("")`
    /// for an empty stack, `None` if some extension has no key.
    pub fn shared_encoding(&self) -> Option<&str> {
        self.shared.as_deref()
    }

    /// [`encode`](Self::encode) for a message shared by every connection
    /// with this stack's [`shared_encoding`](Self::shared_encoding) (which
    /// must be `Some`): each extension's
    /// [`encode_shared`](Extension::encode_shared), in negotiation order,
    /// leaving this connection's state alone. Returns `None` when no
    /// extension changed the payload.
    pub fn encode_shared(
        &self,
        kind: MessageKind,
        payload: &[u8],
    ) -> Result<(Option<Vec<u8>>, Rsv), ExtensionError> {
        let mut rsv = Rsv::NONE;
        let mut current: Option<Vec<u8>> = None;
        for ext in &self.extensions {
            let mut out = Vec::new();
            let input = current.as_deref().unwrap_or(payload);
            if let Some(bits) = ext.encode_shared(kind, input, &mut out)? {
                rsv = rsv.union(bits);
                current = Some(out);
            }
        }
        Ok((current, rsv))
    }

    /// With a [`shared_encoding`](Self::shared_encoding) key: the state,
    /// besides the key, that the shared encoding of the connection's next
    /// message depends on (the first extension's
    /// [`shared_state`](Extension::shared_state)); `None` when the shared
    /// encoding is stateless.
    pub fn shared_state(&self) -> Option<SharedStateRef<'_>> {
        if !self.stateful {
            return None;
        }
        self.extensions.first()?.shared_state()
    }

    /// [`encode_shared`](Self::encode_shared) for a stack with a
    /// [`shared_state`](Self::shared_state): the first extension's
    /// [`encode_shared_from_state`](Extension::encode_shared_from_state),
    /// then the others' `encode_shared`. Returns the payload as
    /// `encode_shared` does, and the encoding's states, with the RSV bits
    /// of the whole stack (`None` when no extension changed the payload).
    pub fn encode_shared_from_state(
        &self,
        kind: MessageKind,
        payload: &[u8],
        message: MessageId,
    ) -> Result<(Option<Vec<u8>>, StatefulEncoding), ExtensionError> {
        let Some((first, rest)) = self.extensions.split_first().filter(|_| self.stateful) else {
            return Err(ExtensionError::Internal {
                extension: "(stack)".to_owned(),
                source: "no extension has a shared state".into(),
            });
        };
        let mut out = Vec::new();
        let mut encoding = first.encode_shared_from_state(kind, payload, message, &mut out)?;
        let mut rsv = encoding.rsv.unwrap_or(Rsv::NONE);
        let mut current = encoding.rsv.is_some().then_some(out);
        for ext in rest {
            let mut out = Vec::new();
            let input = current.as_deref().unwrap_or(payload);
            if let Some(bits) = ext.encode_shared(kind, input, &mut out)? {
                rsv = rsv.union(bits);
                current = Some(out);
            }
        }
        encoding.rsv = current.is_some().then_some(rsv);
        Ok((current, encoding))
    }

    /// The connection sent a stateful shared encoding of `payload`: the
    /// first extension's state becomes `next`
    /// ([`Extension::adopt_shared_state`]).
    pub fn adopt_shared_state(&mut self, next: &(dyn Any + Send + Sync), payload: &[u8]) {
        if let Some(first) = self.extensions.first_mut().filter(|_| self.stateful) {
            first.adopt_shared_state(next, payload);
        }
    }

    /// [`encode`](Self::encode) for a broadcast message that this
    /// connection encodes alone: the first extension gets the message's id
    /// ([`Extension::encode_prepared`]).
    pub fn encode_prepared<'a>(
        &'a mut self,
        kind: MessageKind,
        payload: &'a [u8],
        message: MessageId,
    ) -> Result<(&'a [u8], Rsv), ExtensionError> {
        self.encode_as(kind, payload, Some(message))
    }

    /// Runs an outgoing message through every extension, in negotiation order.
    /// Returns the payload to frame and the RSV bits for its first frame; when
    /// no extension changes it, that is `payload` itself, not a copy.
    pub fn encode<'a>(
        &'a mut self,
        kind: MessageKind,
        payload: &'a [u8],
    ) -> Result<(&'a [u8], Rsv), ExtensionError> {
        self.encode_as(kind, payload, None)
    }

    fn encode_as<'a>(
        &'a mut self,
        kind: MessageKind,
        payload: &'a [u8],
        message: Option<MessageId>,
    ) -> Result<(&'a [u8], Rsv), ExtensionError> {
        let mut rsv = Rsv::NONE;
        // Which buffer holds the current payload: None = the caller's.
        let mut current: Option<usize> = None;
        for (i, ext) in self.extensions.iter_mut().enumerate() {
            let target = current.map_or(0, |c| 1 - c);
            let (a, b) = self.scratch.split_at_mut(1);
            let (input, out): (&[u8], &mut Vec<u8>) = match (current, target) {
                (None, _) => (payload, &mut a[0]),
                (Some(0), _) => (&a[0], &mut b[0]),
                (Some(_), _) => (&b[0], &mut a[0]),
            };
            out.clear();
            let encoded = match message {
                Some(id) if i == 0 => ext.encode_prepared(kind, input, id, out)?,
                _ => ext.encode(kind, input, out)?,
            };
            if let Some(bits) = encoded {
                rsv = rsv.union(bits);
                current = Some(target);
            }
        }
        Ok(match current {
            None => (payload, rsv),
            Some(i) => (&self.scratch[i], rsv),
        })
    }

    /// Starts an incoming data message whose first frame carried `rsv`: fails
    /// with a 1002 error if a bit is set that no extension owns, and picks the
    /// extensions that decode this message.
    pub fn begin_message(&mut self, rsv: Rsv) -> Result<(), ExtensionError> {
        let unowned = rsv.difference(self.owned);
        if !unowned.is_empty() {
            return Err(ExtensionError::Protocol {
                extension: "(none)".to_owned(),
                reason: format!(
                    "RSV bits {:#05b} set but no extension owns them",
                    unowned.bits()
                ),
            });
        }
        self.active = 0;
        for (i, ext) in self.extensions.iter().enumerate() {
            if ext.decodes(rsv) {
                self.active |= 1 << i;
            }
        }
        Ok(())
    }

    /// True if the message started by [`begin_message`](Self::begin_message)
    /// passes through some extension; otherwise the caller appends payloads itself.
    pub fn decodes_current(&self) -> bool {
        self.active != 0
    }

    /// Decodes one frame's payload of the current message through every
    /// active extension, in reverse negotiation order, appending to `out`
    /// (never changing what it held: see [`DecodeOutput`]). Fails with
    /// [`ExtensionError::MessageTooLarge`] if `out` would pass `max_len`;
    /// `out` never holds more than `max_len` bytes on return, error or not.
    pub fn decode(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut Vec<u8>,
        max_len: usize,
    ) -> Result<(), ExtensionError> {
        let result = self.decode_into(input, fin, &mut DecodeOutput::new(out, max_len));
        if out.len() > max_len {
            // A decoder may write one byte past the limit to learn that
            // the message is too large; that byte is no message's.
            out.truncate(max_len);
            result?;
            return Err(ExtensionError::MessageTooLarge { limit: max_len });
        }
        result
    }

    fn decode_into(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut DecodeOutput<'_>,
    ) -> Result<(), ExtensionError> {
        if self.active == 0 {
            return out.extend_from_slice(input);
        }
        // Reverse order: the lowest active index runs last, straight into `out`.
        let last = self.active.trailing_zeros() as usize;
        // Intermediate stages decode into scratch buffers, the last into `out`.
        let mut current: Option<usize> = None;
        for i in (last + 1..self.extensions.len()).rev() {
            if self.active & (1 << i) == 0 {
                continue;
            }
            let target = current.map_or(0, |c| 1 - c);
            let (a, b) = self.scratch.split_at_mut(1);
            let (src, dst): (&[u8], &mut Vec<u8>) = match current {
                None => (input, &mut a[0]),
                Some(0) => (&a[0], &mut b[0]),
                Some(_) => (&b[0], &mut a[0]),
            };
            dst.clear();
            let mut stage = DecodeOutput::new(dst, out.max_len());
            self.extensions[i].decode(src, fin, &mut stage)?;
            if stage.len() > stage.max_len() {
                // Past the limit through the spare capacity: the message
                // fails (close 1009) instead of growing the next stage.
                return Err(ExtensionError::MessageTooLarge {
                    limit: stage.max_len(),
                });
            }
            current = Some(target);
        }
        let src: &[u8] = match current {
            None => input,
            Some(c) => &self.scratch[c],
        };
        self.extensions[last].decode(src, fin, out)
    }
}
