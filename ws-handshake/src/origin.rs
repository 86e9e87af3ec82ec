//! Which `Origin`s may open a WebSocket: the defence against cross-site
//! WebSocket hijacking.
//!
//! A browser sends the user's cookies (and HTTP authentication) with a
//! WebSocket upgrade whatever page opens it, and the same-origin policy
//! does not guard WebSockets: a page on `https://evil.example` can open a
//! WebSocket to `wss://bank.example/ws` in the user's name and read every
//! answer. What the browser always adds is the opening page's `Origin`
//! (RFC 6455 §10.2, RFC 6454), which scripts cannot forge. A server that
//! authenticates WebSockets by cookie must therefore refuse foreign
//! origins; it answers them 403 before upgrading.
//!
//! Clients other than browsers usually send no `Origin` (and could send
//! any): the header says nothing about them. [`OriginPolicy::allowed`]
//! lets them in by default, since refusing them protects no browser user.

use std::fmt;
use std::sync::Arc;

/// The function behind [`OriginPolicy::Check`]: given the `Origin` header
/// (`None` when absent), whether the request may open a WebSocket.
pub type OriginCheck = Arc<dyn Fn(Option<&str>) -> bool + Send + Sync>;

/// Which `Origin`s may open a WebSocket on a server
/// ([`ServerConfig::origins`](crate::ServerConfig::origins)). Refused
/// requests are answered `403 Forbidden` and fail with
/// [`HandshakeError::ForbiddenOrigin`](crate::HandshakeError::ForbiddenOrigin).
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum OriginPolicy {
    /// Every request, whatever its `Origin` (the default; right for
    /// servers whose clients are not browsers, or that authenticate in the
    /// WebSocket itself rather than by cookie).
    #[default]
    Any,
    /// Only these origins, each `scheme://host[:port]` as browsers send it
    /// (compared ASCII case-insensitively, so `https://App.Example` matches
    /// `https://app.example`); with `allow_missing`, requests without an
    /// `Origin` header too.
    Only {
        /// The allowed origins.
        origins: Vec<String>,
        /// Whether a request without `Origin` (not a browser) is allowed.
        allow_missing: bool,
    },
    /// Decided by a function of the `Origin` header (`None` when absent).
    Check(OriginCheck),
}

impl OriginPolicy {
    /// Only `origins`, and requests without an `Origin` header (clients that
    /// are not browsers).
    pub fn allowed<I, S>(origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        OriginPolicy::Only {
            origins: origins.into_iter().map(Into::into).collect(),
            allow_missing: true,
        }
    }

    /// Decided by `check`, given the `Origin` header (`None` when absent).
    pub fn check(check: impl Fn(Option<&str>) -> bool + Send + Sync + 'static) -> Self {
        OriginPolicy::Check(Arc::new(check))
    }

    /// Whether a request with this `Origin` (`None`: no header) may open a
    /// WebSocket.
    pub fn allows(&self, origin: Option<&str>) -> bool {
        match self {
            OriginPolicy::Any => true,
            OriginPolicy::Only {
                origins,
                allow_missing,
            } => match origin {
                None => *allow_missing,
                Some(origin) => origins.iter().any(|o| o.eq_ignore_ascii_case(origin)),
            },
            OriginPolicy::Check(check) => check(origin),
        }
    }
}

impl fmt::Debug for OriginPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginPolicy::Any => f.write_str("Any"),
            OriginPolicy::Only {
                origins,
                allow_missing,
            } => f
                .debug_struct("Only")
                .field("origins", origins)
                .field("allow_missing", allow_missing)
                .finish(),
            OriginPolicy::Check(_) => f.write_str("Check(..)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_allows_everything() {
        assert!(OriginPolicy::Any.allows(None));
        assert!(OriginPolicy::Any.allows(Some("https://evil.example")));
    }

    #[test]
    fn a_list_compares_whole_origins_without_case() {
        let policy = OriginPolicy::allowed(["https://app.example", "http://localhost:8080"]);
        assert!(policy.allows(Some("https://app.example")));
        assert!(policy.allows(Some("HTTPS://APP.EXAMPLE")));
        assert!(policy.allows(Some("http://localhost:8080")));
        assert!(policy.allows(None), "clients that are not browsers");
        for foreign in [
            "https://evil.example",
            "http://app.example",
            "https://app.example:8443",
            "https://app.example.evil.example",
            "null",
            "",
        ] {
            assert!(!policy.allows(Some(foreign)), "{foreign}");
        }
        let strict = OriginPolicy::Only {
            origins: vec!["https://app.example".into()],
            allow_missing: false,
        };
        assert!(!strict.allows(None));
    }

    #[test]
    fn a_check_sees_the_header() {
        let policy = OriginPolicy::check(|o| o.is_some_and(|o| o.ends_with(".corp.example")));
        assert!(policy.allows(Some("https://wiki.corp.example")));
        assert!(!policy.allows(Some("https://corp.example.evil")));
        assert!(!policy.allows(None));
    }
}
