//! CAMEO verb classes and agent nouns from PETRARCH2's dictionaries (`lexicons/eventdata/`, MIT,
//! Open Event Data Alliance), read as data.
//!
//! - `CAMEO.2.0.txt`: verb synonym sets with CAMEO event codes. A verb line is `VERB [code]`
//!   or `VERB {FORM FORM ...}` under a block header `---  NAME  [code]  ---`; a verb without its
//!   own code takes the block's (`[---]` is none). Patterns (`- ...`), comments (`#`) and
//!   continuation lines (`+...`) are skipped: the stance model needs the verb's class, not the
//!   TABARI phrase grammar.
//! - `Phoenix.agents.txt`: agent nouns with their codes (`PROTESTER [~OPP]`); a noun whose codes
//!   are all state agents (government, military, police, judiciary, legislature, intelligence)
//!   is a state agent, one with a non-state code (rebels, opposition, civilians, business,
//!   criminals, media, ...) is not.
//!
//! Inflections are generated from the base form by the regular English rules (the dictionary
//! lists irregular forms itself), so "condemned", "accuses" and "praising" find their verbs.

use rustc_hash::FxHashMap;

use crate::lexicon::{LexiconFile, Problem};

const CAMEO: &str = include_str!("../../lexicons/eventdata/CAMEO.2.0.txt");
const AGENTS: &str = include_str!("../../lexicons/eventdata/Phoenix.agents.txt");

/// The four QuadClasses of CAMEO roots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quad {
    VerbalCooperation,
    MaterialCooperation,
    VerbalConflict,
    MaterialConflict,
}

impl Quad {
    /// QuadClass of a CAMEO code's root (its first two digits).
    pub fn of_root(root: u8) -> Option<Quad> {
        match root {
            1..=5 => Some(Quad::VerbalCooperation),
            6..=8 => Some(Quad::MaterialCooperation),
            9..=13 => Some(Quad::VerbalConflict),
            14..=20 => Some(Quad::MaterialConflict),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Quad::VerbalCooperation => "verbal-coop",
            Quad::MaterialCooperation => "material-coop",
            Quad::VerbalConflict => "verbal-conflict",
            Quad::MaterialConflict => "material-conflict",
        }
    }
}

/// A verb's CAMEO class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerbClass {
    /// The CAMEO code as written, as a number (`111` for `[111]`, `0311` → 311), and its root.
    pub code: u16,
    pub root: u8,
}

impl VerbClass {
    pub fn quad(self) -> Option<Quad> {
        Quad::of_root(self.root)
    }
}

/// Whether an agent noun names the state or someone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentKind {
    State,
    NonState,
}

/// The loaded dictionaries.
#[derive(Debug, Clone, Default)]
pub struct EventData {
    verbs: FxHashMap<String, VerbClass>,
    agents: FxHashMap<String, AgentKind>,
}

const STATE_AGENTS: &[&str] = &["GOV", "MIL", "COP", "JUD", "LEG", "SPY", "PTY"];

impl EventData {
    /// Loads both files from `dir/eventdata/` when there, else the embedded copies.
    pub fn load(dir: Option<&std::path::Path>) -> Result<(EventData, Vec<LexiconFile>), Problem> {
        let cameo = LexiconFile::read(dir, "eventdata/CAMEO.2.0.txt", CAMEO)?;
        let agents = LexiconFile::read(dir, "eventdata/Phoenix.agents.txt", AGENTS)?;
        let data = EventData::parse(&cameo, &agents)?;
        Ok((data, vec![cameo, agents]))
    }

