//! bench-rings: AF_XDP ring operations, libxdp-rs (Rust) against upstream's `static inline`
//! helpers of `<xdp/xsk.h>` (C, compiled into this binary by build.rs), on the same memory.
//!
//! One ring in heap memory laid out like the kernel's mapping (producer, consumer and flags
//! words on cache lines of their own, then the descriptor array). Both contenders run the same
//! loop from one thread: produce `batch` descriptors (reserve, write, submit), then consume
//! them (peek, read into a checksum, release). Single-threaded on purpose: it measures the
//! ring code, not cache-line transfers between cores. Two descriptor kinds: `u64` addresses
//! (fill/completion rings) and `struct xdp_desc` (RX/TX rings).
//!
//! A round runs each contender for about `--min-ms`, as 20 short slices interleaved with the
//! other's (C, Rust, Rust, C, ...), so that the shared VM's changes of speed land on both
//! alike. ns per descriptor: median over the rounds, with min and max. Rust/C: the median of
//! the same-round ratios, with their range.
//!
//! `--instr` counts instructions per descriptor instead, under valgrind (see `instr`).

mod instr;

use std::alloc::{self, Layout};
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};

use clap::{CommandFactory, Parser, ValueEnum};

use libxdp_rs::testing::{Desc, RawConsumer, RawProducer, XdpDesc};
use libxdp_sys::{xsk_ring_cons, xsk_ring_prod};

extern "C" {
    fn c_addr_cycle(
        prod: *mut xsk_ring_prod,
        cons: *mut xsk_ring_cons,
        batch: u32,
        iters: u64,
        failed: *mut libc::c_int,
    ) -> u64;
    fn c_desc_cycle(
        prod: *mut xsk_ring_prod,
        cons: *mut xsk_ring_cons,
        batch: u32,
        iters: u64,
        failed: *mut libc::c_int,
    ) -> u64;
}

const BATCHES: [u32; 4] = [1, 16, 64, 256];
/// Short runs per contender that make up one round (see `measure`).
const SLICES: u64 = 20;
/// Offsets in the ring memory, as the kernel lays out `struct xdp_ring` on x86-64 (each word
/// on its own 128-byte pair of cache lines) — only the separation matters here.
const OFF_PRODUCER: usize = 0;
const OFF_CONSUMER: usize = 128;
const OFF_FLAGS: usize = 256;
const OFF_DESCS: usize = 384;

/// What bench-rings measures, as `--help` says it.
const ABOUT: &str = "Ring operations (reserve+submit, peek+release) of libxdp-rs against \
upstream's static inline xsk.h helpers compiled into this binary, batches of 1, 16, 64 and 256 \
descriptors, on the same heap memory; one thread. Prints ns per descriptor (median [min-max] \
over the rounds) and the line `ring ops Rust/C: X.XX` (at the worst batch, the median of the \
same-round Rust/C ratios). With --instr: instructions per descriptor instead, counted by \
valgrind (exact). No root needed.";

/// The command line.
#[derive(Debug, Parser)]
#[command(name = "bench-rings", about = ABOUT)]
struct Cli {
    /// 1 round of ~5 ms per contender and case (smoke test for the suite).
    #[arg(long)]
    quick: bool,
    /// Rounds per case.
    #[arg(long, value_name = "N", default_value_t = 7, value_parser = clap::value_parser!(u16).range(1..))]
    rounds: u16,
    /// Time per contender and round, in 20 interleaved slices.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    min_ms: u64,
    /// Ring entries, a power of two from 256 to 2^24 (default: libxdp's).
    #[arg(long, value_name = "N", default_value_t = 2048, value_parser = ring_size)]
    ring_size: u32,
    /// Pin the thread to CPU N first.
    #[arg(long, value_name = "N")]
    cpu: Option<usize>,
    /// Also write the results as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<String>,
    /// Only this batch size (repeatable; any size from 1 to the ring size).
    #[arg(long = "batch", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    batches: Vec<u32>,
    /// Only this ring kind (repeatable).
    #[arg(long = "ring", value_name = "R", value_enum)]
    kinds: Vec<Kind>,
    /// Count instructions per descriptor under valgrind (callgrind) instead of timing; exit
    /// status 3 when valgrind is not on PATH. Prints `ring instr/desc Rust/C: X.XX (worst
    /// batch B)`; --json writes {"tool", "batches": {"1": {"rust", "c", "ratio"}, ...},
    /// "ratio_worst", ...}.
    #[arg(long, conflicts_with_all = ["rounds", "min_ms", "cpu"])]
    instr: bool,
    /// The runs of one contender for --instr (the child valgrind runs):
    /// WHO:RING:BATCHxITERS,...
    #[arg(long, value_name = "CASE", hide = true, conflicts_with = "instr")]
    instr_case: Option<instr::Case>,
}

