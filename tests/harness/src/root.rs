//! Privilege checks and test configuration from the environment.

/// True when the tests can set up namespaces, veths and XDP (effective uid 0).
///
/// Otherwise prints `SKIPPED: <test> needs root (network namespaces, veth, XDP)` to stderr and
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
    eprintln!("SKIPPED: {test} needs root (network namespaces, veth, XDP)");
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
