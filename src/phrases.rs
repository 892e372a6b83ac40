//! Phrase matching at word starts, shared by the actor and cue lexicons.
//!
//! Both lexicons hold thousands of phrases that only ever start at the beginning of a word and
//! end at the end of one. Running an Aho-Corasick automaton over every byte of a 100 MB corpus
//! costs more than all the rest of the matching, and so does walking a large automaton from its
//! start at every word: a full DFA of the actor aliases is tens of MB, and each step is a cache
//! miss. So [`PhraseMatcher`] jumps from word start to word start and looks the word up in a
//! table of the phrases' *first words*, which holds the trie state reached after that word.
//! Most words are rejected by a one-bit filter and a hash probe; a hit needs no trie step at all
//! for one-word phrases, and only the steps after the first word for longer ones. A
//! case-sensitive matcher keys phrases on their first capitalised word instead and skips
//! lowercase words without looking them up (see [`PhraseMatcher`]).

use aho_corasick::{Match, PatternID};
use std::collections::HashMap;
use std::ops::ControlFlow;

/// Why a matcher could not be built.
#[derive(Debug, thiserror::Error)]
#[error("too many phrases: {states} trie states, more than {max}", max = u32::MAX - 1)]
pub struct BuildError {
    states: usize,
}

/// Leftmost-longest phrase matcher anchored at word starts.
///
/// Case-sensitive matchers go one step further: most words of running text start with a
/// lowercase letter, and most phrases of a case-sensitive lexicon (names) start with a capital.
/// Such a matcher keys each phrase on its *anchor*, the first word that does not start with an
/// ASCII lowercase letter ("West" in "the West", "The" in "in The Hague"), and checks the
/// lowercase words before it (the phrase's *head*: "the ", "in ") backwards once the anchor is
/// found. Then the scan skips lowercase words with a mask over thirty-two (AVX2), sixteen (SSE2)
/// or eight bytes at a time. Phrases with no such word ("western nations", "the pope") are
/// anchored on a word whose first letter is rare in running text ("western", "pope"; see
/// [`lowercase_cover`]); the mask then lets through the lowercase words that start with those
/// letters (up to [`MAX_LOWER_FIRSTS`] letters; beyond that, every word is looked up as in a
/// case-folding matcher), and in the SIMD scans only those that start with the anchors' first
/// two bytes ("po", "we").
pub struct PhraseMatcher {
    /// Continues phrases past their first word: the walk after a first word is a step or two,
    /// and anchored walks need no failure links, so a plain trie (built in a few milliseconds,
    /// unlike an Aho-Corasick automaton) serves. It holds the phrases' *tails*, from the anchor
    /// word on (the whole phrase when folding case), ASCII-lowercased when folding.
    trie: Trie,
    words: FirstWords,
    /// Whether matching ignores ASCII case.
    fold_case: bool,
    /// Whether the scan skips words that start with an ASCII lowercase letter other than those
    /// in `lower_firsts`.
    skip_lowercase: bool,
    /// The lowercase letters that start some tail, padded with NUL (never a word start): a
    /// fixed array, so that the scan's compares unroll and their constants leave the loop.
    lower_firsts: [u8; MAX_LOWER_FIRSTS],
    /// The first two bytes of the tails that start with a lowercase letter ("po" for "pope"),
    /// when there are few and each has two: the SIMD scans then let through only the lowercase
    /// words that start with such a pair ("police" but not "people").
    lower_pairs: Option<[[u8; 2]; MAX_LOWER_FIRSTS]>,
    /// The first (up to) eight bytes of each tail that starts with a lowercase word, as (bytes,
    /// mask, length), when there are few: a word starting with one of `lower_firsts` ("people",
    /// "with") is looked up only if the text there starts like such a tail ("pope", "western ").
    lower_prefixes: Option<Vec<(u64, u64, usize)>>,
    /// What each tail of the trie stands for.
    tails: Vec<Tail>,
    /// Heads of the tails (see [`Tail::heads`]): the bytes before the anchor and the phrase.
    heads: Vec<(Box<[u8]>, PatternID)>,
    /// Per phrase, the byte offset of its anchor.
    anchor_at: Vec<u32>,
    /// Whether the CPU has AVX2, for the thirty-two-byte scan.
    avx2: bool,
    /// The longest head, when some head holds a word that anchors a phrase of lowercase words
    /// ("the pope" anchored on "pope", and "the pope Francis" on "Francis"): a phrase found at
    /// such an anchor may then lie inside the head of one that starts earlier or at the same
    /// place and is anchored further on. Zero otherwise (the shipped lexicons), when the first
    /// phrase found is the leftmost.
    reach_back: usize,
}

/// How many lowercase first letters of anchors the scan's mask lets through.
const MAX_LOWER_FIRSTS: usize = 4;

/// How many distinct prefixes of lowercase phrases the scan compares before a look-up.
const MAX_LOWER_PREFIXES: usize = 8;

/// The phrases that end with one tail.
struct Tail {
    /// The phrase that is the tail itself, if any.
    pattern: Option<PatternID>,
    /// Phrases that are a head followed by the tail, in [`PhraseMatcher::heads`], longest head
    /// first (the leftmost phrase wins).
    heads: (u32, u32),
}

/// Byte offset of the first word of `p` that does not start with an ASCII lowercase letter: the
/// phrase's anchor. A phrase of lowercase words only is anchored on its first word whose first
/// letter is in `cover` (see [`lowercase_cover`]), or on its first word.
fn anchor_of(p: &[u8], cover: u32) -> usize {
    let mut at = 0;
    let mut covered = None;
    while at < p.len() {
        let n = word_len(&p[at..]);
        if n == 0 {
            at += std::str::from_utf8(&p[at..]).ok().and_then(|r| r.chars().next()).map_or(1, char::len_utf8);
            continue;
        }
        if !p[at].is_ascii_lowercase() {
            return at;
        }
        if covered.is_none() && cover & letter_bit(p[at]) != 0 {
            covered = Some(at);
        }
        at += n;
    }
    covered.unwrap_or(0)
}

/// Bit `i` for the ASCII lowercase letter `b'a' + i`.
fn letter_bit(b: u8) -> u32 {
    1 << (b - b'a')
}

/// How often English words start with each letter, a to z, in tenths of a percent (the
/// first-letter column of Wikipedia's "Letter frequency" article): "t" starts one word in six
/// ("the", "to", "that"), "p" one in twenty-five.
const FIRST_LETTER_FREQUENCY: [u32; 26] =
    [117, 44, 52, 32, 28, 40, 16, 42, 73, 5, 9, 24, 38, 23, 76, 43, 2, 28, 67, 160, 12, 8, 55, 1, 8, 1];

/// The set of lowercase letters (bit `i` for `b'a' + i`) that the scan lets through for phrases
/// of lowercase words only: each such phrase needs one word starting with a letter of the set,
/// which becomes its anchor, and the set is the one whose words are rarest in running text,
/// of at most [`MAX_LOWER_FIRSTS`] letters ("the pope" and "western nations" are anchored on
/// "pope" and "western": the scan then stops at words starting with "p" or "w", not at every
/// "the"). `None` when no such set exists: the scan then looks every word up.
fn lowercase_cover<P: AsRef<[u8]>>(patterns: &[P]) -> Option<u32> {
    lowercase_cover_within(patterns, 100_000)
}

