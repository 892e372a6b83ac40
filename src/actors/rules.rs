//! Mention rules (`lexicons/mention_rules.csv`): contexts in which an alias is found but the
//! text does not mean the actor. "in Spanish" is the language, not Spain; "Ireland" in a rugby
//! report is the team, not the state.
//!
//! A rule applies to the aliases of actors of some kinds (`kind:state`) or to listed aliases,
//! and drops a mention when every condition it states holds:
//!
//! - `before`: one of the phrases ends just before the mention, separated from it by spaces
//!   ("in" before "Spanish"); ASCII case is ignored, so "In Japanese," is caught too;
//! - `after`: one of the phrases starts just after it, after spaces ("Spanish and", ...), or
//!   right after it when the phrase starts with a hyphen ("Russian-speaking") or an apostrophe
//!   (the possessive "'s national team"); `<punct>` stands
//!   for a comma, period, closing bracket or quote, colon, semicolon, `!`, `?` or the end of the
//!   sentence ("(in Spanish)");
//! - `<name>`, at the start of a `before` phrase or the end of an `after` phrase, stands for a
//!   capitalised word that is not a function word ("The", "Of", ...) and, before the mention,
//!   not the sentence's first word: the mention is then inside an organisation's name
//!   ("Numbers USA", "Concerned Veterans for America", "Americans for Prosperity");
//! - `sentence`, `paragraph`: one of the phrases is in the mention's sentence / paragraph
//!   (case-sensitive, whole words);
//! - `document`, `document_min`: the mention's document holds at least `document_min` different
//!   phrases of `document` (case-sensitive, whole words) for every 1,000 words it has (and at
//!   least `document_min` when it is shorter): the document as a whole is, say, a match report,
//!   though the mention's own sentence ("Ireland can indeed succeed") says nothing of sport. The
//!   rate keeps long pieces that only touch on sport (a tribute naming rugby, FIFA and cricket
//!   once each in 5,000 words) out;
//!
//! and no `keep` phrase is in the sentence ("Ireland's government" in a rugby report is still
//! the state). Every rule needs at least one of `before`, `after`, `sentence`, `paragraph`,
//! `document`.

use super::Phrases;
use std::ops::Range;

/// What a rule applies to.
pub(crate) struct MentionRule {
    before: Vec<String>,
    after: Vec<String>,
    /// Per `after` phrase, whether it is glued to the mention (starts with a hyphen or an
    /// apostrophe): decided once here rather than by a three-character test per phrase and
    /// mention.
    after_glued: Vec<bool>,
    after_punct: bool,
    /// `before` phrases led by `<name>` (the rest of the phrase, maybe empty) and `after`
    /// phrases ended by it (the phrase before it).
    before_name: Vec<String>,
    after_name: Vec<String>,
    /// The last byte of each `before` phrase and the first of each `after` phrase, both ASCII
    /// cases: most mentions are rejected on one byte, before any phrase is compared.
    before_ends: Bytes,
    after_starts: Bytes,
    sentence: Option<Phrases>,
    paragraph: Option<Phrases>,
    /// Rules with the same paragraph phrases share one answer per paragraph (the sports rules).
    pub paragraph_slot: u16,
    keep: Option<Phrases>,
    document: Option<Phrases>,
    /// How many different `document` phrases the document must hold (at least 1).
    document_min: usize,
}

/// A set of bytes.
struct Bytes([u64; 4]);

impl Bytes {
    fn of(bytes: impl Iterator<Item = u8>) -> Bytes {
        let mut set = Bytes([0; 4]);
        for b in bytes {
            for b in [b.to_ascii_lowercase(), b.to_ascii_uppercase()] {
                set.0[usize::from(b >> 6)] |= 1 << (b & 63);
            }
        }
        set
    }

    fn has(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }
}

/// The `after` token that stands for punctuation or the end of the sentence.
pub(crate) const PUNCT: &str = "<punct>";
/// The token that stands for a capitalised word of a name ([`name_word_before`]).
pub(crate) const NAME: &str = "<name>";

