//! Training of the target-dependent model: L2-regularised multinomial logistic regression fitted
//! by L-BFGS on the features of [`super::features`].
//!
//! Full-batch L-BFGS on a convex objective reaches the same optimum whatever the example order,
//! and every sum runs in a fixed order, so training is exactly reproducible with no random seed.
//! The data is small (NewsMTSC train: 8,739 mentions, a few hundred features each), so a full
//! pass costs milliseconds.

use rustc_hash::FxHashMap;

use super::{features, TargetModel};
use crate::eval::{EvalReport, Example};
use crate::tone::Vader;

/// Hyper-parameters of [`train`] and [`train_with_real`]. The defaults are the values chosen by
/// 5-fold cross-validation on NewsMTSC `train.jsonl` and on the real train split (see `docs/coverage.md`)
/// and the ones the shipped weights were trained with.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainParams {
    /// L2 penalty λ on every weight except `bias` (objective: mean weighted log-loss
    /// + λ/2·‖w‖²). Larger values trust the VADER priors more than rare words.
    pub l2: f64,
    /// A feature is kept only if it fires for at least this many training mentions: rarer
    /// words cannot be estimated and would bloat the weights file.
    pub min_count: u32,
    /// Class re-weighting exponent of the NewsMTSC examples: each weighs
    /// (N / (3·n_class))^balance over NewsMTSC's own class counts. 0 keeps the training
    /// distribution, 1 fully balances classes (macro-F1 rewards the rare class).
    pub class_balance: f64,
    /// The same for the real mentions of [`train_with_real`], over their class counts.
    pub real_class_balance: f64,
    /// Weight of each real mention relative to a NewsMTSC example (before class re-weighting):
    /// the real mentions stand for the nightly stream the model scores.
    pub real_weight: f64,
    /// Give the NewsMTSC examples a class prior of their own ([`NEWSMTSC_PRIOR`]), so that
    /// NewsMTSC's sampling (sentences chosen for carrying sentiment) does not move `bias` away
    /// from the real stream's label distribution.
    pub source_prior: bool,
    /// Added to the `bias` weights after fitting (negative, neutral, positive): a correction of
    /// the prior toward the real stream's label shares, which cross-validation on the real
    /// train split under-predicts for the majority class (see `docs/coverage.md`).
    pub bias_shift: [f64; 3],
    /// L-BFGS iteration cap.
    pub max_iter: usize,
    /// Weights are rounded to this many decimals so the trained model equals its CSV.
    pub decimals: i32,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            l2: 1e-3,
            min_count: 2,
            class_balance: 0.5,
            real_class_balance: 0.0,
            real_weight: 1.0,
            source_prior: false,
            bias_shift: [0.0; 3],
            max_iter: 300,
            decimals: 5,
        }
    }
}

/// Features of all examples with ids from a shared dictionary.
struct Prepared {
    names: Vec<Box<str>>,
    rows: Vec<Vec<(u32, f64)>>,
    labels: Vec<usize>,
    /// Per example: a real mention (else a NewsMTSC one).
    real: Vec<bool>,
}

/// Name of the feature that fires for NewsMTSC examples only when real mentions are trained on
/// too: a class prior of their own ([`TrainParams::source_prior`]). The scorer never fires it,
/// so `bias` is the prior of the real stream.
pub const NEWSMTSC_PRIOR: &str = "d:newsmtsc";

fn prepare(newsmtsc: &[Example], real: &[Example], vader: &Vader) -> Prepared {
    let mut dict: FxHashMap<Box<str>, u32> = FxHashMap::default();
    let mut names: Vec<Box<str>> = Vec::new();
    let mut scratch = features::Scratch::default();
    let mut rows = Vec::with_capacity(newsmtsc.len() + real.len());
    let mut id_of = |name: &str, names: &mut Vec<Box<str>>| match dict.get(name) {
        Some(&id) => id,
        None => {
            let id = names.len() as u32;
            dict.insert(name.into(), id);
            names.push(name.into());
            id
        }
    };
    let sources = newsmtsc.iter().map(|e| (e, false)).chain(real.iter().map(|e| (e, true)));
    for (ex, is_real) in sources {
        let mut row: Vec<(u32, f64)> = Vec::new();
        features::extract(&mut scratch, vader, &ex.sentence, ex.target.clone(), &ex.others, &mut |name, v| {
            row.push((id_of(name, &mut names), v));
        });
        if !is_real && !real.is_empty() {
            row.push((id_of(NEWSMTSC_PRIOR, &mut names), 1.0));
        }
        // Merge repeated features (a word twice in the sentence) so each id appears once.
        row.sort_by_key(|&(id, _)| id);
        let mut merged: Vec<(u32, f64)> = Vec::with_capacity(row.len());
        for (id, v) in row {
            match merged.last_mut() {
                Some(last) if last.0 == id => last.1 += v,
                _ => merged.push((id, v)),
            }
        }
        rows.push(merged);
    }
    Prepared {
        names,
        rows,
        labels: newsmtsc.iter().chain(real).map(|e| e.gold.index()).collect(),
        real: newsmtsc.iter().map(|_| false).chain(real.iter().map(|_| true)).collect(),
    }
}

