//! The forwarder protocol's command line (bench/run.sh runs every contender with it):
//! `BIN --ingress DEV --egress DEV --egress-netns NS --queues 1 --quiet`.

use clap::Parser;

/// A forwarder: frames received on `--ingress` go out on `--egress`, by descriptor through one
/// UMEM, until SIGINT.
#[derive(Debug, Parser)]
pub struct ForwardArgs {
    /// Device to receive on (in the current namespace).
    #[arg(long, value_name = "DEV")]
    pub ingress: String,
    /// Device to send on.
    #[arg(long, value_name = "DEV")]
    pub egress: String,
    /// The egress device's namespace: a /run/netns name or a path (default: current).
    #[arg(long, value_name = "NS")]
    pub egress_netns: Option<String>,
    /// Queues; these forwarders serve queue 0 only, as the bench runs them.
    #[arg(long, value_name = "N", default_value = "1", value_parser = clap::value_parser!(u32).range(1..=1))]
    pub queues: u32,
    /// Frames per ring operation.
    #[arg(long, value_name = "N", default_value = "64", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub batch: u32,
    /// Size of every ring, a power of two.
    #[arg(long, value_name = "N", default_value = "4096", value_parser = ring_size)]
    pub ring: u32,
    /// Accepted for the protocol; these forwarders print no per-second lines anyway.
    #[arg(long)]
    pub quiet: bool,
}

impl ForwardArgs {
    /// UMEM frames: twice the ring size, as examples/forward (half start in the fill ring).
    pub fn frames(&self) -> u32 {
        2 * self.ring
    }

    /// Check what clap cannot: the batch fits the ring.
    pub fn check(&self) -> Result<(), String> {
        if self.batch > self.ring {
            return Err(format!(
                "--batch {} is larger than --ring {}",
                self.batch, self.ring
            ));
        }
        Ok(())
    }
}

fn ring_size(s: &str) -> Result<u32, String> {
    let n: u32 = s.parse().map_err(|e| format!("{e}"))?;
    if (64..=1 << 16).contains(&n) && n.is_power_of_two() {
        Ok(n)
    } else {
        Err(format!("{n}: a power of two from 64 to 65536"))
    }
}
