//! The pre-optimisation scorer, frozen: the string-keyed feature extraction the model shipped
//! with before [`super::TargetModel::score_sentence`] (every feature formatted into a `String`
//! and looked up by name; the sentence re-tokenized for every mention). Kept only as the
//! reference that tests and `examples/train_target.rs bench` compare the fast path against (same
//! features, same values, same scores); nothing in the pipeline uses it. Do not change it: it
//! defines what "identical predictions" means.
//!
//! [`ReferenceModel::score`] looks each name up exactly (the model's definition: a feature absent
//! from the weights file contributes nothing). [`ReferenceModel::score_shipped`] is the shipped
//! lookup, by a 64-bit [`feature_hash`] of the name, kept to time the old code as it was. That
//! hash is weak (a difference in the high bytes of the last full 8-byte chunk only reaches a few
//! bits), and it collides for real features: `L2:“_if` and `R2:and_de`, absent from the weights,
//! borrowed the weights of `L2:“_as` and of another row. On NewsMTSC this changes 3 of 11,361
//! scores and no label.

#![allow(dead_code)]

use std::cell::RefCell;
use std::ops::Range;

use rustc_hash::FxHashMap;

use super::{score_from_logits, TargetModel, TargetScore};
use crate::tone::Vader;

/// How far (in tokens) to look for the predicate after / the verb before the target.
pub(crate) const WINDOW: usize = 4;
/// Tokens after a negator whose valence VADER flips.
const NEGATION_SCOPE: usize = 3;
/// VADER's damping of a negated valence.
const NEGATION_FACTOR: f64 = -0.74;
/// Valences are divided by this so that value features stay near [-1, 1] like binary ones.
const VALENCE_SCALE: f64 = 4.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    Punct,
    /// The target mention, collapsed into one token.
    Target,
    /// Another actor's mention, collapsed into one token.
    Actor,
}

#[derive(Debug, Clone, Copy)]
struct Tok {
    kind: Kind,
    /// Byte range in the sentence.
    start: usize,
    end: usize,
    /// Range of the normalised (lowercase) form in `Scratch::lower`.
    lo: usize,
    hi: usize,
    /// VADER valence after negation, 0 when none.
    valence: f64,
    clause: u32,
    in_quote: bool,
}

/// Reusable buffers for one thread's feature extraction.
#[derive(Default)]
pub(crate) struct Scratch {
    lower: String,
    toks: Vec<Tok>,
    /// Normalised words of the target mention, as ranges into `lower`.
    target_words: Vec<(usize, usize)>,
    key: String,
    /// Sentence whose compound is cached in `sentence_compound` (the pipeline scores every
    /// mention of a sentence in a row, so the whole-sentence VADER runs once per sentence).
    cached_sentence: String,
    sentence_compound: f64,
}

const NEGATORS: &[&str] = &[
    "not", "no", "never", "nobody", "none", "nor", "neither", "nothing", "nowhere", "without", "cannot", "hardly",
    "rarely", "seldom", "despite",
];
const CONTRAST: &[&str] = &["but", "however", "although", "though", "yet", "whereas", "nevertheless", "nonetheless"];
const CLAUSE_WORDS: &[&str] = &[
    "but", "however", "although", "though", "whereas", "while", "because", "which", "who", "whom", "that", "after",
    "before", "when", "if", "and",
];
const SPEECH_VERBS: &[&str] = &[
    "said",
    "says",
    "say",
    "told",
    "tells",
    "added",
    "adds",
    "wrote",
    "writes",
    "stated",
    "states",
    "claimed",
    "claims",
    "argued",
    "argues",
    "insisted",
    "insists",
    "explained",
    "noted",
    "notes",
    "asked",
    "asks",
    "tweeted",
    "tweets",
    "declared",
    "announced",
    "warned",
    "warns",
    "suggested",
    "suggests",
    "acknowledged",
    "admitted",
    "replied",
    "responded",
    "continued",
    "recalled",
    "according",
];

fn is_negator(w: &str) -> bool {
    NEGATORS.contains(&w) || w.ends_with("n't")
}

fn is_boundary_punct(c: &str) -> bool {
    matches!(c, "," | ";" | ":" | "(" | ")" | "—" | "–" | "-" | "“" | "”" | "\"" | "'" | "?" | "!" | ".")
}

fn overlaps(a: &Range<usize>, s: usize, e: usize) -> bool {
    // A zero-width range "overlaps" a token that contains its position, so an empty target span
    // still selects a token.
    if a.start == a.end {
        return s <= a.start && a.start < e;
    }
    a.start < e && s < a.end
}

