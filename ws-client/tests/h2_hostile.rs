//! The HTTP/2 client against hostile servers, written here with the h2
//! crate's server side: one that pushes, one whose answer carries a 1 MiB
//! header list or more fields than allowed, ones that never answer the
//! PING or the SETTINGS; and the `:authority` a server sees for a URL with
//! `user:password@`.
//!
//! Each server runs on a thread and a runtime of its own, so that the
//! client's allocations can be counted apart (a counting allocator keeps
//! per-thread figures; the client runs on the test's current-thread
//! runtime, its HTTP/2 connection task included).
#![cfg(feature = "h2")]

use bytes::Bytes;
use sockwell_client::h2::H2Connection;
use sockwell_client::http::{Request, Response};
use sockwell_client::ClientBuilder;
use sockwell_client::{ClientConfig, ConnectError, HandshakeError, Message};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The handshake deadline of the timeout tests.
const DEADLINE: Duration = Duration::from_millis(500);
/// Bound on every wait: far above what any of this takes on a quiet machine.
const PATIENCE: Duration = Duration::from_secs(10);

/// Counts, per thread, the bytes allocated and not yet freed, and their
/// peak since [`reset_peak`].
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    // try_with: allocations also happen while a thread's locals are torn down.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

/// Starts a peak measurement on this thread; returns the bytes live now.
fn reset_peak() -> isize {
    let live = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(live));
    live
}

// SAFETY: every call goes to the system allocator unchanged; the counting
// touches only const-initialized thread locals, which neither allocate nor
// have destructors.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Serves one TCP connection with `serve`, on a thread and a runtime of
/// its own; returns the address to connect to.
fn server<F, Fut>(serve: F) -> SocketAddr
where
    F: FnOnce(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let (tcp, _) = listener.accept().await.unwrap();
            serve(tcp).await;
        });
    });
    addr
}

/// The server side of HTTP/2 with extended CONNECT on, its first request,
/// and the connection driven in a task of its own from then on.
async fn accept_first(
    tcp: tokio::net::TcpStream,
) -> (Request<h2::RecvStream>, h2::server::SendResponse<Bytes>) {
    let mut connection = h2::server::Builder::new()
        .enable_connect_protocol()
        .handshake::<_, Bytes>(tcp)
        .await
        .unwrap();
    let (request, respond) = connection.accept().await.unwrap().unwrap();
    tokio::spawn(async move { while let Some(Ok(_)) = connection.accept().await {} });
    (request, respond)
}

