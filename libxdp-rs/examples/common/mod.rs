//! Shared by the examples `forward`, `txonly` and `rxdrop` (and unit-tested by
//! `tests/forward.rs`): a small argument parser, the test payload format with its verification,
//! the receiver's per-stream bookkeeping, pacing, Ctrl-C handling and socket statistics.
//!
//! Only `std` and `libc` here, so the pieces are testable without the library.

// Each example uses a different part of this module.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

// ------------------------------------------------------------------------------------------
// Arguments

/// One command-line option: `--name VALUE` (when `value` names the value) or a flag `--name`.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    /// Long name without the dashes.
    pub name: &'static str,
    /// Name of the value in the help text; `None` for a flag.
    pub value: Option<&'static str>,
    /// One line of help, including the default.
    pub help: &'static str,
}

/// A program's command line description.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// Program name.
    pub prog: &'static str,
    /// What it does (printed by `--help`).
    pub about: &'static str,
    /// Its own options (`--help` is implied).
    pub opts: &'static [Opt],
    /// Option sets it shares with the other examples (say [`COPY_MODE_OPTS`]).
    pub shared: &'static [&'static [Opt]],
}

/// `--copy` and `--zero-copy`: how the AF_XDP sockets bind.
pub const COPY_MODE_OPTS: &[Opt] = &[
    Opt {
        name: "copy",
        value: None,
        help: "force copy mode",
    },
    Opt {
        name: "zero-copy",
        value: None,
        help: "force zero-copy mode",
    },
];

/// `--quiet`: no per-second lines.
pub const QUIET_OPTS: &[Opt] = &[Opt {
    name: "quiet",
    value: None,
    help: "no per-second lines",
}];

/// Why parsing stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgsError {
    /// `--help` or `-h`: the text to print (exit 0).
    Help(String),
    /// A usage error (exit 2).
    Bad(String),
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgsError::Help(t) | ArgsError::Bad(t) => f.write_str(t),
        }
    }
}

/// Parsed options.
#[derive(Debug, Default)]
pub struct Args {
    values: HashMap<&'static str, String>,
    flags: HashSet<&'static str>,
}

impl Usage {
    /// Every option: its own, then the shared sets.
    fn all_opts(&self) -> impl Iterator<Item = &'static Opt> + '_ {
        self.opts
            .iter()
            .chain(self.shared.iter().flat_map(|set| set.iter()))
    }

    /// The `--help` text.
    pub fn help(&self) -> String {
        let mut s = format!(
            "{}\n\nUsage: {} [OPTIONS]\n\nOptions:\n",
            self.about, self.prog
        );
        let width = self
            .all_opts()
            .map(|o| o.name.len() + o.value.map_or(0, |v| v.len() + 1))
            .max()
            .unwrap_or(0)
            .max(4);
        let mut line = |left: String, help: &str| {
            s.push_str(&format!("  --{left:width$}  {help}\n"));
        };
        for o in self.all_opts() {
            let left = match o.value {
                Some(v) => format!("{} {v}", o.name),
                None => o.name.to_string(),
            };
            line(left, o.help);
        }
        line("help".into(), "print this help");
        s
    }

