//! The server's Origin policy (cross-site WebSocket hijacking): a foreign
//! Origin is refused with 403 before upgrading; allowed or absent ones
//! upgrade; an invalid request is a 400 whatever its Origin.

mod common;

use common::parse_head;
use common::server::{reject_with, run, without, BAD_REQUEST};
use sockwell_handshake::{HandshakeError, NoCallback, ServerConfig};

fn app_only() -> ServerConfig {
    ServerConfig::default().with_origins(sockwell_handshake::OriginPolicy::allowed([
        "https://app.example",
    ]))
}

#[test]
fn a_foreign_origin_is_403_before_upgrading() {
    const FORBIDDEN: &str = "HTTP/1.1 403 Forbidden";
    let input = without(&[], &["Origin: https://evil.example"]);
    let (err, _) = reject_with(input, app_only(), FORBIDDEN);
    assert!(
        matches!(&err, HandshakeError::ForbiddenOrigin(Some(o)) if o == "https://evil.example"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "origin \"https://evil.example\" is not allowed"
    );

    // Two Origin headers: no single origin to judge.
    let input = without(
        &[],
        &[
            "Origin: https://app.example",
            "Origin: https://evil.example",
        ],
    );
    let (err, _) = reject_with(input, app_only(), FORBIDDEN);
    assert!(matches!(err, HandshakeError::ForbiddenOrigin(_)), "{err:?}");

    // A list that does not take requests without Origin.
    let strict = ServerConfig::default().with_origins(sockwell_handshake::OriginPolicy::Only {
        origins: vec!["https://app.example".into()],
        allow_missing: false,
    });
    let (err, _) = reject_with(without(&[], &[]), strict, FORBIDDEN);
    assert!(
        matches!(err, HandshakeError::ForbiddenOrigin(None)),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "origin (none) is not allowed");
}

#[test]
fn an_allowed_origin_or_none_upgrades() {
    for extra in [
        &["Origin: https://app.example"][..],
        &["Origin: HTTPS://APP.example"],
        &[],
    ] {
        let (result, written) = run(without(&[], extra), NoCallback, app_only());
        assert!(result.is_ok(), "{extra:?}: {result:?}");
        assert_eq!(
            parse_head(&written).start_line,
            "HTTP/1.1 101 Switching Protocols"
        );
    }
    // The default policy takes any origin.
    let (result, _) = run(
        without(&[], &["Origin: https://evil.example"]),
        NoCallback,
        ServerConfig::default(),
    );
    assert!(result.is_ok());
}

#[test]
fn an_invalid_upgrade_is_400_whatever_its_origin() {
    // Validity is judged first: a broken request from a foreign origin is
    // still a 400, so the status tells the client what to fix.
    let input = without(&["Sec-WebSocket-Key"], &["Origin: https://evil.example"]);
    let (err, _) = reject_with(input, app_only(), BAD_REQUEST);
    assert!(matches!(err, HandshakeError::MissingHeader(_)), "{err:?}");
}
