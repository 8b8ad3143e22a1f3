//! Privilege checks and test configuration from the environment.

use std::fmt::Display;
use std::io::Write;

/// Says that `test` is skipped, and why: `SKIPPED: <test>: <why>` on the process's stderr.
///
/// Written straight to file descriptor 2, past the test harness's capture of `eprintln!`
/// (which shows a passing test's output only with `--nocapture`): `cargo test` shows the line
/// beside the test's `ok`, so a test that could not run does not pass silently. The kernel
/// matrix (`tests/kernels/guest-matrix.sh`) reads the line and reports the test as SKIP.
pub fn skip(test: &str, why: impl Display) {
    let line = format!("SKIPPED: {test}: {why}\n");
    // One write, so that lines of tests running side by side do not mix.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// True when the tests can set up namespaces, veths and XDP (effective uid 0).
///
/// Otherwise says `SKIPPED: <test>: needs root (network namespaces, veth, XDP)` ([`skip`]) and
/// returns false; a test then returns early:
///
/// ```no_run
/// if !xdp_netns_harness::require_root("my_test") {
///     return;
/// }
/// ```
pub fn require_root(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    skip(test, "needs root (network namespaces, veth, XDP)");
    false
}

/// The value of the environment variable `var` parsed as `T`, or `default` when unset or empty.
///
/// # Panics
/// When the variable is set but does not parse, so a typo never silently runs the default.
pub fn env_or<T: std::str::FromStr>(var: &str, default: T) -> T {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{var}={v:?} does not parse")),
        _ => default,
    }
}
