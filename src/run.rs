//! The `score` run: reads inputs on one thread, scores documents in parallel batches with rayon,
//! and writes rows and aggregates on another thread in input order, so that the output bytes do
//! not depend on the thread count and memory stays flat whatever the corpus size.

use crate::aggregate::Aggregate;
use crate::corpus::{self, Record, RecordError};
use crate::document::Document;
use crate::lexicon::LexiconError;
use crate::pipeline::{self, DocResult, Engines, Lap, StageCounts, StageTimes};
use crate::report::{EncodedRows, ErrorRow, ReportError, ReportWriter, RowCounts, RowEncoder, StanceRow};
use crate::state::{self, RecordHead, Shard};
use crate::summary::{self, Evidence, SummaryError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use rustc_hash::FxHashSet;
use serde::Serialize;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::time::{Duration, Instant, SystemTime};

/// Documents per parallel batch, and a cap on their text bytes: enough work to keep every core
/// busy, small enough that memory does not grow with the corpus.
const BATCH_DOCS: usize = 256;
const BATCH_BYTES: usize = 4 << 20;

/// Exit codes, documented in `--help` and the README.
pub mod exit {
    /// Every record was scored.
    pub const OK: i32 = 0;
    /// Fatal: nothing published, previous reports untouched.
    pub const FATAL: i32 = 1;
    /// Usage or lexicon error: nothing read.
    pub const USAGE: i32 = 2;
    /// Finished and reports published, but some records failed (see errors.csv).
    pub const PARTIAL: i32 = 3;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Progress {
    /// A progress bar when stderr is a terminal, plain log lines otherwise.
    Auto,
    Always,
    Never,
}

/// Options of one `score` run.
#[derive(Debug, Clone)]
pub struct ScoreOptions {
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    pub lexicons: Option<PathBuf>,
    pub threads: usize,
    pub progress: Progress,
    pub quiet: bool,
    pub bom: bool,
    pub max_errors: Option<u64>,
    /// Score only the records whose id hashes to this shard ([`Shard::ALL`]: every record).
    pub shard: Shard,
    /// Write `summary.html` beside the CSVs (`--no-summary` turns it off).
    pub summary: bool,
    /// The command line, for the manifest.
    pub args: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Lexicon(#[from] LexiconError),
    #[error("writing reports: {0}")]
    Report(#[from] ReportError),
    #[error("writing summary.html: {0}")]
    Summary(#[from] SummaryError),
    #[error("{failed} records failed, more than --max-errors {max}: reports not published")]
    TooManyErrors { failed: u64, max: u64 },
    #[error("{0}")]
    Other(String),
}

impl RunError {
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Lexicon(_) => exit::USAGE,
            _ => exit::FATAL,
        }
    }
}

/// What a finished run reports.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub documents: u64,
    pub failed: u64,
    pub error_rows: u64,
    pub text_bytes: u64,
    pub seconds: f64,
    pub exit_code: i32,
}

/// A record with its position in the input listing (see [`crate::state`]).
type At<T> = (u64, T);

enum Msg {
    Batch(Vec<At<Document>>, Vec<At<RecordError>>),
    InputDone(corpus::InputSummary),
}

/// `manifest.json` of `score` (and, with `parts`, of `merge`).
#[derive(Serialize)]
pub(crate) struct Manifest<'a> {
    pub schema_version: u32,
    pub tool: &'static str,
    pub version: &'static str,
    pub arguments: &'a [String],
    pub started: String,
    pub finished: String,
    pub elapsed_seconds: f64,
    pub threads: usize,
    pub exit_code: i32,
    pub records: Counts,
    /// Seconds the workers spent per pipeline stage, summed over documents (not deterministic).
    pub stage_seconds: StageTimes,
    /// What the costly stages did, summed over documents (deterministic; zeros from `merge`,
    /// like the times).
    pub stage_counts: StageCounts,
    pub inputs: Vec<InputEntry>,
    pub lexicons: Vec<LexiconEntry>,
    pub outputs: Vec<OutputEntry>,
    /// Which shard of the input listing this folder holds (`{"index": 0, "count": 1}`: all).
    pub shard: Shard,
    /// BLAKE3 of the input listing (each input's path, bytes and BLAKE3, in order): the shards
    /// of one run share it, so `merge` knows which folders interleave and which follow each other.
    pub listing: String,
    /// The folders `merge` combined, in argument order (absent for `score`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartEntry>,
    /// Seconds spent building `summary.html` (not deterministic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary_seconds: Option<f64>,
}

#[derive(Serialize, serde::Deserialize, Default, Clone)]
pub(crate) struct Counts {
    pub read: u64,
    pub scored: u64,
    pub failed: u64,
    pub error_rows: u64,
    pub paragraphs: u64,
    pub text_bytes: u64,
}

#[derive(Serialize, serde::Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct InputEntry {
    pub path: String,
    pub bytes: u64,
    pub blake3: String,
    pub records: u64,
    pub failed: u64,
}

