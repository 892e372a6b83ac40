//! Stage `corpus`: turns input paths into a stream of [`Record`]s, one per article.
//!
//! The reader runs unattended, so every problem with the input — a missing file, a damaged
//! archive, a malformed line — becomes an [`Record::Error`] row instead of a failure, and
//! reading goes on with the next record whenever the format allows resynchronising (the next
//! line for JSONL, the next row for CSV). Memory is bounded by [`MAX_RECORD_BYTES`] whatever the
//! corpus size: inputs are streamed, never slurped.
//!
//! # Formats (chosen by extension, case-insensitive; `.gz` of each is read directly)
//! * `.jsonl` / `.ndjson` (module `jsonl`): one JSON object per line.
//! * `.csv` (module `csv_rows`): RFC 4180 with a header row naming the columns.
//! * `.txt` (module `txt`): one article per file; title on the first non-empty line.
//! * `-`: JSONL from standard input.
//!
//! JSONL and CSV share one record model: `id` and `text` required (non-blank), `title`,
//! `date`, `source`, `url` optional (null or empty means absent); a present date must parse
//! with [`Date::parse`]. A blank `text` is an error rather than an empty document: it is almost
//! always a scraping failure, and an error row is where an operator will see it. A JSON id may be
//! a string or an integer (printed in decimal); fractional numbers are rejected.
//!
//! Any content starting with the gzip magic is decompressed even without a `.gz` name, and
//! concatenated gzip members are read as one stream. Gzip checks its CRC only at the end of
//! each member, so a bit flip inside a member can reach earlier records as wrong text before
//! the damage is reported; the error row then flags the input for a re-fetch. Detecting it
//! earlier would mean buffering whole members, which streaming rules out.
//!
//! # Error rows
//! [`RecordError::line`] is the 1-based line where the bad record starts (for `.txt`, 1), the
//! line reached when a stream broke (damaged gzip, read error), or 0 when the error concerns the
//! input as a whole (missing path, unsupported extension, cannot open, empty input). At most
//! [`MAX_ERRORS_PER_INPUT`] error rows are listed per input; the rest are counted in
//! [`InputSummary::failed`] and announced by one final notice row, so a binary file misnamed
//! `.jsonl` cannot flood the error report.

mod csv_rows;
mod discover;
mod jsonl;
mod stream;
mod txt;

use std::collections::VecDeque;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::document::{Date, Document};

pub use discover::discover;

use stream::Source;

/// Largest record kept in memory: a JSONL line, a CSV record, or a whole `.txt` file
/// (decompressed). Larger ones become an error row and are skipped without being buffered.
/// 64 MiB is over 800× the longest line of the reference corpus (78 KB), so only corrupt or
/// non-article input hits it, while the bound keeps a reader thread's memory predictable.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// Error rows listed per input before the rest are only counted (see the module docs).
pub const MAX_ERRORS_PER_INPUT: u64 = 1000;

/// One input to read: a file found by [`discover`], or standard input (`path` and `display` both
/// `-`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    /// The path as the user gave it, joined with the part found by recursion; used in every row
    /// so users recognise their own paths.
    pub display: String,
}

impl InputFile {
    /// Standard input, read as JSONL.
    pub fn stdin() -> InputFile {
        InputFile { path: PathBuf::from("-"), display: "-".to_string() }
    }
}

/// A record (or a whole input) that could not be read. Rows, not failures: the run goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub input: String,
    /// See the module docs: record start line, line reached, or 0 for the whole input.
    pub line: u64,
    /// The record's id when it could be recovered, else "".
    pub record_id: String,
    pub error: String,
}

/// One item of an [`InputReader`].
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Document(Document),
    Error(RecordError),
}

/// What the run manifest records for one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputSummary {
    pub input: String,
    /// Raw bytes as stored (compressed size for `.gz`).
    pub bytes: u64,
    /// Hex BLAKE3 of the raw bytes; "" when the input could not be read to the end (a hash of
    /// part of a file must never pass for the file's hash).
    pub blake3: String,
    /// Documents read successfully.
    pub records: u64,
    /// Bad records, including input-level errors and error rows not listed because of
    /// [`MAX_ERRORS_PER_INPUT`].
    pub failed: u64,
}

