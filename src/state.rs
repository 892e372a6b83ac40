//! The exact state of a report folder, which `merge` combines: what each record contributed, and
//! the sums behind the aggregate reports.
//!
//! Two tab-separated text files, written by `score` and `merge` beside the CSV reports and listed
//! in `manifest.json` with their BLAKE3:
//!
//! `state_records.tsv` — one block per input record, in the order the rows were written. The first
//! line is `#newsstance-state-records` `version=2` `scale=1000000000000`. A block starts with a
//! record line
//!
//! ```text
//! D|E  position  fingerprint  date  input  line  record_id  text_bytes
//!      paragraphs_bytes paragraphs_rows  mentions_bytes mentions_rows
//!      stances_bytes stances_rows  errors_bytes errors_rows  contributions
//! ```
//!
//! `D` is a scored document, `E` a record that failed (its `errors.csv` rows only; fingerprint,
//! date and text_bytes empty or 0). `position` is the record's place in the run's input listing
//! (0-based, counting every record of every input in order, failed ones too), the same in every
//! shard of a run, so `merge` puts rows back in input order. `fingerprint` is the first 128 bits
//! of BLAKE3 of the article id, in hex (how `score` and `merge` recognise duplicates). The bytes
//! and rows say which slice of each row file belongs to the record, so `merge` copies rows
//! without parsing them. `contributions` lines follow: the document's part of the aggregates,
//!
//! ```text
//! a  actor_id name country kind  documents  mentions sentiment_sum  out_events out_sum  in_events in_sum
//! c  country  documents  mentions sentiment_sum  out_events out_sum  in_events in_sum
//! y  source_country target_country  documents  events stance_sum  negative positive
//! ```
//!
//! `state_sums.tsv` — the aggregate reports' exact sums and counts per key (first line
//! `#newsstance-state-sums` `version=2` `scale=...`, then `a date actor_id name country kind ...`,
//! `c date country name ...`, `y date source target ...` with the fields above): what the means in
//! `actors.csv`, `countries.csv` and `dyads.csv` are computed from.
//!
//! Sums are integers: each score rounded once to a multiple of 1/scale (see
//! [`crate::aggregate`]), so adding them in any grouping gives the same result. Text fields escape
//! `\\`, tab, LF and CR as `\\\\`, `\\t`, `\\n`, `\\r`; dates are `YYYY-MM-DD` or empty.

use crate::aggregate::{ActorKey, Aggregate, Dyad, Figures, Sum, SCALE};
use crate::document::Date;
use std::io::{self, BufRead, Write};
use std::sync::Arc;

/// Version of the state files and of the manifest schema; `merge` refuses any other.
pub const VERSION: u32 = 2;
pub const RECORDS_FILE: &str = "state_records.tsv";
pub const SUMS_FILE: &str = "state_sums.tsv";

pub fn records_header() -> String {
    format!("#newsstance-state-records\tversion={VERSION}\tscale={SCALE}\n")
}

pub fn sums_header() -> String {
    format!("#newsstance-state-sums\tversion={VERSION}\tscale={SCALE}\n")
}

/// The first 128 bits of BLAKE3 of an article id (its first 32 hex digits, as `b3sum` prints
/// them): how duplicates are recognised (a false duplicate would need a 2^-128 collision).
pub fn fingerprint(id: &str) -> u128 {
    let h = blake3::hash(id.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h.as_bytes()[..16]);
    u128::from_be_bytes(b)
}

/// The shard (0-based, of `count`) of a record: the first 16 hex digits of BLAKE3 of its id, as
/// a number, modulo `count` (`printf %s "$ID" | b3sum` reproduces it). Depends on the id alone,
/// so not on thread count, input order or machine. A failed record whose id could not be read
/// has id "" and goes to that id's shard.
pub fn shard_of(id: &str, count: u64) -> u64 {
    ((fingerprint(id) >> 64) as u64) % count.max(1)
}

/// `--shard I/N`: this run scores only the records whose id hashes to shard I of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N` with 0 ≤ I < N.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s.split_once('/').ok_or_else(|| format!("--shard {s:?}: expected I/N, e.g. 0/4"))?;
        let index: u64 = i.trim().parse().map_err(|_| format!("--shard {s:?}: I is not a number"))?;
        let count: u64 = n.trim().parse().map_err(|_| format!("--shard {s:?}: N is not a number"))?;
        if count == 0 || index >= count {
            return Err(format!("--shard {s:?}: need 0 <= I < N (shards are numbered from 0)"));
        }
        Ok(Shard { index, count })
    }

    pub fn owns(&self, id: &str) -> bool {
        self.count <= 1 || shard_of(id, self.count) == self.index
    }
}