impl Scratch {
    fn push_lower(&mut self, word: &str) -> (usize, usize) {
        let lo = self.lower.len();
        if word.bytes().any(|b| b.is_ascii_digit()) {
            self.lower.push_str("<num>");
        } else if word.is_ascii() {
            // Fast path for the common case: one byte in, one byte out.
            self.lower.push_str(word);
            self.lower[lo..].make_ascii_lowercase();
            // Words hold only alphanumerics, '-', '.' and apostrophes, so there is no '`' to map.
        } else {
            for c in word.chars() {
                match c {
                    '’' | '‘' | '`' => self.lower.push('\''),
                    _ => {
                        for l in c.to_lowercase() {
                            self.lower.push(l);
                        }
                    }
                }
            }
        }
        (lo, self.lower.len())
    }

    /// Splits `sentence` into words and punctuation, collapsing the target and other mentions
    /// into single tokens. Returns the index of the target token, if any token overlaps it.
    fn tokenize(
        &mut self,
        vader: &Vader,
        sentence: &str,
        target: &Range<usize>,
        others: &[Range<usize>],
    ) -> Option<usize> {
        self.lower.clear();
        self.toks.clear();
        self.target_words.clear();
        let mut target_tok: Option<usize> = None;
        let mut last_other: Option<usize> = None;
        let mut prev_end = usize::MAX;
        let mut it = sentence.char_indices().peekable();
        while let Some((i, c)) = it.next() {
            if c.is_whitespace() {
                continue;
            }
            // An apostrophe glued to the previous token starts a word ("Doe" | "'s" when the
            // target span ends inside "Doe's").
            let next_alnum =
                |k: usize| sentence.get(k..).and_then(|r| r.chars().next()).is_some_and(|n| n.is_alphanumeric());
            let is_word =
                c.is_alphanumeric() || (matches!(c, '\'' | '’') && prev_end == i && next_alnum(i + c.len_utf8()));
            let (start, end) = if is_word {
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = it.peek() {
                    if j == target.start || j == target.end {
                        // Never let a token straddle the target's edges.
                        break;
                    }
                    if d.is_alphanumeric() {
                        end = j + d.len_utf8();
                        it.next();
                    } else if matches!(d, '\'' | '’' | '-' | '.') {
                        // Keep "don't", "anti-war", "U.S" together; look one char further.
                        if next_alnum(j + d.len_utf8()) {
                            end = j + d.len_utf8();
                            it.next();
                        } else {
                            break;
                        }
                    } else {
                        break;
                    }
                }
                (i, end)
            } else {
                (i, i + c.len_utf8())
            };
            prev_end = end;
            if overlaps(target, start, end) {
                if is_word {
                    let w = self.push_lower(&sentence[start..end]);
                    self.target_words.push(w);
                }
                match target_tok {
                    Some(t) if t + 1 == self.toks.len() => {
                        self.toks[t].end = end;
                    }
                    _ => {
                        target_tok = Some(self.toks.len());
                        self.toks.push(Tok {
                            kind: Kind::Target,
                            start,
                            end,
                            lo: 0,
                            hi: 0,
                            valence: 0.0,
                            clause: 0,
                            in_quote: false,
                        });
                    }
                }
                continue;
            }
            if let Some(k) = others.iter().position(|o| overlaps(o, start, end)) {
                if last_other == Some(k) && self.toks.last().is_some_and(|t| t.kind == Kind::Actor) {
                    if let Some(t) = self.toks.last_mut() {
                        t.end = end;
                    }
                } else {
                    last_other = Some(k);
                    self.toks.push(Tok {
                        kind: Kind::Actor,
                        start,
                        end,
                        lo: 0,
                        hi: 0,
                        valence: 0.0,
                        clause: 0,
                        in_quote: false,
                    });
                }
                continue;
            }
            last_other = None;
            let word = &sentence[start..end];
            let (mut lo, hi) = self.push_lower(word);
            let mut kind = if is_word { Kind::Word } else { Kind::Punct };
            // Split a possessive "'s" off so that "Trump's" feeds "trump" and "'s".
            let l = &self.lower[lo..hi];
            if is_word && l.len() > 2 && l.ends_with("'s") {
                self.toks.push(Tok {
                    kind,
                    start,
                    end: end.saturating_sub(2).max(start),
                    lo,
                    hi: hi - 2,
                    valence: 0.0,
                    clause: 0,
                    in_quote: false,
                });
                lo = hi - 2;
                kind = Kind::Word;
            }
            self.toks.push(Tok { kind, start, end, lo, hi, valence: 0.0, clause: 0, in_quote: false });
        }
        // Valences, negation, clauses and quotes in one pass.
        let mut clause = 0u32;
        let mut in_quote = false;
        let mut since_negator = usize::MAX;
        for k in 0..self.toks.len() {
            let t = self.toks[k];
            let w = &self.lower[t.lo..t.hi];
            let mut opens_clause = false;
            if t.kind == Kind::Punct {
                match sentence.get(t.start..t.end).unwrap_or("") {
                    "“" | "‘" => in_quote = true,
                    "”" | "’" => in_quote = false,
                    "\"" => in_quote = !in_quote,
                    _ => {}
                }
                if is_boundary_punct(w) {
                    opens_clause = true;
                }
            } else if t.kind == Kind::Word && CLAUSE_WORDS.contains(&w) {
                opens_clause = true;
            }
            if opens_clause {
                clause += 1;
                since_negator = usize::MAX;
            }
            let mut valence = 0.0;
            if t.kind == Kind::Word {
                if is_negator(w) {
                    since_negator = 0;
                } else {
                    if let Some(v) = vader.valence(w) {
                        valence = v;
                        if since_negator < NEGATION_SCOPE {
                            valence *= NEGATION_FACTOR;
                        }
                    }
                    since_negator = since_negator.saturating_add(1);
                }
            }
            let tm = &mut self.toks[k];
            tm.valence = valence;
            tm.clause = clause;
            tm.in_quote = in_quote;
        }
        target_tok
    }
}

