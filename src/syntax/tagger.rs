//! Part-of-speech tagger: greedy, left to right, then a second pass that also sees the first
//! pass's tags to the right; averaged perceptron over word, affix, shape and context features.
//!
//! Classes are UPOS and XPOS together (`PROPN NNP`), so one decision gives both tags and the
//! pairs stay consistent.

use rustc_hash::FxHashMap;

use super::lex::{Lex, NONE};
use super::perceptron::{shuffle, Feat, Trainer, Units, Weights};

/// Tag id: index into [`Tagger::tags`].
pub type Tag = u16;
/// Tag value used for positions outside the sentence.
const OUT: u64 = 0xffff;

/// A trained tagger.
#[derive(Debug, Clone)]
pub struct Tagger {
    /// `UPOS XPOS` per class.
    pub tags: Vec<(String, String)>,
    /// First pass (left context tags only) and second pass (tags on both sides).
    pub first: Weights,
    pub second: Weights,
    /// Tag dictionary: words (by [`Lex::form`]) that had one tag in training, often enough to
    /// trust it ([`dictionary`]). They take that tag without being scored, in both passes.
    pub dict: TagDict,
}

/// The tag dictionary: the words, as the weights file lists them, and their hashes for lookup.
#[derive(Debug, Clone, Default)]
pub struct TagDict {
    words: Vec<(String, Tag)>,
    index: FxHashMap<u64, Tag>,
}

impl TagDict {
    pub fn new(words: Vec<(String, Tag)>) -> TagDict {
        let index = words.iter().map(|(w, t)| (Lex::of(w).form, *t)).collect();
        TagDict { words, index }
    }

    /// The words and their tags, in the order given.
    pub fn words(&self) -> &[(String, Tag)] {
        &self.words
    }

    /// The tag of a word, by [`Lex::form`], when the dictionary has it.
    #[inline]
    pub fn get(&self, form: u64) -> Option<Tag> {
        if self.index.is_empty() {
            return None;
        }
        self.index.get(&form).copied()
    }
}

/// A word enters the tag dictionary when it was seen at least this often in training...
pub const DICT_MIN_COUNT: usize = 10;
/// ... with its most frequent tag on at least this share of its occurrences (in thousandths).
pub const DICT_MIN_PERMILLE: usize = 995;

/// The tag dictionary of a training set (`(form, tag)` per word): the words seen at least
/// [`DICT_MIN_COUNT`] times whose most frequent tag has at least [`DICT_MIN_PERMILLE`]‰ of
/// them, sorted by form, words with whitespace left out (the file keeps them space-separated).
/// On EWT train: 1,130 words, 35 % of the words of dev.
pub fn dictionary<'a>(words: impl Iterator<Item = (&'a str, Tag)>) -> Vec<(String, Tag)> {
    let mut counts: std::collections::BTreeMap<&str, std::collections::BTreeMap<Tag, usize>> = Default::default();
    for (w, t) in words {
        *counts.entry(w).or_default().entry(t).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|(w, _)| !w.is_empty() && !w.chars().any(char::is_whitespace))
        .filter_map(|(w, tags)| {
            let total: usize = tags.values().sum();
            // The most frequent tag, the first of equals.
            let (&t, &n) = tags.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))?;
            (total >= DICT_MIN_COUNT && n * 1000 >= total * DICT_MIN_PERMILLE).then(|| (w.to_string(), t))
        })
        .collect()
}