#[derive(Serialize, serde::Deserialize, Clone)]
pub(crate) struct LexiconEntry {
    pub name: String,
    pub origin: String,
    pub blake3: String,
}

/// An output file with its size and BLAKE3: the CSVs also with their row count (the page has none).
#[derive(Serialize, serde::Deserialize, Clone)]
pub(crate) struct OutputEntry {
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    #[serde(default)]
    pub bytes: u64,
    #[serde(default)]
    pub blake3: String,
}

/// A folder combined by `merge`.
#[derive(Serialize, Clone)]
pub(crate) struct PartEntry {
    pub path: String,
    /// BLAKE3 of its `manifest.json`.
    pub manifest_blake3: String,
    pub shard: Shard,
    pub listing: String,
}

/// BLAKE3 of an input listing, as the manifest's `listing`.
pub(crate) fn listing_hash(inputs: &[InputEntry]) -> String {
    let json = serde_json::to_vec(inputs).unwrap_or_default();
    blake3::hash(&json).to_hex().to_string()
}

pub(crate) fn output_entries(counts: RowCounts) -> Vec<OutputEntry> {
    counts
        .into_iter()
        .map(|c| OutputEntry { file: c.file, rows: Some(c.rows), bytes: c.bytes, blake3: c.blake3 })
        .collect()
}

/// Writes a failed record's error row and its state record (no contributions): how `score`
/// reports a bad record and `merge` a duplicate article, the same bytes in both.
pub(crate) fn write_error_record(
    writer: &mut ReportWriter,
    encoder: &mut RowEncoder,
    block: &mut Vec<u8>,
    position: u64,
    row: ErrorRow,
) -> Result<(), ReportError> {
    let rows = encoder.encode(&[], &[], &[], std::slice::from_ref(&row));
    writer.append(&rows)?;
    let head = RecordHead {
        document: false,
        position,
        date: None,
        input: row.input,
        line: row.line,
        record_id: row.record_id,
        text_bytes: 0,
        slices: rows.slices(),
    };
    block.clear();
    state::encode_record(block, &head, None);
    writer.record(block)
}

/// Writes `summary.html` into the staging folder and lists it in `manifest`, with its build time.
/// The page's run facts are read from the manifest as written so far, as they would be from a
/// finished folder. `score` and `merge` both end with it.
pub(crate) fn write_summary(
    finished: &crate::report::FinishedReports,
    manifest: &mut Manifest,
    aggregate: &Aggregate,
    evidence: &Evidence,
    country_name: &dyn Fn(&str) -> String,
) -> Result<(), RunError> {
    let page_clock = Instant::now();
    let json = serde_json::to_vec(&*manifest).map_err(|e| RunError::Other(e.to_string()))?;
    let facts = summary::RunFacts::from_manifest(&json).map_err(|e| RunError::Other(e.to_string()))?;
    let html = summary::render(&summary::Input { aggregate, facts: &facts, evidence, country_name })?;
    finished.write_file(summary::FILE, html.as_bytes())?;
    manifest.outputs.push(OutputEntry {
        file: summary::FILE.into(),
        rows: None,
        bytes: html.len() as u64,
        blake3: blake3::hash(html.as_bytes()).to_hex().to_string(),
    });
    manifest.summary_seconds = Some((page_clock.elapsed().as_secs_f64() * 1e6).round() / 1e6);
    Ok(())
}

