use super::megatron::{self, IdType, MegatronWriter, ShardLimits};
use super::pretokenize::Pretokenizer;
use super::shuffle::{self, TokenBatch, TokenSpill};
use super::*;
use crate::test_sample::news_texts;

/// Pieces as Python's `regex.findall` gives them for tiktoken 0.14's own patterns (printed by
/// the `regex` package tiktoken depends on), including the trailing-whitespace case where the
/// old cl100k pattern differs.
#[test]
fn pieces_follow_tiktokens_patterns() {
    let cl = Pretokenizer::cl100k().unwrap();
    let o2 = Pretokenizer::o200k().unwrap();
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("a\n  ", &["a", "\n  "], &["a", "\n", "  "]),
        (
            "Hello  world",
            &["Hello", " ", " world"],
            &["Hello", " ", " world"],
        ),
        (
            "It's 12345 o'clock!!\n\n x",
            &["It", "'s", " ", "123", "45", " o", "'clock", "!!\n\n", " x"],
            &["It's", " ", "123", "45", " o", "'clock", "!!\n\n", " x"],
        ),
        ("x \t\ny", &["x", " \t\n", "y"], &["x", " \t\n", "y"]),
        ("end  ", &["end", "  "], &["end", "  "]),
    ];
    for (text, want_cl, want_o2) in cases {
        assert_eq!(
            cl.split(text).collect::<Vec<_>>(),
            *want_cl,
            "cl100k {text:?}"
        );
        assert_eq!(
            o2.split(text).collect::<Vec<_>>(),
            *want_o2,
            "o200k {text:?}"
        );
    }
}

#[test]
fn builtin_encodings_round_trip_and_know_their_special_tokens() {
    let t = load("cl100k_base").unwrap();
    let text = "Tokenizers turn text into ids: ünïcödé, 12345, and <|endoftext|> as plain text.";
    let ids = t.encode(text);
    let Kind::Tiktoken { bpe, .. } = &t.kind else {
        panic!("cl100k_base is a tiktoken encoding")
    };
    assert_eq!(bpe.bpe.decode_tokens(&ids), text.as_bytes());
    assert!(
        !ids.contains(&100257),
        "special-token text is ordinary text"
    );
    assert_eq!(t.special_id("<|endoftext|>"), Some(100257));
    assert_eq!(t.vocab_size(), 100277);
    assert_eq!(
        load("o200k_base").unwrap().special_id("<|endoftext|>"),
        Some(199999)
    );
    assert_eq!(t.count(text), ids.len() as u64);
}

#[test]
fn a_missing_special_token_is_a_config_error_naming_it() {
    let cfg = TokenOutputConfig {
        eos: "</s>".into(),
        ..Default::default()
    };
    let err = DocumentEncoder::new(&cfg).err().unwrap().to_string();
    assert!(err.contains("</s>") && err.contains("eos"), "{err}");
}

#[test]
fn the_index_has_megatrons_header_sizes_pointers_and_document_indices() {
    let dir = tempfile::tempdir().unwrap();
    let limits = ShardLimits {
        max_bytes: 10,
        max_docs: 100,
    };
    let mut w = MegatronWriter::new(dir.path(), IdType::U16, limits);
    w.push("a", &[1, 2, 3]).unwrap();
    w.push("b", &[65_000, 7]).unwrap(); // 10 bytes: the shard closes after it
    w.push("c", &[9]).unwrap();
    let shards = w.finish().unwrap();
    assert_eq!(shards.len(), 2);
    let idx = std::fs::read(shards[0].with_extension("idx")).unwrap();
    assert_eq!(&idx[..9], b"MMIDIDX\x00\x00");
    assert_eq!(u64::from_le_bytes(idx[9..17].try_into().unwrap()), 1);
    assert_eq!(idx[17], 8, "uint16 dtype code");
    assert_eq!(u64::from_le_bytes(idx[18..26].try_into().unwrap()), 2);
    assert_eq!(u64::from_le_bytes(idx[26..34].try_into().unwrap()), 3);
    assert_eq!(&idx[34..42], [3, 0, 0, 0, 2, 0, 0, 0]);
    assert_eq!(i64::from_le_bytes(idx[42..50].try_into().unwrap()), 0);
    assert_eq!(i64::from_le_bytes(idx[50..58].try_into().unwrap()), 6);
    assert_eq!(idx.len(), 34 + 2 * 4 + 2 * 8 + 3 * 8);
    let bin = std::fs::read(&shards[0]).unwrap();
    assert_eq!(bin, [1, 0, 2, 0, 3, 0, 0xe8, 0xfd, 7, 0]);
    let back = megatron::read_shard(&shards[0].with_extension("idx")).unwrap();
    assert_eq!(back, vec![vec![1, 2, 3], vec![65_000, 7]]);
    let back = megatron::read_shard(&shards[1].with_extension("idx")).unwrap();
    assert_eq!(back, vec![vec![9]]);
    let ids = std::fs::read_to_string(dir.path().join("tokens-0000.ids")).unwrap();
    assert_eq!(ids, "[\"a\",3]\n[\"b\",2]\n");
    assert_eq!(IdType::for_vocab(100_277), IdType::I32);
    assert_eq!(IdType::for_vocab(32_000), IdType::U16);
}