#[derive(Debug)]
struct Options {
    rounds: usize,
    min_time: Duration,
    ring_size: u32,
    cpu: Option<usize>,
    json: Option<String>,
    quick: bool,
    batches: Vec<u32>,
    kinds: Vec<Kind>,
    instr: bool,
    instr_case: Option<instr::Case>,
}

impl From<Cli> for Options {
    fn from(c: Cli) -> Options {
        Options {
            rounds: if c.quick { 1 } else { usize::from(c.rounds) },
            min_time: Duration::from_millis(if c.quick { 5 } else { c.min_ms }),
            ring_size: c.ring_size,
            cpu: c.cpu,
            json: c.json,
            quick: c.quick,
            batches: if c.batches.is_empty() {
                BATCHES.to_vec()
            } else {
                c.batches
            },
            kinds: if c.kinds.is_empty() {
                vec![Kind::Addr, Kind::XdpDesc]
            } else {
                c.kinds
            },
            instr: c.instr,
            instr_case: c.instr_case,
        }
    }
}

fn ring_size(v: &str) -> Result<u32, String> {
    match v.parse::<u32>() {
        Ok(n) if n.is_power_of_two() && (256..=1 << 24).contains(&n) => Ok(n),
        _ => Err(format!("{v:?} is not a power of two in 256..=16777216")),
    }
}

/// One ring's memory: producer, consumer and flags words, then `size` descriptors of `T`.
struct RingMem<T> {
    base: *mut u8,
    layout: Layout,
    size: u32,
    _t: std::marker::PhantomData<T>,
}

impl<T: Desc> RingMem<T> {
    fn new(size: u32) -> RingMem<T> {
        let bytes = OFF_DESCS + size as usize * std::mem::size_of::<T>();
        let layout = Layout::from_size_align(bytes, 4096).expect("valid layout");
        // SAFETY: the layout has a non-zero size.
        let base = unsafe { alloc::alloc_zeroed(layout) };
        if base.is_null() {
            alloc::handle_alloc_error(layout);
        }
        RingMem {
            base,
            layout,
            size,
            _t: std::marker::PhantomData,
        }
    }

    fn word(&self, off: usize) -> *mut u32 {
        // SAFETY: the offsets lie inside the allocation.
        unsafe { self.base.add(off).cast::<u32>() }
    }

    fn descs(&self) -> *mut T {
        // SAFETY: inside the allocation, aligned (384 is a multiple of 8 and 16).
        unsafe { self.base.add(OFF_DESCS).cast::<T>() }
    }

    /// Empty ring: both indexes 0.
    fn reset(&mut self) {
        // SAFETY: valid, aligned words; nobody else uses the ring between runs.
        unsafe {
            self.word(OFF_PRODUCER).write(0);
            self.word(OFF_CONSUMER).write(0);
            self.word(OFF_FLAGS).write(0);
        }
    }

    /// libxdp's structs over the (reset) ring, as xsk.c fills them in for a fresh ring.
    fn c_rings(&mut self) -> (xsk_ring_prod, xsk_ring_cons) {
        self.reset();
        let prod = xsk_ring_prod {
            cached_prod: 0,
            cached_cons: self.size,
            mask: self.size - 1,
            size: self.size,
            producer: self.word(OFF_PRODUCER),
            consumer: self.word(OFF_CONSUMER),
            ring: self.descs().cast(),
            flags: self.word(OFF_FLAGS),
        };
        let cons = xsk_ring_cons {
            cached_prod: 0,
            cached_cons: 0,
            mask: self.size - 1,
            size: self.size,
            producer: self.word(OFF_PRODUCER),
            consumer: self.word(OFF_CONSUMER),
            ring: self.descs().cast(),
            flags: self.word(OFF_FLAGS),
        };
        (prod, cons)
    }

