//! Words as Universal Dependencies English splits them, as byte ranges into the text.
//!
//! Whitespace separates; punctuation at either end of a chunk is its own word; clitics come off
//! the end ("Russia's" → "Russia" + "'s", "don't" → "do" + "n't", "can't" → "ca" + "n't",
//! "they're", "we'll", "I'd", "I'm"); hyphens and slashes between letters are words of their own
//! ("pro-Russian" → "pro" + "-" + "Russian"), as in EWT. A final period stays on abbreviations
//! ("U.S.", "Mr.", "Jan.", initials); numbers keep their inner commas and points ("1,000", "3.5").

use std::ops::Range;

/// Abbreviations that keep their period (lowercase, without it).
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "sen", "rep", "gov", "lt", "col", "sgt", "capt", "maj", "adm", "cmdr",
    "st", "mt", "ft", "jr", "sr", "inc", "corp", "ltd", "co", "vs", "etc", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "no", "vol", "pres", "gov't", "rev", "hon", "est", "approx", "dept",
    "univ", "ave", "blvd", "rd",
];

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '’'
}

/// Characters split off the start of a chunk.
fn leading_punct(c: char) -> bool {
    matches!(c, '"' | '“' | '‘' | '(' | '[' | '{' | '$' | '£' | '€' | '¥' | '#' | '«' | '¿' | '¡' | '*' | '…')
        || (c == '\'')
        || c == '—'
        || c == '–'
}

/// Characters split off the end of a chunk.
fn trailing_punct(c: char) -> bool {
    matches!(
        c,
        '"' | '”' | '’' | ')' | ']' | '}' | ',' | ';' | ':' | '!' | '?' | '%' | '»' | '*' | '…' | '—' | '–' | '.'
    ) || c == '\''
}

/// Appends the words of `text[span]` to `out` (cleared first).
pub fn tokenize(text: &str, span: Range<usize>, out: &mut Vec<Range<usize>>) {
    out.clear();
    let end = span.end.min(text.len());
    let start = span.start.min(end);
    if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
        return;
    }
    let mut i = start;
    while i < end {
        // Skip whitespace.
        let c = text[i..end].chars().next().unwrap_or(' ');
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let mut j = i;
        while j < end {
            let d = text[j..end].chars().next().unwrap_or(' ');
            if d.is_whitespace() {
                break;
            }
            j += d.len_utf8();
        }
        chunk(text, i..j, out);
        i = j;
    }
}

/// Splits one whitespace-free chunk.
fn chunk(text: &str, r: Range<usize>, out: &mut Vec<Range<usize>>) {
    let (mut a, mut b) = (r.start, r.end);
    // Leading punctuation, one character a word ("..." is one word).
    while a < b {
        let s = &text[a..b];
        if s.starts_with("...") {
            out.push(a..a + 3);
            a += 3;
            continue;
        }
        let c = s.chars().next().unwrap_or(' ');
        if leading_punct(c) {
            // An apostrophe before a digit ('90s) or a clitic-looking word stays.
            if is_apostrophe(c) && s.len() > 1 && s[1..].starts_with(|d: char| d.is_ascii_digit()) {
                break;
            }
            out.push(a..a + c.len_utf8());
            a += c.len_utf8();
            continue;
        }
        break;
    }
    // Trailing punctuation, collected from the end into `out`, moved behind the middle below.
    let mark = out.len();
    while a < b {
        let s = &text[a..b];
        if s.ends_with("...") && s.len() > 3 {
            out.push(b - 3..b);
            b -= 3;
            continue;
        }
        let c = s.chars().next_back().unwrap_or(' ');
        if !trailing_punct(c) || s.len() == c.len_utf8() {
            break;
        }
        if c == '.' && keeps_period(&text[a..b - 1]) {
            break;
        }
        // "'s" at the end is a clitic, not a closing quote.
        if is_apostrophe(c) && s.len() > 1 && s[..s.len() - c.len_utf8()].ends_with(['s', 'S']) {
            // Plural possessive "countries'": the apostrophe is its own word.
            out.push(b - c.len_utf8()..b);
            b -= c.len_utf8();
            break;
        }
        out.push(b - c.len_utf8()..b);
        b -= c.len_utf8();
    }
    let tail = out.len() - mark;
    out[mark..].reverse();
    if a < b {
        middle(text, a..b, out);
    }
    out[mark..].rotate_left(tail);
}

/// Whether a word (without its final period) keeps the period: an abbreviation, an initial, or a
/// dotted acronym ("U.S", "p.m").
fn keeps_period(w: &str) -> bool {
    if w.is_empty() {
        return false;
    }
    if w.contains('.') && w.chars().all(|c| c.is_alphabetic() || c == '.') {
        return true;
    }
    let mut chars = w.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return c.is_uppercase();
    }
    let lower = w.to_ascii_lowercase();
    ABBREVIATIONS.contains(&lower.as_str())
}

