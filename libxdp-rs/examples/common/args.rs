//! The examples' command lines (clap), and the parsers of their values: counts with `k`/`M`/`G`
//! suffixes, ring sizes, seconds.

use std::ops::RangeInclusive;
use std::time::Duration;

use clap::{Args, Parser, ValueEnum};

use super::payload::{MAX_FRAME_LEN, MIN_FRAME_LEN};
use super::sink::MAX_TRACKED_SEQ;

/// `forward`'s command line.
#[derive(Debug, Parser)]
#[command(
    name = "forward",
    about = "Forward frames from --ingress to --egress (possibly in other network namespaces) \
             over AF_XDP, through one shared UMEM, without copying."
)]
pub struct ForwardArgs {
    /// Device to receive on.
    #[arg(long, value_name = "DEV")]
    pub ingress: String,
    /// Its namespace: /run/netns name or path (default: current).
    #[arg(long, value_name = "NS")]
    pub ingress_netns: Option<String>,
    /// Device to send on.
    #[arg(long, value_name = "DEV")]
    pub egress: String,
    /// Its namespace (default: current).
    #[arg(long, value_name = "NS")]
    pub egress_netns: Option<String>,
    /// Queues 0..N on both devices, one thread each.
    #[arg(long, value_name = "N", default_value = "1", value_parser = count_in::<1, 64, u32>)]
    pub queues: u32,
    /// Stop after this long (default, or 0: run until Ctrl-C).
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    pub duration: Option<Duration>,
    /// Stop after forwarding N frames (0: no limit).
    #[arg(long, value_name = "N", default_value = "0", value_parser = any_count)]
    pub count: u64,
    /// Frames per ring operation, at most the ring size.
    #[arg(long, value_name = "N", default_value = "64", value_parser = count_in::<1, {1 << 16}, usize>)]
    pub batch: usize,
    /// Size of every ring, a power of two.
    #[arg(long, value_name = "N", default_value = "4096", value_parser = ring_size)]
    pub ring: u32,
    /// UMEM frames per queue (default 2 x ring).
    #[arg(long, value_name = "N", value_parser = count_in::<64, {1 << 20}, u32>)]
    pub frames: Option<u32>,
    /// XDP attach mode of the ingress program.
    #[arg(long, value_name = "MODE", value_enum, default_value_t = XdpModeArg::Default)]
    pub xdp_mode: XdpModeArg,
    #[command(flatten)]
    pub copy_mode: CopyMode,
    #[command(flatten)]
    pub busy_poll: BusyPollArgs,
    /// No per-second lines.
    #[arg(long)]
    pub quiet: bool,
}

/// `--busy-poll` and its settings.
#[derive(Debug, Clone, Copy, Args)]
pub struct BusyPollArgs {
    /// Busy-poll the queues: SO_PREFER_BUSY_POLL, SO_BUSY_POLL and SO_BUSY_POLL_BUDGET on every
    /// socket (Linux 5.11+), and a loop that never sleeps: when idle it calls recvfrom() to run
    /// the ingress queue's NAPI. Preferred busy polling takes effect only where the ingress
    /// device defers its interrupts (its napi_defer_hard_irqs and gro_flush_timeout, which
    /// forward leaves alone).
    #[arg(long)]
    pub busy_poll: bool,
    /// SO_BUSY_POLL with --busy-poll, in microseconds.
    #[arg(
        long,
        value_name = "US",
        default_value = "20",
        requires = "busy_poll",
        value_parser = count_in::<0, { i32::MAX as u64 }, u32>
    )]
    pub busy_poll_usecs: u32,
    /// SO_BUSY_POLL_BUDGET with --busy-poll: packets per poll (0: the kernel's default, 8).
    #[arg(
        long,
        value_name = "N",
        default_value = "64",
        requires = "busy_poll",
        value_parser = count_in::<0, 65535, u32>
    )]
    pub busy_poll_budget: u32,
}