/// Emits `prefix` + `word` with `value`.
#[inline]
fn put(key: &mut String, prefix: &str, word: &str, value: f64, emit: &mut dyn FnMut(&str, f64)) {
    key.clear();
    key.push_str(prefix);
    key.push_str(word);
    emit(key, value);
}

/// Emits the positive and negative parts of a valence sum as `name+` and `name-`.
#[inline]
fn put_valence(key: &mut String, name: &str, pos: f64, neg: f64, emit: &mut dyn FnMut(&str, f64)) {
    if pos != 0.0 {
        put(key, name, "+", pos / VALENCE_SCALE, emit);
    }
    if neg != 0.0 {
        put(key, name, "-", neg / VALENCE_SCALE, emit);
    }
}

#[derive(Default, Clone, Copy)]
struct Acc {
    pos: f64,
    neg: f64,
}

impl Acc {
    fn add(&mut self, v: f64) {
        if v > 0.0 {
            self.pos += v;
        } else {
            self.neg += v;
        }
    }
}

/// Snaps a byte index down to a char boundary of `s` (and into range), so any caller-supplied
/// span can be used safely.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn compound_bucket(c: f64) -> &'static str {
    if c <= -0.5 {
        "--"
    } else if c <= -0.05 {
        "-"
    } else if c < 0.05 {
        "0"
    } else if c < 0.5 {
        "+"
    } else {
        "++"
    }
}

