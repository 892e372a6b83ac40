//! The sentence reader beside the stance pair model: a piecewise CNN (PCNN, Zeng et al. 2015)
//! over the sentence naming both countries, with frozen corpus word vectors
//! ([`super::vectors`]), learned embeddings of each token's distance to the source and to the
//! target mention, and a tag for either country's mentions; max pooling in three pieces cut at
//! the two mentions. Weights as data in `lexicons/reader/reader.txt.gz` (`newsstance train
//! reader`). The network, its folded inference and its trainer are [`super::pcnn`], shared with
//! the coverage reader beside the target model ([`super::coverage`]): this module builds the
//! stance windows.
//!
//! Why: the prototype (branch reader14, `tools/reader_prototype/`) found that the reader alone
//! ranks no better than the pair model, but the geometric mean of the two models' class
//! probabilities gains about five points of dev recall at P 0.70, nearly all of it where the
//! pair model already gives a sign at least 0.2 of its threshold. So the reader runs only there
//! ([`super::model::StanceModel::reader_gate`]) and [`combine`] is that fixed mean.

use std::ops::Range;
use std::sync::Arc;

use super::model::Candidate;
use super::pcnn::{self, Pcnn, Spec};
use super::vectors::{self, Vectors};
use crate::actors::{DocActors, Lexicon};
use crate::document::Paragraph;

pub use super::pcnn::{combine, TrainParams, DPOS, F};

/// Distances are clipped to ±MAXD.
pub const MAXD: i32 = 40;
/// Distinct distances.
pub const ND: usize = 2 * MAXD as usize + 1;
/// Tags: other, source country, target country, sentence break.
pub const TAGS: usize = 4;
/// Longest window read (tokens); longer ones are cut around the mentions.
pub const MAXLEN: usize = 96;
/// Words whose folded rows are kept (the most frequent: the vocabulary is in frequency order).
pub const TABLE_WORDS: usize = 20000;
/// File of the reader's weights in the lexicon folder.
pub const READER_FILE: &str = "reader/reader.txt.gz";

/// The stance reader's features: distance to the source, distance to the target (0..ND), tag.
pub static SPEC: Spec<3> = Spec { names: ["pos_s", "pos_t", "tag"], rows: [ND, ND, TAGS], table_words: TABLE_WORDS };

/// One candidate's input: per token its word id, its distances to source and target and its
/// tag, and its piece (0..3).
pub type Window = pcnn::Window<3>;
/// The stance reader's weights.
pub type Weights = pcnn::Weights<3>;

/// Buffers reused from candidate to candidate (no allocation per token).
#[derive(Debug, Default)]
pub struct Scratch {
    pub window: Window,
    spans: Vec<(usize, usize)>,
    /// Byte spans of the window's tokens (`None` for a sentence break).
    tok: Vec<Option<(usize, usize)>>,
    /// The tokens' tags, before the distances are known.
    tag: Vec<u8>,
    buf: String,
    smen: Vec<(u32, Range<usize>)>,
    tmen: Vec<(u32, Range<usize>)>,
    net: pcnn::Scratch,
}

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
    s.tag.clear();
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
            s.tag.push(3);
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
            s.tag.push(tg);
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
        s.window.feats.push([dist(i, s_tok, s_end), dist(i, t_tok, t_end), s.tag[i]]);
        s.window.piece.push((i > first_end) as u8 + (i > second_end) as u8);
    }
    if n > MAXLEN {
        let lo = (s_tok.min(t_tok).saturating_sub(16)).min(n - MAXLEN);
        s.window.cut(lo, MAXLEN);
    }
}

/// The stance reader: the shared network with the stance features.
#[derive(Debug)]
pub struct Reader {
    pub net: Pcnn<3>,
    /// The frozen word vectors (shared with the coverage reader).
    pub vectors: Arc<Vectors>,
}

impl Reader {
    pub fn new(vectors: Arc<Vectors>, weights: Weights) -> Reader {
        Reader { net: Pcnn::new(&SPEC, Arc::clone(&vectors), weights), vectors }
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
        let w = Weights::read(&SPEC, &wf.text).map_err(|(l, m)| wf.problem(l as u64, m))?;
        Ok((Reader::new(Arc::new(v), w), vec![vf.digest(), wf.digest()]))
    }

    /// Class probabilities (none, hostile, friendly) of `s.window` ([`Pcnn::probs`]); `None`
    /// for an empty window.
    pub fn probs(&self, s: &mut Scratch) -> Option<[f32; 3]> {
        self.net.probs(&s.window, &mut s.net)
    }

    /// Class probabilities by the plain convolution (for tests and timing: the folded form
    /// must agree).
    pub fn probs_plain(&self, s: &mut Scratch) -> Option<[f32; 3]> {
        self.net.probs_plain(&s.window, &mut s.net)
    }
}

/// Builds the windows and reads the candidates whose pair-model probabilities pass the model's
/// reader gate, setting their [`Candidate::reader`].
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

/// Trains the stance reader on `(window, class)` examples ([`pcnn::train`], every example
/// weighing 1): single thread, seeded order and dropout, the same examples give the same
/// weights bit for bit.
pub fn train(v: &Vectors, examples: &[(&Window, usize)], p: &TrainParams, progress: impl FnMut(usize, f64)) -> Weights {
    let ex: Vec<(&Window, usize, f32)> = examples.iter().map(|&(w, c)| (w, c, 1.0)).collect();
    pcnn::train(&SPEC, v, &ex, p, progress)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stance::vectors::Rng;

    #[test]
    fn the_stance_reader_reads_through_the_shared_network() {
        let mut rng = Rng(5);
        let mut text = String::new();
        for k in 0..10 {
            let vals: Vec<String> = (0..vectors::DIM).map(|_| ((rng.below(255) as i32) - 127).to_string()).collect();
            text.push_str(&format!("w{k}\t0.1\t{}\n", vals.join(" ")));
        }
        let v = Arc::new(Vectors::read(&text, "test").unwrap());
        let r = Reader::new(v, Weights::init(&SPEC, &mut rng));
        let mut s = Scratch::default();
        assert_eq!(r.probs(&mut s), None);
        s.window =
            Window { ids: vec![2, 3, 1], feats: vec![[40, 38, 1], [41, 39, 0], [42, 40, 2]], piece: vec![0, 1, 2] };
        let (a, b) = (r.probs(&mut s).unwrap(), r.probs_plain(&mut s).unwrap());
        assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-5), "{a:?} {b:?}");
    }
}
