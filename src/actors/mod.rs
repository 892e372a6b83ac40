//! Stage `actors`: who is mentioned. Editable lexicons of countries, capitals and seats of power
//! used as metonyms, blocs and office-holders, each mapped to a country or bloc code.
//!
//! The lexicon is data (`lexicons/countries.csv`, `lexicons/actors.csv`, `lexicons/roles.csv`,
//! `lexicons/disambiguation.csv`, `lexicons/mention_rules.csv`, `lexicons/name_words.csv`), validated as a whole at load time. Matching (see [`find`]) is
//! one pass of the phrase matcher ([`crate::phrases`]) per sentence plus a few documented
//! guards; people introduced with a role ("Kremlin spokesman Dmitry Peskov") are learned per
//! document.

mod find;
mod load;
pub mod place;
mod rules;

pub use find::{ActorRef, DocActors, Mention, Via};
pub use load::check_files;

use crate::document::Date;
use crate::phrases::PhraseMatcher;
use rustc_hash::FxHashMap;
use std::fmt;

/// What an actor is. `Ignore` rows name phrases that contain an alias but are not actors
/// ("New Mexico"): the longest match wins, so they mask the shorter alias inside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    State,
    Person,
    Institution,
    Place,
    Bloc,
    Ignore,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "state" => Kind::State,
            "person" => Kind::Person,
            "institution" => Kind::Institution,
            "place" => Kind::Place,
            "bloc" => Kind::Bloc,
            "ignore" => Kind::Ignore,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::State => "state",
            Kind::Person => "person",
            Kind::Institution => "institution",
            Kind::Place => "place",
            Kind::Bloc => "bloc",
            Kind::Ignore => "ignore",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One actor: a row of `actors.csv`, or a person learned from a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub id: String,
    pub name: String,
    /// ISO 3166-1 alpha-3 code or bloc code (`EU`, `NATO`, `UN`, `WEST`, ...).
    pub country: String,
    pub kind: Kind,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub role: String,
}

impl Actor {
    /// Whether the actor's role holds on `date`; undated articles are not filtered.
    pub fn valid_on(&self, date: Option<Date>) -> bool {
        let Some(d) = date else { return true };
        self.valid_from.is_none_or(|f| f <= d) && self.valid_to.is_none_or(|t| d <= t)
    }
}

/// A row of `countries.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    pub code: String,
    pub name: String,
    /// `state`, `territory` or `bloc`.
    pub kind: String,
    /// The demonym/adjective ("Russian"); required for states.
    pub demonym: String,
}

/// Type of a word of `roles.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleWord {
    /// Ends a role phrase: "spokesman", "minister".
    Head,
    /// Ends a role phrase like a head, but names an office held *at* the actor before it rather
    /// than for it: after a bloc's name it says nothing of whose the person is ("UN Ambassador
    /// Nikki Haley" is the US ambassador to the UN, "Israeli UN Ambassador Danny Danon" Israel's),
    /// so a bloc does not claim the person; a state's name still does ("Russian Ambassador
    /// Anatoly Antonov").
    Accredited,
    /// May precede a head: "foreign", "deputy".
    Modifier,
    /// An institution noun: never part of a person's name ("Army", "Embassy").
    Institution,
}

/// Type of a word of `name_words.csv`: what a capitalised word next to a person's name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameWord {
    /// A title or honorific ("Mr", "Dr", "Sen", "Rear", "Adm"): before a surname it is no
    /// given name, and it is never part of a learned name.
    Title,
    /// Ends a name ("Jr", "Sr", "III"): "Donald Trump Jr." is another person.
    Suffix,
    /// Capitalised, but never a name ("Monday", "May"): not learned as a name or surname, and
    /// no continuation of a name ("China Monday" is China).
    NotName,
    /// Before a `not_name` word, makes it a date ("in May", "since May").
    DateBefore,
    /// A common given name ("Lisa", "Ken", "Scott"): before a one-word state or place alias it
    /// makes the alias a surname ("Lisa Monaco", "Ken Spain", "Sheriff Scott Israel").
    Given,
}

/// A context rule of `disambiguation.csv`: the alias is not the actor when its sentence has an
/// `unless` phrase and no `keep` phrase, or its paragraph has an `unless` phrase and no `keep`
/// phrase ("Georgia" next to "Atlanta" is the US state; next to "Tbilisi" the country).
pub(crate) struct ContextRule {
    pub unless: Phrases,
    pub keep: Phrases,
}

/// A rule's list of context phrases, searched for all at once: "Washington" is among the most
/// frequent aliases, and each of its mentions looks for some twenty phrases in its sentence and
/// paragraph. Phrases that start with a letter or digit (all the shipped ones) go to a phrase
/// matcher, one pass over the text; any other is searched for on its own.
pub(crate) struct Phrases {
    words: PhraseMatcher,
    others: Vec<memchr::memmem::Finder<'static>>,
}