#[test]
fn spilled_runs_merge_into_one_key_order_in_any_number_of_rounds() {
    let dir = tempfile::tempdir().unwrap();
    let runs_dir = dir.path().join("runs");
    let mut expected = Vec::new();
    // Two "files", each spilling several runs (the budget floor is 1 MiB: ~26k docs of 8 ids).
    for file in 0..2usize {
        let mut spill = TokenSpill::new(&runs_dir, &format!("f{file:05}"), 0).unwrap();
        for chunk in 0..6u64 {
            let mut batch = TokenBatch::default();
            for i in 0..10_000u64 {
                let position = crate::Document::make_position(file, chunk * 10_000 + i);
                let key = shuffle::shuffle_key(position, 7, true);
                let ids: Vec<u32> = (0..8).map(|k| (position as u32).wrapping_add(k)).collect();
                batch.push_with(key, &format!("d{position}"), |b| b.extend_from_slice(&ids));
                expected.push((key, format!("d{position}"), ids));
            }
            spill.add(&batch).unwrap();
        }
        spill.finish().unwrap();
    }
    expected.sort();
    let mut runs = shuffle::runs_of(&runs_dir, "f00000").unwrap();
    runs.extend(shuffle::runs_of(&runs_dir, "f00001").unwrap());
    assert!(runs.len() >= 4, "{} runs", runs.len());
    for fan_in in [2, shuffle::MAX_FAN_IN] {
        let mut got = Vec::new();
        shuffle::merge_runs_with(runs.clone(), &dir.path().join("merge"), fan_in, &mut |d| {
            got.push((d.key, d.id, d.ids));
            Ok(())
        })
        .unwrap();
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "fan-in {fan_in}: merged order differs");
    }
    // Input order is not the shuffled order, and the shuffle depends on the seed.
    let a: Vec<u64> = (0..100).map(|p| shuffle::shuffle_key(p, 1, true)).collect();
    let b: Vec<u64> = (0..100).map(|p| shuffle::shuffle_key(p, 2, true)).collect();
    assert!(a.windows(2).any(|w| w[0] > w[1]));
    assert_ne!(a, b);
}

#[test]
fn stages_after_token_count_report_tokens_and_rewritten_text_is_recounted() {
    let cfg = crate::PipelineConfig::from_toml(
        "[[stage]]\ntype = \"token_count\"\n[[stage]]\ntype = \"normalize\"\n\
         [[stage]]\ntype = \"length_filter\"\nmin_words = 3\n",
        std::path::Path::new("."),
    )
    .unwrap();
    let pipeline = crate::Pipeline::from_config(&cfg).unwrap();
    let spaced = "Spaced      out     words   here";
    let out = pipeline.process_batch(vec![
        crate::Document::new("a", spaced),
        crate::Document::new("b", "too short"),
    ]);
    let t = load("cl100k_base").unwrap();
    let (before, after, short) = (
        t.count(spaced),
        t.count(&out.kept[0].text),
        t.count("too short"),
    );
    assert_ne!(out.kept[0].text, spaced, "normalize collapsed the spaces");
    assert_ne!(before, after);
    assert_eq!(out.kept[0].metadata["tokens"], after);
    let s = &out.stats;
    assert_eq!(
        (s[0].tokens_in, s[0].tokens_out),
        (before + short, before + short)
    );
    assert_eq!(
        (s[1].tokens_in, s[1].tokens_out),
        (before + short, after + short)
    );
    assert_eq!((s[2].tokens_in, s[2].tokens_out), (after + short, after));
    assert_eq!(s[2].tokens_removed_by_rule["min_words"], short);
}

