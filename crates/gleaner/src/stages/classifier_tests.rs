//! Tests of the classifier stage on a real fastText supervised model: the built-in lid.176
//! (quantized `.ftz`, hierarchical softmax, 176 labels), read from its file like any model.

use std::path::PathBuf;

use super::*;
use crate::dedup::MemoryCorpus;
use crate::stage::PrepareContext;

const SEED: &str = include_str!("../../../../examples/data/raw-example.txt");
const GERMAN: &str = include_str!("../../tests/fixtures/german-blog.txt");

fn lid_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/lid.176.ftz")
}

fn cfg() -> ClassifierConfig {
    ClassifierConfig {
        model: lid_path(),
        ..Default::default()
    }
}

fn document_stage(cfg: ClassifierConfig) -> Box<dyn Stage> {
    match build(cfg).unwrap() {
        BuiltStage::Document(s) => s,
        BuiltStage::Corpus(_) => panic!("expected a per-document stage"),
    }
}

#[test]
fn records_every_label_and_the_same_top_score_as_the_language_stage() {
    let stage = document_stage(ClassifierConfig {
        key: Some("lid".into()),
        ..cfg()
    });
    let mut doc = Document::new("d", SEED);
    assert_eq!(
        stage.process(&mut doc, &mut StageContext::new()),
        Verdict::Keep
    );
    let scores = doc.metadata["lid"].as_object().unwrap();
    assert_eq!(scores.len(), 176);
    let sum: f64 = scores.values().map(|v| v.as_f64().unwrap()).sum();
    // fastText adds 1e-5 to each probability before its logarithm (for lid.176's hierarchical
    // softmax, to each branch on the label's path), so the reported ones sum to a little over 1.
    assert!(sum > 1.0 && sum < 1.001, "{sum}");
    // The language stage's top label and score come from the same model through top-k search.
    let lang = crate::stages::language::LanguageFilter::new(Default::default()).unwrap();
    let top = &lang.predict(SEED, 1, 0.0)[0];
    assert_eq!(scores[&top.label].as_f64().unwrap(), f64::from(top.score));
}

#[test]
fn min_score_keeps_at_the_threshold_and_drops_below_with_a_reason() {
    let stage = document_stage(ClassifierConfig {
        label: Some("__label__en".into()),
        ..cfg()
    });
    let mut doc = Document::new("d", GERMAN);
    stage.process(&mut doc, &mut StageContext::new());
    let en = doc.metadata["classifier"]["en"].as_f64().unwrap();
    // datatrove's FastTextClassifierFilter keeps a score equal to min_score.
    let at = document_stage(ClassifierConfig {
        label: Some("en".into()),
        min_score: Some(en),
        ..cfg()
    });
    assert_eq!(
        at.process(&mut Document::new("d", GERMAN), &mut StageContext::new()),
        Verdict::Keep
    );
    let above = document_stage(ClassifierConfig {
        label: Some("en".into()),
        min_score: Some(0.5),
        ..cfg()
    });
    let Verdict::Drop(r) = above.process(&mut Document::new("d", GERMAN), &mut StageContext::new())
    else {
        panic!("German text kept by min_score 0.5 on en");
    };
    assert_eq!(r.rule, "classifier_score");
    assert_eq!(r.value["label"], "en");
    assert_eq!(r.value["score"].as_f64(), Some(en));
    assert_eq!(r.threshold, json!(0.5));
}

#[test]
fn bad_parameters_are_config_errors_naming_the_problem() {
    let err = |c: ClassifierConfig| match build(c) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted"),
    };
    assert!(err(ClassifierConfig::default()).contains("model"));
    let missing = err(ClassifierConfig {
        model: "/nonexistent/model.bin".into(),
        ..Default::default()
    });
    assert!(missing.contains("/nonexistent/model.bin"), "{missing}");
    let not_a_model = err(ClassifierConfig {
        model: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"),
        ..Default::default()
    });
    assert!(
        not_a_model.contains("not a readable fastText model"),
        "{not_a_model}"
    );
    let no_label = err(ClassifierConfig {
        min_score: Some(0.5),
        ..cfg()
    });
    assert!(no_label.contains("label"), "{no_label}");
    let unknown = err(ClassifierConfig {
        label: Some("klingon".into()),
        min_score: Some(0.5),
        ..cfg()
    });
    assert!(
        unknown.contains("klingon") && unknown.contains("en"),
        "{unknown}"
    );
    assert!(
        err(ClassifierConfig {
            label: Some("en".into()),
            min_score: Some(0.5),
            keep_fraction: Some(0.1),
            ..cfg()
        })
        .contains("not both")
    );
    assert!(
        err(ClassifierConfig {
            label: Some("en".into()),
            keep_fraction: Some(0.0),
            ..cfg()
        })
        .contains("keep_fraction")
    );
}

