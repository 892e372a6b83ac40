//! Stage `aggregate`: per actor, per country and per directed country pair, by article date.
//!
//! Aggregates keep sums and counts, never running means, so that partial results (one per
//! document, one per shard of a corpus, one per night) merge exactly. Floating-point addition
//! depends on grouping ((a + b) + c is not always a + (b + c)), so a sum is kept as an integer in
//! fixed point: each score is rounded once to a multiple of 10^-12 ([`SCALE`]) and the multiples
//! are added as `i128`. Integer addition is associative and commutative, so a sum, and the mean
//! derived from it, is the same whether the documents were added one by one in one run or in
//! shards merged later, in any grouping and any order. (Scores are in [-1, 1]; 10^-12 is far below
//! the 4 decimals of the reports, and `i128` cannot overflow at any realistic count.)

use crate::document::Date;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Units per 1.0 in a [`Sum`]'s fixed-point total.
pub const SCALE: i64 = 1_000_000_000_000;

/// A score in fixed point: `round(x × SCALE)`; not-a-number counts as 0 and infinities saturate
/// (scores are in [-1, 1], so neither happens on real input).
pub fn fixed(x: f64) -> i64 {
    (x * SCALE as f64).round() as i64
}

/// An exact sum (fixed point, see the module docs) and a count; the mean is derived when
/// reporting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sum {
    /// Sum of [`fixed`] of each observation, in units of 1 / [`SCALE`].
    pub total: i128,
    pub count: u64,
}

impl Sum {
    pub fn add(&mut self, x: f64) {
        self.total = self.total.saturating_add(fixed(x).into());
        self.count = self.count.saturating_add(1);
    }

    pub fn merge(&mut self, o: &Sum) {
        self.total = self.total.saturating_add(o.total);
        self.count = self.count.saturating_add(o.count);
    }

    /// The mean, or `None` without observations. Computed from the exact total, so it does not
    /// depend on how the observations were grouped.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.total as f64 / SCALE as f64 / self.count as f64)
    }
}

/// Identity of an actor in the reports. Keys compare by `id` alone: two spellings of a person
/// learned from text ("Abdul Mahdi", "Abdul-Mahdi") share an id and are one actor, shown with
/// the name first seen (in input order, so deterministically).
#[derive(Debug, Clone)]
pub struct ActorKey {
    pub id: String,
    pub name: String,
    pub country: String,
    pub kind: String,
}

impl PartialEq for ActorKey {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for ActorKey {}

impl PartialOrd for ActorKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ActorKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.id.cmp(&other.id)
    }
}

impl std::hash::Hash for ActorKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

/// Figures of one actor or one country on one date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub documents: u64,
    /// Sentiment of the text toward each mention; its count is the number of mentions.
    pub sentiment: Sum,
    /// Stance events with this actor as source.
    pub stance_out: Sum,
    /// Stance events with this actor as target.
    pub stance_in: Sum,
}

impl Figures {
    fn merge(&mut self, o: &Figures) {
        self.documents += o.documents;
        self.sentiment.merge(&o.sentiment);
        self.stance_out.merge(&o.stance_out);
        self.stance_in.merge(&o.stance_in);
    }
}

/// Figures of one directed country pair on one date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dyad {
    pub documents: u64,
    pub stance: Sum,
    pub negative: u64,
    pub positive: u64,
}

/// Mergeable aggregates of any number of documents.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Aggregate {
    pub actors: BTreeMap<(Option<Date>, Arc<ActorKey>), Figures>,
    pub countries: BTreeMap<(Option<Date>, String), Figures>,
    pub dyads: BTreeMap<(Option<Date>, String, String), Dyad>,
}

/// An event's score counts as negative or positive beyond this magnitude (for the shares).
pub const SIGN_THRESHOLD: f64 = 0.05;

/// Builds the aggregate of one document from its mentions and stance events.
///
/// A document names a handful of actors, so it collects into small vectors (linear search, no
/// allocation per mention) and becomes an [`Aggregate`] once, in [`DocumentAggregator::finish`].
pub struct DocumentAggregator {
    date: Option<Date>,
    actors: Vec<(Arc<ActorKey>, Figures)>,
    countries: Vec<(String, Figures)>,
    dyads: Vec<((String, String), Dyad)>,
}

/// The value for the key that `eq` recognises, inserted by `make` when absent.
fn slot<K, V>(v: &mut Vec<(K, V)>, eq: impl Fn(&K) -> bool, make: impl FnOnce() -> (K, V)) -> &mut V {
    let i = match v.iter().position(|(k, _)| eq(k)) {
        Some(i) => i,
        None => {
            v.push(make());
            v.len() - 1
        }
    };
    &mut v[i].1
}

impl DocumentAggregator {
    pub fn new(date: Option<Date>) -> Self {
        DocumentAggregator { date, actors: Vec::new(), countries: Vec::new(), dyads: Vec::new() }
    }

    fn actor(&mut self, key: &Arc<ActorKey>) -> &mut Figures {
        slot(&mut self.actors, |k| k.id == key.id, || (Arc::clone(key), Figures { documents: 1, ..Figures::default() }))
    }

    fn country(&mut self, code: &str) -> &mut Figures {
        slot(&mut self.countries, |k| k == code, || (code.to_string(), Figures { documents: 1, ..Figures::default() }))
    }

