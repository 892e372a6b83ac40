//! The sentence reader beside the stance pair model: a piecewise CNN (PCNN, Zeng et al. 2015)
//! over the sentence naming both countries, with frozen corpus word vectors
//! ([`super::vectors`]), learned embeddings of each token's distance to the source and to the
//! target mention, and a tag for either country's mentions; max pooling in three pieces cut at
//! the two mentions. Weights as data in `lexicons/reader/reader.txt.gz` (`newsstance train
//! reader`).
//!
//! Why: the prototype (branch reader14, `tools/reader_prototype/`) found that the reader alone
//! ranks no better than the pair model, but the geometric mean of the two models' class
//! probabilities gains about five points of dev recall at P 0.70, nearly all of it where the
//! pair model already gives a sign at least 0.2 of its threshold. So the reader runs only there
//! ([`super::model::StanceModel::reader_gate`]) and [`combine`] is that fixed mean.
//!
//! Inference folds the first layer: the word vectors are frozen, so a word's contribution to the
//! 150 filters at each of the 3 taps is a fixed row of 450 numbers; so is a distance's or a
//! tag's. A token's convolution input is then four row additions, where the plain form multiplies
//! a 130-wide input by a 130 × 450 matrix. The word rows of the most frequent words are computed
//! once, on first use (an empty run pays nothing); rarer words are multiplied out.

use std::ops::Range;
use std::sync::OnceLock;

use super::model::Candidate;
use super::vectors::{self, axpy, Rng, Vectors, DIM};
use crate::actors::{DocActors, Lexicon};
use crate::document::Paragraph;

/// Filters.
pub const F: usize = 150;
/// Width of a distance or tag embedding.
pub const DPOS: usize = 10;
/// Distances are clipped to ±MAXD.
pub const MAXD: i32 = 40;
/// Distinct distances.
pub const ND: usize = 2 * MAXD as usize + 1;
/// Tags: other, source country, target country, sentence break.
pub const TAGS: usize = 4;
/// Width of a token's input.
pub const DIN: usize = DIM + 3 * DPOS;
/// Longest window read (tokens); longer ones are cut around the mentions.
pub const MAXLEN: usize = 96;
/// Width of the pooled vector.
const Z: usize = 3 * F;
/// Words whose folded rows are kept (the most frequent: the vocabulary is in frequency order).
pub const TABLE_WORDS: usize = 20000;
/// File of the reader's weights in the lexicon folder.
pub const READER_FILE: &str = "reader/reader.txt.gz";

/// One candidate's input: per token its word id, distance to source and target (0..ND), tag
/// and piece (0..3).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Window {
    pub ids: Vec<u32>,
    pub ds: Vec<u8>,
    pub dt: Vec<u8>,
    pub tag: Vec<u8>,
    pub piece: Vec<u8>,
}

impl Window {
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    fn clear(&mut self) {
        self.ids.clear();
        self.ds.clear();
        self.dt.clear();
        self.tag.clear();
        self.piece.clear();
    }
}

/// Buffers reused from candidate to candidate (no allocation per token).
#[derive(Debug, Default)]
pub struct Scratch {
    pub window: Window,
    spans: Vec<(usize, usize)>,
    /// Byte spans of the window's tokens (`None` for a sentence break).
    tok: Vec<Option<(usize, usize)>>,
    buf: String,
    smen: Vec<(u32, Range<usize>)>,
    tmen: Vec<(u32, Range<usize>)>,
    y: Vec<f32>,
    h: Vec<f32>,
    rare: Vec<f32>,
    slot: Vec<Slot>,
}

/// Where a token's folded word row is ([`Reader::probs`]).
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// Row k of the table of frequent words.
    Table(usize),
    /// Row k of the window's rare words.
    Rare(usize),
    /// No word vector (padding, unknown): a row of zeros.
    None,
}

/// The folded row of a token without a word vector.
static ZERO_ROW: [f32; F] = [0.0; F];

