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
    let _ = writeln!(
        out,
        "\n{:<name_w$}  {:>10}  {:>10}  {:>9}  {:>6}  top removal rules",
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
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        notes.extend(lines.iter().take(2).map(|(r, n)| format!("{r} {n} lines")));
        let kept_pct = if stage.bytes_in > 0 {
            100.0 * stage.bytes_out as f64 / stage.bytes_in as f64
        } else {
            100.0
        };
        let _ = writeln!(
            out,
            "{:<name_w$}  {:>10}  {:>10}  {:>9}  {:>5.1}%  {}",
            stage.name,
            stage.docs_in,
            stage.docs_out,
            stage.removed(),
            kept_pct,
            notes.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "\nkept {} documents ({}) in {} shards; removed {}",
        st.output.kept_docs,
        human_bytes(st.output.kept_bytes),
        st.output.kept_shards,
        st.output.removed_docs
    );
    let _ = writeln!(out, "output: {}", s.out_dir.display());
    out
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
