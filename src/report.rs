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
pub fn push_fixed4(out: &mut String, x: f64) {
    if !x.is_finite() {
        return;
    }
    let scaled = (x * 10_000.0).round();
    let v = scaled as i64;
    if v < 0 {
        out.push('-');
    }
    let a = v.unsigned_abs();
    let mut ib = itoa_buf(a / 10_000);
    out.push_str(ib.as_str());
    out.push('.');
    let frac = a % 10_000;
    for d in [1000, 100, 10, 1] {
        out.push((b'0' + ((frac / d) % 10) as u8) as char);
    }
    ib.clear();
}

/// A tiny integer formatter into a stack buffer.
struct IntBuf {
    buf: [u8; 20],
    start: usize,
}

impl IntBuf {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[self.start..]).unwrap_or("0")
    }
    fn clear(&mut self) {
        self.start = self.buf.len();
    }
}

fn itoa_buf(mut n: u64) -> IntBuf {
    let mut b = IntBuf { buf: [0; 20], start: 20 };
    loop {
        b.start -= 1;
        b.buf[b.start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    b
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

fn date_cell(d: Option<Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// One CSV file being written in the staging folder.
struct CsvFile {
    path: PathBuf,
    writer: csv::Writer<BufWriter<File>>,
    rows: u64,
    cell: String,
}

impl CsvFile {
    fn create(path: PathBuf, header: &[&str], bom: bool) -> Result<CsvFile, ReportError> {
        let file = File::create(&path).map_err(|source| ReportError::Io { path: path.clone(), source })?;
        let mut buf = BufWriter::with_capacity(1 << 16, file);
        if bom {
            buf.write_all("\u{feff}".as_bytes()).map_err(|source| ReportError::Io { path: path.clone(), source })?;
        }
        let writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(buf);
        let mut f = CsvFile { path, writer, rows: 0, cell: String::new() };
        for h in header {
            f.text(h)?;
        }
        f.end()?;
        f.rows = 0;
        Ok(f)
    }

    fn err(&self, source: csv::Error) -> ReportError {
        ReportError::Csv { path: self.path.clone(), source }
    }

    fn text(&mut self, s: &str) -> Result<(), ReportError> {
        let g = guard_text(s);
        self.writer.write_field(g.as_bytes()).map_err(|e| self.err(e))
    }

    fn raw(&mut self, s: &str) -> Result<(), ReportError> {
        self.writer.write_field(s.as_bytes()).map_err(|e| self.err(e))
    }

    fn num(&mut self, x: f64) -> Result<(), ReportError> {
        let mut cell = std::mem::take(&mut self.cell);
        cell.clear();
        push_fixed4(&mut cell, x);
        let r = self.raw(&cell);
        self.cell = cell;
        r
    }

    fn opt(&mut self, x: Option<f64>) -> Result<(), ReportError> {
        match x {
            Some(x) => self.num(x),
            None => self.raw(""),
        }
    }

    fn int(&mut self, n: u64) -> Result<(), ReportError> {
        let b = itoa_buf(n);
        self.raw(b.as_str())
    }

    fn date(&mut self, d: Option<Date>) -> Result<(), ReportError> {
        self.raw(&date_cell(d))
    }

    /// The leading `doc_id, date, paragraph, sentence` columns of the per-sentence files.
    fn location(&mut self, doc_id: &str, date: Option<Date>, paragraph: u32, sentence: u32) -> Result<(), ReportError> {
        self.text(doc_id)?;
        self.date(date)?;
        self.int(paragraph.into())?;
        self.int(sentence.into())
    }

    fn end(&mut self) -> Result<(), ReportError> {
        self.rows += 1;
        self.writer.write_record(None::<&[u8]>).map_err(|e| self.err(e))
    }

    fn finish(self) -> Result<u64, ReportError> {
        let path = self.path.clone();
        let buf =
            self.writer.into_inner().map_err(|e| ReportError::Io { path: path.clone(), source: e.into_error() })?;
        let file = buf.into_inner().map_err(|e| ReportError::Io { path: path.clone(), source: e.into_error() })?;
        file.sync_all().map_err(|source| ReportError::Io { path, source })?;
        Ok(self.rows)
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

/// Row counts per output file, for the manifest.
pub type RowCounts = Vec<(String, u64)>;

impl ReportWriter {
    /// Creates the staging folder beside `out` (same file system, so renames are atomic).
    pub fn create(out: &Path, bom: bool) -> Result<ReportWriter, ReportError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ReportError::Io { path, source }
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
            out: out.to_path_buf(),
            staging: StagingGuard { path: staging, armed: true },
            bom,
        })
    }

    pub fn staging(&self) -> &Path {
        &self.staging.path
    }

    pub fn paragraph(&mut self, r: &ParagraphRow) -> Result<(), ReportError> {
        let f = &mut self.paragraphs;
        f.text(&r.doc_id)?;
        f.date(r.date)?;
        f.text(&r.source)?;
        f.int(r.paragraph.into())?;
        f.int(r.sentences.into())?;
        f.num(r.tone)?;
        f.num(r.positive)?;
        f.num(r.neutral)?;
        f.num(r.negative)?;
        f.text(&r.actors)?;
        f.end()
    }

    pub fn mention(&mut self, r: &MentionRow) -> Result<(), ReportError> {
        let f = &mut self.mentions;
        f.location(&r.doc_id, r.date, r.paragraph, r.sentence)?;
        f.text(&r.actor.id)?;
        f.text(&r.actor.country)?;
        f.text(&r.alias)?;
        f.num(r.sentiment)?;
        f.text(&r.actor.name)?;
        f.text(&r.actor.kind)?;
        f.text(r.label)?;
        f.text(r.found_by)?;
        f.end()
    }

    pub fn stance(&mut self, r: &StanceRow) -> Result<(), ReportError> {
        let f = &mut self.stances;
        f.location(&r.doc_id, r.date, r.paragraph, r.sentence)?;
        f.text(&r.source.id)?;
        f.text(&r.source.country)?;
        f.text(&r.target.id)?;
        f.text(&r.target.country)?;
        f.num(r.score)?;
        f.text(&r.cue)?;
        f.raw(&evidence_cell(&r.evidence))?;
        f.text(r.source_rule)?;
        f.end()
    }

    pub fn error(&mut self, r: &ErrorRow) -> Result<(), ReportError> {
        let f = &mut self.errors;
        f.text(&r.input)?;
        f.int(r.line)?;
        f.text(&r.record_id)?;
        f.raw(&evidence_cell(&r.error))?;
        f.end()
    }

    /// Writes the aggregate reports and closes every CSV file; returns row counts per file.
    pub fn finish(
        self,
        agg: &Aggregate,
        country_name: &dyn Fn(&str) -> String,
    ) -> Result<(FinishedReports, RowCounts), ReportError> {
        let mut counts = Vec::new();
        let ReportWriter { out, staging: guard, paragraphs, mentions, stances, errors, bom } = self;
        let staging = guard.path.clone();
        let finished = FinishedReports { out, staging: guard };
        for f in [paragraphs, mentions, stances, errors] {
            let name = f.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            counts.push((name, f.finish()?));
        }
        let mut f = CsvFile::create(staging.join("actors.csv"), ACTORS_HEADER, bom)?;
        for ((date, key), v) in &agg.actors {
            f.date(*date)?;
            f.text(&key.id)?;
            f.text(&key.name)?;
            f.text(&key.country)?;
            f.text(&key.kind)?;
            f.int(v.documents)?;
            f.int(v.sentiment.count)?;
            write_sums(&mut f, &v.sentiment, &v.stance_out, &v.stance_in)?;
            f.end()?;
        }
        counts.push(("actors.csv".into(), f.finish()?));
        let mut f = CsvFile::create(staging.join("countries.csv"), COUNTRIES_HEADER, bom)?;
        for ((date, code), v) in &agg.countries {
            f.date(*date)?;
            f.text(code)?;
            f.int(v.documents)?;
            f.int(v.sentiment.count)?;
            write_sums(&mut f, &v.sentiment, &v.stance_out, &v.stance_in)?;
            f.text(&country_name(code))?;
            f.end()?;
        }
        counts.push(("countries.csv".into(), f.finish()?));
        let mut f = CsvFile::create(staging.join("dyads.csv"), DYADS_HEADER, bom)?;
        for ((date, s, t), d) in &agg.dyads {
            f.date(*date)?;
            f.text(s)?;
            f.text(t)?;
            f.int(d.stance.count)?;
            f.int(d.documents)?;
            f.opt(d.stance.mean())?;
            let n = d.stance.count.max(1) as f64;
            f.num(d.negative as f64 / n)?;
            f.num(d.positive as f64 / n)?;
            f.end()?;
        }
        counts.push(("dyads.csv".into(), f.finish()?));
        Ok((finished, counts))
    }
}

fn write_sums(f: &mut CsvFile, sentiment: &Sum, out: &Sum, inn: &Sum) -> Result<(), ReportError> {
    f.opt(sentiment.mean())?;
    f.opt(out.mean())?;
    f.int(out.count)?;
    f.opt(inn.mean())?;
    f.int(inn.count)
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
        let mut s = String::new();
        push_fixed4(&mut s, x);
        s
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
        assert!(counts.iter().all(|(_, n)| *n == 0));
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
