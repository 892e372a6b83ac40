//! One document through every stage: segment → tone → actors → stance → aggregate, producing
//! the report rows of that document and its mergeable aggregate. Pure and thread-safe: the run
//! calls it from rayon workers.

use crate::actors::{self, ActorRef, DocActors, Lexicon, Via};
use crate::aggregate::{ActorKey, Aggregate, DocumentAggregator};
use crate::document::{Document, Paragraph};
use crate::lexicon::{LexiconError, LexiconFile};
use crate::report::{ErrorRow, MentionRow, ParagraphRow, StanceRow};
use crate::segment;
use crate::stance::{self, Cues, StanceEvent};
use crate::tone::{Polarity, Vader};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Paragraphs longer than this (bytes) are reported in `errors.csv` and skipped: real dumps
/// contain megabytes of boilerplate in one "paragraph", which is not news and would dominate the
/// run time.
pub const MAX_PARAGRAPH_BYTES: usize = 1 << 20;

/// One loaded part of the engines: the part (None when it failed), its problems, its files.
type Part<T> = (Option<T>, Vec<crate::lexicon::Problem>, Vec<LexiconFile>);

/// Everything loaded once per run and shared by all workers.
pub struct Engines {
    pub vader: Vader,
    pub lexicon: Lexicon,
    pub cues: Cues,
    pub target: stance::target::TargetModel,
    /// Parser, event dictionaries and stance pair model.
    pub pair: stance::model::PairEngine,
    /// The lexicon files used, for the manifest.
    pub files: Vec<crate::lexicon::FileDigest>,
}

impl Engines {
    /// Loads and validates every lexicon from `dir` (embedded copies for absent files).
    pub fn load(dir: Option<&Path>) -> Result<Engines, LexiconError> {
        // The actor lexicon (its automaton) and the target model take most of the start-up
        // time; they are built on two threads while this one loads the rest.
        std::thread::scope(|scope| {
            let actors = scope.spawn(|| actors::load(dir));
            let target = scope.spawn(|| {
                dir.map_or_else(|| Ok(stance::target::TargetModel::embedded()), stance::target::TargetModel::load_dir)
            });
            let pair = scope.spawn(|| stance::model::PairEngine::load(dir));
            let rest = Self::load_rest(dir);
            // The loaders do not panic on any input; a panic is a bug, and is passed on.
            let actors = actors.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            let target = target.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            let pair = pair.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            Self::assemble(dir, rest, actors, target, pair)
        })
    }

    /// VADER and the cue lexicon, each with its problems and files.
    fn load_rest(dir: Option<&Path>) -> (Part<Vader>, Part<Cues>) {
        let mut vader: Part<Vader> = (None, Vec::new(), Vec::new());
        match dir.map_or_else(|| Ok(Vader::embedded()), Vader::load_dir) {
            Ok(v) => vader.0 = Some(v),
            Err(e) => vader.1.push(crate::lexicon::Problem { file: "vader".into(), line: 0, message: e.to_string() }),
        }
        for name in ["vader/vader_lexicon.txt", "vader/emoji_utf8_lexicon.txt"] {
            let embedded = match name {
                "vader/vader_lexicon.txt" => include_str!("../lexicons/vader/vader_lexicon.txt"),
                _ => include_str!("../lexicons/vader/emoji_utf8_lexicon.txt"),
            };
            if let Ok(f) = LexiconFile::read(dir, name, embedded) {
                vader.2.push(f);
            }
        }
        let cues = match Cues::load(dir) {
            Ok((c, f)) => (Some(c), Vec::new(), vec![f]),
            Err(e) => (None, e.problems, Vec::new()),
        };
        (vader, cues)
    }

