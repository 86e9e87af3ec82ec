//! What the load generator sends: the payloads of each case, built once per
//! case and server answer into masked frames (compressed when the case
//! asks, with or without context takeover as the server agreed), and the
//! check that a compressed cycle replays as a server inflates it.

use crate::config::{Case, Payload, JSON_CYCLE};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use std::cell::RefCell;
use std::rc::Rc;

/// ASCII text of a short repeating pattern (compresses about 1000:1).
pub(crate) fn payload(size: usize) -> Vec<u8> {
    b"websocket echo load 0123456789 "
        .iter()
        .copied()
        .cycle()
        .take(size)
        .collect()
}

/// The seed of every JSON case's stream: all connections and runs send
/// the same messages (the seed of `deflate/small_json` in
/// `benches/deflate`, so both start from the same stream).
const JSON_SEED: u64 = 1;

/// A JSON case's cycle of distinct messages: single `SmallJson` records,
/// or arrays of consecutive records, each as many as fit in `case.size`
/// bytes (a record that does not fit starts the next array).
pub(crate) fn json_messages(case: &Case) -> Vec<Vec<u8>> {
    let mut records = benches::SmallJson::new(JSON_SEED);
    match case.payload {
        Payload::JsonRecord => records
            .messages(JSON_CYCLE)
            .into_iter()
            .map(String::into_bytes)
            .collect(),
        Payload::JsonArray => {
            let mut next = records.next_message();
            (0..JSON_CYCLE)
                .map(|_| {
                    let mut array = format!("[{next}");
                    loop {
                        next = records.next_message();
                        // The record, its comma and the closing bracket.
                        if array.len() + next.len() + 2 > case.size {
                            break;
                        }
                        array.push(',');
                        array.push_str(&next);
                    }
                    array.push(']');
                    array.into_bytes()
                })
                .collect()
        }
        Payload::Pattern => unreachable!("not a JSON case"),
    }
}

/// How the server answered a JSON case's offer of permessage-deflate: what
/// the client's compression may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    /// No `client_no_context_takeover` in the answer: the client may refer
    /// to earlier messages.
    pub(crate) takeover: bool,
    /// The answer's `client_max_window_bits`, 15 if absent.
    pub(crate) window_bits: u8,
}

impl Answer {
    /// The permessage-deflate answer in a (lower-cased) response head.
    pub(crate) fn parse(head: &str) -> Option<Answer> {
        let value = head
            .lines()
            .find_map(|l| l.strip_prefix("sec-websocket-extensions:"))?;
        let mut params = value.split(';').map(str::trim);
        if params.next()? != "permessage-deflate" {
            return None;
        }
        let mut answer = Answer {
            takeover: true,
            window_bits: 15,
        };
        for param in params {
            match param.split_once('=') {
                Some((name, bits)) if name.trim() == "client_max_window_bits" => {
                    answer.window_bits = bits.trim().trim_matches('"').parse().ok()?;
                }
                None if param == "client_no_context_takeover" => answer.takeover = false,
                _ => {}
            }
        }
        Some(answer)
    }
}

/// What a connection sends, in this order, over and over: masked frames
/// (`case.in_flight` messages each), the plain payload bytes of each, and
/// the first message's payload, which its echo is checked against.
pub(crate) struct Messages {
    pub(crate) frames: Vec<Vec<u8>>,
    pub(crate) plain: Vec<u64>,
    pub(crate) first: Vec<u8>,
}

/// A case's messages, built once per server answer and shared by all the
/// connections (of every implementation) that got that answer.
pub(crate) struct Frames {
    case: Case,
    texts: Vec<Vec<u8>>,
    built: RefCell<Vec<(Option<Answer>, Rc<Messages>)>>,
}

impl Frames {
    pub(crate) fn new(case: &Case) -> Self {
        Frames {
            case: *case,
            texts: if case.json() {
                json_messages(case)
            } else {
                vec![payload(case.size)]
            },
            built: RefCell::new(Vec::new()),
        }
    }

    /// The average plain payload of a message.
    pub(crate) fn average_size(&self) -> f64 {
        self.texts.iter().map(Vec::len).sum::<usize>() as f64 / self.texts.len() as f64
    }