impl BusyPollArgs {
    /// The sockets' busy-polling options; `None` without `--busy-poll`.
    pub fn settings(self) -> Option<libxdp_rs::BusyPoll> {
        self.busy_poll.then_some(libxdp_rs::BusyPoll {
            usecs: self.busy_poll_usecs,
            budget: self.busy_poll_budget,
            prefer: true,
        })
    }
}

/// `txonly`'s command line.
#[derive(Debug, Parser)]
#[command(
    name = "txonly",
    about = "Send numbered, checksummed test frames on a device over AF_XDP."
)]
pub struct TxonlyArgs {
    #[command(flatten)]
    pub device: Device,
    /// Frames to send in all, spread over the queues (0: until stopped).
    #[arg(long, value_name = "N", default_value = "0", value_parser = any_count)]
    pub count: u64,
    /// Frames per ring operation, at most the ring size.
    #[arg(long, value_name = "N", default_value = "64", value_parser = count_in::<1, {1 << 16}, usize>)]
    pub batch: usize,
    /// Frames per second in all (0: as fast as possible).
    #[arg(long, value_name = "PPS", default_value = "0", value_parser = any_count)]
    pub rate: u64,
    /// Send whole batches at once, --rate on average (default: spread out).
    #[arg(long)]
    pub bursts: bool,
    /// Frame length without FCS, 38 to 1514.
    #[arg(
        long,
        value_name = "BYTES",
        default_value = "64",
        value_parser = count_in::<{ MIN_FRAME_LEN as u64 }, { MAX_FRAME_LEN as u64 }, usize>
    )]
    pub size: usize,
    /// Stop after this long (default, or 0: no limit).
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    pub duration: Option<Duration>,
    /// TX and completion ring size, a power of two.
    #[arg(long, value_name = "N", default_value = "2048", value_parser = ring_size)]
    pub ring: u32,
    #[command(flatten)]
    pub copy_mode: CopyMode,
}

/// `rxdrop`'s command line.
#[derive(Debug, Parser)]
#[command(
    name = "rxdrop",
    about = "Receive and verify the test frames of txonly over AF_XDP, then drop them."
)]
pub struct RxdropArgs {
    #[command(flatten)]
    pub device: Device,
    /// Frames expected in all; stop when they are in (0: until stopped).
    #[arg(long, value_name = "N", default_value = "0", value_parser = count_in::<0, MAX_TRACKED_SEQ, u64>)]
    pub expect: u64,
    /// Give up this long after start (default, or 0: no limit).
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    pub timeout: Option<Duration>,
    /// Keep receiving this long after the expected frames, for duplicates.
    #[arg(long, value_name = "SECS", default_value = "0.1", value_parser = seconds)]
    pub linger: Duration,
    /// Frames per ring operation, at most the ring size.
    #[arg(long, value_name = "N", default_value = "64", value_parser = count_in::<1, {1 << 16}, usize>)]
    pub batch: usize,
    /// RX and fill ring size, a power of two.
    #[arg(long, value_name = "N", default_value = "4096", value_parser = ring_size)]
    pub ring: u32,
    /// XDP attach mode.
    #[arg(long, value_name = "MODE", value_enum, default_value_t = XdpModeArg::Default)]
    pub xdp_mode: XdpModeArg,
    #[command(flatten)]
    pub copy_mode: CopyMode,
    /// No per-second lines.
    #[arg(long)]
    pub quiet: bool,
}

/// `--dev`, `--netns` and `--queues`: where txonly sends and rxdrop receives.
#[derive(Debug, Args)]
pub struct Device {
    /// The device.
    #[arg(long, value_name = "DEV")]
    pub dev: String,
    /// Its namespace: /run/netns name or path (default: current).
    #[arg(long, value_name = "NS")]
    pub netns: Option<String>,
    /// Use queues 0..N, a socket each.
    #[arg(long, value_name = "N", default_value = "1", value_parser = count_in::<1, 64, u32>)]
    pub queues: u32,
}

