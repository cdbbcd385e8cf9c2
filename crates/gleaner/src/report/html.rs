//! Rendering [`ReportData`] as one self-contained HTML page: tables and excerpts are written here
//! (HTML-escaped), chart series go into a `<script type="application/json">` block that the
//! page's own script hands to Chart.js, which is inlined too. Nothing is fetched over the network.

use std::fmt::Write;

use serde_json::{Value, json};

use super::collect::{BeforeAfter, ReportData};
use super::inspect::{compact, measured};

/// Chart.js 4.6.1 UMD build (MIT, see `assets/chart.js-LICENSE.md`), source map comment removed.
const CHART_JS: &str = include_str!("../../assets/chart.umd.min.js");
/// The report page's stylesheet and script.
const REPORT_CSS: &str = include_str!("../../assets/report.css");
const REPORT_JS: &str = include_str!("../../assets/report.js");

/// HTML-escapes text for element content and quoted attribute values. Hand-written: the five
/// replacements are the whole job, and the report's other output is plain `write!`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON safe to place inside a `<script>` element: every `<` becomes `\u003c` (legal only inside
/// JSON strings, where it means the same), so no `</script>` or `<!--` can end the block early.
pub fn script_json(v: &Value) -> String {
    serde_json::to_string(v)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
}

pub(super) fn mb(bytes: u64) -> f64 {
    (bytes as f64 / 1e6 * 1000.0).round() / 1000.0
}

pub(super) fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        "–".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

pub(super) fn num(n: u64) -> String {
    // Thin-space thousands separators keep big counts readable in tables.
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

pub(super) fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

pub(super) fn link(url: &str) -> String {
    // Only web URLs become links; anything else (javascript:, data:) stays text.
    if url.starts_with("http://") || url.starts_with("https://") {
        format!(
            "<a href=\"{0}\" rel=\"noreferrer noopener\" target=\"_blank\">{0}</a>",
            escape(url)
        )
    } else {
        escape(url)
    }
}

fn before_after(b: &BeforeAfter) -> Value {
    json!({"labels": b.labels, "before": b.before, "after": b.after})
}

/// UTF-8 text bytes a pass fed into its first stage (from stats.json); a prepare phase reads the
/// text that reached its stage.
pub(super) fn pass_text_bytes(d: &ReportData, p: &crate::executor::PassInfo) -> u64 {
    p.stages
        .first()
        .and_then(|name| d.stats.stages.iter().find(|s| &s.name == name))
        .map_or(0, |s| s.bytes_in)
}

/// The chart series, keyed by the `data-chart` name of their canvas.
fn chart_data(d: &ReportData) -> Value {
    let s = &d.stats;
    let mut labels = vec!["read".to_string()];
    let mut docs = vec![s.input.docs];
    let mut bytes = vec![mb(s.input.text_bytes)];
    for st in &s.stages {
        labels.push(st.name.clone());
        docs.push(st.docs_out);
        bytes.push(mb(st.bytes_out));
    }
    let mut rule_labels = Vec::new();
    let mut rule_docs = Vec::new();
    let mut rule_lines = Vec::new();
    for st in &s.stages {
        let mut rules: Vec<&String> = st
            .removed_by_rule
            .keys()
            .chain(st.lines_removed_by_rule.keys())
            .collect();
        rules.sort();
        rules.dedup();
        for r in rules {
            rule_labels.push(format!("{}/{}", st.name, r));
            rule_docs.push(st.removed_by_rule.get(r).copied().unwrap_or(0));
            rule_lines.push(st.lines_removed_by_rule.get(r).copied().unwrap_or(0));
        }
    }
    let timing = (!d.run.passes.is_empty()).then(|| {
        let mut labels = Vec::new();
        let mut secs = Vec::new();
        let mut mbps = Vec::new();
        for p in &d.run.passes {
            labels.push(p.name.clone());
            secs.push(p.elapsed_secs);
            let text = pass_text_bytes(d, p);
            mbps.push(if p.elapsed_secs > 0.0 {
                (text as f64 / 1e6 / p.elapsed_secs * 10.0).round() / 10.0
            } else {
                0.0
            });
        }
        json!({"labels": labels, "secs": secs, "mbps": mbps})
    });
    let c = &d.clusters;
    json!({
        "funnel": {"labels": labels, "docs": docs, "mb": bytes},
        "rules": (!rule_labels.is_empty())
            .then(|| json!({"labels": rule_labels, "docs": rule_docs, "lines": rule_lines})),
        "lengths": before_after(&d.lengths),
        "languages": d.languages.as_ref().map(before_after),
        "scores": d.language_scores.as_ref().map(before_after),
        "clusters": (c.total > 0).then(|| json!({"labels": c.size_labels, "counts": c.size_counts})),
        "timing": timing,
    })
}

/// Renders the whole page.
pub fn render(d: &ReportData) -> String {
    let charts = chart_data(d);
    let mut h = String::with_capacity(CHART_JS.len() + 64 * 1024);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>gleaner report</title><style>{REPORT_CSS}</style></head>\n<body>\n"
    );
    let _ = write!(
        h,
        "<header><h1>gleaner run report</h1><p class=\"sub\">{}{}{}</p></header>\n<main>\n",
        escape(&d.out_dir),
        if d.run.fingerprint.is_empty() {
            String::new()
        } else {
            format!(" · run {}", escape(&d.run.fingerprint))
        },
        if d.run.version.is_empty() {
            String::new()
        } else {
            format!(" · gleaner {}", escape(&d.run.version))
        },
    );
    summary(&mut h, d);
    funnel(&mut h, d);
    distributions(&mut h, d);
    removed_examples(&mut h, d);
    super::html_run::duplicates(&mut h, d);
    super::html_run::run_section(&mut h, d);
    super::html_run::rejects(&mut h, d);
    let _ = write!(
        h,
        "</main>\n<footer>Charts drawn with Chart.js (MIT). Generated by gleaner from {}.</footer>\n\
         <script type=\"application/json\" id=\"report-data\">{}</script>\n\
         <script>{CHART_JS}</script>\n<script>{REPORT_JS}</script>\n</body></html>\n",
        escape(&d.out_dir),
        script_json(&charts)
    );
    h
}

