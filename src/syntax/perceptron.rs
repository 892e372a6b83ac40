//! Averaged multi-class perceptron over hashed features: the learner under the tagger and the
//! parser.
//!
//! A feature is a 64-bit hash of a template number and its values ([`Feat`]); each feature that
//! was ever updated owns a dense row of class weights, found through one hash-map probe. Dense
//! rows keep a prediction at one probe per feature plus a short vector add, which is what makes
//! greedy tagging and parsing fast enough for a nightly batch. Scores are sums of whole
//! numbers of 1e-4 ([`Units`], the precision the files keep): exact, so the same in any order
//! the rows are added.
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

/// Asks the CPU to start loading `x`'s cache line; a hint only, it never faults.
#[inline(always)]
fn prefetch<T>(x: &T) {
    prefetch_ptr(x as *const T);
}

/// [`prefetch`] of any address, in or out of the program's memory: a prefetch never faults, so
/// the address need not be valid (the score sweeps compute them without bounds checks).
#[inline(always)]
fn prefetch_ptr<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint that reads nothing the program can observe and cannot
    // fault, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Prefetches every cache line of `n` items from `p` (one hint per 64 bytes, and the last item).
/// Also used by the stance reader for the folded rows of the tokens ahead.
#[inline(always)]
pub(crate) fn prefetch_lines<T>(p: *const T, n: usize) {
    let bytes = n * std::mem::size_of::<T>();
    let p = p as *const u8;
    let mut off = 0;
    while off < bytes {
        prefetch_ptr(p.wrapping_add(off));
        off += 64;
    }
    if bytes > 0 {
        prefetch_ptr(p.wrapping_add(bytes - 1));
    }
}

/// One step of xorshift64: the seeded generator training uses, so reruns give the same weights.
#[inline]
pub fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Fisher–Yates shuffle driven by [`xorshift`].
pub fn shuffle(order: &mut [usize], state: &mut u64) {
    for k in (1..order.len()).rev() {
        order.swap(k, (xorshift(state) % (k as u64 + 1)) as usize);
    }
}

/// Trained, averaged weights: feature → row of class weights (only weights that survive
/// rounding to four decimals).
///
/// Most features push only a few of the parser's hundred-odd transitions, so most rows are
/// sparse lists of [`Cell`]s (class and weight packed in 32 bits): all rows dense would take
/// hundreds of megabytes. More than half of the parser's rows (and of the tagger's) hold just
/// two weights, one update's `+1` for the gold class and `-1` for the guess: such a row lives
/// in its slot itself (an *inline* row), which saves its cells' memory and the second
/// scattered read per feature. Longer rows are lists in `entries`. The few features that
/// fire everywhere (the bias, common tags and their pairs) have rows filled a quarter or
/// more; those are kept dense in `dense`, because adding a sparse row costs a scattered load
/// and store per entry while a dense row is a short vector add (eight classes at a time with
/// AVX2), and these rows are read in every decision. (Measured on the shipped weights: the
/// parser's table took 81 MB with 16-byte slots pointing at 8-byte entries, and takes 54 MB
/// like this; see [`Weights::memory_bytes`].)
/// An open-addressing table of 16-byte slots ([`Slot`]), linearly probed, finds a
/// row, at a load of at most 0.7. Beside it, one control byte per slot (empty, or seven bits
/// of the key) lets a lookup test sixteen slots with one vector compare, as a SwissTable does:
/// a feature never seen in training (one in seven of the parser's) is rejected without
/// reading a slot, and a seen one reads the one slot whose byte matches.
#[derive(Debug, Clone)]
pub struct Weights {
    pub classes: usize,
    slots: Vec<Slot>,
    /// Control bytes: `ctrl[i]` is 0 for an empty slot `i`, else [`ctrl_of`] its key. The
    /// array goes on for [`GROUP`] bytes past the slots, repeating them from the start (a
    /// group read near the end wraps around without a test).
    ctrl: Vec<u8>,
    rows: usize,
    entries: Vec<Cell>,
    dense: Vec<Units>,
    /// Non-zero weights stored (sparse entries plus the non-zero cells of dense rows).
    stored: usize,
}

/// A weight or a score in units of 1e-4: the weights files keep four decimals, so every stored
/// weight is a whole number of units and a sum of them is exact, in whatever order the rows are
/// added (a sum of `f32`s rounds differently in each order). That freedom is what lets
/// [`Weights::score`] add all the dense rows in registers before the sparse ones.
pub type Units = i32;

/// Largest magnitude of a stored weight, in units (about ±838.86): a score of up to 255 such
/// weights cannot overflow, and a weight fits the 24 bits a [`Cell`] gives it.
/// Trained weights stay far below (the parser's largest is about 99).
pub const MAX_UNITS: Units = (1 << 23) - 1;

/// A weight in units, saturated at [`MAX_UNITS`].
#[inline]
pub fn units(x: f32) -> Units {
    (x as f64 * 1e4).round().clamp(-(MAX_UNITS as f64), MAX_UNITS as f64) as Units
}

/// The weight a number of units stands for, as the weights files print it.
#[inline]
pub fn weight_of(u: Units) -> f32 {
    (u as f64 / 1e4) as f32
}

/// A stored weight and its class in 32 bits: the weight in units (24 bits, two's complement,
/// which [`MAX_UNITS`] guarantees) above the class (8 bits). A cell is never 0, since zero
/// weights are not stored: the weight bits of a cell are never all zero.
type Cell = u32;

/// Most classes a [`Cell`] can name. Weights with more classes keep every row dense.
const MAX_PACKED_CLASSES: usize = 256;

#[inline]
fn cell(class: u32, weight: Units) -> Cell {
    ((weight as u32) << 8) | (class & 0xff)
}

#[inline]
fn cell_class(c: Cell) -> usize {
    (c & 0xff) as usize
}

#[inline]
fn cell_weight(c: Cell) -> Units {
    (c as Units) >> 8
}

/// [`Slot::a`] of a dense row (below 256, so never an inline cell).
const DENSE: u32 = 0x80;

/// One slot of the table: a feature's key and where its row is, read from `a`:
/// - `a > 0xff`: an inline row, `a` its first [`Cell`] and `b` its second (0: none);
/// - `a == DENSE`: a dense row at `dense[b..]`;
/// - otherwise a list of `a` cells at `entries[b..]` (a list is shorter than a quarter of the
///   classes, so at most 63 cells, and longer than two).
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// Feature hash; 0 marks an empty slot (a feature hashing to 0 is stored as 1).
    key: u64,
    a: u32,
    b: u32,
}

