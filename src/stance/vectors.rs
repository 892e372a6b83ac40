//! Word vectors for the sentence reader ([`super::reader`]): the reader's tokenisation, our own
//! skip-gram with negative sampling (`newsstance train vectors`), and the shipped file
//! `lexicons/reader/vectors.txt.gz` (unit vectors quantised to i8 with a per-word scale).
//!
//! Why our own trainer: the prototype (branch reader14) used gensim's word2vec; vectors made
//! here are reproducible from the repository alone (single thread, fixed seed, fixed order:
//! byte-identical on rerun) and need no Python. Why frozen vectors: the prototype measured
//! tuned vectors at 0.301 dev recall beside the pair model against 0.289 / 0.283 frozen, and
//! frozen vectors let the reader's first layer fold into per-word tables at inference.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

/// Dimensions of a word vector.
pub const DIM: usize = 100;
/// Id of an unknown word (0 is padding in the reader's windows).
pub const UNKNOWN: u32 = 1;
/// File of the vectors in the lexicon folder.
pub const VECTORS_FILE: &str = "reader/vectors.txt.gz";

/// A word character of the tokeniser: ASCII letters and digits and Latin-1 Supplement to
/// Latin Extended-B letters (U+00C0–U+024F), as the prototype's regular expression.
#[inline]
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || ('\u{C0}'..='\u{24F}').contains(&c)
}

/// Byte spans of the tokens of `text` into `out` (cleared first): runs of word characters,
/// joined by `'`, `’` or `-` when a word character follows, and every other non-space character
/// alone. The prototype's `[A-Za-z0-9À-ɏ]+(?:['’-][A-Za-z0-9À-ɏ]+)*|[^\sA-Za-z0-9]`.
pub fn tokens(text: &str, out: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if is_word(c) {
            let mut end = i + c.len_utf8();
            loop {
                match it.peek().copied() {
                    Some((j, d)) if is_word(d) => {
                        end = j + d.len_utf8();
                        it.next();
                    }
                    Some((j, d)) if matches!(d, '\'' | '\u{2019}' | '-') => {
                        let after = text[j + d.len_utf8()..].chars().next();
                        if after.is_some_and(is_word) {
                            end = j + d.len_utf8();
                            it.next();
                        } else {
                            break;
                        }
                    }
                    _ => break,
                }
            }
            out.push((i, end));
        } else if !c.is_whitespace() {
            out.push((i, i + c.len_utf8()));
        }
    }
}

/// The vocabulary form of a token into `buf`: lower case, ASCII digits folded to `0`.
pub fn norm<'b>(tok: &str, buf: &'b mut String) -> &'b str {
    buf.clear();
    for c in tok.chars() {
        if c.is_ascii_digit() {
            buf.push('0');
        } else if c.is_ascii() {
            buf.push(c.to_ascii_lowercase());
        } else {
            buf.extend(c.to_lowercase());
        }
    }
    buf.as_str()
}

/// Errors of the vectors file.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct VectorsError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Frozen word vectors: unit length, quantised (`v[k] = scale * q[k] / 127`).
#[derive(Debug, Clone)]
pub struct Vectors {
    /// Word → id (2.. ; 0 padding, 1 unknown).
    pub ids: FxHashMap<String, u32>,
    /// Words in id order, from id 2.
    pub words: Vec<String>,
    /// `DIM` quantised values per word, from id 2.
    pub q: Vec<i8>,
    pub scale: Vec<f32>,
}

impl Vectors {
    /// The id of a normalised word ([`UNKNOWN`] when not in the vocabulary).
    #[inline]
    pub fn id(&self, word: &str) -> u32 {
        self.ids.get(word).copied().unwrap_or(UNKNOWN)
    }

