//! The `gleaner` command: argument parsing, progress bars and printing over the gleaner engine.
//! Everything that decides what happens to a document lives in the `gleaner` library crate.

mod init;
mod summary;
mod train;

/// mimalloc instead of the system allocator: a run allocates and frees a few buffers per
/// document on every thread, and glibc's malloc/free measured ~11% of a read→normalize→write
/// run (bench/throughput.py, perf); mimalloc's thread-local free lists make that a few percent.
/// Its v2 line rather than v3: v3 kept taking fresh pages (80 MB peak RSS on a 122 MB
/// read→normalize→write run against 47 MB), and first-touch zeroing of fresh pages was up to a
/// quarter of that run's CPU time in perf.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use gleaner::PipelineConfig;
use gleaner::config::ByteSize;
use gleaner::executor::{self, Progress, RunOptions, layout};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Turn raw web documents into clean, deduplicated, quality-filtered text corpora, with a reason
/// for every removed byte.
#[derive(Parser)]
#[command(name = "gleaner", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a pipeline file over input documents.
    ///
    /// Reads JSONL or Parquet (plain, .gz or .zst) from the files, directories or glob patterns
    /// given by --input (or the file's [input] paths), runs the stages in order, and writes to the
    /// output directory: kept/ (kept documents), removed/ (removed documents, each with its
    /// reason), audit/ (lines removed from kept documents), rejects.jsonl (input that could not be
    /// read), stats.json, run.json and pipeline.toml. A killed run started again with the same
    /// command resumes where it stopped; input files changed since are redone. One run at a time
    /// writes into an output directory, and gleaner never reads its own output directories
    /// (recognised by their run files) as input.
    Run {
        /// The pipeline file (TOML). `gleaner init` writes a starter one.
        pipeline: PathBuf,
        /// Input files, directories or glob patterns; replaces the file's [input] paths.
        #[arg(short, long = "input", value_name = "PATH", num_args = 1..)]
        inputs: Vec<PathBuf>,
        /// Output directory; replaces the file's [output] dir.
        #[arg(short, long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Worker threads [default: the file's [run] threads, else one per core].
        #[arg(short = 'j', long, value_name = "N")]
        threads: Option<usize>,
        /// Memory budget for corpus-wide stages such as dedup, e.g. 2GiB [default: the file's
        /// [run] memory, else 2GiB].
        #[arg(long, value_name = "SIZE")]
        memory: Option<ByteSize>,
        /// Replace a previous run's output in the output directory instead of refusing to start.
        #[arg(long)]
        overwrite: bool,
        /// Exit with status 1 if any input record was rejected.
        #[arg(long)]
        strict: bool,
        /// No progress bar and no summary table.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Write a commented starter pipeline file.
    Init {
        /// Where to write it; `-` prints it.
        #[arg(default_value = "pipeline.toml")]
        path: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// List the stage types a pipeline can use, with their default parameters.
    Stages,
    /// Show one document of a finished run as it came in, line by line.
    ///
    /// Each line a stage removed is marked with the stage, the rule, the value it measured and
    /// the threshold; the document's fate (kept, or removed and why) and its duplicates follow.
    /// Colour on a terminal, plain text when piped or with NO_COLOR set.
    Inspect {
        /// The run's output directory.
        output_dir: PathBuf,
        /// The document's id.
        #[arg(long)]
        id: String,
        /// Print the inspection as JSON instead.
        #[arg(long)]
        json: bool,
    },
    /// Write (or rewrite) report.html for a finished run's output directory.
    Report {
        /// The run's output directory.
        output_dir: PathBuf,
    },
    /// Write a built-in tokenizer's vocabulary (cl100k_base, o200k_base) as tiktoken's
    /// `.tiktoken` file, byte for byte the file tiktoken downloads: put it in
    /// `TIKTOKEN_CACHE_DIR` under the SHA-1 of its URL to run tiktoken offline on the same
    /// vocabulary.
    Vocab {
        /// `cl100k_base` or `o200k_base`.
        name: String,
        /// Where to write it; `-` prints it.
        #[arg(short, long, default_value = "-")]
        output: PathBuf,
    },
    /// Train a fastText classifier for the `classifier` stage.
    TrainClassifier(train::TrainArgs),
    /// Dedup indexes (`save_index` / `against` of exact_dedup, minhash_dedup, line_dedup).
    Index {
        #[command(subcommand)]
        command: IndexCommand,
    },
}

#[derive(Subcommand)]
enum IndexCommand {
    /// Print an index's manifest: stage, parameters, documents, entries, inputs.
    Info {
        /// The index directory.
        dir: PathBuf,
        /// Print the manifest as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Merge indexes of the same stage and parameters into one, as if their corpora had been one
    /// run in the order given (a streaming merge of their sorted files).
    Merge {
        /// The indexes, earliest corpus first.
        #[arg(required = true, num_args = 2..)]
        inputs: Vec<PathBuf>,
        /// The merged index (written beside it, then renamed into place).
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
        /// Worker threads [default: one per core].
        #[arg(short = 'j', long, value_name = "N")]
        threads: Option<usize>,
        /// Memory budget, e.g. 2GiB: the merge holds 4 bytes per entry (12 more per
        /// representative with jaccard_threshold) and refuses to start beyond it.
        #[arg(long, value_name = "SIZE", default_value = "2GiB")]
        memory: ByteSize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            pipeline,
            inputs,
            output,
            threads,
            memory,
            overwrite,
            strict,
            quiet,
        } => run(RunArgs {
            pipeline,
            inputs,
            output,
            threads,
            memory,
            overwrite,
            strict,
            quiet,
        }),
        Command::Init { path, force } => {
            init::write_starter(&path, force).map(|_| ExitCode::SUCCESS)
        }
        Command::Stages => {
            print!("{}", init::stage_listing());
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect {
            output_dir,
            id,
            json,
        } => inspect(&output_dir, &id, json),
        Command::Vocab { name, output } => write_vocab(&name, &output),
        Command::Index { command } => index(command),
        Command::Report { output_dir } => gleaner::report::write_report(&output_dir)
            .map(|p| {
                println!("{}", p.display());
                ExitCode::SUCCESS
            })
            .map_err(Into::into),
        Command::TrainClassifier(args) => train::train_classifier(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gleaner: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn write_vocab(name: &str, output: &std::path::Path) -> Result<ExitCode> {
    let mut buf = Vec::new();
    gleaner::tokens::write_tiktoken_vocab(name, &mut buf)?;
    if output.as_os_str() == "-" {
        std::io::stdout().lock().write_all(&buf)?;
    } else {
        gleaner::io::write_atomic(output, &buf)?;
    }
    Ok(ExitCode::SUCCESS)
}

struct RunArgs {
    pipeline: PathBuf,
    inputs: Vec<PathBuf>,
    output: Option<PathBuf>,
    threads: Option<usize>,
    memory: Option<ByteSize>,
    overwrite: bool,
    strict: bool,
    quiet: bool,
}

fn run(args: RunArgs) -> Result<ExitCode> {
    let mut cfg = PipelineConfig::load(&args.pipeline)?;
    executor::RunOverrides {
        inputs: args.inputs,
        output: args.output,
        memory: args.memory,
    }
    .apply(&mut cfg);
    let opts = RunOptions {
        threads: args.threads.unwrap_or(0),
        overwrite: args.overwrite,
    };
    let progress = Arc::new(Progress::default());
    let show = !args.quiet && std::io::stderr().is_terminal();
    let bar = show.then(|| spawn_progress(progress.clone()));
    let result = executor::run(&cfg, &opts, progress);
    if let Some((bar, handle, stop)) = bar {
        stop.store(true, Ordering::Relaxed);
        let _ = handle.join();
        bar.finish_and_clear();
    }
    let summary = result.context("run failed")?;
    // Not errors, but nothing a user should miss (inputs left out, work redone): shown even
    // with --quiet.
    for notice in &summary.info.notices {
        eprintln!("gleaner: note: {notice}");
    }
    if !args.quiet {
        eprint!("{}", summary::table(&summary));
    }
    if !args.quiet && cfg.output.report {
        eprintln!(
            "report: {}",
            summary.out_dir.join(layout::REPORT_FILE).display()
        );
    }
    let input = &summary.stats.input;
    if let Some(message) = summary.nothing_readable() {
        eprintln!("gleaner: error: {message}");
        return Ok(ExitCode::from(2));
    }
    if args.strict && input.rejects > 0 {
        eprintln!(
            "gleaner: --strict: {} input records were rejected",
            input.rejects
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn index(command: IndexCommand) -> Result<ExitCode> {
    use gleaner::dedup::index::IndexDir;
    match command {
        IndexCommand::Info { dir, json } => {
            let m = IndexDir::open(&dir)?.manifest;
            if json {
                println!("{}", serde_json::to_string_pretty(&m)?);
            } else {
                print!("{}", m.describe());
            }
        }
        IndexCommand::Merge {
            inputs,
            output,
            threads,
            memory,
        } => {
            let m = gleaner::dedup::index_merge::merge_indexes_within(
                &inputs,
                &output,
                threads.unwrap_or(0),
                memory.0,
            )?;
            eprintln!(
                "merged {} indexes into {}: {} documents, {} entries, {} keys",
                inputs.len(),
                output.display(),
                m.documents,
                m.entries,
                m.keys
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn inspect(output_dir: &std::path::Path, id: &str, json: bool) -> Result<ExitCode> {
    let ins = gleaner::report::inspect(output_dir, id)?;
    // AutoStream keeps colours on a terminal and strips them when piped or with NO_COLOR.
    let mut out = anstream::stdout();
    let written = if json {
        serde_json::to_writer_pretty(&mut out, &ins)
            .map_err(std::io::Error::from)
            .and_then(|_| writeln!(out))
    } else {
        gleaner::report::render_text(&ins, &mut out)
    };
    match written {
        // `gleaner inspect ... | head` closing the pipe early is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

type BarThread = (
    ProgressBar,
    std::thread::JoinHandle<()>,
    Arc<std::sync::atomic::AtomicBool>,
);

/// Draws the progress bar from the executor's counters on a thread of its own, so workers never
/// wait on the terminal.
fn spawn_progress(progress: Arc<Progress>) -> BarThread {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {prefix:.bold} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (b, s) = (bar.clone(), stop.clone());
    let handle = std::thread::spawn(move || {
        let mut phase = String::new();
        let mut phase_start = std::time::Instant::now();
        while !s.load(Ordering::Relaxed) {
            let now_phase = progress.phase.lock().map(|p| p.clone()).unwrap_or_default();
            if now_phase != phase {
                phase = now_phase;
                phase_start = std::time::Instant::now();
                b.reset();
                b.set_prefix(phase.clone());
            }
            b.set_length(progress.bytes_total.load(Ordering::Relaxed));
            b.set_position(progress.bytes_done.load(Ordering::Relaxed));
            let docs = progress.docs_done.load(Ordering::Relaxed);
            let secs = phase_start.elapsed().as_secs_f64().max(1e-3);
            b.set_message(format!("{docs} docs, {:.0} docs/s", docs as f64 / secs));
            std::thread::sleep(Duration::from_millis(150));
        }
    });
    (bar, handle, stop)
}
