//! Reading and writing CoNLL-U, the Universal Dependencies file format.
//!
//! Only what training and evaluation need is kept: the surface words of each sentence (range
//! lines `3-4` of multi-word tokens and empty nodes `5.1` are skipped, as the CoNLL 2018
//! evaluation does when tokenization is gold), their UPOS, XPOS, head and relation.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

/// One word of a treebank sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeWord {
    pub form: String,
    pub upos: String,
    pub xpos: String,
    /// 0 for the root, else the 1-based index of the head word.
    pub head: u32,
    pub deprel: String,
}

/// One sentence of a treebank.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TreeSentence {
    pub id: String,
    pub words: Vec<TreeWord>,
}

/// A CoNLL-U problem, with its 1-based line.
#[derive(Debug, thiserror::Error)]
pub enum ConlluError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}:{line}: {message}")]
    Line { path: String, line: usize, message: String },
}

/// Reads a `.conllu` or `.conllu.gz` file.
pub fn read_file(path: &Path) -> Result<Vec<TreeSentence>, ConlluError> {
    let io = |source| ConlluError::Io { path: path.display().to_string(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut text = String::new();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::MultiGzDecoder::new(file).read_to_string(&mut text).map_err(io)?;
    } else {
        std::io::BufReader::new(file).read_to_string(&mut text).map_err(io)?;
    }
    parse(&text, &path.display().to_string())
}

/// Parses CoNLL-U text; `path` names it in errors.
pub fn parse(text: &str, path: &str) -> Result<Vec<TreeSentence>, ConlluError> {
    let mut out = Vec::new();
    let mut cur = TreeSentence::default();
    let err = |line: usize, message: String| ConlluError::Line { path: path.to_string(), line, message };
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            if !cur.words.is_empty() {
                check_heads(&cur).map_err(|m| err(n, m))?;
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            if let Some(id) = c.trim().strip_prefix("sent_id = ") {
                cur.id = id.to_string();
            }
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 10 {
            return Err(err(n, format!("expected 10 tab-separated columns, found {}", cols.len())));
        }
        if cols[0].contains('-') || cols[0].contains('.') {
            continue;
        }
        let id: usize = cols[0].parse().map_err(|_| err(n, format!("bad word id `{}`", cols[0])))?;
        if id != cur.words.len() + 1 {
            return Err(err(n, format!("word id {id} out of sequence")));
        }
        let head: u32 =
            if cols[6] == "_" { 0 } else { cols[6].parse().map_err(|_| err(n, format!("bad head `{}`", cols[6])))? };
        cur.words.push(TreeWord {
            form: cols[1].to_string(),
            upos: cols[3].to_string(),
            xpos: cols[4].to_string(),
            head,
            deprel: cols[7].to_string(),
        });
    }
    if !cur.words.is_empty() {
        check_heads(&cur).map_err(|m| err(text.lines().count(), m))?;
        out.push(cur);
    }
    Ok(out)
}

fn check_heads(s: &TreeSentence) -> Result<(), String> {
    let n = s.words.len() as u32;
    match s.words.iter().find(|w| w.head > n) {
        Some(w) => Err(format!("head {} beyond the sentence's {n} words", w.head)),
        None => Ok(()),
    }
}

/// Writes one sentence as CoNLL-U (lemma and features left `_`), with `# text` when given.
pub fn write_sentence(out: &mut String, id: &str, text: Option<&str>, words: &[TreeWord]) {
    if !id.is_empty() {
        let _ = writeln!(out, "# sent_id = {id}");
    }
    if let Some(t) = text {
        let _ = writeln!(out, "# text = {}", t.replace(['\n', '\r'], " "));
    }
    for (i, w) in words.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}\t{}\t_\t{}\t{}\t_\t{}\t{}\t_\t_",
            i + 1,
            w.form.replace(['\t', '\n', '\r'], " "),
            w.upos,
            w.xpos,
            w.head,
            w.deprel
        );
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# sent_id = s1\n# text = I don't.\n1\tI\tI\tPRON\tPRP\t_\t3\tnsubj\t_\t_\n2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n2\tdo\tdo\tAUX\tVBP\t_\t0\troot\t_\t_\n3\tn't\tnot\tPART\tRB\t_\t2\tadvmod\t_\t_\n3.1\tx\t_\t_\t_\t_\t_\t_\t_\t_\n4\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_\n\n";

    #[test]
    fn reads_words_skipping_ranges_and_empty_nodes() {
        let s = parse(SAMPLE, "t").unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].id, "s1");
        let forms: Vec<&str> = s[0].words.iter().map(|w| w.form.as_str()).collect();
        assert_eq!(forms, ["I", "do", "n't", "."]);
        assert_eq!(s[0].words[0].head, 3);
        assert_eq!(s[0].words[1].deprel, "root");
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("1\tI\tI\tPRON\n", "f.conllu").unwrap_err().to_string();
        assert!(e.starts_with("f.conllu:1:"), "{e}");
        let e = parse("1\tI\tI\tPRON\tPRP\t_\t9\tnsubj\t_\t_\n\n", "f").unwrap_err().to_string();
        assert!(e.contains("beyond"), "{e}");
        let e = parse("2\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n", "f").unwrap_err().to_string();
        assert!(e.contains("out of sequence"), "{e}");
    }

    #[test]
    fn writes_what_it_reads() {
        let s = parse(SAMPLE, "t").unwrap();
        let mut out = String::new();
        write_sentence(&mut out, "s1", Some("I don't."), &s[0].words);
        let back = parse(&out, "t").unwrap();
        assert_eq!(back[0].words, s[0].words);
    }
}
