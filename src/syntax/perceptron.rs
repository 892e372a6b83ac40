//! Averaged multi-class perceptron over hashed features: the learner under the tagger and the
//! parser.
//!
//! A feature is a 64-bit hash of a template number and its values ([`Feat`]); each feature that
//! was ever updated owns a dense row of class weights, found through one hash-map probe. Dense
//! rows keep a prediction at one probe per feature plus a short vector add, which is what makes
//! greedy tagging and parsing fast enough for a nightly batch.
//!
//! Training keeps, for every weight, the running total and the step of its last change (the
//! usual lazy averaging), so averaging costs nothing per step. The result ([`Weights`]) is saved
//! as text (see [`Weights::write`]) with rows in hash order, so a rerun writes the same bytes.

use rustc_hash::FxHashMap;
use std::io::Write;

/// Hash of a feature: template number and values mixed with a fixed function, stable across
/// platforms and releases (weights files depend on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Feat(pub u64);

/// splitmix64's finaliser: a cheap, well-mixed 64-bit permutation.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a over bytes, then [`mix`]: the hash of a word or string value.
#[inline]
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

/// [`hash_bytes`] of the ASCII-lowercased bytes, without building the lowercase string.
#[inline]
pub fn hash_lower(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b.to_ascii_lowercase() as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

impl Feat {
    #[inline]
    pub fn new(template: u32, a: u64) -> Feat {
        Feat(mix(a ^ mix(template as u64 + 1)))
    }
    #[inline]
    pub fn new2(template: u32, a: u64, b: u64) -> Feat {
        Feat(mix(mix(a ^ mix(template as u64 + 1)).wrapping_add(b)))
    }
    #[inline]
    pub fn new3(template: u32, a: u64, b: u64, c: u64) -> Feat {
        Feat(mix(mix(mix(a ^ mix(template as u64 + 1)).wrapping_add(b)).wrapping_add(c)))
    }
}

/// Trained, averaged weights: feature → dense row of `classes` weights.
#[derive(Debug, Clone, Default)]
pub struct Weights {
    pub classes: usize,
    index: FxHashMap<u64, u32>,
    rows: Vec<f32>,
}

impl Weights {
    pub fn new(classes: usize) -> Weights {
        Weights { classes, index: FxHashMap::default(), rows: Vec::new() }
    }

    /// Number of feature rows.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Adds the rows of `feats` into `scores` (length `classes`, not cleared).
    #[inline]
    pub fn score(&self, feats: &[Feat], scores: &mut [f32]) {
        let n = self.classes;
        for f in feats {
            if let Some(&r) = self.index.get(&f.0) {
                let row = &self.rows[r as usize * n..r as usize * n + n];
                for (s, w) in scores.iter_mut().zip(row) {
                    *s += *w;
                }
            }
        }
    }

    /// Inserts a row (used by loading and by averaging).
    pub fn insert(&mut self, feat: u64, row: &[f32]) {
        debug_assert_eq!(row.len(), self.classes);
        let r = self.index.len() as u32;
        self.index.insert(feat, r);
        self.rows.extend_from_slice(row);
    }

    /// Writes `# header` lines, then one line per feature with a non-zero weight:
    /// `hex16<TAB>class:weight class:weight ...`, features sorted, weights to 4 decimals
    /// (rounded; rows whose weights all round to zero are dropped).
    pub fn write(&self, header: &[String], w: &mut dyn Write) -> std::io::Result<()> {
        for h in header {
            writeln!(w, "# {h}")?;
        }
        writeln!(w, "classes\t{}", self.classes)?;
        let mut feats: Vec<(&u64, &u32)> = self.index.iter().collect();
        feats.sort();
        let mut line = String::new();
        for (f, &r) in feats {
            line.clear();
            let row = &self.rows[r as usize * self.classes..(r as usize + 1) * self.classes];
            for (c, &x) in row.iter().enumerate() {
                let v = (x as f64 * 1e4).round() / 1e4;
                if v != 0.0 {
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.push_str(&format!("{c}:{v}"));
                }
            }
            if !line.is_empty() {
                writeln!(w, "{f:016x}\t{line}")?;
            }
        }
        Ok(())
    }

    /// Reads what [`Weights::write`] wrote. Errors name the 1-based line.
    pub fn read(text: &str) -> Result<(Vec<String>, Weights), (usize, String)> {
        let mut header = Vec::new();
        let mut weights: Option<Weights> = None;
        let mut row = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if let Some(h) = line.strip_prefix('#') {
                header.push(h.trim().to_string());
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            let Some(w) = weights.as_mut() else {
                let classes = line
                    .strip_prefix("classes\t")
                    .and_then(|c| c.trim().parse::<usize>().ok())
                    .filter(|&c| c > 0 && c < 100_000)
                    .ok_or((n, "expected `classes<TAB>N` before the weights".to_string()))?;
                weights = Some(Weights::new(classes));
                continue;
            };
            let (feat, rest) = line.split_once('\t').ok_or((n, "expected `feature<TAB>weights`".to_string()))?;
            if feat.len() != 16 {
                return Err((n, format!("feature `{feat}` is not 16 hex digits")));
            }
            let feat = u64::from_str_radix(feat, 16).map_err(|_| (n, format!("feature `{feat}` is not hex")))?;
            if w.index.contains_key(&feat) {
                return Err((n, format!("feature {feat:016x} appears twice")));
            }
            row.clear();
            row.resize(w.classes, 0.0);
            for cw in rest.split(' ') {
                let (c, x) = cw.split_once(':').ok_or((n, format!("`{cw}` is not class:weight")))?;
                let c: usize = c.parse().map_err(|_| (n, format!("class `{c}` is not a number")))?;
                let x: f32 = x.parse().map_err(|_| (n, format!("weight `{x}` is not a number")))?;
                if c >= w.classes || !x.is_finite() {
                    return Err((n, format!("class {c} out of range or weight not finite")));
                }
                row[c] = x;
            }
            w.insert(feat, &row);
        }
        let w = weights.ok_or((text.lines().count().max(1), "no `classes` line".to_string()))?;
        Ok((header, w))
    }
}

/// The averaged perceptron being trained.
pub struct Trainer {
    pub classes: usize,
    index: FxHashMap<u64, u32>,
    w: Vec<f32>,
    total: Vec<f64>,
    stamp: Vec<u32>,
    /// Number of instances seen (the averaging clock).
    pub step: u32,
}

impl Trainer {
    pub fn new(classes: usize) -> Trainer {
        Trainer { classes, index: FxHashMap::default(), w: Vec::new(), total: Vec::new(), stamp: Vec::new(), step: 0 }
    }

    /// Current (not averaged) scores.
    pub fn score(&self, feats: &[Feat], scores: &mut [f32]) {
        let n = self.classes;
        for f in feats {
            if let Some(&r) = self.index.get(&f.0) {
                for (s, w) in scores.iter_mut().zip(&self.w[r as usize * n..r as usize * n + n]) {
                    *s += *w;
                }
            }
        }
    }

    /// Adds `delta` to class `class` of every feature's row.
    pub fn update(&mut self, feats: &[Feat], class: usize, delta: f32) {
        let n = self.classes;
        for f in feats {
            let len = self.index.len() as u32;
            let r = *self.index.entry(f.0).or_insert(len) as usize;
            if r == len as usize {
                self.w.resize(self.w.len() + n, 0.0);
                self.total.resize(self.total.len() + n, 0.0);
                self.stamp.resize(self.stamp.len() + n, 0);
            }
            let k = r * n + class;
            self.total[k] += (self.step - self.stamp[k]) as f64 * self.w[k] as f64;
            self.stamp[k] = self.step;
            self.w[k] += delta;
        }
    }

    /// Advances the averaging clock by one instance.
    pub fn tick(&mut self) {
        self.step += 1;
    }

    /// The averaged weights.
    pub fn average(&self) -> Weights {
        let n = self.classes;
        let mut out = Weights::new(n);
        let mut feats: Vec<(&u64, &u32)> = self.index.iter().collect();
        feats.sort();
        let mut row = vec![0.0f32; n];
        let steps = self.step.max(1) as f64;
        for (&f, &r) in feats {
            let mut any = false;
            for c in 0..n {
                let k = r as usize * n + c;
                let t = self.total[k] + (self.step - self.stamp[k]) as f64 * self.w[k] as f64;
                row[c] = (t / steps) as f32;
                any |= (row[c] as f64 * 1e4).round() != 0.0;
            }
            if any {
                out.insert(f, &row);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_separable_problem_and_round_trips_through_text() {
        let mut t = Trainer::new(2);
        let data = [(Feat::new(1, 10), 0usize), (Feat::new(1, 20), 1usize)];
        for _ in 0..5 {
            for (f, gold) in data {
                let mut s = [0.0f32; 2];
                t.score(&[f], &mut s);
                let guess = if s[1] > s[0] { 1 } else { 0 };
                if guess != gold {
                    t.update(&[f], gold, 1.0);
                    t.update(&[f], guess, -1.0);
                }
                t.tick();
            }
        }
        let w = t.average();
        for (f, gold) in data {
            let mut s = [0.0f32; 2];
            w.score(&[f], &mut s);
            assert!(s[gold] > s[1 - gold]);
        }
        let mut buf = Vec::new();
        w.write(&["test".into()], &mut buf).unwrap();
        let (header, back) = Weights::read(std::str::from_utf8(&buf).unwrap()).unwrap();
        assert_eq!(header, vec!["test".to_string()]);
        let mut again = Vec::new();
        back.write(&["test".into()], &mut again).unwrap();
        assert_eq!(buf, again);
    }

    #[test]
    fn bad_lines_are_errors_with_their_line() {
        assert_eq!(Weights::read("classes\t2\nzz\t0:1").unwrap_err().0, 2);
        assert_eq!(Weights::read("classes\t2\n00000000000000aa\t5:1").unwrap_err().0, 2);
        assert_eq!(Weights::read("00000000000000aa\t0:1").unwrap_err().0, 1);
        assert!(Weights::read("# only a header\n").is_err());
    }

    #[test]
    fn lowercase_hash_matches_hash_of_lowercased() {
        assert_eq!(hash_lower(b"RuSSia"), hash_bytes(b"russia"));
        assert_ne!(hash_bytes(b"a"), hash_bytes(b"b"));
    }
}
