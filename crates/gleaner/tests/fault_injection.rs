//! Fault injection: real crawl files and real news articles, damaged in every way issue 12 lists
//! and more (bit flips at random offsets, truncation one byte either side of every record
//! boundary and further off sampled ones, lying lengths, holes inside records, junk between
//! records and between compressed members, truncated and bit-flipped members of per-record
//! gzip and zstd crawl files, damaged middle members of multi-member gzip and middle frames of
//! multi-frame zstd JSONL, aligned with records or not, a UTF-8 BOM), each read through the
//! library's public reader (`gleaner::io::open_records_counted`) in-process and compared with the read
//! of the clean file.
//!
//! What is asserted, per damaged file (see `support/damage.rs` for how the damage is made and
//! which records it touches):
//!
//! * No panic, and every reject names the file.
//! * Every record the damage did not touch comes out exactly once, in order, with its id, text
//!   and metadata unchanged (its `offset` moved by exactly the bytes inserted or removed before
//!   it, when that is knowable; otherwise the offset is not compared). Records skipped on
//!   purpose (requests, images, ...) are still counted as skipped.
//! * No document id comes out twice.
//! * When the damage is detectable by any reader ([`damage::Damaged::certain`]: a gzip CRC32 or
//!   zstd checksum fails, a declared length does not land on the next record, a record is cut
//!   off, junk sits between records), the damaged records are never documents, each damage site
//!   gives at least one reject, and there are no more rejects than sites plus damaged records
//!   (no cascade).
//! * A few records the damage leaves intact may still be given up by a careful reader (an ARC
//!   record followed by junk or a partial header line: ARC has no terminator, so junk after a
//!   record cannot be told from a too-short length; a JSON line whose halves sit in two members
//!   with junk between):
//!   those may be rejected or come out unchanged, never changed ([`damage::Damaged::unsure`]).
//! * Bit flips in plain (uncompressed) files are the one kind no reader can always detect: a
//!   flipped byte in a WARC header field, an ARC page or a JSON string leaves a well-formed
//!   record. For those the strongest true property is asserted: every untouched record exactly
//!   once and unchanged, no duplicates, at most one output per damaged record, and no more
//!   rejects than damaged records. Flips that all land in WARC blocks carrying a sha1
//!   `WARC-Block-Digest` (checked by default in plain crawl files) are certain rejects.
//!
//! Files: the WARC/WET/ARC fixtures in this repository and the first 80 news articles of
//! examples/data, always; when the shared data set is present (`GLEANER_SHARED_DATA`, or
//! `shared/data` beside the checkout, as in CI), also every WARC, WET and ARC file in it.
//! Each test prints how many damaged files it made and checked.

#[path = "support/damage.rs"]
mod damage;
#[path = "support/damage_members.rs"]
mod damage_members;
#[path = "support/fault_check.rs"]
mod fault_check;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use damage::{Damaged, Framing, Rng};
use damage_members::Members;
use fault_check::{Baseline, check, read_path};

/// One damaged file to make: a tag naming the kind of damage (for the tally), the suffix of
/// the file name, and how to make it.
struct Job<'a> {
    tag: String,
    suffix: &'static str,
    make: Box<dyn Fn() -> Damaged + Send + Sync + 'a>,
}

/// How many of each kind of damage to make per file.
#[derive(Clone, Copy)]
struct Budget {
    flips: usize,
    boundaries: usize,
    lie_records: usize,
    garbage: usize,
    members: usize,
    lies: &'static [&'static str],
    /// Truncate one byte either side of every record boundary, not only of sampled ones.
    every_boundary: bool,
}

const IN_REPO: Budget = Budget {
    flips: 10,
    boundaries: 12,
    lie_records: 3,
    garbage: 3,
    members: 6,
    lies: damage::LIES,
    every_boundary: true,
};

const SHARED: Budget = Budget {
    flips: 2,
    boundaries: 3,
    lie_records: 2,
    garbage: 1,
    members: 2,
    lies: &["+6", "+3000", "300000000", "abc"],
    every_boundary: false,
};

