//! Forward frames from one device to another, possibly in another network namespace, through
//! ONE shared UMEM and without copying: the seed's daemon in miniature.
//!
//! ```text
//! forward --ingress xo1 --egress xi1 --egress-netns xnetns-1-in --queues 2
//! ```
//!
//! For each queue q there is a socket on ingress queue q and one on egress queue q, each
//! (namespace, device, queue) with its own fill/completion ring pair on the one UMEM, and a
//! thread that moves received descriptors straight from the ingress socket's RX ring onto the
//! egress socket's TX ring ([`RxQueue::forward_to`](libxdp_rs::RxQueue::forward_to)), and
//! the egress completions straight into the ingress fill ring
//! ([`CompletionQueue::recycle_to`](libxdp_rs::CompletionQueue::recycle_to)). Frames of queue
//! q stay in queue q's loop, so order within a queue is kept.
//!
//! The UMEM is created in the ingress namespace and the ingress sockets come first: the UMEM's
//! first socket must be in the UMEM's namespace (libxdp refuses otherwise with EXDEV).
//!
//! Prints `ready ...` once every socket is up, a line of counters per second, and a summary
//! starting with `forwarded N` at the end (Ctrl-C, `--duration` or `--count`).
//!
//! With `--busy-poll`, every socket gets the busy-polling options
//! ([`BusyPoll`](libxdp_rs::BusyPoll): prefer, `--busy-poll-usecs`, `--busy-poll-budget`)
//! and the loop never sleeps: where it would wait in `poll()`, it calls `recvfrom()` on the
//! ingress socket without waiting ([`RxQueue::wakeup`](libxdp_rs::RxQueue::wakeup)), which
//! runs the ingress queue's NAPI in the loop's thread, as the kernel's `xdpsock` sample does
//! with `--busy-poll`. The summary then says which NAPI instance each ingress socket was
//! polling (none: busy polling did nothing there).

mod common;

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::args::{self, ForwardArgs};
use common::signals;
use libxdp_rs::{CompletionQueue, FillQueue, Frame, RxQueue, Socket, TxQueue, Umem};

/// Live counters of one queue, read by the main thread.
#[derive(Default)]
struct Counters {
    rx: AtomicU64,
    tx: AtomicU64,
}

/// Everything one queue's thread owns.
struct QueueLoop {
    queue: u32,
    rx: RxQueue,
    fill: FillQueue,
    tx: TxQueue,
    comp: CompletionQueue,
    /// Frames forwarded whose completion has not come back yet.
    in_flight: u64,
    /// Free frames the fill ring had no room for yet.
    free: Vec<Frame>,
    batch: usize,
    counters: Arc<Counters>,
    forwarded: Arc<AtomicU64>,
    count: u64,
    /// Busy polling: never sleep; drive the ingress queue with recvfrom() instead.
    busy_poll: bool,
    /// Keep the other halves of both sockets (ingress TX side, egress RX side) alive.
    _keep: (CompletionQueue, FillQueue),
}

/// What a queue's thread reports at the end.
struct QueueReport {
    queue: u32,
    rx: u64,
    tx: u64,
    first_rx: Option<Instant>,
    last_tx: Option<Instant>,
    unfinished: u64,
    /// With busy polling: the ingress socket's NAPI instance at the end, if it had one.
    napi_id: Option<u32>,
}

