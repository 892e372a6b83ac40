//! TEMPORARY development stub of the VADER engine (branch `target` only).
//!
//! The real engine lives on branch `tone`; this stub exists only so that the target-dependent
//! model can be developed before it lands. It is reverted before `git merge tone`.

use rustc_hash::FxHashMap;

/// Sentiment scores of a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Polarity {
    pub neg: f64,
    pub neu: f64,
    pub pos: f64,
    pub compound: f64,
}

/// Stub VADER: lexicon lookup plus a crude compound.
pub struct Vader {
    lex: FxHashMap<String, f64>,
}

impl Vader {
    pub fn embedded() -> Vader {
        let text = include_str!("../../lexicons/vader/vader_lexicon.txt");
        let mut lex = FxHashMap::default();
        for line in text.lines() {
            let mut it = line.split('\t');
            if let (Some(w), Some(v)) = (it.next(), it.next()) {
                if let Ok(v) = v.parse::<f64>() {
                    lex.insert(w.to_string(), v);
                }
            }
        }
        Vader { lex }
    }

    pub fn valence(&self, word: &str) -> Option<f64> {
        self.lex.get(word).copied()
    }

    pub fn polarity_scores(&self, text: &str) -> Polarity {
        let mut sum = 0.0;
        let (mut p, mut n, mut cnt) = (0.0, 0.0, 0usize);
        let mut neg_left = 0;
        for w in text.split_whitespace() {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'').to_lowercase();
            cnt += 1;
            if matches!(w.as_str(), "not" | "no" | "never" | "without") || w.ends_with("n't") {
                neg_left = 3;
                continue;
            }
            if let Some(mut v) = self.lex.get(&w).copied() {
                if neg_left > 0 {
                    v *= -0.74;
                }
                sum += v;
                if v > 0.0 {
                    p += v + 1.0;
                } else {
                    n += -v + 1.0;
                }
            }
            neg_left = (neg_left as i32 - 1).max(0);
        }
        let compound = if sum == 0.0 { 0.0 } else { sum / (sum * sum + 15.0).sqrt() };
        let tot = p + n + (cnt as f64);
        if tot == 0.0 {
            return Polarity { neg: 0.0, neu: 0.0, pos: 0.0, compound: 0.0 };
        }
        Polarity { neg: n / tot, neu: cnt as f64 / tot, pos: p / tot, compound }
    }
}