/// Builds the window of candidate `c` as the prototype's `prep.py`: the sentence naming both
/// countries (the evidence sentence when it does, else the first such), with the closest source
/// and target mentions the pair features read; when no sentence names both, the target's
/// sentence (the evidence) and the sentence of the nearest source mention, in text order,
/// joined by a break token. Longer than [`MAXLEN`] tokens: cut from 16 tokens before the first
/// mention.
pub fn build_window(
    text: &str,
    paragraphs: &[Paragraph],
    actors: &DocActors,
    lexicon: &Lexicon,
    vectors: &Vectors,
    c: &Candidate,
    s: &mut Scratch,
) {
    s.window.clear();
    let Some(para) = paragraphs.get(c.paragraph as usize) else { return };
    s.smen.clear();
    s.tmen.clear();
    for m in actors.mentions.iter().filter(|m| m.paragraph == c.paragraph) {
        let country = &actors.actor(lexicon, m.actor).country;
        if *country == c.source_code {
            s.smen.push((m.sentence, m.span.clone()));
        } else if *country == c.target_code {
            s.tmen.push((m.sentence, m.span.clone()));
        }
    }
    // The sentences read (at most two), and the main source and target spans.
    let (parts, s_main, t_main): ([Option<u32>; 2], Option<Range<usize>>, Range<usize>) = if !c.links.is_empty() {
        let link = c.links.iter().find(|l| l.0 == c.sentence).unwrap_or(&c.links[0]);
        ([Some(link.0), None], Some(link.1.clone()), link.2.clone())
    } else {
        let Some(t) = s.tmen.iter().find(|m| m.0 == c.sentence).or_else(|| s.tmen.first()).cloned() else { return };
        let near = s.smen.iter().min_by_key(|m| (m.0.abs_diff(t.0), m.1.start.abs_diff(t.1.start))).cloned();
        let parts = match &near {
            Some(n) if n.0 < t.0 => [Some(n.0), Some(t.0)],
            Some(n) if n.0 > t.0 => [Some(t.0), Some(n.0)],
            _ => [Some(t.0), None],
        };
        (parts, near.map(|n| n.1), t.1)
    };
    s.tok.clear();
    let (mut s_tok, mut t_tok) = (None, None);
    for (k, si) in parts.iter().flatten().enumerate() {
        let Some(range) = para.sentences.get(*si as usize) else { continue };
        let Some(sent) = text.get(range.clone()) else { continue };
        if k > 0 {
            s.window.ids.push(vectors::UNKNOWN);
            s.window.tag.push(3);
            s.tok.push(None);
        }
        vectors::tokens(sent, &mut s.spans);
        for &(a, b) in &s.spans {
            let (bs, be) = (range.start + a, range.start + b);
            let over = |m: &Range<usize>| m.start < be && bs < m.end;
            let mut tg = 0;
            if s.smen.iter().any(|m| over(&m.1)) {
                tg = 1;
            }
            if s.tmen.iter().any(|m| over(&m.1)) {
                tg = 2;
            }
            if s_tok.is_none() && s_main.as_ref().is_some_and(over) {
                s_tok = Some(s.window.ids.len());
            }
            if t_tok.is_none() && over(&t_main) {
                t_tok = Some(s.window.ids.len());
            }
            s.window.ids.push(vectors.id(vectors::norm(&sent[a..b], &mut s.buf)));
            s.window.tag.push(tg);
            s.tok.push(Some((bs, be)));
        }
    }
    let n = s.window.ids.len();
    if n == 0 {
        s.window.clear();
        return;
    }
    let s_tok = s_tok.unwrap_or(if s_main.is_none() { 0 } else { n - 1 });
    let t_tok = t_tok.unwrap_or(n - 1);
    let extend = |start: usize, end: usize, tok: &[Option<(usize, usize)>]| {
        let mut e = start;
        while e + 1 < n && tok[e + 1].is_some_and(|(a, _)| a < end) {
            e += 1;
        }
        e
    };
    let s_end = s_main.as_ref().map_or(s_tok, |m| extend(s_tok, m.end, &s.tok));
    let t_end = extend(t_tok, t_main.end, &s.tok);
    let (first_end, second_end) = if s_tok <= t_tok { (s_end, t_end) } else { (t_end, s_end) };
    let dist = |i: usize, a: usize, b: usize| -> u8 {
        let d = if i < a {
            i as i32 - a as i32
        } else if i > b {
            i as i32 - b as i32
        } else {
            0
        };
        (d.clamp(-MAXD, MAXD) + MAXD) as u8
    };
    for i in 0..n {
        s.window.ds.push(dist(i, s_tok, s_end));
        s.window.dt.push(dist(i, t_tok, t_end));
        s.window.piece.push((i > first_end) as u8 + (i > second_end) as u8);
    }
    if n > MAXLEN {
        let lo = (s_tok.min(t_tok).saturating_sub(16)).min(n - MAXLEN);
        let w = &mut s.window;
        for v in [&mut w.ds, &mut w.dt, &mut w.tag, &mut w.piece] {
            v.drain(..lo);
            v.truncate(MAXLEN);
        }
        w.ids.drain(..lo);
        w.ids.truncate(MAXLEN);
    }
}

/// The reader's weights. `conv` is DIN × 3F (row `i`: input `i`'s weight for tap `k`, filter
/// `f` at `k * F + f`; the taps read the previous, the same and the next token).
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    pub pos_s: Vec<f32>,
    pub pos_t: Vec<f32>,
    pub tag: Vec<f32>,
    pub conv: Vec<f32>,
    pub conv_b: Vec<f32>,
    /// Z × 3.
    pub out: Vec<f32>,
    pub out_b: Vec<f32>,
}

/// The tensors of [`Weights`]: name, rows, columns.
const TENSORS: [(&str, usize, usize); 7] = [
    ("pos_s", ND, DPOS),
    ("pos_t", ND, DPOS),
    ("tag", TAGS, DPOS),
    ("conv", DIN, 3 * F),
    ("conv_b", 1, F),
    ("out", Z, 3),
    ("out_b", 1, 3),
];

impl Weights {
    fn zeros() -> Weights {
        let z = |k: usize| vec![0.0; TENSORS[k].1 * TENSORS[k].2];
        Weights { pos_s: z(0), pos_t: z(1), tag: z(2), conv: z(3), conv_b: z(4), out: z(5), out_b: z(6) }
    }

    fn tensors(&self) -> [&Vec<f32>; 7] {
        [&self.pos_s, &self.pos_t, &self.tag, &self.conv, &self.conv_b, &self.out, &self.out_b]
    }

    fn tensors_mut(&mut self) -> [&mut Vec<f32>; 7] {
        [
            &mut self.pos_s,
            &mut self.pos_t,
            &mut self.tag,
            &mut self.conv,
            &mut self.conv_b,
            &mut self.out,
            &mut self.out_b,
        ]
    }