#[test]
fn truncated_model_files_are_errors_not_panics() {
    let bytes = std::fs::read(lid_path()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for cut in [0, 3, 8, 60, 1000, bytes.len() / 2, bytes.len() - 1] {
        let p = dir.path().join(format!("cut{cut}.ftz"));
        std::fs::write(&p, &bytes[..cut]).unwrap();
        assert!(
            load_model("classifier", &p).is_err(),
            "model cut at {cut} bytes loaded"
        );
    }
}

/// Documents whose English score spreads widely: the seed's sentences, the German fixture's
/// paragraphs, and copies that make exact ties.
fn corpus() -> Vec<Document> {
    let mut texts: Vec<String> = SEED
        .split(". ")
        .chain(GERMAN.split("\n\n"))
        .filter(|t| !t.trim().is_empty())
        .map(str::to_string)
        .collect();
    let copies: Vec<String> = texts.iter().take(5).cloned().collect();
    texts.extend(copies.iter().cloned());
    texts.extend(copies);
    texts
        .into_iter()
        .enumerate()
        .map(|(i, t)| Document::new(format!("d{i}"), t))
        .collect()
}

fn top_fraction_run(docs: Vec<Document>, files: usize, threads: usize, fraction: f64) -> Vec<bool> {
    let BuiltStage::Corpus(mut stage) = build(ClassifierConfig {
        label: Some("en".into()),
        keep_fraction: Some(fraction),
        ..cfg()
    })
    .unwrap() else {
        panic!("keep_fraction builds a corpus stage")
    };
    let corpus = MemoryCorpus::new(docs, files);
    let dir = tempfile::tempdir().unwrap();
    let cx = PrepareContext {
        work_dir: dir.path(),
        memory_budget: 1 << 20,
        threads,
    };
    stage.prepare(&cx, &corpus).unwrap();
    corpus
        .documents()
        .map(|d| {
            let mut d = d.clone();
            stage.process(&mut d, &mut StageContext::new()) == Verdict::Keep
        })
        .collect()
}

#[test]
fn keep_fraction_keeps_exactly_the_top_k_with_ties_in_input_order() {
    let docs = corpus();
    let n = docs.len();
    let stage = document_stage(ClassifierConfig {
        label: Some("en".into()),
        ..cfg()
    });
    let scores: Vec<f32> = docs
        .iter()
        .map(|d| {
            let mut d = d.clone();
            stage.process(&mut d, &mut StageContext::new());
            d.metadata["classifier"]["en"].as_f64().unwrap() as f32
        })
        .collect();
    for fraction in [0.01, 0.1, 0.25, 0.5, 0.9, 1.0] {
        // The reference: sort by (score descending, input order), keep the first ceil(f * n).
        let k = (fraction * n as f64).ceil() as usize;
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        let mut expected = vec![false; n];
        for &i in &order[..k] {
            expected[i] = true;
        }
        for (files, threads) in [(1, 1), (3, 2), (7, 2)] {
            let kept = top_fraction_run(docs.clone(), files, threads, fraction);
            assert_eq!(kept, expected, "fraction {fraction}, {files} files");
        }
    }
}

#[test]
fn keep_fraction_splits_a_tie_in_input_order_and_says_so() {
    // Ten copies of one text tie; keeping 30% keeps the first three.
    let docs: Vec<Document> = (0..10)
        .map(|i| Document::new(format!("d{i}"), GERMAN))
        .collect();
    let kept = top_fraction_run(docs.clone(), 3, 2, 0.3);
    assert_eq!(
        kept,
        vec![
            true, true, true, false, false, false, false, false, false, false
        ]
    );
    let BuiltStage::Corpus(mut stage) = build(ClassifierConfig {
        label: Some("en".into()),
        keep_fraction: Some(0.3),
        ..cfg()
    })
    .unwrap() else {
        panic!()
    };
    let corpus = MemoryCorpus::new(docs, 2);
    let dir = tempfile::tempdir().unwrap();
    let cx = PrepareContext {
        work_dir: dir.path(),
        memory_budget: 1 << 20,
        threads: 1,
    };
    stage.prepare(&cx, &corpus).unwrap();
    let mut last = corpus.documents().last().unwrap().clone();
    let Verdict::Drop(r) = stage.process(&mut last, &mut StageContext::new()) else {
        panic!("the last tie kept")
    };
    assert_eq!(r.rule, "below_corpus_cutoff");
    assert_eq!(r.threshold["kept"], 3);
    assert_eq!(r.threshold["of"], 10);
    assert_eq!(r.threshold["cutoff_score"], r.value["score"]);
    assert!(r.detail.unwrap().contains("input order"));
    // A second prepare in the same work directory reuses the persisted cut-off.
    assert!(dir.path().join("cutoff.done").exists());
    stage.prepare(&cx, &corpus).unwrap();
}

#[test]
fn a_model_file_is_held_memory_counted_once_however_many_stages_load_it() {
    use crate::config::PipelineConfig;
    use crate::pipeline::Pipeline;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.ftz");
    std::fs::copy(lid_path(), &copy).unwrap();
    let size = std::fs::metadata(lid_path()).unwrap().len();
    let held = |toml: &str| {
        Pipeline::from_config(&PipelineConfig::from_toml(toml, dir.path()).unwrap())
            .unwrap()
            .held_memory()
    };
    let lid = lid_path().display().to_string();
    let stages = format!(
        "[[stage]]\ntype = \"classifier\"\nmodel = \"{lid}\"\n\
         [[stage]]\ntype = \"classifier\"\nname = \"top\"\nmodel = \"{lid}\"\nlabel = \"__label__en\"\nkeep_fraction = 0.5\n\
         [[stage]]\ntype = \"language\"\nmodel = \"{lid}\"\n"
    );
    // A per-document classifier, a corpus (keep_fraction) one and a language stage share one copy.
    assert_eq!(held(&stages), size);
    // Another file is another copy in memory.
    let other = format!(
        "{stages}[[stage]]\ntype = \"classifier\"\nname = \"other\"\nmodel = \"copy.ftz\"\n"
    );
    assert_eq!(held(&other), 2 * size);
    // The built-in lid.176 is part of the binary, not counted.
    assert_eq!(held("[[stage]]\ntype = \"language\"\n"), 0);
}
