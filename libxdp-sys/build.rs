//! Build script of libxdp-sys.
//!
//! `vendored` (default): fetch the pinned xdp-tools tarball (verified by sha256), lay it out in
//! `$OUT_DIR/xdp-tools` with the xdp-netns patch series applied (libxdp/prepare-source.sh), build
//! the three BPF objects with clang, embed them, and compile a static libxdp with `cc`.
//!
//! `system` (or `LIBXDP_NO_VENDOR` set, or `vendored` off): link the system libxdp found by
//! pkg-config. That library lacks the namespace fixes of patches/, so a warning says so.
//!
//! Either way the bindings are the shipped ones (src/bindings.rs; src/xsk_inline.c wraps the
//! `static inline` ring helpers of xsk.h in real functions, compiled here against the headers of
//! the libxdp linked), or with feature `bindgen` generated afresh by bindgen, and `cargo:include=`
//! exports the header directory (`DEP_XDP_INCLUDE`). With `DOCS_RS` set (docs.rs) nothing is
//! built: the documentation needs only the shipped bindings.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the BPF objects would be looked for at run time if they were not embedded; the static
/// library embeds them and libxdp tries the embedded copies first.
const BPF_OBJECT_PATH: &str = "/usr/lib/bpf";

/// The BPF programs libxdp loads: (source name below lib/libxdp without `.c`, object name).
const BPF_PROGS: [&str; 3] = ["xdp-dispatcher", "xsk_def_xdp_prog", "xsk_def_xdp_prog_5.3"];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for var in [
        "LIBXDP_NO_VENDOR",
        "LIBXDP_UPSTREAM_TARBALL",
        "CC",
        "CLANG",
        "M4",
        "XDG_CACHE_HOME",
        "DOCS_RS",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }

    // docs.rs documents the shipped bindings and links nothing: no C compiler, clang, libclang
    // or network needed (it has no network). With feature `bindgen` there would be no bindings.
    if env::var_os("DOCS_RS").is_some() {
        if env::var_os("CARGO_FEATURE_BINDGEN").is_some() {
            fail("feature `bindgen` generates the bindings while building libxdp: not on docs.rs");
        }
        return;
    }

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    let no_vendor = env::var_os("LIBXDP_NO_VENDOR").is_some_and(|v| !v.is_empty() && v != "0");
    let feature = |name: &str| env::var_os(format!("CARGO_FEATURE_{name}")).is_some();

    let include_dirs = if feature("SYSTEM") || no_vendor || !feature("VENDORED") {
        let why = if feature("SYSTEM") {
            "feature `system`"
        } else if no_vendor {
            "LIBXDP_NO_VENDOR"
        } else {
            "feature `vendored` is off"
        };
        system_build(why)
    } else {
        vendored_build(&out_dir)
    };

    generate_bindings(&out_dir, &include_dirs);
}

/// Stop the build with one message that says what is wrong and how to fix it. (No panic: its
/// location and backtrace would only bury the message.)
fn fail(msg: &str) -> ! {
    eprintln!("\nerror: libxdp-sys: {msg}\n");
    std::process::exit(1);
}

// ---------------------------------------------------------------------------------------------
// system

fn system_build(why: &str) -> Vec<PathBuf> {
    let lib = pkg_config::Config::new()
        .atleast_version("1.0")
        .probe("libxdp")
        .unwrap_or_else(|e| {
            fail(&format!(
                "{why} asks for the system libxdp, but pkg-config did not find it: {e}\n\
                 Fix: apt-get install libxdp-dev pkg-config (or build the vendored copy: \
                 default features, LIBXDP_NO_VENDOR unset)."
            ))
        });
    println!(
        "cargo:warning=libxdp-sys: linking the system libxdp {} ({why}); it lacks the network \
         namespace fixes of xdp-netns' patches/ (use the default `vendored` feature to get them)",
        lib.version
    );
    let mut dirs = lib.include_paths.clone();
    if dirs.is_empty() {
        dirs.push(PathBuf::from("/usr/include"));
    }
    println!("cargo:include={}", dirs[0].display());
    dirs
}

// ---------------------------------------------------------------------------------------------
// vendored