/// `--copy` and `--zero-copy`: how the AF_XDP sockets bind.
#[derive(Debug, Clone, Copy, Args)]
pub struct CopyMode {
    /// Force copy mode.
    #[arg(long, conflicts_with = "zero_copy")]
    pub copy: bool,
    /// Force zero-copy mode.
    #[arg(long)]
    pub zero_copy: bool,
}

impl CopyMode {
    /// The bind flags: the mode asked for, need-wakeup always on.
    pub fn bind_flags(self) -> libxdp_rs::BindFlags {
        libxdp_rs::BindFlags {
            copy: self.copy,
            zero_copy: self.zero_copy,
            need_wakeup: true,
            ..libxdp_rs::BindFlags::default()
        }
    }
}

/// `--xdp-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum XdpModeArg {
    /// Let libxdp choose.
    Default,
    /// Generic XDP, on every device.
    #[value(alias = "generic")]
    Skb,
    /// Native driver XDP.
    #[value(alias = "driver", alias = "drv")]
    Native,
}

impl From<XdpModeArg> for libxdp_rs::XdpMode {
    fn from(m: XdpModeArg) -> Self {
        match m {
            XdpModeArg::Default => libxdp_rs::XdpMode::Default,
            XdpModeArg::Skb => libxdp_rs::XdpMode::Skb,
            XdpModeArg::Native => libxdp_rs::XdpMode::Driver,
        }
    }
}

