//! Coverage sentiment on real mentions: the labelled mentions of `labels/mentions/` matched to
//! the corpus, evaluation of the target model on them (`newsstance eval mentions`), and their
//! train split as training data next to NewsMTSC (`newsstance train newsmtsc --real`).
//!
//! A mention is kept by article id, paragraph, sentence and byte offsets in the sentence, with a
//! hash of the sentence; loading re-segments the article and checks the hash.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use super::target::{Label, TargetModel};
use crate::corpus::{self, InputFile, Record};
use crate::eval::{EvalReport, Example};
use crate::labels::{text_hash, LabelError, Split};
use crate::pipeline::{self, Engines};
use crate::tone::Vader;

/// One labelled mention, matched to its sentence.
#[derive(Debug, Clone)]
pub struct RealMention {
    pub split: Split,
    /// The agreed sentiment, or `None` when the labellers differ.
    pub sentiment: Option<Label>,
    /// The agreed judgement of the actor (`right`, `other_entity`, `wrong_country`), or `None`.
    pub actor_status: Option<String>,
    pub example: Example,
}

struct Row {
    doc_id: String,
    paragraph: u32,
    sentence: u32,
    start: usize,
    end: usize,
    hash: String,
    split: Split,
    sentiment: Option<Label>,
    actor_status: Option<String>,
}

fn read_rows(path: &Path) -> Result<Vec<Row>, LabelError> {
    let file = path.display().to_string();
    let err = |line: u64, message: String| LabelError { file: file.clone(), line, message };
    let text = std::fs::read_to_string(path).map_err(|e| err(0, e.to_string()))?;
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| err(e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.len() != 15 {
            return Err(err(line, format!("expected 15 fields, found {}", rec.len())));
        }
        let num = |i: usize| -> Result<usize, LabelError> {
            rec[i].parse().map_err(|_| err(line, format!("`{}` is not a number", &rec[i])))
        };
        let split = Split::parse(&rec[6]).ok_or_else(|| err(line, format!("split `{}`", &rec[6])))?;
        let sentiment = match &rec[11] {
            "uncertain" => None,
            s => Some(Label::parse(s).ok_or_else(|| err(line, format!("sentiment `{s}`")))?),
        };
        let actor_status = match &rec[14] {
            "uncertain" => None,
            s @ ("right" | "other_entity" | "wrong_country") => Some(s.to_string()),
            s => return Err(err(line, format!("actor status `{s}`"))),
        };
        out.push(Row {
            doc_id: rec[0].to_string(),
            paragraph: num(1)? as u32,
            sentence: num(2)? as u32,
            start: num(3)?,
            end: num(4)?,
            hash: rec[5].to_string(),
            split,
            sentiment,
            actor_status,
        });
    }
    Ok(out)
}

