//! Target-dependent sentiment: how a sentence treats one actor mention.
//!
//! Whole-sentence VADER answers "is this sentence negative?", not "is it negative *toward X*?":
//! in "X accused Y of lying" both get the same compound. This model scores one mention at a time
//! from features of its neighbourhood (see [`features`] for the list and why each exists),
//! combined by a multinomial logistic regression whose weights are a data file,
//! `lexicons/target_model.csv`, learned from NewsMTSC `train.jsonl` by [`train`] and readable by
//! analysts (`feature,negative,neutral,positive`, one row per feature).
//!
//! A linear model keeps scoring cheap (one pass over the sentence's tokens, one hash lookup per
//! feature, no allocation once the per-thread buffers have grown) and explainable: each feature's
//! contribution is its value times its weight, which `explain` lists.

mod features;
mod train;

use std::cell::RefCell;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use crate::tone::Vader;

pub use train::{cross_validate, train, TrainParams};

/// Sentiment toward a mention. Order (and [`Label::index`]) is negative, neutral, positive,
/// the column order of the weights file and of [`TargetScore::probs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Label {
    Negative,
    Neutral,
    Positive,
}

impl Label {
    /// All labels in column order.
    pub const ALL: [Label; 3] = [Label::Negative, Label::Neutral, Label::Positive];

    /// Column index: 0 negative, 1 neutral, 2 positive.
    pub fn index(self) -> usize {
        self as usize
    }

    /// `negative`, `neutral` or `positive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Negative => "negative",
            Label::Neutral => "neutral",
            Label::Positive => "positive",
        }
    }

    /// Inverse of [`Label::as_str`].
    pub fn parse(s: &str) -> Option<Label> {
        Label::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The model's verdict on one mention.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetScore {
    /// The most probable label.
    pub label: Label,
    /// Probabilities of negative, neutral, positive (sum to 1).
    pub probs: [f64; 3],
    /// `probs[2] - probs[0]`, in [-1, 1]: a signed tone that averages well across mentions.
    pub score: f64,
}

/// Why a weights file could not be used. Data errors name the file and the 1-based line.
#[derive(Debug, thiserror::Error)]
pub enum TargetModelError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{name}:{line}: {message}")]
    Parse { name: String, line: u64, message: String },
}

/// The CSV header of a weights file.
pub const HEADER: [&str; 4] = ["feature", "negative", "neutral", "positive"];

/// A trained linear model: one weight per (feature, label).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetModel {
    /// 64-bit hash of the feature name → row in `weights`. Hashing the name once and probing
    /// with an integer key avoids comparing strings on every feature of every mention; names
    /// whose hashes collide are marked [`AMBIGUOUS`] and looked up by name instead.
    /// The row's weights are stored inline so scoring touches one cache line per feature.
    index: FxHashMap<u64, (u32, [f64; 3])>,
    /// Rows whose name hash collides with another row's (normally none).
    by_name: FxHashMap<Box<str>, u32>,
    /// Rows in the order of the weights file.
    names: Vec<Box<str>>,
    weights: Vec<[f64; 3]>,
}

thread_local! {
    static SCRATCH: RefCell<features::Scratch> = RefCell::new(features::Scratch::default());
}

/// Runs `f` with this thread's scratch buffers (a fresh one if they are already in use, which
/// only a re-entrant call could cause).
fn with_scratch<R>(f: impl FnOnce(&mut features::Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut s) => f(&mut s),
        Err(_) => f(&mut features::Scratch::default()),
    })
}

/// Marks a hash shared by several feature names in [`TargetModel::index`].
const AMBIGUOUS: u32 = u32::MAX;

/// 64-bit hash of a feature name: 8 bytes per step (rotate, xor, multiply, as FxHash does),
/// then a final avalanche so that the low bits the hash table uses depend on every byte. It is
/// deterministic across runs and platforms (little-endian reads) and spreads a few tens of
/// thousands of short names with collisions practically impossible (and handled anyway). A
/// feature that is not in the model but shares the hash of one that is would borrow its weights;
/// with 2⁶⁴ hashes that is ~10⁻¹⁵ per lookup.
fn feature_hash(name: &str) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let bytes = name.as_bytes();
    let mut h: u64 = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    // murmur3 finaliser
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

impl TargetModel {
    /// Builds a model from rows; duplicate names are rejected by the callers.
    fn from_rows(rows: Vec<(Box<str>, [f64; 3])>) -> TargetModel {
        let mut index: FxHashMap<u64, (u32, [f64; 3])> = FxHashMap::default();
        let mut by_name = FxHashMap::default();
        let mut names: Vec<Box<str>> = Vec::with_capacity(rows.len());
        let mut weights = Vec::with_capacity(rows.len());
        for (i, (name, w)) in rows.into_iter().enumerate() {
            let h = feature_hash(&name);
            match index.get(&h).copied() {
                None => {
                    index.insert(h, (i as u32, w));
                }
                Some((prev, _)) => {
                    if prev != AMBIGUOUS {
                        by_name.insert(names[prev as usize].clone(), prev);
                        index.insert(h, (AMBIGUOUS, [0.0; 3]));
                    }
                    by_name.insert(name.clone(), i as u32);
                }
            }
            names.push(name);
            weights.push(w);
        }
        TargetModel { index, by_name, names, weights }
    }

