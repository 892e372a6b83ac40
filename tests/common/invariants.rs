//! What must hold for any input, however broken: the reader never panics and accounts for every
//! record, and every document goes through the whole pipeline without panicking and with sane
//! output (spans inside the text and on character boundaries, scores in their ranges, row and
//! aggregate counts consistent).
//!
//! Shared by the proptest `tests/fuzz_pipeline.rs` and the cargo-fuzz target `fuzz/` (included
//! there with `#[path]`), which both feed it inputs built by [`write_case`].
#![allow(dead_code)]

use newsstance::corpus::{self, InputFile, Record, MAX_ERRORS_PER_INPUT};
use newsstance::document::Document;
use newsstance::pipeline::{self, Engines, MAX_PARAGRAPH_BYTES};
use newsstance::segment::MAX_SENTENCE_BYTES;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The built-in lexicons, loaded once per process.
pub fn engines() -> &'static Engines {
    static ENGINES: OnceLock<Engines> = OnceLock::new();
    ENGINES.get_or_init(|| Engines::load(None).expect("the embedded lexicons load"))
}

/// How the bytes of a case reach the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jsonl,
    Csv,
    Txt,
    JsonlGz,
    CsvGz,
    TxtGz,
    /// Gzip content under a plain `.ndjson` name (sniffed by its magic bytes).
    NdjsonSniffedGz,
    /// No reader: the bytes (lossy UTF-8) are a document's text, straight into the pipeline.
    Text,
}

impl Kind {
    pub const ALL: [Kind; 8] =
        [Kind::Jsonl, Kind::Csv, Kind::Txt, Kind::JsonlGz, Kind::CsvGz, Kind::TxtGz, Kind::NdjsonSniffedGz, Kind::Text];