/// Capitalised words that start sentences, titles and headlines without being part of a name.
const FUNCTION_WORDS: &[&str] = &[
    "A", "An", "And", "Are", "As", "At", "But", "By", "For", "From", "His", "Her", "I", "If", "In", "Is", "Its", "My",
    "No", "Not", "Of", "On", "Or", "Our", "So", "Than", "That", "The", "Their", "These", "This", "Those", "To", "Was",
    "We", "Were", "With", "Your",
];

/// Whether `word` is capitalised and not a function word.
fn is_name_word(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase) && !FUNCTION_WORDS.contains(&word)
}

/// Whether `trimmed` (text before a phrase, its trailing whitespace already trimmed, which the
/// caller checked was there) ends with a name word that is not the first word of the text.
fn name_word_before(trimmed: &str) -> bool {
    let start = trimmed
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_alphanumeric() || matches!(c, '&' | '\'' | '’' | '.' | '-'))
        .last()
        .map_or(trimmed.len(), |(i, _)| i);
    let word = trimmed[start..].trim_end_matches('.');
    is_name_word(word) && !trimmed[..start].trim_end().is_empty()
}

/// Whether `rest` (text after a phrase) starts, after whitespace, with a name word (an article
/// between them allowed: "Americans for a Strong Defense").
fn name_word_after(rest: &str) -> bool {
    let t = rest.trim_start();
    if t.len() == rest.len() {
        return false;
    }
    let t = ["a ", "an ", "the "].iter().find_map(|a| t.strip_prefix(a)).map_or(t, str::trim_start);
    let end = t.find(|c: char| !(c.is_alphanumeric() || matches!(c, '&' | '\'' | '’'))).unwrap_or(t.len());
    is_name_word(&t[..end])
}

impl MentionRule {
    /// Builds a rule from its lists (each already split on `|`); `Err` names what is wrong.
    pub(crate) fn new(
        before: Vec<String>,
        after: Vec<String>,
        sentence: Vec<String>,
        paragraph: Vec<String>,
        keep: Vec<String>,
        document: Vec<String>,
        document_min: usize,
    ) -> Result<MentionRule, String> {
        if before.is_empty() && after.is_empty() && sentence.is_empty() && paragraph.is_empty() && document.is_empty() {
            return Err("a rule needs before, after, sentence, paragraph or document phrases".into());
        }
        if document.is_empty() != (document_min == 0) {
            return Err("document phrases and document_min (at least 1) go together".into());
        }
        if document_min > document.len() {
            return Err(format!("document_min {document_min} is more than the {} document phrases", document.len()));
        }
        let (before_name, before): (Vec<String>, Vec<String>) = before
            .into_iter()
            .partition(|p| p.strip_prefix(NAME).is_some_and(|rest| rest.is_empty() || rest.starts_with(' ')));
        let before_name: Vec<String> = before_name.iter().map(|p| p[NAME.len()..].trim().to_string()).collect();
        let (after_name, after): (Vec<String>, Vec<String>) = after
            .into_iter()
            .partition(|p| p.strip_suffix(NAME).is_some_and(|rest| rest.ends_with(' ') && rest.trim() != ""));
        let after_name: Vec<String> = after_name.iter().map(|p| p[..p.len() - NAME.len()].trim().to_string()).collect();
        for p in before.iter().chain(&before_name).chain(&after_name).chain(after.iter().filter(|p| *p != PUNCT)) {
            if p.contains(['<', '>']) {
                return Err(format!("phrase `{p}`: `{NAME}` leads a before phrase or ends an after one"));
            }
            if p.chars().any(|c| c.is_ascii_uppercase()) {
                return Err(format!("before/after phrase `{p}` must be lowercase (they match in any ASCII case)"));
            }
        }
        let phrases = |list: Vec<String>| -> Result<Option<Phrases>, String> {
            if list.is_empty() {
                return Ok(None);
            }
            Phrases::new(&list).map(Some).map_err(|e| format!("cannot build the context matcher: {e}"))
        };
        let after_punct = after.iter().any(|p| p == PUNCT);
        let after: Vec<String> = after.into_iter().filter(|p| p != PUNCT).collect();
        Ok(MentionRule {
            before_ends: Bytes::of(before.iter().filter_map(|p| p.bytes().last())),
            after_starts: Bytes::of(after.iter().filter_map(|p| p.bytes().next())),
            paragraph_slot: 0,
            after_glued: after.iter().map(|p| p.starts_with(['-', '\'', '’'])).collect(),
            before,
            after,
            after_punct,
            before_name,
            after_name,
            sentence: phrases(sentence)?,
            paragraph: phrases(paragraph)?,
            keep: phrases(keep)?,
            document: phrases(document)?,
            document_min,
        })
    }