    /// Puts the loaded parts together (files and problems in the order vader, actors, cues,
    /// target), or reports every problem found in any of them.
    fn assemble(
        dir: Option<&Path>,
        (vader, cues): (Part<Vader>, Part<Cues>),
        actors: Result<actors::LoadedLexicon, LexiconError>,
        target: Result<stance::target::TargetModel, stance::target::TargetModelError>,
        pair: Result<(stance::model::PairEngine, Vec<crate::lexicon::FileDigest>), Vec<crate::lexicon::Problem>>,
    ) -> Result<Engines, LexiconError> {
        let (vader, mut problems, mut files) = vader;
        let lexicon = match actors {
            Ok(l) => {
                files.extend(l.files);
                Some(l.lexicon)
            }
            Err(e) => {
                problems.extend(e.problems);
                None
            }
        };
        let (cues, cue_problems, cue_files) = cues;
        problems.extend(cue_problems);
        files.extend(cue_files);
        let target = match target {
            Ok(t) => Some(t),
            Err(e) => {
                problems.push(crate::lexicon::Problem {
                    file: "target_model.csv".into(),
                    line: 0,
                    message: e.to_string(),
                });
                None
            }
        };
        if let Ok(f) = LexiconFile::read(dir, "target_model.csv", include_str!("../lexicons/target_model.csv")) {
            files.push(f);
        }
        let mut digests: Vec<crate::lexicon::FileDigest> = Vec::new();
        let pair = match pair {
            Ok((p, f)) => {
                digests = f;
                Some(p)
            }
            Err(p) => {
                problems.extend(p);
                None
            }
        };
        match (vader, lexicon, cues, target, pair) {
            (Some(vader), Some(lexicon), Some(cues), Some(target), Some(pair)) if problems.is_empty() => Ok(Engines {
                vader,
                lexicon,
                cues,
                target,
                pair,
                files: files.iter().map(LexiconFile::digest).chain(digests).collect(),
            }),
            _ => Err(LexiconError { problems }),
        }
    }
}

/// The rows and aggregate of one document.
#[derive(Debug, Default)]
pub struct DocResult {
    pub paragraphs: Vec<ParagraphRow>,
    pub mentions: Vec<MentionRow>,
    pub stances: Vec<StanceRow>,
    pub errors: Vec<ErrorRow>,
    pub aggregate: Aggregate,
    /// Where this document's time went.
    pub times: StageTimes,
    /// What the costly stages did in it.
    pub counts: StageCounts,
}

/// What the costly stages did, per document and summed over a run (the manifest's
/// `stage_counts`): the stance candidates the pair model scored and the sentences the syntax
/// stage parsed for them, which is what the `model` and `syntax` times pay for. Unlike the
/// times, the same on every run of the same input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StageCounts {
    pub stance_candidates: u64,
    pub parsed_sentences: u64,
    /// Candidates the sentence reader read (those past its gate).
    pub read_candidates: u64,
    /// Mentions the coverage reader read (those the target model is unsure of).
    pub read_mentions: u64,
}

impl StageCounts {
    pub fn add(&mut self, other: &StageCounts) {
        self.stance_candidates += other.stance_candidates;
        self.parsed_sentences += other.parsed_sentences;
        self.read_candidates += other.read_candidates;
        self.read_mentions += other.read_mentions;
    }
}

/// Time spent per stage, in nanoseconds on the thread that ran it (CPU time unless the thread
/// waited for a core); summed over documents, it shows where a run's time goes (the manifest's
/// `stage_seconds`). One clock read per stage and document: far below the noise of the figures
/// it reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageTimes {
    pub segment: u64,
    pub tone: u64,
    /// Actor matching, role and surname learning included.
    pub actors: u64,
    /// Target-dependent sentiment of each mention.
    pub target: u64,
    /// Directed stance events of the rules (features of the pair model).
    pub events: u64,
    /// Tagging and parsing the sentences that name two countries.
    pub syntax: u64,
    /// The stance pair model: candidates, features and decisions.
    pub model: u64,
    /// The sentence reader beside the pair model (the candidates past its gate).
    pub reader: u64,
    /// The coverage reader beside the target model (the mentions past its gate).
    pub coverage: u64,
    /// Report rows and the document's aggregate.
    pub rows: u64,
    /// CSV encoding of the rows.
    pub encode: u64,
}

/// Seconds per stage, in pipeline order, rounded to the microsecond (a small run takes less than
/// a millisecond in some stages).
impl serde::Serialize for StageTimes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let named = self.named();
        let mut map = serializer.serialize_map(Some(named.len()))?;
        for (stage, ns) in named {
            map.serialize_entry(stage, &((ns as f64 / 1e3).round() / 1e6))?;
        }
        map.end()
    }
}

