//! Labelled dependency parser: greedy arc-hybrid transitions (Kuhlmann et al. 2011) scored by an
//! averaged perceptron, trained with the dynamic oracle of Goldberg & Nivre (2013) and
//! exploration, so it learns to recover from its own mistakes instead of only following gold
//! paths.
//!
//! Words are numbered 1..=n; 0 is the artificial root, at the bottom of the stack. Transitions:
//! SHIFT (first buffer word onto the stack), LEFT-l (the stack top becomes a dependent of the
//! first buffer word), RIGHT-l (the stack top becomes a dependent of the word below it). The root
//! gets exactly one dependent, attached last, with relation `root`; every other word gets one
//! head: the result is always a tree.

use super::lex::{Lex, NONE, ROOT};
use super::perceptron::{shuffle, xorshift, Feat, Trainer, Units, Weights};
use super::tagger::Tag;

const NO: u32 = u32::MAX;

/// A trained parser.
#[derive(Debug, Clone)]
pub struct Parser {
    /// Relation names; class 0 is SHIFT, 1 + 2l is LEFT-l, 2 + 2l is RIGHT-l.
    pub labels: Vec<String>,
    /// Index of `root` in `labels`.
    pub root: u16,
    /// The coarse (UPOS) class of each tag, for features that generalise over fine tags.
    pub coarse: Vec<u16>,
    pub weights: Weights,
}

/// One word's head (0 = root) and relation (index into [`Parser::labels`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arc {
    pub head: u32,
    pub label: u16,
}

/// Parser configuration.
#[derive(Debug, Default)]
pub(crate) struct State {
    n: u32,
    stack: Vec<u32>,
    /// First buffer word; `n + 1` when the buffer is empty.
    b: u32,
    head: Vec<u32>,
    label: Vec<u16>,
    /// Leftmost and second leftmost, rightmost and second rightmost dependents.
    lc: Vec<[u32; 2]>,
    rc: Vec<[u32; 2]>,
    nl: Vec<u8>,
    nr: Vec<u8>,
    /// Bit sets of the relations of left and right dependents (relation index mod 64).
    ll: Vec<u64>,
    rl: Vec<u64>,
}

impl State {
    pub(crate) fn reset(&mut self, n: usize) {
        let m = n + 1;
        self.n = n as u32;
        self.stack.clear();
        self.stack.push(0);
        self.b = 1;
        self.head.clear();
        self.head.resize(m, NO);
        self.label.clear();
        self.label.resize(m, 0);
        self.lc.clear();
        self.lc.resize(m, [NO; 2]);
        self.rc.clear();
        self.rc.resize(m, [NO; 2]);
        self.nl.clear();
        self.nl.resize(m, 0);
        self.nr.clear();
        self.nr.resize(m, 0);
        self.ll.clear();
        self.ll.resize(m, 0);
        self.rl.clear();
        self.rl.resize(m, 0);
    }

    fn terminal(&self) -> bool {
        self.b > self.n && self.stack.len() == 1
    }

    fn s(&self, k: usize) -> u32 {
        let len = self.stack.len();
        if k < len {
            self.stack[len - 1 - k]
        } else {
            NO
        }
    }

    fn buf(&self, k: u32) -> u32 {
        let i = self.b + k;
        if i <= self.n {
            i
        } else {
            NO
        }
    }

    fn add_arc(&mut self, h: u32, d: u32, l: u16) {
        let (hi, di) = (h as usize, d as usize);
        self.head[di] = h;
        self.label[di] = l;
        if d < h {
            let lc = &mut self.lc[hi];
            if lc[0] == NO || d < lc[0] {
                lc[1] = lc[0];
                lc[0] = d;
            } else if lc[1] == NO || d < lc[1] {
                lc[1] = d;
            }
            self.nl[hi] = self.nl[hi].saturating_add(1);
            self.ll[hi] |= 1 << (l % 64);
        } else {
            let rc = &mut self.rc[hi];
            if rc[0] == NO || d > rc[0] {
                rc[1] = rc[0];
                rc[0] = d;
            } else if rc[1] == NO || d > rc[1] {
                rc[1] = d;
            }
            self.nr[hi] = self.nr[hi].saturating_add(1);
            self.rl[hi] |= 1 << (l % 64);
        }
    }

