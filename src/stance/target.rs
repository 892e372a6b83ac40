//! Target-dependent sentiment: how a sentence treats one actor mention.
//!
//! Whole-sentence VADER answers "is this sentence negative?", not "is it negative *toward X*?":
//! in "X accused Y of lying" both get the same compound. This model scores one mention at a time
//! from features of its neighbourhood (see [`features`] for the list and why each exists),
//! combined by a multinomial logistic regression whose weights are a data file,
//! `lexicons/target_model.csv`, learned from NewsMTSC `train.jsonl` by [`train`] and readable by
//! analysts (`feature,negative,neutral,positive`, one row per feature).
//!
//! A linear model keeps scoring cheap and explainable: each feature's contribution is its value
//! times its weight, which `explain` lists. The pipeline scores all mentions of a sentence at once
//! ([`TargetModel::score_sentence`]): the sentence is tokenized, lowercased and looked up once,
//! and each feature is found by integer keys (template, word ids) in tables built when the model
//! is loaded from the feature names of its weights file, never by formatting and hashing a name.

mod features;
#[doc(hidden)]
pub mod reference;
mod train;

use std::cell::RefCell;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use crate::tone::Vader;

pub use train::{cross_validate, train, train_with_real, Mixed, TrainParams, NEWSMTSC_PRIOR};

use features::NO_ROW;

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
#[derive(Debug, Clone)]
pub struct TargetModel {
    /// Rows in the order of the weights file.
    names: Vec<Box<str>>,
    weights: Vec<[f64; 3]>,
    /// Feature name → row, for [`TargetModel::weights`].
    by_name: FxHashMap<Box<str>, u32>,
    /// Every word of a one- or two-word feature name, with its one-word features.
    vocab: features::Vocab,
    /// Two-word features per [`features::Tpl2`], by [`pair_key`] of the word ids.
    pair_rows: [FxHashMap<u64, u32>; 2],
    /// Per [`features::FIXED_NAMES`] entry, its row or [`NO_ROW`].
    fixed_rows: Vec<u32>,
}

/// Models are equal when their weights files are: the lookup tables derive from the rows.
impl PartialEq for TargetModel {
    fn eq(&self, other: &Self) -> bool {
        self.names == other.names && self.weights == other.weights
    }
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

/// Key of a two-word feature: both word ids.
#[inline]
fn pair_key(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// Adds a feature's value times its weights to the logits (the scoring sink).
struct Logits<'m> {
    model: &'m TargetModel,
    logits: [f64; 3],
}

impl Logits<'_> {
    #[inline]
    fn add(&mut self, row: u32, v: f64) {
        if let Some(w) = self.model.weights.get(row as usize) {
            for (l, wk) in self.logits.iter_mut().zip(w) {
                *l += v * wk;
            }
        }
    }
}

impl features::Sink for Logits<'_> {
    #[inline]
    fn fixed(&mut self, f: usize, v: f64) {
        self.add(self.model.fixed_row(f), v);
    }

    #[inline]
    fn word(&mut self, t: features::Tpl, w: features::Word<'_>, v: f64) {
        let Some(slot) = self.model.vocab.slot(w.id) else { return };
        match t {
            features::Tpl::S => {
                if slot.has_s() {
                    for (l, wk) in self.logits.iter_mut().zip(&slot.s) {
                        *l += v * wk;
                    }
                }
            }
            features::Tpl::T => self.add(self.model.vocab.t_row(w.id), v),
            _ => self.add(slot.rows[t as usize], v),
        }
    }

    #[inline]
    fn pair(&mut self, t: features::Tpl2, a: features::Word<'_>, b: features::Word<'_>, v: f64) {
        self.add(self.model.pair_row(t, a.id, b.id), v);
    }
}

/// Sums the values of the features that have a row (the `explain` sink).
struct Hits<'m> {
    model: &'m TargetModel,
    hits: FxHashMap<u32, f64>,
}

impl Hits<'_> {
    fn add(&mut self, row: u32, v: f64) {
        if row != NO_ROW {
            *self.hits.entry(row).or_insert(0.0) += v;
        }
    }
}