/// The files the vendored build needs: the repository (`../libxdp`, `../patches`) or, in a
/// packaged crate, the copy that stage-upstream.sh put into `upstream/`.
struct Layout {
    /// Directory holding libxdp/ and patches/.
    root: PathBuf,
    /// The tarball packaged with the crate, if any.
    tarball: Option<PathBuf>,
}

fn layout() -> Layout {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let packaged = manifest.join("upstream");
    // Only a packaged crate has upstream/. Cargo takes a watched path that does not exist for
    // changed, which would rerun this script, and rebuild every dependent, on every build. (When
    // stage-upstream.sh creates it in the repository, it copies ../libxdp and ../patches, which
    // are watched below, so missing its appearance builds nothing different.)
    if packaged.exists() {
        println!("cargo:rerun-if-changed={}", packaged.display());
    }
    if packaged.join("libxdp/prepare-source.sh").is_file() {
        if manifest.join("../libxdp/prepare-source.sh").is_file() {
            println!(
                "cargo:warning=libxdp-sys: building from the staged copy in {} rather than \
                 ../libxdp and ../patches; run `libxdp-sys/stage-upstream.sh --clean` after \
                 packaging",
                packaged.display()
            );
        }
        let conf = read_conf(&packaged.join("libxdp/upstream.conf"));
        let tarball = conf
            .iter()
            .find(|(k, _)| k == "TARBALL_NAME")
            .map(|(_, v)| packaged.join(v))
            .filter(|p| p.is_file());
        return Layout {
            root: packaged,
            tarball,
        };
    }
    let repo = manifest.join("..");
    if repo.join("libxdp/prepare-source.sh").is_file() {
        return Layout {
            root: repo.canonicalize().unwrap_or(repo),
            tarball: None,
        };
    }
    fail(&format!(
        "found neither {0}/upstream/libxdp (a packaged crate) nor {0}/../libxdp (the xdp-netns \
         repository). Fix: build from the repository, or run libxdp-sys/stage-upstream.sh \
         before packaging.",
        manifest.display()
    ))
}

/// Write `text` to `path` unless the file holds it already, so that a rerun leaves the file, and
/// its mtime, alone: cargo compares the mtime of every watched file with the last run's.
fn write_if_changed(path: &Path, text: impl AsRef<[u8]>) {
    let text = text.as_ref();
    if fs::read(path).is_ok_and(|old| old == text) {
        return;
    }
    fs::write(path, text).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
}

/// KEY=VALUE lines of upstream.conf (no quotes, `#` comments).
fn read_conf(path: &Path) -> Vec<(String, String)> {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", path.display())));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// Defines of config.defs as (NAME, Some(VALUE)) or (NAME, None).
fn read_defines(path: &Path) -> Vec<(String, Option<String>)> {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", path.display())));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (l.to_owned(), None),
        })
        .collect()
}

fn tool_from_env(var: &str, default: &str) -> String {
    env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// True when `cmd ARGS` can be started and exits with status 0.
fn runs(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Check every tool and library before the long work, and fail once, naming all that is missing.
fn check_prerequisites(clang: &str, m4: &str) {
    let mut missing: Vec<(String, &str)> = Vec::new();
    if !runs(clang, &["--version"]) {
        missing.push((format!("clang (`{clang}`, set CLANG to override)"), "clang"));
    } else if !runs(clang, &["-print-targets"])
        || !Command::new(clang)
            .arg("-print-targets")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("bpf"))
    {
        missing.push((
            format!("a clang with the BPF target (`{clang}`)"),
            "clang llvm",
        ));
    }
    if !runs(m4, &["--version"]) {
        missing.push((format!("m4 (`{m4}`, set M4 to override)"), "m4"));
    }
    if !runs("git", &["--version"]) {
        missing.push(("git".into(), "git"));
    }
    if !runs("bash", &["--version"]) {
        missing.push(("bash".into(), "bash"));
    }
    if !runs("tar", &["--version"]) {
        missing.push(("tar".into(), "tar"));
    }
    let pkg = |name: &str| {
        pkg_config::Config::new()
            .cargo_metadata(false)
            .env_metadata(false)
            .probe(name)
            .is_ok()
    };
    // libxdp itself includes no libelf header: libbpf needs the library, which libbpf-sys builds
    // with `vendored-libelf`.
    if !pkg("libelf") && env::var_os("CARGO_FEATURE_VENDORED_LIBELF").is_none() {
        missing.push((
            "libelf development files (pkg-config libelf)".into(),
            "libelf-dev pkg-config",
        ));
    }
    if !pkg("zlib") {
        missing.push((
            "zlib development files (pkg-config zlib)".into(),
            "zlib1g-dev pkg-config",
        ));
    }
    if missing.is_empty() {
        return;
    }
    let what: Vec<&str> = missing.iter().map(|(w, _)| w.as_str()).collect();
    let mut pkgs: Vec<&str> = Vec::new();
    for pkg in missing.iter().flat_map(|(_, p)| p.split_whitespace()) {
        if !pkgs.contains(&pkg) {
            pkgs.push(pkg);
        }
    }
    fail(&format!(
        "missing for the vendored build of libxdp: {}. Fix: apt-get install {} \
         (or use the `system` feature to link a system libxdp).",
        what.join(", "),
        pkgs.join(" ")
    ));
}

/// Run a command; on failure stop the build with its output.
fn run(cmd: &mut Command, what: &str) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| fail(&format!("{what}: cannot run {:?}: {e}", cmd.get_program())));
    if !out.status.success() {
        fail(&format!(
            "{what} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr).trim_end()
        ));
    }
    out.stdout
}

