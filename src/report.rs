//! Stage `report`: tidy CSV files for spreadsheets, written into a staging folder and published
//! atomically.
//!
//! CSV: RFC 4180 (quotes only where needed), UTF-8 (optional BOM for Excel), header row, stable
//! column order, ISO 8601 dates, dot decimals with 4 places. Text cells that a spreadsheet would
//! run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) get a leading `'`; evidence is
//! one line and cut below Excel's 32,767-character cell limit.
//!
//! Publication: every file is written into `.<DIR>.staging-<pid>` beside DIR, fsynced, and the
//! whole folder then replaces DIR in one atomic `renameat2(RENAME_EXCHANGE)` (Linux); files in
//! DIR that newsstance does not write (a README) are carried over. Where the exchange is not
//! supported, files are renamed one by one after removing `_SUCCESS`, which is written last.

use crate::aggregate::{ActorKey, Aggregate, Sum};
use crate::document::Date;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files newsstance writes into DIR; everything else there is left alone.
pub const OUTPUT_FILES: &[&str] = &[
    "paragraphs.csv",
    "mentions.csv",
    "stances.csv",
    "actors.csv",
    "countries.csv",
    "dyads.csv",
    "errors.csv",
    crate::state::RECORDS_FILE,
    crate::state::SUMS_FILE,
    "summary.html",
    "manifest.json",
    "_SUCCESS",
];

/// Excel's cell limit is 32,767 characters; evidence is cut a little below it.
pub const MAX_CELL_CHARS: usize = 32_000;

pub const PARAGRAPHS_HEADER: &[&str] =
    &["doc_id", "date", "source", "paragraph", "sentences", "tone", "positive", "neutral", "negative", "actors"];
pub const MENTIONS_HEADER: &[&str] = &[
    "doc_id",
    "date",
    "paragraph",
    "sentence",
    "actor",
    "country",
    "alias",
    "sentiment",
    "name",
    "kind",
    "label",
    "found_by",
    "confidence",
];
pub const STANCES_HEADER: &[&str] = &[
    "doc_id",
    "date",
    "paragraph",
    "sentence",
    "source",
    "source_country",
    "target",
    "target_country",
    "score",
    "cue",
    "evidence",
    "source_rule",
    "confidence",
];
pub const ACTORS_HEADER: &[&str] = &[
    "date",
    "actor",
    "name",
    "country",
    "kind",
    "documents",
    "mentions",
    "sentiment",
    "stance_out",
    "stance_out_events",
    "stance_in",
    "stance_in_events",
];
pub const COUNTRIES_HEADER: &[&str] = &[
    "date",
    "country",
    "documents",
    "mentions",
    "sentiment",
    "stance_out",
    "stance_out_events",
    "stance_in",
    "stance_in_events",
    "name",
];
pub const DYADS_HEADER: &[&str] =
    &["date", "source_country", "target_country", "events", "documents", "stance", "negative_share", "positive_share"];
pub const ERRORS_HEADER: &[&str] = &["input", "line", "record_id", "error"];

/// A row of `paragraphs.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParagraphRow {
    pub doc_id: String,
    pub date: Option<Date>,
    pub source: String,
    /// 1-based.
    pub paragraph: u32,
    pub sentences: u32,
    pub tone: f64,
    pub positive: f64,
    pub neutral: f64,
    pub negative: f64,
    /// Distinct country codes mentioned, in first-mention order, `;`-separated.
    pub actors: String,
}

/// A row of `mentions.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct MentionRow {
    pub doc_id: String,
    pub date: Option<Date>,
    pub paragraph: u32,
    pub sentence: u32,
    /// The actor (id, name, country, kind), shared by all rows of that actor.
    pub actor: Arc<ActorKey>,
    pub alias: String,
    pub sentiment: f64,
    pub label: &'static str,
    pub found_by: &'static str,
    /// The target model's probability for `label`.
    pub confidence: f64,
}

/// A row of `stances.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct StanceRow {
    pub doc_id: String,
    pub date: Option<Date>,
    pub paragraph: u32,
    pub sentence: u32,
    pub source: Arc<ActorKey>,
    pub target: Arc<ActorKey>,
    pub score: f64,
    pub cue: String,
    pub evidence: String,
    pub source_rule: &'static str,
    /// The pair model's probability for the row's sign.
    pub confidence: f64,
}

/// A row of `errors.csv`: a record that could not be scored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRow {
    pub input: String,
    pub line: u64,
    pub record_id: String,
    pub error: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
}