/// The inside of a chunk: clitics, hyphens and slashes between letters.
fn middle(text: &str, r: Range<usize>, out: &mut Vec<Range<usize>>) {
    let s = &text[r.clone()];
    // A URL, e-mail or handle stays whole.
    if s.contains("://") || s.starts_with("www.") || (s.contains('@') && s.contains('.')) {
        out.push(r);
        return;
    }
    // Clitic at the end.
    let lower_end = |suffix: &str| -> Option<usize> {
        let n = suffix.len();
        if s.len() > n && s.is_char_boundary(s.len() - n) && s[s.len() - n..].eq_ignore_ascii_case(suffix) {
            Some(s.len() - n)
        } else {
            None
        }
    };
    let mut cut = None;
    for clitic in ["n't", "n’t"] {
        if let Some(k) = lower_end(clitic) {
            cut = Some(k);
        }
    }
    if cut.is_none() {
        for clitic in ["'s", "'re", "'ve", "'ll", "'d", "'m", "’s", "’re", "’ve", "’ll", "’d", "’m"] {
            if let Some(k) = lower_end(clitic) {
                cut = Some(k);
                break;
            }
        }
    }
    if let Some(k) = cut {
        if k > 0 {
            pieces(text, r.start..r.start + k, out);
            out.push(r.start + k..r.end);
            return;
        }
    }
    pieces(text, r, out);
}

/// Splits at hyphens and slashes that stand between letters or digits ("pro-Russian",
/// "and/or"); a number range "2019-2020" splits too, as in EWT.
fn pieces(text: &str, r: Range<usize>, out: &mut Vec<Range<usize>>) {
    let s = &text[r.clone()];
    let mut start = r.start;
    let mut prev: Option<char> = None;
    let mut iter = s.char_indices().peekable();
    while let Some((k, c)) = iter.next() {
        let next = iter.peek().map(|&(_, d)| d);
        if (c == '-' || c == '/')
            && prev.is_some_and(|p| p.is_alphanumeric())
            && next.is_some_and(|d| d.is_alphanumeric())
        {
            let at = r.start + k;
            out.push(start..at);
            out.push(at..at + 1);
            start = at + 1;
        }
        prev = Some(c);
    }
    if start < r.end {
        out.push(start..r.end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        tokenize(s, 0..s.len(), &mut out);
        out.iter().map(|r| &s[r.clone()]).collect()
    }

    #[test]
    fn splits_like_ud_english() {
        assert_eq!(words("Russia's claim"), ["Russia", "'s", "claim"]);
        assert_eq!(words("Russia’s claim"), ["Russia", "’s", "claim"]);
        assert_eq!(words("We won't go."), ["We", "wo", "n't", "go", "."]);
        assert_eq!(words("They can't, he said."), ["They", "ca", "n't", ",", "he", "said", "."]);
        assert_eq!(words("pro-Russian separatists"), ["pro", "-", "Russian", "separatists"]);
        assert_eq!(words("\"hostile,\" he said"), ["\"", "hostile", ",", "\"", "he", "said"]);
        assert_eq!(words("the U.S. and Mr. Smith."), ["the", "U.S.", "and", "Mr.", "Smith", "."]);
        assert_eq!(words("$50 billion (in 2019)"), ["$", "50", "billion", "(", "in", "2019", ")"]);
        assert_eq!(words("rose 5%"), ["rose", "5", "%"]);
        assert_eq!(words("1,000.5 people"), ["1,000.5", "people"]);
        assert_eq!(words("the allies' plan"), ["the", "allies", "'", "plan"]);
        assert_eq!(words("John F. Kennedy"), ["John", "F.", "Kennedy"]);
        assert_eq!(words("see https://x.org/a-b now"), ["see", "https://x.org/a-b", "now"]);
        assert_eq!(words("Wait..."), ["Wait", "..."]);
    }

    #[test]
    fn offsets_point_into_the_text_and_never_panic() {
        for s in ["", " ", "'", "...", "—", "a'", "'s", "n't", "中国's 'x'", "é-é", "\u{feff}x"] {
            let mut out = Vec::new();
            tokenize(s, 0..s.len(), &mut out);
            for r in &out {
                assert!(
                    r.start < r.end && r.end <= s.len() && s.is_char_boundary(r.start) && s.is_char_boundary(r.end)
                );
            }
        }
        let mut out = Vec::new();
        tokenize("abc", 2..99, &mut out);
        tokenize("é", 1..2, &mut out);
        assert!(out.is_empty());
    }
}
