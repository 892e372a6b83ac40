//! Finding actor mentions in a segmented document.
//!
//! Rules, in order (each has tests below):
//! 1. Aliases match case-sensitively, leftmost-longest, on word boundaries: the character before
//!    and after a match must not be a letter or digit, so "us" is not "US", "Oman" is not found in
//!    "Romania", while possessives ("China's") and hyphenated compounds ("Kyiv-proposed",
//!    "pro-Russian") still match. Aliases written with a lowercase first letter ("the West") also
//!    match capitalised.
//! 2. `ignore` rows ("New Mexico") win as longer matches and produce no mention.
//! 3. A person's row counts only on article dates within its `valid_from`/`valid_to`.
//! 4. Name guard: a one-word state or place alias directly followed by a capitalised word that
//!    is not an actor, a role word or a non-name word of `roles.csv` is a person's or
//!    organisation's name ("Jordan Peterson", "Chad Smith", "China Daily"), not the actor.
//!    A one-word state or place alias right after a listed given name or an abbreviated title
//!    of `name_words.csv` is a surname ("Ken Spain", "Mr. Santiago"; rule 4f).
//! 5. Context rules (`disambiguation.csv`): an alias is dropped when its paragraph contains one of
//!    the rule's phrases ("Georgia" near "Atlanta").
//! 6. In a shouting sentence (mostly ALL-CAPS words) all-caps aliases ("US", "UN") are not
//!    trusted: "JOIN US" is not the United States.
//! 7. People introduced with a role that names an actor ("Kremlin spokesman Dmitry Peskov",
//!    "John Kirby, the White House National Security Council spokesman", "Iran's foreign
//!    minister, Abbas Araghchi") are linked to that actor's country for the rest of the document;
//!    later full-name or surname mentions resolve to it. The role stated in the text wins over
//!    the lexicon. After a comma the name must close an apposition ("Turkey's leader, Trump
//!    vowed" is no role), and an `accredited` head after a bloc ("UN Ambassador ...") names
//!    no one of the bloc. A name holds no function word ("On Friday, the Iranian foreign
//!    minister" names no "On"), ends with no party word, is no office word between two role
//!    words ("chief Brexit negotiator") and, before ", the ACTOR role", reaches the comma; there
//!    it is no lexicon person's whole alias of another country ("President Obama, Israel's prime
//!    minister have" is a list). A role opened by another actor is that one's ("Washington
//!    Hungarian Prime Minister"). A glued particle ends a name ("Nouri al-Maliki", surname
//!    "Maliki").
//! 8. Mention rules (`mention_rules.csv`, see `rules.rs`): contexts where an alias of some kind
//!    of actor, or a listed alias, is not the actor ("in Spanish", "Ireland" in a rugby report).

use super::{Actor, AliasInfo, Kind, Lexicon, NameWord, RoleWord};
use crate::document::{Date, Paragraph};
use crate::text::{self, TokKind, Token};
use std::ops::Range;

/// Which actor a mention denotes: a lexicon row, or a person learned from this document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActorRef {
    Lexicon(u32),
    Learned(u32),
}

/// How a mention was found, for `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A lexicon alias.
    Alias,
    /// A person introduced with a role in this document.
    Role,
    /// A later full-name or surname mention of a person learned from a role.
    Name,
}

/// One mention: a byte span of the document text and the actor it denotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub span: Range<usize>,
    /// 0-based paragraph index.
    pub paragraph: u32,
    /// 0-based sentence index within the paragraph.
    pub sentence: u32,
    pub actor: ActorRef,
    pub via: Via,
    /// Whether the mention counts as coverage of its country (`mentions.csv`, the actor and
    /// country aggregates): false for a place mention the place model reads as only a city
    /// ([`super::place`]). The stance stages read every mention.
    pub coverage: bool,
}

/// All mentions of one document (in text order) and the people learned from it.
#[derive(Debug, Clone, Default)]
pub struct DocActors {
    pub mentions: Vec<Mention>,
    pub learned: Vec<Actor>,
}

impl DocActors {
    /// The actor a reference points to.
    pub fn actor<'a>(&'a self, lexicon: &'a Lexicon, r: ActorRef) -> &'a Actor {
        match r {
            ActorRef::Lexicon(i) => lexicon.actor(i),
            ActorRef::Learned(i) => &self.learned[i as usize],
        }
    }
}

/// A condition worked out at most once per paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Memo {
    Unknown,
    No,
    Yes,
}

impl Memo {
    /// The memo's answer, asking `holds` the first time.
    fn get_or(&mut self, holds: impl FnOnce() -> bool) -> bool {
        if *self == Memo::Unknown {
            *self = if holds() { Memo::Yes } else { Memo::No };
        }
        *self == Memo::Yes
    }
}

/// The answers of the mention rules' wider conditions ([`Lexicon::mention_rule_drops`]), each
/// worked out once for the text it reads: many mentions ask the same rule of the same
/// paragraph, sentence or document.
struct RuleMemo {
    /// Per paragraph slot (rules with the same paragraph phrases share one), for the current
    /// paragraph.
    paragraph: Vec<Memo>,
    /// Per rule, its sentence and `keep` conditions on the current sentence.
    sentence: Vec<Memo>,
    /// Per rule, its document condition.
    document: Vec<Memo>,
}

impl RuleMemo {
    fn new(rules: usize) -> RuleMemo {
        RuleMemo {
            paragraph: vec![Memo::Unknown; rules],
            sentence: vec![Memo::Unknown; rules],
            document: vec![Memo::Unknown; rules],
        }
    }

    /// Forgets the paragraph's answers (and the sentence's).
    fn new_paragraph(&mut self) {
        self.paragraph.fill(Memo::Unknown);
        self.new_sentence();
    }

    /// Forgets the sentence's answers.
    fn new_sentence(&mut self) {
        self.sentence.fill(Memo::Unknown);
    }
}

/// A person learned from a role phrase, before it becomes an [`Actor`].
struct Learned {
    name: Range<usize>,
    surname: Range<usize>,
    actor: ActorRef,
}

/// Countries whose people's names are written family name first in English-language news.
const FAMILY_NAME_FIRST: &[&str] = &["CHN", "TWN", "KOR", "PRK", "VNM", "KHM"];

/// Verbs that report a person's words, after a surname spelt like a country (rule 4g).
const SPEECH_VERBS: &[&str] = &[
    "said",
    "says",
    "say",
    "told",
    "tells",
    "wrote",
    "writes",
    "write",
    "added",
    "adds",
    "asked",
    "asks",
    "noted",
    "notes",
    "argued",
    "argues",
    "tweeted",
    "replied",
    "explained",
    "insisted",
    "recalled",
    "countered",
];

/// Function words that open sentences capitalised ("On Monday, the UAE's interior minister
/// said", "In a talk with The Times, Pakistan's top diplomat") or stand in captions ("King
/// Abdullah The King poses"): no person's name starts with or holds one, so the role rules do not
/// learn "On" or "The Times" as a person. Compared ASCII-case-insensitively. Words that are also
/// East Asian names ("He", "An", "So", "To": "Vice Premier Liu He") are left out.
const FUNCTION_WORDS: &[&str] = &[
    "a", "and", "as", "at", "but", "by", "for", "from", "her", "his", "if", "in", "into", "it", "its", "on", "or",
    "our", "she", "that", "the", "their", "these", "they", "this", "those", "we", "when", "while", "with",
];

/// Party words (titles of `name_words.csv` that are never surnames): a learned name does not end
/// with one.
const PARTY_WORDS: &[&str] = &["democrat", "democrats", "democratic", "republican", "republicans", "gop", "tory"];

/// Particles that may stand inside a person's name ("Mohammed bin Salman", "Ursula von der Leyen").
const NAME_PARTICLES: &[&str] =
    &["bin", "ibn", "al", "de", "del", "der", "van", "von", "da", "di", "la", "le", "el", "du"];

impl Lexicon {
    /// Finds the actor mentions of a document whose text is `text`, segmented into `paragraphs`.
    pub fn find(&self, text: &str, paragraphs: &[Paragraph], date: Option<Date>) -> DocActors {
        let mut doc = DocActors::default();
        let mut learned: Vec<Learned> = Vec::new();
        let mut memo = RuleMemo::new(self.mention_rules.len());
        for (p, para) in paragraphs.iter().enumerate() {
            memo.new_paragraph();
            for (s, sent) in para.sentences.iter().enumerate() {
                memo.new_sentence();
                let first = doc.mentions.len();
                let at = (p as u32, s as u32);
                self.match_sentence(text, para, sent.clone(), date, at, &mut memo, &mut doc.mentions);
                let end = doc.mentions.len();
                for m in first..end {
                    self.learn_surname(text, m, &doc.mentions, &mut learned);
                }
                for m in first..end {
                    self.learn_role(text, sent.clone(), m, &mut doc, &mut learned, (p as u32, s as u32));
                }
            }
        }
        self.add_learned_names(text, paragraphs, date, &learned, &mut doc);
        doc.mentions.sort_by_key(|m| (m.span.start, m.span.end));
        self.judge_places(text, paragraphs, &mut doc.mentions);
        doc
    }

    /// Marks the place mentions the place model reads as only a city as not coverage of their
    /// country ([`super::place`]).
    fn judge_places(&self, text: &str, paragraphs: &[Paragraph], mentions: &mut [Mention]) {
        let mut scratch = super::place::Scratch::default();
        for m in mentions.iter_mut() {
            if let Some((sentence, span, id)) = self.place_context(text, paragraphs, m) {
                m.coverage = self.places.judge(sentence, span, id, &mut scratch).0;
            }
        }
    }