/// Writes a fixed-precision decimal (4 places) without going through `format!`.
fn push_fixed4(out: &mut Vec<u8>, x: f64) {
    if !x.is_finite() {
        return;
    }
    let v = (x * 10_000.0).round() as i64;
    if v < 0 {
        out.push(b'-');
    }
    let a = v.unsigned_abs();
    push_int(out, a / 10_000);
    let f = (a % 10_000) as u16;
    let digit = |d: u16| b'0' + (d % 10) as u8;
    out.extend_from_slice(&[b'.', digit(f / 1000), digit(f / 100), digit(f / 10), digit(f)]);
}

/// Writes an integer in decimal without going through `format!`.
fn push_int(out: &mut Vec<u8>, mut n: u64) {
    if n < 10 {
        out.push(b'0' + n as u8);
        return;
    }
    let mut buf = [0u8; 20];
    let mut start = buf.len();
    while n > 0 {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&buf[start..]);
}

/// Neutralises spreadsheet formulas in a text cell.
pub fn guard_text(s: &str) -> std::borrow::Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => std::borrow::Cow::Owned(format!("'{s}")),
        _ => std::borrow::Cow::Borrowed(s),
    }
}

/// Evidence as one spreadsheet cell: line breaks become spaces, cut on a character boundary
/// below the cell limit, formula-guarded. Excel counts UTF-16 code units (an emoji is two), so
/// the cut does too.
pub fn evidence_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_CELL_CHARS * 4));
    let mut units = 0;
    for c in s.chars() {
        units += c.len_utf16();
        if units > MAX_CELL_CHARS {
            break;
        }
        out.push(if matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}') { ' ' } else { c });
    }
    match guard_text(&out) {
        std::borrow::Cow::Owned(g) => g,
        std::borrow::Cow::Borrowed(_) => out,
    }
}

/// An ISO 8601 date (`YYYY-MM-DD`) without going through `format!`; empty when undated.
fn date_cell(d: Option<Date>) -> ([u8; 10], usize) {
    let mut buf = [0u8; 10];
    let Some(d) = d else { return (buf, 0) };
    let y = d.year.min(9999);
    for (i, v) in [y / 1000, y / 100 % 10, y / 10 % 10, y % 10].into_iter().enumerate() {
        buf[i] = b'0' + v as u8;
    }
    buf[4] = b'-';
    buf[5] = b'0' + d.month / 10 % 10;
    buf[6] = b'0' + d.month % 10;
    buf[7] = b'-';
    buf[8] = b'0' + d.day / 10 % 10;
    buf[9] = b'0' + d.day % 10;
    (buf, 10)
}

