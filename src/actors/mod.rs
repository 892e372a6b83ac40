//! Stage `actors`: who is mentioned. Editable lexicons of countries, capitals and seats of power
//! used as metonyms, blocs and office-holders, each mapped to a country or bloc code.
//!
//! The lexicon is data (`lexicons/countries.csv`, `lexicons/actors.csv`, `lexicons/roles.csv`,
//! `lexicons/disambiguation.csv`), validated as a whole at load time. Matching (see [`find`]) is
//! one Aho-Corasick pass per sentence plus a few documented guards; people introduced with a
//! role ("Kremlin spokesman Dmitry Peskov") are learned per document.

mod find;
mod load;

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
    /// May precede a head: "foreign", "deputy".
    Modifier,
    /// An institution noun: never part of a person's name ("Army", "Embassy").
    Institution,
}

/// A context rule of `disambiguation.csv`: the alias is not the actor when its sentence has an
/// `unless` phrase and no `keep` phrase, or its paragraph has an `unless` phrase and no `keep`
/// phrase ("Georgia" next to "Atlanta" is the US state; next to "Tbilisi" the country).
#[derive(Debug, Clone)]
pub(crate) struct ContextRule {
    pub unless: Phrases,
    pub keep: Phrases,
}

/// A rule's list of context phrases, each with its searcher built once: "Washington" is among
/// the most frequent aliases, and each of its mentions looks for some twenty phrases in its
/// paragraph.
#[derive(Debug, Clone)]
pub(crate) struct Phrases(Vec<memchr::memmem::Finder<'static>>);

impl Phrases {
    pub(crate) fn new(phrases: &[String]) -> Phrases {
        Phrases(phrases.iter().map(|p| memchr::memmem::Finder::new(p.as_bytes()).into_owned()).collect())
    }

    /// Whether `hay` contains one of the phrases as whole words.
    pub(crate) fn found_in(&self, hay: &str) -> bool {
        self.0.iter().any(|finder| {
            // Every occurrence, overlapping ones included: the first may fail the boundary test.
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
        })
    }
}

/// The loaded, validated actor lexicon with its compiled matcher.
pub struct Lexicon {
    actors: Vec<Actor>,
    countries: Vec<Country>,
    country_index: FxHashMap<String, usize>,
    roles: FxHashMap<String, RoleWord>,
    rules: Vec<ContextRule>,
    /// Actor id → row.
    ids: FxHashMap<String, u32>,
    /// Pattern id → alias id.
    pattern_alias: Vec<u32>,
    aliases: Vec<Alias>,
    matcher: PhraseMatcher,
}

/// One alias text and the actors (rows) it may denote, most recent role first.
#[derive(Debug, Clone)]
struct Alias {
    text: String,
    actors: Vec<u32>,
    single_word: bool,
    /// Index into `rules` of a context rule for this alias, if any.
    rule: Option<usize>,
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
        if word.len() > 32 {
            return None;
        }
        let mut buf = [0u8; 32];
        let lower = &mut buf[..word.len()];
        lower.copy_from_slice(word.as_bytes());
        lower.make_ascii_lowercase();
        std::str::from_utf8(lower).ok().and_then(|w| self.roles.get(w).copied())
    }
}

pub use load::{load, LoadedLexicon};