/// The libbpf headers to build against: libbpf-sys' (vendored) or the system's.
fn libbpf_include() -> PathBuf {
    if let Some(dir) = env::var_os("DEP_BPF_INCLUDE").map(PathBuf::from) {
        if dir.join("bpf/libbpf.h").is_file() {
            return dir;
        }
    }
    match pkg_config::Config::new()
        .cargo_metadata(false)
        .env_metadata(false)
        .probe("libbpf")
    {
        Ok(lib) => lib
            .include_paths
            .into_iter()
            .find(|d| d.join("bpf/libbpf.h").is_file())
            .unwrap_or_else(|| PathBuf::from("/usr/include")),
        Err(_) => fail(
            "no libbpf headers: libbpf-sys exported none (DEP_BPF_INCLUDE) and pkg-config \
             does not find libbpf. Fix: enable the `vendored` feature (builds libbpf via \
             libbpf-sys) or apt-get install libbpf-dev.",
        ),
    }
}

/// "MAJOR.MINOR.0" from bpf/libbpf_version.h.
fn libbpf_version(include: &Path) -> String {
    let path = include.join("bpf/libbpf_version.h");
    let text = fs::read_to_string(&path).unwrap_or_default();
    let num = |name: &str| {
        text.lines()
            .filter_map(|l| l.trim().strip_prefix("#define"))
            .filter_map(|l| l.trim().strip_prefix(name))
            .filter_map(|v| v.trim().parse::<u32>().ok())
            .next()
    };
    match (num("LIBBPF_MAJOR_VERSION"), num("LIBBPF_MINOR_VERSION")) {
        (Some(major), Some(minor)) => {
            if major < 1 {
                fail(&format!(
                    "libbpf {major}.{minor} ({}) is too old; libxdp needs libbpf >= 1.0",
                    path.display()
                ));
            }
            format!("{major}.{minor}.0")
        }
        _ => fail(&format!(
            "cannot read the libbpf version from {}",
            path.display()
        )),
    }
}

/// The multiarch include directory (asm/types.h) for BPF compilation.
fn multiarch_include() -> Option<PathBuf> {
    let out = Command::new(tool_from_env("CC", "cc"))
        .arg("-print-multiarch")
        .output()
        .ok()?;
    let triple = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let dir = PathBuf::from("/usr/include").join(triple);
    (!dir.as_os_str().is_empty() && dir.join("asm/types.h").is_file()).then_some(dir)
}

