//! The web framework glue, what must work: the axum extractor and the
//! hyper helper over HTTP/1.1 and HTTP/2 (RFC 8441; TLS with ALPN and
//! cleartext prior knowledge), with permessage-deflate, against our
//! HTTP/1.1 and HTTP/2 clients; several WebSockets on one HTTP/2
//! connection; subprotocols. The refusals are in `web_refused.rs`.

mod web_common;

use web_common::*;

use sockwell_client::h2::H2Connection;
use sockwell_server::Message;

#[tokio::test]
async fn axum_http1_echo_with_deflate() {
    let addr = serve_axum().await;
    let url = format!("ws://{addr}/ws");
    let run = async {
        let (mut ws, response) = sockwell_client::ClientBuilder::new(url.as_str())
            .config(client_config())
            .connect_async()
            .await
            .unwrap();
        assert!(agreed_deflate(&response), "{response:?}");
        check_echo(&mut ws, "http1.1").await;
        ws.close(None).await.unwrap();
    };
    tokio::time::timeout(LIMIT, run).await.unwrap();
}

#[tokio::test]
async fn axum_http2_prior_knowledge_three_websockets_on_one_connection() {
    let addr = serve_axum().await;
    let run = async {
        let connection = H2Connection::connect(&format!("ws://{addr}"), None)
            .await
            .unwrap();
        let mut sockets = Vec::new();
        for _ in 0..3 {
            let (ws, response) = connection
                .open(format!("ws://{addr}/ws").as_str(), client_config())
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            assert!(agreed_deflate(&response), "{response:?}");
            sockets.push(ws);
        }
        // All three open at once, used in turn and then together.
        for ws in &mut sockets {
            check_echo(ws, "http2").await;
        }
        let mut tasks = Vec::new();
        for (i, mut ws) in sockets.into_iter().enumerate() {
            tasks.push(tokio::spawn(async move {
                for round in 0..20 {
                    let m = Message::text(format!("socket {i} round {round}"));
                    ws.send(m.clone()).await.unwrap();
                    assert_eq!(ws.read().await.unwrap(), m);
                }
                ws.close(None).await.unwrap();
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    };
    tokio::time::timeout(LIMIT, run).await.unwrap();
}

#[tokio::test]
async fn hyper_helper_over_tls_http2_and_http1() {
    let (acceptor, connector) = tls_pair();
    let addr = serve_hyper(Some(acceptor)).await;
    echo_over_tls_on_both_versions(addr.port(), connector, 3).await;
}

#[tokio::test]
async fn hyper_helper_cleartext_http2_and_http1() {
    let addr = serve_hyper(None).await;
    let run = async {
        let (_connection, mut ws, response) =
            sockwell_client::ClientBuilder::new(format!("ws://{addr}/ws").as_str())
                .config(client_config())
                .connect_h2()
                .await
                .unwrap();
        assert!(agreed_deflate(&response));
        check_echo(&mut ws, "http2").await;
        let (mut ws, _) = sockwell_client::ClientBuilder::new(format!("ws://{addr}/ws").as_str())
            .config(client_config())
            .connect_async()
            .await
            .unwrap();
        check_echo(&mut ws, "http1.1").await;
    };
    tokio::time::timeout(LIMIT, run).await.unwrap();
}

#[tokio::test]
async fn axum_over_tls_http2_and_http1() {
    let (acceptor, connector) = tls_pair();
    let port = serve_axum_tls(acceptor).await.port();
    echo_over_tls_on_both_versions(port, connector, 1).await;
}

#[tokio::test]
async fn the_extractor_picks_a_subprotocol_on_both_versions() {
    let addr = serve_axum().await;
    let mut config = client_config();
    config.subprotocols = vec!["mqtt".into(), "chat".into()];
    let run = async {
        let (mut ws, response) =
            sockwell_client::ClientBuilder::new(format!("ws://{addr}/chat").as_str())
                .config(config.clone())
                .connect_async()
                .await
                .unwrap();
        assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
        check_echo(&mut ws, "http1.1").await;
        let (_connection, mut ws, response) =
            sockwell_client::ClientBuilder::new(format!("ws://{addr}/chat").as_str())
                .config(config)
                .connect_h2()
                .await
                .unwrap();
        assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
        check_echo(&mut ws, "http2").await;
        // No common subprotocol: the upgrade goes on without one.
        let (_, response) = sockwell_client::ClientBuilder::new(format!("ws://{addr}/ws").as_str())
            .config(client_config())
            .connect_async()
            .await
            .unwrap();
        assert!(response.headers().get("sec-websocket-protocol").is_none());
    };
    tokio::time::timeout(LIMIT, run).await.unwrap();
}
