//! The piecewise CNN (PCNN, Zeng et al. 2015) shared by the two sentence readers: the stance
//! reader beside the pair model ([`super::reader`]) and the coverage reader beside the target
//! model ([`super::coverage`]). Each token reads its frozen corpus word vector
//! ([`super::vectors`]) and `C` learned embeddings of small integer features (distances to the
//! mentions, a tag); one convolution of width 3 with [`F`] filters, max pooling in three pieces
//! cut at the mentions, tanh, and a linear layer to three classes.
//!
//! Why one module: the two readers differ only in how a window is built (which mentions, which
//! features: the stance reader has a distance to the source and one to the target and four tags,
//! the coverage reader one distance and three tags) — the number of embedded features `C` and
//! their sizes ([`Spec`]). The folded inference (the AVX2 build with the same bits), the weights
//! file, the hand-written backward pass and the deterministic trainer are the same code, so a
//! speed-up or a fix reaches both.
//!
//! Inference folds the first layer: the word vectors are frozen, so a word's contribution to the
//! 150 filters at each of the 3 taps is a fixed row of 450 numbers; so is each feature value's. A
//! token's convolution input is then 1 + `C` row additions, where the plain form multiplies a
//! `DIM + C · DPOS`-wide input by a matrix of 450 columns. The row of each of the most frequent
//! words is computed once, the first time a window reads that word, and kept; rarer words are
//! multiplied out per window. Why per word and not the whole table on first use: a night's
//! corpus reads nearly every one of the 20,000 rows (36 MB), but a small input reads a few
//! hundred, and folding the whole table cost a small run a fifth of a second and ~50 MB.

use std::sync::{Arc, OnceLock};

use super::vectors::{axpy, Rng, Vectors, DIM};

/// Filters.
pub const F: usize = 150;
/// Width of a feature embedding.
pub const DPOS: usize = 10;
/// Pieces of the pooling (left of the first mention, between, right of the second: the stance
/// reader's source and target; left of, over and right of the coverage reader's target).
pub const PIECES: usize = 3;
/// Width of the pooled vector.
pub const Z: usize = PIECES * F;

/// What differs between the readers: the embedded features, by tensor name and number of values,
/// and how many of the most frequent words get a folded row.
#[derive(Debug)]
pub struct Spec<const C: usize> {
    /// Tensor name of each feature's embedding in the weights file.
    pub names: [&'static str; C],
    /// Distinct values of each feature (larger values are clipped to the last).
    pub rows: [usize; C],
    /// Words whose folded rows are kept (the most frequent: the vocabulary is in frequency
    /// order).
    pub table_words: usize,
}

impl<const C: usize> Spec<C> {
    /// Width of a token's input: word vector and the feature embeddings.
    pub const fn din(&self) -> usize {
        DIM + C * DPOS
    }

    /// The tensors of [`Weights`]: name, rows, columns.
    fn layout(&self) -> Vec<(&'static str, usize, usize)> {
        let mut t: Vec<(&'static str, usize, usize)> = (0..C).map(|c| (self.names[c], self.rows[c], DPOS)).collect();
        t.extend([("conv", self.din(), 3 * F), ("conv_b", 1, F), ("out", Z, 3), ("out_b", 1, 3)]);
        t
    }
}

/// One example's input: per token its word id, its `C` feature values and its piece (0..3).
#[derive(Debug, Clone, PartialEq)]
pub struct Window<const C: usize> {
    pub ids: Vec<u32>,
    pub feats: Vec<[u8; C]>,
    pub piece: Vec<u8>,
}

impl<const C: usize> Default for Window<C> {
    fn default() -> Self {
        Window { ids: Vec::new(), feats: Vec::new(), piece: Vec::new() }
    }
}

impl<const C: usize> Window<C> {
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    pub fn clear(&mut self) {
        self.ids.clear();
        self.feats.clear();
        self.piece.clear();
    }
    /// Keeps tokens `lo..lo + len` (cuts a long window around its mentions).
    pub fn cut(&mut self, lo: usize, len: usize) {
        let lo = lo.min(self.ids.len());
        self.ids.drain(..lo);
        self.ids.truncate(len);
        self.feats.drain(..lo.min(self.feats.len()));
        self.feats.truncate(len);
        self.piece.drain(..lo.min(self.piece.len()));
        self.piece.truncate(len);
    }
}

/// Inference buffers reused from window to window (no allocation per token).
#[derive(Debug, Default)]
pub struct Scratch {
    y: Vec<f32>,
    h: Vec<f32>,
    x: Vec<f32>,
    rare: Vec<f32>,
    slot: Vec<Slot>,
}

/// Where a token's folded word row is ([`Pcnn::probs`]).
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

/// The weights. `conv` is din × 3F (row `i`: input `i`'s weight for tap `k`, filter `f` at
/// `k * F + f`; the taps read the previous, the same and the next token).
#[derive(Debug, Clone, PartialEq)]
pub struct Weights<const C: usize> {
    /// Each feature's embedding (rows × DPOS).
    pub emb: [Vec<f32>; C],
    pub conv: Vec<f32>,
    pub conv_b: Vec<f32>,
    /// Z × 3.
    pub out: Vec<f32>,
    pub out_b: Vec<f32>,
}

impl<const C: usize> Weights<C> {
    fn zeros(spec: &Spec<C>) -> Weights<C> {
        Weights {
            emb: std::array::from_fn(|c| vec![0.0; spec.rows[c] * DPOS]),
            conv: vec![0.0; spec.din() * 3 * F],
            conv_b: vec![0.0; F],
            out: vec![0.0; Z * 3],
            out_b: vec![0.0; 3],
        }
    }

