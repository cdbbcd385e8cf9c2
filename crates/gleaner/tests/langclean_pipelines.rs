//! The shipped pipeline files of the language, URL, PII and line-cleaning stages load and do
//! what their comments say on the user's seed document.

use std::path::Path;

use gleaner::{Document, Pipeline, PipelineConfig};

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn load(rel: &str) -> Pipeline {
    let cfg = PipelineConfig::load(&repo().join(rel)).unwrap();
    Pipeline::from_config(&cfg).unwrap()
}

fn seed() -> String {
    std::fs::read_to_string(repo().join("examples/data/raw-example.txt")).unwrap()
}

#[test]
fn clean_lines_recipe_on_the_seed() {
    let seed = seed();
    let out = load("examples/recipes/clean_lines.toml")
        .process_batch(vec![Document::new("seed", seed.as_str())]);
    assert_eq!(out.kept.len(), 1);
    let doc = &out.kept[0];
    let rules: Vec<(&str, &str, usize)> = doc
        .edits
        .iter()
        .map(|e| (e.stage.as_str(), e.rule.as_str(), e.line))
        .collect();
    assert_eq!(
        rules,
        vec![
            ("line_clean", "truncated_teaser", 10),
            ("line_clean", "truncated_teaser", 11),
            ("line_clean", "truncated_teaser", 12),
            ("line_clean", "truncated_teaser", 13),
        ]
    );
    let lines: Vec<&str> = seed.lines().collect();
    assert_eq!(doc.text, lines[..10].join("\n"));
}

#[test]
fn language_filter_file_labels_and_keeps_the_seed() {
    let out = load("examples/filters/language.toml").process_batch(vec![
        Document::new("seed", seed()),
        Document::new(
            "de",
            "Unter diesem Motto findet am 14. September um 13 Uhr eine Demonstration in Berlin statt, die wir als Piratenpartei unterstützen und zu der wir zur Teilnahme aufrufen.",
        ),
    ]);
    assert_eq!(out.kept.len(), 1);
    assert_eq!(out.kept[0].metadata["language"], "en");
    assert_eq!(out.removed.len(), 1);
    assert_eq!(out.removed[0].reason.stage, "language");
    assert_eq!(out.removed[0].reason.rule, "language");
    assert_eq!(out.removed[0].document.metadata["language"], "de");
}

#[test]
fn url_filter_file_resolves_its_lists() {
    let mut blocked = Document::new("a", "text");
    blocked
        .metadata
        .insert("url".into(), "https://www.ebrosia.de/wein".into());
    let mut fine = Document::new("b", "text");
    fine.metadata
        .insert("url".into(), "https://www.bbc.co.uk/news".into());
    let out = load("examples/filters/url_filter.toml").process_batch(vec![blocked, fine]);
    assert_eq!(out.kept.len(), 1);
    assert_eq!(out.kept[0].id, "b");
    assert_eq!(out.removed[0].reason.rule, "domain");
}
