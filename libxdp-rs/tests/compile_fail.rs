//! Compile-time guarantees (trybuild UI tests in tests/ui/): the frame ownership model, and
//! namespaces left only in the order entered (`Netns::run`, no guard).
//!
//! Regenerate the expected output after a toolchain change with
//! `TRYBUILD=overwrite cargo test -p libxdp-rs --test compile_fail`, then review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
