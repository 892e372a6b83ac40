//! Training experiments, cross-validation, evaluation and timing of the target-dependent model
//! (the shipped weights come from `newsstance train newsmtsc`, see the README).
//!
//! ```text
//! cargo run --release --example train_target -- real [key=v1,v2 ...]
//! cargo run --release --example train_target -- train tests/data/newsmtsc/train.jsonl lexicons/target_model.csv
//! cargo run --release --example train_target -- cv tests/data/newsmtsc/train.jsonl [l2=1e-3 min_count=2 class_balance=0.5 k=5]
//! cargo run --release --example train_target -- eval tests/data/newsmtsc/devtest_rw.jsonl [predictions.csv]
//! cargo run --release --example train_target -- bench tests/data/newsmtsc/devtest_rw.jsonl
//! cargo run --release --example train_target -- bench-news /tmp/news.jsonl [MB=12]
//! cargo run --release --example train_target -- profile-news /tmp/news.jsonl [MB=12]
//! ```
//!
//! `real` chooses how NewsMTSC and the real labelled mentions (`labels/mentions`, train split)
//! are mixed: for every combination of the given values of `l2`, `min_count`, `class_balance`,
//! `real_class_balance`, `real_weight`, `source_prior` (0/1), `neg_shift` and `pos_shift` (`bias_shift`) it runs a 5-fold cross-validation
//! over both sets at once (NewsMTSC in contiguous blocks of sentences, real mentions by article)
//! and prints the pooled figures of each, then trains on all of both and prints the real dev
//! split's. Defaults are `mentions::train_params()`. Needs `../shared/corpus/news.jsonl.gz`.
//! `fraction=F` (one value) keeps the real train mentions of a fixed share F of the train
//! articles, for a learning curve (`real fraction=0.25`, `0.5`, then all).
//!
//! `bench` and `bench-news` time, in one run and on one core, the shipped per-mention scorer
//! (`reference::ReferenceModel::score_shipped`: string-keyed features, sentence re-tokenized per
//! mention) against the batch scorer `TargetModel::score_sentence`, alternating them for a few
//! rounds and reporting each one's best round in mentions per CPU-second of the thread (the
//! machine is shared, so wall time would also count other processes), and check that they agree.
//! `bench-news` takes the first MB megabytes of a news JSONL file (`id`, `text`, `date`) through
//! segmentation, tone and actor finding first; the sentence compound then comes from the tone
//! stage as in the pipeline, while on NewsMTSC `score_sentence`'s timing includes computing it.

use std::io::BufRead;
use std::ops::Range;
use std::path::Path;
use std::time::Instant;

use newsstance::document::Date;
use newsstance::eval::{eval_newsmtsc, load_newsmtsc, train_newsmtsc};
use newsstance::eval::{EvalReport, Example};
use newsstance::labels::Split;
use newsstance::pipeline::Engines;
use newsstance::stance::mentions::{self, RealMention};
use newsstance::stance::target::reference::ReferenceModel;
use newsstance::stance::target::{cross_validate, Mixed, TargetModel, TargetScore, TrainParams};
use newsstance::tone::Vader;

/// CPU time of this thread in seconds: the machine is shared, so wall time would count the time
/// other processes hold the core.
fn cpu_time() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes to it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// One sentence with its mentions, as the pipeline scores it.
struct Sentence {
    text: String,
    /// VADER compound of `text`, when the caller already has it (the tone stage).
    compound: Option<f64>,
    mentions: Vec<Range<usize>>,
}

/// The mentions of `sentences` with their `others`, for the one-mention-at-a-time scorer.
fn per_mention(sentences: &[Sentence]) -> Vec<(usize, Range<usize>, Vec<Range<usize>>)> {
    let mut out = Vec::new();
    for (k, s) in sentences.iter().enumerate() {
        for (i, m) in s.mentions.iter().enumerate() {
            let others = s.mentions.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, o)| o.clone()).collect();
            out.push((k, m.clone(), others));
        }
    }
    out
}

