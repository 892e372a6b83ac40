//! Directed stance events: who says or does what toward whom, sentence by sentence.
//!
//! The rules are shallow grammar over actor mentions and cue phrases, chosen to be explainable:
//! - Participants: adjacent mentions of one country joined only by role words ("Kremlin
//!   spokesman Dmitry Peskov") form one participant, represented by the person if there is one.
//! - Speaker: a speech cue with a participant just before ("Peskov said", "Kirby, the White House
//!   spokesman, told") or just after ("said Kremlin spokesman Dmitry Peskov", "according to a
//!   Kremlin list"), or a pronoun ("he said") meaning the last person named. A quotation spanning
//!   several sentences takes the speaker of the sentence where it closes.
//! - Clauses: a sentence is cut at `;`, "but", ", which", ", while", "whereas", "however",
//!   "although", and after "said that"; a cue looks for its source and targets in its clause.
//! - Source of an act cue ("accused", "deepen ties"): the passive agent ("criticised by X"), else
//!   the first participant of the clause before the cue (with those coordinated with it: "Beijing
//!   and Moscow"), else a pronoun subject, else the speaker. Source of an evaluation ("hostile",
//!   "scepticism"): the speaker when the cue is in their words, else the clause's first participant.
//! - Targets: the first participant after the cue (and those coordinated with it), up to the next
//!   cue; for coordinated sources with no object ("Beijing and Moscow signed agreements"), each
//!   other; else the nearest participant before the cue that is not the source.
//! - Score: the cue's score, ×1.25 after a booster ("deeply"). A negator within two words before
//!   the cue cancels a negative cue ("did not condemn": no event) and turns a positive one into a
//!   negative one at ×0.75 ("no longer supports"). One event per source and target per sentence, scores summed and
//!   clipped to [−1, 1], cues listed.

use super::cues::{CueKind, CueMatch, Cues};
use crate::actors::{ActorRef, DocActors, Kind, Lexicon, Mention};
use crate::document::Paragraph;
use crate::text;
use std::ops::Range;

/// How the source of an event was found, for `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceRule {
    /// The agent of a passive ("criticised by X").
    Passive,
    /// The first participant of the clause.
    Subject,
    /// The speaker of the words containing the cue.
    Speaker,
    /// "he"/"she": the last person named.
    Pronoun,
    /// Coordinated participants acting together toward each other.
    Mutual,
}

impl SourceRule {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceRule::Passive => "passive agent",
            SourceRule::Subject => "clause subject",
            SourceRule::Speaker => "speaker",
            SourceRule::Pronoun => "pronoun (last person named)",
            SourceRule::Mutual => "mutual",
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
    pronoun: bool,
}

const CLAUSE_BREAKS: &[&str] = &[";", " but ", ", which ", ", while ", " while ", " whereas ", ", however", "However,", " although ", ", who ", " even as "];

/// Finds the stance events of a document.
pub fn events(cues: &Cues, lexicon: &Lexicon, text: &str, paragraphs: &[Paragraph], actors: &DocActors) -> Vec<StanceEvent> {
    let mut out = Vec::new();
    let mut last_person: Option<ActorRef> = None;
    let mut cue_buf = Vec::new();
    let mut m = 0; // cursor into actors.mentions (sorted by span)
    for (p, para) in paragraphs.iter().enumerate() {
        // Per sentence: participants, cues, speaker.
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
            cues.find(text, sent.clone(), &mut cue_buf);
            cue_buf.retain(|c| !participants.iter().any(|p| overlaps(&p.span, &c.span)));
            let speaker = speaker(cues, lexicon, text, sent.clone(), &participants, &cue_buf, actors, last_person);
            if let Some(last) = participants.iter().rev().find(|p| p.person) {
                last_person = Some(last.actor);
            }
            sentences.push(SentenceInfo { span: sent.clone(), participants, cues: cue_buf.clone(), speaker });
        }
        inherit_quote_speakers(text, &mut sentences);
        for (s, info) in sentences.iter().enumerate() {
            sentence_events(cues, lexicon, text, actors, info, (p as u32, s as u32), &mut out);
        }
    }
    out
}

struct SentenceInfo {
    span: Range<usize>,
    participants: Vec<Participant>,
    cues: Vec<CueMatch>,
    speaker: Option<Speaker>,
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
        i < 9 && (lexicon.role_word(w).is_some() || matches!(w, "," | "the" | "'s" | "’s" | "'" | "’" | "s" | "of") || (t.is_word() && text::is_capitalized(w)))
    })
}

fn word_count(text: &str, range: Range<usize>) -> usize {
    if range.start >= range.end {
        return 0;
    }
    text::tokens(text, range).filter(|t| t.is_word()).count()
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
                || matches!(w, "also" | "has" | "have" | "had" | "the" | "a" | "on" | "in" | "late" | "earlier" | "later" | "then" | "further" | "previously" | "recently" | "s");
            if !known || words > max {
                return false;
            }
        } else if !matches!(w, "," | "'" | "’") {
            return false;
        }
    }
    true
}