impl Phrases {
    pub(crate) fn new(phrases: &[String]) -> Result<Phrases, crate::phrases::BuildError> {
        let starts_word = |p: &&String| p.chars().next().is_some_and(char::is_alphanumeric);
        let words = PhraseMatcher::new(phrases.iter().filter(starts_word), false)?;
        let others = phrases
            .iter()
            .filter(|p| !starts_word(p))
            .map(|p| memchr::memmem::Finder::new(p.as_bytes()).into_owned())
            .collect();
        Ok(Phrases { words, others })
    }

    /// How many different phrases `hay` contains as whole words.
    pub(crate) fn distinct_in(&self, hay: &str) -> usize {
        let mut seen = rustc_hash::FxHashSet::default();
        let mut pos = 0;
        while let Some(m) = self.words.next(hay, pos, hay.len()) {
            seen.insert(m.pattern().as_usize());
            pos = m.end();
        }
        seen.len() + self.others.iter().filter(|finder| whole_phrase_in(hay, finder)).count()
    }

    /// Whether `hay` contains one of the phrases as whole words (nothing alphanumeric just
    /// before or after it).
    pub(crate) fn found_in(&self, hay: &str) -> bool {
        self.words.next(hay, 0, hay.len()).is_some() || self.others.iter().any(|finder| whole_phrase_in(hay, finder))
    }
}

/// Whether `finder`'s phrase is somewhere in `hay` as whole words. Every occurrence is tried,
/// overlapping ones included: the first may fail the boundary test.
fn whole_phrase_in(hay: &str, finder: &memchr::memmem::Finder<'_>) -> bool {
    let mut from = 0;
    while let Some(off) = hay.get(from..).and_then(|rest| finder.find(rest.as_bytes())) {
        let start = from + off;
        if find::is_boundary(hay, start, start + finder.needle().len()) {
            return true;
        }
        from = start + 1;
        while !hay.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

/// The loaded, validated actor lexicon with its compiled matcher.
pub struct Lexicon {
    actors: Vec<Actor>,
    /// Each actor's kind, apart from the wide actor rows: checked for most mentions.
    kinds: Vec<Kind>,
    countries: Vec<Country>,
    country_index: FxHashMap<String, usize>,
    roles: RoleWords,
    /// `name_words.csv`, lowercase, without a final dot.
    name_words: FxHashMap<String, NameWord>,
    rules: Vec<ContextRule>,
    /// The rules of `mention_rules.csv`, and per [`Kind`] the rules for all its aliases.
    mention_rules: Vec<rules::MentionRule>,
    kind_rules: [Vec<u16>; 6],
    /// Actor id → row.
    ids: FxHashMap<String, u32>,
    /// Which place mentions count as coverage of their country (`place_model.csv`).
    places: place::PlaceModel,
    aliases: Vec<Alias>,
    /// Per pattern of the matcher (an alias, or an alias capitalised), its alias and what
    /// matching needs of it and of its actor, in twelve bytes: read for every match, where the
    /// alias and actor rows are several cache lines away.
    patterns: Vec<AliasInfo>,
    matcher: PhraseMatcher,
}

/// The facts about an alias that every match looks at.
#[derive(Debug, Clone, Copy)]
struct AliasInfo {
    /// Index into [`Lexicon::aliases`].
    alias: u32,
    /// The alias's one actor, when it has one and that actor has no validity dates (most
    /// aliases), and its kind; [`AliasInfo::DATED`] when the actor depends on the article's date.
    actor: u32,
    kind: Kind,
    /// Every letter of the alias is uppercase ("US", "UN"): not trusted in a shouting sentence.
    all_caps: bool,
    /// The alias is one word (no whitespace): a candidate for the name guard (rule 4).
    single_word: bool,
    /// Bits: the alias has a context rule ([`Alias::rule`], [`AliasInfo::CONTEXT_RULE`]), mention
    /// rules of its own ([`Alias::mention_rules`], [`AliasInfo::MENTION_RULES`]).
    rules: u8,
}

impl AliasInfo {
    const DATED: u32 = u32::MAX;
    const CONTEXT_RULE: u8 = 1;
    const MENTION_RULES: u8 = 2;

    fn of(index: usize, alias: &Alias, actors: &[Actor]) -> AliasInfo {
        let (actor, kind) = match alias.actors[..] {
            [a] if actors[a as usize].valid_from.is_none() && actors[a as usize].valid_to.is_none() => {
                (a, actors[a as usize].kind)
            }
            _ => (Self::DATED, Kind::Ignore),
        };
        AliasInfo {
            alias: index as u32,
            actor,
            kind,
            all_caps: alias.text.chars().all(|c| !c.is_lowercase()),
            single_word: !alias.text.contains(char::is_whitespace),
            rules: if alias.rule.is_some() { Self::CONTEXT_RULE } else { 0 }
                | if alias.mention_rules.is_empty() { 0 } else { Self::MENTION_RULES },
        }
    }
}

const _: () = assert!(std::mem::size_of::<AliasInfo>() == 12);

/// One alias text and the actors (rows) it may denote, most recent role first.
#[derive(Debug, Clone)]
struct Alias {
    text: String,
    actors: Vec<u32>,
    /// Index into `rules` of a context rule for this alias, if any.
    rule: Option<usize>,
    /// Indexes into `mention_rules` of the rules that list this alias.
    mention_rules: Vec<u16>,
}

impl Lexicon {
    pub fn actors(&self) -> &[Actor] {
        &self.actors
    }

    pub fn actor(&self, index: u32) -> &Actor {
        &self.actors[index as usize]
    }

    pub fn countries(&self) -> &[Country] {
        &self.countries
    }

    pub fn country(&self, code: &str) -> Option<&Country> {
        self.country_index.get(code).map(|&i| &self.countries[i])
    }

    /// The role type of a word (ASCII case-insensitive), if it is in `roles.csv`.
    pub fn role_word(&self, word: &str) -> Option<RoleWord> {
        self.roles.get(word)
    }

    /// The type of a word of `name_words.csv` (ASCII case-insensitive, a final dot ignored).
    pub fn name_word(&self, word: &str) -> Option<NameWord> {
        let word = word.strip_suffix('.').unwrap_or(word);
        if word.is_empty() || word.len() > RoleWords::MAX_LEN || self.name_words.is_empty() {
            return None;
        }
        let mut buf = [0u8; RoleWords::MAX_LEN];
        ascii_lower(word, &mut buf).and_then(|w| self.name_words.get(w).copied())
    }
}

/// `word` ASCII-lowercased into `buf`, without allocating (word look-ups run per mention);
/// `None` when it does not fit.
fn ascii_lower<'b>(word: &str, buf: &'b mut [u8; RoleWords::MAX_LEN]) -> Option<&'b str> {
    let lower = buf.get_mut(..word.len())?;
    lower.copy_from_slice(word.as_bytes());
    lower.make_ascii_lowercase();
    std::str::from_utf8(lower).ok()
}