    pub fn file_name(self) -> &'static str {
        match self {
            Kind::Jsonl => "case.jsonl",
            Kind::Csv => "case.csv",
            Kind::Txt => "case.txt",
            Kind::JsonlGz => "case.jsonl.gz",
            Kind::CsvGz => "case.csv.gz",
            Kind::TxtGz => "case.txt.gz",
            Kind::NdjsonSniffedGz => "case.ndjson",
            Kind::Text => "case.text",
        }
    }

    fn gzip(self) -> bool {
        matches!(self, Kind::JsonlGz | Kind::CsvGz | Kind::TxtGz | Kind::NdjsonSniffedGz)
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// What one case produced, for callers that want to look further.
#[derive(Debug, Default)]
pub struct Outcome {
    pub documents: u64,
    pub error_rows: u64,
    pub paragraphs: u64,
    pub mentions: u64,
    pub stances: u64,
}

/// Runs one case: `content` as a file of `kind` in `dir` (gzipped for the `.gz` kinds, cut to
/// `cut` bytes of the stored form when given), read with `corpus::open`, every document through
/// the pipeline; or, for [`Kind::Text`], `content` as one document's text. Panics when an
/// invariant breaks.
pub fn run_case(dir: &Path, kind: Kind, content: &[u8], cut: Option<usize>) -> Outcome {
    let mut out = Outcome::default();
    if kind == Kind::Text {
        let doc = Document {
            id: "fuzz".into(),
            text: String::from_utf8_lossy(content).into_owned(),
            input: "fuzz".into(),
            line: 1,
            ..Document::default()
        };
        check_document(&doc, &mut out);
        return out;
    }
    let mut bytes = if kind.gzip() { gzip(content) } else { content.to_vec() };
    if let Some(n) = cut {
        bytes.truncate(n.min(bytes.len()));
    }
    let path: PathBuf = dir.join(kind.file_name());
    std::fs::write(&path, &bytes).unwrap();
    check_input(&path, &bytes, &mut out);
    out
}

/// Reads one input and checks the reader's accounting, then every document.
pub fn check_input(path: &Path, raw: &[u8], out: &mut Outcome) {
    let file = InputFile { path: path.to_path_buf(), display: "in".into() };
    let mut reader = corpus::open(&file);
    let mut rows = 0u64;
    let mut last_line = 0u64;
    for record in reader.by_ref() {
        match record {
            Record::Document(d) => {
                assert_eq!(d.input, "in");
                assert!(!d.id.trim().is_empty(), "document with a blank id");
                assert!(!d.text.trim().is_empty(), "document {:?} with a blank text", d.id);
                assert!(d.line >= 1 && d.line >= last_line, "line {} after {last_line}", d.line);
                last_line = d.line;
                out.documents += 1;
                check_document(&d, out);
            }
            Record::Error(e) => {
                assert_eq!(e.input, "in");
                assert!(!e.error.is_empty());
                rows += 1;
            }
        }
    }
    out.error_rows += rows;
    let s = reader.summary();
    assert_eq!(s.records, out.documents);
    if s.failed <= MAX_ERRORS_PER_INPUT {
        assert_eq!(s.failed, rows, "every failed record has its row");
    } else {
        assert_eq!(rows, MAX_ERRORS_PER_INPUT + 1, "the listing cap and its notice row");
    }
    assert!(out.documents + rows > 0, "an input yields at least a document or an error row");
    if !s.blake3.is_empty() {
        assert_eq!(s.bytes, raw.len() as u64);
        assert_eq!(s.blake3, blake3::hash(raw).to_hex().as_str());
    }
}

fn assert_span(text: &str, span: &Range<usize>, what: &str) {
    assert!(span.start < span.end && span.end <= text.len(), "{what} {span:?} outside 0..{}", text.len());
    assert!(text.get(span.clone()).is_some(), "{what} {span:?} not on char boundaries");
}

fn unit(x: f64, what: &str) {
    assert!(x.is_finite() && (-1.0..=1.0).contains(&x), "{what} = {x}");
}

fn share(x: f64, what: &str) {
    assert!(x.is_finite() && (0.0..=1.0).contains(&x), "{what} = {x}");
}

/// One document through `analyse` and `process` (and `explain` on its text).
pub fn check_document(doc: &Document, out: &mut Outcome) {
    let engines = engines();
    let text = doc.text.as_str();
    let a = pipeline::analyse(engines, doc);

    let mut prev = 0;
    for p in &a.paragraphs {
        assert_span(text, &p.span, "paragraph");
        assert!(p.span.start >= prev, "paragraphs overlap or are out of order");
        assert!(p.span.len() <= MAX_PARAGRAPH_BYTES);
        assert!(!p.sentences.is_empty(), "paragraph {:?} without sentences", p.span);
        let mut s_prev = p.span.start;
        for s in &p.sentences {
            assert_span(text, s, "sentence");
            assert!(s.start >= s_prev && s.end <= p.span.end, "sentence {s:?} outside paragraph {:?}", p.span);
            assert!(s.len() <= MAX_SENTENCE_BYTES, "sentence of {} bytes", s.len());
            s_prev = s.end;
        }
        prev = p.span.end;
    }
    for span in &a.oversized {
        assert!(span.len() > MAX_PARAGRAPH_BYTES);
    }
    assert_eq!(a.tones.len(), a.paragraphs.len());
    for (p, tones) in a.paragraphs.iter().zip(&a.tones) {
        assert_eq!(tones.len(), p.sentences.len());
        for t in tones {
            unit(t.compound, "compound");
            for x in [t.neg, t.neu, t.pos] {
                share(x, "neg/neu/pos");
            }
        }
    }
    assert_eq!(a.sentiments.len(), a.actors.mentions.len());
    for (m, s) in a.actors.mentions.iter().zip(&a.sentiments) {
        let p = &a.paragraphs[m.paragraph as usize];
        let sent = &p.sentences[m.sentence as usize];
        assert_span(text, &m.span, "mention");
        assert!(m.span.start >= sent.start && m.span.end <= sent.end, "mention {:?} outside sentence {sent:?}", m.span);
        unit(s.score, "mention sentiment");
        assert!((s.probs.iter().sum::<f64>() - 1.0).abs() < 1e-6, "probabilities {:?}", s.probs);
    }
    for e in &a.events {
        let p = a.paragraphs.get(e.paragraph as usize).expect("event paragraph");
        assert!((e.sentence as usize) < p.sentences.len(), "event sentence");
        unit(e.score, "stance score");
    }

    let r = pipeline::process(engines, doc);
    assert_eq!(r.paragraphs.len(), a.paragraphs.len());
    assert_eq!(r.errors.len(), a.oversized.len());
    // Paragraph numbers count the skipped oversized paragraphs too.
    let mut numbers = std::collections::BTreeSet::new();
    for (i, row) in r.paragraphs.iter().enumerate() {
        let skipped_before = a.oversized.iter().filter(|o| o.start < a.paragraphs[i].span.start).count();
        assert_eq!(row.paragraph as usize, i + 1 + skipped_before);
        numbers.insert(row.paragraph);
        assert_eq!(row.sentences as usize, a.paragraphs[i].sentences.len());
        unit(row.tone, "paragraph tone");
        for x in [row.positive, row.neutral, row.negative] {
            share(x, "paragraph pos/neu/neg");
        }
    }
    // One row per mention that counts as coverage (a place read as only a city has none).
    assert_eq!(r.mentions.len(), a.actors.mentions.iter().filter(|m| m.coverage).count());
    for m in &r.mentions {
        assert!(!m.alias.is_empty() && text.contains(&m.alias));
        assert!(numbers.contains(&m.paragraph), "mention in paragraph {}", m.paragraph);
        unit(m.sentiment, "mention row sentiment");
    }
    assert_eq!(r.stances.len(), a.events.len());
    for s in &r.stances {
        unit(s.score, "stance row score");
        assert!(!s.evidence.is_empty() && text.contains(&s.evidence));
        assert!(numbers.contains(&s.paragraph), "stance in paragraph {}", s.paragraph);
        let cell = newsstance::report::evidence_cell(&s.evidence);
        assert!(!cell.contains(['\n', '\r']) && cell.encode_utf16().count() <= 32_767);
    }
    // The document's aggregate adds up to its rows.
    let agg = &r.aggregate;
    let mentions: u64 = agg.actors.values().map(|f| f.sentiment.count).sum();
    let out_events: u64 = agg.actors.values().map(|f| f.stance_out.count).sum();
    let in_events: u64 = agg.actors.values().map(|f| f.stance_in.count).sum();
    let dyad_events: u64 = agg.dyads.values().map(|d| d.stance.count).sum();
    let n_events = r.stances.len() as u64;
    assert_eq!((mentions, out_events, in_events, dyad_events), (r.mentions.len() as u64, n_events, n_events, n_events));
    for f in agg.actors.values().chain(agg.countries.values()) {
        assert_eq!(f.documents, 1);
        for sum in [&f.sentiment, &f.stance_out, &f.stance_in] {
            if let Some(m) = sum.mean() {
                unit(m, "aggregate mean");
            }
        }
    }
    for d in agg.dyads.values() {
        assert!(d.negative + d.positive <= d.stance.count);
        unit(d.stance.mean().expect("a dyad has events"), "dyad mean");
    }
    let _ = newsstance::explain::explain(engines, text);

    out.paragraphs += r.paragraphs.len() as u64;
    out.mentions += r.mentions.len() as u64;
    out.stances += r.stances.len() as u64;
}
