//! Per-stage throughput of the pipeline, on text the project ships, one core.
//!
//! ```sh
//! cargo bench --bench stages                 # every stage
//! cargo bench --bench stages -- stance       # one group (criterion filter)
//! ```
//!
//! The documents are assembled from shipped news-style text only (nothing from the benchmark
//! corpus): the seed article, the 104 paragraphs of `tests/data/stance_paragraphs.jsonl` (20 per
//! document) and the first NewsMTSC sentences of `tests/data/vader/reference.tsv` (2 sentences per
//! paragraph, 22 paragraphs per document, like an average corpus article), ≈400 KB in all.
//!
//! Every group reports `Throughput::Bytes` of the **document text** the stage covers (not, say,
//! the bytes of the mention sentences), so the stages' times per MB add up to roughly the
//! `pipeline` figure, and `1 / thrpt` of a stage is its share of the cost of one input byte. Each
//! stage gets its inputs precomputed by the previous stages outside the timed loop.
//!
//! Clock: by default each sample is the **CPU time of the benchmark thread**
//! (`CLOCK_THREAD_CPUTIME_ID`), not wall time, so the figures read as MB per CPU-second and stay
//! meaningful on a shared, loaded machine (a niced bench on 2 busy cores gets a fraction of a core;
//! wall time would measure the other jobs). `STAGES_CLOCK=wall cargo bench --bench stages` uses
//! criterion's wall clock instead. CPU time leaves out time blocked in the kernel waiting for I/O,
//! which only matters for `csv/rows_finish_publish` (fsync).
//!
//! Groups: `corpus` (reading the documents back from a JSONL file, as `score`'s reader thread
//! does, BLAKE3 of the input included), `segment`, `tone` (VADER per sentence), `actors` (`Lexicon::find`), `stance` (`events`,
//! the pair model's `candidates` and the target model's `score` per mention), `aggregate` (`DocumentAggregator` per document +
//! `Aggregate::merge` in input order), `csv` (`ReportWriter` rows into a temp dir, with and without
//! `finish`, whose aggregate files and fsyncs are a fixed cost per run), `pipeline`
//! (`pipeline::process`, the whole per-document work of `score`).

use std::hint::black_box;
use std::ops::Range;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Bencher, BenchmarkGroup, Criterion, Throughput};
use newsstance::actors::DocActors;
use newsstance::aggregate::{ActorKey, Aggregate, DocumentAggregator};
use newsstance::corpus::{self, InputFile, Record};
use newsstance::document::{Date, Document, Paragraph};
use newsstance::pipeline::{self, DocResult, Engines};
use newsstance::report::ReportWriter;
use newsstance::segment;
use newsstance::stance::{self, StanceEvent};
use newsstance::tone::Scratch;

const SEED: &str = include_str!("../seeds/000_ce661559d7daa382.txt");
const STANCE: &str = include_str!("../tests/data/stance_paragraphs.jsonl");
const REFERENCE: &str = include_str!("../tests/data/vader/reference.tsv");

/// NewsMTSC sentences are rows 0..9546 of `reference.tsv`; the rest are the seed article and
/// hand-written edge cases (one 20,000-character line), which are not news.
const NEWSMTSC_ROWS: usize = 9546;
/// Bytes of NewsMTSC text to use; with the seed and the stance paragraphs ≈400 KB.
const NEWSMTSC_BYTES: usize = 360_000;
const SENTENCES_PER_PARAGRAPH: usize = 2;
const PARAGRAPHS_PER_DOC: usize = 22;
const STANCE_PARAGRAPHS_PER_DOC: usize = 20;

fn doc(id: String, date: Option<Date>, text: String) -> Document {
    Document { id, date, source: "bench".into(), input: "bench".into(), line: 1, text, ..Document::default() }
}