    /// Whether the rule has a document condition (the caller keeps its answer per document).
    pub(crate) fn has_document(&self) -> bool {
        self.document.is_some()
    }

    /// The document condition on `doc`: at least `document_min` different phrases in it per
    /// 1,000 words, and at least `document_min`.
    pub(crate) fn document_holds(&self, doc: &str) -> bool {
        self.document.as_ref().is_none_or(|p| {
            // Most documents hold none of the phrases: the words are counted only for the rest.
            let distinct = p.distinct_in(doc);
            distinct >= self.document_min
                && distinct >= self.document_min * doc.split_ascii_whitespace().count().div_ceil(1000).max(1)
        })
    }

    /// The paragraph phrases as one key, to share a paragraph's answer between rules.
    pub(crate) fn paragraph_key(list: &[String]) -> String {
        list.join("|")
    }

    /// Whether the rule needs the paragraph searched (the caller keeps that answer per
    /// paragraph, since most mentions of a paragraph ask the same).
    pub(crate) fn has_paragraph(&self) -> bool {
        self.paragraph.is_some()
    }

    /// The paragraph condition on `para`.
    pub(crate) fn paragraph_holds(&self, para: &str) -> bool {
        self.paragraph.as_ref().is_none_or(|p| p.found_in(para))
    }

    /// The `before` and `after` conditions, the cheap ones, on the mention at `span` of
    /// `text`, whose sentence is `sent`.
    pub(crate) fn drops(&self, text: &str, sent: Range<usize>, span: Range<usize>) -> bool {
        if !self.before.is_empty() || !self.before_name.is_empty() {
            let before = &text[sent.start..span.start];
            // Trimmed once for all the rule's phrases (up to thirty), not once per phrase; no
            // phrase matches without whitespace before the mention.
            let trimmed = before.trim_end();
            let last = trimmed.bytes().last();
            // Phrases are ASCII-lowercase (checked in `new`), so only those ending in the
            // lowercased last byte can match: one byte compare skips the others' case-folding
            // comparison.
            let last_lower = last.map(|b| b.to_ascii_lowercase());
            let plain = last.is_some_and(|b| self.before_ends.has(b))
                && self.before.iter().any(|p| {
                    p.as_bytes().last().is_none_or(|b| Some(*b) == last_lower) && trimmed_ends_with_phrase(trimmed, p)
                });
            if trimmed.len() == before.len() || !(plain || self.name_before_holds(trimmed)) {
                return false;
            }
        }
        (!self.after_punct && self.after.is_empty() && self.after_name.is_empty())
            || self.after_holds(&text[span.end..sent.end])
    }

    /// A `<name>` phrase of `before` ends `trimmed`: its words, and a name word before them.
    fn name_before_holds(&self, trimmed: &str) -> bool {
        self.before_name.iter().any(|p| {
            if p.is_empty() {
                return name_word_before(trimmed);
            }
            if !trimmed_ends_with_phrase(trimmed, p) {
                return false;
            }
            let head = &trimmed[..trimmed.len() - p.len()];
            let head_trimmed = head.trim_end();
            head_trimmed.len() < head.len() && name_word_before(head_trimmed)
        })
    }

    /// The sentence and `keep` conditions (after [`MentionRule::drops`] and the paragraph's):
    /// the mention is dropped when they hold too.
    pub(crate) fn sentence_holds(&self, text: &str, sent: Range<usize>) -> bool {
        let sentence = &text[sent];
        if self.sentence.as_ref().is_some_and(|p| !p.found_in(sentence)) {
            return false;
        }
        !self.keep.as_ref().is_some_and(|p| p.found_in(sentence))
    }

