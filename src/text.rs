//! Small, allocation-free word scanning shared by the rule-based stages (`actors`, `stance`).
//!
//! These stages need words and punctuation with byte spans, compared case-insensitively against
//! lexicon entries. VADER has its own tokenizer with Python semantics (see `tone`); this one is
//! for English news grammar: a word is a run of letters/digits joined by inner hyphens,
//! apostrophes or dots ("Kyiv-proposed", "O'Brien", "U.S"), anything else is one punctuation
//! token.

use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    Word,
    Punct,
}

/// A token: byte span into the scanned text and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub span: Range<usize>,
    pub kind: TokKind,
}

impl Token {
    pub fn is_word(&self) -> bool {
        self.kind == TokKind::Word
    }
}

fn is_joiner(c: char) -> bool {
    matches!(c, '-' | '\'' | '’' | '.' | '‑')
}

/// Iterates the tokens of `text[range]`, with spans absolute in `text`.
pub fn tokens(text: &str, range: Range<usize>) -> Tokens<'_> {
    Tokens { text, pos: range.start, end: range.end.min(text.len()) }
}

pub struct Tokens<'a> {
    text: &'a str,
    pos: usize,
    end: usize,
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    /// ASCII text (most of it) is tokenized byte by byte; a token that meets a non-ASCII
    /// character, which may be a letter, a joiner ("’") or a space, is tokenized by characters.
    fn next(&mut self) -> Option<Token> {
        let bytes = self.text.as_bytes();
        if self.pos >= self.end || !self.text.is_char_boundary(self.pos) || !self.text.is_char_boundary(self.end) {
            return None;
        }
        let mut start = self.pos;
        // `char::is_whitespace` for ASCII: space and U+0009 to U+000D.
        while start < self.end && matches!(bytes[start], b' ' | b'\t'..=b'\r') {
            start += 1;
        }
        let &first = bytes[..self.end].get(start)?;
        if first.is_ascii() {
            if !first.is_ascii_alphanumeric() {
                self.pos = start + 1;
                return Some(Token { span: start..start + 1, kind: TokKind::Punct });
            }
            let mut end = start + 1;
            loop {
                while end < self.end && bytes[end].is_ascii_alphanumeric() {
                    end += 1;
                }
                match bytes[..self.end].get(end) {
                    // A joiner joins only when a letter or digit follows it.
                    Some(b'-' | b'\'' | b'.') => match bytes[..self.end].get(end + 1) {
                        Some(b) if b.is_ascii_alphanumeric() => end += 2,
                        Some(b) if !b.is_ascii() => break,
                        _ => {
                            self.pos = end;
                            return Some(Token { span: start..end, kind: TokKind::Word });
                        }
                    },
                    Some(b) if !b.is_ascii() => break,
                    _ => {
                        self.pos = end;
                        return Some(Token { span: start..end, kind: TokKind::Word });
                    }
                }
            }
        }
        // The token meets a non-ASCII character: start it again by characters.
        self.pos = start;
        self.next_by_chars()
    }
}

impl Tokens<'_> {
    /// [`Tokens::next`] by characters, the definition.
    fn next_by_chars(&mut self) -> Option<Token> {
        let s = self.text.get(self.pos..self.end)?;
        let mut chars = s.char_indices().peekable();
        // Skip whitespace.
        let (start_rel, first) = loop {
            let (i, c) = chars.next()?;
            if !c.is_whitespace() {
                break (i, c);
            }
        };
        let start = self.pos + start_rel;
        if !first.is_alphanumeric() {
            let end = start + first.len_utf8();
            self.pos = end;
            return Some(Token { span: start..end, kind: TokKind::Punct });
        }
        let mut end_rel = start_rel + first.len_utf8();
        while let Some(&(i, c)) = chars.peek() {
            if c.is_alphanumeric() {
                end_rel = i + c.len_utf8();
                chars.next();
            } else if is_joiner(c) {
                // A joiner counts only when a letter or digit follows it.
                let mut look = chars.clone();
                look.next();
                match look.peek() {
                    Some(&(_, n)) if n.is_alphanumeric() => {
                        chars.next();
                    }
                    _ => break,
                }
            } else {
                break;
            }
        }
        let end = self.pos + end_rel;
        self.pos = end;
        Some(Token { span: start..end, kind: TokKind::Word })
    }
}

/// True when the word starts with an uppercase letter.
pub fn is_capitalized(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

/// ASCII case-insensitive equality against an already lowercase needle.
pub fn eq_lower(word: &str, lower: &str) -> bool {
    word.len() == lower.len() && word.bytes().zip(lower.bytes()).all(|(a, b)| a.to_ascii_lowercase() == b)
}

/// Strips a trailing possessive (`'s`, `’s`, or a bare `'`/`’`) from a word.
pub fn strip_possessive(word: &str) -> &str {
    for suffix in ["'s", "’s", "'S", "’S"] {
        if let Some(w) = word.strip_suffix(suffix) {
            return w;
        }
    }
    word.trim_end_matches(['\'', '’'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<&str> {
        tokens(s, 0..s.len()).map(|t| &s[t.span]).collect()
    }

    #[test]
    fn splits_words_and_punctuation() {
        assert_eq!(
            words("Kyiv-proposed plan, O'Brien's U.S. ties."),
            ["Kyiv-proposed", "plan", ",", "O'Brien's", "U.S", ".", "ties", "."]
        );
        assert_eq!(words("“hostile” — Xi"), ["“", "hostile", "”", "—", "Xi"]);
        assert_eq!(words("  "), Vec::<&str>::new());
        assert_eq!(words("a-"), ["a", "-"]);
    }

    #[test]
    fn tokens_respect_range() {
        let s = "one two three";
        let t: Vec<_> = tokens(s, 4..7).collect();
        assert_eq!(t, [Token { span: 4..7, kind: TokKind::Word }]);
    }

    proptest::proptest! {
        #[test]
        fn bytes_and_characters_agree(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "Kyiv", "O", "1", "-", "'", ".", "’", "‑", "é", "É", "中", " ", "\t", "\n", "\r", "\u{b}", "\u{a0}",
                    "\u{85}", "\u{2003}", ",", "“", "—", "x-", "-y", "U.S.", "s", "\u{0}", "\u{7f}",
                ]),
                0..24,
            ),
            from in 0usize..8,
            cut in 0usize..8,
        ) {
            let text: String = parts.concat();
            let (mut from, mut end) = (from.min(text.len()), text.len().saturating_sub(cut).max(from.min(text.len())));
            while !text.is_char_boundary(from) {
                from += 1;
            }
            while !text.is_char_boundary(end) {
                end += 1;
            }
            let fast: Vec<Token> = tokens(&text, from..end).collect();
            let mut by_chars = tokens(&text, from..end);
            let slow: Vec<Token> = std::iter::from_fn(|| by_chars.next_by_chars()).collect();
            proptest::prop_assert_eq!(fast, slow, "{:?} {}..{}", text, from, end);
        }
    }

    #[test]
    fn helpers() {
        assert!(is_capitalized("Élysée"));
        assert!(!is_capitalized("us"));
        assert!(eq_lower("Said", "said"));
        assert_eq!(strip_possessive("China’s"), "China");
        assert_eq!(strip_possessive("allies'"), "allies");
    }
}
