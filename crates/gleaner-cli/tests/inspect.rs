//! `gleaner run` writes report.html, and `gleaner inspect` explains documents of that run, on the
//! bundled real sample (400 news articles and the user's document).

mod common;

use common::*;
use serde_json::Value;

fn quickstart_run(out: &std::path::Path) {
    let quickstart = repo_root().join("examples/quickstart.toml");
    run_ok(&quickstart, None, out, &[]);
}

#[test]
fn every_run_writes_a_report_and_inspect_explains_its_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    quickstart_run(&out);

    let report = std::fs::read_to_string(out.join("report.html")).expect("report.html written");
    let removed = read_shards(&out.join("removed"));
    let first = removed
        .iter()
        .find(|d| d["removal"]["stage"] == "gopher_quality")
        .expect("the quickstart's Gopher rules remove real articles");
    let first_id = first["id"].as_str().unwrap();
    let rule = first["removal"]["rule"].as_str().unwrap();
    // A removed document appears as an excerpt of its rule.
    assert!(report.contains(rule));
    assert!(report.contains("near_duplicate"));

    // Piped: plain text, the reason spelled out.
    let o = run(&["inspect", out.to_str().unwrap(), "--id", first_id]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "no colour codes when piped");
    assert!(
        text.contains(&format!("REMOVED by gopher_quality/{rule}: ")),
        "{text}"
    );

    // JSON: the kept seed document, every input line back in order, the bio flagged and the
    // two other sites' copies of the column listed with their URLs.
    let o = run(&[
        "inspect",
        out.to_str().unwrap(),
        "--id",
        "seed/raw-example",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ins: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(ins["status"], "kept");
    let raw = std::fs::read_to_string(repo_root().join("examples/data/raw-example.txt")).unwrap();
    assert_eq!(inspected_text(&ins), raw.trim_end());
    let flagged: Vec<usize> = ins["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["flagged"]["rule"] == "author_bio")
        .map(|l| l["number"].as_u64().unwrap() as usize)
        .collect();
    assert_eq!(flagged, [10], "the bio line is flagged");
    let copies: Vec<&str> = ins["duplicates"]["removed_copies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["url"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        copies,
        [
            "https://opinion.site-a.test/2025/08/14/trump-putin-alaska",
            "https://news.aggregator-b.test/world/trump-putin-summit-alaska"
        ]
    );
    let o = run(&[
        "inspect",
        out.to_str().unwrap(),
        "--id",
        "syndicated/site-b",
    ]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("duplicate of seed/raw-example"), "{text}");

    let o = run(&["inspect", out.to_str().unwrap(), "--id", "no-such-document"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no document with id"), "{}", stderr(&o));
}

#[test]
fn report_rebuilds_the_same_page_from_the_output_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    quickstart_run(&out);
    let written = std::fs::read(out.join("report.html")).unwrap();
    std::fs::remove_file(out.join("report.html")).unwrap();
    let o = run(&["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(out.join("report.html")).unwrap(), written);
}

#[test]
fn report_and_inspect_read_parquet_output_too() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let p = pipeline(
        tmp.path(),
        &format!("[output]\nformat = \"parquet\"\n\n{BASIC}"),
    );
    let sample = repo_root().join("examples/data/news-sample.jsonl.zst");
    run_ok(&p, Some(&sample), &out, &[]);
    let data = gleaner::report::collect(&out).unwrap();
    assert_eq!(
        data.coverage.kept_docs + data.coverage.removed_docs,
        data.stats.input.docs,
        "every document read back from Parquet"
    );
    let rule = &data.doc_samples[0];
    assert_eq!(
        (rule.stage.as_str(), rule.rule.as_str()),
        ("length_filter", "min_words")
    );
    let first = &rule.samples[0].id;
    let o = run(&["inspect", out.to_str().unwrap(), "--id", first, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ins: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(ins["status"], "removed");
    assert_eq!(ins["removal"]["rule"], "min_words");
    assert!(
        ins["metadata"].get("removal").is_none(),
        "removal column not left in metadata"
    );
}

/// The acceptance check: on the user's document, `gleaner inspect` shows the four teasers
/// removed, each with its reason, after a real `gleaner run` with the line cleaner.
#[test]
fn inspect_shows_the_four_teasers_of_the_users_document_and_why() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let p = pipeline(
        tmp.path(),
        "[[stage]]\ntype = \"normalize\"\n\n[[stage]]\ntype = \"line_clean\"\n\n\
         [[stage]]\ntype = \"length_filter\"\nmin_words = 50\n",
    );
    let sample = repo_root().join("examples/data/news-sample.jsonl.zst");
    run_ok(&p, Some(&sample), &out, &[]);
    let o = run(&["inspect", out.to_str().unwrap(), "--id", "seed/raw-example"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("KEPT (4 of"), "{text}");
    let teasers = [
        "Father’s Day, as celebrated",
        "Having lived through former British",
        "In a recent essay, “How Taiwan Lost Trump,”",
        "Despite calls to the contrary",
    ];
    let lines: Vec<&str> = text.lines().collect();
    for t in teasers {
        let at = lines
            .iter()
            .position(|l| l.contains(t))
            .unwrap_or_else(|| panic!("{t} missing:\n{text}"));
        assert!(lines[at].contains(" - "), "marked removed: {}", lines[at]);
        assert!(
            lines[at + 1].contains("removed by line_clean/") && lines[at + 1].contains("threshold"),
            "reason under the line: {}",
            lines[at + 1]
        );
    }
    assert_eq!(text.matches("removed by line_clean/").count(), 4, "{text}");
}
