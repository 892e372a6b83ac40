//! Stage `syntax`: part-of-speech tags and labelled dependency trees, for the stages that must
//! know what attaches to what (the subject of "accused", the agent of a passive, a country that
//! is only the place of an event).
//!
//! Our own tagger ([`tagger`]) and parser ([`parser`]), averaged perceptrons trained on Universal
//! Dependencies English-EWT (`newsstance train syntax`), with weights as data in
//! `lexicons/syntax/` (CC BY-SA 4.0, see the note there). [`tokenize`] splits text into words
//! the way UD does ("Russia's" → "Russia" + "'s", "won't" → "wo" + "n't", hyphens apart), with
//! byte offsets back into the text the other stages use.

pub mod clusters;
pub mod conllu;
pub mod eval;
pub mod lex;
pub mod parser;
pub mod perceptron;
pub mod tagger;
pub mod tokenize;

use std::ops::Range;
use std::path::Path;

use crate::lexicon::{FileDigest, LexiconFile, Problem};
use lex::Lex;
use perceptron::{SectionReader, Weights};
use tagger::Tag;

/// One word of a parsed sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Byte range in the text the sentence came from.
    pub span: Range<usize>,
    pub tag: Tag,
    /// 0 for the root, else the 1-based index of the head word in the sentence.
    pub head: u32,
    pub rel: u16,
}

/// A parsed sentence: its words in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    pub words: Vec<Word>,
}

/// The trained tagger and parser, with their names for tags and relations.
#[derive(Debug, Clone)]
pub struct Syntax {
    pub tagger: tagger::Tagger,
    pub parser: parser::Parser,
    pub clusters: clusters::Clusters,
}

/// Reused buffers: parsing allocates nothing per word once these are warm.
#[derive(Debug, Default)]
pub struct Scratch {
    lex: Vec<Lex>,
    tags: Vec<Tag>,
    arcs: Vec<parser::Arc>,
    spans: Vec<Range<usize>>,
    tag: tagger::Scratch,
    parse: parser::Scratch,
}

/// File names of the weights in the lexicon folder.
pub const TAGGER_FILE: &str = "syntax/tagger.txt.gz";
pub const PARSER_FILE: &str = "syntax/parser.txt.gz";
pub const CLUSTERS_FILE: &str = "clusters.tsv.gz";

const TAGGER_EMBEDDED: &[u8] = include_bytes!("../../lexicons/syntax/tagger.txt.gz");
const PARSER_EMBEDDED: &[u8] = include_bytes!("../../lexicons/syntax/parser.txt.gz");
const CLUSTERS_EMBEDDED: &[u8] = include_bytes!("../../lexicons/clusters.tsv.gz");

impl Syntax {
    /// Part-of-speech tags of a word: (UPOS, XPOS).
    pub fn tag_name(&self, t: Tag) -> (&str, &str) {
        let (u, x) = &self.tagger.tags[t as usize];
        (u, x)
    }

    /// Relation name.
    pub fn rel_name(&self, r: u16) -> &str {
        &self.parser.labels[r as usize]
    }

    /// Index of a relation name, if the parser knows it.
    pub fn rel(&self, name: &str) -> Option<u16> {
        self.parser.labels.iter().position(|l| l == name).map(|i| i as u16)
    }

