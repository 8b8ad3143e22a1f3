//! Forward frames for many pairs of devices, each pair's egress in a namespace of its own,
//! through ONE UMEM and from ONE thread: the seed's single-instance design (one namespace per
//! customer) in miniature.
//!
//! ```text
//! forward_many --pair xo1,xi1,xnetns-1-in --pair xo2,xi2,xnetns-2-in ...
//! forward_many --pairs-file pairs.txt          # one IN,OUT,NS per line
//! ```
//!
//! # Design
//!
//! - **One UMEM, frames partitioned per pair.** Every pair has a socket on its ingress device
//!   (RX, in this process's namespace) and one on its egress device (TX, in the pair's
//!   namespace), each with its own fill/completion ring pair on the one UMEM. Pair i owns
//!   `--frames` frames (default 2 x ring) from the start: they go into its ingress fill ring,
//!   come out of its RX ring, go onto its egress TX ring by descriptor
//!   ([`RxQueue::forward_to`]) and come back through its egress completion ring straight into
//!   its ingress fill ring ([`CompletionQueue::recycle_to`]). A frame never changes pairs, so
//!   a pair that is flooded, or whose egress is stuck, holds only its own frames and cannot
//!   starve another pair's fill ring.
//! - **One thread, round-robin, batch 64.** A pass visits every pair once: recycle its
//!   completions, forward at most `--batch` descriptors (and no more than its TX ring has room
//!   for, so that a full TX ring pushes back to the RX ring and from there to the kernel's
//!   drop counters, not to other pairs), and kick its TX ring (a `sendto()` only when it has
//!   descriptors pending). So per pass no pair gets more than a batch ahead of another.
//! - **Sleeping: one `poll()` on all ingress sockets, only after an empty pass.** While any
//!   pair has work, passes go on without a syscall for the idle pairs (an idle pair costs a
//!   look at three ring indexes); when a whole pass found nothing, the thread waits in one
//!   `poll()` for POLLIN on every ingress socket (1 ms while completions are still due, else
//!   100 ms). When frames wait but their TX rings are full, it sleeps 50 µs instead (the
//!   completions that make room come without a wake-up).
//!
//! # Sizes
//!
//! Rings default to 256 entries (RX, TX, fill, completion: 4 rings of 256 per pair, two
//! sockets), frames to 2 x 256 = 512 per pair of 2048 bytes: 1 MiB of UMEM per pair, 64 MiB
//! for 64 pairs (`--ring 4096`, `forward`'s size, would take 16 MiB per pair, 1 GiB for 64).
//!
//! The UMEM is created in this process's namespace and pair 0's ingress socket comes first:
//! the UMEM's first socket must be in the UMEM's namespace (libxdp refuses otherwise with
//! EXDEV).
//!
//! Prints `ready ... umem_bytes=N` once every socket is up, a line of counters per second
//! (unless `--quiet`), and at the end (SIGINT, SIGTERM or `--duration`) a line per pair
//! (`pair I IN->OUT@NS: forwarded N`) and a summary starting with `forwarded N frames`: the
//! protocol of the `forward` example, which this one also follows for a single pair given as
//! `--ingress DEV --egress DEV --egress-netns NS --queues 1`.

mod common;
#[path = "forward_many/args.rs"]
mod many_args;

use std::io::Write;
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use common::args::{self as common_args};
use common::signals;
use libxdp_rs::{
    CompletionQueue, Error, FillQueue, Frame, Netns, RxQueue, Socket, Statistics, StatisticsReader,
    TxQueue, Umem,
};
use many_args::{ForwardManyArgs, PairSpec};

/// Frame size of the UMEM: a 64-byte or 1500-byte frame fits, and two frames share a page.
const FRAME_SIZE: u32 = 2048;
/// How long to wait for frames in flight at the end.
const DRAIN: Duration = Duration::from_secs(2);
/// Wait in `poll()` while completions are due, and while all is quiet (ms).
const POLL_BUSY_MS: i32 = 1;
const POLL_IDLE_MS: i32 = 100;
/// Pause when frames wait but every TX ring they need is full.
const TX_FULL_PAUSE: Duration = Duration::from_micros(50);

/// One pair's rings and frames, and what it did.
struct Pair {
    spec: PairSpec,
    rx: RxQueue,
    fill: FillQueue,
    tx: TxQueue,
    comp: CompletionQueue,
    /// The pair's free frames the fill ring had no room for yet.
    free: Vec<Frame>,
    /// Forwarded frames whose completion has not come back yet.
    in_flight: u64,
    forwarded: u64,
    /// The other halves of both sockets (ingress TX side, egress RX side), kept alive.
    _keep: (CompletionQueue, FillQueue),
}