/// Why a record or input could not be read. Its `Display` text is [`RecordError::error`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorpusError {
    #[error("no such file or directory")]
    NotFound,
    #[error("cannot open: {0}")]
    Open(String),
    #[error("cannot list directory: {0}")]
    ReadDir(String),
    #[error("not a regular file (skipped while recursing)")]
    NotRegular,
    #[error("directory symlink loop (skipped)")]
    SymlinkLoop,
    #[error("unsupported extension (expected .jsonl, .ndjson, .csv or .txt, optionally + .gz)")]
    UnsupportedExtension,
    #[error("read error: {0}")]
    Read(String),
    #[error("corrupt or truncated gzip data: {0}; records before this point were kept")]
    Gzip(String),
    #[error("empty input")]
    EmptyInput,
    #[error("empty input: CSV header but no rows")]
    HeaderOnly,
    #[error("invalid UTF-8 at byte {offset} of the {what}")]
    InvalidUtf8 { what: &'static str, offset: usize },
    #[error("invalid UTF-8 at byte {offset} (line {line})")]
    InvalidUtf8Txt { offset: usize, line: u64 },
    #[error("truncated JSON: the line ends before the object is complete")]
    TruncatedJson,
    #[error("malformed JSON: {0}")]
    Json(String),
    #[error("missing required field `{0}`")]
    MissingField(&'static str),
    #[error("required field `{0}` is empty")]
    EmptyField(&'static str),
    #[error("unparseable date {0:?}: expected YYYY-MM-DD or RFC 3339")]
    BadDate(String),
    #[error("record longer than the {limit}-byte limit; skipped")]
    TooLong { limit: usize },
    #[error("expected {expected} fields (as in the header), found {found}")]
    CsvArity { expected: usize, found: usize },
    #[error("CSV header lacks required column(s) {missing} (found: {found}); file skipped")]
    CsvMissingColumns { missing: String, found: String },
    #[error("CSV header names column `{0}` twice; file skipped")]
    CsvDuplicateColumn(String),
    #[error("unterminated quoted field: runs from this record to the end of the input ({lines} lines); rows after it were not read")]
    CsvUnterminatedQuote { lines: u64 },
    #[error("no body text after the title")]
    NoBody,
    #[error("{count} more bad records in this input not listed (lines {first}-{last})")]
    Suppressed { count: u64, first: u64, last: u64 },
}

/// The formats we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Jsonl,
    Csv,
    Txt,
}

/// Format and compression from a file name (case-insensitive), or `None` when unsupported.
fn classify(path: &Path) -> Option<(Format, bool)> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let (name, gzip) = match name.strip_suffix(".gz") {
        Some(inner) => (inner, true),
        None => (name.as_str(), false),
    };
    let format = if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        Format::Jsonl
    } else if name.ends_with(".csv") {
        Format::Csv
    } else if name.ends_with(".txt") {
        Format::Txt
    } else {
        return None;
    };
    Some((format, gzip))
}

fn is_stdin(file: &InputFile) -> bool {
    file.path.as_os_str() == "-"
}

fn input_error(input: &str, error: CorpusError) -> RecordError {
    RecordError { input: input.to_string(), line: 0, record_id: String::new(), error: error.to_string() }
}

/// The fields JSONL and CSV records share, before validation.
#[derive(Debug, Default)]
struct Fields {
    id: Option<String>,
    text: Option<String>,
    title: Option<String>,
    date: Option<String>,
    source: Option<String>,
    url: Option<String>,
}

impl Fields {
    /// Validates the shared record rules (see the module docs) and builds the document.
    fn into_document(self, input: &str, line: u64) -> Result<Document, RecordError> {
        let bad = |record_id: &str, e: CorpusError| RecordError {
            input: input.to_string(),
            line,
            record_id: record_id.to_string(),
            error: e.to_string(),
        };
        let id = match self.id {
            None => return Err(bad("", CorpusError::MissingField("id"))),
            Some(id) if id.trim().is_empty() => return Err(bad("", CorpusError::EmptyField("id"))),
            Some(id) => id,
        };
        let text = match self.text {
            None => return Err(bad(&id, CorpusError::MissingField("text"))),
            Some(t) if t.trim().is_empty() => return Err(bad(&id, CorpusError::EmptyField("text"))),
            Some(t) => t,
        };
        let date = match self.date.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => match Date::parse(d) {
                Some(date) => Some(date),
                None => return Err(bad(&id, CorpusError::BadDate(d.to_string()))),
            },
        };
        Ok(Document {
            id,
            date,
            source: self.source.unwrap_or_default(),
            title: self.title.unwrap_or_default(),
            url: self.url.unwrap_or_default(),
            text,
            input: input.to_string(),
            line,
        })
    }
}

/// What a format parser produced on one call.
enum Step {
    Doc(Document),
    /// A bad record; the parser can go on.
    Bad(RecordError),
    /// The parser cannot go on (broken stream, unusable header, oversized `.txt`): report and
    /// stop reading this input.
    Fatal(RecordError),
    End,
}

enum Parser {
    Jsonl(jsonl::JsonlParser),
    Csv(csv_rows::CsvParser),
    Txt(txt::TxtParser),
}

impl Parser {
    fn step(&mut self, src: &mut Source, input: &str, limit: usize) -> Step {
        match self {
            Parser::Jsonl(p) => p.step(src, input, limit),
            Parser::Csv(p) => p.step(src, input, limit),
            Parser::Txt(p) => p.step(src, input, limit),
        }
    }
}