    /// The tensors in file order (the embeddings, then conv, conv_b, out, out_b).
    fn tensors(&self) -> Vec<&Vec<f32>> {
        let mut t: Vec<&Vec<f32>> = self.emb.iter().collect();
        t.extend([&self.conv, &self.conv_b, &self.out, &self.out_b]);
        t
    }

    fn tensors_mut(&mut self) -> Vec<&mut Vec<f32>> {
        let mut t: Vec<&mut Vec<f32>> = self.emb.iter_mut().collect();
        t.extend([&mut self.conv, &mut self.conv_b, &mut self.out, &mut self.out_b]);
        t
    }

    /// The prototypes' initialisation: embeddings N(0, 0.1²), filters N(0, 1 / (3 · din)),
    /// output N(0, 1 / Z), biases 0 (drawn in file order).
    pub fn init(spec: &Spec<C>, rng: &mut Rng) -> Weights<C> {
        let mut w = Weights::zeros(spec);
        let mut sd = vec![0.1; C];
        sd.extend([(1.0 / (3.0 * spec.din() as f64)).sqrt(), 0.0, (1.0 / Z as f64).sqrt(), 0.0]);
        for (t, sd) in w.tensors_mut().into_iter().zip(sd) {
            for x in t.iter_mut() {
                *x = (gaussian(rng) * sd) as f32;
            }
        }
        w
    }

    /// Writes `name<TAB>row<TAB>values` per row after `# ` header lines; floats in Rust's
    /// shortest form that reads back to the same bits.
    pub fn write(&self, spec: &Spec<C>, header: &[String]) -> String {
        let mut s = String::new();
        for h in header {
            s.push_str("# ");
            s.push_str(h);
            s.push('\n');
        }
        for ((name, rows, cols), t) in spec.layout().into_iter().zip(self.tensors()) {
            for r in 0..rows {
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
    pub fn read(spec: &Spec<C>, text: &str) -> Result<Weights<C>, (usize, String)> {
        let layout = spec.layout();
        let mut w = Weights::zeros(spec);
        let mut seen: Vec<Vec<bool>> = layout.iter().map(|t| vec![false; t.1]).collect();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let mut p = line.split('\t');
            let (Some(name), Some(row), Some(values), None) = (p.next(), p.next(), p.next(), p.next()) else {
                return Err((n, "expected `tensor<TAB>row<TAB>values`".into()));
            };
            let Some(k) = layout.iter().position(|t| t.0 == name) else {
                return Err((n, format!("unknown tensor `{name}`")));
            };
            let (_, rows, cols) = layout[k];
            let r: usize =
                row.parse().ok().filter(|&r| r < rows).ok_or_else(|| (n, format!("bad row `{row}` of {name}")))?;
            if std::mem::replace(&mut seen[k][r], true) {
                return Err((n, format!("row {r} of {name} twice")));
            }
            let mut tensors = w.tensors_mut();
            let dst = &mut tensors[k][r * cols..(r + 1) * cols];
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
                return Err((text.lines().count().max(1), format!("row {r} of {} missing", layout[k].0)));
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

/// A reader: its spec, the frozen vectors (shared between readers), the weights and the folded
/// tables.
#[derive(Debug)]
pub struct Pcnn<const C: usize> {
    pub spec: &'static Spec<C>,
    pub vectors: Arc<Vectors>,
    pub weights: Weights<C>,
    /// Folded rows (3F each) of each value of each feature.
    folded: [Vec<f32>; C],
    /// Folded row (3F) of each of the `spec.table_words` most frequent words (id 2 onwards), each
    /// built the first time a window reads it ([`Pcnn::word_row`]).
    words: Box<[OnceLock<Box<[f32]>>]>,
}

impl<const C: usize> Pcnn<C> {
    pub fn new(spec: &'static Spec<C>, vectors: Arc<Vectors>, weights: Weights<C>) -> Pcnn<C> {
        let folded = std::array::from_fn(|c| {
            let (rows, off) = (spec.rows[c], DIM + c * DPOS);
            let emb = &weights.emb[c];
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
        });
        let words = (0..spec.table_words.min(vectors.words.len())).map(|_| OnceLock::new()).collect();
        Pcnn { spec, vectors, weights, folded, words }
    }

    /// The folded row of table word `k` (word id `k + 2`), folded by the first window that reads
    /// it. Every thread gets the same bits whoever folds it: [`fold_word`] is element-wise.
    #[inline]
    fn word_row(&self, k: usize) -> &[f32] {
        self.words[k].get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked just above).
                return unsafe { self.fold_row_avx2(k) };
            }
            self.fold_row(k)
        })
    }

    /// [`Pcnn::fold_row`] eight floats wide (the same element-wise products and sums).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn fold_row_avx2(&self, k: usize) -> Box<[f32]> {
        self.fold_row(k)
    }