    /// The prototype's initialisation: embeddings N(0, 0.1²), filters N(0, 1 / (3 · DIN)),
    /// output N(0, 1 / Z), biases 0.
    pub fn init(rng: &mut Rng) -> Weights {
        let mut w = Weights::zeros();
        let sd = [0.1, 0.1, 0.1, (1.0 / (3.0 * DIN as f64)).sqrt(), 0.0, (1.0 / Z as f64).sqrt(), 0.0];
        for (t, sd) in w.tensors_mut().into_iter().zip(sd) {
            for x in t.iter_mut() {
                *x = (gaussian(rng) * sd) as f32;
            }
        }
        w
    }

    /// Writes `name<TAB>row<TAB>values` per row after `# ` header lines; floats in Rust's
    /// shortest form that reads back to the same bits.
    pub fn write(&self, header: &[String]) -> String {
        let mut s = String::new();
        for h in header {
            s.push_str("# ");
            s.push_str(h);
            s.push('\n');
        }
        for ((name, rows, cols), t) in TENSORS.iter().zip(self.tensors()) {
            for r in 0..*rows {
                s.push_str(name);
                s.push('\t');
                s.push_str(&r.to_string());
                s.push('\t');
                for (k, x) in t[r * cols..(r + 1) * cols].iter().enumerate() {
                    if k > 0 {
                        s.push(' ');
                    }
                    s.push_str(&x.to_string());
                }
                s.push('\n');
            }
        }
        s
    }

    /// Reads what [`Weights::write`] wrote; every row of every tensor once. Errors: 1-based
    /// line and message.
    pub fn read(text: &str) -> Result<Weights, (usize, String)> {
        let mut w = Weights::zeros();
        let mut seen: Vec<Vec<bool>> = TENSORS.iter().map(|t| vec![false; t.1]).collect();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let mut p = line.split('\t');
            let (Some(name), Some(row), Some(values), None) = (p.next(), p.next(), p.next(), p.next()) else {
                return Err((n, "expected `tensor<TAB>row<TAB>values`".into()));
            };
            let Some(k) = TENSORS.iter().position(|t| t.0 == name) else {
                return Err((n, format!("unknown tensor `{name}`")));
            };
            let (_, rows, cols) = TENSORS[k];
            let r: usize =
                row.parse().ok().filter(|&r| r < rows).ok_or_else(|| (n, format!("bad row `{row}` of {name}")))?;
            if std::mem::replace(&mut seen[k][r], true) {
                return Err((n, format!("row {r} of {name} twice")));
            }
            let dst = &mut w.tensors_mut()[k][r * cols..(r + 1) * cols];
            let mut count = 0;
            for t in values.split(' ') {
                let x: f32 = t
                    .parse()
                    .ok()
                    .filter(|x: &f32| x.is_finite())
                    .ok_or_else(|| (n, format!("`{t}` is not a number")))?;
                if let Some(d) = dst.get_mut(count) {
                    *d = x;
                }
                count += 1;
            }
            if count != cols {
                return Err((n, format!("{count} values in a row of {name}, expected {cols}")));
            }
        }
        for (k, s) in seen.iter().enumerate() {
            if let Some(r) = s.iter().position(|&x| !x) {
                return Err((text.lines().count().max(1), format!("row {r} of {} missing", TENSORS[k].0)));
            }
        }
        Ok(w)
    }
}

