//! Feature extraction for the target-dependent sentiment model.
//!
//! One routine, [`extract`], serves training, scoring and `explain`, so the features a model was
//! trained on are exactly those it is scored with. It tokenizes the sentence once into a reused
//! [`Scratch`] (no allocation per token once the buffers have grown) and reports each feature as a
//! `(name, value)` pair to a callback; the name is built in a reused `String`.
//!
//! Feature families (prefix before the first `:`), and why each is there:
//! - `bias` — class prior.
//! - `S:w` — every word of the sentence outside the target: sentence-level tone is the strongest
//!   single signal in news, since most sentences are about one person.
//!   Each weighs 3/√(words in the sentence) so long sentences do not drown the rest.
//! - `CL:w` / `CR:w` — words of the target's clause, left / right of it; and `L1:w`, `R1:w`,
//!   `L2:w_w`, `R2:w_w` for the adjacent words: the verb right after a mention ("X slammed") or
//!   before it ("accused X", "by X") decides whether the mention is agent or object of a cue.
//! - `T:w` — words of the mention itself (a pronoun target, a title like "President").
//! - `v:*` — VADER valences of words (negated by a preceding negator, as VADER does), summed by
//!   scope: whole sentence, same clause, left/right in the clause, near (distance-weighted),
//!   after a contrast word, inside quotes, in the predicate right after the target (agent) or just
//!   before it (object), between the target and another actor. They give the model the lexicon's
//!   knowledge for words too rare to learn from 8,700 training mentions.
//! - `c:*` — VADER compound of the whole sentence and of the target's clause.
//! - `q:*` — the target is inside a quotation, or is the speaker of one ("..., X said").
//! - `k:*` — contrast ("but", "however") before or after the target.
//! - `o:*` — other actors in the sentence and whether the target comes first.

use std::ops::Range;

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

#[cfg(test)]
mod tests {
    use super::*;

    fn feats(sentence: &str, target: Range<usize>, others: &[Range<usize>]) -> Vec<(String, f64)> {
        let vader = Vader::embedded();
        let mut s = Scratch::default();
        let mut out = Vec::new();
        extract(&mut s, &vader, sentence, target, others, &mut |k, v| out.push((k.to_string(), v)));
        out
    }

    fn has(f: &[(String, f64)], name: &str) -> bool {
        f.iter().any(|(k, _)| k == name)
    }

    #[test]
    fn windows_roles_and_speaker() {
        let s = "Critics accused Jane Doe’s aides of lying, Bob Smith said.";
        let t = s.find("Jane Doe").unwrap();
        let o = s.find("Bob Smith").unwrap();
        let (bob, jane) = (o..o + 9, t..t + 8);
        let f = feats(s, jane.clone(), std::slice::from_ref(&bob));
        assert!(has(&f, "L1:accused"), "{f:?}");
        assert!(has(&f, "R1:'s"), "{f:?}");
        assert!(has(&f, "T:jane"));
        assert!(has(&f, "S:<actor>") || !has(&f, "S:bob"));
        assert!(!has(&f, "S:bob"));
        assert!(has(&f, "o:target_first"));
        let f = feats(s, bob, std::slice::from_ref(&jane));
        assert!(has(&f, "q:speaker"), "{f:?}");
        assert!(has(&f, "R1:said"));
    }

    #[test]
    fn negation_flips_valence() {
        let f = feats("Smith is not good.", 0..5, &[]);
        let neg: f64 = f.iter().filter(|(k, _)| k == "v:sent-").map(|(_, v)| *v).sum();
        assert!(neg < 0.0, "{f:?}");
        assert!(!has(&f, "v:sent+"));
    }

    #[test]
    #[allow(clippy::reversed_empty_ranges)] // reversed spans are exactly the odd input tested
    fn odd_input_does_not_panic() {
        let cases: &[(&str, Range<usize>)] = &[
            ("", 0..0),
            ("", 3..9),
            ("Zoë", 1..2),
            ("Zoë wins", 8..8),
            ("“Müller” – “no”", 3..9),
            ("a b", 2..1),
            ("!!! ??? …", 0..3),
        ];
        for (s, r) in cases {
            let f = feats(s, r.clone(), &[0..1, 5..200]);
            assert!(f.iter().all(|(_, v)| v.is_finite()));
            assert!(has(&f, "bias"));
        }
    }
}
