//! report.html of a real run, rendered in headless Chromium, and the document inspector on the
//! same run. The run is built once (see `support`) and shared by the tests in this file.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use gleaner::report::{self, DocStatus};
use support::{BuiltRun, SEED_ID, build_run};

fn run() -> &'static BuiltRun {
    static RUN: OnceLock<BuiltRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-run");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        build_run(&dir)
    })
}

/// Where Chromium is, or a failure that says how to get it: this test must not pass without it.
fn chromium() -> PathBuf {
    if let Ok(p) = std::env::var("GLEANER_CHROMIUM") {
        return PathBuf::from(p);
    }
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        if let Ok(out) = Command::new("which").arg(name).output()
            && out.status.success()
        {
            return PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        }
    }
    panic!(
        "headless Chromium is needed to check report.html and was not found. Install it with \
         `apt-get update && apt-get install -y chromium` (Debian), or point GLEANER_CHROMIUM at \
         a Chromium binary."
    );
}

/// Runs headless Chromium on `page` with a fresh profile and the given extra arguments.
fn headless(page: &Path, extra: &[String]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(format!("file://{}", page.display()));
    cmd.output().expect("chromium runs")
}

/// Console messages the page produced. Chromium logs every console message (and uncaught
/// exceptions) as `INFO:CONSOLE` whatever its level, so any at all counts: the report page logs
/// nothing when it works.
fn console_messages(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect()
}

fn attr<'a>(dom: &'a str, name: &str) -> Option<&'a str> {
    let body = &dom[dom.find("<body")?..];
    let tag = &body[..body.find('>')?];
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

#[test]
fn report_of_a_real_run_draws_every_chart_in_headless_chromium() {
    let run = run();
    let page = report::write_report(&run.dir).expect("report written");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("https://cdn"),
        "the report must not load anything"
    );

    let out = headless(
        &page,
        &["--dump-dom".into(), "--virtual-time-budget=5000".into()],
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed: {stderr}");
    let messages = console_messages(&stderr);
    assert!(messages.is_empty(), "console messages: {messages:#?}");
    assert_eq!(attr(&dom, "data-errors"), None, "script errors in the page");
    let expected: usize = attr(&dom, "data-charts-expected")
        .expect("the page's script ran")
        .parse()
        .unwrap();
    let drawn: usize = attr(&dom, "data-charts-drawn").unwrap().parse().unwrap();
    // funnel ×2, rules, lengths, languages, scores, clusters, timing: this run has data for all.
    assert_eq!(expected, 8, "charts on the page");
    assert_eq!(drawn, expected, "charts that drew pixels");

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report.png");
    let _ = std::fs::remove_file(&shot);
    let out = headless(
        &page,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000".into(),
            "--virtual-time-budget=5000".into(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).expect("screenshot saved");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 50_000,
        "screenshot looks empty"
    );
    eprintln!("screenshot: {}", shot.display());
}

/// The checks above can fail: a page with a console error and an uncaught exception is caught
/// both by Chromium's log and by the page hooks report.js installs.
#[test]
fn broken_page_is_caught_by_the_browser_checks() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("broken.html");
    let hooks = include_str!("../assets/report.js");
    std::fs::write(
        &page,
        format!(
            "<html><body><canvas data-chart=\"nope\"></canvas><script>console.error('boom');\
             </script><script>{hooks}</script></body></html>"
        ),
    )
    .unwrap();
    let out = headless(&page, &["--dump-dom".into()]);
    let dom = String::from_utf8_lossy(&out.stdout);
    let messages = console_messages(&String::from_utf8_lossy(&out.stderr));
    assert!(messages.iter().any(|m| m.contains("boom")), "{messages:#?}");
    let errors = attr(&dom, "data-errors").expect("errors recorded in the page");
    assert!(errors.contains("Chart.js did not load"), "{errors}");
    assert_eq!(attr(&dom, "data-charts-drawn"), Some("0"));
}