/// [`lowercase_cover`] in at most `budget` search steps.
fn lowercase_cover_within<P: AsRef<[u8]>>(patterns: &[P], mut budget: u32) -> Option<u32> {
    // Per phrase of lowercase words only, the first letters of its words.
    let mut needs: Vec<u32> = Vec::new();
    for p in patterns {
        let p = p.as_ref();
        let mut letters = 0;
        let mut at = 0;
        let mut lowercase_only = true;
        while at < p.len() {
            let n = word_len(&p[at..]);
            if n == 0 {
                at += 1;
                continue;
            }
            if !p[at].is_ascii_lowercase() {
                lowercase_only = false;
                break;
            }
            letters |= letter_bit(p[at]);
            at += n;
        }
        if lowercase_only && letters != 0 && !needs.contains(&letters) {
            needs.push(letters);
        }
    }
    // A bounded search: take a phrase the set misses, try each of its letters (phrases have
    // few words, and the set at most four letters). A lexicon of many long lowercase phrases
    // could make that slow: past a budget of steps the search gives up, and every word is
    // looked up (the same matches, found more slowly).
    fn search(needs: &[u32], chosen: u32, depth: usize, budget: &mut u32) -> Option<(u32, u32)> {
        *budget = budget.checked_sub(1)?;
        let Some(&missed) = needs.iter().find(|&&n| n & chosen == 0) else {
            let cost = (0..26).filter(|i| chosen & (1 << i) != 0).map(|i| FIRST_LETTER_FREQUENCY[i]).sum();
            return Some((cost, chosen));
        };
        if depth == MAX_LOWER_FIRSTS {
            return None;
        }
        let mut best: Option<(u32, u32)> = None;
        for i in (0..26).filter(|i| missed & (1 << i) != 0) {
            if let Some(found) = search(needs, chosen | 1 << i, depth + 1, budget) {
                if best.is_none_or(|b| found < b) {
                    best = Some(found);
                }
            }
            if *budget == 0 {
                return None;
            }
        }
        best
    }
    search(&needs, 0, 0, &mut budget).map(|(_, set)| set)
}