/// Adds one cell's weight to its class's score.
#[inline(always)]
fn add_cell(scores: &mut [Units], c: Cell) {
    if let Some(x) = scores.get_mut(cell_class(c)) {
        *x = x.wrapping_add(cell_weight(c));
    }
}

impl Default for Weights {
    fn default() -> Weights {
        Weights::new(1)
    }
}

/// No slot: a feature [`Weights::first_candidate`] found absent.
const NO_SLOT: usize = usize::MAX;

/// Control bytes compared at once.
const GROUP: usize = 16;

/// A full slot's control byte: the key's top seven bits, with the high bit set (0 is empty).
/// The home comes from the low bits, so these are independent of it.
#[inline]
fn ctrl_of(key: u64) -> u8 {
    (key >> 57) as u8 | 0x80
}

/// Bit masks of the bytes of `group` equal to `tag`, and of the empty ones (bit k for byte k).
#[inline]
fn group_masks(group: &[u8; GROUP], tag: u8) -> (u32, u32) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8, _mm_setzero_si128,
        };
        // SAFETY: `group` is 16 bytes, one unaligned vector; SSE2 is part of x86-64.
        let (m, e) = unsafe {
            let v = _mm_loadu_si128(group.as_ptr() as *const __m128i);
            (
                _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(tag as i8))) as u32,
                _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128())) as u32,
            )
        };
        (m & 0xffff, e & 0xffff)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let (mut m, mut e) = (0, 0);
        for (k, &c) in group.iter().enumerate() {
            m |= ((c == tag) as u32) << k;
            e |= ((c == 0) as u32) << k;
        }
        (m, e)
    }
}

#[inline]
fn key_of(f: u64) -> u64 {
    if f == 0 {
        1
    } else {
        f
    }
}

impl Weights {
    pub fn new(classes: usize) -> Weights {
        Weights::with_capacity(classes, 0, 0)
    }

    /// Room for `rows` rows of `entries` weights in all, so loading a file never regrows the
    /// table (regrowing would hold the old and the new table at once: peak memory).
    pub fn with_capacity(classes: usize, rows: usize, entries: usize) -> Weights {
        // One more than rows / 0.7, so the last row loaded does not trigger a regrowth. (0.6
        // measured at most ~5 % faster on the corpus, within this machine's noise, for 8 MB
        // more; `score` must stay under 300 MB.)
        let slots = (rows * 10 / 7 + 2).max(8);
        // A dense row holds at least a quarter of the classes' weights, so `entries` weights
        // make at most this many of them. Reserving the bound means the dense rows never move
        // while loading (a doubling Vec would copy them and hold both copies at its peak); the
        // part of the reservation that stays unwritten is address space, not memory. (With
        // more than 256 classes every row is dense and the bound does not hold; such tables
        // regrow, which only costs time.) Inline rows take none of `entries`, so part of its
        // reservation stays unwritten too.
        let stride = classes.div_ceil(8) * 8;
        let dense_rows = (entries / classes.div_ceil(4).max(1)).min(rows);
        Weights {
            classes,
            slots: vec![Slot::default(); slots],
            ctrl: vec![0; slots + GROUP],
            rows: 0,
            entries: Vec::with_capacity(entries),
            dense: Vec::with_capacity(dense_rows * stride),
            stored: 0,
        }
    }

    /// Width of a dense row: the classes rounded up to a whole number of eight-wide vectors.
    #[inline]
    fn stride(&self) -> usize {
        self.classes.div_ceil(8) * 8
    }

    /// Number of feature rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Number of stored (non-zero) weights.
    pub fn weights(&self) -> usize {
        self.stored
    }