impl StageTimes {
    /// The stages' names and times, in pipeline order.
    pub fn named(&self) -> [(&'static str, u64); 11] {
        [
            ("segment", self.segment),
            ("tone", self.tone),
            ("actors", self.actors),
            ("target", self.target),
            ("events", self.events),
            ("syntax", self.syntax),
            ("model", self.model),
            ("reader", self.reader),
            ("coverage", self.coverage),
            ("rows", self.rows),
            ("encode", self.encode),
        ]
    }

    pub fn add(&mut self, other: &StageTimes) {
        let StageTimes { segment, tone, actors, target, events, syntax, model, reader, coverage, rows, encode } = other;
        self.segment += segment;
        self.tone += tone;
        self.actors += actors;
        self.target += target;
        self.events += events;
        self.syntax += syntax;
        self.model += model;
        self.reader += reader;
        self.coverage += coverage;
        self.rows += rows;
        self.encode += encode;
    }
}

/// Nanoseconds since the last lap.
pub struct Lap(Instant);

impl Lap {
    pub fn start() -> Lap {
        Lap(Instant::now())
    }

    pub fn lap(&mut self) -> u64 {
        let now = Instant::now();
        let ns = now.duration_since(self.0).as_nanos() as u64;
        self.0 = now;
        ns
    }
}

/// Everything the stages found in one document, before it becomes report rows; `explain`
/// prints it.
pub struct Analysis {
    pub paragraphs: Vec<Paragraph>,
    /// Per paragraph, per sentence.
    pub tones: Vec<Vec<Polarity>>,
    pub actors: DocActors,
    /// Per mention (same order as `actors.mentions`): the final sentiment (the target model's,
    /// combined with the coverage reader's where it read the mention).
    pub sentiments: Vec<stance::target::TargetScore>,
    /// Per mention the coverage reader read: the target model's own probabilities and the
    /// reader's (`explain` prints both); `None` where the target model was sure.
    pub coverage: Vec<Option<([f64; 3], [f32; 3])>>,
    /// The stance pair model's events, with their confidence.
    pub events: Vec<StanceEvent>,
    pub confidence: Vec<f32>,
    /// The rules' events (the model's evidence; `explain` shows them).
    pub rule_events: Vec<StanceEvent>,
    /// The dependency trees of the sentences that were parsed: ((paragraph, sentence), tree).
    pub trees: Vec<((u32, u32), crate::syntax::Tree)>,
    /// The pair model's candidates (with feature names only when asked, for `explain`).
    pub candidates: Vec<stance::model::Candidate>,
    /// Paragraphs skipped for their size: (span, bytes).
    pub oversized: Vec<Range<usize>>,
    pub times: StageTimes,
    pub counts: StageCounts,
}

/// Runs the stages on one document's text.
pub fn analyse(engines: &Engines, doc: &Document) -> Analysis {
    analyse_with(engines, doc, false)
}

/// [`analyse`], keeping the names of each candidate's features when `explain` is set.
pub fn analyse_with(engines: &Engines, doc: &Document, explain: bool) -> Analysis {
    analyse_parsing(engines, doc, explain, Parse::Gated)
}

/// Which sentences the syntax stage parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parse {
    /// Those the pair model's gate lets through (what `score` does).
    Gated,
    /// Every sentence the rules point at, whatever the gate: what training reads, so that the
    /// weights do not depend on the gate of the model they replace.
    All,
}

/// [`analyse_with`], choosing which sentences are parsed.
pub fn analyse_parsing(engines: &Engines, doc: &Document, explain: bool, parse: Parse) -> Analysis {
    analyse_keeping(engines, doc, explain, parse, true)
}