impl PhraseMatcher {
    /// Compiles `patterns` (built once per run); `fold_case` makes matching ASCII
    /// case-insensitive. A pattern that does not start with a letter or digit can never match,
    /// since phrases start at word starts.
    pub fn new<I, P>(patterns: I, fold_case: bool) -> Result<PhraseMatcher, BuildError>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        let patterns: Vec<P> = patterns.into_iter().collect();
        let mut tail_bytes: Vec<&[u8]> = Vec::new();
        let mut tails: Vec<Tail> = Vec::new();
        let mut heads: Vec<(Box<[u8]>, PatternID)> = Vec::new();
        let mut anchor_at = vec![0; patterns.len()];
        // Only a case-sensitive matcher keys phrases on their anchor words.
        if !fold_case {
            let cover = lowercase_cover(&patterns).unwrap_or(0);
            // Tails are deduplicated ("West" alone and in "the West" is one trie entry).
            let mut index: HashMap<&[u8], usize> = HashMap::new();
            let mut by_tail: Vec<Vec<(&[u8], PatternID)>> = Vec::new();
            for (i, p) in patterns.iter().enumerate() {
                let p = p.as_ref();
                let pid = PatternID::new_unchecked(i);
                let at = anchor_of(p, cover);
                anchor_at[i] = at as u32;
                let t = *index.entry(&p[at..]).or_insert_with(|| {
                    tail_bytes.push(&p[at..]);
                    tails.push(Tail { pattern: None, heads: (0, 0) });
                    by_tail.push(Vec::new());
                    tails.len() - 1
                });
                if at == 0 {
                    tails[t].pattern.get_or_insert(pid);
                } else if !by_tail[t].iter().any(|&(h, _)| h == &p[..at]) {
                    by_tail[t].push((&p[..at], pid));
                }
            }
            for (tail, mut hs) in tails.iter_mut().zip(by_tail) {
                hs.sort_by_key(|&(h, _)| std::cmp::Reverse(h.len()));
                let first = heads.len() as u32;
                heads.extend(hs.into_iter().map(|(h, pid)| (Box::from(h), pid)));
                tail.heads = (first, heads.len() as u32);
            }
        } else {
            for (i, p) in patterns.iter().enumerate() {
                tail_bytes.push(p.as_ref());
                tails.push(Tail { pattern: Some(PatternID::new_unchecked(i)), heads: (0, 0) });
            }
        }
        let trie = Trie::new(&tail_bytes, fold_case)?;
        let mut words = FirstWords::default();
        let mut seen = std::collections::HashSet::new();
        for p in &tail_bytes {
            let n = word_len(p);
            let folded = if fold_case { p[..n].to_ascii_lowercase() } else { p[..n].to_vec() };
            if n == 0 || !seen.insert(folded) {
                continue;
            }
            words.insert(&p[..n], fold_case, &trie);
        }
        words.finish(fold_case);
        let firsts: Vec<u8> = (b'a'..=b'z').filter(|&b| words.may_start(b)).collect();
        let skip_lowercase = firsts.len() <= MAX_LOWER_FIRSTS;
        let mut lower_firsts = [0; MAX_LOWER_FIRSTS];
        if skip_lowercase {
            lower_firsts[..firsts.len()].copy_from_slice(&firsts);
        }
        let lower_pairs = if fold_case || !skip_lowercase {
            None
        } else {
            let mut pairs: Vec<[u8; 2]> = Vec::new();
            let mut all_two = true;
            for t in tail_bytes.iter().filter(|t| t.first().is_some_and(u8::is_ascii_lowercase)) {
                match t {
                    [a, b, ..] if !pairs.contains(&[*a, *b]) => pairs.push([*a, *b]),
                    [_, _, ..] => {}
                    _ => all_two = false,
                }
            }
            (all_two && pairs.len() <= MAX_LOWER_FIRSTS).then(|| {
                let mut fixed = [[0; 2]; MAX_LOWER_FIRSTS];
                fixed[..pairs.len()].copy_from_slice(&pairs);
                fixed
            })
        };
        let lower_prefixes = if fold_case {
            None
        } else {
            let mut prefixes: Vec<(u64, u64, usize)> = Vec::new();
            for t in tail_bytes.iter().filter(|t| t.first().is_some_and(u8::is_ascii_lowercase)) {
                let len = t.len().min(8);
                let mask = if len == 8 { u64::MAX } else { (1u64 << (8 * len)) - 1 };
                let prefix = (load8(t, 0, len), mask, len);
                if !prefixes.contains(&prefix) {
                    prefixes.push(prefix);
                }
            }
            (prefixes.len() <= MAX_LOWER_PREFIXES).then_some(prefixes)
        };
        let lower_anchors: Vec<&[u8]> = tail_bytes
            .iter()
            .filter(|t| t.first().is_some_and(u8::is_ascii_lowercase))
            .map(|t| &t[..word_len(t)])
            .collect();
        let holds_lower_anchor = |head: &[u8]| {
            let mut at = 0;
            while at < head.len() {
                let n = word_len(&head[at..]);
                if n > 0 && lower_anchors.contains(&&head[at..at + n]) {
                    return true;
                }
                at += n.max(1);
            }
            false
        };
        let reach_back = if heads.iter().any(|(h, _)| holds_lower_anchor(h)) {
            heads.iter().map(|(h, _)| h.len()).max().unwrap_or(0)
        } else {
            0
        };
        Ok(PhraseMatcher {
            trie,
            words,
            fold_case,
            skip_lowercase,
            lower_firsts,
            lower_pairs,
            lower_prefixes,
            tails,
            heads,
            anchor_at,
            avx2: has_avx2(),
            reach_back,
        })
    }

    /// The longest phrase starting exactly at `pos` and ending before `end` on a word boundary.
    pub fn at(&self, text: &str, pos: usize, end: usize) -> Option<Match> {
        let end = end.min(text.len());
        if self.heads.is_empty() {
            // Every phrase starts with its anchor: look at this word only.
            let bytes = &text.as_bytes()[..end];
            if pos >= bytes.len() || !self.words.may_start(bytes[pos]) {
                return None;
            }
            return self.walk(text, pos, pos, end, word_len(&bytes[pos..]));
        }
        // The phrase at `pos`, if any, is the leftmost from `pos` on.
        self.next(text, pos, end).filter(|m| m.start() == pos)
    }

    /// The next phrase in `text[pos..end]` that starts at a word start and ends at a word end.
    pub fn next(&self, text: &str, pos: usize, end: usize) -> Option<Match> {
        let end = end.min(text.len());
        let found = self.scan(text, pos, end)?;
        if self.reach_back == 0 {
            return Some(found);
        }
        Some(self.leftmost(text, pos, end, found))
    }

    /// The leftmost-longest of `found` and the phrases anchored after it whose heads reach back
    /// to it (see [`PhraseMatcher::reach_back`]); a plain walk over the words within reach.
    #[cold]
    fn leftmost(&self, text: &str, lo: usize, end: usize, found: Match) -> Match {
        let bytes = &text.as_bytes()[..end];
        let anchor = found.start() + self.anchor_at[found.pattern().as_usize()] as usize;
        if !bytes[anchor].is_ascii_lowercase() {
            return found;
        }
        let limit = found.start() + self.reach_back;
        let mut best = found;
        let mut at = anchor + word_len(&bytes[anchor..]);
        while at < end && at <= limit {
            let n = word_len(&bytes[at..]);
            if n == 0 || prev_is_alphanumeric(text, at) {
                at += text[at..].chars().next().map_or(1, char::len_utf8).max(n);
                continue;
            }
            if let Some(m) = self.walk(text, lo, at, end, n) {
                if (m.start(), std::cmp::Reverse(m.end())) < (best.start(), std::cmp::Reverse(best.end())) {
                    best = m;
                }
            }
            at += n;
        }
        best
    }

    /// [`PhraseMatcher::next`] for phrases with anchor words: a phrase found at the first word
    /// start (anchor) `at` that begins at `at` or, with its head, at or after `lo`.
    #[inline(always)]
    fn walk(&self, text: &str, lo: usize, at: usize, end: usize, word: usize) -> Option<Match> {
        let hash = self.words.filter(&text.as_bytes()[at..at + word], self.fold_case)?;
        self.walk_from(text, lo, at, end, word, hash)
    }

    #[inline(never)]
    fn walk_from(&self, text: &str, lo: usize, pos: usize, end: usize, word: usize, hash: u32) -> Option<Match> {
        let bytes = &text.as_bytes()[..end];
        let entry = self.words.get(&bytes[pos..pos + word], hash, self.fold_case)?;
        // The word itself ends on a word boundary (it is a maximal run of letters and digits).
        let mut found = entry.pattern.and_then(|tail| self.resolve(text, lo, pos, pos + word, tail, None));
        if pos + word == end {
            return found;
        }
        let b0 = bytes[pos + word];
        if !entry.next1.may_contain(b0)
            || (!entry.ends1.may_contain(b0)
                && bytes.get(pos + word + 1).is_some_and(|&b1| !entry.next2.may_contain(b1)))
        {
            return found;
        }
        // A walk from the state after the first word: keep the best match that ends on a word
        // boundary until the trie has no way on.
        let trie = &self.trie;
        let mut state = entry.state;
        for (at, &b) in bytes.iter().enumerate().skip(pos + word) {
            let b = if self.fold_case { b.to_ascii_lowercase() } else { b };
            let Some(next) = trie.step(state, b) else { break };
            state = next;
            if let Some(tail) = trie.tail(state) {
                if ends_word(text, at + 1, end) {
                    found = self.resolve(text, lo, pos, at + 1, tail, found);
                }
            }
        }
        found
    }

    /// The better of `best` and the phrases of `tail` found from `anchor` to `end`: the one that
    /// starts first (a head that the text has before the anchor), then the longer.
    #[inline(always)]
    fn resolve(
        &self,
        text: &str,
        lo: usize,
        anchor: usize,
        end: usize,
        tail: PatternID,
        best: Option<Match>,
    ) -> Option<Match> {
        let t = &self.tails[tail.as_usize()];
        let mut candidate = t.pattern.map(|pid| Match::new(pid, anchor..end));
        for (head, pid) in &self.heads[t.heads.0 as usize..t.heads.1 as usize] {
            let Some(start) = anchor.checked_sub(head.len()).filter(|&s| s >= lo) else { continue };
            if same_bytes(&text.as_bytes()[start..anchor], head) && !prev_is_alphanumeric(text, start) {
                candidate = Some(Match::new(*pid, start..end));
                break;
            }
        }
        match (candidate, best) {
            (Some(c), Some(b))
                if (b.start(), std::cmp::Reverse(b.end())) <= (c.start(), std::cmp::Reverse(c.end())) =>
            {
                Some(b)
            }
            (None, b) => b,
            (c, _) => c,
        }
    }

    /// The first phrase with an anchor word in `text[pos..end]`.
    fn scan(&self, text: &str, pos: usize, end: usize) -> Option<Match> {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is set only when the CPU has AVX2 (see `PhraseMatcher::new`).
            return unsafe { self.scan_avx2(text, pos, end) };
        }
        self.scan_blocks::<16>(text, pos, end)
    }

    /// [`PhraseMatcher::scan`] thirty-two bytes at a time.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn scan_avx2(&self, text: &str, pos: usize, end: usize) -> Option<Match> {
        self.scan_blocks::<32>(text, pos, end)
    }

    /// The scan, with SIMD blocks of `W` bytes (16: SSE2, which every x86_64 has; 32: AVX2,
    /// only from [`PhraseMatcher::scan_avx2`]) where the text has that many bytes left.
    #[inline(always)]
    fn scan_blocks<const W: usize>(&self, text: &str, mut pos: usize, end: usize) -> Option<Match> {
        let lo = pos;
        let bytes = text.as_bytes();
        let mut prev_alnum = pos > 0 && prev_is_alphanumeric(text, pos);
        // Word starts whose first byte is a lowercase letter that starts no anchor are dropped.
        let skip = if self.skip_lowercase { u64::MAX } else { 0 };
        while pos < end {
            // A block's word starts that may begin an anchor come out of one mask. The block's
            // lanes up to `end` and to its first non-ASCII byte (a character the byte path
            // below decodes) go through it. A block that runs past `end` (most sentences end
            // inside one) is read whole when the text goes on, its bytes from `end` on counted
            // as non-word bytes: the word running into `end` ends there, as the range cuts it.
            #[cfg(target_arch = "x86_64")]
            {
                // The block with the byte after it where the text has one (for `lower_pairs`).
                let block = |w: usize| bytes.get(pos..pos + w).map(|_| &bytes[pos..(pos + w + 1).min(bytes.len())]);
                let lower = LowerStarts {
                    firsts: &self.lower_firsts,
                    pairs: self.lower_pairs.as_ref(),
                    all: !self.skip_lowercase,
                };
                let masks = match block(W) {
                    // SAFETY: `W == 32` only in `scan_avx2`, which runs where the CPU has AVX2.
                    Some(block) if W == 32 => Some(unsafe { block32(block, &lower) }),
                    _ => block(16).map(|block| block16(block, &lower)),
                };
                if let Some(masks) = masks {
                    match self.block_words(text, lo, pos, end, masks, &mut prev_alnum) {
                        ControlFlow::Break(m) => return Some(m),
                        ControlFlow::Continue(0) => {}
                        ControlFlow::Continue(n) => {
                            pos += n;
                            continue;
                        }
                    }
                }
            }
            // Eight ASCII bytes at a time: their word starts come out of one mask, so the scan
            // costs a few instructions per byte, not a branch per byte.
            if let Some(chunk) = bytes.get(pos..pos + 8).filter(|_| pos + 8 <= end) {
                let x = u64::from_le_bytes(chunk.try_into().unwrap_or([0x80; 8]));
                if x & HIGH_BITS == 0 {
                    let alnum = ascii_alnum_bytes(x);
                    let other = !alnum & HIGH_BITS;
                    let mut starts = alnum & !((alnum << 8) | u64::from(prev_alnum) << 7);
                    let mut lower = ascii_lowercase_bytes(x) & skip;
                    for &b in &self.lower_firsts {
                        lower &= !equal_bytes(x, repeat(b));
                    }
                    starts &= !lower;
                    if let Some(m) = self.words_in_block::<8, 8>(text, lo, pos, end, starts, other) {
                        return Some(m);
                    }
                    prev_alnum = alnum >> 63 != 0;
                    pos += 8;
                    continue;
                }
            }
            let b = bytes[pos];
            if b.is_ascii() {
                if b.is_ascii_alphanumeric() && !prev_alnum && self.words.may_start(b) {
                    // The table is keyed by whole words: find where this one ends.
                    let run = ascii_word_end(bytes, pos + 1, end);
                    if let Some(m) = self.try_word_ending(text, lo, pos, run, end) {
                        return Some(m);
                    }
                }
                prev_alnum = b.is_ascii_alphanumeric();
                pos += 1;
            } else {
                let c = text[pos..].chars().next().unwrap_or('\u{fffd}');
                let alnum = is_alphanumeric(c);
                if !prev_alnum && alnum && self.words.may_start(b) {
                    if let Some(m) = self.walk(text, lo, pos, end, word_len(&bytes[pos..end])) {
                        return Some(m);
                    }
                }
                prev_alnum = alnum;
                pos += c.len_utf8();
            }
        }
        None
    }

    /// The phrases at the word starts of a SIMD block at `pos`, given its masks (see
    /// [`block16`]): `Continue(n)` when none starts in its first `n` lanes (those before `end`
    /// and its first non-ASCII byte; 0 when the block starts with one).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn block_words(
        &self,
        text: &str,
        lo: usize,
        pos: usize,
        end: usize,
        masks: BlockMasks,
        prev_alnum: &mut bool,
    ) -> ControlFlow<Match, usize> {
        let BlockMasks { alnum, may, non_ascii, width } = masks;
        let n = (non_ascii | 1 << width).trailing_zeros().min((end - pos) as u32);
        if n == 0 {
            return ControlFlow::Continue(0);
        }
        let alnum = alnum & (u64::MAX >> (64 - n));
        let starts = alnum & !((alnum << 1) | u64::from(*prev_alnum)) & may;
        let ends = !alnum & (u64::MAX >> (64 - width));
        let found = if width == 32 {
            self.words_in_block::<32, 1>(text, lo, pos, end, starts, ends)
        } else {
            self.words_in_block::<16, 1>(text, lo, pos, end, starts, ends)
        };
        if let Some(m) = found {
            return ControlFlow::Break(m);
        }
        *prev_alnum = alnum >> (n - 1) & 1 != 0;
        ControlFlow::Continue(n as usize)
    }

    /// The first phrase at the word starts of the ASCII block `text[pos..pos + N]`, given as
    /// masks with `BITS` bits a byte (1 from SSE2 or AVX2, 8 from the eight-byte scan, where the flag is
    /// a byte's high bit): `starts` where a candidate word starts, `ends` at each byte that is
    /// not a letter or digit (a word's end, unless it runs past the block).
    #[inline(always)]
    fn words_in_block<const N: usize, const BITS: u32>(
        &self,
        text: &str,
        lo: usize,
        pos: usize,
        end: usize,
        mut starts: u64,
        ends: u64,
    ) -> Option<Match> {
        let bytes = text.as_bytes();
        while starts != 0 {
            let lane = starts.trailing_zeros() / BITS;
            starts &= starts - 1;
            let start = pos + lane as usize;
            if !self.words.may_start(bytes[start]) {
                continue;
            }
            let after = ends & (u64::MAX << (BITS * lane));
            let run = if after != 0 {
                pos + (after.trailing_zeros() / BITS) as usize
            } else {
                ascii_word_end(bytes, pos + N, end)
            };
            if let Some(m) = self.try_word_ending(text, lo, start, run, end) {
                return Some(m);
            }
        }
        None
    }

    /// A phrase at the word start `start` once the end of the word's ASCII letters and digits
    /// (`run`) is known.
    #[inline(always)]
    fn try_word_ending(&self, text: &str, lo: usize, start: usize, run: usize, end: usize) -> Option<Match> {
        let bytes = text.as_bytes();
        if let Some(prefixes) = &self.lower_prefixes {
            if bytes[start].is_ascii_lowercase() {
                let x = load8(bytes, start, end);
                if !prefixes.iter().any(|&(p, mask, len)| len <= end - start && x & mask == p) {
                    return None;
                }
            }
        }
        let word = if run < end && bytes[run] >= 0x80 { word_len(&bytes[start..end]) } else { run - start };
        self.walk(text, lo, start, end, word)
    }
}