    /// Applies transition class `c`.
    fn apply(&mut self, c: usize) {
        if c == 0 {
            self.stack.push(self.b);
            self.b += 1;
        } else {
            let l = ((c - 1) / 2) as u16;
            let s0 = self.stack.pop().expect("valid transition");
            let h = if c % 2 == 1 { self.b } else { *self.stack.last().expect("valid transition") };
            self.add_arc(h, s0, l);
        }
    }

    /// (SHIFT, LEFT, RIGHT) allowed, before labels.
    fn valid(&self) -> (bool, bool, bool) {
        let buffer = self.b <= self.n;
        let len = self.stack.len();
        let shift = buffer;
        let left = buffer && len >= 2;
        // The root's single dependent is attached last.
        let right = len >= 3 || (len == 2 && !buffer);
        (shift, left, right)
    }
}

/// Dynamic-oracle costs of SHIFT, LEFT and RIGHT (unlabelled) in `st` against gold heads `g`
/// (indexed by word, `g[0]` unused): the number of gold arcs each makes unreachable.
fn costs(st: &State, g: &[u32]) -> (u32, u32, u32) {
    let n = st.n;
    let b = st.b;
    let s0 = st.s(0);
    let s1 = st.s(1);
    let in_buffer = |x: u32| x != NO && x >= b && x <= n;
    let mut shift = 0;
    if b <= n {
        let gb = g[b as usize];
        if st.stack.iter().any(|&k| k == gb && k != s0) {
            shift += 1;
        }
        shift += st.stack.iter().filter(|&&k| k != 0 && g[k as usize] == b).count() as u32;
    }
    let (mut left, mut right) = (0, 0);
    if s0 != NO && s0 != 0 {
        let gs = g[s0 as usize];
        let deps_in_buffer = (b..=n).filter(|&k| g[k as usize] == s0).count() as u32;
        if gs != b && (gs == s1 || in_buffer(gs)) {
            left += 1;
        }
        left += deps_in_buffer;
        if in_buffer(gs) {
            right += 1;
        }
        right += deps_in_buffer;
    }
    (shift, left, right)
}

