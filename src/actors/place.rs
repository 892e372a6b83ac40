//! The place model: is a capital or city mention (`kind: place`) the country's government or
//! state, or only a city?
//!
//! "Moscow said" and "talks in Vienna" are the state; "the terror attacks in Paris", "a London
//! street", "Washington (CNN) —", "a Washington-based think tank" and "King's College London" are
//! a city, a dateline or an organisation. Readers of real news judged about a third of the
//! corpus's place mentions to be such cities (`labels/`), and place mentions were most of the
//! mentions that are not the actor. The words that decide are many and local (the word before
//! and after, a hyphen or a bracket glued to the name, what the sentence is about), so a small
//! learned model weighs them, trained on the readers' judgements (`newsstance train places`).
//!
//! The model decides what counts as **coverage** of the country (`mentions.csv` and the actor and
//! country aggregates); the mention stays for the stance stages, whose models learned their own
//! reading of places from the stance labels.
//!
//! Weights are data: `lexicons/place_model.csv`, `feature,weight` rows, with the rows `bias` and
//! `threshold` (a mention is a city when P(city) reaches it). Features are named as the
//! extraction below writes them; `explain` prints each mention's probability.

use std::ops::Range;

use rustc_hash::FxHashMap;

use crate::lexicon::{LexiconFile, Problem};

/// Header of `place_model.csv`.
pub const HEADER: &[&str] = &["feature", "weight"];

/// A trained place model.
#[derive(Debug, Clone, Default)]
pub struct PlaceModel {
    /// Feature name hash → weight.
    weights: FxHashMap<u64, f32>,
    bias: f32,
    /// P(city) at which a mention stops counting as coverage; above 1 (the empty model) never.
    threshold: f32,
}

/// Buffers reused between mentions (no allocation per mention once warm).
#[derive(Debug, Default)]
pub struct Scratch {
    pub features: Vec<u64>,
    words: Vec<Range<usize>>,
    buf: String,
    /// Feature names, kept only when asked (`explain`, training).
    pub names: Option<Vec<String>>,
}

/// FNV-1a: a stable hash of a feature name (the weights file holds names, hashed at load).
fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

impl PlaceModel {
    /// A model that counts every place mention (for lexicon folders without the file's rules).
    pub fn empty() -> PlaceModel {
        PlaceModel { weights: FxHashMap::default(), bias: 0.0, threshold: 2.0 }
    }

    /// Builds a model from `(name, weight)` rows and its bias and threshold.
    pub fn from_rows(rows: &[(String, f32)], bias: f32, threshold: f32) -> PlaceModel {
        PlaceModel { weights: rows.iter().map(|(n, w)| (hash(n), *w)).collect(), bias, threshold }
    }

    /// Parses `place_model.csv`; a bad row is a problem naming its line.
    pub fn parse(file: &LexiconFile, problems: &mut Vec<Problem>) -> PlaceModel {
        let mut rows = Vec::new();
        let mut seen: FxHashMap<String, u64> = FxHashMap::default();
        let (mut bias, mut threshold) = (None, None);
        for (line, r) in file.csv_records(HEADER, problems) {
            let name = r[0].trim();
            let Some(w) = r[1].trim().parse::<f32>().ok().filter(|w| w.is_finite()) else {
                problems
                    .push(file.problem(line, format!("weight `{}` of `{name}` is not a finite number", r[1].trim())));
                continue;
            };
            if name.is_empty() {
                problems.push(file.problem(line, "empty feature name"));
                continue;
            }
            if let Some(first) = seen.insert(name.to_string(), line) {
                problems.push(file.problem(line, format!("feature `{name}` already on line {first}")));
                continue;
            }
            match name {
                "bias" => bias = Some(w),
                "threshold" if (0.0..=1.0).contains(&w) => threshold = Some(w),
                "threshold" => problems.push(file.problem(line, format!("threshold {w} is not a probability"))),
                _ => rows.push((name.to_string(), w)),
            }
        }
        if rows.is_empty() && bias.is_none() && threshold.is_none() {
            return PlaceModel::empty();
        }
        let (Some(bias), Some(threshold)) = (bias, threshold) else {
            problems.push(file.problem(1, "needs a `bias` row and a `threshold` row"));
            return PlaceModel::empty();
        };
        PlaceModel::from_rows(&rows, bias, threshold)
    }

