//! The command line, parsed by hand: a few flags do not need a parser crate.

use sockwell_client::DeflateConfig;
use std::path::PathBuf;
use std::time::Duration;

/// What to run.
#[derive(Debug)]
pub enum Command {
    Chat { url: String },
    Send { file: PathBuf, url: String },
    Serve { addr: String },
    Help,
    Version,
}

/// Everything the command line said.
#[derive(Debug)]
pub struct Args {
    pub command: Command,
    pub headers: Vec<(String, String)>,
    pub protocols: Vec<String>,
    pub binary: bool,
    pub text: bool,
    pub show_handshake: bool,
    pub ca: Option<PathBuf>,
    pub insecure: bool,
    pub broadcast: bool,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// `None`: `--no-compress`.
    pub deflate: Option<DeflateConfig>,
    /// `None`: the library's default keepalive; `Some(None)`: off.
    pub ping_interval: Option<Option<Duration>>,
    /// `None`: the library's default (10 s).
    pub handshake_timeout: Option<Duration>,
    pub max_message_size: Option<usize>,
    /// `--max-write-buffer`: the cap on queued outgoing bytes.
    pub max_write_buffer: Option<usize>,
    /// Chat: reconnect after a dropped connection.
    pub reconnect: bool,
    /// Chat: give up after this many failed attempts in a row (`None`: never).
    pub max_reconnects: Option<u32>,
    /// Chat: received messages as JSON lines on stdout.
    pub jsonl: bool,
    pub quiet: bool,
}

/// A usage error: what was wrong with the command line.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A day: longer intervals are surely a typo.
const MAX_PING_INTERVAL: f64 = 86_400.0;

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, UsageError> {
    value
        .parse()
        .map_err(|_| usage(format!("{flag} takes a number, not {value:?}")))
}

fn window_bits(flag: &str, value: &str) -> Result<u8, UsageError> {
    match number::<u8>(flag, value)? {
        bits @ 8..=15 => Ok(bits),
        bits => Err(usage(format!("{flag} is 8 to 15, not {bits}"))),
    }
}

