//! Python 3.11 string semantics that VADER's rules depend on.
//!
//! The reference tokenises with `str.split()`, compares words after `str.lower()` and detects
//! emphasis with `str.isupper()`. Each of these follows CPython's own Unicode 14.0.0 tables,
//! which differ from Rust's `char` methods (newer Unicode, simple instead of full case mapping,
//! no final-sigma rule, a different whitespace set). The tables in `unicode_tables.rs` are probed
//! from CPython 3.11 itself by `gen_unicode_tables.py`, so these functions agree with the
//! reference on every code point.

use super::unicode_tables::{CASE_FLAGS, LOWER_MAP, SIGMA_CLASS};

/// `Py_UNICODE_ISUPPER` flag bit in [`CASE_FLAGS`].
const UPPER: u8 = 1;
/// `Py_UNICODE_ISLOWER` flag bit.
const LOWER: u8 = 2;
/// `Py_UNICODE_ISTITLE` flag bit (general category Lt).
const TITLE: u8 = 4;

/// Sigma class: cased and not case-ignorable.
const CASED: u8 = 1;
/// Sigma class: case-ignorable (skipped when looking for the neighbouring cased letter).
const IGNORABLE: u8 = 2;

/// `str.isspace()` for one character, i.e. the separators of `str.split()` and `str.strip()`.
///
/// This includes U+001C..U+001F (information separators) and U+0085, which `char::is_whitespace`
/// treats differently, and excludes U+200B..U+200D, U+2060 and U+FEFF.
#[inline]
pub(crate) fn is_py_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1c}'..='\u{20}'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Same as [`is_py_space`] for an ASCII byte (a byte below 0x80 is always a whole character).
#[inline]
pub(crate) const fn is_py_space_ascii(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | 0x1c..=0x20)
}

fn range_lookup(table: &[(u32, u32, u8)], c: char) -> u8 {
    let cp = c as u32;
    match table.binary_search_by(|&(first, last, _)| {
        if last < cp {
            std::cmp::Ordering::Less
        } else if first > cp {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    }) {
        Ok(i) => table[i].2,
        Err(_) => 0,
    }
}

#[inline]
fn case_flags(c: char) -> u8 {
    match c {
        'A'..='Z' => UPPER,
        'a'..='z' => LOWER,
        '\0'..='\u{7f}' => 0,
        _ => range_lookup(CASE_FLAGS, c),
    }
}

/// `str.isupper()`: at least one cased character and no lowercase or titlecase one.
///
/// CPython short-cuts one-character strings to `Py_UNICODE_ISUPPER`; that gives the same answer
/// as the loop because no code point is both upper and lower/title case (checked by the
/// generator's data and by a unit test).
pub(crate) fn is_upper(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        let f = case_flags(c);
        if f & (LOWER | TITLE) != 0 {
            return false;
        }
        if f & UPPER != 0 {
            cased = true;
        }
    }
    cased
}

/// `str.isupper()` for a string known to be ASCII, without table look-ups.
#[inline]
pub(crate) fn is_upper_ascii(s: &[u8]) -> bool {
    let mut cased = false;
    for &b in s {
        if b.is_ascii_lowercase() {
            return false;
        }
        cased |= b.is_ascii_uppercase();
    }
    cased
}

fn lower_char(c: char) -> char {
    let cp = c as u32;
    match LOWER_MAP.binary_search_by_key(&cp, |&(from, _)| from) {
        // The generator only emits valid scalar values; fall back to `c` rather than panic.
        Ok(i) => char::from_u32(LOWER_MAP[i].1).unwrap_or(c),
        Err(_) => c,
    }
}

/// CPython's `handle_capital_sigma`: U+03A3 at byte `at` of `s` lowers to final sigma when a
/// cased letter precedes it and none follows it (case-ignorable characters skipped both ways).
fn is_final_sigma(s: &str, at: usize) -> bool {
    let before = s[..at].chars().rev().map(|c| range_lookup(SIGMA_CLASS, c)).find(|&k| k != IGNORABLE);
    if before != Some(CASED) {
        return false;
    }
    let after = s[at + 'Σ'.len_utf8()..].chars().map(|c| range_lookup(SIGMA_CLASS, c)).find(|&k| k != IGNORABLE);
    after != Some(CASED)
}

