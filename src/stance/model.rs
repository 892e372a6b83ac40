//! The stance pair model: for every ordered pair of countries/blocs named in a paragraph, is
//! the first hostile to the second, friendly, or neither? Trained on real news paragraphs
//! labelled by `../shared/stance/GUIDE.md` (`newsstance train stance`), weights as data in
//! `lexicons/stance_model.txt.gz`.
//!
//! Candidates are paragraph-level, as the guide labels them: a speaker named in one sentence and
//! the country criticised in the next are one candidate. Features come from every sentence that
//! names the target: the dependency path between the two mentions where one sentence names
//! both (relations, the word where the paths meet, its CAMEO class and QuadClass, its word
//! cluster), the target's and the source's relation and case word ("in", "on", "against"),
//! negation, modality and conditionals on the words that link them, questions, non-state agent
//! nouns governing a mention ("pro-Russian separatists"), the words between the mentions with
//! their clusters and CAMEO classes, the sentence's tone and the target-sentiment label, and the
//! hand-written rules' verdicts for the pair (kept as evidence, no longer as the decision).
//!
//! The model is a multinomial logistic regression over hashed features (none / hostile /
//! friendly). A pair is reported when the probability of its sign reaches the threshold chosen
//! on dev for precision; its row's score is P(friendly) − P(hostile), its confidence the
//! probability of the sign.

use std::io::Write;
use std::ops::Range;

use super::eventdata::{AgentKind, EventData, VerbClass};
use super::events::StanceEvent;
use super::target::{Label, TargetScore};
use crate::actors::{ActorRef, DocActors, Kind, Lexicon};
use crate::document::Paragraph;
use crate::syntax::perceptron::mix;
use crate::syntax::{Syntax, Tree};
use crate::tone::Polarity;

/// Hashed feature space: 2^BITS buckets of three class weights.
pub const BITS: u32 = 20;
/// Classes.
pub const NONE: usize = 0;
pub const HOSTILE: usize = 1;
pub const FRIENDLY: usize = 2;

/// What a document's stages give the model.
pub struct DocInput<'a> {
    pub text: &'a str,
    pub paragraphs: &'a [Paragraph],
    pub tones: &'a [Vec<Polarity>],
    pub actors: &'a DocActors,
    pub lexicon: &'a Lexicon,
    pub sentiments: &'a [TargetScore],
    /// The rules' events (features only).
    pub rules: &'a [StanceEvent],
    pub eventdata: &'a EventData,
    pub syntax: &'a Syntax,
}

/// One ordered pair of countries/blocs in a paragraph, with its features.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// 0-based paragraph index (as in the analysis).
    pub paragraph: u32,
    pub source_code: String,
    pub target_code: String,
    /// The most specific actors of each country in the evidence sentence (or paragraph).
    pub source: ActorRef,
    pub target: ActorRef,
    /// 0-based sentence of the evidence (one naming both if any, else the target's).
    pub sentence: u32,
    /// The rules' cues for the pair, or the word linking the two mentions.
    pub cue: String,
    pub features: Vec<u32>,
    /// Readable names of the features, kept only when `explain` asks.
    pub names: Vec<String>,
    /// How many of `features` come before the syntax features: what the parse gate reads.
    pub base_len: usize,
    /// Each sentence naming both, with the spans of its closest source and target mentions:
    /// where [`add_syntax`] reads the dependency path once the sentence is parsed.
    pub links: Vec<(u32, Range<usize>, Range<usize>)>,
    /// The two are joined only by "and" in a sentence naming both ("Beijing and Moscow signed
    /// ..."): what that sentence says of them it says of both directions (the guide: "X and Y
    /// agreed / signed / cooperated" gives both X→Y and Y→X), so [`symmetrize`] gives the pair
    /// and its reverse the same probabilities.
    pub coordinated: bool,
    /// The sentence reader's class probabilities ([`super::reader`]), when it read this
    /// candidate (only where the pair model's probability passes [`StanceModel::reader_gate`]).
    pub reader: Option<[f32; 3]>,
}

#[cfg(test)]
impl Candidate {
    /// A candidate for unit tests: `source` → `target` in paragraph 0, sentence 0, with
    /// `features` (all before the syntax ones) and nothing else; tests change what they need
    /// with struct-update syntax.
    pub(crate) fn for_test(source: &str, target: &str, features: Vec<u32>) -> Candidate {
        Candidate {
            paragraph: 0,
            source_code: source.into(),
            target_code: target.into(),
            source: ActorRef::Lexicon(0),
            target: ActorRef::Lexicon(1),
            sentence: 0,
            cue: String::new(),
            base_len: features.len(),
            features,
            names: Vec::new(),
            links: Vec::new(),
            coordinated: false,
            reader: None,
        }
    }
}

/// The trained model.
#[derive(Debug, Clone)]
pub struct StanceModel {
    /// 3 × 2^BITS weights, bucket-major.
    pub weights: Vec<f32>,
    pub bias: [f32; 3],
    /// Probability a sign must reach to be reported: hostile, friendly (chosen on dev).
    pub threshold: [f32; 2],
    /// Share of a sign's threshold that its probability, before syntax features, must reach for
    /// the candidate's sentences to be parsed (chosen on dev; 0 parses every sentence the rules
    /// point at).
    pub gate: f32,
    /// Share of a sign's threshold above which a candidate is sure enough on its features
    /// without syntax that its sentences need no parse for it (chosen on dev, at or above 1;
    /// 0: no such share, every candidate through the gate asks for the parse).
    pub sure: f32,
    /// Probabilities (hostile, friendly) of the pair model at or above which the sentence
    /// reader reads a candidate and its probabilities are combined with the pair model's
    /// ([`super::reader::combine`]); `None` (no `reader` line in the weights file): the reader
    /// is not used. `train stance` sets it to 0.2 of the thresholds the pair model alone gets
    /// on dev: the prototype found nearly all of the reader's gain there, on 21 % of candidates.
    pub reader_gate: Option<[f32; 2]>,
}

impl StanceModel {
    pub fn empty() -> StanceModel {
        StanceModel {
            weights: vec![0.0; 3 << BITS],
            bias: [0.0; 3],
            threshold: [0.5, 0.5],
            gate: 0.0,
            sure: 0.0,
            reader_gate: None,
        }
    }

    /// Class probabilities of a candidate.
    pub fn probs(&self, features: &[u32]) -> [f32; 3] {
        let mut z = self.bias;
        for &f in features {
            let w = &self.weights[3 * f as usize..3 * f as usize + 3];
            z[0] += w[0];
            z[1] += w[1];
            z[2] += w[2];
        }
        softmax(z)
    }

    /// Whether the sentence reader reads a candidate with the pair model's probabilities `p`.
    pub fn reads(&self, p: &[f32; 3]) -> bool {
        self.reader_gate.is_some_and(|g| p[HOSTILE] >= g[0] || p[FRIENDLY] >= g[1])
    }

    /// The probabilities a candidate is decided on: the pair model's on `features`, combined
    /// with the reader's (`reader`) when the pair model's pass the reader gate.
    pub fn final_probs(&self, features: &[u32], reader: Option<[f32; 3]>) -> [f32; 3] {
        self.combined(self.probs(features), reader)
    }

    /// [`StanceModel::final_probs`] given the pair model's probabilities `p` already computed
    /// (`score` computes them once per candidate, for the reader gate and the decision).
    pub fn combined(&self, p: [f32; 3], reader: Option<[f32; 3]>) -> [f32; 3] {
        match reader {
            Some(r) if self.reads(&p) => super::reader::combine(p, r),
            _ => p,
        }
    }

    /// [`StanceModel::final_probs`] of a candidate with all its features.
    pub fn candidate_probs(&self, c: &Candidate) -> [f32; 3] {
        self.final_probs(&c.features, c.reader)
    }

    /// Whether features without syntax give a sign at least the gate's share of its threshold.
    /// Relative to each sign's threshold, because the thresholds differ (friendly pairs are
    /// rarer and get lower probabilities): a single probability would let through twice as many
    /// hostile-leaning candidates for the same dev figures.
    pub fn passes_gate(&self, base: &[u32]) -> bool {
        self.reaches_share(&self.probs(base), self.gate)
    }

    /// Whether a probability of a sign reaches `share` of that sign's threshold.
    fn reaches_share(&self, p: &[f32; 3], share: f32) -> bool {
        p[HOSTILE] >= share * self.threshold[0] || p[FRIENDLY] >= share * self.threshold[1]
    }

    /// Whether a candidate's sentences must be parsed for it: it passes the parse gate and is
    /// not already sure of a sign on its features without syntax (see [`StanceModel::sure`]).
    pub fn needs_parse(&self, base: &[u32]) -> bool {
        self.needs_parse_at(base, self.gate, self.sure)
    }

    /// [`StanceModel::needs_parse`] at another gate and sure share.
    pub fn needs_parse_at(&self, base: &[u32], gate: f32, sure: f32) -> bool {
        let p = self.probs(base);
        self.reaches_share(&p, gate) && !(sure > 0.0 && self.reaches_share(&p, sure))
    }

    /// The decision for a candidate: the sign and its probability when it reaches the threshold.
    pub fn decide(&self, features: &[u32]) -> (Option<i8>, [f32; 3]) {
        let p = self.probs(features);
        (decision(p, self.threshold).map(|(s, _)| s), p)
    }

