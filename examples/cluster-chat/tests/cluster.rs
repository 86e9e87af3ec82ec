//! Three `cluster-chat` nodes on a `redis-server` of the test's own: every
//! message reaches every member once, in its publisher's order; the others
//! go on when a node dies; the nodes subscribe again when Redis restarts.
//!
//! Needs `redis-server` on PATH, and fails (does not skip) without it.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sockwell_client::{AsyncMaybeTlsStream, ClientBuilder, ClientConfig, DeflateConfig, Message};
use sockwell_cluster_chat::harness::{NodeProcess, RedisServer};
use sockwell_cluster_chat::{Chat, Welcome};
use sockwell_server::{WebSocketStream, WsReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

type Ws = WebSocketStream<AsyncMaybeTlsStream<TcpStream>>;

struct Member {
    ws: Ws,
    me: Welcome,
}

/// Connects to `ROOM` on `node` (half the members with permessage-deflate)
/// and waits for the welcome.
async fn join(node: &NodeProcess, room: &str, deflate: bool) -> Member {
    let url = format!("{}{room}", node.url());
    let mut config = ClientConfig::default();
    if deflate {
        config = config.with_extension(DeflateConfig::default());
    }
    let (mut ws, _) = ClientBuilder::new(url.as_str())
        .config(config)
        .connect_async()
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"));
    let first = timeout(Duration::from_secs(20), ws.next())
        .await
        .unwrap_or_else(|_| panic!("no welcome from {url}"))
        .expect("open")
        .expect("welcome");
    let me = Welcome::parse(first.as_text().expect("text")).expect("a welcome first");
    assert_eq!(me.room, room);
    Member { ws, me }
}

/// Checks that `chats` holds, for each publisher, exactly its `texts` in
/// order, and nothing from anyone else.
fn check(chats: &[Chat], expected: &BTreeMap<(String, u64), Vec<String>>) {
    let mut got: BTreeMap<(String, u64), Vec<(u64, String)>> = BTreeMap::new();
    for chat in chats {
        got.entry((chat.node.clone(), chat.client))
            .or_default()
            .push((chat.seq, chat.text.clone()));
    }
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "publishers"
    );
    for (publisher, texts) in expected {
        let received = &got[publisher];
        let in_order: Vec<&String> = received.iter().map(|(_, text)| text).collect();
        assert_eq!(
            in_order,
            texts.iter().collect::<Vec<_>>(),
            "from {publisher:?}"
        );
        assert!(
            received.windows(2).all(|w| w[0].0 < w[1].0),
            "sequence numbers from {publisher:?} not increasing: {received:?}"
        );
    }
}

/// Every member of `members` publishes `texts(i)`; every member then
/// receives all of them, once each, in each publisher's order.
async fn round(members: Vec<Member>, texts: impl Fn(usize) -> Vec<String>) -> Vec<Member> {
    let mut expected = BTreeMap::new();
    let mut tasks = Vec::new();
    let total: usize = (0..members.len()).map(|i| texts(i).len()).sum();
    for (i, member) in members.into_iter().enumerate() {
        let mine = texts(i);
        expected.insert((member.me.node.clone(), member.me.client), mine.clone());
        tasks.push(tokio::spawn(async move {
            let Member { ws, me } = member;
            let (mut reader, mut writer) = ws.into_split();
            let sending = tokio::spawn(async move {
                for text in mine {
                    writer.send(Message::text(text)).await.expect("send");
                }
                writer
            });
            // Reads while the writer sends.
            let chats = receive(&mut reader, total).await;
            let writer = sending.await.unwrap();
            let ws = reader.reunite(writer).expect("same stream");
            (Member { ws, me }, chats)
        }));
    }
    let mut members = Vec::new();
    for task in tasks {
        let (member, chats) = task.await.expect("member task");
        check(&chats, &expected);
        members.push(member);
    }
    members
}

