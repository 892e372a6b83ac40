//! Tone throughput: our VADER engine against the `vader_sentiment` crate (0.1.1), scoring the
//! same sentences (the 9,641 of `tests/data/vader/reference.tsv`) in one run, on one core.
//!
//! ```sh
//! cargo bench --bench tone
//! ```
//!
//! Criterion reports both as MiB/s (`thrpt`); the ratio of the two is the speed-up. The crate is
//! only the baseline: its scores differ from the reference on 13.5 % of news sentences.
//!
//! Measured on the shared 2-core dev machine, load about 3 (1,511,016 bytes per iteration, one
//! run, 2026-11-28): newsstance 194.8 MiB/s, the crate 9.24 MiB/s, 21x on one core (before the
//! single-pass tokenizer and the inline-key word table: 79.6 MiB/s).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use newsstance::tone::{Scratch, Vader};

fn sentences() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/vader/reference.tsv");
    let data = std::fs::read_to_string(path).expect("tests/data/vader/reference.tsv");
    data.lines().skip(1).filter_map(|line| line.split('\t').nth(1)).map(str::to_owned).collect()
}

fn tone(c: &mut Criterion) {
    let sentences = sentences();
    let bytes: usize = sentences.iter().map(String::len).sum();
    let mut group = c.benchmark_group("tone");
    group
        .throughput(Throughput::Bytes(bytes as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));

    let vader = Vader::embedded();
    group.bench_function("newsstance", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| {
            let mut acc = 0.0;
            for s in &sentences {
                acc += vader.polarity_scores_with(black_box(s), &mut scratch).compound;
            }
            acc
        })
    });
    group.bench_function("newsstance_thread_local", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for s in &sentences {
                acc += vader.polarity_scores(black_box(s)).compound;
            }
            acc
        })
    });

    let crate_vader = vader_sentiment::SentimentIntensityAnalyzer::new();
    group.bench_function("vader_sentiment_crate", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for s in &sentences {
                acc += crate_vader.polarity_scores(black_box(s))["compound"];
            }
            acc
        })
    });
    group.finish();
}

criterion_group!(benches, tone);
criterion_main!(benches);
