//! Evaluation of the target-dependent sentiment model on NewsMTSC.
//!
//! NewsMTSC (Hamborg & Donnay, EACL 2021, MIT licence) annotates the sentiment *toward a person
//! mention* in single news sentences. It is the benchmark the issue fixes for the per-actor
//! numbers, so this module turns its JSONL files into [`Example`]s with byte spans (the dataset
//! counts Python `str` indices, i.e. Unicode scalar values), scores them and reports the figures
//! analysts were promised: macro-F1 (the mean of the three per-class F1, so the rare positive class
//! counts as much as the others), accuracy, per-class precision/recall/F1 and the confusion matrix.

use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::stance::target::{train, Label, TargetModel, TrainParams};
use crate::tone::Vader;

/// One target mention with its gold sentiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// NewsMTSC `Input.gid` of the target.
    pub gid: String,
    pub sentence: String,
    /// Byte span of the mention inside `sentence`.
    pub target: Range<usize>,
    /// Byte spans of the other targets' mentions in the same sentence.
    pub others: Vec<Range<usize>>,
    pub gold: Label,
}

/// Why a NewsMTSC file could not be read (or an output written). Every data error names the file
/// and the 1-based line.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Data { path: PathBuf, line: usize, message: String },
}

#[derive(Deserialize)]
struct RawLine {
    sentence_normalized: String,
    targets: Vec<RawTarget>,
}

#[derive(Deserialize)]
struct RawTarget {
    #[serde(rename = "Input.gid")]
    gid: String,
    from: usize,
    to: usize,
    mention: String,
    polarity: f64,
}

/// Converts NewsMTSC character offsets (`from` inclusive, `to` exclusive, counted in Unicode
/// scalar values like Python `str` indices) into a byte range of `text`.
///
/// Returns `None` when the span is reversed or runs past the end of the text. Offsets equal to
/// the character count map to `text.len()`, so a span ending the sentence is valid.
pub fn char_span_to_bytes(text: &str, from: usize, to: usize) -> Option<Range<usize>> {
    if from > to {
        return None;
    }
    let mut start = None;
    let mut end = None;
    for (ci, (bi, _)) in text.char_indices().enumerate() {
        if ci == from {
            start = Some(bi);
        }
        if ci == to {
            end = Some(bi);
            break;
        }
    }
    let nchars_reached = |x: usize| x == text.chars().count();
    let start = match start {
        Some(s) => s,
        None if nchars_reached(from) => text.len(),
        None => return None,
    };
    let end = match end {
        Some(e) => e,
        None if nchars_reached(to) => text.len(),
        None => return None,
    };
    Some(start..end)
}

fn label_of_polarity(p: f64) -> Option<Label> {
    // The dataset uses exactly 2.0 / 4.0 / 6.0; compare with a tolerance to be robust to
    // re-serialisation (4 vs 4.0).
    if (p - 2.0).abs() < 1e-9 {
        Some(Label::Negative)
    } else if (p - 4.0).abs() < 1e-9 {
        Some(Label::Neutral)
    } else if (p - 6.0).abs() < 1e-9 {
        Some(Label::Positive)
    } else {
        None
    }
}

/// Parses NewsMTSC JSONL text (one sentence object per line) into examples, one per target.
///
/// `path` is only used in error messages. The mention text is checked against the span so that
/// an offset convention change in the data is caught instead of silently scoring the wrong words.
pub fn parse_newsmtsc(text: &str, path: &Path) -> Result<Vec<Example>, EvalError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        parse_line(line, path, i + 1, &mut out)?;
    }
    Ok(out)
}

