//! Loading lexicon files: the knowledge of the pipeline lives in CSV data, not in code.
//!
//! Every lexicon has a default copy embedded in the binary (so an installed `newsstance` works
//! anywhere) and can be replaced file by file from a folder given with `--lexicons DIR`. Loading
//! never stops at the first bad line: all problems are collected with file and line, so a user
//! fixing a lexicon sees every mistake at once (`newsstance lexicon check`).

use std::fmt;
use std::path::{Path, PathBuf};

/// A lexicon file as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    pub name: String,
    pub origin: String,
    pub blake3: String,
}

/// One lexicon file's text and where it came from.
#[derive(Debug, Clone)]
pub struct LexiconFile {
    /// File name relative to the lexicon folder, e.g. `actors.csv` or `vader/vader_lexicon.txt`.
    pub name: String,
    /// The path it was read from, or `embedded:<name>` for the built-in copy.
    pub origin: String,
    pub text: String,
}

impl LexiconFile {
    /// Reads `dir/name` when `dir` is given and the file exists there; otherwise the embedded copy.
    pub fn read(dir: Option<&Path>, name: &str, embedded: &str) -> Result<LexiconFile, Problem> {
        if let Some(dir) = dir {
            let path: PathBuf = dir.join(name);
            if path.exists() {
                let bytes = std::fs::read(&path).map_err(|e| Problem {
                    file: path.display().to_string(),
                    line: 0,
                    message: format!("cannot read: {e}"),
                })?;
                let text = String::from_utf8(bytes).map_err(|e| Problem {
                    file: path.display().to_string(),
                    line: line_of_byte(e.as_bytes(), e.utf8_error().valid_up_to()),
                    message: "not valid UTF-8".to_string(),
                })?;
                return Ok(LexiconFile { name: name.to_string(), origin: path.display().to_string(), text });
            }
        }
        Ok(LexiconFile { name: name.to_string(), origin: format!("embedded:{name}"), text: embedded.to_string() })
    }

    /// Name, origin and hash: what the run manifest keeps once the text is parsed (the parser's
    /// weights are tens of megabytes of text; keeping them for the manifest would waste memory).
    pub fn digest(&self) -> FileDigest {
        FileDigest { name: self.name.clone(), origin: self.origin.clone(), blake3: self.blake3() }
    }

    /// BLAKE3 of the text, hex, for the run manifest.
    pub fn blake3(&self) -> String {
        blake3::hash(self.text.as_bytes()).to_hex().to_string()
    }

    /// Parses the file as CSV with exactly `header` as its first row. Returns the records with
    /// their 1-based line numbers; problems (wrong header, wrong arity, bad quoting) are appended
    /// to `problems` and their records skipped.
    pub fn csv_records(&self, header: &[&str], problems: &mut Vec<Problem>) -> Vec<(u64, csv::StringRecord)> {
        let text = self.text.strip_prefix('\u{feff}').unwrap_or(&self.text);
        let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
        let mut out = Vec::new();
        match reader.headers() {
            Ok(h) => {
                let got: Vec<&str> = h.iter().map(str::trim).collect();
                if got != header {
                    problems.push(
                        self.problem(1, format!("header must be `{}`, found `{}`", header.join(","), got.join(","))),
                    );
                    return out;
                }
            }
            Err(e) => {
                problems.push(self.problem(1, format!("cannot read header: {e}")));
                return out;
            }
        }
        for rec in reader.records() {
            match rec {
                Ok(r) => {
                    let line = r.position().map_or(0, |p| p.line());
                    if r.len() == 1 && r.get(0).is_some_and(|f| f.trim().is_empty()) {
                        continue; // blank line
                    }
                    if r.len() != header.len() {
                        problems
                            .push(self.problem(line, format!("expected {} fields, found {}", header.len(), r.len())));
                        continue;
                    }
                    out.push((line, r));
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    problems.push(self.problem(line, format!("bad CSV: {e}")));
                }
            }
        }
        out
    }

    pub fn problem(&self, line: u64, message: impl Into<String>) -> Problem {
        Problem { file: self.origin.clone(), line, message: message.into() }
    }
}

fn line_of_byte(bytes: &[u8], offset: usize) -> u64 {
    1 + bytes[..offset.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() as u64
}

/// One problem in a lexicon file, printed as `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: u64,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// All problems found while loading lexicons; loading fails if there is at least one.
#[derive(Debug, Clone, thiserror::Error)]
pub struct LexiconError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for LexiconError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} lexicon problem(s):", self.problems.len())?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> LexiconFile {
        LexiconFile { name: "t.csv".into(), origin: "t.csv".into(), text: text.into() }
    }

    #[test]
    fn reports_wrong_header_and_arity_with_lines() {
        let mut problems = Vec::new();
        let recs = file("a,b\n1,2\n3\n\"4\",5\n").csv_records(&["a", "b"], &mut problems);
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].0, 4);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].to_string(), "t.csv:3: expected 2 fields, found 1");

        let mut problems = Vec::new();
        assert!(file("x,b\n1,2\n").csv_records(&["a", "b"], &mut problems).is_empty());
        assert!(problems[0].message.contains("header must be `a,b`"));
    }

    #[test]
    fn falls_back_to_embedded_copy() {
        let dir = tempfile::tempdir().unwrap();
        let f = LexiconFile::read(Some(dir.path()), "x.csv", "a\n").unwrap();
        assert_eq!(f.origin, "embedded:x.csv");
        std::fs::write(dir.path().join("x.csv"), "b\n").unwrap();
        let f = LexiconFile::read(Some(dir.path()), "x.csv", "a\n").unwrap();
        assert_eq!(f.text, "b\n");
        std::fs::write(dir.path().join("x.csv"), b"ok\n\xff\n").unwrap();
        let e = LexiconFile::read(Some(dir.path()), "x.csv", "a\n").unwrap_err();
        assert_eq!(e.line, 2);
    }
}