impl QueueLoop {
    fn run(mut self) -> libxdp_rs::Result<QueueReport> {
        let mut total = 0u64;
        let (mut first_rx, mut last_tx) = (None, None);
        let mut drain_deadline: Option<Instant> = None;
        loop {
            let stopping = signals::stop_requested();
            if stopping {
                let deadline = *drain_deadline.get_or_insert(Instant::now() + DRAIN);
                if self.in_flight == 0 || Instant::now() > deadline {
                    break;
                }
            }
            let mut progress = false;

            // Egress completions straight back into the ingress fill ring; those it has no
            // room for join the free frames, which go in as room appears.
            let done = self.comp.recycle_to(&mut self.fill, usize::MAX)?
                + self.comp.consume(&mut self.free, usize::MAX);
            self.in_flight -= done as u64;
            progress |= done > 0;
            if !self.free.is_empty() {
                progress |= self.fill.produce(&mut self.free) > 0;
            }

            // Forward by descriptor, straight from the RX ring onto the TX ring: a batch at
            // most, and only what the TX ring has room for, so that a full TX ring pushes back
            // to the RX ring (and from there, in the kernel, to the sender or to drops).
            let batch = self.batch as u32;
            let room = self.tx.free_entries(batch).min(batch) as usize;
            let mut received = 0;
            if !stopping && room > 0 {
                let n = self.rx.forward_to(&mut self.tx, room)?;
                received = n;
                if n > 0 {
                    progress = true;
                    let now = Instant::now();
                    first_rx.get_or_insert(now);
                    last_tx = Some(now);
                    self.in_flight += n as u64;
                    total += n as u64;
                    self.counters.rx.store(total, Ordering::Relaxed);
                    self.counters.tx.store(total, Ordering::Relaxed);
                    let all = self.forwarded.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
                    if self.count > 0 && all >= self.count {
                        signals::request_stop();
                    }
                }
            }
            // Everything forwarded goes now (copy mode sends 32 per sendto(); kick() repeats
            // it); what a full completion ring holds back goes after the next recycle.
            self.tx.kick()?;

            if self.busy_poll {
                // Never sleep: with the RX ring empty, run the ingress queue's NAPI in this
                // thread (the kernel's xdpsock does the same). Sends were kicked above.
                if received == 0 && room > 0 && !stopping {
                    self.rx.wakeup()?;
                }
            } else if !progress {
                // Idle: wait for frames (briefly when completions are still due), or for
                // room on a full TX ring.
                if room > 0 && !stopping {
                    let timeout = if self.in_flight > 0 { 1 } else { 100 };
                    if let Err(e) = self.rx.poll(timeout) {
                        eprintln!("forward: queue {}: {}", self.queue, e.report());
                    }
                } else {
                    thread::sleep(Duration::from_micros(50));
                }
            }
        }
        let napi_id = if self.busy_poll {
            self.rx.napi_id()?
        } else {
            None
        };
        Ok(QueueReport {
            queue: self.queue,
            rx: total,
            tx: total,
            first_rx,
            last_tx,
            unfinished: self.in_flight,
            napi_id,
        })
    }
}

/// How long to wait for frames in flight at the end.
const DRAIN: Duration = Duration::from_secs(2);

