//! The coverage reader beside the target model: a piecewise CNN ([`super::pcnn`], the stance
//! reader's network) over the mention's sentence with the target marked — each token's frozen
//! corpus word vector, a learned embedding of its distance to the target and one of its tag
//! (other word / the target / another actor's mention), max pooling left of, over and right of
//! the target. Weights, the gate and the calibration temperature as data in
//! `lexicons/reader/coverage.txt.gz` (`newsstance train coverage-reader`).
//!
//! Why: the prototype (session 15, `tools/coverage_reader_prototype/`) found that the linear
//! target model misses readings a bag of words and valence scopes do not carry, that a reader
//! of the sentence toward the mention reads some of them (the same network with the target
//! unmarked adds nothing), and that the geometric mean of the two models' probabilities, nothing
//! fitted, adds 2–3 points of macro-F1 on real mentions and on both NewsMTSC devtests. Run only
//! where the linear model is unsure (its top probability under the gate: about a seventh of
//! mentions) it keeps the real-mention gain at about 1 µs a mention on average.
//!
//! [`CoverageReader::score`] is what every user of mention sentiment calls: the linear score
//! where the linear model is sure or the sentence has no token, else the combined one; either
//! labelled by the decision rule ([`Shift`]).

use std::ops::Range;
use std::sync::Arc;

use super::pcnn::{self, Pcnn, Spec};
use super::target::{Label, TargetScore};
use super::vectors::{self, Vectors};

/// Distances to the target are clipped to ±MAXD (the prototype's).
pub const MAXD: i32 = 30;
/// Distinct distances.
pub const ND: usize = 2 * MAXD as usize + 1;
/// Tags: other word, the target, another actor's mention.
pub const TAGS: usize = 3;
/// Longest window read (tokens); a longer sentence (a segmentation failure on a list or a
/// table) is cut to a window that keeps the target in its middle.
pub const MAXLEN: usize = 80;
/// Words whose folded rows are kept: 8,000 (up to 14 MB, each row folded the first time a mention
/// reads it). A rarer word is folded per window (45,000 multiply-adds). 20,000 words, as the
/// stance reader's, made a mention 7.0 µs instead of 10.0 (`examples/coverage_timing.rs`), but on
/// the whole corpus (2026-12-07, one run each at load ~2) it took the `coverage` stage from about
/// a third of `syntax`'s time to 0.30 of it (~0.15 worker-seconds) and peak RSS from 222–226 to
/// 248 MB: not worth the memory.
pub const TABLE_WORDS: usize = 8000;
/// File of the reader's weights in the lexicon folder.
pub const COVERAGE_FILE: &str = "reader/coverage.txt.gz";

/// The coverage reader's features: distance to the target (0..ND) and tag.
pub static SPEC: Spec<2> = Spec { names: ["pos_t", "tag"], rows: [ND, TAGS], table_words: TABLE_WORDS };

/// One mention's input.
pub type Window = pcnn::Window<2>;
/// The coverage reader's weights.
pub type Weights = pcnn::Weights<2>;

/// Buffers reused from mention to mention (no allocation per token).
#[derive(Debug, Default)]
pub struct Scratch {
    pub window: Window,
    spans: Vec<(usize, usize)>,
    buf: String,
    net: pcnn::Scratch,
}