fn gaussian(rng: &mut Rng) -> f64 {
    let u1 = rng.unit().max(1e-300);
    let u2 = rng.unit();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// The reader: vectors and weights, with the folded tables.
#[derive(Debug)]
pub struct Reader {
    pub vectors: Vectors,
    pub weights: Weights,
    /// Folded rows (3F each) of each distance to the source, to the target, and of each tag.
    ps: Vec<f32>,
    pt: Vec<f32>,
    pg: Vec<f32>,
    /// Folded rows of the [`TABLE_WORDS`] most frequent words (id 2 onwards), built on first use.
    words: OnceLock<Vec<f32>>,
}

impl Reader {
    pub fn new(vectors: Vectors, weights: Weights) -> Reader {
        let fold = |emb: &[f32], rows: usize, off: usize| {
            let mut t = vec![0.0f32; rows * 3 * F];
            for r in 0..rows {
                for j in 0..DPOS {
                    let e = emb[r * DPOS + j];
                    axpy(
                        &mut t[r * 3 * F..(r + 1) * 3 * F],
                        e,
                        &weights.conv[(off + j) * 3 * F..(off + j + 1) * 3 * F],
                    );
                }
            }
            t
        };
        let ps = fold(&weights.pos_s, ND, DIM);
        let pt = fold(&weights.pos_t, ND, DIM + DPOS);
        let pg = fold(&weights.tag, TAGS, DIM + 2 * DPOS);
        Reader { vectors, weights, ps, pt, pg, words: OnceLock::new() }
    }

    /// Loads `reader/vectors.txt.gz` and `reader/reader.txt.gz` from `dir` (embedded copies
    /// for absent files), with the files read.
    pub fn load(
        dir: Option<&std::path::Path>,
    ) -> Result<(Reader, Vec<crate::lexicon::FileDigest>), crate::lexicon::Problem> {
        const VECTORS_EMBEDDED: &[u8] = include_bytes!("../../lexicons/reader/vectors.txt.gz");
        const READER_EMBEDDED: &[u8] = include_bytes!("../../lexicons/reader/reader.txt.gz");
        let vf = crate::syntax::read_gz(dir, vectors::VECTORS_FILE, VECTORS_EMBEDDED)?;
        let v = Vectors::read(&vf.text, &vf.origin).map_err(|e| vf.problem(e.line as u64, e.message))?;
        let wf = crate::syntax::read_gz(dir, READER_FILE, READER_EMBEDDED)?;
        let w = Weights::read(&wf.text).map_err(|(l, m)| wf.problem(l as u64, m))?;
        Ok((Reader::new(v, w), vec![vf.digest(), wf.digest()]))
    }

    fn word_table(&self) -> &[f32] {
        self.words.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked just above).
                return unsafe { self.fold_table_avx2() };
            }
            self.fold_table()
        })
    }

    /// [`Reader::fold_table`] eight floats wide (the same element-wise products and sums).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn fold_table_avx2(&self) -> Vec<f32> {
        self.fold_table()
    }

    /// The folded rows of the [`TABLE_WORDS`] most frequent words.
    #[inline(always)]
    fn fold_table(&self) -> Vec<f32> {
        let n = TABLE_WORDS.min(self.vectors.words.len());
        let mut t = vec![0.0f32; n * 3 * F];
        let mut e = [0.0f32; DIM];
        for k in 0..n {
            self.vectors.vector(k as u32 + 2, &mut e);
            fold_word(&self.weights.conv, &e, &mut t[k * 3 * F..(k + 1) * 3 * F]);
        }
        t
    }

    /// Class probabilities (none, hostile, friendly) of `s.window` by the folded form; `None`
    /// for an empty window. With AVX2 (checked at run time) the same code is compiled eight
    /// floats wide: every step is an element-wise add or multiply, or a max, so the result is
    /// bit for bit the one of the baseline build.
    pub fn probs(&self, s: &mut Scratch) -> Option<[f32; 3]> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { self.probs_avx2(s) };
        }
        self.probs_folded(s)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn probs_avx2(&self, s: &mut Scratch) -> Option<[f32; 3]> {
        self.probs_folded(s)
    }

    #[inline(always)]
    fn probs_folded(&self, s: &mut Scratch) -> Option<[f32; 3]> {
        let n = s.window.len();
        if n == 0 {
            return None;
        }
        let table = self.word_table();
        let tw = table.len() / (3 * F);
        // Rare words (outside the table) are folded once per window into `s.rare`; `s.slot`
        // says where each token's word row is: the table's row k, `s.rare`'s row, or none.
        s.slot.clear();
        s.rare.clear();
        let mut e = [0.0f32; DIM];
        for &id in &s.window.ids {
            let id = id as usize;
            if (2..2 + tw).contains(&id) {
                s.slot.push(Slot::Table(id - 2));
            } else if id >= 2 && id < self.vectors.len() {
                let r = s.rare.len() / (3 * F);
                s.rare.resize(s.rare.len() + 3 * F, 0.0);
                self.vectors.vector(id as u32, &mut e);
                fold_word(&self.weights.conv, &e, &mut s.rare[r * 3 * F..(r + 1) * 3 * F]);
                s.slot.push(Slot::Rare(r));
            } else {
                s.slot.push(Slot::None);
            }
        }
        // The convolution straight from the rows, no n × 3F buffer of token sums: the sum of a
        // token's tap k is its word row + its source-distance row + its target-distance row +
        // its tag row (in that order), and h[t] = bias + tap 0 of t−1 + tap 1 of t + tap 2 of
        // t+1 (in that order): the additions of the plain form ([`taps`], [`conv_pre`]) in the
        // same order, so the same floats.
        s.h.truncate(n * F);
        s.h.resize(n * F, 0.0);
        let clip = |r: u8, rows: usize| (r as usize).min(rows - 1) * 3 * F;
        for t in 0..n {
            // The word rows are 1,800 bytes each, scattered over a 14 MB table: ask for the row
            // of the token two ahead now, so its lines arrive while this one is added.
            if let Some(&Slot::Table(r)) = s.slot.get(t + 2) {
                crate::syntax::perceptron::prefetch_lines(table[r * 3 * F..].as_ptr(), 3 * F);
            }
            let ht: &mut [f32] = &mut s.h[t * F..(t + 1) * F];
            ht.copy_from_slice(&self.weights.conv_b[..F]);
            for k in 0..3 {
                let Some(u) = (t + k).checked_sub(1).filter(|&u| u < n) else { continue };
                let off = k * F;
                let w: &[f32] = match s.slot[u] {
                    Slot::Table(r) => &table[r * 3 * F + off..r * 3 * F + off + F],
                    Slot::Rare(r) => &s.rare[r * 3 * F + off..r * 3 * F + off + F],
                    Slot::None => &ZERO_ROW,
                };
                let ps = &self.ps[clip(s.window.ds[u], ND) + off..][..F];
                let pt = &self.pt[clip(s.window.dt[u], ND) + off..][..F];
                let pg = &self.pg[clip(s.window.tag[u], TAGS) + off..][..F];
                let (w, ht) = (&w[..F], &mut ht[..F]);
                for f in 0..F {
                    ht[f] += ((w[f] + ps[f]) + pt[f]) + pg[f];
                }
            }
        }
        Some(self.head_pre(s))
    }

    /// From the pre-activations `s.h` (n × F) to the class probabilities: piecewise max pooling
    /// of them, then tanh of the 450 pooled values, then the output layer. tanh is
    /// increasing, so the max of tanh is tanh of the max: 450 tanh per window instead of 150 per
    /// token (they were half of a window's time).
    #[inline(always)]
    fn head_pre(&self, s: &mut Scratch) -> [f32; 3] {
        let mut z = [0.0f32; Z];
        pool_max(&s.h, &s.window.piece, &mut z);
        for (q, zq) in z.chunks_exact_mut(F).enumerate() {
            // An empty piece pools to 0 = tanh(0).
            if s.window.piece.iter().any(|&p| (p as usize).min(2) == q) {
                for v in zq.iter_mut() {
                    *v = v.tanh();
                }
            }
        }
        output(&self.weights, &z)
    }

    /// The plain form's head: tanh on every token, then pooling (as training computes it).
    fn head_plain(&self, s: &mut Scratch) -> [f32; 3] {
        let n = s.window.len();
        conv_tanh(&s.y, n, &self.weights.conv_b, &mut s.h);
        let mut z = [0.0f32; Z];
        pool(&s.h, &s.window.piece, &mut z, None);
        output(&self.weights, &z)
    }

    /// Class probabilities by the plain convolution (for tests: the folded form must agree).
    pub fn probs_plain(&self, s: &mut Scratch) -> Option<[f32; 3]> {
        let n = s.window.len();
        if n == 0 {
            return None;
        }
        let mut x = Vec::new();
        inputs(&self.vectors, &self.weights, &s.window, &mut x);
        s.y.clear();
        s.y.resize(n * 3 * F, 0.0);
        taps(&x, n, &self.weights.conv, &mut s.y);
        Some(self.head_plain(s))
    }
}