/// Bytes that make a field need quotes (RFC 4180: delimiter, quote, line breaks).
const NEEDS_QUOTES: [bool; 256] = {
    let mut t = [false; 256];
    t[b',' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\r' as usize] = true;
    t[b'\n' as usize] = true;
    t
};

/// CSV rows built in memory: fields quoted only where needed (quotes doubled inside), `,`
/// between fields, CRLF after each row — the dialect of the csv crate's default writer with a
/// CRLF terminator, which a test checks byte for byte. Hand-written because the general writer's
/// per-field state machine cost more than all the other work of writing a row.
#[derive(Debug, Default)]
struct Cells {
    out: Vec<u8>,
    /// Rows ended since the last [`Cells::take`].
    rows: u64,
    /// A field was written in the current row (the next one needs a delimiter).
    in_row: bool,
}

impl Cells {
    #[inline]
    fn field(&mut self, f: &[u8]) {
        if self.in_row {
            self.out.push(b',');
        }
        self.in_row = true;
        if f.iter().any(|&b| NEEDS_QUOTES[b as usize]) {
            self.out.reserve(f.len() + 2);
            self.out.push(b'"');
            for part in f.split_inclusive(|&b| b == b'"') {
                self.out.extend_from_slice(part);
                if part.last() == Some(&b'"') {
                    self.out.push(b'"');
                }
            }
            self.out.push(b'"');
        } else {
            self.out.extend_from_slice(f);
        }
    }

    fn text(&mut self, s: &str) {
        let g = guard_text(s);
        self.field(g.as_bytes());
    }

    fn raw(&mut self, s: &str) {
        self.field(s.as_bytes());
    }

    /// Starts a field that never needs quotes (digits, a dot, a sign, dashes) and returns the
    /// buffer to write it into.
    fn bare(&mut self) -> &mut Vec<u8> {
        if self.in_row {
            self.out.push(b',');
        }
        self.in_row = true;
        &mut self.out
    }

    fn num(&mut self, x: f64) {
        push_fixed4(self.bare(), x);
    }

    fn opt(&mut self, x: Option<f64>) {
        match x {
            Some(x) => self.num(x),
            None => self.raw(""),
        }
    }

    fn int(&mut self, n: u64) {
        push_int(self.bare(), n);
    }

    fn date(&mut self, d: Option<Date>) {
        let (buf, n) = date_cell(d);
        self.bare().extend_from_slice(&buf[..n]);
    }

    /// The leading `doc_id, date, paragraph, sentence` columns of the per-sentence files.
    fn location(&mut self, doc_id: &str, date: Option<Date>, paragraph: u32, sentence: u32) {
        self.text(doc_id);
        self.date(date);
        self.int(paragraph.into());
        self.int(sentence.into());
    }

    fn end(&mut self) {
        self.rows += 1;
        self.in_row = false;
        self.out.extend_from_slice(b"\r\n");
    }

    fn paragraph(&mut self, r: &ParagraphRow) {
        self.text(&r.doc_id);
        self.date(r.date);
        self.text(&r.source);
        self.int(r.paragraph.into());
        self.int(r.sentences.into());
        self.num(r.tone);
        self.num(r.positive);
        self.num(r.neutral);
        self.num(r.negative);
        self.text(&r.actors);
        self.end();
    }

    fn mention(&mut self, r: &MentionRow) {
        self.location(&r.doc_id, r.date, r.paragraph, r.sentence);
        self.text(&r.actor.id);
        self.text(&r.actor.country);
        self.text(&r.alias);
        self.num(r.sentiment);
        self.text(&r.actor.name);
        self.text(&r.actor.kind);
        self.text(r.label);
        self.text(r.found_by);
        self.num(r.confidence);
        self.end();
    }

    fn stance(&mut self, r: &StanceRow) {
        self.location(&r.doc_id, r.date, r.paragraph, r.sentence);
        self.text(&r.source.id);
        self.text(&r.source.country);
        self.text(&r.target.id);
        self.text(&r.target.country);
        self.num(r.score);
        self.text(&r.cue);
        self.raw(&evidence_cell(&r.evidence));
        self.text(r.source_rule);
        self.num(r.confidence);
        self.end();
    }

    fn error(&mut self, r: &ErrorRow) {
        self.text(&r.input);
        self.int(r.line);
        self.text(&r.record_id);
        self.raw(&evidence_cell(&r.error));
        self.end();
    }

    /// The bytes and row count since the last call. The buffer left behind has room for as many
    /// bytes as were taken: a worker encodes document after document of similar sizes, and an
    /// empty buffer would grow again from nothing each time (a dozen reallocations and copies
    /// per document and file, a third of the encoding time by `perf`).
    fn take(&mut self) -> (Vec<u8>, u64) {
        let room = Vec::with_capacity(self.out.len());
        (std::mem::replace(&mut self.out, room), std::mem::take(&mut self.rows))
    }
}

/// One document's rows of each per-sentence file, already CSV-encoded. Encoding is the costly
/// part of writing rows, so `score` does it on the worker threads, and the writer thread only
/// appends bytes in input order.
#[derive(Debug, Default)]
pub struct EncodedRows {
    /// (bytes, rows) per file, in the order paragraphs, mentions, stances, errors.
    files: [(Vec<u8>, u64); 4],
}

impl EncodedRows {
    /// Rows per file, in the order paragraphs, mentions, stances, errors.
    pub fn rows(&self) -> [u64; 4] {
        [self.files[0].1, self.files[1].1, self.files[2].1, self.files[3].1]
    }

    /// (bytes, rows) per file, in the order paragraphs, mentions, stances, errors: the slices
    /// the state records (see [`crate::state`]).
    pub fn slices(&self) -> crate::state::Slices {
        self.files.each_ref().map(|(b, r)| (b.len() as u64, *r))
    }
}

/// CSV-encodes rows into memory, in the dialect of the report files.
#[derive(Debug, Default)]
pub struct RowEncoder {
    files: [Cells; 4],
}

impl RowEncoder {
    /// Encodes one document's rows.
    pub fn encode(
        &mut self,
        paragraphs: &[ParagraphRow],
        mentions: &[MentionRow],
        stances: &[StanceRow],
        errors: &[ErrorRow],
    ) -> EncodedRows {
        let [p, m, s, e] = &mut self.files;
        paragraphs.iter().for_each(|r| p.paragraph(r));
        mentions.iter().for_each(|r| m.mention(r));
        stances.iter().for_each(|r| s.stance(r));
        errors.iter().for_each(|r| e.error(r));
        EncodedRows { files: [p.take(), m.take(), s.take(), e.take()] }
    }
}

/// A CSV file in the staging folder: its header, then rows appended as encoded bytes.
struct CsvFile {
    path: PathBuf,
    out: BufWriter<File>,
    rows: u64,
    /// Rows being built, for files written row by row.
    cells: Cells,
    /// BLAKE3 and length of everything written, for the manifest (no second read of the file).
    hash: blake3::Hasher,
    bytes: u64,
}

/// What the manifest lists for one output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputCount {
    pub file: String,
    pub rows: u64,
    pub bytes: u64,
    pub blake3: String,
}