/// Features of a configuration. `lex` and `tags` are indexed by word (entry 0 is the root).
pub(crate) fn features(st: &State, lex: &[Lex], tags: &[u64], out: &mut Vec<Feat>) {
    out.clear();
    let w = |x: u32| {
        if x == NO {
            NONE
        } else if x == 0 {
            ROOT
        } else {
            lex[x as usize].lower
        }
    };
    let t = |x: u32| if x == NO { NONE } else { tags[x as usize] };
    let l = |x: u32| if x == NO || x == 0 { NONE } else { st.label[x as usize] as u64 };
    let lc = |x: u32, k: usize| if x == NO { NO } else { st.lc[x as usize][k] };
    let rc = |x: u32, k: usize| if x == NO { NO } else { st.rc[x as usize][k] };
    let (s0, s1, s2) = (st.s(0), st.s(1), st.s(2));
    let (b0, b1, b2) = (st.buf(0), st.buf(1), st.buf(2));
    let (s0w, s0t, s1w, s1t, b0w, b0t, b1w, b1t) = (w(s0), t(s0), w(s1), t(s1), w(b0), t(b0), w(b1), t(b1));
    let (b2t, s2t) = (t(b2), t(s2));
    let mut f = |x: Feat| out.push(x);
    f(Feat::new(0, 0));
    // Unigrams.
    f(Feat::new(1, s0w));
    f(Feat::new(2, s0t));
    f(Feat::new2(3, s0w, s0t));
    f(Feat::new(4, s1w));
    f(Feat::new(5, s1t));
    f(Feat::new2(6, s1w, s1t));
    f(Feat::new(7, b0w));
    f(Feat::new(8, b0t));
    f(Feat::new2(9, b0w, b0t));
    f(Feat::new(10, b1w));
    f(Feat::new(11, b1t));
    f(Feat::new2(12, b1w, b1t));
    f(Feat::new(13, b2t));
    f(Feat::new(14, w(b2)));
    f(Feat::new(15, s2t));
    // Pairs: the stack top with the buffer front (LEFT), and with the word below it (RIGHT).
    f(Feat::new3(16, s0w, s0t, Feat::new2(0, b0w, b0t).0));
    f(Feat::new3(17, s0w, s0t, b0w));
    f(Feat::new3(18, s0w, b0w, b0t));
    f(Feat::new3(19, s0w, s0t, b0t));
    f(Feat::new3(20, s0t, b0w, b0t));
    f(Feat::new2(21, s0w, b0w));
    f(Feat::new2(22, s0t, b0t));
    f(Feat::new3(23, s1w, s1t, Feat::new2(0, s0w, s0t).0));
    f(Feat::new2(24, s1w, s0w));
    f(Feat::new2(25, s1t, s0t));
    f(Feat::new3(26, s1t, s0w, s0t));
    f(Feat::new3(27, s1w, s1t, s0t));
    f(Feat::new2(28, b0t, b1t));
    f(Feat::new2(29, b0w, b1t));
    // Triples of tags.
    f(Feat::new3(30, b0t, b1t, b2t));
    f(Feat::new3(31, s0t, b0t, b1t));
    f(Feat::new3(32, s1t, s0t, b0t));
    f(Feat::new3(33, s2t, s1t, s0t));
    f(Feat::new3(34, s1t, s0t, b1t));
    // Distances.
    let dist = |a: u32, b: u32| if a == NO || b == NO { 0 } else { (b.abs_diff(a)).min(6) as u64 };
    let d0 = dist(s0, b0);
    let d1 = dist(s1, s0);
    f(Feat::new2(35, s0w, d0));
    f(Feat::new2(36, s0t, d0));
    f(Feat::new2(37, b0w, d0));
    f(Feat::new2(38, b0t, d0));
    f(Feat::new3(39, s0t, b0t, d0));
    f(Feat::new3(40, s1t, s0t, d1));
    f(Feat::new3(41, s1w, s0w, d1));
    // Valency.
    let nl = |x: u32| if x == NO { 99 } else { st.nl[x as usize] as u64 };
    let nr = |x: u32| if x == NO { 99 } else { st.nr[x as usize] as u64 };
    f(Feat::new2(42, s0w, nr(s0)));
    f(Feat::new2(43, s0t, nr(s0)));
    f(Feat::new2(44, s0w, nl(s0)));
    f(Feat::new2(45, s0t, nl(s0)));
    f(Feat::new2(46, b0w, nl(b0)));
    f(Feat::new2(47, b0t, nl(b0)));
    f(Feat::new2(48, s1t, nr(s1)));
    // Dependents.
    let (s0l, s0r, s0l2, s0r2) = (lc(s0, 0), rc(s0, 0), lc(s0, 1), rc(s0, 1));
    let (s1l, s1r, s1r2) = (lc(s1, 0), rc(s1, 0), rc(s1, 1));
    let (b0l, b0l2) = (lc(b0, 0), lc(b0, 1));
    f(Feat::new(49, w(s0l)));
    f(Feat::new(50, t(s0l)));
    f(Feat::new(51, l(s0l)));
    f(Feat::new(52, w(s0r)));
    f(Feat::new(53, t(s0r)));
    f(Feat::new(54, l(s0r)));
    f(Feat::new(55, w(s1l)));
    f(Feat::new(56, t(s1l)));
    f(Feat::new(57, l(s1l)));
    f(Feat::new(58, w(s1r)));
    f(Feat::new(59, t(s1r)));
    f(Feat::new(60, l(s1r)));
    f(Feat::new(61, w(b0l)));
    f(Feat::new(62, t(b0l)));
    f(Feat::new(63, l(b0l)));
    f(Feat::new2(64, t(s0l2), l(s0l2)));
    f(Feat::new2(65, t(s0r2), l(s0r2)));
    f(Feat::new2(66, t(s1r2), l(s1r2)));
    f(Feat::new2(67, t(b0l2), l(b0l2)));
    f(Feat::new3(68, s0t, l(s0l), l(s0l2)));
    f(Feat::new3(69, s0t, l(s0r), l(s0r2)));
    f(Feat::new3(70, s1t, l(s1r), l(s1r2)));
    f(Feat::new3(71, b0t, l(b0l), l(b0l2)));
    f(Feat::new3(72, s0t, t(s0l), t(s0r)));
    f(Feat::new3(73, s1t, s0t, t(s1r)));
    f(Feat::new3(74, s0t, b0t, t(b0l)));
    f(Feat::new3(75, s0t, b0t, t(s0l)));
    f(Feat::new3(76, s1t, s0t, t(s0l)));
    f(Feat::new3(77, s1t, s0t, t(s0r)));
    // Label sets.
    let set = |v: &Vec<u64>, x: u32| if x == NO { NONE } else { v[x as usize] };
    f(Feat::new2(78, s0w, set(&st.rl, s0)));
    f(Feat::new2(79, s0t, set(&st.rl, s0)));
    f(Feat::new2(80, s0w, set(&st.ll, s0)));
    f(Feat::new2(81, s0t, set(&st.ll, s0)));
    f(Feat::new2(82, b0t, set(&st.ll, b0)));
    f(Feat::new2(83, s1t, set(&st.rl, s1)));
    // Coarse (UPOS) tags, which generalise over the fine ones, and suffixes for rare words.
    let c = |x: u64| x >> 16;
    let (s0c, s1c, b0c, b1c) = (c(s0t), c(s1t), c(b0t), c(b1t));
    f(Feat::new2(84, s0c, b0c));
    f(Feat::new2(85, s1c, s0c));
    f(Feat::new3(86, s0c, b0c, b1c));
    f(Feat::new3(87, s1c, s0c, b0c));
    f(Feat::new2(88, s0c, b0w));
    f(Feat::new2(89, s0w, b0c));
    f(Feat::new2(90, s1c, s0w));
    f(Feat::new2(91, s1w, s0c));
    let suf = |x: u32| if x == NO || x == 0 { NONE } else { lex[x as usize].suffix[2] };
    f(Feat::new2(92, suf(s0), b0c));
    f(Feat::new2(93, s0c, suf(b0)));
    f(Feat::new2(94, suf(s1), s0c));
    f(Feat::new3(95, s0c, b0c, d0));
    // Word clusters from unlabelled news.
    let fc = |x: u32| if x == NO || x == 0 { NONE } else { lex[x as usize].fine as u64 };
    let cc = |x: u32| if x == NO || x == 0 { NONE } else { lex[x as usize].coarse as u64 };
    let (s0f, s1f, b0f, b1f) = (fc(s0), fc(s1), fc(b0), fc(b1));
    f(Feat::new(96, s0f));
    f(Feat::new(97, b0f));
    f(Feat::new(98, s1f));
    f(Feat::new(99, b1f));
    f(Feat::new2(100, s0f, b0t));
    f(Feat::new2(101, s0t, b0f));
    f(Feat::new2(102, s1f, s0t));
    f(Feat::new2(103, s1t, s0f));
    f(Feat::new2(104, cc(s0), cc(b0)));
    f(Feat::new2(105, cc(s1), cc(s0)));
    f(Feat::new3(106, s0f, b0f, d0));
}