    /// The folded row of table word `k`.
    #[inline(always)]
    fn fold_row(&self, k: usize) -> Box<[f32]> {
        let mut e = [0.0f32; DIM];
        self.vectors.vector(k as u32 + 2, &mut e);
        let mut row = vec![0.0f32; 3 * F].into_boxed_slice();
        fold_word(&self.weights.conv, &e, &mut row);
        row
    }

    /// How many of the frequent words' rows have been folded so far (what the table holds in
    /// memory: 1,800 bytes each).
    pub fn folded_words(&self) -> usize {
        self.words.iter().filter(|w| w.get().is_some()).count()
    }

    /// Class probabilities of `win` by the folded form; `None` for an empty window. With AVX2
    /// (checked at run time) the same code is compiled eight floats wide: every step is an
    /// element-wise add or multiply, or a max, so the result is bit for bit the one of the
    /// baseline build.
    pub fn probs(&self, win: &Window<C>, s: &mut Scratch) -> Option<[f32; 3]> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { self.probs_avx2(win, s) };
        }
        self.probs_folded(win, s)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn probs_avx2(&self, win: &Window<C>, s: &mut Scratch) -> Option<[f32; 3]> {
        self.probs_folded(win, s)
    }

    /// The baseline build of [`Pcnn::probs`] (tests: both builds must agree to the bit).
    #[inline(always)]
    pub fn probs_folded(&self, win: &Window<C>, s: &mut Scratch) -> Option<[f32; 3]> {
        let n = win.len().min(win.feats.len()).min(win.piece.len());
        if n == 0 {
            return None;
        }
        let tw = self.words.len();
        // Rare words (outside the table) are folded once per window into `s.rare`; `s.slot`
        // says where each token's word row is: the table's row k, `s.rare`'s row, or none.
        s.slot.clear();
        s.rare.clear();
        let mut e = [0.0f32; DIM];
        for &id in &win.ids[..n] {
            let id = id as usize;
            if (2..2 + tw).contains(&id) {
                // Folded here if no window read the word before.
                self.word_row(id - 2);
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
        // token's tap k is its word row + its features' rows (in feature order), and h[t] =
        // bias + tap 0 of t−1 + tap 1 of t + tap 2 of t+1 (in that order): the additions of the
        // plain form ([`taps`], [`conv_pre`]) in the same order, so the same floats.
        s.h.truncate(n * F);
        s.h.resize(n * F, 0.0);
        for t in 0..n {
            // The word rows are 1,800 bytes each, scattered over a large table: ask for the row
            // of the token two ahead now, so its lines arrive while this one is added.
            if let Some(&Slot::Table(r)) = s.slot.get(t + 2) {
                crate::syntax::perceptron::prefetch_lines(self.word_row(r).as_ptr(), 3 * F);
            }
            let ht: &mut [f32] = &mut s.h[t * F..(t + 1) * F];
            ht.copy_from_slice(&self.weights.conv_b[..F]);
            for k in 0..3 {
                let Some(u) = (t + k).checked_sub(1).filter(|&u| u < n) else { continue };
                let off = k * F;
                let w: &[f32] = match s.slot[u] {
                    Slot::Table(r) => &self.word_row(r)[off..off + F],
                    Slot::Rare(r) => &s.rare[r * 3 * F + off..r * 3 * F + off + F],
                    Slot::None => &ZERO_ROW,
                };
                let fu = &win.feats[u];
                let rows: [&[f32]; C] = std::array::from_fn(|c| {
                    let r = (fu[c] as usize).min(self.spec.rows[c] - 1) * 3 * F;
                    &self.folded[c][r + off..r + off + F]
                });
                let (w, ht) = (&w[..F], &mut ht[..F]);
                for f in 0..F {
                    let mut v = w[f];
                    for row in &rows {
                        v += row[f];
                    }
                    ht[f] += v;
                }
            }
        }
        Some(self.head_pre(&win.piece[..n], s))
    }

    /// From the pre-activations `s.h` (n × F) to the class probabilities: piecewise max pooling
    /// of them, then tanh of the 450 pooled values ([`tanh_fast`]), then the output layer. tanh
    /// is increasing, so the max of tanh is tanh of the max: 450 tanh per window instead of 150
    /// per token.
    #[inline(always)]
    fn head_pre(&self, piece: &[u8], s: &mut Scratch) -> [f32; 3] {
        let mut z = [0.0f32; Z];
        pool_max(&s.h, piece, &mut z);
        for (q, zq) in z.chunks_exact_mut(F).enumerate() {
            // An empty piece pools to 0 = tanh(0).
            if piece.iter().any(|&p| (p as usize).min(PIECES - 1) == q) {
                for v in zq.iter_mut() {
                    *v = tanh_fast(*v);
                }
            }
        }
        output(&self.weights, &z)
    }

    /// Class probabilities by the plain convolution (tests: the folded form must agree).
    pub fn probs_plain(&self, win: &Window<C>, s: &mut Scratch) -> Option<[f32; 3]> {
        let n = win.len().min(win.feats.len()).min(win.piece.len());
        if n == 0 {
            return None;
        }
        inputs(self.spec, &self.vectors, &self.weights, win, n, &mut s.x);
        s.y.clear();
        s.y.resize(n * 3 * F, 0.0);
        taps(&s.x, n, self.spec.din(), &self.weights.conv, &mut s.y);
        conv_tanh(&s.y, n, &self.weights.conv_b, &mut s.h);
        let mut z = [0.0f32; Z];
        pool(&s.h, &win.piece[..n], &mut z, None);
        Some(output(&self.weights, &z))
    }
}

/// tanh in plain f32 arithmetic, within 3e-7 of the library's: `(1 − e) / (1 + e)` with
/// `e = exp(−2|x|)` (range reduction by powers of two, a degree-6 polynomial), the sign of `x`.
/// Why: the library's `tanhf` is a call per value that does not vectorise; the 450 of a window
/// were most of a coverage-reader mention's time (`examples/coverage_timing.rs`: 13.9 → µs per
/// mention). Only adds, multiplies, a division and bit moves, element-wise: the AVX2 and the
/// baseline builds give the same bits, and so does every machine.
#[inline(always)]
pub fn tanh_fast(x: f32) -> f32 {
    // tanh(10) is 1 in f32; min also turns NaN into 10.
    let a = x.abs().min(10.0);
    let v = -2.0 * a;
    // k = round(v / ln 2) by the 1.5 · 2^23 trick (exact for |v / ln 2| < 2^22), and its bits.
    const MAGIC: f32 = 12_582_912.0;
    let m = v * std::f32::consts::LOG2_E + MAGIC;
    let k = m - MAGIC;
    let ki = m.to_bits() as i32 - 0x4B40_0000;
    // r = v − k ln 2 in two steps (Cephes' split of ln 2), |r| ≤ 0.35.
    let r = (v - k * 0.693_359_4) + k * 2.121_944_4e-4;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // 2^k for k in −29..=0.
    let e = p * f32::from_bits(((ki + 127) << 23) as u32);
    ((1.0 - e) / (1.0 + e)).copysign(x)
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

/// The first `n` tokens' inputs (n × din): word vector, then each feature's embedding.
fn inputs<const C: usize>(spec: &Spec<C>, v: &Vectors, w: &Weights<C>, win: &Window<C>, n: usize, x: &mut Vec<f32>) {
    let din = spec.din();
    x.clear();
    x.resize(n * din, 0.0);
    let mut e = [0.0f32; DIM];
    for t in 0..n {
        let r = &mut x[t * din..(t + 1) * din];
        v.vector(win.ids[t], &mut e);
        r[..DIM].copy_from_slice(&e);
        for c in 0..C {
            let a = (win.feats[t][c] as usize).min(spec.rows[c] - 1);
            r[DIM + c * DPOS..DIM + (c + 1) * DPOS].copy_from_slice(&w.emb[c][a * DPOS..(a + 1) * DPOS]);
        }
    }
}

/// `y[t] = x[t] · conv` for every token (n × 3F).
fn taps(x: &[f32], n: usize, din: usize, conv: &[f32], y: &mut [f32]) {
    for t in 0..n {
        let yt = &mut y[t * 3 * F..(t + 1) * 3 * F];
        for (i, &xi) in x[t * din..(t + 1) * din].iter().enumerate() {
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
    let mut any = [false; PIECES];
    z.fill(f32::NEG_INFINITY);
    if let Some(a) = arg.as_deref_mut() {
        a.fill(usize::MAX);
    }
    for (t, &q) in piece.iter().enumerate() {
        let q = (q as usize).min(PIECES - 1);
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
    for q in 0..PIECES {
        if !any[q] {
            z[q * F..(q + 1) * F].fill(0.0);
        }
    }
}

/// [`pool`] without the argmax, branch-free so that it vectorises (inference: the conditional
/// stores of the argmax form were the largest cost of a window).
#[inline(always)]
fn pool_max(h: &[f32], piece: &[u8], z: &mut [f32; Z]) {
    let mut any = [false; PIECES];
    z.fill(f32::NEG_INFINITY);
    for (t, &q) in piece.iter().enumerate() {
        let q = (q as usize).min(PIECES - 1);
        any[q] = true;
        for (m, &v) in z[q * F..(q + 1) * F].iter_mut().zip(&h[t * F..(t + 1) * F]) {
            *m = m.max(v);
        }
    }
    for q in 0..PIECES {
        if !any[q] {
            z[q * F..(q + 1) * F].fill(0.0);
        }
    }
}

fn logits<const C: usize>(w: &Weights<C>, z: &[f32; Z]) -> [f32; 3] {
    let mut l = [w.out_b[0], w.out_b[1], w.out_b[2]];
    for (j, &x) in z.iter().enumerate() {
        l[0] += x * w.out[3 * j];
        l[1] += x * w.out[3 * j + 1];
        l[2] += x * w.out[3 * j + 2];
    }
    l
}

fn output<const C: usize>(w: &Weights<C>, z: &[f32; Z]) -> [f32; 3] {
    super::model::softmax(logits(w, z))
}

/// The geometric mean of two class distributions, renormalised (both prototypes' combination:
/// nothing fitted did better).
pub fn combine(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    let g: [f32; 3] = std::array::from_fn(|c| (a[c].max(1e-6) * b[c].max(1e-6)).sqrt());
    let s = g[0] + g[1] + g[2];
    std::array::from_fn(|c| g[c] / s)
}

/// Training settings (the prototypes': Adam at 1e-3, batches of 64, dropout 0.5 on the pooled
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

/// The forward state of one example (reused).
struct Grad {
    x: Vec<f32>,
    y: Vec<f32>,
    h: Vec<f32>,
    arg: [usize; Z],
    z: [f32; Z],
}

impl Grad {
    fn new() -> Grad {
        Grad { x: Vec::new(), y: Vec::new(), h: Vec::new(), arg: [0; Z], z: [0.0; Z] }
    }
}

/// One example's forward and backward: adds the gradient of its cross-entropy (times `scale`)
/// to `g`; `drop` is the dropout keep mask of the pooled vector (None: no dropout). Returns the
/// loss.
#[allow(clippy::too_many_arguments)]
fn backprop<const C: usize>(
    spec: &Spec<C>,
    v: &Vectors,
    w: &Weights<C>,
    win: &Window<C>,
    class: usize,
    scale: f32,
    drop: Option<&[bool; Z]>,
    st: &mut Grad,
    g: &mut Weights<C>,
) -> f32 {
    let n = win.len().min(win.feats.len()).min(win.piece.len());
    if n == 0 {
        return 0.0;
    }
    let din = spec.din();
    inputs(spec, v, w, win, n, &mut st.x);
    st.y.clear();
    st.y.resize(n * 3 * F, 0.0);
    taps(&st.x, n, din, &w.conv, &mut st.y);
    conv_tanh(&st.y, n, &w.conv_b, &mut st.h);
    pool(&st.h, &win.piece[..n], &mut st.z, Some(&mut st.arg));
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
            let xu = &st.x[u * din..(u + 1) * din];
            for (i, &xi) in xu.iter().enumerate() {
                g.conv[i * 3 * F + col] += da * xi;
            }
            for c in 0..C {
                let a = (win.feats[u][c] as usize).min(spec.rows[c] - 1);
                let base = DIM + c * DPOS;
                for jj in 0..DPOS {
                    g.emb[c][a * DPOS + jj] += da * w.conv[(base + jj) * 3 * F + col];
                }
            }
        }
    }
    loss
}

/// Trains a reader on `(window, class, weight)` examples by Adam, single thread, with a seeded
/// order and dropout: the same examples give the same weights, bit for bit. A batch's loss is
/// the weighted mean of its examples' (all weights 1: the plain mean). `progress` gets each
/// epoch's mean (unweighted) training loss.
pub fn train<const C: usize>(
    spec: &Spec<C>,
    v: &Vectors,
    examples: &[(&Window<C>, usize, f32)],
    p: &TrainParams,
    mut progress: impl FnMut(usize, f64),
) -> Weights<C> {
    let mut rng = Rng(p.seed);
    let mut w = Weights::init(spec, &mut rng);
    let mut g = Weights::zeros(spec);
    let mut m1 = Weights::zeros(spec);
    let mut m2 = Weights::zeros(spec);
    let mut st = Grad::new();
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
            let sum: f32 = batch.iter().map(|&i| examples[i].2).sum();
            if sum <= 0.0 {
                continue;
            }
            for &i in batch {
                for d in drop.iter_mut() {
                    *d = rng.next_u64() >> 63 == 1;
                }
                let (win, class, weight) = examples[i];
                let scale = weight / sum;
                total += backprop(spec, v, &w, win, class, scale, Some(&drop), &mut st, &mut g) as f64;
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

    static SPEC2: Spec<2> = Spec { names: ["pos_t", "tag"], rows: [61, 3], table_words: 20 };

    fn vectors(words: usize, rng: &mut Rng) -> Arc<Vectors> {
        let mut text = String::new();
        for k in 0..words {
            let vals: Vec<String> = (0..DIM).map(|_| ((rng.below(255) as i32) - 127).to_string()).collect();
            text.push_str(&format!("w{k}\t0.1\t{}\n", vals.join(" ")));
        }
        Arc::new(Vectors::read(&text, "test").unwrap())
    }

    fn window<const C: usize>(spec: &Spec<C>, n: usize, vocab: usize, rng: &mut Rng) -> Window<C> {
        let mut w = Window::default();
        for t in 0..n {
            w.ids.push(rng.below(vocab + 3) as u32);
            w.feats.push(std::array::from_fn(|c| rng.below(spec.rows[c]) as u8));
            w.piece.push(((3 * t) / n.max(1)) as u8);
        }
        w
    }

    /// The folded inference gives the plain convolution's probabilities (within float
    /// rounding) on windows of the lengths `ns`, with a word past the folded table and one past
    /// the vocabulary; the AVX2 build (when the CPU has it) and the baseline build of the same
    /// code give the same bits: reports must not depend on the machine's vector width.
    fn check_folded<const C: usize>(spec: &'static Spec<C>, ns: &[usize]) -> (Pcnn<C>, Scratch, Rng) {
        let mut rng = Rng(7);
        // More words than the folded table holds, so rare words are multiplied out too.
        let tw = spec.table_words;
        let v = vectors(tw + 50, &mut rng);
        let r = Pcnn::new(spec, v, Weights::init(spec, &mut rng));
        let mut s = Scratch::default();
        for &n in ns {
            let mut win = window(spec, n, tw + 50, &mut rng);
            win.ids[0] = (tw + 40) as u32;
            let a = r.probs(&win, &mut s).unwrap();
            let b = r.probs_plain(&win, &mut s).unwrap();
            for c in 0..3 {
                assert!((a[c] - b[c]).abs() < 1e-5, "n {n}: {a:?} vs {b:?}");
            }
            assert_eq!(Some(a), r.probs_folded(&win, &mut s), "n {n}");
        }
        assert_eq!(r.probs(&Window::default(), &mut s), None);
        (r, s, rng)
    }

    #[test]
    fn folded_inference_equals_the_plain_convolution_for_two_features() {
        let (r, mut s, mut rng) = check_folded(&SPEC2, &[1, 2, 3, 17, 80]);
        // A window whose feature or piece vectors are shorter than its ids reads only the
        // tokens it has all of (no panic).
        let mut short = window(&SPEC2, 5, 10, &mut rng);
        short.feats.truncate(2);
        assert!(r.probs(&short, &mut s).is_some());
    }

    #[test]
    fn word_rows_are_folded_when_first_read_and_give_the_same_bits_from_any_thread() {
        let mut rng = Rng(5);
        let tw = SPEC2.table_words;
        let v = vectors(tw + 50, &mut rng);
        let w = Weights::init(&SPEC2, &mut rng);
        let wins: Vec<Window<2>> = (0..12).map(|k| window(&SPEC2, 3 + k, tw + 50, &mut rng)).collect();
        // A reader that has read nothing holds no word row.
        let fresh = Pcnn::new(&SPEC2, v.clone(), w.clone());
        assert_eq!(fresh.folded_words(), 0);
        let mut s = Scratch::default();
        let first = fresh.probs(&wins[0], &mut s).unwrap();
        let read: std::collections::BTreeSet<u32> =
            wins[0].ids.iter().copied().filter(|&id| (2..2 + tw as u32).contains(&id)).collect();
        assert_eq!(fresh.folded_words(), read.len());
        // Two threads racing to fold the same rows, and a reader that folds them in another
        // order, give every window the same bits.
        let shared = Pcnn::new(&SPEC2, v.clone(), w.clone());
        let racing: Vec<Vec<[f32; 3]>> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..2)
                .map(|_| {
                    sc.spawn(|| {
                        let mut s = Scratch::default();
                        wins.iter().map(|win| shared.probs(win, &mut s).unwrap()).collect::<Vec<_>>()
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let backwards = Pcnn::new(&SPEC2, v, w);
        let mut rev: Vec<[f32; 3]> = wins.iter().rev().map(|win| backwards.probs(win, &mut s).unwrap()).collect();
        rev.reverse();
        assert_eq!(racing[0], racing[1]);
        assert_eq!(racing[0], rev);
        assert_eq!(racing[0][0], first);
    }

    #[test]
    fn tanh_fast_is_within_3e_7_of_the_library() {
        let mut worst = 0.0f32;
        for i in -300_000..=300_000 {
            let x = i as f32 * 4e-5;
            worst = worst.max((tanh_fast(x) - x.tanh()).abs());
        }
        for x in [20.0f32, -20.0, 1e30, -1e30, f32::INFINITY, f32::NEG_INFINITY, 1e-30, 0.0, -0.0] {
            assert!((tanh_fast(x) - x.tanh()).abs() <= 3e-7, "{x}");
        }
        assert!(worst <= 3e-7, "{worst}");
        assert!(tanh_fast(f32::NAN).abs() <= 1.0);
    }

    #[test]
    fn example_weights_scale_the_gradient() {
        // Weight 1 everywhere is the plain mean: doubling every weight changes nothing, and a
        // zero-weight example does not move the weights.
        let mut rng = Rng(11);
        let v = vectors(30, &mut rng);
        let wins: Vec<Window<2>> = (0..16).map(|k| window(&SPEC2, 1 + k % 7, 30, &mut rng)).collect();
        let p = TrainParams { epochs: 1, batch: 4, ..TrainParams::default() };
        let one: Vec<(&Window<2>, usize, f32)> = wins.iter().enumerate().map(|(k, w)| (w, k % 3, 1.0)).collect();
        let two: Vec<(&Window<2>, usize, f32)> = one.iter().map(|&(w, c, _)| (w, c, 2.0)).collect();
        let a = train(&SPEC2, &v, &one, &p, |_, _| {});
        let b = train(&SPEC2, &v, &two, &p, |_, _| {});
        assert_eq!(a, b);
        let skewed: Vec<(&Window<2>, usize, f32)> =
            one.iter().enumerate().map(|(k, &(w, c, _))| (w, c, if k == 3 { 5.0 } else { 1.0 })).collect();
        assert_ne!(train(&SPEC2, &v, &skewed, &p, |_, _| {}), a);
    }

    use crate::stance::reader::SPEC as SPEC3;

    #[test]
    fn folded_inference_equals_the_plain_convolution() {
        check_folded(&SPEC3, &[1, 2, 3, 17, 96]);
    }

    fn check_gradients<const C: usize>(spec: &Spec<C>) {
        let mut rng = Rng(3);
        let v = vectors(20, &mut rng);
        let mut w = Weights::init(spec, &mut rng);
        // Larger output weights, so the checked gradients are not tiny.
        for x in w.out.iter_mut() {
            *x *= 5.0;
        }
        let win = window(spec, 9, 20, &mut rng);
        let class = 1;
        let loss = |w: &Weights<C>| -> f64 {
            let mut g = Weights::zeros(spec);
            backprop(spec, &v, w, &win, class, 1.0, None, &mut Grad::new(), &mut g) as f64
        };
        let mut g = Weights::zeros(spec);
        backprop(spec, &v, &w, &win, class, 1.0, None, &mut Grad::new(), &mut g);
        let mut checked = 0;
        for (k, tensor) in spec.layout().iter().enumerate() {
            let n = w.tensors()[k].len();
            // The largest gradients of each tensor.
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
        assert_eq!(checked, (C + 3) * 4 + 3);
    }

    #[test]
    fn gradients_match_finite_differences() {
        check_gradients(&SPEC3);
        check_gradients(&SPEC2);
    }

    #[test]
    fn training_is_bit_identical_on_rerun_and_round_trips() {
        let mut rng = Rng(11);
        let v = vectors(30, &mut rng);
        let wins: Vec<Window<3>> = (0..40).map(|k| window(&SPEC3, 1 + k % 12, 30, &mut rng)).collect();
        let ex: Vec<(&Window<3>, usize, f32)> = wins.iter().enumerate().map(|(k, w)| (w, k % 3, 1.0)).collect();
        let p = TrainParams { epochs: 2, batch: 8, ..TrainParams::default() };
        let a = train(&SPEC3, &v, &ex, &p, |_, _| {});
        let b = train(&SPEC3, &v, &ex, &p, |_, _| {});
        let (ta, tb) = (a.write(&SPEC3, &["t".into()]), b.write(&SPEC3, &["t".into()]));
        assert_eq!(ta, tb);
        assert_eq!(Weights::read(&SPEC3, &ta).unwrap(), a);
        // A file of the other spec is an error, not a misread.
        assert!(Weights::read(&SPEC2, &ta).is_err());
        // A learning check: the loss falls on a separable toy task.
        let mut losses = Vec::new();
        let p = TrainParams { epochs: 30, batch: 8, rate: 3e-3, seed: 1 };
        let _ = train(&SPEC3, &v, &ex, &p, |_, l| losses.push(l));
        assert!(losses[29] < losses[0] * 0.8, "{losses:?}");
    }

    #[test]
    fn a_bad_weights_line_is_an_error_with_its_line() {
        let w = Weights::init(&SPEC3, &mut Rng(1)).write(&SPEC3, &[]);
        let bad = w.replacen("out_b\t0\t", "out_b\t0\tx ", 1);
        let (line, _) = Weights::read(&SPEC3, &bad).unwrap_err();
        assert_eq!(line, w.lines().count());
        assert!(Weights::read(&SPEC3, &w.replacen("conv_b\t0", "conv_b\t7", 1)).is_err());
        assert!(Weights::read(&SPEC3, "").is_err());
    }

    #[test]
    fn never_panics_on_empty_one_word_or_huge_windows() {
        let mut rng = Rng(5);
        let v = vectors(10, &mut rng);
        let r = Pcnn::new(&SPEC3, v, Weights::init(&SPEC3, &mut rng));
        let mut s = Scratch::default();
        for n in [0, 1, 5000] {
            let win = window(&SPEC3, n, 10, &mut rng);
            let p = r.probs(&win, &mut s);
            assert_eq!(p.is_none(), n == 0);
            if let Some(p) = p {
                assert!(p.iter().all(|x| x.is_finite()) && (p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
            }
        }
        // Out-of-range ids, feature values and pieces are clipped, not indexed.
        let win = Window { ids: vec![u32::MAX], feats: vec![[255; 3]], piece: vec![255] };
        assert!(r.probs(&win, &mut s).is_some());
        assert!((combine([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]).iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
}