/// The benchmark documents, deterministic.
fn documents() -> Vec<Document> {
    let mut docs = Vec::new();

    // The seed article as `.txt` reads it: title line (and its repeat) dropped.
    let mut lines = SEED.lines().skip_while(|l| l.trim().is_empty());
    let title = lines.next().unwrap_or_default().trim().to_string();
    let body: Vec<&str> = lines.skip_while(|l| l.trim().is_empty() || l.trim() == title).collect();
    docs.push(doc("seed".into(), Date::new(2023, 3, 22), body.join("\n").trim().to_string()));

    // The stance paragraphs, with their dates (the first of each document).
    let records: Vec<(Option<Date>, String)> = STANCE
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("stance_paragraphs.jsonl");
            (v["date"].as_str().and_then(Date::parse), v["text"].as_str().expect("text").to_string())
        })
        .collect();
    for (i, chunk) in records.chunks(STANCE_PARAGRAPHS_PER_DOC).enumerate() {
        let text = chunk.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join("\n\n");
        docs.push(doc(format!("stance-{i}"), chunk[0].0, text));
    }

    // NewsMTSC sentences.
    let mut sentences = Vec::new();
    let mut bytes = 0;
    for line in REFERENCE.lines().skip(1).take(NEWSMTSC_ROWS) {
        let s = line.split('\t').nth(1).expect("reference.tsv sentence").trim();
        if s.is_empty() {
            continue;
        }
        bytes += s.len();
        sentences.push(s);
        if bytes >= NEWSMTSC_BYTES {
            break;
        }
    }
    let paragraphs: Vec<String> = sentences.chunks(SENTENCES_PER_PARAGRAPH).map(|c| c.join(" ")).collect();
    for (i, chunk) in paragraphs.chunks(PARAGRAPHS_PER_DOC).enumerate() {
        docs.push(doc(format!("newsmtsc-{i}"), Date::new(2020, 1, 15), chunk.join("\n\n")));
    }
    docs
}

/// The sentence span of a mention, and its span and the other mentions' spans relative to the
/// sentence.
type MentionInput = (Range<usize>, Range<usize>, Vec<Range<usize>>);

/// Everything the stages compute, so each benchmark times one stage on the outputs of the others.
struct Prepared {
    docs: Vec<Document>,
    paragraphs: Vec<Vec<Paragraph>>,
    actors: Vec<DocActors>,
    events: Vec<Vec<StanceEvent>>,
    /// Per document, per mention: the target model's inputs.
    mentions: Vec<Vec<MentionInput>>,
    results: Vec<DocResult>,
    /// Every stage's output per document, for the stance pair model's candidates.
    analyses: Vec<pipeline::Analysis>,
    text_bytes: u64,
}

fn prepare(engines: &Engines) -> Prepared {
    let docs = documents();
    let paragraphs: Vec<Vec<Paragraph>> = docs.iter().map(|d| segment::segment(&d.text)).collect();
    let actors: Vec<DocActors> =
        docs.iter().zip(&paragraphs).map(|(d, p)| engines.lexicon.find(&d.text, p, d.date)).collect();
    let events = docs
        .iter()
        .zip(&paragraphs)
        .zip(&actors)
        .map(|((d, p), a)| stance::events(&engines.cues, &engines.lexicon, &d.text, p, a))
        .collect();
    // As `pipeline::mention_sentiments` (private) builds the target model's inputs.
    let mentions = paragraphs
        .iter()
        .zip(&actors)
        .map(|(paras, a)| {
            a.mentions
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let sent = paras[m.paragraph as usize].sentences[m.sentence as usize].clone();
                    let others = a
                        .mentions
                        .iter()
                        .enumerate()
                        .filter(|(j, o)| *j != i && o.paragraph == m.paragraph && o.sentence == m.sentence)
                        .map(|(_, o)| o.span.start - sent.start..o.span.end - sent.start)
                        .collect();
                    let target = m.span.start - sent.start..m.span.end - sent.start;
                    (sent, target, others)
                })
                .collect()
        })
        .collect();
    let results = docs.iter().map(|d| pipeline::process(engines, d)).collect();
    let analyses = docs.iter().map(|d| pipeline::analyse(engines, d)).collect();
    let text_bytes = docs.iter().map(|d| d.text.len() as u64).sum();
    Prepared { docs, paragraphs, actors, events, mentions, results, analyses, text_bytes }
}

fn actor_key(engines: &Engines, actors: &DocActors, r: newsstance::actors::ActorRef) -> std::sync::Arc<ActorKey> {
    let a = actors.actor(&engines.lexicon, r);
    std::sync::Arc::new(ActorKey {
        id: a.id.clone(),
        name: a.name.clone(),
        country: a.country.clone(),
        kind: a.kind.as_str().to_string(),
    })
}

/// CPU time consumed by the calling thread so far.
#[cfg(unix)]
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant libc defines.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Times `f` with the thread's CPU clock (the default) or criterion's wall clock
/// (`STAGES_CLOCK=wall`).
fn measure<R>(b: &mut Bencher<'_>, mut f: impl FnMut() -> R) {
    #[cfg(unix)]
    if std::env::var("STAGES_CLOCK").map_or(true, |v| v != "wall") {
        b.iter_custom(|iters| {
            let start = thread_cpu();
            for _ in 0..iters {
                black_box(f());
            }
            thread_cpu() - start
        });
        return;
    }
    b.iter(f);
}