    /// A mention of `actor` with the text's sentiment toward it.
    pub fn mention(&mut self, actor: &Arc<ActorKey>, sentiment: f64) {
        self.actor(actor).sentiment.add(sentiment);
        self.country(&actor.country).sentiment.add(sentiment);
    }

    /// A stance event from `source` to `target`.
    pub fn event(&mut self, source: &Arc<ActorKey>, target: &Arc<ActorKey>, score: f64) {
        self.actor(source).stance_out.add(score);
        self.actor(target).stance_in.add(score);
        self.country(&source.country).stance_out.add(score);
        self.country(&target.country).stance_in.add(score);
        let (s, t) = (&source.country, &target.country);
        let dyad = slot(
            &mut self.dyads,
            |(a, b)| a == s && b == t,
            || ((s.clone(), t.clone()), Dyad { documents: 1, ..Dyad::default() }),
        );
        dyad.stance.add(score);
        if score <= -SIGN_THRESHOLD {
            dyad.negative += 1;
        } else if score >= SIGN_THRESHOLD {
            dyad.positive += 1;
        }
    }

    pub fn finish(self) -> Aggregate {
        let date = self.date;
        Aggregate {
            actors: self.actors.into_iter().map(|(k, v)| ((date, k), v)).collect(),
            countries: self.countries.into_iter().map(|(k, v)| ((date, k), v)).collect(),
            dyads: self.dyads.into_iter().map(|((s, t), v)| ((date, s, t), v)).collect(),
        }
    }
}

impl Aggregate {
    /// Adds `other` into `self`. Exact: counts and fixed-point sums are integers. The first key
    /// merged keeps its display fields (an actor's name), so fold in input order.
    pub fn merge(&mut self, other: Aggregate) {
        for (k, v) in other.actors {
            match self.actors.get_mut(&k) {
                Some(f) => f.merge(&v),
                None => {
                    self.actors.insert(k, v);
                }
            }
        }
        for (k, v) in other.countries {
            match self.countries.get_mut(&k) {
                Some(f) => f.merge(&v),
                None => {
                    self.countries.insert(k, v);
                }
            }
        }
        for (k, v) in other.dyads {
            let d = self.dyads.entry(k).or_default();
            d.documents += v.documents;
            d.stance.merge(&v.stance);
            d.negative += v.negative;
            d.positive += v.positive;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, country: &str) -> Arc<ActorKey> {
        Arc::new(ActorKey { id: id.into(), name: id.into(), country: country.into(), kind: "state".into() })
    }

    fn doc(date: Option<Date>, f: impl FnOnce(&mut DocumentAggregator)) -> Aggregate {
        let mut d = DocumentAggregator::new(date);
        f(&mut d);
        d.finish()
    }

    #[test]
    fn counts_documents_once_and_keeps_sums() {
        let rus = key("rus", "RUS");
        let kremlin = key("rus-kremlin", "RUS");
        let west = key("west", "WEST");
        let a = doc(None, |d| {
            d.mention(&rus, 0.5);
            d.mention(&kremlin, -0.5);
            d.mention(&west, 0.0);
            d.event(&kremlin, &west, -0.8);
            d.event(&kremlin, &west, 0.02);
        });
        let c = &a.countries[&(None, "RUS".to_string())];
        assert_eq!((c.documents, c.sentiment.count, c.sentiment.total, c.stance_out.count), (1, 2, 0, 2));
        let dy = &a.dyads[&(None, "RUS".to_string(), "WEST".to_string())];
        assert_eq!((dy.documents, dy.stance.count, dy.negative, dy.positive), (1, 2, 1, 0));
    }

    #[test]
    fn merge_is_exact_and_separates_dates() {
        let rus = key("rus", "RUS");
        let d1 = Date::parse("2023-03-22");
        let a = doc(d1, |d| d.mention(&rus, 0.25));
        let b = doc(d1, |d| d.mention(&rus, 0.75));
        let c = doc(None, |d| d.mention(&rus, 1.0));
        let mut all = Aggregate::default();
        for x in [&a, &b, &c] {
            all.merge(x.clone());
        }
        let f = &all.actors[&(d1, rus.clone())];
        assert_eq!((f.documents, f.sentiment.count, f.sentiment.mean()), (2, 2, Some(0.5)));
        assert_eq!(all.actors[&(None, rus)].documents, 1);
        // Merging shards equals merging documents.
        let mut left = a.clone();
        left.merge(b.clone());
        let mut shard = Aggregate::default();
        shard.merge(left);
        shard.merge(c.clone());
        assert_eq!(shard, all);
    }

    #[test]
    fn sums_do_not_depend_on_grouping() {
        // 0.1 + 0.2 + 0.3 differs from 0.3 + 0.2 + 0.1 in f64; not in fixed point.
        let xs = [0.1, 0.2, 0.3, -0.7, 1.0 / 3.0, 0.123456789];
        let mut forward = Sum::default();
        xs.iter().for_each(|&x| forward.add(x));
        let mut halves = (Sum::default(), Sum::default());
        xs[..3].iter().rev().for_each(|&x| halves.0.add(x));
        xs[3..].iter().for_each(|&x| halves.1.add(x));
        halves.1.merge(&halves.0);
        assert_eq!(forward, halves.1);
        assert_eq!(fixed(f64::NAN), 0);
        assert_eq!(fixed(-1.0), -SCALE);
    }

    #[test]
    fn empty_sum_has_no_mean() {
        assert_eq!(Sum::default().mean(), None);
    }
}