impl CsvFile {
    /// A file whose first line is `first` as is (the state files), rows appended as bytes.
    fn create_raw(path: PathBuf, first: &[u8]) -> Result<CsvFile, ReportError> {
        let file = File::create(&path).map_err(|source| ReportError::Io { path: path.clone(), source })?;
        let mut f = CsvFile {
            path,
            out: BufWriter::with_capacity(1 << 16, file),
            rows: 0,
            cells: Cells::default(),
            hash: blake3::Hasher::new(),
            bytes: 0,
        };
        f.append(&(first.to_vec(), 0))?;
        Ok(f)
    }

    fn create(path: PathBuf, header: &[&str], bom: bool) -> Result<CsvFile, ReportError> {
        let file = File::create(&path).map_err(|source| ReportError::Io { path: path.clone(), source })?;
        let mut f = CsvFile {
            path,
            out: BufWriter::with_capacity(1 << 16, file),
            rows: 0,
            cells: Cells::default(),
            hash: blake3::Hasher::new(),
            bytes: 0,
        };
        if bom {
            f.cells.out.extend_from_slice("\u{feff}".as_bytes());
        }
        header.iter().for_each(|h| f.cells.text(h));
        f.cells.end();
        f.cells.rows = 0;
        f.flush_cells()?;
        Ok(f)
    }

    fn io(&self, source: io::Error) -> ReportError {
        ReportError::Io { path: self.path.clone(), source }
    }

    fn append(&mut self, (bytes, rows): &(Vec<u8>, u64)) -> Result<(), ReportError> {
        self.append_bytes(bytes, *rows)
    }

    fn append_bytes(&mut self, bytes: &[u8], rows: u64) -> Result<(), ReportError> {
        self.rows += rows;
        self.bytes += bytes.len() as u64;
        self.hash.update(bytes);
        self.out.write_all(bytes).map_err(|e| self.io(e))
    }

    /// Writes rows built with `f` (after any already built).
    fn with(&mut self, f: impl FnOnce(&mut Cells)) -> Result<(), ReportError> {
        f(&mut self.cells);
        self.flush_cells()
    }

    /// Call after each row built in [`CsvFile::cells`]: writes them out in 64 KB chunks.
    fn row_done(&mut self) -> Result<(), ReportError> {
        if self.cells.out.len() >= 1 << 16 {
            self.flush_cells()?;
        }
        Ok(())
    }

    fn flush_cells(&mut self) -> Result<(), ReportError> {
        // Not `Cells::take`, whose new buffer would be dropped at once for the old one.
        let chunk = (std::mem::take(&mut self.cells.out), std::mem::take(&mut self.cells.rows));
        let r = self.append(&chunk);
        // Keep the buffer's capacity for the next rows.
        self.cells.out = chunk.0;
        self.cells.out.clear();
        r
    }

    fn finish(mut self) -> Result<OutputCount, ReportError> {
        self.flush_cells()?;
        let path = self.path;
        let file = self.out.into_inner().map_err(|e| ReportError::Io { path: path.clone(), source: e.into_error() })?;
        file.sync_all().map_err(|source| ReportError::Io { path: path.clone(), source })?;
        Ok(OutputCount {
            file: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            rows: self.rows,
            bytes: self.bytes,
            blake3: self.hash.finalize().to_hex().to_string(),
        })
    }
}

/// Writes the report files of one run into a staging folder; [`ReportWriter::publish`] moves
/// them into place. Dropping it without publishing removes the staging folder and leaves the
/// previous reports untouched.
pub struct ReportWriter {
    out: PathBuf,
    staging: StagingGuard,
    paragraphs: CsvFile,
    mentions: CsvFile,
    stances: CsvFile,
    errors: CsvFile,
    /// `state_records.tsv` (see [`crate::state`]).
    records: CsvFile,
    bom: bool,
}

/// Removes the staging folder when dropped unless the reports were published: a failed or
/// interrupted run leaves nothing behind but the previous reports.
struct StagingGuard {
    path: PathBuf,
    armed: bool,
}