/// Runs feature extraction for one mention, reporting each `(feature, value)` to `emit`. The
/// same feature may be reported more than once (values add up).
pub(crate) fn extract(
    scratch: &mut Scratch,
    vader: &Vader,
    sentence: &str,
    target: Range<usize>,
    others: &[Range<usize>],
    emit: &mut dyn FnMut(&str, f64),
) {
    emit("bias", 1.0);
    let target = {
        let s = floor_boundary(sentence, target.start);
        let e = floor_boundary(sentence, target.end.max(target.start));
        s..e
    };
    let ti = scratch.tokenize(vader, sentence, &target, others);

    // Whole-sentence compound, cached per sentence.
    if scratch.cached_sentence != sentence {
        scratch.cached_sentence.clear();
        scratch.cached_sentence.push_str(sentence);
        scratch.sentence_compound = vader.polarity_scores(sentence).compound;
    }
    let sc = scratch.sentence_compound;

    let Scratch { lower, toks, target_words, key, .. } = scratch;
    let word = |t: &Tok| -> &str {
        match t.kind {
            Kind::Actor => "<actor>",
            Kind::Target => "<target>",
            _ => &lower[t.lo..t.hi],
        }
    };

    emit("c:sent", sc);

    put(key, "cb:sent", compound_bucket(sc), 1.0, emit);

    for &(lo, hi) in target_words.iter() {
        put(key, "T:", &lower[lo..hi], 1.0, emit);
    }

    let Some(ti) = ti else {
        // No token under the target span: only sentence-level evidence is available.
        emit("t:missing", 1.0);
        let mut acc = Acc::default();
        for t in toks.iter() {
            if t.kind == Kind::Word {
                put(key, "S:", word(t), 1.0, emit);
            }
            acc.add(t.valence);
        }
        put_valence(key, "v:sent", acc.pos, acc.neg, emit);
        return;
    };
    let tt = toks[ti];
    let n = toks.len();

    // Sentence-level words and valence.
    let mut sent = Acc::default();
    let mut clause = Acc::default();
    let mut left = Acc::default();
    let mut right = Acc::default();
    let mut near = Acc::default();
    let mut quoted = Acc::default();
    let mut after_contrast = Acc::default();
    let mut contrast_at: Option<usize> = None;
    let mut n_actors = 0usize;
    let mut nearest_actor: Option<usize> = None;
    let (mut clause_start, mut clause_end) = (tt.start, tt.end);
    let nwords = toks.iter().filter(|t| t.kind == Kind::Word).count().max(1) as f64;
    // Sentence words weigh 3/√n: a long sentence's many words should not outvote its few
    // target-specific features.
    let s_val = 3.0 / nwords.sqrt();
    for (k, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::Word => {
                let w = word(t);
                put(key, "S:", w, s_val, emit);
                if contrast_at.is_none() && CONTRAST.contains(&w) {
                    contrast_at = Some(k);
                }
            }
            Kind::Actor => {
                n_actors += 1;
                let closer = match nearest_actor {
                    None => true,
                    Some(a) => k.abs_diff(ti) < a.abs_diff(ti),
                };
                if closer {
                    nearest_actor = Some(k);
                }
            }
            _ => {}
        }
        if t.valence != 0.0 {
            let v = t.valence;
            sent.add(v);
            let d = k.abs_diff(ti);
            near.add(v / (1.0 + d as f64 / 3.0));
            if t.clause == tt.clause {
                clause.add(v);
                if k < ti {
                    left.add(v);
                } else {
                    right.add(v);
                }
            }
            if t.in_quote {
                quoted.add(v);
            }
            if contrast_at.is_some_and(|c| k > c) {
                after_contrast.add(v);
            }
        }
        if t.clause == tt.clause && t.kind != Kind::Punct {
            clause_start = clause_start.min(t.start);
            clause_end = clause_end.max(t.end);
        }
    }
    put_valence(key, "v:sent", sent.pos, sent.neg, emit);
    put_valence(key, "v:clause", clause.pos, clause.neg, emit);
    put_valence(key, "v:left", left.pos, left.neg, emit);
    put_valence(key, "v:right", right.pos, right.neg, emit);
    put_valence(key, "v:near", near.pos, near.neg, emit);

    // Clause compound: VADER on the clause around the target.
    let cc = vader.polarity_scores(sentence.get(clause_start..clause_end).unwrap_or("")).compound;
    emit("c:clause", cc);
    put(key, "cb:clause", compound_bucket(cc), 1.0, emit);

    // Words of the target's clause, by side: the clause is the window that matters ("X, who
    // denied wrongdoing, ..." vs "..., which X praised"), wherever it starts.
    for (k, t) in toks.iter().enumerate() {
        if t.kind == Kind::Word && t.clause == tt.clause {
            put(key, if k < ti { "CL:" } else { "CR:" }, word(t), 1.0, emit);
        }
    }
    // Window and adjacent words.
    if ti > 0 {
        put(key, "L1:", word(&toks[ti - 1]), 1.0, emit);
    } else {
        emit("L1:<start>", 1.0);
    }
    if ti + 1 < n {
        put(key, "R1:", word(&toks[ti + 1]), 1.0, emit);
        if ti + 2 < n {
            key.clear();
            key.push_str("R2:");
            key.push_str(word(&toks[ti + 1]));
            key.push('_');
            key.push_str(word(&toks[ti + 2]));
            emit(key, 1.0);
        }
    } else {
        emit("R1:<end>", 1.0);
    }
    if ti > 1 {
        key.clear();
        key.push_str("L2:");
        key.push_str(word(&toks[ti - 2]));
        key.push('_');
        key.push_str(word(&toks[ti - 1]));
        emit(key, 1.0);
    }

    // Agent / object: valence of the first valenced word of the predicate after the target
    // (within its clause), and of the last one before it.
    let mut agent = Acc::default();
    for t in toks.iter().skip(ti + 1).take(WINDOW + 2) {
        if t.clause != tt.clause {
            break;
        }
        if t.valence != 0.0 {
            agent.add(t.valence);
            break;
        }
    }
    put_valence(key, "v:agent", agent.pos, agent.neg, emit);
    let mut object = Acc::default();
    for t in toks[ti.saturating_sub(WINDOW)..ti].iter().rev() {
        if t.clause != tt.clause {
            break;
        }
        if t.valence != 0.0 {
            object.add(t.valence);
            break;
        }
    }
    put_valence(key, "v:object", object.pos, object.neg, emit);
    // Passive agent: "was criticised by TARGET".
    if ti >= 2 && word(&toks[ti - 1]) == "by" {
        let p = &toks[ti - 2];
        if word(p).ends_with("ed") || word(p).ends_with("en") {
            emit("role:by_agent", 1.0);
            let mut a = Acc::default();
            a.add(p.valence);
            put_valence(key, "v:by_agent", a.pos, a.neg, emit);
        }
    }

    // Quotes and speaker.
    if tt.in_quote {
        emit("q:inside", 1.0);
    }
    let speech_after = toks.iter().skip(ti + 1).take(3).any(|t| SPEECH_VERBS.contains(&word(t)));
    let speech_before =
        ti > 0 && SPEECH_VERBS.contains(&word(&toks[ti - 1])) || (ti > 1 && word(&toks[ti - 2]) == "according");
    if speech_after || speech_before {
        emit("q:speaker", 1.0);
        put_valence(key, "v:spk_quote", quoted.pos, quoted.neg, emit);
        let mut rest = Acc::default();
        for t in toks.iter() {
            if t.clause != tt.clause {
                rest.add(t.valence);
            }
        }
        put_valence(key, "v:spk_rest", rest.pos, rest.neg, emit);
    } else {
        put_valence(key, "v:quoted", quoted.pos, quoted.neg, emit);
    }

    // Contrast.
    if let Some(c) = contrast_at {
        if c < ti {
            emit("k:target_after", 1.0);
            put_valence(key, "v:contrast_tail", after_contrast.pos, after_contrast.neg, emit);
        } else {
            emit("k:target_before", 1.0);
            put_valence(key, "v:contrast_tail_other", after_contrast.pos, after_contrast.neg, emit);
        }
    }

    // Other actors and the words between the target and the nearest one.
    if n_actors > 0 {
        emit("o:any", 1.0);
        if let Some(a) = nearest_actor {
            let (from, to, first) = if a > ti { (ti + 1, a, "o:target_first") } else { (a + 1, ti, "o:target_second") };
            emit(first, 1.0);
            let mut between = Acc::default();
            for t in &toks[from..to] {
                between.add(t.valence);
            }
            let name = if a > ti { "v:between_tf" } else { "v:between_ts" };
            put_valence(key, name, between.pos, between.neg, emit);
        }
    }
    if ti == 0 {
        emit("p:first", 1.0);
    }
}