    /// libxdp-rs's raw rings over the (reset) ring.
    fn rust_rings(&mut self) -> (RawProducer<T>, RawConsumer<T>) {
        self.reset();
        let w = |off| self.word(off) as *const AtomicU32;
        // SAFETY: aligned words and `size` descriptors that live as long as `self`, which
        // outlives the rings (they are used only inside one run). One producer, one consumer,
        // both following the protocol.
        unsafe {
            (
                RawProducer::new(
                    w(OFF_PRODUCER),
                    w(OFF_CONSUMER),
                    w(OFF_FLAGS),
                    self.descs(),
                    self.size,
                ),
                RawConsumer::new(
                    w(OFF_PRODUCER),
                    w(OFF_CONSUMER),
                    w(OFF_FLAGS),
                    self.descs().cast_const(),
                    self.size,
                ),
            )
        }
    }
}

impl<T> Drop for RingMem<T> {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { alloc::dealloc(self.base, self.layout) };
    }
}

/// The Rust loops: the same work as c/ring_loops.c, through libxdp-rs's ring code.
#[inline(never)]
pub(crate) fn rust_addr_cycle(
    prod: &mut RawProducer<u64>,
    cons: &mut RawConsumer<u64>,
    batch: u32,
    iters: u64,
) -> Option<u64> {
    let (mut sum, mut next) = (0u64, 0u64);
    for _ in 0..iters {
        let base = next;
        if prod.produce_with(batch, |i| base + u64::from(i)) != batch {
            return None;
        }
        next += u64::from(batch);
        if cons.consume_with(batch, |a| sum = sum.wrapping_add(a)) != batch {
            return None;
        }
    }
    Some(sum)
}

#[inline(never)]
pub(crate) fn rust_desc_cycle(
    prod: &mut RawProducer<XdpDesc>,
    cons: &mut RawConsumer<XdpDesc>,
    batch: u32,
    iters: u64,
) -> Option<u64> {
    let (mut sum, mut next) = (0u64, 0u64);
    for _ in 0..iters {
        let base = next;
        let made = prod.produce_with(batch, |i| XdpDesc {
            addr: base + u64::from(i),
            len: 64 + (i & 1023),
            options: 0,
        });
        if made != batch {
            return None;
        }
        next += u64::from(batch);
        let got = cons.consume_with(batch, |d| {
            sum = sum.wrapping_add(d.addr + u64::from(d.len));
        });
        if got != batch {
            return None;
        }
    }
    Some(sum)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    C,
    Rust,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
enum Kind {
    /// `u64` descriptors: fill and completion rings.
    #[value(name = "fill")]
    Addr,
    /// `struct xdp_desc`: RX and TX rings.
    #[value(name = "xdp_desc")]
    XdpDesc,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Addr => "fill/comp (u64)",
            Kind::XdpDesc => "rx/tx (xdp_desc)",
        }
    }
}

struct Rings {
    addr: RingMem<u64>,
    desc: RingMem<XdpDesc>,
}

/// One timed run: `iters` produce+consume cycles of `batch`. Returns (elapsed, checksum).
fn run(rings: &mut Rings, kind: Kind, who: Who, batch: u32, iters: u64) -> (Duration, u64) {
    let batch = black_box(batch);
    let iters = black_box(iters);
    let (t, sum) = match (kind, who) {
        (Kind::Addr, Who::C) => {
            let (mut p, mut c) = rings.addr.c_rings();
            let mut failed = 0;
            let t = Instant::now();
            // SAFETY: the structs describe a live, empty ring of `size` u64 slots.
            let s = unsafe { c_addr_cycle(&mut p, &mut c, batch, iters, &mut failed) };
            let t = t.elapsed();
            (t, (failed == 0).then_some(s))
        }
        (Kind::XdpDesc, Who::C) => {
            let (mut p, mut c) = rings.desc.c_rings();
            let mut failed = 0;
            let t = Instant::now();
            // SAFETY: the structs describe a live, empty ring of `size` xdp_desc slots.
            let s = unsafe { c_desc_cycle(&mut p, &mut c, batch, iters, &mut failed) };
            let t = t.elapsed();
            (t, (failed == 0).then_some(s))
        }
        (Kind::Addr, Who::Rust) => {
            let (mut p, mut c) = rings.addr.rust_rings();
            let t = Instant::now();
            let s = rust_addr_cycle(&mut p, &mut c, batch, iters);
            (t.elapsed(), s)
        }
        (Kind::XdpDesc, Who::Rust) => {
            let (mut p, mut c) = rings.desc.rust_rings();
            let t = Instant::now();
            let s = rust_desc_cycle(&mut p, &mut c, batch, iters);
            (t.elapsed(), s)
        }
    };
    match sum {
        Some(s) => (t, black_box(s)),
        None => {
            eprintln!(
                "bench-rings: {who:?} {kind:?} batch {batch}: a reserve or peek came up short"
            );
            std::process::exit(1);
        }
    }
}

