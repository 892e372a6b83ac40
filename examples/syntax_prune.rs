//! Pruning experiment: evaluates the syntax weights in DIR on a CoNLL-U file after dropping rows
//! whose largest weight is below each threshold, with rows kept and parse time.
//! `cargo run --release --example syntax_prune -- DIR dev.conllu.gz 0 0.01 0.05 ...`
use newsstance::syntax::{conllu, eval, Syntax};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = Syntax::load(Some(std::path::Path::new(&args[1]))).expect("weights");
    let gold = conllu::read_file(std::path::Path::new(&args[2])).expect("treebank");
    for tau in &args[3..] {
        let (tau, dec) = tau.split_once('/').unwrap_or((tau, "4"));
        let tau: f32 = tau.parse().expect("threshold");
        let dec: i32 = dec.parse().expect("decimals");
        let mut s = base.clone();
        s.tagger.first = base.tagger.first.pruned(tau).rounded(dec);
        s.tagger.second = base.tagger.second.pruned(tau).rounded(dec);
        s.parser.weights = base.parser.weights.pruned(tau).rounded(dec);
        let t = Instant::now();
        let r = eval::evaluate(&s, &gold);
        let secs = t.elapsed().as_secs_f64();
        println!(
            "tau {tau}: rows tagger {}+{} parser {} weights {}; UPOS {:.2} UAS {:.2} LAS {:.2}; {:.0} words/s",
            s.tagger.first.len(),
            s.tagger.second.len(),
            s.parser.weights.len(),
            s.parser.weights.weights(),
            r.upos(),
            r.uas(),
            r.las(),
            r.words as f64 / secs
        );
    }
}
