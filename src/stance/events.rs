//! Directed stance events: who says or does what toward whom, sentence by sentence.
//!
//! The rules are shallow grammar over actor mentions and cue phrases, chosen to be explainable
//! (`explain` prints the rule that chose each source):
//! - Participants: adjacent mentions of one country joined only by role words ("Kremlin
//!   spokesman Dmitry Peskov") form one participant, represented by the person if there is one.
//! - Speaker: a speech cue with a participant just before ("Peskov said", "Kirby, the White House
//!   spokesman, told") or, after a comma or quote, just after ("..., said Kremlin spokesman Dmitry
//!   Peskov", "according to a Kremlin list"), or a pronoun ("he said") meaning the last person
//!   named. A quotation spanning several sentences takes the speaker of the sentence where it
//!   closes; a later quotation in the same paragraph without attribution keeps that speaker.
//! - Clauses: a sentence is cut at `;`, "but", ", which", ", while", ", as", "whereas",
//!   "however", "although", after "said"/"warned" + "that", and where reported words begin.
//! - Source of a cue, in order: an agent introduced by "by"/"from" right after the cue
//!   ("criticised by the EU", "criticism from Brussels"); a participant right before it (at most
//!   two words apart, role words aside: "Minsk rejected", "Western sanctions", "India's claims");
//!   the previous cue's source when the cue continues a coordination ("praised A and thanked B");
//!   the speaker, for an evaluation in their words; the clause's first participant (with those
//!   coordinated with it: "Beijing and Moscow"); the speaker or the last person named ("he").
//! - Targets: the first participant after the cue (and those coordinated with it), up to the
//!   next cue; for coordinated sources with no object, each other ("Beijing and Moscow signed
//!   agreements"); else whoever last acted toward the source in this paragraph (a reply: "a
//!   charge Minsk rejected"); else the nearest participant before the cue.
//! - Accusations: a negative act that a speaker attributes to someone else ("Ukrainian officials
//!   said Russian forces had staged the attack") is the speaker's stance toward that agent, not
//!   an event of its own; an act named as the object of an accusation ("accused Y of shelling")
//!   is not an event either.
//! - Thanks and praise *for* something ("thanked Japan for donating a vessel") also record the
//!   thanked party's act toward the source, at half the score.
//! - Score: the cue's score, ×1.25 after a booster ("deeply"); a negator right before the cue
//!   cancels a negative cue ("did not condemn": no event) and turns a positive one negative at
//!   ×0.75 ("no longer supports"); a reverser up to four words before flips the sign ("lifted
//!   sanctions"). One event per source and target per sentence: scores summed and clipped to
//!   [−1, 1], cues listed.

use super::cues::{CueKind, CueMatch, Cues};
use crate::actors::{ActorRef, DocActors, Kind, Lexicon, Mention};
use crate::document::Paragraph;
use crate::text;
use std::ops::Range;

/// How the source of an event was found, for `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceRule {
    /// The agent after "by"/"from" ("criticised by X").
    Agent,
    /// The participant right before the cue ("Minsk rejected", "India's claims").
    Adjacent,
    /// The first participant of the clause.
    Subject,
    /// The speaker of the words containing the cue.
    Speaker,
    /// "he"/"she": the last person named.
    Pronoun,
    /// Coordinated participants acting together toward each other.
    Mutual,
    /// The speaker accusing someone of a hostile act.
    Accusation,
    /// The party thanked or praised for an act toward the source.
    ThankedFor,
    /// Decided by the stance pair model (see `stance::model`).
    Model,
}

impl SourceRule {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceRule::Agent => "agent (by/from)",
            SourceRule::Adjacent => "adjacent agent",
            SourceRule::Subject => "clause subject",
            SourceRule::Speaker => "speaker",
            SourceRule::Pronoun => "pronoun (last person named)",
            SourceRule::Mutual => "mutual",
            SourceRule::Accusation => "speaker accuses",
            SourceRule::ThankedFor => "thanked for",
            SourceRule::Model => "model",
        }
    }
}

/// One directed stance event.
#[derive(Debug, Clone, PartialEq)]
pub struct StanceEvent {
    /// 0-based paragraph index.
    pub paragraph: u32,
    /// 0-based sentence index within the paragraph.
    pub sentence: u32,
    pub source: ActorRef,
    pub target: ActorRef,
    /// In [-1, 1]: negative hostile/critical, positive supportive/cooperative.
    pub score: f64,
    /// The cue phrases that fired, as written in the text, `; `-separated.
    pub cues: String,
    pub rule: SourceRule,
}

