//! Feature extraction for the target-dependent sentiment model.
//!
//! One routine, [`Scratch::mention`], serves training, scoring and `explain`, so the features a
//! model was trained on are exactly those it is scored with. It reports each feature to a
//! [`Sink`] as a *template plus word ids*, not as a name: scoring looks the ids up in integer
//! tables built when the model is loaded, while training and tests use [`extract`], whose sink
//! spells the same features out as names (`S:said`, `L2:<actor>_said`, `v:clause-`, ...), the
//! names of the weights file.
//!
//! The work is split by what it depends on. [`Scratch::prepare`] runs once per sentence: it
//! tokenizes, lowercases, finds each word's [`Slot`] in the model's [`Vocab`] (its id, the rule
//! flags of its form — negator, clause opener, speech verb, ... — and its one-word features;
//! unknown words get [`UNKNOWN`]) and looks up VADER valences. [`Scratch::share`] then builds the
//! token view all mentions of the sentence can use (every mention collapsed into one token, and
//! valences negated, clauses and quotes marked), so [`Scratch::mention_shared`] only marks which
//! mention is the target; when a mention's span cuts through a word, [`Scratch::mention`] builds
//! that mention's own view instead (re-tokenizing only that word), which is also the path of
//! single-mention callers. The caller passes the sentence's VADER compound in, and the clause
//! compound is computed once per clause span. No string is built and nothing is allocated per
//! token once the reused buffers have grown.
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

use rustc_hash::FxHashMap;

use crate::tone::Vader;

/// How far (in tokens) to look for the predicate after / the verb before the target.
pub(crate) const WINDOW: usize = 4;
/// Tokens after a negator whose valence VADER flips.
const NEGATION_SCOPE: usize = 3;
/// VADER's damping of a negated valence.
const NEGATION_FACTOR: f64 = -0.74;
/// Valences are divided by this so that value features stay near [-1, 1] like binary ones.
const VALENCE_SCALE: f64 = 4.0;

/// Word id of a word that is not in the [`Vocab`] (no feature of the model has it).
pub(crate) const UNKNOWN: u32 = u32::MAX;

macro_rules! fixed_features {
    ($($id:ident = $name:literal,)*) => {
        /// Features without a word part. The discriminant indexes [`FIXED_NAMES`]; a valence
        /// scope's `…Pos` feature is directly followed by its `…Neg` one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u8)]
        #[allow(dead_code)] // buckets and `…Neg` features are reached by offset, not by name
        pub(crate) enum F {
            $($id,)*
        }
        /// Names of the [`F`] features, in discriminant order.
        pub(crate) const FIXED_NAMES: &[&str] = &[$($name,)*];
    };
}

fixed_features! {
    Bias = "bias",
    CSent = "c:sent",
    CClause = "c:clause",
    // compound buckets, in `compound_bucket` order
    CbSentMM = "cb:sent--",
    CbSentM = "cb:sent-",
    CbSent0 = "cb:sent0",
    CbSentP = "cb:sent+",
    CbSentPP = "cb:sent++",
    CbClauseMM = "cb:clause--",
    CbClauseM = "cb:clause-",
    CbClause0 = "cb:clause0",
    CbClauseP = "cb:clause+",
    CbClausePP = "cb:clause++",
    TMissing = "t:missing",
    L1Start = "L1:<start>",
    R1End = "R1:<end>",
    RoleByAgent = "role:by_agent",
    QInside = "q:inside",
    QSpeaker = "q:speaker",
    KTargetAfter = "k:target_after",
    KTargetBefore = "k:target_before",
    OAny = "o:any",
    OTargetFirst = "o:target_first",
    OTargetSecond = "o:target_second",
    PFirst = "p:first",
    VSentPos = "v:sent+",
    VSentNeg = "v:sent-",
    VClausePos = "v:clause+",
    VClauseNeg = "v:clause-",
    VLeftPos = "v:left+",
    VLeftNeg = "v:left-",
    VRightPos = "v:right+",
    VRightNeg = "v:right-",
    VNearPos = "v:near+",
    VNearNeg = "v:near-",
    VAgentPos = "v:agent+",
    VAgentNeg = "v:agent-",
    VObjectPos = "v:object+",
    VObjectNeg = "v:object-",
    VByAgentPos = "v:by_agent+",
    VByAgentNeg = "v:by_agent-",
    VSpkQuotePos = "v:spk_quote+",
    VSpkQuoteNeg = "v:spk_quote-",
    VSpkRestPos = "v:spk_rest+",
    VSpkRestNeg = "v:spk_rest-",
    VQuotedPos = "v:quoted+",
    VQuotedNeg = "v:quoted-",
    VContrastTailPos = "v:contrast_tail+",
    VContrastTailNeg = "v:contrast_tail-",
    VContrastTailOtherPos = "v:contrast_tail_other+",
    VContrastTailOtherNeg = "v:contrast_tail_other-",
    VBetweenTfPos = "v:between_tf+",
    VBetweenTfNeg = "v:between_tf-",
    VBetweenTsPos = "v:between_ts+",
    VBetweenTsNeg = "v:between_ts-",
}

/// Feature templates with one word: the name is the prefix followed by the word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tpl {
    S,
    Cl,
    Cr,
    L1,
    R1,
    T,
}

impl Tpl {
    pub(crate) const ALL: [Tpl; 6] = [Tpl::S, Tpl::Cl, Tpl::Cr, Tpl::L1, Tpl::R1, Tpl::T];

    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Tpl::S => "S:",
            Tpl::Cl => "CL:",
            Tpl::Cr => "CR:",
            Tpl::L1 => "L1:",
            Tpl::R1 => "R1:",
            Tpl::T => "T:",
        }
    }
}

/// Feature templates with two words: prefix, first word, `_`, second word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tpl2 {
    L2,
    R2,
}

impl Tpl2 {
    pub(crate) const ALL: [Tpl2; 2] = [Tpl2::L2, Tpl2::R2];

    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Tpl2::L2 => "L2:",
            Tpl2::R2 => "R2:",
        }
    }
}

/// Row index meaning "no such feature" in the model's lookup tables.
pub(crate) const NO_ROW: u32 = u32::MAX;

/// Set in [`Slot::flags`] when the word has an `S:` feature, whose weights are then in
/// [`Slot::s`].
const HAS_S: u16 = 1 << 15;

/// One word of a [`Vocab`]: what scoring needs about a token, in one cache line.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct Slot {
    /// [`short_key`] of the word (0 in an empty or long-word slot).
    key: u128,
    /// Weights of the word's `S:` feature when `flags & HAS_S`: every word of every sentence
    /// looks it up, so they sit here rather than behind a row number.
    pub(crate) s: [f64; 3],
    /// Weights-file rows of the word's `S:`, `CL:`, `CR:`, `L1:`, `R1:` features ([`Tpl`]
    /// order), [`NO_ROW`] when absent.
    pub(crate) rows: [u32; 5],
    /// Rule flags that depend on the whole word (see [`word_flags`]), and [`HAS_S`].
    flags: u16,
}

impl Slot {
    const EMPTY: Slot = Slot { key: 0, s: [0.0; 3], rows: [NO_ROW; 5], flags: 0 };

    /// True when the word has an `S:` feature (weights in [`Slot::s`]).
    #[inline]
    pub(crate) fn has_s(&self) -> bool {
        self.flags & HAS_S != 0
    }
}

/// Collects the words of a [`Vocab`] with their feature rows, then lays them out.
pub(crate) struct VocabBuilder {
    /// Per word, in insertion order (so the layout is deterministic): one-word feature rows by
    /// [`Tpl`], and the `S:` weights.
    words: FxHashMap<Box<str>, usize>,
    entries: Vec<WordEntry>,
}

