//! The json example: typed requests answered; a malformed one refused with
//! Close 1007, a binary one with Close 1003.

use sockwell_client::{
    connect_async, AsyncMaybeTlsStream, CloseCode, CloseFrame, Message, WebSocketStream, WsError,
};
use sockwell_examples::json::{serve, Reply, Request};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::timeout;

type Ws = WebSocketStream<AsyncMaybeTlsStream<TcpStream>>;
const BOUND: Duration = Duration::from_secs(30);

async fn connect() -> Ws {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    tokio::spawn(serve(listener));
    connect_async(url).await.unwrap().0
}

async fn ask(ws: &mut Ws, request: &Request) -> Reply {
    let text = serde_json::to_string(request).unwrap();
    ws.send(Message::text(text)).await.unwrap();
    let reply = timeout(BOUND, ws.read()).await.unwrap().unwrap();
    serde_json::from_str(reply.as_text().expect("a text reply")).unwrap()
}

/// The Close the server sent; then the connection is over.
async fn refused(ws: &mut Ws) -> CloseFrame {
    let frame = match timeout(BOUND, ws.read()).await.unwrap().unwrap() {
        Message::Close(frame) => frame.expect("a Close with a code"),
        other => panic!("{other:?}"),
    };
    let end = timeout(BOUND, ws.read()).await.unwrap();
    assert!(matches!(end, Err(WsError::ConnectionClosed)), "{end:?}");
    frame
}

#[tokio::test]
async fn requests_are_answered_and_a_malformed_one_is_closed_with_1007() {
    let mut ws = connect().await;
    assert_eq!(
        ask(&mut ws, &Request::Add { a: 2, b: 3 }).await,
        Reply::Sum { value: 5 }
    );
    let upper = Request::Upper {
        text: "héllo".into(),
    };
    assert_eq!(
        ask(&mut ws, &upper).await,
        Reply::Upper {
            text: "HÉLLO".into()
        }
    );
    // A valid request that fails is answered; the connection stays.
    let overflow = Request::Add { a: i64::MAX, b: 1 };
    assert!(matches!(ask(&mut ws, &overflow).await, Reply::Error { .. }));
    // The wire format, as a client in another language would write it.
    ws.send(Message::text(r#"{"type":"add","a":40,"b":2}"#))
        .await
        .unwrap();
    let reply = timeout(BOUND, ws.read()).await.unwrap().unwrap();
    assert_eq!(reply.as_text(), Some(r#"{"type":"sum","value":42}"#));

    // A field missing: not a request.
    ws.send(Message::text(r#"{"type":"add","a":1}"#))
        .await
        .unwrap();
    let frame = refused(&mut ws).await;
    assert_eq!(frame.code, CloseCode::INVALID_PAYLOAD);
    assert!(
        frame
            .reason
            .starts_with("invalid request: missing field `b`"),
        "{}",
        frame.reason
    );
}

#[tokio::test]
async fn a_binary_message_is_closed_with_1003() {
    let mut ws = connect().await;
    ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    let frame = refused(&mut ws).await;
    assert_eq!(frame.code, CloseCode::UNSUPPORTED_DATA);
    assert!(frame.reason.contains("binary"), "{}", frame.reason);
}

#[tokio::test]
async fn a_long_error_is_cut_to_fit_the_close_frame() {
    let mut ws = connect().await;
    // serde's message quotes the unknown variant: longer than 123 bytes.
    let name = "é".repeat(100);
    ws.send(Message::text(format!(r#"{{"type":"{name}"}}"#)))
        .await
        .unwrap();
    let frame = refused(&mut ws).await;
    assert_eq!(frame.code, CloseCode::INVALID_PAYLOAD);
    assert!(
        frame.reason.len() <= 123 && frame.reason.len() > 100,
        "{}",
        frame.reason
    );
}