/// Reads `DIR/mentions.csv` and matches every mention to the corpus; returns the matched
/// mentions (in file order) and the number whose sentence was missing or changed.
pub fn load(engines: &Engines, dir: &Path, inputs: &[InputFile]) -> Result<(Vec<RealMention>, usize), LabelError> {
    let rows = read_rows(&dir.join("mentions.csv"))?;
    let wanted: HashSet<&str> = rows.iter().map(|r| r.doc_id.as_str()).collect();
    let mut docs = HashMap::new();
    for input in inputs {
        for record in corpus::open(input) {
            if let Record::Document(d) = record {
                if wanted.contains(d.id.as_str()) {
                    docs.insert(d.id.clone(), d);
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut lost = 0;
    let mut cache: HashMap<String, pipeline::Analysis> = HashMap::new();
    for r in &rows {
        let Some(doc) = docs.get(&r.doc_id) else {
            lost += 1;
            continue;
        };
        let a = cache.entry(r.doc_id.clone()).or_insert_with(|| pipeline::analyse(engines, doc));
        let numbers = pipeline::paragraph_numbers(a);
        let Some(p) = numbers.iter().position(|&n| n == r.paragraph) else {
            lost += 1;
            continue;
        };
        let Some(sent) = a.paragraphs[p].sentences.get(r.sentence as usize - 1).cloned() else {
            lost += 1;
            continue;
        };
        let text = &doc.text[sent.clone()];
        if text_hash(text) != r.hash || r.end > text.len() || !text.is_char_boundary(r.start) {
            lost += 1;
            continue;
        }
        let others = a
            .actors
            .mentions
            .iter()
            .filter(|m| m.span.start >= sent.start && m.span.end <= sent.end)
            .map(|m| m.span.start - sent.start..m.span.end - sent.start)
            .filter(|o| *o != (r.start..r.end))
            .collect();
        out.push(RealMention {
            split: r.split,
            sentiment: r.sentiment,
            actor_status: r.actor_status.clone(),
            example: Example {
                gid: format!("{}#{}#{}#{}", r.doc_id, r.paragraph, r.sentence, r.start),
                sentence: text.to_string(),
                target: r.start..r.end,
                others,
                gold: r.sentiment.unwrap_or(Label::Neutral),
            },
        });
    }
    Ok((out, lost))
}

/// Figures on real mentions.
#[derive(Debug, Clone, Default)]
pub struct MentionReport {
    pub sentiment: EvalReport,
    /// Mentions whose labellers differ on the sentiment (left out).
    pub uncertain: usize,
    /// Mentions agreed to be the actor, and all with an agreed actor judgement.
    pub actor_right: usize,
    pub actor_judged: usize,
    /// Reliability: per bin of the predicted label's probability (0.3–0.4, ..., 0.9–1.0),
    /// (count, mean probability, share correct).
    pub bins: Vec<(usize, f64, f64)>,
    pub ece: f64,
}

impl MentionReport {
    /// Share of each label among the predictions and among the gold labels.
    pub fn shares(&self) -> ([f64; 3], [f64; 3]) {
        let c = &self.sentiment.confusion;
        let n = self.sentiment.total().max(1) as f64;
        let pred = [0, 1, 2].map(|k| (0..3).map(|g| c[g][k]).sum::<u64>() as f64 / n);
        let gold = [0, 1, 2].map(|k| c[k].iter().sum::<u64>() as f64 / n);
        (pred, gold)
    }
}

impl fmt::Display for MentionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.sentiment)?;
        let (pred, gold) = self.shares();
        writeln!(f)?;
        writeln!(f, "label shares      negative neutral positive")?;
        writeln!(f, "  predicted       {:>8.3} {:>7.3} {:>8.3}", pred[0], pred[1], pred[2])?;
        writeln!(f, "  gold            {:>8.3} {:>7.3} {:>8.3}", gold[0], gold[1], gold[2])?;
        writeln!(f, "uncertain (left out) {}", self.uncertain)?;
        writeln!(
            f,
            "actor precision   {:.3} ({} of {} mentions with an agreed judgement are the actor)",
            self.actor_right as f64 / self.actor_judged.max(1) as f64,
            self.actor_right,
            self.actor_judged
        )?;
        writeln!(f, "reliability (probability of the predicted label): bin, count, mean probability, accuracy")?;
        for (k, (n, p, acc)) in self.bins.iter().enumerate() {
            if *n > 0 {
                writeln!(
                    f,
                    "  {:.1}-{:.1} {:>5} {:>6.3} {:>6.3}",
                    0.3 + 0.1 * k as f64,
                    0.4 + 0.1 * k as f64,
                    n,
                    p,
                    acc
                )?;
            }
        }
        writeln!(f, "expected calibration error {:.3}", self.ece)
    }
}

/// Evaluates `model` on the mentions of one split.
pub fn evaluate(model: &TargetModel, vader: &Vader, mentions: &[&RealMention]) -> MentionReport {
    let mut r = MentionReport { bins: vec![(0, 0.0, 0.0); 7], ..Default::default() };
    let mut sums = vec![(0usize, 0f64, 0usize); 7];
    for m in mentions {
        if let Some(status) = &m.actor_status {
            r.actor_judged += 1;
            r.actor_right += (status == "right") as usize;
        }
        let Some(gold) = m.sentiment else {
            r.uncertain += 1;
            continue;
        };
        let ex = &m.example;
        let s = model.score(vader, &ex.sentence, ex.target.clone(), &ex.others);
        r.sentiment.add(gold, s.label);
        let p = s.probs[s.label.index()];
        let k = (((p - 0.3) / 0.1).floor().max(0.0) as usize).min(6);
        sums[k].0 += 1;
        sums[k].1 += p;
        sums[k].2 += (s.label == gold) as usize;
    }
    let n = r.sentiment.total().max(1) as f64;
    for (k, (c, p, ok)) in sums.into_iter().enumerate() {
        if c > 0 {
            let (mp, acc) = (p / c as f64, ok as f64 / c as f64);
            r.bins[k] = (c, mp, acc);
            r.ece += c as f64 / n * (mp - acc).abs();
        }
    }
    r
}

/// Class re-weighting of the target model when trained with real mentions: none, since the
/// real mentions carry the nightly stream's label distribution (chosen on the real dev split).
pub const REAL_CLASS_BALANCE: f64 = 0.0;

/// NewsMTSC's examples plus the real mentions of the train split whose two labellers agree,
/// each counted `weight` times.
pub fn with_real(mut examples: Vec<Example>, mentions: &[RealMention], weight: usize) -> Vec<Example> {
    for m in mentions.iter().filter(|m| m.split == Split::Train && m.sentiment.is_some()) {
        examples.extend(std::iter::repeat_n(m.example.clone(), weight));
    }
    examples
}