/// A word vector's folded row: `e · conv[0..DIM]` (3F numbers).
#[inline(always)]
fn fold_word(conv: &[f32], e: &[f32; DIM], out: &mut [f32]) {
    out.fill(0.0);
    for (i, &x) in e.iter().enumerate() {
        if x != 0.0 {
            axpy(out, x, &conv[i * 3 * F..(i + 1) * 3 * F]);
        }
    }
}

/// The tokens' inputs (n × DIN): word vector, distance embeddings, tag embedding.
fn inputs(v: &Vectors, w: &Weights, win: &Window, x: &mut Vec<f32>) {
    let n = win.len();
    x.clear();
    x.resize(n * DIN, 0.0);
    let mut e = [0.0f32; DIM];
    for t in 0..n {
        let r = &mut x[t * DIN..(t + 1) * DIN];
        v.vector(win.ids[t], &mut e);
        r[..DIM].copy_from_slice(&e);
        let (a, b, c) = (
            win.ds[t].min(ND as u8 - 1) as usize,
            win.dt[t].min(ND as u8 - 1) as usize,
            win.tag[t].min(TAGS as u8 - 1) as usize,
        );
        r[DIM..DIM + DPOS].copy_from_slice(&w.pos_s[a * DPOS..(a + 1) * DPOS]);
        r[DIM + DPOS..DIM + 2 * DPOS].copy_from_slice(&w.pos_t[b * DPOS..(b + 1) * DPOS]);
        r[DIM + 2 * DPOS..].copy_from_slice(&w.tag[c * DPOS..(c + 1) * DPOS]);
    }
}

/// `y[t] = x[t] · conv` for every token (n × 3F).
fn taps(x: &[f32], n: usize, conv: &[f32], y: &mut [f32]) {
    for t in 0..n {
        let yt = &mut y[t * 3 * F..(t + 1) * 3 * F];
        for (i, &xi) in x[t * DIN..(t + 1) * DIN].iter().enumerate() {
            if xi != 0.0 {
                axpy(yt, xi, &conv[i * 3 * F..(i + 1) * 3 * F]);
            }
        }
    }
}

/// `h[t][f] = tanh(b[f] + y[t-1][f] + y[t][F + f] + y[t+1][2F + f])` (zero padding at the ends).
fn conv_tanh(y: &[f32], n: usize, b: &[f32], h: &mut Vec<f32>) {
    conv_pre(y, n, b, h);
    for v in h.iter_mut() {
        *v = v.tanh();
    }
}

/// [`conv_tanh`] before the tanh.
#[inline(always)]
fn conv_pre(y: &[f32], n: usize, b: &[f32], h: &mut Vec<f32>) {
    // Every row starts as a copy of the bias below: no zero fill first.
    h.truncate(n * F);
    h.resize(n * F, 0.0);
    for t in 0..n {
        let ht = &mut h[t * F..(t + 1) * F];
        ht.copy_from_slice(&b[..F]);
        if t > 0 {
            axpy(ht, 1.0, &y[(t - 1) * 3 * F..(t - 1) * 3 * F + F]);
        }
        axpy(ht, 1.0, &y[t * 3 * F + F..t * 3 * F + 2 * F]);
        if t + 1 < n {
            axpy(ht, 1.0, &y[(t + 1) * 3 * F + 2 * F..(t + 2) * 3 * F]);
        }
    }
}

