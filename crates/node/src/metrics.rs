//! Prometheus metrics, served as text on a loopback port.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tss_engine::types::Event;
use tss_engine::BlockOutput;

/// Counters and gauges.
#[derive(Default)]
pub struct Metrics {
    /// Blocks finalized.
    pub blocks: AtomicU64,
    /// Bytes of this validator's last vote extension.
    pub extension_bytes: AtomicU64,
    /// Microseconds of the last FinalizeBlock.
    pub finalize_micros: AtomicU64,
    counters: Mutex<BTreeMap<String, u64>>,
}

impl Metrics {
    /// Records one block's output.
    pub fn record_block(&self, out: &BlockOutput, took: Duration) {
        self.blocks.fetch_add(1, Ordering::Relaxed);
        self.finalize_micros.store(u64::try_from(took.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
        let mut c = self.counters.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for e in &out.events {
            let key = match e {
                Event::SessionStarted { kind, .. } => format!("tss_sessions_started_total{{kind=\"{kind}\"}}"),
                Event::SessionCompleted { blocks, .. } => {
                    c.insert("tss_session_blocks_last".into(), *blocks);
                    "tss_sessions_completed_total".into()
                }
                Event::SessionFailed { .. } => "tss_sessions_failed_total".into(),
                Event::HandoverFailed { .. } => "tss_handovers_failed_total".into(),
                Event::Blame { reason, .. } => format!("tss_blame_total{{reason=\"{reason:?}\"}}"),
                Event::RequestFinished { ok: true, .. } => "tss_requests_completed_total".into(),
                Event::RequestFinished { ok: false, .. } => "tss_requests_failed_total".into(),
                _ => continue,
            };
            *c.entry(key).or_insert(0) += 1;
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!("tss_blocks_total {}\n", self.blocks.load(Ordering::Relaxed)));
        s.push_str(&format!("tss_vote_extension_bytes {}\n", self.extension_bytes.load(Ordering::Relaxed)));
        s.push_str(&format!("tss_finalize_block_seconds {}\n", self.finalize_micros.load(Ordering::Relaxed) as f64 / 1e6));
        for (k, v) in self.counters.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter() {
            s.push_str(&format!("{k} {v}\n"));
        }
        s
    }
}

/// Serves `/metrics` on `addr` in a background thread.
pub fn serve(addr: &str, metrics: Arc<Metrics>) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr).map_err(|e| anyhow::anyhow!("cannot serve metrics on {addr}: {e}"))?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let body = metrics.render();
            let mut w = &stream;
            let _ = write!(w, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    Ok(())
}