/// Appends `str.lower()` of `s` to `out` (full mapping: U+0130 becomes two characters, and
/// U+03A3 becomes U+03C2 in final position, as CPython does).
pub(crate) fn push_lower(s: &str, out: &mut String) {
    if s.is_ascii() {
        let start = out.len();
        out.push_str(s);
        out[start..].make_ascii_lowercase();
        return;
    }
    for (at, c) in s.char_indices() {
        match c {
            '\0'..='\u{7f}' => out.push(c.to_ascii_lowercase()),
            '\u{130}' => out.push_str("i\u{307}"),
            'Σ' => out.push(if is_final_sigma(s, at) { 'ς' } else { 'σ' }),
            _ => out.push(lower_char(c)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lower(s: &str) -> String {
        let mut out = String::new();
        push_lower(s, &mut out);
        out
    }

    #[test]
    fn whitespace_is_pythons_set() {
        for c in ['\u{1c}', '\u{1f}', '\u{85}', '\u{a0}', '\u{3000}', '\u{2028}', '\x0b'] {
            assert!(is_py_space(c), "{c:?}");
        }
        for c in ['\u{200b}', '\u{feff}', '\u{2060}', '\u{180e}', 'a', '\0'] {
            assert!(!is_py_space(c), "{c:?}");
        }
        for b in 0u8..0x80 {
            assert_eq!(is_py_space_ascii(b), is_py_space(char::from(b)), "{b}");
        }
    }

    #[test]
    fn lower_follows_cpython() {
        assert_eq!(lower("GREAT"), "great");
        assert_eq!(lower("İstanbul"), "i\u{307}stanbul");
        assert_eq!(lower("ÉTÉ"), "été");
        // Final sigma: cased letter before, none after (the apostrophe is case-ignorable).
        assert_eq!(lower("ΟΔΟΣ"), "\u{3bf}\u{3b4}\u{3bf}\u{3c2}");
        assert_eq!(lower("ΣΑΣ"), "\u{3c3}\u{3b1}\u{3c2}");
        assert_eq!(lower("Σ"), "σ");
        assert_eq!(lower("ΑΣ'Α"), "ασ'α");
        assert_eq!(lower("ΑΣ'"), "ας'");
        // Roman numeral twelve has a lowercase mapping (Other_Uppercase).
        assert_eq!(lower("Ⅻ"), "ⅻ");
    }

    #[test]
    fn isupper_follows_cpython() {
        assert!(is_upper("VERY"));
        assert!(is_upper("NAÏVE"));
        assert!(is_upper("A1!"));
        assert!(is_upper("Ⅻ"));
        assert!(!is_upper(":)"));
        assert!(is_upper(":D")); // Python: ':D'.isupper() is True
        assert!(!is_upper(""));
        assert!(!is_upper("ǅ")); // titlecase
        assert!(!is_upper("AǅB"));
        assert!(!is_upper("Very"));
        for s in ["LOL", "lol", "L0L", "123", "!!", "A"] {
            assert_eq!(is_upper(s), is_upper_ascii(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn no_code_point_is_upper_and_lower_or_title() {
        for &(_, _, f) in CASE_FLAGS {
            assert!(f & UPPER == 0 || f & (LOWER | TITLE) == 0);
        }
    }

    #[test]
    fn tables_are_sorted() {
        assert!(LOWER_MAP.windows(2).all(|w| w[0].0 < w[1].0));
        for t in [CASE_FLAGS, SIGMA_CLASS] {
            assert!(t.windows(2).all(|w| w[0].1 < w[1].0));
            assert!(t.iter().all(|&(a, b, _)| a <= b));
        }
    }
}
