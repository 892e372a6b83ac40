//! Evidence for the page: the strongest few stance rows of each directed country pair, kept
//! while rows stream past, so memory grows with the number of pairs (bounded by the country
//! lexicon), never with the corpus.

use crate::document::Date;
use crate::report::StanceRow;
use std::collections::BTreeMap;

/// Sentences kept per pair and sign: the page shows up to this many under each relation.
pub const PER_PAIR: usize = 3;

/// Evidence sentences are cut to this many characters: a page of bounded size, and a row the
/// reader takes in at a glance.
pub const MAX_SENTENCE_CHARS: usize = 400;

/// One evidence sentence of a directed stance event.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    pub doc_id: String,
    pub date: Option<Date>,
    /// The publication (`source` of the article); empty when unknown.
    pub outlet: String,
    pub paragraph: u32,
    pub sentence: u32,
    /// The sentence, cut to [`MAX_SENTENCE_CHARS`].
    pub text: String,
    /// The cue phrases as written, `; `-separated (as in `stances.csv`).
    pub cue: String,
    pub score: f64,
    pub confidence: f64,
}

impl Quote {
    /// Ranking within a pair: the clearer the stance, the better (|score|, then the model's
    /// confidence); among equals the first seen stays first, so the choice follows input order
    /// and not the thread count.
    fn strength(&self) -> (f64, f64) {
        (self.score.abs(), self.confidence)
    }

    fn beats(&self, other: &Quote) -> bool {
        let (a, b) = (self.strength(), other.strength());
        a.0 > b.0 || (a.0 == b.0 && a.1 > b.1)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
struct PairQuotes {
    hostile: Vec<Quote>,
    friendly: Vec<Quote>,
}

/// Top-[`PER_PAIR`] hostile and friendly sentences per directed country pair. Feed rows in input
/// order (the run's writer thread does) and the result is deterministic.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// source country → target country → quotes. Two levels so a lookup borrows `&str`s and
    /// allocates nothing for rows that do not make the cut.
    pairs: BTreeMap<String, BTreeMap<String, PairQuotes>>,
}

impl Evidence {
    pub fn new() -> Evidence {
        Evidence::default()
    }

    /// Offers a row of `stances.csv` from an article published by `outlet`.
    pub fn offer(&mut self, row: &StanceRow, outlet: &str) {
        self.offer_with(&row.source.country, &row.target.country, row.score, row.confidence, || Quote {
            doc_id: row.doc_id.clone(),
            date: row.date,
            outlet: outlet.to_string(),
            paragraph: row.paragraph,
            sentence: row.sentence,
            text: cut(&row.evidence),
            cue: row.cue.clone(),
            score: row.score,
            confidence: row.confidence,
        });
    }

    /// Offers an event of `source → target`; `quote` is only called (and allocates) when the
    /// event makes the pair's top [`PER_PAIR`]. Scores within ±0.05 of zero are neither hostile
    /// nor friendly and are not kept.
    pub fn offer_with(
        &mut self,
        source: &str,
        target: &str,
        score: f64,
        confidence: f64,
        quote: impl FnOnce() -> Quote,
    ) {
        let hostile = score <= -crate::aggregate::SIGN_THRESHOLD;
        if !hostile && score < crate::aggregate::SIGN_THRESHOLD || !score.is_finite() {
            return;
        }
        let probe = Quote {
            doc_id: String::new(),
            date: None,
            outlet: String::new(),
            paragraph: 0,
            sentence: 0,
            text: String::new(),
            cue: String::new(),
            score,
            confidence,
        };
        if let Some(list) = self.pairs.get(source).and_then(|m| m.get(target)).map(|p| side(p, hostile)) {
            if list.len() >= PER_PAIR && !list.iter().any(|q| probe.beats(q)) {
                return;
            }
        }
        let q = quote();
        let pair = self.pairs.entry(source.to_string()).or_default().entry(target.to_string()).or_default();
        let list = if hostile { &mut pair.hostile } else { &mut pair.friendly };
        // The same sentence can carry several events of one country pair (Putin → Kyiv and the
        // Kremlin → Ukraine), and wire copy repeats a sentence in many articles: it is shown
        // once, from its first article.
        if let Some(i) = list.iter().position(|o| o.text == q.text) {
            if q.beats(&list[i]) {
                list.remove(i);
            } else {
                return;
            }
        }
        let at = list.iter().position(|o| q.beats(o)).unwrap_or(list.len());
        if at < PER_PAIR {
            list.insert(at, q);
            list.truncate(PER_PAIR);
        }
    }

    /// The kept sentences of `source → target`, strongest first: the hostile ones or the
    /// friendly ones.
    pub fn quotes(&self, source: &str, target: &str, hostile: bool) -> &[Quote] {
        self.pairs.get(source).and_then(|m| m.get(target)).map(|p| side(p, hostile)).unwrap_or(&[])
    }

