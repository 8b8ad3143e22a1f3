//! Helpers of the examples that need the library (the rest of `common` needs only `std`).

// Each example uses a different part of this module.
#![allow(dead_code)]

use libxdp_rs::{BindFlags, Netns, XdpMode};

/// The namespace named on the command line: none, empty or `current` for the current one, a
/// path when it contains `/`, otherwise a name under `/run/netns`.
pub fn netns_arg(arg: Option<&str>) -> libxdp_rs::Result<Netns> {
    match arg {
        None | Some("") | Some("current") => Netns::current(),
        Some(p) if p.contains('/') => Netns::path(p),
        Some(name) => Netns::named(name),
    }
}

/// `--xdp-mode`: `default`, `skb` or `native`/`driver`.
pub fn xdp_mode_arg(arg: Option<&str>) -> Result<XdpMode, String> {
    match arg.unwrap_or("default") {
        "default" => Ok(XdpMode::Default),
        "skb" | "generic" => Ok(XdpMode::Skb),
        "native" | "driver" | "drv" => Ok(XdpMode::Driver),
        other => Err(format!(
            "--xdp-mode {other:?}: expected default, skb or native"
        )),
    }
}

/// Bind flags from `--copy` / `--zero-copy`; need-wakeup is always on.
pub fn bind_flags(copy: bool, zero_copy: bool) -> Result<BindFlags, String> {
    if copy && zero_copy {
        return Err("--copy and --zero-copy exclude each other".into());
    }
    Ok(BindFlags {
        copy,
        zero_copy,
        need_wakeup: true,
        ..BindFlags::default()
    })
}
