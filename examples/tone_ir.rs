//! A fixed workload for the tone engine, to compare instruction counts (repeatable on a shared
//! machine, unlike wall time) and best-of-N throughput before and after a change.
//!
//! ```text
//! cargo build --release --example tone_ir
//! valgrind --tool=callgrind --toggle-collect='tone_ir::score_all' \
//!     target/release/examples/tone_ir tsv tests/data/vader/reference.tsv
//! valgrind --tool=callgrind --toggle-collect='tone_ir::score_all' \
//!     target/release/examples/tone_ir news /tmp/news.jsonl        # `text` of each JSONL record
//! valgrind --tool=callgrind --toggle-collect='tone_ir::valence_all' target/release/examples/tone_ir news /tmp/news.jsonl
//! target/release/examples/tone_ir news /tmp/news.jsonl 10         # best of 10 rounds, MB/s
//! ```
//!
//! `tsv` scores column 2 of a TSV file (header skipped); `news` splits each record's `text` into
//! sentences with the pipeline's segmenter first, as the pipeline scores them. Loading and
//! splitting happen outside `score_all`, so `--toggle-collect` counts scoring only.
//! `valence_all` looks up every whitespace token, stripped of ASCII punctuation and lowercased,
//! as the stance features do. The printed hash of all scores must not change with an
//! optimisation.

use std::hint::black_box;
use std::time::Instant;

use newsstance::tone::{Scratch, Vader};

#[inline(never)]
fn score_all(vader: &Vader, sentences: &[&str], scratch: &mut Scratch) -> f64 {
    let mut acc = 0.0;
    for s in sentences {
        acc += vader.polarity_scores_with(black_box(s), scratch).compound;
    }
    acc
}

#[inline(never)]
fn valence_all(vader: &Vader, words: &[String]) -> f64 {
    let mut acc = 0.0;
    for w in words {
        acc += vader.valence(black_box(w)).unwrap_or(0.0);
    }
    acc
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(path)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: tone_ir tsv|news FILE [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.get(3).map_or(1, |s| s.parse().expect("ROUNDS is a number"));
    let data = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut owned: Vec<String> = Vec::new();
    if mode == "tsv" {
        owned = data.lines().skip(1).filter_map(|l| l.split('\t').nth(1)).map(str::to_owned).collect();
    } else {
        for line in data.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).expect("JSONL record");
            let text = v["text"].as_str().unwrap_or("");
            for p in newsstance::segment::segment(text) {
                owned.extend(p.sentences.iter().map(|s| text[s.clone()].to_owned()));
            }
        }
    }
    let sentences: Vec<&str> = owned.iter().map(String::as_str).collect();
    let bytes: usize = sentences.iter().map(|s| s.len()).sum();
    let words: Vec<String> = sentences
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(|w| w.trim_matches(|c: char| c.is_ascii_punctuation()).to_lowercase())
        .collect();
    let vader = Vader::embedded();
    let mut scratch = Scratch::default();

    let (mut best, mut best_valence) = (f64::MAX, f64::MAX);
    let mut acc = 0.0;
    for _ in 0..rounds {
        let t = Instant::now();
        acc += score_all(&vader, &sentences, &mut scratch);
        best = best.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        acc += valence_all(&vader, &words);
        best_valence = best_valence.min(t.elapsed().as_secs_f64());
    }

    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for s in &sentences {
        let p = vader.polarity_scores_with(s, &mut scratch);
        for x in [p.neg, p.neu, p.pos, p.compound] {
            hash = (hash ^ x.to_bits()).wrapping_mul(0x100_0000_01b3);
        }
    }
    println!(
        "{} sentences, {bytes} bytes, {} words, checksum {acc}, score hash {hash:016x}",
        sentences.len(),
        words.len()
    );
    if rounds > 1 {
        println!(
            "best of {rounds}: {:.1} MB/s scoring, {:.1} ns per valence look-up",
            bytes as f64 / best / 1e6,
            best_valence * 1e9 / words.len() as f64
        );
    }
}