/// Builds the window of the mention at byte span `target` of `sentence` into `s.window`;
/// `others` are the byte spans of other actors' mentions there (spans past the sentence or
/// empty are harmless). As the prototype's `prep.py`: a token overlapping the target is tagged
/// target (when none does, the token nearest the span's start stands for it), one overlapping
/// another mention is tagged other actor; distances count tokens from the target's first and
/// last tokens; pieces are left of, over and right of the target. An empty sentence gives an
/// empty window.
pub fn build_window(
    vectors: &Vectors,
    sentence: &str,
    target: &Range<usize>,
    others: &[Range<usize>],
    s: &mut Scratch,
) {
    s.window.clear();
    vectors::tokens(sentence, &mut s.spans);
    let n = s.spans.len();
    if n == 0 {
        return;
    }
    let over = |(a, b): (usize, usize), m: &Range<usize>| a < m.end && m.start < b;
    let (mut lo_t, mut hi_t) = (usize::MAX, 0);
    for (k, &(a, b)) in s.spans.iter().enumerate() {
        s.window.ids.push(vectors.id(vectors::norm(&sentence[a..b], &mut s.buf)));
        let tag = if over((a, b), target) {
            lo_t = lo_t.min(k);
            hi_t = k;
            1
        } else if others.iter().any(|m| over((a, b), m)) {
            2
        } else {
            0
        };
        s.window.feats.push([0, tag]);
    }
    if lo_t == usize::MAX {
        // A span between tokens: the token nearest its start stands for it.
        let k = (0..n).min_by_key(|&k| s.spans[k].0.abs_diff(target.start)).unwrap_or(0);
        (lo_t, hi_t) = (k, k);
        s.window.feats[k][1] = 1;
    }
    for (i, f) in s.window.feats.iter_mut().enumerate() {
        let d = if i < lo_t {
            i as i32 - lo_t as i32
        } else if i > hi_t {
            i as i32 - hi_t as i32
        } else {
            0
        };
        f[0] = (d.clamp(-MAXD, MAXD) + MAXD) as u8;
        s.window.piece.push((i >= lo_t) as u8 + (i > hi_t) as u8);
    }
    if n > MAXLEN {
        let lo = lo_t.saturating_sub(MAXLEN / 2).min(n - MAXLEN);
        s.window.cut(lo, MAXLEN);
    }
}

/// The reader with its gate and calibration.
#[derive(Debug)]
pub struct CoverageReader {
    pub net: Pcnn<2>,
    /// The reader runs where the linear model's top probability is below this (0: never).
    pub gate: f64,
    /// The combined probabilities are `p^(1/temperature)`, renormalised (1: as combined).
    pub temperature: f64,
    /// Added to the log-probabilities of negative and positive (neutral's is 0) when the label
    /// is chosen, for every mention: the decision rule, not the probabilities. Both models
    /// under-call the rare classes (macro-F1 weighs each class alike), so a shift chosen on real
    /// dev moves close calls toward them; `sentiment` (P(positive) − P(negative)) and the
    /// probabilities are unchanged.
    pub shift: Shift,
}

/// The decision shifts of negative and positive (see [`CoverageReader::shift`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Shift {
    pub negative: f64,
    pub positive: f64,
}

impl Shift {
    /// The label of probabilities `p`: arg-max of `p` times the shifts' factors (neutral's 1),
    /// ties to the earlier label, so no shift gives the plain arg-max of both models.
    pub fn label(&self, p: &[f64; 3]) -> Label {
        let v = [p[0] * self.negative.exp(), p[1], p[2] * self.positive.exp()];
        let mut best = 0;
        for k in 1..3 {
            if v[k] > v[best] {
                best = k;
            }
        }
        Label::ALL[best]
    }
}

impl CoverageReader {
    pub fn new(vectors: Arc<Vectors>, weights: Weights, gate: f64, temperature: f64) -> CoverageReader {
        CoverageReader { net: Pcnn::new(&SPEC, vectors, weights), gate, temperature, shift: Shift::default() }
    }

    /// The file's text: `# ` header lines, `setting<TAB>name<TAB>value` for the gate, the
    /// temperature and the two shifts, then the weights ([`pcnn::Weights::write`]).
    pub fn write(&self, header: &[String]) -> String {
        let mut s = self.net.weights.write(&SPEC, header);
        let at = s.lines().take_while(|l| l.starts_with('#')).map(|l| l.len() + 1).sum::<usize>();
        s.insert_str(
            at,
            &format!(
                "setting\tgate\t{}\nsetting\ttemperature\t{}\nsetting\tshift_negative\t{}\nsetting\tshift_positive\t{}\n",
                self.gate, self.temperature, self.shift.negative, self.shift.positive
            ),
        );
        s
    }

    /// `score` with its label chosen by the decision rule ([`Shift::label`]).
    pub fn decide(&self, score: TargetScore) -> TargetScore {
        TargetScore { label: self.shift.label(&score.probs), ..score }
    }

