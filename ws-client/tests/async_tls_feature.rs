//! `rustls` alone is wss:// for the sync driver: with `tokio` on too but
//! not `tokio-rustls`, an async wss:// connect fails with an error that
//! names the missing feature (it does not hang, and does not fall back to
//! plain TCP). Runs with `--features tokio,rustls`.
#![cfg(all(feature = "tokio", feature = "rustls", not(feature = "tokio-rustls")))]

use sockwell_client::ConnectError;

#[tokio::test]
async fn async_wss_without_the_tokio_rustls_feature_says_which_feature() {
    // A listener that never answers: the TCP connect succeeds (backlog),
    // so the failure is the TLS layer's.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("wss://127.0.0.1:{}/", listener.local_addr().unwrap().port());
    match sockwell_client::connect_async(url.as_str()).await {
        Err(ConnectError::Url(why)) => assert!(why.contains("tokio-rustls"), "{why}"),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("connected without TLS"),
    }
}
