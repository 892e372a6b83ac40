//! Exports the stance pair model's candidates of the labelled **train and dev** paragraphs, one
//! JSON line each, for prototyping other rankers outside Rust (`tools/reader_prototype/`).
//!
//! ```text
//! cargo run --release --example export_candidates -- OUT.jsonl [--folds 5] [--labels labels/stance] [--corpus ../shared/corpus/news.jsonl.gz]
//! ```
//!
//! The test split is never read: its paragraphs are dropped before the corpus is opened, so no
//! figure, error or text of it can leak into a prototype tuned on dev. The output holds corpus
//! text; keep it in a scratch folder, never in git.
//!
//! Each line: `split`, `doc_id`, `paragraph` (1-based, as in the labels), `source`, `target`
//! (codes), `gold` (`none`/`hostile`/`friendly`), `uncertain` (the two dev labellers disagreed:
//! counted neither way), `probs` (the shipped model's none/hostile/friendly probabilities, with the
//! sentences parsed as `score` parses them, so that dev gives `eval stance --split dev`'s
//! figures), `oof` (train only, with `--folds K`: the probabilities of the same model trained on
//! the other K−1 folds of train articles, so that a combiner can learn from them without
//! reading the shipped model's in-sample confidence), `text` (the paragraph), `sentences` (byte
//! spans in `text`), `evidence` (the candidate's sentence), `links` (each sentence naming both
//! with the closest source and target mention spans, what the pair features read), and
//! `source_mentions` / `target_mentions` (every mention of each code in the paragraph, as
//! `[sentence, start, end]`). Spans are byte offsets into the UTF-8 of `text`.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;

use rayon::prelude::*;

use newsstance::corpus::{self, Record};
use newsstance::document::Document;
use newsstance::labels::{self, LabelledParagraph, Split, Status};
use newsstance::pipeline::{self, Engines, Parse};
use newsstance::stance::model::{self, Example, FRIENDLY, HOSTILE, NONE};
use newsstance::stance::train::Params;