/// Times the shipped scorer against `score_sentence` on the same mentions and checks agreement.
/// `score_sentence` is timed twice: with each sentence's VADER compound given (the pipeline has
/// it from the tone stage) and with computing it counted in (a caller without a tone stage).
fn compare(vader: &Vader, sentences: &[Sentence]) {
    let model = TargetModel::embedded();
    let shipped = ReferenceModel::new(&model);
    let mentions = per_mention(sentences);
    let n = mentions.len();
    let words: usize = sentences.iter().map(|s| s.text.split_whitespace().count()).sum();
    println!(
        "{} sentences, {n} mentions, {:.1} words per sentence",
        sentences.len(),
        words as f64 / sentences.len().max(1) as f64
    );
    let compounds: Vec<f64> =
        sentences.iter().map(|s| s.compound.unwrap_or_else(|| vader.polarity_scores(&s.text).compound)).collect();
    let run_old = |out: &mut Vec<TargetScore>| {
        out.clear();
        for (k, t, o) in &mentions {
            out.push(shipped.score_shipped(vader, &sentences[*k].text, t.clone(), o));
        }
    };
    let run_new = |out: &mut Vec<TargetScore>| {
        out.clear();
        for (s, &c) in sentences.iter().zip(&compounds) {
            model.score_sentence(vader, &s.text, c, &s.mentions, out);
        }
    };
    let run_new_vader = |out: &mut Vec<TargetScore>| {
        out.clear();
        for s in sentences {
            let c = vader.polarity_scores(&s.text).compound;
            model.score_sentence(vader, &s.text, c, &s.mentions, out);
        }
    };
    let (mut old, mut new, mut new2) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let mut best = [f64::INFINITY; 3];
    let rounds = (2_000_000 / n.max(1)).clamp(3, 15);
    for _ in 0..rounds {
        let t = cpu_time();
        run_old(&mut old);
        best[0] = best[0].min(cpu_time() - t);
        let t = cpu_time();
        run_new(&mut new);
        best[1] = best[1].min(cpu_time() - t);
        let t = cpu_time();
        run_new_vader(&mut new2);
        best[2] = best[2].min(cpu_time() - t);
    }
    assert!(new == new2, "the compound given and computed agree");
    let labels = old.iter().zip(&new).filter(|(a, b)| a.label != b.label).count();
    let scores = old.iter().zip(&new).filter(|(a, b)| (a.score - b.score).abs() > 1e-9).count();
    let max = old.iter().zip(&new).map(|(a, b)| (a.score - b.score).abs()).fold(0.0, f64::max);
    let exact_differ = mentions
        .iter()
        .zip(&new)
        .filter(|((k, t, o), b)| shipped.score(vader, &sentences[*k].text, t.clone(), o) != **b)
        .count();
    println!("shipped per mention              {:>9.0} mentions/s", n as f64 / best[0]);
    println!("score_sentence, compound given   {:>9.0} mentions/s  ({:.2}x)", n as f64 / best[1], best[0] / best[1]);
    println!("score_sentence + VADER compound  {:>9.0} mentions/s  ({:.2}x)", n as f64 / best[2], best[0] / best[2]);
    println!(
        "best of {rounds} rounds, thread CPU time; vs shipped: labels differing {labels}, scores differing \
         > 1e-9 {scores} (max {max:.2e}: shipped hash collisions); vs the exact string-keyed reference: \
         {exact_differ} differing"
    );
}

/// Runs only `score_sentence` over `sentences` for `rounds` rounds (to profile it with `perf`).
fn profile(vader: &Vader, sentences: &[Sentence], rounds: usize) {
    let model = TargetModel::embedded();
    let mut out = Vec::new();
    let t = cpu_time();
    for _ in 0..rounds {
        out.clear();
        for s in sentences {
            let c = s.compound.unwrap_or_else(|| vader.polarity_scores(&s.text).compound);
            model.score_sentence(vader, &s.text, c, &s.mentions, &mut out);
        }
    }
    let secs = cpu_time() - t;
    println!(
        "{} mentions in {secs:.2} s CPU: {:.0} mentions/s",
        out.len() * rounds,
        (out.len() * rounds) as f64 / secs
    );
}

