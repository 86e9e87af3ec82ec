//! `rustls` (the sync driver's wss://) with `tokio-native-tls` (the async
//! one's): an async wss:// connect takes native-tls, the backend whose async
//! adapter is on, instead of failing for want of `tokio-rustls`. Runs with
//! `--features rustls,tokio-native-tls`.
#![cfg(all(
    feature = "rustls",
    feature = "tokio-native-tls",
    not(feature = "tokio-rustls")
))]

use sockwell_client::ConnectError;
use std::io::Write;

#[tokio::test]
async fn async_wss_with_rustls_and_tokio_native_tls_connects_with_native_tls() {
    // A server that answers the TLS ClientHello with plain HTTP: the TLS
    // handshake (native-tls's) fails at once.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("wss://127.0.0.1:{}/", listener.local_addr().unwrap().port());
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    });
    match sockwell_client::connect_async(url.as_str()).await {
        Err(ConnectError::Tls { host, .. }) => assert_eq!(host, "127.0.0.1"),
        Err(other) => panic!("expected native-tls's handshake error, got: {other}"),
        Ok(_) => panic!("connected to a server that speaks no TLS"),
    }
    server.join().unwrap();
}
