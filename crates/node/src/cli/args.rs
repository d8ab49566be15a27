//! Argument parsing shared by the commands: node addresses, hex, output formats. Each parser
//! returns a message clap prints after the flag's name.

use serde_json::Value;

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// One JSON value (bytes in lowercase hex, numbers as numbers).
    Json,
    /// `key: value` lines for people.
    Text,
}

/// Bytes from a flag (a newtype: clap reads a bare `Vec<u8>` as many values).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

/// The default CometBFT RPC address.
pub const DEFAULT_NODE: &str = "tcp://127.0.0.1:26657";

/// A CometBFT RPC address as `http://host:port`: accepts `tcp://` (as gaiad and wasmd do),
/// `http://`, `https://` and a bare `host:port`.
pub fn node_url(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let rest = if let Some(r) = s.strip_prefix("tcp://") {
        r
    } else if s.starts_with("http://") || s.starts_with("https://") {
        return Ok(s.to_owned());
    } else if s.contains("://") {
        return Err(format!("{s:?}: use tcp://HOST:PORT or http://HOST:PORT"));
    } else {
        s
    };
    let (host, port) = rest.rsplit_once(':').ok_or_else(|| format!("{s:?} has no port: use tcp://HOST:PORT, e.g. {DEFAULT_NODE}"))?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(format!("{s:?}: use tcp://HOST:PORT, e.g. {DEFAULT_NODE}"));
    }
    Ok(format!("http://{rest}"))
}

/// Hex bytes, with or without `0x`.
pub fn hex_bytes(s: &str) -> Result<Vec<u8>, String> {
    let t = s.trim();
    let t = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
    if t.len() % 2 == 1 {
        return Err(format!("odd number of hex digits ({})", t.len()));
    }
    hex::decode(t).map_err(|e| match e {
        hex::FromHexError::InvalidHexCharacter { c, index } => format!("{c:?} at position {index} is not a hex digit"),
        other => other.to_string(),
    })
}

/// 32 bytes of hex (an X25519 or Ed25519 key).
pub fn hex32(s: &str) -> Result<[u8; 32], String> {
    let b = hex_bytes(s)?;
    let n = b.len();
    b.try_into().map_err(|_| format!("a key is 32 bytes (64 hex digits), this is {n}"))
}

/// Base64 bytes (standard alphabet, padding optional).
pub fn base64_bytes(s: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let t = s.trim();
    base64::engine::general_purpose::STANDARD.decode(t).or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(t)).map_err(|e| format!("not base64: {e}"))
}

/// A whole amount of the chain's denom.
pub fn amount(s: &str) -> Result<u128, String> {
    s.trim().parse::<u128>().map_err(|_| format!("{s:?} is not a whole amount (digits only, in the chain's smallest unit)"))
}

/// Prints a result as asked.
pub fn print(value: &Value, output: Output) {
    match output {
        Output::Json => println!("{value}"),
        Output::Text => print!("{}", text(value, "")),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `key: value` lines, nested objects indented, arrays as `-` items.
pub fn text(value: &Value, indent: &str) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::Object(_) | Value::Array(_) if !is_empty(v) => out.push_str(&format!("{indent}{k}:\n{}", text(v, &format!("{indent}  ")))),
                    _ => out.push_str(&format!("{indent}{k}: {}\n", scalar(v))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(_) | Value::Array(_) => {
                        let body = text(item, &format!("{indent}  "));
                        out.push_str(&format!("{indent}-\n{body}"));
                    }
                    _ => out.push_str(&format!("{indent}- {}\n", scalar(item))),
                }
            }
        }
        other => out.push_str(&format!("{indent}{}\n", scalar(other))),
    }
    out
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn node_addresses_in_every_usual_form() {
        assert_eq!(node_url("tcp://127.0.0.1:26657").unwrap(), "http://127.0.0.1:26657");
        assert_eq!(node_url("http://127.0.0.1:26657/").unwrap(), "http://127.0.0.1:26657");
        assert_eq!(node_url("localhost:1").unwrap(), "http://localhost:1");
        assert!(node_url("127.0.0.1").unwrap_err().contains("no port"));
        assert!(node_url("ws://x:1").is_err());
        assert!(node_url("tcp://x:99999").is_err());
    }

    #[test]
    fn hex_errors_say_what_is_wrong() {
        assert_eq!(hex_bytes("0xAbcd").unwrap(), vec![0xab, 0xcd]);
        assert_eq!(hex_bytes("abc").unwrap_err(), "odd number of hex digits (3)");
        assert!(hex_bytes("zz").unwrap_err().contains("'z' at position 0"));
        assert!(hex32("00").unwrap_err().contains("32 bytes"));
        assert_eq!(base64_bytes("AAE=").unwrap(), vec![0, 1]);
        assert_eq!(base64_bytes("AAE").unwrap(), vec![0, 1]);
        assert!(amount("-5").is_err());
    }

    #[test]
    fn text_output_is_one_line_per_field() {
        let v = serde_json::json!({ "a": 1, "b": "x", "c": [1, 2], "d": { "e": true } });
        assert_eq!(text(&v, ""), "a: 1\nb: x\nc:\n  - 1\n  - 2\nd:\n  e: true\n");
    }
}
