//! A chat server in axum with rooms (the logic: `examples/src/axum_chat.rs`).
//!
//! `cargo run -p sockwell-examples --example axum_chat -- 127.0.0.1:3000`,
//! then open http://127.0.0.1:3000/ in two tabs, or
//! `ws ws://127.0.0.1:3000/ws/lobby` in two terminals.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    println!("page: http://{addr}/ rooms: ws://{addr}/ws/ROOM");
    // 64 messages of slack per member.
    axum::serve(listener, sockwell_examples::axum_chat::app(64)).await
}