    /// A place mention's sentence, its span in the sentence and its actor id; `None` for other
    /// mentions.
    pub fn place_context<'t>(
        &'t self,
        text: &'t str,
        paragraphs: &[Paragraph],
        m: &Mention,
    ) -> Option<(&'t str, Range<usize>, &'t str)> {
        let ActorRef::Lexicon(a) = m.actor else { return None };
        if self.kinds.get(a as usize) != Some(&Kind::Place) {
            return None;
        }
        let sent = paragraphs.get(m.paragraph as usize)?.sentences.get(m.sentence as usize)?.clone();
        let sentence = text.get(sent.clone())?;
        let span = m.span.start.checked_sub(sent.start)?..m.span.end.checked_sub(sent.start)?;
        Some((sentence, span, self.actors[a as usize].id.as_str()))
    }

    /// The place model (`explain`, `eval`).
    pub fn places(&self) -> &super::place::PlaceModel {
        &self.places
    }

    /// Rules 1–6 and 8 on one sentence.
    #[allow(clippy::too_many_arguments)]
    fn match_sentence(
        &self,
        text: &str,
        para: &Paragraph,
        sent: Range<usize>,
        date: Option<Date>,
        at: (u32, u32),
        memo: &mut RuleMemo,
        out: &mut Vec<Mention>,
    ) {
        // Computed on the first all-caps alias only: most sentences never need it.
        let mut shouting: Option<bool> = None;
        let mut pos = sent.start;
        while let Some(m) = self.matcher.next(text, pos, sent.end) {
            let (start, end) = (m.start(), m.end());
            pos = end;
            let info = self.patterns[m.pattern().as_usize()];
            let (actor, kind) = if info.actor != AliasInfo::DATED {
                (info.actor, info.kind)
            } else {
                let alias = &self.aliases[info.alias as usize];
                let Some(&actor) = alias.actors.iter().find(|&&a| self.actors[a as usize].valid_on(date)) else {
                    continue;
                };
                (actor, self.actors[actor as usize].kind)
            };
            if kind == Kind::Ignore {
                continue;
            }
            // A person's alias continued by a hyphen is part of a longer name ("Park Jin-young").
            if kind == Kind::Person
                && text[end..].starts_with('-')
                && text[end + 1..].chars().next().is_some_and(char::is_alphanumeric)
            {
                continue;
            }
            if info.all_caps && *shouting.get_or_insert_with(|| is_shouting(&text[sent.clone()])) {
                continue;
            }
            if info.single_word
                && matches!(kind, Kind::State | Kind::Place | Kind::Person)
                && self.looks_like_name(text, end, sent.end)
                && (kind != Kind::Person || !is_title_case(&text[sent.clone()]))
            {
                continue;
            }
            if info.single_word
                && matches!(kind, Kind::State | Kind::Place)
                && (self.after_given_name_or_title(text, sent.clone(), start)
                    || self.namesake_speaks(text, start, end, sent.end))
            {
                continue;
            }
            if kind == Kind::Person
                && (self.followed_by_suffix(text, end, sent.end)
                    || info.single_word && self.preceded_by_given_name(text, sent.clone(), start))
            {
                continue;
            }
            if let Some(rule) =
                (info.rules & AliasInfo::CONTEXT_RULE != 0).then(|| self.aliases[info.alias as usize].rule).flatten()
            {
                let rule = &self.rules[rule];
                let says = |scope: &str, phrases: &super::Phrases| phrases.found_in(scope);
                let sentence_text = &text[sent.clone()];
                let para_text = &text[para.span.clone()];
                let drop_here = says(sentence_text, &rule.unless) && !says(sentence_text, &rule.keep);
                let drop_para = says(para_text, &rule.unless) && !says(para_text, &rule.keep);
                if drop_here || drop_para {
                    continue;
                }
            }
            if (!self.kind_rules[kind as usize].is_empty() || info.rules & AliasInfo::MENTION_RULES != 0)
                && self.mention_rule_drops(
                    text,
                    para,
                    sent.clone(),
                    start..end,
                    kind,
                    &self.aliases[info.alias as usize].mention_rules,
                    memo,
                )
            {
                continue;
            }
            out.push(Mention {
                span: start..end,
                paragraph: at.0,
                sentence: at.1,
                actor: ActorRef::Lexicon(actor),
                via: Via::Alias,
                coverage: true,
            });
        }
    }

    /// Rule 8: whether a rule of `mention_rules.csv` for the alias's kind or for the alias
    /// itself (`own`) drops the mention at `span`. `memo` keeps the answers of the paragraph,
    /// sentence and document conditions for the mentions after it.
    #[allow(clippy::too_many_arguments)]
    fn mention_rule_drops(
        &self,
        text: &str,
        para: &Paragraph,
        sent: Range<usize>,
        span: Range<usize>,
        kind: Kind,
        own: &[u16],
        memo: &mut RuleMemo,
    ) -> bool {
        self.kind_rules[kind as usize].iter().chain(own).any(|&r| {
            let rule = &self.mention_rules[usize::from(r)];
            // The cheap conditions first (words next to the mention), then the paragraph's
            // (worked out once per paragraph, shared by rules with the same phrases), then the
            // sentence's.
            if !rule.drops(text, sent.clone(), span.clone()) {
                return false;
            }
            if rule.has_document() && !memo.document[usize::from(r)].get_or(|| rule.document_holds(text)) {
                return false;
            }
            if rule.has_paragraph()
                && !memo.paragraph[usize::from(rule.paragraph_slot)]
                    .get_or(|| rule.paragraph_holds(&text[para.span.clone()]))
            {
                return false;
            }
            // A sentence naming several states asks the sentence-wide rules once.
            memo.sentence[usize::from(r)].get_or(|| rule.sentence_holds(text, sent.clone()))
        })
    }

    /// A known person named in full ("Matthew Miller") may be named by surname alone later in
    /// the document ("Miller said"), even where the bare surname is too common to be a lexicon
    /// alias.
    fn learn_surname(&self, text: &str, m: usize, mentions: &[Mention], learned: &mut Vec<Learned>) {
        let mention = &mentions[m];
        let ActorRef::Lexicon(a) = mention.actor else {
            return;
        };
        if self.kinds[a as usize] != Kind::Person || learned.iter().any(|l| l.actor == mention.actor) {
            return;
        }
        let actor = &self.actors[a as usize];
        // A title or office word before the name ("President Xi Jinping", "Foreign Minister Wang
        // Yi") is not its first word: the family name of "President Xi" is "Xi", not "President".
        let mut words = text::tokens(text, mention.span.clone()).filter(|t| t.is_word());
        let Some(mut first) = words.next() else { return };
        let Some(last) = words.last() else { return };
        if first.span != last.span {
            let w = &text[first.span.clone()];
            if self.name_word(w) == Some(NameWord::Title) || self.role_word(w).is_some() {
                first = text::tokens(text, first.span.end..mention.span.end)
                    .find(|t| {
                        let w = &text[t.span.clone()];
                        t.is_word() && self.name_word(w) != Some(NameWord::Title) && self.role_word(w).is_none()
                    })
                    .unwrap_or_else(|| last.clone());
            }
        }
        let surname = if FAMILY_NAME_FIRST.contains(&actor.country.as_str()) { first.span } else { last.span };
        let word = &text[surname.clone()];
        if word.chars().count() >= 3 && text::is_capitalized(word) {
            learned.push(Learned { name: mention.span.clone(), surname, actor: mention.actor });
        }
    }

    /// Rule 4: is the alias ending at `end` followed by a capitalised word that makes it part of
    /// a name?
    fn looks_like_name(&self, text: &str, end: usize, limit: usize) -> bool {
        let rest = &text[end..limit];
        let Some(after_space) = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('\u{a0}')) else {
            return false;
        };
        let next_start = limit - after_space.len();
        // Most next words start with a lowercase letter (or are no word): no name.
        if after_space.as_bytes().first().is_none_or(|&b| b.is_ascii() && !b.is_ascii_uppercase()) {
            return false;
        }
        let Some(tok) = text::tokens(text, next_start..limit).next() else {
            return false;
        };
        if tok.span.start != next_start || tok.kind != TokKind::Word {
            return false;
        }
        let word = text::strip_possessive(&text[tok.span.clone()]);
        if !text::is_capitalized(word) || word.chars().all(|c| !c.is_lowercase()) {
            return false;
        }
        if self.role_word(word).is_some() || self.name_word(word) == Some(NameWord::NotName) {
            return false;
        }
        // The next word starts another actor ("US State Department"): not a name.
        let next = self.matcher.at(text, next_start, limit);
        !next.is_some_and(|m| is_boundary(text, m.start(), m.end()))
    }

    /// Rule 4b: a person's name followed by a suffix of `name_words.csv` ("Donald Trump Jr.") is
    /// another person.
    fn followed_by_suffix(&self, text: &str, end: usize, limit: usize) -> bool {
        let rest = &text[end..limit];
        let Some(after) = rest.strip_prefix(' ').or_else(|| rest.strip_prefix(", ")) else {
            return false;
        };
        let word = after.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
        self.name_word(word) == Some(NameWord::Suffix)
    }

    /// Rule 4c: a surname alone (a one-word alias of a person, or a learned surname) right after a
    /// capitalised word that is no title, role word, actor or sentence start, in a sentence that
    /// is not a title-case headline, is someone else's surname ("Melania Trump", "Pierre
    /// Trudeau", "Tony Kim"): the lexicon lists the actor's own full names, which match as
    /// longer aliases. A `given` name of `name_words.csv` counts also at a sentence's start and
    /// in a headline, where any capitalised word would not ("Ivanka Trump toured ...").
    fn preceded_by_given_name(&self, text: &str, sent: Range<usize>, start: usize) -> bool {
        let before = &text[sent.start..start];
        let Some(before) = before.strip_suffix(' ').or_else(|| before.strip_suffix('\u{a0}')) else {
            return false;
        };
        let word_start = before
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_alphanumeric() || c == '-'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &before[word_start..];
        if word.chars().count() < 2 || !text::is_capitalized(word) || !word.chars().any(char::is_lowercase) {
            return false;
        }
        // A listed given name says "name" where any capitalised word does not: at a sentence's
        // start ("Tony Kim, 59, was detained") and in a title-case headline ("Taking Stock of
        // Melania Trump").
        let listed = self.name_word(word) == Some(NameWord::Given);
        if !listed
            && before[..word_start]
                .trim_end_matches(|c: char| c.is_whitespace() || "\"“‘'([".contains(c))
                .chars()
                .next_back()
                .is_none_or(|c| matches!(c, ':' | '—' | '–' | '-' | '.' | '!' | '?'))
        {
            return false;
        }
        if self.role_word(word).is_some() || self.name_word(word).is_some_and(|w| w != NameWord::Given) {
            return false;
        }
        let word_at = sent.start + word_start;
        if self.matcher.at(text, word_at, start).is_some_and(|m| is_boundary(text, m.start(), m.end())) {
            return false;
        }
        listed || !is_title_case(&text[sent])
    }

    /// Rule 4f: a one-word state or place alias right after a `given` name of `name_words.csv`
    /// ("Lisa Monaco", "spokesman Ken Spain", "Mark Cuban") or a capitalised `title` written as
    /// one ("Mr. Santiago", "Rep. Jordan", "Miss USA") is a person's surname, not the actor.
    /// Given names are a list, not any capitalised word, since most capitalised words before a
    /// country are not names ("Muslim Americans", "Royal Australian Air Force", lists of
    /// countries); for the same reason a title counts only abbreviated with a dot, or short
    /// ("Mr", "Ms", "Miss") and not opening the sentence ("Then China ..."). Not in title-case
    /// headlines, whose capitals say nothing.
    fn after_given_name_or_title(&self, text: &str, sent: Range<usize>, start: usize) -> bool {
        self.name_word_before(text, sent.start, start) && !is_title_case(&text[sent])
    }

    /// Rule 4g: a one-word state or place alias followed by a speech verb ("Jordan said", "Jordan
    /// also noted") in an article where the same word stood after a given name or title before
    /// ("Rep. Jim Jordan", "Sheriff Scott Israel") is that person: the lexicon's surname rules
    /// for people, for a surname spelt like a country. Only before a speech verb, since the
    /// country may be named in the same article ("support for Israel").
    fn namesake_speaks(&self, text: &str, start: usize, end: usize, limit: usize) -> bool {
        let rest = text[end..limit].trim_start_matches([' ', '\u{a0}']);
        let rest =
            ["also ", "later ", "then ", "has ", "had "].iter().find_map(|p| rest.strip_prefix(p)).unwrap_or(rest);
        let verb = rest.split(|c: char| !c.is_alphabetic()).next().unwrap_or("");
        if !SPEECH_VERBS.contains(&verb) {
            return false;
        }
        let alias = &text[start..end];
        text[..start]
            .match_indices(alias)
            .any(|(at, _)| is_boundary(text, at, at + alias.len()) && self.name_word_before(text, 0, at))
    }

    /// Whether the word before `start` (within `text[from..start]`, after one space) is a
    /// `given` name, or a capitalised `title` with a dot or short and not opening the text.
    fn name_word_before(&self, text: &str, from: usize, start: usize) -> bool {
        let before = &text[from..start];
        let Some(before) = before.strip_suffix(' ').or_else(|| before.strip_suffix('\u{a0}')) else {
            return false;
        };
        let dot = before.ends_with('.');
        let head = if dot { &before[..before.len() - 1] } else { before };
        let word_start =
            head.char_indices().rev().find(|&(_, c)| !c.is_alphabetic()).map_or(0, |(i, c)| i + c.len_utf8());
        let word = &head[word_start..];
        if word.len() < 2 || !text::is_capitalized(word) || !word.chars().skip(1).all(char::is_lowercase) {
            return false;
        }
        // The word must stand alone: not the end of "O'Neil" or "Jean-Louis".
        if head[..word_start].chars().next_back().is_some_and(|c| !(c.is_whitespace() || "\"“‘'([".contains(c))) {
            return false;
        }
        let named = match self.name_word(word) {
            Some(NameWord::Given) => !dot,
            Some(NameWord::Title) => {
                let opens = head[..word_start]
                    .trim_end_matches(|c: char| c.is_whitespace() || "\"“‘'([".contains(c))
                    .is_empty();
                dot || (word.len() <= 4 && !opens)
            }
            _ => false,
        };
        named
    }

    /// Rule 4e: a surname that is also a day or month (`not_name` in `name_words.csv`: "May")
    /// is the date when a digit follows it or a `date_before` word precedes it ("in May",
    /// "May 5").
    fn is_date(&self, text: &str, sent_start: usize, start: usize, end: usize) -> bool {
        if self.name_word(&text[start..end]) != Some(NameWord::NotName) {
            return false;
        }
        let after = text[end..].trim_start_matches(' ');
        if after.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            return true;
        }
        let before = text[sent_start..start].trim_end();
        let word = before.rsplit(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
        self.name_word(word) == Some(NameWord::DateBefore) && word.chars().all(char::is_lowercase)
    }

    /// Rule 7: a role phrase around mention `m` (patterns "ACTOR role Name" and
    /// "Name, the ACTOR role").
    fn learn_role(
        &self,
        text: &str,
        sent: Range<usize>,
        m: usize,
        doc: &mut DocActors,
        learned: &mut Vec<Learned>,
        at: (u32, u32),
    ) {
        let anchor = doc.mentions[m].clone();
        let person = match anchor.actor {
            ActorRef::Lexicon(a) => self.kinds[a as usize] == Kind::Person,
            ActorRef::Learned(_) => doc.actor(self, anchor.actor).kind == Kind::Person,
        };
        if person {
            return;
        }
        // Tokens after the anchor, skipping a possessive.
        let rest = &text[anchor.span.end..sent.end];
        let after =
            anchor.span.end + ["'s", "’s", "'", "’"].iter().find(|p| rest.starts_with(**p)).map_or(0, |p| p.len());
        // Most mentions ("Russia", "Chinese troops", "China Daily") start no role phrase. Most
        // often the next word's first byte says so (a letter no role word starts with, a digit,
        // punctuation); otherwise the role phrase is decided on the few words it reads, before
        // the tokens for a name are collected.
        match text.as_bytes()[after..sent.end].iter().find(|b| !matches!(b, b' ' | b'\t'..=b'\r')) {
            None => return,
            Some(&b) if b.is_ascii() && !b.is_ascii_uppercase() && !self.roles.may_start(b) => return,
            Some(_) => {}
        }
        let Some((role_end_tok, role_span, accredited)) = self.role_phrase(text, text::tokens(text, after..sent.end))
        else {
            return;
        };
        // "Egyptian Leader Says No Cease-Fire Announcement Tonight": a headline's capitals are no name.
        if is_title_case(&text[sent.clone()]) {
            return;
        }
        // "invited to Washington Hungarian Prime Minister Viktor Orbán": another actor opening the
        // role phrase is the nearer one, and the role is its (learned from it in turn). After an
        // institution it is the role's topic ("Former White House Russia adviser Fiona Hill"), as
        // is one inside the phrase ("the White House's top Russia adviser").
        let institution = matches!(anchor.actor, ActorRef::Lexicon(a) if self.kinds[a as usize] == Kind::Institution);
        if !institution && doc.mentions.iter().any(|o| o.span.start == role_span.start) {
            return;
        }
        let country = doc.actor(self, anchor.actor).country.clone();
        // "UN Ambassador Nikki Haley": an ambassador to a bloc is some state's, not the bloc's.
        if accredited && self.country(&country).is_some_and(|c| c.kind == "bloc") {
            return;
        }
        let toks: Vec<Token> = text::tokens(text, after..sent.end).take(12).collect();
        // Pattern A: a name follows the role.
        let mut i = role_end_tok + 1;
        let comma = toks.get(i).is_some_and(|t| &text[t.span.clone()] == ",");
        if comma {
            i += 1;
        }
        let name = self.name_forward(text, &toks[i.min(toks.len())..]);
        // After a comma the name must close an apposition ("Iran's foreign minister, Abbas
        // Araghchi, said"): a verb right after it makes the comma a clause boundary, and the name
        // the next clause's subject ("At a news conference with Turkey's leader, Trump vowed").
        if comma && name.as_ref().is_some_and(|(n, _)| !closes_apposition(&text[n.end..sent.end])) {
            return;
        }
        // A head role word right after the "name" makes it an office word of a longer role ("the
        // EU's chief Brexit negotiator Michel Barnier" is no person named "Brexit").
        if name.as_ref().is_some_and(|(n, _)| {
            text::tokens(text, n.end..sent.end).find(|t| t.kind == TokKind::Word).is_some_and(|t| {
                t.span.start == n.end + 1
                    && matches!(self.role_word(&text[t.span]), Some(RoleWord::Head | RoleWord::Accredited))
            })
        }) {
            return;
        }
        let backward = name.is_none();
        let name = match name {
            Some(n) => Some(n),
            None => {
                // Pattern B: "Name, (the|a) ACTOR role".
                let before: Vec<Token> = text::tokens(text, sent.start..anchor.span.start).collect();
                self.name_backward(text, &before)
            }
        };
        let Some((name, surname)) = name else { return };
        let role = text[role_span].to_string();
        // East Asian names in English news keep the family name first ("Wang Wenbin" → "Wang").
        let surname = if FAMILY_NAME_FIRST.contains(&country.as_str()) {
            text::tokens(text, name.clone()).next().map_or(surname, |t| t.span)
        } else {
            surname
        };
        self.register(text, (name, surname), &country, role, backward, doc, learned, at);
    }

    /// A role phrase at the start of `toks`: role words and capitalised office words ending with a
    /// head ("foreign ministry spokesman", "National Security Council spokesman", "Secretary of
    /// State"), starting with a role word or a capitalised word ("of" and "for" only inside).
    /// Returns the index of the last head token, the phrase's byte span and whether that head is
    /// an `accredited` one ("ambassador").
    fn role_phrase(&self, text: &str, toks: impl Iterator<Item = Token>) -> Option<(usize, Range<usize>, bool)> {
        let mut last_head = None;
        let mut start = None;
        for (i, t) in toks.enumerate().take(8) {
            if t.kind != TokKind::Word {
                break;
            }
            start.get_or_insert(t.span.start);
            let w = &text[t.span.clone()];
            match self.role_word(w) {
                Some(RoleWord::Head) => last_head = Some((i, t.span.end, false)),
                Some(RoleWord::Accredited) => last_head = Some((i, t.span.end, true)),
                Some(RoleWord::Modifier) => {}
                Some(RoleWord::Institution) => {}
                None if (w == "of" || w == "for") && i > 0 => {}
                None if text::is_capitalized(w) && last_head.is_none() => {}
                None => break,
            }
        }
        let (h, end, accredited) = last_head?;
        Some((h, start?..end, accredited))
    }

    /// A person's name at the start of `toks`: 1–4 capitalised words (initials and particles
    /// allowed inside) that are neither role words nor actors other than people.
    fn name_forward(&self, text: &str, toks: &[Token]) -> Option<(Range<usize>, Range<usize>)> {
        let mut words: Vec<Range<usize>> = Vec::new();
        let mut i = 0;
        // Titles before the name ("Rear Adm. John Kirby", "Dr. Tedros") are not part of it.
        while toks
            .get(i)
            .is_some_and(|t| t.kind == TokKind::Word && self.name_word(&text[t.span.clone()]) == Some(NameWord::Title))
        {
            i += 1;
            if toks.get(i).is_some_and(|t| &text[t.span.clone()] == ".") {
                i += 1;
            }
        }
        while i < toks.len() && words.len() < 5 {
            let t = &toks[i];
            let w = &text[t.span.clone()];
            if t.kind == TokKind::Word
                && (self.name_word(w) == Some(NameWord::NotName)
                    || FUNCTION_WORDS.iter().any(|f| f.eq_ignore_ascii_case(w)))
            {
                // "Monday", "May", "The": no name, and no name goes on past them.
                if words.is_empty() {
                    return None;
                }
                break;
            }
            if t.kind == TokKind::Word && text::is_capitalized(w) && self.role_word(w).is_none() {
                // An initial: "F." is kept with its dot.
                if w.chars().count() == 1 && toks.get(i + 1).is_some_and(|n| &text[n.span.clone()] == ".") {
                    words.push(t.span.start..toks[i + 1].span.end);
                    i += 2;
                    continue;
                }
                words.push(t.span.clone());
            } else if t.kind == TokKind::Word && !words.is_empty() && (NAME_PARTICLES.contains(&w) || particle_name(w))
            {
                words.push(t.span.clone());
            } else {
                break;
            }
            i += 1;
        }
        // Nor does a name end with a party word ("... John BoltonAre Democrats building": a
        // headline run into the name), though other titles may be surnames ("John Major").
        while words.last().is_some_and(|w| {
            let w = &text[w.clone()];
            (!text::is_capitalized(w) && !particle_name(w))
                || w.ends_with('.')
                || PARTY_WORDS.iter().any(|p| p.eq_ignore_ascii_case(text::strip_possessive(w)))
        }) {
            words.pop();
        }
        let last = words.last()?.clone();
        let first = words.first()?.clone();
        let surname_text = text::strip_possessive(&text[last.clone()]);
        if surname_text.chars().count() < 2 {
            return None;
        }
        let name = first.start..last.start + surname_text.len();
        // "Bashar al-Assad" is named "Assad" later in the article: the surname is what follows
        // the particle.
        let particle = if particle_name(surname_text) { surname_text.find('-').map_or(0, |h| h + 1) } else { 0 };
        Some((name.clone(), last.start + particle..name.end))
    }

    /// Pattern B: `toks` end just before the anchor; looks for "Name , [the|a|an]".
    fn name_backward(&self, text: &str, toks: &[Token]) -> Option<(Range<usize>, Range<usize>)> {
        let mut j = toks.len();
        if j > 0 && matches!(&text[toks[j - 1].span.clone()], "the" | "a" | "an") {
            j -= 1;
        }
        if j == 0 || &text[toks[j - 1].span.clone()] != "," {
            return None;
        }
        j -= 1;
        let mut start = j;
        while start > 0 && j - start < 4 {
            let t = &toks[start - 1];
            let w = &text[t.span.clone()];
            if t.kind == TokKind::Word
                && (text::is_capitalized(w) || NAME_PARTICLES.contains(&w))
                && self.role_word(w).is_none()
            {
                start -= 1;
            } else {
                break;
            }
        }
        if start == j {
            return None;
        }
        // The name must reach the comma: "On Thursday, the UAE's interior minister" has no name
        // before it ("On" is no name, nor is a name cut short by a day).
        let last = &toks[j - 1];
        let last_end = last.span.start + text::strip_possessive(&text[last.span.clone()]).len();
        self.name_forward(text, &toks[start..j]).filter(|(_, surname)| surname.end == last_end)
    }

    /// Records a person learned from a role: a new actor (or an override of a lexicon person
    /// whose country differs from the text's), and the mention at the introduction.
    #[allow(clippy::too_many_arguments)]
    fn register(
        &self,
        text: &str,
        (name, surname): (Range<usize>, Range<usize>),
        country: &str,
        role: String,
        backward: bool,
        doc: &mut DocActors,
        learned: &mut Vec<Learned>,
        at: (u32, u32),
    ) {
        let name_text = &text[name.clone()];
        // A lexicon person already matched inside the name span.
        let existing = doc.mentions.iter().position(|m| m.span.start < name.end && name.start < m.span.end);
        if let Some(e) = existing {
            let r = doc.mentions[e].actor;
            let actor = doc.actor(self, r);
            if actor.kind != Kind::Person {
                return;
            }
            if actor.country == country {
                // A known person introduced with their role: later surname mentions are theirs.
                if !learned.iter().any(|l| l.actor == r) {
                    learned.push(Learned { name, surname, actor: r });
                }
                return;
            }
            // A name before the role that is all of a lexicon alias ("President Obama, Israel's
            // prime minister have ..." is a list, not an apposition): that person, whose country
            // the lexicon knows. A role before the name ("Ukrainian spokesman Dmitry Peskov"), or a
            // fuller name ("Jay Carney, the White House's spokesman", where the lexicon's "Carney"
            // is Mark Carney), still makes the text's person.
            let m = &doc.mentions[e].span;
            if backward && m.start <= name.start && name.end <= m.end {
                return;
            }
        }
        let id = format!("{}-{}", country.to_ascii_lowercase(), slug(name_text));
        // The lexicon knows this person by another alias ("British Prime Minister May" is
        // `gbr-may`): use that actor rather than a second one with the same id.
        if existing.is_none() {
            if let Some(&known) = self.ids.get(&id) {
                let r = ActorRef::Lexicon(known);
                if self.actors[known as usize].country == country {
                    if !learned.iter().any(|l| l.actor == r) {
                        learned.push(Learned { name: name.clone(), surname, actor: r });
                    }
                    doc.mentions.push(Mention {
                        span: name,
                        paragraph: at.0,
                        sentence: at.1,
                        actor: r,
                        via: Via::Role,
                        coverage: true,
                    });
                    return;
                }
            }
        }
        let index = match doc.learned.iter().position(|a| a.name == name_text) {
            Some(i) => i,
            None => {
                doc.learned.push(Actor {
                    id,
                    name: name_text.to_string(),
                    country: country.to_string(),
                    kind: Kind::Person,
                    valid_from: None,
                    valid_to: None,
                    role,
                });
                learned.push(Learned {
                    name: name.clone(),
                    surname,
                    actor: ActorRef::Learned(doc.learned.len() as u32 - 1),
                });
                doc.learned.len() - 1
            }
        };
        let mention = Mention {
            span: name,
            paragraph: at.0,
            sentence: at.1,
            actor: ActorRef::Learned(index as u32),
            via: Via::Role,
            coverage: true,
        };
        match existing {
            Some(e) => doc.mentions[e] = mention,
            None => doc.mentions.push(mention),
        }
    }

    /// Later mentions of learned people by full name or surname (whole words), and lexicon
    /// mentions of an overridden person, resolve to the learned actor.
    fn add_learned_names(
        &self,
        text: &str,
        paragraphs: &[Paragraph],
        date: Option<Date>,
        learned: &[Learned],
        doc: &mut DocActors,
    ) {
        if learned.is_empty() {
            return;
        }
        let (mut full_hits, mut surname_hits) = (Vec::new(), Vec::new());
        let mut overlaps = Overlaps::new(&doc.mentions);
        let mut memo = RuleMemo::new(self.mention_rules.len());
        for l in learned {
            occurrences(text, l, &mut full_hits, &mut surname_hits);
            let full_count = full_hits.len();
            // Rule 4d: whether the person of this surname named last is someone else.
            let (name, given_len) = (&text.as_bytes()[l.name.clone()], l.surname.start.saturating_sub(l.name.start));
            // The word just before the surname in the learned name ("Donald" of "European Council
            // President Donald Tusk"): when it is a listed given name, which rule 4c now trusts at
            // a sentence's start, before a bare surname it names the same person again.
            let own_given = text[l.name.start..l.surname.start.max(l.name.start)]
                .trim_end()
                .rsplit(|c: char| !c.is_alphanumeric())
                .next()
                .filter(|w| !w.is_empty());
            let mut other_named_last = false;
            for (k, span) in full_hits.iter().chain(&surname_hits).enumerate() {
                let (start, end) = (span.start, span.end);
                if !is_boundary(text, start, end) {
                    continue;
                }
                let bare = k >= full_count;
                if bare && start >= given_len && text.as_bytes()[start - given_len..].starts_with(name) {
                    // The learned person's full name again (its own hit is in `full_hits`).
                    other_named_last = false;
                    continue;
                }
                if let Some(existing) = overlaps.first(&doc.mentions, start..end).map(|i| &mut doc.mentions[i]) {
                    // An overridden lexicon person: the text's role wins.
                    if existing.via == Via::Alias
                        && matches!(l.actor, ActorRef::Learned(_))
                        && matches!(existing.actor, ActorRef::Lexicon(a) if self.kinds[a as usize] == Kind::Person)
                    {
                        existing.actor = l.actor;
                        existing.via = Via::Name;
                    }
                    continue;
                }
                let Some(sent) = sentence_of(paragraphs, start..end) else {
                    continue;
                };
                // Any name: "Donald Trump Jr." is another person (rule 4b).
                if self.followed_by_suffix(text, end, sent.end) {
                    continue;
                }
                if bare {
                    // Someone else's surname after another given name (rule 4c); then a bare
                    // surname is theirs (rule 4d), unless the lexicon's person holds office at the
                    // article's date.
                    let own = own_given.is_some_and(|g| {
                        self.name_word(g) == Some(NameWord::Given)
                            && text[sent.start..start]
                                .strip_suffix(' ')
                                .is_some_and(|b| b.ends_with(g) && is_boundary(text, start - 1 - g.len(), start - 1))
                    });
                    if own {
                        other_named_last = false;
                    } else if self.preceded_by_given_name(text, sent.clone(), start) {
                        other_named_last = true;
                        continue;
                    }
                    if (other_named_last && (matches!(l.actor, ActorRef::Learned(_)) || date.is_none()))
                        || self.is_date(text, sent.start, start, end)
                        || (self.looks_like_name(text, end, sent.end) && !is_title_case(&text[sent.clone()]))
                        || self.surname_rule_drops(text, paragraphs, sent.clone(), start..end, &mut memo)
                    {
                        continue;
                    }
                }
                if let Some((p, s)) = locate(paragraphs, start..end) {
                    overlaps.add(start..end, doc.mentions.len());
                    doc.mentions.push(Mention {
                        span: start..end,
                        paragraph: p,
                        sentence: s,
                        actor: l.actor,
                        via: Via::Name,
                        coverage: true,
                    });
                }
            }
        }
    }
}