    fn after_holds(&self, rest: &str) -> bool {
        let trimmed = rest.trim_start();
        if trimmed.len() < rest.len()
            // `starts_with_phrase` checked that `p.len()` is a char boundary.
            && self.after_name.iter().any(|p| starts_with_phrase(trimmed, p) && name_word_after(&trimmed[p.len()..]))
        {
            return true;
        }
        let first = |s: &str| s.bytes().next().is_some_and(|b| self.after_starts.has(b));
        if !self.after_punct && !first(rest) && !first(trimmed) {
            return false;
        }
        if self.after_punct
            && trimmed
                .chars()
                .next()
                .is_none_or(|c| matches!(c, ',' | '.' | ';' | ':' | '!' | '?' | ')' | ']' | '”' | '"'))
        {
            return true;
        }
        let spaced = rest.len() > trimmed.len();
        // As for `before`: a phrase can only match where its first byte is the text's, lowercased.
        let (rest0, trimmed0) = (
            rest.bytes().next().map(|b| b.to_ascii_lowercase()),
            trimmed.bytes().next().map(|b| b.to_ascii_lowercase()),
        );
        self.after.iter().zip(&self.after_glued).any(|(p, &glued)| {
            let (gap, from, from0) = if glued { (true, rest, rest0) } else { (spaced, trimmed, trimmed0) };
            gap && p.as_bytes().first().is_none_or(|b| Some(*b) == from0) && starts_with_phrase(from, p)
        })
    }
}

/// `hay`, less trailing whitespace, ends with `phrase` (ASCII case ignored) as whole words, and
/// the whitespace was there.
#[cfg(test)]
fn ends_with_phrase(hay: &str, phrase: &str) -> bool {
    let trimmed = hay.trim_end();
    trimmed.len() != hay.len() && trimmed_ends_with_phrase(trimmed, phrase)
}

/// `ends_with_phrase` for a `hay` already trimmed of the whitespace it had at its end (which the
/// caller checks was there).
#[inline]
fn trimmed_ends_with_phrase(trimmed: &str, phrase: &str) -> bool {
    if trimmed.len() < phrase.len() {
        return false;
    }
    let at = trimmed.len() - phrase.len();
    trimmed.is_char_boundary(at)
        && trimmed[at..].eq_ignore_ascii_case(phrase)
        && trimmed[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric())
}