    /// Reads what [`CoverageReader::write`] wrote. Errors: 1-based line and message.
    pub fn read(vectors: Arc<Vectors>, text: &str) -> Result<CoverageReader, (usize, String)> {
        let (mut gate, mut temperature) = (None, None);
        let mut shift = Shift::default();
        let mut rest = String::with_capacity(text.len());
        for (i, line) in text.lines().enumerate() {
            if let Some(setting) = line.strip_prefix("setting\t") {
                let (name, value) = setting.split_once('\t').unwrap_or((setting, ""));
                let signed = name.starts_with("shift_");
                let v: f64 = value
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite() && if signed { v.abs() <= 10.0 } else { *v >= 0.0 })
                    .ok_or_else(|| {
                        (
                            i + 1,
                            format!(
                                "setting {name}: `{value}` is not a number {}",
                                if signed { "in [-10, 10]" } else { "≥ 0" }
                            ),
                        )
                    })?;
                match name {
                    "gate" => gate = Some(v),
                    "shift_negative" => shift.negative = v,
                    "shift_positive" => shift.positive = v,
                    "temperature" if v > 0.0 => temperature = Some(v),
                    _ => return Err((i + 1, format!("unknown setting `{name}` or a zero temperature"))),
                }
                // Keep the line numbering of the weights' errors.
                rest.push('#');
            } else {
                rest.push_str(line);
            }
            rest.push('\n');
        }
        let w = Weights::read(&SPEC, &rest)?;
        let (Some(gate), Some(temperature)) = (gate, temperature) else {
            return Err((1, "the settings gate and temperature are both needed".into()));
        };
        Ok(CoverageReader { shift, ..CoverageReader::new(vectors, w, gate, temperature) })
    }

    /// Loads `reader/coverage.txt.gz` from `dir` (the embedded copy when absent) over the
    /// stance reader's `vectors`.
    pub fn load(
        dir: Option<&std::path::Path>,
        vectors: Arc<Vectors>,
    ) -> Result<(CoverageReader, crate::lexicon::FileDigest), crate::lexicon::Problem> {
        const EMBEDDED: &[u8] = include_bytes!("../../lexicons/reader/coverage.txt.gz");
        let f = crate::syntax::read_gz(dir, COVERAGE_FILE, EMBEDDED)?;
        let r = CoverageReader::read(vectors, &f.text).map_err(|(l, m)| f.problem(l as u64, m))?;
        Ok((r, f.digest()))
    }

    /// The reader's probabilities (negative, neutral, positive) of the mention, whatever the
    /// gate; `None` for a sentence without a token.
    pub fn probs(
        &self,
        sentence: &str,
        target: &Range<usize>,
        others: &[Range<usize>],
        s: &mut Scratch,
    ) -> Option<[f32; 3]> {
        build_window(&self.net.vectors, sentence, target, others, s);
        self.net.probs(&s.window, &mut s.net)
    }

    /// Whether the reader reads a mention the linear model scored `linear`.
    pub fn reads(&self, linear: &TargetScore) -> bool {
        linear.probs.iter().copied().fold(0.0, f64::max) < self.gate
    }

    /// The combined score: the geometric mean of the two models' probabilities, renormalised,
    /// then sharpened or flattened by the temperature; labelled by the decision rule
    /// ([`Shift::label`]).
    pub fn combine(&self, linear: &[f64; 3], reader: [f32; 3]) -> TargetScore {
        let inv = 1.0 / self.temperature;
        let lg: [f64; 3] =
            std::array::from_fn(|c| 0.5 * (linear[c].max(1e-6).ln() + (reader[c] as f64).max(1e-6).ln()) * inv);
        let m = lg[0].max(lg[1]).max(lg[2]);
        let e = lg.map(|l| (l - m).exp());
        let sum = e[0] + e[1] + e[2];
        let p = e.map(|x| x / sum);
        TargetScore { label: self.shift.label(&p), probs: p, score: (p[2] - p[0]).clamp(-1.0, 1.0) }
    }

    /// The mention's final score from the linear model's `linear`: the combined one when the
    /// gate lets the reader read it (and the sentence has a token), with the reader's
    /// probabilities; else `linear` relabelled by the decision rule ([`Shift::label`]).
    pub fn score(
        &self,
        linear: TargetScore,
        sentence: &str,
        target: &Range<usize>,
        others: &[Range<usize>],
        s: &mut Scratch,
    ) -> (TargetScore, Option<[f32; 3]>) {
        if !self.reads(&linear) {
            return (self.decide(linear), None);
        }
        match self.probs(sentence, target, others, s) {
            Some(r) => (self.combine(&linear.probs, r), Some(r)),
            None => (self.decide(linear), None),
        }
    }
}