#[test]
fn report_shows_the_run_counts_excerpts_and_clusters() {
    let run = run();
    let data = report::collect(&run.dir).unwrap();
    assert!(data.coverage.kept_complete && data.coverage.removed_complete);
    // Every document is counted once before, kept ones once after.
    let before: f64 = data.lengths.before.iter().sum();
    let after: f64 = data.lengths.after.iter().sum();
    assert_eq!(before as u64, run.stats.input.docs);
    assert_eq!(after as u64, run.kept.len() as u64);
    // The CCNet documents carry English with scores; the news articles carry no language.
    let langs = data.languages.as_ref().expect("languages");
    let ccnet = support::dolma_documents().len() as f64;
    assert_eq!(langs.labels, ["en"]);
    assert_eq!(langs.before, [ccnet]);
    let news_and_seed = run.stats.input.docs as f64 - ccnet;
    assert_eq!(data.languages_missing.0, news_and_seed);

    // First removed document of each rule, in file order, is the first excerpt shown.
    for rs in &data.doc_samples {
        let first = run
            .removed
            .iter()
            .find(|(_, r)| r.stage == rs.stage && r.rule == rs.rule)
            .unwrap();
        assert_eq!(rs.samples[0].id, first.0.id);
        let st = run
            .stats
            .stages
            .iter()
            .find(|s| s.name == rs.stage)
            .unwrap();
        assert_eq!(rs.total, st.removed_by_rule[&rs.rule]);
        assert!(rs.samples.len() <= 5);
    }
    let rules: Vec<&str> = data.doc_samples.iter().map(|r| r.rule.as_str()).collect();
    assert_eq!(
        rules,
        ["min_words", "exact_duplicate", "min_words"],
        "pipeline order"
    );
    let lines = &data.line_samples[0];
    assert_eq!(
        (lines.stage.as_str(), lines.rule.as_str()),
        ("c4_lines", "no_terminal_punct")
    );

    // Duplicate clusters come from syndication.jsonl, with both URLs of each pair.
    let dups = run
        .removed
        .iter()
        .filter(|(_, r)| r.kept_id.is_some())
        .count() as u64;
    assert!(dups >= 2, "the news set has real exact copies");
    assert_eq!(data.clusters.source, "syndication.jsonl");
    let c = &data.clusters.largest[0];
    assert!(c.members.len() >= 2 && c.members.iter().all(|m| m.url.is_some()));

    let html = report::html::render(&data);
    for (d, r) in run
        .removed
        .iter()
        .filter(|(_, r)| r.kept_id.is_some())
        .take(3)
    {
        assert!(html.contains(&report::html::escape(&d.id)), "{}", d.id);
        assert!(html.contains(&report::html::escape(r.kept_id.as_deref().unwrap())));
    }
    assert!(
        html.contains("GopherQualityFilter"),
        "the configuration is shown"
    );
}