/// What one visit to a pair did.
#[derive(Default)]
struct Step {
    /// Anything moved: completions, fill entries or frames.
    progress: bool,
    /// Frames forwarded.
    forwarded: usize,
    /// Frames may be waiting for room in a full TX ring.
    tx_full: bool,
}

impl Pair {
    /// One visit: completions back into the fill ring, up to `batch` frames from RX onto TX,
    /// and the TX ring kicked.
    #[inline]
    fn step(&mut self, batch: usize, forward: bool) -> libxdp_rs::Result<Step> {
        let mut step = Step::default();
        let done = self.comp.recycle_to(&mut self.fill, usize::MAX)?
            + self.comp.consume(&mut self.free, usize::MAX);
        self.in_flight -= done as u64;
        step.progress = done > 0;
        if !self.free.is_empty() {
            step.progress |= self.fill.produce(&mut self.free) > 0;
        }
        if forward {
            let room = self.tx.free_entries(batch as u32).min(batch as u32) as usize;
            if room == 0 {
                step.tx_full = true;
            } else {
                let n = self.rx.forward_to(&mut self.tx, room)?;
                if n > 0 {
                    step.progress = true;
                    step.forwarded = n;
                    self.in_flight += n as u64;
                    self.forwarded += n as u64;
                }
            }
        }
        // A sendto() only when descriptors are pending; what a full completion ring holds
        // back goes after the next recycle.
        self.tx.kick()?;
        Ok(step)
    }
}

/// `poll()` for POLLIN on every ingress socket at once.
struct Waiter {
    fds: Vec<libc::pollfd>,
}

impl Waiter {
    fn new(pairs: &[Pair]) -> Self {
        let fds = pairs
            .iter()
            .map(|p| libc::pollfd {
                fd: p.rx.fd().as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        Waiter { fds }
    }

    /// Wait up to `timeout_ms`; a signal ends the wait early (not an error).
    fn wait(&mut self, timeout_ms: i32) -> std::io::Result<()> {
        // SAFETY: fds is a valid array of pollfd of the length given, and every fd in it
        // belongs to a socket alive as long as the pairs (self lives no longer).
        let rc = unsafe { libc::poll(self.fds.as_mut_ptr(), self.fds.len() as _, timeout_ms) };
        if rc < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EINTR) {
                return Err(e);
            }
        }
        Ok(())
    }
}

/// Open pair `index`'s two sockets on the UMEM and hand it its frames.
fn open_pair(
    index: usize,
    spec: PairSpec,
    umem: &Umem,
    mut frames: Vec<Frame>,
    c: &ForwardManyArgs,
    stats: &mut Vec<StatisticsReader>,
) -> libxdp_rs::Result<Pair> {
    let bind = c.copy_mode.bind_flags();
    let egress_ns = common::netns_arg(Some(&spec.egress_netns))?;
    let ingress = Socket::builder(&spec.ingress, 0)
        .netns(umem.netns().try_clone()?)
        .rx(true)
        .tx(false)
        .rx_size(c.ring)
        .bind_flags(bind)
        .build(umem)?;
    let egress = Socket::builder(&spec.egress, 0)
        .netns(egress_ns)
        .rx(false)
        .tx(true)
        .tx_size(c.ring)
        .bind_flags(bind)
        .default_program(false)
        .build(umem)?;
    stats.push(ingress.statistics_reader());
    let (i, e) = (ingress.split(), egress.split());
    let missing = |what: &str| Error::InvalidConfig {
        field: "socket",
        reason: format!("pair {index} ({}): the socket has no {what}", spec.ingress),
    };
    let mut fill = i.fill;
    fill.produce(&mut frames);
    Ok(Pair {
        rx: i.rx.ok_or_else(|| missing("ingress RX ring"))?,
        tx: e.tx.ok_or_else(|| missing("egress TX ring"))?,
        fill,
        comp: e.comp,
        free: frames,
        in_flight: 0,
        forwarded: 0,
        _keep: (i.comp, e.fill),
        spec,
    })
}

