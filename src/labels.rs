//! Labelled real news, kept by reference: which corpus paragraphs were drawn for labelling, in
//! which split, and the labels readers gave them.
//!
//! The corpus's terms forbid copying its text into the project, so a labelled paragraph is kept as
//! its article id, its 1-based paragraph number (as `score` numbers them in `paragraphs.csv`) and
//! a hash of its text ([`text_hash`]). Loading labels against the corpus re-segments each article
//! and checks the hash: a change of corpus or of segmentation is an error, not silent drift.
//!
//! Splits are by article ([`split_of`]), from a hash of the article id, so every paragraph of an
//! article falls in the same split whatever was sampled, and a rerun draws the same sample.

use std::collections::HashSet;

use crate::corpus::{self, InputFile, Record};
use crate::pipeline::{self, Engines};

/// Where an article's paragraphs go: fixed by its id alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Split {
    Train,
    Dev,
    Test,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Dev => "dev",
            Split::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Split> {
        match s {
            "train" => Some(Split::Train),
            "dev" => Some(Split::Dev),
            "test" => Some(Split::Test),
            _ => None,
        }
    }
}

/// The split of an article: BLAKE3 of `split:` + id, first eight bytes as a number; the lowest
/// 12 % go to test, the next 12 % to dev, the rest to train. Documented in `labels/README.md`.
pub fn split_of(doc_id: &str) -> Split {
    let h = hash_u64("split:", doc_id);
    let bucket = h % 100;
    if bucket < 12 {
        Split::Test
    } else if bucket < 24 {
        Split::Dev
    } else {
        Split::Train
    }
}

/// The first sixteen hex digits of BLAKE3 of a paragraph's text as the pipeline segments it.
pub fn text_hash(text: &str) -> String {
    let h = blake3::hash(text.as_bytes());
    h.to_hex()[..16].to_string()
}

/// A stable 64-bit hash of `salt` + `key` (BLAKE3, little-endian first eight bytes).
pub fn hash_u64(salt: &str, key: &str) -> u64 {
    let mut hasher = blake3::Hasher::new();
    hasher.update(salt.as_bytes());
    hasher.update(key.as_bytes());
    let b = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&b.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

/// One corpus paragraph offered for labelling.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub doc_id: String,
    pub paragraph: u32,
    pub hash: String,
    pub split: Split,
    /// Distinct country/bloc codes the actor stage finds, in first-mention order.
    pub actors: Vec<String>,
    /// The paragraph text: for the labelling files only, never stored in the project.
    pub text: String,
    /// The sampling order: a hash of the key with the sample's seed.
    pub order: u64,
}

/// The documents of `inputs` outside the reserved articles (bad records skipped: sampling
/// needs only what can be scored).
fn documents<'a>(
    inputs: &'a [InputFile],
    reserved: &'a HashSet<String>,
) -> impl Iterator<Item = crate::document::Document> + 'a {
    inputs.iter().flat_map(corpus::open).filter_map(move |r| match r {
        Record::Document(d) if !reserved.contains(&d.id) => Some(d),
        _ => None,
    })
}

/// Every paragraph of the corpus that names at least `min_actors` distinct countries or blocs,
/// outside the reserved articles, with its split and sampling order.
pub fn candidates(
    engines: &Engines,
    inputs: &[InputFile],
    reserved: &HashSet<String>,
    min_actors: usize,
    seed: &str,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    for doc in documents(inputs, reserved) {
        let a = pipeline::analyse(engines, &doc);
        let result = pipeline::process(engines, &doc);
        let split = split_of(&doc.id);
        // `process` numbers paragraphs as the reports do (a skipped oversized paragraph keeps
        // its number); its rows are in the order of `analyse`'s paragraphs.
        for (p, row) in a.paragraphs.iter().zip(&result.paragraphs) {
            let actors: Vec<String> = row.actors.split(';').filter(|s| !s.is_empty()).map(str::to_string).collect();
            if actors.len() < min_actors {
                continue;
            }
            let text = &doc.text[p.span.clone()];
            let key = format!("{}#{}", doc.id, row.paragraph);
            out.push(Candidate {
                doc_id: doc.id.clone(),
                paragraph: row.paragraph,
                hash: text_hash(text),
                split,
                actors,
                text: text.to_string(),
                order: hash_u64(seed, &key),
            });
        }
    }
    out.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.doc_id.cmp(&b.doc_id)));
    out
}