    /// Row of a feature, if the model has it.
    #[inline]
    fn row(&self, name: &str) -> Option<u32> {
        match self.index.get(&feature_hash(name)) {
            Some(&(AMBIGUOUS, _)) => self.by_name.get(name).copied(),
            other => other.map(|e| e.0),
        }
    }

    /// Weights of a feature, on the scoring hot path.
    #[inline]
    fn lookup(&self, name: &str) -> Option<&[f64; 3]> {
        match self.index.get(&feature_hash(name)) {
            Some((AMBIGUOUS, _)) => self.by_name.get(name).map(|&i| &self.weights[i as usize]),
            other => other.map(|e| &e.1),
        }
    }

    /// The model shipped in `lexicons/target_model.csv`, trained on NewsMTSC `train.jsonl`.
    pub fn embedded() -> TargetModel {
        // The embedded file is checked by a unit test, so this cannot fail in a released build.
        TargetModel::from_csv(include_str!("../../lexicons/target_model.csv"), "lexicons/target_model.csv")
            .expect("embedded lexicons/target_model.csv is valid (checked by tests)")
    }

    /// Parses a weights file: header `feature,negative,neutral,positive`, then one row per
    /// feature with three finite numbers. `name` is used in error messages.
    pub fn from_csv(text: &str, name: &str) -> Result<TargetModel, TargetModelError> {
        let err = |line: u64, message: String| TargetModelError::Parse { name: name.to_string(), line, message };
        // The CSV reader skips blank lines without counting them, which would shift every later
        // line number in our messages; the format has none, so reject them up front.
        if let Some(i) = text.lines().position(|l| l.trim().is_empty()) {
            if text.lines().skip(i).any(|l| !l.trim().is_empty()) {
                return Err(err(i as u64 + 1, "blank line".to_string()));
            }
        }
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let mut rows: Vec<(Box<str>, [f64; 3])> = Vec::new();
        let mut seen: FxHashMap<Box<str>, u64> = FxHashMap::default();
        let mut header_seen = false;
        let mut rec = csv::StringRecord::new();
        loop {
            let line_before = rdr.position().line();
            match rdr.read_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(line_before, |p| p.line());
                    return Err(err(line, format!("malformed CSV: {e}")));
                }
            }
            let line = rec.position().map_or(line_before, |p| p.line());
            if !header_seen {
                if rec.iter().collect::<Vec<_>>() != HEADER {
                    return Err(err(line, format!("expected header {:?}, found {:?}", HEADER.join(","), rec)));
                }
                header_seen = true;
                continue;
            }
            if rec.len() != 4 {
                return Err(err(line, format!("expected 4 fields, found {}", rec.len())));
            }
            let feature = &rec[0];
            if feature.is_empty() {
                return Err(err(line, "empty feature name".to_string()));
            }
            let mut w = [0.0; 3];
            for (k, slot) in w.iter_mut().enumerate() {
                let field = &rec[k + 1];
                *slot = field.trim().parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| {
                    err(line, format!("{} weight of {feature:?} is not a finite number: {field:?}", HEADER[k + 1]))
                })?;
            }
            if let Some(prev) = seen.insert(feature.into(), line) {
                return Err(err(line, format!("feature {feature:?} already defined on line {prev}")));
            }
            rows.push((feature.into(), w));
        }
        if !header_seen {
            return Err(err(1, "empty file: missing header".to_string()));
        }
        Ok(TargetModel::from_rows(rows))
    }

    /// Loads `DIR/target_model.csv`, or the embedded model when the file does not exist (so a
    /// lexicon directory only has to hold the files it overrides).
    pub fn load_dir(dir: &Path) -> Result<TargetModel, TargetModelError> {
        let path = dir.join("target_model.csv");
        match std::fs::read_to_string(&path) {
            Ok(text) => TargetModel::from_csv(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TargetModel::embedded()),
            Err(source) => Err(TargetModelError::Io { path, source }),
        }
    }

    /// Writes the weights file that [`TargetModel::from_csv`] reads back to an equal model.
    pub fn to_csv<W: std::io::Write>(&self, w: W) -> std::io::Result<()> {
        let mut wr = csv::Writer::from_writer(w);
        let io = std::io::Error::other;
        wr.write_record(HEADER).map_err(io)?;
        for (name, w) in self.names.iter().zip(&self.weights) {
            wr.write_record([name.as_ref(), &w[0].to_string(), &w[1].to_string(), &w[2].to_string()]).map_err(io)?;
        }
        wr.flush()
    }

    /// Number of features with weights.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True for a model without any weight (it predicts uniform probabilities).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The weights of one feature, if the model has it.
    pub fn weights(&self, feature: &str) -> Option<[f64; 3]> {
        self.row(feature).map(|i| self.weights[i as usize])
    }

    /// Scores the mention at byte span `target` of `sentence`; `others` are the byte spans of
    /// other actors' mentions in the sentence. Never panics: spans are clamped to the sentence
    /// and snapped to character boundaries.
    pub fn score(&self, vader: &Vader, sentence: &str, target: Range<usize>, others: &[Range<usize>]) -> TargetScore {
        let mut logits = [0.0f64; 3];
        with_scratch(|scratch| {
            features::extract(scratch, vader, sentence, target, others, &mut |name, v| {
                if let Some(w) = self.lookup(name) {
                    for (l, wk) in logits.iter_mut().zip(w) {
                        *l += v * wk;
                    }
                }
            })
        });
        score_from_logits(logits)
    }

    /// The features that fired for this mention with their contribution to
    /// [`TargetScore::score`]'s direction: value × (positive weight − negative weight), i.e. the
    /// feature's push on the log-odds of positive over negative. Largest |contribution| first;
    /// features absent from the model or contributing 0 are left out.
    pub fn explain(
        &self,
        vader: &Vader,
        sentence: &str,
        target: Range<usize>,
        others: &[Range<usize>],
    ) -> Vec<(String, f64)> {
        let mut hits: FxHashMap<u32, f64> = FxHashMap::default();
        with_scratch(|scratch| {
            features::extract(scratch, vader, sentence, target, others, &mut |name, v| {
                if let Some(i) = self.row(name) {
                    *hits.entry(i).or_insert(0.0) += v;
                }
            })
        });
        let mut out: Vec<(String, f64)> = hits
            .into_iter()
            .map(|(i, v)| {
                let w = self.weights[i as usize];
                (self.names[i as usize].to_string(), v * (w[2] - w[0]))
            })
            .filter(|(_, c)| *c != 0.0)
            .collect();
        out.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then_with(|| a.0.cmp(&b.0)));
        out
    }
}