impl Drop for StagingGuard {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Row counts, sizes and hashes per output file, for the manifest.
pub type RowCounts = Vec<OutputCount>;

impl ReportWriter {
    /// Creates the staging folder beside `out` (same file system, so renames are atomic).
    ///
    /// When `out` is a symbolic link, the folder it points to is replaced and the link kept
    /// (a `latest -> 2026-12-05` link stays a link).
    pub fn create(out: &Path, bom: bool) -> Result<ReportWriter, ReportError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ReportError::Io { path, source }
        };
        let resolved;
        let out = match fs::symlink_metadata(out) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(out).map_err(io(out))?;
                resolved = match out.parent() {
                    Some(p) if target.is_relative() => p.join(target),
                    _ => target,
                };
                resolved.as_path()
            }
            _ => out,
        };
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(io(&parent))?;
        let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "reports".into());
        remove_stale_staging(&parent, &name);
        let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(io(&staging))?;
        }
        fs::create_dir_all(&staging).map_err(io(&staging))?;
        let f = |file: &str, header: &[&str]| CsvFile::create(staging.join(file), header, bom);
        Ok(ReportWriter {
            paragraphs: f("paragraphs.csv", PARAGRAPHS_HEADER)?,
            mentions: f("mentions.csv", MENTIONS_HEADER)?,
            stances: f("stances.csv", STANCES_HEADER)?,
            errors: f("errors.csv", ERRORS_HEADER)?,
            records: CsvFile::create_raw(
                staging.join(crate::state::RECORDS_FILE),
                crate::state::records_header().as_bytes(),
            )?,
            out: out.to_path_buf(),
            staging: StagingGuard { path: staging, armed: true },
            bom,
        })
    }

    pub fn staging(&self) -> &Path {
        &self.staging.path
    }

    /// Appends one document's encoded rows (from any [`RowEncoder`]) to the per-sentence files.
    pub fn append(&mut self, rows: &EncodedRows) -> Result<(), ReportError> {
        for (f, chunk) in
            [&mut self.paragraphs, &mut self.mentions, &mut self.stances, &mut self.errors].into_iter().zip(&rows.files)
        {
            if chunk.1 > 0 {
                f.append(chunk)?;
            }
        }
        Ok(())
    }

    /// Appends rows already encoded in the report dialect (without header) to one row file:
    /// 0 paragraphs, 1 mentions, 2 stances, 3 errors. `merge` copies rows this way.
    pub fn append_raw(&mut self, file: usize, bytes: &[u8], rows: u64) -> Result<(), ReportError> {
        let f = match file {
            0 => &mut self.paragraphs,
            1 => &mut self.mentions,
            2 => &mut self.stances,
            _ => &mut self.errors,
        };
        f.append_bytes(bytes, rows)
    }

    /// Appends one record block of `state_records.tsv`.
    pub fn record(&mut self, block: &[u8]) -> Result<(), ReportError> {
        self.records.append_bytes(block, 1)
    }

    pub fn paragraph(&mut self, r: &ParagraphRow) -> Result<(), ReportError> {
        self.paragraphs.with(|c| c.paragraph(r))
    }

    pub fn mention(&mut self, r: &MentionRow) -> Result<(), ReportError> {
        self.mentions.with(|c| c.mention(r))
    }

    pub fn stance(&mut self, r: &StanceRow) -> Result<(), ReportError> {
        self.stances.with(|c| c.stance(r))
    }

    pub fn error(&mut self, r: &ErrorRow) -> Result<(), ReportError> {
        self.errors.with(|c| c.error(r))
    }

    /// Writes the aggregate reports and closes every CSV file; returns row counts per file.
    pub fn finish(
        self,
        agg: &Aggregate,
        country_name: &dyn Fn(&str) -> String,
    ) -> Result<(FinishedReports, RowCounts), ReportError> {
        let mut counts = Vec::new();
        let ReportWriter { out, staging: guard, paragraphs, mentions, stances, errors, records, bom } = self;
        let staging = guard.path.clone();
        let finished = FinishedReports { out, staging: guard };
        std::thread::scope(|scope| {
            // The row files are large: their fsyncs (disk time, not CPU) run while the aggregate
            // files are written.
            let syncs: Vec<_> = [paragraphs, mentions, stances, errors, records]
                .into_iter()
                .map(|f| scope.spawn(move || f.finish()))
                .collect();
            let aggregates = write_aggregates(&staging, agg, country_name, bom);
            for sync in syncs {
                counts.push(sync.join().unwrap_or_else(|e| std::panic::resume_unwind(e))?);
            }
            counts.extend(aggregates?);
            Ok((finished, counts))
        })
    }
}

