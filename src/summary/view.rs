//! What the page shows, chosen from the run's data: the top countries, the matrix cells, the
//! strongest relations with their evidence, the coverage bars and the series over time. All
//! choices sort on the data with the country code as the last key, so they are deterministic.

use super::charts::{self, Series};
use super::{Input, Quote, RunFacts, SummaryError};
use crate::aggregate::{Dyad, Figures, Sum};
use crate::document::Date;
use std::collections::BTreeMap;

/// Countries and blocs in the stance matrix (rows and columns).
pub const MATRIX_COUNTRIES: usize = 20;
/// Relations listed as most hostile and as most friendly.
pub const RELATIONS: usize = 8;
/// Countries in the coverage chart.
pub const COVERAGE_COUNTRIES: usize = 20;
/// Lines per chart over time.
pub const TREND_SERIES: usize = 5;
/// Buckets over time at most (the latest ones are kept).
pub const MAX_BUCKETS: usize = 240;
/// A relation needs this many events to be listed, when enough relations have them; smaller
/// runs fall back to the next step so a night with little news still shows its relations.
const MIN_EVENTS_STEPS: [u64; 4] = [10, 5, 3, 1];

/// A country or bloc over all dates.
#[derive(Debug, Clone)]
pub struct Country {
    pub code: String,
    pub name: String,
    pub figures: Figures,
}

impl Country {
    pub fn label(&self) -> String {
        if self.name.is_empty() || self.name == self.code {
            self.code.clone()
        } else {
            format!("{} ({})", self.name, self.code)
        }
    }

    /// Stance events it took part in, as source or target.
    pub fn events(&self) -> u64 {
        self.figures.stance_out.count + self.figures.stance_in.count
    }
}

/// A directed pair over all dates.
#[derive(Debug, Clone, Default)]
pub struct Pair {
    pub source: String,
    pub target: String,
    pub dyad: Dyad,
}

impl Pair {
    pub fn events(&self) -> u64 {
        self.dyad.stance.count
    }

    pub fn mean(&self) -> f64 {
        self.dyad.stance.mean().unwrap_or(0.0)
    }

    pub fn share(&self, n: u64) -> f64 {
        n as f64 / self.events().max(1) as f64
    }
}

/// A listed relation with its evidence.
pub struct Relation<'a> {
    pub pair: Pair,
    pub source_name: String,
    pub target_name: String,
    pub quotes: &'a [Quote],
}

/// Charts over time.
pub struct Trends {
    pub bucket: &'static str,
    pub first: String,
    pub last: String,
    pub dropped: u64,
    pub stance: Option<(String, Vec<String>)>,
    pub coverage: Option<(String, Vec<String>)>,
}

pub struct View<'a> {
    pub facts: &'a RunFacts,
    pub matrix: Vec<Country>,
    /// `cells[row][col]`: source row, target column.
    pub cells: Vec<Vec<Option<Pair>>>,
    pub hostile: Vec<Relation<'a>>,
    pub friendly: Vec<Relation<'a>>,
    pub min_events: u64,
    pub coverage: Vec<Country>,
    pub coverage_svg: Option<String>,
    pub trends: Option<Trends>,
    pub first_date: Option<Date>,
    pub last_date: Option<Date>,
    pub pairs_total: usize,
    pub countries_total: usize,
}