/// Whether the scan may use AVX2 (detected once per matcher).
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Up to eight bytes of `bytes[at..end]` as a little-endian integer, zero-padded.
#[inline(always)]
fn load8(bytes: &[u8], at: usize, end: usize) -> u64 {
    match bytes.get(at..at + 8) {
        Some(b) if at + 8 <= end => u64::from_le_bytes(b.try_into().unwrap_or([0; 8])),
        _ => {
            let mut buf = [0u8; 8];
            let n = end.saturating_sub(at).min(8);
            buf[..n].copy_from_slice(&bytes[at..at + n]);
            u64::from_le_bytes(buf)
        }
    }
}

/// The end of the run of ASCII letters and digits in `bytes[pos..end]` that starts at `pos`.
/// Eight bytes at a time: a byte loop mispredicts its exit at nearly every word end.
#[inline]
fn ascii_word_end(bytes: &[u8], mut pos: usize, end: usize) -> usize {
    while pos + 8 <= end {
        let chunk: [u8; 8] = bytes[pos..pos + 8].try_into().unwrap_or([0; 8]);
        let other = !ascii_alnum_bytes(u64::from_le_bytes(chunk)) & HIGH_BITS;
        if other != 0 {
            return pos + (other.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while pos < end && bytes[pos].is_ascii_alphanumeric() {
        pos += 1;
    }
    pos
}

const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

const fn repeat(b: u8) -> u64 {
    b as u64 * 0x0101_0101_0101_0101
}

/// The high bit of each byte of `x` set where that byte is an ASCII letter or digit.
#[inline]
fn ascii_alnum_bytes(x: u64) -> u64 {
    let ascii = !x & HIGH_BITS;
    let y = x & !HIGH_BITS;
    // For 7-bit bytes, `y + (0x80 - lo)` sets the byte's high bit iff y >= lo, with no carry
    // into the next byte; `y + (0x7f - hi)` sets it iff y > hi.
    let at_least = |v: u64, lo: u8| v.wrapping_add(repeat(0x80 - lo));
    let above = |v: u64, hi: u8| v.wrapping_add(repeat(0x7f - hi));
    let digit = at_least(y, b'0') & !above(y, b'9');
    let folded = y | repeat(0x20);
    let letter = at_least(folded, b'a') & !above(folded, b'z');
    (digit | letter) & ascii
}

/// The high bit of each byte of `x` set where that byte is an ASCII lowercase letter.
#[inline]
fn ascii_lowercase_bytes(x: u64) -> u64 {
    let y = x & !HIGH_BITS;
    let lower = y.wrapping_add(repeat(0x80 - b'a')) & !y.wrapping_add(repeat(0x7f - b'z'));
    lower & !x & HIGH_BITS
}

/// Bit masks of a block of bytes (bit `i` for byte `i`): ASCII letters and digits; bytes that
/// may start an anchor (capital letters, digits and the lowercase letters `firsts`, or every
/// letter and digit when `all`); non-ASCII bytes.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct BlockMasks {
    alnum: u64,
    may: u64,
    non_ascii: u64,
    /// How many bytes the block has (16 or 32).
    width: u32,
}

/// Which lowercase letters may start an anchor, for the block masks: every letter (`all`), the
/// bytes `firsts`, or, where the block's next byte is at hand, the byte pairs `pairs`.
#[cfg(target_arch = "x86_64")]
struct LowerStarts<'a> {
    firsts: &'a [u8; MAX_LOWER_FIRSTS],
    pairs: Option<&'a [[u8; 2]; MAX_LOWER_FIRSTS]>,
    all: bool,
}

/// The body of [`block16`] and [`block32`], which compute the same masks with SSE2's and AVX2's
/// intrinsics: given the vector type, the mask's integer type, and the load, and, or, cmpeq,
/// cmpgt, set1 and movemask instructions of the width. Expanded inside `unsafe`, where those
/// instructions are available and `$block` has at least `$width` bytes.
#[cfg(target_arch = "x86_64")]
macro_rules! block_masks {
    ($block:ident, $lower:ident, $width:literal, $vector:ty, $mask:ty,
     $load:ident, $and:ident, $or:ident, $eq:ident, $gt:ident, $set1:ident, $movemask:ident) => {{
        let x = $load($block.as_ptr().cast::<$vector>());
        // Signed compares: non-ASCII bytes are negative, so in no range.
        let range = |lo: u8, hi: u8| $and($gt(x, $set1(lo as i8 - 1)), $gt($set1(hi as i8 + 1), x));
        let capital_or_digit = $or(range(b'A', b'Z'), range(b'0', b'9'));
        let alnum = $movemask($or(capital_or_digit, range(b'a', b'z'))) as $mask;
        let may = match $lower {
            LowerStarts { all: true, .. } => alnum,
            LowerStarts { pairs: Some(pairs), .. } if $block.len() > $width => {
                let next = $load($block.as_ptr().add(1).cast::<$vector>());
                let mut m = capital_or_digit;
                for &[a, b] in *pairs {
                    m = $or(m, $and($eq(x, $set1(a as i8)), $eq(next, $set1(b as i8))));
                }
                $movemask(m) as $mask
            }
            LowerStarts { firsts, .. } => {
                let mut m = capital_or_digit;
                for &b in *firsts {
                    m = $or(m, $eq(x, $set1(b as i8)));
                }
                $movemask(m) as $mask
            }
        };
        let non_ascii = $movemask(x) as $mask;
        BlockMasks { alnum: alnum.into(), may: may.into(), non_ascii: non_ascii.into(), width: $width }
    }};
}

/// [`BlockMasks`] of sixteen bytes (`block` has at least sixteen; a seventeenth, if there,
/// serves the pairs of [`LowerStarts`]).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn block16(block: &[u8], lower: &LowerStarts) -> BlockMasks {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    assert!(block.len() >= 16);
    // SAFETY: SSE2 is part of every x86_64 target, so these instructions exist; the unaligned
    // loads read the first sixteen bytes of `block`, which has that many, and bytes 1 to 16
    // only when it has seventeen.
    unsafe {
        block_masks!(
            block,
            lower,
            16,
            __m128i,
            u16,
            _mm_loadu_si128,
            _mm_and_si128,
            _mm_or_si128,
            _mm_cmpeq_epi8,
            _mm_cmpgt_epi8,
            _mm_set1_epi8,
            _mm_movemask_epi8
        )
    }
}