/// Writes `actors.csv`, `countries.csv` and `dyads.csv` into `staging`; returns their row counts.
fn write_aggregates(
    staging: &Path,
    agg: &Aggregate,
    country_name: &dyn Fn(&str) -> String,
    bom: bool,
) -> Result<RowCounts, ReportError> {
    let mut counts = Vec::new();
    let mut f = CsvFile::create(staging.join("actors.csv"), ACTORS_HEADER, bom)?;
    for ((date, key), v) in &agg.actors {
        let c = &mut f.cells;
        c.date(*date);
        c.text(&key.id);
        c.text(&key.name);
        c.text(&key.country);
        c.text(&key.kind);
        c.int(v.documents);
        c.int(v.sentiment.count);
        write_sums(c, &v.sentiment, &v.stance_out, &v.stance_in);
        c.end();
        f.row_done()?;
    }
    counts.push(f.finish()?);
    let mut f = CsvFile::create(staging.join("countries.csv"), COUNTRIES_HEADER, bom)?;
    for ((date, code), v) in &agg.countries {
        let c = &mut f.cells;
        c.date(*date);
        c.text(code);
        c.int(v.documents);
        c.int(v.sentiment.count);
        write_sums(c, &v.sentiment, &v.stance_out, &v.stance_in);
        c.text(&country_name(code));
        c.end();
        f.row_done()?;
    }
    counts.push(f.finish()?);
    let mut f = CsvFile::create(staging.join("dyads.csv"), DYADS_HEADER, bom)?;
    for ((date, s, t), d) in &agg.dyads {
        let c = &mut f.cells;
        c.date(*date);
        c.text(s);
        c.text(t);
        c.int(d.stance.count);
        c.int(d.documents);
        c.opt(d.stance.mean());
        let n = d.stance.count.max(1) as f64;
        c.num(d.negative as f64 / n);
        c.num(d.positive as f64 / n);
        c.end();
        f.row_done()?;
    }
    counts.push(f.finish()?);
    let mut f = CsvFile::create_raw(staging.join(crate::state::SUMS_FILE), &[])?;
    f.append_bytes(&crate::state::encode_sums(agg, country_name), 0)?;
    let mut sums = f.finish()?;
    sums.rows = agg.actors.len() as u64 + agg.countries.len() as u64 + agg.dyads.len() as u64;
    counts.push(sums);
    Ok(counts)
}

fn write_sums(c: &mut Cells, sentiment: &Sum, out: &Sum, inn: &Sum) {
    c.opt(sentiment.mean());
    c.opt(out.mean());
    c.int(out.count);
    c.opt(inn.mean());
    c.int(inn.count);
}

/// Complete reports in the staging folder, waiting for the manifest and publication.
pub struct FinishedReports {
    out: PathBuf,
    staging: StagingGuard,
}

impl FinishedReports {
    pub fn staging(&self) -> &Path {
        &self.staging.path
    }

    /// Writes a small file (the manifest) into the staging folder, fsynced.
    pub fn write_file(&self, name: &str, bytes: &[u8]) -> Result<(), ReportError> {
        let path = self.staging.path.join(name);
        let io = |source| ReportError::Io { path: path.clone(), source };
        let mut f = File::create(&path).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)
    }

    /// Moves the complete set into DIR and marks it with `_SUCCESS`.
    pub fn publish(mut self) -> Result<(), ReportError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ReportError::Io { path, source }
        };
        self.write_file("_SUCCESS", b"")?;
        if !self.out.exists() {
            fs::rename(&self.staging.path, &self.out).map_err(io(&self.out))?;
            self.staging.armed = false;
            return sync_dir(self.out.parent());
        }
        // Carry over what newsstance does not own (hard links: no copy, same inode).
        for entry in fs::read_dir(&self.out).map_err(io(&self.out))? {
            let entry = entry.map_err(io(&self.out))?;
            let name = entry.file_name();
            if OUTPUT_FILES.iter().any(|f| name == *f) {
                continue;
            }
            let from = entry.path();
            let to = self.staging.path.join(&name);
            if entry.file_type().map_err(io(&from))?.is_dir() {
                copy_tree(&from, &to).map_err(io(&from))?;
            } else if fs::hard_link(&from, &to).is_err() {
                fs::copy(&from, &to).map_err(io(&from))?;
            }
        }
        if exchange(&self.staging.path, &self.out).is_ok() {
            self.staging.armed = false;
            // The old reports are now at the staging path.
            let _ = fs::remove_dir_all(&self.staging.path);
            return sync_dir(self.out.parent());
        }
        // Fallback: file by file, `_SUCCESS` removed first and written last.
        let _ = fs::remove_file(self.out.join("_SUCCESS"));
        for name in OUTPUT_FILES.iter().filter(|n| **n != "_SUCCESS") {
            let from = self.staging.path.join(name);
            if from.exists() {
                fs::rename(&from, self.out.join(name)).map_err(io(&from))?;
            } else {
                // Not written this time (`--no-summary`): an older copy would be stale.
                let _ = fs::remove_file(self.out.join(name));
            }
        }
        fs::rename(self.staging.path.join("_SUCCESS"), self.out.join("_SUCCESS")).map_err(io(&self.out))?;
        self.staging.armed = false;
        let _ = fs::remove_dir_all(&self.staging.path);
        sync_dir(Some(&self.out))
    }
}

/// Removes staging folders left by killed runs (their process no longer exists), so a crash
/// costs nothing but the run itself.
fn remove_stale_staging(parent: &Path, name: &str) {
    let prefix = format!(".{name}.staging-");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)).and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !process_alive(pid) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> bool {
    true
}

fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn sync_dir(dir: Option<&Path>) -> Result<(), ReportError> {
    if let Some(dir) = dir.filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(f) = File::open(dir) {
            let _ = f.sync_all();
        }
    }
    Ok(())
}