const LARGE: Budget = Budget {
    flips: 1,
    boundaries: 2,
    lie_records: 2,
    garbage: 1,
    members: 1,
    lies: &["+6", "+3000", "300000000"],
    every_boundary: false,
};

/// Damage done to the plain (decompressed) file.
fn plain_jobs<'a>(base: &'a Baseline, b: Budget, seed: u64, jobs: &mut Vec<Job<'a>>) {
    let c = &base.clean;
    let len = c.bytes.len();
    for s in 0..b.flips as u64 {
        jobs.push(Job {
            tag: "plain: bit flips".into(),
            suffix: "",
            make: Box::new(move || damage::bit_flips(c, &mut Rng::new(seed ^ (s << 8)))),
        });
    }
    for s in 0..b.flips as u64 {
        if damage::hole(c, &mut Rng::new(seed ^ (s << 16))).is_none() {
            continue; // a record too short for a hole
        }
        jobs.push(Job {
            tag: "plain: bytes deleted inside a record".into(),
            suffix: "",
            make: Box::new(move || damage::hole(c, &mut Rng::new(seed ^ (s << 16))).unwrap()),
        });
    }
    let mut rng = Rng::new(seed ^ 0x7472_756e);
    let sampled: Vec<usize> = rng
        .sample(c.len() - 1, b.boundaries)
        .into_iter()
        .map(|i| c.starts[i + 1])
        .collect();
    // Every record boundary (and the end) one byte either side; sampled ones further off.
    let mut cuts: Vec<(usize, isize)> = Vec::new();
    if b.every_boundary {
        cuts.extend(c.starts[1..].iter().flat_map(|&at| [(at, -1), (at, 1)]));
    }
    cuts.extend(sampled.iter().flat_map(|&at| [(at, -7), (at, 9)]));
    cuts.extend([(len, -7), (len, -1)]);
    for (at, k) in cuts {
        let cut = at as isize + k;
        if cut <= 0 || cut >= len as isize {
            continue;
        }
        jobs.push(Job {
            tag: format!("plain: truncated at a record boundary {k:+}"),
            suffix: "",
            make: Box::new(move || damage::truncate(c, cut as usize)),
        });
    }
    if c.framing != Framing::Jsonl {
        // The second record (ARC's first is the filedesc), then sampled ones, then the last.
        let mut picks = vec![1.min(c.len() - 1), c.len() - 1];
        picks.extend(rng.sample(c.len(), b.lie_records.saturating_sub(2)));
        picks.sort();
        picks.dedup();
        for i in picks {
            for &lie in b.lies {
                if damage::lie_about_length(c, i, lie).is_none() {
                    continue; // a block shorter than the lie takes off
                }
                jobs.push(Job {
                    tag: format!("plain: length {lie}"),
                    suffix: "",
                    make: Box::new(move || damage::lie_about_length(c, i, lie).unwrap()),
                });
            }
        }
    }
    let mut at = vec![1.min(c.len()), c.len()];
    at.extend(rng.sample(c.len(), b.garbage.saturating_sub(2)));
    for i in at {
        for glued in [false, true] {
            if glued && c.framing == Framing::Arc {
                // An ARC header is found at a line start only; junk glued to it hides it.
                continue;
            }
            let junk = Rng::new(seed ^ i as u64).garbage(40);
            jobs.push(Job {
                tag: format!(
                    "plain: junk between records{}",
                    if glued { ", glued" } else { "" }
                ),
                suffix: "",
                make: Box::new(move || damage::insert_garbage(c, i, &junk, glued)),
            });
        }
    }
    jobs.push(Job {
        tag: "plain: UTF-8 BOM".into(),
        suffix: "",
        make: Box::new(move || damage::bom(c)),
    });
}