/// One actor mention offered for labelling (coverage sentiment and whether it is the actor).
#[derive(Debug, Clone, PartialEq)]
pub struct MentionCandidate {
    pub doc_id: String,
    pub paragraph: u32,
    /// 1-based sentence in the paragraph.
    pub sentence: u32,
    /// Byte offsets of the mention within the sentence.
    pub start: usize,
    pub end: usize,
    /// [`text_hash`] of the sentence.
    pub hash: String,
    pub split: Split,
    pub actor: String,
    pub country: String,
    pub name: String,
    /// Whether `score` writes it as coverage (false: a place read as only a city).
    pub coverage: bool,
    /// For the labelling files only: the paragraph and the sentence.
    pub paragraph_text: String,
    pub sentence_text: String,
    pub order: u64,
}

/// Every actor mention of the corpus outside the reserved articles, in seeded random order:
/// every mention the lexicon finds, whether or not it counts as coverage (a place the place model
/// reads as only a city is drawn too, with `coverage` false), so that the draw's population and
/// seeded order stay those of earlier rounds and the place model's misses can be judged.
pub fn mention_candidates(
    engines: &Engines,
    inputs: &[InputFile],
    reserved: &HashSet<String>,
    seed: &str,
) -> Vec<MentionCandidate> {
    let mut out = Vec::new();
    for doc in documents(inputs, reserved) {
        out.extend(document_mentions(engines, &doc, seed));
    }
    out.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.doc_id.cmp(&b.doc_id)));
    out
}

/// The mentions of one document as labelling candidates.
fn document_mentions(engines: &Engines, doc: &crate::document::Document, seed: &str) -> Vec<MentionCandidate> {
    let a = pipeline::analyse(engines, doc);
    let numbers = pipeline::paragraph_numbers(&a);
    let split = split_of(&doc.id);
    a.actors
        .mentions
        .iter()
        .map(|m| {
            let para = &a.paragraphs[m.paragraph as usize];
            let sent = para.sentences[m.sentence as usize].clone();
            let actor = a.actors.actor(&engines.lexicon, m.actor);
            let (paragraph, sentence) = (numbers[m.paragraph as usize], m.sentence + 1);
            let key = format!("{}#{}#{}#{}", doc.id, paragraph, sentence, m.span.start - sent.start);
            MentionCandidate {
                doc_id: doc.id.clone(),
                paragraph,
                sentence,
                start: m.span.start - sent.start,
                end: m.span.end - sent.start,
                hash: text_hash(&doc.text[sent.clone()]),
                split,
                actor: actor.id.clone(),
                country: actor.country.clone(),
                name: actor.name.clone(),
                coverage: m.coverage,
                paragraph_text: doc.text[para.span.clone()].to_string(),
                sentence_text: doc.text[sent].to_string(),
                order: hash_u64(seed, &key),
            }
        })
        .collect()
}

/// Reads a list of article ids, one per line (blank lines and `#` comments skipped).
pub fn read_id_list(text: &str) -> HashSet<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_fixed_by_id_and_roughly_proportioned() {
        assert_eq!(split_of("abc"), split_of("abc"));
        let mut counts = [0usize; 3];
        for i in 0..10_000 {
            let s = split_of(&format!("doc{i}"));
            counts[s as usize] += 1;
        }
        // 76 / 12 / 12 %, within sampling noise.
        assert!((7_300..7_900).contains(&counts[0]), "{counts:?}");
        assert!((1_050..1_350).contains(&counts[1]), "{counts:?}");
        assert!((1_050..1_350).contains(&counts[2]), "{counts:?}");
    }

    #[test]
    fn text_hash_is_sixteen_hex_digits_and_changes_with_text() {
        let a = text_hash("Russia condemned the strike.");
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, text_hash("Russia condemned the strike"));
    }

    #[test]
    fn id_list_skips_comments_and_blanks() {
        let ids = read_id_list("# reserved\nabc\n\n  def  \n");
        assert_eq!(ids.len(), 2);
        assert!(ids.contains("def"));
    }
}

/// How sure a labelled pair is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Both labellers of a doubly labelled paragraph gave it, with the same sign.
    Gold,
    /// Only one of the two gave it (or they differ in sign): counted neither way.
    Uncertain,
    /// Training data: labelled once.
    Single,
}

/// One ordered country pair a labeller gave for a paragraph.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledPair {
    pub source: String,
    pub target: String,
    pub sign: i8,
    pub status: Status,
}

/// A labelled corpus paragraph (possibly with no pairs).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledParagraph {
    pub doc_id: String,
    pub paragraph: u32,
    pub hash: String,
    pub split: Split,
    pub labellers: u8,
    pub pairs: Vec<LabelledPair>,
}

/// A problem in a label file, with its file and 1-based line.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct LabelError {
    pub file: String,
    pub line: u64,
    pub message: String,
}