    /// P(the mention is only a city) for the features in `s.features`.
    pub fn probability(&self, features: &[u64]) -> f32 {
        sigmoid(self.bias + features.iter().filter_map(|f| self.weights.get(f)).sum::<f32>())
    }

    /// Whether a place mention at `span` of `sentence` counts as the country (coverage), and
    /// P(city). `actor` is the mention's actor id.
    pub fn judge(&self, sentence: &str, span: Range<usize>, actor: &str, s: &mut Scratch) -> (bool, f32) {
        if self.threshold > 1.0 {
            return (true, 0.0);
        }
        features(sentence, span, actor, s);
        let p = self.probability(&s.features);
        (p < self.threshold, p)
    }

    /// The weight of a feature name (`explain`), 0 when the model does not have it.
    pub fn weight(&self, name: &str) -> f32 {
        self.weights.get(&hash(name)).copied().unwrap_or(0.0)
    }

    pub fn threshold(&self) -> f32 {
        self.threshold
    }
}

/// Words of a sentence: runs of letters and digits (with inner apostrophes, "Xi's" stays one).
fn words(sentence: &str, out: &mut Vec<Range<usize>>) {
    out.clear();
    let mut start = None;
    for (i, c) in sentence.char_indices() {
        let inside = c.is_alphanumeric() || (start.is_some() && (c == '\'' || c == '’'));
        match (inside, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..sentence.len());
    }
}

/// The character next to a mention as a feature value: `w` for a letter or digit, the mark itself
/// otherwise, `edge` at the sentence's edge.
fn mark<'b>(c: Option<char>, edge: &'static str, buf: &'b mut [u8; 4]) -> &'b str {
    match c {
        None => edge,
        Some(c) if c.is_alphanumeric() => "w",
        Some(c) => c.encode_utf8(buf),
    }
}

/// Adds the feature `prefix` + `parts` (lowercased) to `s`.
fn add(s: &mut Scratch, parts: &[&str]) {
    s.buf.clear();
    for p in parts {
        for c in p.chars() {
            s.buf.extend(c.to_lowercase());
        }
    }
    s.features.push(hash(&s.buf));
    if let Some(names) = s.names.as_mut() {
        names.push(s.buf.clone());
    }
}