/// Buffers reused across sentences.
#[derive(Debug, Default)]
pub struct Scratch {
    pub(crate) state: State,
    feats: Vec<Feat>,
    scores: Vec<Units>,
    tags: Vec<u64>,
    lex: Vec<Lex>,
}

impl Parser {
    fn classes(&self) -> usize {
        1 + 2 * self.labels.len()
    }

    /// Parses words (`lex`, `tags`, not including the root) into one [`Arc`] per word.
    pub fn parse(&self, lex: &[Lex], tags: &[Tag], out: &mut Vec<Arc>, sc: &mut Scratch) {
        let n = lex.len();
        sc.lex.clear();
        sc.lex.push(Lex::default());
        sc.lex.extend_from_slice(lex);
        sc.tags.clear();
        sc.tags.push(ROOT);
        sc.tags.extend(tags.iter().map(|&t| tag_value(t, &self.coarse)));
        sc.state.reset(n);
        let classes = self.classes();
        while !sc.state.terminal() {
            let allowed = Allowed::of(&sc.state, self.root);
            // A configuration with one allowed transition (only the root on the stack, or the
            // root's last dependent to attach) needs no scores.
            let c = match allowed.only() {
                Some(c) => c,
                None => {
                    features(&sc.state, &sc.lex, &sc.tags, &mut sc.feats);
                    sc.scores.clear();
                    sc.scores.resize(classes, 0);
                    self.weights.score(&sc.feats, &mut sc.scores);
                    best_valid(allowed, &sc.scores, |_| true)
                }
            };
            sc.state.apply(c);
        }
        out.clear();
        out.extend((1..=n).map(|d| Arc { head: sc.state.head[d], label: sc.state.label[d] }));
    }
}