/// Which mention a span overlaps, the first in the mention list if several do, without a
/// scan of the whole list per look-up (a long article has hundreds of mentions and of later
/// surname mentions). Mentions do not overlap one another (each sentence's matches are
/// disjoint, and a role's name replaces the mention it overlaps), so those a span overlaps
/// are neighbours in order of position; should that ever not hold, each look-up scans the list.
struct Overlaps {
    /// (start, end, index in the mention list), by start.
    by_start: Vec<(usize, usize, usize)>,
    disjoint: bool,
}

impl Overlaps {
    fn new(mentions: &[Mention]) -> Overlaps {
        let mut by_start: Vec<_> = mentions.iter().enumerate().map(|(i, m)| (m.span.start, m.span.end, i)).collect();
        by_start.sort_unstable();
        let disjoint = by_start.windows(2).all(|w| w[0].1 <= w[1].0);
        Overlaps { by_start, disjoint }
    }

    /// The index of the first mention (in list order) that overlaps `span`.
    fn first(&self, mentions: &[Mention], span: Range<usize>) -> Option<usize> {
        if !self.disjoint {
            return mentions.iter().position(|m| m.span.start < span.end && span.start < m.span.end);
        }
        // Disjoint and by start, so also by end.
        let from = self.by_start.partition_point(|&(_, end, _)| end <= span.start);
        self.by_start[from..].iter().take_while(|&&(start, _, _)| start < span.end).map(|&(_, _, i)| i).min()
    }