fn run(c: ForwardArgs) -> libxdp_rs::Result<bool> {
    args::check_batch::<ForwardArgs>(c.batch, c.ring);
    let frames_per_queue = c.frames.unwrap_or(2 * c.ring);
    let duration = args::limit(c.duration);
    let bind = c.copy_mode.bind_flags();
    let ingress_ns = common::netns_arg(c.ingress_netns.as_deref())?;
    let egress_ns = common::netns_arg(c.egress_netns.as_deref())?;
    let busy_poll = c.busy_poll.settings();
    let with_busy_poll = |b: libxdp_rs::SocketBuilder| match busy_poll {
        Some(settings) => b.busy_poll(settings),
        None => b,
    };
    // The UMEM lives in the ingress namespace, where its first socket is created.
    let (umem, mut frames) = Umem::builder()
        .frame_size(2048)
        .frame_count(frames_per_queue * c.queues)
        .fill_size(c.ring)
        .comp_size(c.ring)
        .netns(ingress_ns.try_clone()?)
        .build()?;

    let forwarded = Arc::new(AtomicU64::new(0));
    let mut loops = Vec::new();
    let mut stats: Vec<libxdp_rs::StatisticsReader> = Vec::new();
    for q in 0..c.queues {
        let ingress = with_busy_poll(Socket::builder(&c.ingress, q))
            .netns(ingress_ns.try_clone()?)
            .rx(true)
            .tx(false)
            .rx_size(c.ring)
            .bind_flags(bind)
            .xdp_mode(c.xdp_mode.into())
            .build(&umem)?;
        let egress = with_busy_poll(Socket::builder(&c.egress, q))
            .netns(egress_ns.try_clone()?)
            .rx(false)
            .tx(true)
            .tx_size(c.ring)
            .bind_flags(bind)
            .default_program(false)
            .build(&umem)?;
        stats.push(ingress.statistics_reader());
        stats.push(egress.statistics_reader());
        let (i, e) = (ingress.split(), egress.split());
        let missing = |what: &str| libxdp_rs::Error::InvalidConfig {
            field: "socket",
            reason: format!("queue {q}: the socket has no {what}"),
        };
        let mut fill = i.fill;
        let mut free = frames.split_off(frames.len() - frames_per_queue as usize);
        fill.produce(&mut free);
        loops.push(QueueLoop {
            queue: q,
            rx: i.rx.ok_or_else(|| missing("ingress RX ring"))?,
            fill,
            tx: e.tx.ok_or_else(|| missing("egress TX ring"))?,
            comp: e.comp,
            in_flight: 0,
            free,
            batch: c.batch,
            counters: Arc::new(Counters::default()),
            forwarded: forwarded.clone(),
            count: c.count,
            busy_poll: busy_poll.is_some(),
            _keep: (i.comp, e.fill),
        });
    }

    let counters: Vec<Arc<Counters>> = loops.iter().map(|l| l.counters.clone()).collect();
    let start = Instant::now();
    let handles: Vec<_> = loops
        .into_iter()
        .map(|l| {
            let name = format!("forward-q{}", l.queue);
            thread::Builder::new()
                .name(name)
                .spawn(move || l.run())
                .expect("spawning a thread")
        })
        .collect();
    println!(
        "ready: forwarding {}@{} -> {}@{}, {} queue(s), one UMEM of {} frames",
        c.ingress,
        ingress_ns.label(),
        c.egress,
        egress_ns.label(),
        c.queues,
        umem.frame_count()
    );
    let _ = std::io::stdout().flush();

    let stats = || {
        stats
            .iter()
            .filter_map(|r| r.read().ok())
            .fold(libxdp_rs::Statistics::default(), |a, s| a + s)
    };
    let totals = || {
        counters.iter().fold((0, 0), |(rx, tx), c| {
            (
                rx + c.rx.load(Ordering::Relaxed),
                tx + c.tx.load(Ordering::Relaxed),
            )
        })
    };
    let (mut last_rx, mut last_tx, mut last_drop) = (0u64, 0u64, 0u64);
    let mut next = start + Duration::from_secs(1);
    while !handles.iter().all(|h| h.is_finished()) {
        thread::sleep(Duration::from_millis(20));
        let now = Instant::now();
        if duration.is_some_and(|d| now - start >= d) {
            signals::request_stop();
        }
        if now >= next {
            next += Duration::from_secs(1);
            let (rx, tx) = totals();
            let drops = stats().rx_drops();
            if !c.quiet {
                println!(
                    "{:6.1}s  rx {:>9}/s  tx {:>9}/s  drop {:>7}/s  (total rx {rx} tx {tx} drop {drops})",
                    (now - start).as_secs_f64(),
                    rx - last_rx,
                    tx - last_tx,
                    drops - last_drop
                );
            }
            (last_rx, last_tx, last_drop) = (rx, tx, drops);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();

    let mut reports = Vec::new();
    let mut failed = None;
    for h in handles {
        match h.join() {
            Ok(Ok(r)) => reports.push(r),
            Ok(Err(e)) => failed = Some(e),
            Err(_) => {
                failed = Some(libxdp_rs::Error::InvalidConfig {
                    field: "thread",
                    reason: "a forwarding thread panicked".into(),
                })
            }
        }
    }
    let s = stats();
    if let Some(e) = failed {
        return Err(e);
    }
    let rx: u64 = reports.iter().map(|r| r.rx).sum();
    let tx: u64 = reports.iter().map(|r| r.tx).sum();
    let unfinished: u64 = reports.iter().map(|r| r.unfinished).sum();
    let first = reports.iter().filter_map(|r| r.first_rx).min();
    let last = reports.iter().filter_map(|r| r.last_tx).max();
    let active = match (first, last) {
        (Some(f), Some(l)) if l > f => (l - f).as_secs_f64(),
        _ => 0.0,
    };
    for r in &reports {
        println!("queue {}: rx {} tx {}", r.queue, r.rx, r.tx);
    }
    if let Some(b) = busy_poll {
        let ids: Vec<String> = reports
            .iter()
            .map(|r| match r.napi_id {
                Some(id) => format!("queue {} NAPI {id}", r.queue),
                None => format!("queue {} no NAPI (nothing to poll)", r.queue),
            })
            .collect();
        println!(
            "busy poll: {} us, budget {}, preferred; ingress {}",
            b.usecs,
            b.budget,
            ids.join(", ")
        );
    }
    println!(
        "kernel: ingress rx_dropped {} rx_ring_full {} fill_ring_empty {}; tx_invalid_descs {}",
        s.rx_dropped, s.rx_ring_full, s.rx_fill_ring_empty_descs, s.tx_invalid_descs
    );
    println!(
        "forwarded {tx} frames in {active:.3} s ({:.3} Mpps while active; {elapsed:.1} s in all); \
         rx {rx}, tx {tx}, dropped {}, unfinished {unfinished}",
        common::mpps(tx, active),
        s.rx_drops(),
    );
    Ok(unfinished == 0 && s.tx_invalid_descs == 0)
}

fn main() -> ExitCode {
    common::main_with(run)
}