/// The features of a place mention at `span` of `sentence` (byte offsets), into `s.features`
/// (and `s.names` when kept): the actor; the one and two words before and after it, and the
/// pair around it; the character glued before and after it (a bracket, a comma, a hyphen as in
/// "Washington-based", the possessive); whether it starts the sentence, is written in capitals,
/// or is followed by a capitalised word ("London Metropolitan Police"); and the sentence's other
/// words as a bag.
pub fn features(sentence: &str, span: Range<usize>, actor: &str, s: &mut Scratch) {
    s.features.clear();
    if let Some(n) = s.names.as_mut() {
        n.clear();
    }
    let span = span.start.min(sentence.len())..span.end.min(sentence.len());
    if !sentence.is_char_boundary(span.start) || !sentence.is_char_boundary(span.end) {
        return;
    }
    let mut ws = std::mem::take(&mut s.words);
    words(sentence, &mut ws);
    add(s, &["a:", actor]);
    let mut before = ws.iter().filter(|w| w.end <= span.start).rev().map(|w| &sentence[w.clone()]);
    let (p1, p2) = (before.next().unwrap_or("^"), before.next().unwrap_or("^"));
    // The possessive and glued suffixes belong to the mention's own word run.
    let tail = &sentence[span.end..];
    let glued = if tail.starts_with("'s") || tail.starts_with("’s") {
        "'s"
    } else if let Some(rest) = tail.strip_prefix('-') {
        rest.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("")
    } else {
        ""
    };
    // Words after it, past a glued "-based" (its own word run) and the possessive (inside the
    // mention's run).
    let skip = if glued.is_empty() || glued == "'s" { None } else { Some(span.end + 1) };
    let mut after = ws.iter().filter(|w| w.start >= span.end && Some(w.start) != skip).map(|w| &sentence[w.clone()]);
    let (n1, n2) = (after.next().unwrap_or("$"), after.next().unwrap_or("$"));
    add(s, &["p1:", p1]);
    add(s, &["p2:", p2, " ", p1]);
    add(s, &["n1:", n1]);
    add(s, &["n2:", n1, " ", n2]);
    add(s, &["p1n1:", p1, "|", n1]);
    if !glued.is_empty() {
        add(s, &["g:", glued]);
        if glued != "'s" {
            add(s, &["g:-"]);
        }
    }
    let mut buf = [0u8; 4];
    add(s, &["pc:", mark(sentence[..span.start].trim_end().chars().last(), "^", &mut buf)]);
    let rest = tail.strip_prefix("'s").or_else(|| tail.strip_prefix("’s")).unwrap_or(tail);
    add(s, &["nc:", mark(rest.trim_start().chars().next(), "$", &mut buf)]);
    if n1.chars().next().is_some_and(char::is_uppercase) {
        add(s, &["ncap"]);
    }
    let m = &sentence[span.clone()];
    if m.chars().filter(|c| c.is_alphabetic()).count() > 1 && !m.chars().any(char::is_lowercase) {
        add(s, &["upper"]);
    }
    // The sentence's other words, each once (a linear check: a sentence has tens of words), in
    // sentence order, so the sum is the same whether or not names are kept.
    let first_bag = s.features.len();
    for w in &ws {
        if w.start < span.end && span.start < w.end {
            continue;
        }
        let word = &sentence[w.clone()];
        if word.chars().count() >= 3 && word.chars().all(char::is_alphabetic) {
            add(s, &["w:", word]);
            let last = s.features.len() - 1;
            if s.features[first_bag..last].contains(&s.features[last]) {
                s.features.pop();
                if let Some(n) = s.names.as_mut() {
                    n.pop();
                }
            }
        }
    }
    s.words = ws;
}

/// One judged place mention: its features by name, and whether readers judged it not the actor
/// (`other_entity` or `wrong_country`).
#[derive(Debug, Clone)]
pub struct Example {
    pub features: Vec<String>,
    pub city: bool,
}

impl Example {
    /// The example of a place mention at `span` of `sentence`.
    pub fn new(sentence: &str, span: Range<usize>, actor: &str, city: bool) -> Example {
        let mut s = Scratch { names: Some(Vec::new()), ..Scratch::default() };
        features(sentence, span, actor, &mut s);
        Example { features: s.names.unwrap_or_default(), city }
    }
}

/// Training settings: features seen in fewer than `min_count` training examples are left out;
/// `l2` is the weight of the Gaussian prior on the mean log-loss; full-batch gradient descent,
/// `iterations` steps of `rate`.
#[derive(Debug, Clone, Copy)]
pub struct TrainParams {
    pub min_count: usize,
    pub l2: f32,
    pub iterations: usize,
    pub rate: f32,
}

impl Default for TrainParams {
    fn default() -> TrainParams {
        TrainParams { min_count: 2, l2: 0.01, iterations: 3000, rate: 0.2 }
    }
}

/// Fits a logistic regression (P(city)) by full-batch gradient descent in a fixed order: the
/// same examples give the same weights, bit for bit. Weights are rounded to 5 decimals, as the
/// file keeps them. Returns the feature rows (sorted by name, zero weights left out) and the
/// bias.
pub fn train(examples: &[Example], p: &TrainParams) -> (Vec<(String, f32)>, f32) {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for e in examples {
        for f in &e.features {
            *counts.entry(f.as_str()).or_default() += 1;
        }
    }
    let names: Vec<&str> = counts.iter().filter(|(_, &c)| c >= p.min_count).map(|(n, _)| *n).collect();
    let index: FxHashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let rows: Vec<Vec<usize>> =
        examples.iter().map(|e| e.features.iter().filter_map(|f| index.get(f.as_str()).copied()).collect()).collect();
    let n = examples.len().max(1) as f32;
    let mut w = vec![0.0f32; names.len()];
    let mut b = 0.0f32;
    let mut g = vec![0.0f32; names.len()];
    for _ in 0..p.iterations {
        g.iter_mut().for_each(|x| *x = 0.0);
        let mut gb = 0.0f32;
        for (e, r) in examples.iter().zip(&rows) {
            let z = b + r.iter().map(|&i| w[i]).sum::<f32>();
            let d = sigmoid(z) - if e.city { 1.0 } else { 0.0 };
            gb += d;
            for &i in r {
                g[i] += d;
            }
        }
        b -= p.rate * gb / n;
        for (wi, gi) in w.iter_mut().zip(&g) {
            *wi -= p.rate * (gi / n + p.l2 * *wi);
        }
    }
    let round = |x: f32| (x * 1e5).round() / 1e5;
    let rows = names.iter().zip(&w).map(|(n, &x)| (n.to_string(), round(x))).filter(|(_, x)| *x != 0.0).collect();
    (rows, round(b))
}

