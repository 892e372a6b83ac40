//! Drives training, cross-validation and evaluation of the target-dependent model until the CLI
//! wires `newsstance train newsmtsc` / `newsstance eval newsmtsc`.
//!
//! ```text
//! cargo run --release --example train_target -- train tests/data/newsmtsc/train.jsonl lexicons/target_model.csv
//! cargo run --release --example train_target -- cv tests/data/newsmtsc/train.jsonl [l2=1e-3 min_count=2 class_balance=0.5 k=5]
//! cargo run --release --example train_target -- eval tests/data/newsmtsc/devtest_rw.jsonl [predictions.csv]
//! cargo run --release --example train_target -- bench tests/data/newsmtsc/devtest_rw.jsonl
//! cargo run --release --example train_target -- bench-news /tmp/news.jsonl [MB=12]
//! cargo run --release --example train_target -- profile-news /tmp/news.jsonl [MB=12]
//! ```
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
use newsstance::pipeline::Engines;
use newsstance::stance::target::reference::ReferenceModel;
use newsstance::stance::target::{cross_validate, TargetModel, TargetScore, TrainParams};
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
        Some("bench") => compare(&vader, &newsmtsc_sentences(Path::new(&args[1]))?),
        Some("bench-news") => {
            let mb = args.get(2).map_or(Ok(12.0), |m| m.parse())?;
            compare(&vader, &news_sentences(Path::new(&args[1]), mb)?);
        }
        Some("profile-news") => {
            let mb = args.get(2).map_or(Ok(12.0), |m| m.parse())?;
            profile(&vader, &news_sentences(Path::new(&args[1]), mb)?, 20);
        }
        _ => anyhow::bail!("usage: train_target train|cv|eval|bench|bench-news FILE ..."),
    }
    Ok(())
}