/// Features of word `i` given the tags before it (`prev`) and, in the second pass, after it.
pub(crate) fn features(lex: &[Lex], i: usize, left: [u64; 2], right: Option<[u64; 2]>, out: &mut Vec<Feat>) {
    out.clear();
    let at = |k: isize| -> Option<&Lex> {
        let j = i as isize + k;
        if j < 0 {
            None
        } else {
            lex.get(j as usize)
        }
    };
    let w = &lex[i];
    let lw = |k: isize| at(k).map_or(NONE, |l| l.lower);
    out.push(Feat::new(0, 0));
    out.push(Feat::new(1, w.lower));
    out.push(Feat::new(2, w.form));
    for (k, &s) in w.suffix.iter().enumerate() {
        if s != 0 {
            out.push(Feat::new(3 + k as u32, s));
        }
    }
    for (k, &p) in w.prefix.iter().enumerate() {
        if p != 0 {
            out.push(Feat::new(7 + k as u32, p));
        }
    }
    out.push(Feat::new(10, w.shape));
    out.push(Feat::new2(11, w.flags as u64, (i == 0) as u64));
    out.push(Feat::new(12, left[0]));
    out.push(Feat::new2(13, left[0], left[1]));
    out.push(Feat::new2(14, left[0], w.lower));
    out.push(Feat::new(15, lw(-1)));
    out.push(Feat::new(16, at(-1).map_or(NONE, |l| l.suffix[2])));
    out.push(Feat::new(17, lw(-2)));
    out.push(Feat::new(18, lw(1)));
    out.push(Feat::new(19, at(1).map_or(NONE, |l| l.suffix[2])));
    out.push(Feat::new(20, lw(2)));
    out.push(Feat::new2(21, lw(-1), w.lower));
    out.push(Feat::new2(22, w.lower, lw(1)));
    out.push(Feat::new(23, at(1).map_or(NONE, |l| l.shape)));
    out.push(Feat::new(24, at(-1).map_or(NONE, |l| l.shape)));
    out.push(Feat::new2(25, left[0], w.suffix[2]));
    // Word clusters from unlabelled news: the word's and its neighbours'.
    let cl = |k: isize| at(k).map_or((NONE, NONE), |l| (l.coarse as u64, l.fine as u64));
    let (c0, f0) = cl(0);
    out.push(Feat::new(31, c0));
    out.push(Feat::new(32, f0));
    out.push(Feat::new2(33, left[0], f0));
    out.push(Feat::new(34, cl(-1).1));
    out.push(Feat::new(35, cl(1).1));
    out.push(Feat::new2(36, f0, cl(1).0));
    if let Some(r) = right {
        out.push(Feat::new(26, r[0]));
        out.push(Feat::new2(27, r[0], r[1]));
        out.push(Feat::new2(28, left[0], r[0]));
        out.push(Feat::new2(29, r[0], w.lower));
        out.push(Feat::new2(30, r[0], w.suffix[2]));
    }
}

/// The first best class.
fn best<S: PartialOrd + Copy>(scores: &[S]) -> usize {
    let mut b = 0;
    for (k, &s) in scores.iter().enumerate() {
        if s > scores[b] {
            b = k;
        }
    }
    b
}

fn left_of(tags: &[Tag], i: usize) -> [u64; 2] {
    let t = |k: usize| if i >= k { tags[i - k] as u64 } else { OUT };
    [t(1), t(2)]
}

fn right_of(tags: &[Tag], i: usize) -> [u64; 2] {
    let t = |k: usize| tags.get(i + k).map_or(OUT, |&t| t as u64);
    [t(1), t(2)]
}

impl Tagger {
    /// Tags a sentence's words (their [`Lex`]), writing one tag per word into `out`.
    pub fn tag(&self, lex: &[Lex], out: &mut Vec<Tag>, scratch: &mut Scratch) {
        let n = self.tags.len();
        out.clear();
        scratch.first.clear();
        for i in 0..lex.len() {
            if let Some(t) = self.dict.get(lex[i].form) {
                scratch.first.push(t);
                continue;
            }
            features(lex, i, left_of(&scratch.first, i), None, &mut scratch.feats);
            scratch.scores.clear();
            scratch.scores.resize(n, 0);
            self.first.score(&scratch.feats, &mut scratch.scores);
            scratch.first.push(best(&scratch.scores) as Tag);
        }
        for i in 0..lex.len() {
            if let Some(t) = self.dict.get(lex[i].form) {
                out.push(t);
                continue;
            }
            features(lex, i, left_of(out, i), Some(right_of(&scratch.first, i)), &mut scratch.feats);
            scratch.scores.clear();
            scratch.scores.resize(n, 0);
            self.second.score(&scratch.feats, &mut scratch.scores);
            out.push(best(&scratch.scores) as Tag);
        }
    }
}

/// Buffers reused across sentences so tagging allocates nothing once warm.
#[derive(Debug, Default)]
pub struct Scratch {
    feats: Vec<Feat>,
    scores: Vec<Units>,
    first: Vec<Tag>,
}

