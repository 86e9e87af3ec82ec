//! Typed JSON messages with serde (the logic: `examples/src/json.rs`).
//!
//! `cargo run -p sockwell-examples --example json -- 127.0.0.1:9001`, then
//! `echo '{"type":"add","a":2,"b":3}' | ws ws://127.0.0.1:9001/`

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:9001".into());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("ws://{}/", listener.local_addr()?);
    sockwell_examples::json::serve(listener).await
}
