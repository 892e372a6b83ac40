//! Phrase matching at word starts, shared by the actor and cue lexicons.
//!
//! Both lexicons hold thousands of phrases that only ever start at the beginning of a word.
//! Running an Aho-Corasick automaton over every byte of a 100 MB corpus costs more than all the
//! rest of the matching, so [`PhraseMatcher`] jumps from word start to word start and runs the
//! automaton (a DFA, anchored) only where a one-bit prefix filter says some phrase may begin.

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, Match, MatchKind, StartKind};

/// Leftmost-longest phrase matcher anchored at word starts.
pub struct PhraseMatcher {
    automaton: DFA,
    /// Bytes that begin some phrase (both cases when folding).
    first_bytes: [bool; 256],
    prefixes: PrefixFilter,
    /// Whether matching ignores ASCII case.
    fold_case: bool,
}

impl PhraseMatcher {
    /// Compiles `patterns` into a full DFA (a few MB, built once per run; each probe is then a
    /// handful of table lookups); `fold_case` makes matching ASCII case-insensitive.
    pub fn new<I, P>(patterns: I, fold_case: bool) -> Result<PhraseMatcher, aho_corasick::BuildError>
    where
        I: IntoIterator<Item = P> + Clone,
        P: AsRef<[u8]>,
    {
        let automaton = DFA::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .ascii_case_insensitive(fold_case)
            .build(patterns.clone())?;
        let mut first_bytes = [false; 256];
        for p in patterns.clone() {
            if let Some(&b) = p.as_ref().first() {
                first_bytes[b as usize] = true;
                if fold_case {
                    first_bytes[b.to_ascii_lowercase() as usize] = true;
                    first_bytes[b.to_ascii_uppercase() as usize] = true;
                }
            }
        }
        let prefixes = PrefixFilter::new(patterns, fold_case);
        Ok(PhraseMatcher { automaton, first_bytes, prefixes, fold_case })
    }

    /// The longest phrase starting exactly at `pos` and ending before `end` on a word boundary.
    pub fn at(&self, text: &str, pos: usize, end: usize) -> Option<Match> {
        let bytes = &text.as_bytes()[..end];
        if pos >= end || !self.first_bytes[bytes[pos] as usize] {
            return None;
        }
        let word = word_len(&bytes[pos..]);
        self.walk(text, pos, end, word)
    }

    /// [`PhraseMatcher::at`] for a word start whose first word is `word` bytes long.
    fn walk(&self, text: &str, pos: usize, end: usize, word: usize) -> Option<Match> {
        let bytes = &text.as_bytes()[..end];
        if !self.prefixes.may_start_word(&bytes[pos..pos + word], self.fold_case) {
            return None;
        }
        // An anchored leftmost-longest walk of the DFA: keep the last match until the
        // automaton dies. This is the search loop of `aho_corasick::automaton::Automaton`'s
        // documentation without the per-call setup of a general search.
        let dfa = &self.automaton;
        let mut sid = dfa.start_state(Anchored::Yes).ok()?;
        let mut found = None;
        for (at, &b) in bytes.iter().enumerate().skip(pos) {
            sid = dfa.next_state(Anchored::Yes, sid, b);
            if dfa.is_special(sid) {
                if dfa.is_dead(sid) {
                    break;
                }
                if dfa.is_match(sid) {
                    let pid = dfa.match_pattern(sid, 0);
                    let len = dfa.pattern_len(pid);
                    found = Some(Match::new(pid, (at + 1 - len)..(at + 1)));
                }
            }
        }
        let m = found?;
        text[m.end()..].chars().next().is_none_or(|c| !c.is_alphanumeric()).then_some(m)
    }

    /// The next phrase in `text[pos..end]` that starts at a word start and ends at a word end.
    pub fn next(&self, text: &str, mut pos: usize, end: usize) -> Option<Match> {
        let bytes = text.as_bytes();
        let end = end.min(text.len());
        let mut prev_alnum = prev_is_alphanumeric(text, pos);
        while pos < end {
            let b = bytes[pos];
            if b.is_ascii() {
                if b.is_ascii_alphanumeric() {
                    // Find the end of the ASCII word: no phrase starts inside it, and the filter
                    // needs its length.
                    let start = pos;
                    pos += 1;
                    while pos < end && bytes[pos].is_ascii_alphanumeric() {
                        pos += 1;
                    }
                    if !prev_alnum && self.first_bytes[b as usize] {
                        let word =
                            if pos < end && bytes[pos] >= 0x80 { word_len(&bytes[start..end]) } else { pos - start };
                        if let Some(m) = self.walk(text, start, end, word) {
                            return Some(m);
                        }
                    }
                    prev_alnum = true;
                } else {
                    pos += 1;
                    prev_alnum = false;
                }
            } else {
                let c = text[pos..].chars().next().unwrap_or('\u{fffd}');
                if !prev_alnum && c.is_alphanumeric() {
                    if let Some(m) = self.at(text, pos, end) {
                        return Some(m);
                    }
                }
                prev_alnum = c.is_alphanumeric();
                pos += c.len_utf8();
            }
        }
        None
    }
}

fn prev_is_alphanumeric(text: &str, pos: usize) -> bool {
    match text.as_bytes()[..pos].last() {
        None => false,
        Some(&b) if b.is_ascii() => b.is_ascii_alphanumeric(),
        Some(_) => text[..pos].chars().next_back().is_some_and(char::is_alphanumeric),
    }
}

/// A Bloom-style filter of the patterns' first words (their first run of letters and digits):
/// one bit test rejects most word starts ("said", "Press", "Presidential") without running the
/// automaton. False positives are possible, false negatives are not.
struct PrefixFilter {
    bits: Vec<u64>,
    /// Some pattern does not start with a letter or digit: every position must be tried.
    any: bool,
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
                Some(c) if c.is_alphanumeric() => n += c.len_utf8(),
                _ => break,
            }
        }
    }
    n
}

impl PrefixFilter {
    // 32 Kbit: 4 KB stays in L1 cache; with ~5k distinct first words about 1 in 7 of other
    // words is a false positive.
    const BITS: usize = 1 << 15;

    fn key(word: &[u8], fold_case: bool) -> usize {
        let mut h: u32 = 0x811c_9dc5;
        for &b in word {
            let b = if fold_case { b.to_ascii_lowercase() } else { b };
            h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
        (h as usize ^ (h as usize >> 15)) & (Self::BITS - 1)
    }

    fn new<I, P>(patterns: I, fold_case: bool) -> PrefixFilter
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        let mut f = PrefixFilter { bits: vec![0; Self::BITS / 64], any: false };
        for p in patterns {
            let b = p.as_ref();
            let n = word_len(b);
            if n == 0 {
                f.any = true;
                continue;
            }
            let k = Self::key(&b[..n], fold_case);
            f.bits[k / 64] |= 1 << (k % 64);
        }
        f
    }

    /// Whether a phrase may start with this first word.
    fn may_start_word(&self, word: &[u8], fold_case: bool) -> bool {
        if self.any {
            return true;
        }
        let k = Self::key(word, fold_case);
        !word.is_empty() && self.bits[k / 64] & (1 << (k % 64)) != 0
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
