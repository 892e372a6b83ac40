//! A fixed syntax workload, for timing and callgrind: tags and parses every line of a text file
//! (one sentence a line) `PASSES` times and prints each pass's thread CPU time and the best.
//! The machine is shared, so the best of several passes is the figure to compare.
//!
//! ```text
//! newsstance parse SLICE.jsonl | sed -n 's/^# text = //p' | awk 'NF >= 10' > sentences.txt
//! cargo run --release --example syntax_speed -- sentences.txt [PASSES=5]
//! ```

fn thread_cpu_seconds() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or_else(|| anyhow::anyhow!("usage: syntax_speed SENTENCES.txt [PASSES]"))?;
    let passes: usize = args.next().map(|p| p.parse()).transpose()?.unwrap_or(5);
    let text = std::fs::read_to_string(&path)?;
    let mut lines = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        lines.push(at..at + line.trim_end().len());
        at += line.len();
    }
    let syntax = newsstance::syntax::Syntax::load(None).map_err(|p| anyhow::anyhow!("{p}"))?;
    let mut sc = newsstance::syntax::Scratch::default();
    let mut tree = newsstance::syntax::Tree::default();
    let mut best = f64::INFINITY;
    let mut check = 0u64;
    for pass in 0..passes {
        let start = thread_cpu_seconds();
        let mut words = 0;
        for r in &lines {
            syntax.parse(&text, r.clone(), &mut sc, &mut tree);
            words += tree.words.len();
            if pass == 0 {
                for w in &tree.words {
                    check =
                        check.wrapping_mul(31).wrapping_add((w.head as u64 * 64 + w.tag as u64) * 256 + w.rel as u64);
                }
            }
        }
        let s = thread_cpu_seconds() - start;
        best = best.min(s);
        eprintln!("pass {pass}: {} sentences, {words} words, {:.1} ms", lines.len(), s * 1e3);
    }
    println!("best {:.1} ms, {:.1} us per sentence, check {check:016x}", best * 1e3, best * 1e6 / lines.len() as f64);
    Ok(())
}