fn parse_line(line: &str, path: &Path, lineno: usize, out: &mut Vec<Example>) -> Result<(), EvalError> {
    let err = |message: String| EvalError::Data { path: path.to_path_buf(), line: lineno, message };
    if line.trim().is_empty() {
        return Ok(());
    }
    let raw: RawLine = serde_json::from_str(line).map_err(|e| err(format!("invalid JSON: {e}")))?;
    let s = raw.sentence_normalized;
    let mut spans = Vec::with_capacity(raw.targets.len());
    for t in &raw.targets {
        let span = char_span_to_bytes(&s, t.from, t.to)
            .ok_or_else(|| err(format!("target {:?}: span {}..{} outside the sentence", t.gid, t.from, t.to)))?;
        if s[span.clone()] != t.mention {
            return Err(err(format!(
                "target {:?}: span {}..{} is {:?}, mention is {:?}",
                t.gid,
                t.from,
                t.to,
                &s[span.clone()],
                t.mention
            )));
        }
        let gold = label_of_polarity(t.polarity)
            .ok_or_else(|| err(format!("target {:?}: polarity {} is not 2.0, 4.0 or 6.0", t.gid, t.polarity)))?;
        spans.push((span, gold));
    }
    for (k, t) in raw.targets.iter().enumerate() {
        let others = spans.iter().enumerate().filter(|&(j, _)| j != k).map(|(_, (sp, _))| sp.clone()).collect();
        out.push(Example {
            gid: t.gid.clone(),
            sentence: s.clone(),
            target: spans[k].0.clone(),
            others,
            gold: spans[k].1,
        });
    }
    Ok(())
}

/// Reads a NewsMTSC JSONL file; `others` of each example are the other targets' spans.
pub fn load_newsmtsc(path: &Path) -> Result<Vec<Example>, EvalError> {
    let io = |source| EvalError::Io { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io)?;
        parse_line(&line, path, i + 1, &mut out)?;
    }
    Ok(out)
}

/// Confusion matrix and the figures derived from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvalReport {
    /// `confusion[gold][predicted]`, indices in [`Label::ALL`] order (negative, neutral, positive).
    pub confusion: [[u64; 3]; 3],
}

impl EvalReport {
    /// Counts one (gold, predicted) pair.
    pub fn add(&mut self, gold: Label, predicted: Label) {
        self.confusion[gold.index()][predicted.index()] += 1;
    }

    /// Number of examples counted.
    pub fn total(&self) -> u64 {
        self.confusion.iter().flatten().sum()
    }

    /// Precision, recall and F1 of one class, each in [0, 1]; 0 when undefined (no prediction or
    /// no gold example of the class), the convention of scikit-learn's `zero_division=0`.
    pub fn class_prf(&self, label: Label) -> (f64, f64, f64) {
        let c = label.index();
        let tp = self.confusion[c][c] as f64;
        let predicted: u64 = (0..3).map(|g| self.confusion[g][c]).sum();
        let gold: u64 = self.confusion[c].iter().sum();
        let p = if predicted == 0 { 0.0 } else { tp / predicted as f64 };
        let r = if gold == 0 { 0.0 } else { tp / gold as f64 };
        let f = if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) };
        (p, r, f)
    }

    /// Mean of the three per-class F1, in [0, 1] (the NewsMTSC paper's headline metric).
    pub fn macro_f1(&self) -> f64 {
        Label::ALL.iter().map(|&l| self.class_prf(l).2).sum::<f64>() / 3.0
    }

    /// Share of examples whose predicted label is the gold one, in [0, 1]; 0 when empty.
    pub fn accuracy(&self) -> f64 {
        let total = self.total();
        if total == 0 {
            return 0.0;
        }
        (0..3).map(|i| self.confusion[i][i]).sum::<u64>() as f64 / total as f64
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "examples  {}", self.total())?;
        writeln!(f, "macro-F1  {:.1}", 100.0 * self.macro_f1())?;
        writeln!(f, "accuracy  {:.1}", 100.0 * self.accuracy())?;
        writeln!(f)?;
        writeln!(f, "{:<10} {:>9} {:>9} {:>9} {:>7}", "class", "precision", "recall", "F1", "gold")?;
        for l in Label::ALL {
            let (p, r, f1) = self.class_prf(l);
            let gold: u64 = self.confusion[l.index()].iter().sum();
            writeln!(f, "{:<10} {:>9.1} {:>9.1} {:>9.1} {:>7}", l.to_string(), 100.0 * p, 100.0 * r, 100.0 * f1, gold)?;
        }
        writeln!(f)?;
        writeln!(f, "confusion (rows gold, columns predicted)")?;
        writeln!(f, "{:<10} {:>9} {:>9} {:>9}", "", "negative", "neutral", "positive")?;
        for l in Label::ALL {
            let row = self.confusion[l.index()];
            writeln!(f, "{:<10} {:>9} {:>9} {:>9}", l.to_string(), row[0], row[1], row[2])?;
        }
        Ok(())
    }
}