    /// Parse `args` (without the program name): `--name VALUE`, `--name=VALUE`, `--flag`.
    pub fn parse<I: IntoIterator<Item = String>>(&self, args: I) -> Result<Args, ArgsError> {
        let mut out = Args::default();
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            if arg == "--help" || arg == "-h" {
                return Err(ArgsError::Help(self.help()));
            }
            let Some(body) = arg.strip_prefix("--") else {
                return Err(ArgsError::Bad(format!("unexpected argument {arg:?}")));
            };
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let Some(opt) = self.all_opts().find(|o| o.name == name) else {
                return Err(ArgsError::Bad(format!("unknown option --{name}")));
            };
            match opt.value {
                Some(meta) => {
                    let v = match inline {
                        Some(v) => v,
                        None => it.next().ok_or_else(|| {
                            ArgsError::Bad(format!("--{name} needs a value ({meta})"))
                        })?,
                    };
                    out.values.insert(opt.name, v);
                }
                None => {
                    if inline.is_some() {
                        return Err(ArgsError::Bad(format!("--{name} takes no value")));
                    }
                    out.flags.insert(opt.name);
                }
            }
        }
        Ok(out)
    }

    /// Parse the process's arguments; print help and exit 0 on `--help`, print the error and
    /// exit 2 on a usage error.
    pub fn parse_env_or_exit(&self) -> Args {
        match self.parse(std::env::args().skip(1)) {
            Ok(a) => a,
            Err(ArgsError::Help(t)) => {
                print!("{t}");
                std::process::exit(0);
            }
            Err(ArgsError::Bad(m)) => self.exit_usage(&m),
        }
    }

    /// Print a usage error and exit 2.
    pub fn exit_usage(&self, msg: &str) -> ! {
        eprintln!("{}: {msg}\nTry '{} --help'.", self.prog, self.prog);
        std::process::exit(2);
    }

    /// The body of an example's `main`: parse the configuration (exit 2 on a usage error),
    /// stop on Ctrl-C or SIGTERM, run, and turn the outcome into the exit status (0 when `run`
    /// reports success, 1 when it reports failure or returns an error, printed).
    pub fn main_with<C>(
        &self,
        config: impl FnOnce() -> Result<C, String>,
        run: impl FnOnce(C) -> libxdp_rs::Result<bool>,
    ) -> std::process::ExitCode {
        use std::process::ExitCode;

        let _ = env_logger::try_init();
        libxdp_rs::logging::install();
        let c = config().unwrap_or_else(|m| self.exit_usage(&m));
        if let Err(e) = install_stop_handler() {
            eprintln!("{}: cannot handle signals: {e}", self.prog);
            return ExitCode::FAILURE;
        }
        match run(c) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("{}: error: {}", self.prog, e.report());
                ExitCode::FAILURE
            }
        }
    }
}

impl Args {
    /// `--ring N`: a ring size, a power of two from 64 to 65536.
    pub fn ring_size(&self, default: u64) -> Result<u32, String> {
        let ring = self.count("ring", default, 64..=(1 << 16))? as u32;
        if ring.is_power_of_two() {
            Ok(ring)
        } else {
            Err(format!("--ring {ring} is not a power of two"))
        }
    }
}

/// A number with an optional `k` (1e3), `M` (1e6) or `G` (1e9) suffix: `100k`, `1.5M`.
pub fn parse_count(s: &str) -> Result<u64, String> {
    let t = s.trim().replace('_', "");
    let (num, mul) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1e3),
        Some('m' | 'M') => (&t[..t.len() - 1], 1e6),
        Some('g' | 'G') => (&t[..t.len() - 1], 1e9),
        _ => (&t[..], 1.0),
    };
    if let Ok(n) = num.parse::<u64>() {
        return n
            .checked_mul(mul as u64)
            .ok_or_else(|| format!("{s:?} is too large"));
    }
    match num.parse::<f64>() {
        Ok(f) if f.is_finite() && f >= 0.0 && f * mul < u64::MAX as f64 => Ok((f * mul) as u64),
        _ => Err(format!("{s:?} is not a count")),
    }
}

impl Args {
    /// Whether the flag `name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.flags.contains(name)
    }

    /// The raw value of `name`, when given.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value of `name`, required.
    pub fn required(&self, name: &str) -> Result<&str, String> {
        self.str(name)
            .ok_or_else(|| format!("--{name} is required"))
    }

    /// `name` as a count (see [`parse_count`]), `default` when absent; must lie in `range`.
    pub fn count(
        &self,
        name: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<u64, String> {
        let v = match self.str(name) {
            Some(s) => parse_count(s).map_err(|e| format!("--{name}: {e}"))?,
            None => default,
        };
        if !range.contains(&v) {
            return Err(format!(
                "--{name} {v} is out of range {}..={}",
                range.start(),
                range.end()
            ));
        }
        Ok(v)
    }

    /// `name` parsed as `T`, `default` when absent.
    pub fn parsed<T: FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.str(name) {
            Some(s) => s
                .trim()
                .parse()
                .map_err(|_| format!("--{name}: {s:?} does not parse")),
            None => Ok(default),
        }
    }

    /// `name` as seconds (fractions allowed); `None` when absent or 0.
    pub fn seconds(&self, name: &str) -> Result<Option<Duration>, String> {
        let v: f64 = self.parsed(name, 0.0)?;
        if !v.is_finite() || !(0.0..=1e9).contains(&v) {
            return Err(format!("--{name}: {v} is not a duration in seconds"));
        }
        Ok((v > 0.0).then(|| Duration::from_secs_f64(v)))
    }
}