/// [`BlockMasks`] of thirty-two bytes (`block` has at least thirty-two; a thirty-third, if
/// there, serves the pairs of [`LowerStarts`]).
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn block32(block: &[u8], lower: &LowerStarts) -> BlockMasks {
    use std::arch::x86_64::{
        __m256i, _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_cmpgt_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8,
    };
    assert!(block.len() >= 32);
    // SAFETY: the caller guarantees AVX2; the unaligned loads read the first thirty-two bytes
    // of `block`, which has that many, and bytes 1 to 32 only when it has thirty-three.
    unsafe {
        block_masks!(
            block,
            lower,
            32,
            __m256i,
            u32,
            _mm256_loadu_si256,
            _mm256_and_si256,
            _mm256_or_si256,
            _mm256_cmpeq_epi8,
            _mm256_cmpgt_epi8,
            _mm256_set1_epi8,
            _mm256_movemask_epi8
        )
    }
}

/// The high bit of each byte of `x` set where that byte equals the byte repeated in `b`.
#[inline]
fn equal_bytes(x: u64, b: u64) -> u64 {
    let t = x ^ b;
    // A byte of `t` is zero iff adding 0x7f to its low seven bits leaves its high bit clear and
    // its own high bit is clear (no carry crosses bytes).
    !(((t & !HIGH_BITS).wrapping_add(!HIGH_BITS)) | t) & HIGH_BITS
}

/// `char::is_alphanumeric`, with a fast answer for the punctuation news is full of (curly
/// quotes, dashes, ellipses: the General Punctuation block), which otherwise costs a table search.
#[inline]
fn is_alphanumeric(c: char) -> bool {
    !('\u{2000}'..='\u{206f}').contains(&c) && c.is_alphanumeric()
}

/// Whether `text[..at]` ends a word within `text[..end]`: the next character, if any, is not a
/// letter or digit.
fn ends_word(text: &str, at: usize, end: usize) -> bool {
    match text.as_bytes()[..end].get(at) {
        None => true,
        Some(&b) if b.is_ascii() => !b.is_ascii_alphanumeric(),
        Some(_) => text.get(at..).and_then(|r| r.chars().next()).is_none_or(|c| !is_alphanumeric(c)),
    }
}

fn prev_is_alphanumeric(text: &str, pos: usize) -> bool {
    match text.as_bytes()[..pos].last() {
        None => false,
        Some(&b) if b.is_ascii() => b.is_ascii_alphanumeric(),
        Some(_) => text[..pos].chars().next_back().is_some_and(is_alphanumeric),
    }
}

/// Length in bytes of the run of letters and digits at the start of `s`.
fn word_len(s: &[u8]) -> usize {
    let mut n = 0;
    while n < s.len() {
        let b = s[n];
        if b.is_ascii_alphanumeric() {
            n += 1;
        } else if b < 0x80 {
            break;
        } else {
            // Non-ASCII: decode one char (patterns and text are valid UTF-8 at char starts).
            let rest = match std::str::from_utf8(&s[n..(n + 4).min(s.len())]) {
                Ok(r) => r,
                Err(e) => std::str::from_utf8(&s[n..n + e.valid_up_to()]).unwrap_or(""),
            };
            match rest.chars().next() {
                Some(c) if is_alphanumeric(c) => n += c.len_utf8(),
                _ => break,
            }
        }
    }
    n
}

/// A byte trie of the tails: each state is one prefix of some tail, its children sorted by byte.
struct Trie {
    /// Per state: its children in `edges` (start, end) and the tail that ends here.
    states: Vec<TrieState>,
    edges: Vec<(u8, u32)>,
}

/// One state in sixteen bytes. Its first child is kept in the state too: most states past a
/// first word have one child, and a walk then reads only the states.
#[derive(Clone, Copy)]
struct TrieState {
    /// Children in `edges`: from `start`, `len` of them, sorted by byte.
    start: u32,
    len: u16,
    /// The first child's byte and state (when `len > 0`).
    first_byte: u8,
    first: u32,
    /// The tail that ends here, or [`TrieState::NO_TAIL`].
    tail: u32,
}

impl TrieState {
    const NO_TAIL: u32 = u32::MAX;
}

const _: () = assert!(std::mem::size_of::<TrieState>() == 16);

impl Trie {
    const ROOT: u32 = 0;

    /// The trie of `tails` (ASCII-lowercased when `fold_case`); of tails that are equal, the first
    /// one is kept.
    fn new(tails: &[&[u8]], fold_case: bool) -> Result<Trie, BuildError> {
        // Built with per-state child lists, then laid out flat.
        let mut children: Vec<Vec<(u8, u32)>> = vec![Vec::new()];
        let mut ends: Vec<Option<PatternID>> = vec![None];
        for (i, tail) in tails.iter().enumerate() {
            let mut s = 0usize;
            for &b in *tail {
                let b = if fold_case { b.to_ascii_lowercase() } else { b };
                s = match children[s].iter().find(|&&(c, _)| c == b) {
                    Some(&(_, next)) => next as usize,
                    None => {
                        let next = children.len();
                        if next >= u32::MAX as usize {
                            return Err(BuildError { states: next });
                        }
                        children[s].push((b, next as u32));
                        children.push(Vec::new());
                        ends.push(None);
                        next
                    }
                };
            }
            ends[s].get_or_insert(PatternID::new_unchecked(i));
        }
        let mut trie = Trie { states: Vec::with_capacity(children.len()), edges: Vec::new() };
        for (mut kids, tail) in children.into_iter().zip(ends) {
            kids.sort_unstable_by_key(|&(b, _)| b);
            let (first_byte, first) = kids.first().copied().unwrap_or((0, 0));
            let start = trie.edges.len() as u32;
            // At most 256 children, one per byte.
            let len = kids.len() as u16;
            trie.edges.extend(kids);
            let tail = tail.map_or(TrieState::NO_TAIL, |t| t.as_u32());
            trie.states.push(TrieState { start, len, first_byte, first, tail });
        }
        Ok(trie)
    }

    fn children(&self, state: u32) -> &[(u8, u32)] {
        let s = &self.states[state as usize];
        &self.edges[s.start as usize..s.start as usize + usize::from(s.len)]
    }

    /// The state after byte `b`, if some tail goes on with it. Most states past a first word
    /// have one child, kept in the state; the others few: a linear search beats a binary one.
    #[inline]
    fn step(&self, state: u32, b: u8) -> Option<u32> {
        let s = &self.states[state as usize];
        if s.len > 0 && s.first_byte == b {
            return Some(s.first);
        }
        if s.len <= 1 {
            return None;
        }
        self.children(state)[1..].iter().find(|&&(c, _)| c == b).map(|&(_, next)| next)
    }

    /// The tail that ends at `state`.
    #[inline]
    fn tail(&self, state: u32) -> Option<PatternID> {
        let t = self.states[state as usize].tail;
        (t != TrieState::NO_TAIL).then(|| PatternID::new_unchecked(t as usize))
    }
}

