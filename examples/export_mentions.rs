//! Exports the labelled mentions of coverage sentiment — the real mentions of the **train and
//! dev** splits of `labels/mentions/` and the NewsMTSC files — one JSON line each, with the
//! shipped target model's probabilities, for prototyping readers of the sentence outside Rust
//! (`tools/coverage_reader_prototype/`).
//!
//! ```text
//! cargo run --release --example export_mentions -- OUT.jsonl [--folds 5] [--labels labels/mentions]
//!     [--corpus ../shared/corpus/news.jsonl.gz] [--newsmtsc tests/data/newsmtsc] [--lexicons lexicons]
//! ```
//!
//! The real test split is never read: its rows are dropped from a copy of `mentions.csv` (in a
//! temporary folder) before the labels are matched to the corpus, so no figure, error or text of
//! it can reach a prototype tuned on dev. The output holds corpus text; keep it in a scratch
//! folder, never in git.
//!
//! Each line: `set` (`real`, `newsmtsc_train`, `devtest_rw`, `devtest_mt`), `split` (`train` or
//! `dev` for real mentions; the file's role for NewsMTSC), `doc_id` (real mentions: the article;
//! NewsMTSC: empty), `gid`, `sentence`, `target` and `others` (byte spans in the UTF-8 of
//! `sentence`, as the target model reads them), `gold`, `probs` (the shipped model's negative /
//! neutral / positive probabilities, computed as `eval mentions` and `eval newsmtsc` compute them,
//! so that the exported argmax reproduces their figures exactly), and with `--folds K` on the
//! training sets (`real` train and `newsmtsc_train`) `oof`: the probabilities of the same model
//! (the shipped settings, `stance::mentions::train_params`) trained without the example's fold —
//! NewsMTSC in contiguous blocks of sentences, real mentions by article, the folds of
//! `examples/train_target.rs real` — so that a combiner learns from probabilities that were not
//! fitted on the example itself.
//!
//! Only mentions whose labellers agree on the sentiment are written (the uncertain ones count
//! neither in `eval mentions` nor in training).

use std::io::Write;
use std::path::{Path, PathBuf};

use newsstance::corpus;
use newsstance::eval::{load_newsmtsc, Example};
use newsstance::labels::{self, Split};
use newsstance::pipeline::Engines;
use newsstance::stance::mentions;
use newsstance::stance::target::Mixed;

/// One exported example before the out-of-fold probabilities are known.
struct Row {
    set: &'static str,
    split: &'static str,
    doc_id: String,
    example: Example,
    probs: [f64; 3],
    /// Fold of a training example (`None`: not a training example, no `oof`).
    fold: Option<usize>,
    oof: Option<[f64; 3]>,
}

const K_DEFAULT: usize = 5;

