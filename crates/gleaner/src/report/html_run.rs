//! The report's closing sections: duplicate clusters, the run (passes, timings, inputs,
//! configuration) and rejected input. Split from [`super::html`] to keep each file readable.

use std::fmt::Write;

use serde_json::Value;

use super::collect::ReportData;
use super::html::{escape, human_bytes, link, num, pass_text_bytes};
use super::inspect::compact;

pub(super) fn duplicates(h: &mut String, d: &ReportData) {
    let c = &d.clusters;
    h.push_str("<section><h2>Duplicates</h2>");
    if c.total == 0 {
        h.push_str(
            "<p class=\"dim\">No duplicate clusters recorded (no dedup stage removed a copy).</p>\
             </section>\n",
        );
        return;
    }
    let _ = write!(
        h,
        "<p>{} clusters of two or more copies (from <code>{}</code>).</p>\
         <div class=\"chart\"><canvas data-chart=\"clusters\" aria-label=\"clusters by size\"></canvas></div>\
         <h3>Largest clusters</h3>",
        num(c.total),
        escape(&c.source)
    );
    if c.unreadable_lines > 0 {
        let _ = write!(
            h,
            "<p class=\"warn\">{} lines of {} could not be read.</p>",
            num(c.unreadable_lines),
            crate::executor::layout::SYNDICATION_FILE
        );
    }
    for (i, cl) in c.largest.iter().enumerate() {
        let _ = write!(
            h,
            "<details class=\"cluster\"{}><summary>{} copies · kept <span class=\"id\">{}</span>{}</summary><ul>",
            if i < 3 { " open" } else { "" },
            num(cl.size),
            escape(cl.kept_id.as_deref().unwrap_or("?")),
            match &cl.cluster {
                Value::Null => String::new(),
                v => format!(" · cluster {}", escape(&compact(v))),
            }
        );
        for m in &cl.members {
            let kept = cl.kept_id.as_deref() == Some(m.id.as_str());
            let _ = write!(
                h,
                "<li>{}<span class=\"id\">{}</span> {}</li>",
                if kept { "<b>kept</b> " } else { "" },
                escape(&m.id),
                m.url.as_deref().map(link).unwrap_or_default()
            );
        }
        if cl.size > cl.members.len() as u64 {
            let _ = write!(
                h,
                "<li class=\"dim\">… and {} more</li>",
                num(cl.size - cl.members.len() as u64)
            );
        }
        h.push_str("</ul></details>");
    }
    h.push_str("</section>\n");
}

pub(super) fn run_section(h: &mut String, d: &ReportData) {
    let r = &d.run;
    h.push_str("<section><h2>Run</h2>");
    if let Some(note) = &d.run_note {
        let _ = write!(h, "<p class=\"warn\">{}</p>", escape(note));
    }
    if r.elapsed_secs > 0.0 || r.threads > 0 {
        let _ = write!(
            h,
            "<p>{} threads · {:.2} s wall time · {} input files, {}</p>",
            r.threads,
            r.elapsed_secs,
            num(r.inputs.len() as u64),
            human_bytes(r.inputs.iter().map(|i| i.size).sum())
        );
    }
    if !r.passes.is_empty() {
        h.push_str(
            "<h3>Time and throughput per pass</h3><p class=\"dim\">The stages between two \
             corpus-wide stages run together in one pass over the data, so time is measured per \
             pass; a <i>prepare</i> phase is a corpus-wide stage reading the corpus first.</p>\
             <div class=\"chart\"><canvas data-chart=\"timing\" aria-label=\"seconds per pass\"></canvas></div>\
             <table><thead><tr><th>pass</th><th>stages</th><th class=\"n\">seconds</th>\
             <th class=\"n\">documents</th><th class=\"n\">docs/s</th><th class=\"n\">read</th>\
             <th class=\"n\">text MB/s</th></tr></thead><tbody>",
        );
        for p in &r.passes {
            let rate = |x: f64, digits: usize| {
                if p.elapsed_secs > 0.0 {
                    format!("{:.*}", digits, x / p.elapsed_secs)
                } else {
                    "–".into()
                }
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{:.2}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&p.name),
                p.stages
                    .iter()
                    .map(|s| format!("<code>{}</code>", escape(s)))
                    .collect::<Vec<_>>()
                    .join(" → "),
                p.elapsed_secs,
                num(p.docs),
                rate(p.docs as f64, 0),
                human_bytes(p.bytes),
                rate(pass_text_bytes(d, p) as f64 / 1e6, 1),
            );
        }
        h.push_str("</tbody></table>");
    }
    if !r.inputs.is_empty() {
        h.push_str(
            "<h3>Inputs</h3><table><thead><tr><th>file</th><th class=\"n\">size</th></tr></thead><tbody>",
        );
        for i in r.inputs.iter().take(50) {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td class=\"n\">{}</td></tr>",
                escape(&i.path),
                human_bytes(i.size)
            );
        }
        if r.inputs.len() > 50 {
            let _ = write!(
                h,
                "<tr><td class=\"dim\">… and {} more files</td><td></td></tr>",
                num(r.inputs.len() as u64 - 50)
            );
        }
        h.push_str("</tbody></table>");
    }
    if !r.config_toml.is_empty() {
        let _ = write!(
            h,
            "<h3>Configuration</h3><pre class=\"config\">{}</pre>",
            escape(&r.config_toml)
        );
    }
    h.push_str("</section>\n");
}

pub(super) fn rejects(h: &mut String, d: &ReportData) {
    let s = &d.stats.input;
    if s.rejects == 0 {
        return;
    }
    let _ = write!(
        h,
        "<section><h2>Rejected input</h2><p>{} records could not be read: {}.</p><ul>",
        num(s.rejects),
        s.rejects_by_kind
            .iter()
            .map(|(k, v)| format!("<code>{}</code> {}", escape(k), num(*v)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for r in &d.reject_samples {
        let _ = write!(h, "<li>{}</li>", escape(&r.to_string()));
    }
    h.push_str("</ul></section>\n");
}
