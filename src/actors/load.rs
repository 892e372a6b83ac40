//! Loading and validating the actor lexicon files.

use super::rules::MentionRule;
use super::{Actor, Alias, AliasInfo, ContextRule, Country, Kind, Lexicon, NameWord, Phrases, RoleWord, RoleWords};
use crate::document::Date;
use crate::lexicon::{LexiconError, LexiconFile, Problem};
use crate::phrases::PhraseMatcher;
use rustc_hash::FxHashMap;
use std::path::Path;

const COUNTRIES: &str = include_str!("../../lexicons/countries.csv");
const ACTORS: &str = include_str!("../../lexicons/actors.csv");
const ROLES: &str = include_str!("../../lexicons/roles.csv");
const DISAMBIGUATION: &str = include_str!("../../lexicons/disambiguation.csv");
const MENTION_RULES: &str = include_str!("../../lexicons/mention_rules.csv");
const NAME_WORDS: &str = include_str!("../../lexicons/name_words.csv");
const PLACE_MODEL: &str = include_str!("../../lexicons/place_model.csv");

const MENTION_RULES_HEADER: &[&str] =
    &["rule", "applies_to", "before", "after", "sentence", "paragraph", "keep", "document", "document_min"];

const ACTORS_HEADER: &[&str] = &["id", "name", "country", "kind", "aliases", "valid_from", "valid_to", "role"];

/// The lexicon and the files it was built from (for the manifest).
pub struct LoadedLexicon {
    pub lexicon: Lexicon,
    pub files: Vec<LexiconFile>,
}

/// Loads the actor lexicon from `dir` (file by file, embedded copies for missing files) and
/// validates it; any problem fails the load with every problem listed.
pub fn load(dir: Option<&Path>) -> Result<LoadedLexicon, LexiconError> {
    let read = |name: &str, embedded: &str| LexiconFile::read(dir, name, embedded);
    let files: Result<Vec<_>, Problem> = vec![
        read("countries.csv", COUNTRIES),
        read("actors.csv", ACTORS),
        read("roles.csv", ROLES),
        read("disambiguation.csv", DISAMBIGUATION),
        read("mention_rules.csv", MENTION_RULES),
        read("name_words.csv", NAME_WORDS),
        read("place_model.csv", PLACE_MODEL),
    ]
    .into_iter()
    .collect();
    let files = files.map_err(|p| LexiconError { problems: vec![p] })?;
    let mut problems = Vec::new();
    let lexicon = build(&files, &mut problems);
    match lexicon {
        Some(lexicon) if problems.is_empty() => Ok(LoadedLexicon { lexicon, files }),
        _ => Err(LexiconError { problems }),
    }
}

/// Validates the actor lexicon files in `dir`, returning every problem found (empty = valid).
pub fn check_files(dir: Option<&Path>) -> Vec<Problem> {
    match load(dir) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems,
    }
}

fn parse_date(file: &LexiconFile, line: u64, field: &str, what: &str, problems: &mut Vec<Problem>) -> Option<Date> {
    let field = field.trim();
    if field.is_empty() {
        return None;
    }
    let d = Date::parse(field).filter(|_| field.len() == 10);
    if d.is_none() {
        problems.push(file.problem(line, format!("{what} `{field}` is not a date YYYY-MM-DD")));
    }
    d
}

/// Builds the lexicon from its files, in the order [`load`] reads them.
/// A `word,type` table (`roles.csv`, `name_words.csv`): one lowercase word of at most
/// [`RoleWords::MAX_LEN`] bytes per row (without a final dot when `no_final_dot`, since the
/// matcher strips it), its type one of `types`; bad rows and repeated words are problems.
fn word_types<T: Copy>(
    file: &LexiconFile,
    types: &[(&str, T)],
    no_final_dot: bool,
    problems: &mut Vec<Problem>,
) -> FxHashMap<String, T> {
    let names: Vec<&str> = types.iter().map(|(n, _)| *n).collect();
    let allowed = match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    };
    let mut out = FxHashMap::default();
    for (line, r) in file.csv_records(&["word", "type"], problems) {
        let word = r[0].trim();
        let ty = r[1].trim();
        let Some(&(_, t)) = types.iter().find(|(n, _)| *n == ty) else {
            problems.push(file.problem(line, format!("type `{ty}` must be {allowed}")));
            continue;
        };
        if word.is_empty()
            || word.len() > RoleWords::MAX_LEN
            || (no_final_dot && word.ends_with('.'))
            || word.bytes().any(|b| b.is_ascii_uppercase() || b == b' ')
        {
            let dot = if no_final_dot { ", without a final dot" } else { "" };
            problems.push(file.problem(
                line,
                format!("word `{word}` must be one lowercase word of at most {} bytes{dot}", RoleWords::MAX_LEN),
            ));
            continue;
        }
        if out.insert(word.to_string(), t).is_some() {
            problems.push(file.problem(line, format!("duplicate word `{word}`")));
        }
    }
    out
}