// ------------------------------------------------------------------------------------------
// Payload format

/// IEEE 802 local experimental EtherType 2.
pub const ETHERTYPE: u16 = 0x88B5;
/// Marks a frame of ours.
pub const MAGIC: [u8; 8] = *b"XNSTRAF1";
const OFF_MAGIC: usize = 14;
const OFF_STREAM: usize = OFF_MAGIC + 8;
const OFF_LEN: usize = OFF_STREAM + 2;
const OFF_SEQ: usize = OFF_LEN + 2;
const OFF_SUM: usize = OFF_SEQ + 8;
const OFF_FILL: usize = OFF_SUM + 4;
/// Smallest frame: Ethernet header and our header, no filler.
pub const MIN_FRAME_LEN: usize = OFF_FILL;
/// Largest frame: a 1500-byte MTU plus the Ethernet header.
pub const MAX_FRAME_LEN: usize = 1514;

/// FNV-1a, 32 bits.
fn fnv1a(mut h: u32, data: &[u8]) -> u32 {
    for &b in data {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

const FNV_OFFSET: u32 = 0x811c_9dc5;

/// The checksum of a frame: FNV-1a over everything but the checksum field itself.
fn frame_sum(frame: &[u8]) -> u32 {
    fnv1a(fnv1a(FNV_OFFSET, &frame[..OFF_SUM]), &frame[OFF_FILL..])
}

/// Write test frame `seq` of stream `stream` into `buf[..len]`; returns `len`.
///
/// Layout: broadcast destination, source `02:78:64:70:01:<stream>`, EtherType [`ETHERTYPE`],
/// then [`MAGIC`], stream (u16), frame length (u16), sequence number (u64), checksum (u32,
/// FNV-1a over the whole frame without the checksum field), filler bytes derived from `seq`.
/// All numbers big endian.
///
/// # Panics
/// When `len` is outside [`MIN_FRAME_LEN`]..=[`MAX_FRAME_LEN`] or `buf` is shorter than `len`.
pub fn encode_frame(buf: &mut [u8], stream: u16, seq: u64, len: usize) -> usize {
    assert!(
        (MIN_FRAME_LEN..=MAX_FRAME_LEN).contains(&len),
        "frame length {len}"
    );
    let f = &mut buf[..len];
    f[0..6].fill(0xff);
    f[6..12].copy_from_slice(&[0x02, 0x78, 0x64, 0x70, 0x01, stream as u8]);
    f[12..14].copy_from_slice(&ETHERTYPE.to_be_bytes());
    f[OFF_MAGIC..OFF_STREAM].copy_from_slice(&MAGIC);
    f[OFF_STREAM..OFF_LEN].copy_from_slice(&stream.to_be_bytes());
    f[OFF_LEN..OFF_SEQ].copy_from_slice(&(len as u16).to_be_bytes());
    f[OFF_SEQ..OFF_SUM].copy_from_slice(&seq.to_be_bytes());
    let seed = seq.to_le_bytes();
    for (i, b) in f[OFF_FILL..].iter_mut().enumerate() {
        *b = seed[i % 8].wrapping_add(i as u8);
    }
    let sum = frame_sum(f);
    f[OFF_SUM..OFF_FILL].copy_from_slice(&sum.to_be_bytes());
    len
}

/// What a received frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// One of ours, undamaged.
    Intact {
        /// The stream (the sender's queue).
        stream: u16,
        /// Its position in the stream.
        seq: u64,
    },
    /// Ours (our EtherType) but damaged: bad magic, length or checksum.
    Corrupted,
    /// Not ours (another EtherType): ignored.
    Foreign,
}

/// Check a received frame. Trailing bytes past the encoded length (padding) are allowed.
pub fn verify_frame(data: &[u8]) -> Verdict {
    if data.len() < 14 || data[12..14] != ETHERTYPE.to_be_bytes() {
        return Verdict::Foreign;
    }
    if data.len() < MIN_FRAME_LEN || data[OFF_MAGIC..OFF_STREAM] != MAGIC {
        return Verdict::Corrupted;
    }
    let be16 = |o: usize| u16::from_be_bytes([data[o], data[o + 1]]);
    let len = usize::from(be16(OFF_LEN));
    if len < MIN_FRAME_LEN || len > data.len() {
        return Verdict::Corrupted;
    }
    let f = &data[..len];
    let sum = u32::from_be_bytes(f[OFF_SUM..OFF_FILL].try_into().expect("4 bytes"));
    if sum != frame_sum(f) {
        return Verdict::Corrupted;
    }
    Verdict::Intact {
        stream: be16(OFF_STREAM),
        seq: u64::from_be_bytes(f[OFF_SEQ..OFF_SUM].try_into().expect("8 bytes")),
    }
}

/// How many of `total` frames stream `stream` of `streams` carries (the first `total % streams`
/// streams carry one more).
pub fn stream_share(total: u64, streams: u32, stream: u32) -> u64 {
    let streams = u64::from(streams.max(1));
    total / streams + u64::from(u64::from(stream) < total % streams)
}

// ------------------------------------------------------------------------------------------
// Receiver bookkeeping

/// Sequence numbers above this are not tracked (they would need too large a bitmap).
pub const MAX_TRACKED_SEQ: u64 = 1 << 30;

/// One stream's bookkeeping.
#[derive(Debug, Default, Clone)]
pub struct StreamStats {
    seen: Vec<u64>,
    /// Distinct intact frames.
    pub unique: u64,
    /// Intact frames seen before.
    pub duplicated: u64,
    /// Intact new frames that arrived after a higher sequence number of the stream.
    pub reordered: u64,
    /// Highest sequence number seen, if any.
    pub highest: Option<u64>,
}

impl StreamStats {
    /// Sequence numbers below the highest seen that never arrived.
    pub fn gaps(&self) -> u64 {
        self.highest
            .map_or(0, |h| (h + 1).saturating_sub(self.unique))
    }
}

/// What a receiver saw, over all streams.
#[derive(Debug, Default, Clone)]
pub struct SinkStats {
    /// Per stream (the sender's queue id from the payload).
    pub streams: BTreeMap<u16, StreamStats>,
    /// Frames of ours that failed verification.
    pub corrupted: u64,
    /// Frames not of ours.
    pub foreign: u64,
}

/// A receiver's totals, as printed in its summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Distinct intact frames.
    pub intact: u64,
    /// Expected frames that did not arrive (or, with nothing expected, sequence gaps).
    pub lost: u64,
    /// Intact frames that arrived more than once (extra copies).
    pub duplicated: u64,
    /// Damaged frames of ours.
    pub corrupted: u64,
    /// Frames that arrived after a higher sequence number of their stream.
    pub reordered: u64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "received {} intact, lost {}, duplicated {}, corrupted {}, reordered {}",
            self.intact, self.lost, self.duplicated, self.corrupted, self.reordered
        )
    }
}

