//! The look-up structure behind [`super::lexicon::Tables::words`] that scoring uses.
//!
//! Looking every token up in an `FxHashMap<Box<str>, Entry>` was the largest single cost of
//! scoring: the token had to be lowercased into a buffer first, hashed byte-wise, and a hit
//! compared through the key's pointer. Here a word of up to 16 bytes is its bytes zero-padded to
//! 16, as two `u64`, plus its length, so an ASCII token is lowercased in registers straight from
//! one load of the text, hashed with one multiplication and compared as three integers, without
//! touching memory other than the table. Longer keys (a few dozen in the reference lexicon) keep
//! a hash map of their bytes.
//!
//! The table is built at start-up from whatever lexicon was loaded; nothing about the words is
//! known at compile time.

use rustc_hash::FxHashMap;

use super::lexicon::Entry;

/// Byte-parallel constants of the SWAR helpers.
pub(crate) const LSB: u64 = 0x0101_0101_0101_0101;
pub(crate) const MSB: u64 = 0x8080_8080_8080_8080;

/// Longest word that [`encode`] can represent.
pub(crate) const INLINE_MAX: usize = 16;

/// Token flag: `token.isupper()`.
pub(crate) const UPPER: u8 = 1;
/// Token/word flag: the word has a lexicon valence.
pub(crate) const LEX: u8 = 2;
/// Token/word flag: the word is a single-word booster (its increment is never 0).
pub(crate) const BOOST: u8 = 4;
/// Token/word flag: `negated([word])` holds (in `NEGATE`, or containing "n't" for a token).
pub(crate) const NEG: u8 = 8;

/// High bit set in each byte of `x` that lies in `lo..=hi`. Every byte of `x` must be ASCII
/// (below 0x80), so that the additions cannot carry from one byte into the next.
#[inline]
pub(crate) fn ascii_in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = x + LSB * u64::from(0x80 - lo);
    let above_hi = x + LSB * u64::from(0x7f - hi);
    at_least_lo & !above_hi & MSB
}

/// Case of eight ASCII bytes: the high bit of each upper- and each lowercase letter.
#[inline]
pub(crate) fn ascii_case(x: u64) -> (u64, u64) {
    // `| 0x20` folds exactly the uppercase letters onto the lowercase ones; bit 5 (moved to
    // bit 7) tells which they were.
    let letter = ascii_in_range(x | (LSB * 0x20), b'a', b'z');
    let bit5 = x << 2;
    (letter & !bit5, letter & bit5)
}

/// A key of 1..=[`INLINE_MAX`] bytes as the two little-endian words of its bytes padded with
/// zeros; with the length this identifies the key. Built from overlapping loads rather than a
/// copy into a buffer, because [`super::Vader::valence`] encodes every word it is asked about.
#[inline]
pub(crate) fn encode(key: &[u8]) -> (u64, u64) {
    let n = key.len();
    let load4 = |at: usize| u64::from(u32::from_le_bytes(key[at..at + 4].try_into().unwrap_or([0; 4])));
    let load8 = |at: usize| u64::from_le_bytes(key[at..at + 8].try_into().unwrap_or([0; 8]));
    match n {
        // The second load ends at the key's end; shifting out the bytes the first one has
        // leaves bytes 8.. at the bottom (nothing for n == 8).
        8..=INLINE_MAX => (load8(0), load8(n - 8).checked_shr(8 * (16 - n) as u32).unwrap_or(0)),
        // Overlapping bytes are equal, so the two halves can simply be or-ed.
        4..=7 => (load4(0) | load4(n - 4) << (8 * (n - 4)), 0),
        1..=3 => {
            let at = |k: usize| u64::from(key[k]) << (8 * k);
            (at(0) | at(n / 2) | at(n - 1), 0)
        }
        _ => (0, 0),
    }
}

/// One word of the table with the facts the rules need, so a hit reads one cache line.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Word {
    w0: u64,
    w1: u64,
    len: u32,
    /// Rule-word id (see `rules::w`).
    pub(crate) id: u8,
    /// [`LEX`], [`BOOST`] and [`NEG`].
    pub(crate) flags: u8,
    /// Lexicon valence; meaningful with [`LEX`].
    pub(crate) valence: f64,
    /// `BOOSTER_DICT[word]`; meaningful with [`BOOST`].
    pub(crate) booster: f64,
}

/// Open-addressing table of the merged words. Index 0 of [`WordTable::words`] is the "no entry"
/// word, so a miss and a hit are handled alike.
#[derive(Debug)]
pub(crate) struct WordTable {
    /// Per slot 0 when empty, else 0x80 | seven bits of the hash; linear probing. About four in
    /// five looked-up words are not in the table, and a miss is settled by the tag bytes alone:
    /// at load factor ≤ 1/8 (64 KB of tags for the reference lexicon) usually by the first one.
    /// Measured on news, 1/8 beats 1/4 and 1/2 by 8–25 % in time: whether the first slot is
    /// empty is a branch that mispredicts in proportion to the load.
    tags: Box<[u8]>,
    /// Per slot the index into `words`, read only when the tag matches.
    slots: Box<[u32]>,
    shift: u32,
    words: Vec<Word>,
    /// Keys longer than [`INLINE_MAX`] bytes (and the empty key, which no token equals).
    long: FxHashMap<Box<[u8]>, u32>,
}

/// Hash of an encoded key: one widening multiplication, folded.
#[inline]
fn hash(w0: u64, w1: u64, len: usize) -> u64 {
    let p = u128::from(w0 ^ 0x243f_6a88_85a3_08d3) * u128::from(w1 ^ 0x1319_8a2e_0370_7344 ^ len as u64);
    (p as u64) ^ ((p >> 64) as u64)
}