/// [`analyse_parsing`]; without `keep_candidates`, the candidates (a few kilobytes of
/// features each) are dropped once decided, as `score` never reads them.
fn analyse_keeping(engines: &Engines, doc: &Document, explain: bool, parse: Parse, keep_candidates: bool) -> Analysis {
    let text = doc.text.as_str();
    let mut times = StageTimes::default();
    let mut clock = Lap::start();
    let mut paragraphs = segment::segment(text);
    let mut oversized = Vec::new();
    paragraphs.retain(|p| {
        let ok = p.span.len() <= MAX_PARAGRAPH_BYTES;
        if !ok {
            oversized.push(p.span.clone());
        }
        ok
    });
    times.segment = clock.lap();
    let tones: Vec<Vec<Polarity>> = paragraphs
        .iter()
        .map(|p| p.sentences.iter().map(|s| engines.vader.polarity_scores(&text[s.clone()])).collect())
        .collect();
    times.tone = clock.lap();
    let actors = engines.lexicon.find(text, &paragraphs, doc.date);
    times.actors = clock.lap();
    let mut sentiments = mention_sentiments(engines, text, &paragraphs, &tones, &actors);
    times.target = clock.lap();
    let rule_events = stance::events(&engines.cues, &engines.lexicon, text, &paragraphs, &actors);
    times.events = clock.lap();
    let pair = &engines.pair;
    let input = stance::model::DocInput {
        text,
        paragraphs: &paragraphs,
        tones: &tones,
        actors: &actors,
        lexicon: &engines.lexicon,
        sentiments: &sentiments,
        rules: &rule_events,
        eventdata: &pair.eventdata,
        syntax: &pair.syntax,
    };
    let mut candidates = stance::model::candidates(&input, explain);
    times.model = clock.lap();
    let trees: Vec<((u32, u32), crate::syntax::Tree)> = {
        let mut sc = crate::syntax::Scratch::default();
        let gate = (parse == Parse::Gated).then_some(&pair.model);
        stance::model::sentences_to_parse(&actors, &engines.lexicon, &rule_events, &candidates, gate)
            .into_iter()
            .map(|(p, s)| {
                let mut tree = crate::syntax::Tree::default();
                pair.syntax.parse(text, paragraphs[p as usize].sentences[s as usize].clone(), &mut sc, &mut tree);
                ((p, s), tree)
            })
            .collect()
    };
    times.syntax = clock.lap();
    stance::model::add_syntax(&input, &mut candidates, &trees, explain);
    times.model += clock.lap();
    // The pair model's probabilities, once: the reader gate and the decision both read them.
    let pair_probs = stance::model::pair_probs(&pair.model, &candidates);
    let mut reader_scratch = stance::reader::Scratch::default();
    stance::reader::read_candidates(
        &pair.reader,
        &pair.model,
        text,
        &paragraphs,
        &actors,
        &engines.lexicon,
        &mut candidates,
        &pair_probs,
        &mut reader_scratch,
    );
    times.reader = clock.lap();
    let (events, confidence) = stance::model::decide_from(&pair.model, &candidates, &pair_probs).into_iter().unzip();
    times.model += clock.lap();
    // After the pair model: it reads the target model's own labels (its training features).
    let coverage = read_mentions(&pair.coverage, text, &paragraphs, &actors, &mut sentiments);
    times.coverage = clock.lap();
    let counts = StageCounts {
        stance_candidates: candidates.len() as u64,
        parsed_sentences: trees.len() as u64,
        read_candidates: candidates.iter().filter(|c| c.reader.is_some()).count() as u64,
        read_mentions: coverage.iter().filter(|c| c.is_some()).count() as u64,
    };
    if !keep_candidates {
        candidates = Vec::new();
    }
    times.model += clock.lap();
    Analysis {
        paragraphs,
        tones,
        actors,
        sentiments,
        coverage,
        events,
        confidence,
        rule_events,
        trees,
        candidates,
        oversized,
        times,
        counts,
    }
}

/// The target-dependent sentiment toward each mention, from its sentence and the other
/// mentions there. Mentions are sorted by span, so those of one sentence are consecutive and are
/// scored together, with the sentence's compound from the tone stage.
pub fn mention_sentiments(
    engines: &Engines,
    text: &str,
    paragraphs: &[Paragraph],
    tones: &[Vec<Polarity>],
    actors: &DocActors,
) -> Vec<stance::target::TargetScore> {
    let mentions = &actors.mentions;
    let mut out = Vec::with_capacity(mentions.len());
    let mut spans: Vec<Range<usize>> = Vec::new();
    let mut i = 0;
    while i < mentions.len() {
        let (p, s) = (mentions[i].paragraph, mentions[i].sentence);
        let n = mentions[i..].iter().take_while(|m| m.paragraph == p && m.sentence == s).count();
        let sent = paragraphs[p as usize].sentences[s as usize].clone();
        spans.clear();
        spans.extend(mentions[i..i + n].iter().map(|m| m.span.start - sent.start..m.span.end - sent.start));
        let compound = tones[p as usize][s as usize].compound;
        engines.target.score_sentence(&engines.vader, &text[sent], compound, &spans, &mut out);
        i += n;
    }
    out
}