    /// Bytes of memory the table holds in use: slots, control bytes, cells and dense rows
    /// (not the part of a reservation never written, which the OS does not back with memory).
    /// `score` must stay under 300 MB with the tagger's and the parser's tables loaded.
    pub fn memory_bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Slot>()
            + self.ctrl.len()
            + self.entries.len() * std::mem::size_of::<Cell>()
            + self.dense.len() * std::mem::size_of::<Units>()
    }

    /// The slot of `key`. Linear probing puts a key in the first empty slot at or after its
    /// home, so it is found before the first empty slot from there: groups of [`GROUP`]
    /// control bytes are compared at once, and only slots whose byte matches are read.
    #[inline]
    fn find(&self, key: u64) -> Option<&Slot> {
        let i = self.probe(key, self.home(key), |i| self.slots.get(i).is_some_and(|s| s.key == key))?;
        self.slots.get(i)
    }

    /// The probe walk every lookup shares: from `home`, group by group in probe order, the
    /// slots whose control byte matches `key`'s, lowest first, until `accept` takes one (its
    /// index) or a group with an empty slot ends the run (`None`: the key is absent).
    #[inline(always)]
    fn probe(&self, key: u64, home: usize, mut accept: impl FnMut(usize) -> bool) -> Option<usize> {
        let len = self.slots.len();
        let tag = ctrl_of(key);
        let mut pos = home;
        loop {
            let group: &[u8; GROUP] = self.ctrl.get(pos..pos + GROUP)?.try_into().ok()?;
            let (mut matches, empty) = group_masks(group, tag);
            while matches != 0 {
                let mut i = pos + matches.trailing_zeros() as usize;
                if i >= len {
                    i %= len;
                }
                if accept(i) {
                    return Some(i);
                }
                matches &= matches - 1;
            }
            if empty != 0 {
                return None;
            }
            pos += GROUP;
            if pos >= len {
                pos %= len;
            }
        }
    }

    /// Marks slot `i` as holding `key` in the control bytes (and in their repeats past the end).
    fn set_ctrl(&mut self, i: usize, key: u64) {
        let len = self.slots.len();
        let mut j = i;
        while let Some(c) = self.ctrl.get_mut(j) {
            *c = ctrl_of(key);
            j += len;
        }
    }

    /// The first slot to probe for `key`. Keys are well-mixed hashes, so their low 32 bits
    /// scaled to the table's length (a multiply and a shift, no division) spread rows evenly
    /// over a table of any length: the table need not be a power of two, which would waste up
    /// to half of it on the parser's 1.5 million rows. Not the high bits: files list rows in
    /// key order, and a home that grows with the key would pile each prefix of the file into
    /// one end of a table still growing toward its size.
    #[inline]
    fn home(&self, key: u64) -> usize {
        (((key & 0xffff_ffff) * self.slots.len() as u64) >> 32) as usize
    }

    /// Adds the rows of `feats` into `scores` (length `classes`, not cleared), in units.
    ///
    /// Each feature costs three dependent reads from tables far larger than the caches (its
    /// control bytes, its slot, then its row). Issued one feature after another they are served
    /// one at a time, so the lookups go in sweeps over a block of features: prefetch every
    /// feature's control bytes; then read them (now cached) and prefetch the slot they point
    /// at; then find the slots (now cached) and prefetch their rows; then add the rows. The
    /// reads of a block overlap, which is most of the tagger's and the parser's speed. The
    /// slot is prefetched where the control bytes say it is, not at the key's home: a row
    /// displaced by linear probing sits in the next cache line about a quarter of the time,
    /// and prefetching the home line then left that read to wait alone in the third sweep.
    /// The sums are exact integers ([`Units`]), so the dense rows of a block are added first,
    /// in registers, and the sparse ones after.
    #[inline]
    pub fn score(&self, feats: &[Feat], scores: &mut [Units]) {
        const BLOCK: usize = 64;
        let mut dense = [0u32; BLOCK];
        let mut sparse = [(0u32, 0u32); BLOCK];
        let mut keys = [0u64; BLOCK];
        let mut homes = [0usize; BLOCK];
        let mut candidate = [NO_SLOT; BLOCK];
        for block in feats.chunks(BLOCK) {
            for ((f, k), h) in block.iter().zip(keys.iter_mut()).zip(homes.iter_mut()) {
                *k = key_of(f.0);
                *h = self.home(*k);
                prefetch_ptr(self.ctrl.as_ptr().wrapping_add(*h));
            }
            for ((&k, &h), c) in keys.iter().zip(&homes).zip(candidate.iter_mut()).take(block.len()) {
                *c = NO_SLOT;
                if let Some(i) = self.first_candidate(k, h) {
                    prefetch_ptr(self.slots.as_ptr().wrapping_add(i));
                    *c = i;
                }
            }
            let (mut nd, mut ns) = (0, 0);
            for (&k, &c) in keys.iter().zip(&candidate).take(block.len()) {
                if let Some(s) = self.find_from(k, c) {
                    let start = s.b as usize;
                    if s.a > 0xff {
                        // An inline row: its cells are in the slot, just read.
                        add_cell(scores, s.a);
                        if s.b != 0 {
                            add_cell(scores, s.b);
                        }
                    } else if s.a == DENSE {
                        // The first of its cache lines; the hardware follows the rest.
                        prefetch_ptr(self.dense.as_ptr().wrapping_add(start));
                        dense[nd] = s.b;
                        nd += 1;
                    } else {
                        // Every cache line of the list (up to 63 cells, so up to five lines).
                        prefetch_lines(self.entries.as_ptr().wrapping_add(start), s.a as usize);
                        sparse[ns] = (s.b, s.a);
                        ns += 1;
                    }
                }
            }
            self.add_rows(&dense[..nd], &sparse[..ns], scores);
        }
    }

    /// [`Weights::find`] given `candidate`, what [`Weights::first_candidate`] gave for `key`
    /// ([`NO_SLOT`] for `None`): the slot it names when it holds the key, without reading
    /// the control bytes again; `find` itself only when it holds another key (seven bits of
    /// the key matched by chance). The same slot as `find`, by `first_candidate`'s contract.
    #[inline]
    fn find_from(&self, key: u64, candidate: usize) -> Option<&Slot> {
        match self.slots.get(candidate) {
            None => None,
            Some(s) if s.key == key => Some(s),
            Some(_) => self.find(key),
        }
    }

    /// Where [`Weights::find`] will first read a slot for `key` (whose home is `home`): the same
    /// walk ([`Weights::probe`]) taking the first matching control byte, so `None` means absent
    /// and, when slot `i` holds the key, `find` returns slot `i`.
    #[inline(always)]
    fn first_candidate(&self, key: u64, home: usize) -> Option<usize> {
        self.probe(key, home, |_| true)
    }

    /// Adds dense rows (given by start) and sparse rows (start, len) to `scores`: the dense
    /// ones with AVX2 when the CPU has it (checked once, cached by the standard library).
    #[inline]
    fn add_rows(&self, dense: &[u32], sparse: &[(u32, u32)], scores: &mut [Units]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            unsafe { self.add_rows_avx2(dense, sparse, scores) };
            return;
        }
        self.add_dense_any(dense, scores);
        self.add_sparse(sparse, scores);
    }

    /// [`Weights::add_rows`] with AVX2. Dense rows are stored `stride` wide (classes rounded up
    /// to eight, zero padded); for up to 128 classes the number of vectors in a row is a
    /// compile-time constant, so the sums of a whole row stay in registers across the rows
    /// instead of being loaded and stored back for each row.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn add_rows_avx2(&self, dense: &[u32], sparse: &[(u32, u32)], scores: &mut [Units]) {
        macro_rules! by_width {
            ($($v:literal)*) => {
                match self.stride() / 8 {
                    $($v => add_dense_avx2::<$v>(&self.dense, dense, scores),)*
                    _ => self.add_dense_any(dense, scores),
                }
            };
        }
        by_width!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
        self.add_sparse(sparse, scores);
    }

    /// Adds sparse rows given as (start, len) to `scores`.
    #[inline(always)]
    fn add_sparse(&self, sparse: &[(u32, u32)], scores: &mut [Units]) {
        for &(start, len) in sparse {
            let (start, len) = (start as usize, len as usize);
            for &c in self.entries.get(start..start + len).unwrap_or(&[]) {
                add_cell(scores, c);
            }
        }
    }

    /// Adds dense rows of any width to `scores`.
    fn add_dense_any(&self, starts: &[u32], scores: &mut [Units]) {
        let stride = self.stride();
        for &start in starts {
            let start = start as usize;
            let Some(row) = self.dense.get(start..start + stride) else { continue };
            for (x, w) in scores.iter_mut().zip(row) {
                *x = x.wrapping_add(*w);
            }
        }
    }

    /// Inserts a row given as (class, weight) cells in increasing class order (classes below
    /// `classes`), as the weights files hold it: loading builds no dense row per feature (the
    /// parser has 1.5 million). Fails only when the cells or dense rows would pass 2^32
    /// (tens of gigabytes: a table that could not be loaded anyway).
    fn insert_cells(&mut self, feat: u64, cells: &[(u32, f32)]) -> Result<(), String> {
        self.insert_units(feat, cells.iter().map(|&(c, x)| (c, units(x))))
    }

    /// [`Weights::insert_cells`] with the weights already in units.
    #[inline]
    fn insert_units(&mut self, feat: u64, cells: impl Iterator<Item = (u32, Units)> + Clone) -> Result<(), String> {
        let mut nonzero = cells.filter(|&(_, v)| v != 0);
        let len = nonzero.clone().count();
        if len == 0 {
            return Ok(());
        }
        let key = key_of(feat);
        let packed = self.classes <= MAX_PACKED_CLASSES;
        let slot = if packed && len <= 2 {
            let mut next = || nonzero.next().map_or(0, |(c, v)| cell(c, v));
            Slot { key, a: next(), b: next() }
        } else if !packed || len * 4 >= self.classes {
            let start = self.dense.len();
            let b = u32::try_from(start + self.stride()).map(|_| start as u32);
            let b = b.map_err(|_| "more dense weights than a table holds".to_string())?;
            self.dense.resize(start + self.stride(), 0);
            for (c, v) in nonzero {
                if let Some(x) = self.dense.get_mut(start + c as usize) {
                    *x = v;
                }
            }
            Slot { key, a: DENSE, b }
        } else {
            let start = self.entries.len();
            let b = u32::try_from(start + len).map(|_| start as u32);
            let b = b.map_err(|_| "more weights than a table holds".to_string())?;
            self.entries.extend(nonzero.map(|(c, v)| cell(c, v)));
            Slot { key, a: len as u32, b }
        };
        self.stored += len;
        if (self.rows + 1) * 10 > self.slots.len() * 7 {
            self.grow();
        }
        self.place(slot);
        Ok(())
    }

    /// Inserts a row given densely; weights that round to zero at four decimals are left out,
    /// and so is a row with none left. A feature already present is replaced in the index.
    pub fn insert(&mut self, feat: u64, row: &[f32]) {
        debug_assert_eq!(row.len(), self.classes);
        let cells: Vec<(u32, f32)> =
            row.iter().enumerate().filter(|(_, &x)| x != 0.0).map(|(c, &x)| (c as u32, x)).collect();
        // Trained tables are far below the 2^32 cells `insert_cells` can address (memory runs
        // out long before), so the error cannot happen here.
        let inserted = self.insert_cells(feat, &cells);
        debug_assert!(inserted.is_ok());
    }

    fn place(&mut self, slot: Slot) {
        let mut i = self.home(slot.key);
        loop {
            if self.slots[i].key == 0 {
                self.slots[i] = slot;
                self.set_ctrl(i, slot.key);
                self.rows += 1;
                return;
            }
            if self.slots[i].key == slot.key {
                self.slots[i] = slot;
                return;
            }
            i += 1;
            if i == self.slots.len() {
                i = 0;
            }
        }
    }

    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); size]);
        self.ctrl = vec![0; size + GROUP];
        self.rows = 0;
        for s in old.into_iter().filter(|s| s.key != 0) {
            self.place(s);
        }
    }

    /// Asks the CPU for the cache lines where inserting or finding `feat` starts.
    #[inline]
    fn prefetch_slot(&self, feat: u64) {
        let home = self.home(key_of(feat));
        if let (Some(c), Some(s)) = (self.ctrl.get(home), self.slots.get(home)) {
            prefetch(c);
            prefetch(s);
        }
    }

    /// Whether a row exists for `feat`.
    pub fn contains(&self, feat: u64) -> bool {
        self.find(key_of(feat)).is_some()
    }

    /// Rows in feature order: (feature key, row slot).
    fn sorted(&self) -> Vec<Slot> {
        let mut v: Vec<Slot> = self.slots.iter().filter(|s| s.key != 0).copied().collect();
        v.sort_by_key(|s| s.key);
        v
    }

    /// The non-zero weights of a row, by class.
    fn row(&self, s: &Slot) -> Box<dyn Iterator<Item = (u16, f32)> + '_> {
        let start = s.b as usize;
        let of_cell = |c: Cell| (cell_class(c) as u16, weight_of(cell_weight(c)));
        if s.a > 0xff {
            Box::new([s.a, s.b].into_iter().filter(|&c| c != 0).map(of_cell))
        } else if s.a == DENSE {
            let row = self.dense.get(start..start + self.classes).unwrap_or(&[]);
            Box::new(row.iter().enumerate().filter(|(_, &w)| w != 0).map(|(c, &w)| (c as u16, weight_of(w))))
        } else {
            Box::new(self.entries.get(start..start + s.a as usize).unwrap_or(&[]).iter().map(move |&c| of_cell(c)))
        }
    }

    /// A copy without the rows whose largest weight is below `tau` in magnitude: the many
    /// features seen in one or two updates carry almost nothing but cost memory and cache (on
    /// EWT dev, three parser rows in four go at `tau` 2 for 0.1 UAS; see `train syntax`).
    pub fn pruned(&self, tau: f32) -> Weights {
        let mut out = Weights::new(self.classes);
        let mut row = vec![0.0f32; self.classes];
        for s in self.sorted() {
            if self.row(&s).any(|(_, w)| w.abs() >= tau) {
                row.iter_mut().for_each(|x| *x = 0.0);
                for (c, w) in self.row(&s) {
                    row[c as usize] = w;
                }
                out.insert(s.key, &row);
            }
        }
        out
    }

    /// Writes `# header` lines, then one line per feature with a non-zero weight:
    /// `hex16<TAB>class:weight class:weight ...`, features sorted, weights to 4 decimals
    /// (rounded; rows whose weights all round to zero are dropped).
    pub fn write(&self, header: &[String], w: &mut dyn Write) -> std::io::Result<()> {
        for h in header {
            writeln!(w, "# {h}")?;
        }
        // Rows and weights after the classes: the reader reserves its table from them, so one
        // streaming pass over the file suffices and the table never regrows.
        writeln!(w, "classes\t{}\t{}\t{}", self.classes, self.rows, self.stored)?;
        let mut line = String::new();
        for s in self.sorted() {
            let f = s.key;
            line.clear();
            for (c, v) in self.row(&s) {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(&format!("{c}:{v}"));
            }
            writeln!(w, "{f:016x}\t{line}")?;
        }
        Ok(())
    }

    /// Reads what [`Weights::write`] wrote. Errors name the 1-based line.
    pub fn read(text: &str) -> Result<(Vec<String>, Weights), (usize, String)> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.to_string()));
        let (header, w, _) = Weights::read_lines(&mut lines)?;
        Ok((header, w))
    }

    /// Reads one weights section from numbered lines, up to their end or a `---` line (which
    /// ends the section; the returned flag says whether one was met). The `classes` line's
    /// row and weight counts (`classes<TAB>N<TAB>ROWS<TAB>WEIGHTS`; the counts may be left
    /// out) reserve the table so it never regrows. Streaming the lines keeps the file's text
    /// (tens of megabytes) out of memory. (The shipped files are read through
    /// [`SectionReader`] directly, which takes borrowed lines.)
    pub fn read_lines(
        lines: &mut dyn Iterator<Item = (usize, String)>,
    ) -> Result<(Vec<String>, Weights, bool), (usize, String)> {
        let mut reader = SectionReader::default();
        for (n, line) in lines {
            if reader.line(n, &line)? {
                let (header, w) = reader.finish()?;
                return Ok((header, w, true));
            }
        }
        let (header, w) = reader.finish()?;
        Ok((header, w, false))
    }
}