/// Piecewise max pooling: `z[q * F + f]` is the largest `h[t][f]` over the tokens of piece `q`
/// (0 for an empty piece); `arg` gets the token (usize::MAX for none) when asked.
fn pool(h: &[f32], piece: &[u8], z: &mut [f32; Z], mut arg: Option<&mut [usize; Z]>) {
    let mut any = [false; 3];
    z.fill(f32::NEG_INFINITY);
    if let Some(a) = arg.as_deref_mut() {
        a.fill(usize::MAX);
    }
    for (t, &q) in piece.iter().enumerate() {
        let q = (q as usize).min(2);
        any[q] = true;
        for f in 0..F {
            let v = h[t * F + f];
            if v > z[q * F + f] {
                z[q * F + f] = v;
                if let Some(a) = arg.as_deref_mut() {
                    a[q * F + f] = t;
                }
            }
        }
    }
    for q in 0..3 {
        if !any[q] {
            z[q * F..(q + 1) * F].fill(0.0);
        }
    }
}

/// [`pool`] without the argmax, branch-free so that it vectorises (inference: the conditional
/// stores of the argmax form were the largest cost of a window).
#[inline(always)]
fn pool_max(h: &[f32], piece: &[u8], z: &mut [f32; Z]) {
    let mut any = [false; 3];
    z.fill(f32::NEG_INFINITY);
    for (t, &q) in piece.iter().enumerate() {
        let q = (q as usize).min(2);
        any[q] = true;
        for (m, &v) in z[q * F..(q + 1) * F].iter_mut().zip(&h[t * F..(t + 1) * F]) {
            *m = m.max(v);
        }
    }
    for q in 0..3 {
        if !any[q] {
            z[q * F..(q + 1) * F].fill(0.0);
        }
    }
}

fn logits(w: &Weights, z: &[f32; Z]) -> [f32; 3] {
    let mut l = [w.out_b[0], w.out_b[1], w.out_b[2]];
    for (j, &x) in z.iter().enumerate() {
        l[0] += x * w.out[3 * j];
        l[1] += x * w.out[3 * j + 1];
        l[2] += x * w.out[3 * j + 2];
    }
    l
}

fn output(w: &Weights, z: &[f32; Z]) -> [f32; 3] {
    super::model::softmax(logits(w, z))
}

/// The geometric mean of two class distributions, renormalised (the prototype's combination:
/// nothing fitted did better).
pub fn combine(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    let g: [f32; 3] = std::array::from_fn(|c| (a[c].max(1e-6) * b[c].max(1e-6)).sqrt());
    let s = g[0] + g[1] + g[2];
    std::array::from_fn(|c| g[c] / s)
}

/// Builds the windows and reads the candidates whose pair-model probabilities `pair[k]` pass
/// the model's reader gate, setting their [`Candidate::reader`]. `pair[k]` belongs to
/// `cands[k]`.
#[allow(clippy::too_many_arguments)]
pub fn read_candidates(
    reader: &Reader,
    model: &super::model::StanceModel,
    text: &str,
    paragraphs: &[Paragraph],
    actors: &DocActors,
    lexicon: &Lexicon,
    cands: &mut [Candidate],
    pair: &[[f32; 3]],
    s: &mut Scratch,
) {
    for (c, p) in cands.iter_mut().zip(pair) {
        c.reader = None;
        if !model.reads(p) {
            continue;
        }
        build_window(text, paragraphs, actors, lexicon, &reader.vectors, c, s);
        c.reader = reader.probs(s);
    }
}

/// Training settings (the prototype's: Adam at 1e-3, batches of 64, dropout 0.5 on the pooled
/// vector, 4 epochs, seed 1).
#[derive(Debug, Clone, Copy)]
pub struct TrainParams {
    pub epochs: usize,
    pub batch: usize,
    pub rate: f32,
    pub seed: u64,
}

impl Default for TrainParams {
    fn default() -> TrainParams {
        TrainParams { epochs: 4, batch: 64, rate: 1e-3, seed: 1 }
    }
}

/// Gradients and the forward state of one example.
struct Grad {
    x: Vec<f32>,
    y: Vec<f32>,
    h: Vec<f32>,
    arg: [usize; Z],
    z: [f32; Z],
}