/// Damage done to a compressed container's members or frames.
fn member_jobs<'a>(
    base: &'a Baseline,
    m: &'a Members,
    what: &'static str,
    b: Budget,
    seed: u64,
    jobs: &mut Vec<Job<'a>>,
) {
    let c = &base.clean;
    let suffix = if m.kind == "gzip" { ".gz" } else { ".zst" };
    let n = m.members.len();
    let mut rng = Rng::new(seed ^ 0x6d65_6d62);
    jobs.push(Job {
        tag: format!("{what}: undamaged"),
        suffix,
        make: Box::new(move || damage::Damaged {
            case: format!("clean {} file of {} members", m.kind, n),
            bytes: m.bytes.clone(),
            damaged: Default::default(),
            unsure: Default::default(),
            present: c.len(),
            sites: 0,
            certain: true,
            edits: Some(Vec::new()),
        }),
    });
    // Middle members: never the first, so the damage is not mistaken for a bad file header.
    let middle = |rng: &mut Rng, k: usize| -> Vec<usize> {
        rng.sample(n.saturating_sub(1), k)
            .into_iter()
            .map(|i| i + 1)
            .collect()
    };
    for _ in 0..b.members.div_ceil(2) {
        let s = rng.next_u64();
        jobs.push(Job {
            tag: format!("{what}: bits flipped anywhere"),
            suffix,
            make: Box::new(move || damage_members::flip_anywhere(c, m, &mut Rng::new(s))),
        });
    }
    for k in middle(&mut rng, b.members) {
        let s = rng.next_u64();
        jobs.push(Job {
            tag: format!("{what}: bits flipped in a middle member"),
            suffix,
            make: Box::new(move || damage_members::flip_in_member(c, m, k, &mut Rng::new(s))),
        });
    }
    for k in middle(&mut rng, b.members.div_ceil(2)) {
        let keep = 10 + rng.below(m.members[k].len() - 10);
        jobs.push(Job {
            tag: format!("{what}: middle member cut short"),
            suffix,
            make: Box::new(move || damage_members::truncate_member(c, m, k, keep)),
        });
    }
    for k in middle(&mut rng, b.garbage) {
        let junk = rng.garbage(30);
        jobs.push(Job {
            tag: format!("{what}: junk between members"),
            suffix,
            make: Box::new(move || damage_members::garbage_between_members(c, m, k, &junk)),
        });
    }
    let mut bounds: Vec<usize> = middle(&mut rng, b.boundaries / 2)
        .into_iter()
        .map(|k| m.members[k].start)
        .collect();
    bounds.push(m.bytes.len());
    for at in bounds {
        for k in [-5isize, -1, 3] {
            let cut = (at as isize + k) as usize;
            if cut >= m.bytes.len() {
                continue;
            }
            jobs.push(Job {
                tag: format!("{what}: file cut at a member boundary {k:+}"),
                suffix,
                make: Box::new(move || damage_members::truncate_container(c, m, cut)),
            });
        }
    }
}

/// Plain damage carried inside the members of `containers` (offsets stay known): lying
/// lengths and a junk record inside an intact gzip member, and a BOM inside the first member
/// or frame.
fn wrapped_jobs<'a>(
    base: &'a Baseline,
    containers: &'a [(&'static str, Members)],
    seed: u64,
    jobs: &mut Vec<Job<'a>>,
) {
    let c = &base.clean;
    let i = Rng::new(seed).within(1..c.len().max(2)).min(c.len() - 1);
    let (what, gz) = (containers[0].0, &containers[0].1);
    if c.framing != Framing::Jsonl {
        for lie in ["+6", "300000000", "1000000000000000000", "-10"] {
            if damage::lie_about_length(c, i, lie).is_none() {
                continue;
            }
            jobs.push(Job {
                tag: format!("{what}: length {lie}"),
                suffix: ".gz",
                make: Box::new(move || {
                    damage_members::wrap(damage::lie_about_length(c, i, lie).unwrap(), gz)
                }),
            });
        }
    }
    let junk = Rng::new(seed ^ 1).garbage(40);
    jobs.push(Job {
        tag: format!("{what}: junk record inside a member"),
        suffix: ".gz",
        make: Box::new(move || {
            damage_members::wrap(damage::insert_garbage(c, i, &junk, false), gz)
        }),
    });
    for (what, m) in containers {
        if what.starts_with("unaligned") {
            continue;
        }
        jobs.push(Job {
            tag: format!("{what}: UTF-8 BOM"),
            suffix: if m.kind == "gzip" { ".gz" } else { ".zst" },
            make: Box::new(move || damage_members::wrap(damage::bom(c), m)),
        });
    }
}