/// Reads one weights section a line at a time (see [`Weights::read_lines`] for the format),
/// allocating nothing per weight line.
///
/// Loading the weights is most of `newsstance`'s start-up (the parser's file is 80 MB of text,
/// 1.5 million rows, 5.3 million weights). A weight line in the shape [`Weights::write`]
/// gives it (16 hex digits, a tab, `class:weight` cells with at most three integer digits and
/// four decimals) is read by [`parse_cells`] straight into units, without the string
/// splitting and float parsing of the general reader; any other line, and any line the fast
/// reader would reject, goes through the general reader ([`SectionReader::general_line`]),
/// which decides what it means or which error it is. The fast reader accepts only lines the
/// general one reads to the same weights (see [`parse_weight_units`] for why the units agree),
/// so a table and every error are the same either way (test `fast_and_general_readers_agree`).
#[derive(Debug, Default)]
pub struct SectionReader {
    header: Vec<String>,
    weights: Option<Weights>,
    /// The last line given (0: none yet).
    last: usize,
    /// Rows read by the fast reader and not yet inserted: (feature, line, end of its cells in
    /// `cells`), at most [`PENDING`].
    pending: Vec<(u64, usize, usize)>,
    /// The cells of the pending rows, in units.
    cells: Vec<(u32, Units)>,
    /// A row being read by the general reader.
    row: Vec<(u32, f32)>,
}

