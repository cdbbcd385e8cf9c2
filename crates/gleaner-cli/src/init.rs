//! `gleaner init` and `gleaner stages`: the starter pipeline and the stage catalogue, generated
//! from the engine's own stage registry so they cannot drift from what the engine accepts.

use std::path::Path;

use anyhow::{Context, Result, bail};
use gleaner::stages::registry;

/// The starter pipeline: every section with its defaults, and the two basic stages.
pub fn starter() -> String {
    let mut s = String::from(
        "# gleaner pipeline. Run it with: gleaner run pipeline.toml\n\
         # Relative paths resolve against this file's directory.\n\
         # `gleaner stages` lists every stage type with its default parameters.\n\n\
         [input]\n\
         # Files, directories or glob patterns; JSONL or Parquet, plain, .gz or .zst.\n\
         paths = [\"data/*.jsonl.zst\"]\n\
         # format = \"auto\"        # auto | jsonl | parquet\n\
         # text_field = \"text\"    # JSON field / Parquet column with the text\n\
         # id_field = \"id\"\n\
         # max_record_bytes = \"256MiB\"\n\n\
         [output]\n\
         dir = \"out\"\n\
         # format = \"jsonl\"       # jsonl | parquet | tokens ([output.tokens]: Megatron token shards)\n\
         # compression = \"zst\"    # zst | gz | none (JSONL only)\n\
         # level = 1              # zstd/gzip level; 1 is fast, raise for archival output\n\
         # max_docs_per_shard = 100000\n\
         # max_bytes_per_shard = \"512MiB\"\n\
         # write_removed = true   # removed/ holds removed documents with their reasons\n\n\
         [run]\n\
         # threads = 0            # 0 = one per core\n\
         # memory = \"2GiB\"        # budget for corpus-wide stages (dedup)\n\n",
    );
    for kind in ["normalize", "length_filter"] {
        let info = gleaner::stages::find(kind).expect("built-in stage");
        s.push_str(&format!(
            "# {}\n[[stage]]\ntype = \"{kind}\"\n",
            info.summary
        ));
        let defaults = (info.defaults)();
        if kind == "length_filter" {
            s.push_str("min_words = 50\n# max_words, min_chars, max_chars, min_lines, max_lines\n");
        } else {
            for line in defaults.lines() {
                s.push_str(&format!("# {line}\n"));
            }
        }
        s.push('\n');
    }
    s
}

/// Writes the starter pipeline to `path` (or stdout for `-`).
pub fn write_starter(path: &Path, force: bool) -> Result<()> {
    let text = starter();
    if path == Path::new("-") {
        print!("{text}");
        return Ok(());
    }
    if path.exists() && !force {
        bail!("{} exists; pass --force to replace it", path.display());
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// Every stage type with its summary and defaults.
pub fn stage_listing() -> String {
    let mut s = String::new();
    for info in registry() {
        s.push_str(&format!("{}\n    {}\n", info.kind, info.summary));
        let defaults = (info.defaults)();
        if defaults.trim().is_empty() {
            s.push_str("    (no parameters set by default)\n");
        }
        for line in defaults.lines() {
            s.push_str(&format!("    {line}\n"));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_pipeline_parses_and_builds() {
        let cfg = gleaner::PipelineConfig::from_toml(&starter(), Path::new("/x")).unwrap();
        assert_eq!(cfg.stages.len(), 2);
        gleaner::Pipeline::from_config(&cfg).unwrap();
    }
}