    /// The features that weighed most toward class `c`, with their weights (for `explain`).
    pub fn top_features<'a>(&self, cand: &'a Candidate, c: usize, n: usize) -> Vec<(&'a str, f32)> {
        let mut v: Vec<(&str, f32)> = cand
            .features
            .iter()
            .zip(&cand.names)
            .map(|(&f, name)| {
                let w = &self.weights[3 * f as usize..3 * f as usize + 3];
                (name.as_str(), w[c] - (w[0] + w[1] + w[2]) / 3.0)
            })
            .collect();
        v.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        v.truncate(n);
        v
    }

    /// Writes the weights file: header, `threshold`, `bias`, then `bucket w0 w1 w2` for every
    /// bucket with a weight that survives rounding to 4 decimals.
    pub fn write(&self, header: &[String], w: &mut dyn Write) -> std::io::Result<()> {
        for h in header {
            writeln!(w, "# {h}")?;
        }
        writeln!(w, "bits\t{BITS}")?;
        writeln!(w, "threshold\t{} {}", r4(self.threshold[0]), r4(self.threshold[1]))?;
        writeln!(w, "gate\t{}", r4(self.gate))?;
        writeln!(w, "sure\t{}", r4(self.sure))?;
        if let Some(g) = self.reader_gate {
            writeln!(w, "reader\t{} {}", r4(g[0]), r4(g[1]))?;
        }
        writeln!(w, "bias\t{} {} {}", r4(self.bias[0]), r4(self.bias[1]), r4(self.bias[2]))?;
        for b in 0..1usize << BITS {
            let x = &self.weights[3 * b..3 * b + 3];
            let (a, c, d) = (r4(x[0]), r4(x[1]), r4(x[2]));
            if a != 0.0 || c != 0.0 || d != 0.0 {
                writeln!(w, "{b}\t{a} {c} {d}")?;
            }
        }
        Ok(())
    }

    /// Reads what [`StanceModel::write`] wrote; errors name the 1-based line.
    pub fn read(text: &str) -> Result<StanceModel, (usize, String)> {
        let mut m = StanceModel::empty();
        let mut seen_bits = false;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let (k, v) = line.split_once('\t').ok_or((n, "expected `key<TAB>value`".to_string()))?;
            match k {
                "bits" => {
                    if v.trim() != BITS.to_string() {
                        return Err((n, format!("bits must be {BITS}")));
                    }
                    seen_bits = true;
                }
                "threshold" => {
                    m.threshold = numbers::<2>(v, n)?
                        .ok_or_else(|| (n, "threshold needs two numbers (hostile, friendly)".to_string()))?;
                }
                "gate" => {
                    let g = numbers::<1>(v, n)?.filter(|g| (0.0..=1.0).contains(&g[0]));
                    let g = g.ok_or_else(|| {
                        (n, "gate needs one number in [0, 1] (a share of the thresholds)".to_string())
                    })?;
                    m.gate = g[0];
                }
                "sure" => {
                    let g = numbers::<1>(v, n)?.filter(|g| g[0] == 0.0 || (1.0..=100.0).contains(&g[0]));
                    let g = g.ok_or_else(|| {
                        (n, "sure needs one number: 0 (none) or a share of the thresholds from 1 to 100".to_string())
                    })?;
                    m.sure = g[0];
                }
                "reader" => {
                    let g = numbers::<2>(v, n)?.filter(|g| g.iter().all(|x| (0.0..=1.0).contains(x)));
                    m.reader_gate = Some(g.ok_or_else(|| {
                        (n, "reader needs two probabilities (hostile, friendly) in [0, 1]".to_string())
                    })?);
                }
                "bias" => {
                    m.bias = numbers::<3>(v, n)?.ok_or_else(|| (n, "bias needs three numbers".to_string()))?;
                }
                _ => {
                    let b: usize = k.parse().map_err(|_| (n, format!("bucket `{k}` is not a number")))?;
                    if b >= 1 << BITS {
                        return Err((n, format!("bucket {b} out of range")));
                    }
                    let x = numbers::<3>(v, n)?.ok_or_else(|| (n, "a bucket needs three weights".to_string()))?;
                    m.weights[3 * b..3 * b + 3].copy_from_slice(&x);
                }
            }
        }
        if !seen_bits {
            return Err((1, "no `bits` line".to_string()));
        }
        Ok(m)
    }
}

/// The `K` numbers of a weights-file value (line `n`), or `None` when it holds another count
/// (each key says what it needs); no vector per line: the weights are a quarter of a million
/// lines.
fn numbers<const K: usize>(v: &str, n: usize) -> Result<Option<[f32; K]>, (usize, String)> {
    let mut x = [0.0f32; K];
    let mut count = 0;
    for t in v.split(' ') {
        let w = t.parse::<f32>().ok().filter(|w| w.is_finite());
        let w = w.ok_or_else(|| (n, format!("`{t}` is not a number")))?;
        if let Some(slot) = x.get_mut(count) {
            *slot = w;
        }
        count += 1;
    }
    Ok((count == K).then_some(x))
}

fn r4(x: f32) -> f32 {
    ((x as f64 * 1e4).round() / 1e4) as f32
}

/// The sign and its probability when the likelier sign reaches its threshold.
pub fn decision(p: [f32; 3], threshold: [f32; 2]) -> Option<(i8, f32)> {
    if p[HOSTILE] >= p[FRIENDLY] {
        (p[HOSTILE] >= threshold[0]).then_some((-1, p[HOSTILE]))
    } else {
        (p[FRIENDLY] >= threshold[1]).then_some((1, p[FRIENDLY]))
    }
}

pub fn softmax(z: [f32; 3]) -> [f32; 3] {
    let m = z[0].max(z[1]).max(z[2]);
    let e = [(z[0] - m).exp(), (z[1] - m).exp(), (z[2] - m).exp()];
    let s = e[0] + e[1] + e[2];
    [e[0] / s, e[1] / s, e[2] / s]
}

/// Builds feature ids: hashes of the feature's parts, without building its name unless asked.
struct Feats<'a, S: Seen = [u64; 64]> {
    out: &'a mut Vec<u32>,
    names: Option<&'a mut Vec<String>>,
    /// The hash every feature starts from (that of the empty prefix the weights were trained with).
    h0: u64,
    /// The ids in `out`, so that each is added once.
    seen: S,
}

/// Which feature ids a [`Feats`] holds already.
trait Seen {
    /// Records `id`, given the ids so far (`out`): true when it is new.
    fn insert(&mut self, id: u32, out: &[u32]) -> bool;
}

/// One bit per `id % 4096`: an unset bit proves the id is new, so most additions skip the scan
/// of `out` (the scan was the largest cost of candidate building, per callgrind).
impl Seen for [u64; 64] {
    #[inline]
    fn insert(&mut self, id: u32, out: &[u32]) -> bool {
        let (word, bit) = ((id as usize >> 6) & 63, 1u64 << (id & 63));
        if self[word] & bit == 0 || !out.contains(&id) {
            self[word] |= bit;
            true
        } else {
            false
        }
    }
}

/// Exact membership for [`pair`]: the ids so far in a small open-addressing table (linear
/// probing, at most half full, grown when needed), instead of a scan of the ids (a pair's
/// features repeat often: each mention's kind, the same word in two sentences). The table lives
/// in [`PairScratch`] across a document's pairs and [`IdSet::clear`] empties it after each: at
/// its usual 1,024 slots (4 KB) it stays in the first-level cache, where the one bit per id of
/// the whole hashed space it replaced (128 KB, set and then cleared for every id of every pair)
/// missed it.
struct IdSet<'s> {
    /// Ids, or [`IdSet::EMPTY`]; the length is a power of two.
    slots: &'s mut Vec<u32>,
    len: usize,
}

impl IdSet<'_> {
    /// No id: ids have [`BITS`] bits.
    const EMPTY: u32 = u32::MAX;
    /// Slots of an empty set; pairs with more than half as many ids grow it.
    const SLOTS: usize = 1024;

    fn new(slots: &mut Vec<u32>) -> IdSet<'_> {
        if slots.len() < Self::SLOTS || !slots.len().is_power_of_two() {
            slots.clear();
            slots.resize(Self::SLOTS, Self::EMPTY);
        }
        IdSet { slots, len: 0 }
    }

    /// Inserts `id` (not [`IdSet::EMPTY`]): true when it was not in the set.
    #[inline]
    fn insert_id(&mut self, id: u32) -> bool {
        if 2 * (self.len + 1) > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        // Ids are the top bits of a mixed hash: their low bits are as good as any.
        let mut i = id as usize & mask;
        loop {
            match self.slots[i] {
                Self::EMPTY => {
                    self.slots[i] = id;
                    self.len += 1;
                    return true;
                }
                x if x == id => return false,
                _ => i = (i + 1) & mask,
            }
        }
    }

    #[cold]
    fn grow(&mut self) {
        let old = std::mem::replace(self.slots, vec![Self::EMPTY; 2 * self.slots.len()]);
        self.len = 0;
        for id in old.into_iter().filter(|&id| id != Self::EMPTY) {
            self.insert_id(id);
        }
    }

    /// Empties the set for the next pair; `ids` are its ids in the order they were inserted (the
    /// [`Feats::out`] the set served). Each id is taken out in the reverse order, which finds it
    /// where it was put: the slots its probe passed were held by ids inserted before it, still
    /// there. That writes a few slots where refilling the table wrote all 1,024. A set that grew
    /// (its ids moved) is refilled, at [`IdSet::SLOTS`] slots again.
    fn clear(self, ids: &[u32]) {
        if self.slots.len() != Self::SLOTS {
            self.slots.truncate(Self::SLOTS);
            self.slots.fill(Self::EMPTY);
            return;
        }
        let mask = Self::SLOTS - 1;
        for &id in ids.iter().rev() {
            let mut i = id as usize & mask;
            loop {
                match self.slots[i] {
                    x if x == id => {
                        self.slots[i] = Self::EMPTY;
                        break;
                    }
                    // Not reached for the ids of this set.
                    Self::EMPTY => break,
                    _ => i = (i + 1) & mask,
                }
            }
        }
    }
}

impl Seen for IdSet<'_> {
    #[inline]
    fn insert(&mut self, id: u32, _out: &[u32]) -> bool {
        self.insert_id(id)
    }
}

/// A part of a feature name with its [`hash_str`].
#[derive(Debug, Clone, Copy)]
struct Part<'s> {
    hash: u64,
    text: &'s str,
}