impl SectionReader {
    /// Takes line `n` (1-based, without its line ending); `Ok(true)` when it is the `---`
    /// line that ends the section (after which only [`SectionReader::finish`] is called).
    /// Errors name the line.
    #[inline]
    pub fn line(&mut self, n: usize, line: &str) -> Result<bool, (usize, String)> {
        self.last = n;
        if let (Some(w), Some((feat, rest))) = (self.weights.as_ref(), split_feature(line.as_bytes())) {
            let start = self.cells.len();
            if parse_cells(rest, w.classes, &mut self.cells) {
                w.prefetch_slot(feat);
                self.pending.push((feat, n, self.cells.len()));
                if self.pending.len() == PENDING {
                    self.flush()?;
                }
                return Ok(false);
            }
            self.cells.truncate(start);
        }
        self.flush()?;
        self.general_line(n, line)
    }

    /// Inserts the pending rows, in the order of their lines.
    ///
    /// Inserting a row waits for two reads from a table far larger than the caches (its slot
    /// and its control bytes); one after another, they took three quarters of the parser
    /// file's loading time. Their cache lines are asked for when a row is read
    /// ([`Weights::prefetch_slot`]) and the rows inserted [`PENDING`] at a time, so the reads
    /// overlap. The table is the same as inserting each row at once: same rows, same order.
    fn flush(&mut self) -> Result<(), (usize, String)> {
        let Some(w) = self.weights.as_mut() else { return Ok(()) };
        let mut start = 0;
        for &(feat, n, end) in &self.pending {
            if w.contains(feat) {
                return Err((n, format!("feature {feat:016x} appears twice")));
            }
            let cells = self.cells.get(start..end).unwrap_or(&[]);
            w.insert_units(feat, cells.iter().copied()).map_err(|m| (n, m))?;
            start = end;
        }
        self.pending.clear();
        self.cells.clear();
        Ok(())
    }

    /// The header lines and the weights read, once the section's lines are given. Fails when
    /// there was no `classes` line (naming the last line given, or line 1).
    pub fn finish(mut self) -> Result<(Vec<String>, Weights), (usize, String)> {
        self.flush()?;
        let w = self.weights.ok_or((self.last.max(1), "no `classes` line".to_string()))?;
        Ok((self.header, w))
    }

    /// Any line, read by the general rules: header, blank, `classes`, separator or weights.
    #[cold]
    fn general_line(&mut self, n: usize, line: &str) -> Result<bool, (usize, String)> {
        if line == "---" {
            return Ok(true);
        }
        if let Some(h) = line.strip_prefix('#') {
            self.header.push(h.trim().to_string());
            return Ok(false);
        }
        if line.trim().is_empty() {
            return Ok(false);
        }
        let Some(w) = self.weights.as_mut() else {
            let bad = || (n, "expected `classes<TAB>N[<TAB>ROWS<TAB>WEIGHTS]` before the weights".to_string());
            let fields: Vec<usize> = line
                .strip_prefix("classes\t")
                .ok_or_else(bad)?
                .split('\t')
                .map(|c| c.trim().parse::<usize>().map_err(|_| bad()))
                .collect::<Result<_, _>>()?;
            let (classes, size) = match fields[..] {
                [c] => (c, (0, 0)),
                [c, r, w] => (c, (r, w)),
                _ => return Err(bad()),
            };
            if classes == 0 || classes >= 100_000 {
                return Err(bad());
            }
            // The counts only size the table; a wrong or huge one cannot make it explode.
            const CAP: usize = 1 << 26;
            self.weights = Some(Weights::with_capacity(classes, size.0.min(CAP), size.1.min(CAP)));
            return Ok(false);
        };
        let (feat, rest) = line.split_once('\t').ok_or_else(|| (n, "expected `feature<TAB>weights`".to_string()))?;
        if feat.len() != 16 {
            return Err((n, format!("feature `{feat}` is not 16 hex digits")));
        }
        let feat = u64::from_str_radix(feat, 16).map_err(|_| (n, format!("feature `{feat}` is not hex")))?;
        if w.contains(feat) {
            return Err((n, format!("feature {feat:016x} appears twice")));
        }
        let row = &mut self.row;
        row.clear();
        for cw in rest.split(' ') {
            let (c, x) = cw.split_once(':').ok_or_else(|| (n, format!("`{cw}` is not class:weight")))?;
            let c: usize = c.parse().map_err(|_| (n, format!("class `{c}` is not a number")))?;
            let x: f32 = x.parse().map_err(|_| (n, format!("weight `{x}` is not a number")))?;
            if c >= w.classes || !x.is_finite() {
                return Err((n, format!("class {c} out of range or weight not finite")));
            }
            if (x as f64 * 1e4).round().abs() > MAX_UNITS as f64 {
                return Err((n, format!("weight {x} beyond ±{}", weight_of(MAX_UNITS))));
            }
            if row.last().is_some_and(|&(last, _)| last as usize >= c) {
                return Err((n, format!("class {c} out of order or repeated")));
            }
            row.push((c as u32, x));
        }
        w.insert_cells(feat, row).map_err(|m| (n, m))?;
        Ok(false)
    }
}