/// NewsMTSC examples grouped back into their sentences.
fn newsmtsc_sentences(path: &Path) -> anyhow::Result<Vec<Sentence>> {
    let data = load_newsmtsc(path)?;
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let k = data[i].others.len() + 1;
        let mentions = data[i..(i + k).min(data.len())].iter().map(|e| e.target.clone()).collect();
        out.push(Sentence { text: data[i].sentence.clone(), compound: None, mentions });
        i += k;
    }
    Ok(out)
}

/// The sentences with mentions of the first `mb` megabytes of a news JSONL file, through the
/// pipeline's segmentation, tone and actor stages.
fn news_sentences(path: &Path, mb: f64) -> anyhow::Result<Vec<Sentence>> {
    let engines = Engines::load(None).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let reader = std::io::BufReader::new(std::fs::File::open(path)?);
    let (mut bytes, mut out) = (0usize, Vec::new());
    for line in reader.lines() {
        let line = line?;
        bytes += line.len() + 1;
        let v: serde_json::Value = serde_json::from_str(&line)?;
        let text = v["text"].as_str().unwrap_or_default();
        let date = v["date"].as_str().and_then(Date::parse);
        let paragraphs = newsstance::segment::segment(text);
        let actors = engines.lexicon.find(text, &paragraphs, date);
        let mut i = 0;
        let ms = &actors.mentions;
        while i < ms.len() {
            let (p, s) = (ms[i].paragraph, ms[i].sentence);
            let n = ms[i..].iter().take_while(|m| m.paragraph == p && m.sentence == s).count();
            let sent = paragraphs[p as usize].sentences[s as usize].clone();
            let mentions = ms[i..i + n].iter().map(|m| m.span.start - sent.start..m.span.end - sent.start).collect();
            let sentence = &text[sent];
            let compound = Some(engines.vader.polarity_scores(sentence).compound);
            out.push(Sentence { text: sentence.to_string(), compound, mentions });
            i += n;
        }
        if bytes as f64 >= mb * 1e6 {
            break;
        }
    }
    println!("{:.1} MB of news", bytes as f64 / 1e6);
    Ok(out)
}

fn params_from(args: &[String]) -> (TrainParams, usize) {
    let mut p = TrainParams::default();
    let mut k = 5;
    for a in args {
        let (key, val) = a.split_once('=').expect("key=value");
        match key {
            "l2" => p.l2 = val.parse().unwrap(),
            "min_count" => p.min_count = val.parse().unwrap(),
            "class_balance" => p.class_balance = val.parse().unwrap(),
            "max_iter" => p.max_iter = val.parse().unwrap(),
            "k" => k = val.parse().unwrap(),
            _ => panic!("unknown parameter {key}"),
        }
    }
    (p, k)
}

/// Macro-F1, accuracy and predicted shares of a report, on one line.
fn line(r: &EvalReport) -> String {
    let n = r.total().max(1) as f64;
    let pred: Vec<String> =
        (0..3).map(|k| format!("{:.3}", (0..3).map(|g| r.confusion[g][k]).sum::<u64>() as f64 / n)).collect();
    format!("F1 {:.3} acc {:.3} pred {}", r.macro_f1(), r.accuracy(), pred.join("/"))
}