/// One example's forward and backward: adds the gradient of its cross-entropy (times `scale`)
/// to `g`; `drop` is the dropout keep mask of the pooled vector (None: no dropout). Returns the
/// loss.
#[allow(clippy::too_many_arguments)]
fn backprop(
    v: &Vectors,
    w: &Weights,
    win: &Window,
    class: usize,
    scale: f32,
    drop: Option<&[bool; Z]>,
    st: &mut Grad,
    g: &mut Weights,
) -> f32 {
    let n = win.len();
    if n == 0 {
        return 0.0;
    }
    inputs(v, w, win, &mut st.x);
    st.y.clear();
    st.y.resize(n * 3 * F, 0.0);
    taps(&st.x, n, &w.conv, &mut st.y);
    conv_tanh(&st.y, n, &w.conv_b, &mut st.h);
    pool(&st.h, &win.piece, &mut st.z, Some(&mut st.arg));
    let mut z = st.z;
    if let Some(d) = drop {
        for (x, &k) in z.iter_mut().zip(d) {
            *x = if k { *x * 2.0 } else { 0.0 };
        }
    }
    let p = output(w, &z);
    let loss = -p[class.min(2)].max(1e-30).ln();
    let dl: [f32; 3] = std::array::from_fn(|c| (p[c] - if c == class { 1.0 } else { 0.0 }) * scale);
    for (gb, d) in g.out_b.iter_mut().zip(dl) {
        *gb += d;
    }
    for j in 0..Z {
        if z[j] != 0.0 {
            g.out[3 * j] += z[j] * dl[0];
            g.out[3 * j + 1] += z[j] * dl[1];
            g.out[3 * j + 2] += z[j] * dl[2];
        }
        let mut dz = w.out[3 * j] * dl[0] + w.out[3 * j + 1] * dl[1] + w.out[3 * j + 2] * dl[2];
        if let Some(d) = drop {
            dz = if d[j] { dz * 2.0 } else { 0.0 };
        }
        let t = st.arg[j];
        if dz == 0.0 || t == usize::MAX {
            continue;
        }
        let f = j % F;
        let hv = st.h[t * F + f];
        let da = dz * (1.0 - hv * hv);
        g.conv_b[f] += da;
        for k in 0..3 {
            // Tap k of output t reads token t + k − 1.
            let Some(u) = (t + k).checked_sub(1).filter(|&u| u < n) else { continue };
            let col = k * F + f;
            let xu = &st.x[u * DIN..(u + 1) * DIN];
            for (i, &xi) in xu.iter().enumerate() {
                g.conv[i * 3 * F + col] += da * xi;
            }
            let (a, b, c) = (
                win.ds[u].min(ND as u8 - 1) as usize,
                win.dt[u].min(ND as u8 - 1) as usize,
                win.tag[u].min(TAGS as u8 - 1) as usize,
            );
            for jj in 0..DPOS {
                g.pos_s[a * DPOS + jj] += da * w.conv[(DIM + jj) * 3 * F + col];
                g.pos_t[b * DPOS + jj] += da * w.conv[(DIM + DPOS + jj) * 3 * F + col];
                g.tag[c * DPOS + jj] += da * w.conv[(DIM + 2 * DPOS + jj) * 3 * F + col];
            }
        }
    }
    loss
}