/// Scores every example (with the coverage reader beside the target model when given, as
/// `score` does) and, when `predictions` is given, writes a CSV `gid,gold,predicted` row per
/// example (in input order) so that the printed figures can be recomputed from the file.
pub fn evaluate(
    model: &TargetModel,
    vader: &Vader,
    coverage: Option<&crate::stance::coverage::CoverageReader>,
    examples: &[Example],
    predictions: Option<&mut dyn std::io::Write>,
) -> std::io::Result<EvalReport> {
    let mut report = EvalReport::default();
    let mut writer = predictions.map(csv::Writer::from_writer);
    if let Some(w) = writer.as_mut() {
        w.write_record(["gid", "gold", "predicted"]).map_err(csv_to_io)?;
    }
    let mut scratch = crate::stance::coverage::Scratch::default();
    for ex in examples {
        let mut s = model.score(vader, &ex.sentence, ex.target.clone(), &ex.others);
        if let Some(c) = coverage {
            s = c.score(s, &ex.sentence, &ex.target, &ex.others, &mut scratch).0;
        }
        report.add(ex.gold, s.label);
        if let Some(w) = writer.as_mut() {
            w.write_record([ex.gid.as_str(), ex.gold.as_str(), s.label.as_str()]).map_err(csv_to_io)?;
        }
    }
    if let Some(mut w) = writer {
        w.flush()?;
    }
    Ok(report)
}

/// `newsstance train newsmtsc FILE --out OUT`: trains the target model on a NewsMTSC file and
/// writes its weights CSV to `out`. With the default [`TrainParams`] and `train.jsonl` this
/// reproduces the shipped `lexicons/target_model.csv` byte for byte.
pub fn train_newsmtsc(
    train_file: &Path,
    out: &Path,
    vader: &Vader,
    params: &TrainParams,
) -> Result<TargetModel, EvalError> {
    let examples = load_newsmtsc(train_file)?;
    let model = train(&examples, vader, params);
    let io = |source| EvalError::Io { path: out.to_path_buf(), source };
    let file = std::fs::File::create(out).map_err(io)?;
    let mut w = std::io::BufWriter::new(file);
    model.to_csv(&mut w).map_err(io)?;
    w.flush().map_err(io)?;
    Ok(model)
}

/// `newsstance eval newsmtsc FILE [--predictions OUT]`: scores a NewsMTSC file with `model`
/// and returns the report to print, writing the predictions CSV when asked.
pub fn eval_newsmtsc(
    model: &TargetModel,
    vader: &Vader,
    file: &Path,
    predictions: Option<&Path>,
) -> Result<EvalReport, EvalError> {
    let examples = load_newsmtsc(file)?;
    match predictions {
        None => evaluate(model, vader, None, &examples, None)
            .map_err(|source| EvalError::Io { path: file.to_path_buf(), source }),
        Some(out) => {
            let io = |source| EvalError::Io { path: out.to_path_buf(), source };
            let f = std::fs::File::create(out).map_err(io)?;
            let mut w = std::io::BufWriter::new(f);
            let report = evaluate(model, vader, None, &examples, Some(&mut w)).map_err(io)?;
            w.flush().map_err(io)?;
            Ok(report)
        }
    }
}

/// Recomputes a report from a predictions file written by [`evaluate`], so tests (and analysts)
/// can check that the file and the printed figures agree.
pub fn report_from_predictions<R: std::io::Read>(reader: R) -> Result<EvalReport, String> {
    let mut rdr = csv::Reader::from_reader(reader);
    let headers = rdr.headers().map_err(|e| e.to_string())?.clone();
    if headers.iter().collect::<Vec<_>>() != ["gid", "gold", "predicted"] {
        return Err(format!("unexpected header {headers:?}"));
    }
    let mut report = EvalReport::default();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| e.to_string())?;
        let parse = |k: usize| {
            rec.get(k).and_then(Label::parse).ok_or_else(|| format!("line {}: bad label in column {}", i + 2, k + 1))
        };
        report.add(parse(1)?, parse(2)?);
    }
    Ok(report)
}