/// Trains the reader ([`pcnn::train`]) on `(window, class, weight)` examples.
pub fn train(
    v: &Vectors,
    examples: &[(&Window, usize, f32)],
    p: &pcnn::TrainParams,
    progress: impl FnMut(usize, f64),
) -> Weights {
    pcnn::train(&SPEC, v, examples, p, progress)
}

/// How the training mentions weigh (the prototype's and the linear model's mix): a NewsMTSC
/// example 1, a real mention `(N / (3 n_class))^balance` over the real train counts (0.5:
/// halfway to balance — without it the majority class wins on real mentions).
pub fn real_class_weights(classes: &[usize], balance: f64) -> [f32; 3] {
    let mut n = [0usize; 3];
    for &c in classes {
        n[c.min(2)] += 1;
    }
    let total = classes.len() as f64;
    std::array::from_fn(|c| if n[c] == 0 { 1.0 } else { (total / (3.0 * n[c] as f64)).powf(balance) as f32 })
}

/// Figures of one setting on labelled mentions: macro-F1 and the rest through
/// [`crate::eval::EvalReport`], the share read, the reliability bins (of the predicted label's
/// probability, 0.3–0.4 … 0.9–1.0: count, mean probability, accuracy), the expected
/// calibration error and the mean negative log-likelihood of the gold label.
#[derive(Debug, Clone, Default)]
pub struct DevFigures {
    pub report: crate::eval::EvalReport,
    pub read: usize,
    pub bins: Vec<(usize, f64, f64)>,
    pub ece: f64,
    pub nll: f64,
}

/// The figures of `reader` (its gate and temperature) on mentions whose target-model scores,
/// reader probabilities (of every mention, whatever the gate) and gold labels are given.
pub fn figures(
    reader: &CoverageReader,
    linear: &[TargetScore],
    read: &[Option<[f32; 3]>],
    gold: &[Label],
) -> DevFigures {
    let mut f = DevFigures { bins: vec![(0, 0.0, 0.0); 7], ..DevFigures::default() };
    let mut sums = [(0usize, 0f64, 0usize); 7];
    for ((l, r), g) in linear.iter().zip(read).zip(gold) {
        let s = match r {
            Some(r) if reader.reads(l) => {
                f.read += 1;
                reader.combine(&l.probs, *r)
            }
            _ => reader.decide(*l),
        };
        f.report.add(*g, s.label);
        f.nll -= s.probs[g.index()].max(1e-12).ln();
        let p = s.probs[s.label.index()];
        let k = (((p - 0.3) / 0.1).floor().max(0.0) as usize).min(6);
        sums[k].0 += 1;
        sums[k].1 += p;
        sums[k].2 += (s.label == *g) as usize;
    }
    let n = gold.len().max(1) as f64;
    f.nll /= n;
    for (k, (c, p, ok)) in sums.into_iter().enumerate() {
        if c > 0 {
            let (mp, acc) = (p / c as f64, ok as f64 / c as f64);
            f.bins[k] = (c, mp, acc);
            f.ece += c as f64 / n * (mp - acc).abs();
        }
    }
    f
}

/// Predicted minus gold share of each label in `report`, in [-1, 1].
pub fn share_gaps(report: &crate::eval::EvalReport) -> [f64; 3] {
    let c = &report.confusion;
    let n = report.total().max(1) as f64;
    std::array::from_fn(|k| ((0..3).map(|g| c[g][k]).sum::<u64>() as f64 - c[k].iter().sum::<u64>() as f64) / n)
}

