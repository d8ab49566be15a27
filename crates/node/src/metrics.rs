//! Prometheus metrics (the `prometheus-client` crate: HELP and TYPE lines, OpenMetrics text),
//! served on a loopback port. Every metric is present from start, at zero; labelled families
//! get their label values as they occur (sessions by kind from the start).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;
use tss_engine::types::Event;
use tss_engine::BlockOutput;

/// `{kind}`: a session's kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    /// dkg, refresh, reshare or repair.
    pub kind: String,
}

/// `{validator, reason}`: who is blamed and why.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BlameLabel {
    /// The validator's consensus address, uppercase hex as CometBFT prints it.
    pub validator: String,
    /// The blame reason.
    pub reason: String,
}

/// `{keyset}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KeysetLabel {
    /// The keyset id (0: the network key).
    pub keyset: String,
}

/// The node's metrics.
pub struct Metrics {
    registry: Registry,
    blocks: Counter,
    /// Bytes of this validator's last vote extension.
    pub extension_bytes: Gauge,
    finalize_seconds: Gauge<f64, AtomicU64>,
    sessions_started: Family<KindLabel, Counter>,
    sessions_completed: Counter,
    sessions_failed: Counter,
    session_blocks_last: Gauge,
    handovers_failed: Counter,
    blame: Family<BlameLabel, Counter>,
    requests_completed: Counter,
    requests_failed: Counter,
    share_held: Family<KeysetLabel, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let m = Self {
            blocks: Counter::default(),
            extension_bytes: Gauge::default(),
            finalize_seconds: Gauge::default(),
            sessions_started: Family::default(),
            sessions_completed: Counter::default(),
            sessions_failed: Counter::default(),
            session_blocks_last: Gauge::default(),
            handovers_failed: Counter::default(),
            blame: Family::default(),
            requests_completed: Counter::default(),
            requests_failed: Counter::default(),
            share_held: Family::default(),
            registry: Registry::default(),
        };
        registry.register("tss_blocks", "Blocks finalized", m.blocks.clone());
        registry.register("tss_vote_extension_bytes", "Bytes of this validator's last vote extension", m.extension_bytes.clone());
        registry.register("tss_finalize_block_seconds", "Wall time of the last FinalizeBlock", m.finalize_seconds.clone());
        registry.register("tss_sessions_started", "Key sessions started, by kind", m.sessions_started.clone());
        registry.register("tss_sessions_completed", "Key sessions completed", m.sessions_completed.clone());
        registry.register("tss_sessions_failed", "Key sessions failed", m.sessions_failed.clone());
        registry.register("tss_session_blocks_last", "Blocks the last completed session took", m.session_blocks_last.clone());
        registry.register("tss_handovers_failed", "Handovers abandoned after their reshare attempts (runbooks/validator.md)", m.handovers_failed.clone());
        registry.register("tss_blame", "Blame events, by validator and reason", m.blame.clone());
        registry.register("tss_requests_completed", "Signature, decryption and keyset requests completed", m.requests_completed.clone());
        registry.register("tss_requests_failed", "Requests failed", m.requests_failed.clone());
        registry.register("tss_share_held", "1 when this validator holds a share of the keyset's current epoch, else 0", m.share_held.clone());
        for kind in ["dkg", "refresh", "reshare", "repair"] {
            let _ = m.sessions_started.get_or_create(&KindLabel { kind: kind.into() });
        }
        Self { registry, ..m }
    }
}

