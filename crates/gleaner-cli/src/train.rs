//! `gleaner train-classifier`: the arguments, and printing what was trained. Reading the examples
//! and training live in the library (`gleaner::train`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Result, bail};
use gleaner::train::fasttext::{TrainParams, train};
use gleaner::train::{ExampleSource, read_examples, shuffle};

/// Train a fastText supervised classifier (softmax) on labelled JSONL or Parquet documents.
///
/// The model file loads in the `fasttext` Python package and in the `classifier` stage.
/// Examples are labelled by a field (--input FILES --label-field NAME) or by the files they come
/// from (--positive FILES --negative FILES, labels `hq` and `cc` as in DCLM's classifier). Each
/// document is one example, its newlines word separators. Training is deterministic for a seed;
/// hyperparameters are fastText's, with its defaults.
#[derive(clap::Args)]
pub struct TrainArgs {
    /// Labelled input files (JSONL or Parquet, plain, .gz or .zst).
    #[arg(long = "input", value_name = "PATH", num_args = 1.., conflicts_with_all = ["positive", "negative"])]
    inputs: Vec<PathBuf>,
    /// The field (JSON key or Parquet column) holding each document's label.
    #[arg(long, value_name = "NAME", requires = "inputs")]
    label_field: Option<String>,
    /// Files whose documents are the positive class.
    #[arg(long, value_name = "PATH", num_args = 1.., requires = "negative")]
    positive: Vec<PathBuf>,
    /// Files whose documents are the negative class.
    #[arg(long, value_name = "PATH", num_args = 1.., requires = "positive")]
    negative: Vec<PathBuf>,
    /// Label of the positive class.
    #[arg(long, default_value = "hq")]
    positive_label: String,
    /// Label of the negative class.
    #[arg(long, default_value = "cc")]
    negative_label: String,
    /// The field holding the text.
    #[arg(long, default_value = "text")]
    text_field: String,
    /// Where to write the model (fastText .bin).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Embedding dimension.
    #[arg(long, default_value_t = 100)]
    dim: usize,
    /// Passes over the examples.
    #[arg(long, default_value_t = 5)]
    epoch: usize,
    /// Initial learning rate.
    #[arg(long, default_value_t = 0.1)]
    lr: f32,
    /// Longest word n-gram.
    #[arg(long = "word-ngrams", alias = "wordNgrams", default_value_t = 1)]
    word_ngrams: usize,
    /// Minimum word count.
    #[arg(long = "min-count", alias = "minCount", default_value_t = 1)]
    min_count: u64,
    /// Hash buckets for n-grams.
    #[arg(long, default_value_t = 2_000_000)]
    bucket: usize,
    /// Shortest character n-gram (0: none).
    #[arg(long, default_value_t = 0)]
    minn: usize,
    /// Longest character n-gram (0: none).
    #[arg(long, default_value_t = 0)]
    maxn: usize,
    /// Loss; only `softmax` is implemented.
    #[arg(long, default_value = "softmax")]
    loss: String,
    /// Seed of the initialisation and of --shuffle.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Shuffle the examples (with the seed) before training; always done with --positive and
    /// --negative, whose examples come grouped by class. fastText itself trains in file order.
    #[arg(long)]
    shuffle: bool,
}

pub fn train_classifier(args: TrainArgs) -> Result<ExitCode> {
    if args.loss != "softmax" {
        bail!("--loss {}: only softmax is implemented", args.loss);
    }
    let source = if args.inputs.is_empty() {
        if args.positive.is_empty() {
            bail!("give --input FILES --label-field NAME, or --positive FILES --negative FILES");
        }
        ExampleSource::Classes(vec![
            (args.positive_label.clone(), args.positive.clone()),
            (args.negative_label.clone(), args.negative.clone()),
        ])
    } else {
        let Some(field) = args.label_field.clone() else {
            bail!("--input needs --label-field NAME");
        };
        ExampleSource::LabelField {
            files: args.inputs.clone(),
            field,
        }
    };
    let start = Instant::now();
    let mut read = read_examples(&source, &args.text_field)?;
    for r in read.rejects.iter().take(10) {
        eprintln!("gleaner: skipped: {r}");
    }
    if read.rejects.len() > 10 {
        eprintln!(
            "gleaner: skipped {} more unreadable records",
            read.rejects.len() - 10
        );
    }
    if read.unlabelled > 0 {
        eprintln!(
            "gleaner: {} documents had no label and were left out",
            read.unlabelled
        );
    }
    if args.shuffle || matches!(source, ExampleSource::Classes(_)) {
        shuffle(&mut read.examples, args.seed);
    }
    let params = TrainParams {
        dim: args.dim,
        epoch: args.epoch,
        lr: args.lr,
        word_ngrams: args.word_ngrams,
        min_count: args.min_count,
        bucket: args.bucket,
        minn: args.minn,
        maxn: args.maxn,
        seed: args.seed,
    };
    let model = train(&read.examples, &params)?;
    model.save(&args.output)?;
    eprintln!(
        "trained on {} examples ({} words, labels {}) in {:.2}s: {}",
        read.examples.len(),
        model.words(),
        model.labels().join(", "),
        start.elapsed().as_secs_f64(),
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
