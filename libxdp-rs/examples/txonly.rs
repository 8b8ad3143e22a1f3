//! A traffic source over AF_XDP: sends numbered, checksummed test frames on every queue of a
//! device (see `rxdrop` for the receiving side).
//!
//! ```text
//! txonly --dev xs1 --netns xnetns-1-src --queues 2 --count 100000 --rate 200000
//! ```
//!
//! Frames: broadcast destination, EtherType 0x88B5, then a magic, the queue id (the stream),
//! the frame length, a sequence number counting from 0 per queue, an FNV-1a checksum and
//! filler bytes. `--count` frames are spread over the queues (queue q sends the q-th share).
//! On a veth, what an AF_XDP socket sends on queue q arrives on the peer's RX queue q.
//!
//! Prints `ready ...` once the sockets are up and `sent N frames ...` at the end, counting
//! frames whose transmission completed.

mod common;

use std::io::Write;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use common::args::{self, TxonlyArgs};
use common::pacing::Pacer;
use common::{payload, signals};
use libxdp_rs::{CompletionQueue, FillQueue, Frame, Socket, TxQueue, Umem};

struct Queue {
    id: u32,
    tx: TxQueue,
    comp: CompletionQueue,
    free: Vec<Frame>,
    /// Frames to send in all (`u64::MAX`: no limit).
    target: u64,
    next_seq: u64,
    sent: u64,
    _fill: FillQueue,
}

fn run(c: TxonlyArgs) -> libxdp_rs::Result<bool> {
    args::check_batch::<TxonlyArgs>(c.batch, c.ring);
    let rate = Some(c.rate).filter(|&r| r > 0);
    let duration = args::limit(c.duration);
    let ns = common::netns_arg(c.device.netns.as_deref())?;
    let per_queue = 2 * c.ring;
    let (umem, mut frames) = Umem::builder()
        .frame_size(2048)
        .frame_count(per_queue * c.device.queues)
        .fill_size(64)
        .comp_size(c.ring)
        .netns(ns.try_clone()?)
        .build()?;
    let mut queues = Vec::new();
    for q in 0..c.device.queues {
        let sock = Socket::builder(&c.device.dev, q)
            .netns(ns.try_clone()?)
            .rx(false)
            .tx(true)
            .tx_size(c.ring)
            .bind_flags(c.copy_mode.bind_flags())
            .default_program(false)
            .build(&umem)?;
        let p = sock.split();
        let missing = |what: &str| libxdp_rs::Error::InvalidConfig {
            field: "socket",
            reason: format!("queue {q}: the socket has no {what}"),
        };
        queues.push(Queue {
            id: q,
            tx: p.tx.ok_or_else(|| missing("TX ring"))?,
            comp: p.comp,
            free: frames.split_off(frames.len() - per_queue as usize),
            target: if c.count == 0 {
                u64::MAX
            } else {
                payload::stream_share(c.count, c.device.queues, q)
            },
            next_seq: 0,
            sent: 0,
            _fill: p.fill,
        });
    }
    println!(
        "ready: sending on {}@{}, {} queue(s), {} frames of {} bytes{}",
        c.device.dev,
        ns.label(),
        c.device.queues,
        if c.count == 0 {
            "unlimited".to_string()
        } else {
            c.count.to_string()
        },
        c.size,
        rate.map_or(String::new(), |r| format!(" at {r} pps"))
    );
    let _ = std::io::stdout().flush();

    let start = Instant::now();
    let mut pacer = Pacer::new(rate, c.batch as u64);
    if c.bursts {
        pacer = pacer.in_bursts();
    }
    let mut building: Vec<Frame> = Vec::with_capacity(c.batch);
    let mut drain_deadline: Option<Instant> = None;
    let mut round = 0usize;
    loop {
        let now = Instant::now();
        if duration.is_some_and(|d| now - start >= d) {
            signals::request_stop();
        }
        let stopping = signals::stop_requested();
        let all_submitted = queues.iter().all(|q| q.next_seq >= q.target);
        let in_flight: u64 = queues.iter().map(|q| q.next_seq - q.sent).sum();
        if (stopping || all_submitted) && in_flight == 0 {
            break;
        }
        if stopping || all_submitted {
            let deadline = *drain_deadline.get_or_insert(now + Duration::from_secs(2));
            if now > deadline {
                break;
            }
        }
        let mut progress = false;
        // Start with another queue each round, so that a rate limit is shared fairly.
        round += 1;
        let first = round % queues.len();
        let (a, b) = queues.split_at_mut(first);
        for q in b.iter_mut().chain(a.iter_mut()) {
            let done = q.comp.consume(&mut q.free, usize::MAX);
            q.sent += done as u64;
            progress |= done > 0;
            if stopping {
                q.tx.kick()?;
                continue;
            }
            let batch = c.batch as u32;
            let want = (q.target - q.next_seq)
                .min(q.free.len() as u64)
                .min(u64::from(q.tx.free_entries(batch).min(batch)));
            let n = pacer.allowance(want, now);
            for _ in 0..n {
                let mut f = q.free.pop().expect("counted above");
                let len =
                    payload::encode_frame(umem.buffer_mut(&mut f), q.id as u16, q.next_seq, c.size);
                f.set_len(len as u32)?;
                q.next_seq += 1;
                building.push(f);
            }
            // All fit: no more were built than the ring had room for.
            let went = q.tx.produce(&mut building) as u64;
            debug_assert!(building.is_empty());
            pacer.sent(went);
            progress |= went > 0;
            q.tx.kick()?;
        }
        if !progress {
            let wait = pacer.wait(Instant::now());
            thread::sleep(wait.clamp(Duration::from_micros(20), Duration::from_millis(1)));
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let sent: u64 = queues.iter().map(|q| q.sent).sum();
    let submitted: u64 = queues.iter().map(|q| q.next_seq).sum();
    for q in &queues {
        println!("queue {}: sent {}", q.id, q.sent);
    }
    println!(
        "sent {sent} frames in {elapsed:.3} s ({:.3} Mpps){}",
        common::mpps(sent, elapsed),
        if submitted != sent {
            format!("; {} submitted but not completed", submitted - sent)
        } else {
            String::new()
        }
    );
    Ok(submitted == sent && (c.count == 0 || sent == c.count))
}

fn main() -> ExitCode {
    common::main_with(run)
}
