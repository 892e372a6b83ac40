//! Plain text: one article per file.
//!
//! The first non-blank line is the title (trimmed). Scraped articles often repeat the headline
//! as the first body line (the seed article does), so when the next non-blank line equals the
//! title it is dropped. The body is everything from the following non-blank line on, kept
//! byte for byte except trailing whitespace; paragraph segmentation is the next stage's job.
//! The id is the file name without `.txt` / `.txt.gz`; `line` is 1; there is no date or source.

use std::io::Read;
use std::path::Path;

use super::stream::Source;
use super::{input_error, CorpusError, RecordError, Step};
use crate::document::Document;

pub(super) struct TxtParser {
    id: String,
    done: bool,
}

/// The document id of a `.txt` path: the file name without its (case-insensitive) extension.
pub(super) fn doc_id(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    for ext in [".txt.gz", ".txt"] {
        if lower.ends_with(ext) {
            return name[..name.len() - ext.len()].to_string();
        }
    }
    name
}

impl TxtParser {
    pub(super) fn new(id: String) -> Self {
        TxtParser { id, done: false }
    }

    pub(super) fn step(&mut self, src: &mut Source, input: &str, limit: usize) -> Step {
        if self.done {
            return Step::End;
        }
        self.done = true;
        let mut bytes = Vec::new();
        // One byte past the limit tells "exactly at the limit" from "over it" without reading
        // (or decompressing) the rest; the reader then hashes the remainder raw.
        let read = src.by_ref().take(limit as u64 + 1).read_to_end(&mut bytes);
        let bad = |e: CorpusError| RecordError {
            input: input.to_string(),
            line: 1,
            record_id: self.id.clone(),
            error: e.to_string(),
        };
        if let Err(e) = read {
            let e = src.describe(&e);
            return Step::Fatal(bad(e));
        }
        if bytes.len() > limit {
            return Step::Fatal(bad(CorpusError::TooLong { limit }));
        }
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        if body.iter().all(u8::is_ascii_whitespace) {
            return Step::Fatal(input_error(input, CorpusError::EmptyInput));
        }
        let text = match std::str::from_utf8(body) {
            Ok(t) => t,
            Err(e) => {
                let offset = e.valid_up_to();
                let line = 1 + memchr::memchr_iter(b'\n', &body[..offset]).count() as u64;
                return Step::Fatal(bad(CorpusError::InvalidUtf8Txt { offset, line }));
            }
        };
        let Some((title, body)) = split_title(text) else {
            return Step::Fatal(bad(CorpusError::NoBody));
        };
        if self.id.trim().is_empty() {
            // A file named just `.txt` has no stem, hence no id.
            return Step::Fatal(bad(CorpusError::EmptyField("id")));
        }
        Step::Doc(Document {
            id: self.id.clone(),
            title: title.to_string(),
            text: body.to_string(),
            input: input.to_string(),
            line: 1,
            ..Document::default()
        })
    }
}

/// Splits a text into (title, body) per the module rules; `None` when there is no body.
fn split_title(text: &str) -> Option<(&str, &str)> {
    let mut lines = NonBlankLines { text, pos: 0 };
    let (_, title) = lines.next()?;
    let (mut start, next) = lines.next()?;
    if next == title {
        start = lines.next()?.0;
    }
    let body = text[start..].trim_end();
    Some((title, body))
}

/// Iterates the non-blank lines of a text as (byte offset of the line, trimmed line).
struct NonBlankLines<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for NonBlankLines<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<(usize, &'a str)> {
        while self.pos < self.text.len() {
            let start = self.pos;
            let end = memchr::memchr(b'\n', &self.text.as_bytes()[start..]).map_or(self.text.len(), |i| start + i);
            self.pos = end + 1;
            let line = self.text[start..end].trim();
            if !line.is_empty() {
                return Some((start, line));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_a_repeated_title_like_the_seed_article() {
        let t = "Xi departs Russia\n\nXi departs Russia\n\nMOSCOW: Chinese leader Xi...\n\nBoth leaders.\n\n";
        assert_eq!(split_title(t), Some(("Xi departs Russia", "MOSCOW: Chinese leader Xi...\n\nBoth leaders.")));
    }

    #[test]
    fn keeps_a_first_body_line_that_differs_and_the_body_as_is() {
        let t = "\n  Title \r\nBody line one\r\n\r\n  indented para\r\n";
        assert_eq!(split_title(t), Some(("Title", "Body line one\r\n\r\n  indented para")));
    }

    #[test]
    fn title_without_body_is_none() {
        assert_eq!(split_title("Only a title\n\n"), None);
        assert_eq!(split_title("Same\n\nSame\n"), None);
    }

    #[test]
    fn id_strips_the_extension_case_insensitively() {
        assert_eq!(doc_id(Path::new("a/b/000_x.TXT")), "000_x");
        assert_eq!(doc_id(Path::new("a/story.v2.txt.gz")), "story.v2");
        assert_eq!(doc_id(Path::new(".txt")), "");
    }
}