impl Summary {
    /// Parse a summary line (as printed by `Display`) anywhere in `text`; the last one wins.
    pub fn find_in(text: &str) -> Option<Summary> {
        text.lines().rev().find_map(|l| {
            let nums: Vec<u64> = l
                .trim()
                .strip_prefix("received ")?
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().ok())
                .collect::<Option<_>>()?;
            let s = Summary {
                intact: *nums.first()?,
                lost: *nums.get(1)?,
                duplicated: *nums.get(2)?,
                corrupted: *nums.get(3)?,
                reordered: *nums.get(4)?,
            };
            (nums.len() == 5 && s.to_string() == l.trim()).then_some(s)
        })
    }

    /// All of `expect` frames arrived intact, once each and in order (`expect` 0: no errors).
    pub fn all_good(&self, expect: u64) -> bool {
        (expect == 0 || self.intact == expect)
            && self.lost == 0
            && self.duplicated == 0
            && self.corrupted == 0
            && self.reordered == 0
    }
}

impl SinkStats {
    /// Account for one received frame; returns its verdict.
    pub fn record(&mut self, data: &[u8]) -> Verdict {
        let v = verify_frame(data);
        self.record_verdict(v);
        v
    }

    /// Account for a verdict.
    pub fn record_verdict(&mut self, v: Verdict) {
        match v {
            Verdict::Foreign => self.foreign += 1,
            Verdict::Corrupted => self.corrupted += 1,
            Verdict::Intact { seq, .. } if seq >= MAX_TRACKED_SEQ => self.corrupted += 1,
            Verdict::Intact { stream, seq } => {
                let s = self.streams.entry(stream).or_default();
                let (word, bit) = ((seq / 64) as usize, seq % 64);
                if s.seen.len() <= word {
                    s.seen.resize((word + 1).next_power_of_two(), 0);
                }
                if s.seen[word] & (1 << bit) != 0 {
                    s.duplicated += 1;
                    return;
                }
                s.seen[word] |= 1 << bit;
                s.unique += 1;
                match s.highest {
                    Some(h) if seq < h => s.reordered += 1,
                    _ => s.highest = Some(seq),
                }
            }
        }
    }