/// Rows read ahead of their insertion (see [`SectionReader::flush`]).
const PENDING: usize = 32;

/// A weight line's feature (16 hex digits, either case) and the bytes after its tab, if the
/// line starts that way.
#[inline]
fn split_feature(line: &[u8]) -> Option<(u64, &[u8])> {
    let (hex, rest) = line.split_at_checked(16)?;
    let rest = rest.strip_prefix(b"\t")?;
    let mut feat = 0u64;
    for &b in hex {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        feat = feat << 4 | d as u64;
    }
    Some((feat, rest))
}

/// Appends `class:weight` cells separated by single spaces to `out` (weights in units), if
/// every cell has the shape the fast reader knows and the row is valid for `classes`
/// (classes in range and increasing, weights within ±[`MAX_UNITS`]); `false` otherwise,
/// leaving the line to the general reader (and some of its cells in `out`). One pass over the
/// bytes: this is most of the reader's time.
#[inline]
fn parse_cells(s: &[u8], classes: usize, out: &mut Vec<(u32, Units)>) -> bool {
    let mut previous: Option<usize> = None;
    let mut i = 0;
    loop {
        // The class: one to five digits, then `:`.
        let start = i;
        let mut class = 0usize;
        while let Some(&b) = s.get(i).filter(|b| b.is_ascii_digit()) {
            if i - start == 5 {
                return false;
            }
            class = class * 10 + (b - b'0') as usize;
            i += 1;
        }
        if i == start || s.get(i) != Some(&b':') || class >= classes || previous.is_some_and(|p| p >= class) {
            return false;
        }
        previous = Some(class);
        i += 1;
        let Some(units) = weight_at(s, &mut i) else { return false };
        out.push((class as u32, units));
        match s.get(i) {
            None => return true,
            // A space must be followed by another cell.
            Some(b' ') if i + 1 < s.len() => i += 1,
            Some(_) => return false,
        }
    }
}

/// A weight written as `-?D{1,3}(.D{1,4})?` in `s`, whole (see [`weight_at`]).
#[cfg(test)]
fn parse_weight_units(s: &[u8]) -> Option<Units> {
    let mut i = 0;
    weight_at(s, &mut i).filter(|_| i == s.len())
}

/// The weight written as `-?D{1,3}(.D{1,4})?` at `s[*i..]`, in units of 1e-4, exactly, and
/// `*i` moved past it; `None` for any other shape or beyond ±[`MAX_UNITS`].
///
/// This is what the general reader gets (parsing an `f32`, then [`units`]): below 1024 the
/// nearest `f32` is within 2^-15 of the number written, which is less than a third of a unit,
/// so rounding its value in units gives back the whole number of units written.
#[inline(always)]
fn weight_at(s: &[u8], i: &mut usize) -> Option<Units> {
    let negative = s.get(*i) == Some(&b'-');
    *i += negative as usize;
    let mut units: Units = 0;
    let start = *i;
    while let Some(&b) = s.get(*i).filter(|b| b.is_ascii_digit()) {
        if *i - start == 3 {
            return None;
        }
        units = units * 10 + (b - b'0') as Units;
        *i += 1;
    }
    if *i == start {
        return None;
    }
    let mut decimals = 0;
    if s.get(*i) == Some(&b'.') {
        *i += 1;
        while let Some(&b) = s.get(*i).filter(|b| b.is_ascii_digit()) {
            if decimals == 4 {
                return None;
            }
            units = units * 10 + (b - b'0') as Units;
            decimals += 1;
            *i += 1;
        }
        if decimals == 0 {
            return None;
        }
    }
    units *= [10_000, 1000, 100, 10, 1][decimals];
    if units > MAX_UNITS {
        return None;
    }
    Some(if negative { -units } else { units })
}