/// The coverage reader on the mentions the target model is unsure of ([`CoverageReader::reads`])
/// and that count as coverage ([`crate::actors::Mention::coverage`]):
/// replaces their `sentiments` by the combined scores, labels every mention by the reader's
/// decision rule ([`Shift::label`]), and returns, per mention, the two models' probabilities
/// where it read. Mentions are sorted by span, so those of one sentence are
/// consecutive; the others of a mention are the rest of its sentence's mentions, as the target
/// model's.
///
/// [`CoverageReader::reads`]: stance::coverage::CoverageReader::reads
/// [`Shift::label`]: stance::coverage::Shift::label
pub fn read_mentions(
    reader: &stance::coverage::CoverageReader,
    text: &str,
    paragraphs: &[Paragraph],
    actors: &DocActors,
    sentiments: &mut [stance::target::TargetScore],
) -> Vec<Option<([f64; 3], [f32; 3])>> {
    let mentions = &actors.mentions;
    let mut out = vec![None; mentions.len()];
    let mut scratch = stance::coverage::Scratch::default();
    let mut spans: Vec<Range<usize>> = Vec::new();
    let mut others: Vec<Range<usize>> = Vec::new();
    let mut i = 0;
    while i < mentions.len() {
        let (p, s) = (mentions[i].paragraph, mentions[i].sentence);
        let n = mentions[i..].iter().take_while(|m| m.paragraph == p && m.sentence == s).count();
        let range = (n > 0 && i + n <= sentiments.len())
            .then(|| paragraphs.get(p as usize).and_then(|para| para.sentences.get(s as usize)))
            .flatten();
        // A mention that is not coverage (a place read as only a city) is not written: not read.
        let wanted = |k: usize, sentiments: &[stance::target::TargetScore]| {
            mentions[i + k].coverage && reader.reads(&sentiments[i + k])
        };
        if let Some(sent) = range.filter(|_| (0..n).any(|k| wanted(k, sentiments))) {
            spans.clear();
            spans.extend(mentions[i..i + n].iter().map(|m| m.span.start - sent.start..m.span.end - sent.start));
            let sentence = &text[sent.clone()];
            for k in 0..n {
                if !wanted(k, sentiments) {
                    continue;
                }
                let linear = sentiments[i + k];
                others.clear();
                others.extend(spans.iter().enumerate().filter(|&(j, _)| j != k).map(|(_, r)| r.clone()));
                let (score, read) = reader.score(linear, sentence, &spans[k], &others, &mut scratch);
                if let Some(r) = read {
                    sentiments[i + k] = score;
                    out[i + k] = Some((linear.probs, r));
                }
            }
        }
        i += n.max(1);
    }
    // The mentions the reader did not read take its decision rule too (read ones have it).
    for (s, read) in sentiments.iter_mut().zip(&out) {
        if read.is_none() {
            *s = reader.decide(*s);
        }
    }
    out
}

/// The report identity of each actor of a document, built once per actor (not per mention).
struct Keys<'a> {
    engines: &'a Engines,
    actors: &'a DocActors,
    keys: Vec<(ActorRef, Arc<ActorKey>)>,
}

impl Keys<'_> {
    fn get(&mut self, r: ActorRef) -> Arc<ActorKey> {
        if let Some((_, k)) = self.keys.iter().find(|(x, _)| *x == r) {
            return Arc::clone(k);
        }
        let a = self.actors.actor(&self.engines.lexicon, r);
        let key = Arc::new(ActorKey {
            id: a.id.clone(),
            name: a.name.clone(),
            country: a.country.clone(),
            kind: a.kind.as_str().to_string(),
        });
        self.keys.push((r, Arc::clone(&key)));
        key
    }
}

