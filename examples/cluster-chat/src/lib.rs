//! A chat spread over several WebSocket nodes, with Redis pub/sub as the
//! bus between them (the `cluster-chat` binary; `cluster-load` measures it).
//!
//! - A client connects to `ws://NODE/ROOM`. Once the node's subscription to
//!   the room is active it receives a welcome, [`Welcome`] (`#joined NODE
//!   CLIENT ROOM`), and from then on every chat message of the room.
//! - A text message from a client is `PUBLISH`ed to the Redis channel
//!   `chat:ROOM` as [`Chat`] (`NODE:CLIENT:SEQ:TEXT`, `SEQ` counting the
//!   publisher's messages from 1). The publishing node does not deliver it
//!   locally: every node, the publisher's included, delivers what its
//!   subscription receives, so each member gets each message once.
//! - Each node holds one Redis subscription per room that has local members
//!   (`SUBSCRIBE chat:ROOM` when the first joins, `UNSUBSCRIBE` when the
//!   last leaves), and prepares each message once ([`PreparedMessage`],
//!   permessage-deflate at its defaults) for all its members.
//! - When Redis goes away the node reconnects with backoff and subscribes
//!   again to every room that has local members. Messages published while
//!   it is down (or before a node has subscribed again) are lost; none is
//!   ever delivered twice (a failed `PUBLISH` is not retried).
//!
//! [`PreparedMessage`]: sockwell_server::PreparedMessage

pub mod harness;
pub mod node;

use std::fmt;

/// How many characters a room name may have.
pub const MAX_ROOM_LEN: usize = 64;

/// Whether `name` is a valid room or node name: 1 to [`MAX_ROOM_LEN`]
/// characters among ASCII letters, digits, `_`, `-` and `.` (so it never
/// holds the `:` of the payload or the `#` of a welcome).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_ROOM_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// The Redis channel of a room.
pub fn channel(room: &str) -> String {
    format!("chat:{room}")
}

/// One chat message as published on Redis and delivered to members:
/// `NODE:CLIENT:SEQ:TEXT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chat {
    /// The node the publisher is connected to.
    pub node: String,
    /// The publisher's number on its node.
    pub client: u64,
    /// The publisher's count of its messages, from 1.
    pub seq: u64,
    /// What the publisher wrote.
    pub text: String,
}

impl Chat {
    /// Parses `NODE:CLIENT:SEQ:TEXT` (the text may hold colons).
    pub fn parse(payload: &str) -> Option<Chat> {
        let mut parts = payload.splitn(4, ':');
        let node = parts.next()?;
        let client = parts.next()?.parse().ok()?;
        let seq = parts.next()?.parse().ok()?;
        let text = parts.next()?;
        valid_name(node).then(|| Chat {
            node: node.to_owned(),
            client,
            seq,
            text: text.to_owned(),
        })
    }
}

impl fmt::Display for Chat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}:{}",
            self.node, self.client, self.seq, self.text
        )
    }
}

/// The first message a member receives: `#joined NODE CLIENT ROOM`, sent once
/// the node's subscription to the room is active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Welcome {
    /// The node the member is connected to.
    pub node: String,
    /// The member's number on that node (the `CLIENT` of its messages).
    pub client: u64,
    /// The room.
    pub room: String,
}

impl Welcome {
    /// Parses `#joined NODE CLIENT ROOM`.
    pub fn parse(text: &str) -> Option<Welcome> {
        let mut words = text.strip_prefix("#joined ")?.split(' ');
        let node = words.next()?.to_owned();
        let client = words.next()?.parse().ok()?;
        let room = words.next()?.to_owned();
        words
            .next()
            .is_none()
            .then_some(Welcome { node, client, room })
    }
}

impl fmt::Display for Welcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#joined {} {} {}", self.node, self.client, self.room)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_round_trips_and_keeps_colons_in_the_text() {
        let chat = Chat {
            node: "n-1".into(),
            client: 7,
            seq: 42,
            text: "a:b: c".into(),
        };
        assert_eq!(chat.to_string(), "n-1:7:42:a:b: c");
        assert_eq!(Chat::parse(&chat.to_string()), Some(chat));
        assert_eq!(Chat::parse("n:x:1:t"), None);
        assert_eq!(Chat::parse("n:1:1"), None);
        assert_eq!(Chat::parse("#joined n 1 r"), None);
    }

    #[test]
    fn welcome_round_trips() {
        let welcome = Welcome {
            node: "a".into(),
            client: 3,
            room: "lobby".into(),
        };
        assert_eq!(Welcome::parse(&welcome.to_string()), Some(welcome));
        assert_eq!(Welcome::parse("a:1:1:t"), None);
    }

    #[test]
    fn names() {
        assert!(valid_name("lobby-2.x_y"));
        assert!(!valid_name(""));
        assert!(!valid_name("a:b"));
        assert!(!valid_name("a b"));
        assert!(!valid_name(&"x".repeat(MAX_ROOM_LEN + 1)));
    }
}
