//! The frame header codec (RFC 6455 §5.2).

use crate::{OpCode, ProtocolError};
use sockwell_extensions::Rsv;

/// The longest header: 2 bytes + 8 bytes of extended length + 4 bytes of mask key.
pub const MAX_HEADER_LEN: usize = 14;

/// The largest payload a control frame may carry (§5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// A decoded frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// FIN: this is the last frame of its message.
    pub fin: bool,
    /// RSV1–RSV3, owned by negotiated extensions.
    pub rsv: Rsv,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key: present on every client-to-server frame (§5.3).
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub payload_len: u64,
}

impl FrameHeader {
    /// Decodes a header from the start of `buf`.
    ///
    /// Returns `Ok(None)` while `buf` holds only part of a header, else the
    /// header and its length in bytes. Rules that need no context are checked
    /// here: reserved opcodes, the most significant bit of a 64-bit length
    /// (§5.2: "MUST be 0"), and control frames that are fragmented or longer
    /// than 125 bytes (§5.5). Role and extension rules are the engine's.
    pub fn parse(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
        let [b0, b1, rest @ ..] = buf else {
            return Ok(None);
        };
        let opcode = OpCode::from_u8(b0 & 0x0f).map_err(ProtocolError::ReservedOpCode)?;
        let fin = b0 & 0x80 != 0;
        let rsv = Rsv::from_bits(b0 >> 4);
        let masked = b1 & 0x80 != 0;
        let (payload_len, len_bytes) = match b1 & 0x7f {
            126 => match rest {
                [a, b, ..] => (u64::from(u16::from_be_bytes([*a, *b])), 2),
                _ => return Ok(None),
            },
            127 => match rest.first_chunk::<8>() {
                Some(bytes) => {
                    let len = u64::from_be_bytes(*bytes);
                    if len >> 63 != 0 {
                        return Err(ProtocolError::InvalidPayloadLength);
                    }
                    (len, 8)
                }
                None => return Ok(None),
            },
            short => (u64::from(short), 0),
        };
        if opcode.is_control() {
            if !fin {
                return Err(ProtocolError::FragmentedControlFrame);
            }
            if payload_len > MAX_CONTROL_PAYLOAD as u64 {
                return Err(ProtocolError::ControlFrameTooLong(payload_len));
            }
        }
        let rest = &rest[len_bytes..];
        let mask = if masked {
            match rest.first_chunk::<4>() {
                Some(key) => Some(*key),
                None => return Ok(None),
            }
        } else {
            None
        };
        let header_len = 2 + len_bytes + if masked { 4 } else { 0 };
        Ok(Some((
            FrameHeader {
                fin,
                rsv,
                opcode,
                mask,
                payload_len,
            },
            header_len,
        )))
    }

    /// The encoded length of this header.
    pub fn encoded_len(&self) -> usize {
        let len_bytes = match self.payload_len {
            0..=125 => 0,
            126..=0xffff => 2,
            _ => 8,
        };
        2 + len_bytes + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Encodes this header (with the minimal length encoding, §5.2) into `out`,
    /// returning the number of bytes written.
    pub fn encode(&self, out: &mut [u8; MAX_HEADER_LEN]) -> usize {
        out[0] = (u8::from(self.fin) << 7) | (self.rsv.bits() << 4) | self.opcode.as_u8();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let mut at = match self.payload_len {
            len @ 0..=125 => {
                out[1] = mask_bit | len as u8;
                2
            }
            len @ 126..=0xffff => {
                out[1] = mask_bit | 126;
                out[2..4].copy_from_slice(&(len as u16).to_be_bytes());
                4
            }
            len => {
                out[1] = mask_bit | 127;
                out[2..10].copy_from_slice(&len.to_be_bytes());
                10
            }
        };
        if let Some(key) = self.mask {
            out[at..at + 4].copy_from_slice(&key);
            at += 4;
        }
        at
    }

    /// Appends the encoded header to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let mut buf = [0; MAX_HEADER_LEN];
        let n = self.encode(&mut buf);
        out.extend_from_slice(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(opcode: OpCode, len: u64, mask: Option<[u8; 4]>) -> FrameHeader {
        FrameHeader {
            fin: true,
            rsv: Rsv::NONE,
            opcode,
            mask,
            payload_len: len,
        }
    }

    #[test]
    fn round_trips_every_length_class_with_and_without_mask() {
        for len in [0, 1, 125, 126, 127, 0xffff, 0x1_0000, u32::MAX as u64 + 7] {
            for mask in [None, Some([9, 8, 7, 6])] {
                let h = FrameHeader {
                    rsv: Rsv::RSV1,
                    ..header(OpCode::Binary, len, mask)
                };
                let mut bytes = Vec::new();
                h.write_to(&mut bytes);
                assert_eq!(bytes.len(), h.encoded_len());
                // Every strict prefix is incomplete, never an error.
                for cut in 0..bytes.len() {
                    assert_eq!(FrameHeader::parse(&bytes[..cut]).unwrap(), None);
                }
                assert_eq!(FrameHeader::parse(&bytes).unwrap(), Some((h, bytes.len())));
            }
        }
    }

    #[test]
    fn minimal_length_encoding() {
        let mut bytes = Vec::new();
        header(OpCode::Text, 126, None).write_to(&mut bytes);
        assert_eq!(bytes, [0x81, 126, 0, 126]);
        bytes.clear();
        header(OpCode::Text, 0x1_0000, None).write_to(&mut bytes);
        assert_eq!(bytes, [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    }

    #[test]
    fn rejects_reserved_opcodes() {
        for op in [3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
            let err = FrameHeader::parse(&[0x80 | op, 0]).unwrap_err();
            assert!(matches!(err, ProtocolError::ReservedOpCode(o) if o == op));
            assert_eq!(err.close_code().as_u16(), 1002);
        }
    }

    #[test]
    fn rejects_64_bit_length_with_msb_set() {
        let bytes = [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1];
        assert!(matches!(
            FrameHeader::parse(&bytes),
            Err(ProtocolError::InvalidPayloadLength)
        ));
    }

    #[test]
    fn rejects_bad_control_frames() {
        // Ping without FIN.
        assert!(matches!(
            FrameHeader::parse(&[0x09, 0]),
            Err(ProtocolError::FragmentedControlFrame)
        ));
        // Close with a 126-byte payload (16-bit length form).
        assert!(matches!(
            FrameHeader::parse(&[0x88, 126, 0, 126]),
            Err(ProtocolError::ControlFrameTooLong(126))
        ));
    }
}