fn card(h: &mut String, label: &str, value: &str, note: &str) {
    let _ = write!(
        h,
        "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div>\
         <div class=\"note\">{}</div></div>",
        escape(label),
        escape(value),
        escape(note)
    );
}

fn summary(h: &mut String, d: &ReportData) {
    let s = &d.stats;
    h.push_str("<section class=\"cards\">");
    card(
        h,
        "documents read",
        &num(s.input.docs),
        &format!("{} input files", num(s.input.files)),
    );
    card(
        h,
        "documents kept",
        &num(s.output.kept_docs),
        &format!("{} of input", pct(s.output.kept_docs, s.input.docs)),
    );
    card(
        h,
        "text kept",
        &human_bytes(s.output.kept_bytes),
        &format!(
            "{} of {}",
            pct(s.output.kept_bytes, s.input.text_bytes),
            human_bytes(s.input.text_bytes)
        ),
    );
    card(
        h,
        "documents removed",
        &num(s.output.removed_docs),
        &format!(
            "{} of text removed in all (documents and lines)",
            human_bytes(s.input.text_bytes.saturating_sub(s.output.kept_bytes))
        ),
    );
    card(
        h,
        "rejected records",
        &num(s.input.rejects),
        "input that could not be read",
    );
    if d.run.elapsed_secs > 0.0 {
        card(
            h,
            "wall time",
            &format!("{:.2} s", d.run.elapsed_secs),
            &format!(
                "{:.1} MB/s of input text on {} threads",
                s.input.text_bytes as f64 / 1e6 / d.run.elapsed_secs,
                d.run.threads
            ),
        );
    }
    h.push_str("</section>\n");
}

fn funnel(h: &mut String, d: &ReportData) {
    let s = &d.stats;
    h.push_str(
        "<section><h2>Funnel</h2><p>Documents and text left after each stage, from the \
         documents read to the documents kept.</p><div class=\"grid2\">\
         <div class=\"chart\"><canvas data-chart=\"funnel-docs\" aria-label=\"documents after each stage\"></canvas></div>\
         <div class=\"chart\"><canvas data-chart=\"funnel-bytes\" aria-label=\"megabytes after each stage\"></canvas></div></div>\n",
    );
    h.push_str(
        "<table><thead><tr><th>stage</th><th>type</th><th class=\"n\">docs in</th>\
         <th class=\"n\">docs out</th><th class=\"n\">removed</th><th class=\"n\">text in</th>\
         <th class=\"n\">text out</th><th>removed documents by rule</th><th>removed lines by rule</th>\
         <th>counters</th></tr></thead><tbody>",
    );
    for st in &s.stages {
        let map = |m: &std::collections::BTreeMap<String, u64>| {
            m.iter()
                .map(|(k, v)| format!("<code>{}</code>&nbsp;{}", escape(k), num(*v)))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{} <span class=\"dim\">({})</span></td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&st.name),
            escape(&st.kind),
            num(st.docs_in),
            num(st.docs_out),
            num(st.docs_in.saturating_sub(st.docs_out)),
            pct(st.docs_in.saturating_sub(st.docs_out), st.docs_in),
            human_bytes(st.bytes_in),
            human_bytes(st.bytes_out),
            map(&st.removed_by_rule),
            map(&st.lines_removed_by_rule),
            map(&st.counters),
        );
    }
    h.push_str("</tbody></table>\n");
    token_table(h, s);
    if s.stages
        .iter()
        .any(|st| !st.removed_by_rule.is_empty() || !st.lines_removed_by_rule.is_empty())
    {
        h.push_str(
            "<h3>Removals per rule</h3><div class=\"chart tall\">\
             <canvas data-chart=\"rules\" aria-label=\"removals per rule\"></canvas></div>\n",
        );
    }
    h.push_str("</section>\n");
}