    /// Tags and parses pre-split words (`words` are their texts).
    pub fn parse_words<'a>(
        &self,
        words: impl Iterator<Item = &'a str>,
        sc: &mut Scratch,
    ) -> (Vec<Tag>, Vec<parser::Arc>) {
        sc.lex.clear();
        sc.lex.extend(words.map(|w| Lex::clustered(w, &self.clusters)));
        self.tagger.tag(&sc.lex, &mut sc.tags, &mut sc.tag);
        self.parser.parse(&sc.lex, &sc.tags, &mut sc.arcs, &mut sc.parse);
        (sc.tags.clone(), sc.arcs.clone())
    }

    /// Tokenizes `text[span]` as UD does, tags and parses it into `out`.
    pub fn parse(&self, text: &str, span: Range<usize>, sc: &mut Scratch, out: &mut Tree) {
        tokenize::tokenize(text, span, &mut sc.spans);
        sc.lex.clear();
        sc.lex.extend(sc.spans.iter().map(|r| Lex::clustered(&text[r.clone()], &self.clusters)));
        self.tagger.tag(&sc.lex, &mut sc.tags, &mut sc.tag);
        self.parser.parse(&sc.lex, &sc.tags, &mut sc.arcs, &mut sc.parse);
        out.words.clear();
        out.words.extend(sc.spans.iter().zip(&sc.tags).zip(&sc.arcs).map(|((s, &tag), a)| Word {
            span: s.clone(),
            tag,
            head: a.head,
            rel: a.label,
        }));
    }

    /// Loads the weights from `dir/syntax/` when present there, else the built-in copies.
    pub fn load(dir: Option<&Path>) -> Result<Syntax, Problem> {
        Syntax::load_with_files(dir).map(|(s, _)| s)
    }

    /// [`Syntax::load`], also returning the files read (for the run manifest).
    pub fn load_with_files(dir: Option<&Path>) -> Result<(Syntax, Vec<FileDigest>), Problem> {
        // The parser's weights take most of the start-up; the tagger's and the word clusters
        // load beside them.
        let (tagger, parser, clusters_file) = std::thread::scope(|scope| {
            let tagger = scope.spawn(|| read_weights_gz(dir, TAGGER_FILE, TAGGER_EMBEDDED, 2));
            let parser = scope.spawn(|| read_weights_gz(dir, PARSER_FILE, PARSER_EMBEDDED, 1));
            let clusters_file = read_gz(dir, CLUSTERS_FILE, CLUSTERS_EMBEDDED).and_then(|file| {
                let clusters =
                    clusters::Clusters::read(&file.text).map_err(|(line, m)| file.problem(line as u64, m))?;
                Ok((clusters, file))
            });
            // The readers do not panic on any input; a panic is a bug, and is passed on.
            let join =
                |h: std::thread::ScopedJoinHandle<'_, _>| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            (join(tagger), join(parser), clusters_file)
        });
        let (clusters, clusters_file) = clusters_file?;
        let want = format!("clusters: {}", clusters_hash(&clusters_file.text));
        let (tagger_sections, tagger_digest) = tagger?;
        let (parser_sections, parser_digest) = parser?;
        let problem = |d: &FileDigest, message: String| Problem { file: d.origin.clone(), line: 1, message };
        for (sections, d) in [(&tagger_sections, &tagger_digest), (&parser_sections, &parser_digest)] {
            if !sections[0].0.contains(&want) {
                return Err(problem(
                    d,
                    format!(
                        "trained with other word clusters than {} (retrain: newsstance train syntax)",
                        clusters_file.origin
                    ),
                ));
            }
        }
        let mut tagger_sections = tagger_sections.into_iter();
        let (header, first) = tagger_sections.next().expect("two sections");
        let (_, second) = tagger_sections.next().expect("two sections");
        let tags: Vec<(String, String)> = names_from(&header)
            .ok_or_else(|| problem(&tagger_digest, "no `# names:` line with the tags".into()))?
            .iter()
            .map(|t| {
                t.split_once('/')
                    .map(|(u, x)| (u.to_string(), x.to_string()))
                    .ok_or_else(|| problem(&tagger_digest, format!("tag `{t}` is not UPOS/XPOS")))
            })
            .collect::<Result<_, _>>()?;
        if first.classes != tags.len() || second.classes != tags.len() {
            return Err(problem(&tagger_digest, "class count differs from the tag list".into()));
        }
        let dict = dictionary_from(&header, &tags).map_err(|(line, message)| Problem {
            file: tagger_digest.origin.clone(),
            line,
            message,
        })?;
        let (header, weights) = parser_sections.into_iter().next().expect("one section");
        let labels =
            names_from(&header).ok_or_else(|| problem(&parser_digest, "no `# names:` line with the labels".into()))?;
        if weights.classes != 1 + 2 * labels.len() {
            return Err(problem(&parser_digest, format!("{} classes for {} labels", weights.classes, labels.len())));
        }
        let root = labels
            .iter()
            .position(|l| l == "root")
            .ok_or_else(|| problem(&parser_digest, "no `root` among the labels".into()))? as u16;
        let coarse = coarse_classes(&tags_names(&tags));
        let syntax = Syntax {
            clusters,
            tagger: tagger::Tagger { tags, first, second, dict },
            parser: parser::Parser { labels, root, coarse, weights },
        };
        Ok((syntax, vec![tagger_digest, parser_digest, clusters_file.digest()]))
    }

    /// Drops the tagger's and the parser's feature rows whose weights are all below
    /// `tagger_min` / `parser_min` in magnitude ([`perceptron::Weights::pruned`]): smaller
    /// tables, so fewer cache misses per lookup, a faster load and a smaller file, for a tenth
    /// of a point of accuracy (the thresholds are chosen on EWT dev, see `train syntax`).
    pub fn prune(&mut self, tagger_min: f32, parser_min: f32) {
        self.tagger.first = self.tagger.first.pruned(tagger_min);
        self.tagger.second = self.tagger.second.pruned(tagger_min);
        self.parser.weights = self.parser.weights.pruned(parser_min);
    }

    /// The two weights files' texts (tagger, parser), with `source` noted in their headers.
    pub fn write(&self, source: &[String]) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
        let tags: Vec<String> = self.tagger.tags.iter().map(|(u, x)| format!("{u}/{x}")).collect();
        let mut t = Vec::new();
        let mut header = source.to_vec();
        header.push(format!("names: {}", tags.join(" ")));
        let dict: Vec<String> =
            self.tagger.dict.words().iter().map(|(w, t)| format!("{w} {}", tags[*t as usize])).collect();
        header.push(format!("dictionary: {}", dict.join(" ")));
        header.push("pass: first".to_string());
        self.tagger.first.write(&header, &mut t)?;
        let mut t2 = Vec::new();
        self.tagger.second.write(&["pass: second".to_string()], &mut t2)?;
        t.extend_from_slice(b"---\n");
        t.extend_from_slice(&t2);
        let mut p = Vec::new();
        let mut header = source.to_vec();
        header.push(format!("names: {}", self.parser.labels.join(" ")));
        self.parser.weights.write(&header, &mut p)?;
        Ok((t, p))
    }
}

