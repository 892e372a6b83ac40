//! Throughput of `segment::segment`, the stage that sees every byte of the nightly corpus.
//!
//! `seed_x64` runs on the shipped seed article repeated 64 times as one document (≈210 KB), so it
//! works everywhere. `corpus_2000` runs on the first 2,000 articles of the shared benchmark corpus
//! (`../shared/corpus/news.jsonl.gz`, or `$NEWSSTANCE_CORPUS`) and is skipped when that file is
//! absent: the corpus may not be copied into the repository.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use newsstance::segment::segment;

const SEED: &str = include_str!("../seeds/000_ce661559d7daa382.txt");

fn corpus_sample(limit: usize) -> Option<Vec<String>> {
    let path = std::env::var_os("NEWSSTANCE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/news.jsonl.gz"));
    let file = std::fs::File::open(path).ok()?;
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let mut texts = Vec::new();
    for line in reader.lines().take(limit) {
        let value: serde_json::Value = serde_json::from_str(&line.ok()?).ok()?;
        texts.push(value.get("text")?.as_str()?.to_owned());
    }
    Some(texts)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("segment");
    group.sample_size(20).measurement_time(Duration::from_secs(5));

    let seed = SEED.repeat(64);
    group.throughput(Throughput::Bytes(seed.len() as u64));
    group.bench_function("seed_x64", |b| b.iter(|| segment(black_box(&seed))));

    match corpus_sample(2000) {
        Some(texts) => {
            let bytes: usize = texts.iter().map(String::len).sum();
            group.throughput(Throughput::Bytes(bytes as u64));
            group.bench_function("corpus_2000", |b| {
                b.iter(|| texts.iter().map(|t| segment(black_box(t)).len()).sum::<usize>())
            });
        }
        None => eprintln!("segment/corpus_2000 skipped: benchmark corpus not found"),
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