/// Makes and checks every job, on a few threads; returns (files checked, failures).
fn run_jobs(base: &Baseline, jobs: Vec<Job<'_>>) -> (usize, Vec<(String, String)>) {
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    let max_items = 4 * base.clean.len() + 100;
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let dir = tempfile::tempdir().unwrap();
                loop {
                    let j = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(j) else { break };
                    let d = (job.make)();
                    let path: PathBuf = dir
                        .path()
                        .join(format!("{}{}", base.plain_name, job.suffix));
                    std::fs::write(&path, &d.bytes).unwrap();
                    let outcome =
                        read_path(&path, max_items).and_then(|got| check(base, &d, &path, &got));
                    if let Err(e) = outcome {
                        failures.lock().unwrap().push((
                            job.tag.clone(),
                            format!(
                                "{} {}{}: {}: {e}",
                                base.label, base.plain_name, job.suffix, d.case
                            ),
                        ));
                    }
                }
            });
        }
    });
    let mut f = failures.into_inner().unwrap();
    f.sort();
    (jobs.len(), f)
}

/// All jobs for one clean file: plain damage, per-record gzip and zstd members (crawl) or
/// multi-member gzip and multi-frame zstd, aligned and not (JSONL).
fn suite(base: &Baseline, b: Budget, seed: u64) -> (usize, Vec<(String, String)>) {
    let c = &base.clean;
    let containers: Vec<(&'static str, Members)> = if c.framing == Framing::Jsonl {
        let mut rng = Rng::new(seed);
        let unaligned = damage_members::unaligned_cuts(c, 30_000, &mut rng);
        vec![
            (
                "multi-member gzip",
                damage_members::gzip_members(&c.bytes, &damage_members::every_n_records(c, 8)),
            ),
            (
                "unaligned multi-member gzip",
                damage_members::gzip_members(&c.bytes, &unaligned),
            ),
            (
                "multi-frame zstd",
                damage_members::zstd_frames(&c.bytes, &damage_members::every_n_records(c, 8)),
            ),
            (
                "unaligned multi-frame zstd",
                damage_members::zstd_frames(&c.bytes, &unaligned),
            ),
        ]
    } else {
        vec![
            (
                "per-record gzip",
                damage_members::gzip_members(&c.bytes, &damage_members::record_cuts(c)),
            ),
            (
                "per-record zstd",
                damage_members::zstd_frames(&c.bytes, &damage_members::record_cuts(c)),
            ),
        ]
    };
    let mut jobs = Vec::new();
    plain_jobs(base, b, seed, &mut jobs);
    for (what, m) in &containers {
        let b = if m.kind == "zstd" && c.framing != Framing::Jsonl {
            Budget {
                members: b.members.div_ceil(2),
                boundaries: b.boundaries / 2,
                ..b
            }
        } else {
            b
        };
        member_jobs(base, m, what, b, seed, &mut jobs);
    }
    wrapped_jobs(base, &containers, seed, &mut jobs);
    run_jobs(base, jobs)
}