    /// Directed pairs with kept sentences.
    pub fn pairs(&self) -> usize {
        self.pairs.values().map(|m| m.len()).sum()
    }
}

fn side(p: &PairQuotes, hostile: bool) -> &[Quote] {
    if hostile {
        &p.hostile
    } else {
        &p.friendly
    }
}

/// The sentence on one line, cut on a character boundary with an ellipsis.
pub(crate) fn cut(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_SENTENCE_CHARS * 4));
    for (n, c) in s.chars().enumerate() {
        if n == MAX_SENTENCE_CHARS {
            out.push('…');
            break;
        }
        out.push(if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') { ' ' } else { c });
    }
    out
}

/// Splits `text` into runs that are, or are not, one of the cue phrases (ASCII case-insensitive;
/// cues are `; `-separated as in `stances.csv`), for highlighting. The runs cover `text` exactly.
pub fn highlight<'t>(text: &'t str, cue: &str) -> Vec<(bool, &'t str)> {
    let lower = text.to_ascii_lowercase();
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for phrase in cue.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let p = phrase.to_ascii_lowercase();
        let mut from = 0;
        while let Some(i) = lower[from..].find(&p) {
            let (s, e) = (from + i, from + i + p.len());
            // Whole words only: "war" is not highlighted inside "warm".
            let word = |i: usize| lower.as_bytes().get(i).is_some_and(|b| b.is_ascii_alphanumeric());
            if (s == 0 || !word(s - 1)) && !word(e) {
                marks.push((s, e));
            }
            from = e;
        }
    }
    marks.sort_unstable();
    let mut runs = Vec::new();
    let mut at = 0;
    for (s, e) in marks {
        if s < at {
            if e > at {
                runs.push((true, &text[at..e]));
                at = e;
            }
            continue;
        }
        if s > at {
            runs.push((false, &text[at..s]));
        }
        runs.push((true, &text[s..e]));
        at = e;
    }
    if at < text.len() {
        runs.push((false, &text[at..]));
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(e: &mut Evidence, s: &str, t: &str, score: f64, id: &str) {
        e.offer_with(s, t, score, 0.5, || Quote {
            doc_id: id.into(),
            date: None,
            outlet: String::new(),
            paragraph: 1,
            sentence: 1,
            text: id.into(),
            cue: String::new(),
            score,
            confidence: 0.5,
        });
    }

    #[test]
    fn keeps_the_strongest_few_per_pair_and_sign_in_input_order_among_equals() {
        let mut e = Evidence::new();
        for (i, score) in [-0.2, -0.9, -0.5, -0.9, -0.1, -0.95, 0.6, 0.01].into_iter().enumerate() {
            offer(&mut e, "RUS", "UKR", score, &format!("d{i}"));
        }
        let ids: Vec<&str> = e.quotes("RUS", "UKR", true).iter().map(|q| q.doc_id.as_str()).collect();
        assert_eq!(ids, ["d5", "d1", "d3"]);
        let ids: Vec<&str> = e.quotes("RUS", "UKR", false).iter().map(|q| q.doc_id.as_str()).collect();
        assert_eq!(ids, ["d6"]);
        assert!(e.quotes("UKR", "RUS", true).is_empty());
        assert_eq!(e.pairs(), 1);
    }

    #[test]
    fn a_sentence_is_kept_once_per_pair() {
        let mut e = Evidence::new();
        offer(&mut e, "RUS", "UKR", -0.5, "same");
        offer(&mut e, "RUS", "UKR", -0.7, "same");
        offer(&mut e, "RUS", "UKR", -0.7, "same");
        offer(&mut e, "RUS", "UKR", -0.6, "other");
        let q = e.quotes("RUS", "UKR", true);
        assert_eq!(q.iter().map(|q| (q.text.as_str(), q.score)).collect::<Vec<_>>(), [("same", -0.7), ("other", -0.6)]);
    }

    #[test]
    fn highlights_whole_cue_words_case_insensitively_and_covers_the_text() {
        let text = "Moscow Condemned the warm talks; it condemned the war.";
        let runs = highlight(text, "condemned; war");
        assert_eq!(runs.iter().map(|r| r.1).collect::<String>(), text);
        let marked: Vec<&str> = runs.iter().filter(|r| r.0).map(|r| r.1).collect();
        assert_eq!(marked, ["Condemned", "condemned", "war"]);
        assert_eq!(highlight("", "x"), vec![]);
        assert_eq!(highlight("Ünïcode pushed back — ok", "pushed back")[1], (true, "pushed back"));
    }

    #[test]
    fn long_sentences_are_cut() {
        assert_eq!(cut(&"é".repeat(1000)).chars().count(), MAX_SENTENCE_CHARS + 1);
        assert_eq!(cut("a\nb"), "a b");
    }
}