    /// Records mention `index`, which overlaps no other.
    fn add(&mut self, span: Range<usize>, index: usize) {
        let at = self.by_start.partition_point(|&(start, _, _)| start < span.start);
        self.by_start.insert(at, (span.start, span.end, index));
    }
}

/// The occurrences of a learned person's full name and of their surname after the name's
/// introduction, left to right and not overlapping (whole words or not: the caller checks),
/// into `full` and `surname`.
///
/// One search for the surname finds both where it can: every full name holds the surname at
/// the same offset, so when neither string overlaps itself (no proper prefix is also a suffix:
/// "Wang Yi", not "Kim Kim"), the full names are exactly the surname's occurrences that the
/// rest of the name surrounds. Otherwise each is searched for.
fn occurrences(text: &str, l: &Learned, full: &mut Vec<Range<usize>>, surname: &mut Vec<Range<usize>>) {
    full.clear();
    surname.clear();
    let bytes = text.as_bytes();
    let (name, sur) = (&bytes[l.name.clone()], &bytes[l.surname.clone()]);
    let all = |needle: &[u8], out: &mut Vec<Range<usize>>| {
        out.extend(memchr::memmem::find_iter(&bytes[l.name.end..], needle).map(|at| {
            let start = l.name.end + at;
            start..start + needle.len()
        }));
    };
    let inside = l.name.start <= l.surname.start && l.surname.end <= l.name.end;
    if !inside || overlaps_itself(name) || overlaps_itself(sur) {
        all(name, full);
        all(sur, surname);
        return;
    }
    all(sur, surname);
    let (before, after) = (l.surname.start - l.name.start, l.name.end - l.surname.end);
    full.extend(
        surname
            .iter()
            .filter(|s| s.start >= l.name.end + before && bytes[s.start - before..].starts_with(name))
            .map(|s| s.start - before..s.end + after),
    );
}

/// Whether `rest`, the text after a name, closes an apposition: it is empty or starts with
/// punctuation (a comma, period, semicolon, colon, bracket or dash), not with a word or a
/// possessive. The rest of an Arabic or Dutch name the name reader stopped before ("Bashar
/// al-Assad", "bin Salman", "van Rompuy") is skipped first.
fn closes_apposition(rest: &str) -> bool {
    let mut rest = rest.trim_start();
    loop {
        let word_end =
            rest.find(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | ';' | ':' | ')')).unwrap_or(rest.len());
        let word = &rest[..word_end];
        let particle = word.split_once('-').map_or(word, |(p, _)| p);
        if word.is_empty() || !NAME_PARTICLES.contains(&particle) {
            break;
        }
        rest = rest[word_end..].trim_start();
    }
    rest.chars()
        .next()
        .is_none_or(|c| matches!(c, ',' | '.' | ';' | ':' | '!' | '?' | ')' | ']' | '(' | '—' | '–' | '-' | '"' | '”'))
}

/// Whether `word` is a name particle glued by a hyphen to a capitalised name ("al-Assad",
/// "el-Sisi", "bin-Salman"): a name word, though it starts lowercase.
fn particle_name(word: &str) -> bool {
    word.split_once('-').is_some_and(|(p, rest)| NAME_PARTICLES.contains(&p) && text::is_capitalized(rest))
}

/// Whether a proper prefix of `s` is also a suffix: two occurrences of `s` could overlap.
fn overlaps_itself(s: &[u8]) -> bool {
    (1..s.len()).any(|d| s[d..] == s[..s.len() - d])
}

/// The byte range of the sentence containing `span`, if one does.
impl Lexicon {
    /// Rule 8 for a bare surname found through a learned name: the mention rules of people
    /// (and of the surname's own alias, when it is one: "Trump") hold for it too, so "Mrs.
    /// Trump" stays dropped after "Donald Trump" taught the surname.
    fn surname_rule_drops(
        &self,
        text: &str,
        paragraphs: &[Paragraph],
        sent: Range<usize>,
        span: Range<usize>,
        memo: &mut RuleMemo,
    ) -> bool {
        let own =
            self.matcher.at(text, span.start, span.end).filter(|m| m.end() == span.end).map_or(&[][..], |m| {
                &self.aliases[self.patterns[m.pattern().as_usize()].alias as usize].mention_rules[..]
            });
        if self.kind_rules[Kind::Person as usize].is_empty() && own.is_empty() {
            return false;
        }
        let Some((p, _)) = locate(paragraphs, span.clone()) else {
            return false;
        };
        // One surname at a time: the paragraph and sentence answers are not shared between hits
        // (the document's are).
        memo.new_paragraph();
        self.mention_rule_drops(text, &paragraphs[p as usize], sent, span, Kind::Person, own, memo)
    }
}

fn sentence_of(paragraphs: &[Paragraph], span: Range<usize>) -> Option<Range<usize>> {
    let (p, s) = locate(paragraphs, span)?;
    Some(paragraphs[p as usize].sentences[s as usize].clone())
}

/// A headline in title case: of its words of five letters or more (short words such as "than",
/// "with", "from" stay lowercase in many headline styles), at least three start with a capital
/// and none does not. Capitals there say nothing about names. (Sentences naming people
/// with their roles are mostly capitals too, "Hungarian Prime Minister Viktor Orbán hosted Slovak
/// Prime Minister Robert Fico in Budapest on Monday", but have a verb in lowercase.)
fn is_title_case(sentence: &str) -> bool {
    let (mut upper, mut lower) = (0u32, 0u32);
    for w in sentence.split(|c: char| !c.is_alphabetic()).filter(|w| w.chars().nth(4).is_some()) {
        if text::is_capitalized(w) {
            upper += 1;
        } else {
            lower += 1;
        }
    }
    upper >= 3 && lower == 0
}

/// The paragraph and sentence containing `span`, if one does.
fn locate(paragraphs: &[Paragraph], span: Range<usize>) -> Option<(u32, u32)> {
    let p = paragraphs.partition_point(|p| p.span.end <= span.start);
    let para = paragraphs.get(p)?;
    let s = para.sentences.partition_point(|s| s.end <= span.start);
    let sent = para.sentences.get(s)?;
    (sent.start <= span.start && span.end <= sent.end).then_some((p as u32, s as u32))
}