/// A mention reads as only a city at this P(city): a wrong drop and a wrong keep cost the same.
pub const THRESHOLD: f32 = 0.5;

/// A trained model: its feature rows and bias, the prior it was trained with, and its figures on
/// dev at [`THRESHOLD`].
#[derive(Debug, Clone)]
pub struct Trained {
    pub rows: Vec<(String, f32)>,
    pub bias: f32,
    pub l2: f32,
    pub dev: Report,
}

impl Trained {
    pub fn model(&self) -> PlaceModel {
        PlaceModel::from_rows(&self.rows, self.bias, THRESHOLD)
    }
}

/// Trains with each prior of `grid` and keeps the one of lowest dev log-loss (the first of
/// equals); `log` hears each prior's dev figures and feature count.
pub fn train_on_dev(
    train_set: &[Example],
    dev: &[Example],
    grid: &[f32],
    mut log: impl FnMut(f32, &Report, usize),
) -> Option<Trained> {
    let mut best: Option<Trained> = None;
    for &l2 in grid {
        let (rows, bias) = train(train_set, &TrainParams { l2, ..TrainParams::default() });
        let dev_report = evaluate(&PlaceModel::from_rows(&rows, bias, THRESHOLD), dev);
        log(l2, &dev_report, rows.len());
        if best.as_ref().is_none_or(|b| dev_report.log_loss < b.dev.log_loss) {
            best = Some(Trained { rows, bias, l2, dev: dev_report });
        }
    }
    best
}

/// Writes `place_model.csv`: the header, `bias`, `threshold`, then the feature rows.
pub fn write(rows: &[(String, f32)], bias: f32, threshold: f32, w: impl std::io::Write) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record(HEADER)?;
    wr.write_record(["bias", &bias.to_string()])?;
    wr.write_record(["threshold", &threshold.to_string()])?;
    for (n, x) in rows {
        wr.write_record([n.as_str(), &x.to_string()])?;
    }
    wr.flush()?;
    Ok(())
}

/// The place model on judged place mentions: which it keeps as the country and which it reads
/// as only a city, against the readers.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Report {
    /// Read as a city and judged not the actor / judged the actor.
    pub dropped_city: usize,
    pub dropped_right: usize,
    /// Kept as the country and judged not the actor / judged the actor.
    pub kept_city: usize,
    pub kept_right: usize,
    /// Mean negative log-likelihood of the judgements.
    pub log_loss: f64,
}

impl Report {
    /// Share of the kept place mentions that are the actor, and the same with every place kept.
    pub fn precision(&self) -> (f64, f64) {
        let kept = (self.kept_right + self.kept_city).max(1) as f64;
        let all = (self.kept_right + self.kept_city + self.dropped_right + self.dropped_city).max(1) as f64;
        (self.kept_right as f64 / kept, (self.kept_right + self.dropped_right) as f64 / all)
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (after, before) = self.precision();
        let right = (self.kept_right + self.dropped_right).max(1) as f64;
        let city = (self.kept_city + self.dropped_city).max(1) as f64;
        writeln!(f, "                     judged the actor   judged a city")?;
        writeln!(f, "kept as the country  {:>16}   {:>13}", self.kept_right, self.kept_city)?;
        writeln!(f, "read as a city       {:>16}   {:>13}", self.dropped_right, self.dropped_city)?;
        writeln!(f, "place mentions that are the actor: {before:.3} all kept, {after:.3} after the model")?;
        writeln!(
            f,
            "cities found {:.3}, the actor kept {:.3}, log-loss {:.3}",
            self.dropped_city as f64 / city,
            self.kept_right as f64 / right,
            self.log_loss
        )
    }
}