    /// Distinct intact frames over all streams.
    pub fn intact(&self) -> u64 {
        self.streams.values().map(|s| s.unique).sum()
    }

    /// The totals; `expect` 0 means unknown (loss is then counted from sequence gaps).
    pub fn summary(&self, expect: u64) -> Summary {
        let intact = self.intact();
        let gaps: u64 = self.streams.values().map(StreamStats::gaps).sum();
        Summary {
            intact,
            lost: if expect == 0 {
                gaps
            } else {
                expect.saturating_sub(intact).max(gaps)
            },
            duplicated: self.streams.values().map(|s| s.duplicated).sum(),
            corrupted: self.corrupted,
            reordered: self.streams.values().map(|s| s.reordered).sum(),
        }
    }
}

// ------------------------------------------------------------------------------------------
// Pacing

/// Spreads sending over time at `rate` frames per second (`None`: as fast as possible),
/// allowing bursts of up to `burst` frames; [`in_bursts`](Pacer::in_bursts) sends whole bursts
/// only.
#[derive(Debug)]
pub struct Pacer {
    rate: Option<f64>,
    burst: u64,
    whole_bursts: bool,
    start: Instant,
    sent: u64,
}

impl Pacer {
    /// A pacer starting now.
    pub fn new(rate: Option<u64>, burst: u64) -> Pacer {
        Pacer {
            rate: rate.filter(|&r| r > 0).map(|r| r as f64),
            burst: burst.max(1),
            whole_bursts: false,
            start: Instant::now(),
            sent: 0,
        }
    }

    /// Let frames go only a whole request at a time (a burst, when asked for `burst`): traffic
    /// as bursty as the rate allows, rather than smoothed out.
    pub fn in_bursts(mut self) -> Pacer {
        self.whole_bursts = true;
        self
    }

    /// How many frames may go now (at most `want`; with [`in_bursts`](Pacer::in_bursts)
    /// `want` or none).
    pub fn allowance(&self, want: u64, now: Instant) -> u64 {
        match self.rate {
            None => want,
            Some(r) => {
                let due = (now.duration_since(self.start).as_secs_f64() * r) as u64 + self.burst;
                let may = due.saturating_sub(self.sent).min(want);
                if self.whole_bursts && may < want {
                    0
                } else {
                    may
                }
            }
        }
    }

    /// Record `n` frames sent.
    pub fn sent(&mut self, n: u64) {
        self.sent += n;
    }

    /// How long until the next frame (the next burst, with [`in_bursts`](Pacer::in_bursts))
    /// may go; zero when it may go now.
    pub fn wait(&self, now: Instant) -> Duration {
        let next = if self.whole_bursts { self.burst } else { 1 };
        match self.rate {
            Some(r) if self.allowance(next, now) == 0 => {
                let at = (self.sent + next).saturating_sub(self.burst) as f64 / r;
                Duration::from_secs_f64(at).saturating_sub(now.duration_since(self.start))
            }
            _ => Duration::ZERO,
        }
    }
}

