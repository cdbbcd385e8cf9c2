//! The shipped classifier, decontamination and DCLM pipelines (examples/classifier,
//! examples/decontaminate, examples/recipes/dclm.toml) run end to end on the bundled sample (400
//! news articles + the user's raw document), and train-classifier's model feeds the stage.

mod common;

use std::collections::HashSet;

use common::*;
use serde_json::Value;

fn example(rel: &str) -> std::path::PathBuf {
    repo_root().join("examples").join(rel)
}

#[test]
fn top_english_keeps_exactly_the_top_nine_tenths_whatever_the_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let p = example("classifier/top_english.toml");
    let one = tmp.path().join("one");
    let two = tmp.path().join("two");
    run_ok(&p, None, &one, &["--threads", "1"]);
    run_ok(&p, None, &two, &["--threads", "2"]);
    assert_same(&snapshot(&one), &snapshot(&two));
    let kept = read_shards(&one.join("kept"));
    let removed = read_shards(&one.join("removed"));
    let total = kept.len() + removed.len();
    assert_eq!(total, 401);
    assert_eq!(kept.len(), (0.9 * total as f64).ceil() as usize);
    let score = |d: &Value| d["metadata"]["english"]["en"].as_f64().unwrap();
    assert!(
        kept.iter()
            .all(|d| d["metadata"]["english"].as_object().unwrap().len() == 176)
    );
    let lowest_kept = kept.iter().map(score).fold(f64::INFINITY, f64::min);
    for d in &removed {
        let r = &d["removal"];
        assert_eq!(
            (r["stage"].as_str(), r["rule"].as_str()),
            (Some("english"), Some("below_corpus_cutoff"))
        );
        assert_eq!(r["value"]["score"].as_f64(), Some(score(d)));
        assert_eq!(r["threshold"]["cutoff_score"].as_f64(), Some(lowest_kept));
        assert_eq!(r["threshold"]["kept"], kept.len());
        assert!(score(d) <= lowest_kept);
    }
}

#[test]
fn decontaminate_example_removes_each_items_source_article_naming_the_item() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok(
        &example("decontaminate/decontaminate.toml"),
        None,
        &out,
        &[],
    );
    let removed = read_shards(&out.join("removed"));
    let items = read_jsonl(&example("decontaminate/benchmark.jsonl"));
    let item_ids: HashSet<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    // make_benchmark.py cut item-N from the N-th news article.
    let news: Vec<Value> = sample_docs()
        .into_iter()
        .filter(|d| d["id"].as_str().unwrap().starts_with("news-"))
        .collect();
    let removed_ids: HashSet<&str> = removed.iter().map(|d| d["id"].as_str().unwrap()).collect();
    for item in &items {
        let n: usize = item["id"].as_str().unwrap()["item-".len()..]
            .parse()
            .unwrap();
        let source = news[n]["id"].as_str().unwrap();
        assert!(
            removed_ids.contains(source),
            "{source} (source of {}) kept",
            item["id"]
        );
    }
    for d in &removed {
        let r = &d["removal"];
        assert_eq!(r["rule"], "contaminated");
        assert!(
            r["value"]["benchmark"]
                .as_str()
                .unwrap()
                .ends_with("benchmark.jsonl")
        );
        assert!(item_ids.contains(r["value"]["item"].as_str().unwrap()));
        assert_eq!(r["value"]["ngram"].as_str().unwrap().split(' ').count(), 13);
    }
    assert!(removed.len() < 40, "{} removed", removed.len());
}

#[test]
fn dclm_recipe_without_its_model_file_fails_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(&[
        "run",
        example("recipes/dclm.toml").to_str().unwrap(),
        "-i",
        example("data/news-sample.jsonl.zst").to_str().unwrap(),
        "-o",
        tmp.path().join("out").to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("openhermes_reddit_eli5_vs_rw_v2_bigram_200k_train.bin"),
        "{err}"
    );
}

#[test]
fn train_classifier_output_feeds_the_classifier_stage() {
    let tmp = tempfile::tempdir().unwrap();
    // Publisher classifier: TASS and Deutsche Welle articles of the sample, one file each.
    let (mut tass, mut dw) = (Vec::new(), Vec::new());
    for d in sample_docs() {
        let url = d["metadata"]["url"].as_str().unwrap_or("").to_string();
        if url.starts_with("http://tass.com/") {
            tass.push(d);
        } else if url.contains("://www.dw.com/") {
            dw.push(d);
        }
    }
    assert!(tass.len() > 50 && dw.len() > 50);
    let (tass_file, dw_file) = (tmp.path().join("tass.jsonl"), tmp.path().join("dw.jsonl"));
    std::fs::write(&tass_file, jsonl_bytes(&tass)).unwrap();
    std::fs::write(&dw_file, jsonl_bytes(&dw)).unwrap();
    let model = tmp.path().join("publisher.bin");
    let o = run(&[
        "train-classifier",
        "--positive",
        tass_file.to_str().unwrap(),
        "--negative",
        dw_file.to_str().unwrap(),
        "--positive-label",
        "tass",
        "--negative-label",
        "dw",
        "--dim",
        "16",
        "--epoch",
        "20",
        "--lr",
        "1.0",
        "-o",
        model.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("labels"), "{}", stderr(&o));
    let p = pipeline(
        tmp.path(),
        &format!(
            "[[stage]]\ntype = \"classifier\"\nmodel = \"{}\"\nlabel = \"tass\"\nmin_score = 0.5\n",
            model.display()
        ),
    );
    let out = tmp.path().join("out");
    run_ok(&p, Some(&tass_file), &out, &[]);
    let kept = read_shards(&out.join("kept"));
    // On its own training articles the model recognises nearly every TASS article.
    assert!(
        kept.len() * 10 >= tass.len() * 9,
        "{} of {}",
        kept.len(),
        tass.len()
    );
    assert!(kept[0]["metadata"]["classifier"]["tass"].as_f64().unwrap() >= 0.5);
    // A bad invocation is an error, not a panic.
    let o = run(&["train-classifier", "-o", model.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}