/// Trains a tagger on sentences given as (words' [`Lex`], gold tags). The second pass is
/// trained on the first pass's own predictions to the right (from the model as it is at that
/// step), so it learns to use the tags it will really see.
pub fn train(tags: Vec<(String, String)>, data: &[(Vec<Lex>, Vec<Tag>)], epochs: usize) -> Tagger {
    let n = tags.len();
    let mut first = Trainer::new(n);
    let mut second = Trainer::new(n);
    let mut feats = Vec::new();
    let mut scores = vec![0.0f32; n];
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut pred1: Vec<Tag> = Vec::new();
    let mut pred2: Vec<Tag> = Vec::new();
    for _ in 0..epochs {
        // A seeded shuffle: the same weights on every rerun.
        shuffle(&mut order, &mut rng);
        for &s in &order {
            let (lex, gold) = &data[s];
            pred1.clear();
            for (i, &g) in gold.iter().enumerate() {
                features(lex, i, left_of(&pred1, i), None, &mut feats);
                scores.iter_mut().for_each(|x| *x = 0.0);
                first.score(&feats, &mut scores);
                let guess = best(&scores);
                if guess != g as usize {
                    first.update(&feats, g as usize, 1.0);
                    first.update(&feats, guess, -1.0);
                }
                first.tick();
                pred1.push(guess as Tag);
            }
            pred2.clear();
            for (i, &g) in gold.iter().enumerate() {
                features(lex, i, left_of(&pred2, i), Some(right_of(&pred1, i)), &mut feats);
                scores.iter_mut().for_each(|x| *x = 0.0);
                second.score(&feats, &mut scores);
                let guess = best(&scores);
                if guess != g as usize {
                    second.update(&feats, g as usize, 1.0);
                    second.update(&feats, guess, -1.0);
                }
                second.tick();
                pred2.push(guess as Tag);
            }
        }
    }
    Tagger { tags, first: first.average(), second: second.average(), dict: TagDict::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words seen often enough with one tag (or nearly: 995 in 1000) enter the dictionary;
    /// rare or ambiguous words and words with spaces do not.
    #[test]
    fn the_dictionary_keeps_frequent_unambiguous_words() {
        let mut words: Vec<(&str, Tag)> = Vec::new();
        words.extend(std::iter::repeat_n(("the", 3), 400));
        words.extend(std::iter::repeat_n(("to", 5), 300));
        words.extend(std::iter::repeat_n(("to", 6), 200));
        words.extend(std::iter::repeat_n(("of", 4), 999));
        words.push(("of", 1));
        words.extend(std::iter::repeat_n(("rare", 2), DICT_MIN_COUNT - 1));
        words.extend(std::iter::repeat_n(("New York", 7), 50));
        words.extend(std::iter::repeat_n(("said", 8), 150));
        words.push(("said", 9));
        let dict = dictionary(words.into_iter());
        assert_eq!(dict, vec![("of".to_string(), 4), ("the".to_string(), 3)]);
    }

    /// A dictionary word takes its tag in both passes whatever the weights say; other words
    /// are scored (here all scores are zero, so they get the first tag).
    #[test]
    fn dictionary_words_are_not_scored() {
        let tags = (0..4).map(|k| (format!("U{k}"), format!("X{k}"))).collect();
        let mut first = Weights::new(4);
        // Weights that would give every word tag 1.
        first.insert(Feat::new(0, 0).0, &[0.0, 1.0, 0.0, 0.0]);
        let second = first.clone();
        let tagger = Tagger { tags, first, second, dict: TagDict::new(vec![("Russia".to_string(), 3)]) };
        let lex: Vec<Lex> = ["Russia", "said", "Russia"].iter().map(|w| Lex::of(w)).collect();
        let mut out = Vec::new();
        tagger.tag(&lex, &mut out, &mut Scratch::default());
        assert_eq!(out, vec![3, 1, 3]);
        // Without the dictionary, the weights decide.
        let plain = Tagger { dict: TagDict::default(), ..tagger };
        plain.tag(&lex, &mut out, &mut Scratch::default());
        assert_eq!(out, vec![1, 1, 1]);
    }
}
