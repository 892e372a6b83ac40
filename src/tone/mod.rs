//! Tone: our own VADER, identical to Python's vaderSentiment 3.3.2.
//!
//! Users check our tone numbers against `SentimentIntensityAnalyzer.polarity_scores`, the
//! reference that papers and notebooks use, so this engine reproduces it exactly: the same
//! tokens (Python's `str.split`, `str.lower`, `str.isupper`), the same rules in the same order
//! (quirks included, see `engine.rs`), the same floating-point operation order and Python's
//! `round`. The crates.io port `vader_sentiment` differs on 13.5 % of news sentences and is
//! non-deterministic; it stays a dev-dependency as the benchmark baseline only.
//!
//! The lexicons are data: the reference files are embedded ([`Vader::embedded`]) and a
//! directory can replace them ([`Vader::load_dir`]) so users can add domain words.
//!
//! Scoring is total (no panic on any `&str`), deterministic, and allocation-free per token: the
//! per-call buffers live in a reusable [`Scratch`].

mod engine;
mod lexicon;
mod pyunicode;
mod rules;
#[allow(clippy::all)]
mod unicode_tables;
mod words;

use std::cell::RefCell;
use std::fmt;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

pub use engine::Scratch;
use lexicon::Tables;

/// The embedded `vader_lexicon.txt` of vaderSentiment 3.3.2 (MIT, see lexicons/vader/LICENSE).
pub const EMBEDDED_LEXICON: &str = include_str!("../../lexicons/vader/vader_lexicon.txt");
/// The embedded `emoji_utf8_lexicon.txt` of vaderSentiment 3.3.2.
pub const EMBEDDED_EMOJI: &str = include_str!("../../lexicons/vader/emoji_utf8_lexicon.txt");

/// File names inside `DIR/vader/` for [`Vader::load_dir`].
const LEXICON_FILE: &str = "vader_lexicon.txt";
const EMOJI_FILE: &str = "emoji_utf8_lexicon.txt";

/// VADER scores of one text, rounded exactly as the reference returns them: neg, neu and pos to
/// 3 decimals, compound to 4 (Python's `round`, i.e. correctly rounded, ties to even).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Polarity {
    pub neg: f64,
    pub neu: f64,
    pub pos: f64,
    pub compound: f64,
}

/// Errors of loading lexicons. Scoring itself cannot fail.
#[derive(Debug, thiserror::Error)]
pub enum ToneError {
    /// A lexicon file or directory could not be read (including non-UTF-8 content).
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A lexicon line is malformed; `line` is 1-based.
    #[error("{name}:{line}: {reason}")]
    Parse { name: String, line: usize, reason: String },
}

/// A VADER analyzer: the lexicons merged into one look-up table. Immutable, `Send + Sync`,
/// meant to be built once and shared by reference across threads.
pub struct Vader {
    tables: Tables,
}

impl fmt::Debug for Vader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vader")
            .field("words", &self.tables.words.len())
            .field("emoji", &self.tables.emoji.len())
            .finish()
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Inputs longer than this release their scratch buffers afterwards, so one huge line does not
/// pin memory in every worker thread for the rest of the run.
const SCRATCH_KEEP_MAX: usize = 1 << 20;

impl Vader {
    /// The analyzer with the reference lexicons compiled into the binary.
    pub fn embedded() -> Vader {
        // The embedded files are fixed at compile time and parsed by a unit test, so this
        // cannot fail at run time.
        Vader::from_sources(
            EMBEDDED_LEXICON,
            "embedded vader_lexicon.txt",
            EMBEDDED_EMOJI,
            "embedded emoji_utf8_lexicon.txt",
        )
        .expect("embedded VADER lexicons parse (checked by tone::tests)")
    }

    /// Builds an analyzer from lexicon texts in the reference's formats:
    /// `word<TAB>valence[<TAB>...]` and `emoji<TAB>description`. The names are used in errors.
    ///
    /// Differences from the reference, which would crash or produce NaN instead: blank lines
    /// are skipped, and a valence must be a finite number within ±1e6 (Rust float syntax, so no
    /// `_` digit separators).
    pub fn from_sources(lexicon: &str, lexicon_name: &str, emoji: &str, emoji_name: &str) -> Result<Vader, ToneError> {
        let lexicon = lexicon::parse_lexicon(lexicon, lexicon_name)?;
        let emoji = lexicon::parse_emoji(emoji, emoji_name)?;
        Ok(Vader { tables: Tables::new(&lexicon, &emoji) })
    }