#[derive(Debug, Clone)]
struct Participant {
    span: Range<usize>,
    actor: ActorRef,
    person: bool,
}

#[derive(Debug, Clone)]
struct Speaker {
    actor: ActorRef,
    /// The participant index that names the speaker in this sentence (not a target).
    participant: Option<usize>,
    /// The reported words: cues here belong to the speaker.
    content: Range<usize>,
    /// Whether the reported words form their own clause (a "that"-clause, a quotation, or a
    /// subject right after the verb), rather than the verb's object ("announced sanctions").
    content_is_clause: bool,
    pronoun: bool,
}

const CLAUSE_BREAKS: &[&str] = &[
    ";",
    " but ",
    ", which ",
    ", while ",
    " while ",
    " whereas ",
    ", however",
    "However,",
    " although ",
    ", who ",
    " even as ",
    ", as ",
];

const COORDINATORS: &[&str] = &["and", "but", "also", "then", "later", "before", "after"];

struct SentenceInfo {
    span: Range<usize>,
    participants: Vec<Participant>,
    cues: Vec<CueMatch>,
    speaker: Option<Speaker>,
}

/// Finds the stance events of a document.
pub fn events(
    cues: &Cues,
    lexicon: &Lexicon,
    text: &str,
    paragraphs: &[Paragraph],
    actors: &DocActors,
) -> Vec<StanceEvent> {
    let mut out = Vec::new();
    let mut last_person: Option<ActorRef> = None;
    let mut cue_buf = Vec::new();
    let mut m = 0; // cursor into actors.mentions (sorted by span)
    for (p, para) in paragraphs.iter().enumerate() {
        let mut sentences: Vec<SentenceInfo> = Vec::with_capacity(para.sentences.len());
        for sent in &para.sentences {
            while m < actors.mentions.len() && actors.mentions[m].span.start < sent.start {
                m += 1;
            }
            let mut k = m;
            while k < actors.mentions.len() && actors.mentions[k].span.end <= sent.end {
                k += 1;
            }
            let participants = participants(lexicon, text, actors, &actors.mentions[m..k]);
            cue_buf.clear();
            // A sentence without actors has neither sources nor targets: most sentences of a
            // night's news are skipped here, before any cue matching.
            if !participants.is_empty() {
                cues.find(text, sent.clone(), &mut cue_buf);
                cue_buf.retain(|c| !participants.iter().any(|p| overlaps(&p.span, &c.span)));
            }
            let speaker = speaker(cues, lexicon, text, sent.clone(), &participants, &cue_buf, last_person);
            if let Some(last) = participants.iter().rev().find(|p| p.person) {
                last_person = Some(last.actor);
            }
            sentences.push(SentenceInfo { span: sent.clone(), participants, cues: cue_buf.clone(), speaker });
        }
        inherit_quote_speakers(text, &mut sentences);
        let para_start = out.len();
        for (s, info) in sentences.iter().enumerate() {
            let ctx = Ctx { cues, lexicon, text, actors, info, at: (p as u32, s as u32), para_start };
            ctx.sentence_events(&mut out);
        }
    }
    out
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// Groups adjacent mentions of one country joined only by role words, commas, "the" and
/// possessives into participants.
fn participants(lexicon: &Lexicon, text: &str, actors: &DocActors, mentions: &[Mention]) -> Vec<Participant> {
    let mut out: Vec<Participant> = Vec::new();
    for m in mentions {
        let actor = actors.actor(lexicon, m.actor);
        let person = actor.kind == Kind::Person;
        if let Some(last) = out.last_mut() {
            let last_country = &actors.actor(lexicon, last.actor).country;
            if *last_country == actor.country && only_role_words(lexicon, text, last.span.end..m.span.start) {
                last.span.end = m.span.end;
                if person && !last.person {
                    last.actor = m.actor;
                    last.person = true;
                }
                continue;
            }
        }
        out.push(Participant { span: m.span.clone(), actor: m.actor, person });
    }
    out
}

fn only_role_words(lexicon: &Lexicon, text: &str, gap: Range<usize>) -> bool {
    if gap.start > gap.end {
        return false;
    }
    text::tokens(text, gap).take(10).enumerate().all(|(i, t)| {
        let w = &text[t.span.clone()];
        i < 9
            && (lexicon.role_word(w).is_some()
                || matches!(w, "," | "the" | "'s" | "’s" | "'" | "’" | "s" | "of")
                || (t.is_word() && text::is_capitalized(w)))
    })
}

/// Words of `text[range]`, skipping role words ("officials", "spokesman") when asked.
fn words_between(lexicon: &Lexicon, text: &str, range: Range<usize>, skip_roles: bool) -> Option<usize> {
    if range.start > range.end {
        return None;
    }
    let mut n = 0;
    for t in text::tokens(text, range) {
        let w = &text[t.span.clone()];
        if t.is_word() {
            if skip_roles && (lexicon.role_word(w).is_some() || matches!(w, "of" | "s")) {
                continue;
            }
            n += 1;
        } else if !matches!(w, "'" | "’") {
            return None; // punctuation breaks adjacency
        }
    }
    Some(n)
}

/// The number of words in `text[range]`, counted up to `cap`: `min(words, cap)`. The rules only
/// ask whether a gap holds at most a few words, and the gaps they ask about can run to the
/// start of a long clause; counting stops once the answer is known (the whole count tokenized
/// every gap to its end, a fifth of the stage's instructions).
fn words_up_to(text: &str, range: Range<usize>, cap: usize) -> usize {
    if range.start >= range.end {
        return 0;
    }
    text::tokens(text, range).filter(|t| t.is_word()).take(cap).count()
}

fn last_word(text: &str, range: Range<usize>) -> Option<&str> {
    if range.start >= range.end {
        return None;
    }
    text::tokens(text, range).filter(|t| t.is_word()).last().map(|t| &text[t.span])
}

/// Whether `text[range]` holds only words and commas (no sentence punctuation, quotes or cues),
/// at most `max` words: the gap allowed between a speaker and its speech verb.
fn attribution_gap(lexicon: &Lexicon, text: &str, range: Range<usize>, max: usize) -> bool {
    if range.start > range.end {
        return false;
    }
    let mut words = 0;
    for t in text::tokens(text, range) {
        let w = &text[t.span.clone()];
        if t.is_word() {
            words += 1;
            let known = lexicon.role_word(w).is_some()
                || text::is_capitalized(w)
                || matches!(
                    w,
                    "also"
                        | "has"
                        | "have"
                        | "had"
                        | "the"
                        | "a"
                        | "on"
                        | "in"
                        | "late"
                        | "earlier"
                        | "later"
                        | "then"
                        | "further"
                        | "previously"
                        | "recently"
                        | "s"
                        | "of"
                );
            if !known || words > max {
                return false;
            }
        } else if !matches!(w, "," | "'" | "’") {
            return false;
        }
    }
    true
}

fn speaker(
    cues: &Cues,
    lexicon: &Lexicon,
    text: &str,
    sent: Range<usize>,
    participants: &[Participant],
    found: &[CueMatch],
    last_person: Option<ActorRef>,
) -> Option<Speaker> {
    for c in found.iter().filter(|c| cues.cue(c.cue).kind == CueKind::Speech) {
        let verb = &text[c.span.clone()];
        // "X (role...) said": the nearest participant before.
        if let Some((i, p)) = participants.iter().enumerate().rev().find(|(_, p)| p.span.end <= c.span.start) {
            if attribution_gap(lexicon, text, p.span.end..c.span.start, 8) {
                let (content_start, content_is_clause) = reported_words(text, c.span.end, sent.end, participants);
                return Some(Speaker {
                    actor: p.actor,
                    participant: Some(i),
                    content: content_start..sent.end,
                    content_is_clause,
                    pronoun: false,
                });
            }
        }
        // "he said" / "she added".
        let before = text[sent.start..c.span.start].trim_end();
        // The last word is only looked for when it can be "he" or "she" (both end in "he"), as
        // it takes tokenizing the sentence up to the verb.
        let pronoun_end = before.ends_with("he") || before.ends_with("He");
        let last = if pronoun_end && last_person.is_some() { last_word(text, sent.start..c.span.start) } else { None };
        if let (Some(w), Some(person)) = (last, last_person) {
            if matches!(w, "he" | "she" | "He" | "She") && before.ends_with(w) {
                let (content, content_is_clause) = if before.len() > w.len() + 2 {
                    (sent.start..c.span.start, true)
                } else {
                    let (start, is_clause) = reported_words(text, c.span.end, sent.end, participants);
                    (start..sent.end, is_clause)
                };
                return Some(Speaker { actor: person, participant: None, content, content_is_clause, pronoun: true });
            }
        }
        // ", said X" / "” said X" / "according to X": the words come first.
        let forward = verb.eq_ignore_ascii_case("according to")
            || (!verb.ends_with("ing") && before.ends_with([',', '”', '"', '’']));
        if forward {
            if let Some((i, p)) = participants.iter().enumerate().find(|(_, p)| p.span.start >= c.span.end) {
                if attribution_gap(lexicon, text, c.span.end..p.span.start, 6) {
                    return Some(Speaker {
                        actor: p.actor,
                        participant: Some(i),
                        content: sent.start..c.span.start,
                        content_is_clause: true,
                        pronoun: false,
                    });
                }
            }
        }
    }
    None
}

/// After a speech verb, the reported words start after an optional "that"; they form their own
/// clause when introduced by "that", a quotation, a pronoun or an actor.
fn reported_words(text: &str, from: usize, end: usize, participants: &[Participant]) -> (usize, bool) {
    let rest = &text[from..end];
    let trimmed = rest.trim_start();
    if let Some(r) = trimmed.strip_prefix("that ") {
        return (end - r.len(), true);
    }
    let start = end - trimmed.len();
    let first = text::tokens(text, start..end).next();
    let is_clause = match first {
        Some(t) if !t.is_word() => matches!(&text[t.span.clone()], "“" | "\"" | ":"),
        Some(t) => {
            let w = &text[t.span.clone()];
            matches!(w, "he" | "she" | "it" | "they" | "we" | "I" | "the")
                || participants.iter().any(|p| p.span.start == t.span.start)
        }
        None => false,
    };
    (from, is_clause)
}

/// Quotation attribution across sentences of one paragraph: sentences inside a quotation
/// without a speaker take the speaker of the sentence where it closes ("“... hostile nature. The
/// coverage ... exception,” Peskov said."); a later quotation without attribution keeps the
/// paragraph's last quoted speaker (“...,” Safadi said. “Tehran must stop ...”).
fn inherit_quote_speakers(text: &str, sentences: &mut [SentenceInfo]) {
    let mut open_since: Option<usize> = None;
    let mut last_quote_speaker: Option<Speaker> = None;
    for i in 0..sentences.len() {
        let s = &text[sentences[i].span.clone()];
        let mut inside = open_since.is_some();
        let mut closed_here = false;
        let mut has_quote = inside;
        // Quotation marks are `"` and the three-byte “ ”: jump between candidate bytes.
        let b = s.as_bytes();
        for at in memchr::memchr2_iter(b'"', 0xE2, b) {
            match (b[at], b.get(at + 1..at + 3)) {
                (b'"', _) => {
                    closed_here |= inside;
                    inside = !inside;
                    has_quote = true;
                }
                (_, Some([0x80, 0x9C])) => {
                    inside = true;
                    has_quote = true;
                }
                (_, Some([0x80, 0x9D])) => {
                    closed_here |= inside;
                    inside = false;
                    has_quote = true;
                }
                _ => {}
            }
        }
        if open_since.is_none() && inside {
            open_since = Some(i);
        }
        if let Some(start) = open_since {
            if closed_here && !inside {
                let sp = sentences[i].speaker.clone().or_else(|| last_quote_speaker.clone());
                if let Some(sp) = sp {
                    for s in &mut sentences[start..=i] {
                        if s.speaker.is_none() {
                            s.speaker = Some(Speaker {
                                actor: sp.actor,
                                participant: None,
                                content: s.span.clone(),
                                content_is_clause: true,
                                pronoun: sp.pronoun,
                            });
                        }
                    }
                }
                open_since = None;
            }
        } else if has_quote && sentences[i].speaker.is_none() {
            if let Some(sp) = &last_quote_speaker {
                let span = sentences[i].span.clone();
                sentences[i].speaker = Some(Speaker {
                    actor: sp.actor,
                    participant: None,
                    content: span,
                    content_is_clause: true,
                    pronoun: sp.pronoun,
                });
            }
        }
        if has_quote {
            if let Some(sp) = &sentences[i].speaker {
                last_quote_speaker = Some(sp.clone());
            }
        }
    }
}

/// Everything one sentence's rules need.
struct Ctx<'a> {
    cues: &'a Cues,
    lexicon: &'a Lexicon,
    text: &'a str,
    actors: &'a DocActors,
    info: &'a SentenceInfo,
    at: (u32, u32),
    /// Index in the output of the paragraph's first event (for replies).
    para_start: usize,
}