fn build(files: &[LexiconFile], problems: &mut Vec<Problem>) -> Option<Lexicon> {
    let [countries_file, actors_file, roles_file, rules_file, mention_rules_file, name_words_file, place_file] = files
    else {
        problems.push(Problem { file: "actors".into(), line: 0, message: "missing lexicon files".into() });
        return None;
    };
    // Countries.
    let mut countries = Vec::new();
    let mut country_index = FxHashMap::default();
    for (line, r) in countries_file.csv_records(&["code", "name", "kind", "demonym"], problems) {
        let code = r[0].trim();
        let kind = r[2].trim();
        let demonym = r[3].trim();
        if kind == "state" && (r[1].trim().is_empty() || demonym.is_empty()) {
            problems.push(countries_file.problem(line, format!("state `{code}` needs a name and a demonym")));
        }
        if code.is_empty() || !code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') {
            problems.push(countries_file.problem(line, format!("code `{code}` must be uppercase letters/digits")));
            continue;
        }
        if !matches!(kind, "state" | "territory" | "bloc") {
            problems.push(countries_file.problem(line, format!("kind `{kind}` must be state, territory or bloc")));
        }
        if country_index.insert(code.to_string(), countries.len()).is_some() {
            problems.push(countries_file.problem(line, format!("duplicate code `{code}`")));
            continue;
        }
        countries.push(Country {
            code: code.to_string(),
            name: r[1].trim().to_string(),
            kind: kind.to_string(),
            demonym: demonym.to_string(),
        });
    }

    // Actors.
    let mut actors: Vec<Actor> = Vec::new();
    let mut ids: FxHashMap<String, u64> = FxHashMap::default();
    // alias text -> (alias index); and first line + country seen, for conflict reports.
    let mut alias_index: FxHashMap<String, usize> = FxHashMap::default();
    let mut aliases: Vec<Alias> = Vec::new();
    let mut alias_origin: Vec<(u64, String)> = Vec::new();
    for (line, r) in actors_file.csv_records(ACTORS_HEADER, problems) {
        let id = r[0].trim();
        let name = r[1].trim();
        let country = r[2].trim();
        let Some(kind) = Kind::parse(r[3].trim()) else {
            problems.push(actors_file.problem(
                line,
                format!("unknown kind `{}` (state, person, institution, place, bloc, ignore)", r[3].trim()),
            ));
            continue;
        };
        if id.is_empty() {
            problems.push(actors_file.problem(line, "empty id"));
            continue;
        }
        if let Some(first) = ids.insert(id.to_string(), line) {
            problems.push(actors_file.problem(line, format!("duplicate id `{id}` (first on line {first})")));
        }
        if kind == Kind::Ignore {
            if !country.is_empty() {
                problems.push(actors_file.problem(line, "ignore rows must have an empty country"));
            }
        } else if !country_index.contains_key(country) {
            problems
                .push(actors_file.problem(line, format!("unknown country code `{country}` (not in countries.csv)")));
        }
        let valid_from = parse_date(actors_file, line, &r[5], "valid_from", problems);
        let valid_to = parse_date(actors_file, line, &r[6], "valid_to", problems);
        if let (Some(f), Some(t)) = (valid_from, valid_to) {
            if f > t {
                problems.push(actors_file.problem(line, format!("valid_from {f} is after valid_to {t}")));
            }
        }
        let index = actors.len() as u32;
        if r[4].trim().is_empty() {
            problems.push(actors_file.problem(line, "no aliases"));
        }
        for alias in r[4].split('|') {
            let alias = alias.trim();
            if alias.is_empty() {
                if !r[4].trim().is_empty() {
                    problems.push(actors_file.problem(line, "empty alias (doubled or trailing `|`)"));
                }
                continue;
            }
            match alias_index.get(alias) {
                Some(&a) => {
                    let (first_line, first_country) = &alias_origin[a];
                    if first_country != country {
                        problems.push(actors_file.problem(
                            line,
                            format!("alias `{alias}` maps to `{country}` here but to `{first_country}` on line {first_line}"),
                        ));
                    } else if !aliases[a].actors.contains(&index) {
                        aliases[a].actors.push(index);
                    }
                }
                None => {
                    alias_index.insert(alias.to_string(), aliases.len());
                    alias_origin.push((line, country.to_string()));
                    aliases.push(Alias {
                        text: alias.to_string(),
                        actors: vec![index],
                        rule: None,
                        mention_rules: Vec::new(),
                    });
                }
            }
        }
        actors.push(Actor {
            id: id.to_string(),
            name: name.to_string(),
            country: country.to_string(),
            kind,
            valid_from,
            valid_to,
            role: r[7].trim().to_string(),
        });
    }
    // Several rows per alias (one person, several roles): most recent role first, so an undated
    // article resolves to the latest holder of the alias.
    for alias in &mut aliases {
        alias
            .actors
            .sort_by(|&a, &b| actors[b as usize].valid_from.cmp(&actors[a as usize].valid_from).then(a.cmp(&b)));
    }

    let roles = word_types(
        roles_file,
        &[
            ("head", RoleWord::Head),
            ("accredited", RoleWord::Accredited),
            ("modifier", RoleWord::Modifier),
            ("institution", RoleWord::Institution),
        ],
        false,
        problems,
    );
    let name_words = word_types(
        name_words_file,
        &[
            ("title", NameWord::Title),
            ("suffix", NameWord::Suffix),
            ("not_name", NameWord::NotName),
            ("date_before", NameWord::DateBefore),
            ("given", NameWord::Given),
        ],
        true,
        problems,
    );

    // Context rules.
    let mut rules = Vec::new();
    for (line, r) in rules_file.csv_records(&["alias", "country", "unless_context", "keep_context"], problems) {
        let alias = r[0].trim();
        let country = r[1].trim();
        match alias_index.get(alias) {
            Some(&a) if alias_origin[a].1 == country => {
                aliases[a].rule = Some(rules.len());
            }
            _ => {
                problems
                    .push(rules_file.problem(line, format!("`{alias}` is not an alias of `{country}` in actors.csv")));
                continue;
            }
        }
        let list = |f: &str| -> Vec<String> {
            f.split('|').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
        };
        let unless = list(&r[2]);
        if unless.is_empty() {
            problems.push(rules_file.problem(line, "unless_context is empty"));
        }
        match (Phrases::new(&unless), Phrases::new(&list(&r[3]))) {
            (Ok(unless), Ok(keep)) => rules.push(ContextRule { unless, keep }),
            (Err(e), _) | (_, Err(e)) => {
                problems.push(rules_file.problem(line, format!("cannot build the context matcher: {e}")));
            }
        }
    }

    // Mention rules.
    let mut mention_rules = Vec::new();
    let mut kind_rules: [Vec<u16>; 6] = Default::default();
    let mut paragraph_slots: FxHashMap<String, u16> = FxHashMap::default();
    for (line, r) in mention_rules_file.csv_records(MENTION_RULES_HEADER, problems) {
        let list = |f: &str| -> Vec<String> {
            f.split('|').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
        };
        let index = mention_rules.len() as u16;
        let name = r[0].trim();
        if name.is_empty() {
            problems.push(mention_rules_file.problem(line, "empty rule name"));
        }
        let mut kinds = 0u8;
        let mut listed = Vec::new();
        for target in list(&r[1]) {
            if let Some(kind) = target.strip_prefix("kind:") {
                match Kind::parse(kind).filter(|k| *k != Kind::Ignore) {
                    Some(k) => kinds |= 1 << k as u8,
                    None => {
                        problems.push(mention_rules_file.problem(
                            line,
                            format!("`{target}`: kind must be state, person, institution, place or bloc"),
                        ))
                    }
                }
            } else {
                match alias_index.get(target.as_str()) {
                    Some(&a) => listed.push(a),
                    None => problems
                        .push(mention_rules_file.problem(line, format!("`{target}` is not an alias in actors.csv"))),
                }
            }
        }
        if kinds == 0 && listed.is_empty() {
            problems.push(mention_rules_file.problem(line, "applies_to names no kind and no alias"));
        }
        let paragraph = list(&r[5]);
        let next_slot = paragraph_slots.len() as u16;
        let slot = *paragraph_slots.entry(MentionRule::paragraph_key(&paragraph)).or_insert(next_slot);
        let document_min = match r[8].trim() {
            "" => 0,
            n => match n.parse::<usize>() {
                Ok(n) if n > 0 => n,
                _ => {
                    problems.push(
                        mention_rules_file.problem(line, format!("document_min `{n}` is not a whole number above 0")),
                    );
                    continue;
                }
            },
        };
        match MentionRule::new(list(&r[2]), list(&r[3]), list(&r[4]), paragraph, list(&r[6]), list(&r[7]), document_min)
        {
            Ok(mut rule) => {
                rule.paragraph_slot = slot;
                for a in listed {
                    aliases[a].mention_rules.push(index);
                }
                for (k, rules) in kind_rules.iter_mut().enumerate() {
                    if kinds & (1 << k) != 0 {
                        rules.push(index);
                    }
                }
                mention_rules.push(rule);
            }
            Err(message) => problems.push(mention_rules_file.problem(line, message)),
        }
    }

    // Patterns: each alias as written; an alias starting with a lowercase letter ("the West")
    // also as capitalised, for sentence starts.
    let mut patterns: Vec<String> = Vec::with_capacity(aliases.len() * 2);
    let mut pattern_info = Vec::with_capacity(aliases.len() * 2);
    for (i, alias) in aliases.iter().enumerate() {
        let info = AliasInfo::of(i, alias, &actors);
        patterns.push(alias.text.clone());
        pattern_info.push(info);
        let mut chars = alias.text.chars();
        if let Some(first) = chars.next().filter(|c| c.is_lowercase()) {
            let cap: String = first.to_uppercase().chain(chars).collect();
            if !alias_index.contains_key(&cap) {
                patterns.push(cap);
                pattern_info.push(info);
            }
        }
    }
    let matcher = match PhraseMatcher::new(&patterns, false) {
        Ok(m) => m,
        Err(e) => {
            problems.push(actors_file.problem(0, format!("cannot build the alias matcher: {e}")));
            return None;
        }
    };
    let ids = actors.iter().enumerate().map(|(i, a)| (a.id.clone(), i as u32)).collect();
    Some(Lexicon {
        kinds: actors.iter().map(|a| a.kind).collect(),
        actors,
        countries,
        country_index,
        roles: RoleWords::new(roles),
        name_words,
        rules,
        mention_rules,
        kind_rules,
        ids,
        places: super::place::PlaceModel::parse(place_file, problems),
        aliases,
        patterns: pattern_info,
        matcher,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(countries: &str, actors: &str) -> Result<Lexicon, Vec<Problem>> {
        lex_with_rules(
            countries,
            actors,
            "rule,applies_to,before,after,sentence,paragraph,keep,document,document_min\n",
        )
    }

    fn lex_with_rules(countries: &str, actors: &str, rules: &str) -> Result<Lexicon, Vec<Problem>> {
        let f = |name: &str, text: &str| LexiconFile { name: name.into(), origin: name.into(), text: text.into() };
        let mut problems = Vec::new();
        let files = [
            f("countries.csv", countries),
            f("actors.csv", actors),
            f("roles.csv", "word,type\nspokesman,head\n"),
            f("disambiguation.csv", "alias,country,unless_context,keep_context\n"),
            f("mention_rules.csv", rules),
            f("name_words.csv", "word,type\nmr,title\njr,suffix\nmonday,not_name\n"),
            f("place_model.csv", "feature,weight\n"),
        ];
        let l = build(&files, &mut problems);
        match l {
            Some(l) if problems.is_empty() => Ok(l),
            _ => Err(problems),
        }
    }

    const C: &str = "code,name,kind,demonym\nRUS,Russia,state,Russian\nUSA,United States,state,American\n";
    const H: &str = "id,name,country,kind,aliases,valid_from,valid_to,role\n";

    #[test]
    fn the_shipped_lexicon_is_valid() {
        let problems = check_files(None);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn reports_each_problem_with_its_line() {
        let actors = format!(
            "{H}rus,Russia,RUS,state,Russia|Russian,,,\n\
             usa,USA,USA,state,Russia,,,\n\
             xx,X,XYZ,state,X,,,\n\
             p,P,RUS,person,P,2020-01-02,2019-01-01,\n\
             q,Q,RUS,person,Q,2020-13-01,,\n\
             r,R,RUS,person,R||S,,,\n\
             rus,Dup,RUS,state,Dup,,,\n\
             s,S,RUS,alien,S,,,\n"
        );
        let problems = lex(C, &actors).err().unwrap();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "actors.csv:3: alias `Russia` maps to `USA` here but to `RUS` on line 2",
                "actors.csv:4: unknown country code `XYZ` (not in countries.csv)",
                "actors.csv:5: valid_from 2020-01-02 is after valid_to 2019-01-01",
                "actors.csv:6: valid_from `2020-13-01` is not a date YYYY-MM-DD",
                "actors.csv:7: empty alias (doubled or trailing `|`)",
                "actors.csv:8: duplicate id `rus` (first on line 2)",
                "actors.csv:9: unknown kind `alien` (state, person, institution, place, bloc, ignore)",
            ]
        );
    }

    #[test]
    fn mention_rules_are_checked_with_their_line() {
        let actors = format!("{H}rus,Russia,RUS,state,Russia|Russian,,,\n");
        let rules = "rule,applies_to,before,after,sentence,paragraph,keep,document,document_min\n\
                     language,Russian,in,<punct>,,,,,\n\
                     sports,kind:state,,,,rugby,government,,\n\
                     bad-kind,kind:alien,in,,,,,,\n\
                     bad-alias,Russkiy,in,,,,,,\n\
                     no-condition,Russian,,,,,troops,,\n\
                     upper,Russian,In,,,,,,\n\
                     no-min,Russian,,,,,,rugby|scrum,\n\
                     min-too-big,Russian,,,,,,rugby|scrum,3\n\
                     min-not-a-number,Russian,,,,,,rugby,two\n";
        let problems = lex_with_rules(C, &actors, rules).err().unwrap();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "mention_rules.csv:4: `kind:alien`: kind must be state, person, institution, place or bloc",
                "mention_rules.csv:4: applies_to names no kind and no alias",
                "mention_rules.csv:5: `Russkiy` is not an alias in actors.csv",
                "mention_rules.csv:5: applies_to names no kind and no alias",
                "mention_rules.csv:6: a rule needs before, after, sentence, paragraph or document phrases",
                "mention_rules.csv:7: before/after phrase `In` must be lowercase (they match in any ASCII case)",
                "mention_rules.csv:8: document phrases and document_min (at least 1) go together",
                "mention_rules.csv:9: document_min 3 is more than the 2 document phrases",
                "mention_rules.csv:10: document_min `two` is not a whole number above 0",
            ]
        );
        let l =
            lex_with_rules(C, &actors, &rules.lines().take(3).map(|l| format!("{l}\n")).collect::<String>()).unwrap();
        assert_eq!(l.mention_rules.len(), 2);
        assert_eq!(l.kind_rules[Kind::State as usize], vec![1]);
        assert_eq!(l.aliases[1].mention_rules, vec![0]);
    }

    #[test]
    fn role_and_name_words_are_checked_with_their_line() {
        let f = |name: &str, text: &str| LexiconFile { name: name.into(), origin: name.into(), text: text.into() };
        let mut problems = Vec::new();
        let files = [
            f("countries.csv", C),
            f("actors.csv", &format!("{H}rus,Russia,RUS,state,Russia,,,\n")),
            // A final dot is allowed in roles ("sen."), not in name words.
            f("roles.csv", "word,type\nminister,head\nMinister,head\nsen.,head\nspy,villain\nminister,modifier\n"),
            f("disambiguation.csv", "alias,country,unless_context,keep_context\n"),
            f("mention_rules.csv", "rule,applies_to,before,after,sentence,paragraph,keep,document,document_min\n"),
            f("name_words.csv", "word,type\nmr,title\nMrs,title\ndr.,title\njr,nickname\nmr,suffix\nmay,not_name\n"),
            f("place_model.csv", "feature,weight\n"),
        ];
        assert!(build(&files, &mut problems).is_some());
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "roles.csv:3: word `Minister` must be one lowercase word of at most 32 bytes",
                "roles.csv:5: type `villain` must be head, accredited, modifier or institution",
                "roles.csv:6: duplicate word `minister`",
                "name_words.csv:3: word `Mrs` must be one lowercase word of at most 32 bytes, without a final dot",
                "name_words.csv:4: word `dr.` must be one lowercase word of at most 32 bytes, without a final dot",
                "name_words.csv:5: type `nickname` must be title, suffix, not_name, date_before or given",
                "name_words.csv:6: duplicate word `mr`",
            ]
        );
    }

    #[test]
    fn same_alias_same_country_is_fine_and_latest_role_first() {
        let actors = format!("{H}a,A,RUS,person,Anna,2010-01-01,2012-01-01,x\nb,A,RUS,person,Anna,2015-01-01,,y\n");
        let l = lex(C, &actors).unwrap();
        assert_eq!(l.aliases[0].actors, vec![1, 0]);
    }
}
