//! The crate root has the items of the published libxdp-sys, usable by name from Rust (no
//! privileges needed). tests/rust-consumers/api-parity.sh compares every item; this checks what
//! a text comparison cannot: that each name resolves at the root, to the type it should.

use libxdp_sys as sys;

#[test]
fn libbpf_items_are_libbpf_sys_own() {
    // The very functions and types of libbpf-sys, not copies: a libbpf-rs user's pointers fit.
    let open: unsafe extern "C" fn(*const std::os::raw::c_char) -> *mut sys::bpf_object =
        sys::bpf_object__open;
    let theirs: unsafe extern "C" fn(*const std::os::raw::c_char) -> *mut libbpf_sys::bpf_object =
        libbpf_sys::bpf_object__open;
    assert_eq!(open as usize, theirs as usize);
    let _: sys::__u8 = 0u8;
    let _: sys::__s32 = 0i32;
    let _: sys::__be16 = 0u16;
}

#[test]
fn enum_constants_under_both_names() {
    // libbpf-sys' name and bindgen's default (the published crate's) name, one value and type.
    let xdp: sys::bpf_prog_type = sys::bpf_prog_type_BPF_PROG_TYPE_XDP;
    assert_eq!(xdp, libbpf_sys::BPF_PROG_TYPE_XDP);
    assert_eq!(sys::xdp_action_XDP_PASS, sys::XDP_PASS);
    assert_eq!(
        sys::bpf_map_type_BPF_MAP_TYPE_XSKMAP,
        sys::BPF_MAP_TYPE_XSKMAP
    );
}

#[test]
fn dispatcher_and_stats_items() {
    let config = sys::xdp_dispatcher_config {
        magic: sys::XDP_DISPATCHER_MAGIC as u8,
        dispatcher_version: sys::XDP_DISPATCHER_VERSION as u8,
        ..Default::default()
    };
    assert_eq!(config.run_prios.len(), sys::MAX_DISPATCHER_ACTIONS as usize);
    assert_eq!(sys::XDP_METADATA_SECTION, b"xdp_metadata\0");
    assert_eq!(sys::XDP_DISPATCHER_RETVAL, 31);
    // SAFETY: a record of two unions of u64 counters; all-zero bytes are a valid value.
    let record: sys::xdp_stats_record = unsafe { std::mem::zeroed() };
    // SAFETY: each union holds one u64 under two names; reading either reads that u64.
    assert_eq!(unsafe { record.__bindgen_anon_1.packets }, 0);
    const { assert!(sys::LIBBPF_MAJOR_VERSION >= 1) };
}

#[test]
fn socket_config_flags_are_a_union() {
    // xsk-rs sets the flags through this union; it must stay a Rust union of plain integers.
    let flags = sys::xsk_socket_config__bindgen_ty_1 {
        libxdp_flags: sys::XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
    };
    // SAFETY: both members are the same u32.
    assert_eq!(
        unsafe { flags.libbpf_flags },
        sys::XSK_LIBBPF_FLAGS__INHIBIT_PROG_LOAD
    );
}