impl Ctx<'_> {
    fn country(&self, r: ActorRef) -> &str {
        self.actors.actor(self.lexicon, r).country.as_str()
    }

    /// Where the sentence's clause breaks are: (start, end) of each break phrase. Computed once
    /// per sentence with stance cues.
    /// Every occurrence of every [`CLAUSE_BREAKS`] phrase in the sentence, overlaps included,
    /// found in one pass.
    fn clause_breaks(&self) -> Vec<(usize, usize)> {
        static BREAKS: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> = std::sync::OnceLock::new();
        let sent = &self.info.span;
        let s = &self.text[sent.clone()];
        let Some(ac) = BREAKS.get_or_init(|| aho_corasick::AhoCorasick::new(CLAUSE_BREAKS).ok()) else {
            return Vec::new();
        };
        ac.find_overlapping_iter(s).map(|m| (sent.start + m.start(), sent.start + m.end())).collect()
    }

    fn clause_of(&self, at: usize, breaks: &[(usize, usize)]) -> Range<usize> {
        let sent = &self.info.span;
        let mut start = sent.start;
        let mut end = sent.end;
        for &(b_start, b_end) in breaks {
            if b_end <= at {
                start = start.max(b_end);
            } else if b_start >= at {
                end = end.min(b_start);
            }
        }
        // A cue or speech verb followed by "that" opens its own clause: "X warned that China ...".
        for c in &self.info.cues {
            let rest = &self.text[c.span.end..sent.end];
            if let Some(after) = rest.trim_start().strip_prefix("that ") {
                let pos = sent.end - after.len();
                if pos <= at {
                    start = start.max(pos);
                }
            }
        }
        if let Some(sp) = &self.info.speaker {
            if sp.content_is_clause && sp.content.start > sent.start && sp.content.start <= at {
                start = start.max(sp.content.start);
            }
        }
        start..end.max(start)
    }

    fn sentence_events(&self, out: &mut Vec<StanceEvent>) {
        let info = self.info;
        let text = self.text;
        let first_event = out.len();
        let stance_cues: Vec<&CueMatch> =
            info.cues.iter().filter(|c| matches!(self.cues.cue(c.cue).kind, CueKind::Act | CueKind::Eval)).collect();
        if stance_cues.is_empty() {
            return;
        }
        let breaks = self.clause_breaks();
        // A speaker whose verb takes an object ("Canberra announced sanctions") is an agent
        // like any other: only reported clauses belong to the speaker.
        let speaker_participant = info.speaker.as_ref().filter(|s| s.content_is_clause).and_then(|s| s.participant);
        let candidates: Vec<(usize, &Participant)> =
            info.participants.iter().enumerate().filter(|(i, _)| Some(*i) != speaker_participant).collect();
        let mut previous_sources: Vec<ActorRef> = Vec::new();
        let mut previous_negative_end: Option<usize> = None;
        for (ci, c) in stance_cues.iter().enumerate() {
            let cue = self.cues.cue(c.cue);
            let clause = self.clause_of(c.span.start, &breaks);
            // The objects of a cue run to the next cue, unless that one follows at once
            // ("brushed aside criticism from the EU").
            let scope_end = match stance_cues.get(ci + 1) {
                Some(n) if words_up_to(text, c.span.end..n.span.start, 2) > 1 => n.span.start.min(clause.end),
                _ => clause.end,
            };
            // "accused Y of shelling": the shelling is the accusation's content, not an event.
            if let Some(prev_end) = previous_negative_end {
                let gap = &text[prev_end..c.span.start];
                if (gap.trim_end().ends_with(" of") || gap.trim_end().ends_with(" for"))
                    && words_up_to(text, prev_end..c.span.start, 6) <= 5
                {
                    continue;
                }
            }
            let Some(factor) = self.modifiers(c, &clause) else {
                continue;
            };
            let score = (cue.score * factor).clamp(-1.0, 1.0);
            let in_words = info
                .speaker
                .as_ref()
                .is_some_and(|s| s.content_is_clause && s.content.start <= c.span.start && c.span.end <= s.content.end);
            // "officers accused of cyberattacks": a passive participle without an agent.
            if cue.kind == CueKind::Act
                && text[c.span.clone()].ends_with("ed")
                && text[c.span.end..].starts_with(" of ")
            {
                continue;
            }
            let before: Vec<(usize, &Participant)> = candidates
                .iter()
                .copied()
                .filter(|(_, p)| p.span.end <= c.span.start && p.span.start >= clause.start)
                .collect();
            let after: Vec<(usize, &Participant)> = candidates
                .iter()
                .copied()
                .filter(|(_, p)| p.span.start >= c.span.end && p.span.end <= scope_end)
                .collect();

            let mut sources: Vec<ActorRef> = Vec::new();
            let mut rule = SourceRule::Subject;
            let mut targets: Vec<ActorRef> = Vec::new();
            let mut agent_after = None;
            // 1. "criticised by X", "criticism from X".
            if let Some(&(i, p)) = after.first() {
                let gap = text[c.span.end..p.span.start].trim();
                let rest = gap
                    .strip_prefix("by ")
                    .or_else(|| gap.strip_prefix("from "))
                    .or_else(|| (gap == "by" || gap == "from").then_some(""));
                if rest.is_some_and(|r| r.split_whitespace().all(|w| matches!(w, "the" | "a" | "an"))) {
                    sources.push(p.actor);
                    rule = SourceRule::Agent;
                    agent_after = Some(i);
                    let patient = before
                        .first()
                        .map(|(_, p)| p.actor)
                        .or_else(|| info.participants.first().map(|p| p.actor))
                        .or_else(|| info.speaker.as_ref().map(|s| s.actor));
                    targets.extend(patient);
                }
            }
            if sources.is_empty() {
                let adjacent = before.last().filter(|(_, p)| {
                    words_between(self.lexicon, text, p.span.end..c.span.start, true).is_some_and(|n| n <= 2)
                });
                // The word before the cue is only read when there are sources to continue (it
                // takes tokenizing from the clause's start).
                let continues = !previous_sources.is_empty()
                    && last_word(
                        text,
                        clause.start.max(before.last().map_or(clause.start, |(_, p)| p.span.end))..c.span.start,
                    )
                    .is_some_and(|w| COORDINATORS.contains(&w));
                if let Some(&(ia, p)) = adjacent {
                    sources.push(p.actor);
                    rule = SourceRule::Adjacent;
                    // With those coordinated before it: "Washington, London and Canberra".
                    let _ = ia;
                    let run: Vec<(usize, &Participant)> = before.iter().rev().copied().collect();
                    sources.extend(coordinated_run(text, &run, false).into_iter().skip(1));
                } else if continues {
                    sources.clone_from(&previous_sources);
                    rule = SourceRule::Subject;
                } else if cue.kind == CueKind::Eval && in_words {
                    if let Some(sp) = &info.speaker {
                        sources.push(sp.actor);
                        rule = if sp.pronoun { SourceRule::Pronoun } else { SourceRule::Speaker };
                    }
                } else if !before.is_empty() {
                    // The first participant and those coordinated with it: "Beijing and Moscow".
                    sources.extend(coordinated_run(text, &before, true));
                } else if !previous_sources.is_empty() {
                    sources.clone_from(&previous_sources);
                } else if let Some(sp) = &info.speaker {
                    if in_words || sp.pronoun {
                        sources.push(sp.actor);
                        rule = if sp.pronoun { SourceRule::Pronoun } else { SourceRule::Speaker };
                    }
                }
                // Targets: the first participant after the cue and those coordinated with it,
                // leaving out the sources' own countries ("hailed as a victory for the Syrian
                // people" has no target yet).
                let source_countries: Vec<&str> = sources.iter().map(|s| self.country(*s)).collect();
                let after: Vec<(usize, &Participant)> =
                    after.iter().copied().filter(|(_, p)| !source_countries.contains(&self.country(p.actor))).collect();
                if !after.is_empty() {
                    targets.extend(coordinated_run(text, &after, true));
                } else if sources.len() >= 2 {
                    rule = SourceRule::Mutual;
                    targets.clone_from(&sources);
                } else if let Some(reply_to) = self.reply_target(out, &sources) {
                    targets.push(reply_to);
                } else if let Some((_, near)) = candidates.iter().rev().find(|(_, p)| {
                    p.span.end <= c.span.start && !sources.iter().any(|s| self.country(*s) == self.country(p.actor))
                }) {
                    targets.push(near.actor);
                }
            }
            let _ = agent_after;
            if sources.is_empty() {
                continue;
            }
            previous_sources.clone_from(&sources);
            if score < 0.0 {
                previous_negative_end = Some(c.span.end);
            }
            let cue_text = &text[c.span.clone()];
            // A hostile act the speaker attributes to someone else is the speaker's accusation.
            if let Some(sp) = info
                .speaker
                .as_ref()
                .filter(|_| in_words && score < 0.0 && matches!(rule, SourceRule::Subject | SourceRule::Adjacent))
            {
                let accused: Vec<ActorRef> =
                    sources.iter().copied().filter(|s| self.country(*s) != self.country(sp.actor)).collect();
                if !accused.is_empty() {
                    for a in accused {
                        self.emit(out, first_event, sp.actor, a, score, cue_text, SourceRule::Accusation);
                    }
                    continue;
                }
            }
            for &s in &sources {
                for &t in &targets {
                    self.emit(out, first_event, s, t, score, cue_text, rule);
                }
            }
            // "thanked Japan for donating": Japan's act toward the source.
            if score > 0.0 && cue.kind == CueKind::Act {
                if let Some(&(_, last_target)) = after.last() {
                    if text[last_target.span.end..scope_end].trim_start().starts_with("for ") {
                        for &s in &sources {
                            for &t in &targets {
                                self.emit(out, first_event, t, s, score * 0.5, cue_text, SourceRule::ThankedFor);
                            }
                        }
                    }
                }
            }
        }
    }

    /// The factor of the negators, boosters and reversers before cue `c`; `None` when a
    /// negated hostile cue means no event.
    fn modifiers(&self, c: &CueMatch, clause: &Range<usize>) -> Option<f64> {
        let cue = self.cues.cue(c.cue);
        let mut factor = 1.0;
        let mut negated = false;
        for m in &self.info.cues {
            if m.span.end > c.span.start || m.span.start < clause.start {
                continue;
            }
            // Only modifiers count, each within a few words: the kind is read first, and the
            // gap is counted no further than the kind's limit (most cues before `c` are other
            // stance or speech cues, often far away).
            let kind = self.cues.cue(m.cue).kind;
            let limit = match kind {
                CueKind::Negator => 1,
                CueKind::Booster => 0,
                CueKind::Reverser => 4,
                _ => continue,
            };
            if words_up_to(self.text, m.span.end..c.span.start, limit + 1) > limit {
                continue;
            }
            match kind {
                CueKind::Negator => negated = true,
                CueKind::Booster => factor *= 1.25,
                _ => factor *= -1.0,
            }
        }
        if negated {
            // "did not condemn" is no stance; "no longer supports" is a negative one.
            if cue.score < 0.0 {
                return None;
            }
            factor *= -0.75;
        }
        Some(factor)
    }

    /// A reply: whoever last acted toward one of `sources` earlier in this paragraph.
    fn reply_target(&self, out: &[StanceEvent], sources: &[ActorRef]) -> Option<ActorRef> {
        let countries: Vec<&str> = sources.iter().map(|s| self.country(*s)).collect();
        out[self.para_start..]
            .iter()
            .rev()
            .find(|e| countries.contains(&self.country(e.target)) && !countries.contains(&self.country(e.source)))
            .map(|e| e.source)
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(
        &self,
        out: &mut Vec<StanceEvent>,
        first_event: usize,
        s: ActorRef,
        t: ActorRef,
        score: f64,
        cue_text: &str,
        rule: SourceRule,
    ) {
        if self.country(s) == self.country(t) {
            return;
        }
        if let Some(e) = out[first_event..]
            .iter_mut()
            .find(|e| self.country(e.source) == self.country(s) && self.country(e.target) == self.country(t))
        {
            e.score = (e.score + score).clamp(-1.0, 1.0);
            if !e.cues.split("; ").any(|c| c == cue_text) {
                e.cues.push_str("; ");
                e.cues.push_str(cue_text);
            }
        } else {
            out.push(StanceEvent {
                paragraph: self.at.0,
                sentence: self.at.1,
                source: s,
                target: t,
                score,
                cues: cue_text.to_string(),
                rule,
            });
        }
    }
}

