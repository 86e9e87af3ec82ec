//! The receive path: frame decoding, control frames, data through the
//! extensions into the assembler.

use super::Protocol;
use crate::buffer::{Input, SliceInput};
use crate::header::FrameHeader;
use crate::mask::apply_mask;
use crate::{CloseCode, CloseFrame, Message, OpCode, ProtocolError, Role, WsError};
use sockwell_extensions::MessageKind;
use std::mem::MaybeUninit;

/// Least payload still to come in a frame for a read straight into the
/// message: below it, one read that also brings the next frame's header
/// costs less than a read per frame.
const DIRECT_READ_MIN: u64 = 32 << 10;

/// Where the decoder is within the current frame.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FrameState {
    /// Waiting for (the rest of) a header.
    Header,
    /// A control frame whose payload has not fully arrived (at most 125 bytes).
    Control(FrameHeader),
    /// Inside a data frame's payload.
    Data {
        header: FrameHeader,
        /// Payload bytes still to come.
        remaining: u64,
        /// Payload bytes already consumed (the mask key's phase).
        consumed: usize,
    },
}

impl Protocol {
    /// Processes buffered input and returns the next event, `Ok(None)` when
    /// more input is needed.
    ///
    /// Data frames are consumed as their bytes arrive: text is checked for
    /// UTF-8 and sizes against the limits before the frame is complete. Pings
    /// queue a pong and the peer's Close queues the reply, before the event is
    /// returned. A protocol violation queues a Close with the code the RFC
    /// names and returns the error; after it the connection is closed.
    pub fn read_buffered(&mut self) -> Result<Option<Message>, WsError> {
        if self.failed || self.close_received {
            return Err(self.closed_error());
        }
        if self.rx.is_empty() && matches!(self.frame, FrameState::Header) {
            // Between frames with nothing buffered: no event (the common
            // answer to a driver asking before it reads).
            return Ok(None);
        }
        // The decoder reads from the buffer while it updates the rest of
        // the engine; nothing it calls touches `rx`.
        let mut rx = std::mem::take(&mut self.rx);
        let event = self.decode(&mut rx);
        self.rx = rx;
        event
    }

    /// [`receive`](Self::receive) and then [`read_buffered`](Self::read_buffered),
    /// for bytes the caller read into storage of its own that it lets the
    /// engine change: with nothing buffered before them, the bytes are
    /// decoded where they are (unmasked in place), and only what follows
    /// the returned message is copied into the engine's buffer. A driver
    /// that reads into scratch space while
    /// [`read_buffer_released`](Self::read_buffer_released) thus hands a
    /// message from the stream to the application with one copy and one
    /// allocation (the message's own).
    pub fn receive_next(&mut self, bytes: &mut [u8]) -> Result<Option<Message>, WsError> {
        if !self.rx.is_empty() || self.failed || self.close_received {
            self.receive(bytes);
            return self.read_buffered();
        }
        let mut input = SliceInput { bytes, consumed: 0 };
        let event = self.decode(&mut input);
        let SliceInput { bytes, consumed } = input;
        self.rx.note_received_elsewhere(consumed);
        if consumed < bytes.len() {
            self.rx.extend_from_slice(&bytes[consumed..]);
        }
        event
    }

    /// Decodes from `input` up to the next event; a protocol violation
    /// fails the connection (its Close queued).
    fn decode(&mut self, input: &mut impl Input) -> Result<Option<Message>, WsError> {
        match self.process(input) {
            Ok(event) => Ok(event),
            Err(err) => {
                self.fail(&err);
                Err(WsError::Protocol(err))
            }
        }
    }

    /// Room to read the current data frame's payload into: the message it
    /// becomes, uninitialized, for a driver that can read into such memory
    /// (an async one, through `tokio::io::ReadBuf::uninit`). The payload's
    /// bytes then go from the stream to the message with no copy in
    /// between, unmasked in place by
    /// [`commit_payload_read`](Self::commit_payload_read).
    ///
    /// `Some` only inside a data frame with at least 32 KiB of payload to
    /// come, with nothing buffered, when no extension transforms the
    /// message; the slice never reaches past the frame's end, so the next
    /// header is read as usual. Otherwise read into
    /// [`read_space`](Self::read_space).
    pub fn payload_read_space(&mut self) -> Option<&mut [MaybeUninit<u8>]> {
        let FrameState::Data { remaining, .. } = self.frame else {
            return None;
        };
        if remaining < DIRECT_READ_MIN || !self.rx.is_empty() {
            return None;
        }
        // `remaining` is at most `max_frame_size`, a usize.
        let want = usize::try_from(remaining).unwrap_or(usize::MAX);
        self.assembler.direct_space(want)
    }

    /// Takes `n` bytes that a read put at the start of the slice
    /// [`payload_read_space`](Self::payload_read_space) returned.
    ///
    /// # Safety
    /// Those `n` bytes are initialized (a read wrote them), `n` is at most
    /// the slice's length, and no other method of this `Protocol` was
    /// called since `payload_read_space`.
    pub unsafe fn commit_payload_read(&mut self, n: usize) {
        let FrameState::Data {
            header,
            remaining,
            consumed,
        } = self.frame
        else {
            debug_assert!(n == 0, "commit_payload_read outside a data frame");
            return;
        };
        let n = n.min(usize::try_from(remaining).unwrap_or(usize::MAX));
        // SAFETY: forwarded from this function's contract: the bytes right
        // after the message's, where `direct_space` pointed, are initialized.
        unsafe {
            self.assembler
                .commit_direct(n, header.mask.map(|key| (key, consumed)))
        };
        self.rx.note_received_elsewhere(n);
        self.frame = FrameState::Data {
            header,
            remaining: remaining - n as u64,
            consumed: consumed + n,
        };
    }

