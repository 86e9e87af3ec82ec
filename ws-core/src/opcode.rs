//! Frame opcodes (RFC 6455 §5.2, §11.8).

use std::fmt;

/// The opcode of a frame. Reserved opcodes (0x3–0x7, 0xB–0xF) are not
/// representable: [`OpCode::from_u8`] rejects them, and the engine fails the
/// connection with 1002 (RFC 6455 §5.2: "the receiving endpoint MUST _Fail the
/// WebSocket Connection_").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// 0x0: continues a fragmented data message.
    Continuation,
    /// 0x1: first frame of a text message.
    Text,
    /// 0x2: first frame of a binary message.
    Binary,
    /// 0x8: close (§5.5.1).
    Close,
    /// 0x9: ping (§5.5.2).
    Ping,
    /// 0xA: pong (§5.5.3).
    Pong,
}

impl OpCode {
    /// Decodes the low four bits of `bits`; `Err` carries a reserved opcode.
    pub const fn from_u8(bits: u8) -> Result<OpCode, u8> {
        match bits & 0x0f {
            0x0 => Ok(OpCode::Continuation),
            0x1 => Ok(OpCode::Text),
            0x2 => Ok(OpCode::Binary),
            0x8 => Ok(OpCode::Close),
            0x9 => Ok(OpCode::Ping),
            0xA => Ok(OpCode::Pong),
            other => Err(other),
        }
    }

    /// The four-bit wire value.
    pub const fn as_u8(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
        }
    }

    /// Control frames have the high bit of the opcode set (§5.5).
    pub const fn is_control(self) -> bool {
        self.as_u8() & 0x8 != 0
    }
}

impl fmt::Display for OpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            OpCode::Continuation => "continuation",
            OpCode::Text => "text",
            OpCode::Binary => "binary",
            OpCode::Close => "close",
            OpCode::Ping => "ping",
            OpCode::Pong => "pong",
        };
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nibble_round_trips_or_is_reserved() {
        for bits in 0u8..16 {
            match OpCode::from_u8(bits) {
                Ok(op) => assert_eq!(op.as_u8(), bits),
                Err(reserved) => {
                    assert_eq!(reserved, bits);
                    assert!(matches!(bits, 3..=7 | 0xB..=0xF));
                }
            }
        }
        assert!(OpCode::Ping.is_control());
        assert!(!OpCode::Binary.is_control());
    }
}