/// `UPOS/XPOS` names of tags.
fn tags_names(tags: &[(String, String)]) -> Vec<String> {
    tags.iter().map(|(u, x)| format!("{u}/{x}")).collect()
}

/// The coarse class of each `UPOS/XPOS` tag: the index of its UPOS among the sorted distinct ones.
fn coarse_classes(tags: &[String]) -> Vec<u16> {
    let upos = |t: &String| t.split('/').next().unwrap_or("").to_string();
    let mut distinct: Vec<String> = tags.iter().map(upos).collect();
    distinct.sort();
    distinct.dedup();
    tags.iter().map(|t| distinct.binary_search(&upos(t)).unwrap_or(0) as u16).collect()
}

/// One section of a weights file: its header lines and weights.
type Section = (Vec<String>, Weights);

/// Reads a gzip-compressed weights file of `sections` sections (separated by `---` lines) as a
/// stream on two threads: one inflates it into blocks of whole lines and hashes them (as
/// `LexiconFile::blake3` would hash the text), the other reads the lines into tables
/// ([`SectionReader`]). Inflating and reading each took about half of the parser file's load,
/// so the two threads halve it when a core is free. The text itself is never held whole (the
/// parser's is 80 MB), only the few blocks in flight.
fn read_weights_gz(
    dir: Option<&Path>,
    name: &str,
    embedded: &'static [u8],
    sections: usize,
) -> Result<(Vec<Section>, FileDigest), Problem> {
    let (bytes, origin) = gz_bytes(dir, name, embedded)?;
    let (send, receive) = std::sync::mpsc::sync_channel(BLOCKS_IN_FLIGHT);
    let gz = &bytes[..];
    let (read, hash) = std::thread::scope(|scope| {
        let inflater = scope.spawn(move || inflate_lines(gz, send));
        // Returning drops the receiver, which stops the inflater at its next block.
        let read = read_sections(receive, sections);
        // The inflater does not panic on any input; a panic is a bug, and is passed on.
        (read, inflater.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    });
    let out = read.map_err(|(line, message)| Problem { file: origin.clone(), line: line as u64, message })?;
    Ok((out, FileDigest { name: name.to_string(), origin, blake3: hash.to_hex().to_string() }))
}

/// Bytes of text inflated at a time (a block is cut back to its last whole line).
const BLOCK_BYTES: usize = 1 << 18;
/// Blocks inflated ahead of the reader: about a megabyte at most.
const BLOCKS_IN_FLIGHT: usize = 4;

/// What the inflater sends the reader: whole lines of text, or why the text ends early (after
/// the lines before the one that could not be read).
enum Block {
    Lines(String),
    Unreadable(String),
}

/// Inflates `gz` into blocks of whole lines sent to `out`, and returns the BLAKE3 of the text
/// as its lines give it (each line without its `\n` or `\r\n`, then `\n`).
fn inflate_lines(gz: &[u8], out: std::sync::mpsc::SyncSender<Block>) -> blake3::Hash {
    use std::io::Read;
    let unreadable = |e: &dyn std::fmt::Display| Block::Unreadable(format!("not gzip-compressed UTF-8 text: {e}"));
    let mut decoder = flate2::read::GzDecoder::new(gz);
    let mut hasher = blake3::Hasher::new();
    // The start of a line not yet ended, carried to the next block.
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let mut buf = std::mem::take(&mut carry);
        let old = buf.len();
        buf.reserve(BLOCK_BYTES);
        // On an error, what was inflated before it is in `buf`.
        let (end, failure) = match (&mut decoder).take(BLOCK_BYTES as u64).read_to_end(&mut buf) {
            Ok(n) => (n < BLOCK_BYTES, None),
            Err(e) => (true, Some(e)),
        };
        // Whole lines only, but at the end of the text its last line even without `\n`. The
        // carried part has no `\n`, so only the new bytes are searched.
        let cut = match (end && failure.is_none(), memchr::memrchr(b'\n', &buf[old..])) {
            (true, _) => buf.len(),
            (false, Some(i)) => old + i + 1,
            (false, None) => 0,
        };
        carry = buf.split_off(cut);
        if !buf.is_empty() {
            hash_lines(&mut hasher, &buf);
            match String::from_utf8(buf) {
                Ok(text) => {
                    if out.send(Block::Lines(text)).is_err() {
                        return hasher.finalize();
                    }
                }
                Err(e) => {
                    // The lines before the one with the bad byte, then the error.
                    let valid = e.utf8_error().valid_up_to();
                    let mut bytes = e.into_bytes();
                    bytes.truncate(memchr::memrchr(b'\n', &bytes[..valid]).map_or(0, |i| i + 1));
                    let text = String::from_utf8(bytes).unwrap_or_default();
                    let bad =
                        std::io::Error::new(std::io::ErrorKind::InvalidData, "stream did not contain valid UTF-8");
                    let _ = out.send(Block::Lines(text)).and_then(|()| out.send(unreadable(&bad)));
                    return hasher.finalize();
                }
            }
        }
        if let Some(e) = failure {
            let _ = out.send(unreadable(&e));
        }
        if end {
            return hasher.finalize();
        }
    }
}

