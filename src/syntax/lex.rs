//! What the tagger and the parser read of a word: hashes of its form, lowercase form, shape,
//! prefixes and suffixes, computed once per word without allocating.

use super::perceptron::{hash_bytes, hash_lower, mix};

/// Hash standing for "no word here" (before the sentence start, after its end).
pub const NONE: u64 = 0x9e37_79b9_7f4a_7c15;
/// Hash standing for the artificial root word.
pub const ROOT: u64 = 0x51_7cc1_b727_220a;

/// The hashed views of one word.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lex {
    pub form: u64,
    pub lower: u64,
    pub shape: u64,
    /// Last 1, 2, 3, 4 characters, lowercased (0 when the word is shorter).
    pub suffix: [u64; 4],
    /// First 1, 2, 3 characters, lowercased.
    pub prefix: [u64; 3],
    /// Bits: 1 has a digit, 2 has a hyphen, 4 first letter upper, 8 all letters upper.
    pub flags: u8,
    /// Word clusters from unlabelled news (coarse, fine; 0 unknown), set by [`Lex::clustered`].
    pub coarse: u16,
    pub fine: u16,
}

impl Lex {
    pub fn of(word: &str) -> Lex {
        let b = word.as_bytes();
        let mut flags = 0u8;
        let mut letters = 0usize;
        let mut uppers = 0usize;
        // Shape: X for upper, x lower, d digit, the character itself otherwise; runs of one class
        // longer than two are cut to two ("Xxxxx" → "Xxx" style), so shapes generalise.
        let mut shape: u64 = 0xcbf2_9ce4_8422_2325;
        let mut last = 0u8;
        let mut run = 0u8;
        for (i, c) in word.chars().enumerate() {
            let class = if c.is_uppercase() {
                letters += 1;
                uppers += 1;
                if i == 0 {
                    flags |= 4;
                }
                b'X'
            } else if c.is_lowercase() {
                letters += 1;
                b'x'
            } else if c.is_ascii_digit() {
                flags |= 1;
                b'd'
            } else {
                if c == '-' {
                    flags |= 2;
                }
                if c.is_ascii() {
                    c as u8
                } else {
                    b'~'
                }
            };
            if class == last {
                run += 1;
                if run > 2 {
                    continue;
                }
            } else {
                run = 1;
                last = class;
            }
            shape ^= class as u64;
            shape = shape.wrapping_mul(0x0000_0100_0000_01b3);
        }
        if letters > 0 && letters == uppers {
            flags |= 8;
        }
        let mut suffix = [0u64; 4];
        let mut prefix = [0u64; 3];
        // Suffixes and prefixes by character, longest first; a word must be longer than the
        // affix for it to count.
        for (k, (i, _)) in word.char_indices().rev().take(4).enumerate() {
            if i > 0 {
                suffix[k] = mix(hash_lower(&b[i..]) ^ (k as u64 + 1));
            }
        }
        // The start of character k + 1 ends the k-character prefix (so the word is longer).
        for (k, (i, _)) in word.char_indices().skip(1).take(3).enumerate() {
            prefix[k] = mix(hash_lower(&b[..i]) ^ ((k as u64 + 1) << 8));
        }
        Lex { form: hash_bytes(b), lower: hash_lower(b), shape: mix(shape), suffix, prefix, flags, coarse: 0, fine: 0 }
    }

    /// The word with its clusters looked up.
    pub fn clustered(word: &str, clusters: &super::clusters::Clusters) -> Lex {
        let mut l = Lex::of(word);
        (l.coarse, l.fine) = clusters.of(l.lower);
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_generalise_and_flags_are_set() {
        assert_eq!(Lex::of("Moscow").shape, Lex::of("Berlin").shape);
        assert_ne!(Lex::of("Moscow").shape, Lex::of("moscow").shape);
        assert_eq!(Lex::of("2019").shape, Lex::of("1999").shape);
        assert_eq!(Lex::of("NATO").flags & 8, 8);
        assert_eq!(Lex::of("pro-Russian").flags & 2, 2);
        assert_eq!(Lex::of("Russia").lower, Lex::of("RUSSIA").lower);
        assert_eq!(Lex::of("running").suffix[2], Lex::of("jumping").suffix[2]);
        assert_eq!(Lex::of("a").suffix, [0; 4]);
        // Non-ASCII words are cut at character boundaries.
        let _ = Lex::of("Zürich");
        let _ = Lex::of("中国");
    }
}
