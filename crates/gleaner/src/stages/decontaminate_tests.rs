//! Tests of the decontaminate stage on benchmark-like files built from real text: question and
//! answer items cut from the bundled news articles, checked against a plain reference (sets of
//! n-gram strings) on every article.

use std::collections::HashSet;
use std::path::Path;

use super::*;
use crate::dedup::simplify_text;
use crate::test_sample::news_texts;

/// Sentences of an article (split after `. `), long enough to matter.
fn sentences(text: &str) -> Vec<String> {
    text.split(". ")
        .map(str::trim)
        .filter(|s| s.split_whitespace().count() >= 8)
        .map(str::to_string)
        .collect()
}

/// A benchmark-like JSONL file: for every 10th article, its third sentence as the question and
/// its fourth as the answer (a list, like answer choices), with an id.
fn write_benchmark(dir: &Path, texts: &[String]) -> PathBuf {
    let mut out = String::new();
    for (i, t) in texts.iter().enumerate().step_by(10) {
        let s = sentences(t);
        if s.len() < 4 {
            continue;
        }
        out.push_str(
            &json!({"id": format!("q{i}"), "question": s[2], "choices": [s[3]]}).to_string(),
        );
        out.push('\n');
    }
    let path = dir.join("bench.jsonl");
    std::fs::write(&path, out).unwrap();
    path
}

/// The reference: n-grams as strings of whitespace-split `simplify_text` words.
fn ngram_strings(text: &str, n: usize) -> Vec<String> {
    let simple = simplify_text(text);
    let words: Vec<&str> = simple.split_whitespace().collect();
    words.windows(n).map(|w| w.join(" ")).collect()
}