/// Reads `DIR/paragraphs.csv` and `DIR/pairs.csv` (see `labels/README.md`). Every pair must
/// belong to a listed paragraph; every paragraph's split must be its article's.
pub fn load_stance(dir: &std::path::Path) -> Result<Vec<LabelledParagraph>, LabelError> {
    let read = |name: &str| -> Result<(String, Vec<(u64, csv::StringRecord)>), LabelError> {
        let path = dir.join(name);
        let file = path.display().to_string();
        let err = |line: u64, message: String| LabelError { file: file.clone(), line, message };
        let text = std::fs::read_to_string(&path).map_err(|e| err(0, e.to_string()))?;
        let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        let mut rows = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| err(e.position().map_or(0, |p| p.line()), e.to_string()))?;
            rows.push((rec.position().map_or(0, |p| p.line()), rec));
        }
        Ok((file, rows))
    };
    let (pfile, prows) = read("paragraphs.csv")?;
    let mut out: Vec<LabelledParagraph> = Vec::with_capacity(prows.len());
    let mut index: std::collections::HashMap<(String, u32), usize> = std::collections::HashMap::new();
    for (line, r) in prows {
        let err = |message: String| LabelError { file: pfile.clone(), line, message };
        if r.len() != 5 {
            return Err(err(format!("expected 5 fields, found {}", r.len())));
        }
        let paragraph: u32 = r[1].parse().map_err(|_| err(format!("paragraph `{}` is not a number", &r[1])))?;
        let split = Split::parse(&r[3]).ok_or_else(|| err(format!("split `{}` is not train/dev/test", &r[3])))?;
        if split != split_of(&r[0]) {
            return Err(err(format!("article {} belongs to split {}", &r[0], split_of(&r[0]).name())));
        }
        let labellers: u8 =
            r[4].parse().ok().filter(|n| (1..=2).contains(n)).ok_or_else(|| err("labellers must be 1 or 2".into()))?;
        if index.insert((r[0].to_string(), paragraph), out.len()).is_some() {
            return Err(err(format!("paragraph {}#{} listed twice", &r[0], paragraph)));
        }
        out.push(LabelledParagraph {
            doc_id: r[0].to_string(),
            paragraph,
            hash: r[2].to_string(),
            split,
            labellers,
            pairs: Vec::new(),
        });
    }
    let (qfile, qrows) = read("pairs.csv")?;
    for (line, r) in qrows {
        let err = |message: String| LabelError { file: qfile.clone(), line, message };
        if r.len() != 6 {
            return Err(err(format!("expected 6 fields, found {}", r.len())));
        }
        let paragraph: u32 = r[1].parse().map_err(|_| err(format!("paragraph `{}` is not a number", &r[1])))?;
        let &i =
            index.get(&(r[0].to_string(), paragraph)).ok_or_else(|| err("pair of an unlisted paragraph".into()))?;
        let sign: i8 =
            r[4].parse().ok().filter(|s| *s == 1 || *s == -1).ok_or_else(|| err("sign must be 1 or -1".into()))?;
        let status = match &r[5] {
            "gold" => Status::Gold,
            "uncertain" => Status::Uncertain,
            "single" => Status::Single,
            s => return Err(err(format!("status `{s}` is not gold/uncertain/single"))),
        };
        if r[2] == r[3] {
            return Err(err("a pair needs two different actors".into()));
        }
        out[i].pairs.push(LabelledPair { source: r[2].to_string(), target: r[3].to_string(), sign, status });
    }
    Ok(out)
}

#[cfg(test)]
mod load_tests {
    use super::*;

    fn write(dir: &std::path::Path, paragraphs: &str, pairs: &str) {
        std::fs::write(dir.join("paragraphs.csv"), paragraphs).unwrap();
        std::fs::write(dir.join("pairs.csv"), pairs).unwrap();
    }

    #[test]
    fn loads_labels_and_names_the_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let id = (0..).map(|i| format!("doc{i}")).find(|d| split_of(d) == Split::Dev).unwrap();
        let ph = "doc_id,paragraph,hash,split,labellers\n";
        let qh = "doc_id,paragraph,source,target,sign,status\n";
        write(dir.path(), &format!("{ph}{id},3,abcd,dev,2\n"), &format!("{qh}{id},3,RUS,UKR,-1,gold\n"));
        let l = load_stance(dir.path()).unwrap();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].pairs[0].status, Status::Gold);
        write(dir.path(), &format!("{ph}{id},3,abcd,test,2\n"), qh);
        let e = load_stance(dir.path()).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("belongs to split dev"), "{e}");
        write(dir.path(), &format!("{ph}{id},3,abcd,dev,2\n"), &format!("{qh}{id},3,RUS,UKR,2,gold\n"));
        assert_eq!(load_stance(dir.path()).unwrap_err().line, 2);
        write(dir.path(), &format!("{ph}{id},3,abcd,dev,2\n"), &format!("{qh}{id},4,RUS,UKR,1,gold\n"));
        assert!(load_stance(dir.path()).unwrap_err().message.contains("unlisted"));
    }
}
