//! `--instr`: user-space instructions per descriptor of the ring operations, counted by
//! valgrind: exact and repeatable where the timed rounds are at the mercy of the machine.
//!
//! Each contender and ring kind runs in a child process of this binary (`--instr-case`),
//! under `valgrind --tool=callgrind --toggle-collect=FN --dump-after=FN` where FN is the
//! contender's loop (`c_addr_cycle`, `bench_rings::rust_addr_cycle`, ...; both out of line,
//! the C one in its own translation unit). Callgrind counts only the instructions executed
//! inside FN and what it calls, so the process's start-up, the ring set-up, the checksum
//! check and valgrind's own start-up are left out, and it writes one profile per call of FN:
//! the child calls FN once per run it was given, so one valgrind process counts every run of
//! its contender and ring kind exactly, each on its own.
//!
//! Each batch runs twice, for N1 and N2 iterations, and (I(N2) - I(N1)) / ((N2 - N1) * batch)
//! also cancels what one call costs once (prologue, epilogue, the first look at the other
//! side's index). N1 and N2 are multiples of the ring size in iterations, so that both runs
//! end with the indexes at the same place in the ring: the difference is made of whole turns
//! of the ring, with their wrap-arounds and refreshes of the cached indexes in the proportion
//! a long run has them. The counts are exact: two runs of the bench give the same figures,
//! and --quick (fewer turns) gives the same figures as a full run.

use std::fmt::Write as _;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::str::FromStr;

use crate::{expected_sum, run, Kind, Options, RingMem, Rings, Who};

/// Exit status when valgrind is not on PATH: the caller (bench/run.sh) skips this part.
const EXIT_NO_VALGRIND: u8 = 3;
/// The valgrind tool and how it is told what to count; the JSON names it.
const TOOL: &str = "valgrind --tool=callgrind";
/// N1 and N2, in turns of the ring: each batch runs N1 = TURNS.0 * ring size iterations and
/// N2 = TURNS.1 * ring size. The first turn holds the one-off refreshes, so N1 >= 1 turn.
const TURNS: (u64, u64) = (1, 3);
/// The same with --quick: as exact, shorter.
const TURNS_QUICK: (u64, u64) = (1, 2);

/// What one child counts: `--instr-case WHO:RING:BATCHxITERS,BATCHxITERS,...`, one call of the
/// contender's loop per run, in order.
#[derive(Clone, Debug)]
pub struct Case {
    who: Who,
    kind: Kind,
    /// (batch, iterations) of each call.
    runs: Vec<(u32, u64)>,
}

impl FromStr for Case {
    type Err = String;

