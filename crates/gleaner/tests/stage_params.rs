//! Stage parameters that cannot work are refused when the pipeline file is loaded, with a message
//! naming the stage and the parameters, instead of a run that quietly removes every document.

use std::path::Path;

use gleaner::{Pipeline, PipelineConfig};

/// The error `Pipeline::from_config` gives for a pipeline file holding `stages`.
fn load_error(stages: &str) -> String {
    let cfg = PipelineConfig::from_toml(stages, Path::new(".")).expect("the TOML itself is valid");
    match Pipeline::from_config(&cfg) {
        Ok(_) => panic!("accepted:\n{stages}"),
        Err(e) => e.to_string(),
    }
}

fn loads(stages: &str) {
    let cfg = PipelineConfig::from_toml(stages, Path::new(".")).expect("the TOML itself is valid");
    if let Err(e) = Pipeline::from_config(&cfg) {
        panic!("refused:\n{stages}\n{e}");
    }
}

#[test]
fn unknown_language_codes_are_refused_with_suggestions() {
    let msg = load_error("[[stage]]\ntype = \"language\"\nlanguages = [\"klingon\"]\n");
    assert!(msg.contains("stage language"), "{msg}");
    assert!(msg.contains("\"klingon\""), "{msg}");
    assert!(msg.contains("lid.176"), "{msg}");
    assert!(msg.contains("its 176 labels"), "{msg}");

    // Near misses get the code they were probably meant as.
    let msg = load_error("[[stage]]\ntype = \"language\"\nlanguages = [\"en\", \"EN\", \"deu\"]\n");
    assert!(msg.contains("\"EN\""), "{msg}");
    assert!(msg.contains("did you mean en"), "{msg}");
    assert!(msg.contains("\"deu\""), "{msg}");
    assert!(msg.contains("de"), "{msg}");
    assert!(!msg.contains("\"en\""), "a known code is not named: {msg}");

    // Every label of the model is accepted, including the three-letter ones.
    loads(
        "[[stage]]\ntype = \"language\"\nlanguages = [\"en\", \"de\", \"zh\", \"als\", \"arz\"]\n",
    );
}

#[test]
fn contradictory_bounds_are_refused_naming_stage_and_parameters() {
    let cases = [
        (
            "gopher_quality",
            "min_doc_words = 500\nmax_doc_words = 100",
            "min_doc_words (500)",
            "max_doc_words (100)",
        ),
        (
            "gopher_quality",
            "min_avg_word_length = 8.5\nmax_avg_word_length = 4.0",
            "min_avg_word_length (8.5)",
            "max_avg_word_length (4)",
        ),
        (
            "line_clean",
            "teaser_min_words = 300",
            "teaser_min_words (300)",
            "teaser_max_words (200)",
        ),
        (
            "length_filter",
            "min_words = 10\nmax_words = 9",
            "min_words (10)",
            "max_words (9)",
        ),
    ];
    for (kind, params, min, max) in cases {
        let msg = load_error(&format!("[[stage]]\ntype = \"{kind}\"\n{params}\n"));
        assert!(msg.contains(&format!("stage {kind}")), "{msg}");
        assert!(msg.contains(min), "{msg}");
        assert!(msg.contains(max), "{msg}");
    }
    // Equal bounds, and a bound of 0 (which disables a gopher rule), are fine.
    loads("[[stage]]\ntype = \"gopher_quality\"\nmin_doc_words = 100\nmax_doc_words = 100\n");
    loads("[[stage]]\ntype = \"gopher_quality\"\nmin_doc_words = 500\nmax_doc_words = 0\n");
    loads("[[stage]]\ntype = \"line_clean\"\nteaser_min_words = 20\nteaser_max_words = 20\n");
}
