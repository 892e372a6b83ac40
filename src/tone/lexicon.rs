//! Lexicon parsing and the word table the engine looks tokens up in.
//!
//! The reference keeps the lexicon, the booster list, the negation list and the rule words in
//! separate structures and probes several of them per token. Here they are merged into one
//! [`Entry`] per lowercase word, so a token costs exactly one hash look-up however many rules
//! ask about it.

use rustc_hash::FxHashMap;

use super::pyunicode::is_py_space;
use super::rules::{w, BOOSTER_DICT, NEGATE, RULE_WORDS, SPECIAL_CASES};
use super::words::WordTable;
use super::ToneError;

/// Largest accepted |valence|. VADER's scale is ±4; the bound keeps every intermediate sum
/// finite (so compound stays within [-1, 1]) whatever a user lexicon contains.
pub(crate) const MAX_VALENCE: f64 = 1e6;

/// Everything the rules need to know about one lowercase word.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Entry {
    /// Lexicon valence (`word in self.lexicon`).
    pub(crate) valence: Option<f64>,
    /// `BOOSTER_DICT[word]`, or 0.0 when absent (no booster has the value 0).
    pub(crate) booster: f64,
    /// Rule-word id from [`w`], [`w::NONE`] for other words.
    pub(crate) word: u8,
    /// The word is in `NEGATE` (the "n't" substring test is done per token).
    pub(crate) negate: bool,
}

/// A multi-word key (`SPECIAL_CASES` or a two-word booster) as rule-word ids.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Phrase {
    pub(crate) len: usize,
    pub(crate) ids: [u8; 3],
    pub(crate) value: f64,
}

impl Phrase {
    #[inline]
    pub(crate) fn matches(&self, ids: &[u8]) -> bool {
        ids.len() == self.len && ids == &self.ids[..self.len]
    }
}

/// The immutable tables of one [`super::Vader`].
#[derive(Debug)]
pub(crate) struct Tables {
    pub(crate) words: FxHashMap<Box<str>, Entry>,
    /// The same words in the table that scoring looks tokens up in.
    pub(crate) index: WordTable,
    /// Single-code-point emoji keys and their descriptions. Longer keys never match because the
    /// reference tests `chr in self.emojis` one code point at a time.
    pub(crate) emoji: FxHashMap<char, Box<str>>,
    /// Fast path for [`Tables::emoji`] on ASCII characters.
    pub(crate) ascii_emoji: [bool; 128],
    /// Some ASCII character is an emoji key (never with the reference lexicon).
    pub(crate) any_ascii_emoji: bool,
    pub(crate) special_cases: Vec<Phrase>,
    pub(crate) booster_phrases: Vec<Phrase>,
    /// Rule-word ids that some phrase of either list starts with, so the idiom check rejects
    /// nearly every token sequence on its first id.
    pub(crate) phrase_first: [bool; 256],
}

/// Python's `line.strip().split('\t')[0:2]` for one line, `None` when there are fewer than two
/// fields (the reference raises `ValueError` there).
fn two_fields(line: &str) -> Option<(&str, &str)> {
    let mut fields = line.trim_matches(is_py_space).split('\t');
    Some((fields.next()?, fields.next()?))
}

/// Lines of a lexicon file as the reference reads them: `text.rstrip('\n').split('\n')`, with
/// their 1-based numbers. Blank (whitespace-only) lines are skipped; the reference skips only
/// empty ones and crashes on the rest.
fn lines(src: &str) -> impl Iterator<Item = (usize, &str)> {
    src.trim_end_matches('\n')
        .split('\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, line)| !line.trim_matches(is_py_space).is_empty())
}

/// Parses `vader_lexicon.txt` format: `word<TAB>mean<TAB>...`; a later duplicate wins, as in a
/// Python dict.
pub(crate) fn parse_lexicon<'a>(src: &'a str, name: &str) -> Result<Vec<(&'a str, f64)>, ToneError> {
    let mut out = Vec::with_capacity(8192);
    for (line_no, line) in lines(src) {
        let err = |reason: String| ToneError::Parse { name: name.to_owned(), line: line_no, reason };
        let (word, measure) = two_fields(line).ok_or_else(|| err("expected `word<TAB>valence`".to_owned()))?;
        let measure = measure.trim_matches(is_py_space);
        let value: f64 = measure.parse().map_err(|_| err(format!("valence {measure:?} is not a number")))?;
        if !value.is_finite() || value.abs() > MAX_VALENCE {
            return Err(err(format!("valence {measure:?} is not a finite number within ±{MAX_VALENCE}")));
        }
        out.push((word, value));
    }
    Ok(out)
}

/// Parses `emoji_utf8_lexicon.txt` format: `emoji<TAB>description`.
pub(crate) fn parse_emoji<'a>(src: &'a str, name: &str) -> Result<Vec<(&'a str, &'a str)>, ToneError> {
    let mut out = Vec::with_capacity(4096);
    for (line_no, line) in lines(src) {
        let pair = two_fields(line).ok_or_else(|| ToneError::Parse {
            name: name.to_owned(),
            line: line_no,
            reason: "expected `emoji<TAB>description`".to_owned(),
        })?;
        out.push(pair);
    }
    Ok(out)
}