/// Loads the lexicons (failing before any input is read), then scores every input.
pub fn score(opts: &ScoreOptions) -> Result<RunSummary, RunError> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let engines = Engines::load(opts.lexicons.as_deref())?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| RunError::Other(format!("cannot start threads: {e}")))?;
    let mut writer = ReportWriter::create(&opts.out, opts.bom)?;

    let progress = Reporter::new(opts);
    let (files, discover_errors) = corpus::discover(&opts.inputs);
    let (batch_tx, batch_rx) = sync_channel::<Msg>(2);
    let (result_tx, result_rx) = sync_channel::<ResultBatch>(2);

    let state = std::thread::scope(|scope| -> Result<WriterState, RunError> {
        let shard = opts.shard;
        let reader = scope.spawn(move || read_inputs(files, discover_errors, shard, batch_tx));
        let writer_thread = scope.spawn(|| write_results(&mut writer, result_rx, &progress, opts.summary));
        let mut pending_inputs = Vec::new();
        for msg in batch_rx {
            match msg {
                Msg::InputDone(s) => pending_inputs.push(s),
                Msg::Batch(docs, errors) => {
                    let results: Vec<Scored> = pool.install(|| {
                        docs.par_iter()
                            .map_init(RowEncoder::default, |enc, (pos, d)| {
                                Scored::new(enc, *pos, d, pipeline::process(&engines, d))
                            })
                            .collect()
                    });
                    let bytes: u64 = docs.iter().map(|(_, d)| d.text.len() as u64).sum();
                    progress.advance(docs.len() as u64, bytes);
                    if result_tx.send((results, errors, std::mem::take(&mut pending_inputs))).is_err() {
                        break;
                    }
                }
            }
        }
        if !pending_inputs.is_empty() {
            let _ = result_tx.send((Vec::new(), Vec::new(), pending_inputs));
        }
        drop(result_tx);
        let mut state = writer_thread.join().map_err(|_| RunError::Other("the writer thread panicked".into()))??;
        state.unlisted = reader.join().map_err(|_| RunError::Other("the reader thread panicked".into()))?;
        Ok(state)
    })?;
    progress.finish();

    // Bad records beyond an input's listing cap have no row of their own but still failed.
    let failed = state.failed + state.unlisted;
    let error_rows = state.error_rows;
    if let Some(max) = opts.max_errors {
        // Failed records, plus the oversized paragraphs skipped in scored documents.
        let problems = error_rows + state.unlisted;
        if problems > max {
            return Err(RunError::TooManyErrors { failed: problems, max });
        }
    }
    let exit_code = if error_rows > 0 { exit::PARTIAL } else { exit::OK };
    let country_name = |code: &str| engines.lexicon.country(code).map(|c| c.name.clone()).unwrap_or_default();
    let (finished, counts) = writer.finish(&state.aggregate, &country_name)?;
    let elapsed = clock.elapsed().as_secs_f64();
    let inputs: Vec<InputEntry> = state
        .inputs
        .iter()
        .map(|i| InputEntry {
            path: i.input.clone(),
            bytes: i.bytes,
            blake3: i.blake3.clone(),
            records: i.records,
            failed: i.failed,
        })
        .collect();
    let mut manifest = Manifest {
        schema_version: state::VERSION,
        tool: "newsstance",
        version: env!("CARGO_PKG_VERSION"),
        arguments: &opts.args,
        started: humantime::format_rfc3339_seconds(started).to_string(),
        finished: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        elapsed_seconds: (elapsed * 1000.0).round() / 1000.0,
        threads: opts.threads,
        exit_code,
        stage_seconds: state.times,
        stage_counts: state.counts,
        records: Counts {
            read: state.documents + failed,
            scored: state.documents,
            failed,
            error_rows,
            paragraphs: state.paragraphs,
            text_bytes: state.text_bytes,
        },
        listing: listing_hash(&inputs),
        inputs,
        shard: opts.shard,
        parts: Vec::new(),
        lexicons: engines
            .files
            .iter()
            .map(|f| LexiconEntry { name: f.name.clone(), origin: f.origin.clone(), blake3: f.blake3.clone() })
            .collect(),
        outputs: output_entries(counts),
        summary_seconds: None,
    };
    if opts.summary {
        write_summary(&finished, &mut manifest, &state.aggregate, &state.evidence, &country_name)?;
    }
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| RunError::Other(e.to_string()))?;
    finished.write_file("manifest.json", &json)?;
    finished.publish()?;
    Ok(RunSummary {
        documents: state.documents,
        failed,
        error_rows,
        text_bytes: state.text_bytes,
        seconds: elapsed,
        exit_code,
    })
}