impl<'a> View<'a> {
    pub fn build(input: &Input<'a>) -> Result<View<'a>, SummaryError> {
        let agg = input.aggregate;
        let name = |c: &str| (input.country_name)(c);

        // Totals over dates.
        let mut countries: BTreeMap<&str, Figures> = BTreeMap::new();
        for ((_, code), f) in &agg.countries {
            merge_figures(countries.entry(code.as_str()).or_default(), f);
        }
        let mut pairs: BTreeMap<(&str, &str), Dyad> = BTreeMap::new();
        for ((_, s, t), d) in &agg.dyads {
            merge_dyad(pairs.entry((s.as_str(), t.as_str())).or_default(), d);
        }
        let countries: Vec<Country> = countries
            .into_iter()
            .map(|(code, figures)| Country { code: code.to_string(), name: name(code), figures })
            .collect();
        let pairs: Vec<Pair> = pairs
            .into_iter()
            .map(|((s, t), dyad)| Pair { source: s.to_string(), target: t.to_string(), dyad })
            .collect();

        // The matrix: the countries with the most events.
        let mut matrix: Vec<Country> = countries.iter().filter(|c| c.events() > 0).cloned().collect();
        matrix.sort_by(|a, b| b.events().cmp(&a.events()).then_with(|| a.code.cmp(&b.code)));
        matrix.truncate(MATRIX_COUNTRIES);
        let index: BTreeMap<&str, usize> = matrix.iter().enumerate().map(|(i, c)| (c.code.as_str(), i)).collect();
        let mut cells = vec![vec![None; matrix.len()]; matrix.len()];
        for p in &pairs {
            if let (Some(&r), Some(&c)) = (index.get(p.source.as_str()), index.get(p.target.as_str())) {
                cells[r][c] = Some(p.clone());
            }
        }

        // The strongest relations.
        let min_events = MIN_EVENTS_STEPS
            .into_iter()
            .find(|&m| pairs.iter().filter(|p| p.events() >= m).count() >= 2 * RELATIONS)
            .unwrap_or(1);
        let relation = |p: &Pair, hostile: bool| Relation {
            pair: p.clone(),
            source_name: name(&p.source),
            target_name: name(&p.target),
            quotes: input.evidence.quotes(&p.source, &p.target, hostile),
        };
        let mut listed: Vec<&Pair> = pairs.iter().filter(|p| p.events() >= min_events).collect();
        listed.sort_by(|a, b| {
            a.mean().total_cmp(&b.mean()).then_with(|| b.events().cmp(&a.events())).then_with(|| key(a).cmp(&key(b)))
        });
        let hostile: Vec<Relation> = listed
            .iter()
            .filter(|p| p.mean() <= -crate::aggregate::SIGN_THRESHOLD)
            .take(RELATIONS)
            .map(|p| relation(p, true))
            .collect();
        let friendly: Vec<Relation> = listed
            .iter()
            .rev()
            .filter(|p| p.mean() >= crate::aggregate::SIGN_THRESHOLD)
            .take(RELATIONS)
            .map(|p| relation(p, false))
            .collect();

        // Coverage: the most mentioned countries.
        let mut coverage: Vec<Country> = countries.iter().filter(|c| c.figures.sentiment.count > 0).cloned().collect();
        coverage.sort_by(|a, b| {
            b.figures.sentiment.count.cmp(&a.figures.sentiment.count).then_with(|| a.code.cmp(&b.code))
        });
        coverage.truncate(COVERAGE_COUNTRIES);
        let coverage_svg = if coverage.is_empty() {
            None
        } else {
            let bars: Vec<charts::Bar> = coverage
                .iter()
                .map(|c| charts::Bar {
                    label: format!("{} · {} mentions", c.label(), thousands(c.figures.sentiment.count)),
                    value: c.figures.sentiment.mean().unwrap_or(0.0),
                })
                .collect();
            Some(charts::coverage(&bars)?)
        };

        // Dates.
        let dated = agg.countries.keys().filter_map(|(d, _)| *d);
        let first_date = dated.clone().min();
        let last_date = dated.max();
        let trends = trends(input, &countries, &pairs)?;

        Ok(View {
            facts: input.facts,
            matrix,
            cells,
            hostile,
            friendly,
            min_events,
            coverage,
            coverage_svg,
            trends,
            first_date,
            last_date,
            pairs_total: pairs.len(),
            countries_total: countries.len(),
        })
    }
}

fn key(p: &Pair) -> (&str, &str) {
    (&p.source, &p.target)
}

fn merge_figures(into: &mut Figures, f: &Figures) {
    into.documents += f.documents;
    into.sentiment.merge(&f.sentiment);
    into.stance_out.merge(&f.stance_out);
    into.stance_in.merge(&f.stance_in);
}

fn merge_dyad(into: &mut Dyad, d: &Dyad) {
    into.documents += d.documents;
    into.stance.merge(&d.stance);
    into.negative += d.negative;
    into.positive += d.positive;
}

/// `12345` → `12,345`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Days since 1970-01-01 (proleptic Gregorian), for calendar arithmetic on dates.
fn day_number(d: Date) -> i64 {
    let (y, m) =
        if d.month <= 2 { (d.year as i64 - 1, d.month as i64 + 9) } else { (d.year as i64, d.month as i64 - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d.day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn from_day_number(z: i64) -> Date {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
    Date { year, month, day }
}

/// Dates are grouped by day when they span up to three months, by month otherwise; a bucket
/// without data is a gap in the line, never a zero.
fn trends(input: &Input, countries: &[Country], pairs: &[Pair]) -> Result<Option<Trends>, SummaryError> {
    let agg = input.aggregate;
    let dated = agg.countries.keys().filter_map(|(d, _)| *d);
    let (Some(first), Some(last)) = (dated.clone().min(), dated.max()) else { return Ok(None) };
    if first == last {
        return Ok(None);
    }
    // A few stray old dates (a misdated archive page) would stretch the axis over years of
    // nothing: the axis starts at the date where the first percent of dated mentions is reached.
    let mut per_date: BTreeMap<Date, u64> = BTreeMap::new();
    for ((d, _), f) in &agg.countries {
        if let Some(d) = d {
            *per_date.entry(*d).or_default() += f.sentiment.count;
        }
    }
    let total: u64 = per_date.values().sum();
    let mut seen = 0;
    let from = per_date
        .iter()
        .find(|(_, n)| {
            seen += **n;
            seen * 100 >= total
        })
        .map_or(first, |(d, _)| *d);
    let by_day = day_number(last) - day_number(from) <= 92;
    let bucket_of = |d: Date| -> i64 {
        if by_day {
            day_number(d)
        } else {
            d.year as i64 * 12 + d.month as i64 - 1
        }
    };
    let label_of = |b: i64| -> String {
        if by_day {
            from_day_number(b).to_string()
        } else {
            format!("{:04}-{:02}", b.div_euclid(12), b.rem_euclid(12) + 1)
        }
    };
    let end = bucket_of(last);
    let start = bucket_of(from).max(end - MAX_BUCKETS as i64 + 1);
    if start >= end {
        return Ok(None);
    }
    let n = (end - start + 1) as usize;
    let slot = |d: Date| -> Option<usize> {
        let b = bucket_of(d);
        (b >= start).then(|| (b - start) as usize)
    };
    let dropped: u64 = agg
        .countries
        .iter()
        .filter(|((d, _), _)| d.is_some_and(|d| slot(d).is_none()))
        .map(|(_, f)| f.sentiment.count)
        .sum();
    let labels: Vec<String> = (start..=end).map(label_of).collect();

    let mut top_pairs: Vec<&Pair> = pairs.iter().collect();
    top_pairs.sort_by(|a, b| b.events().cmp(&a.events()).then_with(|| key(a).cmp(&key(b))));
    top_pairs.truncate(TREND_SERIES);
    // One pass over the aggregate for all lines (it has a row per date and country).
    let index: BTreeMap<(&str, &str), usize> =
        top_pairs.iter().enumerate().map(|(k, p)| ((p.source.as_str(), p.target.as_str()), k)).collect();
    let mut sums = vec![vec![Sum::default(); n]; top_pairs.len()];
    for ((d, s, t), dy) in &agg.dyads {
        if let (Some(i), Some(&k)) = (d.and_then(slot), index.get(&(s.as_str(), t.as_str()))) {
            sums[k][i].merge(&dy.stance);
        }
    }
    let stance_series: Vec<Series> = top_pairs
        .iter()
        .zip(&sums)
        .map(|(p, sums)| Series {
            name: format!("{} → {}", p.source, p.target),
            points: sums.iter().map(Sum::mean).collect(),
        })
        .collect();
    let mut top_countries: Vec<&Country> = countries.iter().filter(|c| c.figures.sentiment.count > 0).collect();
    top_countries
        .sort_by(|a, b| b.figures.sentiment.count.cmp(&a.figures.sentiment.count).then_with(|| a.code.cmp(&b.code)));
    top_countries.truncate(TREND_SERIES);
    let index: BTreeMap<&str, usize> = top_countries.iter().enumerate().map(|(k, c)| (c.code.as_str(), k)).collect();
    let mut sums = vec![vec![Sum::default(); n]; top_countries.len()];
    for ((d, code), f) in &agg.countries {
        if let (Some(i), Some(&k)) = (d.and_then(slot), index.get(code.as_str())) {
            sums[k][i].merge(&f.sentiment);
        }
    }
    let coverage_series: Vec<Series> = top_countries
        .iter()
        .zip(&sums)
        .map(|(c, sums)| Series { name: c.label(), points: sums.iter().map(Sum::mean).collect() })
        .collect();
    let chart = |series: &[Series], y: &str| -> Result<Option<(String, Vec<String>)>, SummaryError> {
        if series.iter().all(|s| s.points.iter().all(Option::is_none)) {
            return Ok(None);
        }
        let svg = charts::lines(&labels, series, y)?;
        Ok(Some((svg, series.iter().map(|s| s.name.clone()).collect())))
    };
    Ok(Some(Trends {
        bucket: if by_day { "day" } else { "month" },
        first: labels.first().cloned().unwrap_or_default(),
        last: labels.last().cloned().unwrap_or_default(),
        dropped,
        stance: chart(&stance_series, "mean stance")?,
        coverage: chart(&coverage_series, "mean sentiment")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip() {
        for (s, n) in [("1970-01-01", 0), ("2000-03-01", 11_017), ("2024-02-29", 19_782)] {
            let d = Date::parse(s).unwrap();
            assert_eq!(day_number(d), n, "{s}");
            assert_eq!(from_day_number(n), d);
        }
        for n in 0..30_000 {
            assert_eq!(day_number(from_day_number(n)), n);
        }
    }

    #[test]
    fn a_stray_old_date_does_not_stretch_the_axis_and_missing_days_are_gaps() {
        use crate::aggregate::Aggregate;
        let mut agg = Aggregate::default();
        let mut add = |date: &str, code: &str, mentions: u64, total: f64| {
            let f = Figures {
                documents: 1,
                sentiment: Sum { total: crate::aggregate::fixed(total) as i128, count: mentions },
                ..Figures::default()
            };
            agg.countries.insert((Date::parse(date), code.to_string()), f);
        };
        for day in [1, 2, 3, 5, 6] {
            add(&format!("2024-03-{day:02}"), "RUS", 30, -6.0);
        }
        add("2024-03-06", "UKR", 10, 1.0);
        add("2012-01-01", "RUS", 1, 0.0);
        let facts = RunFacts::default();
        let evidence = super::super::Evidence::new();
        let name = |c: &str| c.to_string();
        let input = Input { aggregate: &agg, facts: &facts, evidence: &evidence, country_name: &name };
        let t = View::build(&input).unwrap().trends.unwrap();
        assert_eq!((t.bucket, t.first.as_str(), t.last.as_str(), t.dropped), ("day", "2024-03-01", "2024-03-06", 1));
        let (svg, names) = t.coverage.unwrap();
        assert_eq!(names, ["RUS", "UKR"]);
        // RUS: days 1-3 and 5-6 are two runs (the 4th is a gap); UKR: one dot, no line.
        let rus = super::super::charts::hex(super::super::charts::LINE_COLOURS[0]).to_uppercase();
        assert_eq!(svg.split('<').filter(|t| t.starts_with("polyline") && t.contains(&rus)).count(), 2, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 6, "{svg}");
        assert!(t.stance.is_none());
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
