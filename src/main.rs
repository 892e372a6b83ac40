//! The `newsstance` command line: parses arguments and calls the library.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use newsstance::run::{self, exit, Progress, ScoreOptions};
use newsstance::{eval, explain, pipeline::Engines, stance::target, tone};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// mimalloc instead of the system allocator: documents are allocated on the reader thread and
/// freed on the workers, and rows the other way round; glibc's per-thread arenas make that
/// cross-thread traffic costly (about 6 % of a run's instructions went to malloc and free).
/// Built without transparent huge pages (the `no_thp` feature in Cargo.toml): with them, the
/// arena's sparsely touched pages became 2 MB each, 75–85 MB of peak RSS for nothing.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process. The `no_thp` build only stops mimalloc
/// from asking for them; where the kernel gives them unasked (`/sys/kernel/mm/
/// transparent_hugepage/enabled` = `always`), the arena's pages would be 2 MB again.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE sets a flag of this process and reads no memory; an error
    // (an old kernel) leaves things as they were.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

const EXIT_CODES: &str = "\
Exit codes:
  0  every record was scored and the reports were published
  3  the reports were published, but some records failed (see errors.csv in the output folder)
  1  fatal error (or more failed records than --max-errors): nothing was published and the
     previous reports are untouched
  2  usage or lexicon error: nothing was read";

