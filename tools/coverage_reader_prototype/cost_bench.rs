//! The CNN reader's forward pass as it could be built in Rust, timed per mention on one core
//! (a standalone measurement, not part of the crate; random weights, the real token sequences).
//!
//!     python3 cost.py PREP.npz --dump DIR          # the real dev and devtest_mt token arrays
//!     rustc --edition 2021 -C opt-level=3 -C target-cpu=native -o DIR/cost_bench cost_bench.rs
//!     nice -n 10 taskset -c 1 DIR/cost_bench DIR real_dev [VOCAB]
//!
//! The word vectors are frozen, so the first layer folds into tables: each word's product with
//! each of the 3 filter taps is a row of 150 floats (vocabulary x 3 x 150, 101 MiB in f32), and
//! the distance and tag embeddings' products, summed per (distance, tag, tap), are a small table.
//! A token is then 3 x 2 row additions; max pooling per piece comes before tanh (tanh is
//! increasing, so the result is the same and tanh runs 450 times, not 150 per token), and tanh
//! is a rational approximation (libm's costs ~25 ns a call: 11 us a mention). VOCAB < the real
//! size takes word ids modulo VOCAB: the table's cache misses against the arithmetic.
use std::time::Instant;

const F: usize = 150;
const ND: usize = 61; // distances -30..=30
const NT: usize = 3; // tags

fn read(p: &str) -> Vec<usize> {
    let b = std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    b.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]).max(0) as usize).collect()
}

struct Rng(u64);
impl Rng {
    fn f(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    }
}

/// tanh by a clamped rational function (|error| < 1e-4; saturates outside +-4.97).
fn fast_tanh(x: f32) -> f32 {
    let x = x.clamp(-4.97, 4.97);
    let x2 = x * x;
    let p = x * (135135.0 + x2 * (17325.0 + x2 * (378.0 + x2)));
    let q = 135135.0 + x2 * (62370.0 + x2 * (3150.0 + x2 * 28.0));
    p / q
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (dir, set) = (&args[1], &args[2]);
    let words = read(&format!("{dir}/vocab.bin"))[0];
    let v: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(words);
    let lens = read(&format!("{dir}/{set}_len.bin"));
    let ids = read(&format!("{dir}/{set}_ids.bin"));
    let dt = read(&format!("{dir}/{set}_dt.bin"));
    let tag = read(&format!("{dir}/{set}_tag.bin"));
    let piece = read(&format!("{dir}/{set}_piece.bin"));
    let mut r = Rng(88172645463325252);
    let w: Vec<f32> = (0..v * 3 * F).map(|_| r.f()).collect();
    let small: Vec<f32> = (0..ND * NT * 3 * F).map(|_| r.f()).collect();
    let out: Vec<f32> = (0..3 * F * 3).map(|_| r.f()).collect();
    let mut h = vec![0f32; 128 * F];
    let mut check = 0f64;
    let reps = 30;
    let t0 = Instant::now();
    for _ in 0..reps {
        let mut off = 0;
        for &l in &lens {
            let range = off..off + l;
            off += l;
            let (ids, dt, tag, piece) = (&ids[range.clone()], &dt[range.clone()], &tag[range.clone()], &piece[range]);
            let h = &mut h[..l * F];
            h.fill(0.0);
            // Token j's tap k lands on position i = j + 1 - k (convolution of width 3, padded).
            for j in 0..l {
                for k in 0..3 {
                    let Some(i) = (j + 1).checked_sub(k).filter(|&i| i < l) else { continue };
                    let a = &w[((ids[j] % v) * 3 + k) * F..][..F];
                    let b = &small[((dt[j].min(ND - 1) * NT + tag[j].min(NT - 1)) * 3 + k) * F..][..F];
                    for ((x, y), z) in h[i * F..(i + 1) * F].iter_mut().zip(a).zip(b) {
                        *x += y + z;
                    }
                }
            }
            let mut pooled = [f32::MIN; 3 * F];
            for i in 0..l {
                let p = piece[i];
                if p > 2 {
                    continue;
                }
                for (d, s) in pooled[p * F..(p + 1) * F].iter_mut().zip(&h[i * F..(i + 1) * F]) {
                    *d = if *s > *d { *s } else { *d };
                }
            }
            let mut logits = [0f32; 3];
            for (x, z) in pooled.iter().enumerate() {
                let z = if *z == f32::MIN { 0.0 } else { fast_tanh(*z) };
                for (c, lg) in logits.iter_mut().enumerate() {
                    *lg += z * out[x * 3 + c];
                }
            }
            check += logits[0] as f64;
        }
    }
    let n = lens.len() * reps;
    println!(
        "{set}: {} mentions x {reps}, vocabulary {v}: {:.2} us per mention (checksum {check:.3})",
        lens.len(),
        t0.elapsed().as_secs_f64() / n as f64 * 1e6
    );
}