    fn from_str(s: &str) -> Result<Case, String> {
        let bad = || {
            format!(
                "{s:?}: expected WHO:RING:BATCHxITERS[,...] (WHO c or rust, RING fill or xdp_desc)"
            )
        };
        let f: Vec<&str> = s.split(':').collect();
        let [who, kind, runs] = f[..] else {
            return Err(bad());
        };
        let who = match who {
            "c" => Who::C,
            "rust" => Who::Rust,
            _ => return Err(bad()),
        };
        let kind = match kind {
            "fill" => Kind::Addr,
            "xdp_desc" => Kind::XdpDesc,
            _ => return Err(bad()),
        };
        let runs = runs
            .split(',')
            .map(|r| {
                let (b, n) = r.split_once('x')?;
                let b = b.parse::<u32>().ok().filter(|&b| b > 0)?;
                Some((b, n.parse::<u64>().ok()?))
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(bad)?;
        Ok(Case { who, kind, runs })
    }
}

impl Case {
    fn arg(&self) -> String {
        let who = match self.who {
            Who::C => "c",
            Who::Rust => "rust",
        };
        let runs: Vec<String> = self.runs.iter().map(|(b, n)| format!("{b}x{n}")).collect();
        format!("{who}:{}:{}", kind_name(self.kind), runs.join(","))
    }

    /// The function callgrind counts in: the contender's loop.
    fn function(&self) -> &'static str {
        match (self.who, self.kind) {
            (Who::C, Kind::Addr) => "c_addr_cycle",
            (Who::C, Kind::XdpDesc) => "c_desc_cycle",
            (Who::Rust, Kind::Addr) => std::any::type_name_of_val(&crate::rust_addr_cycle),
            (Who::Rust, Kind::XdpDesc) => std::any::type_name_of_val(&crate::rust_desc_cycle),
        }
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Addr => "fill",
        Kind::XdpDesc => "xdp_desc",
    }
}

/// The child: each run of the case's loop on fresh rings (what valgrind counts), checked.
pub fn run_case(case: &Case, ring_size: u32) -> ExitCode {
    let mut rings = Rings {
        addr: RingMem::new(ring_size),
        desc: RingMem::new(ring_size),
    };
    for &(batch, iters) in &case.runs {
        if batch > ring_size {
            eprintln!("bench-rings: --instr-case: batch {batch} > ring size {ring_size}");
            return ExitCode::from(2);
        }
        // `run` resets the ring first, and exits with a message when a reserve or a peek
        // comes up short.
        let (_, sum) = run(&mut rings, case.kind, case.who, batch, iters);
        let want = expected_sum(case.kind, batch, iters);
        if sum != want {
            eprintln!(
                "bench-rings: {} batch {batch}, {iters} iterations: checksum {sum} != expected {want}",
                case.arg()
            );
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// A directory of our own for callgrind's profiles, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, String> {
        let dir = std::env::temp_dir().join(format!("bench-rings-instr.{}", std::process::id()));
        fs::create_dir(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The `summary:` count of a callgrind profile that `--dump-after` wrote.
fn dumped_count(file: &Path) -> Result<u64, String> {
    let text = fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    if !text
        .lines()
        .any(|l| l.starts_with("desc: Trigger: --dump-after="))
    {
        return Err(format!("{}: not a profile of one call", file.display()));
    }
    text.lines()
        .find_map(|l| l.strip_prefix("summary:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("{}: no summary: line", file.display()))
}

/// Instructions callgrind counted inside the case's loop, one count per run, in a child of
/// this binary.
fn count(case: &Case, ring_size: u32, dir: &Path) -> Result<Vec<u64>, String> {
    let exe = std::env::current_exe().map_err(|e| format!("locating this program: {e}"))?;
    let f = case.function();
    // Callgrind appends .1, .2, ... (one per call) and writes BASE itself at the exit.
    let base = dir.join(format!("{}.out", f.replace("::", "-")));
    let out = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", base.display()))
        // Implies --collect-atstart=no: counts only inside the function and its callees.
        .arg(format!("--toggle-collect={f}"))
        // A profile per call, counters zeroed after each: BASE.1, BASE.2, ...
        .arg(format!("--dump-after={f}"))
        .arg(&exe)
        .args(["--ring-size", &ring_size.to_string()])
        .args(["--instr-case", &case.arg()])
        .output()
        .map_err(|e| format!("running valgrind: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "valgrind ... {} --instr-case {}: {}:\n{}",
            exe.display(),
            case.arg(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let counts = (1..=case.runs.len())
        .map(|part| dumped_count(&PathBuf::from(format!("{}.{part}", base.display()))))
        .collect::<Result<Vec<u64>, String>>()?;
    // One profile per call and no more: the function ran exactly once per run.
    let extra = PathBuf::from(format!("{}.{}", base.display(), case.runs.len() + 1));
    if extra.exists() || counts.contains(&0) {
        return Err(format!(
            "callgrind's profiles of {f} do not match the {} calls of --instr-case {}: did the \
             function's name not match, or is it called more than once per run?",
            case.runs.len(),
            case.arg()
        ));
    }
    Ok(counts)
}

/// Instructions per descriptor of one contender at each batch: the differences of two runs.
fn per_desc(who: Who, kind: Kind, o: &Options, dir: &Path) -> Result<Vec<f64>, String> {
    let turns = if o.quick { TURNS_QUICK } else { TURNS };
    let size = u64::from(o.ring_size);
    let (n1, n2) = (turns.0 * size, turns.1 * size);
    let case = Case {
        who,
        kind,
        runs: o.batches.iter().flat_map(|&b| [(b, n1), (b, n2)]).collect(),
    };
    let counts = count(&case, o.ring_size, dir)?;
    o.batches
        .iter()
        .zip(counts.chunks(2))
        .map(|(&batch, c)| {
            let more = c[1].checked_sub(c[0]).ok_or_else(|| {
                format!(
                    "{} batch {batch}: {} instructions for {n2} iterations < {} for {n1}",
                    case.function(),
                    c[1],
                    c[0]
                )
            })?;
            Ok(more as f64 / ((n2 - n1) as f64 * f64::from(batch)))
        })
        .collect()
}

struct Row {
    kind: Kind,
    batch: u32,
    c: f64,
    rust: f64,
}

impl Row {
    fn ratio(&self) -> f64 {
        self.rust / self.c
    }
}

/// `--instr`: count every case, print the table and the headline, write the JSON.
pub fn main(o: &Options) -> ExitCode {
    match Command::new("valgrind").arg("--version").output() {
        Ok(v) if v.status.success() => {}
        Ok(v) => {
            eprintln!(
                "bench-rings: --instr: `valgrind --version` failed ({}); skipped",
                v.status
            );
            return ExitCode::from(EXIT_NO_VALGRIND);
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            eprintln!(
                "bench-rings: --instr counts instructions with valgrind, which is not on PATH \
                 (Debian: apt-get install valgrind; scripts/install-deps.sh installs it); skipped"
            );
            return ExitCode::from(EXIT_NO_VALGRIND);
        }
        Err(e) => {
            eprintln!("bench-rings: --instr: running valgrind: {e}; skipped");
            return ExitCode::from(EXIT_NO_VALGRIND);
        }
    }
    let turns = if o.quick { TURNS_QUICK } else { TURNS };
    println!(
        "ring ops, instructions per descriptor: libxdp-rs RawProducer/RawConsumer (Rust \
         opt-level {}) vs xsk.h static inline (C -O{}, {}), ring of {} entries",
        env!("BENCH_RUST_OPT_SHOWN"),
        env!("BENCH_C_OPT_SHOWN"),
        env!("BENCH_CC_SHOWN"),
        o.ring_size
    );
    println!(
        "{TOOL} --toggle-collect=<the loop>, (I(N2) - I(N1)) / ((N2 - N1) * batch), \
         N1 = {} and N2 = {} ring turns of iterations; exact",
        turns.0, turns.1
    );
    println!();
    println!(
        "{:<18} {:>5}  {:>15}  {:>15}  {:>7}",
        "ring", "batch", "C instr/desc", "Rust instr/desc", "Rust/C"
    );
    let counted = TempDir::new().and_then(|dir| {
        let mut rows = Vec::new();
        for &kind in &o.kinds {
            let c = per_desc(Who::C, kind, o, &dir.0)?;
            let rust = per_desc(Who::Rust, kind, o, &dir.0)?;
            for ((&batch, c), rust) in o.batches.iter().zip(c).zip(rust) {
                let row = Row {
                    kind,
                    batch,
                    c,
                    rust,
                };
                println!(
                    "{:<18} {:>5}  {:>15.4}  {:>15.4}  {:>7.3}",
                    kind.label(),
                    batch,
                    row.c,
                    row.rust,
                    row.ratio()
                );
                rows.push(row);
            }
        }
        Ok(rows)
    });
    let rows = match counted {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("bench-rings: --instr: {e}");
            return ExitCode::FAILURE;
        }
    };
    let worst = rows
        .iter()
        .max_by(|a, b| a.ratio().total_cmp(&b.ratio()))
        .expect("at least one case");
    println!();
    println!("worst: {} batch {}", worst.kind.label(), worst.batch);
    println!(
        "ring instr/desc Rust/C: {:.2} (worst batch {})",
        worst.ratio(),
        worst.batch
    );
    if let Some(path) = &o.json {
        if let Err(e) = std::fs::write(path, json(&rows, worst, o)) {
            eprintln!("bench-rings: writing {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// `{"tool": ..., "batches": {"1": {"rust": x, "c": y, "ratio": r}, ...}, "ratio_worst": r,
/// ...}`: `batches` is the fill/completion (u64) ring, `batches_xdp_desc` the RX/TX one;
/// `ratio_worst` and `worst` are over both.
fn json(rows: &[Row], worst: &Row, o: &Options) -> String {
    let batches = |kind: Kind| {
        let mut s = String::new();
        for r in rows.iter().filter(|r| r.kind == kind) {
            if !s.is_empty() {
                s.push(',');
            }
            // f64's Display: the shortest text that reads back as the same number.
            let _ = write!(
                s,
                "\"{}\":{{\"rust\":{},\"c\":{},\"ratio\":{}}}",
                r.batch,
                r.rust,
                r.c,
                r.ratio()
            );
        }
        s
    };
    let turns = if o.quick { TURNS_QUICK } else { TURNS };
    format!(
        "{{\"bench\":\"ring_instr\",\"tool\":\"{TOOL}\",\"unit\":\"instructions per descriptor\",\
         \"batches\":{{{}}},\"batches_xdp_desc\":{{{}}},\"ratio_worst\":{},\
         \"worst\":{{\"ring\":\"{}\",\"batch\":{}}},\"ring_size\":{},\
         \"iterations\":[{},{}],\"rust_opt_level\":\"{}\",\"c_opt\":\"-O{}\",\"c_compiler\":\"{}\",\
         \"quick\":{}}}\n",
        batches(Kind::Addr),
        batches(Kind::XdpDesc),
        worst.ratio(),
        kind_name(worst.kind),
        worst.batch,
        o.ring_size,
        turns.0 * u64::from(o.ring_size),
        turns.1 * u64::from(o.ring_size),
        env!("BENCH_RUST_OPT_SHOWN"),
        env!("BENCH_C_OPT_SHOWN"),
        env!("BENCH_CC_SHOWN"),
        o.quick
    )
}