/// Adds whole lines (the last may lack its `\n`) to `hasher` as each line's text then `\n`:
/// the bytes themselves unless a line ends in `\r\n` or the last has no `\n`.
fn hash_lines(hasher: &mut blake3::Hasher, text: &[u8]) {
    if memchr::memchr(b'\r', text).is_none() {
        hasher.update(text);
        if !text.ends_with(b"\n") {
            hasher.update(b"\n");
        }
        return;
    }
    for line in text.split_inclusive(|&b| b == b'\n') {
        let line = match line.strip_suffix(b"\n") {
            Some(l) => l.strip_suffix(b"\r").unwrap_or(l),
            None => line,
        };
        hasher.update(line);
        hasher.update(b"\n");
    }
}

/// Reads `sections` weights sections from the blocks of lines the inflater sends. Errors name
/// the 1-based line.
fn read_sections(blocks: std::sync::mpsc::Receiver<Block>, sections: usize) -> Result<Vec<Section>, (usize, String)> {
    let wrong_count = || (1, format!("expected {sections} section(s) separated by `---`"));
    let mut out = Vec::with_capacity(sections);
    let mut reader = SectionReader::default();
    let mut n = 0;
    for block in blocks {
        let text = match block {
            Block::Lines(text) => text,
            Block::Unreadable(message) => return Err((n + 1, message)),
        };
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let (line, next) = match memchr::memchr(b'\n', rest.as_bytes()) {
                Some(i) => (rest[..i].strip_suffix('\r').unwrap_or(&rest[..i]), &rest[i + 1..]),
                None => (rest, ""),
            };
            rest = next;
            n += 1;
            if reader.line(n, line)? {
                out.push(std::mem::take(&mut reader).finish()?);
                if out.len() == sections {
                    return Err(wrong_count());
                }
            }
        }
    }
    out.push(reader.finish()?);
    if out.len() != sections {
        return Err(wrong_count());
    }
    Ok(out)
}

