//! JSONL / NDJSON: one article object per line.
//!
//! Lines are read into one reused buffer (bounded by the record limit), validated as UTF-8 once,
//! and parsed with `serde_json` straight into owned `String`s: the [`Document`] has to own its
//! text anyway, and serde_json copies an unescaped string exactly once, so borrowing would not
//! save a copy. Unknown fields are skipped without allocation.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use super::stream::{read_line, LineRead, Source};
use super::{input_error, CorpusError, Fields, RecordError, Step};
use crate::document::Document;

/// Parser state for one JSONL input.
pub(super) struct JsonlParser {
    buf: Vec<u8>,
    /// Lines consumed so far (so the next line is `line + 1`).
    line: u64,
    /// Whether any non-blank line was seen (else the input is "empty input").
    seen_content: bool,
}

/// After an unusually long line, give the memory back instead of holding it for the rest of
/// the file.
const KEEP_CAPACITY: usize = 1 << 20;

impl JsonlParser {
    pub(super) fn new() -> Self {
        JsonlParser { buf: Vec::with_capacity(64 << 10), line: 0, seen_content: false }
    }

    pub(super) fn step(&mut self, src: &mut Source, input: &str, limit: usize) -> Step {
        loop {
            if self.buf.capacity() > KEEP_CAPACITY {
                self.buf = Vec::with_capacity(64 << 10);
            }
            let line = self.line + 1;
            let read = match read_line(src, &mut self.buf, limit) {
                Ok(r) => r,
                Err(e) => return Step::Fatal(line_error(input, line, "", src.describe(&e))),
            };
            match read {
                LineRead::Eof if self.seen_content => return Step::End,
                LineRead::Eof => return Step::Fatal(input_error(input, CorpusError::EmptyInput)),
                LineRead::TooLong => {
                    self.line = line;
                    self.seen_content = true;
                    return Step::Bad(line_error(input, line, "", CorpusError::TooLong { limit }));
                }
                LineRead::Line => {
                    self.line = line;
                    let mut bytes = &self.buf[..];
                    if line == 1 {
                        bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                    }
                    if bytes.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    self.seen_content = true;
                    return match parse_line(bytes, input, line) {
                        Ok(doc) => Step::Doc(doc),
                        Err(e) => Step::Bad(e),
                    };
                }
            }
        }
    }
}

fn line_error(input: &str, line: u64, record_id: &str, e: CorpusError) -> RecordError {
    RecordError { input: input.to_string(), line, record_id: record_id.to_string(), error: e.to_string() }
}

/// The JSON shape of an article. Every field is optional here so that a missing `id` or `text`
/// gets our own clear message (and the id, when present, makes it into the error row).
#[derive(Deserialize)]
#[serde(expecting = "a JSON object (one article per line)")]
struct JsonArticle {
    #[serde(default)]
    id: Option<JsonId>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

/// Only the id, for naming the record in an error row when the full parse failed on another
/// field.
#[derive(Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: Option<JsonId>,
}

/// An id given as a JSON string or integer, normalised to text. Fractional or exponent numbers
/// are rejected rather than printed in some float format nobody would match against; integers
/// beyond the 64-bit range arrive as floats and are rejected the same way (quote them).
struct JsonId(String);