fn escape(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

fn date_text(d: Option<Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// Bytes and rows of one record in each row file (paragraphs, mentions, stances, errors).
pub type Slices = [(u64, u64); 4];

/// Where a record came from and what it is, for its record line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordHead {
    pub document: bool,
    pub position: u64,
    pub date: Option<Date>,
    pub input: String,
    pub line: u64,
    pub record_id: String,
    pub text_bytes: u64,
    pub slices: Slices,
}

/// Appends a record block: its record line and, for a document, its contributions.
pub fn encode_record(out: &mut Vec<u8>, head: &RecordHead, contributions: Option<&Aggregate>) {
    let n = contributions.map_or(0, |a| a.actors.len() + a.countries.len() + a.dyads.len());
    out.push(if head.document { b'D' } else { b'E' });
    let _ = write!(out, "\t{}\t", head.position);
    if head.document {
        let _ = write!(out, "{:032x}", fingerprint(&head.record_id));
    }
    let _ = write!(out, "\t{}\t", date_text(head.date));
    escape(out, &head.input);
    let _ = write!(out, "\t{}\t", head.line);
    escape(out, &head.record_id);
    let _ = write!(out, "\t{}", head.text_bytes);
    for (bytes, rows) in head.slices {
        let _ = write!(out, "\t{bytes}\t{rows}");
    }
    let _ = writeln!(out, "\t{n}");
    let Some(agg) = contributions else { return };
    for ((_, key), f) in &agg.actors {
        out.extend_from_slice(b"a\t");
        for s in [&key.id, &key.name, &key.country, &key.kind] {
            escape(out, s);
            out.push(b'\t');
        }
        figures(out, f);
    }
    for ((_, code), f) in &agg.countries {
        out.extend_from_slice(b"c\t");
        escape(out, code);
        out.push(b'\t');
        figures(out, f);
    }
    for ((_, s, t), d) in &agg.dyads {
        out.extend_from_slice(b"y\t");
        escape(out, s);
        out.push(b'\t');
        escape(out, t);
        out.push(b'\t');
        dyad(out, d);
    }
}

fn figures(out: &mut Vec<u8>, f: &Figures) {
    let s = |x: &Sum| (x.count, x.total);
    let ((a, b), (c, d), (e, g)) = (s(&f.sentiment), s(&f.stance_out), s(&f.stance_in));
    let _ = writeln!(out, "{}\t{a}\t{b}\t{c}\t{d}\t{e}\t{g}", f.documents);
}

fn dyad(out: &mut Vec<u8>, d: &Dyad) {
    let _ = writeln!(out, "{}\t{}\t{}\t{}\t{}", d.documents, d.stance.count, d.stance.total, d.negative, d.positive);
}

/// The contents of `state_sums.tsv` for an aggregate; `country_name` fills the country names.
pub fn encode_sums(agg: &Aggregate, country_name: &dyn Fn(&str) -> String) -> Vec<u8> {
    let mut out = sums_header().into_bytes();
    for ((date, key), f) in &agg.actors {
        let _ = write!(out, "a\t{}\t", date_text(*date));
        for s in [&key.id, &key.name, &key.country, &key.kind] {
            escape(&mut out, s);
            out.push(b'\t');
        }
        figures(&mut out, f);
    }
    for ((date, code), f) in &agg.countries {
        let _ = write!(out, "c\t{}\t", date_text(*date));
        escape(&mut out, code);
        out.push(b'\t');
        escape(&mut out, &country_name(code));
        out.push(b'\t');
        figures(&mut out, f);
    }
    for ((date, s, t), d) in &agg.dyads {
        let _ = write!(out, "y\t{}\t", date_text(*date));
        escape(&mut out, s);
        out.push(b'\t');
        escape(&mut out, t);
        out.push(b'\t');
        dyad(&mut out, d);
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("line {line}: {message}")]
    Format { line: u64, message: String },
}

/// One record block read back from `state_records.tsv`; contributions are kept as text and
/// parsed only for the records `merge` keeps.
#[derive(Debug, Clone, Default)]
pub struct RecordBlock {
    pub document: bool,
    pub position: u64,
    pub fingerprint: u128,
    pub date: Option<Date>,
    pub input: String,
    pub line: u64,
    pub record_id: String,
    pub text_bytes: u64,
    pub slices: Slices,
    /// The contribution lines, as written.
    pub contributions: Vec<u8>,
}

/// Streams the record blocks of a `state_records.tsv`.
pub struct RecordReader<R> {
    input: R,
    line_no: u64,
    line: String,
}

impl<R: BufRead> RecordReader<R> {
    /// Checks the header line (format and version).
    pub fn new(mut input: R) -> Result<RecordReader<R>, StateError> {
        let mut line = String::new();
        input.read_line(&mut line)?;
        if line != records_header() {
            return Err(StateError::Format {
                line: 1,
                message: format!(
                    "not a state file of version {VERSION} (first line {:?})",
                    line.trim_end().chars().take(80).collect::<String>()
                ),
            });
        }
        Ok(RecordReader { input, line_no: 1, line })
    }

    fn bad(&self, message: impl Into<String>) -> StateError {
        StateError::Format { line: self.line_no, message: message.into() }
    }

    /// The next block, or `None` at the end.
    pub fn next_block(&mut self, block: &mut RecordBlock) -> Result<bool, StateError> {
        self.line.clear();
        if self.input.read_line(&mut self.line)? == 0 {
            return Ok(false);
        }
        self.line_no += 1;
        let text = self.line.strip_suffix('\n').ok_or_else(|| self.bad("truncated record line"))?;
        let f: Vec<&str> = text.split('\t').collect();
        if f.len() != 17 || !(f[0] == "D" || f[0] == "E") {
            return Err(self.bad("malformed record line"));
        }
        let num = |s: &str| s.parse::<u64>().map_err(|_| self.bad(format!("not a number: {s:?}")));
        block.document = f[0] == "D";
        block.position = num(f[1])?;
        block.fingerprint =
            if block.document { u128::from_str_radix(f[2], 16).map_err(|_| self.bad("bad fingerprint"))? } else { 0 };
        block.date = if f[3].is_empty() { None } else { Some(Date::parse(f[3]).ok_or_else(|| self.bad("bad date"))?) };
        block.input = unescape(f[4]);
        block.line = num(f[5])?;
        block.record_id = unescape(f[6]);
        block.text_bytes = num(f[7])?;
        for (i, s) in block.slices.iter_mut().enumerate() {
            *s = (num(f[8 + 2 * i])?, num(f[9 + 2 * i])?);
        }
        let n = num(f[16])?;
        block.contributions.clear();
        for _ in 0..n {
            let got = self.input.read_until(b'\n', &mut block.contributions)?;
            self.line_no += 1;
            if got == 0 || block.contributions.last() != Some(&b'\n') {
                return Err(self.bad("truncated contributions"));
            }
        }
        Ok(true)
    }
}

/// A document's contributions, parsed back into an aggregate (dated with the document's date).
pub fn parse_contributions(date: Option<Date>, text: &[u8]) -> Result<Aggregate, String> {
    let text = std::str::from_utf8(text).map_err(|_| "contributions are not UTF-8".to_string())?;
    let mut agg = Aggregate::default();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let int = |s: &str| s.parse::<u64>().map_err(|_| format!("not a count: {s:?}"));
        let sum = |c: &str, t: &str| -> Result<Sum, String> {
            Ok(Sum { count: int(c)?, total: t.parse::<i128>().map_err(|_| format!("not a sum: {t:?}"))? })
        };
        let figs = |g: &[&str]| -> Result<Figures, String> {
            Ok(Figures {
                documents: int(g[0])?,
                sentiment: sum(g[1], g[2])?,
                stance_out: sum(g[3], g[4])?,
                stance_in: sum(g[5], g[6])?,
            })
        };
        match (f.first().copied(), f.len()) {
            (Some("a"), 12) => {
                let key = Arc::new(ActorKey {
                    id: unescape(f[1]),
                    name: unescape(f[2]),
                    country: unescape(f[3]),
                    kind: unescape(f[4]),
                });
                agg.actors.insert((date, key), figs(&f[5..])?);
            }
            (Some("c"), 9) => {
                agg.countries.insert((date, unescape(f[1])), figs(&f[2..])?);
            }
            (Some("y"), 8) => {
                let d = Dyad {
                    documents: int(f[3])?,
                    stance: sum(f[4], f[5])?,
                    negative: int(f[6])?,
                    positive: int(f[7])?,
                };
                agg.dyads.insert((date, unescape(f[1]), unescape(f[2])), d);
            }
            _ => return Err(format!("malformed contribution line {line:?}")),
        }
    }
    Ok(agg)
}

