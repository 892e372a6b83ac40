//! The tone engine against vaderSentiment 3.3.2 (Python 3.11): every row of the reference files
//! in `tests/data/vader/` must come out identical, bit for bit (so even the sign of a compound
//! that rounds to zero, which Python prints as -0.0, must agree).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{BufRead, BufReader};

use newsstance::tone::{Polarity, Scratch, Vader};

/// Counts allocations per thread, so the allocation test below is not disturbed by the other
/// tests running in parallel.
struct CountingAlloc;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: defers to the system allocator; the counter is a const thread-local `Cell` that
// never allocates itself.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/vader");

/// Compares one row and records a readable line on mismatch.
fn check(vader: &Vader, scratch: &mut Scratch, where_: &str, text: &str, want: [f64; 4], bad: &mut Vec<String>) {
    let Polarity { neg, neu, pos, compound } = vader.polarity_scores_with(text, scratch);
    let got = [neg, neu, pos, compound];
    if got.iter().zip(&want).any(|(g, w)| g.to_bits() != w.to_bits()) {
        let shown: String = text.chars().take(120).collect();
        bad.push(format!("{where_}: {shown:?}: got {got:?}, want {want:?}"));
    }
}

fn finish(name: &str, rows: usize, expected_rows: usize, bad: &[String]) {
    println!("{name}: {rows} rows compared, {} mismatches", bad.len());
    let head: Vec<&str> = bad.iter().take(25).map(String::as_str).collect();
    assert!(bad.is_empty(), "{} of {rows} rows differ:\n{}", bad.len(), head.join("\n"));
    assert_eq!(rows, expected_rows, "{name}: row count");
}

#[test]
fn reference_tsv_identical() {
    let path = format!("{DATA}/reference.tsv");
    let data = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let vader = Vader::embedded();
    let mut scratch = Scratch::default();
    let mut bad = Vec::new();
    let mut rows = 0;
    for (i, line) in data.split('\n').enumerate().skip(1) {
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 6, "reference.tsv:{}: expected 6 fields", i + 1);
        let num = |k: usize| -> f64 { f[k].parse().expect("reference number") };
        let want = [num(2), num(3), num(4), num(5)];
        check(&vader, &mut scratch, &format!("reference.tsv:{}", i + 1), f[1], want, &mut bad);
        rows += 1;
    }
    finish("reference.tsv", rows, 9_641, &bad);
}

#[derive(serde::Deserialize)]
struct FuzzRow {
    text: String,
    neg: f64,
    neu: f64,
    pos: f64,
    compound: f64,
}

#[test]
fn fuzz_jsonl_identical() {
    let path = format!("{DATA}/fuzz.jsonl.gz");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let vader = Vader::embedded();
    let mut scratch = Scratch::default();
    let mut bad = Vec::new();
    let mut rows = 0;
    for (i, line) in reader.lines().enumerate() {
        let line = line.expect("fuzz.jsonl.gz readable");
        let row: FuzzRow = serde_json::from_str(&line).expect("fuzz row is JSON");
        let want = [row.neg, row.neu, row.pos, row.compound];
        check(&vader, &mut scratch, &format!("fuzz.jsonl:{}", i + 1), &row.text, want, &mut bad);
        rows += 1;
    }
    finish("fuzz.jsonl", rows, 80_000, &bad);
}

#[test]
fn scoring_does_not_allocate_once_warm() {
    let path = format!("{DATA}/reference.tsv");
    let data = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let sentences: Vec<&str> = data.lines().skip(1).filter_map(|l| l.split('\t').nth(1)).collect();
    let vader = Vader::embedded();
    let mut scratch = Scratch::default();
    for s in &sentences {
        vader.polarity_scores_with(s, &mut scratch);
        vader.polarity_scores(s);
    }
    let before = allocations();
    let mut acc = 0.0;
    for s in &sentences {
        acc += vader.polarity_scores_with(s, &mut scratch).compound;
        acc += vader.polarity_scores(s).compound;
    }
    let after = allocations();
    assert!(acc.is_finite());
    assert_eq!(after - before, 0, "allocations while scoring {} sentences twice", sentences.len());
}
