//! `forward_many`'s command line (clap): the pairs to forward between, and the ring sizes.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::common::args::{count_in, ring_size, seconds, CopyMode};

/// One pair: frames received on `ingress` (in the forwarder's namespace) go out of `egress` in
/// namespace `egress_netns`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairSpec {
    pub ingress: String,
    pub egress: String,
    pub egress_netns: String,
}

/// `OUTER,INNER,NS`: three non-empty fields.
pub fn pair_spec(s: &str) -> Result<PairSpec, String> {
    let fields: Vec<&str> = s.split(',').map(str::trim).collect();
    match fields.as_slice() {
        [i, e, ns] if !i.is_empty() && !e.is_empty() && !ns.is_empty() => Ok(PairSpec {
            ingress: (*i).into(),
            egress: (*e).into(),
            egress_netns: (*ns).into(),
        }),
        _ => Err(format!(
            "`{s}`: expected INGRESS,EGRESS,EGRESS_NETNS (three non-empty fields)"
        )),
    }
}

/// `forward_many`'s command line.
#[derive(Debug, Parser)]
#[command(
    name = "forward_many",
    about = "Forward frames for many (ingress, egress, namespace) pairs over AF_XDP, through \
             ONE UMEM, from ONE thread that serves every socket."
)]
pub struct ForwardManyArgs {
    /// A pair: ingress device (current namespace), egress device, egress namespace
    /// (/run/netns name or path). Repeat for more pairs.
    #[arg(long = "pair", value_name = "IN,OUT,NS", value_parser = pair_spec)]
    pub pairs: Vec<PairSpec>,
    /// More pairs, one `IN,OUT,NS` per line (blank lines and `#` comments skipped).
    #[arg(long, value_name = "FILE")]
    pub pairs_file: Option<PathBuf>,
    /// One pair the way `forward` takes it (with --egress and --egress-netns), so that this
    /// forwarder also runs in a slot of bench/run.sh.
    #[arg(long, value_name = "DEV", requires = "egress")]
    pub ingress: Option<String>,
    /// Egress device of the --ingress pair.
    #[arg(long, value_name = "DEV", requires = "ingress")]
    pub egress: Option<String>,
    /// Egress namespace of the --ingress pair (default: current).
    #[arg(long, value_name = "NS", requires = "ingress")]
    pub egress_netns: Option<String>,
    /// Queues per device: only 1 (one socket per device; the pairs are the parallelism).
    #[arg(long, value_name = "N", default_value = "1", value_parser = count_in::<1, 1, u32>)]
    pub queues: u32,
    /// Stop after this long (default, or 0: run until Ctrl-C).
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    pub duration: Option<Duration>,
    /// Frames per pair and pass over the pairs, at most the ring size.
    #[arg(long, value_name = "N", default_value = "64", value_parser = count_in::<1, {1 << 16}, usize>)]
    pub batch: usize,
    /// Size of every ring (RX, TX, fill, completion), a power of two.
    #[arg(long, value_name = "N", default_value = "256", value_parser = ring_size)]
    pub ring: u32,
    /// UMEM frames of each pair (default 2 x ring).
    #[arg(long, value_name = "N", value_parser = count_in::<64, {1 << 20}, u32>)]
    pub frames: Option<u32>,
    #[command(flatten)]
    pub copy_mode: CopyMode,
    /// No per-second lines.
    #[arg(long)]
    pub quiet: bool,
}

impl ForwardManyArgs {
    /// Every pair: --ingress's first, then --pair's, then the file's.
    pub fn all_pairs(&self) -> Result<Vec<PairSpec>, String> {
        let mut all = Vec::new();
        if let (Some(i), Some(e)) = (&self.ingress, &self.egress) {
            all.push(PairSpec {
                ingress: i.clone(),
                egress: e.clone(),
                egress_netns: self
                    .egress_netns
                    .clone()
                    .unwrap_or_else(|| "current".into()),
            });
        }
        all.extend(self.pairs.iter().cloned());
        if let Some(path) = &self.pairs_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--pairs-file {}: {e}", path.display()))?;
            for (n, line) in text.lines().enumerate() {
                let line = line.split('#').next().unwrap_or("").trim();
                if !line.is_empty() {
                    let p = pair_spec(line)
                        .map_err(|e| format!("--pairs-file {}:{}: {e}", path.display(), n + 1))?;
                    all.push(p);
                }
            }
        }
        if all.is_empty() {
            return Err("no pairs: give --pair, --pairs-file or --ingress/--egress".into());
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_specs() {
        let p = pair_spec("xo1,xi1,xnetns-1-in").unwrap();
        assert_eq!(
            (
                p.ingress.as_str(),
                p.egress.as_str(),
                p.egress_netns.as_str()
            ),
            ("xo1", "xi1", "xnetns-1-in")
        );
        assert!(pair_spec("xo1,xi1").is_err());
        assert!(pair_spec("xo1,,ns").is_err());
        assert!(pair_spec("a,b,c,d").is_err());
    }

    #[test]
    fn command_line() {
        use clap::CommandFactory;
        ForwardManyArgs::command().debug_assert();
        let a = ForwardManyArgs::try_parse_from([
            "forward_many",
            "--pair",
            "a,b,n1",
            "--pair",
            "c,d,n2",
            "--ingress",
            "x",
            "--egress",
            "y",
        ])
        .unwrap();
        let all = a.all_pairs().unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].egress_netns, "current");
        assert!(ForwardManyArgs::try_parse_from(["forward_many"])
            .unwrap()
            .all_pairs()
            .is_err());
        assert!(ForwardManyArgs::try_parse_from(["forward_many", "--queues", "2"]).is_err());
    }
}