fn vendored_build(out_dir: &Path) -> Vec<PathBuf> {
    let layout = layout();
    let libxdp_dir = layout.root.join("libxdp");
    println!("cargo:rerun-if-changed={}", libxdp_dir.display());
    println!(
        "cargo:rerun-if-changed={}",
        layout.root.join("patches").display()
    );
    for entry in fs::read_dir(&libxdp_dir).into_iter().flatten().flatten() {
        println!("cargo:rerun-if-changed={}", entry.path().display());
    }
    for entry in fs::read_dir(layout.root.join("patches"))
        .into_iter()
        .flatten()
        .flatten()
    {
        println!("cargo:rerun-if-changed={}", entry.path().display());
    }

    let clang = tool_from_env("CLANG", "clang");
    let m4 = tool_from_env("M4", "m4");
    check_prerequisites(&clang, &m4);

    // The tarball: the user's, else the packaged one, else fetch-upstream.sh's cache or apt.
    // Verified on every build, so a wrong LIBXDP_UPSTREAM_TARBALL never goes unnoticed.
    let mut fetch = Command::new("bash");
    fetch.arg(libxdp_dir.join("fetch-upstream.sh"));
    if env::var_os("LIBXDP_UPSTREAM_TARBALL").is_none() {
        if let Some(t) = &layout.tarball {
            fetch.env("LIBXDP_UPSTREAM_TARBALL", t);
        }
    }
    let tarball = String::from_utf8_lossy(&run(&mut fetch, "fetching the upstream tarball"))
        .trim()
        .to_owned();

    // Lay out the patched tree. A tree without the script's stamp is a leftover of an
    // interrupted run: start over.
    let src = out_dir.join("xdp-tools");
    if !src.join(".git/xdp-netns-series").is_file() && src.exists() {
        fs::remove_dir_all(&src)
            .unwrap_or_else(|e| fail(&format!("cannot remove {}: {e}", src.display())));
    }
    run(
        Command::new("bash")
            .arg(libxdp_dir.join("prepare-source.sh"))
            .arg(&src)
            .env("LIBXDP_UPSTREAM_TARBALL", &tarball),
        "preparing the patched upstream source (libxdp/prepare-source.sh)",
    );

    let lib_src = src.join("lib/libxdp");
    let headers = src.join("headers");
    let bpf_include = libbpf_include();
    let libbpf_version = libbpf_version(&bpf_include);
    let defines = read_defines(&libxdp_dir.join("config.defs"));

    // BPF objects.
    let bpf_out = out_dir.join("bpf");
    fs::create_dir_all(&bpf_out).unwrap_or_else(|e| fail(&format!("{}: {e}", bpf_out.display())));
    let define_args: Vec<String> = defines
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("-D{k}={v}"),
            None => format!("-D{k}"),
        })
        .collect();
    let dispatcher_c = bpf_out.join("xdp-dispatcher.c");
    let dispatcher = run(
        Command::new(&m4)
            .args(&define_args)
            .arg(lib_src.join("xdp-dispatcher.c.in")),
        "m4 xdp-dispatcher.c.in",
    );
    write_if_changed(&dispatcher_c, dispatcher);

    let mut objects = Vec::new();
    for prog in BPF_PROGS {
        let source = if prog == "xdp-dispatcher" {
            dispatcher_c.clone()
        } else {
            lib_src.join(format!("{prog}.c"))
        };
        let obj = bpf_out.join(format!("{prog}.o"));
        let mut cmd = Command::new(&clang);
        cmd.args(["-target", "bpf", "-O2", "-g", "-Wall"])
            .args([
                "-Wno-unused-value",
                "-Wno-pointer-sign",
                "-Wno-compare-distinct-pointer-types",
                "-Wno-visibility",
                "-fno-stack-protector",
            ])
            .args(&define_args)
            .arg("-I")
            .arg(&headers)
            .arg("-I")
            .arg(&lib_src)
            .arg("-I")
            .arg(&bpf_include);
        if let Some(dir) = multiarch_include() {
            cmd.arg("-I").arg(dir);
        }
        cmd.arg("-c").arg(&source).arg("-o").arg(&obj);
        run(&mut cmd, &format!("clang -target bpf {prog}.c"));
        objects.push(obj);
    }
    let embed_s = out_dir.join("embedded-bpf.S");
    run(
        Command::new("bash")
            .arg(libxdp_dir.join("embed-bpf.sh"))
            .arg(&embed_s)
            .args(&objects),
        "embedding the BPF objects (libxdp/embed-bpf.sh)",
    );

    // The library.
    let mut build = cc::Build::new();
    build
        .file(lib_src.join("libxdp.c"))
        .file(lib_src.join("xsk.c"))
        .file(&embed_s)
        .include(&headers)
        .include(&bpf_include)
        .flag("-std=gnu11")
        .flag("-Wall")
        .flag("-Wextra")
        .define("LIBXDP_STATIC", "1")
        .define("BPF_OBJECT_PATH", format!("\"{BPF_OBJECT_PATH}\"").as_str())
        .define("LIBBPF_VERSION", format!("\"{libbpf_version}\"").as_str());
    for (k, v) in &defines {
        build.define(k, v.as_deref());
    }
    build.compile("xdp");

    // Dependents (DEP_XDP_INCLUDE) get the patched headers; libbpf's come from libbpf-sys.
    println!("cargo:include={}", headers.display());
    vec![headers, bpf_include]
}