/// Fits weights on the rows `idx` of `data`, returning a model over the kept features.
fn fit(data: &Prepared, idx: &[usize], params: &TrainParams) -> TargetModel {
    // Keep features seen in at least `min_count` training rows.
    let mut count = vec![0u32; data.names.len()];
    for &i in idx {
        for &(id, v) in &data.rows[i] {
            if v != 0.0 {
                count[id as usize] += 1;
            }
        }
    }
    let mut remap = vec![u32::MAX; data.names.len()];
    let mut kept: Vec<u32> = Vec::new();
    // Kept features in name order, so the weights file is sorted and diffs are readable.
    let mut order: Vec<u32> = (0..data.names.len() as u32)
        .filter(|&id| count[id as usize] >= params.min_count.max(1))
        .filter(|&id| params.source_prior || &*data.names[id as usize] != NEWSMTSC_PRIOR)
        .collect();
    order.sort_by(|&a, &b| data.names[a as usize].cmp(&data.names[b as usize]));
    for id in order {
        remap[id as usize] = kept.len() as u32;
        kept.push(id);
    }
    let rows: Vec<Vec<(u32, f64)>> = idx
        .iter()
        .map(|&i| {
            data.rows[i]
                .iter()
                .filter(|&&(id, _)| remap[id as usize] != u32::MAX)
                .map(|&(id, v)| (remap[id as usize], v))
                .collect()
        })
        .collect();
    let labels: Vec<usize> = idx.iter().map(|&i| data.labels[i]).collect();
    // Class weights per source, over that source's class counts.
    let mut n_class = [[0usize; 3]; 2];
    for &i in idx {
        n_class[usize::from(data.real[i])][data.labels[i]] += 1;
    }
    let cw: [[f64; 3]; 2] = std::array::from_fn(|src| {
        let n = n_class[src].iter().sum::<usize>().max(1) as f64;
        let (balance, scale) =
            if src == 1 { (params.real_class_balance, params.real_weight) } else { (params.class_balance, 1.0) };
        std::array::from_fn(|c| {
            if n_class[src][c] == 0 {
                0.0
            } else {
                scale * (n / (3.0 * n_class[src][c] as f64)).powf(balance)
            }
        })
    });
    let sample_w: Vec<f64> = idx.iter().map(|&i| cw[usize::from(data.real[i])][data.labels[i]]).collect();
    let unpenalised: Vec<u32> = kept
        .iter()
        .enumerate()
        .filter(|(_, &id)| matches!(&*data.names[id as usize], "bias" | NEWSMTSC_PRIOR))
        .map(|(p, _)| p as u32)
        .collect();
    let problem =
        Problem { rows: &rows, labels: &labels, sample_w: &sample_w, l2: params.l2, unpenalised: &unpenalised };
    let mut w = lbfgs(&problem, kept.len() * 3, params.max_iter);
    if let Some(b) = kept.iter().position(|&id| &*data.names[id as usize] == "bias") {
        for (c, shift) in params.bias_shift.iter().enumerate() {
            w[3 * b + c] += shift;
        }
    }
    let scale = 10f64.powi(params.decimals);
    let round = |x: f64| {
        let r = (x * scale).round() / scale;
        if r == 0.0 {
            0.0 // no "-0" in the file
        } else {
            r
        }
    };
    let model_rows = kept
        .iter()
        .enumerate()
        .map(|(k, &id)| (data.names[id as usize].clone(), [round(w[3 * k]), round(w[3 * k + 1]), round(w[3 * k + 2])]))
        .filter(|(_, w)| w.iter().any(|&x| x != 0.0))
        .collect();
    TargetModel::from_rows(model_rows)
}

