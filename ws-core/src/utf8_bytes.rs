//! [`Utf8Bytes`]: the payload of a text message, shared like [`Bytes`] and
//! known to be valid UTF-8.

use bytes::Bytes;
use std::fmt;
use std::ops::Deref;

/// Text held in reference-counted [`Bytes`]: cloning it (to send one
/// message to many connections, or to keep it) copies nothing. Always
/// valid UTF-8; it derefs to `&str`.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// Text from a static string, without allocating.
    pub const fn from_static(text: &'static str) -> Self {
        Utf8Bytes(Bytes::from_static(text.as_bytes()))
    }

    /// Bytes already checked as UTF-8 by this crate.
    pub(crate) fn from_validated(bytes: Bytes) -> Self {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        Utf8Bytes(bytes)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor guarantees valid UTF-8: `From<String>`
        // and `From<&str>` take it from a `str`, `TryFrom<Bytes>` checks it,
        // `from_validated` is given bytes this crate validated.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    /// The underlying bytes (no copy).
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Gives up the text for its bytes (no copy).
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl Deref for Utf8Bytes {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Utf8Bytes {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Utf8Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl From<String> for Utf8Bytes {
    fn from(text: String) -> Self {
        Utf8Bytes(Bytes::from(text))
    }
}

impl From<&str> for Utf8Bytes {
    fn from(text: &str) -> Self {
        Utf8Bytes(Bytes::copy_from_slice(text.as_bytes()))
    }
}

impl From<&String> for Utf8Bytes {
    fn from(text: &String) -> Self {
        text.as_str().into()
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(text: Utf8Bytes) -> Self {
        text.0
    }
}

impl TryFrom<Bytes> for Utf8Bytes {
    type Error = std::str::Utf8Error;

    /// Checks that `bytes` are UTF-8 (no copy), with the SIMD validator
    /// the engine uses for incoming text.
    fn try_from(bytes: Bytes) -> Result<Self, Self::Error> {
        if simdutf8::basic::from_utf8(&bytes).is_err() {
            // Invalid: std says where, in the error callers already know.
            std::str::from_utf8(&bytes)?;
        }
        Ok(Utf8Bytes(bytes))
    }
}

impl TryFrom<Vec<u8>> for Utf8Bytes {
    type Error = std::str::Utf8Error;

    /// Checks that `bytes` are UTF-8 (no copy).
    fn try_from(bytes: Vec<u8>) -> Result<Self, Self::Error> {
        Bytes::from(bytes).try_into()
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Utf8Bytes {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Utf8Bytes> for str {
    fn eq(&self, other: &Utf8Bytes) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Utf8Bytes> for &str {
    fn eq(&self, other: &Utf8Bytes) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Utf8Bytes> for String {
    fn eq(&self, other: &Utf8Bytes) -> bool {
        self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::Utf8Bytes;
    use bytes::Bytes;

    #[test]
    fn conversions_keep_the_text_and_refuse_bad_utf8() {
        let a = Utf8Bytes::from("héllo");
        assert_eq!(a, "héllo");
        assert_eq!(a.len(), 6);
        assert_eq!(Utf8Bytes::from(String::from("héllo")), a);
        assert_eq!(Utf8Bytes::from_static("héllo"), a);
        assert_eq!(
            Utf8Bytes::try_from(Bytes::from_static("héllo".as_bytes())).unwrap(),
            a
        );
        assert!(Utf8Bytes::try_from(Bytes::from_static(&[0xff, 0x41])).is_err());
        assert!(Utf8Bytes::try_from(vec![0xe2, 0x82]).is_err());
        assert_eq!(format!("{a} {a:?}"), "héllo \"héllo\"");
        // Cloning shares the bytes.
        let b = a.clone();
        assert_eq!(a.as_bytes().as_ptr(), b.as_bytes().as_ptr());
    }
}