    fn fail(&mut self, err: &ProtocolError) {
        if !self.close_sent {
            let code = err.close_code();
            self.queue_close(Some(&CloseFrame::new(code, "")));
        }
        self.failed = true;
        self.closed_reported = true;
    }

    fn process(&mut self, input: &mut impl Input) -> Result<Option<Message>, ProtocolError> {
        loop {
            match self.frame {
                FrameState::Header => {
                    let Some((header, len)) = FrameHeader::parse(input.filled())? else {
                        return Ok(None);
                    };
                    input.consume(len);
                    self.start_frame(header)?;
                }
                FrameState::Control(header) => {
                    let len = header.payload_len as usize;
                    if input.filled().len() < len {
                        return Ok(None);
                    }
                    let mut payload = input.filled()[..len].to_vec();
                    input.consume(len);
                    if let Some(key) = header.mask {
                        apply_mask(&mut payload, key, 0);
                    }
                    self.frame = FrameState::Header;
                    if let Some(event) = self.control_frame(header.opcode, payload)? {
                        return Ok(Some(event));
                    }
                }
                FrameState::Data {
                    header,
                    remaining,
                    consumed,
                } => {
                    // Bytes read straight into the message are checked here.
                    self.assembler.check_new_text()?;
                    let available = input.filled().len();
                    if available == 0 && remaining > 0 {
                        return Ok(None);
                    }
                    let take = remaining.min(available as u64) as usize;
                    let chunk = &mut input.filled_mut()[..take];
                    let remaining = remaining - take as u64;
                    let last = header.fin && remaining == 0;
                    self.assembler.push(
                        chunk,
                        header.mask.map(|key| (key, consumed)),
                        last,
                        &mut self.extensions,
                        self.config.limits.max_message_size,
                    )?;
                    input.consume(take);
                    if remaining > 0 {
                        self.frame = FrameState::Data {
                            header,
                            remaining,
                            consumed: consumed + take,
                        };
                        return Ok(None);
                    }
                    self.frame = FrameState::Header;
                    if header.fin {
                        self.data_messages += 1;
                        return self.assembler.finish().map(Some);
                    }
                }
            }
        }
    }

    /// Checks a new frame's header against the role, the extensions, the
    /// fragmentation state and the limits, and sets up its payload.
    fn start_frame(&mut self, header: FrameHeader) -> Result<(), ProtocolError> {
        match (self.role, header.mask.is_some()) {
            (Role::Server, false) if !self.config.accept_unmasked_frames => {
                return Err(ProtocolError::UnmaskedFrame)
            }
            (Role::Client, true) => return Err(ProtocolError::MaskedFrame),
            _ => {}
        }
        let invalid_rsv = || ProtocolError::InvalidRsv {
            rsv: header.rsv.bits(),
            opcode: header.opcode,
        };
        if header.opcode.is_control() {
            // Extensions see data messages only; no RSV bit belongs on a control frame.
            if !header.rsv.is_empty() {
                return Err(invalid_rsv());
            }
            self.frame = FrameState::Control(header);
            return Ok(());
        }
        if header.payload_len > self.config.limits.max_frame_size as u64 {
            return Err(ProtocolError::FrameTooLarge {
                size: header.payload_len,
                max: self.config.limits.max_frame_size,
            });
        }
        match header.opcode {
            OpCode::Continuation => {
                if !self.assembler.in_progress() {
                    return Err(ProtocolError::UnexpectedContinuation);
                }
                // RSV bits describe a message: only its first frame carries them.
                if !header.rsv.is_empty() {
                    return Err(invalid_rsv());
                }
            }
            opcode => {
                if self.assembler.in_progress() {
                    return Err(ProtocolError::ExpectedContinuation(opcode));
                }
                if !header
                    .rsv
                    .difference(self.extensions.reserved_bits())
                    .is_empty()
                {
                    return Err(invalid_rsv());
                }
                let kind = if opcode == OpCode::Text {
                    MessageKind::Text
                } else {
                    MessageKind::Binary
                };
                let via_extensions = if self.extensions.is_empty() {
                    false
                } else {
                    self.extensions.begin_message(header.rsv)?;
                    self.extensions.decodes_current()
                };
                self.assembler.begin(kind, via_extensions);
            }
        }
        self.assembler
            .reserve_frame(header.payload_len, self.config.limits.max_message_size)?;
        self.frame = FrameState::Data {
            header,
            remaining: header.payload_len,
            consumed: 0,
        };
        Ok(())
    }

    fn control_frame(
        &mut self,
        opcode: OpCode,
        payload: Vec<u8>,
    ) -> Result<Option<Message>, ProtocolError> {
        match opcode {
            OpCode::Ping => {
                let payload = bytes::Bytes::from(payload);
                // After our Close, nothing but the peer's Close matters (§5.5.1).
                if !self.close_sent {
                    self.pending_pong = Some(payload.clone());
                }
                Ok(Some(Message::Ping(payload)))
            }
            OpCode::Pong => Ok(Some(Message::Pong(payload.into()))),
            OpCode::Close => {
                let frame = CloseFrame::parse(&payload)?;
                self.close_received = true;
                if !self.close_sent {
                    // §5.5.1: reply with a Close, echoing the status code.
                    let reply =
                        CloseFrame::new(frame.as_ref().map_or(CloseCode::NORMAL, |f| f.code), "");
                    self.queue_close(Some(&reply));
                }
                Ok(Some(Message::Close(frame)))
            }
            // Data opcodes never reach here.
            OpCode::Continuation | OpCode::Text | OpCode::Binary => Ok(None),
        }
    }
}