impl<'s> Part<'s> {
    /// A part whose hash is computed at compile time (see [`p!`]).
    const fn constant(text: &'static str) -> Part<'static> {
        Part { hash: const_hash_str(text), text }
    }

    fn new(text: &'s str) -> Part<'s> {
        Part { hash: hash_str(text), text }
    }
}

/// A constant [`Part`], hashed at compile time.
macro_rules! p {
    ($text:literal) => {{
        const P: Part<'static> = Part::constant($text);
        P
    }};
}

/// [`hash_str`] as a `const fn`: FNV-1a then the perceptron's `mix`, spelled out again (the
/// test `const_hashes_are_the_runtime_ones` checks that they agree).
const fn const_hash_str(s: &str) -> u64 {
    let b = s.as_bytes();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < b.len() {
        h ^= b[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    let mut z = h;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl<S: Seen> Feats<'_, S> {
    fn add(&mut self, parts: &[&str]) {
        let mut h = self.h0;
        for p in parts {
            h = mix(h ^ hash_str(p));
        }
        self.push(h, || parts.join(":"));
    }

    /// [`Feats::add`] of parts whose hashes are known (most are constants, hashed at compile
    /// time).
    fn add_parts(&mut self, parts: &[Part]) {
        let mut h = self.h0;
        for p in parts {
            h = mix(h ^ p.hash);
        }
        self.push(h, || parts.iter().map(|p| p.text).collect::<Vec<_>>().join(":"));
    }

    /// [`Feats::add`] of parts given by their hashes ([`hash_str`], or [`word_hash`] for a
    /// lowercased word): the hot loops hash each word once and each constant part once, where
    /// `add` would hash both again for every feature. `name` builds the feature's name for
    /// `explain` only.
    fn add_hashed(&mut self, parts: &[u64], name: impl FnOnce() -> String) {
        let mut h = self.h0;
        for &p in parts {
            h = mix(h ^ p);
        }
        self.push(h, name);
    }

    fn push(&mut self, h: u64, name: impl FnOnce() -> String) {
        self.push_id((h >> (64 - BITS)) as u32, name);
    }

    /// Adds the feature whose id is `id`, computed by [`feature_id`] (so from [`H0`], which
    /// every `Feats` of the pipeline starts from).
    fn push_id(&mut self, id: u32, name: impl FnOnce() -> String) {
        if self.seen.insert(id, self.out) {
            self.out.push(id);
            if let Some(n) = self.names.as_deref_mut() {
                n.push(name());
            }
        }
    }
}

/// The hash every feature of the pair model starts from: that of the empty prefix the weights
/// were trained with.
const H0: u64 = 0xcbf2_9ce4_8422_2325 ^ const_hash_str("");

/// The id [`Feats::add_hashed`] gives a feature of these part hashes (from [`H0`]), for ids
/// computed once and added by [`Feats::push_id`] to many candidates.
fn feature_id(parts: &[u64]) -> u32 {
    let mut h = H0;
    for &p in parts {
        h = mix(h ^ p);
    }
    (h >> (64 - BITS)) as u32
}

/// `hash_str(&w.to_lowercase())`, without building the lowercase word when it is ASCII.
fn word_hash(w: &str) -> u64 {
    if w.is_ascii() {
        crate::syntax::perceptron::hash_lower(w.as_bytes())
    } else {
        hash_str(&w.to_lowercase())
    }
}

/// `s` lowercased as [`str::to_lowercase`] would, borrowing when it has no capital and
/// writing into `buf` (no allocation once grown) when it is ASCII.
fn lower<'b>(s: &'b str, buf: &'b mut String) -> &'b str {
    if !s.is_ascii() {
        *buf = s.to_lowercase();
        buf
    } else if s.bytes().any(|b| b.is_ascii_uppercase()) {
        buf.clear();
        buf.extend(s.chars().map(|c| c.to_ascii_lowercase()));
        buf
    } else {
        s
    }
}

fn hash_str(s: &str) -> u64 {
    crate::syntax::perceptron::hash_bytes(s.as_bytes())
}

/// The mentions of a document by paragraph and sentence, with their country codes.
struct MentionView<'a> {
    country: Vec<&'a str>,
    kind: Vec<Kind>,
}

/// Sentences worth parsing: those naming two different countries/blocs where the rules found a
/// stance cue between actors (any event). Parsing is the costliest stage by far; most sentences
/// naming two countries carry no stance cue, and the model reads them from their words alone.
/// With `gate`, only the linking sentences of candidates that the model, before any syntax,
/// gives a sign with at least the model's `gate` share of that sign's threshold: the others stay
/// below the threshold whatever the parse adds (the gate is chosen on dev so that the dev
/// figures hold).
/// Returns (paragraph, sentence) pairs in text order.
pub fn sentences_to_parse(
    actors: &DocActors,
    lexicon: &Lexicon,
    rules: &[StanceEvent],
    cands: &[Candidate],
    gate: Option<&StanceModel>,
) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let ms = &actors.mentions;
    let mut i = 0;
    while i < ms.len() {
        let (p, s) = (ms[i].paragraph, ms[i].sentence);
        let first = actors.actor(lexicon, ms[i].actor).country.as_str();
        let mut j = i;
        let mut two = false;
        while j < ms.len() && ms[j].paragraph == p && ms[j].sentence == s {
            two |= actors.actor(lexicon, ms[j].actor).country != first;
            j += 1;
        }
        if two && rules.iter().any(|e| e.paragraph == p && e.sentence == s) {
            out.push((p, s));
        }
        i = j;
    }
    if let Some(m) = gate.filter(|m| m.gate > 0.0 || m.sure > 0.0) {
        keep_wanted(&mut out, cands, |c| m.needs_parse(&c.features[..c.base_len]));
    }
    out
}

/// Keeps the sentences of `out` that a candidate linking it `needs` parsed. The gate is asked
/// only of candidates with a link among `out`: the others cannot keep a sentence, and in most
/// documents (no sentence of `out` at all) that is every candidate. The gate sums a candidate's
/// weights, a scattered read of the 12 MB table per feature, which `decide` does again later.
fn keep_wanted(out: &mut Vec<(u32, u32)>, cands: &[Candidate], mut needs: impl FnMut(&Candidate) -> bool) {
    if out.is_empty() {
        return;
    }
    let mut wanted: Vec<(u32, u32)> = cands
        .iter()
        .filter(|c| c.links.iter().any(|(s, _, _)| out.contains(&(c.paragraph, *s))) && needs(c))
        .flat_map(|c| c.links.iter().map(move |(s, _, _)| (c.paragraph, *s)))
        .collect();
    wanted.sort_unstable();
    out.retain(|k| wanted.binary_search(k).is_ok());
}

const NEGATIONS: &[&str] = &["not", "n't", "never", "no", "nor", "neither", "without"];
const MODALS: &[&str] = &["would", "could", "may", "might", "should", "can", "will", "must"];
const CONDITIONS: &[&str] = &["if", "whether", "unless"];
const SPEECH: &[&str] = &[
    "said",
    "says",
    "say",
    "told",
    "tells",
    "added",
    "stated",
    "noted",
    "argued",
    "claimed",
    "insisted",
    "wrote",
    "tweeted",
    "announced",
    "declared",
    "warned",
    "accused",
    "called",
    "urged",
];

/// A paragraph naming more countries and blocs than this is a list (the members of an
/// organisation, the signatories of a treaty, a table of results), not a relation between
/// them: it gets no candidates. Its ordered pairs would grow with the square of its names (the
/// corpus has lists of all 222 states: 49,062 pairs each, three quarters of all candidates in
/// 18 of 17,859 articles) while the labelled paragraphs with a stance pair name at most 19.
pub const MAX_PARAGRAPH_CODES: usize = 24;

/// The candidates of a document: every ordered pair of distinct countries/blocs named in a
/// paragraph of at most [`MAX_PARAGRAPH_CODES`] of them (state, person, institution and bloc
/// mentions; places are the country's too). Their features need no parse; [`add_syntax`] adds
/// those of the sentences parsed afterwards.
pub fn candidates(d: &DocInput, explain: bool) -> Vec<Candidate> {
    let view = MentionView {
        country: d.actors.mentions.iter().map(|m| d.actors.actor(d.lexicon, m.actor).country.as_str()).collect(),
        kind: d.actors.mentions.iter().map(|m| d.actors.actor(d.lexicon, m.actor).kind).collect(),
    };
    let mut out = Vec::new();
    let ms = &d.actors.mentions;
    let mut words = ParagraphWords::default();
    // The id set is left clear by every pair, so a thread keeps one for all its documents.
    let mut scratch = PairScratch { ids: PAIR_IDS.take(), ..PairScratch::default() };
    let mut i = 0;
    while i < ms.len() {
        let p = ms[i].paragraph;
        let j = i + ms[i..].iter().take_while(|m| m.paragraph == p).count();
        let mut codes: Vec<&str> = Vec::new();
        for k in i..j {
            if view.kind[k] != Kind::Ignore && !codes.contains(&view.country[k]) {
                codes.push(view.country[k]);
            }
        }
        if (2..=MAX_PARAGRAPH_CODES).contains(&codes.len()) {
            // The paragraph's rule events with their codes, and its sentences' words, found
            // once for all its ordered pairs.
            let country = |a: ActorRef| d.actors.actor(d.lexicon, a).country.as_str();
            let rules: Vec<(&StanceEvent, &str, &str)> = d
                .rules
                .iter()
                .filter(|e| e.paragraph == p)
                .map(|e| (e, country(e.source), country(e.target)))
                .collect();
            words.reset(d.paragraphs.get(p as usize).map_or(0, |para| para.sentences.len()));
            for &s in &codes {
                for &t in &codes {
                    if s != t {
                        let within = ParagraphShare { p, range: i..j, rules: &rules };
                        out.push(pair(d, &view, &within, &mut words, &mut scratch, s, t, codes.len(), explain));
                    }
                }
            }
        }
        i = j;
    }
    PAIR_IDS.set(scratch.ids);
    out
}

thread_local! {
    /// [`PairScratch::ids`] between documents.
    static PAIR_IDS: std::cell::Cell<Vec<u32>> = const { std::cell::Cell::new(Vec::new()) };
}

/// One paragraph's share of a document, as the candidates of the paragraph read it.
struct ParagraphShare<'a> {
    p: u32,
    /// Its mentions (indices into the document's).
    range: Range<usize>,
    /// The rule events of the paragraph, in the rules' order, with their source's and target's
    /// codes.
    rules: &'a [(&'a StanceEvent, &'a str, &'a str)],
}

/// One word of a sentence as [`words_of`] splits it.
#[derive(Debug, Clone, Copy)]
struct SentWord {
    /// Byte span in the sentence.
    start: usize,
    end: usize,
    /// [`word_hash`] of the word.
    hash: u64,
    /// The id of the word's `sw:` feature: every pair linked in the sentence adds it, and it
    /// depends on the word alone, so it is hashed once here rather than once per pair.
    sw: u32,
    /// What the `btw` features read of the word, once a pair has asked.
    btw: Option<BtwInfo>,
}