/// One exported candidate, before the out-of-fold probabilities are known.
struct Row {
    json: serde_json::Value,
    doc_id: String,
    split: Split,
    features: Vec<u32>,
    /// The training class (none / hostile / friendly); `None` for uncertain pairs, which
    /// training leaves out.
    class: Option<usize>,
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut out: Option<PathBuf> = None;
    let mut folds = 0usize;
    let mut labels_dir = PathBuf::from("labels/stance");
    let mut corpus_path = PathBuf::from("../shared/corpus/news.jsonl.gz");
    while let Some(a) = args.next() {
        match a.as_str() {
            "--folds" => folds = args.next().and_then(|v| v.parse().ok()).unwrap_or(5),
            "--labels" => labels_dir = args.next().map(PathBuf::from).unwrap_or(labels_dir),
            "--corpus" => corpus_path = args.next().map(PathBuf::from).unwrap_or(corpus_path),
            _ => out = Some(PathBuf::from(a)),
        }
    }
    let out = out.ok_or_else(|| anyhow::anyhow!("usage: export_candidates OUT.jsonl [--folds K]"))?;
    let engines = Engines::load(Some(std::path::Path::new("lexicons")))?;
    // Train and dev only: the test split is dropped here, before anything reads the corpus.
    let labelled: Vec<LabelledParagraph> =
        labels::load_stance(&labels_dir)?.into_iter().filter(|l| l.split != Split::Test).collect();
    let wanted: HashSet<&str> = labelled.iter().map(|l| l.doc_id.as_str()).collect();
    let (files, errors) = corpus::discover(std::slice::from_ref(&corpus_path));
    if let Some(e) = errors.first() {
        anyhow::bail!("{}: {}", e.input, e.error);
    }
    let mut docs: Vec<Document> = Vec::new();
    for input in &files {
        for record in corpus::open(input) {
            if let Record::Document(d) = record {
                if wanted.contains(d.id.as_str()) {
                    docs.push(d);
                }
            }
        }
    }
    let mut by_doc: HashMap<&str, Vec<&LabelledParagraph>> = HashMap::new();
    for l in &labelled {
        by_doc.entry(l.doc_id.as_str()).or_default().push(l);
    }
    let per_doc: Vec<Vec<Row>> = docs
        .par_iter()
        .map(|doc| {
            let a = pipeline::analyse_parsing(&engines, doc, false, Parse::Gated);
            let numbers = pipeline::paragraph_numbers(&a);
            let mut rows = Vec::new();
            for l in by_doc.get(doc.id.as_str()).into_iter().flatten() {
                let Some(p) = numbers.iter().position(|&n| n == l.paragraph) else { continue };
                let para = &a.paragraphs[p];
                let base = para.span.start;
                let text = &doc.text[para.span.clone()];
                if labels::text_hash(text) != l.hash {
                    continue;
                }
                let rel = |r: &std::ops::Range<usize>| [r.start.saturating_sub(base), r.end.saturating_sub(base)];
                let sentences: Vec<[usize; 2]> = para.sentences.iter().map(rel).collect();
                let mentions_of = |code: &str| -> Vec<[usize; 3]> {
                    a.actors
                        .mentions
                        .iter()
                        .filter(|m| m.paragraph == p as u32)
                        .filter(|m| a.actors.actor(&engines.lexicon, m.actor).country == code)
                        .map(|m| {
                            let [s, e] = rel(&m.span);
                            [m.sentence as usize, s, e]
                        })
                        .collect()
                };
                for c in a.candidates.iter().filter(|c| c.paragraph == p as u32) {
                    let label = l.pairs.iter().find(|g| g.source == c.source_code && g.target == c.target_code);
                    let (gold, class) = match label {
                        None => ("none", Some(NONE)),
                        Some(g) => {
                            let (name, k) = if g.sign < 0 { ("hostile", HOSTILE) } else { ("friendly", FRIENDLY) };
                            (name, (g.status != Status::Uncertain).then_some(k))
                        }
                    };
                    let probs = engines.pair.model.probs(&c.features);
                    let links: Vec<serde_json::Value> = c
                        .links
                        .iter()
                        .map(|(si, s, t)| serde_json::json!({"sentence": si, "source": rel(s), "target": rel(t)}))
                        .collect();
                    let json = serde_json::json!({
                        "split": l.split.name(),
                        "doc_id": l.doc_id,
                        "paragraph": l.paragraph,
                        "source": c.source_code,
                        "target": c.target_code,
                        "gold": gold,
                        "uncertain": label.is_some_and(|g| g.status == Status::Uncertain),
                        "probs": probs,
                        "text": text,
                        "sentences": sentences,
                        "evidence": c.sentence,
                        "links": links,
                        "source_mentions": mentions_of(&c.source_code),
                        "target_mentions": mentions_of(&c.target_code),
                    });
                    rows.push(Row {
                        json,
                        doc_id: l.doc_id.clone(),
                        split: l.split,
                        features: c.features.clone(),
                        class,
                    });
                }
            }
            rows
        })
        .collect();
    // Label order of the documents (the corpus order), for a reproducible file.
    let mut rows: Vec<Row> = per_doc.into_iter().flatten().collect();
    let order: HashMap<(&str, u32), usize> =
        labelled.iter().enumerate().map(|(i, l)| ((l.doc_id.as_str(), l.paragraph), i)).collect();
    let key = |r: &Row| {
        let para = r.json.get("paragraph").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
        order.get(&(r.doc_id.as_str(), para)).copied().unwrap_or(usize::MAX)
    };
    rows.sort_by_cached_key(|r| {
        (
            key(r),
            r.json.get("source").and_then(|v| v.as_str()).unwrap_or("").to_string(),
            r.json.get("target").and_then(|v| v.as_str()).unwrap_or("").to_string(),
        )
    });
    if folds > 1 {
        let fold_of = |doc: &str| (labels::hash_u64("reader-fold:", doc) % folds as u64) as usize;
        let params = Params::default();
        for k in 0..folds {
            let ex: Vec<Example> = rows
                .iter()
                .filter(|r| r.split == Split::Train && fold_of(&r.doc_id) != k)
                .filter_map(|r| r.class.map(|class| Example { features: r.features.clone(), class }))
                .collect();
            let m = model::train(&ex, params.epochs, params.l2, params.rate);
            for r in rows.iter_mut().filter(|r| r.split == Split::Train && fold_of(&r.doc_id) == k) {
                if let Some(o) = r.json.as_object_mut() {
                    o.insert("oof".into(), serde_json::json!(m.probs(&r.features)));
                }
            }
            eprintln!("export_candidates: fold {k} of {folds} trained on {} examples", ex.len());
        }
    }
    let mut w = std::io::BufWriter::new(std::fs::File::create(&out)?);
    for r in &rows {
        writeln!(w, "{}", r.json)?;
    }
    w.flush()?;
    eprintln!(
        "export_candidates: {} candidates of {} labelled train/dev paragraphs written to {}",
        rows.len(),
        labelled.len(),
        out.display()
    );
    Ok(())
}
