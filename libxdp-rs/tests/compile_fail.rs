//! Compile-time guarantees of the frame ownership model (trybuild UI tests in tests/ui/).
//!
//! Regenerate the expected output after a toolchain change with
//! `TRYBUILD=overwrite cargo test -p libxdp-rs --test compile_fail`, then review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
