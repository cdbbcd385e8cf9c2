//! Tests of the language stage with a model file and per-language thresholds.

use super::*;

const SEED: &str = include_str!("../../../../examples/data/raw-example.txt");
const GERMAN: &str = include_str!("../../tests/fixtures/german-blog.txt");

fn lid_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/lid.176.ftz")
}

fn decide(cfg: LanguageConfig, text: &str) -> (Document, Verdict) {
    let stage = LanguageFilter::new(cfg).unwrap();
    let mut doc = Document::new("d", text);
    let v = stage.process(&mut doc, &mut StageContext::new());
    (doc, v)
}

#[test]
fn a_model_file_decides_as_the_built_in_model() {
    let file = LanguageConfig {
        model: Some(lid_file()),
        ..Default::default()
    };
    for text in [SEED, GERMAN, "", "bonjour tout le monde"] {
        assert_eq!(
            decide(file.clone(), text),
            decide(LanguageConfig::default(), text)
        );
    }
}

#[test]
fn a_per_language_threshold_replaces_min_score_for_that_language() {
    let (doc, _) = decide(LanguageConfig::default(), GERMAN);
    let de = doc.metadata["language_score"].as_f64().unwrap();
    let listed = |per: f64| LanguageConfig {
        languages: vec!["en".into(), "de".into()],
        min_score: 0.99,
        min_score_per_language: [("de".to_string(), per)].into(),
        ..Default::default()
    };
    assert_eq!(decide(listed(de - 1e-6), GERMAN).1, Verdict::Keep);
    let Verdict::Drop(r) = decide(listed(de), GERMAN).1 else {
        panic!("kept at its own threshold (datatrove keeps strictly above)")
    };
    assert_eq!(r.threshold, json!({"en": 0.99, "de": de}));
    // English, the seed's language, still needs the general min_score.
    assert!(matches!(decide(listed(0.1), SEED).1, Verdict::Drop(_)));
    // Without a language list the top label's own threshold applies.
    let any = LanguageConfig {
        languages: vec![],
        min_score: 0.99,
        min_score_per_language: [("de".to_string(), de - 1e-6)].into(),
        ..Default::default()
    };
    assert_eq!(decide(any, GERMAN).1, Verdict::Keep);
}

#[test]
fn a_listed_second_language_can_pass_a_lower_threshold_than_the_failing_top_one() {
    // The German fixture with one English sentence: German on top, English well below.
    let english_sentence = SEED.split(". ").nth(2).unwrap();
    let mixed = format!("{GERMAN}\n{english_sentence}.");
    let stage = LanguageFilter::new(LanguageConfig::default()).unwrap();
    let all = stage.predict(&mixed, 176, 0.0);
    let en = f64::from(all.iter().find(|p| p.label == "en").unwrap().score);
    let cfg = |en_min: f64| LanguageConfig {
        languages: vec!["de".into(), "en".into()],
        min_score: 0.9999,
        min_score_per_language: [("en".to_string(), en_min)].into(),
        ..Default::default()
    };
    assert_eq!(decide(cfg(en - 1e-5), &mixed).1, Verdict::Keep);
    assert!(matches!(decide(cfg(en + 1e-5), &mixed).1, Verdict::Drop(_)));
}

#[test]
fn glotlid_labels_split_into_language_and_script() {
    assert_eq!(split_script("eng_Latn"), Some(("eng", "Latn")));
    assert_eq!(split_script("srp_Cyrl"), Some(("srp", "Cyrl")));
    assert_eq!(split_script("en"), None);
    assert_eq!(split_script("zh_TW"), None);
    assert_eq!(split_script("_Latn"), None);
}

#[test]
fn unknown_per_language_codes_and_bad_thresholds_are_config_errors() {
    let unknown = LanguageConfig {
        min_score_per_language: [("eng_Latn".to_string(), 0.5)].into(),
        ..Default::default()
    };
    let e = LanguageFilter::new(unknown).err().unwrap().to_string();
    assert!(e.contains("eng_Latn") && e.contains("lid.176"), "{e}");
    let bad = LanguageConfig {
        min_score_per_language: [("de".to_string(), 1.5)].into(),
        ..Default::default()
    };
    let e = LanguageFilter::new(bad).err().unwrap().to_string();
    assert!(e.contains("min_score_per_language.de"), "{e}");
}