pub(crate) fn is_boundary(text: &str, start: usize, end: usize) -> bool {
    let before_ok = text[..start].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
    let after_ok = text[end..].chars().next().is_none_or(|c| !c.is_alphanumeric());
    before_ok && after_ok
}

/// A sentence mostly in capitals (at least three words of two or more letters, 60 % of them
/// all-caps, or two or more and all of them: "WHO'S TWEETING?"): its capitalisation carries no
/// information. Words are runs of alphabetic
/// characters; a word is all-caps when every letter is uppercase. It runs for most
/// sentences that name the US, the UN or the EU, so ASCII bytes are classified without decoding.
fn is_shouting(sentence: &str) -> bool {
    let bytes = sentence.as_bytes();
    // An all-caps word has two or more letters, each an ASCII capital or a non-ASCII character
    // of two or more bytes, and shouting needs non-caps words ≤ 2/3 of the caps words; so more
    // than (capitals + non-ASCII bytes) / 3 non-caps words rule it out, usually within the first
    // few words (one vectorised count first, then the word loop stops early).
    let capital_bytes: u32 = bytes.iter().map(|&b| u32::from((b.wrapping_sub(b'A') < 26) | (b >= 0x80))).sum();
    let (mut words, mut caps, mut len, mut lower) = (0u32, 0u32, 0u32, false);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (alphabetic, is_lower, n) = if b < 0x80 {
            ((b | 0x20).wrapping_sub(b'a') < 26, b.is_ascii_lowercase(), 1)
        } else {
            let c = sentence[i..].chars().next().unwrap_or(' ');
            (c.is_alphabetic(), !c.is_uppercase(), c.len_utf8())
        };
        if alphabetic {
            len += 1;
            lower |= is_lower;
        } else {
            if len >= 2 {
                words += 1;
                caps += u32::from(!lower);
                if 3 * (words - caps) > capital_bytes {
                    return false;
                }
            }
            len = 0;
            lower = false;
        }
        i += n;
    }
    if len >= 2 {
        words += 1;
        caps += u32::from(!lower);
    }
    (caps >= 3 && caps * 5 >= words * 3) || (caps >= 2 && caps == words)
}