// A look-up reads one entry: it should fit a cache line.
const _: () = assert!(std::mem::size_of::<Entry>() <= 64);

/// What the matcher knows about one first word of the phrases.
#[derive(Clone, Copy, Default)]
struct Entry {
    /// The trie state after the word.
    state: u32,
    /// The phrase that is the word alone, if any.
    pattern: Option<PatternID>,
    /// The word (ASCII-lowercased when folding case) in [`FirstWords::keys`]; `(0, 0)` marks a
    /// free slot of [`FirstWords::table`].
    key: (u32, u32),
    /// [`FirstWords::hash`] of the word.
    hash: u32,
    /// [`word_bits`] of a word of at most 7 ASCII bytes, which then identify it: compared
    /// without a call to `memcmp`.
    short: Option<u64>,
    /// Bytes that can come right after the word in some phrase, bytes after which a phrase
    /// ends, and bytes that can come second after it: most continuations ("the president")
    /// are ruled out by two bit tests before any trie step.
    next1: ByteFilter,
    ends1: ByteFilter,
    next2: ByteFilter,
}

/// A set of bytes that may answer yes for a byte not in it (bytes are kept by their low six
/// bits): as a filter in front of the trie, a false yes costs a trie step, and the entry stays
/// within one cache line (three exact 256-bit sets made it two or three).
#[derive(Clone, Copy, Default)]
struct ByteFilter(u64);

impl ByteFilter {
    fn insert(&mut self, b: u8) {
        self.0 |= 1 << (b & 63);
    }

    /// False only if `b` was never inserted.
    #[inline(always)]
    fn may_contain(&self, b: u8) -> bool {
        self.0 & (1 << (b & 63)) != 0
    }
}

/// The phrases' first words, behind two cheap filters, because most words of a text start no
/// phrase ("said", "Press", "Presidential"): a table of the word lengths each first byte starts
/// (1 KB), then a one-bit filter of the words' hashes (4 KB; both stay in L1 cache), then an
/// exact open-addressing table.
#[derive(Default)]
struct FirstWords {
    /// Bit `n` of `lengths[b]`: some first word starts with byte `b` and is `n` bytes long
    /// (bit 31: 31 bytes or more).
    lengths: Vec<u32>,
    bits: Vec<u64>,
    /// The entries as they are inserted, until [`FirstWords::finish`].
    entries: Vec<Entry>,
    /// The open-addressing table of the entries themselves (hash included), so that a look-up
    /// reads one cache line, not a slot and then its entry.
    table: Vec<Entry>,
    keys: Vec<u8>,
}

/// Bytes of a word as one integer, ASCII-lowercased when folding (`| 0x20` maps `A`–`Z` to
/// `a`–`z` and leaves digits alone; other bytes may collide, which only costs a key compare).
#[inline(always)]
fn word_bits(word: &[u8], fold_case: bool) -> u64 {
    let n = word.len();
    let fold = |x: u64| if fold_case { x | 0x2020_2020_2020_2020 } else { x };
    let x = if n >= 8 {
        // Long words: the first and last eight bytes (with the length, enough to spread them),
        // each folded before they are mixed, so that case cannot leak through the rotation.
        let head = u64::from_le_bytes(word[..8].try_into().unwrap_or([0; 8]));
        let tail = u64::from_le_bytes(word[n - 8..].try_into().unwrap_or([0; 8]));
        fold(head) ^ fold(tail).rotate_left(23)
    } else if n >= 4 {
        let head = u32::from_le_bytes(word[..4].try_into().unwrap_or([0; 4]));
        let tail = u32::from_le_bytes(word[n - 4..].try_into().unwrap_or([0; 4]));
        u64::from(head) | (u64::from(tail) << 32)
    } else if n > 0 {
        u64::from(word[0]) | (u64::from(word[n / 2]) << 8) | (u64::from(word[n - 1]) << 16)
    } else {
        0
    };
    // Shorter words: one byte a lane, so folding the whole word folds each byte.
    fold(x)
}

/// `a == b`, without a call to `memcmp` for the short strings compared here (first words such
/// as "President" or "Washington", heads such as "the "): two overlapping loads cover them.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let at8 = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or([0; 8]));
    let at4 = |s: &[u8], i: usize| u32::from_le_bytes(s[i..i + 4].try_into().unwrap_or([0; 4]));
    match n {
        8..=16 => at8(a, 0) == at8(b, 0) && at8(a, n - 8) == at8(b, n - 8),
        4..=7 => at4(a, 0) == at4(b, 0) && at4(a, n - 4) == at4(b, n - 4),
        _ => a == b,
    }
}

impl FirstWords {
    // 32 Kbit: with ~5k distinct first words about 1 in 7 of other words passes the filter.
    const BITS: usize = 1 << 15;