/// Trains a model on `examples` (deterministic: no randomness, fixed summation order).
pub fn train(examples: &[Example], vader: &Vader, params: &TrainParams) -> TargetModel {
    train_with_real(examples, &[], vader, params)
}

/// Trains a model on NewsMTSC `newsmtsc` and the real mentions `real`, weighted as `params`
/// says (deterministic: no randomness, fixed summation order).
pub fn train_with_real(newsmtsc: &[Example], real: &[Example], vader: &Vader, params: &TrainParams) -> TargetModel {
    let data = prepare(newsmtsc, real, vader);
    let idx: Vec<usize> = (0..data.labels.len()).collect();
    fit(&data, &idx, params)
}

/// NewsMTSC and real mentions with their features extracted once, to fit many models on subsets
/// of the real mentions (cross-validation on the real train split, `examples/train_target.rs`).
#[doc(hidden)]
pub struct Mixed {
    data: Prepared,
    n_newsmtsc: usize,
}

impl Mixed {
    pub fn new(newsmtsc: &[Example], real: &[Example], vader: &Vader) -> Mixed {
        Mixed { data: prepare(newsmtsc, real, vader), n_newsmtsc: newsmtsc.len() }
    }

    /// Fits on the NewsMTSC examples `newsmtsc_idx` and the real mentions `real_idx` (indices
    /// into the slices given to [`Mixed::new`]).
    pub fn fit(&self, newsmtsc_idx: &[usize], real_idx: &[usize], params: &TrainParams) -> TargetModel {
        let idx: Vec<usize> =
            newsmtsc_idx.iter().copied().chain(real_idx.iter().map(|&i| self.n_newsmtsc + i)).collect();
        fit(&self.data, &idx, params)
    }
}

/// `k`-fold cross-validation: returns the confusion matrix pooled over the folds.
///
/// Folds are contiguous blocks of *sentences* in file order (NewsMTSC files are sorted by
/// article), so two mentions of one sentence — and mostly one article — never sit on both sides
/// of a split, which would flatter the figures.
pub fn cross_validate(examples: &[Example], vader: &Vader, params: &TrainParams, k: usize) -> EvalReport {
    let k = k.max(2);
    let data = prepare(examples, &[], vader);
    // Sentence number of each example (consecutive examples with the same sentence share it).
    let mut sent_of = Vec::with_capacity(examples.len());
    let mut n_sent = 0usize;
    for (i, ex) in examples.iter().enumerate() {
        if i == 0 || examples[i - 1].sentence != ex.sentence {
            n_sent += 1;
        }
        sent_of.push(n_sent - 1);
    }
    let fold_of = |i: usize| sent_of[i] * k / n_sent.max(1);
    let mut report = EvalReport::default();
    let vader_ref = vader;
    for f in 0..k {
        let train_idx: Vec<usize> = (0..examples.len()).filter(|&i| fold_of(i) != f).collect();
        let model = fit(&data, &train_idx, params);
        for (i, ex) in examples.iter().enumerate() {
            if fold_of(i) == f {
                let s = model.score(vader_ref, &ex.sentence, ex.target.clone(), &ex.others);
                report.add(ex.gold, s.label);
            }
        }
    }
    report
}

struct Problem<'a> {
    rows: &'a [Vec<(u32, f64)>],
    labels: &'a [usize],
    sample_w: &'a [f64],
    l2: f64,
    /// Features whose weights are not penalised (the class priors).
    unpenalised: &'a [u32],
}