/// The decision shifts, on a grid of −1 to 1 in steps of 0.1 for each of negative and
/// positive, that give the best macro-F1 of `reader` (its gate and temperature) on the
/// mentions given, among those keeping every predicted label share within `max_gap` of gold's
/// (the coverage issue asks 5 points); a tie goes to the smaller shifts, so no shift at all
/// wins unless a shift does better (and when none keeps the shares, no shift is taken). Sets
/// `reader.shift` to it and returns its macro-F1 (−∞ when none kept the shares).
pub fn choose_shift(
    reader: &mut CoverageReader,
    linear: &[TargetScore],
    read: &[Option<[f32; 3]>],
    gold: &[Label],
    max_gap: f64,
) -> f64 {
    let steps: Vec<f64> = (-10..=10).map(|k| k as f64 / 10.0).collect();
    let mut grid: Vec<Shift> =
        steps.iter().flat_map(|&n| steps.iter().map(move |&p| Shift { negative: n, positive: p })).collect();
    grid.sort_by(|a, b| (a.negative.abs() + a.positive.abs()).total_cmp(&(b.negative.abs() + b.positive.abs())));
    let mut best = (Shift::default(), f64::NEG_INFINITY);
    for shift in grid {
        reader.shift = shift;
        let f = figures(reader, linear, read, gold);
        let fits = share_gaps(&f.report).iter().all(|g| g.abs() <= max_gap);
        if fits && f.report.macro_f1() > best.1 + 1e-9 {
            best = (shift, f.report.macro_f1());
        }
    }
    reader.shift = best.0;
    best.1
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;
    use crate::stance::vectors::Rng;

    fn vectors() -> Arc<Vectors> {
        let mut rng = Rng(3);
        let mut text = String::new();
        for w in ["the", "russia", "slammed", "ukraine", "for", "talks", "."] {
            let vals: Vec<String> = (0..vectors::DIM).map(|_| ((rng.below(255) as i32) - 127).to_string()).collect();
            text.push_str(&format!("{w}\t0.1\t{}\n", vals.join(" ")));
        }
        Arc::new(Vectors::read(&text, "test").unwrap())
    }

    #[test]
    fn the_window_marks_the_target_and_the_other_mentions() {
        let v = vectors();
        let mut s = Scratch::default();
        let sent = "Russia slammed Ukraine for the talks.";
        build_window(&v, sent, &(15..22), &[0..6], &mut s);
        let w = &s.window;
        assert_eq!(w.len(), 7);
        assert_eq!(w.ids[0], v.id("russia"));
        let tags: Vec<u8> = w.feats.iter().map(|f| f[1]).collect();
        assert_eq!(tags, [2, 0, 1, 0, 0, 0, 0]);
        let dist: Vec<i32> = w.feats.iter().map(|f| f[0] as i32 - MAXD).collect();
        assert_eq!(dist, [-2, -1, 0, 1, 2, 3, 4]);
        assert_eq!(w.piece, [0, 0, 1, 2, 2, 2, 2]);
        // The target first: no left piece.
        build_window(&v, sent, &(0..6), &[15..22], &mut s);
        assert_eq!(s.window.piece, [1, 2, 2, 2, 2, 2, 2]);
        // A span between tokens (a space): the nearest token stands for it.
        build_window(&v, sent, &(6..7), &[], &mut s);
        assert_eq!(s.window.feats.iter().filter(|f| f[1] == 1).count(), 1);
        // Nothing to read.
        build_window(&v, "  ", &(0..1), &[], &mut s);
        assert!(s.window.is_empty());
    }

    #[test]
    fn a_long_sentence_is_cut_around_the_target() {
        let v = vectors();
        let mut s = Scratch::default();
        let sent = "the ".repeat(200) + "Ukraine" + &" the".repeat(10);
        let start = 800;
        build_window(&v, &sent, &(start..start + 7), &[], &mut s);
        assert_eq!(s.window.len(), MAXLEN);
        let k = s.window.feats.iter().position(|f| f[1] == 1).unwrap();
        assert_eq!(s.window.ids[k], v.id("ukraine"));
        assert_eq!(s.window.piece[k], 1);
        assert!(k >= MAXLEN / 2 - 10, "{k}");
    }

    #[test]
    fn the_gate_and_the_combination() {
        let v = vectors();
        let w = Weights::init(&SPEC, &mut Rng(1));
        let r = CoverageReader::new(v.clone(), w.clone(), 0.55, 1.0);
        let sure = TargetScore { label: Label::Neutral, probs: [0.1, 0.8, 0.1], score: 0.0 };
        let unsure = TargetScore { label: Label::Negative, probs: [0.5, 0.4, 0.1], score: -0.4 };
        let mut s = Scratch::default();
        let sent = "Russia slammed Ukraine.";
        assert_eq!(r.score(sure, sent, &(15..22), &[0..6], &mut s), (sure, None));
        let (c, p) = r.score(unsure, sent, &(15..22), &[0..6], &mut s);
        let p = p.unwrap();
        assert_eq!(c, r.combine(&unsure.probs, p));
        assert!((c.probs.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        // The geometric mean: two models that agree give the same distribution.
        let same = r.combine(&[0.2, 0.3, 0.5], [0.2, 0.3, 0.5]);
        assert!(same.probs.iter().zip([0.2, 0.3, 0.5]).all(|(a, b)| (a - b).abs() < 1e-6));
        assert_eq!(same.label, Label::Positive);
        // A temperature above 1 flattens.
        let flat = CoverageReader::new(v.clone(), w.clone(), 0.55, 2.0).combine(&[0.2, 0.3, 0.5], [0.2, 0.3, 0.5]);
        assert!(flat.probs[2] < 0.5 && flat.probs[0] > 0.2);
        // Nothing to read: the linear score.
        assert_eq!(r.score(unsure, " ", &(0..1), &[], &mut s).1, None);
    }

    #[test]
    fn real_classes_weigh_halfway_to_balance() {
        let classes = [1, 1, 1, 1, 1, 1, 0, 0, 2];
        let w = real_class_weights(&classes, 0.5);
        assert!((w[0] - (9.0f32 / 6.0).sqrt()).abs() < 1e-6 && (w[1] - (9.0f32 / 18.0).sqrt()).abs() < 1e-6);
        assert_eq!(real_class_weights(&classes, 0.0), [1.0; 3]);
        assert_eq!(real_class_weights(&[], 0.5), [1.0; 3]);
    }

    #[test]
    fn figures_count_only_the_gated_mentions_as_read() {
        let v = vectors();
        let r = CoverageReader::new(v, Weights::init(&SPEC, &mut Rng(1)), 0.55, 1.0);
        let sure = TargetScore { label: Label::Neutral, probs: [0.1, 0.8, 0.1], score: 0.0 };
        let unsure = TargetScore { label: Label::Negative, probs: [0.5, 0.4, 0.1], score: -0.4 };
        let f = figures(
            &r,
            &[sure, unsure, unsure],
            &[Some([0.0, 0.0, 1.0]), Some([0.0, 0.01, 0.99]), None],
            &[Label::Neutral, Label::Positive, Label::Negative],
        );
        assert_eq!(f.read, 1);
        assert_eq!(f.report.total(), 3);
        assert_eq!(f.report.confusion[2][2], 1, "the read mention turns positive");
        assert_eq!(f.bins.iter().map(|b| b.0).sum::<usize>(), 3);
    }

    #[test]
    fn the_file_round_trips_and_rejects_bad_settings() {
        let v = vectors();
        let r = CoverageReader::new(v.clone(), Weights::init(&SPEC, &mut Rng(1)), 0.55, 1.25);
        let text = r.write(&["a header".into()]);
        assert!(text.starts_with("# a header\nsetting\tgate\t0.55\nsetting\ttemperature\t1.25\n"));
        let back = CoverageReader::read(v.clone(), &text).unwrap();
        assert_eq!((back.gate, back.temperature), (0.55, 1.25));
        assert_eq!(back.net.weights, r.net.weights);
        assert_eq!(CoverageReader::read(v.clone(), &text.replace("\t0.55\n", "\tx\n")).unwrap_err().0, 2);
        assert!(CoverageReader::read(v.clone(), &text.replace("temperature\t1.25", "temperature\t0")).is_err());
        assert!(CoverageReader::read(v.clone(), &text.replace("setting\tgate\t0.55\n", "")).is_err());
        assert!(CoverageReader::read(v.clone(), "").is_err());
        // Only the shifts are bounded: a large temperature is still a temperature.
        assert_eq!(
            CoverageReader::read(v, &text.replace("temperature\t1.25", "temperature\t20")).unwrap().temperature,
            20.0
        );
    }

    #[test]
    fn the_shifts_round_trip_default_to_none_and_are_bounded() {
        let v = vectors();
        let mut r = CoverageReader::new(v.clone(), Weights::init(&SPEC, &mut Rng(1)), 0.55, 1.25);
        r.shift = Shift { negative: -0.1, positive: 0.3 };
        let text = r.write(&["a header".into()]);
        assert!(text.contains("setting\tshift_negative\t-0.1\nsetting\tshift_positive\t0.3\n"), "{}", &text[..200]);
        assert_eq!(CoverageReader::read(v.clone(), &text).unwrap().shift, r.shift);
        // A file from before the shifts: the plain arg-max.
        let old = text.replace("setting\tshift_negative\t-0.1\n", "").replace("setting\tshift_positive\t0.3\n", "");
        assert_eq!(CoverageReader::read(v.clone(), &old).unwrap().shift, Shift::default());
        let bad = text.replace("shift_positive\t0.3", "shift_positive\t11");
        assert_eq!(CoverageReader::read(v, &bad).unwrap_err().0, 5);
    }

    #[test]
    fn a_shift_moves_only_close_calls_and_none_is_the_arg_max() {
        let none = Shift::default();
        let pos = Shift { negative: 0.0, positive: 0.3 };
        // Close: positive times e^0.3 (0.54) passes neutral's 0.5.
        assert_eq!(none.label(&[0.1, 0.5, 0.4]), Label::Neutral);
        assert_eq!(pos.label(&[0.1, 0.5, 0.4]), Label::Positive);
        // Far: no shift of this size turns a sure neutral.
        assert_eq!(pos.label(&[0.1, 0.8, 0.1]), Label::Neutral);
        // Ties go to the earlier label, as the models' own arg-max.
        assert_eq!(none.label(&[0.4, 0.4, 0.2]), Label::Negative);
        let v = vectors();
        let mut r = CoverageReader::new(v, Weights::init(&SPEC, &mut Rng(1)), 0.0, 1.0);
        r.shift = pos;
        let close = TargetScore { label: Label::Neutral, probs: [0.1, 0.5, 0.4], score: 0.3 };
        let mut s = Scratch::default();
        // Not read (gate 0): the linear probabilities, relabelled; the sentiment value is kept.
        let (got, read) = r.score(close, "Russia slammed Ukraine.", &(15..22), &[0..6], &mut s);
        assert_eq!((got.label, got.probs, got.score, read), (Label::Positive, close.probs, close.score, None));
        // The combination is labelled by the same rule.
        assert_eq!(r.combine(&[0.1, 0.5, 0.4], [0.1, 0.5, 0.4]).label, Label::Positive);
    }

    /// A neutral target-model score with these probabilities.
    fn neutral(p: [f64; 3]) -> TargetScore {
        TargetScore { label: Label::Neutral, probs: p, score: p[2] - p[0] }
    }

    /// A reader that reads nothing (gate 0), and `n` gold positives the target model scores
    /// `close` followed by `m` gold neutrals it is sure of, as `choose_shift` takes them.
    fn shift_case(close: [f64; 3], n: usize, m: usize) -> (CoverageReader, Vec<TargetScore>, Vec<Label>) {
        let r = CoverageReader::new(vectors(), Weights::init(&SPEC, &mut Rng(1)), 0.0, 1.0);
        let mut linear = vec![neutral(close); n];
        linear.extend(vec![neutral([0.1, 0.8, 0.1]); m]);
        let mut gold = vec![Label::Positive; n];
        gold.extend(vec![Label::Neutral; m]);
        (r, linear, gold)
    }

    #[test]
    fn the_shift_chosen_is_the_smallest_best_one_within_the_share_limit() {
        let (mut r, mut linear, mut gold) = shift_case([0.1, 0.5, 0.4], 2, 8);
        let read = vec![None; linear.len()];
        // Positive by 0.3 finds both positives; 0.2 (×1.22) does not, so 0.3 is the smallest.
        let f1 = choose_shift(&mut r, &linear, &read, &gold, 0.05);
        assert_eq!(r.shift, Shift { negative: 0.0, positive: 0.3 });
        assert!((f1 - 2.0 / 3.0).abs() < 1e-9, "{f1}");
        // A neutral as close as the positives: the shift now over-calls positive by 1/11 of
        // the shares, allowed at 0.1 and not at 0.05.
        linear.push(neutral([0.1, 0.5, 0.4]));
        gold.push(Label::Neutral);
        let read = vec![None; linear.len()];
        choose_shift(&mut r, &linear, &read, &gold, 0.05);
        assert_eq!(r.shift, Shift::default());
        choose_shift(&mut r, &linear, &read, &gold, 0.1);
        assert_eq!(r.shift, Shift { negative: 0.0, positive: 0.3 });
    }

    #[test]
    fn the_shift_grid_reaches_past_half() {
        // Positives at half neutral's probability need e^s > 2, s > 0.69: a model trained on
        // mentions chosen for their predicted sentiment can under-call that far.
        let (mut r, linear, gold) = shift_case([0.1, 0.6, 0.3], 2, 18);
        choose_shift(&mut r, &linear, &vec![None; linear.len()], &gold, 0.05);
        assert_eq!(r.shift, Shift { negative: 0.0, positive: 0.7 });
    }
}