/// `hay` starts with `phrase` (ASCII case ignored) followed by no letter or digit.
fn starts_with_phrase(hay: &str, phrase: &str) -> bool {
    hay.len() >= phrase.len()
        && hay.is_char_boundary(phrase.len())
        && hay[..phrase.len()].eq_ignore_ascii_case(phrase)
        && hay[phrase.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(s: &str) -> Vec<String> {
        s.split('|').filter(|p| !p.is_empty()).map(String::from).collect()
    }

    #[test]
    fn before_and_after_phrases() {
        assert!(ends_with_phrase("said in ", "in"));
        assert!(ends_with_phrase("In ", "in"));
        assert!(!ends_with_phrase("said in", "in"));
        assert!(!ends_with_phrase("begin ", "in"));
        assert!(ends_with_phrase("it was translated from  ", "translated from"));
        assert!(starts_with_phrase("-speaking voters", "-speaking"));
        assert!(!starts_with_phrase("-speakingly", "-speaking"));
        // A possessive phrase is glued to the mention, like a hyphenated one.
        let side = MentionRule::new(
            vec![],
            list("national team|'s national team|’s national team"),
            vec![],
            vec![],
            vec![],
            vec![],
            0,
        )
        .unwrap();
        let drops = |t: &str, m: &str| {
            let at = t.find(m).unwrap();
            side.drops(t, 0..t.len(), at..at + m.len())
        };
        assert!(drops("The Cuban national team lost.", "Cuban"));
        assert!(drops("Iran's national team qualified.", "Iran"));
        assert!(drops("Iran’s national team qualified.", "Iran"));
        assert!(!drops("Iran 's national team qualified.", "Iran"));
        assert!(!drops("Iran's government and the national team.", "Iran"));
        let r = MentionRule::new(list("in"), list("<punct>|after"), vec![], vec![], list("troops"), vec![], 0).unwrap();
        let check = |t: &str, m: &str| {
            let at = t.find(m).unwrap();
            r.drops(t, 0..t.len(), at..at + m.len()) && r.sentence_holds(t, 0..t.len())
        };
        assert!(check("He spoke in Spanish.", "Spanish"));
        assert!(check("He spoke in Spanish after the fire", "Spanish"));
        assert!(check("a segment (in Spanish) ran", "Spanish"));
        assert!(check("in Spanish", "Spanish"));
        assert!(!check("He spoke in Spanish waters", "Spanish"));
        assert!(!check("He spoke of Spanish.", "Spanish"));
        // No whitespace between the phrase and the mention: no phrase ends there.
        assert!(!check("He spoke inSpanish.", "Spanish"));
        assert!(check("He spoke IN \t Spanish.", "Spanish"));
        assert!(!check("Spain sent troops in Spanish.", "Spanish"));
    }

    /// `<name>`: a capitalised word of a name next to the mention and its phrase, never a
    /// function word or the sentence's first word.
    #[test]
    fn name_tokens_find_organisations_named_after_a_country() {
        let usa = MentionRule::new(list("<name>"), vec![], vec![], vec![], vec![], vec![], 0).unwrap();
        let of = MentionRule::new(list("<name> for|<name> of"), vec![], vec![], vec![], vec![], vec![], 0).unwrap();
        let by = MentionRule::new(vec![], list("for <name>"), vec![], vec![], vec![], vec![], 0).unwrap();
        let drops = |r: &MentionRule, t: &str, m: &str| {
            let at = t.rfind(m).unwrap();
            r.drops(t, 0..t.len(), at..at + m.len())
        };
        assert!(drops(&usa, "Roy Beck, president of Numbers USA, said so.", "USA"));
        assert!(drops(&usa, "said Jacob of Thin Blue Line USA.", "USA"));
        assert!(!drops(&usa, "“The USA is watching,” he said.", "USA"));
        assert!(!drops(&usa, "Trump praised the USA again.", "USA"));
        assert!(!drops(&usa, "Visit USA now.", "USA"));
        assert!(drops(&of, "Hegseth helms Concerned Veterans for America, a group.", "America"));
        assert!(drops(&of, "the Communications Workers of America union", "America"));
        assert!(!drops(&of, "They will fight for America.", "America"));
        assert!(!drops(&of, "the people of America", "America"));
        assert!(!drops(&of, "Made in America", "America"));
        assert!(drops(&by, "Americans for Prosperity ran ads.", "Americans"));
        assert!(drops(&by, "Americans for a Strong Defense put out a spot.", "Americans"));
        assert!(!drops(&by, "Americans for decades have paid.", "Americans"));
        assert!(!drops(&by, "Americans for The first time", "Americans"));
        assert!(MentionRule::new(list("in <name>"), vec![], vec![], vec![], vec![], vec![], 0).is_err());
        assert!(MentionRule::new(vec![], list("<name> for"), vec![], vec![], vec![], vec![], 0).is_err());
    }

    #[test]
    fn a_rule_needs_a_condition_and_lowercase_phrases() {
        assert!(MentionRule::new(vec![], vec![], vec![], vec![], list("x"), vec![], 0).is_err());
        assert!(MentionRule::new(list("In"), vec![], vec![], vec![], vec![], vec![], 0).is_err());
        // A document condition alone is a rule; its phrases need a count, and the count its phrases.
        let report = MentionRule::new(vec![], vec![], vec![], vec![], vec![], list("rugby|scrum|try"), 2).unwrap();
        assert!(report.has_document());
        assert!(report.document_holds("A scrum, then a try. The rugby was good."));
        assert!(!report.document_holds("A scrum, a scrum, a scrum."));
        // Two phrases per 1,000 words: 1,001 words need four.
        let long = format!("{} rugby scrum try", "word ".repeat(998));
        assert!(!report.document_holds(&long));
        assert!(report.document_holds(&long.replace("word word", "word")));
        assert!(MentionRule::new(vec![], vec![], vec![], vec![], vec![], list("rugby"), 0).is_err());
        assert!(MentionRule::new(vec![], vec![], vec![], vec![], vec![], list("rugby"), 2).is_err());
    }
}
