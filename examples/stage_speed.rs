//! The stages of `score` on a fixed slice of documents, for timing on a shared machine: runs
//! the stages of [`newsstance::pipeline::analyse`] on every document of a JSONL file `PASSES` times on one
//! thread and prints, per pass, its thread CPU time and each stage's, then the best of each over
//! the passes. The stages are those of `pipeline::analyse` as `score` runs them (the gated
//! parse; report rows and CSV encoding are left out), timed by the thread's CPU clock: the
//! manifest's `stage_seconds` sum wall-clock laps, which other jobs on a shared machine inflate
//! by tens of per cent. The best of several passes is the figure to compare.
//!
//! ```text
//! zcat ../shared/corpus/news.jsonl.gz | head -3000 > slice.jsonl
//! cargo run --release --example stage_speed -- slice.jsonl [PASSES=5]
//! ```

use newsstance::corpus::{self, InputFile, Record};
use newsstance::pipeline::Engines;
use newsstance::stance::{self, model};
use newsstance::{segment, syntax};

fn thread_cpu_seconds() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

const STAGES: [&str; 7] = ["segment", "tone", "actors", "target", "events", "syntax", "model"];

/// Thread CPU time since the last lap.
struct Lap(f64);

impl Lap {
    fn lap(&mut self) -> f64 {
        let now = thread_cpu_seconds();
        let d = now - self.0;
        self.0 = now;
        d
    }
}

/// The stages of `pipeline::analyse` (as `score` runs them: the gated parse), each timed by
/// the thread's CPU clock and added to `t`; returns a checksum of what they found.
fn analyse(engines: &Engines, doc: &newsstance::document::Document, t: &mut [f64; 7]) -> u64 {
    let text = doc.text.as_str();
    let mut clock = Lap(thread_cpu_seconds());
    let mut paragraphs = segment::segment(text);
    paragraphs.retain(|p| p.span.len() <= newsstance::pipeline::MAX_PARAGRAPH_BYTES);
    t[0] += clock.lap();
    let tones: Vec<Vec<_>> = paragraphs
        .iter()
        .map(|p| p.sentences.iter().map(|s| engines.vader.polarity_scores(&text[s.clone()])).collect())
        .collect();
    t[1] += clock.lap();
    let actors = engines.lexicon.find(text, &paragraphs, doc.date);
    t[2] += clock.lap();
    let sentiments = newsstance::pipeline::mention_sentiments(engines, text, &paragraphs, &tones, &actors);
    t[3] += clock.lap();
    let rules = stance::events(&engines.cues, &engines.lexicon, text, &paragraphs, &actors);
    t[4] += clock.lap();
    let pair = &engines.pair;
    let input = model::DocInput {
        text,
        paragraphs: &paragraphs,
        tones: &tones,
        actors: &actors,
        lexicon: &engines.lexicon,
        sentiments: &sentiments,
        rules: &rules,
        eventdata: &pair.eventdata,
        syntax: &pair.syntax,
    };
    let mut cands = model::candidates(&input, false);
    let wanted = model::sentences_to_parse(&actors, &engines.lexicon, &rules, &cands, Some(&pair.model));
    t[6] += clock.lap();
    let mut sc = syntax::Scratch::default();
    let trees: Vec<((u32, u32), syntax::Tree)> = wanted
        .into_iter()
        .map(|(p, s)| {
            let mut tree = syntax::Tree::default();
            pair.syntax.parse(text, paragraphs[p as usize].sentences[s as usize].clone(), &mut sc, &mut tree);
            ((p, s), tree)
        })
        .collect();
    t[5] += clock.lap();
    model::add_syntax(&input, &mut cands, &trees, false);
    let events = model::decide(&pair.model, &cands);
    t[6] += clock.lap();
    let mut check = (events.len() as u64) << 32 | rules.len() as u64;
    for s in &sentiments {
        check = check.wrapping_mul(31).wrapping_add(s.score.to_bits());
    }
    for (e, c) in &events {
        check = check.wrapping_mul(31).wrapping_add(e.score.to_bits() ^ u64::from(c.to_bits()));
    }
    check
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or_else(|| anyhow::anyhow!("usage: stage_speed SLICE.jsonl [PASSES]"))?;
    let passes: usize = args.next().map(|p| p.parse()).transpose()?.unwrap_or(5);
    let engines = Engines::load(None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let input = InputFile { path: path.clone().into(), display: path.clone() };
    let docs: Vec<_> = corpus::open(&input)
        .filter_map(|r| match r {
            Record::Document(d) => Some(d),
            Record::Error(_) => None,
        })
        .collect();
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let mut best_cpu = f64::INFINITY;
    let mut best = [f64::INFINITY; 7];
    let mut check = 0u64;
    for pass in 0..passes {
        let mut t = [0.0; 7];
        let start = thread_cpu_seconds();
        for d in &docs {
            let c = analyse(&engines, d, &mut t);
            if pass == 0 {
                check = check.wrapping_mul(31).wrapping_add(c);
            }
        }
        let cpu = thread_cpu_seconds() - start;
        best_cpu = best_cpu.min(cpu);
        for (b, s) in best.iter_mut().zip(&t) {
            *b = b.min(*s);
        }
        let line: Vec<String> = STAGES.iter().zip(&t).map(|(n, s)| format!("{n} {s:.3}")).collect();
        eprintln!("pass {pass}: cpu {cpu:.3} s | {}", line.join(", "));
    }
    let line: Vec<String> = STAGES.iter().zip(&best).map(|(n, s)| format!("{n} {s:.3}")).collect();
    println!(
        "{} documents, {:.1} MB; best cpu {best_cpu:.3} s ({:.1} MB per CPU-second); best per stage: {}; check {check:016x}",
        docs.len(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / best_cpu,
        line.join(", ")
    );
    Ok(())
}