/// Reads `count` chat messages (at most 30 s), then checks that nothing
/// else arrives for a moment (no duplicate).
async fn receive(reader: &mut WsReader<AsyncMaybeTlsStream<TcpStream>>, count: usize) -> Vec<Chat> {
    let mut chats = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while chats.len() < count {
        let message = tokio::time::timeout_at(deadline, reader.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {count} messages arrived", chats.len()))
            .expect("connection open")
            .expect("no error");
        if let Message::Text(text) = message {
            chats.push(Chat::parse(&text).unwrap_or_else(|| panic!("not a chat: {text}")));
        }
    }
    if let Ok(Some(extra)) = timeout(Duration::from_millis(400), reader.next()).await {
        panic!("a message more than expected: {extra:?}");
    }
    chats
}

/// How many subscribers Redis counts on `channel` (each node subscribes once
/// per room with local members).
async fn subscribers(redis_url: &str, channel: &str) -> i64 {
    let client = redis::Client::open(redis_url).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let counts: HashMap<String, i64> = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(channel)
        .query_async(&mut connection)
        .await
        .unwrap();
    counts[channel]
}

/// Waits (at most 20 s) until Redis counts `want` subscribers on `channel`.
async fn wait_subscribers(redis_url: &str, channel: &str, want: i64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = subscribers(redis_url, channel).await;
        if now == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{channel}: {now} subscribers, want {want}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const N: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server on PATH: .ci/run installs it and runs this with --include-ignored"]
async fn three_nodes_over_redis() {
    let redis = RedisServer::start()
        .unwrap_or_else(|e| panic!("this test needs redis-server on PATH: {e}"));
    let url = redis.url();
    let exe = Path::new(env!("CARGO_BIN_EXE_cluster-chat"));
    let mut nodes: Vec<NodeProcess> = ["a", "b", "c"]
        .iter()
        .map(|name| NodeProcess::start(exe, name, &url).unwrap())
        .collect();

    // Two members per node in one room, half of them compressing.
    let mut members = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        members.push(join(node, "lobby", i % 2 == 0).await);
        members.push(join(node, "lobby", i % 2 == 1).await);
    }
    assert_eq!(
        subscribers(&url, "chat:lobby").await,
        3,
        "one subscription per node"
    );

    // Every member publishes N messages; every member gets all 6 x N.
    let members = round(members, |i| (0..N).map(|k| format!("m{i}-{k}")).collect()).await;

    // A node dies: its members are cut off, the others go on.
    nodes[2].kill();
    let (members, mut cut): (Vec<Member>, Vec<Member>) =
        members.into_iter().partition(|m| m.me.node != "c");
    assert_eq!(members.len(), 4);
    for member in &mut cut {
        let end = timeout(Duration::from_secs(10), member.ws.next()).await;
        assert!(
            matches!(end, Ok(None) | Ok(Some(Err(_)))),
            "node c's member still connected: {end:?}"
        );
    }
    wait_subscribers(&url, "chat:lobby", 2).await;
    let members = round(members, |i| vec![format!("after-kill-{i}")]).await;

    // The last member of a room leaving unsubscribes its node.
    let mut lone = join(&nodes[0], "side", true).await;
    assert_eq!(subscribers(&url, "chat:side").await, 1);
    lone.ws.close(None).await.unwrap();
    while lone.ws.next().await.is_some() {}
    wait_subscribers(&url, "chat:side", 0).await;
    assert_eq!(subscribers(&url, "chat:lobby").await, 2);

    // Redis restarts on the same port: both nodes reconnect and subscribe
    // again, and messages flow between them as before.
    let port = redis.port();
    redis.stop();
    let redis = RedisServer::start_on(port).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    for node in &nodes[..2] {
        while !node.log().iter().any(|l| l.contains("reconnected")) {
            assert!(
                Instant::now() < deadline,
                "a node did not reconnect: {:?}",
                node.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert_eq!(
        subscribers(&redis.url(), "chat:lobby").await,
        2,
        "resubscribed"
    );
    let members = round(members, |i| vec![format!("after-restart-{i}")]).await;
    assert_eq!(members.len(), 4);
    drop(nodes);
}
