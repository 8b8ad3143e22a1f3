//! Compiles `c/ring_loops.c`, the C contender: the same loops as `src/main.rs`, written with
//! upstream's `static inline` ring helpers from `<xdp/xsk.h>` (the header libxdp-sys exports
//! as `DEP_XDP_INCLUDE`; libbpf's headers, which it includes, come from `DEP_BPF_INCLUDE`).

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=c/ring_loops.c");
    println!("cargo:rerun-if-env-changed=BENCH_XDP_INCLUDE");
    println!("cargo:rerun-if-env-changed=BENCH_C_OPT");

    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    // Overridable; then libxdp-sys' export; then the tree `make lib` prepares.
    let xdp_include = env::var_os("BENCH_XDP_INCLUDE")
        .or_else(|| env::var_os("DEP_XDP_INCLUDE"))
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../build/src/headers"));
    if !xdp_include.join("xdp/xsk.h").is_file() {
        panic!(
            "xdp/xsk.h not found under {} (set BENCH_XDP_INCLUDE, or run `make lib`)",
            xdp_include.display()
        );
    }

    let opt = env::var("BENCH_C_OPT").unwrap_or_else(|_| "2".into());
    println!("cargo:rustc-env=BENCH_C_OPT_SHOWN={opt}");
    // The Rust side's optimisation, for --instr to print beside the C side's.
    println!(
        "cargo:rustc-env=BENCH_RUST_OPT_SHOWN={}",
        env::var("OPT_LEVEL").unwrap_or_else(|_| "?".into())
    );
    let mut build = cc::Build::new();
    build
        .file("c/ring_loops.c")
        .include(&xdp_include)
        // -O2 as upstream builds libxdp; BENCH_C_OPT=3 (or s, ...) to compare.
        .opt_level_str(&opt)
        .flag("-std=gnu11")
        .flag("-Wall")
        .flag("-Wextra")
        .warnings_into_errors(true);
    if let Some(bpf) = env::var_os("DEP_BPF_INCLUDE") {
        build.include(bpf);
    }
    println!(
        "cargo:rustc-env=BENCH_CC_SHOWN={}",
        compiler_version(&build)
    );
    build.compile("ring_loops");
}

/// The first line of `CC --version` (e.g. "cc (Debian 12.2.0-14) 12.2.0"), made safe to put
/// in a JSON string; the path when it cannot be run.
fn compiler_version(build: &cc::Build) -> String {
    let cc = build.get_compiler();
    let line = std::process::Command::new(cc.path())
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            text.lines().next().map(str::to_owned)
        })
        .unwrap_or_else(|| cc.path().display().to_string());
    line.chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .collect()
}