/// Atomically swaps two paths (Linux `renameat2` with `RENAME_EXCHANGE`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let cb = CString::new(b.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: both arguments are valid NUL-terminated paths that outlive the call.
    let r = unsafe { libc::renameat2(libc::AT_FDCWD, ca.as_ptr(), libc::AT_FDCWD, cb.as_ptr(), libc::RENAME_EXCHANGE) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(x: f64) -> String {
        let mut s = Vec::new();
        push_fixed4(&mut s, x);
        String::from_utf8(s).unwrap()
    }

    #[test]
    fn fixed_decimals() {
        assert_eq!(fixed(0.0), "0.0000");
        assert_eq!(fixed(-0.0), "0.0000");
        assert_eq!(fixed(-0.00004), "0.0000");
        assert_eq!(fixed(0.5), "0.5000");
        assert_eq!(fixed(-0.8125), "-0.8125");
        assert_eq!(fixed(1.0), "1.0000");
        assert_eq!(fixed(123.45678), "123.4568");
        assert_eq!(fixed(f64::NAN), "");
        assert_eq!(fixed(-12345.00005), "-12345.0001");
        for n in [0, 9, 10, 99, 100, 1_234_567, u64::MAX] {
            let mut s = Vec::new();
            push_int(&mut s, n);
            assert_eq!(String::from_utf8(s).unwrap(), n.to_string());
        }
    }

    #[test]
    fn formula_guard_and_evidence() {
        assert_eq!(guard_text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(guard_text("-1"), "'-1");
        assert_eq!(guard_text("@SUM"), "'@SUM");
        assert_eq!(guard_text("\tx"), "'\tx");
        assert_eq!(guard_text("Russia"), "Russia");
        assert_eq!(evidence_cell("a\nb\r\nc"), "a b  c");
        let long = "é".repeat(40_000);
        assert_eq!(evidence_cell(&long).chars().count(), MAX_CELL_CHARS);
        let emoji = "😀".repeat(40_000);
        assert_eq!(evidence_cell(&emoji).encode_utf16().count(), MAX_CELL_CHARS);
    }

    proptest::proptest! {
        /// The hand-written encoder writes what the csv crate's writer would.
        #[test]
        fn cells_match_the_csv_crate(rows in proptest::collection::vec(
            proptest::collection::vec("(\\PC|[,\"\r\n ]){0,12}", 1..6), 0..5)) {
            let mut ours = Cells::default();
            let mut theirs = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .flexible(true)
                .from_writer(Vec::new());
            for row in &rows {
                for f in row {
                    ours.raw(f);
                    theirs.write_field(f).unwrap();
                }
                ours.end();
                theirs.write_record(None::<&[u8]>).unwrap();
            }
            // A row of one empty field is the one case where the csv crate writes `""`; rows
            // here always have several fields.
            let theirs = theirs.into_inner().unwrap();
            if rows.iter().all(|r| r.len() > 1 || !r[0].is_empty()) {
                proptest::prop_assert_eq!(String::from_utf8(ours.take().0).unwrap(), String::from_utf8(theirs).unwrap());
            }
        }
    }

    /// A worker's encoder keeps room for the next document's rows: taking the bytes leaves an
    /// empty buffer with at least their capacity, so similar documents encode without regrowing.
    #[test]
    fn taking_the_rows_leaves_room_for_as_many_bytes() {
        let mut c = Cells::default();
        for _ in 0..50 {
            c.raw("Russia");
            c.raw("0.1234");
            c.end();
        }
        let (bytes, rows) = c.take();
        assert_eq!(rows, 50);
        assert_eq!(bytes.len(), 50 * "Russia,0.1234\r\n".len());
        assert!(c.out.is_empty() && c.rows == 0);
        assert!(c.out.capacity() >= bytes.len(), "{} < {}", c.out.capacity(), bytes.len());
        c.raw("x");
        c.end();
        assert_eq!(c.take(), (b"x\r\n".to_vec(), 1));
    }

    #[test]
    fn dates_are_iso_8601() {
        let cell = |d| {
            let (b, n) = date_cell(d);
            String::from_utf8(b[..n].to_vec()).unwrap()
        };
        assert_eq!(cell(Some(Date { year: 2024, month: 3, day: 7 })), "2024-03-07");
        assert_eq!(cell(Some(Date { year: 987, month: 12, day: 31 })), "0987-12-31");
        assert_eq!(cell(None), "");
    }

    #[test]
    fn encoded_rows_are_the_bytes_the_row_methods_write() {
        let key =
            Arc::new(ActorKey { id: "rus".into(), name: "Russia".into(), country: "RUS".into(), kind: "state".into() });
        let date = Some(Date { year: 2023, month: 2, day: 24 });
        let paragraph = ParagraphRow {
            doc_id: "a,1".into(),
            date,
            source: "=src".into(),
            paragraph: 1,
            sentences: 2,
            tone: -0.5,
            positive: 0.1,
            neutral: 0.2,
            negative: 0.7,
            actors: "RUS;UKR".into(),
        };
        let mention = MentionRow {
            doc_id: "a,1".into(),
            date: None,
            paragraph: 1,
            sentence: 1,
            actor: Arc::clone(&key),
            alias: "the \"Kremlin\"".into(),
            sentiment: 0.25,
            label: "positive",
            found_by: "lexicon",
            confidence: 0.5,
        };
        let stance = StanceRow {
            doc_id: "a,1".into(),
            date,
            paragraph: 1,
            sentence: 1,
            source: Arc::clone(&key),
            target: key,
            score: -1.0,
            cue: "hostile".into(),
            evidence: "line\nbreak".into(),
            source_rule: "speaker",
            confidence: 0.9,
        };
        let error = ErrorRow { input: "x.jsonl".into(), line: 3, record_id: String::new(), error: "bad".into() };
        let write = |encoded: bool| {
            let dir = tempfile::tempdir().unwrap();
            let mut w = ReportWriter::create(&dir.path().join("r"), false).unwrap();
            if encoded {
                let mut enc = RowEncoder::default();
                let rows = enc.encode(std::slice::from_ref(&paragraph), &[], &[], &[]);
                assert_eq!(rows.rows(), [1, 0, 0, 0]);
                w.append(&rows).unwrap();
                let (m, s, e) =
                    (std::slice::from_ref(&mention), std::slice::from_ref(&stance), std::slice::from_ref(&error));
                let rows = enc.encode(&[], m, s, e);
                assert_eq!(rows.rows(), [0, 1, 1, 1]);
                w.append(&rows).unwrap();
            } else {
                w.paragraph(&paragraph).unwrap();
                w.mention(&mention).unwrap();
                w.stance(&stance).unwrap();
                w.error(&error).unwrap();
            }
            let staging = w.staging().to_path_buf();
            let (fin, counts) = w.finish(&Aggregate::default(), &|c| c.to_string()).unwrap();
            let files: Vec<String> = ["paragraphs.csv", "mentions.csv", "stances.csv", "errors.csv"]
                .iter()
                .map(|f| fs::read_to_string(staging.join(f)).unwrap())
                .collect();
            drop(fin);
            (files, counts)
        };
        let (direct, direct_counts) = write(false);
        let (encoded, encoded_counts) = write(true);
        assert_eq!(direct, encoded);
        assert_eq!(direct_counts, encoded_counts);
        assert!(
            direct[0].ends_with("\"a,1\",2023-02-24,'=src,1,2,-0.5000,0.1000,0.2000,0.7000,RUS;UKR\r\n"),
            "{}",
            direct[0]
        );
        assert!(direct[1].contains(",\"the \"\"Kremlin\"\"\",0.2500,"), "{}", direct[1]);
        assert!(direct[2].contains(",line break,speaker,0.9000\r\n"), "{}", direct[2]);
    }

    #[test]
    fn publishes_atomically_and_keeps_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("reports");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("README.md"), "keep me").unwrap();
        fs::write(out.join("paragraphs.csv"), "old").unwrap();
        let w = ReportWriter::create(&out, false).unwrap();
        let staging = w.staging().to_path_buf();
        let (fin, counts) = w.finish(&Aggregate::default(), &|c| c.to_string()).unwrap();
        assert!(counts.iter().all(|c| c.rows == 0));
        fin.write_file("manifest.json", b"{}").unwrap();
        fin.publish().unwrap();
        assert_eq!(fs::read_to_string(out.join("README.md")).unwrap(), "keep me");
        assert!(fs::read_to_string(out.join("paragraphs.csv")).unwrap().starts_with("doc_id,date,source,paragraph"));
        assert!(out.join("_SUCCESS").exists());
        assert!(!staging.exists());
    }

    #[test]
    fn dropping_an_unpublished_writer_leaves_previous_reports() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("paragraphs.csv"), "old").unwrap();
        let w = ReportWriter::create(&out, true).unwrap();
        let staging = w.staging().to_path_buf();
        drop(w);
        assert!(!staging.exists());
        assert_eq!(fs::read_to_string(out.join("paragraphs.csv")).unwrap(), "old");
    }

    #[test]
    fn bom_is_written_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r");
        let w = ReportWriter::create(&out, true).unwrap();
        let (fin, _) = w.finish(&Aggregate::default(), &|c| c.to_string()).unwrap();
        fin.publish().unwrap();
        let bytes = fs::read(out.join("dyads.csv")).unwrap();
        assert!(bytes.starts_with("\u{feff}date,".as_bytes()));
    }
}