impl Args {
    /// Parses the arguments after the program name.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, UsageError> {
        let mut args = args.into_iter();
        let mut positional = Vec::new();
        let mut parsed = Args {
            command: Command::Help,
            headers: Vec::new(),
            protocols: Vec::new(),
            binary: false,
            text: false,
            show_handshake: false,
            ca: None,
            insecure: false,
            broadcast: false,
            cert: None,
            key: None,
            deflate: Some(DeflateConfig::default()),
            ping_interval: None,
            handshake_timeout: None,
            max_message_size: None,
            max_write_buffer: None,
            reconnect: false,
            max_reconnects: None,
            jsonl: false,
            quiet: false,
        };
        let mut compress = true;
        let mut deflate = DeflateConfig::default();
        let mut help = false;
        let mut version = false;
        let mut options_ended = false;
        while let Some(arg) = args.next() {
            // After `--`, everything is an operand (a file named `-x`).
            if options_ended || arg == "--" {
                if options_ended {
                    positional.push(arg);
                }
                options_ended = true;
                continue;
            }
            // `--flag=value` is the same as `--flag value`.
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value)),
                _ => (arg.clone(), None),
            };
            let inline = inline.map(str::to_owned);
            let takes_value = matches!(
                flag.as_str(),
                "-H" | "--header"
                    | "--protocol"
                    | "--ca"
                    | "--cert"
                    | "--key"
                    | "--level"
                    | "--min-compress-size"
                    | "--server-max-window-bits"
                    | "--client-max-window-bits"
                    | "--ping-interval"
                    | "--handshake-timeout"
                    | "--max-message-size"
                    | "--max-write-buffer"
                    | "--max-reconnects"
            );
            if inline.is_some() && !takes_value {
                return Err(usage(format!("{flag} takes no value")));
            }
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| usage(format!("{flag} needs a value")))
            };
            match flag.as_str() {
                "-h" | "--help" => help = true,
                "-V" | "--version" => version = true,
                "--reconnect" => parsed.reconnect = true,
                "--max-reconnects" => {
                    parsed.reconnect = true;
                    parsed.max_reconnects = Some(number(&flag, &value()?)?);
                }
                "--jsonl" => parsed.jsonl = true,
                "-q" | "--quiet" => parsed.quiet = true,
                "-H" | "--header" => {
                    let line = value()?;
                    let (name, value) = line.split_once(':').ok_or_else(|| {
                        usage(format!("{flag} takes 'Name: value', not {line:?}"))
                    })?;
                    parsed
                        .headers
                        .push((name.trim().to_owned(), value.trim().to_owned()));
                }
                "--protocol" => parsed.protocols.push(value()?),
                "--binary" => parsed.binary = true,
                "--text" => parsed.text = true,
                "--show-handshake" => parsed.show_handshake = true,
                "--ca" => parsed.ca = Some(value()?.into()),
                "--insecure" => parsed.insecure = true,
                "--broadcast" => parsed.broadcast = true,
                "--cert" => parsed.cert = Some(value()?.into()),
                "--key" => parsed.key = Some(value()?.into()),
                "--no-compress" => compress = false,
                "--level" => {
                    let level = number(&flag, &value()?)?;
                    if level > 9 {
                        return Err(usage(format!("--level is 0 to 9, not {level}")));
                    }
                    deflate = deflate.level(level);
                }
                "--min-compress-size" => {
                    deflate = deflate.min_compress_size(number(&flag, &value()?)?)
                }
                "--server-no-context-takeover" => {
                    deflate = deflate.server_no_context_takeover(true)
                }
                "--client-no-context-takeover" => {
                    deflate = deflate.client_no_context_takeover(true)
                }
                "--context-takeover" => deflate = deflate.context_takeover(),
                "--server-max-window-bits" => {
                    deflate = deflate.server_max_window_bits(window_bits(&flag, &value()?)?)
                }
                "--client-max-window-bits" => {
                    deflate = deflate.client_max_window_bits(window_bits(&flag, &value()?)?)
                }
                "--ping-interval" => {
                    let secs: f64 = number(&flag, &value()?)?;
                    parsed.ping_interval = if secs == 0.0 {
                        Some(None)
                    } else if (0.01..=MAX_PING_INTERVAL).contains(&secs) {
                        Some(Some(Duration::from_secs_f64(secs)))
                    } else {
                        return Err(usage(format!(
                            "--ping-interval takes 0 (off) or 0.01 to {MAX_PING_INTERVAL} seconds"
                        )));
                    };
                }
                "--handshake-timeout" => {
                    let secs: f64 = number(&flag, &value()?)?;
                    if !(0.01..=MAX_PING_INTERVAL).contains(&secs) {
                        return Err(usage(format!(
                            "--handshake-timeout takes 0.01 to {MAX_PING_INTERVAL} seconds"
                        )));
                    }
                    parsed.handshake_timeout = Some(Duration::from_secs_f64(secs));
                }
                "--max-message-size" => parsed.max_message_size = Some(number(&flag, &value()?)?),
                "--max-write-buffer" => parsed.max_write_buffer = Some(number(&flag, &value()?)?),
                "-" => positional.push(arg),
                _ if flag.starts_with('-') => {
                    return Err(usage(format!("unknown option {flag} (see ws --help)")))
                }
                _ => positional.push(arg),
            }
        }
        parsed.deflate = compress.then_some(deflate);
        let mut positional = positional.into_iter();
        parsed.command = match (positional.next(), positional.next(), positional.next()) {
            _ if help => Command::Help,
            _ if version => Command::Version,
            (None, ..) => return Err(usage("no URL given (see ws --help)")),
            (Some(serve), Some(addr), None) if serve == "serve" => Command::Serve { addr },
            (Some(serve), None, _) if serve == "serve" => {
                return Err(usage("ws serve needs an address, e.g. 127.0.0.1:9001"))
            }
            (Some(send), Some(file), Some(url)) if send == "send" => Command::Send {
                file: file.into(),
                url,
            },
            (Some(send), _, None) if send == "send" => {
                return Err(usage("ws send needs a FILE (or - for stdin) and a URL"))
            }
            (Some(url), None, None) if url != "serve" && url != "send" => Command::Chat { url },
            _ => return Err(usage("too many arguments (see ws --help)")),
        };
        if parsed.cert.is_some() != parsed.key.is_some() {
            return Err(usage("--cert and --key go together"));
        }
        if parsed.jsonl && parsed.binary {
            return Err(usage("--jsonl and --binary exclude each other"));
        }
        if parsed.binary && parsed.text {
            return Err(usage("--binary and --text exclude each other"));
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Args, UsageError> {
        Args::parse(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn commands_and_their_positionals() {
        assert!(
            matches!(parse("ws://h/").unwrap().command, Command::Chat { url } if url == "ws://h/")
        );
        assert!(
            matches!(parse("serve 127.0.0.1:0").unwrap().command, Command::Serve { addr } if addr == "127.0.0.1:0")
        );
        assert!(matches!(
            parse("send f.bin ws://h/").unwrap().command,
            Command::Send { .. }
        ));
        assert!(matches!(parse("--help").unwrap().command, Command::Help));
        let dashed = parse("send -- -x ws://h/").unwrap();
        assert!(
            matches!(dashed.command, Command::Send { file, .. } if file.to_str() == Some("-x"))
        );
        assert!(parse("").is_err());
        assert!(parse("serve").is_err());
        assert!(parse("ws://a/ ws://b/").is_err());
    }

    #[test]
    fn every_deflate_parameter_reaches_the_config() {
        let args = parse(
            "--level 1 --min-compress-size 9 --server-no-context-takeover \
             --client-no-context-takeover --server-max-window-bits 10 \
             --client-max-window-bits=12 ws://h/",
        )
        .unwrap();
        let d = args.deflate.unwrap();
        assert_eq!(d.level, 1);
        assert_eq!(d.min_compress_size, 9);
        assert_eq!(d.server_no_context_takeover, Some(true));
        assert_eq!(d.client_no_context_takeover, Some(true));
        assert_eq!(d.server_max_window_bits, Some(10));
        assert_eq!(d.client_max_window_bits, Some(12));
        assert!(parse("--no-compress ws://h/").unwrap().deflate.is_none());
    }

    #[test]
    fn bad_values_are_usage_errors_that_name_the_flag() {
        for (line, flag) in [
            ("--level 10 ws://h/", "--level"),
            (
                "--server-max-window-bits 7 ws://h/",
                "--server-max-window-bits",
            ),
            ("--ping-interval -1 ws://h/", "--ping-interval"),
            ("-H nocolon ws://h/", "-H"),
            ("--frobnicate ws://h/", "--frobnicate"),
            ("ws://h/ --level", "--level"),
        ] {
            let err = parse(line).unwrap_err();
            assert!(err.0.contains(flag), "{line}: {err}");
        }
        assert!(parse("--cert c.pem serve 0:0").is_err());
        for line in ["--no-compress=false ws://h/", "--quiet=1 ws://h/"] {
            assert!(
                parse(line).unwrap_err().0.contains("takes no value"),
                "{line}"
            );
        }
        for line in [
            "--ping-interval 1e20 ws://h/",
            "--ping-interval 1e-10 ws://h/",
            "--ping-interval nan ws://h/",
        ] {
            assert!(parse(line).is_err(), "{line}");
        }
        assert_eq!(
            parse("--ping-interval 0 ws://h/").unwrap().ping_interval,
            Some(None)
        );
        assert!(parse("serve").unwrap_err().0.contains("address"));
        assert!(parse("send f").unwrap_err().0.contains("FILE"));
    }

    #[test]
    fn version_reconnect_and_jsonl() {
        assert!(matches!(
            parse("--version").unwrap().command,
            Command::Version
        ));
        assert!(matches!(
            parse("-V ws://h/").unwrap().command,
            Command::Version
        ));
        let args = parse("--reconnect --jsonl ws://h/").unwrap();
        assert!(args.reconnect && args.jsonl && args.max_reconnects.is_none());
        let args = parse("--max-reconnects 3 ws://h/").unwrap();
        assert!(args.reconnect);
        assert_eq!(args.max_reconnects, Some(3));
        assert!(parse("--jsonl --binary ws://h/").is_err());
        assert!(parse("--max-reconnects x ws://h/").is_err());
        assert_eq!(
            parse("--max-write-buffer 4096 serve 0:0")
                .unwrap()
                .max_write_buffer,
            Some(4096)
        );
    }

    #[test]
    fn headers_keep_their_value_colons() {
        let args =
            Args::parse(["-H", "Authorization: Bearer a:b", "ws://h/"].map(str::to_owned)).unwrap();
        assert_eq!(
            args.headers,
            [("Authorization".into(), "Bearer a:b".into())]
        );
    }
}