impl Problem<'_> {
    /// Objective and gradient at `w` (row-major: feature k has weights w[3k..3k+3]).
    fn eval(&self, w: &[f64], grad: &mut [f64]) -> f64 {
        grad.iter_mut().for_each(|g| *g = 0.0);
        let total_w: f64 = self.sample_w.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        let mut loss = 0.0;
        for ((row, &y), &sw) in self.rows.iter().zip(self.labels).zip(self.sample_w) {
            let mut z = [0.0f64; 3];
            for &(id, v) in row {
                let b = 3 * id as usize;
                for c in 0..3 {
                    z[c] += v * w[b + c];
                }
            }
            let m = z[0].max(z[1]).max(z[2]);
            let e = z.map(|x| (x - m).exp());
            let s: f64 = e.iter().sum();
            loss += sw * (m + s.ln() - z[y]);
            let coef = sw / total_w;
            for &(id, v) in row {
                let b = 3 * id as usize;
                for c in 0..3 {
                    let p = e[c] / s;
                    let t = if c == y { 1.0 } else { 0.0 };
                    grad[b + c] += coef * v * (p - t);
                }
            }
        }
        loss /= total_w;
        let mut reg = 0.0;
        for (k, (wk, gk)) in w.iter().zip(grad.iter_mut()).enumerate() {
            if self.unpenalised.contains(&((k / 3) as u32)) {
                continue;
            }
            reg += wk * wk;
            *gk += self.l2 * wk;
        }
        loss + 0.5 * self.l2 * reg
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Limited-memory BFGS (history 10) with a backtracking Armijo line search, from w = 0.
fn lbfgs(p: &Problem<'_>, dim: usize, max_iter: usize) -> Vec<f64> {
    const M: usize = 10;
    let mut w = vec![0.0; dim];
    let mut g = vec![0.0; dim];
    let mut f = p.eval(&w, &mut g);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut w_new = vec![0.0; dim];
    let mut g_new = vec![0.0; dim];
    for iter in 0..max_iter {
        let gnorm = dot(&g, &g).sqrt();
        if gnorm < 1e-7 {
            break;
        }
        // Two-loop recursion: d = -H g.
        let mut q = g.clone();
        let mut alpha = vec![0.0; s_hist.len()];
        for i in (0..s_hist.len()).rev() {
            let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
            alpha[i] = rho * dot(&s_hist[i], &q);
            for (qj, yj) in q.iter_mut().zip(&y_hist[i]) {
                *qj -= alpha[i] * yj;
            }
        }
        if let (Some(s), Some(y)) = (s_hist.last(), y_hist.last()) {
            let gamma = dot(s, y) / dot(y, y);
            q.iter_mut().for_each(|x| *x *= gamma);
        }
        for i in 0..s_hist.len() {
            let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
            let beta = rho * dot(&y_hist[i], &q);
            for (qj, sj) in q.iter_mut().zip(&s_hist[i]) {
                *qj += (alpha[i] - beta) * sj;
            }
        }
        let mut d: Vec<f64> = q.into_iter().map(|x| -x).collect();
        let mut gd = dot(&g, &d);
        if gd >= 0.0 {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            s_hist.clear();
            y_hist.clear();
            d = g.iter().map(|x| -x).collect();
            gd = -gnorm * gnorm;
        }
        let mut step = if iter == 0 && s_hist.is_empty() { 1.0 / gnorm } else { 1.0 };
        let mut f_new;
        let mut tries = 0;
        loop {
            for ((wn, wi), di) in w_new.iter_mut().zip(&w).zip(&d) {
                *wn = wi + step * di;
            }
            f_new = p.eval(&w_new, &mut g_new);
            if f_new <= f + 1e-4 * step * gd || tries >= 40 {
                break;
            }
            step *= 0.5;
            tries += 1;
        }
        if f_new > f {
            break; // line search failed: w is as good as we can do
        }
        let s: Vec<f64> = w_new.iter().zip(&w).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        std::mem::swap(&mut w, &mut w_new);
        std::mem::swap(&mut g, &mut g_new);
        let rel = (f - f_new).abs() / f.abs().max(1e-12);
        f = f_new;
        if sy > 1e-12 {
            if s_hist.len() == M {
                s_hist.remove(0);
                y_hist.remove(0);
            }
            s_hist.push(s);
            y_hist.push(y);
        }
        if rel < 1e-10 {
            break;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stance::target::Label;

    fn ex(sentence: &str, target: &str, gold: Label) -> Example {
        let s = sentence.find(target).unwrap();
        Example {
            gid: format!("{sentence}|{target}"),
            sentence: sentence.to_string(),
            target: s..s + target.len(),
            others: vec![],
            gold,
        }
    }

    fn toy() -> Vec<Example> {
        let mut v = Vec::new();
        for name in ["Smith", "Jones", "Brown", "Lee", "Khan", "Novak"] {
            v.push(ex(&format!("{name} was praised for a brilliant speech."), name, Label::Positive));
            v.push(ex(&format!("Critics slammed {name} over the scandal."), name, Label::Negative));
            v.push(ex(&format!("{name} met the committee on Tuesday."), name, Label::Neutral));
        }
        v
    }

    #[test]
    fn training_is_deterministic_and_learns_the_toy_task() {
        let vader = Vader::embedded();
        let data = toy();
        let params = TrainParams { l2: 1e-2, ..TrainParams::default() };
        let a = train(&data, &vader, &params);
        let b = train(&data, &vader, &params);
        assert_eq!(a, b);
        for e in &data {
            let s = a.score(&vader, &e.sentence, e.target.clone(), &e.others);
            assert_eq!(s.label, e.gold, "{}", e.sentence);
        }
        // The trained model survives its own CSV.
        let mut buf = Vec::new();
        a.to_csv(&mut buf).unwrap();
        assert_eq!(TargetModel::from_csv(std::str::from_utf8(&buf).unwrap(), "t").unwrap(), a);
        let cv = cross_validate(&data, &vader, &params, 3);
        assert_eq!(cv.total(), data.len() as u64);
        assert!(cv.accuracy() > 0.9, "{cv}");
    }

    /// The toy sentences relabelled neutral: a "real stream" that disagrees with the toy.
    fn toy_neutral() -> Vec<Example> {
        toy()
            .into_iter()
            .map(|e| Example { gold: Label::Neutral, ..e })
            .filter(|e| e.sentence.contains("praised"))
            .collect()
    }

    #[test]
    fn real_mentions_weigh_as_told() {
        let vader = Vader::embedded();
        let (news, real) = (toy(), toy_neutral());
        let praised = &real[0];
        let label = |w: f64| {
            let params = TrainParams { l2: 1e-2, real_weight: w, class_balance: 0.0, ..TrainParams::default() };
            let m = train_with_real(&news, &real, &vader, &params);
            m.score(&vader, &praised.sentence, praised.target.clone(), &praised.others).label
        };
        assert_eq!(label(0.05), Label::Positive, "NewsMTSC dominates");
        assert_eq!(label(20.0), Label::Neutral, "the real mentions dominate");
        // Without real mentions, train_with_real is train.
        let p = TrainParams { l2: 1e-2, ..TrainParams::default() };
        assert_eq!(train_with_real(&news, &[], &vader, &p), train(&news, &vader, &p));
    }

    #[test]
    fn bias_shift_moves_only_the_bias_and_the_newsmtsc_prior_is_optional() {
        let vader = Vader::embedded();
        let (news, real) = (toy(), toy_neutral());
        let p = TrainParams { l2: 1e-2, ..TrainParams::default() };
        let a = train_with_real(&news, &real, &vader, &p);
        let b = train_with_real(&news, &real, &vader, &TrainParams { bias_shift: [-0.25, 0.0, 0.5], ..p.clone() });
        let (wa, wb) = (a.weights("bias").unwrap(), b.weights("bias").unwrap());
        assert!((wb[0] - wa[0] + 0.25).abs() < 1e-9 && wb[1] == wa[1] && (wb[2] - wa[2] - 0.5).abs() < 1e-9);
        assert_eq!(a.len(), b.len());
        assert!(a.weights("S:praised") == b.weights("S:praised"));
        assert!(a.weights(NEWSMTSC_PRIOR).is_none());
        let c = train_with_real(&news, &real, &vader, &TrainParams { source_prior: true, ..p.clone() });
        let prior = c.weights(NEWSMTSC_PRIOR).expect("a NewsMTSC prior row");
        // NewsMTSC's toy is a third neutral, the real toy all neutral: its own prior is less so.
        assert!(prior[1] < prior[0].max(prior[2]), "{prior:?}");
        assert!(train(&news, &vader, &TrainParams { source_prior: true, ..p }).weights(NEWSMTSC_PRIOR).is_none());
    }

    #[test]
    fn lbfgs_solves_a_separable_problem_to_low_loss() {
        let rows = vec![vec![(0, 1.0), (1, 1.0)], vec![(0, 1.0), (2, 1.0)], vec![(0, 1.0)]];
        let labels = vec![2, 0, 1];
        let sw = vec![1.0; 3];
        let p = Problem { rows: &rows, labels: &labels, sample_w: &sw, l2: 1e-4, unpenalised: &[0] };
        let w = lbfgs(&p, 9, 500);
        let mut g = vec![0.0; 9];
        let f = p.eval(&w, &mut g);
        assert!(f < 0.05, "loss {f}");
        assert!(dot(&g, &g).sqrt() < 1e-3);
    }
}
