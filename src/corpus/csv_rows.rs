//! CSV: RFC 4180 records under a header row that names the columns.
//!
//! This is a small hand-written state machine rather than the `csv` crate because the stage
//! needs three things that crate does not give: a record-size bound that skips an oversized
//! record without buffering it, the exact line where each record starts (for error rows and
//! evidence), and detection of an unterminated quote, which otherwise silently swallows every
//! later row into one field. It is as lenient as the `csv` crate elsewhere: a quote inside an
//! unquoted field is literal, text after a closing quote is appended, `\n` and `\r\n` both end
//! records, blank lines are skipped, a UTF-8 BOM before the header is dropped.
//!
//! Header names are matched trimmed and case-insensitively; unknown columns are ignored. A
//! header without `id` and `text`, or naming a known column twice, makes the file unusable: one
//! error row, nothing read. A row whose field count differs from the header's is an error row.
//! A line that is only whitespace is skipped, as in JSONL.

use std::io::BufRead;

use super::stream::{fill, Source};
use super::{input_error, CorpusError, Fields, RecordError, Step};

const BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first byte of the input: matching a BOM, `n` bytes matched so far.
    Bom(usize),
    /// Between records: blank lines are skipped here.
    StartRecord,
    StartField,
    Unquoted,
    Quoted,
    /// Just saw a `"` inside a quoted field: either an escaped quote or the field's end.
    QuoteInQuoted,
}

/// How one raw record read ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Record,
    /// Larger than the limit: consumed entirely, fields not kept.
    TooLong,
    /// EOF inside a quoted field.
    Unterminated,
}

/// One raw record: field bytes back to back plus each field's end offset.
#[derive(Debug, Default)]
struct RawRecord {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    start_line: u64,
}

impl RawRecord {
    fn field(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// A line holding only whitespace: treated as blank.
    fn is_blank(&self) -> bool {
        self.len() == 1 && self.bytes.iter().all(u8::is_ascii_whitespace)
    }
}

/// Column positions of the known fields.
#[derive(Debug, Default)]
struct Columns {
    count: usize,
    id: Option<usize>,
    text: Option<usize>,
    title: Option<usize>,
    date: Option<usize>,
    source: Option<usize>,
    url: Option<usize>,
}

/// The raw record tokenizer, separate from header logic so it can be tested on its own.
struct Tokenizer {
    state: State,
    /// Line number of the next byte (1-based).
    line: u64,
}

impl Tokenizer {
    fn new() -> Self {
        Tokenizer { state: State::Bom(0), line: 1 }
    }

    fn end_field(rec: &mut RawRecord, keep: bool) {
        if keep {
            rec.ends.push(rec.bytes.len());
        }
    }

