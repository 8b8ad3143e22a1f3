//! Shared by the examples `forward`, `txonly` and `rxdrop` (and unit-tested by
//! `tests/forward.rs`), one module per concern:
//!
//! - [`args`]: their command lines (clap) and the parsers of counts, ring sizes and seconds;
//! - [`signals`]: Ctrl-C and SIGTERM set a stop flag (signal-hook);
//! - [`payload`]: the test frames' format and its verification;
//! - [`sink`]: the receiver's per-stream bookkeeping and summary line;
//! - [`pacing`]: sending at a rate, smoothly or in bursts.
//!
//! Here: the body of every example's `main`, and small helpers.

// Each example uses a different part of this module.
#![allow(dead_code)]

pub mod args;
pub mod pacing;
pub mod payload;
pub mod signals;
pub mod sink;

use std::process::ExitCode;

use libxdp_rs::Netns;

/// The body of an example's `main`: parse the command line (clap: `--help` exits 0, a usage
/// error 2), log through env_logger (libbpf's and libxdp's messages too: `RUST_LOG=debug`),
/// stop on Ctrl-C or SIGTERM, run, and turn the outcome into the exit status (0 when `run`
/// reports success, 1 when it reports failure or returns an error, printed with its cause).
pub fn main_with<A: clap::Parser>(run: impl FnOnce(A) -> libxdp_rs::Result<bool>) -> ExitCode {
    let args = A::parse();
    let prog = A::command().get_name().to_owned();
    let _ = env_logger::try_init();
    libxdp_rs::logging::install();
    if let Err(e) = signals::install_stop_handler() {
        eprintln!("{prog}: cannot handle signals: {e}");
        return ExitCode::FAILURE;
    }
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{prog}: error: {}", e.report());
            ExitCode::FAILURE
        }
    }
}

/// The namespace named on the command line: none, empty or `current` for the current one, a
/// path when it contains `/`, otherwise a name under `/run/netns`.
pub fn netns_arg(arg: Option<&str>) -> libxdp_rs::Result<Netns> {
    match arg {
        None | Some("") | Some("current") => Netns::current(),
        Some(p) if p.contains('/') => Netns::path(p),
        Some(name) => Netns::named(name),
    }
}

/// Millions of frames per second.
pub fn mpps(frames: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        frames as f64 / secs / 1e6
    } else {
        0.0
    }
}