/// Every combination of the comma-separated values of `key=v1,v2` arguments.
fn grid(args: &[String]) -> Vec<TrainParams> {
    let mut out = vec![mentions::train_params()];
    for a in args {
        let (key, vals) = a.split_once('=').expect("key=value");
        let mut next = Vec::new();
        for p in &out {
            for v in vals.split(',') {
                let mut q = p.clone();
                match key {
                    "l2" => q.l2 = v.parse().unwrap(),
                    "min_count" => q.min_count = v.parse().unwrap(),
                    "class_balance" => q.class_balance = v.parse().unwrap(),
                    "real_class_balance" => q.real_class_balance = v.parse().unwrap(),
                    "real_weight" => q.real_weight = v.parse().unwrap(),
                    "source_prior" => q.source_prior = v == "1",
                    "neg_shift" => q.bias_shift[0] = v.parse().unwrap(),
                    "max_iter" => q.max_iter = v.parse().unwrap(),
                    "pos_shift" => q.bias_shift[2] = v.parse().unwrap(),
                    _ => panic!("unknown parameter {key}"),
                }
                next.push(q);
            }
        }
        out = next;
    }
    out
}

/// The `real` experiment (see the module docs).
fn real(vader: &Vader, args: &[String]) -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let engines = Engines::load(Some(&root.join("lexicons"))).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (files, _) = newsstance::corpus::discover(&[root.join("../shared/corpus/news.jsonl.gz")]);
    let (all, lost) = mentions::load(&engines, &root.join("labels/mentions"), &files)?;
    anyhow::ensure!(lost == 0, "{lost} labelled mentions missing");
    // NS_DUMP=FILE: every train and dev mention with its actor judgement and context (corpus
    // text: keep the file local).
    if let Ok(path) = std::env::var("NS_DUMP") {
        use std::io::Write;
        let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
        for m in all.iter().filter(|m| m.split != Split::Test) {
            let e = &m.example;
            let left = e.sentence[..e.target.start].replace(['\t', '\n'], " ");
            let right = e.sentence[e.target.end..].replace(['\t', '\n'], " ");
            writeln!(
                w,
                "{}\t{}\t{}\t{:?}\t{}\t{}\t{}",
                m.actor,
                m.actor_status.as_deref().unwrap_or("uncertain"),
                m.split.name(),
                m.found,
                left,
                &e.sentence[e.target.clone()],
                right
            )?;
        }
    }
    // `fraction=F`: keep the real train mentions of a fixed share F of the articles (by a hash
    // of the article id), for the learning curve; the folds and dev stay as they are.
    let fraction: f64 = args
        .iter()
        .find_map(|a| a.strip_prefix("fraction="))
        .map_or(Ok(1.0), |f| f.parse())
        .map_err(|e| anyhow::anyhow!("fraction: {e}"))?;
    let args: Vec<String> = args.iter().filter(|a| !a.starts_with("fraction=")).cloned().collect();
    let in_share =
        |m: &RealMention| (newsstance::labels::hash_u64("curve:", &m.doc_id) % 1000) < (fraction * 1000.0) as u64;
    let train: Vec<&RealMention> =
        all.iter().filter(|m| m.split == Split::Train && m.sentiment.is_some() && in_share(m)).collect();
    let dev: Vec<&RealMention> = all.iter().filter(|m| m.split == Split::Dev).collect();
    let real: Vec<Example> = train.iter().map(|m| m.example.clone()).collect();
    let news = load_newsmtsc(&root.join("tests/data/newsmtsc/train.jsonl"))?;
    let t = Instant::now();
    let mixed = Mixed::new(&news, &real, vader);
    eprintln!("{} NewsMTSC + {} real examples prepared in {:.1?}", news.len(), real.len(), t.elapsed());
    const K: usize = 5;
    // NewsMTSC folds: contiguous blocks of sentences; real folds: by article.
    let mut sent = 0usize;
    let mut news_sent = Vec::with_capacity(news.len());
    for (i, e) in news.iter().enumerate() {
        if i > 0 && news[i - 1].sentence != e.sentence {
            sent += 1;
        }
        news_sent.push(sent);
    }
    let news_fold: Vec<usize> = news_sent.iter().map(|&s| s * K / (sent + 1)).collect();
    let real_fold: Vec<usize> =
        train.iter().map(|m| (newsstance::labels::hash_u64("fold:", &m.doc_id) % K as u64) as usize).collect();
    // NS_MISSES=FILE: the cross-validated predictions of the real train split (corpus text: keep
    // the file local).
    let mut misses = match std::env::var("NS_MISSES") {
        Ok(path) => Some(std::io::BufWriter::new(std::fs::File::create(path)?)),
        Err(_) => None,
    };
    for p in grid(&args) {
        let t = Instant::now();
        let (mut rn, mut rr) = (EvalReport::default(), EvalReport::default());
        for f in 0..K {
            let ni: Vec<usize> = (0..news.len()).filter(|&i| news_fold[i] != f).collect();
            let ri: Vec<usize> = (0..real.len()).filter(|&i| real_fold[i] != f).collect();
            let m = mixed.fit(&ni, &ri, &p);
            for (e, _) in news.iter().zip(&news_fold).filter(|(_, &g)| g == f) {
                rn.add(e.gold, m.score(vader, &e.sentence, e.target.clone(), &e.others).label);
            }
            for (e, _) in real.iter().zip(&real_fold).filter(|(_, &g)| g == f) {
                let s = m.score(vader, &e.sentence, e.target.clone(), &e.others);
                rr.add(e.gold, s.label);
                if let Some(w) = misses.as_mut() {
                    use std::io::Write;
                    let text = e.sentence.split_whitespace().collect::<Vec<_>>().join(" ");
                    writeln!(
                        w,
                        "{}\t{}\t{:.2}/{:.2}/{:.2}\t{}\t{}",
                        e.gold,
                        s.label,
                        s.probs[0],
                        s.probs[1],
                        s.probs[2],
                        &e.sentence[e.target.clone()],
                        text
                    )?;
                }
            }
        }
        let full = mixed.fit(&(0..news.len()).collect::<Vec<_>>(), &(0..real.len()).collect::<Vec<_>>(), &p);
        let d = mentions::evaluate(&full, vader, &dev);
        println!(
            "{p:?}\n  cv real   {}\n  cv mtsc   {}\n  dev real  {} ECE {:.3}  ({:.1?})",
            line(&rr),
            line(&rn),
            line(&d.sentiment),
            d.ece,
            t.elapsed()
        );
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let vader = Vader::embedded();
    match args.first().map(String::as_str) {
        Some("train") => {
            let (p, _) = params_from(&args[3..]);
            let t = Instant::now();
            let model = train_newsmtsc(Path::new(&args[1]), Path::new(&args[2]), &vader, &p)?;
            eprintln!("{} features, {:.1?}", model.len(), t.elapsed());
        }
        Some("cv") => {
            let data = load_newsmtsc(Path::new(&args[1]))?;
            let (p, k) = params_from(&args[2..]);
            let t = Instant::now();
            let r = cross_validate(&data, &vader, &p, k);
            println!("{p:?} k={k} ({:.1?})\n{r}", t.elapsed());
        }
        Some("eval") => {
            let model = TargetModel::embedded();
            let out = args.get(2).map(Path::new);
            let r = eval_newsmtsc(&model, &vader, Path::new(&args[1]), out)?;
            println!("{r}");
        }
        Some("real") => real(&vader, &args[1..])?,
        Some("bench") => compare(&vader, &newsmtsc_sentences(Path::new(&args[1]))?),
        Some("bench-news") => {
            let mb = args.get(2).map_or(Ok(12.0), |m| m.parse())?;
            compare(&vader, &news_sentences(Path::new(&args[1]), mb)?);
        }
        Some("profile-news") => {
            let mb = args.get(2).map_or(Ok(12.0), |m| m.parse())?;
            profile(&vader, &news_sentences(Path::new(&args[1]), mb)?, 20);
        }
        _ => anyhow::bail!("usage: train_target train|cv|eval|real|bench|bench-news FILE ..."),
    }
    Ok(())
}
