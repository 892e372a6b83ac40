//! The cue lexicon (`lexicons/stance_cues.csv`): phrases that signal stance, speech, negation
//! or emphasis, matched case-insensitively on word boundaries.

use crate::lexicon::{LexiconError, LexiconFile, Problem};
use crate::phrases::PhraseMatcher;
use std::ops::Range;
use std::path::Path;

const CUES: &str = include_str!("../../lexicons/stance_cues.csv");

/// What a cue does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueKind {
    /// An action or relation: its source is the grammatical agent ("X accused Y").
    Act,
    /// An evaluation: its source is the speaker whose words contain it, or the holder
    /// ("X expressed scepticism about Y").
    Eval,
    /// A speech verb: attributes the sentence to a speaker ("X said").
    Speech,
    /// Flips and dampens a following cue ("did not condemn").
    Negator,
    /// Strengthens a following cue ("deeply hostile").
    Booster,
    /// Flips the sign of a cue up to four words later ("lifted sanctions", "eased tariffs").
    Reverser,
}

/// One cue phrase.
#[derive(Debug, Clone)]
pub struct Cue {
    pub text: String,
    /// In [-1, 1]; 0 for speech, negators and boosters.
    pub score: f64,
    pub kind: CueKind,
}

/// A cue found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CueMatch {
    pub span: Range<usize>,
    pub cue: u32,
}

/// The compiled cue lexicon.
pub struct Cues {
    cues: Vec<Cue>,
    matcher: PhraseMatcher,
}

impl Cues {
    /// Loads `DIR/stance_cues.csv` (embedded copy when absent) and validates it.
    pub fn load(dir: Option<&Path>) -> Result<(Cues, LexiconFile), LexiconError> {
        let file = LexiconFile::read(dir, "stance_cues.csv", CUES).map_err(|p| LexiconError { problems: vec![p] })?;
        let mut problems = Vec::new();
        let cues = Cues::parse(&file, &mut problems);
        match cues {
            Some(c) if problems.is_empty() => Ok((c, file)),
            _ => Err(LexiconError { problems }),
        }
    }

    fn parse(file: &LexiconFile, problems: &mut Vec<Problem>) -> Option<Cues> {
        let mut cues: Vec<Cue> = Vec::new();
        let mut seen = rustc_hash::FxHashMap::default();
        for (line, r) in file.csv_records(&["cue", "score", "kind"], problems) {
            let kind =
                match r[2].trim() {
                    "act" => CueKind::Act,
                    "eval" => CueKind::Eval,
                    "speech" => CueKind::Speech,
                    "negator" => CueKind::Negator,
                    "booster" => CueKind::Booster,
                    "reverser" => CueKind::Reverser,
                    k => {
                        problems.push(file.problem(
                            line,
                            format!("kind `{k}` must be act, eval, speech, negator, booster or reverser"),
                        ));
                        continue;
                    }
                };
            let score: f64 = match r[1].trim().parse() {
                Ok(s) if (-1.0..=1.0).contains(&s) => s,
                _ => {
                    problems.push(file.problem(line, format!("score `{}` must be a number in [-1, 1]", r[1].trim())));
                    continue;
                }
            };
            if matches!(kind, CueKind::Act | CueKind::Eval) && score == 0.0 {
                problems.push(file.problem(line, "act and eval cues need a non-zero score"));
            }
            for phrase in r[0].split('|') {
                let phrase = phrase.trim();
                if phrase.is_empty() {
                    problems.push(file.problem(line, "empty cue phrase"));
                    continue;
                }
                if phrase.bytes().any(|b| b.is_ascii_uppercase()) {
                    problems.push(file.problem(line, format!("cue `{phrase}` must be lowercase")));
                    continue;
                }
                if let Some(first) = seen.insert(phrase.to_string(), line) {
                    problems.push(file.problem(line, format!("cue `{phrase}` is already on line {first}")));
                    continue;
                }
                cues.push(Cue { text: phrase.to_string(), score, kind });
                // News mixes straight and curly apostrophes ("didn't", "didn’t").
                if phrase.contains('\'') {
                    cues.push(Cue { text: phrase.replace('\'', "’"), score, kind });
                }
            }
        }
        let matcher = PhraseMatcher::new(cues.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), true);
        match matcher {
            Ok(matcher) => Some(Cues { cues, matcher }),
            Err(e) => {
                problems.push(file.problem(0, format!("cannot build the cue matcher: {e}")));
                None
            }
        }
    }

    pub fn cue(&self, i: u32) -> &Cue {
        &self.cues[i as usize]
    }

    /// Appends the cues found in `text[range]` (absolute spans) to `out`, on word boundaries.
    pub fn find(&self, text: &str, range: Range<usize>, out: &mut Vec<CueMatch>) {
        let mut pos = range.start;
        while let Some(m) = self.matcher.next(text, pos, range.end) {
            out.push(CueMatch { span: m.start()..m.end(), cue: m.pattern().as_u32() });
            pos = m.end();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cues() -> Cues {
        Cues::load(None).unwrap().0
    }

    #[test]
    fn shipped_cues_are_valid() {
        let c = cues();
        assert!(c.cues.len() > 200);
    }

    #[test]
    fn finds_cues_on_word_boundaries_case_insensitively() {
        let c = cues();
        let text = "Kirby Pushed back on a hostile, unfriendly reaction; it didn't condemn. Thanksgiving.";
        let mut out = Vec::new();
        c.find(text, 0..text.len(), &mut out);
        let found: Vec<&str> = out.iter().map(|m| &text[m.span.clone()]).collect();
        assert_eq!(found, ["Pushed back", "hostile", "unfriendly", "didn't", "condemn"]);
    }

    #[test]
    fn bad_rows_are_reported_with_lines() {
        let file = LexiconFile {
            name: "stance_cues.csv".into(),
            origin: "c.csv".into(),
            text: "cue,score,kind\nhostile,-2,eval\nfoo,0.5,verb\nBar,0.5,act\nok,0.5,act\nok,0.4,act\n".into(),
        };
        let mut problems = Vec::new();
        Cues::parse(&file, &mut problems);
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "c.csv:2: score `-2` must be a number in [-1, 1]",
                "c.csv:3: kind `verb` must be act, eval, speech, negator, booster or reverser",
                "c.csv:4: cue `Bar` must be lowercase",
                "c.csv:6: cue `ok` is already on line 5",
            ]
        );
    }
}