// ---------------------------------------------------------------------------------------------
// bindings

/// The headers bound: libxdp's API, and what the published libxdp-sys binds too, so that its
/// items exist here: the dispatcher's configuration (`xdp_dispatcher_config`,
/// `XDP_DISPATCHER_*`) and `xdp_stats_record`. (Its xdp_sample_shared.h declares nothing it
/// exports.)
const WRAPPER_H: &str = "#include <xdp/libxdp.h>\n#include <xdp/xsk.h>\n\
                         #include <xdp/prog_dispatcher.h>\n#include <xdp/xdp_helpers.h>\n\
                         #include <xdp/xdp_stats_kern_user.h>\n";

/// The line that starts the wrappers bindgen writes for the `static inline` helpers, after its
/// `#include` of the header by its absolute path (which the shipped copy leaves out).
#[cfg(feature = "bindgen")]
const WRAPPERS_START: &str = "// Static wrappers";

/// The bindings ship pre-generated (src/bindings.rs, and src/xsk_inline.c: C wrappers of the
/// `static inline` ring helpers), as libbpf-sys' do, so that neither a build nor docs.rs needs
/// libclang. Feature `bindgen` generates both afresh into `OUT_DIR` and uses those instead; the
/// repository's `make test-rust-package` checks that the shipped copies are what it generates.
/// Either way the wrappers are compiled here, against the headers of the libxdp linked.
fn generate_bindings(out_dir: &Path, include_dirs: &[PathBuf]) {
    // Written only when it changes, so that its mtime, too, says when it last changed.
    let wrapper = out_dir.join("libxdp-sys.h");
    write_if_changed(&wrapper, WRAPPER_H);

    #[cfg(feature = "bindgen")]
    let wrappers = run_bindgen(out_dir, &wrapper, include_dirs);
    #[cfg(not(feature = "bindgen"))]
    let wrappers = {
        let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
        let shipped = manifest.join("src/xsk_inline.c");
        println!("cargo:rerun-if-changed={}", shipped.display());
        // What bindgen's callback would watch: the bound headers, where they are not this
        // script's own output (the vendored tree's, made from the watched tarball and patches).
        for header in WRAPPER_H
            .lines()
            .filter_map(|l| l.strip_prefix("#include <"))
        {
            let header = header.trim_end_matches('>');
            for dir in include_dirs.iter().filter(|d| !d.starts_with(out_dir)) {
                if dir.join(header).is_file() {
                    println!("cargo:rerun-if-changed={}", dir.join(header).display());
                }
            }
        }
        fs::read_to_string(&shipped)
            .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", shipped.display())))
    };

    let inline_c = out_dir.join("xsk_inline_build.c");
    let mut text = String::new();
    let _ = writeln!(text, "#include \"{}\"\n", wrapper.display());
    text.push_str(&wrappers);
    write_if_changed(&inline_c, text);
    // With gnu89 inline semantics xsk.h declares its ring helpers `static inline`, which the
    // wrappers call.
    let mut build = cc::Build::new();
    build.file(&inline_c).flag("-fgnu89-inline");
    for dir in include_dirs {
        build.include(dir);
    }
    build.compile("xdp_sys_inline");
}

/// bindgen's `CargoCallbacks` without the headers in `OUT_DIR`: has cargo watch every header
/// bindgen reads, and the environment variables it reads, except what this script writes below
/// `OUT_DIR` (the wrapper, the patched tree's headers). Those are written during the run, so
/// cargo would find them newer than the run and rerun it on the next build, once after every
/// fresh build; their sources (the tarball, `libxdp/`, `patches/`) are watched already.
#[cfg(feature = "bindgen")]
#[derive(Debug)]
struct WatchHeaders {
    out_dir: PathBuf,
}