/// Trains the reader on `(window, class)` examples by Adam, single thread, with a seeded order
/// and dropout: the same examples give the same weights, bit for bit. `progress` gets each
/// epoch's mean training loss.
pub fn train(
    v: &Vectors,
    examples: &[(&Window, usize)],
    p: &TrainParams,
    mut progress: impl FnMut(usize, f64),
) -> Weights {
    let mut rng = Rng(p.seed);
    let mut w = Weights::init(&mut rng);
    let mut g = Weights::zeros();
    let mut m1 = Weights::zeros();
    let mut m2 = Weights::zeros();
    let mut st = Grad { x: Vec::new(), y: Vec::new(), h: Vec::new(), arg: [0; Z], z: [0.0; Z] };
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut drop = [true; Z];
    let (b1, b2) = (0.9f32, 0.999f32);
    let mut step = 0i32;
    for epoch in 0..p.epochs {
        for k in (1..order.len()).rev() {
            order.swap(k, rng.below(k + 1));
        }
        let mut total = 0.0f64;
        for batch in order.chunks(p.batch.max(1)) {
            for t in g.tensors_mut() {
                t.fill(0.0);
            }
            let scale = 1.0 / batch.len() as f32;
            for &i in batch {
                for d in drop.iter_mut() {
                    *d = rng.next_u64() >> 63 == 1;
                }
                let (win, class) = examples[i];
                total += backprop(v, &w, win, class, scale, Some(&drop), &mut st, &mut g) as f64;
            }
            step += 1;
            let (c1, c2) = (1.0 - b1.powi(step), 1.0 - b2.powi(step));
            let gs = g.tensors();
            let ms = m1.tensors_mut();
            let vs = m2.tensors_mut();
            for (((wt, gt), mt), vt) in w.tensors_mut().into_iter().zip(gs).zip(ms).zip(vs) {
                for (((x, &gr), m), s) in wt.iter_mut().zip(gt.iter()).zip(mt.iter_mut()).zip(vt.iter_mut()) {
                    *m = b1 * *m + (1.0 - b1) * gr;
                    *s = b2 * *s + (1.0 - b2) * gr * gr;
                    *x -= p.rate * (*m / c1) / ((*s / c2).sqrt() + 1e-8);
                }
            }
        }
        progress(epoch + 1, total / examples.len().max(1) as f64);
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors(words: usize, rng: &mut Rng) -> Vectors {
        let mut text = String::new();
        for k in 0..words {
            let vals: Vec<String> = (0..DIM).map(|_| ((rng.below(255) as i32) - 127).to_string()).collect();
            text.push_str(&format!("w{k}\t0.1\t{}\n", vals.join(" ")));
        }
        Vectors::read(&text, "test").unwrap()
    }

    fn window(n: usize, vocab: usize, rng: &mut Rng) -> Window {
        let mut w = Window::default();
        for t in 0..n {
            w.ids.push(rng.below(vocab + 3) as u32);
            w.ds.push(rng.below(ND) as u8);
            w.dt.push(rng.below(ND) as u8);
            w.tag.push(rng.below(TAGS) as u8);
            w.piece.push(((3 * t) / n.max(1)) as u8);
        }
        w
    }

    #[test]
    fn folded_inference_equals_the_plain_convolution() {
        let mut rng = Rng(7);
        // More words than the folded table holds, so rare words are multiplied out too.
        let v = vectors(TABLE_WORDS + 50, &mut rng);
        let r = Reader::new(v, Weights::init(&mut rng));
        let mut s = Scratch::default();
        for n in [1, 2, 3, 17, 96] {
            s.window = window(n, TABLE_WORDS + 50, &mut rng);
            // A rare word and an unknown one.
            s.window.ids[0] = (TABLE_WORDS + 40) as u32;
            let a = r.probs(&mut s).unwrap();
            let b = r.probs_plain(&mut s).unwrap();
            for c in 0..3 {
                assert!((a[c] - b[c]).abs() < 1e-5, "n {n}: {a:?} vs {b:?}");
            }
            // The AVX2 build (when the CPU has it) and the baseline build of the same code give
            // the same bits: reports must not depend on the machine's vector width.
            assert_eq!(Some(a), r.probs_folded(&mut s), "n {n}");
        }
        s.window = Window::default();
        assert_eq!(r.probs(&mut s), None);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng(3);
        let v = vectors(20, &mut rng);
        let mut w = Weights::init(&mut rng);
        // Larger output weights, so the checked gradients are not tiny.
        for x in w.out.iter_mut() {
            *x *= 5.0;
        }
        let win = window(9, 20, &mut rng);
        let class = 1;
        let loss = |w: &Weights| -> f64 {
            let mut st = Grad { x: Vec::new(), y: Vec::new(), h: Vec::new(), arg: [0; Z], z: [0.0; Z] };
            let mut g = Weights::zeros();
            backprop(&v, w, &win, class, 1.0, None, &mut st, &mut g) as f64
        };
        let mut st = Grad { x: Vec::new(), y: Vec::new(), h: Vec::new(), arg: [0; Z], z: [0.0; Z] };
        let mut g = Weights::zeros();
        backprop(&v, &w, &win, class, 1.0, None, &mut st, &mut g);
        let mut checked = 0;
        for (k, tensor) in TENSORS.iter().enumerate() {
            let n = w.tensors()[k].len();
            // The largest gradients of each tensor, and a few others.
            let mut idx: Vec<usize> = (0..n).collect();
            idx.sort_by(|&a, &b| g.tensors()[k][b].abs().total_cmp(&g.tensors()[k][a].abs()));
            idx.truncate(4);
            for &i in &idx {
                let an = g.tensors()[k][i] as f64;
                let eps = 1e-3f32;
                let mut wp = w.clone();
                wp.tensors_mut()[k][i] += eps;
                let mut wm = w.clone();
                wm.tensors_mut()[k][i] -= eps;
                let num = (loss(&wp) - loss(&wm)) / (2.0 * eps as f64);
                assert!(
                    (an - num).abs() <= 2e-2 * an.abs().max(num.abs()) + 1e-4,
                    "{} [{i}]: analytic {an}, numeric {num}",
                    tensor.0
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 6 * 4 + 3);
    }

    #[test]
    fn training_is_bit_identical_on_rerun_and_round_trips() {
        let mut rng = Rng(11);
        let v = vectors(30, &mut rng);
        let wins: Vec<Window> = (0..40).map(|k| window(1 + k % 12, 30, &mut rng)).collect();
        let ex: Vec<(&Window, usize)> = wins.iter().enumerate().map(|(k, w)| (w, k % 3)).collect();
        let p = TrainParams { epochs: 2, batch: 8, ..TrainParams::default() };
        let a = train(&v, &ex, &p, |_, _| {});
        let b = train(&v, &ex, &p, |_, _| {});
        let (ta, tb) = (a.write(&["t".into()]), b.write(&["t".into()]));
        assert_eq!(ta, tb);
        assert_eq!(Weights::read(&ta).unwrap(), a);
        // A learning check: the loss falls on a separable toy task.
        let mut losses = Vec::new();
        let _ = train(&v, &ex, &TrainParams { epochs: 30, batch: 8, rate: 3e-3, seed: 1 }, |_, l| losses.push(l));
        assert!(losses[29] < losses[0] * 0.8, "{losses:?}");
    }

    #[test]
    fn a_bad_weights_line_is_an_error_with_its_line() {
        let w = Weights::init(&mut Rng(1)).write(&[]);
        let bad = w.replacen("out_b\t0\t", "out_b\t0\tx ", 1);
        let (line, _) = Weights::read(&bad).unwrap_err();
        assert_eq!(line, w.lines().count());
        assert!(Weights::read(&w.replacen("conv_b\t0", "conv_b\t7", 1)).is_err());
        assert!(Weights::read("").is_err());
    }

    #[test]
    fn never_panics_on_empty_one_word_or_huge_windows() {
        let mut rng = Rng(5);
        let v = vectors(10, &mut rng);
        let r = Reader::new(v, Weights::init(&mut rng));
        let mut s = Scratch::default();
        for n in [0, 1, 5000] {
            s.window = window(n, 10, &mut rng);
            let p = r.probs(&mut s);
            assert_eq!(p.is_none(), n == 0);
            if let Some(p) = p {
                assert!(p.iter().all(|x| x.is_finite()) && (p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
            }
        }
        // Out-of-range ids, distances, tags and pieces are clipped, not indexed.
        s.window = Window { ids: vec![u32::MAX], ds: vec![255], dt: vec![255], tag: vec![255], piece: vec![255] };
        assert!(r.probs(&mut s).is_some());
        assert!((combine([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]).iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
}