/// The compressed bytes of a lexicon file: from `dir` when there, else the embedded copy.
fn gz_bytes(
    dir: Option<&Path>,
    name: &str,
    embedded: &'static [u8],
) -> Result<(std::borrow::Cow<'static, [u8]>, String), Problem> {
    match dir.map(|d| d.join(name)).filter(|p| p.exists()) {
        Some(p) => Ok((
            std::borrow::Cow::Owned(std::fs::read(&p).map_err(|e| Problem {
                file: p.display().to_string(),
                line: 0,
                message: e.to_string(),
            })?),
            p.display().to_string(),
        )),
        None => Ok((std::borrow::Cow::Borrowed(embedded), format!("embedded:{name}"))),
    }
}

/// The first 16 hex digits of BLAKE3 of the clusters file's text, named in the weights' headers.
pub fn clusters_hash(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex()[..16].to_string()
}

/// Reads a gzip-compressed lexicon file (from `dir` when there, else the embedded copy).
pub fn read_gz(dir: Option<&Path>, name: &str, embedded: &[u8]) -> Result<LexiconFile, Problem> {
    use std::io::Read;
    let (bytes, origin) = match dir.map(|d| d.join(name)).filter(|p| p.exists()) {
        Some(p) => (
            std::fs::read(&p).map_err(|e| Problem {
                file: p.display().to_string(),
                line: 0,
                message: e.to_string(),
            })?,
            p.display().to_string(),
        ),
        None => (embedded.to_vec(), format!("embedded:{name}")),
    };
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).map_err(|e| Problem {
        file: origin.clone(),
        line: 0,
        message: format!("not gzip-compressed UTF-8 text: {e}"),
    })?;
    Ok(LexiconFile { name: name.to_string(), origin, text })
}

/// The tag dictionary of a tagger file's first section: its `# dictionary: WORD UPOS/XPOS ...`
/// header line (none: an empty dictionary). An error names the line (headers are the file's
/// first lines) and the entry.
fn dictionary_from(header: &[String], tags: &[(String, String)]) -> Result<tagger::TagDict, (u64, String)> {
    let Some((i, list)) = header.iter().enumerate().find_map(|(i, h)| h.strip_prefix("dictionary:").map(|l| (i, l)))
    else {
        return Ok(tagger::TagDict::default());
    };
    let line = i as u64 + 1;
    let names = tags_names(tags);
    let tokens: Vec<&str> = list.split_whitespace().collect();
    if tokens.len() % 2 != 0 {
        return Err((line, "the dictionary is not a list of `WORD UPOS/XPOS` pairs".into()));
    }
    let mut words = Vec::with_capacity(tokens.len() / 2);
    let mut seen = std::collections::HashSet::new();
    for pair in tokens.chunks(2) {
        let (w, t) = (pair[0], pair[1]);
        let tag = names
            .iter()
            .position(|n| n == t)
            .ok_or_else(|| (line, format!("dictionary word `{w}`: unknown tag `{t}`")))?;
        if !seen.insert(w) {
            return Err((line, format!("dictionary word `{w}` appears twice")));
        }
        words.push((w.to_string(), tag as Tag));
    }
    Ok(tagger::TagDict::new(words))
}

fn names_from(header: &[String]) -> Option<Vec<String>> {
    header.iter().find_map(|h| h.strip_prefix("names: ")).map(|n| n.split(' ').map(str::to_string).collect())
}

