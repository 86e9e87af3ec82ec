//! `sockwell_server::axum` against axum 0.8's `extract::ws`: the
//! subprotocol chosen and answered (HTTP/1.1 and HTTP/2), overridden, or
//! picked by the handshake callback, on a real axum Router on 127.0.0.1.

mod axum_common;

use axum::response::Response;
use axum::routing::any;
use axum::Router;
use axum_common::*;
use sockwell_client::h2::H2Connection;
use sockwell_server::axum::{Message, WebSocketUpgrade};
use tokio::sync::mpsc;

/// Picks among `superchat` and `chat`, says what it chose, then echoes
/// with the loop of the module's example.
async fn chat(ws: WebSocketUpgrade, events: Events) -> Response {
    let ws = ws.config(deflate()).protocols(["superchat", "chat"]);
    let requested = ws.requested_protocols().map(|v| text_of(Some(v)).unwrap());
    events.send(Seen::Requested(requested.collect())).unwrap();
    events
        .send(Seen::Selected(text_of(ws.selected_protocol())))
        .unwrap();
    ws.on_upgrade(move |mut socket| async move {
        let answered = text_of(socket.protocol());
        events.send(Seen::Answered(answered.clone())).unwrap();
        let hello = answered.unwrap_or_else(|| "none".to_owned());
        socket.send(Message::text(hello)).await.unwrap();
        while let Some(Ok(msg)) = socket.recv().await {
            if socket.send(msg).await.is_err() {
                break;
            }
        }
    })
}

fn chat_app(events: Events) -> Router {
    Router::new().route("/chat", any(move |ws| chat(ws, events.clone())))
}

fn answered_header(response: &sockwell_client::Response) -> Option<String> {
    text_of(response.headers().get("sec-websocket-protocol"))
}

#[tokio::test]
async fn selected_protocol_is_the_subprotocol_answered_over_http1() {
    let (events, mut seen) = mpsc::unbounded_channel();
    let addr = serve(chat_app(events)).await;
    within(async {
        // The client prefers chat: the client's first offer that the
        // server lists is the one answered.
        let (mut ws, response) = connect(addr, "/chat", &["chat", "superchat", "other"]).await;
        assert_eq!(answered_header(&response).as_deref(), Some("chat"));
        assert_eq!(ws.read().await.unwrap(), Message::text("chat"));
        ws.send(Message::text("hi")).await.unwrap();
        assert_eq!(ws.read().await.unwrap(), Message::text("hi"));
        ws.close(None).await.unwrap();
        let requested = ["chat", "superchat", "other"].map(String::from).to_vec();
        assert_eq!(seen.recv().await, Some(Seen::Requested(requested)));
        assert_eq!(seen.recv().await, Some(Seen::Selected(Some("chat".into()))));
        assert_eq!(seen.recv().await, Some(Seen::Answered(Some("chat".into()))));

        // No offer the server lists: nothing selected, nothing answered.
        let (mut ws, response) = connect(addr, "/chat", &["other"]).await;
        assert_eq!(answered_header(&response), None);
        assert_eq!(ws.read().await.unwrap(), Message::text("none"));
        ws.close(None).await.unwrap();
        assert_eq!(
            seen.recv().await,
            Some(Seen::Requested(vec!["other".into()]))
        );
        assert_eq!(seen.recv().await, Some(Seen::Selected(None)));
        assert_eq!(seen.recv().await, Some(Seen::Answered(None)));
    })
    .await;
}

#[tokio::test]
async fn selected_protocol_is_the_subprotocol_answered_over_http2() {
    let (events, mut seen) = mpsc::unbounded_channel();
    let addr = serve(chat_app(events)).await;
    within(async {
        let connection = H2Connection::connect(&format!("ws://{addr}"), None)
            .await
            .unwrap();
        let (mut ws, response) = connection
            .open(
                format!("ws://{addr}/chat").as_str(),
                client_config(&["superchat"]),
            )
            .await
            .unwrap();
        assert_eq!(answered_header(&response).as_deref(), Some("superchat"));
        assert_eq!(ws.read().await.unwrap(), Message::text("superchat"));
        ws.close(None).await.unwrap();
        assert_eq!(
            seen.recv().await,
            Some(Seen::Requested(vec!["superchat".into()]))
        );
        assert_eq!(
            seen.recv().await,
            Some(Seen::Selected(Some("superchat".into())))
        );
        assert_eq!(
            seen.recv().await,
            Some(Seen::Answered(Some("superchat".into())))
        );
    })
    .await;
}

#[tokio::test]
async fn set_selected_protocol_overrides_the_choice() {
    let app = Router::new().route(
        "/ws",
        any(|ws: WebSocketUpgrade| async move {
            let mut ws = ws.protocols(["a"]);
            assert_eq!(text_of(ws.selected_protocol()).as_deref(), Some("a"));
            ws.set_selected_protocol(axum::http::HeaderValue::from_static("b"));
            ws.on_upgrade(|mut socket| async move {
                let answered = text_of(socket.protocol()).unwrap_or_default();
                let _ = socket.send(Message::text(answered)).await;
            })
        }),
    );
    let addr = serve(app).await;
    within(async {
        let (mut ws, response) = connect(addr, "/ws", &["a", "b"]).await;
        assert_eq!(answered_header(&response).as_deref(), Some("b"));
        assert_eq!(ws.read().await.unwrap(), Message::text("b"));
    })
    .await;
}

#[tokio::test]
async fn protocol_follows_a_subprotocol_chosen_by_the_handshake_callback() {
    let app = Router::new().route(
        "/ws",
        any(|ws: WebSocketUpgrade| async move {
            // Nothing listed, so nothing selected before the callback runs.
            assert_eq!(ws.selected_protocol(), None);
            let choose = |_: &axum::http::Request<()>, mut response: axum::http::Response<()>| {
                let value = axum::http::HeaderValue::from_static("picked");
                response
                    .headers_mut()
                    .insert("sec-websocket-protocol", value);
                Ok(response)
            };
            ws.on_upgrade_with(choose, |mut socket| async move {
                let answered = text_of(socket.protocol()).unwrap_or_default();
                let _ = socket.send(Message::text(answered)).await;
            })
        }),
    );
    let addr = serve(app).await;
    within(async {
        let (mut ws, response) = connect(addr, "/ws", &["picked"]).await;
        assert_eq!(answered_header(&response).as_deref(), Some("picked"));
        assert_eq!(ws.read().await.unwrap(), Message::text("picked"));
    })
    .await;
}