/// A word being collected: its one-word feature rows by [`Tpl`] and its `S:` weights.
struct WordEntry {
    word: Box<str>,
    rows: [u32; 6],
    s: Option<[f64; 3]>,
}

impl VocabBuilder {
    /// A builder holding the words the rules test.
    pub(crate) fn new() -> VocabBuilder {
        let mut b = VocabBuilder { words: FxHashMap::default(), entries: Vec::new() };
        for list in [NEGATORS, CONTRAST, CLAUSE_WORDS, SPEECH_VERBS, BOUNDARY_PUNCT, &["by", "according"]] {
            for w in list {
                b.add(w);
            }
        }
        b
    }

    /// Adds `word` (once).
    pub(crate) fn add(&mut self, word: &str) -> usize {
        if let Some(&i) = self.words.get(word) {
            return i;
        }
        let i = self.entries.len();
        self.words.insert(word.into(), i);
        self.entries.push(WordEntry { word: word.into(), rows: [NO_ROW; 6], s: None });
        i
    }

    /// Records that `word`'s feature for template `t` is row `row` with weights `w`.
    pub(crate) fn set(&mut self, word: &str, t: Tpl, row: u32, w: [f64; 3]) {
        let i = self.add(word);
        let e = &mut self.entries[i];
        e.rows[t as usize] = row;
        if t == Tpl::S {
            e.s = Some(w);
        }
    }

    /// Lays the words out: words of up to [`SHORT`] bytes in an open-addressing table of at most
    /// half load (linear probing; a probe reads one tag byte, and a hit one slot), longer ones
    /// after it. Returns the vocabulary and the id of each word, by the index [`add`] gave it.
    ///
    /// [`add`]: VocabBuilder::add
    pub(crate) fn build(self) -> (Vocab, Vec<u32>) {
        let short = self.entries.iter().filter(|e| short_key(&e.word).is_some()).count();
        let cap = (2 * short).next_power_of_two().max(16);
        let mut v = Vocab {
            ctrl: vec![0; cap],
            slots: vec![Slot::EMPTY; cap],
            mask: cap - 1,
            long: FxHashMap::default(),
            t_rows: FxHashMap::default(),
        };
        let mut ids = Vec::with_capacity(self.entries.len());
        for WordEntry { word, rows, s } in self.entries {
            let mut slot = Slot { key: 0, s: s.unwrap_or([0.0; 3]), rows: [NO_ROW; 5], flags: word_flags(&word) };
            slot.rows.copy_from_slice(&rows[..5]);
            if s.is_some() {
                slot.flags |= HAS_S;
            }
            let id = match short_key(&word) {
                Some(key) => {
                    slot.key = key;
                    let (tag, mut i) = probe_start(key, v.mask);
                    while v.ctrl[i] != 0 {
                        i = (i + 1) & v.mask;
                    }
                    v.ctrl[i] = tag;
                    v.slots[i] = slot;
                    i
                }
                None => {
                    v.slots.push(slot);
                    v.long.insert(word, v.slots.len() as u32 - 1);
                    v.slots.len() - 1
                }
            };
            if rows[Tpl::T as usize] != NO_ROW {
                v.t_rows.insert(id as u32, rows[Tpl::T as usize]);
            }
            ids.push(id as u32);
        }
        (v, ids)
    }
}

/// The words a model has features for, plus the words the rules test (negators, clause
/// openers, speech verbs, ...). A word's id is its [`Slot`]'s index, and the slot holds its rule
/// flags, its `S:` weights and its other one-word feature rows: one lookup per token tells
/// everything. Built by [`VocabBuilder`] from the weights file's feature names when the model is
/// loaded; deterministic (no random hash seed).
#[derive(Debug, Clone)]
pub(crate) struct Vocab {
    /// Per table slot: 0 when empty, else `0x80 | 7 hash bits` of its word.
    ctrl: Vec<u8>,
    /// The table (`mask + 1` slots), then the long words' slots.
    slots: Vec<Slot>,
    mask: usize,
    /// Words over [`SHORT`] bytes → slot index.
    long: FxHashMap<Box<str>, u32>,
    /// Rows of `T:` features by word id.
    t_rows: FxHashMap<u32, u32>,
}

/// Longest word kept inline in [`Vocab`]'s table (the last key byte holds the length).
const SHORT: usize = 15;

/// The bytes of a word of at most [`SHORT`] bytes, zero-padded, little-endian, with its length
/// in the last byte (so "a" and "a\0" differ).
#[inline]
fn short_key(w: &str) -> Option<u128> {
    let b = w.as_bytes();
    let n = b.len();
    if n > SHORT {
        return None;
    }
    let (lo, hi) = if n <= 8 { (le_bytes(b), 0) } else { (le_bytes(&b[..8]), le_bytes(&b[8..])) };
    Some((u128::from(hi | ((n as u64) << 56)) << 64) | u128::from(lo))
}

/// Up to 8 bytes as a little-endian integer, zero-extended (overlapping loads, no loop).
#[inline]
fn le_bytes(b: &[u8]) -> u64 {
    let n = b.len();
    let u32_at = |k: usize| u64::from(u32::from_le_bytes([b[k], b[k + 1], b[k + 2], b[k + 3]]));
    match n {
        0 => 0,
        1..=3 => u64::from(b[0]) | (u64::from(b[n / 2]) << (8 * (n / 2))) | (u64::from(b[n - 1]) << (8 * (n - 1))),
        4..=7 => u32_at(0) | (u32_at(n - 4) << (8 * (n - 4))),
        _ => u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
    }
}

/// The bytes of the word `lower[lo..hi]` zero-padded to 16, little-endian, when it has at most
/// [`SHORT`] bytes and 16 bytes can be read from `lo` (the tokenizer pads its buffer): one load
/// and a mask, computed once per word for both the vocabulary and the VADER lexicon.
#[inline]
fn padded(lower: &str, lo: usize, hi: usize) -> Option<u128> {
    let n = hi.checked_sub(lo)?;
    if n > SHORT {
        return None;
    }
    let chunk = lower.as_bytes().get(lo..lo + 16)?;
    let mut k = [0u8; 16];
    k.copy_from_slice(chunk);
    // A table mask, not `(1 << 8n) - 1`: a 128-bit shift by a variable amount is a branch and
    // several instructions, paid for every token of every scored sentence.
    Some(u128::from_le_bytes(k) & PAD_MASK[n])
}

/// `PAD_MASK[n]` keeps the first `n` bytes of a little-endian 16-byte load ([`padded`]).
static PAD_MASK: [u128; SHORT + 1] = {
    let mut mask = [0u128; SHORT + 1];
    let mut n = 1;
    while n <= SHORT {
        mask[n] = u128::MAX >> (128 - 8 * n);
        n += 1;
    }
    mask
};