    /// Reads the next record into `rec`; `Ok(None)` at end of input.
    fn read(&mut self, src: &mut impl BufRead, rec: &mut RawRecord, limit: usize) -> std::io::Result<Option<Outcome>> {
        rec.bytes.clear();
        rec.ends.clear();
        let mut keep = true;
        loop {
            let chunk = fill(src)?;
            if chunk.is_empty() {
                // End of input: close whatever is open.
                let outcome = match self.state {
                    State::Bom(0) | State::StartRecord => return Ok(None),
                    State::Bom(n) => {
                        // A partial BOM followed by nothing: it was content.
                        rec.start_line = self.line;
                        push(rec, &BOM[..n], &mut keep, limit);
                        Self::end_field(rec, keep);
                        Outcome::Record
                    }
                    State::Quoted => Outcome::Unterminated,
                    State::StartField | State::Unquoted | State::QuoteInQuoted => {
                        Self::end_field(rec, keep);
                        Outcome::Record
                    }
                };
                self.state = State::StartRecord;
                // An unterminated quote wins over "too long": it is the cause, and it ends
                // the input.
                return Ok(Some(match outcome {
                    Outcome::Record if !keep => Outcome::TooLong,
                    o => o,
                }));
            }
            let mut i = 0;
            let mut done = false;
            while i < chunk.len() && !done {
                let b = chunk[i];
                match self.state {
                    State::Bom(n) => {
                        if b == BOM[n] {
                            i += 1;
                            self.state = if n + 1 == BOM.len() { State::StartRecord } else { State::Bom(n + 1) };
                        } else if n == 0 {
                            self.state = State::StartRecord;
                        } else {
                            // Bytes that looked like a BOM start were content after all.
                            rec.start_line = self.line;
                            push(rec, &BOM[..n], &mut keep, limit);
                            self.state = State::Unquoted;
                        }
                    }
                    State::StartRecord => {
                        if b == b'\n' {
                            self.line += 1;
                            i += 1;
                        } else if b == b'\r' {
                            i += 1;
                        } else {
                            rec.start_line = self.line;
                            self.state = State::StartField;
                        }
                    }
                    State::StartField => {
                        if b == b'"' {
                            i += 1;
                            self.state = State::Quoted;
                        } else {
                            self.state = State::Unquoted;
                        }
                    }
                    State::Unquoted => {
                        let rest = &chunk[i..];
                        match memchr::memchr2(b',', b'\n', rest) {
                            None => {
                                push(rec, rest, &mut keep, limit);
                                i = chunk.len();
                            }
                            Some(j) => {
                                let mut field = &rest[..j];
                                if rest[j] == b'\n' {
                                    field = field.strip_suffix(b"\r").unwrap_or(field);
                                }
                                let field_start = rec.ends.last().copied().unwrap_or(0);
                                push(rec, field, &mut keep, limit);
                                if rest[j] == b'\n'
                                    && j == 0
                                    && rec.bytes.len() > field_start
                                    && rec.bytes.last() == Some(&b'\r')
                                {
                                    // The `\r` of a `\r\n` split across chunks.
                                    rec.bytes.pop();
                                }
                                Self::end_field(rec, keep);
                                i += j + 1;
                                if rest[j] == b'\n' {
                                    self.line += 1;
                                    self.state = State::StartRecord;
                                    done = true;
                                } else {
                                    self.state = State::StartField;
                                }
                            }
                        }
                    }
                    State::Quoted => {
                        let rest = &chunk[i..];
                        match memchr::memchr(b'"', rest) {
                            None => {
                                self.line += memchr::memchr_iter(b'\n', rest).count() as u64;
                                push(rec, rest, &mut keep, limit);
                                i = chunk.len();
                            }
                            Some(j) => {
                                self.line += memchr::memchr_iter(b'\n', &rest[..j]).count() as u64;
                                push(rec, &rest[..j], &mut keep, limit);
                                i += j + 1;
                                self.state = State::QuoteInQuoted;
                            }
                        }
                    }
                    State::QuoteInQuoted => {
                        i += 1;
                        match b {
                            b'"' => {
                                push(rec, b"\"", &mut keep, limit);
                                self.state = State::Quoted;
                            }
                            b',' => {
                                Self::end_field(rec, keep);
                                self.state = State::StartField;
                            }
                            b'\n' => {
                                Self::end_field(rec, keep);
                                self.line += 1;
                                self.state = State::StartRecord;
                                done = true;
                            }
                            b'\r' => {}
                            other => {
                                push(rec, &[other], &mut keep, limit);
                                self.state = State::Unquoted;
                            }
                        }
                    }
                }
            }
            src.consume(i);
            if done {
                return Ok(Some(if keep { Outcome::Record } else { Outcome::TooLong }));
            }
        }
    }
}

/// Appends field bytes unless the record already outgrew the limit; past the limit the bytes
/// are dropped (and the buffer released) while the tokenizer keeps tracking quotes and lines.
fn push(rec: &mut RawRecord, bytes: &[u8], keep: &mut bool, limit: usize) {
    if !*keep {
        return;
    }
    if rec.bytes.len() + bytes.len() > limit {
        *keep = false;
        rec.bytes = Vec::new();
        rec.ends.clear();
    } else {
        rec.bytes.extend_from_slice(bytes);
    }
}

/// Parser state for one CSV input.
pub(super) struct CsvParser {
    tok: Tokenizer,
    rec: RawRecord,
    columns: Option<Columns>,
    rows: u64,
}

impl CsvParser {
    pub(super) fn new() -> Self {
        CsvParser { tok: Tokenizer::new(), rec: RawRecord::default(), columns: None, rows: 0 }
    }