    pub fn parse(cameo: &LexiconFile, agents: &LexiconFile) -> Result<EventData, Problem> {
        let mut verbs = FxHashMap::default();
        let mut block: Option<VerbClass> = None;
        for (i, raw) in cameo.text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() || line.starts_with('-') && !line.starts_with("---") || line.starts_with('+') {
                continue;
            }
            if let Some(h) = line.strip_prefix("---") {
                let code = h.split('[').nth(1).and_then(|c| c.split(']').next());
                block = match code {
                    Some(c) => parse_code(c).map_err(|m| cameo.problem(i as u64 + 1, m))?,
                    None => return Err(cameo.problem(i as u64 + 1, "block header without [code]")),
                };
                continue;
            }
            // VERB [code] or VERB {FORMS} [code]
            let (head, code) = match line.find('[') {
                Some(k) => {
                    let c = line[k + 1..].split(']').next().unwrap_or("");
                    (&line[..k], parse_code(c).map_err(|m| cameo.problem(i as u64 + 1, m))?)
                }
                None => (line, None),
            };
            let Some(class) = code.or(block) else { continue };
            let (base, forms) = match head.find('{') {
                Some(k) => (&head[..k], head[k + 1..].split('}').next().unwrap_or("")),
                None => (head, ""),
            };
            let base = base.trim();
            if base.is_empty() || base.contains(' ') {
                continue;
            }
            let base = base.to_lowercase().replace('_', " ");
            for f in forms.split_whitespace().map(|f| f.to_lowercase().replace('_', " ")) {
                verbs.entry(f).or_insert(class);
            }
            if !base.contains(' ') {
                for f in inflections(&base) {
                    verbs.entry(f).or_insert(class);
                }
            }
            verbs.entry(base).or_insert(class);
        }
        let mut exact: FxHashMap<String, AgentKind> = FxHashMap::default();
        let mut heads: Vec<(String, AgentKind)> = Vec::new();
        for (i, raw) in agents.text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() || line.starts_with('!') {
                continue;
            }
            let Some(k) = line.find('[') else { continue };
            // `POLICE {}` and `POLICE!PERSON!` (a macro for man/woman/...): the noun itself.
            let word = line[..k].split(['{', '!']).next().unwrap_or("").trim();
            if word.is_empty() {
                continue;
            }
            let codes = line[k + 1..].split(']').next().unwrap_or("");
            // Codes are `~CODE`, or `CODE~` for a prefix agent (`IGO~`).
            let code = match (codes.strip_prefix('~'), codes.strip_suffix('~')) {
                (Some(c), _) | (None, Some(c)) => c,
                _ => return Err(agents.problem(i as u64 + 1, format!("agent code `{codes}` has no ~"))),
            };
            let state = STATE_AGENTS.iter().any(|s| code.starts_with(s));
            let kind = if state { AgentKind::State } else { AgentKind::NonState };
            let word = word.to_lowercase().replace('_', " ");
            // A noun's own entries decide its kind (non-state when any is); the head noun of a
            // longer entry ("armed rebel" → "rebel") only fills in nouns with no entry.
            for w in [plural(&word), word.clone()] {
                let e = exact.entry(w).or_insert(kind);
                if kind == AgentKind::NonState {
                    *e = AgentKind::NonState;
                }
            }
            if let Some(head) = word.rsplit_once(' ').map(|(_, h)| h.to_string()) {
                heads.push((plural(&head), kind));
                heads.push((head, kind));
            }
        }
        let mut agents_map = exact;
        for (w, kind) in heads {
            agents_map.entry(w).or_insert(kind);
        }
        Ok(EventData { verbs, agents: agents_map })
    }

    /// The CAMEO class of a word (any case), if it is a dictionary verb or one of its forms.
    pub fn verb(&self, word: &str) -> Option<VerbClass> {
        if word.bytes().all(|b| !b.is_ascii_uppercase()) {
            self.verbs.get(word).copied()
        } else {
            self.verbs.get(&word.to_ascii_lowercase()).copied()
        }
    }

    /// Whether a noun (any case) is an agent noun, and of which kind.
    pub fn agent(&self, word: &str) -> Option<AgentKind> {
        self.agents.get(&word.to_ascii_lowercase()).copied()
    }

    pub fn verbs(&self) -> usize {
        self.verbs.len()
    }
}

