//! The table printed at the end of a run: per stage, documents in and out and the rules that
//! removed the most.

use std::fmt::Write;

use gleaner::executor::RunSummary;

/// Renders the end-of-run summary.
pub fn table(s: &RunSummary) -> String {
    let st = &s.stats;
    let mut out = String::new();
    let secs = s.info.elapsed_secs.max(1e-9);
    let _ = writeln!(
        out,
        "\nread {} documents ({} of text) from {} files, {} rejected, in {:.2}s ({:.1} MB/s of text, {:.0} docs/s)",
        st.input.docs,
        human_bytes(st.input.text_bytes),
        st.input.files,
        st.input.rejects,
        secs,
        st.input.text_bytes as f64 / 1e6 / secs,
        st.input.docs as f64 / secs
    );
    if !st.input.skipped_by_kind.is_empty() {
        let kinds: Vec<String> = st
            .input
            .skipped_by_kind
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let _ = writeln!(out, "skipped on purpose: {}", kinds.join(", "));
    }
    if s.info.resumed_files > 0 {
        let _ = writeln!(
            out,
            "resumed: {} input files were already done",
            s.info.resumed_files
        );
    }
    let name_w = st
        .stages
        .iter()
        .map(|x| x.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    // With a token_count stage, each stage's tokens out and what each rule cost in tokens.
    let tokens = st.stages.iter().any(|x| x.tokens_in > 0);
    let tokens_head = if tokens { "  tokens out" } else { "" };
    let _ = writeln!(
        out,
        "\n{:<name_w$}  {:>10}  {:>10}  {:>9}  {:>6}{tokens_head}  top removal rules",
        "stage", "docs in", "docs out", "removed", "bytes%"
    );
    for stage in &st.stages {
        let mut rules: Vec<(&String, &u64)> = stage.removed_by_rule.iter().collect();
        rules.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut lines: Vec<(&String, &u64)> = stage.lines_removed_by_rule.iter().collect();
        lines.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut notes: Vec<String> = rules
            .iter()
            .take(3)
            .map(|(r, n)| match stage.tokens_removed_by_rule.get(*r) {
                Some(t) => format!("{r} {n} ({} tokens)", human_count(*t)),
                None => format!("{r} {n}"),
            })
            .collect();
        notes.extend(lines.iter().take(2).map(|(r, n)| format!("{r} {n} lines")));
        let kept_pct = if stage.bytes_in > 0 {
            100.0 * stage.bytes_out as f64 / stage.bytes_in as f64
        } else {
            100.0
        };
        let tokens_out = match (tokens, stage.tokens_in > 0) {
            (true, true) => format!("  {:>10}", human_count(stage.tokens_out)),
            (true, false) => format!("  {:>10}", ""),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{:<name_w$}  {:>10}  {:>10}  {:>9}  {:>5.1}%{tokens_out}  {}",
            stage.name,
            stage.docs_in,
            stage.docs_out,
            stage.removed(),
            kept_pct,
            notes.join(", ")
        );
    }
    let as_tokens = if st.output.kept_tokens > 0 {
        format!(" as {} tokens", human_count(st.output.kept_tokens))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\nkept {} documents ({}){as_tokens} in {} shards; removed {}",
        st.output.kept_docs,
        human_bytes(st.output.kept_bytes),
        st.output.kept_shards,
        st.output.removed_docs
    );
    let _ = writeln!(out, "output: {}", s.out_dir.display());
    out
}

/// A count in thousands (k), millions (M) or billions (G) past 10,000.
fn human_count(n: u64) -> String {
    match n {
        0..10_000 => n.to_string(),
        10_000..10_000_000 => format!("{:.1}k", n as f64 / 1e3),
        10_000_000..10_000_000_000 => format!("{:.1}M", n as f64 / 1e6),
        _ => format!("{:.1}G", n as f64 / 1e9),
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
