//! Word clusters learned from unlabelled news: words that occur in the same contexts share a
//! cluster, so a model that saw "condemned" in training knows what to make of "denounced".
//!
//! Built by `newsstance train clusters CORPUS` (the shared corpus, reserved articles skipped):
//! each frequent word is described by positive pointwise mutual information with the most
//! frequent words just before and just after it, projected to a few hundred dimensions by a
//! seeded random projection, and grouped by spherical k-means twice: into [`COARSE`] clusters,
//! then each of those into [`FINE_PER_COARSE`] (a two-level hierarchy, as Brown clusters give).
//! Everything is seeded and summed in a fixed order, so a rerun writes the same file.
//!
//! File `lexicons/clusters.tsv.gz`: `# comment` lines, then `word<TAB>coarse<TAB>fine`.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::perceptron::hash_bytes;

/// Number of coarse clusters.
pub const COARSE: usize = 64;
/// Fine clusters within each coarse one.
pub const FINE_PER_COARSE: usize = 8;
/// Words described (most frequent first) and context words per side.
const VOCAB: usize = 60_000;
const CONTEXT: usize = 1_000;
const DIMS: usize = 256;
const MIN_COUNT: u64 = 10;

/// Cluster ids of a lowercased word's hash: (coarse + 1, fine + 1); 0 for unknown words.
#[derive(Debug, Clone, Default)]
pub struct Clusters {
    map: FxHashMap<u64, (u16, u16)>,
}