/// The reader thread: streams records into batches, each with its position in the listing,
/// keeps those of `shard`, drops duplicate ids (first one wins). Returns the number of bad records
/// that have no error row of their own (beyond an input's listing cap, see
/// [`corpus::MAX_ERRORS_PER_INPUT`]); in a sharded run, the shard of id "" counts them.
fn read_inputs(
    files: Vec<corpus::InputFile>,
    discover_errors: Vec<RecordError>,
    shard: Shard,
    tx: SyncSender<Msg>,
) -> u64 {
    let mut unlisted = 0;
    let mut position = 0u64;
    let mut next = || {
        position += 1;
        position - 1
    };
    // 128 bits of BLAKE3 per id, not the id itself: memory stays ~16 bytes per document however
    // long the ids are (a false duplicate would need a 2^-128 collision).
    let mut seen: FxHashSet<u128> = FxHashSet::default();
    let mut docs = Vec::new();
    let mut errors: Vec<At<RecordError>> =
        discover_errors.into_iter().map(|e| (next(), e)).filter(|(_, e)| shard.owns(&e.record_id)).collect();
    let mut bytes = 0;
    // The first batches are small, so the workers start after a few documents rather than after
    // 8 MB of parsing; the size then doubles up to the full batch.
    let mut batch_docs = 16;
    for file in &files {
        let mut reader = corpus::open(file);
        let mut rows = 0;
        for record in reader.by_ref() {
            let pos = next();
            match record {
                Record::Document(d) => {
                    if !shard.owns(&d.id) {
                        continue;
                    }
                    if !seen.insert(state::fingerprint(&d.id)) {
                        errors.push((
                            pos,
                            RecordError {
                                input: d.input.clone(),
                                line: d.line,
                                record_id: d.id.clone(),
                                error: DUPLICATE_ID.into(),
                            },
                        ));
                        continue;
                    }
                    bytes += d.text.len();
                    docs.push((pos, d));
                    if docs.len() >= batch_docs || bytes >= BATCH_BYTES {
                        if tx.send(Msg::Batch(std::mem::take(&mut docs), std::mem::take(&mut errors))).is_err() {
                            return unlisted;
                        }
                        bytes = 0;
                        batch_docs = (batch_docs * 2).min(BATCH_DOCS);
                    }
                }
                Record::Error(e) => {
                    rows += 1;
                    if shard.owns(&e.record_id) {
                        errors.push((pos, e));
                    }
                }
            }
        }
        // Flush this file's batch first so its summary follows its records.
        if (!docs.is_empty() || !errors.is_empty())
            && tx.send(Msg::Batch(std::mem::take(&mut docs), std::mem::take(&mut errors))).is_err()
        {
            return unlisted;
        }
        bytes = 0;
        let summary = reader.summary();
        // The rows yielded include the one notice that sums up the unlisted records.
        if shard.owns("") {
            unlisted += summary.failed.saturating_sub(rows);
        }
        if tx.send(Msg::InputDone(summary)).is_err() {
            return unlisted;
        }
    }
    if !docs.is_empty() || !errors.is_empty() {
        let _ = tx.send(Msg::Batch(docs, errors));
    }
    unlisted
}

/// The error of a record whose id was already read (by `score`, or in an earlier folder by
/// `merge`).
pub const DUPLICATE_ID: &str = "duplicate document id (the first one was scored)";

#[derive(Default)]
struct WriterState {
    aggregate: Aggregate,
    documents: u64,
    failed: u64,
    /// Failed records without a row (see [`read_inputs`]).
    unlisted: u64,
    error_rows: u64,
    paragraphs: u64,
    text_bytes: u64,
    inputs: Vec<corpus::InputSummary>,
    times: StageTimes,
    counts: StageCounts,
    /// The strongest sentences per country pair, for `summary.html`.
    evidence: Evidence,
}

type ResultBatch = (Vec<Scored>, Vec<At<RecordError>>, Vec<corpus::InputSummary>);

/// A document's result as the writer thread needs it: rows and state record already encoded
/// (on the worker), and the aggregate to merge.
struct Scored {
    position: u64,
    rows: EncodedRows,
    /// The document's block of `state_records.tsv`.
    record: Vec<u8>,
    aggregate: Aggregate,
    times: StageTimes,
    counts: StageCounts,
    /// The stance rows (already encoded) and the article's publication, for the page's evidence.
    stances: Vec<StanceRow>,
    outlet: String,
}