/// Marks a hash shared by several feature names in [`ReferenceModel`]'s index.
const AMBIGUOUS: u32 = u32::MAX;

/// 64-bit hash of a feature name, as the original model used it.
pub fn feature_hash(name: &str) -> u64 {
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

/// The original string-keyed lookups over a model's weights.
pub struct ReferenceModel {
    /// Exact: feature name → weights.
    exact: FxHashMap<Box<str>, [f64; 3]>,
    /// As shipped: name hash → (row, weights), [`AMBIGUOUS`] rows resolved by `by_name`.
    index: FxHashMap<u64, (u32, [f64; 3])>,
    by_name: FxHashMap<Box<str>, u32>,
    weights: Vec<[f64; 3]>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl ReferenceModel {
    /// Indexes `model`'s weights as the original model did.
    pub fn new(model: &TargetModel) -> ReferenceModel {
        let mut index: FxHashMap<u64, (u32, [f64; 3])> = FxHashMap::default();
        let mut by_name: FxHashMap<Box<str>, u32> = FxHashMap::default();
        let names = &model.names;
        let weights = model.weights.clone();
        for (i, (name, &w)) in names.iter().zip(&weights).enumerate() {
            let h = feature_hash(name);
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
        }
        let exact = names.iter().cloned().zip(weights.iter().copied()).collect();
        ReferenceModel { exact, index, by_name, weights }
    }

    /// The shipped lookup by name hash (with its collisions).
    #[inline]
    fn lookup_shipped(&self, name: &str) -> Option<&[f64; 3]> {
        match self.index.get(&feature_hash(name)) {
            Some((AMBIGUOUS, _)) => self.by_name.get(name).map(|&i| &self.weights[i as usize]),
            other => other.map(|e| &e.1),
        }
    }

    /// Scores one mention with the original feature extraction and the exact name lookup.
    pub fn score(&self, vader: &Vader, sentence: &str, target: Range<usize>, others: &[Range<usize>]) -> TargetScore {
        self.score_with(vader, sentence, target, others, |name| self.exact.get(name))
    }

    /// The original `TargetModel::score` as shipped: the original feature extraction and the
    /// lookup by name hash.
    pub fn score_shipped(
        &self,
        vader: &Vader,
        sentence: &str,
        target: Range<usize>,
        others: &[Range<usize>],
    ) -> TargetScore {
        self.score_with(vader, sentence, target, others, |name| self.lookup_shipped(name))
    }

    /// True when the shipped hash lookup finds weights for a feature the model does not have.
    pub fn collides(&self, name: &str) -> bool {
        self.lookup_shipped(name).is_some() && !self.exact.contains_key(name)
    }

    fn score_with<'a>(
        &'a self,
        vader: &Vader,
        sentence: &str,
        target: Range<usize>,
        others: &[Range<usize>],
        lookup: impl Fn(&str) -> Option<&'a [f64; 3]>,
    ) -> TargetScore {
        let mut logits = [0.0f64; 3];
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            extract(&mut scratch, vader, sentence, target, others, &mut |name, v| {
                if let Some(w) = lookup(name) {
                    for (l, wk) in logits.iter_mut().zip(w) {
                        *l += v * wk;
                    }
                }
            })
        });
        score_from_logits(logits)
    }
}

