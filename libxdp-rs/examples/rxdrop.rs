//! A traffic sink over AF_XDP: receives on every queue of a device, verifies the test frames
//! of `txonly` and counts, per stream (the sender's queue): intact, lost (sequence gaps or
//! missing at the end), duplicated, corrupted and reordered frames.
//!
//! ```text
//! rxdrop --dev xd1 --netns xnetns-1-dst --queues 2 --expect 100000 --timeout 30
//! ```
//!
//! Prints `ready ...` once the sockets are up, and at the end a summary line
//!
//! ```text
//! received N intact, lost L, duplicated D, corrupted C, reordered R
//! ```
//!
//! Exits 0 only when all `--expect` frames arrived intact, once each and in order.

mod common;

use std::io::Write;
use std::os::fd::BorrowedFd;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use common::args::{self, RxdropArgs};
use common::signals;
use common::sink::SinkStats;
use libxdp_rs::{CompletionQueue, FillQueue, Frame, RxQueue, Socket, TxQueue, Umem};

struct Queue {
    id: u32,
    rx: RxQueue,
    fill: FillQueue,
    free: Vec<Frame>,
    received: u64,
    _keep: (Option<TxQueue>, CompletionQueue),
}

fn run(c: RxdropArgs) -> libxdp_rs::Result<bool> {
    args::check_batch::<RxdropArgs>(c.batch, c.ring);
    let timeout = args::limit(c.timeout);
    let ns = common::netns_arg(c.device.netns.as_deref())?;
    let per_queue = 2 * c.ring;
    let (umem, mut frames) = Umem::builder()
        .frame_size(2048)
        .frame_count(per_queue * c.device.queues)
        .fill_size(c.ring)
        .comp_size(64)
        .netns(ns.try_clone()?)
        .build()?;
    let mut queues = Vec::new();
    for q in 0..c.device.queues {
        let sock = Socket::builder(&c.device.dev, q)
            .netns(ns.try_clone()?)
            .rx(true)
            .tx(false)
            .rx_size(c.ring)
            .bind_flags(c.copy_mode.bind_flags())
            .xdp_mode(c.xdp_mode.into())
            .build(&umem)?;
        let p = sock.split();
        let missing = |what: &str| libxdp_rs::Error::InvalidConfig {
            field: "socket",
            reason: format!("queue {q}: the socket has no {what}"),
        };
        let mut fill = p.fill;
        let mut free = frames.split_off(frames.len() - per_queue as usize);
        fill.produce(&mut free);
        queues.push(Queue {
            id: q,
            rx: p.rx.ok_or_else(|| missing("RX ring"))?,
            fill,
            free,
            received: 0,
            _keep: (p.tx, p.comp),
        });
    }
    println!(
        "ready: receiving on {}@{}, {} queue(s), expecting {}",
        c.device.dev,
        ns.label(),
        c.device.queues,
        if c.expect == 0 {
            "any number of frames".to_string()
        } else {
            format!("{} frames", c.expect)
        }
    );
    let _ = std::io::stdout().flush();

    let start = Instant::now();
    let mut sink = SinkStats::default();
    let mut got: Vec<Frame> = Vec::with_capacity(c.batch);
    let mut complete_at: Option<Instant> = None;
    let mut next_print = start + Duration::from_secs(1);
    let mut last_intact = 0;
    let mut first_rx: Option<Instant> = None;
    let mut last_rx = start;
    let mut timed_out = false;
    loop {
        let now = Instant::now();
        if signals::stop_requested() {
            break;
        }
        if timeout.is_some_and(|t| now - start >= t) {
            timed_out = true;
            break;
        }
        if complete_at.is_some_and(|t| now - t >= c.linger) {
            break;
        }
        let mut progress = false;
        for q in queues.iter_mut() {
            got.clear();
            let n = q.rx.consume(&mut got, c.batch);
            if n > 0 {
                progress = true;
                q.received += n as u64;
                for f in got.drain(..) {
                    sink.record(umem.data(&f));
                    q.free.push(f);
                }
            }
            if !q.free.is_empty() {
                q.fill.produce(&mut q.free);
            }
        }
        if progress {
            first_rx.get_or_insert(now);
            last_rx = now;
            if c.expect > 0 && complete_at.is_none() && sink.intact() >= c.expect {
                complete_at = Some(now);
            }
        } else {
            let fds: Vec<BorrowedFd<'_>> = queues.iter().map(|q| q.rx.fd()).collect();
            if let Err(e) = signals::poll_readable(&fds, 20) {
                eprintln!("rxdrop: poll: {e}");
            }
        }
        if !c.quiet && now >= next_print {
            next_print += Duration::from_secs(1);
            let intact = sink.intact();
            println!(
                "{:6.1}s  intact {:>9}/s  (total {intact}, corrupted {})",
                (now - start).as_secs_f64(),
                intact - last_intact,
                sink.corrupted
            );
            last_intact = intact;
        }
    }

    let summary = sink.summary(c.expect);
    for q in &queues {
        let s = q.rx.statistics().unwrap_or_default();
        println!(
            "queue {}: received {} (kernel: rx_dropped {}, rx_ring_full {}, fill_ring_empty {})",
            q.id, q.received, s.rx_dropped, s.rx_ring_full, s.rx_fill_ring_empty_descs
        );
    }
    for (stream, s) in &sink.streams {
        println!(
            "stream {stream}: intact {}, gaps {}, duplicated {}, reordered {}, highest seq {}",
            s.unique,
            s.gaps(),
            s.duplicated,
            s.reordered,
            s.highest.map_or("-".to_string(), |h| h.to_string())
        );
    }
    if let Some(f) = first_rx {
        let secs = (last_rx - f).as_secs_f64();
        println!(
            "receiving took {secs:.3} s ({:.3} Mpps); {} foreign frames ignored",
            common::mpps(summary.intact, secs),
            sink.foreign
        );
    }
    if timed_out {
        println!("timed out after {:.1} s", start.elapsed().as_secs_f64());
    }
    println!("{summary}");
    Ok(summary.all_good(c.expect))
}

fn main() -> ExitCode {
    common::main_with(run)
}