impl Scored {
    fn new(encoder: &mut RowEncoder, position: u64, doc: &Document, r: DocResult) -> Scored {
        let mut clock = Lap::start();
        let rows = encoder.encode(&r.paragraphs, &r.mentions, &r.stances, &r.errors);
        let head = RecordHead {
            document: true,
            position,
            date: doc.date,
            input: doc.input.clone(),
            line: doc.line,
            record_id: doc.id.clone(),
            text_bytes: doc.text.len() as u64,
            slices: rows.slices(),
        };
        let mut record = Vec::new();
        state::encode_record(&mut record, &head, Some(&r.aggregate));
        let mut times = r.times;
        times.encode = clock.lap();
        let outlet = r.paragraphs.into_iter().next().map(|p| p.source).unwrap_or_default();
        Scored { position, rows, record, aggregate: r.aggregate, times, counts: r.counts, stances: r.stances, outlet }
    }
}

/// The writer thread: rows in input order, aggregates merged in input order.
fn write_results(
    writer: &mut ReportWriter,
    rx: Receiver<ResultBatch>,
    progress: &Reporter,
    evidence: bool,
) -> Result<WriterState, RunError> {
    let mut st = WriterState::default();
    let mut encoder = RowEncoder::default();
    let mut block = Vec::new();
    for (results, errors, inputs) in rx {
        // Failed records and documents interleaved by position: rows in input order, whatever
        // the batches (which differ between a run and its shards).
        let mut errors = errors.into_iter().peekable();
        let mut results = results.into_iter().peekable();
        loop {
            let error_first = match (errors.peek(), results.peek()) {
                (Some((p, _)), Some(r)) => *p < r.position,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if error_first {
                let Some((position, e)) = errors.next() else { break };
                st.failed += 1;
                st.error_rows += 1;
                let row = ErrorRow { input: e.input, line: e.line, record_id: e.record_id, error: e.error };
                write_error_record(writer, &mut encoder, &mut block, position, row)?;
                continue;
            }
            let Some(r) = results.next() else { break };
            let [paragraphs, _, _, errors] = r.rows.rows();
            st.documents += 1;
            st.paragraphs += paragraphs;
            st.error_rows += errors;
            writer.append(&r.rows)?;
            writer.record(&r.record)?;
            st.aggregate.merge(r.aggregate);
            st.times.add(&r.times);
            st.counts.add(&r.counts);
            if evidence {
                r.stances.iter().for_each(|row| st.evidence.offer(row, &r.outlet));
            }
        }
        st.inputs.extend(inputs);
        progress.errors(st.error_rows);
    }
    st.text_bytes = progress.bytes();
    Ok(st)
}

/// Progress for people (an indicatif bar on a terminal) or for logs (a plain line every few
/// seconds on stderr). Data never goes to stderr.
struct Reporter {
    bar: Option<ProgressBar>,
    log: bool,
    docs: std::sync::atomic::AtomicU64,
    bytes: std::sync::atomic::AtomicU64,
    errors: std::sync::atomic::AtomicU64,
    start: Instant,
    last_log: std::sync::Mutex<Instant>,
}

impl Reporter {
    fn new(opts: &ScoreOptions) -> Reporter {
        let terminal = std::io::stderr().is_terminal();
        let bar_wanted =
            !opts.quiet && (opts.progress == Progress::Always || (opts.progress == Progress::Auto && terminal));
        let bar = bar_wanted.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed_precise} {human_pos} documents {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Reporter {
            log: !opts.quiet && bar.is_none() && opts.progress != Progress::Never,
            bar,
            docs: 0.into(),
            bytes: 0.into(),
            errors: 0.into(),
            start: Instant::now(),
            last_log: std::sync::Mutex::new(Instant::now()),
        }
    }

    fn advance(&self, docs: u64, bytes: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        let d = self.docs.fetch_add(docs, Relaxed) + docs;
        let b = self.bytes.fetch_add(bytes, Relaxed) + bytes;
        let mb = b as f64 / 1e6;
        let rate = mb / self.start.elapsed().as_secs_f64().max(1e-9);
        if let Some(bar) = &self.bar {
            bar.set_position(d);
            bar.set_message(format!("{mb:.1} MB ({rate:.1} MB/s), {} error rows", self.errors.load(Relaxed)));
        } else if self.log {
            let mut last = self.last_log.lock().unwrap_or_else(|e| e.into_inner());
            if last.elapsed() >= Duration::from_secs(5) {
                *last = Instant::now();
                eprintln!(
                    "newsstance: {d} documents, {mb:.1} MB scored ({rate:.1} MB/s), {} error rows",
                    self.errors.load(Relaxed)
                );
            }
        }
    }

    fn errors(&self, n: u64) {
        self.errors.store(n, std::sync::atomic::Ordering::Relaxed);
    }

    fn bytes(&self) -> u64 {
        self.bytes.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