/// The original features of one mention, in emission order.
pub fn features(vader: &Vader, sentence: &str, target: Range<usize>, others: &[Range<usize>]) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    extract(&mut Scratch::default(), vader, sentence, target, others, &mut |k, v| out.push((k.to_string(), v)));
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::prelude::*;

    use super::super::features;
    use super::*;
    use crate::eval::{load_newsmtsc, Example};

    fn new_features(
        vader: &Vader,
        sentence: &str,
        target: Range<usize>,
        others: &[Range<usize>],
    ) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        let mut s = features::Scratch::default();
        features::extract(&mut s, vader, sentence, target, others, &mut |k, v| out.push((k.to_string(), v)));
        out
    }

    fn bits(f: &[(String, f64)]) -> Vec<(String, u64)> {
        f.iter().map(|(k, v)| (k.clone(), v.to_bits())).collect()
    }

    fn same_features(vader: &Vader, sentence: &str, target: Range<usize>, others: &[Range<usize>]) {
        let old = features(vader, sentence, target.clone(), others);
        let new = new_features(vader, sentence, target.clone(), others);
        // Same names, same order, bit-identical values: training sees exactly the same data.
        assert_eq!(bits(&new), bits(&old), "{sentence:?} target {target:?} others {others:?}");
    }

    /// The batch path gives each mention of a sentence the reference's features; returns
    /// whether it used the shared view.
    fn same_sentence_features(vader: &Vader, sentence: &str, mentions: &[Range<usize>]) -> bool {
        let (shared, all) = features::extract_sentence(vader, sentence, mentions);
        for (i, new) in all.iter().enumerate() {
            let others: Vec<_> = mentions.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, m)| m.clone()).collect();
            let old = features(vader, sentence, mentions[i].clone(), &others);
            assert_eq!(bits(new), bits(&old), "{sentence:?} mention {i} of {mentions:?} (shared view: {shared})");
        }
        shared
    }

    /// Loaded once for the property test's many cases.
    fn engines() -> &'static (Vader, TargetModel) {
        static ENGINES: std::sync::OnceLock<(Vader, TargetModel)> = std::sync::OnceLock::new();
        ENGINES.get_or_init(|| (Vader::embedded(), TargetModel::embedded()))
    }

    fn newsmtsc(file: &str) -> Vec<Example> {
        load_newsmtsc(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/newsmtsc").join(file)).unwrap()
    }

    /// Groups consecutive examples of one NewsMTSC line: the sentence and its mentions in order
    /// (each example's `others` are the other mentions).
    fn sentences(examples: &[Example]) -> Vec<(&str, Vec<Range<usize>>)> {
        let mut out: Vec<(&str, Vec<Range<usize>>)> = Vec::new();
        let mut i = 0;
        while i < examples.len() {
            let e = &examples[i];
            let n = e.others.len() + 1;
            let group = &examples[i..(i + n).min(examples.len())];
            let mentions: Vec<Range<usize>> = group.iter().map(|g| g.target.clone()).collect();
            for (k, g) in group.iter().enumerate() {
                assert_eq!(g.sentence, e.sentence);
                let others: Vec<_> =
                    mentions.iter().enumerate().filter(|&(j, _)| j != k).map(|(_, m)| m.clone()).collect();
                assert_eq!(g.others, others);
            }
            out.push((&e.sentence, mentions));
            i += n;
        }
        out
    }

    /// The fast path (integer-keyed lookups, per-sentence preparation, batch scoring) gives the
    /// reference implementation's features and scores on every NewsMTSC mention.
    #[test]
    fn fast_path_matches_the_reference_on_newsmtsc() {
        let vader = Vader::embedded();
        let model = TargetModel::embedded();
        let reference = ReferenceModel::new(&model);
        for file in ["devtest_rw.jsonl", "devtest_mt.jsonl", "train.jsonl"] {
            let examples = newsmtsc(file);
            let mut expected = Vec::with_capacity(examples.len());
            for e in &examples {
                same_features(&vader, &e.sentence, e.target.clone(), &e.others);
                let r = reference.score(&vader, &e.sentence, e.target.clone(), &e.others);
                let s = model.score(&vader, &e.sentence, e.target.clone(), &e.others);
                assert_eq!(s, r, "{file}: {}", e.gid);
                expected.push(r);
            }
            let mut batch = Vec::new();
            let mut shared = 0;
            for (sentence, mentions) in sentences(&examples) {
                shared += usize::from(same_sentence_features(&vader, sentence, &mentions));
                let sc = vader.polarity_scores(sentence).compound;
                model.score_sentence(&vader, sentence, sc, &mentions, &mut batch);
            }
            assert_eq!(batch.len(), expected.len());
            for ((b, r), e) in batch.iter().zip(&expected).zip(&examples) {
                assert_eq!(b, r, "{file}: {}", e.gid);
            }
            // Most sentences take the shared view; the rest exercise the per-mention one.
            println!("{file}: {shared} of {} sentences shared", sentences(&examples).len());
        }
    }

    /// The shipped hash lookup differs from the exact one only where a name hash collides, and
    /// never in a label on NewsMTSC.
    #[test]
    fn shipped_lookup_differs_only_by_hash_collisions() {
        let vader = Vader::embedded();
        let model = TargetModel::embedded();
        let reference = ReferenceModel::new(&model);
        let mut differ = 0;
        for file in ["devtest_rw.jsonl", "devtest_mt.jsonl", "train.jsonl"] {
            for e in &newsmtsc(file) {
                let shipped = reference.score_shipped(&vader, &e.sentence, e.target.clone(), &e.others);
                let exact = reference.score(&vader, &e.sentence, e.target.clone(), &e.others);
                assert_eq!(shipped.label, exact.label, "{file}: {}", e.gid);
                if shipped != exact {
                    differ += 1;
                    let f = features(&vader, &e.sentence, e.target.clone(), &e.others);
                    assert!(f.iter().any(|(k, _)| reference.collides(k)), "{file}: {}", e.gid);
                }
            }
        }
        assert_eq!(differ, 1, "with the weights trained on NewsMTSC and real mentions");
        assert_eq!(feature_hash("L2:“_if"), feature_hash("L2:“_as"));
    }

    /// Explanations list the same features and contributions as the reference's features.
    #[test]
    fn explain_matches_reference_features() {
        let vader = Vader::embedded();
        let model = TargetModel::embedded();
        for e in newsmtsc("devtest_mt.jsonl").iter().take(300) {
            let mut hits: FxHashMap<String, f64> = FxHashMap::default();
            for (k, v) in features(&vader, &e.sentence, e.target.clone(), &e.others) {
                if model.weights(&k).is_some() {
                    *hits.entry(k).or_insert(0.0) += v;
                }
            }
            let mut want: Vec<(String, f64)> = hits
                .into_iter()
                .map(|(k, v)| {
                    let w = model.weights(&k).unwrap();
                    (k, v * (w[2] - w[0]))
                })
                .filter(|(_, c)| *c != 0.0)
                .collect();
            want.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then_with(|| a.0.cmp(&b.0)));
            assert_eq!(model.explain(&vader, &e.sentence, e.target.clone(), &e.others), want, "{}", e.gid);
        }
    }

    /// A sentence, a target span and other spans.
    type Case<'a> = (&'a str, Range<usize>, &'a [Range<usize>]);

    #[test]
    #[allow(clippy::reversed_empty_ranges)] // reversed spans are exactly the odd input tested
    #[allow(clippy::single_range_in_vec_init)] // one-span lists of others are intended
    fn odd_spans_match_the_reference() {
        let vader = Vader::embedded();
        let cases: &[Case] = &[
            ("Trump's aides praised Obama's wife.", 0..5, &[22..27]),
            ("Trump’s aides praised Obama’s wife.", 0..5, &[24..29]),
            ("The pro-Russian rebels hate the anti-American U.S.-led coalition.", 8..15, &[32..40, 46..50]),
            ("The pro-Russian rebels hate the anti-American U.S.-led coalition.", 4..7, &[8..15]),
            ("Doe's friend, O'Neill, didn't go.", 0..3, &[14..21]),
            ("Doe's friend, O'Neill, didn't go.", 16..21, &[0..3]),
            ("Doe's friend, O'Neill, didn't go.", 2..4, &[3..9]),
            ("“Zoë” praised Müller’s 3rd book.", 3..6, &[17..24]),
            ("“Zoë” praised Müller’s 3rd book.", 17..23, &[3..6]),
            ("abc", 1..2, &[0..1, 2..3]),
            ("abc def", 1..1, &[]),
            ("abc def", 3..3, &[]),
            ("a b", 2..1, &[0..1]),
            ("", 0..0, &[]),
            ("Merkel and Macron and Merkel met.", 0..6, &[11..17, 22..28, 0..6]),
        ];
        for (s, t, o) in cases {
            same_features(&vader, s, t.clone(), o);
            let mut all = vec![t.clone()];
            all.extend(o.iter().cloned());
            same_sentence_features(&vader, s, &all);
        }
    }

    /// Mentions ending before a possessive "'s" take the shared view and still get the
    /// reference's features (the target's token ends at the stem, "'s" follows it and counts in
    /// the negation scope); other cuts still take the per-mention view.
    #[test]
    fn possessive_cuts_share_the_view_and_match_the_reference() {
        let vader = Vader::embedded();
        let shared: &[(&str, &[Range<usize>])] = &[
            ("Trump's aides praised Obama's wife.", &[0..5, 22..27]),
            ("Donald Trump’s not good, Obama's friends said.", &[0..12, 27..32]),
            ("Not one of MERKEL'S allies, but Macron's, said no.", &[11..17, 32..38]),
            ("Doe's friend, O'Neill, didn't go.", &[0..3, 14..21]),
            ("“Zoë” praised Müller’s 3rd book.", &[3..7, 19..26]),
        ];
        for (s, mentions) in shared {
            assert!(same_sentence_features(&vader, s, mentions), "{s:?} should share the view");
        }
        let not_shared: &[(&str, &[Range<usize>])] = &[
            ("The pro-Russian rebels hate the anti-American U.S.-led coalition.", &[8..15, 32..40]),
            ("Doe's friend, O'Neill, didn't go.", &[0..2, 14..21]),
            ("Trump's aides praised Obama's wife.", &[0..6, 22..27]),
        ];
        for (s, mentions) in not_shared {
            assert!(!same_sentence_features(&vader, s, mentions), "{s:?} cannot share the view");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
        /// Any text and any spans (mid-word, empty, reversed, overlapping, out of range): the
        /// same features as the reference.
        #[test]
        fn any_input_matches_the_reference(
            words in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Trump", "Trump's", "Doe’s", "O'Neill", "don't", "pro-Russian", "U.S.", "said", "not",
                    "good", "bad", "but", "and", "by", "accused", "according", "to", "“", "”", "\"", "'", "’",
                    ",", ".", "-", "—", "Zoë", "MÜLLER", "3rd", "1990s", "great", "worst", "praised", "who",
                    "attacked", "İstanbul", "😀", " ", "  ", "'s", "n't", "however",
                ]),
                0..24,
            ),
            glue in proptest::collection::vec(proptest::bool::ANY, 24),
            spans in proptest::collection::vec((0usize..160, 0usize..40), 1..5),
        ) {
            let mut s = String::new();
            for (i, w) in words.iter().enumerate() {
                if i > 0 && !glue[i] {
                    s.push(' ');
                }
                s.push_str(w);
            }
            let spans: Vec<Range<usize>> = spans.iter().map(|&(a, l)| a..a + l).collect();
            let (vader, model) = engines();
            same_features(vader, &s, spans[0].clone(), &spans[1..]);
            same_sentence_features(vader, &s, &spans);
            // Batch scoring equals one-at-a-time scoring, whatever the spans.
            let mut batch = Vec::new();
            model.score_sentence(vader, &s, vader.polarity_scores(&s).compound, &spans, &mut batch);
            for (i, b) in batch.iter().enumerate() {
                let others: Vec<_> = spans.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, m)| m.clone()).collect();
                prop_assert_eq!(*b, model.score(vader, &s, spans[i].clone(), &others));
            }
        }
    }
}
