//! Spreading frames over time at a rate.

use std::time::{Duration, Instant};

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

#[cfg(test)]
mod tests {
    use super::*;

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
