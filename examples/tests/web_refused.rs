//! The web framework glue, what must be refused and how: invalid upgrades
//! (405/426/400) and foreign origins (403) on both HTTP versions, a server
//! without extended CONNECT, and a refusal's status through the HTTP/2
//! client.

mod web_common;

use web_common::*;

use hyper_util::rt::{TokioExecutor, TokioIo};
use sockwell_client::h2::H2Connection;
use tokio::net::TcpListener;

#[tokio::test]
async fn invalid_upgrades_get_the_right_status_on_both_versions() {
    for addr in [serve_axum().await, serve_hyper(None).await] {
        let run = async {
            // HTTP/1.1
            let (status, _) =
                raw_http1(addr, &http1_request("GET", &[], &["Sec-WebSocket-Key"])).await;
            assert_eq!(status, "HTTP/1.1 400 Bad Request");
            let (status, answer) = raw_http1(addr, &http1_request("POST", &[], &[])).await;
            assert_eq!(status, "HTTP/1.1 405 Method Not Allowed", "{answer}");
            assert!(
                answer.to_ascii_lowercase().contains("allow: get"),
                "{answer}"
            );
            let (status, answer) = raw_http1(
                addr,
                &http1_request(
                    "GET",
                    &["Sec-WebSocket-Version: 8"],
                    &["Sec-WebSocket-Version"],
                ),
            )
            .await;
            assert_eq!(status, "HTTP/1.1 426 Upgrade Required", "{answer}");
            assert!(answer
                .to_ascii_lowercase()
                .contains("sec-websocket-version: 13"));

            // HTTP/2
            let version = [("sec-websocket-version", "13")];
            let r = raw_http2(addr, "GET", None, &version).await;
            assert_eq!(r.status(), 405);
            assert_eq!(r.headers()["allow"], "CONNECT");
            let r = raw_http2(addr, "CONNECT", Some("not-websocket"), &version).await;
            assert_eq!(r.status(), 400);
            let r = raw_http2(
                addr,
                "CONNECT",
                Some("websocket"),
                &[("sec-websocket-version", "8")],
            )
            .await;
            assert_eq!(r.status(), 426);
            let r = raw_http2(addr, "CONNECT", Some("websocket"), &version).await;
            assert_eq!(r.status(), 200, "a valid request for contrast");
        };
        tokio::time::timeout(LIMIT, run).await.unwrap();
    }
}

#[tokio::test]
async fn a_foreign_origin_is_403_on_both_versions() {
    for addr in [serve_axum().await, serve_hyper(None).await] {
        let run = async {
            let (status, answer) = raw_http1(
                addr,
                &http1_request("GET", &["Origin: https://evil.example"], &[]),
            )
            .await;
            assert_eq!(status, "HTTP/1.1 403 Forbidden", "{answer}");
            assert!(answer.contains("origin \"https://evil.example\" is not allowed"));
            let (status, _) = raw_http1(
                addr,
                &http1_request("GET", &["Origin: https://app.example"], &[]),
            )
            .await;
            assert_eq!(status, "HTTP/1.1 101 Switching Protocols");

            let evil = [
                ("sec-websocket-version", "13"),
                ("origin", "https://evil.example"),
            ];
            let r = raw_http2(addr, "CONNECT", Some("websocket"), &evil).await;
            assert_eq!(r.status(), 403);
            let good = [
                ("sec-websocket-version", "13"),
                ("origin", "https://app.example"),
            ];
            let r = raw_http2(addr, "CONNECT", Some("websocket"), &good).await;
            assert_eq!(r.status(), 200);
        };
        tokio::time::timeout(LIMIT, run).await.unwrap();
    }
}

#[tokio::test]
async fn a_server_without_extended_connect_is_refused_clearly() {
    // An HTTP/2 server that does not send SETTINGS_ENABLE_CONNECT_PROTOCOL.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
                let _ = builder
                    .serve_connection(TokioIo::new(tcp), hyper::service::service_fn(hyper_service))
                    .await;
            });
        }
    });
    let result = tokio::time::timeout(LIMIT, H2Connection::connect(&format!("ws://{addr}"), None))
        .await
        .unwrap();
    let err = result.unwrap_err();
    assert!(
        matches!(err, sockwell_client::ConnectError::ExtendedConnectDisabled),
        "{err:?}"
    );
    assert!(err.to_string().contains("SETTINGS_ENABLE_CONNECT_PROTOCOL"));
}

#[tokio::test]
async fn the_http2_client_reports_a_refusal_with_its_status() {
    let addr = serve_axum().await;
    let run = async {
        let connection = H2Connection::connect(&format!("ws://{addr}"), None)
            .await
            .unwrap();
        let request = hyper::Request::builder()
            .uri(format!("ws://{addr}/ws"))
            .header("origin", "https://evil.example")
            .body(())
            .unwrap();
        let err = connection.open(request, client_config()).await.unwrap_err();
        match &err {
            sockwell_client::ConnectError::Handshake(
                sockwell_client::HandshakeError::UnexpectedStatus(response),
            ) => {
                assert_eq!(response.status(), 403)
            }
            other => panic!("{other:?}"),
        }
        // The connection stays usable for the next WebSocket.
        let (mut ws, _) = connection
            .open(format!("ws://{addr}/ws").as_str(), client_config())
            .await
            .unwrap();
        check_echo(&mut ws, "http2").await;
    };
    tokio::time::timeout(LIMIT, run).await.unwrap();
}