impl Metrics {
    /// Records one block's output.
    pub fn record_block(&self, out: &BlockOutput, took: Duration) {
        self.blocks.inc();
        self.finalize_seconds.set(took.as_secs_f64());
        for e in &out.events {
            match e {
                Event::SessionStarted { kind, .. } => {
                    self.sessions_started.get_or_create(&KindLabel { kind: kind.clone() }).inc();
                }
                Event::SessionCompleted { blocks, .. } => {
                    self.sessions_completed.inc();
                    self.session_blocks_last.set(i64::try_from(*blocks).unwrap_or(i64::MAX));
                }
                Event::SessionFailed { .. } => {
                    self.sessions_failed.inc();
                }
                Event::HandoverFailed { .. } => {
                    self.handovers_failed.inc();
                }
                Event::Blame { validator, .. } => {
                    // The reason as the events name it (snake_case).
                    let reason = tss_engine::json::event_json(e).get("reason").and_then(serde_json::Value::as_str).unwrap_or("unknown").to_owned();
                    self.blame.get_or_create(&BlameLabel { validator: hex::encode_upper(validator), reason }).inc();
                }
                Event::RequestFinished { ok: true, .. } => {
                    self.requests_completed.inc();
                }
                Event::RequestFinished { ok: false, .. } => {
                    self.requests_failed.inc();
                }
                _ => {}
            }
        }
    }

    /// Records which keysets this validator holds a current share of.
    pub fn record_shares(&self, held: &[(u64, bool)]) {
        for (keyset, yes) in held {
            self.share_held.get_or_create(&KeysetLabel { keyset: keyset.to_string() }).set(i64::from(*yes));
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        if prometheus_client::encoding::text::encode(&mut s, &self.registry).is_err() {
            s.clear();
        }
        s
    }
}

/// Serves `/metrics` on `addr`: one short-lived thread per connection with read and write
/// timeouts, so an idle or slow client blocks nobody.
pub fn serve(addr: &str, metrics: Arc<Metrics>) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr).map_err(|e| anyhow::anyhow!("cannot serve metrics on {addr}: {e} (set metrics_listen in config.toml to a free port)"))?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let metrics = metrics.clone();
            std::thread::spawn(move || answer(&stream, &metrics));
        }
    });
    Ok(())
}

fn answer(stream: &TcpStream, metrics: &Metrics) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let mut line = String::new();
    if BufReader::new(stream).read_line(&mut line).is_err() {
        return;
    }
    let mut w = stream;
    if line.starts_with("GET /metrics") || line.starts_with("GET / ") {
        let body = metrics.render();
        let _ = write!(w, "HTTP/1.1 200 OK\r\nContent-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    } else {
        let _ = write!(w, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_help_and_type_and_is_there_from_start() {
        let text = Metrics::default().render();
        for name in ["tss_blocks", "tss_vote_extension_bytes", "tss_finalize_block_seconds", "tss_sessions_started", "tss_blame", "tss_requests_failed", "tss_share_held", "tss_handovers_failed"] {
            assert!(text.contains(&format!("# HELP {name} ")), "{name}: {text}");
            assert!(text.contains(&format!("# TYPE {name} ")), "{name}: {text}");
        }
        assert!(text.contains("tss_blocks_total 0"), "{text}");
        assert!(text.contains("tss_sessions_started_total{kind=\"dkg\"} 0"), "{text}");
    }

    #[test]
    fn blame_is_labelled_by_validator_and_shares_by_keyset() {
        let m = Metrics::default();
        let out = BlockOutput { events: vec![Event::Blame { validator: vec![0xab; 20], reason: tss_engine::types::BlameReason::BadShare }], ..Default::default() };
        m.record_block(&out, Duration::from_millis(3));
        m.record_shares(&[(0, true), (7, false)]);
        let text = m.render();
        assert!(text.contains(&format!("tss_blame_total{{validator=\"{}\",reason=\"bad_share\"}} 1", "AB".repeat(20))), "{text}");
        assert!(text.contains("tss_share_held{keyset=\"0\"} 1") && text.contains("tss_share_held{keyset=\"7\"} 0"), "{text}");
    }

    #[test]
    fn an_idle_connection_does_not_block_the_next_scrape() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        drop(listener);
        serve(&addr, Arc::new(Metrics::default())).unwrap();
        let _idle = TcpStream::connect(&addr).unwrap();
        let mut c = TcpStream::connect(&addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        c.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").unwrap();
        let mut body = String::new();
        let _ = std::io::Read::read_to_string(&mut c, &mut body);
        assert!(body.contains("tss_blocks_total"), "{body}");
    }
}