/// Which transition classes are allowed in a configuration (the root relation only for the
/// root's one dependent, attached last), computed once per configuration.
#[derive(Clone, Copy)]
struct Allowed {
    shift: bool,
    left: bool,
    right: bool,
    root_right: bool,
    root: u16,
}

impl Allowed {
    fn of(st: &State, root: u16) -> Allowed {
        let (shift, left, right) = st.valid();
        Allowed { shift, left, right, root_right: st.s(1) == 0, root }
    }

    /// The one allowed transition, when there is only one: SHIFT with the root alone on the
    /// stack, RIGHT-root with the buffer empty and one word on the root. Which of the classes is
    /// best then does not depend on the scores.
    fn only(&self) -> Option<usize> {
        match (self.shift, self.left, self.right) {
            (true, false, false) => Some(0),
            (false, false, true) if self.root_right => Some(2 + 2 * self.root as usize),
            _ => None,
        }
    }

    #[inline]
    fn class(&self, c: usize) -> bool {
        if c == 0 {
            return self.shift;
        }
        let l = ((c - 1) / 2) as u16;
        if c % 2 == 1 {
            self.left && l != self.root
        } else {
            self.right && ((l == self.root) == self.root_right)
        }
    }
}

/// The highest-scoring allowed transition among those `keep` accepts (the first of equals).
fn best_valid<S: PartialOrd + Copy>(allowed: Allowed, scores: &[S], keep: impl Fn(usize) -> bool) -> usize {
    let mut best: Option<(usize, S)> = None;
    for (c, &s) in scores.iter().enumerate() {
        if best.is_none_or(|(_, b)| s > b) && allowed.class(c) && keep(c) {
            best = Some((c, s));
        }
    }
    best.map_or(usize::MAX, |(c, _)| c)
}

/// A tag as features see it: the fine tag in the low bits, its coarse class above.
fn tag_value(t: Tag, coarse: &[u16]) -> u64 {
    t as u64 | (coarse.get(t as usize).copied().unwrap_or(0) as u64 + 1) << 16
}

/// A training sentence: words, tags (as the parser will see them), gold heads and labels.
pub struct Example {
    pub lex: Vec<Lex>,
    pub tags: Vec<Tag>,
    pub heads: Vec<u32>,
    pub labels: Vec<u16>,
}