#[tokio::test]
async fn the_client_refuses_server_push() {
    let (pushed_tx, pushed) = mpsc::channel();
    let addr = server(|tcp| async move {
        let (_request, mut respond) = accept_first(tcp).await;
        let mut send = respond.send_response(Response::new(()), false).unwrap();
        // A server that starts streams of its own: push (the only way an
        // HTTP/2 server can start one), with a body the client would hold.
        let push = Request::get("http://localhost/pushed").body(()).unwrap();
        let pushed = match respond.push_request(push) {
            Ok(mut promised) => {
                let mut body = promised.send_response(Response::new(()), false).unwrap();
                let _ = body.send_data(Bytes::from(vec![0; 60_000]), true);
                Ok(())
            }
            Err(e) => Err(e.to_string()),
        };
        pushed_tx.send(pushed).unwrap();
        // An unmasked binary frame "hi": the WebSocket works on.
        send.send_data(Bytes::from_static(b"\x82\x02hi"), false)
            .unwrap();
        std::future::pending::<()>().await;
    });
    let (_connection, mut ws, response) = tokio::time::timeout(
        PATIENCE,
        ClientBuilder::new(format!("ws://{addr}/").as_str()).connect_h2(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(response.status(), 200);
    let message = tokio::time::timeout(PATIENCE, ws.read()).await.unwrap();
    assert_eq!(message.unwrap(), Message::binary(&b"hi"[..]));
    // Our SETTINGS said SETTINGS_ENABLE_PUSH 0: the server's h2 refuses to
    // send a PUSH_PROMISE at all.
    let pushed = pushed.recv_timeout(PATIENCE).unwrap();
    let refusal = pushed.expect_err("the server could push");
    assert!(refusal.contains("disabled server push"), "{refusal}");
}

#[tokio::test]
async fn a_1_mib_header_list_fails_within_the_head_limit() {
    let addr = server(|tcp| async move {
        let (_request, mut respond) = accept_first(tcp).await;
        let mut response = Response::new(());
        let value = "a".repeat(1000);
        for i in 0..1024 {
            let name = format!("x-pad-{i}");
            response.headers_mut().insert(
                sockwell_client::http::HeaderName::try_from(name).unwrap(),
                value.parse().unwrap(),
            );
        }
        let _send = respond.send_response(response, false);
        std::future::pending::<()>().await;
    });
    let config = ClientConfig::default();
    let limit = config.limits.max_head_size;
    let before = reset_peak();
    let result = tokio::time::timeout(
        PATIENCE,
        ClientBuilder::new(format!("ws://{addr}/").as_str())
            .config(config)
            .connect_h2(),
    )
    .await
    .unwrap();
    let peak = PEAK.with(Cell::get) - before;
    match result {
        Err(ConnectError::Http2AnswerRefused { max_head_size, .. }) => {
            assert_eq!(max_head_size, limit)
        }
        Err(ConnectError::Handshake(HandshakeError::HeadTooLarge { max })) => {
            assert_eq!(max, limit)
        }
        other => panic!("not a header-list error: {other:?}"),
    }
    // The whole connection, its buffers and h2's state, in less than a
    // quarter of the header list the server sent.
    assert!(peak < 256 << 10, "the client held {peak} bytes at its peak");
}

#[tokio::test]
async fn more_header_fields_than_max_headers_fail() {
    let addr = server(|tcp| async move {
        let (_request, mut respond) = accept_first(tcp).await;
        let mut response = Response::new(());
        // 100 short fields: 4 KiB of header list, under max_head_size.
        for i in 0..100 {
            let name = format!("x-field-{i}");
            response.headers_mut().insert(
                sockwell_client::http::HeaderName::try_from(name).unwrap(),
                "1".parse().unwrap(),
            );
        }
        let _send = respond.send_response(response, false);
        std::future::pending::<()>().await;
    });
    let config = ClientConfig::default();
    let max_headers = config.limits.max_headers;
    let result = tokio::time::timeout(
        PATIENCE,
        ClientBuilder::new(format!("ws://{addr}/").as_str())
            .config(config)
            .connect_h2(),
    )
    .await
    .unwrap();
    match result {
        Err(ConnectError::Handshake(HandshakeError::TooManyHeaders { max })) => {
            assert_eq!(max, max_headers)
        }
        other => panic!("not TooManyHeaders: {other:?}"),
    }
}

#[tokio::test]
async fn a_server_that_never_answers_the_ping_meets_the_deadline() {
    let (done_tx, done) = mpsc::channel::<()>();
    let addr = server(|tcp| async move {
        // Its SETTINGS are sent, then nothing is read again: our PING
        // (and SETTINGS) are never answered.
        let _connection = h2::server::handshake(tcp).await.unwrap();
        let _ = tokio::task::spawn_blocking(move || done.recv_timeout(PATIENCE)).await;
    });
    let config = ClientConfig::default().with_handshake_timeout(Some(DEADLINE));
    let started = Instant::now();
    let result = tokio::time::timeout(
        PATIENCE,
        ClientBuilder::new(format!("ws://{addr}/").as_str())
            .config(config)
            .connect_h2(),
    )
    .await
    .expect("no timeout within PATIENCE");
    let took = started.elapsed();
    drop(done_tx);
    match result {
        Err(ConnectError::Handshake(HandshakeError::Timeout(limit))) => assert_eq!(limit, DEADLINE),
        other => panic!("not the handshake timeout: {other:?}"),
    }
    assert!(took >= DEADLINE, "failed before the deadline: {took:?}");
}

#[tokio::test]
async fn a_server_that_never_sends_settings_meets_the_deadline() {
    let (done_tx, done) = mpsc::channel::<()>();
    let addr = server(|tcp| async move {
        // Accepted, never read from nor written to.
        let _tcp = tcp;
        let _ = tokio::task::spawn_blocking(move || done.recv_timeout(PATIENCE)).await;
    });
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let config = ClientConfig::default().with_handshake_timeout(Some(DEADLINE));
    let started = Instant::now();
    let result = tokio::time::timeout(PATIENCE, H2Connection::handshake_with_config(tcp, &config))
        .await
        .expect("no timeout within PATIENCE");
    let took = started.elapsed();
    drop(done_tx);
    match result {
        Err(ConnectError::Handshake(HandshakeError::Timeout(limit))) => assert_eq!(limit, DEADLINE),
        other => panic!("not the handshake timeout: {other:?}"),
    }
    assert!(took >= DEADLINE, "failed before the deadline: {took:?}");
}

#[tokio::test]
async fn authority_carries_no_userinfo() {
    let (seen_tx, seen) = mpsc::channel();
    let addr = server(|tcp| async move {
        let (request, mut respond) = accept_first(tcp).await;
        seen_tx
            .send(request.uri().authority().map(|a| a.to_string()))
            .unwrap();
        let _send = respond.send_response(Response::new(()), false);
        std::future::pending::<()>().await;
    });
    let url = format!("ws://user:secret@{addr}/chat");
    let (_connection, _ws, response) =
        tokio::time::timeout(PATIENCE, ClientBuilder::new(url.as_str()).connect_h2())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(response.status(), 200);
    let authority = seen.recv_timeout(PATIENCE).unwrap();
    assert_eq!(authority, Some(addr.to_string()));
}
