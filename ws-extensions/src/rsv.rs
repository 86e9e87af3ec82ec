//! The three reserved bits of a frame header (RFC 6455 §5.2), which extensions own.

use std::fmt;

/// A set of the RSV1/RSV2/RSV3 bits, stored as they sit in bits 6..4 of the
/// first header byte shifted down: RSV1 = `0b100`, RSV2 = `0b010`, RSV3 = `0b001`.
///
/// RFC 6455 §5.2: "MUST be 0 unless an extension is negotiated that defines
/// meanings for non-zero values". Each bit is owned by at most one negotiated
/// extension; a bit that no extension owns fails the connection with 1002.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rsv(u8);

impl Rsv {
    /// No bit set.
    pub const NONE: Rsv = Rsv(0);
    /// RSV1, used by permessage-deflate (RFC 7692 §6).
    pub const RSV1: Rsv = Rsv(0b100);
    /// RSV2.
    pub const RSV2: Rsv = Rsv(0b010);
    /// RSV3.
    pub const RSV3: Rsv = Rsv(0b001);

    /// Builds a set from the low three bits of `bits` (higher bits are ignored).
    pub const fn from_bits(bits: u8) -> Rsv {
        Rsv(bits & 0b111)
    }

    /// The bits, RSV1 as `0b100`.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// True if no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True if every bit of `other` is set in `self`.
    pub const fn contains(self, other: Rsv) -> bool {
        self.0 & other.0 == other.0
    }

    /// True if `self` and `other` share a bit.
    pub const fn intersects(self, other: Rsv) -> bool {
        self.0 & other.0 != 0
    }

    /// The bits set in either.
    pub const fn union(self, other: Rsv) -> Rsv {
        Rsv(self.0 | other.0)
    }

    /// The bits of `self` that are not in `other`.
    pub const fn difference(self, other: Rsv) -> Rsv {
        Rsv(self.0 & !other.0)
    }
}

impl fmt::Debug for Rsv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rsv(")?;
        let mut first = true;
        for (bit, name) in [
            (Rsv::RSV1, "RSV1"),
            (Rsv::RSV2, "RSV2"),
            (Rsv::RSV3, "RSV3"),
        ] {
            if self.contains(bit) {
                if !first {
                    write!(f, "|")?;
                }
                write!(f, "{name}")?;
                first = false;
            }
        }
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations() {
        let both = Rsv::RSV1.union(Rsv::RSV3);
        assert_eq!(both.bits(), 0b101);
        assert!(both.contains(Rsv::RSV1));
        assert!(!both.contains(Rsv::RSV2));
        assert!(both.intersects(Rsv::RSV3));
        assert_eq!(both.difference(Rsv::RSV1), Rsv::RSV3);
        assert_eq!(Rsv::from_bits(0xff).bits(), 0b111);
        assert_eq!(format!("{both:?}"), "Rsv(RSV1|RSV3)");
    }
}