/// A byte-level BPE tokenizer.json (NFC, GPT-2 pre-tokenizer, `<|endoftext|>` added) trained
/// by the `tokenizers` crate on real text, as its JSON.
fn trained_byte_level_bpe(texts: &[String]) -> serde_json::Value {
    use tokenizers::models::TrainerWrapper;
    use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
    use tokenizers::pre_tokenizers::byte_level::ByteLevel;
    let mut trainer = TrainerWrapper::BpeTrainer(
        BpeTrainerBuilder::new()
            .vocab_size(1000)
            .show_progress(false)
            .special_tokens(vec![tokenizers::AddedToken::from("<|endoftext|>", true)])
            .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
            .build(),
    );
    let mut t = tokenizers::Tokenizer::new(BPE::default());
    t.with_normalizer(Some(tokenizers::normalizers::unicode::NFC));
    t.with_pre_tokenizer(Some(ByteLevel::default().add_prefix_space(false)));
    t.train(&mut trainer, texts.iter().step_by(8)).unwrap();
    serde_json::from_str(&t.to_string(false).unwrap()).unwrap()
}

/// The byte-level fast path gives the `tokenizers` crate's ids on real articles and on the
/// texts its shortcuts must get right (whitespace at the end, an added token in the text, text
/// that NFC changes), for the model as trained and with `ignore_merges` and `add_prefix_space`.
#[test]
fn byte_level_fast_path_matches_the_tokenizers_crate() {
    let mut texts = news_texts();
    let json = trained_byte_level_bpe(&texts);
    texts.extend(
        [
            "",
            " ",
            "a\n  ",
            "end  ",
            "x \t\ny  z",
            "one<|endoftext|>two",
            "cafe\u{301} and cafe\u{301}s",
            "It's 12345 o'clock!!\n\n x",
            "\u{3000}\u{3000}wide  spaces\u{a0}\u{a0}",
        ]
        .map(String::from),
    );
    let mut variants = vec![("as trained", json.clone())];
    let mut v = json.clone();
    v["model"]["ignore_merges"] = true.into();
    variants.push(("ignore_merges", v));
    let mut v = json.clone();
    v["pre_tokenizer"]["add_prefix_space"] = true.into();
    variants.push(("add_prefix_space", v));
    let dir = tempfile::tempdir().unwrap();
    let edge_cases = texts.split_off(texts.len() - 9);
    for (name, json) in variants {
        // All articles for the model as trained, a quarter for its variants (the crate runs
        // unoptimised in tests).
        let take = if name == "as trained" {
            texts.len()
        } else {
            100
        };
        let path = dir.path().join(format!("{}.json", name.replace(' ', "_")));
        std::fs::write(&path, json.to_string()).unwrap();
        let ours = Tokenizer::open(path.to_str().unwrap()).unwrap();
        let Kind::HuggingFace { model, fast } = &ours.kind else {
            panic!("{name}: not a Hugging Face tokenizer")
        };
        assert!(
            fast.is_some(),
            "{name}: the fast path takes a byte-level BPE"
        );
        for text in texts[..take].iter().chain(&edge_cases) {
            let want = model.encode(text.as_str(), false).unwrap();
            assert_eq!(ours.encode(text), want.get_ids(), "{name}: {text:?}");
        }
    }
    // A model with a step the fast path does not reproduce keeps the crate alone.
    let mut v = json;
    v["model"]["dropout"] = 0.1.into();
    assert!(bytelevel::ByteLevelBpe::from_json(&v).is_none());
}