/// Trains the tagger and parser from a UD treebank folder (`train.conllu[.gz]`), `epochs` as
/// chosen on dev. The parser is trained on tags predicted by taggers that did not see the
/// sentence (ten-way jackknifing), so it learns from the tags it will really get.
pub fn train(
    train: &[conllu::TreeSentence],
    clusters: clusters::Clusters,
    tagger_epochs: usize,
    parser_epochs: usize,
) -> Syntax {
    let mut tags: Vec<String> =
        train.iter().flat_map(|s| s.words.iter().map(|w| format!("{}/{}", w.upos, w.xpos))).collect();
    tags.sort();
    tags.dedup();
    let tag_of = |w: &conllu::TreeWord| tags.binary_search(&format!("{}/{}", w.upos, w.xpos)).unwrap_or(0) as Tag;
    let data: Vec<(Vec<Lex>, Vec<Tag>)> = train
        .iter()
        .map(|s| {
            (s.words.iter().map(|w| Lex::clustered(&w.form, &clusters)).collect(), s.words.iter().map(tag_of).collect())
        })
        .collect();
    let names: Vec<(String, String)> = tags
        .iter()
        .map(|t| {
            let (u, x) = t.split_once('/').unwrap_or((t, t));
            (u.to_string(), x.to_string())
        })
        .collect();
    // Jackknifed tags for the parser's training data.
    const FOLDS: usize = 10;
    let mut predicted: Vec<Vec<Tag>> = vec![Vec::new(); data.len()];
    let folds: Vec<Vec<(usize, Vec<Tag>)>> = {
        use rayon::prelude::*;
        (0..FOLDS)
            .into_par_iter()
            .map(|k| {
                let part: Vec<(Vec<Lex>, Vec<Tag>)> =
                    data.iter().enumerate().filter(|(i, _)| i % FOLDS != k).map(|(_, d)| d.clone()).collect();
                let t = tagger::train(names.clone(), &part, tagger_epochs);
                let mut sc = tagger::Scratch::default();
                data.iter()
                    .enumerate()
                    .filter(|(i, _)| i % FOLDS == k)
                    .map(|(i, (lex, _))| {
                        let mut out = Vec::new();
                        t.tag(lex, &mut out, &mut sc);
                        (i, out)
                    })
                    .collect()
            })
            .collect()
    };
    for fold in folds {
        for (i, t) in fold {
            predicted[i] = t;
        }
    }
    let (tagger, parser) = rayon::join(
        || tagger::train(names.clone(), &data, tagger_epochs),
        || {
            let mut labels: Vec<String> = train.iter().flat_map(|s| s.words.iter().map(|w| w.deprel.clone())).collect();
            labels.sort();
            labels.dedup();
            let examples: Vec<parser::Example> = train
                .iter()
                .zip(&data)
                .zip(predicted)
                .map(|((s, (lex, _)), tags)| parser::Example {
                    lex: lex.clone(),
                    tags,
                    heads: s.words.iter().map(|w| w.head).collect(),
                    labels: s.words.iter().map(|w| labels.binary_search(&w.deprel).unwrap_or(0) as u16).collect(),
                })
                .collect();
            parser::train(labels, coarse_classes(&tags), &examples, parser_epochs)
        },
    );
    // The shipped tagger looks unambiguous words up instead of scoring them; the jackknifed
    // taggers above do not, so the parser learns from the tags of the scored tagger (measured
    // on EWT dev with the parser trained so: UPOS 95.32 → 95.30, UAS 85.72 → 85.67).
    let mut tagger = tagger;
    let words = train.iter().flat_map(|s| s.words.iter()).zip(data.iter().flat_map(|(_, t)| t.iter()));
    tagger.dict = tagger::TagDict::new(tagger::dictionary(words.map(|(w, &t)| (w.form.as_str(), t))));
    Syntax { tagger, parser, clusters }
}

