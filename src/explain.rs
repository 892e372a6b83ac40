//! `newsstance explain`: every number of one text, with the reason behind it, for a person.

use crate::actors::Via;
use crate::document::Document;
use crate::pipeline::{analyse_with, Engines};
use crate::stance::model::{self, FRIENDLY, HOSTILE, NONE};
use std::fmt::Write;

/// Renders the analysis of `text` (treated as one undated article body).
pub fn explain(engines: &Engines, text: &str) -> String {
    let doc = Document { id: "explain".into(), text: text.to_string(), ..Document::default() };
    explain_document(engines, &doc)
}

/// Renders the analysis of one document (its date decides which office-holders count).
pub fn explain_document(engines: &Engines, doc: &Document) -> String {
    let text = doc.text.as_str();
    let a = analyse_with(engines, doc, true);
    let lex = &engines.lexicon;
    let mut out = String::new();
    for span in &a.oversized {
        let _ =
            writeln!(out, "(paragraph at byte {} skipped: {} bytes is over the size limit)", span.start, span.len());
    }
    for (p, para) in a.paragraphs.iter().enumerate() {
        for (s, sent) in para.sentences.iter().enumerate() {
            let t = a.tones[p][s];
            let _ = writeln!(out, "[{}.{}] {}", p + 1, s + 1, &text[sent.clone()]);
            let _ = writeln!(
                out,
                "  tone: compound {:+.4}  pos {:.3}  neu {:.3}  neg {:.3}",
                t.compound, t.pos, t.neu, t.neg
            );
            for ((m, score), read) in a
                .actors
                .mentions
                .iter()
                .zip(&a.sentiments)
                .zip(&a.coverage)
                .filter(|((m, _), _)| m.paragraph as usize == p && m.sentence as usize == s)
            {
                let actor = a.actors.actor(lex, m.actor);
                let how = match m.via {
                    Via::Alias => "lexicon alias",
                    Via::Role => "introduced with a role in this text",
                    Via::Name => "name of a person introduced earlier",
                };
                let _ = writeln!(
                    out,
                    "  actor: \"{}\" → {} ({}, {}) → {}   [{how}]",
                    &text[m.span.clone()],
                    actor.id,
                    actor.name,
                    actor.kind,
                    actor.country
                );
                let sent_text = &text[sent.clone()];
                let target = m.span.start - sent.start..m.span.end - sent.start;
                if let Some((sentence, span, id)) = lex.place_context(text, &a.paragraphs, m) {
                    let mut sc = crate::actors::place::Scratch::default();
                    let (coverage, p_city) = lex.places().judge(sentence, span, id, &mut sc);
                    let _ = writeln!(
                        out,
                        "    place model: P(only a city) {p_city:.3} (threshold {}): {}",
                        lex.places().threshold(),
                        if coverage { "counted as the country" } else { "not counted as coverage of the country" }
                    );
                }
                let others: Vec<_> = a
                    .actors
                    .mentions
                    .iter()
                    .filter(|o| o.paragraph == m.paragraph && o.sentence == m.sentence && o.span != m.span)
                    .map(|o| o.span.start - sent.start..o.span.end - sent.start)
                    .collect();
                let features = engines.target.explain(&engines.vader, sent_text, target.clone(), &others);
                let top: Vec<String> = features.iter().take(5).map(|(f, w)| format!("{f} {w:+.3}")).collect();
                let _ = writeln!(
                    out,
                    "    sentiment toward it: {:+.4} ({})  because: {}",
                    score.score,
                    score.label,
                    top.join(", ")
                );
                // Both models' probabilities (negative / neutral / positive): the target model's,
                // and the coverage reader's, which is combined only where the target model is
                // unsure (shown anyway, for a person to compare).
                let cov = &engines.pair.coverage;
                let (linear, reader) = match read {
                    Some((l, r)) => (*l, Some(*r)),
                    None => {
                        let mut sc = crate::stance::coverage::Scratch::default();
                        (score.probs, cov.probs(sent_text, &target, &others, &mut sc))
                    }
                };
                let p3 = |p: [f64; 3]| format!("{:.3} / {:.3} / {:.3}", p[0], p[1], p[2]);
                let _ = writeln!(
                    out,
                    "    target model: {}   coverage reader: {}   {}",
                    p3(linear),
                    reader.map_or_else(|| "(no token)".to_string(), |r| p3(r.map(f64::from))),
                    if read.is_some() {
                        format!("combined (top probability under {}): {}", cov.gate, p3(score.probs))
                    } else {
                        format!("not combined (top probability ≥ {})", cov.gate)
                    }
                );
                // The label is the decision rule's: say so where it is not the likeliest label.
                let likeliest = crate::stance::coverage::Shift::default().label(&score.probs);
                if likeliest != score.label {
                    let _ = writeln!(
                        out,
                        "    label {} by the decision shifts (negative {:+}, positive {:+} on the log-probabilities, chosen on real dev for macro-F1), not the likeliest {}",
                        score.label, cov.shift.negative, cov.shift.positive, likeliest
                    );
                }
            }
            if let Some((_, tree)) = a.trees.iter().find(|(k, _)| *k == (p as u32, s as u32)) {
                // word/UPOS, its relation and the number of its head (0 = root).
                let syn = &engines.pair.syntax;
                let words: Vec<String> = tree
                    .words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        format!(
                            "{}:{}/{} {}→{}",
                            i + 1,
                            &text[w.span.clone()],
                            syn.tag_name(w.tag).0,
                            syn.rel_name(w.rel),
                            w.head
                        )
                    })
                    .collect();
                let _ = writeln!(out, "  tree: {}", words.join("  "));
            }
            for e in a.rule_events.iter().filter(|e| e.paragraph as usize == p && e.sentence as usize == s) {
                let src = a.actors.actor(lex, e.source);
                let tgt = a.actors.actor(lex, e.target);
                let _ = writeln!(
                    out,
                    "  rule: {} → {}  {:+.4}  cue \"{}\"  (source {} [{}], target {})  (evidence for the model)",
                    src.country,
                    tgt.country,
                    e.score,
                    e.cues,
                    src.name,
                    e.rule.as_str(),
                    tgt.name
                );
            }
        }
        // The pair model's decision on every candidate of the paragraph, with its reasons.
        let pm = &engines.pair.model;
        let cands: Vec<&model::Candidate> = a.candidates.iter().filter(|c| c.paragraph as usize == p).collect();
        let own: Vec<[f32; 3]> = cands.iter().map(|c| pm.candidate_probs(c)).collect();
        let mut shared = own.clone();
        model::symmetrize_refs(&cands, &mut shared);
        for ((c, &probs), own) in cands.iter().zip(&shared).zip(&own) {
            let mean_note = if probs != *own {
                format!(
                    " (the mean with the reverse pair, the two joined by \"and\"; its own P(hostile) {:.3} P(friendly) {:.3})",
                    own[HOSTILE], own[FRIENDLY]
                )
            } else {
                String::new()
            };
            let base = &c.features[..c.base_len];
            let sure = if pm.passes_gate(base) && !pm.needs_parse(base) {
                format!(", sure on its words alone (the sure share {:.2}), so not parsed for it", pm.sure)
            } else {
                String::new()
            };
            // The two models apart when the reader read the candidate, else why it did not.
            let pair_only = pm.probs(&c.features);
            let reader_note = match c.reader {
                Some(r) if pm.reads(&pair_only) => format!(
                    "\n    pair model P(none) {:.3} P(hostile) {:.3} P(friendly) {:.3}; reader P(none) {:.3} P(hostile) {:.3} P(friendly) {:.3}; combined (geometric mean) as above",
                    pair_only[NONE], pair_only[HOSTILE], pair_only[FRIENDLY], r[NONE], r[HOSTILE], r[FRIENDLY]
                ),
                _ => match pm.reader_gate {
                    Some(g) => format!(
                        "\n    not read by the sentence reader (the pair model below its gate {:.3}/{:.3}): the pair model's probabilities",
                        g[0], g[1]
                    ),
                    None => String::new(),
                },
            };
            let verdict = match model::decision(probs, pm.threshold) {
                Some((-1, conf)) => format!("STANCE hostile (confidence {conf:.3}{sure})"),
                Some((_, conf)) => format!("STANCE friendly (confidence {conf:.3}{sure})"),
                None if !pm.passes_gate(base) => {
                    format!("rejected (below the parse gate {:.2} on its words alone, so not parsed for it)", pm.gate)
                }
                None => "rejected".to_string(),
            };
            let class = match model::decision(probs, [0.0, 0.0]) {
                Some((-1, _)) => HOSTILE,
                Some(_) => FRIENDLY,
                None => NONE,
            };
            let top: Vec<String> = pm.top_features(c, class, 6).iter().map(|(f, w)| format!("{f} {w:+.2}")).collect();
            let _ = writeln!(
                out,
                "  pair {} → {} [paragraph {}, evidence sentence {}]: {verdict}; P(none) {:.3} P(hostile) {:.3} P(friendly) {:.3}; thresholds {:.2}/{:.2}{}{reader_note}\n    weighed most toward {} (pair model): {}",
                c.source_code,
                c.target_code,
                p + 1,
                c.sentence + 1,
                probs[NONE],
                probs[HOSTILE],
                probs[FRIENDLY],
                pm.threshold[0],
                pm.threshold[1],
                mean_note,
                ["none", "hostile", "friendly"][class],
                top.join(", ")
            );
        }
    }
    if out.is_empty() {
        out.push_str("(no sentences)\n");
    }
    out
}