/// The words of `roles.csv`. Role phrases are looked for after most actor mentions, so most
/// words looked up are not role words ("said", "has"): a table of the lengths each first letter
/// starts rejects most of them before the word is lowercased and hashed.
struct RoleWords {
    words: FxHashMap<String, RoleWord>,
    /// Bit `n - 1` of `lengths[b]`: some word starts with byte `b` (either ASCII case) and is
    /// `n` bytes long.
    lengths: [u32; 256],
}

impl RoleWords {
    /// Longest role word, in bytes (the loader rejects longer ones).
    pub(crate) const MAX_LEN: usize = 32;

    fn new(words: FxHashMap<String, RoleWord>) -> RoleWords {
        let mut lengths = [0u32; 256];
        for w in words.keys().filter(|w| (1..=Self::MAX_LEN).contains(&w.len())) {
            let first = w.as_bytes()[0];
            for b in [first, first.to_ascii_uppercase()] {
                lengths[usize::from(b)] |= 1 << (w.len() - 1);
            }
        }
        RoleWords { words, lengths }
    }

    /// Whether some role word starts with byte `b` (either ASCII case).
    fn may_start(&self, b: u8) -> bool {
        self.lengths[usize::from(b)] != 0
    }

    fn get(&self, word: &str) -> Option<RoleWord> {
        let &first = word.as_bytes().first()?;
        if word.len() > Self::MAX_LEN || self.lengths[usize::from(first)] & (1 << (word.len() - 1)) == 0 {
            return None;
        }
        let mut buf = [0u8; Self::MAX_LEN];
        ascii_lower(word, &mut buf).and_then(|w| self.words.get(w).copied())
    }
}

pub use load::{load, LoadedLexicon};

#[cfg(test)]
mod tests {
    use super::*;

    fn roles() -> RoleWords {
        let words = [("spokesman", RoleWord::Head), ("foreign", RoleWord::Modifier), ("army", RoleWord::Institution)];
        RoleWords::new(words.into_iter().map(|(w, t)| (w.to_string(), t)).collect())
    }

    #[test]
    fn role_words_are_found_in_any_ascii_case() {
        let r = roles();
        assert_eq!(r.get("spokesman"), Some(RoleWord::Head));
        assert_eq!(r.get("Spokesman"), Some(RoleWord::Head));
        assert_eq!(r.get("SPOKESMAN"), Some(RoleWord::Head));
        assert_eq!(r.get("Army"), Some(RoleWord::Institution));
        for miss in ["spokesmen", "spokesma", "said", "", "s", "Armée", &"a".repeat(40)] {
            assert_eq!(r.get(miss), None, "{miss}");
        }
    }

    proptest::proptest! {
        /// The length filter only ever rejects words the table does not hold.
        #[test]
        fn the_filter_agrees_with_the_table(word in "[a-zA-Zé]{0,12}", pick in 0usize..3, upper in proptest::bool::ANY) {
            let r = roles();
            let known = ["spokesman", "foreign", "army"][pick];
            for w in [word.clone(), if upper { known.to_ascii_uppercase() } else { known.to_string() }] {
                let want = r.words.get(&w.to_ascii_lowercase()).copied();
                proptest::prop_assert_eq!(r.get(&w), want, "{}", w);
            }
        }
    }
}