fn parse_code(c: &str) -> Result<Option<VerbClass>, String> {
    let c = c.trim();
    if c == "---" || c.is_empty() {
        return Ok(None);
    }
    // Some codes are `a:b` (variants): the first one given is the event's (`[:110]` → 110).
    let Some(c) = c.split(':').map(str::trim).find(|p| !p.is_empty() && *p != "---") else {
        return Ok(None);
    };
    let digits: String = c.chars().take_while(|ch| ch.is_ascii_digit()).collect();
    if digits.len() < 2 {
        return Err(format!("CAMEO code `{c}` is not two to four digits"));
    }
    let root: u8 = digits[..2].parse().map_err(|_| format!("bad CAMEO code `{c}`"))?;
    let code: u16 = digits.parse().map_err(|_| format!("bad CAMEO code `{c}`"))?;
    Ok(Some(VerbClass { code, root }))
}

fn plural(w: &str) -> String {
    if w.ends_with('s') || w.ends_with('x') || w.ends_with("ch") || w.ends_with("sh") {
        format!("{w}es")
    } else if w.ends_with('y') && !w.ends_with("ey") && !w.ends_with("ay") && !w.ends_with("oy") {
        format!("{}ies", &w[..w.len() - 1])
    } else if let Some(stem) = w.strip_suffix("man") {
        format!("{stem}men")
    } else {
        format!("{w}s")
    }
}

/// Regular inflections of a base verb: -s, -ed, -ing.
fn inflections(base: &str) -> Vec<String> {
    let mut out = vec![plural(base)];
    if let Some(stem) = base.strip_suffix('e') {
        out.push(format!("{base}d"));
        out.push(format!("{stem}ing"));
    } else if let Some(stem) = base.strip_suffix('y').filter(|s| !s.ends_with(['a', 'e', 'o', 'u'])) {
        out.push(format!("{stem}ied"));
        out.push(format!("{base}ing"));
    } else {
        out.push(format!("{base}ed"));
        out.push(format!("{base}ing"));
        // A final consonant after one vowel is doubled in short verbs ("ban" → "banned").
        let b = base.as_bytes();
        let n = b.len();
        let vowel = |c: u8| b"aeiou".contains(&c);
        if (3..=5).contains(&n)
            && !vowel(b[n - 1])
            && vowel(b[n - 2])
            && !vowel(b[n - 3])
            && !b"wxy".contains(&b[n - 1])
        {
            let last = b[n - 1] as char;
            out.push(format!("{base}{last}ed"));
            out.push(format!("{base}{last}ing"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> EventData {
        EventData::load(None).unwrap().0
    }

    #[test]
    fn verbs_get_their_cameo_class_and_quad() {
        let e = shipped();
        let accuse = e.verb("accused").expect("accused");
        assert_eq!(accuse.root, 11);
        assert_eq!(accuse.quad(), Some(Quad::VerbalConflict));
        assert_eq!(e.verb("Condemns").map(|v| v.code), Some(111));
        assert_eq!(e.verb("praised").and_then(|v| v.quad()), Some(Quad::VerbalCooperation));
        assert!(e.verb("banned").is_some(), "doubling: ban → banned");
        assert!(e.verb("zzzz").is_none());
        assert!(e.verbs() > 2000, "{}", e.verbs());
    }

    #[test]
    fn agent_nouns_split_state_from_non_state() {
        let e = shipped();
        assert_eq!(e.agent("separatists"), Some(AgentKind::NonState));
        assert_eq!(e.agent("rebels"), Some(AgentKind::NonState));
        assert_eq!(e.agent("protesters"), Some(AgentKind::NonState));
        assert_eq!(e.agent("police"), Some(AgentKind::State));
        assert_eq!(e.agent("troops"), Some(AgentKind::State));
    }

    #[test]
    fn bad_lines_name_their_line() {
        let cameo = LexiconFile { name: "c".into(), origin: "c".into(), text: "---  X  [zz]  ---\n".into() };
        let agents = LexiconFile { name: "a".into(), origin: "a".into(), text: String::new() };
        assert_eq!(EventData::parse(&cameo, &agents).unwrap_err().line, 1);
        let cameo = LexiconFile { name: "c".into(), origin: "c".into(), text: String::new() };
        let agents = LexiconFile { name: "a".into(), origin: "a".into(), text: "\nREBEL [REB]\n".into() };
        assert_eq!(EventData::parse(&cameo, &agents).unwrap_err().line, 2);
    }
}