/// Tag byte and first table index of a key.
#[inline]
fn probe_start(key: u128, mask: usize) -> (u8, usize) {
    let (lo, hi) = (key as u64, (key >> 64) as u64);
    let mut h = (lo ^ hi.rotate_left(29).wrapping_mul(0x9e37_79b9_7f4a_7c15)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 32;
    (0x80 | (h >> 57) as u8, h as usize & mask)
}

impl Vocab {
    /// The shared rule-words-only vocabulary, for extraction without a model.
    pub(crate) fn rules_only() -> &'static Vocab {
        static RULES: std::sync::OnceLock<Vocab> = std::sync::OnceLock::new();
        RULES.get_or_init(|| VocabBuilder::new().build().0)
    }

    /// The id of `word`, or [`UNKNOWN`].
    #[inline]
    pub(crate) fn id(&self, word: &str) -> u32 {
        match short_key(word) {
            Some(key) => self.id_of_key(key),
            None => self.long.get(word).copied().unwrap_or(UNKNOWN),
        }
    }

    /// The id of the word `lower[lo..hi]`, whose [`padded`] bytes are `bytes` if it has them.
    #[inline]
    fn id_in(&self, lower: &str, lo: usize, hi: usize, bytes: Option<u128>) -> u32 {
        match bytes {
            Some(bytes) => self.id_of_key(bytes | (((hi - lo) as u128) << 120)),
            None => lower.get(lo..hi).map_or(UNKNOWN, |w| self.id(w)),
        }
    }

    #[inline]
    fn id_of_key(&self, key: u128) -> u32 {
        let (tag, mut i) = probe_start(key, self.mask);
        // The table is at most half full, so a probe meets an empty slot.
        loop {
            match self.ctrl.get(i) {
                Some(&c) if c == tag && self.slots[i].key == key => return i as u32,
                Some(0) | None => return UNKNOWN,
                Some(_) => i = (i + 1) & self.mask,
            }
        }
    }

    /// The slot of an id (None for [`UNKNOWN`]).
    #[inline]
    pub(crate) fn slot(&self, id: u32) -> Option<&Slot> {
        self.slots.get(id as usize)
    }

    /// The whole-word rule flags of an id (0 for [`UNKNOWN`]).
    #[inline]
    fn flags(&self, id: u32) -> u16 {
        self.slot(id).map_or(0, |s| s.flags & !HAS_S)
    }

    /// Row of the word's `T:` feature.
    #[inline]
    pub(crate) fn t_row(&self, id: u32) -> u32 {
        self.t_rows.get(&id).copied().unwrap_or(NO_ROW)
    }
}

/// A word part of a feature: its [`Vocab`] id and its text (the normalised token, or
/// `<actor>` / `<target>`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Word<'a> {
    pub(crate) id: u32,
    /// The normalised forms the word points into, and its range there (`<actor>` and
    /// `<target>` have `special` instead), so scoring never slices a string it does not read.
    lower: &'a str,
    lo: usize,
    hi: usize,
    special: Option<&'static str>,
}

impl<'a> Word<'a> {
    /// The word as written in feature names.
    pub(crate) fn text(&self) -> &'a str {
        match self.special {
            Some(s) => s,
            None => self.lower.get(self.lo..self.hi).unwrap_or(""),
        }
    }
}

/// Receives the features of one mention. The same feature may be reported more than once
/// (values add up).
pub(crate) trait Sink {
    /// A feature without word part, `f` indexing [`FIXED_NAMES`].
    fn fixed(&mut self, f: usize, value: f64);
    /// `t.prefix()` + `w`.
    fn word(&mut self, t: Tpl, w: Word<'_>, value: f64);
    /// `t.prefix()` + `a` + `_` + `b`.
    fn pair(&mut self, t: Tpl2, a: Word<'_>, b: Word<'_>, value: f64);
}

/// Spells features out as names for a callback (training, tests).
struct Names<'a> {
    key: &'a mut String,
    emit: &'a mut dyn FnMut(&str, f64),
}

impl Sink for Names<'_> {
    fn fixed(&mut self, f: usize, value: f64) {
        (self.emit)(FIXED_NAMES[f], value);
    }

    fn word(&mut self, t: Tpl, w: Word<'_>, value: f64) {
        self.key.clear();
        self.key.push_str(t.prefix());
        self.key.push_str(w.text());
        (self.emit)(self.key, value);
    }

    fn pair(&mut self, t: Tpl2, a: Word<'_>, b: Word<'_>, value: f64) {
        self.key.clear();
        self.key.push_str(t.prefix());
        self.key.push_str(a.text());
        self.key.push('_');
        self.key.push_str(b.text());
        (self.emit)(self.key, value);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    Punct,
    /// The target mention, collapsed into one token.
    Target,
    /// Another actor's mention, collapsed into one token.
    Actor,
}

// What the rules need to know about a token's normalised form, computed once per sentence.
const NEGATOR: u16 = 1;
const OPENS_CLAUSE: u16 = 1 << 1;
const BOUNDARY: u16 = 1 << 2;
const CONTRAST_WORD: u16 = 1 << 3;
const SPEECH: u16 = 1 << 4;
const BY: u16 = 1 << 5;
const ACCORDING: u16 = 1 << 6;
/// Ends with "ed" or "en" (a participle before "by").
const PARTICIPLE: u16 = 1 << 7;
const QUOTE_OPEN: u16 = 1 << 8;
const QUOTE_CLOSE: u16 = 1 << 9;
const QUOTE_TOGGLE: u16 = 1 << 10;

/// A word or punctuation mark of the sentence, as the rules see it.
#[derive(Debug, Clone, Copy)]
struct Unit {
    /// Range of the normalised (lowercase) form in `Scratch::lower`.
    lo: usize,
    hi: usize,
    id: u32,
    flags: u16,
    /// Raw VADER lexicon valence of a word, 0 when none (or for punctuation).
    lex: f64,
}

/// One token of the sentence, independent of which mention is the target.
#[derive(Debug, Clone, Copy)]
struct Raw {
    /// Byte range in the sentence.
    start: usize,
    end: usize,
    is_word: bool,
    /// The whole token (the form a target's `T:` feature uses).
    full: Unit,
    /// A possessive word split into its stem and "'s" (`Trump's` feeds `trump` and `'s`).
    split: Option<(Unit, Unit)>,
}

/// One token as one mention sees it.
#[derive(Debug, Clone, Copy)]
struct Tok {
    kind: Kind,
    /// Byte range in the sentence.
    start: usize,
    end: usize,
    /// Range of the normalised form in `Scratch::lower` (empty for the target and actors).
    lo: usize,
    hi: usize,
    id: u32,
    flags: u16,
    lex: f64,
    /// VADER valence after negation, 0 when none.
    valence: f64,
    clause: u32,
    in_quote: bool,
}

impl Tok {
    fn mention(kind: Kind, start: usize, end: usize, id: u32) -> Tok {
        Tok { kind, start, end, lo: 0, hi: 0, id, flags: 0, lex: 0.0, valence: 0.0, clause: 0, in_quote: false }
    }

    fn unit(kind: Kind, start: usize, end: usize, u: &Unit) -> Tok {
        Tok {
            kind,
            start,
            end,
            lo: u.lo,
            hi: u.hi,
            id: u.id,
            flags: u.flags,
            lex: u.lex,
            valence: 0.0,
            clause: 0,
            in_quote: false,
        }
    }
}

/// Where one mention sits in the shared view.
#[derive(Debug, Clone, Copy, Default)]
struct SharedAt {
    /// Its token.
    tok: Option<usize>,
    /// The range of its words in `Scratch::shared_words`.
    w0: usize,
    w1: usize,
    /// When the mention ends inside a possessive word ("Trump" of "Trump's"): that word's raw
    /// token and the mention's end (see [`Scratch::share`]).
    possessive: Option<(usize, usize)>,
}

/// True when the mention ending at byte `e` inside the possessive word `raw` leaves exactly its
/// "'s" (or "’s") outside: then the per-mention view splits the word into the stem, the
/// mention's last word, and "'s", the stem and "'s" units [`Raw::split`] holds.
fn possessive_cut(sentence: &str, raw: &Raw, e: usize) -> bool {
    let tail = sentence.as_bytes().get(e..raw.end).unwrap_or(&[]);
    raw.is_word
        && raw.split.is_some()
        && (tail == b"'s" || tail == b"'S" || tail == "\u{2019}s".as_bytes() || tail == "\u{2019}S".as_bytes())
}