#[allow(clippy::too_many_arguments)]
fn speaker(
    cues: &Cues,
    lexicon: &Lexicon,
    text: &str,
    sent: Range<usize>,
    participants: &[Participant],
    found: &[CueMatch],
    actors: &DocActors,
    last_person: Option<ActorRef>,
) -> Option<Speaker> {
    for c in found.iter().filter(|c| cues.cue(c.cue).kind == CueKind::Speech) {
        // "X (role...) said": the nearest participant before.
        if let Some((i, p)) = participants.iter().enumerate().rev().find(|(_, p)| p.span.end <= c.span.start) {
            if attribution_gap(lexicon, text, p.span.end..c.span.start, 8) {
                let content_start = skip_that(text, c.span.end, sent.end);
                return Some(Speaker { actor: p.actor, participant: Some(i), content: content_start..sent.end, pronoun: false });
            }
        }
        // "he said" / "she added".
        let before = &text[sent.start..c.span.start];
        let prev_word = text::tokens(text, sent.start..c.span.start).filter(|t| t.is_word()).last();
        if let (Some(w), Some(person)) = (prev_word, last_person) {
            let w = &text[w.span];
            if matches!(w, "he" | "she" | "He" | "She") && before.trim_end().ends_with(w) {
                let content = if before.trim_end().len() > w.len() + 2 { sent.start..c.span.start } else { skip_that(text, c.span.end, sent.end)..sent.end };
                return Some(Speaker { actor: person, participant: None, content, pronoun: true });
            }
        }
        // "said X" / "according to X".
        if let Some((i, p)) = participants.iter().enumerate().find(|(_, p)| p.span.start >= c.span.end) {
            if attribution_gap(lexicon, text, c.span.end..p.span.start, 6) {
                let content = sent.start..c.span.start;
                let _ = actors;
                return Some(Speaker { actor: p.actor, participant: Some(i), content, pronoun: false });
            }
        }
    }
    None
}

/// After a speech verb, the reported words start after an optional "that".
fn skip_that(text: &str, from: usize, end: usize) -> usize {
    let rest = &text[from..end];
    let trimmed = rest.trim_start();
    match trimmed.strip_prefix("that ") {
        Some(r) => end - r.len(),
        None => from,
    }
}

/// Sentences inside a quotation without a speaker of their own take the speaker of the sentence
/// where the quotation closes ("“... hostile nature. The coverage ... exception,” Peskov said.").
fn inherit_quote_speakers(text: &str, sentences: &mut [SentenceInfo]) {
    let mut open_since: Option<usize> = None;
    for i in 0..sentences.len() {
        let s = &text[sentences[i].span.clone()];
        let mut depth_open = open_since.is_some();
        let mut closed_here = false;
        for c in s.chars() {
            match c {
                '“' => depth_open = true,
                '”' => {
                    if depth_open {
                        closed_here = true;
                    }
                    depth_open = false
                }
                '"' => {
                    if depth_open {
                        closed_here = true;
                    }
                    depth_open = !depth_open
                }
                _ => {}
            }
        }
        if open_since.is_none() && depth_open {
            open_since = Some(i);
        }
        if let Some(start) = open_since {
            if closed_here && !depth_open {
                if let Some(sp) = sentences[i].speaker.clone() {
                    for s in &mut sentences[start..i] {
                        if s.speaker.is_none() {
                            s.speaker = Some(Speaker { actor: sp.actor, participant: None, content: s.span.clone(), pronoun: sp.pronoun });
                        }
                    }
                }
                open_since = None;
            }
        }
    }
}

fn clause_of(text: &str, sent: &Range<usize>, at: usize, speaker: &Option<Speaker>) -> Range<usize> {
    let s = &text[sent.clone()];
    let mut start = sent.start;
    let mut end = sent.end;
    for b in CLAUSE_BREAKS {
        for (i, _) in s.match_indices(b) {
            let pos = sent.start + i;
            if pos + b.len() <= at {
                start = start.max(pos + b.len());
            } else if pos >= at {
                end = end.min(pos);
            }
        }
    }
    if let Some(sp) = speaker {
        // The reported words are their own clause.
        if sp.content.start > sent.start && sp.content.start <= at {
            start = start.max(sp.content.start);
        }
    }
    start..end.max(start)
}