/// CoNLL-U of a text: segmented into paragraphs and sentences as `score` does, each sentence
/// tokenized, tagged and parsed. `# sent_id` is `ID/paragraph/sentence`.
pub fn conllu_of_text(syntax: &Syntax, id: &str, text: &str) -> String {
    let mut out = String::new();
    let mut sc = Scratch::default();
    let mut tree = Tree::default();
    for (p, para) in crate::segment::segment(text).iter().enumerate() {
        for (k, s) in para.sentences.iter().enumerate() {
            syntax.parse(text, s.clone(), &mut sc, &mut tree);
            let words: Vec<conllu::TreeWord> = tree
                .words
                .iter()
                .map(|w| {
                    let (u, x) = syntax.tag_name(w.tag);
                    conllu::TreeWord {
                        form: text[w.span.clone()].to_string(),
                        upos: u.to_string(),
                        xpos: x.to_string(),
                        head: w.head,
                        deprel: syntax.rel_name(w.rel).to_string(),
                    }
                })
                .collect();
            let sid = format!("{}{}{}/{}", id, if id.is_empty() { "" } else { "/" }, p + 1, k + 1);
            conllu::write_sentence(&mut out, &sid, Some(&text[s.clone()]), &words);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` gzip-compressed, as a `'static` embedded file.
    fn gz(text: &[u8]) -> &'static [u8] {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, text).unwrap();
        Box::leak(e.finish().unwrap().into_boxed_slice())
    }

    fn read(text: &[u8], sections: usize) -> Result<(Vec<Section>, FileDigest), Problem> {
        read_weights_gz(None, "syntax/test.txt.gz", gz(text), sections)
    }

    /// A weights section of `rows` rows: several megabytes for 60,000, so several blocks.
    fn section(rows: u64) -> String {
        let mut text = "# names: a b c\nclasses\t7\n".to_string();
        for k in 0..rows {
            let f = perceptron::mix(k);
            text.push_str(&format!("{f:016x}\t0:0.{:04} 3:-{}.25 6:1\n", k % 10_000, k % 800));
            if k % 3 == 0 {
                // A longer row, a list of cells, and some padding to fill the blocks.
                text.push_str(&format!("{:016x}\t1:0.5 2:-0.5 4:0.0001 5:-838.8607\n", perceptron::mix(k + (1 << 40))));
            }
        }
        text
    }

    fn written(w: &Weights) -> Vec<u8> {
        let mut buf = Vec::new();
        w.write(&[], &mut buf).unwrap();
        buf
    }

    #[test]
    fn blocks_read_like_one_text() {
        let one = section(60_000);
        assert!(one.len() > 3 * BLOCK_BYTES, "{} bytes", one.len());
        let two = format!("{one}---\n{}", section(2_000));
        let (sections, digest) = read(two.as_bytes(), 2).unwrap();
        assert_eq!(sections.len(), 2);
        for ((header, w), text) in sections.iter().zip([&one[..], &two[one.len() + 4..]]) {
            let (want_header, want) = Weights::read(text).unwrap();
            assert_eq!(header, &want_header);
            assert_eq!(written(w), written(&want));
            assert_eq!(w.memory_bytes(), want.memory_bytes());
        }
        // The digest is that of the text, as the manifest gave it before.
        assert_eq!(digest.blake3, blake3::hash(two.as_bytes()).to_hex().to_string());
        // `\r\n` endings and a last line without its `\n` hash as the lines do.
        let crlf = two.trim_end().replace('\n', "\r\n");
        let (again, digest) = read(crlf.as_bytes(), 2).unwrap();
        assert_eq!(written(&again[0].1), written(&sections[0].1));
        assert_eq!(digest.blake3, blake3::hash(two.as_bytes()).to_hex().to_string());
    }

    #[test]
    fn a_bad_line_in_any_block_names_its_line() {
        let text = section(60_000);
        let lines: Vec<&str> = text.lines().collect();
        for at in [3, 40_000, lines.len()] {
            for bad in ["00000000000000zz\t0:1", "0000000000000001\t9:1", "0000000000000001\t0:1 0:1"] {
                let mut with = lines.clone();
                with[at - 1] = bad;
                let e = read(with.join("\n").as_bytes(), 1).unwrap_err();
                assert_eq!(
                    (e.line, e.file.as_str()),
                    (at as u64, "embedded:syntax/test.txt.gz"),
                    "{bad}: {}",
                    e.message
                );
            }
            // A feature that is there already: the error names its second line.
            let source = if at == lines.len() { 2 } else { lines.len() - 1 };
            let mut with = lines.clone();
            with[at - 1] = lines[source];
            let e = read(with.join("\n").as_bytes(), 1).unwrap_err();
            assert_eq!(e.line, at.max(source + 1) as u64, "{}", e.message);
            assert!(e.message.contains("appears twice"), "{}", e.message);
            // A line that is not UTF-8.
            let mut bytes = with.join("\n").into_bytes();
            let start: usize = lines[..at - 1].iter().map(|l| l.len() + 1).sum();
            bytes[start + 17] = 0xff;
            let e = read(&bytes, 1).unwrap_err();
            assert_eq!(e.line, at as u64, "{}", e.message);
            assert!(e.message.contains("UTF-8"), "{}", e.message);
        }
    }

    /// The tag dictionary header: read into the tagger; a bad entry is an error naming the
    /// header's line and the entry.
    #[test]
    fn the_tag_dictionary_reads_and_bad_entries_name_their_line() {
        let tags: Vec<(String, String)> =
            [("DET", "DT"), ("ADP", "IN")].iter().map(|(u, x)| (u.to_string(), x.to_string())).collect();
        let header = |d: &str| vec!["clusters: x".to_string(), "names: DET/DT ADP/IN".to_string(), d.to_string()];
        let dict = dictionary_from(&header("dictionary: the DET/DT of ADP/IN"), &tags).unwrap();
        assert_eq!(dict.words(), &[("the".to_string(), 0), ("of".to_string(), 1)]);
        assert_eq!(dict.get(Lex::of("of").form), Some(1));
        assert_eq!(dict.get(Lex::of("Of").form), None);
        assert!(dictionary_from(&header("pass: first"), &tags).unwrap().words().is_empty());
        for (bad, says) in [
            ("dictionary: the DET/DT of", "pairs"),
            ("dictionary: the DET/DT of ADP/XX", "unknown tag `ADP/XX`"),
            ("dictionary: the DET/DT the ADP/IN", "`the` appears twice"),
        ] {
            let (line, message) = dictionary_from(&header(bad), &tags).unwrap_err();
            assert_eq!(line, 3, "{bad}");
            assert!(message.contains(says), "{bad}: {message}");
        }
    }

    /// The shipped tagger has its dictionary: frequent words with one tag in EWT train, not the
    /// ambiguous ones ("of" has a few non-ADP tags there).
    #[test]
    fn the_shipped_tagger_has_a_dictionary() {
        let syntax = Syntax::load(None).unwrap();
        let words = syntax.tagger.dict.words();
        assert!(words.len() > 500, "{} words", words.len());
        let tag = |w: &str| words.iter().find(|(x, _)| x == w).map(|&(_, t)| syntax.tag_name(t));
        assert_eq!(tag("the"), Some(("DET", "DT")));
        assert_eq!(tag("and"), Some(("CCONJ", "CC")));
        assert_eq!(tag("they"), Some(("PRON", "PRP")));
        // Ambiguous words are scored.
        assert_eq!(tag("that"), None);
        assert_eq!(tag("to"), None);
        assert_eq!(tag("of"), None);
    }

    #[test]
    fn corrupt_or_missing_sections_are_errors() {
        let text = section(30_000);
        // Cut short: the gzip stream ends early.
        let full = gz(text.as_bytes());
        let e = read_weights_gz(None, "syntax/test.txt.gz", &full[..full.len() / 2], 1).unwrap_err();
        assert!(e.message.contains("not gzip-compressed"), "{}", e.message);
        assert!(e.line > 1000, "line {}", e.line);
        // Not gzip at all.
        let e = read_weights_gz(None, "syntax/test.txt.gz", text.as_bytes().to_vec().leak(), 1).unwrap_err();
        assert_eq!(e.line, 1, "{}", e.message);
        // One section where two are expected, two where one is.
        assert_eq!(read(text.as_bytes(), 2).unwrap_err().line, 1);
        assert_eq!(read(format!("{text}---\n{text}").as_bytes(), 1).unwrap_err().line, 1);
        // A second section with no `classes` line.
        assert_eq!(read(format!("{text}---\n").as_bytes(), 2).unwrap_err().line, 1);
        assert!(read(b"", 1).is_err());
    }
}
