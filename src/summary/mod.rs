//! `summary.html`: one self-contained page beside the CSVs that answers the morning's first
//! questions — who turned on whom, which relations are strongest, how the press treated each
//! country, how that moved over the dates — with a link from each number to its evidence.
//!
//! The CSVs stay the contract; the page is a picture of them, bounded in size whatever the
//! input (top-N lists, a few sentences per relation). It opens offline: inline CSS and SVG, no
//! network, and a Content-Security-Policy that allows only the page's own one-line script (which
//! records that the sections rendered, for the browser test; the page reads the same without it).
//!
//! The page is built from data any finished report folder has — the aggregate, the manifest's
//! run facts and a bounded set of evidence rows — so `score` builds it from memory at the end of
//! a run ([`render`]) and any other command can build it from a folder's files
//! ([`from_report_dir`]). Charts are drawn with `plotters` (SVG backend), the page with `maud`,
//! which escapes every interpolated string: article text is always shown, never run.

mod charts;
pub mod evidence;
mod page;
mod view;

pub use evidence::{Evidence, Quote};

use crate::aggregate::{Aggregate, Dyad, Figures, Sum};
use crate::document::Date;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The page's file name in a report folder.
pub const FILE: &str = "summary.html";

#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("{path}: {source}")]
    Json { path: PathBuf, source: serde_json::Error },
    #[error("{path}: row {row}: {message}")]
    Row { path: PathBuf, row: u64, message: String },
    #[error("drawing a chart: {0}")]
    Chart(String),
}

/// What the page says about the run, read from `manifest.json` (fields a manifest lacks stay
/// empty, so older folders still get a page).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RunFacts {
    pub version: String,
    pub arguments: Vec<String>,
    pub started: String,
    pub finished: String,
    pub elapsed_seconds: f64,
    pub threads: u64,
    pub exit_code: i32,
    pub records: Records,
    pub stage_seconds: BTreeMap<String, f64>,
    pub inputs: Vec<InputFact>,
    pub lexicons: Vec<LexiconFact>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Records {
    pub read: u64,
    pub scored: u64,
    pub failed: u64,
    pub error_rows: u64,
    pub paragraphs: u64,
    pub text_bytes: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InputFact {
    pub path: String,
    pub bytes: u64,
    pub blake3: String,
    pub records: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LexiconFact {
    pub name: String,
    pub origin: String,
    pub blake3: String,
}

impl RunFacts {
    /// Reads the facts from the bytes of a `manifest.json`.
    pub fn from_manifest(json: &[u8]) -> Result<RunFacts, serde_json::Error> {
        serde_json::from_slice(json)
    }
}

/// Everything the page is built from.
pub struct Input<'a> {
    pub aggregate: &'a Aggregate,
    pub facts: &'a RunFacts,
    pub evidence: &'a Evidence,
    /// Display name of a country or bloc code (empty when unknown).
    pub country_name: &'a dyn Fn(&str) -> String,
}

/// Builds the page. Everything but the run facts depends only on the input's data, so the page
/// of a run differs between thread counts only in its "Run" section.
pub fn render(input: &Input) -> Result<String, SummaryError> {
    let view = view::View::build(input)?;
    Ok(page::render(&view).into_string())
}

/// Builds the page of a finished report folder from its `countries.csv`, `dyads.csv`,
/// `stances.csv` (streamed for evidence) and `manifest.json`; for commands that produce a
/// folder without scoring (a merge of folders). The evidence has no publication names, which
/// `stances.csv` does not carry.
pub fn from_report_dir(dir: &Path) -> Result<String, SummaryError> {
    let manifest = dir.join("manifest.json");
    let bytes = std::fs::read(&manifest).map_err(|source| SummaryError::Io { path: manifest.clone(), source })?;
    let facts = RunFacts::from_manifest(&bytes).map_err(|source| SummaryError::Json { path: manifest, source })?;
    let mut aggregate = Aggregate::default();
    let mut names = BTreeMap::new();
    for_rows(&dir.join("countries.csv"), |r| {
        let code = r.text("country")?;
        let figures = Figures {
            documents: r.int("documents")?,
            sentiment: r.sum("sentiment", "mentions")?,
            stance_out: r.sum("stance_out", "stance_out_events")?,
            stance_in: r.sum("stance_in", "stance_in_events")?,
        };
        if let Ok(name) = r.text("name") {
            names.insert(code.clone(), name);
        }
        aggregate.countries.insert((r.date()?, code), figures);
        Ok(())
    })?;
    for_rows(&dir.join("dyads.csv"), |r| {
        let events = r.int("events")?;
        let share = |c: &str| r.float(c).map(|s| (s.unwrap_or(0.0) * events as f64).round() as u64);
        let dyad = Dyad {
            documents: r.int("documents")?,
            stance: r.sum("stance", "events")?,
            negative: share("negative_share")?,
            positive: share("positive_share")?,
        };
        aggregate.dyads.insert((r.date()?, r.text("source_country")?, r.text("target_country")?), dyad);
        Ok(())
    })?;
    let evidence = evidence_from_stances(&dir.join("stances.csv"))?;
    let country_name = |c: &str| names.get(c).cloned().unwrap_or_default();
    render(&Input { aggregate: &aggregate, facts: &facts, evidence: &evidence, country_name: &country_name })
}

/// The evidence of a written `stances.csv`, streamed (the few clearest sentences per pair are
/// kept, as while scoring), without publication names, which the file does not carry.
pub fn evidence_from_stances(path: &Path) -> Result<Evidence, SummaryError> {
    let mut evidence = Evidence::new();
    for_rows(path, |r| {
        let score = r.float("score")?.unwrap_or(0.0);
        let confidence = r.float("confidence")?.unwrap_or(0.0);
        let (s, t) = (r.text("source_country")?, r.text("target_country")?);
        let mut quote = Quote {
            doc_id: r.text("doc_id")?,
            date: r.date()?,
            outlet: String::new(),
            paragraph: r.int("paragraph")? as u32,
            sentence: r.int("sentence")? as u32,
            text: String::new(),
            cue: r.text("cue")?,
            score,
            confidence,
        };
        let text = r.text("evidence")?;
        evidence.offer_with(&s, &t, score, confidence, || {
            quote.text = evidence::cut(&text);
            quote
        });
        Ok(())
    })?;
    Ok(evidence)
}

/// One CSV row with its header, for [`from_report_dir`].
struct Row<'a> {
    path: &'a Path,
    header: &'a csv::StringRecord,
    record: &'a csv::StringRecord,
    line: u64,
}