fn sentence_events(
    cues: &Cues,
    lexicon: &Lexicon,
    text: &str,
    actors: &DocActors,
    info: &SentenceInfo,
    at: (u32, u32),
    out: &mut Vec<StanceEvent>,
) {
    let first_event = out.len();
    let country = |r: ActorRef| actors.actor(lexicon, r).country.as_str();
    let stance_cues: Vec<&CueMatch> = info.cues.iter().filter(|c| matches!(cues.cue(c.cue).kind, CueKind::Act | CueKind::Eval)).collect();
    let speaker_participant = info.speaker.as_ref().and_then(|s| s.participant);
    let candidates: Vec<(usize, &Participant)> = info.participants.iter().enumerate().filter(|(i, _)| Some(*i) != speaker_participant).collect();
    for (ci, c) in stance_cues.iter().enumerate() {
        let cue = cues.cue(c.cue);
        let clause = clause_of(text, &info.span, c.span.start, &info.speaker);
        let scope_end = stance_cues.get(ci + 1).map_or(clause.end, |n| n.span.start.min(clause.end));
        // Modifiers just before the cue.
        let mut factor = 1.0;
        let mut negated = false;
        for m in &info.cues {
            if m.span.end > c.span.start || m.span.start < clause.start {
                continue;
            }
            let gap = word_count(text, m.span.end..c.span.start);
            match cues.cue(m.cue).kind {
                CueKind::Negator if gap <= 2 => negated = true,
                CueKind::Booster if gap == 0 => factor *= 1.25,
                _ => {}
            }
        }
        if negated {
            // "did not condemn" is no stance; "no longer supports", "refused to back" is a
            // negative one.
            if cue.score < 0.0 {
                continue;
            }
            factor *= -0.75;
        }
        let in_words = info.speaker.as_ref().is_some_and(|s| s.content.start <= c.span.start && c.span.end <= s.content.end);
        let before: Vec<&(usize, &Participant)> = candidates.iter().filter(|(_, p)| p.span.end <= c.span.start && p.span.start >= clause.start).collect();
        let after: Vec<&(usize, &Participant)> = candidates.iter().filter(|(_, p)| p.span.start >= c.span.end && p.span.end <= scope_end).collect();

        // Source.
        let mut sources: Vec<ActorRef> = Vec::new();
        let mut rule = SourceRule::Subject;
        let mut targets: Vec<ActorRef> = Vec::new();
        let passive = after.first().filter(|(_, p)| {
            let gap = &text[c.span.end..p.span.start];
            let gap = gap.trim_start();
            gap.starts_with("by ") && word_count(text, c.span.end..p.span.start) <= 2
        });
        if let (Some((_, agent)), CueKind::Act) = (passive, cue.kind) {
            sources.push(agent.actor);
            rule = SourceRule::Passive;
            if let Some((_, patient)) = before.last() {
                targets.push(patient.actor);
            }
        } else {
            if cue.kind == CueKind::Eval && in_words {
                if let Some(sp) = &info.speaker {
                    sources.push(sp.actor);
                    rule = SourceRule::Speaker;
                }
            }
            if sources.is_empty() {
                if let Some(&&(i0, first)) = before.first() {
                    sources.push(first.actor);
                    // Coordinated subjects: "Beijing and Moscow".
                    let mut prev = first;
                    for &&(i, p) in before.iter().skip(1) {
                        if i == i0 + sources.len() && coordinated(text, prev.span.end..p.span.start) {
                            sources.push(p.actor);
                            prev = p;
                        } else {
                            break;
                        }
                    }
                } else if let Some(sp) = &info.speaker {
                    if in_words || sp.pronoun {
                        sources.push(sp.actor);
                        rule = if sp.pronoun { SourceRule::Pronoun } else { SourceRule::Speaker };
                    }
                }
            }
            // Targets: the first participant after the cue and those coordinated with it.
            if let Some(&&(_, first)) = after.first() {
                targets.push(first.actor);
                let mut prev = first;
                for &&(_, p) in after.iter().skip(1) {
                    if coordinated(text, prev.span.end..p.span.start) {
                        targets.push(p.actor);
                        prev = p;
                    } else {
                        break;
                    }
                }
            } else if sources.len() >= 2 {
                rule = SourceRule::Mutual;
                targets = sources.clone();
            } else if let Some(&&(_, near)) = before.iter().rev().find(|(_, p)| !sources.iter().any(|s| country(*s) == country(p.actor))) {
                targets.push(near.actor);
            }
        }
        for &s in &sources {
            for &t in &targets {
                if country(s) == country(t) {
                    continue;
                }
                let score = cue.score * factor;
                let cue_text = &text[c.span.clone()];
                if let Some(e) = out[first_event..].iter_mut().find(|e| e.source == s && e.target == t) {
                    e.score = (e.score + score).clamp(-1.0, 1.0);
                    e.cues.push_str("; ");
                    e.cues.push_str(cue_text);
                } else {
                    out.push(StanceEvent {
                        paragraph: at.0,
                        sentence: at.1,
                        source: s,
                        target: t,
                        score: score.clamp(-1.0, 1.0),
                        cues: cue_text.to_string(),
                        rule,
                    });
                }
            }
        }
    }
}

/// Whether two participants are joined by "and", "or", "&" or a comma only.
fn coordinated(text: &str, gap: Range<usize>) -> bool {
    if gap.start > gap.end {
        return false;
    }
    let g = text[gap].trim();
    matches!(g, "and" | "or" | "&" | "," | ", and" | "and the" | ", and the" | "or the")
}