impl<'de> Deserialize<'de> for JsonId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = JsonId;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an integer id")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonId, E> {
                Ok(JsonId(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<JsonId, E> {
                Ok(JsonId(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<JsonId, E> {
                Ok(JsonId(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<JsonId, E> {
                Ok(JsonId(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<JsonId, E> {
                Err(E::custom(format_args!("id must be a string or an integer, got the number {v}")))
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

/// Parses one non-blank line into a document or an error row.
fn parse_line(bytes: &[u8], input: &str, line: u64) -> Result<Document, RecordError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        // Name the record if the id itself is readable: the operator can then find it.
        let lossy = String::from_utf8_lossy(bytes);
        let e = CorpusError::InvalidUtf8 { what: "line", offset: e.valid_up_to() };
        line_error(input, line, &recover_id(&lossy), e)
    })?;
    // serde's derive would happily read `["a","b"]` as a struct by position; an article must be
    // an object.
    if text.trim_start().as_bytes().first() != Some(&b'{') {
        let e = CorpusError::Json("expected a JSON object (one article per line)".into());
        return Err(line_error(input, line, "", e));
    }
    match serde_json::from_str::<JsonArticle>(text) {
        Ok(a) => {
            Fields { id: a.id.map(|i| i.0), text: a.text, title: a.title, date: a.date, source: a.source, url: a.url }
                .into_document(input, line)
        }
        Err(e) => Err(line_error(input, line, &recover_id(text), json_error(&e))),
    }
}

/// The id of a line whose full parse failed, when it can still be read; else "".
fn recover_id(text: &str) -> String {
    serde_json::from_str::<IdOnly>(text).ok().and_then(|i| i.id).map(|i| i.0).unwrap_or_default()
}

/// serde_json's message, with its "at line 1 column N" (always line 1: we parse one line)
/// replaced by the column alone.
fn json_error(e: &serde_json::Error) -> CorpusError {
    if e.is_eof() {
        return CorpusError::TruncatedJson;
    }
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => &msg,
    };
    CorpusError::Json(format!("{msg} (column {})", e.column()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Document, RecordError> {
        parse_line(line.as_bytes(), "in.jsonl", 7)
    }

    #[test]
    fn reads_all_fields_and_ignores_unknown_ones() {
        let d = parse(r#"{"id":"a1","date":"2023-03-22T10:00:00+03:00","source":"Wire","title":"T","url":"http://x","text":"Body.\n\nMore.","extra":{"nested":[1,2]}}"#).unwrap();
        assert_eq!(d.id, "a1");
        assert_eq!(d.date.unwrap().to_string(), "2023-03-22");
        assert_eq!((d.source.as_str(), d.title.as_str(), d.url.as_str()), ("Wire", "T", "http://x"));
        assert_eq!(d.text, "Body.\n\nMore.");
        assert_eq!((d.input.as_str(), d.line), ("in.jsonl", 7));
    }

    #[test]
    fn numeric_ids_become_decimal_text() {
        assert_eq!(parse(r#"{"id":42,"text":"x"}"#).unwrap().id, "42");
        assert_eq!(parse(r#"{"id":-7,"text":"x"}"#).unwrap().id, "-7");
        assert_eq!(parse(r#"{"id":18446744073709551615,"text":"x"}"#).unwrap().id, "18446744073709551615");
        let e = parse(r#"{"id":1.5,"text":"x"}"#).unwrap_err();
        assert!(e.error.contains("id must be a string or an integer"), "{}", e.error);
        let e = parse(r#"{"id":true,"text":"x"}"#).unwrap_err();
        assert!(e.error.contains("a string or an integer id"), "{}", e.error);
    }

    #[test]
    fn nulls_and_empty_optional_fields_mean_absent() {
        let d = parse(r#"{"id":"a","text":"x","title":null,"date":null,"source":null,"url":null}"#).unwrap();
        assert_eq!((d.title.as_str(), d.date, d.source.as_str()), ("", None, ""));
        assert_eq!(parse(r#"{"id":"a","text":"x","date":""}"#).unwrap().date, None);
    }

    #[test]
    fn nul_bytes_and_control_characters_are_kept() {
        let d = parse(r#"{"id":"a","text":"x\u0000y\u0007z"}"#).unwrap();
        assert_eq!(d.text, "x\0y\u{7}z");
    }

    #[test]
    fn missing_or_empty_required_fields_are_errors_naming_the_id() {
        let e = parse(r#"{"text":"x"}"#).unwrap_err();
        assert_eq!((e.error.as_str(), e.record_id.as_str()), ("missing required field `id`", ""));
        let e = parse(r#"{"id":null,"text":"x"}"#).unwrap_err();
        assert_eq!(e.error, "missing required field `id`");
        let e = parse(r#"{"id":"a9"}"#).unwrap_err();
        assert_eq!((e.error.as_str(), e.record_id.as_str()), ("missing required field `text`", "a9"));
        let e = parse(r#"{"id":"a9","text":"  \n "}"#).unwrap_err();
        assert_eq!(e.error, "required field `text` is empty");
        let e = parse(r#"{"id":" ","text":"x"}"#).unwrap_err();
        assert_eq!(e.error, "required field `id` is empty");
    }

    #[test]
    fn bad_date_is_an_error_that_quotes_the_date() {
        let e = parse(r#"{"id":"d1","text":"x","date":"22/03/2023"}"#).unwrap_err();
        assert_eq!(e.record_id, "d1");
        assert_eq!(e.error, r#"unparseable date "22/03/2023": expected YYYY-MM-DD or RFC 3339"#);
    }

    #[test]
    fn malformed_json_reports_column_and_recovers_the_id() {
        let e = parse(r#"{"id":"t1","text":"x","title":5}"#).unwrap_err();
        assert_eq!(e.record_id, "t1");
        assert!(e.error.starts_with("malformed JSON: invalid type: integer `5`"), "{}", e.error);
        assert!(e.error.ends_with("(column 31)"), "{}", e.error);
        let e = parse(r#"{"id":"t2","text":"cut off"#).unwrap_err();
        assert_eq!(e.error, "truncated JSON: the line ends before the object is complete");
        for not_object in [r#"["a","b"]"#, "42", r#""id""#, "null"] {
            let e = parse(not_object).unwrap_err();
            assert_eq!(e.error, "malformed JSON: expected a JSON object (one article per line)");
        }
        let e = parse(r#"{"id":"a","id":"b","text":"x"}"#).unwrap_err();
        assert!(e.error.contains("duplicate field `id`"), "{}", e.error);
        let e = parse(r#"{"id":"a","text":"x"} trailing"#).unwrap_err();
        assert!(e.error.contains("trailing characters"), "{}", e.error);
    }

    #[test]
    fn invalid_utf8_reports_the_byte_offset() {
        let e = parse_line(b"{\"id\":\"u\",\"text\":\"caf\xe9\"}", "in.jsonl", 3).unwrap_err();
        assert_eq!(e.error, "invalid UTF-8 at byte 21 of the line");
        assert_eq!(e.record_id, "u");
        assert_eq!(e.line, 3);
    }
}
