//! End-to-end runs of the real binary on the bundled real sample: output layout, reasons,
//! formats, sharding, config errors and the help text.

mod common;

use common::*;
use serde_json::Value;

/// The README's first command: the whole job on the bundled sample. Every stage of the main
/// pipeline runs, nothing is lost, every removal carries its reason, and the user's column is
/// kept with its two copies from other sites removed in its favour.
#[test]
fn quickstart_runs_the_whole_job_and_explains_every_removal() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let quickstart = repo_root().join("examples/quickstart.toml");
    let o = run(&[
        "run",
        quickstart.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = stderr(&o);
    for stage in [
        "normalize",
        "language",
        "line_clean",
        "gopher_repetition",
        "gopher_quality",
        "c4_quality",
        "fineweb_quality",
        "pii",
        "exact_dedup",
        "minhash_dedup",
    ] {
        assert!(
            summary.contains(stage),
            "{stage} missing from the summary:\n{summary}"
        );
    }
    let kept = read_shards(&out.join("kept"));
    let removed = read_shards(&out.join("removed"));
    assert_eq!(
        kept.len() + removed.len(),
        sample_docs().len() + 2,
        "no document lost"
    );
    for d in &removed {
        let r = &d["removal"];
        assert!(r["stage"].is_string() && r["rule"].is_string(), "{d}");
        assert!(r.get("value").is_some(), "measured value recorded: {d}");
    }
    // The column is kept without its teasers; the other sites' copies name it as kept.
    let seed = kept.iter().find(|d| d["id"] == "seed/raw-example").unwrap();
    assert!(
        seed["text"]
            .as_str()
            .unwrap()
            .ends_with("Bloomberg LP and its owners.")
    );
    for copy in ["syndicated/site-a", "syndicated/site-b"] {
        let d = removed.iter().find(|d| d["id"] == copy).unwrap();
        assert_eq!(d["removal"]["kept_id"], "seed/raw-example", "{copy}");
    }
    let st = stats(&out);
    assert_eq!(st["output"]["kept_docs"], kept.len() as u64);
    assert!(out.join("report.html").exists() && out.join("syndication.jsonl").exists());
}

#[test]
fn basic_pipeline_normalises_filters_and_explains() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let p = pipeline(tmp.path(), BASIC);
    let sample = repo_root().join("examples/data/news-sample.jsonl.zst");
    let o = run(&[
        "run",
        p.to_str().unwrap(),
        "--input",
        sample.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = stderr(&o);
    assert!(
        summary.contains("length_filter") && summary.contains("min_words"),
        "{summary}"
    );

    let input = sample_docs();
    let kept = read_shards(&out.join("kept"));
    let removed = read_shards(&out.join("removed"));
    assert_eq!(kept.len() + removed.len(), input.len(), "no document lost");
    for d in &kept {
        let words = d["text"].as_str().unwrap().split_whitespace().count();
        assert!(words >= 50, "{} kept with {words} words", d["id"]);
        assert!(
            !d["text"].as_str().unwrap().contains("  "),
            "double space survived normalisation"
        );
    }
    assert!(!removed.is_empty());
    for d in &removed {
        let r = &d["removal"];
        assert_eq!(r["stage"], "length_filter");
        assert_eq!(r["rule"], "min_words");
        assert_eq!(r["threshold"], 50);
        let words = d["text"].as_str().unwrap().split_whitespace().count() as u64;
        assert_eq!(
            r["value"].as_u64().unwrap(),
            words,
            "the reason carries the measured value"
        );
    }
    // Metadata from the input survives.
    let first = kept.iter().find(|d| d["id"] == "news-1").unwrap();
    assert!(
        first["metadata"]["url"]
            .as_str()
            .unwrap()
            .starts_with("http://abcnews.go.com/")
    );

    let st = stats(&out);
    assert_eq!(st["input"]["docs"], input.len() as u64);
    assert_eq!(
        st["stages"][1]["removed_by_rule"]["min_words"],
        removed.len() as u64
    );
    assert_eq!(st["output"]["kept_docs"], kept.len() as u64);
    assert!(
        st["stages"][0]["counters"]["spaces_removed"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(std::fs::read(out.join("rejects.jsonl")).unwrap().len(), 0);
    let info: Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    assert!(info["elapsed_secs"].as_f64().unwrap() > 0.0);
    assert!(
        !out.join(".work").exists(),
        "work files are removed after a finished run"
    );
}

#[test]
fn outputs_shard_by_document_count_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = sample_docs();
    std::fs::write(
        tmp.path().join("in.jsonl.gz"),
        gzip_bytes(&jsonl_bytes(&docs)),
    )
    .unwrap();
    for (format, compression, ext) in [
        ("jsonl", "zst", ".jsonl.zst"),
        ("jsonl", "gz", ".jsonl.gz"),
        ("jsonl", "none", ".jsonl"),
        ("parquet", "zst", ".parquet"),
    ] {
        let out = tmp.path().join(format!("out-{format}-{compression}"));
        let p = pipeline(
            tmp.path(),
            &format!(
                "[input]\npaths=[\"in.jsonl.gz\"]\n[output]\nformat=\"{format}\"\ncompression=\"{compression}\"\nmax_docs_per_shard=100\n{BASIC}"
            ),
        );
        run_ok(&p, None, &out, &[]);
        let mut shards: Vec<String> = std::fs::read_dir(out.join("kept"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        shards.sort();
        let kept = stats(&out)["output"]["kept_docs"].as_u64().unwrap();
        assert_eq!(shards.len() as u64, kept.div_ceil(100), "{shards:?}");
        assert!(
            shards
                .iter()
                .all(|s| s.starts_with("part-00000-") && s.ends_with(ext)),
            "{shards:?}"
        );
        if format == "jsonl" {
            assert_eq!(read_shards(&out.join("kept")).len() as u64, kept);
        } else {
            // Parquet output reads back as input, with the same documents and texts.
            let back = tmp.path().join("back");
            let p2 = pipeline(tmp.path(), "[[stage]]\ntype=\"normalize\"\n");
            run_ok(&p2, Some(&out.join("kept")), &back, &[]);
            let again = read_shards(&back.join("kept"));
            let first = read_shards(&tmp.path().join("out-jsonl-zst/kept"));
            assert_eq!(again.len(), first.len());
            for (a, b) in again.iter().zip(&first) {
                assert_eq!(a["id"], b["id"]);
                assert_eq!(a["text"], b["text"]);
                assert_eq!(a["metadata"]["url"], b["metadata"]["url"]);
            }
        }
    }
}

#[test]
fn directories_and_globs_expand_in_sorted_order() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = sample_docs();
    let dir = tmp.path().join("shards");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(
        dir.join("b.jsonl.zst"),
        zstd_bytes(&jsonl_bytes(&docs[200..])),
    )
    .unwrap();
    std::fs::write(dir.join("sub/a.jsonl"), jsonl_bytes(&docs[..200])).unwrap();
    std::fs::write(dir.join("notes.txt"), "not input").unwrap();
    let p = pipeline(tmp.path(), BASIC);
    let out = tmp.path().join("out");
    run_ok(&p, Some(&dir), &out, &[]);
    let st = stats(&out);
    assert_eq!(
        st["input"]["files"], 2,
        "the .txt file is not picked up from a directory"
    );
    assert_eq!(st["input"]["docs"], docs.len() as u64);
    // b.jsonl.zst sorts before sub/a.jsonl, so it is file 0.
    let kept0 = read_jsonl(&out.join("kept/part-00000-0000.jsonl.zst"));
    assert!(
        kept0
            .iter()
            .all(|d| docs[200..].iter().any(|x| x["id"] == d["id"]))
    );

    let out2 = tmp.path().join("out2");
    let glob = format!("{}/*.jsonl.zst", dir.display());
    let o = run(&[
        "run",
        p.to_str().unwrap(),
        "-i",
        &glob,
        "-o",
        out2.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stats(&out2)["input"]["files"], 1);
}

#[test]
fn configuration_mistakes_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let input = repo_root().join("examples/data/news-sample.jsonl.zst");
    let cases = [
        (
            "[[stage]]\ntype = \"gopher_qualty\"\n",
            "unknown type \"gopher_qualty\"",
        ),
        (
            "[[stage]]\ntype = \"length_filter\"\nmin_wrds = 5\n",
            "min_wrds",
        ),
        (
            "[[stage]]\ntype = \"length_filter\"\nmin_words = 9\nmax_words = 3\n",
            "min_words (9) is above max_words (3)",
        ),
        ("[inptu]\n", "inptu"),
    ];
    for (body, expected) in cases {
        let p = pipeline(tmp.path(), body);
        let o = run(&[
            "run",
            p.to_str().unwrap(),
            "-i",
            input.to_str().unwrap(),
            "-o",
            tmp.path().join("o").to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains(expected), "{body}: {}", stderr(&o));
    }
    let p = pipeline(tmp.path(), BASIC);
    let o = run(&[
        "run",
        p.to_str().unwrap(),
        "-i",
        "/no/such/file.jsonl",
        "-o",
        tmp.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/no/such/file.jsonl: no such file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_finished_run_is_not_overwritten_by_a_different_pipeline() {
    let tmp = tempfile::tempdir().unwrap();
    let input = repo_root().join("examples/data/news-sample.jsonl.zst");
    let out = tmp.path().join("out");
    let args = |p: &std::path::Path| {
        vec![
            "run".to_string(),
            p.display().to_string(),
            "-i".into(),
            input.display().to_string(),
            "-o".into(),
            out.display().to_string(),
            "-q".into(),
        ]
    };
    let p = pipeline(tmp.path(), BASIC);
    assert!(gleaner().args(args(&p)).output().unwrap().status.success());
    // Same pipeline and input: allowed, same output.
    let before = snapshot(&out);
    assert!(gleaner().args(args(&p)).output().unwrap().status.success());
    assert_same(&before, &snapshot(&out));
    // A different pipeline must not silently mix with or replace it.
    let p = pipeline(tmp.path(), "[[stage]]\ntype = \"normalize\"\n");
    let o = gleaner().args(args(&p)).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--overwrite"), "{}", stderr(&o));
    let mut a = args(&p);
    a.push("--overwrite".into());
    assert!(gleaner().args(a).output().unwrap().status.success());
    assert_eq!(stats(&out)["output"]["removed_docs"], 0);
}

#[test]
fn init_writes_a_runnable_pipeline_and_help_is_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("p.toml");
    let o = run(&["init", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["init", p.to_str().unwrap()]);
    assert!(!o.status.success(), "init refuses to overwrite");
    let input = repo_root().join("examples/data/news-sample.jsonl.zst");
    run_ok(&p, Some(&input), &tmp.path().join("o"), &[]);

    let help = String::from_utf8(run(&["run", "--help"]).stdout).unwrap();
    for flag in [
        "--input",
        "--output",
        "--threads",
        "--memory",
        "--overwrite",
        "--strict",
        "--quiet",
    ] {
        assert!(help.contains(flag), "run --help lacks {flag}");
    }
    let listing = String::from_utf8(run(&["stages"]).stdout).unwrap();
    assert!(
        listing.contains("normalize") && listing.contains("max_blank_lines = 1"),
        "{listing}"
    );
}

#[test]
fn crawl_recipes_extract_a_real_warc_page_and_explain_its_language_drop() {
    // The whirlwind WARC's one page is the Aragonese Wikipedia article "Escopete": extraction
    // must turn it into prose, and the English-only language stage must drop it, saying why.
    let tmp = tempfile::tempdir().unwrap();
    for recipe in ["warc_to_text", "fineweb_warc"] {
        let out = tmp.path().join(recipe);
        let p = repo_root().join(format!("examples/recipes/{recipe}.toml"));
        let o = run(&[
            "run",
            p.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "-q",
        ]);
        assert!(o.status.success(), "{recipe}: {}", stderr(&o));
        let st = stats(&out);
        assert_eq!(
            st["input"]["docs"], 1,
            "the whirlwind WARC holds one response"
        );
        assert_eq!(st["input"]["skipped_by_kind"]["skipped_record.request"], 1);
        assert!(st["input"]["skipped_by_kind"].get("documents").is_none());
        let removed = read_shards(&out.join("removed"));
        assert_eq!(removed.len(), 1);
        let doc = &removed[0];
        assert_eq!(
            doc["metadata"]["url"],
            "https://an.wikipedia.org/wiki/Escopete"
        );
        let r = &doc["removal"];
        assert_eq!(
            (r["stage"].as_str(), r["rule"].as_str()),
            (Some("language"), Some("language"))
        );
        assert_eq!(r["value"]["label"], "an");
        assert!(r["value"]["score"].as_f64().unwrap() > 0.0);
        let text = doc["text"].as_str().unwrap();
        assert!(!text.contains('<') && text.contains("Biquipedia"), "{text}");
    }
}
