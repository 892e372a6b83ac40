//! The coverage reader's cost per mention (README, "Sentiment toward a mention"): building the
//! window (tokens, vocabulary look-ups) and the folded forward pass, on the NewsMTSC devtest
//! mentions, after a first pass has folded the frequent words' rows they read.
//!
//! ```text
//! cargo run --release --example coverage_timing [-- LEXICONS]
//! ```

use std::time::Instant;

use newsstance::stance::coverage::{build_window, CoverageReader, Scratch};

fn main() -> anyhow::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "lexicons".into());
    let dir = std::path::Path::new(&dir);
    let (stance, _) = newsstance::stance::reader::Reader::load(Some(dir)).map_err(|p| anyhow::anyhow!("{p}"))?;
    let (reader, _): (CoverageReader, _) =
        CoverageReader::load(Some(dir), std::sync::Arc::clone(&stance.vectors)).map_err(|p| anyhow::anyhow!("{p}"))?;
    let mut examples = Vec::new();
    for f in ["devtest_rw.jsonl", "devtest_mt.jsonl"] {
        examples.extend(newsstance::eval::load_newsmtsc(&std::path::Path::new("tests/data/newsmtsc").join(f))?);
    }
    let mut s = Scratch::default();
    let t = Instant::now();
    let _ = reader.probs(&examples[0].sentence, &examples[0].target, &examples[0].others, &mut s);
    let first = t.elapsed();
    let mut windows = Vec::new();
    let t = Instant::now();
    for ex in &examples {
        build_window(&reader.net.vectors, &ex.sentence, &ex.target, &ex.others, &mut s);
        windows.push(s.window.clone());
    }
    let build = t.elapsed() / examples.len() as u32;
    let tokens = windows.iter().map(|w| w.len()).sum::<usize>() as f64 / windows.len() as f64;
    let mut net = newsstance::stance::pcnn::Scratch::default();
    let mut sum = 0.0f32;
    // Every frequent word's row is folded the first time a window reads it: one pass first.
    for w in &windows {
        sum += reader.net.probs(w, &mut net).map_or(0.0, |p| p[1]);
    }
    let t = Instant::now();
    for _ in 0..5 {
        for w in &windows {
            sum += reader.net.probs(w, &mut net).map_or(0.0, |p| p[1]);
        }
    }
    let folded = t.elapsed() / (5 * windows.len()) as u32;
    let t = Instant::now();
    for w in windows.iter().take(300) {
        sum += reader.net.probs_plain(w, &mut net).map_or(0.0, |p| p[1]);
    }
    let plain = t.elapsed() / 300;
    println!(
        "{} mentions, {tokens:.1} tokens a window; first mention (folds its words' rows) {:.1} ms; per mention: window {:.2} µs, folded forward {:.2} µs, plain forward {:.1} µs ({sum:.1})",
        examples.len(),
        first.as_secs_f64() * 1e3,
        build.as_secs_f64() * 1e6,
        folded.as_secs_f64() * 1e6,
        plain.as_secs_f64() * 1e6
    );
    Ok(())
}
