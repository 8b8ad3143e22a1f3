//! The receiver's bookkeeping: per stream (the sender's queue), intact, lost, duplicated,
//! corrupted and reordered frames, and the summary line rxdrop prints.

use std::collections::BTreeMap;
use std::fmt;

use super::payload::{verify_frame, Verdict};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