/// `--batch` against `--ring`, which clap cannot check on its own: exits 2 with clap's usage
/// error when the batch is larger.
pub fn check_batch<P: clap::CommandFactory>(batch: usize, ring: u32) {
    if batch > ring as usize {
        P::command()
            .error(
                clap::error::ErrorKind::ValueValidation,
                format!("--batch {batch} is larger than --ring {ring}"),
            )
            .exit();
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

/// A count (see [`parse_count`]) within `range`.
fn count_within(s: &str, range: RangeInclusive<u64>) -> Result<u64, String> {
    let v = parse_count(s)?;
    if !range.contains(&v) {
        return Err(format!(
            "{v} is out of range {}..={}",
            range.start(),
            range.end()
        ));
    }
    Ok(v)
}

/// A count (see [`parse_count`]) from `MIN` to `MAX`, as a clap value parser of a `T`.
pub fn count_in<const MIN: u64, const MAX: u64, T: TryFrom<u64>>(s: &str) -> Result<T, String> {
    let v = count_within(s, MIN..=MAX)?;
    T::try_from(v).map_err(|_| format!("{v} is too large"))
}

/// Any count (see [`parse_count`]).
pub fn any_count(s: &str) -> Result<u64, String> {
    parse_count(s)
}

/// A ring size: a power of two from 64 to 65536.
pub fn ring_size(s: &str) -> Result<u32, String> {
    let ring = count_within(s, 64..=(1 << 16))? as u32;
    if ring.is_power_of_two() {
        Ok(ring)
    } else {
        Err(format!("{ring} is not a power of two"))
    }
}

/// Seconds, fractions allowed.
pub fn seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !v.is_finite() || !(0.0..=1e9).contains(&v) {
        return Err(format!("{v} is not a duration in seconds"));
    }
    Ok(Duration::from_secs_f64(v))
}

/// A time limit given in seconds: `None` when absent or 0 (no limit).
pub fn limit(d: Option<Duration>) -> Option<Duration> {
    d.filter(|d| !d.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_lines_are_consistent() {
        ForwardArgs::command().debug_assert();
        TxonlyArgs::command().debug_assert();
        RxdropArgs::command().debug_assert();
    }

    #[test]
    fn args() {
        let a = TxonlyArgs::try_parse_from([
            "txonly",
            "--dev",
            "eth0",
            "--count=10k",
            "--rate",
            "1.5M",
            "--bursts",
        ])
        .unwrap();
        assert_eq!(a.device.dev, "eth0");
        assert_eq!(
            (a.count, a.rate, a.device.queues, a.size),
            (10_000, 1_500_000, 1, 64)
        );
        assert!(a.bursts);
        assert_eq!((a.duration, a.ring), (None, 2048));
        let a = RxdropArgs::try_parse_from(["rxdrop", "--dev", "x", "--linger", "0"]).unwrap();
        assert_eq!(a.linger, Duration::ZERO);
        let a = RxdropArgs::try_parse_from(["rxdrop", "--dev", "x"]).unwrap();
        assert_eq!(a.linger, Duration::from_millis(100));
        let a = ForwardArgs::try_parse_from([
            "forward",
            "--ingress",
            "a",
            "--egress",
            "b",
            "--xdp-mode",
            "generic",
            "--copy",
        ])
        .unwrap();
        assert_eq!(a.xdp_mode, XdpModeArg::Skb);
        assert!(a.copy_mode.bind_flags().copy);
        assert_eq!(a.busy_poll.settings(), None);
        let a = ForwardArgs::try_parse_from([
            "forward",
            "--ingress",
            "a",
            "--egress",
            "b",
            "--busy-poll",
        ])
        .unwrap();
        assert_eq!(
            a.busy_poll.settings(),
            Some(libxdp_rs::BusyPoll {
                usecs: 20,
                budget: 64,
                prefer: true
            })
        );
        let a = ForwardArgs::try_parse_from([
            "forward",
            "--ingress",
            "a",
            "--egress",
            "b",
            "--busy-poll",
            "--busy-poll-usecs",
            "50",
            "--busy-poll-budget=0",
        ])
        .unwrap();
        assert_eq!(
            a.busy_poll.settings(),
            Some(libxdp_rs::BusyPoll {
                usecs: 50,
                budget: 0,
                prefer: true
            })
        );
        for bad in [
            &["forward", "--ingress", "x"][..],
            &[
                "forward",
                "--ingress",
                "a",
                "--egress",
                "b",
                "--queues",
                "0",
            ],
            &[
                "forward",
                "--ingress",
                "a",
                "--egress",
                "b",
                "--copy",
                "--zero-copy",
            ],
            &[
                "forward",
                "--ingress",
                "a",
                "--egress",
                "b",
                "--busy-poll-budget",
                "64",
            ],
            &[
                "forward",
                "--ingress",
                "a",
                "--egress",
                "b",
                "--busy-poll",
                "--busy-poll-budget",
                "65536",
            ],
            &["txonly", "--dev", "x", "--size", "10"],
            &["txonly", "--bogus"],
            &["txonly", "--dev", "x", "--bursts=1"],
            &["rxdrop", "--dev"],
            &["rxdrop", "--dev", "x", "--ring", "1000"],
            &["rxdrop", "--dev", "x", "--timeout", "-1"],
        ] {
            let err = match bad[0] {
                "forward" => ForwardArgs::try_parse_from(bad).map(drop),
                "txonly" => TxonlyArgs::try_parse_from(bad).map(drop),
                _ => RxdropArgs::try_parse_from(bad).map(drop),
            };
            assert!(err.is_err(), "{bad:?} parsed");
        }
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
        assert_eq!(count_in::<1, 10, u8>("10"), Ok(10));
        assert!(count_in::<1, 10, u8>("11").is_err());
        assert!(count_in::<1, 10, u8>("x").is_err());
        assert!(count_in::<1, 1000, u8>("256").is_err());
        assert_eq!(ring_size("4k"), Err("4000 is not a power of two".into()));
        assert_eq!(ring_size("4096"), Ok(4096));
        assert_eq!(seconds("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(limit(Some(seconds("0").unwrap())), None);
        assert_eq!(
            limit(Some(Duration::from_secs(1))),
            Some(Duration::from_secs(1))
        );
    }
}
