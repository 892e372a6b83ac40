//! Actor matching alone (segmentation done beforehand) over the articles of a JSONL file, for
//! profiling the matcher without the other stages:
//!
//! ```text
//! cargo build --release --example find_ir
//! valgrind --tool=callgrind target/release/examples/find_ir SLICE.jsonl [PASSES]
//! LEX=lexicons target/release/examples/find_ir SLICE.jsonl   # lexicons from a folder
//! ```
use newsstance::pipeline::Engines;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::env::var_os("LEX").map(std::path::PathBuf::from);
    let e = Engines::load(dir.as_deref()).unwrap();
    let data = std::fs::read_to_string(&args[1]).unwrap();
    let mut docs = Vec::new();
    for line in data.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let t = v["text"].as_str().unwrap().to_string();
        let p = newsstance::segment::segment(&t);
        docs.push((t, p));
    }
    let t0 = std::time::Instant::now();
    let mut n = 0usize;
    for _ in 0..args.get(2).map_or(1, |s| s.parse().unwrap()) {
        for (t, p) in &docs {
            n += e.lexicon.find(t, p, None).mentions.len();
        }
    }
    eprintln!("{n} mentions {:?}", t0.elapsed());
}