/// [`BYTE_CLASS`] bit: an ASCII letter or digit (`u8::is_ascii_alphanumeric`).
const B_ALNUM: u8 = 1;
/// [`BYTE_CLASS`] bit: an ASCII digit.
const B_DIGIT: u8 = 2;
/// [`BYTE_CLASS`] bit: ASCII whitespace as `char::is_whitespace` has it (with the vertical tab,
/// which `u8::is_ascii_whitespace` leaves out).
const B_SPACE: u8 = 4;

/// Class of each byte for [`Scratch::tokenize`]: one load per byte of every scored sentence
/// instead of two or three range tests. Non-ASCII bytes have no bit.
static BYTE_CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let byte = b as u8;
        class[b] = if byte.is_ascii_digit() {
            B_ALNUM | B_DIGIT
        } else if byte.is_ascii_alphanumeric() {
            B_ALNUM
        } else if matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
            B_SPACE
        } else {
            0
        };
        b += 1;
    }
    class
};

/// Reusable buffers for one thread's feature extraction: the prepared sentence and the current
/// mention's view of it.
#[derive(Default)]
pub(crate) struct Scratch {
    /// Normalised forms: the sentence's tokens up to `base_len`, then those of the current
    /// mention's re-tokenized word, if any.
    lower: String,
    base_len: usize,
    raws: Vec<Raw>,
    actor_id: u32,
    target_id: u32,
    toks: Vec<Tok>,
    /// Normalised words of the target mention.
    target_words: Vec<Unit>,
    /// The view shared by all mentions of the sentence (see [`Scratch::share`]), their words,
    /// and per mention where it sits in them.
    shared: Vec<Tok>,
    shared_words: Vec<Unit>,
    shared_at: Vec<SharedAt>,
    /// Clause spans of this sentence whose VADER compound is known.
    clauses: Vec<(usize, usize, f64)>,
    key: String,
    /// Sentence whose compound is cached in `sentence_compound`, for callers that score one
    /// mention at a time (the pipeline passes the compound in instead).
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

/// Punctuation that opens a clause.
const BOUNDARY_PUNCT: &[&str] = &[",", ";", ":", "(", ")", "—", "–", "-", "“", "”", "\"", "'", "?", "!", "."];

/// The rule flags that depend on list membership of the whole normalised form. The rules test
/// each flag only on the token kinds they apply to (negators, clause words and contrast on words,
/// boundaries on punctuation), so one set of flags serves both kinds.
fn word_flags(w: &str) -> u16 {
    let mut f = 0;
    if NEGATORS.contains(&w) {
        f |= NEGATOR;
    }
    if CLAUSE_WORDS.contains(&w) {
        f |= OPENS_CLAUSE;
    }
    if CONTRAST.contains(&w) {
        f |= CONTRAST_WORD;
    }
    if SPEECH_VERBS.contains(&w) {
        f |= SPEECH;
    }
    if BOUNDARY_PUNCT.contains(&w) {
        f |= BOUNDARY;
    }
    if w == "by" {
        f |= BY;
    }
    if w == "according" {
        f |= ACCORDING;
    }
    f
}

fn overlaps(a: &Range<usize>, s: usize, e: usize) -> bool {
    // A zero-width range "overlaps" a token that contains its position, so an empty target span
    // still selects a token.
    if a.start == a.end {
        return s <= a.start && a.start < e;
    }
    a.start < e && s < a.end
}

/// Appends the normalised form of `word` to `lower`: lowercase, curly apostrophes straightened,
/// any word with a digit as `<num>`. Returns its range.
#[inline]
fn push_lower(lower: &mut String, word: &str) -> (usize, usize) {
    let lo = lower.len();
    let (mut digit, mut ascii) = (false, true);
    for &b in word.as_bytes() {
        digit |= b.is_ascii_digit();
        ascii &= b.is_ascii();
    }
    if digit {
        lower.push_str("<num>");
    } else if ascii {
        // Fast path for the common case: one byte in, one byte out.
        lower.push_str(word);
        lower[lo..].make_ascii_lowercase();
        // Words hold only alphanumerics, '-', '.' and apostrophes, so there is no '`' to map.
    } else {
        for c in word.chars() {
            match c {
                '’' | '‘' | '`' => lower.push('\''),
                _ => {
                    for l in c.to_lowercase() {
                        lower.push(l);
                    }
                }
            }
        }
    }
    (lo, lower.len())
}

/// The character at byte `k` of `s` (a char boundary), if any.
#[inline]
fn char_at(s: &str, k: usize) -> Option<char> {
    match s.as_bytes().get(k) {
        Some(&b) if b.is_ascii() => Some(char::from(b)),
        Some(_) => s.get(k..).and_then(|r| r.chars().next()),
        None => None,
    }
}

/// True when the character at byte `k` of `s` exists and is alphanumeric.
#[inline]
fn alnum_at(s: &str, k: usize) -> bool {
    match s.as_bytes().get(k) {
        Some(&b) if b.is_ascii() => b.is_ascii_alphanumeric(),
        Some(_) => s.get(k..).and_then(|r| r.chars().next()).is_some_and(char::is_alphanumeric),
        None => false,
    }
}

/// The token that starts with `c` at byte `i` (not whitespace): its end and whether it is a word.
/// A word is a run of alphanumerics, joined by `'`, `’`, `-` or `.` when an alphanumeric follows
/// ("don't", "anti-war", "U.S"); an apostrophe glued to the previous token (`prev_end == i`)
/// starts one ("Doe" | "'s"). Anything else is one punctuation character. A word never runs
/// across a byte position in `edges` (the target's start and end).
#[inline]
fn scan(s: &str, i: usize, c: char, prev_end: usize, edges: (usize, usize)) -> (usize, bool) {
    let mut end = i + c.len_utf8();
    let is_word = c.is_alphanumeric() || (matches!(c, '\'' | '’') && prev_end == i && alnum_at(s, end));
    if !is_word {
        return (end, false);
    }
    let bytes = s.as_bytes();
    while end < bytes.len() {
        if end == edges.0 || end == edges.1 {
            break;
        }
        let b = bytes[end];
        if b.is_ascii_alphanumeric() {
            end += 1;
            continue;
        }
        let Some(d) = char_at(s, end) else { break };
        let next = end + d.len_utf8();
        if (!b.is_ascii() && d.is_alphanumeric()) || (matches!(d, '\'' | '’' | '-' | '.') && alnum_at(s, next)) {
            end = next;
        } else {
            break;
        }
    }
    (end, true)
}

/// Describes the normalised form `lower[lo..hi]` of a token whose text is `text`, with the
/// flags that need no lookup; [`Unit::look_up`] completes it.
#[inline]
fn unit(lower: &str, (lo, hi): (usize, usize), text: &[u8], is_word: bool) -> Unit {
    // On bytes: the suffixes are ASCII, so a byte-wise match is a character-wise one, and no
    // char-boundary checks are spent.
    let w = lower.as_bytes().get(lo..hi).unwrap_or(&[]);
    let mut flags = 0;
    if w.ends_with(b"n't") {
        flags |= NEGATOR;
    }
    if w.ends_with(b"ed") || w.ends_with(b"en") {
        flags |= PARTICIPLE;
    }
    if !is_word {
        flags |= match text {
            // “ ‘ and ” ’ in UTF-8.
            b"\xe2\x80\x9c" | b"\xe2\x80\x98" => QUOTE_OPEN,
            b"\xe2\x80\x9d" | b"\xe2\x80\x99" => QUOTE_CLOSE,
            b"\"" => QUOTE_TOGGLE,
            _ => 0,
        };
    }
    Unit { lo, hi, id: UNKNOWN, flags, lex: 0.0 }
}

impl Unit {
    /// Sets the vocabulary id and the rule flags of the word's list membership (every listed
    /// rule word is in the vocabulary, so an unknown word has none), and, with `vader`, the
    /// word's lexicon valence.
    // Always inlined: it runs for every token of every scored sentence (three call sites, so
    // the compiler kept it out of line, and the call's prologue and epilogue were an eighth of
    // its instructions).
    #[inline(always)]
    fn look_up(&mut self, lower: &str, vocab: &Vocab, vader: Option<&Vader>) {
        let bytes = padded(lower, self.lo, self.hi);
        self.id = vocab.id_in(lower, self.lo, self.hi, bytes);
        self.flags |= vocab.flags(self.id);
        if let Some(vader) = vader {
            let n = self.hi - self.lo;
            let lex = match bytes {
                Some(b) if n > 0 => vader.valence_padded(b, n),
                _ => vader.valence(&lower[self.lo..self.hi]),
            };
            self.lex = lex.unwrap_or(0.0);
        }
    }
}

impl Raw {
    /// A sentence token from its span, normalised form and lookup-free flags.
    #[inline]
    fn new(lower: &mut String, sentence: &str, span: Range<usize>, is_word: bool) -> Raw {
        let form = push_lower(lower, &sentence[span.clone()]);
        Raw::with_form(lower, sentence, span, form, is_word)
    }