/// Trains a parser with the dynamic oracle; from the second epoch on, it follows its own
/// prediction nine times in ten (seeded, so reruns give the same weights).
pub fn train(labels: Vec<String>, coarse: Vec<u16>, data: &[Example], epochs: usize) -> Parser {
    let root = labels.iter().position(|l| l == "root").expect("a root relation") as u16;
    let classes = 1 + 2 * labels.len();
    let mut tr = Trainer::new(classes);
    let mut st = State::default();
    let mut feats = Vec::new();
    let mut scores = vec![0.0f32; classes];
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut lex = Vec::new();
    let mut tags = Vec::new();
    let mut gold = Vec::new();
    for epoch in 0..epochs {
        shuffle(&mut order, &mut rng);
        for &i in &order {
            let ex = &data[i];
            let n = ex.lex.len();
            lex.clear();
            lex.push(Lex::default());
            lex.extend_from_slice(&ex.lex);
            tags.clear();
            tags.push(ROOT);
            tags.extend(ex.tags.iter().map(|&t| tag_value(t, &coarse)));
            gold.clear();
            gold.push(0);
            gold.extend_from_slice(&ex.heads);
            st.reset(n);
            while !st.terminal() {
                features(&st, &lex, &tags, &mut feats);
                scores.iter_mut().for_each(|x| *x = 0.0);
                tr.score(&feats, &mut scores);
                let (cs, cl, cr) = costs(&st, &gold);
                let s0 = st.s(0);
                let cost = |c: usize| -> u32 {
                    if c == 0 {
                        return cs;
                    }
                    let l = ((c - 1) / 2) as u16;
                    let (base, h) = if c % 2 == 1 { (cl, st.b) } else { (cr, st.s(1)) };
                    let wrong_label = gold[s0 as usize] == h && ex.labels[s0 as usize - 1] != l;
                    base + wrong_label as u32
                };
                let allowed = Allowed::of(&st, root);
                let pred = best_valid(allowed, &scores, |_| true);
                // The cheapest allowed transition's cost (0 on projective gold trees).
                let min = (0..classes).filter(|&c| allowed.class(c)).map(cost).min().unwrap_or(0);
                let best_gold = best_valid(allowed, &scores, |c| cost(c) == min);
                if cost(pred) > min {
                    tr.update(&feats, best_gold, 1.0);
                    tr.update(&feats, pred, -1.0);
                }
                tr.tick();
                let follow = if epoch >= 1 && xorshift(&mut rng) % 10 != 0 { pred } else { best_gold };
                st.apply(follow);
            }
        }
    }
    Parser { labels, root, coarse, weights: tr.average() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parse as it was before forced transitions were skipped (every configuration scored),
    /// and how many configurations had one allowed transition; at each of those, the scored
    /// choice must be that transition.
    fn parse_scoring_all(p: &Parser, lex: &[Lex], tags: &[Tag]) -> (Vec<Arc>, usize) {
        let mut l = vec![Lex::default()];
        l.extend_from_slice(lex);
        let mut t = vec![ROOT];
        t.extend(tags.iter().map(|&x| tag_value(x, &p.coarse)));
        let mut st = State::default();
        st.reset(lex.len());
        let (mut feats, mut scores, mut forced) = (Vec::new(), Vec::new(), 0);
        while !st.terminal() {
            features(&st, &l, &t, &mut feats);
            scores.clear();
            scores.resize(p.classes(), 0);
            p.weights.score(&feats, &mut scores);
            let allowed = Allowed::of(&st, p.root);
            let c = best_valid(allowed, &scores, |_| true);
            if let Some(only) = allowed.only() {
                assert_eq!(c, only);
                forced += 1;
            }
            st.apply(c);
        }
        ((1..=lex.len()).map(|d| Arc { head: st.head[d], label: st.label[d] }).collect(), forced)
    }

    /// Skipping the scores where only one transition is allowed changes no parse (the shipped
    /// weights, on sentences that start and end the stack in different ways).
    #[test]
    fn forced_transitions_parse_as_when_scored() {
        let syntax = super::super::Syntax::load(None).expect("shipped weights");
        let mut sc = super::super::Scratch::default();
        let mut forced = 0;
        for text in [
            "Yes",
            "Russia accused Ukraine of shelling the plant .",
            "The sanctions imposed by the EU on Russia 's banks were extended on Monday , officials said .",
            "\" We will not back down , \" he said .",
            "Talks . More talks ? No !",
        ] {
            let words: Vec<&str> = text.split(' ').collect();
            let (tags, arcs) = syntax.parse_words(words.iter().copied(), &mut sc);
            let lex: Vec<Lex> = words.iter().map(|w| Lex::clustered(w, &syntax.clusters)).collect();
            let (want, f) = parse_scoring_all(&syntax.parser, &lex, &tags);
            assert_eq!(arcs, want, "{text}");
            forced += f;
        }
        // The first SHIFT and the last RIGHT-root of each sentence at least.
        assert!(forced >= 10, "only {forced} forced configurations");
    }
}