    /// Number of ids (padding and unknown included).
    pub fn len(&self) -> usize {
        self.words.len() + 2
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The vector of id `id` into `out` (zeros for padding and unknown: the prototype's).
    pub fn vector(&self, id: u32, out: &mut [f32; DIM]) {
        let i = id as usize;
        if i < 2 || i >= self.len() {
            *out = [0.0; DIM];
            return;
        }
        let k = i - 2;
        let s = self.scale[k] / 127.0;
        for (o, &x) in out.iter_mut().zip(&self.q[k * DIM..(k + 1) * DIM]) {
            *o = s * x as f32;
        }
    }

    /// Reads the file's text (`origin` names it in errors): `#` header lines, then
    /// `word<TAB>scale<TAB>q1 … q100` per word with `q` in −127..=127.
    pub fn read(text: &str, origin: &str) -> Result<Vectors, VectorsError> {
        let err = |line: usize, message: String| VectorsError { file: origin.to_string(), line, message };
        let mut v = Vectors { ids: FxHashMap::default(), words: Vec::new(), q: Vec::new(), scale: Vec::new() };
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let mut parts = line.split('\t');
            let (Some(word), Some(scale), Some(values), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(err(n, "expected `word<TAB>scale<TAB>values`".into()));
            };
            if word.is_empty() || word.contains(char::is_whitespace) {
                return Err(err(n, format!("bad word `{word}`")));
            }
            let scale: f32 = scale
                .parse()
                .ok()
                .filter(|s: &f32| s.is_finite() && *s >= 0.0)
                .ok_or_else(|| err(n, format!("scale `{scale}` is not a non-negative number")))?;
            let before = v.q.len();
            // Bytes, not `str::split`: its char searcher was a large share of the load time.
            for t in values.as_bytes().split(|&b| b == b' ') {
                let x = small_int(t)
                    .ok_or_else(|| err(n, format!("`{}` is not in -127..=127", String::from_utf8_lossy(t))))?;
                v.q.push(x);
            }
            if v.q.len() - before != DIM {
                return Err(err(n, format!("{} values, expected {DIM}", v.q.len() - before)));
            }
            let id = v.words.len() as u32 + 2;
            if v.ids.insert(word.to_string(), id).is_some() {
                return Err(err(n, format!("word `{word}` twice")));
            }
            v.words.push(word.to_string());
            v.scale.push(scale);
        }
        if v.words.is_empty() {
            return Err(err(1, "no vectors".into()));
        }
        Ok(v)
    }
}

/// An integer in −127..=127 written as `-?[0-9]{1,3}`, parsed by hand: four million values are
/// read on `score`'s start-up path.
fn small_int(t: &[u8]) -> Option<i8> {
    let (neg, digits) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || digits.len() > 3 {
        return None;
    }
    let mut x = 0i32;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        x = 10 * x + (d - b'0') as i32;
    }
    (x <= 127).then_some(if neg { -x } else { x } as i8)
}

/// Settings of [`train`] (the prototype's word2vec: skip-gram, 100 dimensions, window 5,
/// min_count 3, 10 negatives, sample 1e-3, 5 epochs, rate 0.025 → 0.0001 × 0.025).
#[derive(Debug, Clone, Copy)]
pub struct SgnsParams {
    pub window: usize,
    pub min_count: u64,
    pub negative: usize,
    pub epochs: usize,
    pub sample: f64,
    pub rate: f32,
    pub seed: u64,
    /// Words written (the most frequent), to keep the file small.
    pub keep: usize,
}

impl Default for SgnsParams {
    fn default() -> SgnsParams {
        SgnsParams {
            window: 5,
            min_count: 3,
            negative: 10,
            epochs: 5,
            sample: 1e-3,
            rate: 0.025,
            seed: 1,
            keep: 40_000,
        }
    }
}

/// A corpus tokenised for training: normalised words interned, paragraphs as id runs.
#[derive(Default)]
pub struct TokenCorpus {
    ids: FxHashMap<String, u32>,
    words: Vec<String>,
    counts: Vec<u64>,
    tokens: Vec<u32>,
    /// End offset in `tokens` of each paragraph.
    ends: Vec<usize>,
}

impl TokenCorpus {
    /// Adds one paragraph (kept when it has more than two tokens, as the prototype).
    pub fn add(&mut self, text: &str, spans: &mut Vec<(usize, usize)>, buf: &mut String) {
        tokens(text, spans);
        if spans.len() <= 2 {
            return;
        }
        for &(a, b) in spans.iter() {
            let w = norm(&text[a..b], buf);
            let id = match self.ids.get(w) {
                Some(&id) => id,
                None => {
                    let id = self.words.len() as u32;
                    self.ids.insert(w.to_string(), id);
                    self.words.push(w.to_string());
                    self.counts.push(0);
                    id
                }
            };
            self.counts[id as usize] += 1;
            self.tokens.push(id);
        }
        self.ends.push(self.tokens.len());
    }

    pub fn paragraphs(&self) -> usize {
        self.ends.len()
    }

    pub fn token_count(&self) -> usize {
        self.tokens.len()
    }
}