// ------------------------------------------------------------------------------------------
// Stopping

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// Make SIGINT (Ctrl-C) and SIGTERM set the stop flag instead of killing the process.
pub fn install_stop_handler() -> io::Result<()> {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: sigaction is plain old data (all-zero is valid); the handler only stores
        // to an atomic, which is async-signal-safe.
        let rc = unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Whether a stop was asked for (signal or [`request_stop`]).
pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// Ask every loop to stop.
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// Wait until one of `fds` is readable or `timeout_ms` passes; `Ok(false)` on timeout or
/// when a signal interrupted the wait.
pub fn poll_readable(fds: &[BorrowedFd<'_>], timeout_ms: i32) -> io::Result<bool> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|fd| libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    // SAFETY: pfds is a valid array of pollfd of the length given.
    let rc = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, timeout_ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return if e.raw_os_error() == Some(libc::EINTR) {
            Ok(false)
        } else {
            Err(e)
        };
    }
    Ok(rc > 0)
}

/// Millions of frames per second.
pub fn mpps(frames: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        frames as f64 / secs / 1e6
    } else {
        0.0
    }
}

/// Namespace argument as given: `None`, empty or `current` mean the current namespace.
pub fn ns_label(ns: Option<&str>) -> &str {
    match ns {
        None | Some("") => "current",
        Some(s) => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USAGE: Usage = Usage {
        prog: "t",
        about: "test",
        opts: &[
            Opt {
                name: "dev",
                value: Some("DEV"),
                help: "device",
            },
            Opt {
                name: "count",
                value: Some("N"),
                help: "count",
            },
        ],
        shared: &[QUIET_OPTS],
    };

    fn parse(a: &[&str]) -> Result<Args, ArgsError> {
        USAGE.parse(a.iter().map(|s| s.to_string()))
    }

    #[test]
    fn args() {
        let a = parse(&["--dev", "eth0", "--count=10k", "--quiet"]).unwrap();
        assert_eq!(a.required("dev").unwrap(), "eth0");
        assert_eq!(a.count("count", 0, 0..=u64::MAX).unwrap(), 10_000);
        assert!(a.flag("quiet"));
        assert!(a.required("nothing").is_err());
        assert!(matches!(parse(&["--help"]), Err(ArgsError::Help(_))));
        assert!(matches!(parse(&["--bogus"]), Err(ArgsError::Bad(_))));
        assert!(matches!(parse(&["--dev"]), Err(ArgsError::Bad(_))));
        assert!(matches!(parse(&["dev"]), Err(ArgsError::Bad(_))));
        assert!(matches!(parse(&["--quiet=1"]), Err(ArgsError::Bad(_))));
        let a = parse(&["--count", "x"]).unwrap();
        assert!(a.count("count", 0, 0..=10).is_err());
        let a = parse(&["--count", "11"]).unwrap();
        assert!(a.count("count", 0, 0..=10).is_err());
        assert!(USAGE.help().contains("--dev DEV"));
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("100000"), Ok(100_000));
        assert_eq!(parse_count("100k"), Ok(100_000));
        assert_eq!(parse_count("1.5M"), Ok(1_500_000));
        assert_eq!(parse_count("1_000"), Ok(1000));
        assert!(parse_count("-1").is_err());
        assert!(parse_count("").is_err());
        assert!(parse_count("99999999999G").is_err());
    }

    #[test]
    fn frame_round_trip() {
        let mut buf = [0u8; MAX_FRAME_LEN];
        for len in [MIN_FRAME_LEN, 60, 64, 1000, MAX_FRAME_LEN] {
            for (stream, seq) in [(0u16, 0u64), (1, 1), (7, u64::MAX)] {
                let n = encode_frame(&mut buf, stream, seq, len);
                assert_eq!(n, len);
                assert_eq!(verify_frame(&buf[..n]), Verdict::Intact { stream, seq });
                // Padding after the frame is fine.
                assert_eq!(
                    verify_frame(&buf[..(n + 4).min(MAX_FRAME_LEN)]),
                    Verdict::Intact { stream, seq }
                );
                // Any flipped bit is caught.
                for i in 12..n {
                    let mut bad = buf;
                    bad[i] ^= 0x10;
                    let v = verify_frame(&bad[..n]);
                    assert!(
                        matches!(v, Verdict::Corrupted | Verdict::Foreign),
                        "flip at {i} of {len}: {v:?}"
                    );
                }
                // Truncation is caught.
                assert_eq!(verify_frame(&buf[..n - 1]), Verdict::Corrupted);
            }
        }
        let mut other = [0u8; 60];
        other[12] = 0x08;
        assert_eq!(verify_frame(&other), Verdict::Foreign);
        assert_eq!(verify_frame(&[]), Verdict::Foreign);
    }

    #[test]
    fn shares_add_up() {
        for total in [0u64, 1, 2, 3, 100_000, 100_001] {
            for streams in 1..5u32 {
                let sum: u64 = (0..streams).map(|s| stream_share(total, streams, s)).sum();
                assert_eq!(sum, total);
            }
        }
    }

    fn intact(stream: u16, seq: u64) -> Verdict {
        Verdict::Intact { stream, seq }
    }

    #[test]
    fn sink_accounting() {
        let mut s = SinkStats::default();
        for seq in 0..10 {
            s.record_verdict(intact(0, seq));
            s.record_verdict(intact(1, seq));
        }
        let sum = s.summary(20);
        assert_eq!(sum.intact, 20);
        assert!(sum.all_good(20));
        assert!(!sum.all_good(21));
        assert_eq!(s.summary(21).lost, 1);

        // Stream 0: 10 arrives twice, 12 before 11, 13 never.
        for seq in [10, 10, 12, 11, 14] {
            s.record_verdict(intact(0, seq));
        }
        s.record_verdict(Verdict::Corrupted);
        s.record_verdict(Verdict::Foreign);
        let sum = s.summary(0);
        assert_eq!(
            sum,
            Summary {
                intact: 24,
                lost: 1,
                duplicated: 1,
                corrupted: 1,
                reordered: 1
            }
        );
        assert!(!sum.all_good(0));
        assert_eq!(s.foreign, 1);
        assert_eq!(s.summary(30).lost, 6);
        assert_eq!(Summary::find_in(&format!("x\n{sum}\ny\n")), Some(sum));
        assert_eq!(
            sum.to_string(),
            "received 24 intact, lost 1, duplicated 1, corrupted 1, reordered 1"
        );
        assert_eq!(Summary::find_in("received 5 frames"), None);
        // Out-of-range sequence numbers do not allocate a huge bitmap.
        s.record_verdict(intact(3, MAX_TRACKED_SEQ));
        assert_eq!(s.summary(0).corrupted, 2);
    }

    #[test]
    fn pacer() {
        let p = Pacer::new(None, 1);
        assert_eq!(p.allowance(64, Instant::now()), 64);
        assert_eq!(p.wait(Instant::now()), Duration::ZERO);
        let mut p = Pacer::new(Some(1000), 10);
        let t0 = p.start;
        assert_eq!(p.allowance(64, t0), 10);
        p.sent(10);
        assert_eq!(p.allowance(64, t0), 0);
        assert!(p.wait(t0) > Duration::ZERO && p.wait(t0) <= Duration::from_millis(1));
        assert_eq!(p.allowance(64, t0 + Duration::from_millis(20)), 20);
        assert_eq!(p.allowance(5, t0 + Duration::from_millis(20)), 5);

        // In bursts: a whole burst or nothing.
        let mut p = Pacer::new(Some(1000), 10).in_bursts();
        let t0 = p.start;
        assert_eq!(p.allowance(10, t0), 10);
        p.sent(10);
        assert_eq!(p.allowance(10, t0 + Duration::from_millis(9)), 0);
        let wait = p.wait(t0 + Duration::from_millis(1));
        assert!(
            wait > Duration::from_millis(8) && wait <= Duration::from_millis(9),
            "{wait:?}"
        );
        assert_eq!(p.allowance(10, t0 + Duration::from_millis(10)), 10);
        assert_eq!(p.allowance(3, t0 + Duration::from_millis(3)), 3);
    }
}