    pub(super) fn step(&mut self, src: &mut Source, input: &str, limit: usize) -> Step {
        loop {
            let outcome = match self.tok.read(src, &mut self.rec, limit) {
                Ok(o) => o,
                Err(e) => {
                    let e = src.describe(&e);
                    return Step::Fatal(row_error(input, self.tok.line, "", e));
                }
            };
            let line = self.rec.start_line;
            let Some(outcome) = outcome else {
                return match (&self.columns, self.rows) {
                    (None, _) => Step::Fatal(input_error(input, CorpusError::EmptyInput)),
                    (Some(_), 0) => Step::Fatal(input_error(input, CorpusError::HeaderOnly)),
                    _ => Step::End,
                };
            };
            match outcome {
                Outcome::Unterminated => {
                    let lines = self.tok.line - line + 1;
                    let e = CorpusError::CsvUnterminatedQuote { lines };
                    return Step::Fatal(row_error(input, line, "", e));
                }
                Outcome::TooLong if self.columns.is_none() => {
                    return Step::Fatal(row_error(input, line, "", CorpusError::TooLong { limit }));
                }
                Outcome::TooLong => {
                    self.rows += 1;
                    return Step::Bad(row_error(input, line, "", CorpusError::TooLong { limit }));
                }
                Outcome::Record => {}
            }
            if self.rec.is_blank() {
                continue;
            }
            let Some(columns) = &self.columns else {
                match parse_header(&self.rec) {
                    Ok(c) => {
                        self.columns = Some(c);
                        continue;
                    }
                    Err(e) => return Step::Fatal(row_error(input, line, "", e)),
                }
            };
            self.rows += 1;
            return match row_fields(&self.rec, columns) {
                Ok(fields) => match fields.into_document(input, line) {
                    Ok(doc) => Step::Doc(doc),
                    Err(e) => Step::Bad(e),
                },
                Err((id, e)) => Step::Bad(row_error(input, line, &id, e)),
            };
        }
    }
}

fn row_error(input: &str, line: u64, record_id: &str, e: CorpusError) -> RecordError {
    RecordError { input: input.to_string(), line, record_id: record_id.to_string(), error: e.to_string() }
}

fn parse_header(rec: &RawRecord) -> Result<Columns, CorpusError> {
    let mut c = Columns { count: rec.len(), ..Columns::default() };
    let mut names = Vec::with_capacity(rec.len());
    for i in 0..rec.len() {
        let name = String::from_utf8_lossy(rec.field(i)).trim().to_ascii_lowercase();
        let slot = match name.as_str() {
            "id" => &mut c.id,
            "text" => &mut c.text,
            "title" => &mut c.title,
            "date" => &mut c.date,
            "source" => &mut c.source,
            "url" => &mut c.url,
            _ => {
                names.push(name);
                continue;
            }
        };
        if slot.replace(i).is_some() {
            return Err(CorpusError::CsvDuplicateColumn(name));
        }
        names.push(name);
    }
    let missing: Vec<&str> =
        [("`id`", c.id), ("`text`", c.text)].iter().filter(|(_, i)| i.is_none()).map(|(n, _)| *n).collect();
    if !missing.is_empty() {
        return Err(CorpusError::CsvMissingColumns { missing: missing.join(", "), found: names.join(", ") });
    }
    Ok(c)
}

/// Extracts the known fields of a data row; on error also returns the id when it is readable.
fn row_fields(rec: &RawRecord, c: &Columns) -> Result<Fields, (String, CorpusError)> {
    if rec.len() != c.count {
        let id =
            c.id.filter(|&i| i < rec.len())
                .and_then(|i| std::str::from_utf8(rec.field(i)).ok())
                .unwrap_or("")
                .to_string();
        let e = CorpusError::CsvArity { expected: c.count, found: rec.len() };
        return Err((id, e));
    }
    let get = |col: Option<usize>, what: &'static str| -> Result<Option<String>, CorpusError> {
        let Some(i) = col else { return Ok(None) };
        match std::str::from_utf8(rec.field(i)) {
            Ok(s) => Ok(Some(s.to_string())),
            Err(e) => Err(CorpusError::InvalidUtf8 { what, offset: e.valid_up_to() }),
        }
    };
    let id = get(c.id, "field `id`").map_err(|e| (String::new(), e))?;
    let with_id = |e| (id.clone().unwrap_or_default(), e);
    Ok(Fields {
        text: get(c.text, "field `text`").map_err(with_id)?,
        title: get(c.title, "field `title`").map_err(with_id)?,
        date: get(c.date, "field `date`").map_err(with_id)?,
        source: get(c.source, "field `source`").map_err(with_id)?,
        url: get(c.url, "field `url`").map_err(with_id)?,
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Tokenizes everything with a tiny buffer (to split tokens across chunks).
    fn records(data: &[u8], cap: usize, limit: usize) -> Vec<(u64, Outcome, Vec<Vec<u8>>)> {
        let mut src = std::io::BufReader::with_capacity(cap, data);
        let mut tok = Tokenizer::new();
        let mut rec = RawRecord::default();
        let mut out = Vec::new();
        while let Some(o) = tok.read(&mut src, &mut rec, limit).unwrap() {
            let fields = (0..rec.len()).map(|i| rec.field(i).to_vec()).collect();
            out.push((rec.start_line, o, fields));
        }
        out
    }

    fn strs(fields: &[Vec<u8>]) -> Vec<&str> {
        fields.iter().map(|f| std::str::from_utf8(f).unwrap()).collect()
    }

    #[test]
    fn tokenizes_quotes_multiline_fields_and_start_lines() {
        let data = b"\xEF\xBB\xBFid,text\r\n\r\n1,\"two\r\nlines, \"\"quoted\"\"\"\n\n2,plain\r\n3,\"x\"";
        for cap in [1, 2, 3, 1024] {
            let recs = records(data, cap, 1000);
            assert_eq!(recs.len(), 4, "cap {cap}");
            assert_eq!(strs(&recs[0].2), ["id", "text"]);
            assert_eq!(recs[1].0, 3);
            assert_eq!(strs(&recs[1].2), ["1", "two\r\nlines, \"quoted\""]);
            assert_eq!((recs[2].0, strs(&recs[2].2)), (6, vec!["2", "plain"]));
            assert_eq!((recs[3].0, strs(&recs[3].2)), (7, vec!["3", "x"]));
        }
    }

    #[test]
    fn lenient_like_the_csv_crate_on_stray_quotes() {
        let recs = records(b"a\"b,\"c\"d,\n", 4, 100);
        assert_eq!(strs(&recs[0].2), ["a\"b", "cd", ""]);
    }

    #[test]
    fn unterminated_quote_and_oversized_records_are_reported() {
        let recs = records(b"a,b\n1,\"never closed\n2,x\n", 8, 100);
        assert_eq!(recs[1].0, 2);
        assert_eq!(recs[1].1, Outcome::Unterminated);
        let recs = records(b"a,b\n1,\"0123456789012345678901234\"\n2,ok\n", 4, 10);
        assert_eq!(recs[1].1, Outcome::TooLong);
        assert_eq!((recs[2].0, &recs[2].1, strs(&recs[2].2)), (3, &Outcome::Record, vec!["2", "ok"]));
    }

    #[test]
    fn partial_bom_is_content() {
        let recs = records(b"\xEF\xBBx,y\n", 1, 100);
        assert_eq!(recs[0].2, vec![b"\xEF\xBBx".to_vec(), b"y".to_vec()]);
    }

    #[test]
    fn header_rules() {
        let hdr = |s: &[u8]| {
            let r = records(s, 64, 100).remove(0).2;
            let rec = RawRecord {
                ends: r
                    .iter()
                    .scan(0, |a, f| {
                        *a += f.len();
                        Some(*a)
                    })
                    .collect(),
                bytes: r.concat(),
                start_line: 1,
            };
            parse_header(&rec)
        };
        let c = hdr(b" Text ,extra,ID,Date\n").unwrap();
        assert_eq!((c.count, c.id, c.text, c.date, c.title), (4, Some(2), Some(0), Some(3), None));
        assert_eq!(
            hdr(b"title,body\n").unwrap_err().to_string(),
            "CSV header lacks required column(s) `id`, `text` (found: title, body); file skipped"
        );
        assert_eq!(hdr(b"id,text,Text\n").unwrap_err(), CorpusError::CsvDuplicateColumn("text".into()));
    }

    proptest! {
        /// Whatever the `csv` crate writes, we read back identically, at any buffer size.
        #[test]
        fn round_trips_the_csv_crate_writer(
            rows in proptest::collection::vec(
                proptest::collection::vec("[a-z\",\r\n \u{e9}]{0,6}", 3), 1..6),
            cap in 1usize..9,
        ) {
            let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
            for r in &rows { w.write_record(r).unwrap(); }
            let data = w.into_inner().unwrap();
            let got = records(&data, cap, 1 << 20);
            let got: Vec<Vec<String>> = got.into_iter()
                .map(|(_, _, f)| f.into_iter().map(|b| String::from_utf8(b).unwrap()).collect())
                .collect();
            prop_assert_eq!(got, rows);
        }
    }
}
