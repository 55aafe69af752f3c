//! A token bucket shared by every transfer of a run: `--bwlimit` caps the
//! total, not each file.

use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// Bytes-per-second limiter with a one-second burst.
#[derive(Debug)]
pub struct Throttle {
    rate: f64,
    state: Mutex<(f64, Instant)>,
}

impl Throttle {
    /// A limiter for `bytes_per_sec` (at least 1).
    pub fn new(bytes_per_sec: u64) -> Throttle {
        let rate = bytes_per_sec.max(1) as f64;
        Throttle { rate, state: Mutex::new((0.0, Instant::now())) }
    }

    /// Chunk size that keeps waits short and smooth.
    pub fn chunk(&self) -> usize {
        ((self.rate / 10.0) as usize).clamp(1024, 256 * 1024)
    }

    /// Waits until `n` bytes may pass.
    pub async fn take(&self, n: usize) {
        let wait = {
            let mut s = self.state.lock().await;
            let now = Instant::now();
            let (tokens, last) = *s;
            let tokens = (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.rate) - n as f64;
            *s = (tokens, now);
            if tokens < 0.0 { Duration::from_secs_f64(-tokens / self.rate) } else { Duration::ZERO }
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits_rate() {
        let t = Throttle::new(100_000);
        let start = Instant::now();
        for _ in 0..30 {
            t.take(10_000).await;
        }
        let secs = start.elapsed().as_secs_f64();
        assert!(secs > 2.5 && secs < 4.0, "300 kB at 100 kB/s took {secs} s");
    }
}