#[cfg(feature = "bindgen")]
impl bindgen::callbacks::ParseCallbacks for WatchHeaders {
    fn include_file(&self, filename: &str) {
        if !Path::new(filename).starts_with(&self.out_dir) {
            println!("cargo:rerun-if-changed={filename}");
        }
    }

    fn read_env_var(&self, key: &str) {
        println!("cargo:rerun-if-env-changed={key}");
    }

    /// The kernel's integer types (`__u32`, `__be16`, ...) are libbpf-sys' and blocked here, so
    /// bindgen cannot see that they are plain integers: it would make every union holding one a
    /// struct of `__BindgenUnionField`s (`xsk_socket_config`'s flags) and derive nothing for
    /// structs holding one. They are integers: they implement every trait bindgen derives.
    fn blocklisted_type_implements_trait(
        &self,
        name: &str,
        _derive_trait: bindgen::callbacks::DeriveTrait,
    ) -> Option<bindgen::callbacks::ImplementsTrait> {
        let int = name
            .strip_prefix("__")
            .and_then(|n| n.strip_prefix(['u', 's']).or_else(|| n.strip_prefix("be")))
            .or_else(|| name.strip_prefix("__le"))
            .is_some_and(|bits| matches!(bits, "8" | "16" | "32" | "64"));
        int.then_some(bindgen::callbacks::ImplementsTrait::Yes)
    }
}

/// Generate `OUT_DIR/bindings.rs` and `OUT_DIR/xsk_inline.c` (the wrappers as bindgen writes
/// them); return the wrappers from their first line on, as src/xsk_inline.c has them.
#[cfg(feature = "bindgen")]
fn run_bindgen(out_dir: &Path, wrapper: &Path, include_dirs: &[PathBuf]) -> String {
    // With gnu89 inline semantics xsk.h declares its ring helpers `static inline`, which lets
    // bindgen wrap them in real functions that Rust can call.
    let mut clang_args = vec!["-fgnu89-inline".to_owned()];
    for dir in include_dirs {
        clang_args.push(format!("-I{}", dir.display()));
    }
    let inline_c = out_dir.join("xsk_inline");
    let bindings = bindgen::Builder::default()
        .header(wrapper.to_string_lossy())
        .clang_args(&clang_args)
        .allowlist_function("(xsk|xdp|libxdp)_.*")
        .allowlist_type("(xsk|xdp|libxdp)_.*")
        .allowlist_var("(XSK|XDP|LIBXDP)_.*|MAX_DISPATCHER_ACTIONS|LIBBPF_(MAJOR|MINOR)_VERSION")
        // libbpf's types come from libbpf-sys, so both crates agree on them; and so does
        // everything else libbpf-sys defines that these headers declare too (kernel types and
        // `xdp_md`, `xdp_action` of linux/bpf.h, va_list): the crate root re-exports both
        // crates, where a name defined twice could not be used (src/lib.rs denies that).
        .blocklist_type("(bpf|btf)(_.*)?")
        .blocklist_item(
            "xdp_md|xdp_action|XDP_PACKET_HEADROOM|__(u|s)(8|16|32|64)|__(be|le)(16|32|64)|\
             va_list|__builtin_va_list|__va_list_tag",
        )
        .default_enum_style(bindgen::EnumVariation::Consts)
        .derive_default(true)
        .layout_tests(true)
        .wrap_static_fns(true)
        .wrap_static_fns_path(&inline_c)
        .parse_callbacks(Box::new(WatchHeaders {
            out_dir: out_dir.to_owned(),
        }))
        .generate()
        .unwrap_or_else(|e| fail(&format!("bindgen on xdp/libxdp.h and xdp/xsk.h: {e}")));
    write_if_changed(&out_dir.join("bindings.rs"), bindings.to_string());

    let inline_c = inline_c.with_extension("c");
    let text = fs::read_to_string(&inline_c)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", inline_c.display())));
    match text.find(WRAPPERS_START) {
        Some(at) => text[at..].to_owned(),
        None => fail(&format!(
            "{} does not have the line {WRAPPERS_START:?}",
            inline_c.display()
        )),
    }
}