impl Tables {
    /// Builds the merged tables. Infallible: parsing has already validated the input.
    pub(crate) fn new(lexicon: &[(&str, f64)], emoji: &[(&str, &str)]) -> Tables {
        let mut words: FxHashMap<Box<str>, Entry> = FxHashMap::default();
        words.reserve(lexicon.len() + 128);
        for &(word, value) in lexicon {
            words.entry(word.into()).or_default().valence = Some(value);
        }
        for &(word, value) in BOOSTER_DICT {
            if !word.contains(' ') {
                words.entry(word.into()).or_default().booster = value;
            }
        }
        for &word in NEGATE {
            words.entry(word.into()).or_default().negate = true;
        }
        for &(word, id) in RULE_WORDS {
            words.entry(word.into()).or_default().word = id;
        }

        // Words that occur only inside multi-word keys get the next free ids, in table order.
        let mut next_id = RULE_WORDS.iter().map(|&(_, id)| id).max().unwrap_or(0) + 1;
        let mut phrase = |key: &str, value: f64| -> Option<Phrase> {
            let mut p = Phrase { len: 0, ids: [w::NONE; 3], value };
            for part in key.split(' ') {
                if p.len == p.ids.len() {
                    return None;
                }
                let entry = words.entry(part.into()).or_default();
                if entry.word == w::NONE {
                    entry.word = next_id;
                    next_id += 1;
                }
                p.ids[p.len] = entry.word;
                p.len += 1;
            }
            // A one-word key can never equal a joined sequence of two or three tokens.
            (p.len >= 2).then_some(p)
        };
        let special_cases: Vec<Phrase> = SPECIAL_CASES.iter().filter_map(|&(k, v)| phrase(k, v)).collect();
        let booster_phrases: Vec<Phrase> =
            BOOSTER_DICT.iter().filter(|(k, _)| k.contains(' ')).filter_map(|&(k, v)| phrase(k, v)).collect();
        let mut phrase_first = [false; 256];
        for p in special_cases.iter().chain(&booster_phrases) {
            phrase_first[usize::from(p.ids[0])] = true;
        }

        let mut emoji_map = FxHashMap::default();
        let mut ascii_emoji = [false; 128];
        for &(key, description) in emoji {
            let mut chars = key.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                if c.is_ascii() {
                    ascii_emoji[c as usize] = true;
                }
                emoji_map.insert(c, description.into());
            }
        }
        Tables {
            index: WordTable::new(words.iter().map(|(k, e)| (&**k, e))),
            words,
            emoji: emoji_map,
            any_ascii_emoji: ascii_emoji.contains(&true),
            ascii_emoji,
            special_cases,
            booster_phrases,
            phrase_first,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_name_file_and_line() {
        let err = parse_lexicon("good\t1.9\n\nbad\n", "my.txt").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("my.txt") && msg.contains(":3"), "{msg}");
        let err = parse_lexicon("good\tlots\n", "x.txt").unwrap_err();
        assert!(err.to_string().contains("x.txt:1"), "{err}");
        for bad in ["nan", "inf", "-inf", "1e7"] {
            assert!(parse_lexicon(&format!("w\t{bad}"), "x").is_err(), "{bad}");
        }
        let err = parse_emoji("😀\tgrinning face\nbroken\n", "e.txt").unwrap_err();
        assert!(err.to_string().contains("e.txt:2"), "{err}");
    }

    #[test]
    fn parse_like_python() {
        // CRLF, surrounding whitespace, extra columns, later duplicates.
        let lex = parse_lexicon("  good\t1.9\t0.5\t[1]\r\ngood\t 2.0 \n\n", "x").unwrap();
        assert_eq!(lex, vec![("good", 1.9), ("good", 2.0)]);
        let t = Tables::new(&lex, &parse_emoji("😀\tgrinning face\r\n:)\tsmile\n", "e").unwrap());
        assert_eq!(t.words["good"].valence, Some(2.0));
        assert_eq!(&*t.emoji[&'😀'], "grinning face");
        assert_eq!(t.emoji.len(), 1, "multi-character keys never match");
    }

    #[test]
    fn rule_tables_resolve() {
        let t = Tables::new(&[], &[]);
        assert_eq!(t.special_cases.len(), SPECIAL_CASES.len() - 1); // minus "badass"
        assert_eq!(t.booster_phrases.len(), 3);
        assert_eq!(t.words["so"].booster, 0.293);
        assert_eq!(t.words["so"].word, w::SO);
        assert!(t.words["without"].negate);
        assert_eq!(t.words["without"].word, w::WITHOUT);
        let heart = t.words["heart"].word;
        let beating = t.words["beating"].word;
        assert!(heart > w::BUT && beating > w::BUT && heart != beating);
        assert!(t.special_cases.iter().any(|p| p.matches(&[beating, heart])));
    }
}