/// The lexicon facts of a lowercased word that the `btw` features read, with the hashes of the
/// feature-name parts they give.
#[derive(Debug, Clone, Copy)]
struct BtwInfo {
    /// The word's CAMEO verb class, the hash of its root (as digits) and its QuadClass.
    verb: Option<(VerbClass, u64, Option<Part<'static>>)>,
    /// Fine word cluster (0: none) and the hash of its digits.
    fine: (u16, u64),
    negation: bool,
    /// The word, when it is one of [`MODALS`].
    modal: Option<Part<'static>>,
    condition: bool,
    /// The id of the word's own `btw:` feature (see [`SentWord::sw`]).
    id: u32,
}

impl BtwInfo {
    /// Facts of the lowercased word `lw`, whose [`hash_str`] is `hash`.
    fn of(d: &DocInput, lw: &str, hash: u64) -> BtwInfo {
        let mut nbuf = itoa::Buffer::new();
        let verb =
            d.eventdata.verb(lw).map(|v| (v, hash_str(nbuf.format(v.root)), v.quad().map(|q| Part::new(q.as_str()))));
        let fine = d.syntax.clusters.of(hash).1;
        BtwInfo {
            verb,
            fine: (fine, hash_str(nbuf.format(fine))),
            negation: NEGATIONS.contains(&lw),
            modal: MODALS.iter().find(|m| **m == lw).map(|m| Part::new(m)),
            condition: CONDITIONS.contains(&lw),
            id: feature_id(&[p!("btw").hash, hash]),
        }
    }
}

/// The words of a paragraph's sentences, each split and hashed once for all the paragraph's
/// ordered pairs: a paragraph naming n codes has n(n − 1) pairs, and each reads every word of
/// every sentence naming both of its codes (`sw:`) and the words around and between the
/// mentions, which are runs of those words.
#[derive(Default)]
struct ParagraphWords {
    /// Per sentence of the paragraph: its words' range in `words`, once split.
    at: Vec<Option<(usize, usize)>>,
    words: Vec<SentWord>,
}

impl ParagraphWords {
    /// Forgets the previous paragraph; the next one has `sentences` sentences.
    fn reset(&mut self, sentences: usize) {
        self.at.clear();
        self.at.resize(sentences, None);
        self.words.clear();
    }

    /// The range in `self.words` of the words of sentence `si`, whose text is `text`.
    fn sentence(&mut self, si: usize, text: &str) -> Range<usize> {
        if let Some(&Some((a, b))) = self.at.get(si) {
            return a..b;
        }
        let a = self.words.len();
        let base = text.as_ptr() as usize;
        for w in words_of(text) {
            let start = w.as_ptr() as usize - base;
            let hash = word_hash(w);
            self.words.push(SentWord {
                start,
                end: start + w.len(),
                hash,
                sw: feature_id(&[p!("sw").hash, hash]),
                btw: None,
            });
        }
        let b = self.words.len();
        if let Some(slot) = self.at.get_mut(si) {
            *slot = Some((a, b));
        }
        a..b
    }
}

/// A word of part of a sentence: its span, its [`word_hash`] and, when the part does not cut
/// it, its index among the sentence's words.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Piece {
    start: usize,
    end: usize,
    hash: u64,
    whole: Option<usize>,
}

/// The words of `text[x..y.max(x)]` (none when that is no slice of `text`), as [`words_of`]
/// splits that slice, from the words of the whole `text` (`words`, in order): a run of word
/// characters of the slice is a run of the whole text cut to the slice, so only a word that
/// the slice cuts is hashed again. Spans are in `text`.
fn words_in<'w>(
    words: &'w [SentWord],
    text: &'w str,
    x: usize,
    y: usize,
) -> impl DoubleEndedIterator<Item = Piece> + 'w {
    let y = y.max(x);
    let (x, y) = if text.get(x..y).is_some() { (x, y) } else { (0, 0) };
    let i = words.partition_point(|w| w.end <= x);
    let j = words.partition_point(|w| w.start < y).max(i);
    words[i..j].iter().enumerate().filter_map(move |(k, w)| {
        let (s, e) = (w.start.max(x), w.end.min(y));
        if s >= e {
            None
        } else if (s, e) == (w.start, w.end) {
            Some(Piece { start: s, end: e, hash: w.hash, whole: Some(i + k) })
        } else {
            Some(Piece { start: s, end: e, hash: word_hash(text.get(s..e).unwrap_or("")), whole: None })
        }
    })
}

/// Buffers of [`pair`], reused across the pairs of a document.
#[derive(Default)]
struct PairScratch {
    s_idx: Vec<usize>,
    t_idx: Vec<usize>,
    in_s: Vec<usize>,
    in_t: Vec<usize>,
    /// Words between the two mentions, spans in the document.
    between: Vec<Piece>,
    lbuf: String,
    /// [`IdSet::slots`]: empty between pairs.
    ids: Vec<u32>,
}

#[allow(clippy::too_many_arguments)]
fn pair(
    d: &DocInput,
    view: &MentionView,
    within: &ParagraphShare,
    words: &mut ParagraphWords,
    scratch: &mut PairScratch,
    s: &str,
    t: &str,
    ncodes: usize,
    explain: bool,
) -> Candidate {
    let (p, range) = (within.p, within.range.clone());
    let ms = &d.actors.mentions;
    let PairScratch { s_idx, t_idx, in_s, in_t, between: pieces, lbuf, ids } = scratch;
    let mut features = Vec::with_capacity(256);
    let mut names = Vec::new();
    let mut f = Feats { out: &mut features, names: explain.then_some(&mut names), h0: H0, seen: IdSet::new(ids) };
    f.add_parts(&[p!("bias")]);
    let kind = |k: usize| match view.kind[k] {
        Kind::State => p!("state"),
        Kind::Person => p!("person"),
        Kind::Institution => p!("inst"),
        Kind::Place => p!("place"),
        Kind::Bloc => p!("bloc"),
        Kind::Ignore => p!("ignore"),
    };
    let nc = match ncodes {
        2 => p!("2"),
        3 => p!("3"),
        _ => p!("4+"),
    };
    f.add_parts(&[p!("ncodes"), nc]);
    s_idx.clear();
    s_idx.extend(range.clone().filter(|&k| view.country[k] == s));
    t_idx.clear();
    t_idx.extend(range.clone().filter(|&k| view.country[k] == t));
    f.add_parts(&[p!("s_first"), if s_idx[0] < t_idx[0] { p!("y") } else { p!("n") }]);
    for &k in s_idx.iter() {
        f.add_parts(&[p!("skind"), kind(k)]);
    }
    for &k in t_idx.iter() {
        f.add_parts(&[p!("tkind"), kind(k)]);
    }
    // Rules' verdicts.
    let mut cue = String::new();
    let mut evidence: Option<u32> = None;
    for &(e, es, et) in within.rules {
        let sign = if e.score < 0.0 { p!("neg") } else { p!("pos") };
        if es == s && et == t {
            f.add_parts(&[p!("rule"), sign]);
            f.add_parts(&[p!("rule"), sign, Part::new(e.rule.as_str())]);
            for c in e.cues.split("; ") {
                f.add_parts(&[p!("rulecue"), Part::new(&c.to_lowercase())]);
            }
            if cue.is_empty() {
                cue = e.cues.clone();
                evidence = Some(e.sentence);
            }
        } else if es == t && et == s {
            f.add_parts(&[p!("rrule"), sign]);
        } else if es == s {
            f.add_parts(&[p!("srule_other"), sign]);
        } else if et == t {
            f.add_parts(&[p!("trule_other"), sign]);
        }
    }
    // Sentence by sentence.
    let para = &d.paragraphs[p as usize];
    let mut best_both: Option<u32> = None;
    let mut first_t: Option<u32> = None;
    let mut links = Vec::new();
    let mut coordinated = false;
    for (si, sent) in para.sentences.iter().enumerate() {
        let si = si as u32;
        in_s.clear();
        in_s.extend(s_idx.iter().copied().filter(|&k| ms[k].sentence == si));
        in_t.clear();
        in_t.extend(t_idx.iter().copied().filter(|&k| ms[k].sentence == si));
        if in_t.is_empty() && in_s.is_empty() {
            continue;
        }
        let scope = match (in_s.is_empty(), in_t.is_empty()) {
            (false, false) => p!("both"),
            (true, false) => p!("tonly"),
            _ => p!("sonly"),
        };
        if !in_t.is_empty() && first_t.is_none() {
            first_t = Some(si);
        }
        let sent_text = &d.text[sent.clone()];
        let tone = d.tones[p as usize][si as usize].compound;
        let tb = if tone <= -0.5 {
            p!("vneg")
        } else if tone < -0.05 {
            p!("neg")
        } else if tone < 0.05 {
            p!("neu")
        } else if tone < 0.5 {
            p!("pos")
        } else {
            p!("vpos")
        };
        f.add_parts(&[scope, p!("tone"), tb]);
        if sent_text.trim_end().ends_with('?') {
            f.add_parts(&[scope, p!("question")]);
        }
        for &k in in_t.iter() {
            let label = match d.sentiments[k].label {
                Label::Negative => p!("negative"),
                Label::Neutral => p!("neutral"),
                Label::Positive => p!("positive"),
            };
            f.add_parts(&[scope, p!("tsent"), label]);
        }
        if in_s.is_empty() || in_t.is_empty() {
            continue;
        }
        if best_both.is_none() {
            best_both = Some(si);
        }
        // The closest pair of mentions.
        let (ks, kt) = closest(ms, in_s, in_t);
        let (a, b) = (&ms[ks].span, &ms[kt].span);
        let dir = if a.start < b.start { p!("s<t") } else { p!("t<s") };
        f.add_parts(&[p!("both"), dir]);
        // Words between the two mentions: runs of the sentence's words when the mentions lie in
        // the sentence (as they do), else split afresh.
        let sw = words.sentence(si as usize, sent_text);
        let (lo, hi) = if a.end <= b.start { (a.end, b.start) } else { (b.end, a.start.max(b.end)) };
        let (x, y) = (lo.min(hi), hi);
        pieces.clear();
        if sent.start <= x && y <= sent.end {
            let at = |pc: Piece| Piece {
                start: pc.start + sent.start,
                end: pc.end + sent.start,
                whole: pc.whole.map(|k| k + sw.start),
                ..pc
            };
            pieces.extend(words_in(&words.words[sw.clone()], sent_text, x - sent.start, y - sent.start).map(at));
        } else {
            let between = d.text.get(x..y).unwrap_or("");
            let base = d.text.as_ptr() as usize;
            pieces.extend(words_of(between).map(|w| {
                let start = w.as_ptr() as usize - base;
                Piece { start, end: start + w.len(), hash: word_hash(w), whole: None }
            }));
        }
        let nb = match pieces.len() {
            0..=2 => p!("0-2"),
            3..=6 => p!("3-6"),
            7..=12 => p!("7-12"),
            _ => p!("13+"),
        };
        f.add_parts(&[p!("between_len"), nb]);
        if let [only] = pieces.as_slice() {
            coordinated |= d.text[only.start..only.end].eq_ignore_ascii_case("and");
        }
        let mut nbuf = itoa::Buffer::new();
        for pc in pieces.iter().take(12) {
            let w = &d.text[pc.start..pc.end];
            let hw = pc.hash;
            let info = match pc.whole.and_then(|k| words.words.get_mut(k)) {
                Some(word) => *word.btw.get_or_insert_with(|| BtwInfo::of(d, lower(w, lbuf), hw)),
                None => BtwInfo::of(d, lower(w, lbuf), hw),
            };
            f.push_id(info.id, || format!("btw:{}", w.to_lowercase()));
            if let Some((v, root, quad)) = info.verb {
                let root = Part { hash: root, text: nbuf.format(v.root) };
                f.add_parts(&[p!("btw_cameo"), root]);
                f.add_parts(&[p!("btw_cameo_dir"), root, dir]);
                if let Some(q) = quad {
                    f.add_parts(&[p!("btw_quad"), q]);
                }
            }
            if info.fine.0 != 0 {
                f.add_parts(&[p!("btw_cl"), Part { hash: info.fine.1, text: nbuf.format(info.fine.0) }]);
            }
            if info.negation {
                f.add_parts(&[p!("btw_neg")]);
            }
            if let Some(m) = info.modal {
                f.add_parts(&[p!("btw_modal"), m]);
            }
            if info.condition {
                f.add_parts(&[p!("btw_cond")]);
            }
        }
        context_features(sent_text, sent.start, a, b, &words.words[sw], &mut f);
        links.push((si, a.clone(), b.clone()));
    }
    f.seen.clear(&features);
    let sentence = evidence.or(best_both).or(first_t).unwrap_or(0);
    // The most specific actor of each code in the evidence sentence, else its first mention.
    let pick = |idx: &[usize]| -> ActorRef {
        let here = |k: usize| ms[k].sentence == sentence;
        let any_here = idx.iter().any(|&k| here(k));
        let mut pool = idx.iter().copied().filter(|&k| !any_here || here(k));
        let first = pool.clone().next();
        match pool.find(|&k| view.kind[k] == Kind::Person).or(first) {
            Some(k) => ms[k].actor,
            None => ms[idx[0]].actor, // not reached: a code has a mention
        }
    };
    Candidate {
        paragraph: p,
        source_code: s.to_string(),
        target_code: t.to_string(),
        source: pick(s_idx),
        target: pick(t_idx),
        sentence,
        cue,
        base_len: features.len(),
        features,
        names,
        links,
        coordinated,
        reader: None,
    }
}