    /// Loads `DIR/vader/vader_lexicon.txt` and `DIR/vader/emoji_utf8_lexicon.txt`; a file that
    /// does not exist falls back to the embedded one. `DIR` itself must exist, so a mistyped
    /// `--lexicons` path is an error rather than a silent fallback.
    pub fn load_dir(dir: &Path) -> Result<Vader, ToneError> {
        if let Err(source) = std::fs::read_dir(dir) {
            return Err(ToneError::Io { path: dir.to_path_buf(), source });
        }
        let read = |file: &str, embedded: &'static str| -> Result<(String, String), ToneError> {
            let path = dir.join("vader").join(file);
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok((text, path.display().to_string())),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok((embedded.to_owned(), format!("embedded {file}"))),
                Err(source) => Err(ToneError::Io { path, source }),
            }
        };
        let (lexicon, lexicon_name) = read(LEXICON_FILE, EMBEDDED_LEXICON)?;
        let (emoji, emoji_name) = read(EMOJI_FILE, EMBEDDED_EMOJI)?;
        Vader::from_sources(&lexicon, &lexicon_name, &emoji, &emoji_name)
    }

    /// `polarity_scores(text)` of vaderSentiment 3.3.2, with a per-thread [`Scratch`].
    pub fn polarity_scores(&self, text: &str) -> Polarity {
        let scored = SCRATCH.try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => {
                let p = self.tables.score(text, &mut scratch);
                if text.len() > SCRATCH_KEEP_MAX {
                    *scratch = Scratch::default();
                }
                p
            }
            Err(_) => self.tables.score(text, &mut Scratch::default()),
        });
        // Only during thread teardown is the thread-local gone; score with fresh buffers then.
        scored.unwrap_or_else(|_| self.tables.score(text, &mut Scratch::default()))
    }

    /// [`Vader::polarity_scores`] with caller-owned buffers, for tight loops.
    pub fn polarity_scores_with(&self, text: &str, scratch: &mut Scratch) -> Polarity {
        self.tables.score(text, scratch)
    }

    /// Raw lexicon valence of an already lowercased word (`lexicon[word]`), for other stages'
    /// features. Rule words that are not in the lexicon (e.g. "very") return `None`.
    pub fn valence(&self, lowercase_word: &str) -> Option<f64> {
        let word = self.tables.index.word(self.tables.index.find(lowercase_word.as_bytes()));
        (word.flags & words::LEX != 0).then_some(word.valence)
    }

    /// [`Vader::valence`] of a word of `len` bytes (1..=16) given as those bytes zero-padded to
    /// 16, little-endian, so a caller that already holds the word in a register skips
    /// re-encoding it. Any other `len` is `None`.
    // Always inlined: the target model asks it for every word of every scored sentence, and
    // out of line the call's prologue and epilogue were 2.3 M instructions on 400 articles.
    #[inline(always)]
    pub(crate) fn valence_padded(&self, bytes: u128, len: usize) -> Option<f64> {
        if !(1..=words::INLINE_MAX).contains(&len) {
            return None;
        }
        let index = &self.tables.index;
        let word = index.word(index.find_encoded(bytes as u64, (bytes >> 64) as u64, len));
        (word.flags & words::LEX != 0).then_some(word.valence)
    }
}

/// Writes a score the way Python prints a float: shortest round-trip digits, always with a
/// decimal point ("0.0", "1.0", "0.798", "-0.2263"; "-0.0" for a negative compound that rounds
/// to zero, as `round` returns it).
fn write_score<W: Write>(out: &mut W, x: f64) -> io::Result<()> {
    if x == x.trunc() {
        write!(out, "{x:.1}")
    } else {
        write!(out, "{x}")
    }
}

/// The `tone` subcommand's body: scores each line of `input` whole (no sentence splitting) and
/// writes CSV `neg,neu,pos,compound`, header first, one row per line in input order.
///
/// Lines are split on `\n` only, so a `\r` before it is part of the line (it is whitespace to
/// VADER and changes nothing) and other Unicode line breaks do not split. A final line without
/// `\n` still counts; empty input gives the header only. Invalid UTF-8 is decoded lossily (each
/// bad sequence becomes U+FFFD), so any byte stream is accepted. Returns the number of rows.
pub fn write_tone_csv<R: BufRead, W: Write>(vader: &Vader, mut input: R, out: W) -> io::Result<u64> {
    let mut out = BufWriter::new(out);
    out.write_all(b"neg,neu,pos,compound\n")?;
    let mut line = Vec::new();
    let mut scratch = Scratch::default();
    let mut rows = 0u64;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let text = String::from_utf8_lossy(&line);
        let p = vader.polarity_scores_with(&text, &mut scratch);
        for (k, x) in [p.neg, p.neu, p.pos, p.compound].into_iter().enumerate() {
            if k > 0 {
                out.write_all(b",")?;
            }
            write_score(&mut out, x)?;
        }
        out.write_all(b"\n")?;
        rows += 1;
    }
    out.flush()?;
    Ok(rows)
}

#[cfg(test)]
mod tests;