const MERGE_HELP: &str = "\
Rows (paragraphs, mentions, stances, errors) are put back in input order from each folder's
state_records.tsv, and copied, never all held in memory; actors.csv, countries.csv and dyads.csv
are rebuilt from the exact integer sums of each record, so merging the N shard folders of a run
gives the same bytes as the unsharded run, and merging nights the same bytes as one run over
their inputs in that order (manifest.json aside: it names every part and its manifest's BLAKE3).
An article (same id) in several folders is kept from the first folder in argument order; each
later copy is a row of errors.csv.

Refused, with exit 2 and nothing written: a folder without _SUCCESS (a failed or unfinished
run), with a staging folder beside it (a run is writing it), of another schema version, scored
with other lexicons (unless --allow-lexicon-change), or a sharded run with a shard missing or
given twice.

Exit codes:
  0  merged and published
  3  merged and published; errors.csv has rows
  1  fatal error (unreadable folder, disk full, read-only output): nothing published, the
     previous reports untouched
  2  refused (see above) or usage error: nothing written";

/// Per-actor tone and directed stance from a night's news, as CSV reports for spreadsheets.
#[derive(Parser)]
#[command(name = "newsstance", version, about, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What both readers' training commands take beside their labels: the corpus the labels point
/// into, where the weights go, and the training run's length and seed.
#[derive(Args, Clone)]
struct ReaderRun {
    #[arg(long, value_name = "FILE", default_value = "../shared/corpus/news.jsonl.gz")]
    corpus: PathBuf,
    #[arg(long, value_name = "DIR", default_value = "lexicons")]
    out: PathBuf,
    #[arg(long, default_value_t = 4)]
    epochs: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Where the place model's judged mentions are: the place labels, the mention labels (whose place
/// mentions count too) and the corpus both point into.
#[derive(Args, Clone)]
struct PlaceLabels {
    /// The place labels folder (places.csv).
    #[arg(default_value = "labels/places")]
    labels: PathBuf,
    /// The mention labels folder (mentions.csv).
    #[arg(long, value_name = "DIR", default_value = "labels/mentions")]
    mentions: PathBuf,
    #[arg(long, value_name = "FILE", default_value = "../shared/corpus/news.jsonl.gz")]
    corpus: PathBuf,
}

#[derive(Args, Clone)]
struct LexiconArg {
    /// Folder of lexicon files replacing the built-in ones file by file (actors.csv,
    /// countries.csv, roles.csv, disambiguation.csv, mention_rules.csv, name_words.csv,
    /// place_model.csv, stance_cues.csv, target_model.csv, vader/vader_lexicon.txt, vader/emoji_utf8_lexicon.txt). Default: ./lexicons when it
    /// exists, else the built-in copies.
    #[arg(long, value_name = "DIR")]
    lexicons: Option<PathBuf>,
}

impl LexiconArg {
    fn dir(&self) -> Option<PathBuf> {
        self.lexicons.clone().or_else(|| Path::new("lexicons").is_dir().then(|| PathBuf::from("lexicons")))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Score articles and write the CSV reports (paragraphs, mentions, stances, actors,
    /// countries, dyads, errors, manifest.json) and summary.html into the output folder.
    #[command(after_help = EXIT_CODES)]
    Score {
        /// Input files or folders (recursed, sorted): .txt, .jsonl/.ndjson, .csv, and each of
        /// them gzip-compressed (.gz). `-` reads JSONL from stdin.
        #[arg(value_name = "INPUT", default_value = "seeds")]
        inputs: Vec<PathBuf>,
        /// Output folder; replaced atomically at the end of a successful run.
        #[arg(short, long, value_name = "DIR", default_value = "reports")]
        out: PathBuf,
        #[command(flatten)]
        lexicons: LexiconArg,
        /// Worker threads (default: one per core). The output is identical for any value.
        #[arg(short = 'j', long, value_name = "N")]
        threads: Option<usize>,
        /// Progress display on stderr.
        #[arg(long, value_enum, default_value = "auto")]
        progress: Progress,
        /// No progress and no summary; errors only.
        #[arg(short, long)]
        quiet: bool,
        /// Start every CSV with a UTF-8 byte-order mark, for Excel.
        #[arg(long)]
        bom: bool,
        /// Fail (exit 1, nothing published) when more than N records fail.
        #[arg(long, value_name = "N")]
        max_errors: Option<u64>,
        /// Score only shard I of N (0 <= I < N): the records whose id hashes there (first 16 hex
        /// digits of BLAKE3 of the id, modulo N). Every shard reads the whole listing; run the N
        /// shards anywhere, then `newsstance merge` their folders. Positions in the listing are
        /// kept, so the merge equals one unsharded run byte for byte.
        #[arg(long, value_name = "I/N", value_parser = parse_shard)]
        shard: Option<newsstance::state::Shard>,
        /// Do not write summary.html (the one-page picture of the reports).
        #[arg(long)]
        no_summary: bool,
    },
    /// Combine report folders (the shards of one run, or several nights) into one, as one run
    /// over all their inputs would have written it.
    #[command(after_help = MERGE_HELP)]
    Merge {
        /// Report folders written by `score` (or `merge`), each complete (`_SUCCESS`). Folders
        /// of one sharded run (`score --shard I/N`, same inputs) are interleaved back into input
        /// order and must all be given, once each; other folders follow in argument order.
        #[arg(value_name = "DIR", required = true)]
        parts: Vec<PathBuf>,
        /// Output folder; replaced atomically at the end (a symbolic link is kept and the folder
        /// it points to replaced).
        #[arg(short, long, value_name = "OUT")]
        out: PathBuf,
        /// Keep only articles dated on or after this day (YYYY-MM-DD). With --from or --to,
        /// undated articles and failed records are left out.
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        from: Option<newsstance::document::Date>,
        /// Keep only articles dated on or before this day (YYYY-MM-DD).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        to: Option<newsstance::document::Date>,
        /// Merge folders scored with different lexicon files (otherwise refused: their figures
        /// would not be comparable). The manifest keeps the first folder's lexicon hashes.
        #[arg(long)]
        allow_lexicon_change: bool,
        /// Start every CSV with a UTF-8 byte-order mark, for Excel.
        #[arg(long)]
        bom: bool,
        /// No summary on stderr; errors only.
        #[arg(short, long)]
        quiet: bool,
        /// Do not write summary.html (the one-page picture of the reports).
        #[arg(long)]
        no_summary: bool,
    },
    /// Show, for one text, each sentence's tone, the actors found and each stance event with
    /// its cue: why a number is what it is.
    Explain {
        /// The text (paragraphs separated by blank lines). Reads stdin when neither TEXT nor
        /// --file is given.
        text: Option<String>,
        /// Read the text from a file: an input file of `score` (.txt, .jsonl, .ndjson, .csv, .gz)
        /// is read as `score` reads it (title apart, every record, dates applied); any other
        /// file is one text.
        #[arg(long, value_name = "F")]
        file: Option<PathBuf>,
        #[command(flatten)]
        lexicons: LexiconArg,
    },
    /// VADER tone of each line (split on \n only, no sentence splitting), as CSV
    /// `neg,neu,pos,compound`, identical to Python vaderSentiment 3.3.2.
    Tone {
        /// Input file; stdin when absent or `-`.
        file: Option<PathBuf>,
        #[command(flatten)]
        lexicons: LexiconArg,
    },
    /// Lexicon maintenance.
    #[command(subcommand)]
    Lexicon(LexiconCommand),
    /// Evaluations against public benchmarks.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Train the target-sentiment model.
    #[command(subcommand)]
    Train(TrainCommand),
    /// Tokenize, tag and parse text, one sentence per block of CoNLL-U: what the stages see.
    Parse {
        /// An input file of `score` (.txt, .jsonl, .csv, .gz: every paragraph of every record) or
        /// any other text file; stdin when absent.
        file: Option<PathBuf>,
        #[command(flatten)]
        lexicons: LexiconArg,
    },
    /// Draw corpus paragraphs for labelling (see labels/README.md).
    #[command(subcommand)]
    Sample(SampleCommand),
}

#[derive(Subcommand)]
enum SampleCommand {
    /// Paragraphs naming at least two countries/blocs, drawn in a seeded random order, split by
    /// article; writes OUT/{train,dev,test}.jsonl with `doc_id, paragraph, hash, actors, text`.
    /// The text is for the labellers only: keep OUT outside the project.
    Stance {
        /// The corpus (any `score` input).
        corpus: Vec<PathBuf>,
        /// Article ids never to draw (one per line).
        #[arg(long, value_name = "FILE")]
        reserved: PathBuf,
        #[arg(long, default_value = "newsstance-stance-v1")]
        seed: String,
        #[arg(long, default_value_t = 10_000)]
        train: usize,
        #[arg(long, default_value_t = 800)]
        dev: usize,
        #[arg(long, default_value_t = 800)]
        test: usize,
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        lexicons: LexiconArg,
    },
    /// Actor mentions drawn in a seeded random order (all splits; the split of each is its
    /// article's); writes OUT/mentions.jsonl with the keys, the actor and, for the labellers
    /// only, the paragraph and sentence text. Keep OUT outside the project.
    Mentions {
        corpus: Vec<PathBuf>,
        #[arg(long, value_name = "FILE")]
        reserved: PathBuf,
        #[arg(long, default_value = "newsstance-mentions-v1")]
        seed: String,
        #[arg(long, default_value_t = 3_000)]
        count: usize,
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        lexicons: LexiconArg,
    },
}

#[derive(Subcommand)]
enum LexiconCommand {
    /// Validate every lexicon file; prints each problem as file:line: message. Exit 2 on any.
    Check {
        #[command(flatten)]
        lexicons: LexiconArg,
    },
}

#[derive(Subcommand)]
enum EvalCommand {
    /// The place model (lexicons/place_model.csv) on the judged place mentions of one split
    /// (labels/places and the place mentions of labels/mentions): how many it keeps as the
    /// country and how many it reads as only a city, against the readers.
    Places {
        #[command(flatten)]
        data: PlaceLabels,
        /// train, dev or test.
        #[arg(long, default_value = "test")]
        split: String,
        #[command(flatten)]
        lexicons: LexiconArg,
    },
    /// The target-sentiment model on real labelled mentions (labels/mentions, one split):
    /// macro-F1, accuracy, confusion, predicted vs gold label shares, reliability table and
    /// expected calibration error, and the share of mentions that really are the actor.
    Mentions {
        #[arg(default_value = "labels/mentions")]
        labels: PathBuf,
        #[arg(long, value_name = "FILE", default_value = "../shared/corpus/news.jsonl.gz")]
        corpus: PathBuf,
        /// train, dev or test.
        #[arg(long, default_value = "test")]
        split: String,
        /// Write every miss to this CSV: mentions whose sentiment label differs from the agreed
        /// one, mentions agreed not to be the actor, and mentions the current lexicon no longer
        /// finds, with the sentence (corpus text: a local working file, never commit it).
        #[arg(long, value_name = "OUT.csv")]
        errors: Option<PathBuf>,
        /// The target model alone, without the coverage reader beside it (the figures before it).
        #[arg(long)]
        linear: bool,
        #[command(flatten)]
        lexicons: LexiconArg,
    },
    /// The stance pair model (from the lexicons) on one split of the labelled paragraphs:
    /// precision, recall, F1 over ordered pairs, sign accuracy, confusion table, and the same
    /// for the hand-written rules. Uncertain pairs are counted neither way.
    Stance {
        /// The labels folder (paragraphs.csv, pairs.csv).
        #[arg(default_value = "labels/stance")]
        labels: PathBuf,
        #[arg(long, value_name = "FILE", default_value = "../shared/corpus/news.jsonl.gz")]
        corpus: PathBuf,
        /// train, dev or test.
        #[arg(long, default_value = "test")]
        split: String,
        /// Write every missed and spurious pair with its sentence.
        #[arg(long, value_name = "OUT.csv")]
        errors: Option<PathBuf>,
        /// Also train on a quarter, half and all of the train split and report each on SPLIT.
        #[arg(long)]
        curve: bool,
        #[command(flatten)]
        lexicons: LexiconArg,
    },
    /// Tagger and parser on a CoNLL-U file with gold words: UPOS, XPOS, UAS, LAS (punctuation
    /// counted, LAS on universal relations, as CoNLL 2018) and F1 of key relations.
    Syntax {
        /// A .conllu or .conllu.gz file (e.g. ../shared/treebank/en_ewt/test.conllu.gz).
        file: PathBuf,
        #[command(flatten)]
        lexicons: LexiconArg,
    },
    /// Target-dependent sentiment on a NewsMTSC jsonl file: macro-F1, accuracy, per-class
    /// precision/recall/F1 and the confusion matrix.
    Newsmtsc {
        file: PathBuf,
        /// Write `gid,gold,predicted` for every target.
        #[arg(long, value_name = "OUT.csv")]
        predictions: Option<PathBuf>,
        /// The target model alone, without the coverage reader beside it (the figures before it).
        #[arg(long)]
        linear: bool,
        #[command(flatten)]
        lexicons: LexiconArg,
    },
}

#[derive(Subcommand)]
enum TrainCommand {
    /// Train the place model (is a capital or city mention the country, or only a city?) on the
    /// train split of labels/places and the place mentions of labels/mentions; the prior is the
    /// one of lowest log-loss on dev; writes OUT (a mention reads as a city at P ≥ 0.5). The same
    /// inputs give byte-identical weights.
    Places {
        #[command(flatten)]
        data: PlaceLabels,
        #[arg(long, value_name = "PATH", default_value = "lexicons/place_model.csv")]
        out: PathBuf,
        /// The prior's weight instead of the one chosen on dev.
        #[arg(long)]
        l2: Option<f32>,
        #[command(flatten)]
        lexicons: LexiconArg,
    },
    /// Train the stance pair model on labelled corpus paragraphs (labels/stance): train split to
    /// fit, dev split to choose the threshold; writes OUT/stance_model.txt.gz and prints the dev
    /// figures and the learning curve on dev. The same inputs give byte-identical weights.
    Stance {
        /// The labels folder (paragraphs.csv, pairs.csv).
        #[arg(long, value_name = "DIR", default_value = "labels/stance")]
        labels: PathBuf,
        /// The corpus the labels refer to.
        #[arg(long, value_name = "FILE", default_value = "../shared/corpus/news.jsonl.gz")]
        corpus: PathBuf,
        #[arg(long, value_name = "DIR", default_value = "lexicons")]
        out: PathBuf,
        #[arg(long, default_value_t = 20)]
        epochs: usize,
        /// Strength of the L2 prior on every weight (chosen on dev with the 37,254 train
        /// paragraphs: 0 to 3e-5 give the same figures and the strongest of them is the default;
        /// 1e-4 gives a twentieth and 1e-3 an eighth less recall; with 10,000 paragraphs 1e-3 was
        /// best).
        #[arg(long, default_value_t = 0.00003)]
        l2: f32,
        #[arg(long, default_value_t = 0.01)]
        rate: f32,
        /// Precision the thresholds must reach on dev, with --precision-z standard errors to
        /// spare (the lower end of the Wilson interval of the dev precision).
        #[arg(long, default_value_t = 0.70)]
        min_precision: f64,
        /// Standard errors of the dev precision's margin over --min-precision (1.645: one-sided
        /// 95 %; 0: the plain dev precision, as before session 23).
        #[arg(long, default_value_t = 1.645)]
        precision_z: f64,
        /// The sentence reader (lexicons/reader) reads the candidates whose pair-model
        /// probability of a sign reaches this share of the threshold the pair model alone gets
        /// on dev, and the thresholds are chosen on the combined probabilities (0: no reader).
        #[arg(long, default_value_t = 0.2)]
        reader_share: f32,
        #[command(flatten)]
        lexicons: LexiconArg,
    },
    /// Train the sentence reader beside the stance pair model on the train split's candidates
    /// (labels/stance), with the word vectors of LEXICONS/reader/vectors.txt.gz frozen; writes
    /// OUT/reader/reader.txt.gz and prints dev figures of the reader beside the loaded pair
    /// model. Single thread, fixed seed and order: the same inputs give byte-identical weights.
    /// Run `train stance` afterwards: it chooses the thresholds for the combined probabilities.
    Reader {
        #[arg(long, value_name = "DIR", default_value = "labels/stance")]
        labels: PathBuf,
        #[command(flatten)]
        run: ReaderRun,
        #[command(flatten)]
        lexicons: LexiconArg,
    },
    /// Train the coverage reader beside the target model on NewsMTSC train and the train split
    /// of the real labelled mentions (the target model's own training data; the real classes
    /// re-weighted halfway to balance), with the word vectors of LEXICONS/reader/vectors.txt.gz
    /// frozen; chooses the gate (the target model's top probability under which the reader
    /// reads) on the real dev split and writes OUT/reader/coverage.txt.gz. Single thread, fixed
    /// seed and order: the same inputs give byte-identical weights.
    CoverageReader {
        /// NewsMTSC train.jsonl.
        #[arg(default_value = "tests/data/newsmtsc/train.jsonl")]
        file: PathBuf,
        /// The real labelled mentions.
        #[arg(long, value_name = "DIR", default_value = "labels/mentions")]
        real: PathBuf,
        #[command(flatten)]
        run: ReaderRun,
        /// The gate instead of the one chosen on real dev (the best macro-F1 of the candidates;
        /// ties go to the lower, cheaper one).
        #[arg(long)]
        gate: Option<f64>,
        /// The calibration temperature instead of the one chosen on real dev (the lowest mean
        /// negative log-likelihood of the gold labels at the gate, on a grid 0.5–1.5).
        #[arg(long)]
        temperature: Option<f64>,
        /// The decision shifts of negative and positive, `NEG,POS`, instead of those chosen on
        /// real dev (the best macro-F1 on a grid of −1 to 1 keeping each predicted label
        /// share within 5 points of gold's; `0,0`: the plain arg-max).
        #[arg(long, value_name = "NEG,POS", value_parser = parse_shift)]
        shift: Option<newsstance::stance::coverage::Shift>,
        #[command(flatten)]
        lexicons: LexiconArg,
    },
    /// Word vectors for the sentence reader: skip-gram with negative sampling over every
    /// paragraph of CORPUS outside the reserved articles, one thread, fixed seed and order (the
    /// same corpus gives a byte-identical file); writes OUT/reader/vectors.txt.gz.
    Vectors {
        #[arg(long, value_name = "FILE", default_value = "../shared/corpus/news.jsonl.gz")]
        corpus: PathBuf,
        /// Article ids whose text is never used (one per line).
        #[arg(long, value_name = "FILE", default_value = "../shared/corpus/reserved_ids.txt")]
        reserved: PathBuf,
        #[arg(long, value_name = "DIR", default_value = "lexicons")]
        out: PathBuf,
        #[arg(long, default_value_t = 5)]
        epochs: usize,
        /// Words kept in the file (the most frequent).
        #[arg(long, default_value_t = 40000)]
        keep: usize,
    },
    /// Learn word clusters from unlabelled news (the words of CORPUS, reserved articles skipped);
    /// writes OUT/clusters.tsv.gz. The same corpus gives a byte-identical file.
    Clusters {
        corpus: Vec<PathBuf>,
        /// Article ids whose text is never used (one per line).
        #[arg(long, value_name = "FILE")]
        reserved: Option<PathBuf>,
        #[arg(long, value_name = "DIR", default_value = "lexicons")]
        out: PathBuf,
    },
    /// Train the part-of-speech tagger and dependency parser on a Universal Dependencies
    /// treebank folder (its train.conllu[.gz]); writes OUT/syntax/tagger.txt.gz and parser.txt.gz.
    /// The same data gives byte-identical files.
    Syntax {
        /// Folder with train.conllu or train.conllu.gz (e.g. ../shared/treebank/en_ewt).
        treebank: PathBuf,
        /// Lexicon folder to write into.
        #[arg(long, value_name = "DIR", default_value = "lexicons")]
        out: PathBuf,
        /// Training passes of the tagger (chosen on dev).
        #[arg(long, default_value_t = 10)]
        tagger_epochs: usize,
        /// Training passes of the parser (chosen on dev).
        #[arg(long, default_value_t = 20)]
        parser_epochs: usize,
        /// Drop the tagger's feature rows whose weights are all below this in magnitude (0 keeps
        /// every row; chosen on dev: 1 drops 56 % of the rows for 0.01 UPOS).
        #[arg(long, default_value_t = 1.0)]
        min_tagger_weight: f32,
        /// Drop the parser's feature rows whose weights are all below this in magnitude (0 keeps
        /// every row; chosen on dev: 2 drops 76 % of the rows for 0.1 UAS and 0.04 LAS).
        #[arg(long, default_value_t = 2.0)]
        min_parser_weight: f32,
    },
    /// Train the target-sentiment weights from a NewsMTSC training file (train.jsonl only),
    /// optionally with the train split of real labelled mentions (--real labels/mentions).
    Newsmtsc {
        file: PathBuf,
        /// Where to write the weights.
        #[arg(long, value_name = "PATH", default_value = "lexicons/target_model.csv")]
        out: PathBuf,
        /// Also train on the train split of these real labelled mentions (agreed labels only),
        /// and print the dev figures.
        #[arg(long, value_name = "DIR")]
        real: Option<PathBuf>,
        /// Weight of each real mention relative to a NewsMTSC example (it stands for the
        /// nightly stream). Default: the chosen one (README).
        #[arg(long)]
        real_weight: Option<f64>,
        /// Class re-weighting exponent of the NewsMTSC examples (0 keeps the training
        /// distribution, 1 balances it). Default 0.5 for NewsMTSC alone, the chosen one with
        /// --real (README).
        #[arg(long)]
        class_balance: Option<f64>,
        #[arg(long, value_name = "FILE", default_value = "../shared/corpus/news.jsonl.gz")]
        corpus: PathBuf,
        #[command(flatten)]
        lexicons: LexiconArg,
    },
}

fn main() -> ExitCode {
    no_huge_pages();
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            // A RunError's message already includes its cause; the `{:#}` chain would repeat it.
            let (code, message) =
                match (e.downcast_ref::<run::RunError>(), e.downcast_ref::<newsstance::merge::MergeError>()) {
                    (Some(r), _) => (r.exit_code(), r.to_string()),
                    (None, Some(m)) => (m.exit_code(), m.to_string()),
                    _ => (exit::FATAL, format!("{e:#}")),
                };
            eprintln!("newsstance: error: {message}");
            ExitCode::from(code as u8)
        }
    }
}

fn parse_date(s: &str) -> Result<newsstance::document::Date, String> {
    newsstance::document::Date::parse(s).ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

fn parse_shard(s: &str) -> Result<newsstance::state::Shard, String> {
    newsstance::state::Shard::parse(s)
}

/// Whether `path` is in one of `score`'s input formats.
fn is_input_file(path: &Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    [".txt", ".jsonl", ".ndjson", ".csv"].iter().any(|e| name.ends_with(e))
}

/// Writes to stdout; a closed pipe (`newsstance explain ... | head`) is not an error.
fn out(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn load_engines(lexicons: &LexiconArg) -> anyhow::Result<Engines> {
    Engines::load(lexicons.dir().as_deref()).map_err(|e| run::RunError::Lexicon(e).into())
}

/// Writes `bytes` gzip-compressed (no timestamp, so reruns give the same file) to `target`
/// through a temporary file and a rename: a crash never leaves half a weights file.
/// Calls `f` with every document of the `inputs` whose id is not in `reserved`, in input order
/// (what the corpus-trained models learn from); returns how many. A missing or unreadable input is
/// an error: a model must not be trained on part of the corpus without saying so.
fn for_each_document_outside(
    inputs: &[PathBuf],
    reserved: &std::collections::HashSet<String>,
    mut f: impl FnMut(&newsstance::document::Document),
) -> anyhow::Result<usize> {
    let (files, errors) = newsstance::corpus::discover(inputs);
    if let Some(e) = errors.first() {
        anyhow::bail!("{}: {}", e.input, e.error);
    }
    let mut articles = 0;
    for file in &files {
        for record in newsstance::corpus::open(file) {
            let newsstance::corpus::Record::Document(d) = record else { continue };
            if reserved.contains(&d.id) {
                continue;
            }
            articles += 1;
            f(&d);
        }
    }
    Ok(articles)
}

fn write_gz(target: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = target.with_extension("tmp");
    let mut gz = flate2::GzBuilder::new().mtime(0).write(
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?,
        flate2::Compression::best(),
    );
    gz.write_all(bytes)?;
    gz.finish()?;
    std::fs::rename(&tmp, target).with_context(|| format!("writing {}", target.display()))?;
    Ok(())
}

/// Labelled paragraphs matched to the corpus, with their candidates; reports what did not match.
/// The judged place mentions of each split asked, in order (labels/places and the place
/// mentions of labels/mentions).
fn place_examples(
    engines: &newsstance::pipeline::Engines,
    data: &PlaceLabels,
    splits: &[newsstance::labels::Split],
) -> anyhow::Result<Vec<Vec<newsstance::actors::place::Example>>> {
    use newsstance::stance::mentions as m;
    let (files, errors) = newsstance::corpus::discover(std::slice::from_ref(&data.corpus));
    if let Some(e) = errors.first() {
        anyhow::bail!("{}: {}", e.input, e.error);
    }
    let (mut all, lost) = m::load(engines, &data.mentions, &files)?;
    let (more, lost_places) = m::load_places(engines, &data.labels, &files)?;
    all.extend(more);
    eprintln!("newsstance: {} labelled mentions matched, {} missing or changed", all.len(), lost + lost_places);
    Ok(splits.iter().map(|&s| m::place_examples(&engines.lexicon, &all, s)).collect())
}

fn stance_data(
    engines: &Engines,
    labels: &Path,
    corpus: &Path,
    parse: newsstance::pipeline::Parse,
) -> anyhow::Result<(Vec<newsstance::stance::train::ParagraphData>, newsstance::stance::train::MatchReport)> {
    let labelled = newsstance::labels::load_stance(labels)?;
    let (files, errors) = newsstance::corpus::discover(&[corpus.to_path_buf()]);
    if let Some(e) = errors.first() {
        anyhow::bail!("{}: {}", e.input, e.error);
    }
    let (data, report) = newsstance::stance::train::collect(engines, &files, &labelled, false, parse);
    eprintln!(
        "newsstance: {} labelled paragraphs, {} found in the corpus, {} changed (hash differs), {} missing",
        report.labelled,
        report.found,
        report.hash_mismatch.len(),
        report.missing
    );
    if report.found == 0 {
        anyhow::bail!("no labelled paragraph found in {}", corpus.display());
    }
    Ok((data, report))
}

fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Score { inputs, out, lexicons, threads, progress, quiet, bom, max_errors, shard, no_summary } => {
            let opts = ScoreOptions {
                inputs,
                out,
                lexicons: lexicons.dir(),
                threads: threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1),
                progress,
                quiet,
                bom,
                max_errors,
                shard: shard.unwrap_or(newsstance::state::Shard::ALL),
                summary: !no_summary,
                args: std::env::args().collect(),
            };
            let summary = run::score(&opts)?;
            if !quiet {
                eprintln!(
                    "newsstance: {} documents scored, {} records failed, {} error rows; {:.1} MB in {:.2} s; reports in {}",
                    summary.documents,
                    summary.failed,
                    summary.error_rows,
                    summary.text_bytes as f64 / 1e6,
                    summary.seconds,
                    opts.out.display()
                );
            }
            Ok(summary.exit_code)
        }
        Command::Merge { parts, out, from, to, allow_lexicon_change, bom, quiet, no_summary } => {
            let opts = newsstance::merge::MergeOptions {
                parts,
                out,
                from,
                to,
                allow_lexicon_change,
                bom,
                summary: !no_summary,
                args: std::env::args().collect(),
            };
            let summary = newsstance::merge::merge(&opts)?;
            if !quiet {
                eprintln!(
                    "newsstance: merged {} folders: {} documents, {} duplicates left out, {} error rows; {:.2} s; reports in {}",
                    opts.parts.len(),
                    summary.documents,
                    summary.duplicates,
                    summary.error_rows,
                    summary.seconds,
                    opts.out.display()
                );
            }
            Ok(summary.exit_code)
        }
        Command::Explain { text, file, lexicons } => {
            let engines = load_engines(&lexicons)?;
            let text = match (text, file) {
                (Some(t), _) => t,
                // An input file (.txt, .jsonl, .csv, .gz): its documents as `score` reads them.
                (None, Some(f)) if is_input_file(&f) => {
                    let (files, errors) = newsstance::corpus::discover(std::slice::from_ref(&f));
                    let mut report = String::new();
                    if let Some(e) = errors.first() {
                        anyhow::bail!("{}: {}", e.input, e.error);
                    }
                    for file in &files {
                        for record in newsstance::corpus::open(file) {
                            match record {
                                newsstance::corpus::Record::Document(d) => {
                                    let date = d.date.map(|d| d.to_string()).unwrap_or_else(|| "undated".into());
                                    report.push_str(&format!("== {} ({date}) {}\n", d.id, d.title));
                                    report.push_str(&explain::explain_document(&engines, &d));
                                }
                                newsstance::corpus::Record::Error(e) => {
                                    report.push_str(&format!("== {} line {}: {}\n", e.input, e.line, e.error));
                                }
                            }
                        }
                    }
                    out(&report)?;
                    return Ok(exit::OK);
                }
                (None, Some(f)) => std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?,
                (None, None) => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s).context("reading stdin")?;
                    s
                }
            };
            out(&explain::explain(&engines, &text))?;
            Ok(exit::OK)
        }
        Command::Tone { file, lexicons } => {
            let vader = match lexicons.dir() {
                Some(d) => tone::Vader::load_dir(&d).map_err(|e| anyhow::anyhow!("{e}"))?,
                None => tone::Vader::embedded(),
            };
            let input: Box<dyn BufRead> = match file {
                Some(f) if f.as_os_str() != "-" => Box::new(BufReader::new(
                    std::fs::File::open(&f).with_context(|| format!("opening {}", f.display()))?,
                )),
                _ => Box::new(BufReader::new(std::io::stdin().lock())),
            };
            let stdout = std::io::stdout().lock();
            let mut out = std::io::BufWriter::new(stdout);
            let written = tone::write_tone_csv(&vader, input, &mut out).and_then(|_| out.flush());
            match written {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(anyhow::Error::new(e).context("writing CSV"))
                }
                _ => Ok(exit::OK),
            }
        }
        Command::Lexicon(LexiconCommand::Check { lexicons }) => match Engines::load(lexicons.dir().as_deref()) {
            Ok(e) => {
                let listing: String = e.files.iter().map(|f| format!("ok  {}\n", f.origin)).collect();
                out(&listing)?;
                Ok(exit::OK)
            }
            Err(e) => {
                let listing: String = e.problems.iter().map(|p| format!("{p}\n")).collect();
                out(&listing)?;
                eprintln!("newsstance: {} lexicon problem(s)", e.problems.len());
                Ok(exit::USAGE)
            }
        },
        Command::Eval(EvalCommand::Newsmtsc { file, predictions, linear, lexicons }) => {
            let engines = load_engines(&lexicons)?;
            let coverage = (!linear).then_some(&engines.pair.coverage);
            let examples = eval::load_newsmtsc(&file).with_context(|| format!("reading {}", file.display()))?;
            let report = match predictions {
                Some(p) => {
                    let mut w = std::io::BufWriter::new(
                        std::fs::File::create(&p).with_context(|| format!("creating {}", p.display()))?,
                    );
                    let r = eval::evaluate(&engines.target, &engines.vader, coverage, &examples, Some(&mut w))?;
                    w.flush()?;
                    r
                }
                None => eval::evaluate(&engines.target, &engines.vader, coverage, &examples, None)?,
            };
            out(&report.to_string())?;
            Ok(exit::OK)
        }
        Command::Sample(SampleCommand::Stance { corpus, reserved, seed, train, dev, test, out: dir, lexicons }) => {
            use newsstance::labels::{self, Split};
            let engines = load_engines(&lexicons)?;
            let reserved = labels::read_id_list(
                &std::fs::read_to_string(&reserved).with_context(|| format!("reading {}", reserved.display()))?,
            );
            let (files, errors) = newsstance::corpus::discover(&corpus);
            if let Some(e) = errors.first() {
                anyhow::bail!("{}: {}", e.input, e.error);
            }
            let all = labels::candidates(&engines, &files, &reserved, 2, &seed);
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            for (split, n) in [(Split::Train, train), (Split::Dev, dev), (Split::Test, test)] {
                let path = dir.join(format!("{}.jsonl", split.name()));
                let mut w = std::io::BufWriter::new(
                    std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?,
                );
                let picked: Vec<_> = all.iter().filter(|c| c.split == split).take(n).collect();
                for c in &picked {
                    let line = serde_json::json!({
                        "doc_id": c.doc_id, "paragraph": c.paragraph, "hash": c.hash,
                        "actors": c.actors, "text": c.text,
                    });
                    writeln!(w, "{line}")?;
                }
                w.flush()?;
                eprintln!(
                    "newsstance: {} {} paragraphs (of {} candidates) in {}",
                    picked.len(),
                    split.name(),
                    all.iter().filter(|c| c.split == split).count(),
                    path.display()
                );
            }
            Ok(exit::OK)
        }
        Command::Sample(SampleCommand::Mentions { corpus, reserved, seed, count, out: dir, lexicons }) => {
            let engines = load_engines(&lexicons)?;
            let reserved = newsstance::labels::read_id_list(
                &std::fs::read_to_string(&reserved).with_context(|| format!("reading {}", reserved.display()))?,
            );
            let (files, errors) = newsstance::corpus::discover(&corpus);
            if let Some(e) = errors.first() {
                anyhow::bail!("{}: {}", e.input, e.error);
            }
            let all = newsstance::labels::mention_candidates(&engines, &files, &reserved, &seed);
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let path = dir.join("mentions.jsonl");
            let mut w = std::io::BufWriter::new(
                std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?,
            );
            for c in all.iter().take(count) {
                let line = serde_json::json!({
                    "doc_id": c.doc_id, "paragraph": c.paragraph, "sentence": c.sentence,
                    "start": c.start, "end": c.end, "hash": c.hash, "split": c.split.name(),
                    "actor": c.actor, "country": c.country, "name": c.name, "coverage": c.coverage,
                    "paragraph_text": c.paragraph_text, "sentence_text": c.sentence_text,
                });
                writeln!(w, "{line}")?;
            }
            w.flush()?;
            eprintln!("newsstance: {} mentions (of {}) in {}", count.min(all.len()), all.len(), path.display());
            Ok(exit::OK)
        }
        Command::Train(TrainCommand::Stance {
            labels,
            corpus,
            out: dir,
            epochs,
            l2,
            rate,
            min_precision,
            precision_z,
            reader_share,
            lexicons,
        }) => {
            use newsstance::stance::train as st;
            let engines = load_engines(&lexicons)?;
            // Every sentence the rules point at is parsed for training, whatever the gate of
            // the model being replaced, so the weights depend on the data alone.
            let (mut data, _) = stance_data(&engines, &labels, &corpus, newsstance::pipeline::Parse::All)?;
            if reader_share > 0.0 {
                st::read_all(&engines.pair.reader, &mut data);
            }
            let params = st::Params { epochs, l2, rate, min_precision, precision_z, reader_share };
            for fraction in [0.25, 0.5] {
                let (m, r) = st::train(&data, &params, fraction);
                eprintln!(
                    "newsstance: {:>3.0} % of train: dev thresholds {:?}, P {:.3} R {:.3} F1 {:.3}",
                    fraction * 100.0,
                    m.threshold,
                    r.precision(),
                    r.recall(),
                    r.f1()
                );
            }
            let (model, report) = st::train(&data, &params, 1.0);
            eprintln!(
                "newsstance: 100 % of train: dev thresholds {:?}, parse gate {}, sure {}, reader gate {:?}, P {:.3} R {:.3} F1 {:.3}",
                model.threshold,
                model.gate,
                model.sure,
                model.reader_gate,
                report.precision(),
                report.recall(),
                report.f1()
            );
            let train_n = data.iter().filter(|d| d.split == newsstance::labels::Split::Train).count();
            let header = vec![
                format!("stance pair model trained by `newsstance train stance` on {train_n} labelled corpus paragraphs (labels/stance, train split)"),
                format!("epochs {epochs}, l2 {l2}, rate {rate}; thresholds chosen on dev for precision >= {min_precision} at {precision_z} standard errors (Wilson lower bound); reader share {reader_share}"),
                "features: see src/stance/model.rs; CAMEO/Phoenix dictionaries (MIT) in lexicons/eventdata".to_string(),
            ];
            let mut text = Vec::new();
            model.write(&header, &mut text)?;
            let target = dir.join(newsstance::stance::model::MODEL_FILE);
            write_gz(&target, &text)?;
            let dev: Vec<&st::ParagraphData> =
                data.iter().filter(|d| d.split == newsstance::labels::Split::Dev).collect();
            out(&format!(
                "== dev, model (thresholds {:?})\n{report}== dev, rules\n{}",
                model.threshold,
                st::evaluate_rules(&dev)
            ))?;
            eprintln!("newsstance: weights in {}", target.display());
            Ok(exit::OK)
        }
        Command::Train(TrainCommand::Reader {
            labels,
            run: ReaderRun { corpus, out: dir, epochs, seed },
            lexicons,
        }) => {
            use newsstance::stance::{reader, train as st};
            let engines = load_engines(&lexicons)?;
            let (mut data, _) = stance_data(&engines, &labels, &corpus, newsstance::pipeline::Parse::Gated)?;
            let train: Vec<&st::ParagraphData> =
                data.iter().filter(|d| d.split == newsstance::labels::Split::Train).collect();
            let examples = st::reader_examples(&train);
            let params = reader::TrainParams { epochs, seed, ..reader::TrainParams::default() };
            eprintln!("newsstance: {} train candidates with a window", examples.len());
            let start = std::time::Instant::now();
            let weights = reader::train(&engines.pair.reader.vectors, &examples, &params, |e, loss| {
                eprintln!(
                    "newsstance: epoch {e} of {epochs}: train loss {loss:.4} ({:.0} s)",
                    start.elapsed().as_secs_f64()
                )
            });
            let header = vec![
                format!(
                    "sentence reader (PCNN) trained by `newsstance train reader` on {} candidates of {} labelled corpus paragraphs (labels/stance, train split)",
                    examples.len(),
                    train.len()
                ),
                format!(
                    "{} filters of width 3, distance and tag embeddings of {}, Adam rate {}, batch {}, dropout 0.5, epochs {epochs}, seed {seed}; word vectors reader/vectors.txt.gz (frozen)",
                    reader::F, reader::DPOS, params.rate, params.batch
                ),
                "tensor<TAB>row<TAB>values; see src/stance/reader.rs".to_string(),
            ];
            let target = dir.join(reader::READER_FILE);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            write_gz(&target, weights.write(&reader::SPEC, &header).as_bytes())?;
            eprintln!("newsstance: weights in {}", target.display());
            // Dev, beside the loaded pair model at its own thresholds' reader gate.
            let r = reader::Reader::new(engines.pair.reader.vectors.clone(), weights);
            st::read_all(&r, &mut data);
            let dev: Vec<&st::ParagraphData> =
                data.iter().filter(|d| d.split == newsstance::labels::Split::Dev).collect();
            let mut m = engines.pair.model.clone();
            m.reader_gate = None;
            let st::Params { min_precision, precision_z, .. } = st::Params::default();
            let (t0, r0) = st::choose_threshold(&m, &dev, min_precision, precision_z);
            m.reader_gate = Some([0.2 * t0[0], 0.2 * t0[1]]);
            let (t1, r1) = st::choose_threshold(&m, &dev, min_precision, precision_z);
            m.reader_gate = Some([0.0, 0.0]);
            let (t2, r2) = st::choose_threshold(&m, &dev, min_precision, precision_z);
            out(&format!(
                "== dev (loaded pair model, thresholds chosen on dev for P >= {min_precision} at {precision_z} standard errors)\npair model alone: thresholds {t0:?} P {:.3} R {:.3} F1 {:.3}\nwith the reader where the pair model reaches 0.2 of them: thresholds {t1:?} P {:.3} R {:.3} F1 {:.3}\nwith the reader everywhere: thresholds {t2:?} P {:.3} R {:.3} F1 {:.3}\n",
                r0.precision(), r0.recall(), r0.f1(), r1.precision(), r1.recall(), r1.f1(), r2.precision(), r2.recall(), r2.f1()
            ))?;
            Ok(exit::OK)
        }
        Command::Eval(EvalCommand::Places { data, split, lexicons }) => {
            let split = newsstance::labels::Split::parse(&split).context("--split must be train, dev or test")?;
            let engines = load_engines(&lexicons)?;
            let examples = place_examples(&engines, &data, &[split])?.remove(0);
            let r = newsstance::actors::place::evaluate(engines.lexicon.places(), &examples);
            out(&format!("== {} ({} judged place mentions)\n{r}", split.name(), examples.len()))?;
            Ok(exit::OK)
        }
        Command::Train(TrainCommand::Places { data, out: path, l2, lexicons }) => {
            use newsstance::actors::place;
            use newsstance::labels::Split;
            let engines = load_engines(&lexicons)?;
            let mut ex = place_examples(&engines, &data, &[Split::Train, Split::Dev])?;
            let (dev, train) = (ex.pop().unwrap_or_default(), ex.pop().unwrap_or_default());
            eprintln!("newsstance: {} train and {} dev place mentions", train.len(), dev.len());
            let grid = l2.map_or_else(|| vec![0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1], |x| vec![x]);
            let t = place::train_on_dev(&train, &dev, &grid, |l2, r, n| {
                eprintln!("l2 {l2}: dev log-loss {:.4}, {n} features", r.log_loss);
            })
            .context("no prior to try")?;
            let mut buf = Vec::new();
            place::write(&t.rows, t.bias, place::THRESHOLD, &mut buf)?;
            std::fs::write(&path, &buf).with_context(|| format!("cannot write {}", path.display()))?;
            out(&format!(
                "wrote {} ({} features, l2 {})\n== dev ({} judged place mentions)\n{}",
                path.display(),
                t.rows.len(),
                t.l2,
                dev.len(),
                t.dev
            ))?;
            Ok(exit::OK)
        }
        Command::Eval(EvalCommand::Mentions { labels, corpus, split, errors: misses_out, linear, lexicons }) => {
            let split = newsstance::labels::Split::parse(&split).context("--split must be train, dev or test")?;
            let engines = load_engines(&lexicons)?;
            let coverage = (!linear).then_some(&engines.pair.coverage);
            let (files, errors) = newsstance::corpus::discover(std::slice::from_ref(&corpus));
            if let Some(e) = errors.first() {
                anyhow::bail!("{}: {}", e.input, e.error);
            }
            let (mentions, lost) = newsstance::stance::mentions::load(&engines, &labels, &files)?;
            eprintln!("newsstance: {} labelled mentions matched, {lost} missing or changed", mentions.len());
            let part: Vec<_> = mentions.iter().filter(|m| m.split == split).collect();
            let (r, misses) =
                newsstance::stance::mentions::evaluate_with_misses(&engines.target, &engines.vader, coverage, &part);
            if let Some(path) = &misses_out {
                let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
                newsstance::stance::mentions::write_misses(std::io::BufWriter::new(file), &misses)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                eprintln!("newsstance: {} misses in {}", misses.len(), path.display());
            }
            out(&format!("== {} ({} mentions)\n{r}", split.name(), part.len()))?;
            Ok(exit::OK)
        }
        Command::Eval(EvalCommand::Stance { labels, corpus, split, errors, curve, lexicons }) => {
            use newsstance::stance::train as st;
            let split = newsstance::labels::Split::parse(&split).context("--split must be train, dev or test")?;
            let engines = load_engines(&lexicons)?;
            let (data, _) = stance_data(&engines, &labels, &corpus, newsstance::pipeline::Parse::Gated)?;
            let part: Vec<&st::ParagraphData> = data.iter().filter(|d| d.split == split).collect();
            let mut rows = Vec::new();
            let report = st::evaluate(&engines.pair.model, &part, &mut rows);
            let mut text = format!(
                "== {}, model (thresholds {:?})\n{report}== {}, rules\n{}",
                split.name(),
                engines.pair.model.threshold,
                split.name(),
                st::evaluate_rules(&part)
            );
            if curve {
                // As `train stance` reads them: every rule sentence parsed.
                let (all, _) = stance_data(&engines, &labels, &corpus, newsstance::pipeline::Parse::All)?;
                let all_part: Vec<&st::ParagraphData> = all.iter().filter(|d| d.split == split).collect();
                for fraction in [0.25, 0.5, 1.0] {
                    let (m, _) = st::train(&all, &st::Params::default(), fraction);
                    let r = st::evaluate_gate_simulated(&m, &all_part);
                    text.push_str(&format!(
                        "learning curve: {:>3.0} % of train: P {:.3} R {:.3} F1 {:.3}\n",
                        fraction * 100.0,
                        r.precision(),
                        r.recall(),
                        r.f1()
                    ));
                }
            }
            out(&text)?;
            if let Some(path) = errors {
                let mut w = csv::Writer::from_path(&path).with_context(|| format!("creating {}", path.display()))?;
                w.write_record([
                    "doc_id",
                    "paragraph",
                    "source",
                    "target",
                    "gold",
                    "predicted",
                    "probability",
                    "sentence",
                ])?;
                for e in rows {
                    w.write_record([
                        e.doc_id,
                        e.paragraph.to_string(),
                        e.source,
                        e.target,
                        e.gold.to_string(),
                        e.predicted.to_string(),
                        format!("{:.3}", e.probability),
                        e.sentence,
                    ])?;
                }
                w.flush()?;
            }
            Ok(exit::OK)
        }
        Command::Train(TrainCommand::CoverageReader {
            file,
            real,
            run: ReaderRun { corpus, out: dir, epochs, seed },
            gate,
            temperature,
            shift,
            lexicons,
        }) => {
            use newsstance::stance::coverage as cov;
            let engines = load_engines(&lexicons)?;
            let newsmtsc = eval::load_newsmtsc(&file).with_context(|| format!("reading {}", file.display()))?;
            let (files, errors) = newsstance::corpus::discover(std::slice::from_ref(&corpus));
            if let Some(e) = errors.first() {
                anyhow::bail!("{}: {}", e.input, e.error);
            }
            let (mentions, lost) = newsstance::stance::mentions::load(&engines, &real, &files)?;
            eprintln!("newsstance: {} real mentions matched, {lost} missing or changed", mentions.len());
            let real_train = newsstance::stance::mentions::train_examples(&mentions);
            let vectors = std::sync::Arc::clone(&engines.pair.reader.vectors);
            let mut s = cov::Scratch::default();
            let mut window = |ex: &eval::Example| {
                cov::build_window(&vectors, &ex.sentence, &ex.target, &ex.others, &mut s);
                s.window.clone()
            };
            let cw = cov::real_class_weights(&real_train.iter().map(|e| e.gold.index()).collect::<Vec<_>>(), 0.5);
            let mut windows: Vec<(cov::Window, usize, f32)> = Vec::new();
            for ex in &newsmtsc {
                windows.push((window(ex), ex.gold.index(), 1.0));
            }
            for ex in &real_train {
                windows.push((window(ex), ex.gold.index(), cw[ex.gold.index()]));
            }
            windows.retain(|w| !w.0.is_empty());
            let examples: Vec<(&cov::Window, usize, f32)> = windows.iter().map(|(w, c, x)| (w, *c, *x)).collect();
            eprintln!(
                "newsstance: {} training mentions ({} NewsMTSC, {} real; real class weights {:.3} / {:.3} / {:.3})",
                examples.len(),
                newsmtsc.len(),
                real_train.len(),
                cw[0],
                cw[1],
                cw[2]
            );
            let params = newsstance::stance::pcnn::TrainParams { epochs, seed, ..Default::default() };
            let start = std::time::Instant::now();
            let weights = cov::train(&vectors, &examples, &params, |e, loss| {
                eprintln!(
                    "newsstance: epoch {e} of {epochs}: train loss {loss:.4} ({:.0} s)",
                    start.elapsed().as_secs_f64()
                )
            });
            // Real dev: the target model's scores and the reader's probabilities of every mention.
            let mut reader = cov::CoverageReader::new(std::sync::Arc::clone(&vectors), weights, 1.01, 1.0);
            let dev: Vec<&eval::Example> = mentions
                .iter()
                .filter(|m| m.split == newsstance::labels::Split::Dev && m.sentiment.is_some())
                .map(|m| &m.example)
                .collect();
            let linear: Vec<_> = dev
                .iter()
                .map(|ex| engines.target.score(&engines.vader, &ex.sentence, ex.target.clone(), &ex.others))
                .collect();
            let read: Vec<_> =
                dev.iter().map(|ex| reader.probs(&ex.sentence, &ex.target, &ex.others, &mut s)).collect();
            let gold: Vec<_> = dev.iter().map(|ex| ex.gold).collect();
            let mut table = format!(
                "== real dev ({} agreed mentions): the target model with the reader where its top probability is below the gate\n gate  read  macro-F1 accuracy  shares (neg/neu/pos)   ECE    NLL\n",
                dev.len()
            );
            let mut best = (f64::NEG_INFINITY, 0.0);
            for g in [0.0, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 1.01] {
                reader.gate = g;
                let f = cov::figures(&reader, &linear, &read, &gold);
                let c = &f.report.confusion;
                let n = f.report.total().max(1) as f64;
                let pred = [0, 1, 2].map(|k| (0..3).map(|j| c[j][k]).sum::<u64>() as f64 / n);
                table.push_str(&format!(
                    " {g:4.2} {:5.3}  {:.3}    {:.3}   {:.3} {:.3} {:.3}   {:.3}  {:.3}\n",
                    f.read as f64 / n,
                    f.report.macro_f1(),
                    f.report.accuracy(),
                    pred[0],
                    pred[1],
                    pred[2],
                    f.ece,
                    f.nll
                ));
                if g > 0.0 && f.report.macro_f1() > best.0 + 1e-9 {
                    best = (f.report.macro_f1(), g);
                }
            }
            reader.gate = gate.unwrap_or(best.1);
            table.push_str(&format!("at gate {}: temperature, ECE, NLL\n", reader.gate));
            let mut best_t = (f64::INFINITY, 1.0);
            for t in [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.35, 1.5] {
                reader.temperature = t;
                let f = cov::figures(&reader, &linear, &read, &gold);
                table.push_str(&format!(" {t:4.2}  {:.3}  {:.4}\n", f.ece, f.nll));
                if f.nll < best_t.0 - 1e-12 {
                    best_t = (f.nll, t);
                }
            }
            reader.temperature = temperature.unwrap_or(best_t.1);
            let plain = cov::figures(&reader, &linear, &read, &gold).report.macro_f1();
            match shift {
                Some(s) => reader.shift = s,
                None => {
                    cov::choose_shift(&mut reader, &linear, &read, &gold, 0.05);
                }
            }
            let f = cov::figures(&reader, &linear, &read, &gold);
            let gaps = cov::share_gaps(&f.report);
            table.push_str(&format!(
                "decision shifts negative {} positive {} ({}): macro-F1 {:.3} -> {:.3}, predicted minus gold shares {:+.3} / {:+.3} / {:+.3}\n",
                reader.shift.negative,
                reader.shift.positive,
                if shift.is_some() { "given" } else { "chosen on real dev" },
                plain,
                f.report.macro_f1(),
                gaps[0],
                gaps[1],
                gaps[2]
            ));
            table.push_str(&format!(
                "gate {} ({}), temperature {} ({}): macro-F1 {:.3}, accuracy {:.3}; reliability (probability of the predicted label): bin, count, mean probability, accuracy\n",
                reader.gate,
                if gate.is_some() { "given" } else { "chosen on real dev" },
                reader.temperature,
                if temperature.is_some() { "given" } else { "chosen on real dev" },
                f.report.macro_f1(),
                f.report.accuracy()
            ));
            for (k, (n, p, acc)) in f.bins.iter().enumerate() {
                if *n > 0 {
                    table.push_str(&format!(
                        "  {:.1}-{:.1} {n:>5} {p:>6.3} {acc:>6.3}\n",
                        0.3 + 0.1 * k as f64,
                        0.4 + 0.1 * k as f64
                    ));
                }
            }
            table.push_str(&format!("expected calibration error {:.3}\n", f.ece));
            let header = vec![
                format!(
                    "coverage reader (PCNN) trained by `newsstance train coverage-reader` on {} mentions: NewsMTSC {} and the real train split of {} ({} agreed mentions; classes re-weighted {:.3} / {:.3} / {:.3})",
                    examples.len(),
                    file.display(),
                    real.display(),
                    real_train.len(),
                    cw[0],
                    cw[1],
                    cw[2]
                ),
                format!(
                    "{} filters of width 3, distance and tag embeddings of {}, Adam rate {}, batch {}, dropout 0.5, epochs {epochs}, seed {seed}; word vectors reader/vectors.txt.gz (frozen)",
                    newsstance::stance::pcnn::F,
                    newsstance::stance::pcnn::DPOS,
                    params.rate,
                    params.batch
                ),
                format!(
                    "gate: the target model's top probability under which the reader reads ({}); temperature of the combined probabilities ({})",
                    if gate.is_some() { "given" } else { "the best macro-F1 on real dev" },
                    if temperature.is_some() { "given" } else { "the lowest log-loss on real dev" }
                ),
                format!(
                    "shift_negative, shift_positive: added to those labels' log-probabilities when every mention's label is chosen ({})",
                    if shift.is_some() { "given" } else { "the best macro-F1 on real dev with each label share within 5 points of gold's" }
                ),
                "setting<TAB>name<TAB>value, then tensor<TAB>row<TAB>values; see src/stance/coverage.rs".to_string(),
            ];
            let target = dir.join(cov::COVERAGE_FILE);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            write_gz(&target, reader.write(&header).as_bytes())?;
            eprintln!("newsstance: weights in {}", target.display());
            out(&table)?;
            Ok(exit::OK)
        }
        Command::Train(TrainCommand::Vectors { corpus, reserved, out: dir, epochs, keep }) => {
            use newsstance::stance::vectors as vx;
            let reserved_ids = newsstance::labels::read_id_list(
                &std::fs::read_to_string(&reserved).with_context(|| format!("reading {}", reserved.display()))?,
            );
            let mut tc = vx::TokenCorpus::default();
            let (mut spans, mut buf) = (Vec::new(), String::new());
            let articles = for_each_document_outside(std::slice::from_ref(&corpus), &reserved_ids, |d| {
                for para in d.text.split('\n') {
                    tc.add(para, &mut spans, &mut buf);
                }
            })?;
            eprintln!("newsstance: {articles} articles, {} paragraphs, {} tokens", tc.paragraphs(), tc.token_count());
            let params = vx::SgnsParams { epochs, keep, ..vx::SgnsParams::default() };
            let header = vec![
                format!(
                    "word vectors by `newsstance train vectors` from {} ({articles} articles outside {}, {} paragraphs, {} tokens)",
                    corpus.display(),
                    reserved.display(),
                    tc.paragraphs(),
                    tc.token_count()
                ),
                format!(
                    "skip-gram, {} dimensions, window {}, min_count {}, negative {}, sample {}, epochs {}, seed {}; the {} most frequent words, unit length, i8 with a per-word scale",
                    vx::DIM, params.window, params.min_count, params.negative, params.sample, params.epochs, params.seed, params.keep
                ),
                "word<TAB>scale<TAB>100 values in -127..=127 (vector = scale * value / 127)".to_string(),
            ];
            let text = vx::train(&tc, &params, &header, |e| eprintln!("newsstance: epoch {e} of {epochs}"));
            let target = dir.join(vx::VECTORS_FILE);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            write_gz(&target, text.as_bytes())?;
            eprintln!("newsstance: vectors in {}", target.display());
            Ok(exit::OK)
        }
        Command::Train(TrainCommand::Clusters { corpus, reserved, out: dir }) => {
            let reserved = match reserved {
                Some(r) => newsstance::labels::read_id_list(
                    &std::fs::read_to_string(&r).with_context(|| format!("reading {}", r.display()))?,
                ),
                None => Default::default(),
            };
            let mut sentences = Vec::new();
            let mut spans = Vec::new();
            let articles = for_each_document_outside(&corpus, &reserved, |d| {
                for p in newsstance::segment::segment(&d.text) {
                    for s in p.sentences {
                        newsstance::syntax::tokenize::tokenize(&d.text, s, &mut spans);
                        sentences.push(spans.iter().map(|r| d.text[r.clone()].to_lowercase()).collect::<Vec<_>>());
                    }
                }
            })?;
            let source = format!(
                "{} articles ({} sentences) of {}",
                articles,
                sentences.len(),
                corpus.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            );
            let text = newsstance::syntax::clusters::learn(
                &sentences,
                &source,
                newsstance::syntax::clusters::COARSE,
                newsstance::syntax::clusters::FINE_PER_COARSE,
            );
            let target = dir.join(newsstance::syntax::CLUSTERS_FILE);
            write_gz(&target, text.as_bytes())?;
            eprintln!(
                "newsstance: clusters of {} words from {source} in {}",
                text.lines().count() - 2,
                target.display()
            );
            Ok(exit::OK)
        }
        Command::Train(TrainCommand::Syntax {
            treebank,
            out: dir,
            tagger_epochs,
            parser_epochs,
            min_tagger_weight,
            min_parser_weight,
        }) => {
            let path = ["train.conllu.gz", "train.conllu"]
                .iter()
                .map(|f| treebank.join(f))
                .find(|p| p.exists())
                .with_context(|| format!("no train.conllu[.gz] in {}", treebank.display()))?;
            let train = newsstance::syntax::conllu::read_file(&path)?;
            let clusters_file = newsstance::syntax::read_gz(Some(&dir), newsstance::syntax::CLUSTERS_FILE, &[])
                .map_err(|p| anyhow::anyhow!("{p}"))?;
            let clusters = newsstance::syntax::clusters::Clusters::read(&clusters_file.text)
                .map_err(|(l, m)| anyhow::anyhow!("{}:{l}: {m}", clusters_file.origin))?;
            let mut syntax = newsstance::syntax::train(&train, clusters, tagger_epochs, parser_epochs);
            syntax.prune(min_tagger_weight, min_parser_weight);
            let source = vec![
                format!("clusters: {}", newsstance::syntax::clusters_hash(&clusters_file.text)),
                format!(
                    "trained by `newsstance train syntax` on {} ({} sentences), tagger {tagger_epochs} epochs, parser {parser_epochs} epochs; rows with every weight below {min_tagger_weight} (tagger) / {min_parser_weight} (parser) dropped",
                    path.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default(),
                    train.len()
                ),
                "source: Universal Dependencies English-EWT; licence CC BY-SA 4.0 (derived work); see lexicons/syntax/README.md".to_string(),
            ];
            let (t, p) = syntax.write(&source)?;
            let folder = dir.join("syntax");
            std::fs::create_dir_all(&folder)?;
            for (name, bytes) in [(newsstance::syntax::TAGGER_FILE, t), (newsstance::syntax::PARSER_FILE, p)] {
                let target = dir.join(name);
                write_gz(&target, &bytes)?;
            }
            eprintln!(
                "newsstance: trained on {} sentences: {} tags, {} relations, {} + {} tagger and {} parser feature rows; in {}",
                train.len(),
                syntax.tagger.tags.len(),
                syntax.parser.labels.len(),
                syntax.tagger.first.len(),
                syntax.tagger.second.len(),
                syntax.parser.weights.len(),
                folder.display()
            );
            Ok(exit::OK)
        }
        Command::Eval(EvalCommand::Syntax { file, lexicons }) => {
            let syntax = newsstance::syntax::Syntax::load(lexicons.dir().as_deref())
                .map_err(|p| run::RunError::Lexicon(newsstance::lexicon::LexiconError { problems: vec![p] }))?;
            let gold = newsstance::syntax::conllu::read_file(&file)?;
            out(&newsstance::syntax::eval::evaluate(&syntax, &gold).to_string())?;
            Ok(exit::OK)
        }
        Command::Parse { file, lexicons } => {
            let syntax = newsstance::syntax::Syntax::load(lexicons.dir().as_deref())
                .map_err(|p| run::RunError::Lexicon(newsstance::lexicon::LexiconError { problems: vec![p] }))?;
            let texts: Vec<(String, String)> = match file {
                Some(f) if is_input_file(&f) => {
                    let (files, errors) = newsstance::corpus::discover(std::slice::from_ref(&f));
                    if let Some(e) = errors.first() {
                        anyhow::bail!("{}: {}", e.input, e.error);
                    }
                    let mut v = Vec::new();
                    for file in &files {
                        for record in newsstance::corpus::open(file) {
                            if let newsstance::corpus::Record::Document(d) = record {
                                v.push((d.id.clone(), d.text));
                            }
                        }
                    }
                    v
                }
                Some(f) => vec![(
                    String::new(),
                    std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?,
                )],
                None => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s).context("reading stdin")?;
                    vec![(String::new(), s)]
                }
            };
            let mut report = String::new();
            for (id, text) in &texts {
                report.push_str(&newsstance::syntax::conllu_of_text(&syntax, id, text));
            }
            out(&report)?;
            Ok(exit::OK)
        }
        Command::Train(TrainCommand::Newsmtsc { file, out, real, real_weight, class_balance, corpus, lexicons }) => {
            let vader = tone::Vader::embedded();
            let examples = eval::load_newsmtsc(&file).with_context(|| format!("reading {}", file.display()))?;
            let mut params = if real.is_some() {
                newsstance::stance::mentions::train_params()
            } else {
                target::TrainParams::default()
            };
            params.class_balance = class_balance.unwrap_or(params.class_balance);
            params.real_weight = real_weight.unwrap_or(params.real_weight);
            let mut dev = Vec::new();
            let mut real_examples = Vec::new();
            if let Some(dir) = &real {
                let engines = load_engines(&lexicons)?;
                let (files, errors) = newsstance::corpus::discover(std::slice::from_ref(&corpus));
                if let Some(e) = errors.first() {
                    anyhow::bail!("{}: {}", e.input, e.error);
                }
                let (mentions, lost) = newsstance::stance::mentions::load(&engines, dir, &files)?;
                eprintln!("newsstance: {} real mentions matched, {lost} missing or changed", mentions.len());
                real_examples = newsstance::stance::mentions::train_examples(&mentions);
                dev.extend(mentions.into_iter().filter(|m| m.split == newsstance::labels::Split::Dev));
            }
            let model = target::train_with_real(&examples, &real_examples, &vader, &params);
            if real.is_some() {
                let part: Vec<_> = dev.iter().collect();
                let r = newsstance::stance::mentions::evaluate(&model, &vader, &part);
                let (pred, gold) = r.shares();
                eprintln!(
                    "newsstance: real dev: macro-F1 {:.3}, accuracy {:.3}, shares predicted {:.2}/{:.2}/{:.2} gold {:.2}/{:.2}/{:.2}, ECE {:.3}",
                    r.sentiment.macro_f1(), r.sentiment.accuracy(), pred[0], pred[1], pred[2], gold[0], gold[1], gold[2], r.ece
                );
            }
            let tmp = out.with_extension("csv.tmp");
            {
                let mut w = std::io::BufWriter::new(
                    std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?,
                );
                model.to_csv(&mut w)?;
                w.flush()?;
            }
            std::fs::rename(&tmp, &out).with_context(|| format!("writing {}", out.display()))?;
            eprintln!(
                "newsstance: trained on {} targets; weights in {}",
                examples.len() + real_examples.len(),
                out.display()
            );
            Ok(exit::OK)
        }
    }
}

/// `NEG,POS` for `train coverage-reader --shift`.
fn parse_shift(s: &str) -> Result<newsstance::stance::coverage::Shift, String> {
    let (n, p) = s.split_once(',').ok_or("expected NEG,POS")?;
    let num = |x: &str| x.trim().parse::<f64>().ok().filter(|v| v.is_finite() && v.abs() <= 10.0);
    match (num(n), num(p)) {
        (Some(negative), Some(positive)) => Ok(newsstance::stance::coverage::Shift { negative, positive }),
        _ => Err(format!("`{s}`: two numbers in [-10, 10], NEG,POS")),
    }
}