/// With a `token_count` stage: tokens in and out per stage and what each rule cost in tokens.
fn token_table(h: &mut String, s: &crate::stats::RunStats) {
    if !s.stages.iter().any(|st| st.tokens_in > 0) {
        return;
    }
    h.push_str(
        "<h3>Tokens per stage</h3><table><thead><tr><th>stage</th><th class=\"n\">tokens in</th>\
         <th class=\"n\">tokens out</th><th class=\"n\">removed</th>\
         <th>tokens of removed documents by rule</th></tr></thead><tbody>",
    );
    for st in s.stages.iter().filter(|st| st.tokens_in > 0) {
        let lost = st.tokens_in.saturating_sub(st.tokens_out);
        let rules = st
            .tokens_removed_by_rule
            .iter()
            .map(|(k, v)| format!("<code>{}</code>&nbsp;{}", escape(k), num(*v)))
            .collect::<Vec<_>>()
            .join("<br>");
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{} <span class=\"dim\">({})</span></td><td>{}</td></tr>",
            escape(&st.name),
            num(st.tokens_in),
            num(st.tokens_out),
            num(lost),
            pct(lost, st.tokens_in),
            rules,
        );
    }
    if s.output.kept_tokens > 0 {
        let _ = write!(
            h,
            "<tr><td>token shards</td><td></td><td class=\"n\">{}</td><td></td>\
             <td>ids written, special tokens included</td></tr>",
            num(s.output.kept_tokens)
        );
    }
    h.push_str("</tbody></table>\n");
}

fn coverage_note(d: &ReportData) -> String {
    let c = &d.coverage;
    if c.kept_complete && c.removed_complete {
        String::new()
    } else {
        format!(
            "<p class=\"warn\">Estimated from the first {} kept and {} removed documents in file \
             order, scaled to the run's totals.</p>",
            num(c.kept_docs),
            num(c.removed_docs)
        )
    }
}

fn distributions(h: &mut String, d: &ReportData) {
    h.push_str(
        "<section><h2>Distributions before and after</h2><p>Before: every document read, with \
         removed lines put back. After: the kept documents as written.</p>",
    );
    h.push_str(&coverage_note(d));
    h.push_str(
        "<h3>Document length (words)</h3><div class=\"chart\">\
         <canvas data-chart=\"lengths\" aria-label=\"document length in words\"></canvas></div>\n",
    );
    match (&d.languages, &d.language_scores) {
        (None, None) => h.push_str(
            "<p class=\"dim\">No document carries <code>metadata.language</code> or \
             <code>language_score</code>: add a language stage to see languages here.</p>",
        ),
        (langs, scores) => {
            h.push_str("<div class=\"grid2\">");
            if langs.is_some() {
                h.push_str(
                    "<div><h3>Language</h3><div class=\"chart\"><canvas data-chart=\"languages\" \
                     aria-label=\"documents per language\"></canvas></div>",
                );
                let (before, after) = d.languages_missing;
                if before > 0.0 {
                    let _ = write!(
                        h,
                        "<p class=\"dim\">Not shown: {} documents before and {} after without \
                         <code>metadata.language</code>.</p>",
                        num(before as u64),
                        num(after as u64)
                    );
                }
                h.push_str("</div>");
            }
            if scores.is_some() {
                h.push_str(
                    "<div><h3>Language score</h3><div class=\"chart\"><canvas data-chart=\"scores\" \
                     aria-label=\"language score\"></canvas></div></div>",
                );
            }
            h.push_str("</div>\n");
        }
    }
    h.push_str("</section>\n");
}