fn csv_to_io(e: csv::Error) -> std::io::Error {
    std::io::Error::other(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_offsets_become_byte_offsets() {
        let s = "Zoë’s rival, Müller, won";
        // chars: Z o ë ’ s _ r i v a l , _ M ü l l e r
        let r = char_span_to_bytes(s, 13, 19).unwrap();
        assert_eq!(&s[r], "Müller");
        let r = char_span_to_bytes(s, 0, 3).unwrap();
        assert_eq!(&s[r], "Zoë");
        let n = s.chars().count();
        let r = char_span_to_bytes(s, n - 3, n).unwrap();
        assert_eq!(&s[r], "won");
        assert_eq!(char_span_to_bytes(s, n, n), Some(s.len()..s.len()));
        assert_eq!(char_span_to_bytes(s, 2, n + 1), None);
        assert_eq!(char_span_to_bytes(s, 5, 4), None);
        assert_eq!(char_span_to_bytes("", 0, 0), Some(0..0));
    }

    #[test]
    fn parses_lines_and_checks_mentions() {
        let text = concat!(
            r#"{"sentence_normalized": "“Zoë” praised Müller.", "targets": [{"Input.gid": "a,1", "from": 1, "to": 4, "mention": "Zoë", "polarity": 6.0}, {"Input.gid": "b", "from": 14, "to": 20, "mention": "Müller", "polarity": 4.0}]}"#,
            "\n\n"
        );
        let ex = parse_newsmtsc(text, Path::new("x.jsonl")).unwrap();
        assert_eq!(ex.len(), 2);
        assert_eq!(&ex[0].sentence[ex[0].target.clone()], "Zoë");
        assert_eq!(ex[0].gold, Label::Positive);
        assert_eq!(ex[0].others, vec![ex[1].target.clone()]);
        assert_eq!(&ex[1].sentence[ex[1].target.clone()], "Müller");
        assert_eq!(ex[1].gold, Label::Neutral);

        let bad = r#"{"sentence_normalized": "Zoë won", "targets": [{"Input.gid": "a", "from": 0, "to": 2, "mention": "Zoë", "polarity": 6.0}]}"#;
        let e = parse_newsmtsc(&format!("\n{bad}"), Path::new("x.jsonl")).unwrap_err();
        assert!(e.to_string().starts_with("x.jsonl:2: "), "{e}");
        let bad = r#"{"sentence_normalized": "Zoë won", "targets": [{"Input.gid": "a", "from": 0, "to": 3, "mention": "Zoë", "polarity": 5.0}]}"#;
        assert!(parse_newsmtsc(bad, Path::new("x")).is_err());
        assert!(parse_newsmtsc("{not json", Path::new("x")).is_err());
    }

    #[test]
    fn metrics_match_a_hand_computed_matrix() {
        // gold \ pred   neg neu pos
        // neg            5   3   2
        // neu            1   6   1
        // pos            0   2   4
        let r = EvalReport { confusion: [[5, 3, 2], [1, 6, 1], [0, 2, 4]] };
        // neg: P = 5/6, R = 5/10, F = 2*5/(6+10) = 10/16
        // neu: P = 6/11, R = 6/8, F = 12/19
        // pos: P = 4/7, R = 4/6, F = 8/13
        let expected = (10.0 / 16.0 + 12.0 / 19.0 + 8.0 / 13.0) / 3.0;
        assert!((r.macro_f1() - expected).abs() < 1e-12);
        assert!((r.accuracy() - 15.0 / 24.0).abs() < 1e-12);
        let (p, rc, _) = r.class_prf(Label::Neutral);
        assert!((p - 6.0 / 11.0).abs() < 1e-12 && (rc - 0.75).abs() < 1e-12);
        let shown = r.to_string();
        assert!(shown.contains("macro-F1  62.4"), "{shown}");
        // A class never predicted nor present counts as F1 0, not NaN.
        let empty = EvalReport { confusion: [[3, 0, 0], [0, 0, 0], [0, 0, 0]] };
        assert!((empty.macro_f1() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(EvalReport::default().accuracy(), 0.0);
    }

    #[test]
    fn predictions_file_round_trips_to_the_same_report() {
        let mut r = EvalReport::default();
        let mut buf = b"gid,gold,predicted\n".to_vec();
        for (g, p) in [(0, 0), (0, 1), (1, 1), (2, 2), (2, 0)] {
            r.add(Label::ALL[g], Label::ALL[p]);
            buf.extend_from_slice(format!("\"x,{g}\",{},{}\n", Label::ALL[g], Label::ALL[p]).as_bytes());
        }
        assert_eq!(report_from_predictions(&buf[..]).unwrap(), r);
        assert!(report_from_predictions(&b"gid,gold,predicted\na,bad,neutral\n"[..]).is_err());
    }
}