    /// The messages to send after `answer` (`None`: the pattern cases,
    /// which do not depend on it).
    pub(crate) fn for_answer(&self, answer: Option<Answer>) -> Rc<Messages> {
        if let Some((_, m)) = self.built.borrow().iter().find(|(a, _)| *a == answer) {
            return m.clone();
        }
        let m = Rc::new(self.build(answer));
        self.built.borrow_mut().push((answer, m.clone()));
        m
    }

    fn build(&self, answer: Option<Answer>) -> Messages {
        let case = &self.case;
        let frames = match answer {
            // One message, compressed alone at level 1 (the client offered
            // client_no_context_takeover) and sent `in_flight` times.
            None if case.deflate => {
                let mut c = Compress::new(Compression::new(1), false);
                vec![masked_frame(&deflate_message(&mut c, &self.texts[0]), true)]
            }
            None => vec![masked_frame(&self.texts[0], false)],
            // The cycle, at level 6 with a window no larger than agreed. With
            // context takeover, one compressor across the whole cycle: the
            // first message is compressed from a fresh state, so it refers to
            // nothing before it and the cycle can start over after the last
            // message. Without, a fresh compressor per message.
            Some(answer) => {
                // zlib cannot compress with a window of 8 (it uses 9).
                assert!(answer.window_bits >= 9, "client window of 8 asked");
                let bits = answer.window_bits.min(12);
                let fresh = || Compress::new_with_window_bits(Compression::new(6), false, bits);
                let mut kept = fresh();
                let bodies: Vec<Vec<u8>> = self
                    .texts
                    .iter()
                    .map(|text| {
                        if answer.takeover {
                            deflate_message(&mut kept, text)
                        } else {
                            deflate_message(&mut fresh(), text)
                        }
                    })
                    .collect();
                check_replay(&bodies, &self.texts, answer.takeover, bits);
                bodies.iter().map(|b| masked_frame(b, true)).collect()
            }
        };
        Messages {
            frames: frames
                .into_iter()
                .map(|f| f.repeat(case.in_flight))
                .collect(),
            plain: self
                .texts
                .iter()
                .map(|t| (t.len() * case.in_flight) as u64)
                .collect(),
            first: self.texts[0].clone(),
        }
    }
}

/// One message through `c`: a sync flush, without the trailing
/// `00 00 ff ff` (RFC 7692 §7.2.1).
fn deflate_message(c: &mut Compress, data: &[u8]) -> Vec<u8> {
    let start = c.total_in();
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    loop {
        let done = (c.total_in() - start) as usize;
        c.compress_vec(&data[done..], &mut out, FlushCompress::Sync)
            .unwrap();
        // Room left over after a sync flush: the flush is complete.
        if (c.total_in() - start) as usize == data.len() && out.capacity() - out.len() >= 64 {
            break;
        }
        out.reserve(out.capacity().max(64));
    }
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

/// Inflates the cycle twice over as the server does (with `takeover`,
/// one inflater kept across messages; without, a fresh one per message),
/// with the compressor's window, and checks that every message comes back:
/// starting the cycle over is valid.
fn check_replay(bodies: &[Vec<u8>], texts: &[Vec<u8>], takeover: bool, bits: u8) {
    let mut kept = Decompress::new_with_window_bits(false, bits);
    let cycle = bodies.iter().zip(texts);
    for (i, (body, text)) in cycle.clone().chain(cycle).enumerate() {
        let mut fresh = Decompress::new_with_window_bits(false, bits);
        let d = if takeover { &mut kept } else { &mut fresh };
        let input = [body.as_slice(), &[0, 0, 0xff, 0xff]].concat();
        let mut out = Vec::with_capacity(text.len() + 64);
        let before = d.total_in();
        d.decompress_vec(&input, &mut out, FlushDecompress::Sync)
            .expect("the client's own frames inflate");
        assert!(
            d.total_in() - before == input.len() as u64 && out == *text,
            "message {i} of the replayed cycle does not inflate to itself"
        );
    }
}

/// A final text frame from a client (masked), RSV1 set if `compressed`.
fn masked_frame(body: &[u8], compressed: bool) -> Vec<u8> {
    let mut frame = vec![if compressed {
        0x80 | 0x40 | 0x1
    } else {
        0x80 | 0x1
    }];
    match body.len() {
        n if n < 126 => frame.push(0x80 | n as u8),
        n if n < 65536 => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    let key = [0x37, 0xfa, 0x21, 0x3d];
    frame.extend_from_slice(&key);
    frame.extend(body.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    frame
}