/// Whether two participants are joined by "and", "or", "&", "as well as", or a possessive noun
/// phrase ending in "and" ("North Korea's missile launches and China's ...").
fn coordinated(text: &str, gap: Range<usize>) -> bool {
    if gap.start > gap.end {
        return false;
    }
    let g = text[gap].trim();
    if matches!(g, "and" | "or" | "&" | ", and" | "and the" | ", and the" | "or the" | "as well as") {
        return true;
    }
    (g.starts_with("'s ") || g.starts_with("’s ")) && g.ends_with(" and") && g.split_whitespace().count() <= 5
}

/// The actors of `list[0]` and of the participants coordinated with it, walking `list` (in text
/// order when `forward`, else backwards from the one nearest the cue). Participants must be
/// neighbours; a comma counts only in a list that has an "and" ("A, B and C").
fn coordinated_run(text: &str, list: &[(usize, &Participant)], forward: bool) -> Vec<ActorRef> {
    let Some(&(mut idx, first)) = list.first() else { return Vec::new() };
    let mut out = vec![first.actor];
    let mut valid = 1; // length of the prefix known to be a proper list
    let mut prev = first;
    let mut seen_and = false;
    for &(i, p) in &list[1..] {
        let neighbour = if forward { i == idx + 1 } else { i + 1 == idx };
        let gap = if forward { prev.span.end..p.span.start } else { p.span.end..prev.span.start };
        if !neighbour {
            break;
        }
        if coordinated(text, gap.clone()) {
            seen_and = true;
            out.push(p.actor);
            if forward {
                valid = out.len();
            }
        } else if comma_link(text, gap) && (forward || seen_and) {
            out.push(p.actor);
        } else {
            break;
        }
        if !forward {
            valid = out.len();
        }
        idx = i;
        prev = p;
    }
    out.truncate(valid);
    out
}

