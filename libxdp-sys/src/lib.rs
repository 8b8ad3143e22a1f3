//! Raw FFI bindings to libxdp, the XDP program and AF_XDP socket library of
//! [xdp-tools](https://github.com/xdp-project/xdp-tools), built with the xdp-netns patches that
//! make it safe for processes that serve devices in several network namespaces.
//!
//! Everything here mirrors the C API of `<xdp/libxdp.h>` and `<xdp/xsk.h>` one to one:
//! `xdp_program__*`, `xdp_multiprog__*`, `xsk_umem__*`, `xsk_socket__*` and the `libxdp_*`
//! helpers, plus the `static inline` ring helpers of xsk.h (`xsk_ring_prod__reserve`,
//! `xsk_ring_cons__peek`, ...), which the build compiles into real functions, the
//! dispatcher's configuration of `<xdp/prog_dispatcher.h>` (`xdp_dispatcher_config`,
//! `XDP_DISPATCHER_*`, `MAX_DISPATCHER_ACTIONS`) and `xdp_stats_record`.
//!
//! The root also re-exports all of [`libbpf_sys`] (`bpf_*`, `btf_*`, `BPF_*`, the kernel's
//! `__u32`, ...), as the libxdp-sys published on crates.io has libbpf's items at its root:
//! `bpf_object`, `bpf_program`, ... are libbpf-sys' own types, identical to those libbpf-rs
//! uses. libbpf-sys names the constants of a C enum as C does (`BPF_PROG_TYPE_XDP`); they are
//! here under bindgen's default names too (`bpf_prog_type_BPF_PROG_TYPE_XDP`), as the
//! published crate has them. What still differs from the published crate is listed, each with
//! its reason, in the repository's `tests/rust-consumers/api-parity.allow`.
//!
//! # Features
//!
//! - `vendored` (default): build libxdp from the pinned upstream release with patches/ applied,
//!   as a static library with its BPF objects embedded (needs clang with the BPF target, m4,
//!   git, libelf and zlib development files). libbpf is built from source by libbpf-sys.
//! - `system`: link the system libxdp through pkg-config instead (also chosen when the
//!   environment variable `LIBXDP_NO_VENDOR` is set to anything but `0`). The build warns:
//!   a system libxdp lacks the namespace fixes.
//! - `static`: forwarded to libbpf-sys' `static` feature (libbpf, libelf, zlib linked
//!   statically).
//! - `bindgen`: generate the bindings with bindgen (needs libclang) instead of using the
//!   shipped, pre-generated ones.
//!
//! Build environment: `LIBXDP_UPSTREAM_TARBALL` (path of the pinned tarball), `CLANG`, `M4`,
//! `CC`. Dependents find the headers through `DEP_XDP_INCLUDE`.
//!
//! # Safety
//!
//! All functions are `unsafe` C functions; see the libxdp(3) manual page for their contracts.

// Two glob re-exports of one name would leave it unusable at the root, silently but for a
// warning: make that an error. (build.rs blocks from the bindings what libbpf-sys defines.)
#![deny(ambiguous_glob_reexports)]

pub use libbpf_sys;
pub use libbpf_sys::*;

#[allow(
    non_upper_case_globals,
    non_camel_case_types,
    non_snake_case,
    dead_code,
    unused_imports,
    unsafe_op_in_unsafe_fn,
    improper_ctypes,
    rustdoc::broken_intra_doc_links,
    rustdoc::bare_urls,
    rustdoc::invalid_html_tags,
    clippy::all,
    clippy::pedantic,
    clippy::missing_safety_doc
)]
mod bindings {
    use libbpf_sys::*;
    // Shipped pre-generated, as the build of the `bindgen` feature generates them; the
    // repository's `make test-rust-package` checks that the two are the same.
    #[cfg(not(feature = "bindgen"))]
    include!("bindings.rs");
    #[cfg(feature = "bindgen")]
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}

pub use bindings::*;

/// libbpf-sys' enum constants under the names bindgen gives them by default.
#[allow(non_upper_case_globals)]
mod libbpf_enums {
    use libbpf_sys::*;
    include!("libbpf_enums.rs");
}

pub use libbpf_enums::*;