/// Adds dense rows of `V` eight-wide vectors (starting at `starts` in `dense`) to `scores`,
/// summing them in `V` vector registers first.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn add_dense_avx2<const V: usize>(dense: &[Units], starts: &[u32], scores: &mut [Units]) {
    use std::arch::x86_64::{__m256i, _mm256_add_epi32, _mm256_loadu_si256, _mm256_setzero_si256, _mm256_storeu_si256};
    let mut acc = [_mm256_setzero_si256(); V];
    for &start in starts {
        let start = start as usize;
        let Some(row) = dense.get(start..start + V * 8) else { continue };
        let p = row.as_ptr() as *const __m256i;
        for (v, a) in acc.iter_mut().enumerate() {
            // SAFETY: `row` holds `V * 8` units, so vector `v < V` is inside it; unaligned
            // loads need no alignment.
            *a = _mm256_add_epi32(*a, unsafe { _mm256_loadu_si256(p.add(v)) });
        }
    }
    let mut lane = [0 as Units; 8];
    for (v, a) in acc.iter().enumerate() {
        // SAFETY: `lane` is eight units, one vector.
        unsafe { _mm256_storeu_si256(lane.as_mut_ptr() as *mut __m256i, *a) };
        for (x, y) in scores.iter_mut().skip(v * 8).zip(lane) {
            *x = x.wrapping_add(y);
        }
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
            for (c, x) in row.iter_mut().enumerate() {
                let k = r as usize * n + c;
                let t = self.total[k] + (self.step - self.stamp[k]) as f64 * self.w[k] as f64;
                *x = (t / steps) as f32;
            }
            out.insert(f, &row);
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
            let mut s = [0; 2];
            w.score(&[f], &mut s);
            // The decision rule of the tagger and parser: the first best class.
            assert_eq!(if s[1] > s[0] { 1 } else { 0 }, gold);
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
    fn pruning_drops_the_rows_whose_weights_are_all_small_and_keeps_the_others_whole() {
        let mut w = Weights::new(3);
        w.insert(Feat::new(1, 1).0, &[0.5, -1.5, 0.0]);
        w.insert(Feat::new(1, 2).0, &[0.5, -2.0, 0.25]);
        w.insert(Feat::new(1, 3).0, &[3.0, 0.0, 0.0]);
        let p = w.pruned(2.0);
        let score = |w: &Weights, k: u64| {
            let mut s = [0; 3];
            w.score(&[Feat::new(1, k)], &mut s);
            s
        };
        assert_eq!(score(&p, 1), [0, 0, 0], "every weight below 2: dropped");
        assert_eq!(score(&p, 2), score(&w, 2), "one weight at 2: kept with its small weights");
        assert_eq!(score(&p, 3), score(&w, 3));
        assert_ne!(score(&w, 1), [0, 0, 0]);
    }

    #[test]
    fn bad_lines_are_errors_with_their_line() {
        assert_eq!(Weights::read("classes\t2\nzz\t0:1").unwrap_err().0, 2);
        assert_eq!(Weights::read("classes\t2\n00000000000000aa\t5:1").unwrap_err().0, 2);
        assert_eq!(Weights::read("00000000000000aa\t0:1").unwrap_err().0, 1);
        assert!(Weights::read("# only a header\n").is_err());
        assert_eq!(Weights::read("classes\t4\n00000000000000aa\t2:1 1:1").unwrap_err().0, 2);
        assert_eq!(Weights::read("classes\t4\n00000000000000aa\t1:1 1:2").unwrap_err().0, 2);
        // A weight beyond what a score can sum without overflow.
        assert_eq!(Weights::read("classes\t4\n00000000000000aa\t1:900").unwrap_err().0, 2);
        assert!(Weights::read("classes\t4\n00000000000000aa\t1:838.5").is_ok());
    }

    proptest::proptest! {
        /// Scoring through the table (sparse and dense rows, blocks of prefetched lookups, the
        /// padded buffer or, past it, the direct path) adds exactly what the rows hold, and
        /// writing then reading the weights keeps every row.
        #[test]
        fn score_adds_exactly_the_stored_rows(
            classes in proptest::prop_oneof![1usize..20, 95usize..110, 250usize..300],
            rows in proptest::collection::vec((0u64..500, proptest::collection::vec((0usize..300, -50i32..50), 0..40)), 1..60),
            probe in proptest::collection::vec(0u64..600, 0..150),
        ) {
            let mut w = Weights::new(classes);
            let mut dense: std::collections::BTreeMap<u64, Vec<f32>> = Default::default();
            for (key, cells) in &rows {
                let mut row = vec![0.0f32; classes];
                for &(c, x) in cells {
                    row[c % classes] = x as f32 / 8.0;
                }
                dense.insert(*key, row);
            }
            for (key, row) in &dense {
                w.insert(Feat::new(9, *key).0, row);
            }
            let feats: Vec<Feat> = probe.iter().map(|&k| Feat::new(9, k)).collect();
            let mut got = vec![10_000; classes];
            w.score(&feats, &mut got);
            // Eighths are whole numbers of units: the sums are exact.
            let mut want = vec![10_000; classes];
            for k in &probe {
                if let Some(row) = dense.get(k) {
                    for (x, y) in want.iter_mut().zip(row) {
                        *x += units(*y);
                    }
                }
            }
            proptest::prop_assert_eq!(got, want);
            let mut buf = Vec::new();
            w.write(&[], &mut buf).unwrap();
            let (_, back) = Weights::read(std::str::from_utf8(&buf).unwrap()).unwrap();
            proptest::prop_assert_eq!(back.len(), w.len());
            proptest::prop_assert_eq!(back.weights(), w.weights());
        }
    }

    #[test]
    fn the_candidate_slot_finds_what_find_finds() {
        // Keys sharing their control byte (the same top seven bits) in a table as full as a
        // loaded one, so control bytes match for other keys and probe runs are long and wrap
        // around the end: the prefetch sweep's candidate must lead to `find`'s slot (or to
        // none) for present and absent keys alike.
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut keys = Vec::new();
        for k in 0..700u64 {
            let low = xorshift(&mut rng) >> 8;
            keys.push(if k % 3 == 0 { (0x55 << 57) | (low >> 7) } else { low | (k << 56) });
        }
        let (present, absent) = keys.split_at(500);
        let mut w = Weights::with_capacity(4, present.len(), 0);
        for &k in present {
            w.insert(k, &[0.5, 0.0, 0.0, 0.0]);
        }
        assert!(w.len() * 10 >= w.slots.len() * 6, "{} rows in {} slots", w.len(), w.slots.len());
        let mut false_matches = 0;
        for &k in keys.iter().chain([0, 1, u64::MAX].iter()) {
            let key = key_of(k);
            let cand = w.first_candidate(key, w.home(key));
            let c = cand.unwrap_or(NO_SLOT);
            let want = w.find(key).map(|s| s as *const Slot);
            assert_eq!(w.find_from(key, c).map(|s| s as *const Slot), want, "{k:x}");
            if let Some(i) = cand {
                false_matches += (w.slots[i].key != key) as usize;
            } else {
                assert!(want.is_none());
            }
        }
        assert_eq!(present.iter().filter(|&&k| w.contains(k)).count(), present.len());
        assert_eq!(absent.iter().filter(|&&k| w.contains(k)).count(), 0);
        assert!(false_matches > 10, "only {false_matches} candidates held another key");
    }

    #[test]
    fn packed_cells_keep_the_extreme_classes_and_weights() {
        // Inline rows (two cells), a list (three) and, at 257 classes, dense rows only.
        for classes in [256, 257] {
            let top = weight_of(MAX_UNITS);
            let mut w = Weights::new(classes);
            let mut two = vec![0.0f32; classes];
            two[0] = top;
            two[255] = -top;
            w.insert(1, &two);
            let mut three = two.clone();
            three[128] = -0.0001;
            w.insert(2, &three);
            for (feat, row) in [(1u64, &two), (2, &three)] {
                let mut s = vec![0; classes];
                w.score(&[Feat(feat)], &mut s);
                let want: Vec<Units> = row.iter().map(|&x| units(x)).collect();
                assert_eq!(s, want, "{classes} classes, row {feat}");
            }
            let mut buf = Vec::new();
            w.write(&[], &mut buf).unwrap();
            let text = String::from_utf8(buf).unwrap();
            assert!(text.contains("0000000000000001\t0:838.8607 255:-838.8607\n"), "{text}");
            let (_, back) = Weights::read(&text).unwrap();
            assert_eq!(back.weights(), 5);
        }
    }

    /// The tagger's and the parser's tables as loaded: more than half of their rows are two
    /// weights kept in their slots, the rest packed cells. A layout that spends more (8-byte
    /// entries, no inline rows: 81 MB for the parser) fails here; `score` must stay under
    /// 300 MB with both loaded.
    #[test]
    fn shipped_weights_stay_compact_in_memory() {
        let syntax = crate::syntax::Syntax::load(None).expect("shipped weights");
        let tables = [&syntax.parser.weights, &syntax.tagger.first, &syntax.tagger.second];
        for w in tables {
            // 10.1 bytes per weight for the parser today (15.2 before inline rows and cells).
            let per_weight = w.memory_bytes() as f64 / w.weights() as f64;
            assert!(per_weight < 11.5, "{per_weight:.2} bytes per weight ({} rows)", w.len());
        }
        let total: usize = tables.iter().map(|w| w.memory_bytes()).sum();
        assert!(total < 70_000_000, "the syntax weights take {total} bytes");
    }

    /// Headers, the table as written and its memory, or the error.
    type Read = Result<(Vec<String>, String, usize), (usize, String)>;

    /// A section read line by line through [`SectionReader::line`] (the fast reader where it
    /// applies) and, second, through the general rules alone: the headers and the table as
    /// written, or the error.
    fn read_both(text: &str) -> [Read; 2] {
        fn run(text: &str, general: bool) -> Read {
            let mut r = SectionReader::default();
            for (i, line) in text.lines().enumerate() {
                let separator = if general {
                    r.last = i + 1;
                    r.general_line(i + 1, line)?
                } else {
                    r.line(i + 1, line)?
                };
                if separator {
                    break;
                }
            }
            let (header, w) = r.finish()?;
            let mut buf = Vec::new();
            w.write(&[], &mut buf).unwrap();
            Ok((header, String::from_utf8(buf).unwrap(), w.memory_bytes()))
        }
        [run(text, false), run(text, true)]
    }

    #[test]
    fn written_weights_read_back_to_their_units() {
        // Every weight a file can hold, as `write` prints it, is read by the fast reader to the
        // units the general reader gets from an `f32` (all small ones, a stride of the rest).
        let mut fast = 0;
        let mut u = -MAX_UNITS;
        while u <= MAX_UNITS {
            let text = weight_of(u).to_string();
            let general = units(text.parse::<f32>().unwrap());
            assert_eq!(general, u, "{text}");
            if let Some(got) = parse_weight_units(text.as_bytes()) {
                assert_eq!(got, u, "{text}");
                fast += 1;
            }
            u += if u.abs() < 300_000 { 1 } else { 97 };
        }
        // The fast reader takes (nearly) all of them; the rest go the general way, correctly.
        assert!(fast > 760_000, "{fast}");
        assert_eq!(parse_weight_units(b"838.8607"), Some(MAX_UNITS));
        assert_eq!(parse_weight_units(b"-838.8608"), None);
        for odd in ["", "-", "1e3", "+1", ".5", "5.", "1.23456", "1000", "nan", "0x1", "1 "] {
            assert_eq!(parse_weight_units(odd.as_bytes()), None, "{odd}");
        }
    }

    #[test]
    fn the_fast_reader_rejects_what_the_general_one_rejects() {
        for text in [
            "classes\t4\n00000000000000aa\t2:1 1:1",
            "classes\t4\n00000000000000aa\t1:1 1:2",
            "classes\t4\n00000000000000aa\t1:900",
            "classes\t4\n00000000000000aa\t4:1",
            "classes\t4\n00000000000000aa\t1:1  2:1",
            "classes\t4\n00000000000000aa\t1:1 ",
            "classes\t4\n00000000000000aa\t",
            "classes\t4\n00000000000000aa\t1:1\n00000000000000AA\t2:1",
            "classes\t4\n00000000000000aa\t1:1\n---\n00000000000000aa\t2:1",
            "classes\t4\n+0000000000000aa\t1:1\n00000000000000aa\t1:1",
            "# h\n00000000000000aa\t0:1",
        ] {
            let [fast, general] = read_both(text);
            assert_eq!(fast, general, "{text}");
        }
    }

    proptest::proptest! {
        /// Any section, well formed or not, gives the same headers and table, or the same
        /// error on the same line, through the fast reader as through the general one (rows
        /// read ahead, lines of every odd shape, repeated features, errors late in a batch).
        #[test]
        fn fast_and_general_readers_agree(
            classes in 1usize..12,
            lines in proptest::collection::vec(
                (
                    0usize..40,
                    proptest::collection::vec((0usize..14, 0usize..12, -90_000i32..90_000), 0..6),
                    0usize..30,
                ),
                0..120,
            ),
        ) {
            const ODD_WEIGHTS: [&str; 12] = ["0", "-0", "-0.0", "1e-3", "+1", ".5", "5.", "0.00001", "1.23456", "nan", "838.8608", "12:3"];
            const ODD_CLASSES: [&str; 4] = ["+3", "007", "", "99999999999"];
            let mut text = format!("# names: test\nclasses\t{classes}\n");
            for (feature, cells, shape) in lines {
                let key = mix(feature as u64 % 37);
                let feat = match shape {
                    0 => format!("{key:016X}"),
                    1 => format!("+{:015x}", key >> 4),
                    2 => format!("{:015x}", key >> 4),
                    3 => "zzzzzzzzzzzzzzzz".to_string(),
                    _ => format!("{key:016x}"),
                };
                let mut cells: Vec<(usize, usize, i32)> = cells;
                if shape < 25 {
                    cells.sort_by_key(|c| c.0);
                    cells.dedup_by_key(|c| c.0);
                }
                let cells: Vec<String> = cells
                    .iter()
                    .map(|&(c, odd, u)| {
                        let class = if odd == 0 && c < 4 { ODD_CLASSES[c].to_string() } else { c.to_string() };
                        let weight = match odd {
                            0..=4 => weight_of(u).to_string(),
                            5 => ODD_WEIGHTS[c % ODD_WEIGHTS.len()].to_string(),
                            6 => format!("{}", u as f32 / 1e4 * 100.0),
                            _ => format!("{:.4}", u as f64 / 1e4),
                        };
                        format!("{class}:{weight}")
                    })
                    .collect();
                let sep = match shape { 26 => "  ", _ => " " };
                let end = match shape { 27 => " ", _ => "" };
                text.push_str(&match shape {
                    28 => "# a header line among the rows\n".to_string(),
                    29 => "\n".to_string(),
                    _ => format!("{feat}\t{}{end}\n", cells.join(sep)),
                });
            }
            let [fast, general] = read_both(&text);
            proptest::prop_assert_eq!(fast, general);
        }
    }

    #[test]
    fn lowercase_hash_matches_hash_of_lowercased() {
        assert_eq!(hash_lower(b"RuSSia"), hash_bytes(b"russia"));
        assert_ne!(hash_bytes(b"a"), hash_bytes(b"b"));
    }
}
