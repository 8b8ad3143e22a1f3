//! Helpers of the examples that need the library (the rest of `common` needs only `std`).

// Each example uses a different part of this module.
#![allow(dead_code)]

use libxdp_rs::{BindFlags, Frame, Netns, TxQueue, XdpMode};

/// The namespace named on the command line: none, empty or `current` for the current one, a
/// path when it contains `/`, otherwise a name under `/run/netns`.
pub fn netns_arg(arg: Option<&str>) -> libxdp_rs::Result<Netns> {
    match arg {
        None | Some("") | Some("current") => Netns::current(),
        Some(p) if p.contains('/') => Netns::path(p),
        Some(name) => Netns::named(name),
    }
}

/// `--xdp-mode`: `default`, `skb` or `native`/`driver`.
pub fn xdp_mode_arg(arg: Option<&str>) -> Result<XdpMode, String> {
    match arg.unwrap_or("default") {
        "default" => Ok(XdpMode::Default),
        "skb" | "generic" => Ok(XdpMode::Skb),
        "native" | "driver" | "drv" => Ok(XdpMode::Driver),
        other => Err(format!(
            "--xdp-mode {other:?}: expected default, skb or native"
        )),
    }
}

/// Bind flags from `--copy` / `--zero-copy`; need-wakeup is always on.
pub fn bind_flags(copy: bool, zero_copy: bool) -> Result<BindFlags, String> {
    if copy && zero_copy {
        return Err("--copy and --zero-copy exclude each other".into());
    }
    Ok(BindFlags {
        copy,
        zero_copy,
        need_wakeup: true,
    })
}

/// A TX ring whose occupancy is tracked, so that frames go in strictly in order: never more
/// is handed to the ring than is sure to fit, so `TxQueue::produce` always takes the whole
/// batch.
///
/// Frames submitted and not yet completed alone are not such a bound: in copy mode the kernel
/// sends at most a batch per `sendto()` and publishes its TX consumer index only after a run
/// of descriptors, so completions can be back while their TX entries still look taken.
/// [`OrderedTx::room`] asks the ring as well.
pub struct OrderedTx {
    /// The ring.
    pub tx: TxQueue,
    size: u32,
    /// Frames submitted whose completion has not been consumed yet.
    pub outstanding: u64,
    batch: Vec<Frame>,
}

impl OrderedTx {
    /// Wrap `tx`, a ring of `size` entries.
    pub fn new(tx: TxQueue, size: u32) -> OrderedTx {
        OrderedTx {
            tx,
            size,
            outstanding: 0,
            batch: Vec::new(),
        }
    }

    /// Free entries for sure: the fewer of the entries not taken by frames in flight and the
    /// ring's own free count.
    pub fn room(&mut self) -> usize {
        let untaken = u64::from(self.size).saturating_sub(self.outstanding) as u32;
        self.tx.free_entries(untaken).min(untaken) as usize
    }

    /// Submit frames from the front of `queue` (oldest first) in order, as many as surely
    /// fit; returns how many went.
    pub fn submit(&mut self, queue: &mut Vec<Frame>) -> usize {
        let n = self.room().min(queue.len());
        if n == 0 {
            return 0;
        }
        // `TxQueue::produce` takes frames from the end of a vector. It takes them all, since
        // `room` is a lower bound of the ring's free entries (they only grow until we produce).
        let sent = if n == queue.len() {
            self.tx.produce(queue)
        } else {
            // Only the oldest n fit: move them out, and put back (at the front, in order)
            // anything the ring did not take.
            self.batch.clear();
            self.batch.extend(queue.drain(..n));
            let sent = self.tx.produce(&mut self.batch);
            queue.splice(0..0, self.batch.drain(..));
            sent
        };
        self.outstanding += sent as u64;
        sent
    }

    /// Record `n` completions consumed.
    pub fn completed(&mut self, n: usize) {
        self.outstanding = self.outstanding.saturating_sub(n as u64);
    }

    /// Kick the kernel when frames are pending and it wants a kick. In copy mode the kernel
    /// sends at most a small batch (32) per kick, so call this on every loop round.
    pub fn kick(&self) -> libxdp_rs::Result<()> {
        if self.outstanding > 0 && self.tx.needs_wakeup() {
            self.tx.wakeup()?;
        }
        Ok(())
    }
}
