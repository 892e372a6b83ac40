//! Drives training, cross-validation and evaluation of the target-dependent model until the CLI
//! wires `newsstance train newsmtsc` / `newsstance eval newsmtsc`.
//!
//! ```text
//! cargo run --release --example train_target -- train tests/data/newsmtsc/train.jsonl lexicons/target_model.csv
//! cargo run --release --example train_target -- cv tests/data/newsmtsc/train.jsonl [l2=1e-3 min_count=2 class_balance=0.5 k=5]
//! cargo run --release --example train_target -- eval tests/data/newsmtsc/devtest_rw.jsonl [predictions.csv]
//! cargo run --release --example train_target -- bench tests/data/newsmtsc/devtest_rw.jsonl
//! ```

use std::path::Path;
use std::time::Instant;

use newsstance::eval::{eval_newsmtsc, load_newsmtsc, train_newsmtsc};
use newsstance::stance::target::{cross_validate, TargetModel, TrainParams};
use newsstance::tone::Vader;

fn params_from(args: &[String]) -> (TrainParams, usize) {
    let mut p = TrainParams::default();
    let mut k = 5;
    for a in args {
        let (key, val) = a.split_once('=').expect("key=value");
        match key {
            "l2" => p.l2 = val.parse().unwrap(),
            "min_count" => p.min_count = val.parse().unwrap(),
            "class_balance" => p.class_balance = val.parse().unwrap(),
            "max_iter" => p.max_iter = val.parse().unwrap(),
            "k" => k = val.parse().unwrap(),
            _ => panic!("unknown parameter {key}"),
        }
    }
    (p, k)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let vader = Vader::embedded();
    match args.first().map(String::as_str) {
        Some("train") => {
            let (p, _) = params_from(&args[3..]);
            let t = Instant::now();
            let model = train_newsmtsc(Path::new(&args[1]), Path::new(&args[2]), &vader, &p)?;
            eprintln!("{} features, {:.1?}", model.len(), t.elapsed());
        }
        Some("cv") => {
            let data = load_newsmtsc(Path::new(&args[1]))?;
            let (p, k) = params_from(&args[2..]);
            let t = Instant::now();
            let r = cross_validate(&data, &vader, &p, k);
            println!("{p:?} k={k} ({:.1?})\n{r}", t.elapsed());
        }
        Some("eval") => {
            let model = TargetModel::embedded();
            let out = args.get(2).map(Path::new);
            let r = eval_newsmtsc(&model, &vader, Path::new(&args[1]), out)?;
            println!("{r}");
        }
        Some("bench") => {
            // Scores/s on one core: every target of FILE, repeated until ~3 s have passed.
            let data = load_newsmtsc(Path::new(&args[1]))?;
            let model = TargetModel::embedded();
            let (mut n, mut acc) = (0u64, 0.0);
            let t = Instant::now();
            while t.elapsed().as_secs_f64() < 3.0 {
                for e in &data {
                    acc += model.score(&vader, &e.sentence, e.target.clone(), &e.others).score;
                    n += 1;
                }
            }
            let secs = t.elapsed().as_secs_f64();
            println!("{n} scores in {secs:.2} s: {:.0} scores/s ({acc:.3})", n as f64 / secs);
        }
        _ => anyhow::bail!("usage: train_target train|cv|eval FILE ..."),
    }
    Ok(())
}