/// The 1-based number of each analysed paragraph in the body, as the reports give it: a skipped
/// oversized paragraph keeps its number.
pub fn paragraph_numbers(a: &Analysis) -> Vec<u32> {
    a.paragraphs
        .iter()
        .enumerate()
        .map(|(i, p)| (i + 1 + a.oversized.iter().filter(|o| o.start < p.span.start).count()) as u32)
        .collect()
}

/// Runs one document through every stage and builds its rows.
pub fn process(engines: &Engines, doc: &Document) -> DocResult {
    let a = analyse_keeping(engines, doc, false, Parse::Gated, false);
    let mut clock = Lap::start();
    let text = doc.text.as_str();
    let mut r = DocResult::default();
    for span in &a.oversized {
        r.errors.push(ErrorRow {
            input: doc.input.clone(),
            line: doc.line,
            record_id: doc.id.clone(),
            error: format!(
                "paragraph at byte {} has {} bytes, over the limit of {MAX_PARAGRAPH_BYTES}: skipped",
                span.start,
                span.len()
            ),
        });
    }
    let numbers = paragraph_numbers(&a);
    // Paragraph rows.
    let mut m = 0;
    for (p, _) in a.paragraphs.iter().enumerate() {
        let tones = &a.tones[p];
        let n = tones.len().max(1) as f64;
        let mean = |f: fn(&Polarity) -> f64| tones.iter().map(f).sum::<f64>() / n;
        let mut codes: Vec<&str> = Vec::new();
        while m < a.actors.mentions.len() && a.actors.mentions[m].paragraph as usize == p {
            let c = a.actors.actor(&engines.lexicon, a.actors.mentions[m].actor).country.as_str();
            if a.actors.mentions[m].coverage && !codes.contains(&c) {
                codes.push(c);
            }
            m += 1;
        }
        r.paragraphs.push(ParagraphRow {
            doc_id: doc.id.clone(),
            date: doc.date,
            source: doc.source.clone(),
            paragraph: numbers[p],
            sentences: tones.len() as u32,
            tone: mean(|t| t.compound),
            positive: mean(|t| t.pos),
            neutral: mean(|t| t.neu),
            negative: mean(|t| t.neg),
            actors: codes.join(";"),
        });
    }
    let mut agg = DocumentAggregator::new(doc.date);
    let mut keys = Keys { engines, actors: &a.actors, keys: Vec::new() };
    // A place mention read as only a city is not coverage of its country (`actors::place`).
    for (mention, s) in a.actors.mentions.iter().zip(&a.sentiments).filter(|(m, _)| m.coverage) {
        let key = keys.get(mention.actor);
        agg.mention(&key, s.score);
        r.mentions.push(MentionRow {
            doc_id: doc.id.clone(),
            date: doc.date,
            paragraph: numbers[mention.paragraph as usize],
            sentence: mention.sentence + 1,
            alias: text[mention.span.clone()].to_string(),
            sentiment: s.score,
            label: s.label.as_str(),
            confidence: s.probs[s.label.index()],
            found_by: match mention.via {
                Via::Alias => "lexicon",
                Via::Role => "role",
                Via::Name => "name",
            },
            actor: key,
        });
    }
    for (e, &confidence) in a.events.iter().zip(&a.confidence) {
        let source = keys.get(e.source);
        let target = keys.get(e.target);
        agg.event(&source, &target, e.score);
        let sent = a.paragraphs[e.paragraph as usize].sentences[e.sentence as usize].clone();
        r.stances.push(StanceRow {
            doc_id: doc.id.clone(),
            date: doc.date,
            paragraph: numbers[e.paragraph as usize],
            sentence: e.sentence + 1,
            source,
            target,
            score: e.score,
            cue: e.cues.clone(),
            evidence: text[sent].to_string(),
            source_rule: e.rule.as_str(),
            confidence: confidence as f64,
        });
    }
    r.aggregate = agg.finish();
    r.times = a.times;
    r.counts = a.counts;
    r.times.rows = clock.lap();
    r
}