#[test]
fn a_scan_cut_short_scales_its_estimates_to_the_run_totals() {
    let run = run();
    // 256 KiB of text per shard kind: under half of the kept text of this run.
    let data = report::collect::collect_within(&run.dir, 256 << 10).unwrap();
    assert!(!data.coverage.kept_complete);
    assert!(data.coverage.kept_docs < run.kept.len() as u64);
    let after: f64 = data.lengths.after.iter().sum();
    let kept = run.kept.len() as f64;
    // Each bin is scaled and rounded on its own, so the sum is within a few documents.
    assert!(
        (after - kept).abs() <= data.lengths.after.len() as f64,
        "{after} vs {kept}"
    );
    let html = report::html::render(&data);
    assert!(
        html.contains("Estimated from the first"),
        "the page says it is an estimate"
    );
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The first characters of the four teasers at the end of the seed document.
const TEASERS: [&str; 4] = [
    "Father’s Day, ",
    "Having lived t",
    "In a recent es",
    "Despite calls ",
];

#[test]
fn inspector_puts_the_seed_back_together_with_its_four_teasers_marked() {
    let run = run();
    let ins = report::inspect(&run.dir, SEED_ID).expect("seed found");
    assert_eq!(ins.status, DocStatus::Kept);
    let rebuilt: Vec<&str> = ins.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(rebuilt.join("\n"), run.normalized[SEED_ID]);
    let removed: Vec<_> = ins.lines.iter().filter(|l| l.removed.is_some()).collect();
    // The four teasers are cut off mid-sentence: the C4 rule removes exactly those.
    let starts: Vec<String> = removed
        .iter()
        .map(|l| l.text.chars().take(14).collect())
        .collect();
    assert_eq!(starts, TEASERS);
    for l in &removed {
        let r = l.removed.as_ref().unwrap();
        assert_eq!(
            (r.stage.as_str(), r.rule.as_str()),
            ("c4_lines", "no_terminal_punct")
        );
    }

    let mut text = Vec::new();
    report::render_text(&ins, &mut text).unwrap();
    let plain = strip_ansi(&String::from_utf8(text).unwrap());
    assert!(plain.contains("KEPT (4 of"), "{plain}");
    assert!(
        plain.contains("removed by c4_lines/no_terminal_punct: value n"),
        "{plain}"
    );
}

#[test]
fn inspector_rebuilds_every_edited_document_and_explains_duplicates() {
    let run = run();
    let mut checked = 0;
    for (d, reason) in run
        .removed
        .iter()
        .filter(|(d, _)| !d.edits.is_empty())
        .take(20)
    {
        let ins = report::inspect(&run.dir, &d.id).unwrap();
        assert_eq!(ins.status, DocStatus::Removed);
        assert_eq!(ins.removal.as_ref(), Some(reason));
        let rebuilt: Vec<&str> = ins.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(rebuilt.join("\n"), run.normalized[&d.id], "{}", d.id);
        checked += 1;
    }
    assert!(checked > 0);

    let (copy, reason) = run
        .removed
        .iter()
        .find(|(_, r)| r.kept_id.is_some())
        .unwrap();
    let kept_id = reason.kept_id.clone().unwrap();
    let ins = report::inspect(&run.dir, &copy.id).unwrap();
    assert_eq!(ins.duplicates.kept_id.as_deref(), Some(kept_id.as_str()));
    assert!(ins.duplicates.kept_url.is_some());
    let cluster = ins
        .duplicates
        .cluster
        .as_ref()
        .expect("in the syndication map");
    assert!(cluster.members.iter().any(|m| m.id == copy.id));

    // The kept copy may have been dropped later by another rule (e.g. its lines all went).
    let kept = report::inspect(&run.dir, &kept_id).unwrap();
    let still_kept = run.kept.iter().any(|d| d.id == kept_id);
    assert_eq!(kept.status == DocStatus::Kept, still_kept);
    assert!(
        kept.duplicates
            .removed_copies
            .iter()
            .any(|m| m.id == copy.id)
    );

    let err = report::inspect(&run.dir, "no-such-id")
        .unwrap_err()
        .to_string();
    assert!(err.contains("no document with id"), "{err}");
}

/// The user's document through the real line cleaner: the inspector shows the four teasers
/// removed, each with its reason.
#[test]
fn inspector_shows_the_seed_teasers_removed_by_line_clean() {
    use gleaner::io::{OutRow, ShardWriter, ShardWriterOptions};
    let dir = tempfile::tempdir().unwrap();
    let cfg = gleaner::PipelineConfig::from_toml(
        "[[stage]]\ntype = \"normalize\"\n[[stage]]\ntype = \"line_clean\"\n",
        Path::new("."),
    )
    .unwrap();
    let pipeline = gleaner::Pipeline::from_config(&cfg).unwrap();
    let out = pipeline.process_batch(vec![gleaner::Document::new(SEED_ID, support::seed_text())]);
    let doc = &out.kept[0];
    let mut audit = ShardWriter::new(
        &dir.path().join("audit"),
        "part",
        ShardWriterOptions::jsonl_zst(),
    );
    audit
        .write(OutRow {
            doc,
            removal: None,
            edits: Some(&doc.edits),
        })
        .unwrap();
    audit.finish().unwrap();
    let ins = report::inspect(dir.path(), SEED_ID).unwrap();
    let removed: Vec<_> = ins.lines.iter().filter(|l| l.removed.is_some()).collect();
    let starts: Vec<String> = removed
        .iter()
        .map(|l| l.text.chars().take(14).collect())
        .collect();
    assert_eq!(starts, TEASERS, "{removed:#?}");
    for l in removed {
        let r = l.removed.as_ref().unwrap();
        assert_eq!(r.stage, "line_clean");
        assert!(!r.rule.is_empty() && !r.threshold.is_null());
    }
    let mut text = Vec::new();
    report::render_text(&ins, &mut text).unwrap();
    let plain = strip_ansi(&String::from_utf8(text).unwrap());
    assert_eq!(
        plain.matches("removed by line_clean/").count(),
        4,
        "{plain}"
    );
}