/// Streams the records of one input; see the module docs. `Send`, so a reader thread can
/// drive it.
pub struct InputReader {
    input: String,
    /// `None` when the input could not be opened.
    source: Option<Source>,
    parser: Parser,
    limit: usize,
    /// Rows to hand out before reading further (input-level errors, final notices).
    queue: VecDeque<Record>,
    finished: bool,
    records: u64,
    failed: u64,
    listed_errors: u64,
    /// Error rows counted but not listed: (count, first line, last line).
    suppressed: (u64, u64, u64),
}

/// Streams the records of one input. Never fails: an open error is yielded as one Error record.
pub fn open(file: &InputFile) -> InputReader {
    open_with_limit(file, MAX_RECORD_BYTES)
}

/// [`open`] with a custom record limit, so tests can exercise the limit with small inputs.
pub(crate) fn open_with_limit(file: &InputFile, limit: usize) -> InputReader {
    let stdin = is_stdin(file);
    open_from(
        file,
        limit,
        || {
            if stdin {
                Ok(Box::new(std::io::stdin()))
            } else {
                Ok(Box::new(File::open(&file.path)?))
            }
        },
    )
}

/// The body of [`open`], with the raw byte source injectable so tests can simulate failing
/// disks; `raw` is only called for supported names.
fn open_from(
    file: &InputFile,
    limit: usize,
    raw: impl FnOnce() -> std::io::Result<Box<dyn std::io::Read + Send>>,
) -> InputReader {
    let input = file.display.clone();
    let kind = if is_stdin(file) { Some((Format::Jsonl, false)) } else { classify(&file.path) };
    let parser = match kind {
        Some((Format::Csv, _)) => Parser::Csv(csv_rows::CsvParser::new()),
        Some((Format::Txt, _)) => Parser::Txt(txt::TxtParser::new(txt::doc_id(&file.path))),
        _ => Parser::Jsonl(jsonl::JsonlParser::new()),
    };
    let mut reader = InputReader {
        input,
        source: None,
        parser,
        limit,
        queue: VecDeque::new(),
        finished: false,
        records: 0,
        failed: 0,
        listed_errors: 0,
        suppressed: (0, 0, 0),
    };
    let Some((_, gzip)) = kind else {
        let e = input_error(&reader.input, CorpusError::UnsupportedExtension);
        reader.fail(e);
        return reader;
    };
    match raw().and_then(|r| Source::new(r, gzip)) {
        Ok(src) => reader.source = Some(src),
        Err(e) => {
            let e = input_error(&reader.input, CorpusError::Open(e.to_string()));
            reader.fail(e);
        }
    }
    reader
}

impl InputReader {
    /// Counts a bad record and queues its row, unless the listing cap is reached.
    fn fail(&mut self, e: RecordError) {
        self.failed += 1;
        if self.listed_errors < MAX_ERRORS_PER_INPUT {
            self.listed_errors += 1;
            self.queue.push_back(Record::Error(e));
        } else {
            let (count, first, _) = self.suppressed;
            let first = if count == 0 { e.line } else { first };
            self.suppressed = (count + 1, first, e.line);
        }
    }

    /// Ends reading: hashes what is left of the raw input and queues the final notice.
    fn finish(&mut self) {
        self.finished = true;
        if let Some(src) = &mut self.source {
            if let Err(e) = src.raw().drain() {
                let e = input_error(&self.input, CorpusError::Read(e.to_string()));
                self.fail(e);
            }
        }
        let (count, first, last) = self.suppressed;
        if count > 0 {
            let e = CorpusError::Suppressed { count, first, last };
            let row = input_error(&self.input, e);
            self.queue.push_back(Record::Error(row));
        }
    }

    /// Size, hash and counts of this input. Meant to be called once the iterator is exhausted;
    /// called earlier, it stops the iterator and hashes the unread remainder, so the hash is
    /// always that of the whole input (counts then cover the records yielded so far).
    pub fn summary(&mut self) -> InputSummary {
        if !self.finished {
            self.finish();
            self.queue.clear();
        }
        let (bytes, blake3) = match &mut self.source {
            Some(src) => {
                let raw = src.raw();
                let hash = if raw.failed() { String::new() } else { raw.hex() };
                (raw.byte_count(), hash)
            }
            None => (0, String::new()),
        };
        InputSummary { input: self.input.clone(), bytes, blake3, records: self.records, failed: self.failed }
    }
}

impl Iterator for InputReader {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            if let Some(r) = self.queue.pop_front() {
                return Some(r);
            }
            if self.finished {
                return None;
            }
            let step = match &mut self.source {
                Some(src) => self.parser.step(src, &self.input, self.limit),
                None => Step::End,
            };
            match step {
                Step::Doc(d) => {
                    self.records += 1;
                    return Some(Record::Document(d));
                }
                Step::Bad(e) => self.fail(e),
                Step::Fatal(e) => {
                    self.fail(e);
                    self.finish();
                }
                Step::End => self.finish(),
            }
        }
    }
}

#[cfg(test)]
mod tests;
