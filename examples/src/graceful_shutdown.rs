//! A server that stops cleanly: on Ctrl-C or SIGTERM it stops accepting,
//! sends every client a Close 1001 (going away), waits for their Close
//! replies up to a deadline, cuts off the ones that did not answer by then,
//! and returns.
//!
//! `cargo run -p sockwell-examples --example graceful_shutdown -- 127.0.0.1:9001`

use sockwell_server::{accept_async, CloseCode, CloseFrame, WsError};
use std::future::Future;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How the connections open at shutdown ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Clients that answered the Close 1001 in time.
    pub closed: usize,
    /// Clients still connected at the deadline (or whose connection
    /// failed while closing), cut off.
    pub cut_off: usize,
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM.
pub async fn signal() {
    let ctrl_c = async { tokio::signal::ctrl_c().await.expect("a SIGINT handler") };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

/// Echoes on every connection `listener` accepts until `shutdown`
/// completes (`signal()` in the example, a channel in its test), then
/// closes them all, within `deadline`.
pub async fn serve(
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    deadline: Duration,
) -> Report {
    let (stop, stopped) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                if let Ok((tcp, _)) = accepted {
                    connections.spawn(connection(tcp, stopped.clone()));
                }
            }
            // Forget the connections that ended on their own.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener); // new connections are refused from here on
    let _ = stop.send(true);
    let mut report = Report::default();
    let replies = async {
        while let Some(ended) = connections.join_next().await {
            match ended {
                Ok(true) => report.closed += 1,
                _ => report.cut_off += 1,
            }
        }
    };
    let _ = tokio::time::timeout(deadline, replies).await;
    // The ones that did not answer in time: dropped, their TCP closed.
    report.cut_off += connections.len();
    connections.shutdown().await;
    report
}

/// One client: an echo until the server stops, then Close 1001 and its
/// reply. True if the closing handshake completed.
async fn connection(tcp: TcpStream, mut stopped: watch::Receiver<bool>) -> bool {
    let Ok(mut ws) = accept_async(tcp).await else {
        return false;
    };
    loop {
        tokio::select! {
            // Changed, or the server is gone: either way, stop.
            _ = stopped.changed() => break,
            // read() is cancel-safe: nothing is lost when the stop wins.
            message = ws.read() => match message {
                Ok(message) if message.is_data() => {
                    if ws.send(message).await.is_err() {
                        return false;
                    }
                }
                Ok(_) => {} // pings are answered by the engine
                Err(_) => return false, // the client left first
            },
        }
    }
    let going_away = CloseFrame::new(CloseCode::GOING_AWAY, "server shutting down");
    if ws.close(Some(going_away)).await.is_err() {
        return false;
    }
    // What the client sent before its reply still arrives; then the reply.
    loop {
        match ws.read().await {
            Ok(_) => {}
            Err(WsError::ConnectionClosed) => return true,
            Err(_) => return false,
        }
    }
}