/// The seeded generator of the trainers: splitmix64 (fixed seed, so the same corpus gives the
/// same vectors).
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        crate::syntax::perceptron::mix(self.0)
    }
    /// Uniform in [0, 1).
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Dot product in eight lanes (the order is fixed, so results do not depend on the machine's
/// vector width; the compiler vectorises the lanes).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    acc.iter().sum::<f32>() + s
}

/// `y += a * x`.
#[inline]
pub fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// Skip-gram with negative sampling over `corpus`, single thread, fixed seed and order; returns
/// the vectors file's text (the `keep` most frequent words, unit length, quantised). `header`
/// lines go first as `# ` comments. `progress` is told each finished epoch.
pub fn train(corpus: &TokenCorpus, p: &SgnsParams, header: &[String], mut progress: impl FnMut(usize)) -> String {
    // Vocabulary: min_count, by count then word (a fixed order whatever the hash map's).
    let mut order: Vec<u32> =
        (0..corpus.words.len() as u32).filter(|&i| corpus.counts[i as usize] >= p.min_count).collect();
    order.sort_by(|&a, &b| {
        corpus.counts[b as usize]
            .cmp(&corpus.counts[a as usize])
            .then_with(|| corpus.words[a as usize].cmp(&corpus.words[b as usize]))
    });
    let v = order.len();
    let mut remap = vec![u32::MAX; corpus.words.len()];
    for (k, &i) in order.iter().enumerate() {
        remap[i as usize] = k as u32;
    }
    let counts: Vec<u64> = order.iter().map(|&i| corpus.counts[i as usize]).collect();
    let total: u64 = counts.iter().sum();
    // Down-sampling of frequent words (word2vec's formula) as an integer keep threshold.
    let thr = p.sample * total as f64;
    let keep_p: Vec<f64> =
        counts.iter().map(|&c| (((c as f64 / thr).sqrt() + 1.0) * thr / c as f64).min(1.0)).collect();
    // Negative sampling from counts^0.75, cumulative.
    let mut cum = Vec::with_capacity(v);
    let mut acc = 0.0f64;
    for &c in &counts {
        acc += (c as f64).powf(0.75);
        cum.push(acc);
    }
    let mut rng = Rng(p.seed);
    let mut syn0: Vec<f32> = (0..v * DIM).map(|_| (rng.unit() as f32 - 0.5) / DIM as f32).collect();
    let mut syn1 = vec![0.0f32; v * DIM];
    let mut neu1e: [f32; DIM];
    let mut l1 = [0.0f32; DIM];
    let mut sent: Vec<u32> = Vec::new();
    let planned = (total as f64 * p.epochs as f64).max(1.0);
    let mut seen = 0u64;
    let min_rate = p.rate * 1e-4;
    for epoch in 0..p.epochs {
        let mut start = 0;
        for &end in &corpus.ends {
            sent.clear();
            for &t in &corpus.tokens[start..end] {
                let w = remap[t as usize];
                if w == u32::MAX {
                    continue;
                }
                seen += 1;
                if keep_p[w as usize] < 1.0 && keep_p[w as usize] < rng.unit() {
                    continue;
                }
                sent.push(w);
            }
            start = end;
            let rate = (p.rate - (p.rate - min_rate) * (seen as f64 / planned) as f32).max(min_rate);
            for i in 0..sent.len() {
                let b = rng.below(p.window);
                let reach = p.window - b;
                let lo = i.saturating_sub(reach);
                let hi = (i + reach).min(sent.len() - 1);
                let center = sent[i] as usize;
                for (j, &ctx) in sent.iter().enumerate().take(hi + 1).skip(lo) {
                    if j == i {
                        continue;
                    }
                    let c = ctx as usize;
                    l1.copy_from_slice(&syn0[c * DIM..(c + 1) * DIM]);
                    neu1e = [0.0; DIM];
                    for d in 0..=p.negative {
                        let (target, label) = if d == 0 {
                            (center, 1.0f32)
                        } else {
                            let x = rng.unit() * acc;
                            let t = cum.partition_point(|&y| y <= x).min(v - 1);
                            if t == center {
                                continue;
                            }
                            (t, 0.0)
                        };
                        let row = &mut syn1[target * DIM..(target + 1) * DIM];
                        let f = dot(&l1, row);
                        let g = (label - sigmoid(f)) * rate;
                        axpy(&mut neu1e, g, row);
                        axpy(row, g, &l1);
                    }
                    axpy(&mut syn0[c * DIM..(c + 1) * DIM], 1.0, &neu1e);
                }
            }
        }
        progress(epoch + 1);
    }
    let mut out = String::new();
    for h in header {
        out.push_str("# ");
        out.push_str(h);
        out.push('\n');
    }
    for (k, &i) in order.iter().enumerate().take(p.keep) {
        let row = &syn0[k * DIM..(k + 1) * DIM];
        let norm = dot(row, row).sqrt().max(1e-6);
        let max = row.iter().fold(0.0f32, |m, x| m.max(x.abs())) / norm;
        let scale = if max > 0.0 { max } else { 1.0 };
        out.push_str(&corpus.words[i as usize]);
        out.push('\t');
        out.push_str(&format!("{:.6}", scale));
        out.push('\t');
        for (d, x) in row.iter().enumerate() {
            if d > 0 {
                out.push(' ');
            }
            let q = (x / norm / scale * 127.0).round().clamp(-127.0, 127.0) as i32;
            out.push_str(itoa::Buffer::new().format(q));
        }
        out.push('\n');
    }
    out
}