    #[inline(always)]
    fn hash(word: &[u8], fold_case: bool) -> u32 {
        let h = (word_bits(word, fold_case) ^ (word.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .wrapping_mul(0xff51_afd7_ed55_8ccd);
        (h ^ (h >> 32)) as u32
    }

    #[inline]
    fn length_bit(len: usize) -> u32 {
        1 << len.min(31)
    }

    /// Whether some first word starts with byte `b`.
    #[inline]
    fn may_start(&self, b: u8) -> bool {
        self.lengths[b as usize] != 0
    }

    fn key(&self, e: &Entry) -> &[u8] {
        &self.keys[e.key.0 as usize..e.key.1 as usize]
    }

    /// Adds the first word of a pattern; each word is added once.
    fn insert(&mut self, word: &[u8], fold_case: bool, trie: &Trie) {
        let folded: Vec<u8> = if fold_case { word.to_ascii_lowercase() } else { word.to_vec() };
        let Some(state) = folded.iter().try_fold(Trie::ROOT, |s, &b| trie.step(s, b)) else { return };
        let pattern = trie.tail(state);
        // Which bytes lead on from here (both cases when folding), and which second bytes after
        // them.
        let (mut next1, mut ends1, mut next2) = (ByteFilter::default(), ByteFilter::default(), ByteFilter::default());
        let both = |set: &mut ByteFilter, b: u8| {
            set.insert(b);
            if fold_case {
                set.insert(b.to_ascii_uppercase());
            }
        };
        for &(b0, s1) in trie.children(state) {
            both(&mut next1, b0);
            if trie.tail(s1).is_some() {
                both(&mut ends1, b0);
            }
            for &(b1, _) in trie.children(s1) {
                both(&mut next2, b1);
            }
        }
        let short = (folded.len() <= 7 && folded.is_ascii()).then(|| word_bits(&folded, fold_case));
        let start = self.keys.len() as u32;
        self.keys.extend_from_slice(&folded);
        let hash = Self::hash(&folded, fold_case);
        self.entries.push(Entry {
            state,
            pattern,
            key: (start, self.keys.len() as u32),
            hash,
            short,
            next1,
            ends1,
            next2,
        });
    }

    /// Builds the filters and the table once every word is in.
    fn finish(&mut self, fold_case: bool) {
        self.lengths = vec![0; 256];
        self.bits = vec![0; Self::BITS / 64];
        let size = (self.entries.len() * 2).next_power_of_two().max(16);
        let free = Entry { key: (0, 0), ..Entry::default() };
        self.table = vec![free; size];
        for e in std::mem::take(&mut self.entries) {
            let key = &self.keys[e.key.0 as usize..e.key.1 as usize];
            let first = key[0];
            for b in [first, first.to_ascii_uppercase()] {
                if fold_case || b == first {
                    self.lengths[b as usize] |= Self::length_bit(key.len());
                }
            }
            let k = e.hash as usize & (Self::BITS - 1);
            self.bits[k / 64] |= 1 << (k % 64);
            let mut s = e.hash as usize & (size - 1);
            while self.table[s].key != (0, 0) {
                s = (s + 1) & (size - 1);
            }
            self.table[s] = e;
        }
    }

    /// The word's hash if it passes both filters (it may be a first word).
    #[inline(always)]
    fn filter(&self, word: &[u8], fold_case: bool) -> Option<u32> {
        let &first = word.first()?;
        if self.lengths[first as usize] & Self::length_bit(word.len()) == 0 {
            return None;
        }
        let hash = Self::hash(word, fold_case);
        let k = hash as usize & (Self::BITS - 1);
        (self.bits[k / 64] & (1 << (k % 64)) != 0).then_some(hash)
    }

    /// The entry of a text word whose [`FirstWords::filter`] hash is `hash`, compared exactly
    /// (ASCII case folded when `fold_case`).
    fn get(&self, word: &[u8], hash: u32, fold_case: bool) -> Option<&Entry> {
        let mask = self.table.len() - 1;
        let mut s = hash as usize & mask;
        loop {
            let e = &self.table[s];
            if e.key == (0, 0) {
                return None;
            }
            if e.hash == hash {
                let same = match e.short {
                    Some(bits) => (e.key.1 - e.key.0) as usize == word.len() && word_bits(word, fold_case) == bits,
                    None if fold_case => self.key(e).eq_ignore_ascii_case(word),
                    None => same_bytes(self.key(e), word),
                };
                if same {
                    return Some(e);
                }
            }
            s = (s + 1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(m: &PhraseMatcher, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut pos = 0;
        while let Some(x) = m.next(text, pos, text.len()) {
            out.push(text[x.start()..x.end()].to_string());
            pos = x.end();
        }
        out
    }

    #[test]
    fn matches_whole_words_longest_first() {
        let m = PhraseMatcher::new(["US", "USA", "New Mexico", "Mexico", "Oman", "Élysée"], false).unwrap();
        assert_eq!(
            all(&m, "The US and USA, New Mexico; Mexico's woman Omani Oman. l'Élysée"),
            ["US", "USA", "New Mexico", "Mexico", "Oman", "Élysée"]
        );
        assert_eq!(all(&m, "us, usa, mexico"), Vec::<String>::new());
    }

    #[test]
    fn folds_ascii_case_when_asked() {
        let m = PhraseMatcher::new(["pushed back", "not", "aid"], true).unwrap();
        assert_eq!(all(&m, "Kirby Pushed back; another said NOT aid."), ["Pushed back", "NOT", "aid"]);
        // First words of eight bytes or more, capitalised (a long word's hash mixes its bytes).
        let m = PhraseMatcher::new(["criticised", "condemned the", "european council"], true).unwrap();
        assert_eq!(
            all(&m, "Criticised. CONDEMNED THE plan; European Council"),
            ["Criticised", "CONDEMNED THE", "European Council"]
        );
    }

    #[test]
    fn reports_only_phrases_that_start_where_the_walk_started() {
        // An Aho-Corasick state after "President of the European Council" also carries the
        // match of its suffix "European Council"; a walk from "President" must not report it.
        let m =
            PhraseMatcher::new(["European Council", "President of the European Council Donald Tusk"], false).unwrap();
        assert_eq!(all(&m, "The President of the European Council, Donald Tusk"), ["European Council"]);
        let x = m.at("President of the European Council, Donald", 0, 41);
        assert!(x.is_none(), "{x:?}");
    }

    #[test]
    fn a_longer_phrase_cut_inside_a_word_falls_back_to_the_shorter_one() {
        let m = PhraseMatcher::new(
            ["Pentagon", "Pentagon spokesman Jonathan Hoffman", "Serbian", "Serbian language"],
            false,
        )
        .unwrap();
        assert_eq!(all(&m, "Pentagon spokesman Jonathan Hoffmann said; Serbian languages"), ["Pentagon", "Serbian"]);
        assert_eq!(all(&m, "the Serbian language."), ["Serbian language"]);
    }

    #[test]
    fn first_words_shared_by_many_phrases() {
        let m = PhraseMatcher::new(["the West", "the Kremlin", "the White House", "White House"], false).unwrap();
        assert_eq!(
            all(&m, "the Westerners, the Kremlin and the White House; the White Housekeeper; White House-led"),
            ["the Kremlin", "the White House", "White House"]
        );
        let folded = PhraseMatcher::new(["pushed back", "push"], true).unwrap();
        assert_eq!(all(&folded, "PUSHED BACK, Push, pushed"), ["PUSHED BACK", "Push"]);
    }

    #[test]
    fn lowercase_words_are_skipped_only_when_few_letters_start_anchors() {
        // "the pope" and "western nations" are anchored on their words with the rarest first
        // letters, "pope" and "nations": the mask lets words starting with "n" and "p" through
        // and skips the rest (every "the" and "western" among them).
        let few = PhraseMatcher::new(["the pope", "western nations", "The West", "in The Hague"], false).unwrap();
        assert!(few.skip_lowercase && few.lower_firsts == *b"np\0\0");
        // And of those, only the words that start like an anchor: "po", "na".
        assert_eq!(few.lower_pairs, Some([*b"po", *b"na", [0, 0], [0, 0]]));
        // A one-letter lowercase anchor has no pair: the first letters serve.
        let one = PhraseMatcher::new(["the pope", "x"], false).unwrap();
        assert!(one.skip_lowercase && one.lower_pairs.is_none());
        assert_eq!(all(&one, "x, the pope and the popes; people and x"), ["x", "the pope", "x"]);
        assert_eq!(few.reach_back, 0);
        assert_eq!(
            all(&few, "the pope met western nations in The Hague; The West and the popes, westerners"),
            ["the pope", "western nations", "in The Hague", "The West"]
        );
        // A lowercase phrase that ends exactly where the text (or the range) does.
        assert_eq!(all(&few, "they met the pope"), ["the pope"]);
        assert_eq!(few.next("the pope", 0, 8).map(|m| m.range()), Some(0..8));
        assert_eq!(few.next("the popes", 0, 8).map(|m| m.range()), Some(0..8));
        // Five lowercase first letters: every word is looked up, with the same results.
        let many = PhraseMatcher::new(["alpha one", "bravo", "charlie", "delta", "echo", "Foxtrot", "the Golf"], false)
            .unwrap();
        assert!(!many.skip_lowercase && many.lower_firsts == [0; MAX_LOWER_FIRSTS]);
        let text = "alpha one, Alpha one, bravo charlie; delta echo Foxtrot the Golf. alphabet";
        assert_eq!(all(&many, text), ["alpha one", "bravo", "charlie", "delta", "echo", "Foxtrot", "the Golf"]);
    }

    #[test]
    fn lowercase_phrases_are_anchored_on_the_rarest_letters() {
        // The shipped lexicon's case: "western" must be in (twelve "western X" phrases with nine
        // second letters), and "pope" and "pontiff" share "p", rarer than "the".
        let western = ["nations", "leaders", "countries", "powers", "allies", "officials", "democracies", "backers"];
        let mut phrases: Vec<String> = western.iter().map(|w| format!("western {w}")).collect();
        phrases.extend(["the pope", "the pontiff", "The Kremlin", "the West"].map(String::from));
        assert_eq!(lowercase_cover(&phrases), Some(letter_bit(b'p') | letter_bit(b'w')));
        assert_eq!(anchor_of(b"the pope", letter_bit(b'p') | letter_bit(b'w')), 4);
        assert_eq!(anchor_of(b"the West", letter_bit(b'p')), 4);
        // A set of four letters at most: five one-word phrases with five letters have none.
        assert_eq!(lowercase_cover(&["alpha", "bravo", "charlie", "delta", "echo"]), None);
        assert_eq!(lowercase_cover(&["alpha", "bravo", "charlie", "delta", "Echo"]).map(u32::count_ones), Some(4));
        assert_eq!(lowercase_cover(&["The Hague", "US"]), Some(0));
        // Past its budget of steps the search gives up, though a set exists.
        // (Two "western" phrases: "nations" and "leaders", 2.3 % and 2.4 %, are rarer together
        // than "western", 5.5 %.)
        let few = ["the pope", "western nations", "western leaders"];
        let rarest = letter_bit(b'l') | letter_bit(b'n') | letter_bit(b'p');
        assert_eq!(lowercase_cover_within(&few, 100), Some(rarest));
        assert_eq!(lowercase_cover_within(&few, 3), None);
    }

    #[test]
    fn a_phrase_anchored_further_on_can_start_first() {
        // "the pope" is found at "pope"; "the pope Francis" (anchored on "Francis") and "western
        // nations Alliance" start at the same place or earlier and are longer.
        let m = PhraseMatcher::new(
            ["the pope", "the pope Francis", "nations", "western nations Alliance", "Alliance"],
            false,
        )
        .unwrap();
        assert!(m.reach_back > 0);
        assert_eq!(
            all(&m, "the pope Francis and the pope met western nations Alliance, nations Alliance"),
            ["the pope Francis", "the pope", "western nations Alliance", "nations", "Alliance"]
        );
        assert_eq!(m.at("the pope Francis", 0, 16).map(|x| x.range()), Some(0..16));
        // The longest head reaches exactly from the phrase found to the further anchor.
        let m = PhraseMatcher::new(["the pope", "the pope Francis"], false).unwrap();
        assert_eq!(m.reach_back, "the pope ".len());
        assert_eq!(all(&m, "the pope Francis"), ["the pope Francis"]);
        assert_eq!(m.next("the pope Francis", 1, 16).map(|x| x.range()), None);
    }

    #[test]
    fn eight_byte_word_scan_agrees_with_the_byte_test() {
        for b in 0..=255u8 {
            for lane in 0..8 {
                let mut chunk = [b'a'; 8];
                chunk[lane] = b;
                let mask = ascii_alnum_bytes(u64::from_le_bytes(chunk));
                let expected = b.is_ascii_alphanumeric();
                assert_eq!(mask & (0x80 << (8 * lane)) != 0, expected, "byte {b:#x} in lane {lane}");
                let lower = ascii_lowercase_bytes(u64::from_le_bytes(chunk));
                assert_eq!(lower & (0x80 << (8 * lane)) != 0, b.is_ascii_lowercase(), "byte {b:#x} in lane {lane}");
                for probe in [0u8, b'a', b't', 0x80, 0xff] {
                    let equal = equal_bytes(u64::from_le_bytes(chunk), repeat(probe));
                    for (l, &c) in chunk.iter().enumerate() {
                        assert_eq!(equal & (0x80 << (8 * l)) != 0, c == probe, "{probe:#x} in {chunk:?} lane {l}");
                    }
                }
            }
        }
        let text = b"Presidential candidates, 12345678901x y";
        for start in 0..text.len() {
            let mut naive = start;
            while naive < text.len() && text[naive].is_ascii_alphanumeric() {
                naive += 1;
            }
            assert_eq!(ascii_word_end(text, start, text.len()), naive.max(start), "from {start}");
        }
    }

    /// The specification, spelled out slowly: at every word start, the longest pattern (ASCII
    /// case folded when asked) that ends on a word boundary; the scan resumes after a match.
    fn reference(patterns: &[&str], fold_case: bool, text: &str, from: usize) -> Vec<(usize, usize)> {
        let alnum_before = |i: usize| text[..i].chars().next_back().is_some_and(is_alphanumeric);
        let alnum_at = |i: usize| text[i..].chars().next().is_some_and(is_alphanumeric);
        let mut out = Vec::new();
        let mut i = from;
        while i < text.len() {
            let mut best: Option<usize> = None;
            if text.is_char_boundary(i) && alnum_at(i) && !alnum_before(i) {
                for p in patterns {
                    let Some(candidate) = text.get(i..i + p.len()) else { continue };
                    let same = if fold_case { candidate.eq_ignore_ascii_case(p) } else { candidate == *p };
                    if same && !alnum_at(i + p.len()) && best.is_none_or(|b| p.len() > b) {
                        best = Some(p.len());
                    }
                }
            }
            match best {
                Some(n) => {
                    out.push((i, i + n));
                    i += n;
                }
                None => i += 1,
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_reference(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    // Whole patterns, patterns cut short or run on, and the words between.
                    "the West", "The West", "the Westerners", "the White House", "the White", "White House",
                    "US", "USA", "us", "U.S.", "U.S", "New Mexico", "New", "Mexico", "Kyiv", "Côte d'Ivoire", "Côte",
                    "President of the European Council", "President of the European Council Donald Tusk",
                    "President of the European Council Donald", "European Council", "pushed back", "PUSHED",
                    "é", "-", " ", " ", " ", ",", ".", "'s", "’", "“", "x", "1", "of", "the",
                    // Heads before an anchor word, and phrases of lowercase words only.
                    "in The Hague", "The Hague", "in", "al-Jubeir", "al-", "Jubeir", "inter-Korean", "Korean",
                    "mayor of London", "London", "mayor", "western nations", "western", "nations", "the pope",
                    "pope", "Western", "the pope's", "ethnic", "ethnic Russians", "Russian",
                    // Phrases anchored further on than a lowercase phrase inside them.
                    "the pope Francis", "Francis", "western nations Alliance", "Alliance", "pushed back hard",
                    // The edges of the byte ranges the SIMD masks test.
                    "Zelenskyy", "Z", "z", "G20", "G2", "0", "9", "@", "[", "`", "{", "/", ":",
                ]),
                0..40,
            ),
            fold_case in proptest::bool::ANY,
            reaching_back in proptest::bool::ANY,
            from in 0usize..12,
            cut_back in 0usize..24,
        ) {
            let mut patterns = vec![
                "the West", "The West", "the White House", "White House", "US", "USA", "U.S.", "New Mexico",
                "Mexico", "Kyiv", "Côte d'Ivoire", "European Council", "President of the European Council Donald Tusk",
                "pushed back", "West", "in The Hague", "The Hague", "al-Jubeir", "Jubeir", "inter-Korean",
                "mayor of London", "of London", "London", "western nations", "Western nations", "the pope", "ethnic Russians",
                "Russians", "ethnic Russian", "Zelenskyy", "G20", "Z9",
            ];
            if reaching_back {
                patterns.extend(["the pope Francis", "nations", "western nations Alliance", "pushed back hard Alliance"]);
            }
            let text: String = parts.concat();
            // The SSE2 scan and, where the CPU has it, the AVX2 scan.
            for avx2 in [false, has_avx2()] {
            let mut m = PhraseMatcher::new(&patterns, fold_case).unwrap();
            m.avx2 = avx2;
            // The scan may start anywhere, also inside a word or a head.
            let mut from = from.min(text.len());
            while !text.is_char_boundary(from) {
                from += 1;
            }
            let got: Vec<(usize, usize)> = {
                let mut v = Vec::new();
                let mut pos = from;
                while let Some(x) = m.next(&text, pos, text.len()) {
                    v.push((x.start(), x.end()));
                    // The reported pattern is the text found.
                    let (found, pattern) = (&text[x.start()..x.end()], patterns[x.pattern().as_usize()]);
                    proptest::prop_assert!(found == pattern || (fold_case && found.eq_ignore_ascii_case(pattern)));
                    pos = x.end();
                }
                v
            };
            let want = reference(&patterns, fold_case, &text, from);
            proptest::prop_assert_eq!(&got, &want, "{:?} from {}", text, from);
            // A range that ends before the text does: as if the text ended there (the scan
            // reads past the range's end, but must not match past it).
            let mut cut = text.len().saturating_sub(cut_back).max(from);
            while !text.is_char_boundary(cut) {
                cut += 1;
            }
            let mut in_range = Vec::new();
            let mut pos = from;
            while let Some(x) = m.next(&text, pos, cut) {
                in_range.push((x.start(), x.end()));
                pos = x.end();
            }
            proptest::prop_assert_eq!(in_range, reference(&patterns, fold_case, &text[..cut], from), "{:?} from {} to {}", text, from, cut);
            // `at` finds the same phrase at each word start the reference reports.
            for &(s, e) in &want {
                proptest::prop_assert_eq!(m.at(&text, s, text.len()).map(|x| (x.start(), x.end())), Some((s, e)));
            }
            }
        }
    }

    #[test]
    fn compares_words_of_any_length() {
        for n in 0..20 {
            let a: Vec<u8> = (0..n as u8).map(|i| b'a' + i).collect();
            assert!(same_bytes(&a, &a.clone()));
            for i in 0..n {
                let mut b = a.clone();
                b[i] = b'Z';
                assert!(!same_bytes(&a, &b), "{n} bytes, byte {i} differs");
            }
            assert!(!same_bytes(&a, &a[..n.saturating_sub(1)]) || n == 0);
        }
    }

    #[test]
    fn respects_the_range_and_odd_input() {
        let m = PhraseMatcher::new(["ab"], false).unwrap();
        let t = "ab ab ab";
        assert_eq!(m.next(t, 1, t.len()).map(|x| x.start()), Some(3));
        assert_eq!(m.next(t, 3, 4), None);
        assert_eq!(m.next("\u{0}ab\u{fffd}ab", 0, 8).map(|x| x.start()), Some(1));
    }
}
