//! Load time of the sentence reader's tables, and its cost per window (README, "Directed
//! stance"): reading the vectors and weights, the first window (which folds its words' rows),
//! a pass that folds the rest of the windows' words, then the folded and the plain forms on
//! windows of the dev candidates' mean length.
//!
//! ```text
//! cargo run --release --example reader_timing [-- LEXICONS]
//! ```

use std::time::Instant;

use newsstance::stance::reader::{Reader, Scratch, Window, ND, TAGS};
use newsstance::stance::vectors::Rng;

fn main() -> anyhow::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "lexicons".into());
    let t = Instant::now();
    let (reader, _) = Reader::load(Some(std::path::Path::new(&dir))).map_err(|p| anyhow::anyhow!("{p}"))?;
    let load = t.elapsed();
    let mut rng = Rng(1);
    let words = reader.vectors.len();
    let mut windows = Vec::new();
    for _ in 0..2000 {
        let n = 41;
        let mut w = Window::default();
        for t in 0..n {
            // As in the corpus's text: 94 % of tokens among the 8,000 most frequent words, 5 %
            // among the rest of the vocabulary, 1 % unknown.
            let u = rng.unit();
            let id = if u < 0.94 {
                2 + (rng.unit().powi(2) * 8000f64.min((words - 2) as f64)) as u32
            } else if u < 0.99 {
                2 + 8000 + rng.below(words.saturating_sub(8002).max(1)) as u32
            } else {
                1
            };
            w.ids.push(id);
            w.feats.push([rng.below(ND) as u8, rng.below(ND) as u8, rng.below(TAGS) as u8]);
            w.piece.push((3 * t / n) as u8);
        }
        windows.push(w);
    }
    let mut s = Scratch::default();
    s.window = windows[0].clone();
    let t = Instant::now();
    let _ = reader.probs(&mut s);
    let first = t.elapsed();
    let mut sum = 0.0f32;
    // Every frequent word's row is folded the first time a window reads it: one pass first, so
    // the timed pass measures the windows alone.
    let t = Instant::now();
    for w in &windows {
        s.window.clone_from(w);
        sum += reader.probs(&mut s).map_or(0.0, |p| p[1]);
    }
    let warm = t.elapsed();
    let t = Instant::now();
    for w in &windows {
        s.window.clone_from(w);
        sum += reader.probs(&mut s).map_or(0.0, |p| p[1]);
    }
    let folded = t.elapsed() / windows.len() as u32;
    let t = Instant::now();
    for w in windows.iter().take(200) {
        s.window.clone_from(w);
        sum += reader.probs_plain(&mut s).map_or(0.0, |p| p[1]);
    }
    let plain = t.elapsed() / 200;
    // The same windows with every word among the 50 most frequent (rows in cache): what the
    // arithmetic costs without the table's memory traffic.
    let t = Instant::now();
    for w in &windows {
        s.window.clone_from(w);
        for id in s.window.ids.iter_mut() {
            *id = 2 + *id % 50;
        }
        sum += reader.probs(&mut s).map_or(0.0, |p| p[1]);
    }
    let cached = t.elapsed() / windows.len() as u32;
    println!(
        "load (vectors + weights + small tables) {:.1} ms; first window (folds its words' rows) {:.2} ms; first pass over {} windows (folds their words' rows) {:.1} ms; per 41-token window: folded {:.1} µs ({:.1} µs with every word's row in cache), plain {:.1} µs ({sum:.1})",
        load.as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3,
        windows.len(),
        warm.as_secs_f64() * 1e3,
        folded.as_secs_f64() * 1e6,
        cached.as_secs_f64() * 1e6,
        plain.as_secs_f64() * 1e6
    );
    Ok(())
}