/// Words of `text` as the pair features read them: runs of letters, digits, apostrophes and
/// hyphens.
fn words_of(text: &str) -> impl DoubleEndedIterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-').filter(|w| !w.is_empty())
}

/// Features of the words around a linking sentence's two mentions (`a` the source's, `b` the
/// target's, byte spans in the document; `start` is where the sentence begins; `words` are the
/// sentence's words from [`ParagraphWords`]): who speaks or acts is usually said before the
/// first mention or after the second ("... reached a truce", "said X had the right to defend
/// itself"), so the words there are features tagged with the mention next to them; the words
/// between carry the order of the two mentions (in "X accused Y" the word means X→Y, not Y→X);
/// each mention's neighbour words ("sanctions on X", "X's"); and the sentence's words as a bag
/// (whether it speaks of a relation at all).
fn context_features<S: Seen>(
    text: &str,
    start: usize,
    a: &Range<usize>,
    b: &Range<usize>,
    words: &[SentWord],
    f: &mut Feats<'_, S>,
) {
    let rel = |x: usize| x.saturating_sub(start).min(text.len());
    let (a0, a1, b0, b1) = (rel(a.start), rel(a.end), rel(b.start), rel(b.end));
    let slice = |x: usize, y: usize| text.get(x..y.max(x)).unwrap_or("");
    let s_first = a0 < b0;
    let dir = if s_first { "s<t" } else { "t<s" };
    let (first, second) = if s_first { ("s", "t") } else { ("t", "s") };
    let h_dir = if s_first { p!("s<t").hash } else { p!("t<s").hash };
    let (h_first, h_second) = if s_first { (p!("s").hash, p!("t").hash) } else { (p!("t").hash, p!("s").hash) };
    let low = |w: &Piece| text[w.start..w.end].to_lowercase();
    let (lo, hi) = if a1 <= b0 { (a1, b0) } else { (b1, a0.max(b1)) };
    let h = p!("btwd").hash;
    for w in words_in(words, text, lo.min(hi), hi).take(12) {
        f.add_hashed(&[h, w.hash, h_dir], || format!("btwd:{}:{dir}", low(&w)));
    }
    let (f0, f1) = (a0.min(b0), a1.max(b1));
    let h = p!("pre").hash;
    for w in words_in(words, text, 0, f0).rev().take(5) {
        f.add_hashed(&[h, w.hash, h_first], || format!("pre:{}:{first}", low(&w)));
    }
    let h = p!("post").hash;
    for w in words_in(words, text, f1, text.len()).take(8) {
        f.add_hashed(&[h, w.hash, h_second], || format!("post:{}:{second}", low(&w)));
    }
    for w in words {
        f.push_id(w.sw, || format!("sw:{}", text[w.start..w.end].to_lowercase()));
    }
    for (who, x0, x1) in [(p!("s"), a0, a1), (p!("t"), b0, b1)] {
        if let Some(w) = words_in(words, text, 0, x0).next_back() {
            f.add_hashed(&[who.hash, p!("prev").hash, w.hash], || format!("{}:prev:{}", who.text, low(&w)));
        }
        let after = slice(x1, text.len());
        if after.starts_with("'s") || after.starts_with("\u{2019}s") {
            f.add_parts(&[who, p!("poss")]);
        }
        if let Some(w) = words_in(words, text, x1, text.len()).next() {
            f.add_hashed(&[who.hash, p!("next").hash, w.hash], || format!("{}:next:{}", who.text, low(&w)));
        }
    }
}

/// Adds to each candidate the syntax features of its linking sentences that `trees` holds
/// (the parse of `(paragraph, sentence)`), after its other features, and takes the word where
/// the two mentions' paths meet as its cue when the rules gave none.
pub fn add_syntax(d: &DocInput, cands: &mut [Candidate], trees: &[((u32, u32), Tree)], explain: bool) {
    let tree_of = |paragraph: u32, si: u32| trees.iter().find(|(k, _)| *k == (paragraph, si)).map(|(_, t)| t);
    for c in cands.iter_mut() {
        // Most candidates link no parsed sentence (most documents have none): they get no
        // feature and keep their cue, without the filter of their features being built.
        if !c.links.iter().any(|(si, _, _)| tree_of(c.paragraph, *si).is_some()) {
            continue;
        }
        let mut link_word = String::new();
        let mut seen = [0u64; 64];
        for &id in &c.features {
            seen[(id as usize >> 6) & 63] |= 1 << (id & 63);
        }
        let mut f = Feats { out: &mut c.features, names: explain.then_some(&mut c.names), h0: H0, seen };
        for (si, a, b) in &c.links {
            if let Some(tree) = tree_of(c.paragraph, *si) {
                syntax_features(d, tree, a.clone(), b.clone(), &mut f, &mut link_word);
            }
        }
        if c.cue.is_empty() {
            c.cue = link_word;
        }
    }
}

/// The pair of mentions (one of each list) closest in the text.
fn closest(ms: &[crate::actors::Mention], a: &[usize], b: &[usize]) -> (usize, usize) {
    let mut best = (a[0], b[0], usize::MAX);
    for &x in a {
        for &y in b {
            let (p, q) = (&ms[x].span, &ms[y].span);
            let d = if p.end <= q.start { q.start - p.end } else { p.start.saturating_sub(q.end) };
            if d < best.2 {
                best = (x, y, d);
            }
        }
    }
    (best.0, best.1)
}

/// The word of `tree` heading a mention: the word inside the span whose head lies outside it.
fn head_word(tree: &Tree, span: &Range<usize>) -> Option<usize> {
    let inside: Vec<usize> = (0..tree.words.len())
        .filter(|&i| tree.words[i].span.start < span.end && span.start < tree.words[i].span.end)
        .collect();
    inside
        .iter()
        .copied()
        .find(|&i| {
            let h = tree.words[i].head as usize;
            h == 0 || !inside.contains(&(h - 1))
        })
        .or(inside.last().copied())
}