/// The expected checksum of `iters` cycles of `batch` (descriptors numbered 0, 1, ...).
fn expected_sum(kind: Kind, batch: u32, iters: u64) -> u64 {
    let n = u64::from(batch) * iters;
    let addrs = n.wrapping_mul(n.wrapping_sub(1)) / 2;
    match kind {
        Kind::Addr => addrs,
        Kind::XdpDesc => {
            let per_batch: u64 = (0..batch).map(|i| 64 + u64::from(i & 1023)).sum();
            addrs.wrapping_add(per_batch.wrapping_mul(iters))
        }
    }
}

struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

fn stats(v: &[f64]) -> Stats {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let median = if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    };
    Stats {
        median,
        min: s[0],
        max: s[n - 1],
    }
}

struct CaseResult {
    kind: Kind,
    batch: u32,
    iters: u64,
    c: Stats,
    rust: Stats,
    /// The median of the per-round ratios (Rust / C of the same round): each pair of figures
    /// was taken under the same conditions, so their ratio carries less of the machine's drift
    /// than a ratio of two medians taken over different rounds.
    ratio: f64,
    /// Per-round ratios (Rust / C of the same round).
    round_ratio: Stats,
}

fn measure(rings: &mut Rings, kind: Kind, batch: u32, o: &Options) -> CaseResult {
    // Calibrate on the C side: double until a run takes a tenth of the target, then scale.
    let mut iters: u64 = 1024;
    loop {
        let (t, _) = run(rings, kind, Who::C, batch, iters);
        if t >= o.min_time / 10 || iters >= 1 << 40 {
            let scale = o.min_time.as_secs_f64() / t.as_secs_f64().max(1e-9);
            iters = ((iters as f64 * scale).ceil() as u64).max(1);
            break;
        }
        iters *= 2;
    }
    // Warm both up once with the real count, and check they agree.
    let want = expected_sum(kind, batch, iters);
    for who in [Who::C, Who::Rust] {
        let (_, sum) = run(rings, kind, who, batch, iters);
        if sum != want {
            eprintln!(
                "bench-rings: {who:?} {kind:?} batch {batch}: checksum {sum} != expected {want}"
            );
            std::process::exit(1);
        }
    }
    // A round is SLICES short runs of each contender, interleaved (C, Rust, Rust, C, ...),
    // so that a change in the machine's speed during the round (this is a shared VM) lands on
    // both alike; each figure of the round is the sum of its slices.
    let slice_iters = iters.div_ceil(SLICES);
    let descs = (u64::from(batch) * slice_iters * SLICES) as f64;
    let (mut c, mut r, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..o.rounds {
        let (mut tc, mut tr) = (Duration::ZERO, Duration::ZERO);
        for slice in 0..SLICES {
            let order = if (round as u64 + slice) % 2 == 0 {
                [Who::C, Who::Rust]
            } else {
                [Who::Rust, Who::C]
            };
            for who in order {
                let (t, _) = run(rings, kind, who, batch, slice_iters);
                match who {
                    Who::C => tc += t,
                    Who::Rust => tr += t,
                }
            }
        }
        let (tc, tr) = (
            tc.as_secs_f64() * 1e9 / descs,
            tr.as_secs_f64() * 1e9 / descs,
        );
        c.push(tc);
        r.push(tr);
        ratios.push(tr / tc);
    }
    let (c, rust) = (stats(&c), stats(&r));
    CaseResult {
        kind,
        batch,
        iters,
        ratio: stats(&ratios).median,
        c,
        rust,
        round_ratio: stats(&ratios),
    }
}

fn pin(cpu: usize) -> Result<(), String> {
    // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET and sched_setaffinity get valid
    // pointers to it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if cpu >= libc::CPU_SETSIZE as usize {
            return Err(format!("--cpu {cpu}: out of range"));
        }
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) != 0 {
            return Err(format!(
                "--cpu {cpu}: sched_setaffinity: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

fn stats_json(s: &Stats) -> String {
    format!(
        "{{\"median\":{:.4},\"min\":{:.4},\"max\":{:.4}}}",
        s.median, s.min, s.max
    )
}

fn case_json(r: &CaseResult) -> String {
    format!(
        "{{\"batch\":{},\"c_ns_per_desc\":{},\"rust_ns_per_desc\":{},\"ratio\":{:.4},\
         \"ratio_per_round\":{},\"iterations\":{}}}",
        r.batch,
        stats_json(&r.c),
        stats_json(&r.rust),
        r.ratio,
        stats_json(&r.round_ratio),
        r.iters
    )
}

fn main() -> ExitCode {
    let o = Options::from(Cli::parse());
    if let Some(b) = o.batches.iter().find(|&&b| b > o.ring_size) {
        Cli::command()
            .error(
                clap::error::ErrorKind::ValueValidation,
                format!("--batch {b}: must be in 1..={}", o.ring_size),
            )
            .exit();
    }
    if let Some(case) = &o.instr_case {
        return instr::run_case(case, o.ring_size);
    }
    if o.instr {
        return instr::main(&o);
    }
    if let Some(cpu) = o.cpu {
        if let Err(e) = pin(cpu) {
            eprintln!("bench-rings: {e}");
            return ExitCode::from(2);
        }
    }
    let mut rings = Rings {
        addr: RingMem::new(o.ring_size),
        desc: RingMem::new(o.ring_size),
    };

    println!(
        "ring ops: libxdp-rs RawProducer/RawConsumer vs xsk.h static inline (C -O{}), \
         ring of {} entries, one thread",
        env!("BENCH_C_OPT_SHOWN"),
        o.ring_size
    );
    println!(
        "{} round(s) per case, contenders alternating, ~{} ms per run; ns per descriptor, \
         median [min-max]{}",
        o.rounds,
        o.min_time.as_millis(),
        if o.quick {
            " (--quick: smoke test, not a measurement)"
        } else {
            ""
        }
    );
    println!();
    println!(
        "{:<18} {:>5}  {:>24}  {:>24}  {:>7}  {:>13}",
        "ring", "batch", "C ns/desc", "Rust ns/desc", "Rust/C", "per round"
    );
    let mut results = Vec::new();
    for &kind in &o.kinds {
        for &batch in &o.batches {
            let r = measure(&mut rings, kind, batch, &o);
            let cell = |s: &Stats| format!("{:.3} [{:.3}-{:.3}]", s.median, s.min, s.max);
            println!(
                "{:<18} {:>5}  {:>24}  {:>24}  {:>7.2}  {:>13}",
                kind.label(),
                batch,
                cell(&r.c),
                cell(&r.rust),
                r.ratio,
                format!("{:.2}-{:.2}", r.round_ratio.min, r.round_ratio.max)
            );
            results.push(r);
        }
    }
    let worst = results
        .iter()
        .max_by(|a, b| a.ratio.total_cmp(&b.ratio))
        .expect("at least one case");
    println!();
    println!(
        "worst: {} batch {} (Rust/C = median of the same-round ratios; 'per round' = their range)",
        worst.kind.label(),
        worst.batch
    );
    println!("ring ops Rust/C: {:.2}", worst.ratio);

    if let Some(path) = &o.json {
        let list = |k: Kind| {
            results
                .iter()
                .filter(|r| r.kind == k)
                .map(case_json)
                .collect::<Vec<_>>()
                .join(",")
        };
        let json = format!(
            "{{\"bench\":\"ring_ops\",\"batches\":[{}],\"batches_xdp_desc\":[{}],\
             \"ratio_worst\":{:.4},\"worst\":{{\"ring\":\"{}\",\"batch\":{}}},\"rounds\":{},\
             \"ring_size\":{},\"min_ms\":{},\"quick\":{}}}\n",
            list(Kind::Addr),
            list(Kind::XdpDesc),
            worst.ratio,
            match worst.kind {
                Kind::Addr => "fill",
                Kind::XdpDesc => "xdp_desc",
            },
            worst.batch,
            o.rounds,
            o.ring_size,
            o.min_time.as_millis(),
            o.quick
        );
        if let Err(e) = std::fs::write(path, json) {
            eprintln!("bench-rings: writing {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