impl Row<'_> {
    fn err(&self, message: String) -> SummaryError {
        SummaryError::Row { path: self.path.to_path_buf(), row: self.line, message }
    }

    fn field(&self, name: &str) -> Result<&str, SummaryError> {
        let i = self.header.iter().position(|h| h.trim_start_matches('\u{feff}') == name);
        i.and_then(|i| self.record.get(i)).ok_or_else(|| self.err(format!("no column {name}")))
    }

    /// A text cell, without the formula guard the CSV writer added.
    fn text(&self, name: &str) -> Result<String, SummaryError> {
        let f = self.field(name)?;
        let unguarded = match f.strip_prefix('\'') {
            Some(rest) if matches!(rest.as_bytes().first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')) => rest,
            _ => f,
        };
        Ok(unguarded.to_string())
    }

    fn int(&self, name: &str) -> Result<u64, SummaryError> {
        let f = self.field(name)?;
        f.parse().map_err(|_| self.err(format!("{name}: not a count: {f:?}")))
    }

    fn float(&self, name: &str) -> Result<Option<f64>, SummaryError> {
        let f = self.field(name)?;
        if f.is_empty() {
            return Ok(None);
        }
        f.parse().map(Some).map_err(|_| self.err(format!("{name}: not a number: {f:?}")))
    }

    /// A sum rebuilt from a mean and its count (exact to the 4 decimals the CSV keeps).
    fn sum(&self, mean: &str, count: &str) -> Result<Sum, SummaryError> {
        let count = self.int(count)?;
        let total = crate::aggregate::fixed(self.float(mean)?.unwrap_or(0.0)) as i128 * count as i128;
        Ok(Sum { total, count })
    }

    fn date(&self) -> Result<Option<Date>, SummaryError> {
        let f = self.field("date")?;
        if f.is_empty() {
            return Ok(None);
        }
        Date::parse(f).map(Some).ok_or_else(|| self.err(format!("not a date: {f:?}")))
    }
}

fn for_rows(path: &Path, mut f: impl FnMut(&Row) -> Result<(), SummaryError>) -> Result<(), SummaryError> {
    let csv_err = |source| SummaryError::Csv { path: path.to_path_buf(), source };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_path(path).map_err(csv_err)?;
    let header = reader.headers().map_err(csv_err)?.clone();
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    while reader.read_record(&mut record).map_err(csv_err)? {
        line += 1;
        f(&Row { path, header: &header, record: &record, line })?;
    }
    Ok(())
}