impl Clusters {
    /// The clusters of a word given as the hash of its lowercase form ([`super::lex::Lex::lower`]).
    #[inline]
    pub fn of(&self, lower_hash: u64) -> (u16, u16) {
        self.map.get(&lower_hash).copied().unwrap_or((0, 0))
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Parses the file; errors name their 1-based line.
    pub fn read(text: &str) -> Result<Clusters, (usize, String)> {
        let mut map = FxHashMap::default();
        for (i, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let mut f = line.split('\t');
            let (Some(w), Some(c), Some(d), None) = (f.next(), f.next(), f.next(), f.next()) else {
                return Err((i + 1, "expected `word<TAB>coarse<TAB>fine`".to_string()));
            };
            let c: u16 = c.parse().map_err(|_| (i + 1, format!("coarse cluster `{c}` is not a number")))?;
            let d: u16 = d.parse().map_err(|_| (i + 1, format!("fine cluster `{d}` is not a number")))?;
            if w.is_empty() || w != w.to_lowercase() {
                return Err((i + 1, format!("word `{w}` must be non-empty and lowercase")));
            }
            let h = hash_bytes(w.as_bytes());
            if map.insert(h, (c + 1, d + 1)).is_some() {
                return Err((i + 1, format!("word `{w}` listed twice")));
            }
        }
        Ok(Clusters { map })
    }
}

/// Learns clusters from tokenized sentences (lowercased words); returns the file's text.
pub fn learn(sentences: &[Vec<String>], source: &str, coarse_k: usize, fine_k: usize) -> String {
    // Vocabulary by frequency (ties by word, so the order is fixed).
    let mut counts: FxHashMap<&str, u64> = FxHashMap::default();
    for s in sentences {
        for w in s {
            *counts.entry(w.as_str()).or_default() += 1;
        }
    }
    let mut by_freq: Vec<(&str, u64)> = counts.into_iter().filter(|&(_, c)| c >= MIN_COUNT).collect();
    by_freq.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    by_freq.truncate(VOCAB);
    let index: FxHashMap<&str, usize> = by_freq.iter().enumerate().map(|(i, &(w, _))| (w, i)).collect();
    let v = by_freq.len();
    let ctx = CONTEXT.min(v);
    // Context counts: left neighbour in 0..ctx, right neighbour in ctx..2ctx.
    let mut co: Vec<FxHashMap<u32, u32>> = vec![FxHashMap::default(); v];
    for s in sentences {
        for (k, w) in s.iter().enumerate() {
            let Some(&i) = index.get(w.as_str()) else { continue };
            if k > 0 {
                if let Some(&j) = index.get(s[k - 1].as_str()).filter(|&&j| j < ctx) {
                    *co[i].entry(j as u32).or_default() += 1;
                }
            }
            if let Some(&j) = s.get(k + 1).and_then(|n| index.get(n.as_str())).filter(|&&j| j < ctx) {
                *co[i].entry((ctx + j) as u32).or_default() += 1;
            }
        }
    }
    // PPMI, then a seeded ±1 random projection to DIMS, normalised.
    let mut col = vec![0f64; 2 * ctx];
    let mut total = 0f64;
    let mut row_sum = vec![0f64; v];
    for (i, m) in co.iter().enumerate() {
        for (&j, &c) in m {
            col[j as usize] += c as f64;
            row_sum[i] += c as f64;
            total += c as f64;
        }
    }
    let sign = |j: u32, d: usize| -> f32 {
        let h = super::perceptron::mix(((j as u64) << 20) ^ d as u64 ^ 0x5eed);
        if h & 1 == 0 {
            1.0
        } else {
            -1.0
        }
    };
    let vecs: Vec<[f32; DIMS]> = co
        .par_iter()
        .enumerate()
        .map(|(i, m)| {
            let mut x = [0f32; DIMS];
            let mut entries: Vec<(&u32, &u32)> = m.iter().collect();
            entries.sort();
            for (&j, &c) in entries {
                let pmi = ((c as f64 * total) / (row_sum[i] * col[j as usize])).ln();
                if pmi > 0.0 {
                    for (d, xd) in x.iter_mut().enumerate() {
                        *xd += pmi as f32 * sign(j, d);
                    }
                }
            }
            normalise(&mut x);
            x
        })
        .collect();
    let all: Vec<usize> = (0..v).collect();
    let coarse = kmeans(&vecs, &all, coarse_k, 12);
    let mut fine = vec![0usize; v];
    for c in 0..coarse_k {
        let members: Vec<usize> = all.iter().copied().filter(|&i| coarse[i] == c).collect();
        let sub = kmeans(&vecs, &members, fine_k, 10);
        for (k, &i) in members.iter().enumerate() {
            fine[i] = c * fine_k + sub[k];
        }
    }
    let mut out = String::new();
    out.push_str(&format!(
        "# word clusters learned by `newsstance train clusters` from {source}: {v} words, {coarse_k} coarse and {} fine clusters\n",
        coarse_k * fine_k
    ));
    out.push_str("# word<TAB>coarse<TAB>fine (words are lowercased UD tokens)\n");
    for (i, &(w, _)) in by_freq.iter().enumerate() {
        if w.contains(['\t', '\n', '\r']) {
            continue;
        }
        out.push_str(&format!("{w}\t{}\t{}\n", coarse[i], fine[i]));
    }
    out
}

fn normalise(x: &mut [f32]) {
    let n = x.iter().map(|a| a * a).sum::<f32>().sqrt();
    if n > 0.0 {
        x.iter_mut().for_each(|a| *a /= n);
    }
}

/// Spherical k-means over `members` (indices into `vecs`); returns each member's cluster.
/// Centroids start at members evenly spaced in frequency order; sums run in member order.
fn kmeans(vecs: &[[f32; DIMS]], members: &[usize], k: usize, iterations: usize) -> Vec<usize> {
    if members.len() <= k {
        return (0..members.len()).collect();
    }
    let mut centroids: Vec<[f32; DIMS]> = (0..k).map(|c| vecs[members[c * members.len() / k]]).collect();
    let mut assign = vec![0usize; members.len()];
    for _ in 0..iterations {
        assign = members
            .par_iter()
            .map(|&i| {
                let mut best = (0, f32::NEG_INFINITY);
                for (c, cen) in centroids.iter().enumerate() {
                    let s: f32 = cen.iter().zip(&vecs[i]).map(|(a, b)| a * b).sum();
                    if s > best.1 {
                        best = (c, s);
                    }
                }
                best.0
            })
            .collect();
        let mut sums = vec![[0f32; DIMS]; k];
        for (m, &i) in members.iter().enumerate() {
            for (s, x) in sums[assign[m]].iter_mut().zip(&vecs[i]) {
                *s += x;
            }
        }
        for (c, s) in sums.iter_mut().enumerate() {
            if s.iter().any(|&x| x != 0.0) {
                normalise(s);
                centroids[c] = *s;
            }
        }
    }
    assign
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_clusters_and_rejects_bad_lines() {
        let c = Clusters::read("# x\nrussia\t3\t17\nchina\t3\t18\n").unwrap();
        assert_eq!(c.of(hash_bytes(b"russia")), (4, 18));
        assert_eq!(c.of(hash_bytes(b"nowhere")), (0, 0));
        assert_eq!(Clusters::read("a\t1\n").unwrap_err().0, 1);
        assert_eq!(Clusters::read("a\t1\t2\nA\t1\t2\n").unwrap_err().0, 2);
        assert_eq!(Clusters::read("a\t1\t2\na\t1\t2\n").unwrap_err().0, 2);
    }

    #[test]
    fn words_in_the_same_contexts_share_a_cluster() {
        // "x1".."x4" follow "the" and precede "said"; "y1".."y4" follow "to" and precede "it".
        let mut sentences = Vec::new();
        for k in 0..40 {
            for w in ["x1", "x2", "x3", "x4"] {
                sentences.push(vec!["the".to_string(), w.to_string(), "said".to_string(), format!("n{}", k % 3)]);
            }
            for w in ["y1", "y2", "y3", "y4"] {
                sentences.push(vec!["to".to_string(), w.to_string(), "it".to_string()]);
            }
        }
        let text = learn(&sentences, "test", 2, 2);
        assert_eq!(text, learn(&sentences, "test", 2, 2), "a rerun gives the same file");
        let c = Clusters::read(&text).unwrap();
        let of = |w: &str| c.of(hash_bytes(w.as_bytes())).0;
        assert_eq!(of("x1"), of("x4"));
        assert_eq!(of("y1"), of("y3"));
        assert_ne!(of("x1"), of("y1"));
    }
}
