//! Tagging and parsing accuracy on a gold treebank, counted as the CoNLL 2018 shared task does
//! with gold tokenization: every word counts (punctuation included); LAS compares the universal
//! part of the relation (`obl` for `obl:tmod`); per-relation F1 uses the full relation.

use std::collections::BTreeMap;
use std::fmt;

use super::conllu::TreeSentence;
use super::{Scratch, Syntax};

/// Relations whose F1 the report lists.
pub const RELATIONS: [&str; 8] = ["nsubj", "obj", "obl", "obl:agent", "nmod", "nmod:poss", "compound", "amod"];

/// Counts of one evaluation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyntaxReport {
    pub sentences: usize,
    pub words: usize,
    pub upos: usize,
    pub xpos: usize,
    pub uas: usize,
    pub las: usize,
    /// Per full relation: (gold count, predicted count, correct: same head and relation).
    pub relations: BTreeMap<String, (usize, usize, usize)>,
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

impl SyntaxReport {
    pub fn upos(&self) -> f64 {
        pct(self.upos, self.words)
    }
    pub fn xpos(&self) -> f64 {
        pct(self.xpos, self.words)
    }
    pub fn uas(&self) -> f64 {
        pct(self.uas, self.words)
    }
    pub fn las(&self) -> f64 {
        pct(self.las, self.words)
    }
    /// F1 of a full relation (attachment and relation both right).
    pub fn f1(&self, rel: &str) -> f64 {
        let (g, p, c) = self.relations.get(rel).copied().unwrap_or_default();
        if g + p == 0 {
            return 0.0;
        }
        2.0 * c as f64 / (g + p) as f64
    }
}

impl fmt::Display for SyntaxReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "sentences  {}", self.sentences)?;
        writeln!(f, "words      {}", self.words)?;
        writeln!(f, "UPOS       {:.2}", self.upos())?;
        writeln!(f, "XPOS       {:.2}", self.xpos())?;
        writeln!(f, "UAS        {:.2}", self.uas())?;
        writeln!(f, "LAS        {:.2}", self.las())?;
        writeln!(f, "relation   gold  predicted  F1")?;
        for r in RELATIONS {
            let (g, p, _) = self.relations.get(r).copied().unwrap_or_default();
            writeln!(f, "{r:<10} {g:>5} {p:>10}  {:.3}", self.f1(r) / 1.0)?;
        }
        Ok(())
    }
}

fn universal(rel: &str) -> &str {
    rel.split(':').next().unwrap_or(rel)
}

/// Tags and parses every sentence of `gold` (on its gold words) and counts agreement.
pub fn evaluate(syntax: &Syntax, gold: &[TreeSentence]) -> SyntaxReport {
    let mut r = SyntaxReport::default();
    let mut sc = Scratch::default();
    for s in gold {
        let (tags, arcs) = syntax.parse_words(s.words.iter().map(|w| w.form.as_str()), &mut sc);
        r.sentences += 1;
        for ((w, &t), a) in s.words.iter().zip(&tags).zip(&arcs) {
            r.words += 1;
            let (u, x) = syntax.tag_name(t);
            r.upos += (u == w.upos) as usize;
            r.xpos += (x == w.xpos) as usize;
            let rel = syntax.rel_name(a.label);
            let head_ok = a.head == w.head;
            r.uas += head_ok as usize;
            r.las += (head_ok && universal(rel) == universal(&w.deprel)) as usize;
            r.relations.entry(w.deprel.clone()).or_default().0 += 1;
            let e = r.relations.entry(rel.to_string()).or_default();
            e.1 += 1;
            if head_ok && rel == w.deprel {
                e.2 += 1;
            }
        }
    }
    r
}