fn stage(files: Vec<PathBuf>, fields: &[&str], action: DecontaminateAction) -> Decontaminate {
    Decontaminate::new(DecontaminateConfig {
        benchmark_files: files,
        fields: fields.iter().map(|s| s.to_string()).collect(),
        action,
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn removes_exactly_the_articles_sharing_a_13_gram_with_an_item() {
    let texts = news_texts();
    let dir = tempfile::tempdir().unwrap();
    let bench = write_benchmark(dir.path(), &texts);
    let items: Vec<Value> = std::fs::read_to_string(&bench)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let reference: HashSet<String> = items
        .iter()
        .flat_map(|v| {
            let text = format!(
                "{} {}",
                v["question"].as_str().unwrap(),
                v["choices"][0].as_str().unwrap()
            );
            ngram_strings(&text, 13)
        })
        .collect();
    let s = stage(
        vec![bench.clone()],
        &["question", "choices"],
        DecontaminateAction::Remove,
    );
    assert_eq!(s.index().items(), items.len());
    let mut removed = 0;
    for (i, text) in texts.iter().enumerate() {
        let expected = ngram_strings(text, 13)
            .iter()
            .any(|g| reference.contains(g));
        let mut doc = Document::new(format!("news-{i}"), text.clone());
        let v = s.process(&mut doc, &mut StageContext::new());
        assert_eq!(matches!(v, Verdict::Drop(_)), expected, "article {i}");
        if let Verdict::Drop(r) = v {
            removed += 1;
            assert_eq!(r.rule, "contaminated");
            assert_eq!(r.threshold, json!({"n": 13}));
            let ngram = r.value["ngram"].as_str().unwrap();
            assert_eq!(ngram.split(' ').count(), 13);
            assert!(reference.contains(ngram), "{ngram}");
            assert_eq!(r.value["benchmark"], json!(bench));
            // The item named holds the n-gram.
            let item = items.iter().find(|v| v["id"] == r.value["item"]).unwrap();
            let item_text = format!(
                "{} {}",
                item["question"].as_str().unwrap(),
                item["choices"][0].as_str().unwrap()
            );
            assert!(ngram_strings(&item_text, 13).iter().any(|g| g == ngram));
        }
    }
    // Every item's own article, at least, is contaminated; most others are not.
    assert!(
        removed >= items.len() && removed < texts.len() / 4,
        "{removed}"
    );
}

#[test]
fn an_n_gram_found_after_normalisation_matches_across_case_punctuation_and_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let bench = dir.path().join("items.txt");
    std::fs::write(
        &bench,
        "\nNatalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.\n",
    )
    .unwrap();
    let s = stage(vec![bench.clone()], &["text"], DecontaminateAction::Remove);
    let mut doc = Document::new(
        "d",
        "Worked example: NATALIA sold clips to 72 of her friends in April -- and then she sold \
         half as many clips in May!",
    );
    let Verdict::Drop(r) = s.process(&mut doc, &mut StageContext::new()) else {
        panic!("not found")
    };
    // Plain-text items are named by their line.
    assert_eq!(r.value["item"], "line 2");
    assert_eq!(
        r.value["ngram"],
        "natalia sold clips to 0 of her friends in april and then she"
    );
    // Twelve shared words are not enough.
    let mut short = Document::new(
        "e",
        "clips to 48 of her friends in April, and then she sold",
    );
    assert_eq!(
        s.process(&mut short, &mut StageContext::new()),
        Verdict::Keep
    );
}

#[test]
fn cut_lines_removes_only_the_lines_holding_shared_n_grams() {
    let texts = news_texts();
    let dir = tempfile::tempdir().unwrap();
    let bench = write_benchmark(dir.path(), &texts);
    let s = stage(
        vec![bench],
        &["question", "choices"],
        DecontaminateAction::CutLines,
    );
    // The first article, one sentence per line; the item is its third and fourth sentences.
    let text = texts[0].split(". ").collect::<Vec<_>>().join("\n");
    let item = sentences(&texts[0]);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut doc = Document::new("news-0", text.clone());
    let mut cx = StageContext::new();
    let v = s.process(&mut doc, &mut cx);
    assert_eq!(
        v,
        Verdict::Keep,
        "an article with more than the item's sentences keeps the rest"
    );
    let cut: Vec<&str> = cx.edits().iter().map(|e| e.text.trim()).collect();
    assert_eq!(cut, [item[2].as_str(), item[3].as_str()]);
    for e in cx.edits() {
        assert_eq!(e.rule, "contaminated");
        assert_eq!(e.text, lines[e.line]);
        assert!(e.value["ngram"].is_string() && e.value["item"] == "q0");
    }
    let kept: Vec<&str> = doc.text.split('\n').collect();
    assert_eq!(kept.len(), lines.len() - 2);
    // What is left shares no 13-gram with the benchmark any more.
    let mut again = doc.clone();
    let rerun = stage_cut_again(&s, &mut again);
    assert!(rerun.is_empty(), "{rerun:?}");
}

fn stage_cut_again(s: &Decontaminate, doc: &mut Document) -> Vec<String> {
    let mut cx = StageContext::new();
    s.process(doc, &mut cx);
    cx.edits().iter().map(|e| e.text.clone()).collect()
}

#[test]
fn parquet_and_plain_text_benchmarks_name_file_and_item() {
    use arrow_array::{ArrayRef, RecordBatch, StringArray};
    let texts = news_texts();
    let s7 = sentences(&texts[7]);
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("bench.parquet");
    let batch = RecordBatch::try_from_iter([
        (
            "question",
            Arc::new(StringArray::from(vec![s7[1].clone()])) as ArrayRef,
        ),
        ("id", Arc::new(StringArray::from(vec!["pq-1"])) as ArrayRef),
    ])
    .unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&parquet).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let plain = dir.path().join("bench.txt");
    std::fs::write(&plain, format!("{}\n", sentences(&texts[9])[1])).unwrap();
    let s = stage(
        vec![plain.clone(), parquet.clone()],
        &["question"],
        DecontaminateAction::Remove,
    );
    for (i, file, item) in [(7, &parquet, "pq-1"), (9, &plain, "line 1")] {
        let mut doc = Document::new("d", texts[i].clone());
        let Verdict::Drop(r) = s.process(&mut doc, &mut StageContext::new()) else {
            panic!("article {i} kept")
        };
        assert_eq!(r.value["benchmark"], json!(file));
        assert_eq!(r.value["item"], item);
    }
}

#[test]
fn bad_benchmark_files_are_config_errors_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"text\": \"fine\"}\n{not json\n").unwrap();
    let err = |files: Vec<PathBuf>| {
        Decontaminate::new(DecontaminateConfig {
            benchmark_files: files,
            ..Default::default()
        })
        .err()
        .expect("accepted")
        .to_string()
    };
    let e = err(vec![bad.clone()]);
    assert!(e.contains("bad.jsonl") && e.contains("line 2"), "{e}");
    let e = err(vec![dir.path().join("missing.jsonl")]);
    assert!(e.contains("missing.jsonl"), "{e}");
    assert!(err(vec![]).contains("benchmark_files"));
}

#[test]
fn one_index_is_shared_by_every_stage_built_from_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let bench = dir.path().join("b.txt");
    std::fs::write(
        &bench,
        "one two three four five six seven eight nine ten eleven twelve thirteen\n",
    )
    .unwrap();
    let a = stage(vec![bench.clone()], &["text"], DecontaminateAction::Remove);
    let b = stage(vec![bench], &["text"], DecontaminateAction::CutLines);
    assert!(Arc::ptr_eq(&a.index, &b.index));
    assert_eq!(a.index().len(), 1);
}

/// The words `simplify_text` gives, the reference the streamed words must equal.
fn simplified_words(text: &str) -> Vec<String> {
    simplify_text(text)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn streamed_words(text: &str) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    words::for_each_word(text, |w, line| {
        out.push((w.to_string(), line));
        true
    });
    out
}