fn group<'a>(c: &'a mut Criterion, name: &str, bytes: u64) -> BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(bytes))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    g
}

fn stages(c: &mut Criterion) {
    let engines = Engines::load(None).expect("embedded lexicons");
    let p = prepare(&engines);
    let sentences: usize = p.paragraphs.iter().flatten().map(|x| x.sentences.len()).sum();
    let mentions: usize = p.actors.iter().map(|a| a.mentions.len()).sum();
    let events: usize = p.events.iter().map(Vec::len).sum();
    eprintln!(
        "stages: {} documents, {} bytes of text, {} paragraphs, {sentences} sentences, {mentions} mentions, \
         {events} stance events",
        p.docs.len(),
        p.text_bytes,
        p.paragraphs.iter().map(Vec::len).sum::<usize>(),
    );
    let n = p.text_bytes;
    let tmp = tempfile::tempdir().expect("temp dir");

    // The documents as a JSONL input, read back as `score` reads it (parse, BLAKE3 of the bytes).
    let jsonl = tmp.path().join("docs.jsonl");
    let mut lines = String::new();
    for d in &p.docs {
        let date = d.date.map(|x| x.to_string());
        let v = serde_json::json!({"id": d.id, "date": date, "source": d.source, "title": "", "text": d.text});
        lines.push_str(&v.to_string());
        lines.push('\n');
    }
    std::fs::write(&jsonl, lines).expect("write docs.jsonl");
    let input = InputFile { path: jsonl.clone(), display: jsonl.display().to_string() };
    let mut g = group(c, "corpus", n);
    g.bench_function("read_jsonl", |b| {
        measure(b, || {
            let mut reader = corpus::open(black_box(&input));
            let docs = reader.by_ref().filter(|r| matches!(r, Record::Document(_))).count();
            assert_eq!(docs, p.docs.len());
            reader.summary().records
        })
    });
    g.finish();

    let mut g = group(c, "segment", n);
    g.bench_function("segment", |b| {
        measure(b, || p.docs.iter().map(|d| segment::segment(black_box(&d.text)).len()).sum::<usize>())
    });
    g.finish();

    let mut g = group(c, "tone", n);
    g.bench_function("polarity_scores", |b| {
        measure(b, || {
            let mut acc = 0.0;
            for (d, paras) in p.docs.iter().zip(&p.paragraphs) {
                for s in paras.iter().flat_map(|x| &x.sentences) {
                    acc += engines.vader.polarity_scores(black_box(&d.text[s.clone()])).compound;
                }
            }
            acc
        })
    });
    g.bench_function("polarity_scores_with", |b| {
        let mut scratch = Scratch::default();
        measure(b, || {
            let mut acc = 0.0;
            for (d, paras) in p.docs.iter().zip(&p.paragraphs) {
                for s in paras.iter().flat_map(|x| &x.sentences) {
                    acc += engines.vader.polarity_scores_with(black_box(&d.text[s.clone()]), &mut scratch).compound;
                }
            }
            acc
        })
    });
    g.finish();

    // Tokenizing + tagging, and tokenizing + tagging + parsing, every sentence of the text: the
    // syntax issue's ratios are against `segment/segment` above (same bytes).
    let mut g = group(c, "syntax", n);
    let syn = &engines.pair.syntax;
    g.bench_function("tag", |b| {
        let mut sc = newsstance::syntax::tagger::Scratch::default();
        let mut spans = Vec::new();
        let mut tags = Vec::new();
        let mut lex = Vec::new();
        measure(b, || {
            let mut words = 0;
            for (d, paras) in p.docs.iter().zip(&p.paragraphs) {
                for s in paras.iter().flat_map(|x| &x.sentences) {
                    newsstance::syntax::tokenize::tokenize(black_box(&d.text), s.clone(), &mut spans);
                    lex.clear();
                    lex.extend(
                        spans
                            .iter()
                            .map(|r| newsstance::syntax::lex::Lex::clustered(&d.text[r.clone()], &syn.clusters)),
                    );
                    syn.tagger.tag(&lex, &mut tags, &mut sc);
                    words += tags.len();
                }
            }
            words
        })
    });
    g.bench_function("tag_and_parse", |b| {
        let mut sc = newsstance::syntax::Scratch::default();
        let mut tree = newsstance::syntax::Tree::default();
        measure(b, || {
            let mut words = 0;
            for (d, paras) in p.docs.iter().zip(&p.paragraphs) {
                for s in paras.iter().flat_map(|x| &x.sentences) {
                    syn.parse(black_box(&d.text), s.clone(), &mut sc, &mut tree);
                    words += tree.words.len();
                }
            }
            words
        })
    });
    g.finish();

    let mut g = group(c, "actors", n);
    g.bench_function("find", |b| {
        measure(b, || {
            p.docs
                .iter()
                .zip(&p.paragraphs)
                .map(|(d, paras)| engines.lexicon.find(black_box(&d.text), paras, d.date).mentions.len())
                .sum::<usize>()
        })
    });
    g.finish();

    let mut g = group(c, "stance", n);
    g.bench_function("events", |b| {
        measure(b, || {
            p.docs
                .iter()
                .zip(&p.paragraphs)
                .zip(&p.actors)
                .map(|((d, paras), a)| {
                    stance::events(&engines.cues, &engines.lexicon, black_box(&d.text), paras, a).len()
                })
                .sum::<usize>()
        })
    });
    g.bench_function("candidates", |b| {
        measure(b, || {
            let mut n = 0;
            for (d, a) in p.docs.iter().zip(&p.analyses) {
                let input = stance::model::DocInput {
                    text: black_box(&d.text),
                    paragraphs: &a.paragraphs,
                    tones: &a.tones,
                    actors: &a.actors,
                    lexicon: &engines.lexicon,
                    sentiments: &a.sentiments,
                    rules: &a.rule_events,
                    eventdata: &engines.pair.eventdata,
                    syntax: &engines.pair.syntax,
                };
                n += stance::model::candidates(&input, false).len();
            }
            n
        })
    });
    g.bench_function("target_score", |b| {
        measure(b, || {
            let mut acc = 0.0;
            for (d, ms) in p.docs.iter().zip(&p.mentions) {
                for (sent, target, others) in ms {
                    let s =
                        engines.target.score(&engines.vader, black_box(&d.text[sent.clone()]), target.clone(), others);
                    acc += s.score;
                }
            }
            acc
        })
    });
    g.finish();

    let mut g = group(c, "aggregate", n);
    g.bench_function("document_and_merge", |b| {
        measure(b, || {
            let mut all = Aggregate::default();
            for (i, d) in p.docs.iter().enumerate() {
                let a = &p.actors[i];
                let mut agg = DocumentAggregator::new(d.date);
                for (m, r) in a.mentions.iter().zip(&p.results[i].mentions) {
                    agg.mention(&actor_key(&engines, a, m.actor), r.sentiment);
                }
                for e in &p.events[i] {
                    agg.event(&actor_key(&engines, a, e.source), &actor_key(&engines, a, e.target), e.score);
                }
                all.merge(black_box(agg.finish()));
            }
            all.actors.len()
        })
    });
    g.bench_function("merge_only", |b| {
        measure(b, || {
            let mut all = Aggregate::default();
            for r in &p.results {
                all.merge(black_box(r.aggregate.clone()));
            }
            all.actors.len()
        })
    });
    g.finish();

    let mut merged = Aggregate::default();
    for r in &p.results {
        merged.merge(r.aggregate.clone());
    }
    let country_name = |code: &str| engines.lexicon.country(code).map(|c| c.name.clone()).unwrap_or_default();
    let write_rows = |w: &mut ReportWriter| {
        for r in &p.results {
            for x in &r.paragraphs {
                w.paragraph(x).expect("paragraph row");
            }
            for x in &r.mentions {
                w.mention(x).expect("mention row");
            }
            for x in &r.stances {
                w.stance(x).expect("stance row");
            }
            for x in &r.errors {
                w.error(x).expect("error row");
            }
        }
    };
    let mut g = group(c, "csv", n);
    // Rows only: create the staging folder, write every row, drop (buffers flushed, folder removed).
    g.bench_function("rows", |b| {
        measure(b, || {
            let mut w = ReportWriter::create(&tmp.path().join("reports"), false).expect("writer");
            write_rows(&mut w);
            drop(black_box(w));
        })
    });
    // What a run does: rows, aggregate files, fsync of every file, publish.
    g.bench_function("rows_finish_publish", |b| {
        measure(b, || {
            let mut w = ReportWriter::create(&tmp.path().join("reports"), false).expect("writer");
            write_rows(&mut w);
            let (finished, counts) = w.finish(&merged, &country_name).expect("finish");
            finished.publish().expect("publish");
            counts.len()
        })
    });
    g.finish();

    let mut g = group(c, "pipeline", n);
    g.bench_function("process", |b| {
        measure(b, || p.docs.iter().map(|d| pipeline::process(&engines, black_box(d)).paragraphs.len()).sum::<usize>())
    });
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