/// Evaluates `model` on `examples` at the model's threshold.
pub fn evaluate(model: &PlaceModel, examples: &[Example]) -> Report {
    let mut r = Report::default();
    for e in examples {
        let hashes: Vec<u64> = e.features.iter().map(|f| hash(f)).collect();
        let p = model.probability(&hashes);
        let dropped = p >= model.threshold;
        match (dropped, e.city) {
            (true, true) => r.dropped_city += 1,
            (true, false) => r.dropped_right += 1,
            (false, true) => r.kept_city += 1,
            (false, false) => r.kept_right += 1,
        }
        let q = if e.city { p } else { 1.0 - p };
        r.log_loss -= f64::from(q.max(1e-7)).ln();
    }
    r.log_loss /= examples.len().max(1) as f64;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> LexiconFile {
        LexiconFile { name: "place_model.csv".into(), origin: "place_model.csv".into(), text: text.into() }
    }

    #[test]
    fn a_bad_row_is_a_problem_with_its_line_and_an_empty_file_counts_every_place() {
        let mut problems = Vec::new();
        let m = PlaceModel::parse(&file("feature,weight\nbias,0.1\nthreshold,0.5\np1:in,abc\n"), &mut problems);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, 4);
        assert!(problems[0].message.contains("p1:in"), "{}", problems[0].message);
        assert_eq!(m.threshold(), 0.5);
        let mut problems = Vec::new();
        PlaceModel::parse(&file("feature,weight\np1:in,1\np1:in,2\nthreshold,1.5\n"), &mut problems);
        assert!(problems.iter().any(|p| p.line == 3 && p.message.contains("already")), "{problems:?}");
        assert!(problems.iter().any(|p| p.line == 4 && p.message.contains("probability")), "{problems:?}");
        assert!(problems.iter().any(|p| p.message.contains("`bias`")), "{problems:?}");
        let mut problems = Vec::new();
        let empty = PlaceModel::parse(&file("feature,weight\n"), &mut problems);
        assert!(problems.is_empty());
        let mut s = Scratch::default();
        assert!(empty.judge("The attacks in Paris.", 16..21, "fra-paris", &mut s).0);
    }

    #[test]
    fn features_read_the_words_and_marks_around_the_mention_once_each() {
        let mut s = Scratch { names: Some(Vec::new()), ..Scratch::default() };
        let sent = "A Washington-based think tank said the think tank in Washington was wrong.";
        features(sent, 2..12, "usa-washington", &mut s);
        let names = s.names.clone().unwrap();
        for f in ["a:usa-washington", "p1:a", "g:based", "g:-", "n1:think", "n2:think tank", "pc:w", "nc:-", "w:tank"] {
            assert!(names.iter().any(|n| n == f), "{f} not in {names:?}");
        }
        // The bag has each word once, and names and hashes stay aligned.
        assert_eq!(names.iter().filter(|n| *n == "w:think").count(), 1);
        assert_eq!(names.len(), s.features.len());
        assert!(names.iter().zip(&s.features).all(|(n, &h)| hash(n) == h));
        // Without names the same hashes, in the same order (the same sum).
        let mut plain = Scratch::default();
        features(sent, 2..12, "usa-washington", &mut plain);
        assert_eq!(plain.features, s.features);
        // A dateline, the possessive, the sentence's start.
        features("Washington (CNN) -- The Senate voted.", 0..10, "usa-washington", &mut s);
        let names = s.names.clone().unwrap();
        for f in ["pc:^", "nc:(", "p1:^", "n1:cnn"] {
            assert!(names.iter().any(|n| n == f), "{f} not in {names:?}");
        }
        features("At London's Heathrow airport.", 3..9, "gbr-london", &mut s);
        let names = s.names.clone().unwrap();
        assert!(names.iter().any(|n| n == "g:'s") && names.iter().any(|n| n == "n1:heathrow"), "{names:?}");
        // Spans off the sentence or inside a character give no features and no panic.
        features("Café Moscow", 2..4, "rus-moscow", &mut s);
        assert!(s.features.is_empty());
        features("Moscow", 3..40, "rus-moscow", &mut s);
    }

    #[test]
    fn training_is_bit_identical_on_rerun_and_learns_the_direction() {
        let ex = |sentence: &str, at: &str, city: bool| {
            let start = sentence.find(at).unwrap();
            Example::new(sentence, start..start + at.len(), "xx-city", city)
        };
        let data: Vec<Example> = (0..6)
            .flat_map(|k| {
                [
                    ex(&format!("Rome said on day {k} that it would respond."), "Rome", false),
                    ex(&format!("A concert in Rome drew fans on day {k}."), "Rome", true),
                ]
            })
            .collect();
        let p = TrainParams { iterations: 300, ..TrainParams::default() };
        let (a, ab) = train(&data, &p);
        let (b, bb) = train(&data, &p);
        assert_eq!(a, b);
        assert_eq!(ab.to_bits(), bb.to_bits());
        let m = PlaceModel::from_rows(&a, ab, 0.5);
        let mut s = Scratch::default();
        assert!(m.judge("Rome said it would act.", 0..4, "xx-city", &mut s).0);
        assert!(!m.judge("A concert in Rome.", 13..17, "xx-city", &mut s).0);
        let r = evaluate(&m, &data);
        assert_eq!((r.dropped_right, r.kept_city), (0, 0), "{r:?}");
        // The file round-trips.
        let mut buf = Vec::new();
        write(&a, ab, 0.5, &mut buf).unwrap();
        let mut problems = Vec::new();
        let back = PlaceModel::parse(&file(std::str::from_utf8(&buf).unwrap()), &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(evaluate(&back, &data), r);
    }

    /// The shipped model on real-style sentences of each kind the readers judged.
    #[test]
    fn the_shipped_model_tells_the_government_from_the_city() {
        let mut problems = Vec::new();
        let shipped = PlaceModel::parse(&file(include_str!("../../lexicons/place_model.csv")), &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let judge = |sentence: &str, at: &str, actor: &str| {
            let start = sentence.find(at).unwrap();
            shipped.judge(sentence, start..start + at.len(), actor, &mut Scratch::default())
        };
        for (sentence, at, actor) in [
            ("Washington (CNN) -- Senate Republicans unveiled their plan on Monday.", "Washington", "usa-washington"),
            (
                "The Council on Foreign Relations, a Washington-based think tank, warned of the risks.",
                "Washington",
                "usa-washington",
            ),
            ("A London judge this week upheld her dismissal.", "London", "gbr-london"),
            // The place of talks between others: "a capital or city used only as the location
            // of an event" (labels/briefs/mentions.md). Session 17's model kept it as Austria;
            // the place readers of session 21, given that brief's words, read such places as
            // cities, and so does the model trained on their labels.
            ("Talks between Iran and world powers resumed in Vienna on Tuesday.", "Vienna", "aut-vienna"),
            ("The summit in Hanoi ended without a deal.", "Hanoi", "vnm-hanoi"),
        ] {
            let (coverage, p) = judge(sentence, at, actor);
            assert!(!coverage, "{sentence}: P(city) {p}");
        }
        for (sentence, at, actor) in [
            ("Washington imposed new sanctions on Moscow on Friday.", "Washington", "usa-washington"),
            ("Washington imposed new sanctions on Moscow on Friday.", "Moscow", "rus-moscow"),
            ("The Kremlin said Moscow would respond in kind.", "Moscow", "rus-moscow"),
            ("The United States stepped up pressure on Tehran.", "Tehran", "irn-tehran"),
            ("Relations between Beijing and Tokyo have soured.", "Tokyo", "jpn-tokyo"),
        ] {
            let (coverage, p) = judge(sentence, at, actor);
            assert!(coverage, "{sentence} ({at}): P(city) {p}");
        }
    }
}