/// Softmax and arg-max (ties resolve to the earlier label, so the result is deterministic).
pub(crate) fn score_from_logits(logits: [f64; 3]) -> TargetScore {
    let m = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let m = if m.is_finite() { m } else { 0.0 };
    let mut e = logits.map(|l| (l - m).exp());
    let sum: f64 = e.iter().sum();
    if !(sum.is_finite() && sum > 0.0) {
        e = [1.0 / 3.0; 3];
    } else {
        e.iter_mut().for_each(|x| *x /= sum);
    }
    let mut best = 0;
    for k in 1..3 {
        if e[k] > e[best] {
            best = k;
        }
    }
    TargetScore { label: Label::ALL[best], probs: e, score: (e[2] - e[0]).clamp(-1.0, 1.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> TargetModel {
        TargetModel::from_csv(
            "feature,negative,neutral,positive\nbias,0,0.5,0\n\"R1:,\",1,-0.25,0.125\nv:sent-,-2,0,1e-3\n",
            "tiny.csv",
        )
        .unwrap()
    }

    #[test]
    fn csv_round_trip() {
        let m = tiny();
        assert_eq!(m.len(), 3);
        assert_eq!(m.weights("R1:,"), Some([1.0, -0.25, 0.125]));
        let mut buf = Vec::new();
        m.to_csv(&mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.starts_with("feature,negative,neutral,positive\n"));
        let back = TargetModel::from_csv(&text, "back.csv").unwrap();
        assert_eq!(back, m);
        let emb = TargetModel::embedded();
        let mut buf = Vec::new();
        emb.to_csv(&mut buf).unwrap();
        assert_eq!(TargetModel::from_csv(std::str::from_utf8(&buf).unwrap(), "x").unwrap(), emb);
    }

    #[test]
    fn bad_lines_are_reported_with_file_and_line() {
        let cases = [
            ("feature,negative,neutral,positive\nbias,0,0,0\nS:x,1,zz,0\n", 3, "not a finite"),
            ("feature,negative,neutral,positive\nbias,0,0\n", 2, "4 fields"),
            ("feature,neg,neu,pos\n", 1, "header"),
            ("feature,negative,neutral,positive\nbias,0,0,0\nbias,1,1,1\n", 3, "already defined"),
            ("feature,negative,neutral,positive\nbias,0,0,0\n\nS:a,1,1,1\n", 3, "blank line"),
            ("feature,negative,neutral,positive\n,0,0,0\n", 2, "empty feature"),
            ("feature,negative,neutral,positive\nx,NaN,0,0\n", 2, "finite"),
            ("", 1, "header"),
        ];
        for (text, line, what) in cases {
            let e = TargetModel::from_csv(text, "w.csv").unwrap_err();
            let msg = e.to_string();
            assert!(msg.starts_with(&format!("w.csv:{line}: ")), "{msg}");
            assert!(msg.contains(what), "{msg}");
        }
    }

    #[test]
    fn load_dir_falls_back_to_embedded_and_reads_overrides() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(TargetModel::load_dir(dir.path()).unwrap(), TargetModel::embedded());
        std::fs::write(dir.path().join("target_model.csv"), "feature,negative,neutral,positive\nbias,0,oops,0\n")
            .unwrap();
        let e = TargetModel::load_dir(dir.path()).unwrap_err().to_string();
        assert!(e.contains("target_model.csv:2:"), "{e}");
    }

    #[test]
    #[allow(clippy::reversed_empty_ranges)] // reversed spans are exactly the odd input tested
    fn scores_are_probabilities_and_never_panic() {
        let vader = Vader::embedded();
        let models = [TargetModel::embedded(), tiny(), TargetModel::from_rows(vec![])];
        let long = "Ωmega ".repeat(300);
        let cases: Vec<(&str, Range<usize>)> = vec![
            ("", 0..0),
            ("", 5..1),
            ("Merkel", 0..6),
            ("They praised Merkel", 13..19),
            ("They praised Merkel", 13..100),
            ("Zoë Müller—“the worst”—resigned.", 1..5),
            ("Zoë Müller—“the worst”—resigned.", 4..12),
            (&long, 700..712),
            ("😀😀 great 😀", 1..3),
        ];
        for m in &models {
            for (s, r) in &cases {
                let others = [0..2, 3..1, 1000..2000];
                let sc = m.score(&vader, s, r.clone(), &others);
                assert!((-1.0..=1.0).contains(&sc.score), "{sc:?}");
                assert!((sc.probs.iter().sum::<f64>() - 1.0).abs() < 1e-9);
                assert_eq!(sc.label, Label::ALL[argmax(sc.probs)]);
                let ex = m.explain(&vader, s, r.clone(), &others);
                assert!(ex.windows(2).all(|w| w[0].1.abs() >= w[1].1.abs()));
            }
        }
    }

    fn argmax(p: [f64; 3]) -> usize {
        (0..3).fold(0, |b, k| if p[k] > p[b] { k } else { b })
    }

    #[test]
    fn explain_lists_weighted_features() {
        let vader = Vader::embedded();
        let m = tiny();
        let s = "Smith, a terrible liar, lost.";
        let ex = m.explain(&vader, s, 0..5, &[]);
        // "R1:," fires with weight pos−neg = 0.125 − 1; v:sent- fires with a negative value.
        let r1 = ex.iter().find(|(k, _)| k == "R1:,").unwrap().1;
        assert!((r1 + 0.875).abs() < 1e-12);
        assert!(ex.iter().any(|(k, c)| k == "v:sent-" && *c < 0.0));
        assert!(!ex.iter().any(|(k, _)| k == "bias"), "bias has pos−neg = 0");
        let sc = m.score(&vader, s, 0..5, &[]);
        assert_eq!(sc.label, Label::Negative);
    }

    #[test]
    fn colliding_hashes_fall_back_to_names() {
        // Force the ambiguous path by building a model whose index is then rewritten so that
        // both names share one hash.
        let mut m = TargetModel::from_rows(vec![("a".into(), [1.0, 0.0, 0.0]), ("b".into(), [0.0, 0.0, 1.0])]);
        let (ha, hb) = (feature_hash("a"), feature_hash("b"));
        m.index.remove(&hb);
        m.index.insert(ha, (AMBIGUOUS, [0.0; 3]));
        m.by_name.insert("a".into(), 0);
        m.by_name.insert("b".into(), 1);
        assert_eq!(m.weights("a"), Some([1.0, 0.0, 0.0]));
        assert_eq!(m.weights("c"), None);
        assert_ne!(ha, hb);
        // Length is hashed, so zero padding cannot make "a" and "a\0" collide.
        assert_ne!(feature_hash("a"), feature_hash("a\0"));
    }

    #[test]
    fn model_is_send_and_sync() {
        // The pipeline shares one model across rayon workers.
        fn check<T: Send + Sync>() {}
        check::<TargetModel>();
    }

    #[test]
    fn labels_display_and_parse() {
        for l in Label::ALL {
            assert_eq!(Label::parse(&l.to_string()), Some(l));
        }
        assert_eq!(Label::parse("Positive"), None);
        assert_eq!(format!("{:<9}|", Label::Neutral), "neutral  |");
    }
}