/// Country names from a `state_sums.tsv` (code → name), for the reports `merge` rebuilds.
pub fn read_country_names(
    input: impl BufRead,
    names: &mut std::collections::BTreeMap<String, String>,
) -> io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if let Some(rest) = line.strip_prefix("c\t") {
            let mut f = rest.split('\t');
            if let (Some(_date), Some(code), Some(name)) = (f.next(), f.next(), f.next()) {
                names.entry(unescape(code)).or_insert_with(|| unescape(name));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::DocumentAggregator;

    #[test]
    fn records_round_trip() {
        let key = |id: &str, c: &str| {
            Arc::new(ActorKey { id: id.into(), name: format!("N\t{id}\\x"), country: c.into(), kind: "state".into() })
        };
        let date = Date::parse("2024-05-01");
        let mut d = DocumentAggregator::new(date);
        d.mention(&key("rus", "RUS"), 0.3);
        d.mention(&key("ukr", "UKR"), -0.123456789);
        d.event(&key("rus", "RUS"), &key("ukr", "UKR"), -0.8);
        let agg = d.finish();
        let head = RecordHead {
            document: true,
            position: 42,
            date,
            input: "a\tb.jsonl".into(),
            line: 7,
            record_id: "id\n1".into(),
            text_bytes: 99,
            slices: [(10, 1), (20, 2), (30, 1), (0, 0)],
        };
        let mut bytes = records_header().into_bytes();
        encode_record(&mut bytes, &head, Some(&agg));
        let err = RecordHead { document: false, record_id: String::new(), date: None, ..head.clone() };
        encode_record(&mut bytes, &err, None);
        let mut r = RecordReader::new(&bytes[..]).unwrap();
        let mut b = RecordBlock::default();
        assert!(r.next_block(&mut b).unwrap());
        assert_eq!((b.position, b.fingerprint, b.date, b.line), (42, fingerprint("id\n1"), date, 7));
        assert_eq!((b.input.as_str(), b.record_id.as_str(), b.slices), ("a\tb.jsonl", "id\n1", head.slices));
        assert_eq!(parse_contributions(b.date, &b.contributions).unwrap(), agg);
        assert!(r.next_block(&mut b).unwrap());
        assert!(!b.document && b.contributions.is_empty());
        assert!(!r.next_block(&mut b).unwrap());
    }

    #[test]
    fn rejects_other_versions_and_truncation() {
        assert!(RecordReader::new(&b"#newsstance-state-records\tversion=1\n"[..]).is_err());
        let mut bytes = records_header().into_bytes();
        bytes.extend_from_slice(b"D\t0\t00\t\tx\t1\tid\t0\t0\t0\t0\t0\t0\t0\t0\t0\t2\nc\tRUS\t1\t0\t0\t0\t0\t0\t0\n");
        let mut r = RecordReader::new(&bytes[..]).unwrap();
        assert!(r.next_block(&mut RecordBlock::default()).is_err());
    }

    #[test]
    fn shards_are_stable_and_cover_every_id() {
        assert_eq!(Shard::parse("2/7"), Ok(Shard { index: 2, count: 7 }));
        assert!(Shard::parse("7/7").is_err() && Shard::parse("1").is_err() && Shard::parse("0/0").is_err());
        // Fixed values: the hash is part of the documented contract (BLAKE3).
        assert_eq!(format!("{:032x}", fingerprint("abc")), "6437b3ac38465133ffb63b75273a8db5".to_string());
        assert_eq!(shard_of("abc", 7), 0x6437b3ac38465133 % 7);
        for id in ["a", "b", "c", "", "é"] {
            let owners = (0..5).filter(|&i| Shard { index: i, count: 5 }.owns(id)).count();
            assert_eq!(owners, 1);
            assert!(Shard::ALL.owns(id));
        }
    }
}