/// Runs the suite over `files`, prints the count and a tally of failures by kind, and fails
/// listing them.
fn run_all(label: &str, files: Vec<Baseline>, b: Budget, min_files: usize) {
    let mut total = 0;
    let mut failures = Vec::new();
    for (n, base) in files.iter().enumerate() {
        // Files of megabytes (the shared ARC files) get the smallest budget: a debug build
        // parses them slowly, and every kind of damage is still made once.
        let b = if base.clean.bytes.len() > 1 << 20 {
            LARGE
        } else {
            b
        };
        let (count, f) = suite(base, b, 0x5eed_0000 + n as u64);
        total += count;
        failures.extend(f);
    }
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    for (tag, _) in &failures {
        *tally.entry(tag.as_str()).or_default() += 1;
    }
    println!(
        "fault injection, {label}: {total} damaged files made and checked over {} clean files, {} failed",
        files.len(),
        failures.len()
    );
    for (tag, n) in &tally {
        println!("  {n:4} failed: {tag}");
    }
    assert!(
        total >= min_files,
        "{label}: only {total} damaged files made"
    );
    if !failures.is_empty() {
        let shown: Vec<&str> = failures.iter().map(|(_, m)| m.as_str()).take(80).collect();
        panic!(
            "{label}: {} of {total} damaged files read wrongly; by kind: {tally:#?}\nfirst {}:\n{}",
            failures.len(),
            shown.len(),
            shown.join("\n")
        );
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn decompressed(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    if raw.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .unwrap();
    } else if raw.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        out = zstd::decode_all(&raw[..]).unwrap();
    } else {
        out = raw;
    }
    out
}

/// `(framing, plain file name)` for a crawl file name, `None` for anything else (WAT too: no
/// documents in it to lose).
fn crawl_kind(name: &str) -> Option<(Framing, String)> {
    let stem = name.trim_end_matches(".gz").trim_end_matches(".zst");
    if stem.ends_with(".arc") {
        Some((Framing::Arc, "damaged.arc".into()))
    } else if stem.ends_with(".warc") || stem.ends_with(".wet") {
        let ext = if stem.ends_with(".wet.warc") || name.contains(".wet") {
            "warc.wet"
        } else {
            "warc"
        };
        Some((Framing::Warc, format!("damaged.{ext}")))
    } else {
        None
    }
}

fn crawl_baseline(path: &Path) -> Baseline {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let (framing, plain) = crawl_kind(&name).unwrap();
    Baseline::new(&name, framing, decompressed(path), &plain)
}

#[test]
fn damaged_warc_and_wet_files_in_the_repository() {
    let files = vec![
        crawl_baseline(&repo().join("examples/data/whirlwind.warc.gz")),
        crawl_baseline(&repo().join("examples/data/whirlwind.warc.wet.gz")),
        crawl_baseline(
            &repo().join("crates/gleaner/tests/fixtures/crawl/dolma-sample-0000.warc.gz"),
        ),
        crawl_baseline(
            &repo().join("crates/gleaner/tests/fixtures/crawl/resiliparse-warcfile.warc.gz"),
        ),
    ];
    run_all("WARC/WET in the repository", files, IN_REPO, 400);
}

#[test]
fn damaged_arc_file_in_the_repository() {
    let files = vec![crawl_baseline(&repo().join(
        "crates/gleaner/tests/fixtures/crawl/copycat-small-sample-1213893279526_0-first21.arc.gz",
    ))];
    run_all("ARC in the repository", files, IN_REPO, 100);
}

#[test]
fn damaged_news_jsonl() {
    // The first 80 articles (about 290 KB): enough for ten members and frames, and quick to
    // parse a few hundred times in a debug build.
    let all = decompressed(&repo().join("examples/data/news-sample.jsonl.zst"));
    let end = all
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(79)
        .unwrap()
        .0;
    let bytes = all[..=end].to_vec();
    let files = vec![Baseline::new(
        "news-sample",
        Framing::Jsonl,
        bytes,
        "damaged.jsonl",
    )];
    run_all("news JSONL", files, IN_REPO, 100);
}

#[test]
fn damaged_shared_crawl_files() {
    // Skipped with a note on a lone clone; a failure in CI, where the shared data must be.
    let Some(warc) = gleaner_testdata::shared_file("warc") else {
        return;
    };
    let root = warc
        .parent()
        .expect("warc lies in the shared data directory")
        .to_path_buf();
    let mut paths = Vec::new();
    let mut dirs = vec![root.join("warc")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if crawl_kind(&p.file_name().unwrap().to_string_lossy()).is_some() {
                paths.push(p);
            }
        }
    }
    paths.sort();
    let files = paths.iter().map(|p| crawl_baseline(p)).collect();
    run_all("shared crawl files", files, SHARED, 50);
}