fn syntax_features(
    d: &DocInput,
    tree: &Tree,
    s_span: Range<usize>,
    t_span: Range<usize>,
    f: &mut Feats,
    link_word: &mut String,
) {
    let (Some(hs), Some(ht)) = (head_word(tree, &s_span), head_word(tree, &t_span)) else { return };
    if hs == ht {
        return;
    }
    let syn = d.syntax;
    let raw = |i: usize| &d.text[tree.words[i].span.clone()];
    let mut buf = String::new();
    let mut nbuf = itoa::Buffer::new();
    let rel = |i: usize| syn.rel_name(tree.words[i].rel);
    let head = |i: usize| (tree.words[i].head as usize).checked_sub(1);
    let ancestors = |mut i: usize| {
        let mut v = vec![i];
        while let Some(h) = head(i) {
            if v.contains(&h) || v.len() > 64 {
                break;
            }
            v.push(h);
            i = h;
        }
        v
    };
    let up_s = ancestors(hs);
    let up_t = ancestors(ht);
    let Some(lca) = up_s.iter().copied().find(|x| up_t.contains(x)) else { return };
    let ps: Vec<&str> = up_s.iter().take_while(|&&x| x != lca).map(|&x| rel(x)).collect();
    let pt: Vec<&str> = up_t.iter().take_while(|&&x| x != lca).map(|&x| rel(x)).collect();
    let path = format!("{}|{}", ps.join(">"), pt.join(">"));
    f.add(&["path", &path]);
    f.add(&["pathlen", nbuf.format((ps.len() + pt.len()).min(8))]);
    f.add(&["srel", rel(hs)]);
    f.add(&["trel", rel(ht)]);
    f.add(&["srel_trel", rel(hs), rel(ht)]);
    let lw = lower(raw(lca), &mut buf).to_string();
    let (lu, _) = syn.tag_name(tree.words[lca].tag);
    f.add(&["lca_pos", lu]);
    f.add(&["lca", &lw]);
    f.add(&["lca_srel_trel", &lw, ps.first().copied().unwrap_or("self"), pt.first().copied().unwrap_or("self")]);
    if let Some(v) = d.eventdata.verb(&lw) {
        f.add(&["lca_cameo", nbuf.format(v.root)]);
        if let Some(q) = v.quad() {
            f.add(&["lca_quad", q.as_str()]);
            f.add(&["lca_quad_path", q.as_str(), &path]);
            f.add(&["lca_quad_s", q.as_str(), ps.first().copied().unwrap_or("self")]);
        }
    }
    let (_, fine) = syn.clusters.of(crate::syntax::perceptron::hash_bytes(lw.as_bytes()));
    f.add(&["lca_cl", nbuf.format(fine), ps.first().copied().unwrap_or("self")]);
    *link_word = d.text[tree.words[lca].span.clone()].to_string();
    // Words on the path and their CAMEO classes.
    for &x in up_s.iter().chain(&up_t).filter(|&&x| x != hs && x != ht) {
        let w = lower(raw(x), &mut buf);
        if let Some(v) = d.eventdata.verb(w) {
            if let Some(q) = v.quad() {
                f.add(&["path_quad", q.as_str()]);
            }
        }
        f.add(&["path_word", w]);
    }
    // Dependents of the linking word and of the path: negation, modality, conditions.
    // Words on the path, as a mask over the sentence (a lookup per word, not a scan).
    let mut on_path = vec![false; tree.words.len()];
    for &x in up_s.iter().chain(&up_t) {
        if let Some(b) = on_path.get_mut(x) {
            *b = true;
        }
    }
    for (i, w) in tree.words.iter().enumerate() {
        let Some(h) = (w.head as usize).checked_sub(1) else { continue };
        if !on_path.get(h).copied().unwrap_or(false) {
            continue;
        }
        let ww = lower(raw(i), &mut buf);
        let r = rel(i);
        if NEGATIONS.contains(&ww) && (r == "advmod" || r == "det" || r == "cc:preconj" || r == "case") {
            f.add(&["neg", if h == lca { "lca" } else { "path" }]);
        }
        if r == "aux" && MODALS.contains(&ww) {
            f.add(&["modal", ww]);
        }
        if r == "mark" && CONDITIONS.contains(&ww) {
            f.add(&["cond"]);
        }
        if h == ht && r == "case" {
            f.add(&["tcase", ww]);
            f.add(&["tcase_lca", ww, lu]);
        }
        if h == hs && r == "case" {
            f.add(&["scase", ww]);
        }
    }
    // An ancestor of the linking word under a condition ("if X attacks Y").
    for &x in up_s.iter().filter(|&&x| x == lca) {
        if let Some(h) = head(x) {
            if rel(x) == "advcl" {
                f.add(&["lca_advcl_of", lower(raw(h), &mut buf)]);
            }
        }
    }
    // A non-state agent noun governing a mention ("pro-Russian separatists", "Syrian rebels").
    for (role, i) in [("s", hs), ("t", ht)] {
        if let Some(h) = head(i) {
            let r = rel(i);
            if r == "amod" || r == "compound" || r == "nmod:poss" || r == "nmod" {
                let hw = lower(raw(h), &mut buf);
                match d.eventdata.agent(hw) {
                    Some(AgentKind::NonState) => f.add(&[role, "nonstate"]),
                    Some(AgentKind::State) => f.add(&[role, "state_agent"]),
                    None => f.add(&[role, "modifies", r]),
                }
            }
        }
    }
    // The source as subject of a speech verb.
    if rel(hs) == "nsubj" && SPEECH.contains(&lower(raw(head(hs).unwrap_or(hs)), &mut buf)) {
        f.add(&["s_speaker"]);
    }
}

/// Events of the candidates the model accepts, with their confidence.
pub fn decide(model: &StanceModel, cands: &[Candidate]) -> Vec<(StanceEvent, f32)> {
    decide_from(model, cands, &pair_probs(model, cands))
}

/// The pair model's probabilities of each candidate on all its features (`[k]` belongs to
/// `cands[k]`): computed once in `score`, for the reader gate ([`super::reader::read_candidates`])
/// and the decision ([`decide_from`]); each reads the candidate's ~100 scattered weights.
pub fn pair_probs(model: &StanceModel, cands: &[Candidate]) -> Vec<[f32; 3]> {
    cands.iter().map(|c| model.probs(&c.features)).collect()
}

/// [`decide`] given the pair model's probabilities of the candidates ([`pair_probs`]).
pub fn decide_from(model: &StanceModel, cands: &[Candidate], pair: &[[f32; 3]]) -> Vec<(StanceEvent, f32)> {
    let mut out = Vec::new();
    let mut probs: Vec<[f32; 3]> = cands.iter().zip(pair).map(|(c, &p)| model.combined(p, c.reader)).collect();
    symmetrize(cands, &mut probs);
    for (c, &p) in cands.iter().zip(&probs) {
        if let Some((sign, _)) = decision(p, model.threshold) {
            let conf = if sign < 0 { p[HOSTILE] } else { p[FRIENDLY] };
            out.push((
                StanceEvent {
                    paragraph: c.paragraph,
                    sentence: c.sentence,
                    source: c.source,
                    target: c.target,
                    score: (p[FRIENDLY] - p[HOSTILE]) as f64,
                    cues: c.cue.clone(),
                    rule: super::SourceRule::Model,
                },
                conf,
            ));
        }
    }
    out.sort_by_key(|(e, _)| (e.paragraph, e.sentence));
    out
}

/// Gives each coordinated pair ([`Candidate::coordinated`]) and its reverse in the same
/// paragraph the mean of their probabilities. The model reads the two directions apart (which
/// mention comes first, which is the target of the sentence's sentiment), so "Beijing and Moscow
/// signed agreements" could come out friendly one way only; the guide reads both ways.
/// `probs[k]` belongs to `cands[k]`.
pub fn symmetrize(cands: &[Candidate], probs: &mut [[f32; 3]]) {
    let refs: Vec<&Candidate> = cands.iter().collect();
    symmetrize_refs(&refs, probs);
}

/// [`symmetrize`] over borrowed candidates (`explain` shows one paragraph's).
pub fn symmetrize_refs(cands: &[&Candidate], probs: &mut [[f32; 3]]) {
    let coordinated: Vec<usize> = (0..cands.len()).filter(|&k| cands[k].coordinated).collect();
    for (n, &i) in coordinated.iter().enumerate() {
        let (a, rest) = (cands[i], &coordinated[n + 1..]);
        let reverse = rest.iter().copied().find(|&j| {
            let b = cands[j];
            b.paragraph == a.paragraph && b.source_code == a.target_code && b.target_code == a.source_code
        });
        if let Some(j) = reverse {
            let mean: [f32; 3] = std::array::from_fn(|c| (probs[i][c] + probs[j][c]) / 2.0);
            probs[i] = mean;
            probs[j] = mean;
        }
    }
}

/// Training example: a candidate's features and its class.
pub struct Example {
    pub features: Vec<u32>,
    pub class: usize,
}

/// Multinomial logistic regression by AdaGrad with L2, `epochs` passes in a seeded order:
/// the same examples give the same weights.
///
/// The L2 prior acts on every weight at every step, as in full-batch training, not only when
/// its feature fires: a weight's shrinking since its last update is applied when the feature
/// next fires (and at the end), in closed form, so a step costs only the example's features.
/// Applied only when a feature fires, the prior would hardly touch the rare features that need
/// it most.
pub fn train(examples: &[Example], epochs: usize, l2: f32, rate: f32) -> StanceModel {
    let mut m = StanceModel::empty();
    let mut g2 = vec![1e-6f32; 3 << BITS];
    let mut last = vec![0u32; 3 << BITS];
    let mut gb = [1e-6f32; 3];
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = 0x853c_49e6_748f_ea9bu64;
    let mut step = 0u32;
    // The shrinking of weight `k` over `n` steps at its current rate.
    let shrink = |g2k: f32, n: u32| -> f32 { (1.0 - (rate * l2 / g2k.sqrt()).min(1.0)).powi(n as i32) };
    for _ in 0..epochs {
        crate::syntax::perceptron::shuffle(&mut order, &mut rng);
        for &i in &order {
            step += 1;
            let ex = &examples[i];
            if l2 > 0.0 {
                for &f in &ex.features {
                    for c in 0..3 {
                        let k = 3 * f as usize + c;
                        if m.weights[k] != 0.0 {
                            m.weights[k] *= shrink(g2[k], step - last[k]);
                        }
                        last[k] = step;
                    }
                }
            }
            let p = m.probs(&ex.features);
            for c in 0..3 {
                let g = p[c] - if c == ex.class { 1.0 } else { 0.0 };
                gb[c] += g * g;
                m.bias[c] -= rate * g / gb[c].sqrt();
                for &f in &ex.features {
                    let k = 3 * f as usize + c;
                    g2[k] += g * g;
                    m.weights[k] -= rate * g / g2[k].sqrt();
                }
            }
        }
    }
    if l2 > 0.0 {
        for (k, w) in m.weights.iter_mut().enumerate() {
            if *w != 0.0 {
                *w *= shrink(g2[k], step - last[k]);
            }
        }
    }
    m
}

