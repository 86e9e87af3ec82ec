//! The four parameters of RFC 7692 §7.1, parsed from offers and responses.

use sockwell_extensions::ExtensionOffer;

/// The extension token (RFC 7692 §7).
pub const NAME: &str = "permessage-deflate";

/// The parameters one offer or response carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Params {
    pub server_no_context_takeover: bool,
    pub client_no_context_takeover: bool,
    /// `Some(bits)`: present with that value.
    pub server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value (only valid in an offer).
    pub client_max_window_bits: Option<Option<u8>>,
}

impl Params {
    /// Reads an offer or response. Unknown or repeated parameters, values on
    /// the flags, and window bits that are not 8..=15 written without
    /// leading zeros (§7.1.2.1: `%x38-39 / %x31 %x30-35`) are errors.
    pub(crate) fn parse(item: &ExtensionOffer) -> Result<Params, String> {
        let mut p = Params::default();
        let mut seen: Vec<&str> = Vec::new();
        for param in &item.params {
            let name = param.name.as_str();
            if seen.contains(&name) {
                return Err(format!("parameter {name} appears more than once"));
            }
            seen.push(name);
            let value = param.value.as_deref();
            match name {
                "server_no_context_takeover" | "client_no_context_takeover" => {
                    if value.is_some() {
                        return Err(format!("{name} takes no value"));
                    }
                    if name.starts_with("server") {
                        p.server_no_context_takeover = true;
                    } else {
                        p.client_no_context_takeover = true;
                    }
                }
                "server_max_window_bits" => {
                    let v = value.ok_or("server_max_window_bits needs a value")?;
                    p.server_max_window_bits = Some(window_bits(v)?);
                }
                "client_max_window_bits" => {
                    p.client_max_window_bits = Some(value.map(window_bits).transpose()?);
                }
                other => return Err(format!("unknown parameter {other}")),
            }
        }
        Ok(p)
    }

    /// The element for a header.
    pub(crate) fn to_offer(self) -> ExtensionOffer {
        let mut item = ExtensionOffer::new(NAME);
        if self.server_no_context_takeover {
            item = item.with_param("server_no_context_takeover", None);
        }
        if self.client_no_context_takeover {
            item = item.with_param("client_no_context_takeover", None);
        }
        if let Some(bits) = self.server_max_window_bits {
            item = item.with_param("server_max_window_bits", Some(bits.to_string()));
        }
        if let Some(bits) = self.client_max_window_bits {
            item = item.with_param("client_max_window_bits", bits.map(|b| b.to_string()));
        }
        item
    }
}

fn window_bits(value: &str) -> Result<u8, String> {
    match value {
        "8" | "9" | "10" | "11" | "12" | "13" | "14" | "15" => value
            .parse()
            .map_err(|e: std::num::ParseIntError| e.to_string()),
        _ => Err(format!("window bits {value:?} is not 8..15")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockwell_extensions::parse_extensions;

    fn parse(s: &str) -> Result<Params, String> {
        let items = parse_extensions([s.as_bytes()]).unwrap();
        Params::parse(&items[0])
    }

    #[test]
    fn reads_every_parameter() {
        let p = parse(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits",
        )
        .unwrap();
        assert!(p.server_no_context_takeover && p.client_no_context_takeover);
        assert_eq!(p.server_max_window_bits, Some(10));
        assert_eq!(p.client_max_window_bits, Some(None));
        assert_eq!(Params::parse(&p.to_offer()).unwrap(), p);
        assert_eq!(
            parse("permessage-deflate; client_max_window_bits=\"8\"")
                .unwrap()
                .client_max_window_bits,
            Some(Some(8))
        );
    }

    #[test]
    fn refuses_duplicates_unknown_and_bad_values() {
        for bad in [
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; client_max_window_bits=10; client_max_window_bits=11",
            "permessage-deflate; foo",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=010",
            "permessage-deflate; client_max_window_bits=abc",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