impl features::Sink for Hits<'_> {
    fn fixed(&mut self, f: usize, v: f64) {
        self.add(self.model.fixed_row(f), v);
    }

    fn word(&mut self, t: features::Tpl, w: features::Word<'_>, v: f64) {
        self.add(self.model.word_row(t, w.id), v);
    }

    fn pair(&mut self, t: features::Tpl2, a: features::Word<'_>, b: features::Word<'_>, v: f64) {
        self.add(self.model.pair_row(t, a.id, b.id), v);
    }
}

impl TargetModel {
    /// Builds a model from rows; duplicate names are rejected by the callers. Each name is parsed
    /// into the feature it denotes: a fixed feature (`bias`, `v:sent+`, ...), a one-word template
    /// and its word (`S:said`), or a two-word template and its words (`L2:<actor>_said`; a name
    /// whose words could be split at several `_` is registered under every split, since the pair
    /// that spells it is the one that fires). Names of no known feature never fire.
    fn from_rows(rows: Vec<(Box<str>, [f64; 3])>) -> TargetModel {
        use features::{Tpl, Tpl2, FIXED_NAMES};
        let fixed_index: FxHashMap<&str, usize> = FIXED_NAMES.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let mut by_name = FxHashMap::default();
        let mut names: Vec<Box<str>> = Vec::with_capacity(rows.len());
        let mut weights = Vec::with_capacity(rows.len());
        let mut words = features::VocabBuilder::new();
        let mut pairs: Vec<(Tpl2, usize, usize, u32)> = Vec::new();
        let mut fixed_rows = vec![NO_ROW; FIXED_NAMES.len()];
        for (i, (name, w)) in rows.into_iter().enumerate() {
            let row = i as u32;
            if let Some(&f) = fixed_index.get(&*name) {
                fixed_rows[f] = row;
            } else if let Some((t, word)) = Tpl::ALL.iter().find_map(|&t| name.strip_prefix(t.prefix()).map(|w| (t, w)))
            {
                words.set(word, t, row, w);
            } else if let Some((t, rest)) =
                Tpl2::ALL.iter().find_map(|&t| name.strip_prefix(t.prefix()).map(|w| (t, w)))
            {
                for (p, _) in rest.match_indices('_') {
                    pairs.push((t, words.add(&rest[..p]), words.add(&rest[p + 1..]), row));
                }
            }
            by_name.insert(name.clone(), row);
            names.push(name);
            weights.push(w);
        }
        let (vocab, ids) = words.build();
        let mut pair_rows: [FxHashMap<u64, u32>; 2] = Default::default();
        for (t, a, b, row) in pairs {
            pair_rows[t as usize].insert(pair_key(ids[a], ids[b]), row);
        }
        TargetModel { names, weights, by_name, vocab, pair_rows, fixed_rows }
    }

    /// Row of a feature, if the model has it.
    #[inline]
    fn row(&self, name: &str) -> Option<u32> {
        self.by_name.get(name).copied()
    }

    #[inline]
    fn fixed_row(&self, f: usize) -> u32 {
        self.fixed_rows.get(f).copied().unwrap_or(NO_ROW)
    }

    /// Row of a one-word feature.
    #[inline]
    fn word_row(&self, t: features::Tpl, id: u32) -> u32 {
        match (t, self.vocab.slot(id)) {
            (features::Tpl::T, _) => self.vocab.t_row(id),
            (_, Some(slot)) => slot.rows[t as usize],
            (_, None) => NO_ROW,
        }
    }