/// The forwarding loop over all pairs until a stop is asked for and the frames in flight are
/// back (or `DRAIN` passed). Returns the time of the first and the last forwarded frame.
fn serve(
    pairs: &mut [Pair],
    batch: usize,
    duration: Option<Duration>,
    quiet: bool,
) -> libxdp_rs::Result<(Option<Instant>, Option<Instant>)> {
    let mut waiter = Waiter::new(pairs);
    let start = Instant::now();
    let (mut first, mut last) = (None, None);
    let mut drain_deadline: Option<Instant> = None;
    let mut next_report = start + Duration::from_secs(1);
    let (mut total, mut last_total) = (0u64, 0u64);
    loop {
        let now = Instant::now();
        if duration.is_some_and(|d| now - start >= d) {
            signals::request_stop();
        }
        let stopping = signals::stop_requested();
        if stopping {
            let deadline = *drain_deadline.get_or_insert(now + DRAIN);
            if pairs.iter().all(|p| p.in_flight == 0) || now > deadline {
                break;
            }
        }
        if !quiet && now >= next_report {
            next_report += Duration::from_secs(1);
            println!(
                "{:6.1}s  forwarded {:>9}/s  (total {total})",
                (now - start).as_secs_f64(),
                total - last_total
            );
            last_total = total;
        }

        let (mut progress, mut tx_full, mut moved) = (false, false, 0usize);
        for p in pairs.iter_mut() {
            let s = p.step(batch, !stopping)?;
            progress |= s.progress;
            tx_full |= s.tx_full;
            moved += s.forwarded;
        }
        if moved > 0 {
            let now = Instant::now();
            first.get_or_insert(now);
            last = Some(now);
            total += moved as u64;
        }
        if !progress {
            if tx_full {
                thread::sleep(TX_FULL_PAUSE);
            } else {
                let due = pairs.iter().any(|p| p.in_flight > 0);
                let timeout = if due { POLL_BUSY_MS } else { POLL_IDLE_MS };
                if let Err(e) = waiter.wait(timeout) {
                    eprintln!("forward_many: poll on {} sockets: {e}", pairs.len());
                    thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }
    Ok((first, last))
}

fn run(c: ForwardManyArgs) -> libxdp_rs::Result<bool> {
    common_args::check_batch::<ForwardManyArgs>(c.batch, c.ring);
    let specs = c.all_pairs().map_err(|reason| Error::InvalidConfig {
        field: "pairs",
        reason,
    })?;
    let frames_per_pair = c.frames.unwrap_or(2 * c.ring);
    let frame_count = u32::try_from(specs.len())
        .ok()
        .and_then(|m| m.checked_mul(frames_per_pair))
        .ok_or_else(|| Error::InvalidConfig {
            field: "frames",
            reason: format!(
                "{} pairs x {frames_per_pair} frames is too many",
                specs.len()
            ),
        })?;
    let (umem, mut frames) = Umem::builder()
        .frame_size(FRAME_SIZE)
        .frame_count(frame_count)
        .fill_size(c.ring)
        .comp_size(c.ring)
        .netns(Netns::current()?)
        .build()?;
    let umem_bytes = u64::from(frame_count) * u64::from(FRAME_SIZE);

    let mut stats = Vec::new();
    let mut pairs = Vec::with_capacity(specs.len());
    for (i, spec) in specs.into_iter().enumerate() {
        let own = frames.split_off(frames.len() - frames_per_pair as usize);
        pairs.push(open_pair(i, spec, &umem, own, &c, &mut stats)?);
    }
    println!(
        "ready: forwarding {} pair(s) from one thread, one UMEM of {} frames of {FRAME_SIZE} \
         bytes, rings of {}: umem_bytes={umem_bytes}",
        pairs.len(),
        umem.frame_count(),
        c.ring
    );
    let _ = std::io::stdout().flush();

    let start = Instant::now();
    let (first, last) = serve(&mut pairs, c.batch, common_args::limit(c.duration), c.quiet)?;
    let elapsed = start.elapsed().as_secs_f64();

    let s = stats
        .iter()
        .filter_map(|r| r.read().ok())
        .fold(Statistics::default(), |a, s| a + s);
    let total: u64 = pairs.iter().map(|p| p.forwarded).sum();
    let unfinished: u64 = pairs.iter().map(|p| p.in_flight).sum();
    let active = match (first, last) {
        (Some(f), Some(l)) if l > f => (l - f).as_secs_f64(),
        _ => 0.0,
    };
    for (i, p) in pairs.iter().enumerate() {
        println!(
            "pair {i} {}->{}@{}: forwarded {}",
            p.spec.ingress, p.spec.egress, p.spec.egress_netns, p.forwarded
        );
    }
    println!(
        "kernel: ingress rx_dropped {} rx_ring_full {} fill_ring_empty {}",
        s.rx_dropped, s.rx_ring_full, s.rx_fill_ring_empty_descs
    );
    println!(
        "forwarded {total} frames in {active:.3} s ({:.3} Mpps while active; {elapsed:.1} s in \
         all); pairs {}, dropped {}, unfinished {unfinished}",
        common::mpps(total, active),
        pairs.len(),
        s.rx_drops(),
    );
    Ok(unfinished == 0)
}

fn main() -> ExitCode {
    common::main_with(run)
}