#[test]
fn streamed_words_are_simplify_text_words_on_real_and_tricky_text() {
    let mut texts = news_texts();
    texts.extend(
        [
            "Prices rose 3.5% to $1,250.75 in Q3 — “a record”, said O’Brien… «vraiment»",
            "ΟΔΟΣ ΣΟΦΙΑΣ. Σ Ας — final sigma; İstanbul; café naïve résumé; ½ cup; ١٢٣",
            "tab\there\u{a0}nbsp\u{2009}thin\u{3000}ideographic\u{200b}zero-width",
            "a \u{301}b 1.2.3 .5 5. x1,y 12,34,56 ‘quoted’ don't can't 3rd 10am",
            "line one\r\nline two\n\n  line four\x0bvt\x0cff\u{1c}fs",
            "McDonald's iPhone15 5a.5 A1,5b x1.y2 COVID-19 U.S.A. e-mail 3x4 1,000,000.50 ABC123def",
            "“Quoted”—dash–en…ellipsis «Guillemets» „low“ a•b c·d ÉCOLE Straße naïve—Café",
            "",
            "   \n ",
        ]
        .map(String::from),
    );
    for (i, text) in texts.iter().enumerate() {
        let streamed = streamed_words(text);
        let words: Vec<&String> = streamed.iter().map(|(w, _)| w).collect();
        let reference = simplified_words(text);
        assert_eq!(
            words,
            reference.iter().collect::<Vec<_>>(),
            "text {i}: {text:?}"
        );
        // Each word is on the line it came from: the words of each line alone, in order.
        let mut by_line = Vec::new();
        for (l, line) in text.split('\n').enumerate() {
            by_line.extend(simplified_words(line).into_iter().map(|w| (w, l as u32)));
        }
        assert_eq!(streamed, by_line, "text {i}");
        // The fallback for tables that disagree with simplify_text gives the same words.
        let mut slow = Vec::new();
        words::slow_words(text, &mut |w: &str, line| {
            slow.push((w.to_string(), line));
            true
        });
        assert_eq!(slow, streamed, "text {i}");
    }
}

#[test]
fn the_fast_path_is_on_and_rolling_hashes_depend_only_on_the_window() {
    // The fast path's tables agreed with simplify_text (otherwise every chunk takes the slow
    // path: same words, lower speed).
    assert!(words::fast_path_is_on());
    let text = &news_texts()[3];
    let all = words::ngram_hashes(text, 13);
    let list = simplified_words(text);
    assert_eq!(all.len(), list.len() - 12);
    let mut distinct = HashSet::new();
    for (first, h) in &all {
        // The same 13 words hashed on their own give the same hash.
        let alone = words::ngram_hashes(&list[*first..first + 13].join(" "), 13);
        assert_eq!(alone, [(0, *h)]);
        distinct.insert((list[*first..first + 13].join(" "), *h));
    }
    // Distinct windows, distinct hashes.
    let hashes: HashSet<u64> = distinct.iter().map(|d| d.1).collect();
    assert_eq!(hashes.len(), distinct.len());
}

#[test]
fn an_index_larger_than_the_memory_budget_is_a_config_error_naming_it() {
    let texts = news_texts();
    let dir = tempfile::tempdir().unwrap();
    let bench = write_benchmark(dir.path(), &texts);
    let build = |max: u64| {
        Decontaminate::new(DecontaminateConfig {
            benchmark_files: vec![bench.clone()],
            fields: vec!["question".into(), "choices".into()],
            n: 5,
            max_memory: Some(ByteSize(max)),
            ..Default::default()
        })
    };
    let e = build(4 << 10).err().expect("accepted").to_string();
    assert!(
        e.contains("bench.jsonl") && e.contains("memory budget of 0 MiB") && e.contains("--memory"),
        "{e}"
    );
    let s = build(64 << 20).unwrap();
    assert!(s.index().bytes() > 4 << 10 && s.index().bytes() < 64 << 20);
    // Through a pipeline, the run's memory is the default budget.
    let pipeline = |memory: &str| {
        let toml = format!(
            "[run]\nmemory = \"{memory}\"\n[[stage]]\ntype = \"decontaminate\"\nbenchmark_files = [{:?}]\nfields = [\"question\"]\nn = 6\n",
            bench.display().to_string()
        );
        let cfg = crate::config::PipelineConfig::from_toml(&toml, dir.path()).unwrap();
        crate::pipeline::Pipeline::from_config(&cfg).map(|_| ())
    };
    let e = pipeline("8KiB").expect_err("accepted").to_string();
    assert!(e.contains("memory budget of 0 MiB"), "{e}");
    pipeline("1GiB").unwrap();
}
