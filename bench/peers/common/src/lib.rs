//! What the peer forwarders share, so that they differ from each other and from
//! `libxdp-rs/examples/forward.rs` only in the AF_XDP library underneath: the forwarder
//! protocol's command line, entering a network namespace on the thread, the stop signal, the
//! TX kick and the summary line.

pub mod args;
pub mod kick;
pub mod netns;
pub mod signals;

use std::time::{Duration, Instant};

/// How long to wait for frames in flight at the end (as examples/forward).
pub const DRAIN: Duration = Duration::from_secs(2);

/// The UMEM frame size of every contender.
pub const FRAME_SIZE: u32 = 2048;

/// What a forwarding loop reports at the end.
#[derive(Debug, Default)]
pub struct Report {
    pub forwarded: u64,
    pub first_rx: Option<Instant>,
    pub last_tx: Option<Instant>,
    /// Forwarded frames whose completion had not come back at the end.
    pub unfinished: u64,
}

impl Report {
    /// Note `n` more frames forwarded now.
    pub fn forwarded(&mut self, n: u64) {
        let now = Instant::now();
        self.first_rx.get_or_insert(now);
        self.last_tx = Some(now);
        self.forwarded += n;
    }

    /// The protocol's last line: `forwarded N frames ...`.
    pub fn print(&self, elapsed: Duration) {
        let active = match (self.first_rx, self.last_tx) {
            (Some(f), Some(l)) if l > f => (l - f).as_secs_f64(),
            _ => 0.0,
        };
        let mpps = if active > 0.0 {
            self.forwarded as f64 / active / 1e6
        } else {
            0.0
        };
        println!(
            "forwarded {} frames in {active:.3} s ({mpps:.3} Mpps while active; {:.1} s in all); \
             unfinished {}",
            self.forwarded,
            elapsed.as_secs_f64(),
            self.unfinished
        );
    }
}