/// Copies `labels/mentions.csv` without its test rows into `dir`: the test split must not be
/// matched to the corpus at all.
fn train_dev_copy(labels_dir: &Path, dir: &Path) -> anyhow::Result<usize> {
    let text = std::fs::read_to_string(labels_dir.join("mentions.csv"))?;
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let header = r.headers()?.clone();
    let split =
        header.iter().position(|h| h == "split").ok_or_else(|| anyhow::anyhow!("mentions.csv: no `split` column"))?;
    let mut w = csv::Writer::from_path(dir.join("mentions.csv"))?;
    w.write_record(&header)?;
    let mut kept = 0;
    for rec in r.records() {
        let rec = rec?;
        if matches!(rec.get(split), Some("train" | "dev")) {
            w.write_record(&rec)?;
            kept += 1;
        }
    }
    w.flush()?;
    Ok(kept)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut out: Option<PathBuf> = None;
    let mut folds = 0usize;
    let mut labels_dir = PathBuf::from("labels/mentions");
    let mut corpus_path = PathBuf::from("../shared/corpus/news.jsonl.gz");
    let mut newsmtsc = PathBuf::from("tests/data/newsmtsc");
    let mut lexicons = PathBuf::from("lexicons");
    while let Some(a) = args.next() {
        match a.as_str() {
            "--folds" => folds = args.next().and_then(|v| v.parse().ok()).unwrap_or(K_DEFAULT),
            "--labels" => labels_dir = args.next().map(PathBuf::from).unwrap_or(labels_dir),
            "--corpus" => corpus_path = args.next().map(PathBuf::from).unwrap_or(corpus_path),
            "--newsmtsc" => newsmtsc = args.next().map(PathBuf::from).unwrap_or(newsmtsc),
            "--lexicons" => lexicons = args.next().map(PathBuf::from).unwrap_or(lexicons),
            _ => out = Some(PathBuf::from(a)),
        }
    }
    let out = out.ok_or_else(|| anyhow::anyhow!("usage: export_mentions OUT.jsonl [--folds K]"))?;
    let engines = Engines::load(Some(&lexicons))?;
    let (vader, model) = (&engines.vader, &engines.target);

    let tmp = tempfile::tempdir()?;
    let kept = train_dev_copy(&labels_dir, tmp.path())?;
    let (files, errors) = corpus::discover(std::slice::from_ref(&corpus_path));
    if let Some(e) = errors.first() {
        anyhow::bail!("{}: {}", e.input, e.error);
    }
    let (real, lost) = mentions::load(&engines, tmp.path(), &files)?;
    eprintln!("export_mentions: {kept} train/dev label rows, {} matched, {lost} missing or changed", real.len());

    let mut rows: Vec<Row> = Vec::new();
    let score = |e: &Example| model.score(vader, &e.sentence, e.target.clone(), &e.others).probs;
    // Real mentions, in label-file order; the fold of a train mention as train_target's.
    for m in real.iter().filter(|m| m.sentiment.is_some()) {
        let (split, fold) = match m.split {
            Split::Train => ("train", Some((labels::hash_u64("fold:", &m.doc_id) % folds.max(1) as u64) as usize)),
            Split::Dev => ("dev", None),
            Split::Test => continue,
        };
        rows.push(Row {
            set: "real",
            split,
            doc_id: m.doc_id.clone(),
            probs: score(&m.example),
            example: m.example.clone(),
            fold,
            oof: None,
        });
    }
    for (set, file) in
        [("newsmtsc_train", "train.jsonl"), ("devtest_rw", "devtest_rw.jsonl"), ("devtest_mt", "devtest_mt.jsonl")]
    {
        let examples = load_newsmtsc(&newsmtsc.join(file))?;
        // NewsMTSC folds: contiguous blocks of sentences in file order (as train_target's).
        let mut sent_of = Vec::with_capacity(examples.len());
        let mut sent = 0usize;
        for (i, e) in examples.iter().enumerate() {
            if i > 0 && examples[i - 1].sentence != e.sentence {
                sent += 1;
            }
            sent_of.push(sent);
        }
        for (e, s) in examples.into_iter().zip(sent_of) {
            let fold = (set == "newsmtsc_train").then(|| s * folds.max(1) / (sent + 1));
            rows.push(Row {
                set,
                split: if set == "newsmtsc_train" { "train" } else { "devtest" },
                doc_id: String::new(),
                probs: score(&e),
                example: e,
                fold,
                oof: None,
            });
        }
    }

    if folds > 1 {
        // The shipped model's training data in its order: NewsMTSC train, then the real train
        // mentions with an agreed label (mentions::train_examples).
        let news_rows: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].set == "newsmtsc_train").collect();
        let real_rows: Vec<usize> =
            (0..rows.len()).filter(|&i| rows[i].set == "real" && rows[i].split == "train").collect();
        let news: Vec<Example> = news_rows.iter().map(|&i| rows[i].example.clone()).collect();
        let realx: Vec<Example> = real_rows.iter().map(|&i| rows[i].example.clone()).collect();
        let mixed = Mixed::new(&news, &realx, vader);
        let params = mentions::train_params();
        for k in 0..folds {
            let ni: Vec<usize> = (0..news_rows.len()).filter(|&j| rows[news_rows[j]].fold != Some(k)).collect();
            let ri: Vec<usize> = (0..real_rows.len()).filter(|&j| rows[real_rows[j]].fold != Some(k)).collect();
            let m = mixed.fit(&ni, &ri, &params);
            for &i in news_rows.iter().chain(&real_rows) {
                if rows[i].fold == Some(k) {
                    let e = &rows[i].example;
                    rows[i].oof = Some(m.score(vader, &e.sentence, e.target.clone(), &e.others).probs);
                }
            }
            eprintln!("export_mentions: fold {k} of {folds} fitted on {} + {} examples", ni.len(), ri.len());
        }
    }

    let mut w = std::io::BufWriter::new(std::fs::File::create(&out)?);
    for r in &rows {
        let e = &r.example;
        let mut json = serde_json::json!({
            "set": r.set,
            "split": r.split,
            "doc_id": r.doc_id,
            "gid": e.gid,
            "sentence": e.sentence,
            "target": [e.target.start, e.target.end],
            "others": e.others.iter().map(|o| [o.start, o.end]).collect::<Vec<_>>(),
            "gold": e.gold.as_str(),
            "probs": r.probs,
        });
        if let (Some(o), Some(map)) = (r.oof, json.as_object_mut()) {
            map.insert("oof".into(), serde_json::json!(o));
        }
        writeln!(w, "{json}")?;
    }
    w.flush()?;
    eprintln!("export_mentions: {} examples written to {}", rows.len(), out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_of_the_labels_holds_no_test_row() {
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        let header = "doc_id,paragraph,sentence,start,end,hash,split,actor,country,sentiment_a,sentiment_b,sentiment,actor_a,actor_b,actor_status";
        let row = |split: &str| format!("a:1,1,1,0,5,00,{split},usa,USA,neutral,neutral,neutral,right,right,right");
        let text = [header.to_string(), row("train"), row("test"), row("dev"), row("test")].join("\n") + "\n";
        std::fs::write(src.path().join("mentions.csv"), text).unwrap();
        assert_eq!(train_dev_copy(src.path(), dst.path()).unwrap(), 2);
        let copy = std::fs::read_to_string(dst.path().join("mentions.csv")).unwrap();
        assert!(copy.starts_with(header), "{copy}");
        assert!(!copy.contains(",test,"), "{copy}");
        assert_eq!(copy.lines().count(), 3);
        // A file without the split column is refused rather than copied whole.
        std::fs::write(src.path().join("mentions.csv"), "doc_id,paragraph\na:1,1\n").unwrap();
        assert!(train_dev_copy(src.path(), dst.path()).is_err());
    }
}