    /// [`Raw::new`] for a token whose normalised form is already `lower[lo..hi]`.
    // Always inlined into the tokenizer, for the reason [`Unit::look_up`] is.
    #[inline(always)]
    fn with_form(lower: &str, sentence: &str, span: Range<usize>, (lo, hi): (usize, usize), is_word: bool) -> Raw {
        let text = sentence.as_bytes().get(span.clone()).unwrap_or(&[]);
        let possessive = is_word && lower.as_bytes().get(lo..hi).is_some_and(|l| l.len() > 2 && l.ends_with(b"'s"));
        let full = unit(lower, (lo, hi), text, is_word);
        let split = possessive.then(|| (unit(lower, (lo, hi - 2), text, true), unit(lower, (hi - 2, hi), text, true)));
        Raw { start: span.start, end: span.end, is_word, full, split }
    }

    /// Vocabulary lookups of the token's forms, and lexicon valences of the word forms that
    /// become tokens (a possessive's parts, else the whole word).
    // Always inlined, like [`Unit::look_up`].
    #[inline(always)]
    fn look_up(&mut self, lower: &str, vocab: &Vocab, vader: &Vader) {
        match &mut self.split {
            Some((stem, s)) => {
                self.full.look_up(lower, vocab, None);
                stem.look_up(lower, vocab, Some(vader));
                s.look_up(lower, vocab, Some(vader));
            }
            None => self.full.look_up(lower, vocab, self.is_word.then_some(vader)),
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

fn compound_bucket(c: f64) -> usize {
    if c <= -0.5 {
        0
    } else if c <= -0.05 {
        1
    } else if c < 0.05 {
        2
    } else if c < 0.5 {
        3
    } else {
        4
    }
}

/// Reports the positive and negative parts of a valence sum as `pos` (`name+`) and `pos + 1`
/// (`name-`).
#[inline]
fn put_valence<S: Sink>(sink: &mut S, pos_feature: F, acc: Acc) {
    if acc.pos != 0.0 {
        sink.fixed(pos_feature as usize, acc.pos / VALENCE_SCALE);
    }
    if acc.neg != 0.0 {
        sink.fixed(pos_feature as usize + 1, acc.neg / VALENCE_SCALE);
    }
}

#[derive(Default, Clone, Copy)]
struct Acc {
    pos: f64,
    neg: f64,
}

impl Acc {
    #[inline]
    fn add(&mut self, v: f64) {
        if v > 0.0 {
            self.pos += v;
        } else {
            self.neg += v;
        }
    }
}

/// The mention's state while its tokens are built.
struct Collapse {
    target_tok: Option<usize>,
    last_other: Option<usize>,
}

impl Scratch {
    /// Tokenizes `sentence` once for all its mentions; `vocab` gives the word ids.
    pub(crate) fn prepare(&mut self, vader: &Vader, vocab: &Vocab, sentence: &str) {
        self.lower.clear();
        self.raws.clear();
        self.clauses.clear();
        self.actor_id = vocab.id("<actor>");
        self.target_id = vocab.id("<target>");
        // The sentence lowercased once (ASCII letters only, which is the whole normalisation of
        // an ASCII token), one shared `<num>`, and room for `Vocab::id_in`'s 16-byte loads: an
        // ASCII token's form is a slice of this; other tokens' forms are appended after it.
        self.lower.push_str(sentence);
        self.lower.make_ascii_lowercase();
        let num = (self.lower.len(), self.lower.len() + 5);
        self.lower.push_str("<num>\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
        self.tokenize(sentence, num);
        // The lookups run in a tight loop of their own: they are independent of each other, so
        // their cache misses overlap instead of waiting in turn behind the tokenizer.
        let Scratch { raws, lower, .. } = self;
        for r in raws.iter_mut() {
            r.look_up(lower, vocab, vader);
        }
        self.base_len = self.lower.len();
    }

    /// The tokenizer of [`scan`] (without edges), on bytes where it can: a token that starts
    /// with an ASCII character (most of them, even in a sentence with curly quotes or dashes) is
    /// scanned byte-wise, decoding only the non-ASCII characters it meets, and is noted as
    /// all-ASCII and as holding a digit on the way; such a token's form is a slice of the
    /// lowercased sentence at the start of `lower` (or `num`). Other tokens go through [`scan`].
    fn tokenize(&mut self, sentence: &str, num: (usize, usize)) {
        let b = sentence.as_bytes();
        let mut prev_end = usize::MAX;
        let mut i = 0;
        while let Some(&c) = b.get(i) {
            if !c.is_ascii() {
                let Some(ch) = char_at(sentence, i) else { break };
                if ch.is_whitespace() {
                    i += ch.len_utf8();
                    continue;
                }
                let (end, is_word) = scan(sentence, i, ch, prev_end, (usize::MAX, usize::MAX));
                prev_end = end;
                let text = &b[i..end];
                let raw = if text.iter().any(u8::is_ascii_digit) {
                    Raw::with_form(&self.lower, sentence, i..end, num, is_word)
                } else if text.is_ascii() {
                    Raw::with_form(&self.lower, sentence, i..end, (i, end), is_word)
                } else {
                    Raw::new(&mut self.lower, sentence, i..end, is_word)
                };
                self.raws.push(raw);
                i = end;
                continue;
            }
            // `char::is_whitespace` on ASCII (which, unlike `u8::is_ascii_whitespace`, includes
            // the vertical tab).
            let class = BYTE_CLASS[usize::from(c)];
            if class & B_SPACE != 0 {
                i += 1;
                continue;
            }
            let is_word = class & B_ALNUM != 0 || (c == b'\'' && prev_end == i && alnum_at(sentence, i + 1));
            let mut end = i + 1;
            let mut digit = class & B_DIGIT != 0;
            let mut ascii = true;
            if is_word {
                // `scan`'s continuation rule, split by the byte's kind (one table load per byte
                // instead of the range tests of `is_ascii_alphanumeric` and `is_ascii_digit`).
                while let Some(&d) = b.get(end) {
                    let class = BYTE_CLASS[usize::from(d)];
                    if class & B_ALNUM != 0 {
                        digit |= class & B_DIGIT != 0;
                        end += 1;
                    } else if d.is_ascii() {
                        if matches!(d, b'\'' | b'-' | b'.') && alnum_at(sentence, end + 1) {
                            end += 1;
                        } else {
                            break;
                        }
                    } else {
                        let Some(ch) = char_at(sentence, end) else { break };
                        let next = end + ch.len_utf8();
                        if ch.is_alphanumeric() || (ch == '’' && alnum_at(sentence, next)) {
                            ascii = false;
                            end = next;
                        } else {
                            break;
                        }
                    }
                }
            }
            prev_end = end;
            let raw = if digit {
                Raw::with_form(&self.lower, sentence, i..end, num, is_word)
            } else if ascii {
                Raw::with_form(&self.lower, sentence, i..end, (i, end), is_word)
            } else {
                Raw::new(&mut self.lower, sentence, i..end, is_word)
            };
            self.raws.push(raw);
            i = end;
        }
    }

    /// One token, with its lookups (for re-tokenized words).
    fn raw(&mut self, vader: &Vader, vocab: &Vocab, sentence: &str, span: Range<usize>, is_word: bool) -> Raw {
        let mut r = Raw::new(&mut self.lower, sentence, span, is_word);
        r.look_up(&self.lower, vocab, vader);
        r
    }

    /// The sentence's whole-text VADER compound, cached while the same sentence comes back.
    pub(crate) fn sentence_compound(&mut self, vader: &Vader, sentence: &str) -> f64 {
        if self.cached_sentence != sentence {
            self.cached_sentence.clear();
            self.cached_sentence.push_str(sentence);
            self.sentence_compound = vader.polarity_scores(sentence).compound;
        }
        self.sentence_compound
    }

    /// Builds the current mention's tokens from the prepared sentence: the target and each other
    /// mention collapsed into one token. `others[skip]` (when in range) is the target itself and
    /// is ignored. Returns the index of the target token, if any token overlaps the target.
    fn view(
        &mut self,
        vader: &Vader,
        vocab: &Vocab,
        sentence: &str,
        target: &Range<usize>,
        others: &[Range<usize>],
        skip: usize,
    ) -> Option<usize> {
        self.toks.clear();
        self.target_words.clear();
        self.lower.truncate(self.base_len);
        let mut st = Collapse { target_tok: None, last_other: None };
        for r in 0..self.raws.len() {
            let raw = self.raws[r];
            let cuts = |e: usize| raw.start < e && e < raw.end;
            if !(cuts(target.start) || cuts(target.end)) {
                self.place(&raw, target, others, skip, &mut st);
                continue;
            }
            // The target's span cuts through this word, and words never straddle the target's
            // edges: tokenize it again with the edges as stops (the pieces end where it ends).
            let mut prev_end = if r == 0 { usize::MAX } else { self.raws[r - 1].end };
            let mut i = raw.start;
            while i < raw.end {
                let Some(c) = char_at(sentence, i) else { break };
                let (end, is_word) = scan(sentence, i, c, prev_end, (target.start, target.end));
                prev_end = end;
                let piece = self.raw(vader, vocab, sentence, i..end, is_word);
                self.place(&piece, target, others, skip, &mut st);
                i = end;
            }
        }
        st.target_tok
    }

    /// Appends one sentence token to the mention's view.
    fn place(&mut self, raw: &Raw, target: &Range<usize>, others: &[Range<usize>], skip: usize, st: &mut Collapse) {
        let (start, end) = (raw.start, raw.end);
        if overlaps(target, start, end) {
            if raw.is_word {
                self.target_words.push(raw.full);
            }
            match st.target_tok {
                Some(t) if t + 1 == self.toks.len() => self.toks[t].end = end,
                _ => {
                    st.target_tok = Some(self.toks.len());
                    self.toks.push(Tok::mention(Kind::Target, start, end, self.target_id));
                }
            }
            return;
        }
        if let Some(k) = others.iter().enumerate().position(|(k, o)| k != skip && overlaps(o, start, end)) {
            match self.toks.last_mut() {
                Some(t) if st.last_other == Some(k) && t.kind == Kind::Actor => t.end = end,
                _ => {
                    st.last_other = Some(k);
                    self.toks.push(Tok::mention(Kind::Actor, start, end, self.actor_id));
                }
            }
            return;
        }
        st.last_other = None;
        push_units(&mut self.toks, raw);
    }

    /// Reports the features of the mention at byte span `target` of the sentence last given to
    /// [`Scratch::prepare`] (with the same `vocab`) to `sink`. `others` are the other mentions'
    /// spans, except `others[skip]` which is ignored (pass `usize::MAX` to keep all);
    /// `sentence_compound` is VADER's compound of the whole sentence.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn mention<S: Sink>(
        &mut self,
        vader: &Vader,
        vocab: &Vocab,
        sentence: &str,
        sentence_compound: f64,
        target: Range<usize>,
        others: &[Range<usize>],
        skip: usize,
        sink: &mut S,
    ) {
        let target = {
            let s = floor_boundary(sentence, target.start);
            let e = floor_boundary(sentence, target.end.max(target.start));
            s..e
        };
        let ti = self.view(vader, vocab, sentence, &target, others, skip);
        annotate(&mut self.toks);
        let ctx = Ctx { vader, sentence, sentence_compound, lower: &self.lower, clauses: &mut self.clauses };
        features(ctx, &self.toks, &self.target_words, ti, sink);
    }

    /// Builds the view of the sentence shared by all its `mentions` (byte spans, each the target
    /// in turn with the others as `others`), when one view serves them all: every span is a
    /// valid range of the sentence, no span edge cuts through a token and no token overlaps two
    /// mentions (the rule for news mentions). Then each mention's view only differs in which
    /// mention token is the target, and [`Scratch::mention_shared`] scores it without rebuilding
    /// or re-annotating the tokens. One cut is allowed: a mention ending before the "'s" of a
    /// possessive word ("Trump" in "Trump's", most of the cuts in news). As another actor, the
    /// whole word is in that mention's token, as here; as the target, the per-mention view ends
    /// the target's token at the stem (its last word) and puts "'s" after it, which
    /// [`Scratch::mention_shared`] does to a copy of the shared tokens. Returns false, leaving
    /// [`Scratch::mention`] to do the work, otherwise.
    pub(crate) fn share(&mut self, sentence: &str, mentions: &[Range<usize>]) -> bool {
        self.shared.clear();
        self.shared_words.clear();
        self.shared_at.clear();
        let exact = |m: &Range<usize>| {
            m.start <= m.end
                && m.end <= sentence.len()
                && sentence.is_char_boundary(m.start)
                && sentence.is_char_boundary(m.end)
        };
        if !mentions.iter().all(exact) {
            return false;
        }
        self.shared_at.resize(mentions.len(), SharedAt::default());
        let mut last: Option<usize> = None;
        for (r, raw) in self.raws.iter().enumerate() {
            let mut hit = None;
            for (k, m) in mentions.iter().enumerate() {
                let cuts = |e: usize| raw.start < e && e < raw.end;
                if cuts(m.start) {
                    return false;
                }
                if cuts(m.end) {
                    if !possessive_cut(sentence, raw, m.end) {
                        return false;
                    }
                    self.shared_at[k].possessive = Some((r, m.end));
                }
                if overlaps(m, raw.start, raw.end) {
                    if hit.is_some() {
                        return false;
                    }
                    hit = Some(k);
                }
            }
            let Some(k) = hit else {
                last = None;
                push_units(&mut self.shared, raw);
                continue;
            };
            // A mention's tokens are consecutive (its span is), so its words are too.
            let at = &mut self.shared_at[k];
            if raw.is_word {
                if at.w0 == at.w1 {
                    at.w0 = self.shared_words.len();
                    at.w1 = at.w0;
                }
                self.shared_words.push(raw.full);
                at.w1 += 1;
            }
            match self.shared.last_mut() {
                Some(t) if last == Some(k) && t.kind == Kind::Actor => t.end = raw.end,
                _ => {
                    at.tok = Some(self.shared.len());
                    self.shared.push(Tok::mention(Kind::Actor, raw.start, raw.end, self.actor_id));
                }
            }
            last = Some(k);
        }
        annotate(&mut self.shared);
        true
    }

    /// [`Scratch::mention`] for `mentions[i]` after [`Scratch::share`] returned true for them.
    pub(crate) fn mention_shared<S: Sink>(
        &mut self,
        vader: &Vader,
        sentence: &str,
        sentence_compound: f64,
        i: usize,
        sink: &mut S,
    ) {
        let Some(&SharedAt { tok: ti, w0, w1, possessive }) = self.shared_at.get(i) else { return };
        if let (Some(t), Some((r, end))) = (ti, possessive) {
            // The target ends at the stem of a possessive word: its own copy of the tokens,
            // with the target's token ending there, "'s" after it, and the stem as its last word.
            let (Some(raw), Some(head)) = (self.raws.get(r), self.shared.get(..=t)) else { return };
            let Some((stem, s)) = raw.split else { return };
            self.toks.clear();
            self.toks.extend_from_slice(head);
            if let Some(tt) = self.toks.last_mut() {
                tt.kind = Kind::Target;
                tt.id = self.target_id;
                tt.end = end;
            }
            self.toks.push(Tok::unit(Kind::Word, end, raw.end, &s));
            self.toks.extend_from_slice(self.shared.get(t + 1..).unwrap_or(&[]));
            annotate(&mut self.toks);
            self.target_words.clear();
            self.target_words.extend_from_slice(self.shared_words.get(w0..w1).unwrap_or(&[]));
            if let Some(w) = self.target_words.last_mut() {
                *w = stem;
            }
            let ctx = Ctx { vader, sentence, sentence_compound, lower: &self.lower, clauses: &mut self.clauses };
            features(ctx, &self.toks, &self.target_words, ti, sink);
            return;
        }
        let target = ti.and_then(|t| self.shared.get_mut(t));
        if let Some(t) = target {
            t.kind = Kind::Target;
            t.id = self.target_id;
        }
        let ctx = Ctx { vader, sentence, sentence_compound, lower: &self.lower, clauses: &mut self.clauses };
        features(ctx, &self.shared, self.shared_words.get(w0..w1).unwrap_or(&[]), ti, sink);
        if let Some(t) = ti.and_then(|t| self.shared.get_mut(t)) {
            t.kind = Kind::Actor;
            t.id = self.actor_id;
        }
    }
}

/// Valences (negated), clauses and quotes of the mention's tokens, in one pass.
fn annotate(toks: &mut [Tok]) {
    let mut clause = 0u32;
    let mut in_quote = false;
    let mut since_negator = usize::MAX;
    for t in toks.iter_mut() {
        let mut opens_clause = false;
        if t.kind == Kind::Punct {
            if t.flags & QUOTE_OPEN != 0 {
                in_quote = true;
            } else if t.flags & QUOTE_CLOSE != 0 {
                in_quote = false;
            } else if t.flags & QUOTE_TOGGLE != 0 {
                in_quote = !in_quote;
            }
            opens_clause = t.flags & BOUNDARY != 0;
        } else if t.kind == Kind::Word && t.flags & OPENS_CLAUSE != 0 {
            opens_clause = true;
        }
        if opens_clause {
            clause += 1;
            since_negator = usize::MAX;
        }
        let mut valence = 0.0;
        if t.kind == Kind::Word {
            if t.flags & NEGATOR != 0 {
                since_negator = 0;
            } else {
                if t.lex != 0.0 {
                    valence = t.lex;
                    if since_negator < NEGATION_SCOPE {
                        valence *= NEGATION_FACTOR;
                    }
                }
                since_negator = since_negator.saturating_add(1);
            }
        }
        t.valence = valence;
        t.clause = clause;
        t.in_quote = in_quote;
    }
}

/// Appends the token(s) of a sentence token that is no mention: a possessive word gives its stem
/// and "'s". Inlined: `Scratch::share` calls it for every token of every scored sentence, and
/// out of line its prologue and epilogue were over a third of its instructions.
#[inline(always)]
fn push_units(toks: &mut Vec<Tok>, raw: &Raw) {
    let (start, end) = (raw.start, raw.end);
    match &raw.split {
        None => {
            let kind = if raw.is_word { Kind::Word } else { Kind::Punct };
            toks.push(Tok::unit(kind, start, end, &raw.full));
        }
        Some((stem, s)) => {
            toks.push(Tok::unit(Kind::Word, start, end.saturating_sub(2).max(start), stem));
            toks.push(Tok::unit(Kind::Word, start, end, s));
        }
    }
}

/// What the feature pass needs besides the tokens.
struct Ctx<'a> {
    vader: &'a Vader,
    sentence: &'a str,
    sentence_compound: f64,
    /// Normalised forms the tokens point into.
    lower: &'a str,
    /// Clause compounds of this sentence computed so far.
    clauses: &'a mut Vec<(usize, usize, f64)>,
}

/// Reports the features of the mention whose token is `toks[ti]` (None: no token under its
/// span) to `sink`; `target_words` are its words.
fn features<S: Sink>(ctx: Ctx<'_>, toks: &[Tok], target_words: &[Unit], ti: Option<usize>, sink: &mut S) {
    let Ctx { vader, sentence, sentence_compound, lower, clauses } = ctx;
    sink.fixed(F::Bias as usize, 1.0);
    let sc = sentence_compound;

    sink.fixed(F::CSent as usize, sc);
    sink.fixed(F::CbSentMM as usize + compound_bucket(sc), 1.0);

    for u in target_words {
        sink.word(Tpl::T, Word { id: u.id, lower, lo: u.lo, hi: u.hi, special: None }, 1.0);
    }

    let word = |t: &Tok| -> Word<'_> {
        let special = match t.kind {
            Kind::Actor => Some("<actor>"),
            Kind::Target => Some("<target>"),
            _ => None,
        };
        Word { id: t.id, lower, lo: t.lo, hi: t.hi, special }
    };

    let Some(ti) = ti else {
        // No token under the target span: only sentence-level evidence is available.
        sink.fixed(F::TMissing as usize, 1.0);
        let mut acc = Acc::default();
        for t in toks {
            if t.kind == Kind::Word {
                sink.word(Tpl::S, word(t), 1.0);
            }
            acc.add(t.valence);
        }
        put_valence(sink, F::VSentPos, acc);
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
                sink.word(Tpl::S, word(t), s_val);
                if contrast_at.is_none() && t.flags & CONTRAST_WORD != 0 {
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
    put_valence(sink, F::VSentPos, sent);
    put_valence(sink, F::VClausePos, clause);
    put_valence(sink, F::VLeftPos, left);
    put_valence(sink, F::VRightPos, right);
    put_valence(sink, F::VNearPos, near);

    // Clause compound: VADER on the clause around the target.
    let cc = match clauses.iter().find(|c| c.0 == clause_start && c.1 == clause_end) {
        Some(&(_, _, c)) => c,
        None => {
            let c = vader.polarity_scores(sentence.get(clause_start..clause_end).unwrap_or("")).compound;
            clauses.push((clause_start, clause_end, c));
            c
        }
    };
    sink.fixed(F::CClause as usize, cc);
    sink.fixed(F::CbClauseMM as usize + compound_bucket(cc), 1.0);

    // Words of the target's clause, by side: the clause is the window that matters ("X, who
    // denied wrongdoing, ..." vs "..., which X praised"), wherever it starts.
    for (k, t) in toks.iter().enumerate() {
        if t.kind == Kind::Word && t.clause == tt.clause {
            sink.word(if k < ti { Tpl::Cl } else { Tpl::Cr }, word(t), 1.0);
        }
    }
    // Window and adjacent words.
    if ti > 0 {
        sink.word(Tpl::L1, word(&toks[ti - 1]), 1.0);
    } else {
        sink.fixed(F::L1Start as usize, 1.0);
    }
    if ti + 1 < n {
        sink.word(Tpl::R1, word(&toks[ti + 1]), 1.0);
        if ti + 2 < n {
            sink.pair(Tpl2::R2, word(&toks[ti + 1]), word(&toks[ti + 2]), 1.0);
        }
    } else {
        sink.fixed(F::R1End as usize, 1.0);
    }
    if ti > 1 {
        sink.pair(Tpl2::L2, word(&toks[ti - 2]), word(&toks[ti - 1]), 1.0);
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
    put_valence(sink, F::VAgentPos, agent);
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
    put_valence(sink, F::VObjectPos, object);
    // Passive agent: "was criticised by TARGET".
    if ti >= 2 && toks[ti - 1].flags & BY != 0 {
        let p = &toks[ti - 2];
        if p.flags & PARTICIPLE != 0 {
            sink.fixed(F::RoleByAgent as usize, 1.0);
            let mut a = Acc::default();
            a.add(p.valence);
            put_valence(sink, F::VByAgentPos, a);
        }
    }

    // Quotes and speaker.
    if tt.in_quote {
        sink.fixed(F::QInside as usize, 1.0);
    }
    let speech_after = toks.iter().skip(ti + 1).take(3).any(|t| t.flags & SPEECH != 0);
    let speech_before = ti > 0 && toks[ti - 1].flags & SPEECH != 0 || (ti > 1 && toks[ti - 2].flags & ACCORDING != 0);
    if speech_after || speech_before {
        sink.fixed(F::QSpeaker as usize, 1.0);
        put_valence(sink, F::VSpkQuotePos, quoted);
        let mut rest = Acc::default();
        for t in toks {
            if t.clause != tt.clause {
                rest.add(t.valence);
            }
        }
        put_valence(sink, F::VSpkRestPos, rest);
    } else {
        put_valence(sink, F::VQuotedPos, quoted);
    }

    // Contrast.
    if let Some(c) = contrast_at {
        if c < ti {
            sink.fixed(F::KTargetAfter as usize, 1.0);
            put_valence(sink, F::VContrastTailPos, after_contrast);
        } else {
            sink.fixed(F::KTargetBefore as usize, 1.0);
            put_valence(sink, F::VContrastTailOtherPos, after_contrast);
        }
    }

    // Other actors and the valences between the target and the nearest one.
    if n_actors > 0 {
        sink.fixed(F::OAny as usize, 1.0);
        if let Some(a) = nearest_actor {
            let (from, to, first) = if a > ti { (ti + 1, a, F::OTargetFirst) } else { (a + 1, ti, F::OTargetSecond) };
            sink.fixed(first as usize, 1.0);
            let mut between = Acc::default();
            for t in &toks[from..to] {
                between.add(t.valence);
            }
            put_valence(sink, if a > ti { F::VBetweenTfPos } else { F::VBetweenTsPos }, between);
        }
    }
    if ti == 0 {
        sink.fixed(F::PFirst as usize, 1.0);
    }
}

/// Runs feature extraction for one mention without a model, reporting each feature by name to
/// `emit` (training and tests). The same feature may be reported more than once (values add up).
pub(crate) fn extract(
    scratch: &mut Scratch,
    vader: &Vader,
    sentence: &str,
    target: Range<usize>,
    others: &[Range<usize>],
    emit: &mut dyn FnMut(&str, f64),
) {
    let vocab = Vocab::rules_only();
    scratch.prepare(vader, vocab, sentence);
    let sc = scratch.sentence_compound(vader, sentence);
    let mut key = std::mem::take(&mut scratch.key);
    scratch.mention(vader, vocab, sentence, sc, target, others, usize::MAX, &mut Names { key: &mut key, emit });
    scratch.key = key;
}

/// Features of every mention of a sentence by name, through the batch path the pipeline uses
/// (the shared view when [`Scratch::share`] allows it, which is reported too).
#[cfg(test)]
pub(crate) fn extract_sentence(
    vader: &Vader,
    sentence: &str,
    mentions: &[Range<usize>],
) -> (bool, Vec<Vec<(String, f64)>>) {
    let vocab = Vocab::rules_only();
    let mut scratch = Scratch::default();
    scratch.prepare(vader, vocab, sentence);
    let shared = scratch.share(sentence, mentions);
    let sc = vader.polarity_scores(sentence).compound;
    let mut all = Vec::new();
    let mut key = String::new();
    for (i, m) in mentions.iter().enumerate() {
        let mut out = Vec::new();
        let mut emit = |k: &str, v: f64| out.push((k.to_string(), v));
        let mut sink = Names { key: &mut key, emit: &mut emit };
        if shared {
            scratch.mention_shared(vader, sentence, sc, i, &mut sink);
        } else {
            scratch.mention(vader, vocab, sentence, sc, m.clone(), mentions, i, &mut sink);
        }
        all.push(out);
    }
    (shared, all)
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

    /// The byte-wise tokenizer splits and normalises exactly as [`scan`] does character by
    /// character (its definition), on sentences mixing ASCII and non-ASCII in every position.
    #[test]
    fn byte_classes_and_pad_masks_match_the_tests_they_replace() {
        for b in 0..=255u8 {
            let class = BYTE_CLASS[usize::from(b)];
            assert_eq!(class & B_ALNUM != 0, b.is_ascii_alphanumeric(), "{b}");
            assert_eq!(class & B_DIGIT != 0, b.is_ascii_digit(), "{b}");
            assert_eq!(class & B_SPACE != 0, b.is_ascii() && char::from(b).is_whitespace(), "{b}");
        }
        let text = format!("{}{}", "abcdefghijklmnop", "\0".repeat(16));
        for n in 0..=SHORT {
            let want = u128::from_le_bytes(text.as_bytes()[..16].try_into().unwrap()) & ((1u128 << (8 * n)) - 1);
            assert_eq!(padded(&text, 0, n), Some(want), "{n}");
        }
        assert_eq!(padded(&text, 0, SHORT + 1), None);
    }

    #[test]
    fn tokenizer_matches_scan() {
        let vader = Vader::embedded();
        let vocab = Vocab::rules_only();
        let cases = [
            "Trump’s ally, the café-owner Zoë, said “no” — naïve 3½ times at 10:30 p.m. in Köln.",
            "don’t can't x'é a.é é.a a-é é-a ’tis Doe's Doe’s Straße STRASSE 2nd Ⅻ",
            "x\u{a0}y\u{2003}z \u{b}q\u{85}r …!! ¿qué? l’État d’Ivoire 北京 市长 ½-way",
            "'a ’a a'' a’’ a-- a.. .a -a A’B’C a’1 1’a ÉCOLE É1",
        ];
        for sentence in cases {
            let mut scratch = Scratch::default();
            scratch.prepare(&vader, vocab, sentence);
            let got: Vec<_> = scratch
                .raws
                .iter()
                .map(|r| (r.start, r.end, r.is_word, scratch.lower[r.full.lo..r.full.hi].to_string(), r.full.flags))
                .collect();
            let mut want = Vec::new();
            let mut lower = String::new();
            let (mut prev_end, mut i) = (usize::MAX, 0);
            while let Some(c) = char_at(sentence, i) {
                if c.is_whitespace() {
                    i += c.len_utf8();
                    continue;
                }
                let (end, is_word) = scan(sentence, i, c, prev_end, (usize::MAX, usize::MAX));
                prev_end = end;
                lower.clear();
                push_lower(&mut lower, &sentence[i..end]);
                let mut u = unit(&lower, (0, lower.len()), &sentence.as_bytes()[i..end], is_word);
                u.look_up(&lower, vocab, None);
                want.push((i, end, is_word, lower.clone(), u.flags));
                i = end;
            }
            assert_eq!(got, want, "{sentence}");
        }
    }
}