/// A comma joins participants only in a list that ends with "and": "Washington, London and
/// Canberra", not "the UN General Assembly, Chilean President ...".
fn comma_link(text: &str, gap: Range<usize>) -> bool {
    gap.start <= gap.end && text[gap].trim() == ","
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word count of `text[range]` the rules used before [`words_up_to`].
    fn all_words(text: &str, range: Range<usize>) -> usize {
        if range.start >= range.end {
            return 0;
        }
        text::tokens(text, range).filter(|t| t.is_word()).count()
    }

    #[test]
    fn words_up_to_is_the_count_capped() {
        let texts = [
            "Russia did not condemn the strike, officials said; “we’re deeply worried,” he added.",
            "  ,, - ... U.S.-led talks ended (again) – Kyiv's envoy left.",
            "Zoë Müller—“the worst”—resigned 3 times.",
            "",
        ];
        for text in texts {
            for a in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                for b in (0..=text.len() + 2).filter(|&i| i > text.len() || text.is_char_boundary(i)) {
                    let full = all_words(text, a..b);
                    for cap in 0..8 {
                        assert_eq!(words_up_to(text, a..b, cap), full.min(cap), "{text:?} {a}..{b} cap {cap}");
                    }
                }
            }
        }
    }

    /// The rule events of `text` (one paragraph) as `source>target score` in the lexicon's
    /// country codes.
    fn rule_events(text: &str) -> Vec<String> {
        let lexicon = crate::actors::load(None).unwrap().lexicon;
        let cues = Cues::load(None).unwrap().0;
        let paragraphs = crate::segment::segment(text);
        let actors = lexicon.find(text, &paragraphs, None);
        let country = |r: ActorRef| actors.actor(&lexicon, r).country.clone();
        events(&cues, &lexicon, text, &paragraphs, &actors)
            .iter()
            .map(|e| format!("{}>{} {:.4}", country(e.source), country(e.target), e.score))
            .collect()
    }

    #[test]
    fn modifiers_count_only_within_their_reach() {
        // A negator right before a hostile cue cancels it; two words away it does not.
        assert_eq!(rule_events("Russia did not condemn Ukraine."), Vec::<String>::new());
        let far = rule_events("Russia did not quite so loudly condemn Ukraine.");
        let near = rule_events("Russia condemned Ukraine.");
        assert_eq!(far.len(), near.len(), "{far:?} {near:?}");
        // A booster only right before the cue; a reverser up to four words before it.
        let boosted = rule_events("France strongly condemned Germany.");
        let plain = rule_events("France condemned Germany.");
        assert_eq!((boosted.len(), plain.len()), (1, 1), "{boosted:?} {plain:?}");
        let score = |v: &[String]| v[0].rsplit(' ').next().unwrap().parse::<f64>().unwrap();
        assert!(score(&boosted) <= score(&plain), "{boosted:?} {plain:?}");
    }
}