#[inline]
fn sigmoid(x: f32) -> f32 {
    if x > 8.0 {
        1.0
    } else if x < -8.0 {
        0.0
    } else {
        1.0 / (1.0 + (-x).exp())
    }
}

/// Words' counts of a corpus (for tests and reports).
pub fn counts(corpus: &TokenCorpus) -> HashMap<String, u64> {
    corpus.words.iter().cloned().zip(corpus.counts.iter().copied()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        let mut sp = Vec::new();
        tokens(s, &mut sp);
        let mut buf = String::new();
        sp.iter().map(|&(a, b)| norm(&s[a..b], &mut buf).to_string()).collect()
    }

    #[test]
    fn tokenises_as_the_prototype() {
        assert_eq!(
            toks("U.S. troops’ 2024 pull-out, Russia's «war» -- Ça"),
            ["u", ".", "s", ".", "troops", "’", "0000", "pull-out", ",", "russia's", "«", "war", "»", "-", "-", "ça"]
        );
        assert!(toks("").is_empty());
        assert_eq!(toks("a-"), ["a", "-"]);
    }

    fn small_corpus() -> TokenCorpus {
        let mut c = TokenCorpus::default();
        let (mut sp, mut buf) = (Vec::new(), String::new());
        for i in 0..300 {
            let s = if i % 2 == 0 {
                "russia attacked ukraine with missiles and drones today"
            } else {
                "china praised russia for its friendship and trade ties"
            };
            c.add(s, &mut sp, &mut buf);
        }
        c
    }

    #[test]
    fn training_is_byte_identical_on_rerun_and_reads_back() {
        let c = small_corpus();
        let p = SgnsParams { epochs: 2, ..SgnsParams::default() };
        let a = train(&c, &p, &["test".into()], |_| {});
        let b = train(&c, &p, &["test".into()], |_| {});
        assert_eq!(a, b);
        let v = Vectors::read(&a, "t").unwrap();
        assert_eq!(v.len(), 2 + 15);
        let mut x = [0.0; DIM];
        v.vector(v.id("russia"), &mut x);
        let n = dot(&x, &x).sqrt();
        assert!((n - 1.0).abs() < 0.02, "unit length: {n}");
        assert_eq!(v.id("nowhere"), UNKNOWN);
    }

    #[test]
    fn a_bad_line_is_an_error_with_its_line() {
        let good = format!("w\t0.5\t{}\n", vec!["1"; DIM].join(" "));
        let e = Vectors::read(&format!("# h\n{good}x\t0.5\t1 2\n"), "f").unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("f", 3));
        assert!(Vectors::read(&format!("{good}{good}"), "f").is_err(), "word twice");
        assert!(Vectors::read(&good.replace("\t0.5", "\tnan"), "f").is_err());
        assert!(Vectors::read(&good.replacen(" 1", " -128", 1), "f").is_err());
        assert!(Vectors::read("", "f").is_err());
        for bad in ["128", "-128", "1000", "", "-", "+1", "1.0", "x"] {
            assert_eq!(small_int(bad.as_bytes()), None, "{bad}");
        }
        for (t, x) in [("0", 0), ("-0", 0), ("127", 127), ("-127", -127), ("007", 7), ("-5", -5)] {
            assert_eq!(small_int(t.as_bytes()), Some(x), "{t}");
        }
    }
}