/// File of the pair model's weights in the lexicon folder.
pub const MODEL_FILE: &str = "stance_model.txt.gz";
const MODEL_EMBEDDED: &[u8] = include_bytes!("../../lexicons/stance_model.txt.gz");

/// What the pair model needs loaded: the parser, the event dictionaries, the weights and the
/// sentence reader.
pub struct PairEngine {
    pub syntax: Syntax,
    pub eventdata: EventData,
    pub model: StanceModel,
    /// The sentence reader beside the pair model.
    pub reader: super::reader::Reader,
    /// The coverage reader beside the target model (over the same word vectors).
    pub coverage: super::coverage::CoverageReader,
}

impl PairEngine {
    /// Loads all three from `dir` (embedded copies for absent files), with the files read.
    pub fn load(
        dir: Option<&std::path::Path>,
    ) -> Result<(PairEngine, Vec<crate::lexicon::FileDigest>), Vec<crate::lexicon::Problem>> {
        // The pair weights (a quarter of a million lines since session 10) are read on a
        // thread of their own while the syntax weights load; problems and files keep the order
        // syntax, event data, pair model.
        // The reader's vectors (40,000 lines) are read on that thread after the pair weights.
        let (syntax, (model, reader)) = std::thread::scope(|scope| {
            let model = scope.spawn(|| {
                let m = crate::syntax::read_gz(dir, MODEL_FILE, MODEL_EMBEDDED).map(|file| {
                    let m = StanceModel::read(&file.text).map_err(|(l, m)| file.problem(l as u64, m));
                    (m, file.digest())
                });
                let reader = super::reader::Reader::load(dir).and_then(|(r, mut digests)| {
                    let (c, d) = super::coverage::CoverageReader::load(dir, std::sync::Arc::clone(&r.vectors))?;
                    digests.push(d);
                    Ok((r, c, digests))
                });
                (m, reader)
            });
            let syntax = crate::syntax::Syntax::load_with_files(dir);
            // The loaders do not panic on any input; a panic is a bug, and is passed on.
            (syntax, model.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        });
        let mut problems = Vec::new();
        let mut files = Vec::new();
        let syntax = syntax.map_err(|p| problems.push(p)).ok();
        if let Some((_, f)) = &syntax {
            files.extend(f.iter().cloned());
        }
        let eventdata = EventData::load(dir).map_err(|p| problems.push(p)).ok();
        if let Some((_, f)) = &eventdata {
            files.extend(f.iter().map(crate::lexicon::LexiconFile::digest));
        }
        let model = match model {
            Err(p) => {
                problems.push(p);
                None
            }
            Ok((m, digest)) => {
                files.push(digest);
                m.map_err(|p| problems.push(p)).ok()
            }
        };
        let reader = match reader {
            Err(p) => {
                problems.push(p);
                None
            }
            Ok((r, c, digests)) => {
                files.extend(digests);
                Some((r, c))
            }
        };
        match (syntax, eventdata, model, reader) {
            (Some((syntax, _)), Some((eventdata, _)), Some(model), Some((reader, coverage))) if problems.is_empty() => {
                Ok((PairEngine { syntax, eventdata, model, reader, coverage }, files))
            }
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pre-hashed path must give the very ids (and names) the string path gives: the
    /// shipped weights were trained with the string path's ids.
    #[test]
    fn hashed_parts_give_the_ids_and_names_of_string_parts() {
        let words = ["Accused", "sanctions", "Ärger", "İstanbul", "U.S.-led", "x"];
        let (mut by_str, mut by_hash) = (Vec::new(), Vec::new());
        let (mut n_str, mut n_hash) = (Vec::new(), Vec::new());
        let h0 = 0xcbf2_9ce4_8422_2325 ^ hash_str("");
        let mut a = Feats { out: &mut by_str, names: Some(&mut n_str), h0, seen: [0; 64] };
        for w in words {
            a.add(&["btwd", &w.to_lowercase(), "s<t"]);
        }
        let mut b = Feats { out: &mut by_hash, names: Some(&mut n_hash), h0, seen: [0; 64] };
        for w in words {
            let low = w.to_lowercase();
            assert_eq!(word_hash(w), hash_str(&low), "{w}");
            b.add_hashed(&[hash_str("btwd"), word_hash(w), hash_str("s<t")], || format!("btwd:{low}:s<t"));
        }
        assert_eq!(by_str, by_hash);
        assert_eq!(n_str, n_hash);
        assert_eq!(by_str.len(), words.len());
    }

    /// The words of a slice taken from the sentence's words (cut at the slice's edges) are
    /// those `words_of` finds in the slice itself, with the same hashes, for every slice of
    /// sentences mixing ASCII, non-ASCII, apostrophes and hyphens (and none for a range that is
    /// no slice).
    #[test]
    fn words_in_a_slice_are_the_sentence_words_cut_to_it() {
        let texts = [
            "Russia's U.S.-led talks with Ärger-free İstanbul — don't stop; ¿qué? 2024 x",
            "  Kyiv said: 'no'  ",
            "",
            "é",
        ];
        let mut pw = ParagraphWords::default();
        for (si, text) in texts.iter().enumerate() {
            pw.reset(texts.len());
            let r = pw.sentence(si, text);
            assert_eq!(pw.sentence(si, text), r, "a second call reuses the split");
            let words = &pw.words[r];
            for x in 0..=text.len() + 1 {
                for y in 0..=text.len() + 1 {
                    let got: Vec<(&str, u64)> =
                        words_in(words, text, x, y).map(|w| (&text[w.start..w.end], w.hash)).collect();
                    let slice = text.get(x..y.max(x)).unwrap_or("");
                    let want: Vec<(&str, u64)> = words_of(slice).map(|w| (w, word_hash(w))).collect();
                    assert_eq!(got, want, "{text:?} {x}..{y}");
                    let back: Vec<_> = words_in(words, text, x, y).rev().map(|w| w.start).collect();
                    assert_eq!(back.len(), want.len());
                    for w in words_in(words, text, x, y) {
                        if let Some(k) = w.whole {
                            assert_eq!((words[k].start, words[k].end), (w.start, w.end));
                        }
                    }
                }
            }
        }
    }

    /// The ids computed once per word ([`feature_id`], from [`H0`]) are those `add_hashed` gives
    /// the same parts in a pair's `Feats`.
    #[test]
    fn ids_computed_once_are_those_of_the_feature_parts() {
        assert_eq!(H0, 0xcbf2_9ce4_8422_2325 ^ hash_str(""));
        let (mut by_parts, mut by_id) = (Vec::new(), Vec::new());
        let mut a = Feats { out: &mut by_parts, names: None, h0: H0, seen: [0; 64] };
        for w in ["sanctions", "Ärger", "x", ""] {
            a.add_hashed(&[p!("sw").hash, word_hash(w)], String::new);
            a.add_hashed(&[p!("btw").hash, word_hash(w)], String::new);
        }
        let mut b = Feats { out: &mut by_id, names: None, h0: H0, seen: [0; 64] };
        for w in ["sanctions", "Ärger", "x", ""] {
            b.push_id(feature_id(&[p!("sw").hash, word_hash(w)]), String::new);
            b.push_id(feature_id(&[p!("btw").hash, word_hash(w)]), String::new);
        }
        assert_eq!(by_parts.len(), 8);
        assert_eq!(by_parts, by_id);
        let mut pw = ParagraphWords::default();
        pw.reset(1);
        let r = pw.sentence(0, "Kyiv said sanctions");
        for w in &pw.words[r] {
            assert_eq!(w.sw, feature_id(&[hash_str("sw"), w.hash]));
        }
    }

    /// Compile-time part hashes are the runtime ones, and the exact id set keeps the ids (and
    /// names) the scanning filter keeps, in the same order, and is left empty by its clear.
    #[test]
    fn const_hashes_and_the_exact_id_set_match_the_runtime_path() {
        for s in ["", "bias", "s<t", "btw_cameo_dir", "4+", "Ärger", "x"] {
            assert_eq!(const_hash_str(s), hash_str(s), "{s:?}");
            assert_eq!(Part::new(s).hash, hash_str(s));
        }
        assert_eq!(p!("rulecue").hash, hash_str("rulecue"));
        let h0 = 0xcbf2_9ce4_8422_2325 ^ hash_str("");
        // Many repeats and ids sharing a filter bit (equal modulo 4096).
        let parts: Vec<String> = (0..3000).map(|i| format!("w{}", (i * 7919) % 1500)).collect();
        let (mut by_scan, mut by_set, mut n_scan, mut n_set) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut a = Feats { out: &mut by_scan, names: Some(&mut n_scan), h0, seen: [0; 64] };
        for w in &parts {
            a.add(&["sw", w]);
        }
        let mut slots = Vec::new();
        let mut b = Feats { out: &mut by_set, names: Some(&mut n_set), h0, seen: IdSet::new(&mut slots) };
        for w in &parts {
            b.add_parts(&[p!("sw"), Part::new(w)]);
        }
        // 1,500 ids grew the table past its 1,024 slots; clearing takes it back.
        b.seen.clear(&by_set);
        assert_eq!(by_scan.len(), 1500);
        assert_eq!(by_scan, by_set);
        assert_eq!(n_scan, n_set);
        assert_eq!(slots.len(), IdSet::SLOTS);
        assert!(slots.iter().all(|&w| w == IdSet::EMPTY));
    }

    /// The id set answers as a set does, for ids that collide in its slots (equal modulo its
    /// size, so they probe past each other and wrap around the end), and is left empty by its
    /// clear, with and without growing.
    #[test]
    fn id_set_is_exact_across_collisions_growth_and_clears() {
        let mut slots = Vec::new();
        for (round, n) in [400u32, 3000, 511, 200, 2000].into_iter().enumerate() {
            let mut set = IdSet::new(&mut slots);
            let mut reference = std::collections::HashSet::new();
            let mut order = Vec::new();
            for k in 0..n {
                // Many ids share their low ten bits, some sit at the table's last slots.
                let id = ((k * 7 + round as u32) % 1900) * 1024 + [0, 1, 1023, 1022][(k % 4) as usize];
                let id = id % (1 << BITS);
                let new = set.insert_id(id);
                assert_eq!(new, reference.insert(id), "round {round} id {id}");
                if new {
                    order.push(id);
                }
            }
            assert_eq!(set.len, reference.len());
            set.clear(&order);
            assert!(slots.len() == IdSet::SLOTS && slots.iter().all(|&w| w == IdSet::EMPTY), "round {round}");
        }
    }

    #[test]
    fn weights_round_trip_and_bad_lines_name_their_line() {
        let mut m = StanceModel::empty();
        m.weights[3 * 7 + 1] = 0.25;
        m.bias = [0.5, -0.25, -0.25];
        m.threshold = [0.6, 0.45];
        m.gate = 0.25;
        let mut buf = Vec::new();
        m.write(&["test".into()], &mut buf).unwrap();
        let back = StanceModel::read(std::str::from_utf8(&buf).unwrap()).unwrap();
        assert_eq!(back.threshold, m.threshold);
        assert_eq!(back.gate, m.gate);
        assert_eq!(back.sure, 0.0, "no sure share written as none");
        m.sure = 1.15;
        let mut buf = Vec::new();
        m.write(&["test".into()], &mut buf).unwrap();
        assert_eq!(StanceModel::read(std::str::from_utf8(&buf).unwrap()).unwrap().sure, 1.15);
        assert_eq!(StanceModel::read("bits\t20\nsure\t0.9\n").unwrap_err().0, 2, "sure below the threshold");
        assert_eq!(StanceModel::read("bits\t20\nsure\tx\n").unwrap_err().0, 2);
        assert_eq!(back.bias, m.bias);
        assert_eq!(back.weights[3 * 7 + 1], 0.25);
        assert_eq!(StanceModel::read("bits\t20\nthreshold\t0.5\n").unwrap_err().0, 2);
        assert_eq!(StanceModel::read("bits\t20\n\n99999999\t0 0 0\n").unwrap_err().0, 3);
        assert_eq!(StanceModel::read("bits\t19\n").unwrap_err().0, 1);
        assert!(StanceModel::read("threshold\t0.5 0.5\n").is_err(), "no bits line");
        let gated = StanceModel::read("bits\t20\ngate\t0.14\n").unwrap();
        assert_eq!(gated.gate, 0.14);
        assert_eq!(StanceModel::read("bits\t20\ngate\t1.5\n").unwrap_err().0, 2, "a gate is a share of the thresholds");
        assert_eq!(StanceModel::read("bits\t20\ngate\t0.1 0.2\n").unwrap_err().0, 2);
    }

    #[test]
    fn a_candidate_asks_for_a_parse_between_the_gate_and_the_sure_share() {
        // Feature f gives P(hostile) = p exactly: logits ln(1 - p) for none, ln p for hostile.
        let mut m = StanceModel::empty();
        m.bias = [0.0, 0.0, f32::NEG_INFINITY];
        let ps = [0.1f32, 0.3, 0.5, 0.62, 0.8];
        for (f, p) in ps.iter().enumerate() {
            m.weights[3 * f] = (1.0 - p).ln();
            m.weights[3 * f + 1] = p.ln();
        }
        m.threshold = [0.5, 0.5];
        m.gate = 0.5; // P(hostile) >= 0.25
        m.sure = 1.2; // P(hostile) >= 0.6
        let asks: Vec<bool> = (0..ps.len() as u32).map(|f| m.needs_parse(&[f])).collect();
        assert_eq!(asks, [false, true, true, false, false], "below the gate, between, at or above the sure share");
        m.sure = 0.0;
        let asks: Vec<bool> = (0..ps.len() as u32).map(|f| m.needs_parse(&[f])).collect();
        assert_eq!(asks, [false, true, true, true, true], "no sure share: every candidate through the gate");
        assert!(m.needs_parse_at(&[0], 0.1, 0.0) && !m.needs_parse_at(&[1], 0.1, 0.5));
    }

    /// The gate is asked only of candidates linking a sentence that could be parsed, and the
    /// sentences kept are those it would keep if every candidate were asked.
    #[test]
    fn coordinated_pairs_and_their_reverse_share_the_mean_and_nothing_else_moves() {
        let cand = |paragraph: u32, s: &str, t: &str, coordinated: bool| Candidate {
            paragraph,
            coordinated,
            ..Candidate::for_test(s, t, Vec::new())
        };
        let cands = [
            cand(0, "CHN", "RUS", true),
            cand(0, "RUS", "USA", false),
            cand(0, "RUS", "CHN", true),
            // The reverse of a coordinated pair in another paragraph, and one not coordinated.
            cand(1, "RUS", "CHN", true),
            cand(0, "USA", "RUS", false),
        ];
        let mut probs = [[0.2, 0.0, 0.8], [0.5, 0.5, 0.0], [0.6, 0.0, 0.4], [0.9, 0.1, 0.0], [0.3, 0.7, 0.0]];
        let before = probs;
        symmetrize(&cands, &mut probs);
        assert_eq!(probs[0], [0.4, 0.0, 0.6]);
        assert_eq!(probs[2], probs[0]);
        for k in [1, 3, 4] {
            assert_eq!(probs[k], before[k], "candidate {k}");
        }
    }

    /// The decision reads the pair model's probabilities it is given (computed once in `score`
    /// for the reader gate too), and given the model's own it decides as [`decide`] does.
    #[test]
    fn the_decision_reads_the_pair_probabilities_given() {
        let mut m = StanceModel::empty();
        m.threshold = [0.5, 0.5];
        // Feature 1 pushes hostile hard.
        m.weights[3 + HOSTILE] = 5.0;
        let cand = |features: Vec<u32>| Candidate::for_test("RUS", "UKR", features);
        let cands = [cand(vec![1]), cand(vec![0])];
        let own = pair_probs(&m, &cands);
        assert_eq!(own, vec![m.probs(&[1]), m.probs(&[0])]);
        let scores = |ev: &[(StanceEvent, f32)]| -> Vec<(f64, f32)> { ev.iter().map(|(e, c)| (e.score, *c)).collect() };
        let decided = decide_from(&m, &cands, &own);
        assert_eq!(decided.len(), 1);
        assert_eq!(scores(&decided), scores(&decide(&m, &cands)));
        // Other probabilities given, other decisions: they are not computed again.
        let flipped = [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]];
        let decided = decide_from(&m, &cands, &flipped);
        assert_eq!(decided.len(), 1);
        assert!(decided[0].0.score > 0.8, "friendly from the probabilities given");
    }

    #[test]
    fn the_gate_is_asked_only_of_candidates_linking_a_pending_sentence() {
        let cand = |paragraph: u32, sentences: &[u32], base_len: usize| Candidate {
            paragraph,
            sentence: sentences.first().copied().unwrap_or(0),
            links: sentences.iter().map(|&s| (s, 0..0, 0..0)).collect(),
            ..Candidate::for_test("", "", vec![0; base_len])
        };
        // base_len 1: the gate says yes; 2: no.
        let cands = [cand(0, &[0, 1], 2), cand(0, &[1], 1), cand(1, &[0], 1), cand(2, &[3], 1), cand(3, &[], 1)];
        let everyone = |out: &[(u32, u32)]| -> Vec<(u32, u32)> {
            let wanted: Vec<(u32, u32)> = cands
                .iter()
                .filter(|c| c.base_len == 1)
                .flat_map(|c| c.links.iter().map(move |(s, _, _)| (c.paragraph, *s)))
                .collect();
            out.iter().copied().filter(|k| wanted.contains(k)).collect()
        };
        for pending in [vec![], vec![(0, 0), (0, 1), (2, 2)], vec![(0, 0)], vec![(1, 0), (2, 3)]] {
            let mut asked = Vec::new();
            let mut out = pending.clone();
            keep_wanted(&mut out, &cands, |c| {
                asked.push(c.paragraph);
                c.base_len == 1
            });
            assert_eq!(out, everyone(&pending), "{pending:?}");
            let linking: Vec<u32> = cands
                .iter()
                .filter(|c| c.links.iter().any(|(s, _, _)| pending.contains(&(c.paragraph, *s))))
                .map(|c| c.paragraph)
                .collect();
            assert_eq!(asked, linking, "{pending:?}");
        }
    }

    #[test]
    fn the_l2_prior_shrinks_rare_features_between_their_firings() {
        // Feature 9 fires once (class 1); the class features 2, 3, 4 fire in every third example.
        let mut ex: Vec<Example> =
            (0..600).map(|i| Example { features: vec![1, 2 + (i % 3) as u32], class: (i % 3) as usize }).collect();
        ex[7] = Example { features: vec![1, 3, 9], class: 1 };
        let w = |m: &StanceModel, f: usize| m.weights[3 * f + 1];
        let free = train(&ex, 10, 0.0, 0.1);
        let prior = train(&ex, 10, 0.01, 0.1);
        // The rare feature loses most of its weight (applied only when it fires, the prior would
        // take ten small steps off it); the frequent ones keep most of theirs.
        assert!(w(&prior, 9).abs() < 0.5 * w(&free, 9).abs(), "{} vs {}", w(&prior, 9), w(&free, 9));
        assert!(w(&prior, 3) > 0.5 * w(&free, 3), "{} vs {}", w(&prior, 3), w(&free, 3));
        assert_eq!(prior.weights, train(&ex, 10, 0.01, 0.1).weights);
    }

    #[test]
    fn training_separates_classes_and_is_reproducible() {
        let ex: Vec<Example> =
            (0..200).map(|i| Example { features: vec![1, 2 + (i % 3) as u32], class: (i % 3) as usize }).collect();
        let a = train(&ex, 5, 0.0, 0.1);
        let b = train(&ex, 5, 0.0, 0.1);
        assert_eq!(a.weights, b.weights);
        for c in 0..3 {
            let p = a.probs(&[1, 2 + c as u32]);
            assert!(p[c] > 0.5, "class {c}: {p:?}");
        }
    }

    #[test]
    fn decisions_use_the_threshold_of_the_likelier_sign() {
        assert_eq!(decision([0.2, 0.7, 0.1], [0.6, 0.9]), Some((-1, 0.7)));
        assert_eq!(decision([0.2, 0.1, 0.7], [0.6, 0.9]), None);
        assert_eq!(decision([0.5, 0.1, 0.4], [0.6, 0.3]), Some((1, 0.4)));
    }
}