/// The tag byte of a hash: its low seven bits (the slot comes from the high ones), and the high
/// bit so that it is never 0.
#[inline]
fn tag(h: u64) -> u8 {
    h as u8 | 0x80
}

impl WordTable {
    pub(crate) fn new<'a>(entries: impl ExactSizeIterator<Item = (&'a str, &'a Entry)>) -> WordTable {
        let capacity = (entries.len() * 8).next_power_of_two().max(16);
        let mut table = WordTable {
            tags: vec![0u8; capacity].into_boxed_slice(),
            slots: vec![0u32; capacity].into_boxed_slice(),
            shift: 64 - capacity.trailing_zeros(),
            words: Vec::with_capacity(entries.len() + 1),
            long: FxHashMap::default(),
        };
        table.words.push(Word::default());
        for (key, entry) in entries {
            let mut flags = 0;
            if entry.valence.is_some() {
                flags |= LEX;
            }
            if entry.booster != 0.0 {
                flags |= BOOST;
            }
            if entry.negate {
                flags |= NEG;
            }
            let mut word = Word {
                w0: 0,
                w1: 0,
                len: 0,
                id: entry.word,
                flags,
                valence: entry.valence.unwrap_or(0.0),
                booster: entry.booster,
            };
            let index = table.words.len() as u32;
            let bytes = key.as_bytes();
            if (1..=INLINE_MAX).contains(&bytes.len()) {
                (word.w0, word.w1) = encode(bytes);
                word.len = bytes.len() as u32;
                let h = hash(word.w0, word.w1, bytes.len());
                let mask = table.tags.len() - 1;
                let mut pos = (h >> table.shift) as usize;
                while table.tags[pos] != 0 {
                    pos = (pos + 1) & mask;
                }
                table.tags[pos] = tag(h);
                table.slots[pos] = index;
            } else {
                table.long.insert(bytes.into(), index);
            }
            table.words.push(word);
        }
        table
    }

    /// Index of the word with encoding `(w0, w1)` and length `len` (1..=[`INLINE_MAX`]), 0 when
    /// absent.
    #[inline]
    pub(crate) fn find_encoded(&self, w0: u64, w1: u64, len: usize) -> u32 {
        let h = hash(w0, w1, len);
        let tag = tag(h);
        let mask = self.tags.len() - 1;
        let mut pos = (h >> self.shift) as usize;
        loop {
            let t = self.tags[pos];
            if t == 0 {
                return 0;
            }
            if t == tag {
                let index = self.slots[pos];
                let word = &self.words[index as usize];
                if word.w0 == w0 && word.w1 == w1 && word.len as usize == len {
                    return index;
                }
            }
            pos = (pos + 1) & mask;
        }
    }

    /// Index of the word `key` (already lowercase), 0 when absent.
    #[inline]
    pub(crate) fn find(&self, key: &[u8]) -> u32 {
        if (1..=INLINE_MAX).contains(&key.len()) {
            let (w0, w1) = encode(key);
            self.find_encoded(w0, w1, key.len())
        } else {
            self.find_long(key)
        }
    }

    /// [`WordTable::find`] for a key that [`encode`] cannot represent.
    pub(crate) fn find_long(&self, key: &[u8]) -> u32 {
        self.long.get(key).copied().unwrap_or(0)
    }

    /// The word at `index` (from a `find`); index 0 is the empty word.
    #[inline]
    pub(crate) fn word(&self, index: u32) -> &Word {
        &self.words[index as usize]
    }

    /// Some key is longer than [`INLINE_MAX`] bytes (or empty), so long tokens need a look-up.
    #[inline]
    pub(crate) fn has_long(&self) -> bool {
        !self.long.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swar_case_matches_bytewise() {
        for b in 0u8..0x80 {
            let x = u64::from(b) << 24 | 0x41 | 0x62 << 40;
            let (upper, lower) = ascii_case(x);
            assert_eq!(upper, (u64::from(b.is_ascii_uppercase()) << 31) | 0x80, "{b}");
            assert_eq!(lower, (u64::from(b.is_ascii_lowercase()) << 31) | 0x80 << 40, "{b}");
        }
    }

    #[test]
    fn encoding_identifies_keys() {
        let keys = ["a", "ab", "ba", "abc", "acb", "abcd", "abcde", "abdce", "abcdefgh", "abcdefghi", "abcdefgxhi"];
        let mut seen = std::collections::HashSet::new();
        for k in keys {
            let (w0, w1) = encode(k.as_bytes());
            let mut padded = [0u8; 16];
            padded[..k.len()].copy_from_slice(k.as_bytes());
            assert_eq!(u128::from(w1) << 64 | u128::from(w0), u128::from_le_bytes(padded), "{k}");
            assert!(seen.insert((w0, w1, k.len())), "{k}");
        }
        for n in 1..=INLINE_MAX {
            let k: Vec<u8> = (1..=n as u8).collect();
            let (w0, w1) = encode(&k);
            let mut padded = [0u8; 16];
            padded[..n].copy_from_slice(&k);
            assert_eq!(u128::from(w1) << 64 | u128::from(w0), u128::from_le_bytes(padded), "{n}");
        }
        let long = "a".repeat(INLINE_MAX + 1);
        let entries = [("good", Entry { valence: Some(1.9), ..Entry::default() })];
        let mut with_long = entries.to_vec();
        with_long.push((long.as_str(), Entry { valence: Some(-1.0), ..Entry::default() }));
        let t = WordTable::new(with_long.iter().map(|(k, e)| (*k, e)));
        assert_eq!(t.word(t.find(b"good")).valence, 1.9);
        assert_eq!(t.find(b"goo"), 0);
        assert_eq!(t.word(t.find(long.as_bytes())).valence, -1.0);
        assert!(t.has_long());
    }
}