fn slug(name: &str) -> String {
    let mut s = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    s.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actors::load;

    /// Whole text as one paragraph, split into sentences at ". " for these tests.
    fn segment(text: &str) -> Vec<Paragraph> {
        let mut sentences = Vec::new();
        let mut start = 0;
        for (i, _) in text.match_indices(". ") {
            sentences.push(start..i + 1);
            start = i + 2;
        }
        sentences.push(start..text.len());
        vec![Paragraph { span: 0..text.len(), sentences }]
    }

    fn found(text: &str, date: Option<&str>) -> Vec<(String, String)> {
        let lex = load(None).unwrap().lexicon;
        let doc = lex.find(text, &segment(text), date.and_then(Date::parse));
        doc.mentions
            .iter()
            .map(|m| (text[m.span.clone()].to_string(), doc.actor(&lex, m.actor).country.clone()))
            .collect()
    }

    /// [`found`] with the pipeline's segmenter, which keeps "Mr." inside its sentence.
    fn found_segmented(text: &str) -> Vec<(String, String)> {
        let lex = load(None).unwrap().lexicon;
        let doc = lex.find(text, &crate::segment::segment(text), None);
        doc.mentions
            .iter()
            .map(|m| (text[m.span.clone()].to_string(), doc.actor(&lex, m.actor).country.clone()))
            .collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn word_boundaries_and_case() {
        assert_eq!(
            found("Tell us about the US and the Russian army.", None),
            pairs(&[("US", "USA"), ("Russian", "RUS")])
        );
        assert_eq!(found("Fine china and USAID and Russians.", None), pairs(&[("Russians", "RUS")]));
    }

    #[test]
    fn possessives_and_hyphens() {
        assert_eq!(
            found("China’s claim on a Kyiv-proposed plan by pro-Russian groups.", None),
            pairs(&[("China", "CHN"), ("Kyiv", "UKR"), ("Russian", "RUS")])
        );
    }

    #[test]
    fn lowercase_aliases_match_capitalised() {
        assert_eq!(
            found("The West said so. Then the West said no.", None),
            pairs(&[("The West", "WEST"), ("the West", "WEST")])
        );
    }

    #[test]
    fn name_guard() {
        assert_eq!(
            found("Chad Smith and Russian President Putin.", None),
            pairs(&[("Russian", "RUS"), ("President Putin", "RUS")])
        );
        assert_eq!(found("China Foreign Ministry said.", None), pairs(&[("China", "CHN")]));
    }

    proptest::proptest! {
        /// Context phrases are found where a search for each, with the whole-word test, finds one.
        #[test]
        fn context_phrases_are_found_as_by_separate_searches(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Gov.", "Gov", "R-Ga.", "R-Ga", "(R)", "R", "Peach State", "Peach", "State", "county", "counties",
                    "Kemp", "x", " ", " ", ",", ".", "-", "(", ")", "é", "’s", "Atlanta", "Atlantans",
                ]),
                0..16,
            ),
        ) {
            let list = ["Gov.", "R-Ga.", "(R)", "Peach State", "county", "Kemp", "Atlanta"];
            let phrases = super::super::Phrases::new(&list.map(String::from)).unwrap();
            let text = parts.concat();
            // At every position, overlapping occurrences included.
            let want = list.iter().any(|p| {
                (0..text.len())
                    .filter(|&i| text.is_char_boundary(i))
                    .any(|i| text[i..].starts_with(p) && is_boundary(&text, i, i + p.len()))
            });
            proptest::prop_assert_eq!(phrases.found_in(&text), want, "{:?}", text);
        }

        /// The first overlapping mention, as a scan of the list finds it.
        #[test]
        fn overlaps_agree_with_a_scan(
            spans in proptest::collection::vec((0usize..60, 1usize..8), 0..12),
            queries in proptest::collection::vec((0usize..70, 1usize..10), 1..10),
        ) {
            let mention = |span: Range<usize>| Mention { span, paragraph: 0, sentence: 0, actor: ActorRef::Learned(0), via: Via::Name, coverage: true };
            let mut mentions: Vec<Mention> = spans.iter().map(|&(s, n)| mention(s..s + n)).collect();
            let mut overlaps = Overlaps::new(&mentions);
            let scan = |mentions: &[Mention], q: &Range<usize>| mentions.iter().position(|m| m.span.start < q.end && q.start < m.span.end);
            for &(s, n) in &queries {
                let q = s..s + n;
                let want = scan(&mentions, &q);
                proptest::prop_assert_eq!(overlaps.first(&mentions, q.clone()), want, "{:?} in {:?}", q, spans);
                if want.is_none() {
                    overlaps.add(q.clone(), mentions.len());
                    mentions.push(mention(q));
                }
            }
        }

        /// One search for the surname finds what a search for each of the two names finds.
        #[test]
        fn learned_names_are_found_as_by_two_searches(
            names in proptest::sample::select(vec![
                ("Wang Wenbin", 0usize, 4usize), ("Abbas Araghchi", 6, 14), ("Kim Kim", 4, 7), ("Kim Kim", 0, 3),
                ("Nana Nana", 5, 9), ("Ali", 0, 3), ("Ursula von der Leyen", 15, 20), ("Jin-young Park", 10, 14),
            ]),
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Wang", "Wenbin", "Abbas", "Araghchi", "Kim", "Nana", "Na", "Ali", "Leyen", "von der", "Park",
                    "Jin-young", " ", " ", ",", "x", "'s", "é", " Kim Kim", " Kim", "Nana Nana", "na",
                ]),
                0..30,
            ),
        ) {
            let (name, s0, s1) = names;
            let text = format!("{name}{}", parts.concat());
            let l = Learned { name: 0..name.len(), surname: s0..s1, actor: ActorRef::Learned(0) };
            let (mut full, mut surname) = (Vec::new(), Vec::new());
            occurrences(&text, &l, &mut full, &mut surname);
            let search = |needle: &str| -> Vec<Range<usize>> {
                let mut out = Vec::new();
                let mut from = l.name.end;
                while let Some(at) = text[from..].find(needle) {
                    out.push(from + at..from + at + needle.len());
                    from += at + needle.len();
                }
                out
            };
            proptest::prop_assert_eq!(full, search(name), "{:?}", text);
            proptest::prop_assert_eq!(surname, search(&name[s0..s1]), "{:?}", text);
        }
    }

    /// [`is_shouting`] spelled out on characters.
    fn shouting_reference(sentence: &str) -> bool {
        let (mut words, mut caps) = (0u32, 0u32);
        for w in sentence.split(|c: char| !c.is_alphabetic()) {
            if w.chars().nth(1).is_none() {
                continue;
            }
            words += 1;
            if w.chars().all(char::is_uppercase) {
                caps += 1;
            }
        }
        (caps >= 3 && caps * 5 >= words * 3) || (caps >= 2 && caps == words)
    }

    proptest::proptest! {
        #[test]
        fn shouting_agrees_with_the_character_definition(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "A", "B", "a", "b", "z", "Z", "US", "UN", "the", " ", " ", "-", "'", "1", "@", "[", "`", "{",
                    "É", "é", "’", "中", "ª", "ǅ", "Σ",
                ]),
                0..30,
            ),
        ) {
            let s: String = parts.concat();
            proptest::prop_assert_eq!(is_shouting(&s), shouting_reference(&s), "{:?}", s);
        }
    }

    #[test]
    fn shouting_sentences_do_not_trust_caps_aliases() {
        assert_eq!(found("JOIN US FOR THE BIG SALE", None), pairs(&[]));
        assert_eq!(found("WHO'S TWEETING?", None), pairs(&[]));
        assert_eq!(found("WHO'S TWEETING. The WHO said so.", None), pairs(&[("WHO", "UN")]));
        assert_eq!(found("US, UK", None), pairs(&[]));
    }

    #[test]
    fn people_count_only_within_their_role_dates() {
        assert_eq!(found("Zelenskyy spoke.", Some("2018-01-01")), pairs(&[]));
        assert_eq!(found("Zelenskyy spoke.", Some("2022-01-01")), pairs(&[("Zelenskyy", "UKR")]));
        assert_eq!(found("Zelenskyy spoke.", None), pairs(&[("Zelenskyy", "UKR")]));
    }

    /// `us-state-department` row of `mention_rules.csv`, and the Georgia context rule.
    #[test]
    fn us_states_are_not_the_country_or_the_government() {
        assert_eq!(found("Florida’s Department of State received the reports.", None), pairs(&[]));
        assert_eq!(found("The State Department received the reports.", None), pairs(&[("State Department", "USA")]));
        assert_eq!(found("Rep. Hank Jones, D-Georgia, said the island would tip over.", None), pairs(&[]));
        assert_eq!(found("The storm could keep hurricane strength into Georgia on Monday.", None), pairs(&[]));
        assert_eq!(
            found("Georgia's government in Tbilisi rejected the Russian claim.", None),
            pairs(&[("Georgia", "GEO"), ("Tbilisi", "GEO"), ("Russian", "RUS")])
        );
    }

    /// Organisation and media names that contain a country (`ignore` rows of `actors.csv`).
    #[test]
    fn organisation_names_are_not_the_state() {
        assert_eq!(found("Chinese Central Television reported the call.", None), pairs(&[]));
        assert_eq!(found("He gave millions to NextGen America and Americans for Tax Reform.", None), pairs(&[]));
        assert_eq!(found("In a statement to USA TODAY, the group said no.", None), pairs(&[]));
        assert_eq!(found("Chinese television reported the call.", None), pairs(&[("Chinese", "CHN")]));
    }

    /// `org-name-*` rows of `mention_rules.csv` (the `<name>` token): organisations named after
    /// the country, none of them an `ignore` row; and their near misses.
    #[test]
    fn organisations_named_after_the_country_by_the_name_rules() {
        assert_eq!(found("Roy Beck, head of Numbers USA, backed the bill.", None), pairs(&[]));
        assert_eq!(found("The founder of Heartland Rescue USA spoke.", None), pairs(&[]));
        assert_eq!(found("The ads came from Concerned Parents for America last week.", None), pairs(&[]));
        assert_eq!(found("Members of the Steel Workers of America voted.", None), pairs(&[]));
        assert_eq!(found("Americans for Fair Trade paid for the billboard.", None), pairs(&[]));
        // Near misses: the country, after a function word, lowercase words or at the start.
        assert_eq!(found("The USA is watching, the envoy said.", None), pairs(&[("USA", "USA")]));
        assert_eq!(found("They promised to fight for America.", None), pairs(&[("America", "USA")]));
        assert_eq!(found("Americans for decades paid more.", None), pairs(&[("Americans", "USA")]));
    }

    /// `disambiguation.csv`: the Ohio congressman Jim Jordan and Washington's baseball team.
    #[test]
    fn a_congressman_and_a_team_are_not_the_state() {
        assert_eq!(found("Jordan, who chairs the Freedom Caucus, wants the gavel.", None), pairs(&[]));
        assert_eq!(found("The Nationals lost again, and Washington fell to third.", None), pairs(&[]));
        // Near miss: the kingdom, in a paragraph about the region.
        assert_eq!(
            found("Jordan hosts many Syrian refugees, the GOP senator said.", None),
            pairs(&[("Jordan", "JOR"), ("Syrian", "SYR")])
        );
    }

    #[test]
    fn context_rules_drop_aliases() {
        assert_eq!(found("Washington said no. It rains in Seattle.", None), pairs(&[]));
        assert_eq!(found("Washington said no.", None), pairs(&[("Washington", "USA")]));
    }

    /// Rule 5, `disambiguation.csv` rows for "Indian(s)" (Native Americans) and "the West" /
    /// "Western" (the American West), with their near misses.
    #[test]
    fn native_americans_and_the_american_west_are_not_india_or_the_west() {
        assert_eq!(found("The museum tells how Cherokee Indians were forced west.", None), pairs(&[]));
        assert_eq!(found("Candidates who want to win in the West must campaign in Nevada.", None), pairs(&[]));
        assert_eq!(found("The old Western ranch had belonged to cowboys.", None), pairs(&[]));
        // Near misses: the country and the bloc, also with a cue word in the sentence.
        assert_eq!(
            found("Indians voted as Modi visited tribal areas.", None),
            pairs(&[("Indians", "IND"), ("Modi", "IND")])
        );
        assert_eq!(found("Western sanctions hit Russia hard.", None), pairs(&[("Western", "WEST"), ("Russia", "RUS")]));
        assert_eq!(
            found("California firms fear that the West will impose sanctions on Russia.", None),
            pairs(&[("the West", "WEST"), ("Russia", "RUS")])
        );
    }

    /// Rule 8, `language-*` rows of `mention_rules.csv`: a language is not the state.
    #[test]
    fn language_names_are_not_the_state() {
        assert_eq!(found("The interview was also broadcast in Spanish, the network said.", None), pairs(&[]));
        assert_eq!(found("In Japanese, the phrase means a small garden.", None), pairs(&[]));
        assert_eq!(found("He thanked the crowd in French after the ceremony.", None), pairs(&[]));
        assert_eq!(found("She speaks Russian at home and learned Polish at school.", None), pairs(&[]));
        assert_eq!(found("The letter was translated from Korean by volunteers.", None), pairs(&[]));
        assert_eq!(found("A Mexican-accented voice and Russian-speakers in the east.", None), pairs(&[]));
        // Near misses: the state and its people.
        assert_eq!(
            found("Spain said the talks in Spanish waters would go on.", None),
            pairs(&[("Spain", "ESP"), ("Spanish", "ESP")])
        );
        assert_eq!(
            found("Troops fired in Russian-held areas, where Russian troops advanced.", None),
            pairs(&[("Russian", "RUS"), ("Russian", "RUS")])
        );
        assert_eq!(found("He was born in French Guiana.", None), pairs(&[("French Guiana", "GUF")]));
        assert_eq!(found("Investment in Chinese firms rose.", None), pairs(&[("Chinese", "CHN")]));
    }

    /// Rule 8, `sports-*` rows: a national side in a sports report is not the state.
    #[test]
    fn national_sides_are_not_the_state() {
        let rugby = "The rugby side travels on Friday. Ireland struggled against Fiji in the second half.";
        assert_eq!(found(rugby, None), pairs(&[]));
        assert_eq!(found("He was capped by Wales against Romania in 2003.", None), pairs(&[]));
        assert_eq!(found("In the Davis Cup final, Britain beat Slovenia.", None), pairs(&[]));
        // Near misses: the state in the same report, and sanctions "against" a state.
        let minister = "The rugby side travels on Friday. Ireland's sports minister struggled to explain the cuts.";
        assert_eq!(found(minister, None), pairs(&[("Ireland", "IRL")]));
        assert_eq!(
            found("The EU agreed sanctions against Russia on Friday.", None),
            pairs(&[("EU", "EU"), ("Russia", "RUS")])
        );
        assert_eq!(found("Ireland struggled to form a government after the vote.", None), pairs(&[("Ireland", "IRL")]));
    }

    /// Rule 8, `place-*` rows: a capital named as a plain place (a compass bearing, an event
    /// held there, its city government or airport) is not the government.
    #[test]
    fn capitals_as_plain_places_are_not_the_government() {
        assert_eq!(found("Police sealed off a warehouse 30 miles southwest of Madrid on Tuesday.", None), pairs(&[]));
        assert_eq!(found("Two shops were looted in south Nairobi overnight.", None), pairs(&[]));
        assert_eq!(found("Delegates left the Lisbon summit without a joint text.", None), pairs(&[]));
        assert_eq!(found("The Warsaw city council renamed the square.", None), pairs(&[]));
        assert_eq!(found("Flights resumed at the Nairobi airport on Monday.", None), pairs(&[]));
        // Near misses: the capital as the government, before or after the same words.
        assert_eq!(found("Madrid said the plan would go ahead.", None), pairs(&[("Madrid", "ESP")]));
        assert_eq!(found("Officials in Nairobi rejected the report.", None), pairs(&[("Nairobi", "KEN")]));
        assert_eq!(found("Madrid targets tax evaders with a new law.", None), pairs(&[("Madrid", "ESP")]));
        assert_eq!(found("Ties between Madrid and the south cooled.", None), pairs(&[("Madrid", "ESP")]));
    }

    /// Rule 8, `sports-sentence` and `sports-fixture*` rows: a country in a sentence about a
    /// named competition, or in a fixture list, is the national side.
    #[test]
    fn national_sides_in_competitions_and_fixtures_are_not_the_state() {
        assert_eq!(found("A narrow win sent Japan into the Davis Cup quarter-finals.", None), pairs(&[]));
        assert_eq!(found("Saturday: Austria v Norway.", None), pairs(&[]));
        assert_eq!(found("Portugal travel to Dublin for their Six Nations opener.", None), pairs(&[]));
        assert_eq!(found("The Cuban national team landed on Friday.", None), pairs(&[]));
        assert_eq!(found("Iran's national team has qualified.", None), pairs(&[]));
        assert_eq!(found("Iran's national security chief has resigned.", None), pairs(&[("Iran", "IRN")]));
        // Near misses: the government in the same sentence, and court cases.
        assert_eq!(found("Portugal's government hailed the Davis Cup win.", None), pairs(&[("Portugal", "PRT")]));
        assert_eq!(found("Ireland v. Smith was argued in May.", None), pairs(&[("Ireland", "IRL")]));
        assert_eq!(found("Japan reached a deal with Norway.", None), pairs(&[("Japan", "JPN"), ("Norway", "NOR")]));
    }

    /// Rule 8, `sports-report` row (the `document` condition): in a match report a country is
    /// the national side even where its sentence says nothing of sport.
    #[test]
    fn national_sides_in_a_match_report_are_not_the_state() {
        let report = "Ireland 21-19 Argentina. The fly-half kicked a dropped goal at Lansdowne Road. \
                      The flanker and the winger were outstanding in the line-out. \
                      Ireland can indeed succeed, but just whisper it.";
        assert_eq!(found(report, None), pairs(&[]));
        // Near misses: the government in the same report, and a long piece that touches on
        // sport (four of the phrases, but in more than 1,000 words).
        let minister = format!("{report} Ireland's government will cut the sports budget.");
        assert_eq!(found(&minister, None), pairs(&[("Ireland", "IRL")]));
        let long = format!(
            "{} Ireland hosted the talks. Far away were the rugby at Twickenham, the cricket and FIFA.",
            "Officials met again on Tuesday. ".repeat(250)
        );
        assert_eq!(found(&long, None), pairs(&[("Ireland", "IRL")]));
    }

    /// Rule 8, `legal-case-*` rows: a court case named after the state is not the state.
    #[test]
    fn court_cases_named_after_the_state_are_not_the_state() {
        assert_eq!(
            found_segmented("The doctrine next arose in Printz v. United States (1997), which split the Court."),
            pairs(&[])
        );
        assert_eq!(found("The court heard Smith v Ireland on Monday.", None), pairs(&[]));
        assert_eq!(found_segmented("That was the holding of United States v. Morrison, a 2000 case."), pairs(&[]));
        // Near miss: a match-up outside any court.
        assert_eq!(
            found("It is the United States vs. China on trade now.", None),
            pairs(&[("United States", "USA"), ("China", "CHN")])
        );
    }

    /// Rule 8, `language-beside-english` and `language-soundbite` rows: languages named beside
    /// English, and the language of a broadcast soundbite.
    #[test]
    fn languages_beside_english_and_in_soundbites_are_not_the_state() {
        assert_eq!(
            found("Why would a ballot need to be written in English and Spanish when few ask?", None),
            pairs(&[])
        );
        assert_eq!(found("The signs are in English, French and Arabic.", None), pairs(&[]));
        assert_eq!(
            found("(SOUNDBITE) (German) GERMAN CHANCELLOR ANGELA MERKEL, SAYING: \"Time is short.\"", None),
            pairs(&[])
        );
        // Near misses: troops beside English ones, and the state named in the soundbite line.
        assert_eq!(found("English and French troops landed at dawn.", None), pairs(&[("French", "FRA")]));
        assert_eq!(
            found("SOUNDBITE (German) Angela Merkel, German Chancellor: \"The crash is a shock.\"", Some("2015-03-24")),
            pairs(&[("Angela Merkel", "DEU"), ("German", "DEU")])
        );
    }

    /// `actors.csv` ignore rows and `disambiguation.csv`: groups, programmes and a US state
    /// that share a country's name.
    #[test]
    fn groups_programmes_and_a_us_state_named_after_a_country() {
        assert_eq!(
            found("James Williams, president of Engage Cuba, wants normal relations with Cuba.", None),
            pairs(&[("Cuba", "CUB")])
        );
        assert_eq!(
            found("Under a U.S. policy known as Remain in Mexico, people wait.", None),
            pairs(&[("U.S.", "USA")])
        );
        assert_eq!(found("Members of the Syrian National Coalition met in Istanbul.", None), pairs(&[]));
        assert_eq!(found("Rep. John Lewis of Georgia died late Friday at the age of 80.", None), pairs(&[]));
        assert_eq!(found("Visitors walked through Georgia's Chickamauga Battlefield in the fall.", None), pairs(&[]));
        // Near miss: the republic, with its own context.
        assert_eq!(
            found("Russia invaded neighbouring Georgia in 2008.", None),
            pairs(&[("Russia", "RUS"), ("Georgia", "GEO")])
        );
    }

    /// Rule 7 on names with a glued particle: "Nouri al-Maliki" is learned whole, and "Maliki"
    /// names him later.
    #[test]
    fn particle_surnames_name_the_person_later() {
        let text = "Iraqi Prime Minister Nouri al-Maliki said the vote would go ahead next month. \
                    Maliki later added that the army was ready.";
        assert_eq!(found_segmented(text), pairs(&[("Iraqi", "IRQ"), ("Nouri al-Maliki", "IRQ"), ("Maliki", "IRQ")]));
    }

    /// Rule 7's guards: a lexicon person named by their own alias keeps the lexicon's country
    /// (a list read as an apposition made Obama Israel's prime minister for a whole article), a
    /// role belongs to the actor named inside it ("Washington Hungarian Prime Minister"), and a
    /// discourse word opening a sentence is no name ("Meanwhile, the EU's chief negotiator").
    #[test]
    fn role_guards_keep_the_right_person_and_country() {
        let d = Some("2013-03-20");
        assert_eq!(
            found("President Obama, Israel's prime minister have a common assessment on Iran.", d),
            pairs(&[("President Obama", "USA"), ("Israel", "ISR"), ("Iran", "IRN")])
        );
        assert_eq!(
            found("Trump has invited to Washington Hungarian Prime Minister Viktor Orbán for talks.", None),
            pairs(&[("Trump", "USA"), ("Washington", "USA"), ("Hungarian", "HUN"), ("Viktor Orbán", "HUN")])
        );
        assert_eq!(
            found("Meanwhile, the EU's chief negotiator has said a new deal is possible.", None),
            pairs(&[("EU", "EU")])
        );
    }

    /// `actors.csv`: Bashar al-Assad, by any of his names, and his father and brother are not him.
    #[test]
    fn assad_is_syrias_president_and_his_relatives_are_not() {
        let d = Some("2014-09-04");
        assert_eq!(
            found_segmented("Syrian President Bashar al-Assad met the envoy. Later, Assad said the war was over."),
            pairs(&[("Syrian", "SYR"), ("President Bashar al-Assad", "SYR"), ("Assad", "SYR")])
        );
        assert_eq!(found("Hafez al-Assad ruled for three decades.", d), pairs(&[]));
        assert_eq!(found("Maher al-Assad commands the Fourth Division.", d), pairs(&[]));
    }

    /// Rule 8, `female-title` row: "Mrs. Obama" is not the president.
    #[test]
    fn a_female_title_before_a_male_leaders_surname_is_someone_else() {
        let d = Some("2014-03-01");
        assert_eq!(found("Later, Mrs Obama read to pupils at a school in Chicago.", d), pairs(&[]));
        assert_eq!(found("Aides said Ms Obama would travel alone.", d), pairs(&[]));
        assert_eq!(found("Later, Mr Obama read to pupils at a school in Chicago.", d), pairs(&[("Obama", "USA")]));
        // After the full name taught the surname, the bare surname obeys the same rule.
        let text = "President Barack Obama spoke first. Later, Mrs Obama waved. Obama left.";
        assert_eq!(found(text, d), pairs(&[("President Barack Obama", "USA"), ("Obama", "USA")]));
        // With the real segmenter, which keeps "Mrs." inside the sentence.
        let lex = load(None).unwrap().lexicon;
        let text = "Later, Mrs. Obama read to pupils. Mr. Obama stayed in Washington.";
        let doc = lex.find(text, &crate::segment::segment(text), d.and_then(Date::parse));
        let got: Vec<&str> = doc.mentions.iter().map(|m| &text[m.span.clone()]).collect();
        assert_eq!(got, ["Obama", "Washington"]);
        assert_eq!(doc.mentions[0].span.start, text.rfind("Obama").unwrap());
    }

    /// `ignore` rows: the Vietnam war's veterans and memorial, Greek myths and tragedies.
    #[test]
    fn veterans_and_myths_are_not_the_state() {
        assert_eq!(found("A Vietnam veteran, he spoke against the war.", None), pairs(&[]));
        assert_eq!(found("Wreaths were laid at the Vietnam Veterans Memorial.", None), pairs(&[]));
        assert_eq!(found("The feud read like a Greek tragedy.", None), pairs(&[]));
        assert_eq!(found("Vietnam expelled the diplomat.", None), pairs(&[("Vietnam", "VNM")]));
    }

    /// Rules 4b and 4c: other people sharing the surname, and names that go on.
    #[test]
    fn namesakes_and_longer_names_are_not_the_person() {
        let d = Some("2018-05-01");
        assert_eq!(found("Donald Trump Jr. met the lawyer in June.", d), pairs(&[]));
        assert_eq!(found("First lady Melania Trump visited the school.", d), pairs(&[]));
        assert_eq!(found("The talks at Trump Tower lasted an hour.", d), pairs(&[]));
        assert_eq!(found("Aides to the late Kim Jong-il were there.", d), pairs(&[]));
        // Near misses: the president himself, with a title, a role, a day, in a headline.
        assert_eq!(found("The talks with Trump lasted an hour.", d), pairs(&[("Trump", "USA")]));
        assert_eq!(found("On Friday, Mr. Trump said so.", d), pairs(&[("Trump", "USA")]));
        assert_eq!(found("Aides said Donald Trump Monday signed it.", d), pairs(&[("Donald Trump", "USA")]));
        assert_eq!(found("The aide said Trump Monday signed it.", d), pairs(&[("Trump", "USA")]));
        assert_eq!(found("Voters Say Trump Should Sign The Budget Deal", d), pairs(&[("Trump", "USA")]));
        assert_eq!(found("Obama Would Rather Declare War than Speak", None), pairs(&[("Obama", "USA")]));
        assert_eq!(found("AIDES: So Trump will sign the deal.", d), pairs(&[("Trump", "USA")]));
    }

    /// Rule 4d: a bare surname belongs to the person of that surname named last, unless the
    /// lexicon's office-holder at the article's date has it.
    #[test]
    fn a_bare_surname_is_the_namesake_named_last() {
        // (Any capitalised word opening a sentence is not told from "When" or "But": only a
        // listed given name counts there, see `a_listed_given_name_opens_a_sentence_or_headline`.)
        let text = "Former US president Bill Clinton spoke first. Then Hillary Clinton spoke. Clinton said no.";
        assert_eq!(found(text, Some("2016-07-20")), pairs(&[("US", "USA"), ("Bill Clinton", "USA")]));
        let near = "Former US president Bill Clinton spoke first. Later Clinton said no.";
        assert_eq!(
            found(near, Some("2016-07-20")),
            pairs(&[("US", "USA"), ("Bill Clinton", "USA"), ("Clinton", "USA")])
        );
        // The office-holder at the date keeps the surname.
        let office = "Donald Trump spoke. Then Melania Trump smiled. Trump waved.";
        assert_eq!(found(office, Some("2018-05-01")), pairs(&[("Donald Trump", "USA"), ("Trump", "USA")]));
    }

    /// Rule 4e: a surname that is also a month is the month after "in" or before a day.
    #[test]
    fn a_month_is_not_a_surname() {
        let text =
            "Prime Minister Theresa May spoke. The vote is due in May. Labour called on May to go. It ends May 5.";
        assert_eq!(found(text, Some("2018-05-01")), pairs(&[("Prime Minister Theresa May", "GBR"), ("May", "GBR")]));
    }

    /// Titles are not part of a learned name, days are no name, headlines teach no names.
    #[test]
    fn learned_names_skip_titles_days_and_headlines() {
        let lex = load(None).unwrap().lexicon;
        let found = |text: &str| {
            let doc = lex.find(text, &crate::segment::segment(text), None);
            doc.mentions
                .iter()
                .map(|m| (text[m.span.clone()].to_string(), doc.actor(&lex, m.actor).country.clone()))
                .collect::<Vec<_>>()
        };
        let got = found("Israeli army spokesman Lt. Col. Peter Lerner said so. Lerner left.");
        assert_eq!(got, pairs(&[("Israeli", "ISR"), ("Peter Lerner", "ISR"), ("Lerner", "ISR")]));
        let got = found("World Health Organization chief Dr. Tedros Ghebreyesus spoke. Later Ghebreyesus left.");
        assert_eq!(
            got,
            pairs(&[("World Health Organization", "UN"), ("Tedros Ghebreyesus", "UN"), ("Ghebreyesus", "UN")])
        );
        assert_eq!(found("The Russian envoy Monday said no."), pairs(&[("Russian", "RUS")]));
        assert_eq!(found("Egyptian Leader Says No Cease-Fire Announcement Tonight"), pairs(&[("Egyptian", "EGY")]));
        let got = found("Hungarian Prime Minister Viktor Orban hosted Slovak Prime Minister Robert Fico in Budapest.");
        assert!(got.contains(&("Robert Fico".to_string(), "SVK".to_string())), "{got:?}");
    }

    #[test]
    fn learns_people_from_roles_and_resolves_surnames() {
        let got = found(
            "John Kirby, the White House National Security Council spokesman, told reporters. Later Kirby pushed back.",
            None,
        );
        assert_eq!(got, pairs(&[("John Kirby", "USA"), ("White House", "USA"), ("Kirby", "USA")]));
        let got = found("Chinese foreign ministry spokesman Wang Wenbin said so. Wang also said no.", None);
        assert_eq!(got, pairs(&[("Chinese", "CHN"), ("Wang Wenbin", "CHN"), ("Wang", "CHN")]));
        let got = found("Russia's foreign minister, Ivan Petrovsky, said so. Petrovsky left.", None);
        assert_eq!(got, pairs(&[("Russia", "RUS"), ("Ivan Petrovsky", "RUS"), ("Petrovsky", "RUS")]));
        // "of" and "for" continue a role phrase ("Secretary of State") but do not start one.
        let got = found("Funds from Russia for spokesman Ivan Petrovsky ran out. Petrovsky left.", None);
        assert_eq!(got, pairs(&[("Russia", "RUS")]));
    }

    /// `accredited` role heads: an ambassador after a bloc's name is some state's, so the bloc
    /// does not claim the person; a state's name before the same head still does.
    #[test]
    fn an_ambassador_to_a_bloc_is_not_the_blocs() {
        let got = found("UN Ambassador Jane Holloway said the vote was a mistake. Holloway left.", None);
        assert_eq!(got, pairs(&[("UN", "UN")]));
        let got = found("NATO ambassador Karl Brenner said so.", None);
        assert_eq!(got, pairs(&[("NATO", "NATO")]));
        // Near misses: a state's ambassador, and a bloc's envoy, are learned.
        let got = found("Russian Ambassador Ivan Petrovsky rejected the claims. Petrovsky left.", None);
        assert_eq!(got, pairs(&[("Russian", "RUS"), ("Ivan Petrovsky", "RUS"), ("Petrovsky", "RUS")]));
        let got = found("UN envoy Jane Holloway said so.", None);
        assert_eq!(got, pairs(&[("UN", "UN"), ("Jane Holloway", "UN")]));
    }

    /// Rule 7, a role and a name separated by a comma: the name must close an apposition, or
    /// the comma ends a clause and the name is the next clause's subject.
    #[test]
    fn a_name_after_a_comma_must_close_an_apposition() {
        // A lexicon person valid at the date stays theirs: "Trump" is not Turkey's leader.
        let got = found("At a press event with Turkey's leader, Trump promised a new deal.", Some("2019-10-01"));
        assert_eq!(got, pairs(&[("Turkey", "TUR"), ("Trump", "USA")]));
        let got = found("After talks with Mexico's minister, Ivan Petrovsky flew home. Petrovsky left.", None);
        assert_eq!(got, pairs(&[("Mexico", "MEX")]));
        // Near misses: the apposition closed by a comma or the sentence's end, also after the
        // rest of an Arabic name.
        let got = found("Iran's foreign minister, Ivan Petrovsky, said so. Petrovsky left.", None);
        assert_eq!(got, pairs(&[("Iran", "IRN"), ("Ivan Petrovsky", "IRN"), ("Petrovsky", "IRN")]));
        let got = found("Support came from Syria's interior minister, Walid al-Hakim. Later al-Hakim spoke.", None);
        assert_eq!(got, pairs(&[("Syria", "SYR"), ("Walid al-Hakim", "SYR"), ("Hakim", "SYR")]));
    }

    /// Rule 4f: a one-word state or place alias after a listed given name or an abbreviated
    /// title is a surname.
    #[test]
    fn a_country_after_a_given_name_or_title_is_a_surname() {
        assert_eq!(found("The claims are untrue, said spokesman Ken Spain on Friday.", None), pairs(&[]));
        assert_eq!(found("Lisa Monaco briefed reporters.", None), pairs(&[]));
        assert_eq!(found_segmented("She said Mr. Santiago had moved."), pairs(&[]));
        assert_eq!(found("She said Mr Santiago had moved.", None), pairs(&[]));
        assert_eq!(found_segmented("The questions came from Rep. Jordan on Tuesday."), pairs(&[]));
        assert_eq!(found("The winner of the Miss USA pageant spoke.", None), pairs(&[]));
        // Near misses: other capitalised words, a sentence-opening "Then".
        assert_eq!(found("Muslim Americans voted early.", None), pairs(&[("Americans", "USA")]));
        assert_eq!(found("Then China raised tariffs.", None), pairs(&[("China", "CHN")]));
        assert_eq!(found("Officials in Spain said no.", None), pairs(&[("Spain", "ESP")]));
    }

    /// Rule 4g: a country's name that was a person's surname earlier in the article, before a
    /// speech verb, is that person.
    #[test]
    fn a_surname_spelt_like_a_country_speaks_later_in_the_article() {
        let text =
            "Rep. Tom Jordan questioned the witness. Jordan said the hearing was unfair. Jordan also noted a delay.";
        assert_eq!(found_segmented(text), pairs(&[]));
        // Near misses: no namesake before, or no speech verb after.
        assert_eq!(found_segmented("Jordan said the border would stay closed."), pairs(&[("Jordan", "JOR")]));
        let text = "Rep. Tom Jordan visited the region. He praised Jordan for its help.";
        assert_eq!(found_segmented(text), pairs(&[("Jordan", "JOR")]));
    }

    /// Rule 8, `place-event`, `place-attacks` and `place-accord` rows: a capital naming an attack
    /// or an accord is the event, not the government.
    #[test]
    fn capitals_naming_attacks_and_accords_are_not_the_government() {
        assert_eq!(found("Security was tightened after the Madrid attacks.", None), pairs(&[]));
        assert_eq!(found("The Nairobi bombing killed four people.", None), pairs(&[]));
        assert_eq!(found("Officials defended the Lisbon accord on fishing.", None), pairs(&[]));
        assert_eq!(found("He pulled out of the Paris climate agreement.", None), pairs(&[]));
        // Near misses: the capital as the government that attacks or makes a deal.
        assert_eq!(found("Analysts fear that Madrid attacks the plan.", None), pairs(&[("Madrid", "ESP")]));
        assert_eq!(found("Lisbon signed a deal with the union.", None), pairs(&[("Lisbon", "PRT")]));
        assert_eq!(found("A Lisbon deal was unlikely, officials said.", None), pairs(&[("Lisbon", "PRT")]));
    }

    /// Rule 8, `place-organisation-in` and `place-city-of` rows: a capital where an
    /// organisation or building is, or named as a city, is the place.
    #[test]
    fn capitals_as_the_seat_of_an_organisation_are_places() {
        assert_eq!(found("She is a fellow at a policy institute in Madrid, she said.", None), pairs(&[]));
        assert_eq!(found("He spoke at a think tank in Nairobi on Monday.", None), pairs(&[]));
        assert_eq!(found("The new hotel in Lisbon opened.", None), pairs(&[]));
        assert_eq!(found("Rents rose across the city of Madrid.", None), pairs(&[]));
        assert_eq!(found("They live in a suburb of Nairobi.", None), pairs(&[]));
        // Near misses: the capital as the government after other words.
        assert_eq!(found("Critics in Madrid said the plan would fail.", None), pairs(&[("Madrid", "ESP")]));
        assert_eq!(found("Pressure from Nairobi grew.", None), pairs(&[("Nairobi", "KEN")]));
    }

    /// Headline abbreviations of the two Koreas: "N. Korea" is the North, not "Korea" (the
    /// South's short name) after an initial.
    #[test]
    fn abbreviated_koreas_are_the_north_and_the_south() {
        assert_eq!(
            found_segmented("Japan on alert after N. Korea threats"),
            pairs(&[("Japan", "JPN"), ("N. Korea", "PRK")])
        );
        assert_eq!(
            found_segmented("S. Koreans vote as N. Korean missiles fly."),
            pairs(&[("S. Koreans", "KOR"), ("N. Korean", "PRK")])
        );
        assert_eq!(found_segmented("Korea watchers say Seoul will act."), pairs(&[("Korea", "KOR"), ("Seoul", "KOR")]));
    }

    #[test]
    fn the_role_in_the_text_wins_over_the_lexicon() {
        let got = found("Ukrainian spokesman Dmitry Peskov said so. Peskov left.", None);
        assert_eq!(got, pairs(&[("Ukrainian", "UKR"), ("Dmitry Peskov", "UKR"), ("Peskov", "UKR")]));
    }

    #[test]
    fn helpers() {
        assert_eq!(slug("Wang Wenbin"), "wang-wenbin");
        assert_eq!(slug("José Ángel  O'Neil"), "josé-ángel-o-neil");
        let phrases = |list: &[&str]| {
            super::super::Phrases::new(&list.iter().map(|p| p.to_string()).collect::<Vec<_>>()).unwrap()
        };
        let seattle = phrases(&["Seattle", "Wash"]);
        assert!(seattle.found_in("in Seattle, Wash."));
        assert!(seattle.found_in("Seattleish, Wash."));
        assert!(!seattle.found_in("in Seattleish Washes"));
        assert!(!phrases(&[]).found_in("anything"));
        // Phrases ending or starting with punctuation, whole words only.
        let georgia = phrases(&["Gov.", "R-Ga.", "(R)", "Peach State", "county"]);
        assert!(georgia.found_in("Gov. Kemp"));
        assert!(georgia.found_in("Ossoff (R) said"));
        assert!(!georgia.found_in("x(R)y") && georgia.found_in("Sen. Perdue, R-Ga., said"));
        assert!(georgia.found_in("the Peach State's") && !georgia.found_in("Peach Statewide"));
        assert!(!georgia.found_in("counties and Gov") && georgia.found_in("a county"));
        assert!(is_shouting("BREAKING: US AND UK SIGN DEAL"));
        assert!(!is_shouting("The US and UK sign a deal"));
        // At the threshold: three all-caps words and two others is 60 %; a third other is not.
        assert!(is_shouting("US UN EU of to."));
        assert!(!is_shouting("US UN EU of to in."));
        assert!(is_shouting("ÉTATS-UNIS, ÉGYPTE et OTAN"));
    }

    /// Fourth round, rule 7: a learned name starts with no function word and, before ", the
    /// ACTOR role", reaches the comma ("On Friday, the Iranian foreign minister" names no "On");
    /// a capitalised word between a head and another head is an office word ("chief Brexit
    /// negotiator"); a name does not end with a party word.
    #[test]
    fn learned_names_are_no_function_words_office_words_or_parties() {
        let got = found("On Friday, the Iranian foreign minister said the talks would resume. On it went.", None);
        assert_eq!(got, pairs(&[("Iranian", "IRN")]));
        let got = found("Speaking to The Guardian, Russia's deputy foreign minister warned of a reply.", None);
        assert_eq!(got, pairs(&[("Russia", "RUS")]));
        let got = found("The EU's chief Brexit negotiator Karl Brenner said so. Brexit talks then stalled.", None);
        assert_eq!(got, pairs(&[("EU", "EU")]));
        let got = found("US national security adviser Karl Brenner Republicans said. Republicans left.", None);
        assert_eq!(got, pairs(&[("US", "USA"), ("Karl Brenner", "USA")]));
        // Near misses: a name before ", the ACTOR role", and after a plain head.
        let got = found("Ivan Petrovsky, the Russian foreign minister, said so. Petrovsky left.", None);
        assert_eq!(got, pairs(&[("Ivan Petrovsky", "RUS"), ("Russian", "RUS"), ("Petrovsky", "RUS")]));
        let got = found("The EU's chief negotiator Karl Brenner said so. Brenner left.", None);
        assert_eq!(got, pairs(&[("EU", "EU"), ("Karl Brenner", "EU"), ("Brenner", "EU")]));
    }

    /// Fourth round, `learn_surname`: the family name of a lexicon alias that opens with a title
    /// ("President Moon Jae-in") is the first word after the title, not "President".
    #[test]
    fn a_family_name_first_is_not_the_title_before_it() {
        let text = "President Moon Jae-in spoke first. The President of the council thanked him. Moon left.";
        assert_eq!(found(text, Some("2018-05-01")), pairs(&[("President Moon Jae-in", "KOR"), ("Moon", "KOR")]));
        // Near miss: a surname-last alias after a title still teaches its last word.
        let text = "Pope Francis spoke first. Later Francis left.";
        assert_eq!(found(text, Some("2018-05-01")), pairs(&[("Pope Francis", "VAT"), ("Francis", "VAT")]));
    }

    /// Fourth round, rule 4c: a listed given name before a surname names another person also
    /// where any capitalised word would not — opening a sentence, or in a title-case headline.
    #[test]
    fn a_listed_given_name_opens_a_sentence_or_headline() {
        assert_eq!(found("Ivanka Trump toured the plant on Monday.", Some("2018-05-01")), pairs(&[]));
        assert_eq!(found("Jo Johnson resigned from the cabinet.", Some("2019-09-05")), pairs(&[]));
        assert_eq!(found("Remembering Melania Trump, the Reluctant First Lady", Some("2018-05-01")), pairs(&[]));
        // Near misses: other words opening a sentence or a headline.
        assert_eq!(found("Then Trump toured the plant.", Some("2018-05-01")), pairs(&[("Trump", "USA")]));
        assert_eq!(found("Critics Expect Trump Tariffs Soon", Some("2018-05-01")), pairs(&[("Trump", "USA")]));
        // The person's own given name, learned with the surname, names them again.
        let text = "European Council President Donald Tusk spoke first. Donald Tusk, 60, left early.";
        assert_eq!(
            found(text, Some("2017-03-01")),
            pairs(&[("European Council President Donald Tusk", "EU"), ("Tusk", "EU")])
        );
    }

    /// Fourth round, `ignore` rows: organisations, media, events and places named after a state
    /// or an institution.
    #[test]
    fn organisations_events_and_places_named_after_a_state() {
        let none = [
            "He spoke to America's Voice and to the New America think tank.",
            "Americans for Limited Government and Democracy for America ran ads.",
            "Iraq and Afghanistan Veterans of America backed the bill.",
            "Alternative for Germany won seats, and the Muslim Council of Britain complained.",
            "She hosted the White House Correspondents' Dinner and the White House Easter Egg Roll.",
            "Tankers were hit in the Gulf of Oman near the Stade de France.",
            "The Spanish influenza killed millions, the Canadian Press reported.",
            "A spokesman for the U.S.-China Business Council said so.",
        ];
        for text in none {
            assert_eq!(found(text, Some("2018-05-01")), pairs(&[]), "{text}");
        }
        // Near misses: the same words as the state.
        assert_eq!(found("America's voice in Asia grew weaker.", None), pairs(&[("America", "USA")]));
        assert_eq!(found("Germany's alternative plan failed.", None), pairs(&[("Germany", "DEU")]));
        assert_eq!(found("The White House correspondents were told no.", None), pairs(&[("White House", "USA")]));
    }

    /// Fourth round, rule 8: a time zone after a clock time (`place-time-zone`), a language after
    /// "a word of" (`language-speak`), national "squads" in a sports paragraph (`sports-subject`).
    #[test]
    fn time_zones_languages_and_squads_are_not_the_state() {
        assert_eq!(found_segmented("The call came at 9:40 p.m. Cairo time on Tuesday."), pairs(&[]));
        assert_eq!(found("She does not speak a word of Turkish.", None), pairs(&[]));
        assert_eq!(found("The rugby season starts soon. Both France squads trained on Monday.", None), pairs(&[]));
        // Near misses: a capital after a clock time that acts, the language's state, a minister.
        assert_eq!(found_segmented("At 9 a.m. Cairo said it was time to act."), pairs(&[("Cairo", "EGY")]));
        assert_eq!(found("She said a word about Turkish troops.", None), pairs(&[("Turkish", "TUR")]));
        let minister = "The rugby season starts soon. The France minister praised both squads.";
        assert_eq!(found(minister, None), pairs(&[("France", "FRA")]));
    }

    /// Fourth round, `disambiguation.csv`: Washington next to the Continental Army, Valley Forge,
    /// the Revolutionary War is George Washington.
    #[test]
    fn washington_of_the_revolution_is_george_washington() {
        assert_eq!(found("Washington led the Continental Army through the winter.", None), pairs(&[]));
        assert_eq!(found("Washington sent more troops to the region.", None), pairs(&[("Washington", "USA")]));
    }
}
