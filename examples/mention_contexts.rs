//! Every actor mention of a JSONL corpus with its context, one TSV line each, for checking a
//! lexicon change beyond the labelled mentions: run it before and after the change and diff
//! the two files (the lines are in corpus order).
//!
//! ```text
//! cargo run --release --example mention_contexts -- CORPUS.jsonl [LEXICON_DIR] > mentions.tsv
//! ```
//!
//! Columns: `doc_id`, paragraph and sentence (1-based, as `score` numbers them), byte start and
//! end in the article text, actor id, actor kind, how it was found (`Alias`, `Role`, `Name`),
//! the mention, up to 100 bytes of its sentence either side, and the mention's byte start in its
//! sentence (the offsets `labels/mentions/mentions.csv` uses, to join the labels). The output holds corpus text:
//! keep it in a local scratch folder, never commit it.

use std::io::{BufRead, Write};
use std::path::Path;

use newsstance::document::Date;

/// The largest char boundary of `s` at or below `i`.
fn floor(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary of `s` at or above `i`.
fn ceil(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(corpus) = args.first() else {
        anyhow::bail!("usage: mention_contexts CORPUS.jsonl [LEXICON_DIR]");
    };
    let loaded = newsstance::actors::load(args.get(1).map(Path::new)).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let lexicon = loaded.lexicon;
    let reader = std::io::BufReader::new(std::fs::File::open(corpus)?);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in reader.lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let id = v["id"].as_str().unwrap_or_default();
        let text = v["text"].as_str().unwrap_or_default();
        let date = v["date"].as_str().and_then(Date::parse);
        let paragraphs = newsstance::segment::segment(text);
        let doc = lexicon.find(text, &paragraphs, date);
        for m in &doc.mentions {
            let actor = doc.actor(&lexicon, m.actor);
            let sent = paragraphs[m.paragraph as usize].sentences[m.sentence as usize].clone();
            let from = floor(text, m.span.start.saturating_sub(100).max(sent.start));
            let to = ceil(text, (m.span.end + 100).min(sent.end));
            let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
            writeln!(
                out,
                "{id}\t{}\t{}\t{}\t{}\t{}\t{}\t{:?}\t{}\t{}[[{}]]{}\t{}",
                m.paragraph + 1,
                m.sentence + 1,
                m.span.start,
                m.span.end,
                actor.id,
                actor.kind,
                m.via,
                clean(&text[m.span.clone()]),
                clean(&text[from..m.span.start]),
                clean(&text[m.span.clone()]),
                clean(&text[m.span.end..to]),
                m.span.start - sent.start,
            )?;
        }
    }
    Ok(())
}
