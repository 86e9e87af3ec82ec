//! The Close payload parser (RFC 6455 §5.5.1, §7.4) against the rules
//! written out here: empty is no status; one byte is 1002; a code outside
//! 1000-1003, 1007-1014, 3000-4999 is 1002; a reason that is not UTF-8 is
//! 1007; anything else is the code and the reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockwell_core::CloseFrame;

fuzz_target!(|data: &[u8]| {
    let parsed = CloseFrame::parse(data);
    match data {
        [] => assert!(matches!(parsed, Ok(None))),
        [_] => assert_eq!(parsed.unwrap_err().close_code().as_u16(), 1002),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            match (valid, std::str::from_utf8(reason)) {
                (false, _) => assert_eq!(parsed.unwrap_err().close_code().as_u16(), 1002),
                (true, Err(_)) => assert_eq!(parsed.unwrap_err().close_code().as_u16(), 1007),
                (true, Ok(text)) => {
                    let frame = parsed.unwrap().expect("a status code");
                    assert_eq!(frame.code.as_u16(), code);
                    assert_eq!(frame.reason, text);
                }
            }
        }
    }
});