fn removed_examples(h: &mut String, d: &ReportData) {
    h.push_str(
        "<section><h2>What was removed</h2><p>The first documents and lines each rule removed, \
         in file order, with what the rule measured and the threshold it crossed.</p>",
    );
    if d.doc_samples.is_empty() && d.line_samples.is_empty() {
        h.push_str("<p class=\"dim\">Nothing was removed.</p>");
    }
    // Stages in pipeline order; within a stage, document rules then line rules.
    let mut stages: Vec<&str> = d.stats.stages.iter().map(|s| s.name.as_str()).collect();
    for rs in &d.doc_samples {
        if !stages.contains(&rs.stage.as_str()) {
            stages.push(&rs.stage);
        }
    }
    for rs in &d.line_samples {
        if !stages.contains(&rs.stage.as_str()) {
            stages.push(&rs.stage);
        }
    }
    for stage in stages {
        rule_samples(h, d, stage);
    }
    h.push_str("</section>\n");
}

fn rule_samples(h: &mut String, d: &ReportData, stage: &str) {
    for rs in d.doc_samples.iter().filter(|r| r.stage == stage) {
        let _ = write!(
            h,
            "<details class=\"rule\" open><summary><code>{}</code> / <code>{}</code> \
             <span class=\"dim\">— {} documents removed, first {} shown</span></summary>",
            escape(&rs.stage),
            escape(&rs.rule),
            num(rs.total),
            rs.samples.len()
        );
        for ex in &rs.samples {
            let _ = write!(
                h,
                "<div class=\"ex\"><div class=\"meta\"><span class=\"id\">{}</span> {} \
                 {}{}{}</div><blockquote>{}{}</blockquote></div>",
                escape(&ex.id),
                ex.url.as_deref().map(link).unwrap_or_default(),
                if ex.kept_id.is_some() && ex.value.is_null() && ex.threshold.is_null() {
                    String::new()
                } else {
                    format!(
                        "<span class=\"measure\">{}</span>",
                        escape(&measured(&ex.value, &ex.threshold, ex.detail.as_deref()))
                    )
                },
                ex.kept_id
                    .as_deref()
                    .map(|k| format!(
                        " <span class=\"dim\">duplicate of <span class=\"id\">{}</span></span>",
                        escape(k)
                    ))
                    .unwrap_or_default(),
                if ex.lines_removed_before > 0 {
                    format!(
                        " <span class=\"dim\">({} removed by earlier stages shown back in place)</span>",
                        if ex.lines_removed_before == 1 {
                            "1 line".to_string()
                        } else {
                            format!("{} lines", ex.lines_removed_before)
                        }
                    )
                } else {
                    String::new()
                },
                if ex.excerpt.trim().is_empty() {
                    "<span class=\"dim\">(empty text)</span>".to_string()
                } else {
                    escape(&ex.excerpt)
                },
                if ex.truncated {
                    "<span class=\"dim\"> …</span>"
                } else {
                    ""
                }
            );
        }
        h.push_str("</details>\n");
    }
    for rs in d.line_samples.iter().filter(|r| r.stage == stage) {
        let _ = write!(
            h,
            "<details class=\"rule\" open><summary><code>{}</code> / <code>{}</code> \
             <span class=\"dim\">— {} lines removed, first {} shown</span></summary><table class=\"lines\">\
             <thead><tr><th>document</th><th class=\"n\">line</th><th>removed line</th><th>value</th>\
             <th>threshold</th></tr></thead><tbody>",
            escape(&rs.stage),
            escape(&rs.rule),
            num(rs.total),
            rs.samples.len()
        );
        for ex in &rs.samples {
            let _ = write!(
                h,
                "<tr><td class=\"id\">{}</td><td class=\"n\">{}</td><td class=\"line\">{}</td>\
                 <td>{}</td><td>{}</td></tr>",
                escape(&ex.id),
                ex.line + 1,
                escape(&ex.text),
                escape(&compact(&ex.value)),
                escape(&compact(&ex.threshold)),
            );
        }
        h.push_str("</tbody></table></details>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_break_out_of_the_page() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        let j = script_json(&json!({"t": "</script><!-- x"}));
        assert!(!j.contains('<'), "{j}");
        let back: Value = serde_json::from_str(&j).unwrap();
        assert_eq!(back["t"], "</script><!-- x");
        assert_eq!(link("javascript:alert(1)"), "javascript:alert(1)");
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(num(1234567), "1\u{202f}234\u{202f}567");
        assert_eq!(num(999), "999");
        assert_eq!(human_bytes(1_500_000), "1.5 MB");
    }
}