    #[inline]
    fn pair_row(&self, t: features::Tpl2, a: u32, b: u32) -> u32 {
        if a == features::UNKNOWN || b == features::UNKNOWN {
            return NO_ROW;
        }
        self.pair_rows[t as usize].get(&pair_key(a, b)).copied().unwrap_or(NO_ROW)
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
    /// and snapped to character boundaries. To score several mentions of one sentence, use
    /// [`TargetModel::score_sentence`], which shares the sentence-level work.
    pub fn score(&self, vader: &Vader, sentence: &str, target: Range<usize>, others: &[Range<usize>]) -> TargetScore {
        with_scratch(|scratch| {
            scratch.prepare(vader, &self.vocab, sentence);
            let sc = scratch.sentence_compound(vader, sentence);
            let mut sink = Logits { model: self, logits: [0.0; 3] };
            scratch.mention(vader, &self.vocab, sentence, sc, target, others, usize::MAX, &mut sink);
            score_from_logits(sink.logits)
        })
    }

    /// Scores every mention of one sentence. `mentions` are byte spans in `sentence` (each one is
    /// the target in turn, the others are `others`); `sentence_compound` is VADER's compound of
    /// the whole sentence (as `vader.polarity_scores(sentence).compound`). Appends one
    /// [`TargetScore`] per mention, in order: the same as [`TargetModel::score`] on each mention
    /// with the other spans as `others`, but the sentence is tokenized and looked up once and
    /// each clause's compound computed once.
    pub fn score_sentence(
        &self,
        vader: &Vader,
        sentence: &str,
        sentence_compound: f64,
        mentions: &[Range<usize>],
        out: &mut Vec<TargetScore>,
    ) {
        if mentions.is_empty() {
            return;
        }
        out.reserve(mentions.len());
        with_scratch(|scratch| {
            scratch.prepare(vader, &self.vocab, sentence);
            let shared = scratch.share(sentence, mentions);
            for (i, m) in mentions.iter().enumerate() {
                let mut sink = Logits { model: self, logits: [0.0; 3] };
                if shared {
                    scratch.mention_shared(vader, sentence, sentence_compound, i, &mut sink);
                } else {
                    scratch.mention(vader, &self.vocab, sentence, sentence_compound, m.clone(), mentions, i, &mut sink);
                }
                out.push(score_from_logits(sink.logits));
            }
        });
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
        let mut sink = Hits { model: self, hits: FxHashMap::default() };
        with_scratch(|scratch| {
            scratch.prepare(vader, &self.vocab, sentence);
            let sc = scratch.sentence_compound(vader, sentence);
            scratch.mention(vader, &self.vocab, sentence, sc, target, others, usize::MAX, &mut sink);
        });
        let mut out: Vec<(String, f64)> = sink
            .hits
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
    fn feature_names_are_parsed_into_templates_and_words() {
        use features::{Tpl, Tpl2, F};
        let m = TargetModel::from_rows(vec![
            ("bias".into(), [1.0, 0.0, 0.0]),
            ("S:said".into(), [0.0, 1.0, 0.0]),
            ("L2:__x".into(), [0.0, 0.0, 1.0]),
            ("R2:<actor>_said".into(), [2.0, 0.0, 0.0]),
            ("L1:<start>".into(), [3.0, 0.0, 0.0]),
            ("zz:unknown".into(), [4.0, 0.0, 0.0]),
        ]);
        assert_eq!(m.fixed_row(F::Bias as usize), 0);
        assert_eq!(m.fixed_row(F::L1Start as usize), 4);
        assert_eq!(m.fixed_row(F::R1End as usize), NO_ROW);
        let id = |w: &str| m.vocab.id(w);
        assert_eq!(m.word_row(Tpl::S, id("said")), 1);
        assert_eq!(m.word_row(Tpl::Cl, id("said")), NO_ROW);
        assert_eq!(m.word_row(Tpl::S, features::UNKNOWN), NO_ROW);
        // "L2:__x" is "_" + "_" + "x" or "" + "_" + "_x"; the first is what tokens spell.
        assert_eq!(m.pair_row(Tpl2::L2, id("_"), id("x")), 2);
        assert_eq!(m.pair_row(Tpl2::R2, id("_"), id("x")), NO_ROW);
        assert_eq!(m.pair_row(Tpl2::R2, id("<actor>"), id("said")), 3);
        assert_eq!(m.pair_row(Tpl2::R2, id("said"), id("<actor>")), NO_ROW);
        assert_eq!(m.weights("zz:unknown"), Some([4.0, 0.0, 0.0]));
        assert_eq!(m.len(), 6);
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
