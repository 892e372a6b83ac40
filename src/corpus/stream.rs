//! Byte plumbing shared by every format: a hashing reader over the raw input, transparent gzip
//! decompression on top of it, and a bounded line reader.
//!
//! The layering is `raw input → HashingReader → [MultiGzDecoder] → BufReader → parser`. The hash
//! sits at the bottom so the manifest describes the bytes *as stored* (before gunzip), and it is
//! computed while the parser streams, so a file is read exactly once.

use std::io::{self, BufRead, BufReader, Read};

use flate2::bufread::MultiGzDecoder;

/// Buffer size for both raw and decoded readers: large enough that syscalls and decoder calls
/// are amortised, small enough to be irrelevant next to the record limit.
const BUF_CAPACITY: usize = 256 << 10;

/// The first two bytes of every gzip member (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A `Read` wrapper that feeds every byte it passes on into BLAKE3 and counts them.
///
/// It also remembers whether the underlying reader failed, because a hash over a partially
/// read file must not be reported as the file's hash.
pub(crate) struct HashingReader {
    inner: Box<dyn Read + Send>,
    hasher: blake3::Hasher,
    bytes: u64,
    failed: bool,
    /// Bytes read ahead by [`HashingReader::peek2`] and not yet handed out (already hashed).
    peeked: [u8; 2],
    peeked_pos: usize,
    peeked_len: usize,
}

impl HashingReader {
    pub(crate) fn new(inner: Box<dyn Read + Send>) -> Self {
        HashingReader {
            inner,
            hasher: blake3::Hasher::new(),
            bytes: 0,
            failed: false,
            peeked: [0; 2],
            peeked_pos: 0,
            peeked_len: 0,
        }
    }

    /// Reads up to two bytes ahead (looping over short reads, which pipes produce) so the
    /// caller can sniff the gzip magic without losing them. Must be called before any `read`.
    fn peek2(&mut self) -> io::Result<&[u8]> {
        debug_assert_eq!(self.peeked_pos, 0);
        while self.peeked_len < 2 {
            let mut tmp = [0u8; 2];
            let n = match self.read_inner(&mut tmp[..2 - self.peeked_len]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                break;
            }
            self.peeked[self.peeked_len..self.peeked_len + n].copy_from_slice(&tmp[..n]);
            self.peeked_len += n;
        }
        Ok(&self.peeked[..self.peeked_len])
    }

    fn read_inner(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.hasher.update(&buf[..n]);
                self.bytes += n as u64;
                Ok(n)
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.failed = true;
                }
                Err(e)
            }
        }
    }

    /// Raw bytes read so far.
    pub(crate) fn byte_count(&self) -> u64 {
        self.bytes
    }

    /// True when a read error happened: the hash then covers only part of the input.
    pub(crate) fn failed(&self) -> bool {
        self.failed
    }

    /// Hex BLAKE3 of everything read so far.
    pub(crate) fn hex(&self) -> String {
        self.hasher.finalize().to_hex().to_string()
    }

    /// Reads (and hashes) whatever the parser left unread, so the manifest hash always covers
    /// the whole input even when parsing stopped early (corrupt gzip, oversized `.txt`, bad
    /// CSV header). Bypasses every buffer above it: bytes sitting there were hashed already.
    pub(crate) fn drain(&mut self) -> io::Result<()> {
        if self.failed {
            return Ok(());
        }
        let mut buf = vec![0u8; 64 << 10];
        loop {
            match self.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.peeked_pos < self.peeked_len {
            let n = (self.peeked_len - self.peeked_pos).min(buf.len());
            buf[..n].copy_from_slice(&self.peeked[self.peeked_pos..self.peeked_pos + n]);
            self.peeked_pos += n;
            return Ok(n);
        }
        self.read_inner(buf)
    }
}

/// The decoded byte stream of one input.
pub(crate) enum Source {
    Plain(BufReader<HashingReader>),
    Gzip(BufReader<MultiGzDecoder<BufReader<HashingReader>>>),
}

impl Source {
    /// Wraps a raw reader, decompressing when the name says `.gz` *or* the content starts with
    /// the gzip magic. Sniffing costs nothing and rescues `cat x.jsonl.gz | newsstance -` and
    /// misnamed files; no valid UTF-8 text can start with 0x1f 0x8b, so it cannot misfire.
    /// An empty input is never handed to the gzip decoder, so it reports as "empty input".
    pub(crate) fn new(inner: Box<dyn Read + Send>, gzip_by_name: bool) -> io::Result<Source> {
        let mut raw = HashingReader::new(inner);
        let head = raw.peek2()?;
        let gzip = !head.is_empty() && (gzip_by_name || head == GZIP_MAGIC);
        let buffered = BufReader::with_capacity(BUF_CAPACITY, raw);
        Ok(if gzip {
            Source::Gzip(BufReader::with_capacity(BUF_CAPACITY, MultiGzDecoder::new(buffered)))
        } else {
            Source::Plain(buffered)
        })
    }

    pub(crate) fn raw(&mut self) -> &mut HashingReader {
        match self {
            Source::Plain(r) => r.get_mut(),
            Source::Gzip(r) => r.get_mut().get_mut().get_mut(),
        }
    }

    /// Turns an I/O error seen by a parser into the message for the error row: a failing disk
    /// and a damaged archive call for different fixes, so they are told apart.
    pub(crate) fn describe(&mut self, e: &io::Error) -> super::CorpusError {
        let gzip = matches!(self, Source::Gzip(_));
        if gzip && !self.raw().failed() {
            super::CorpusError::Gzip(e.to_string())
        } else {
            super::CorpusError::Read(e.to_string())
        }
    }
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::Plain(r) => r.read(buf),
            Source::Gzip(r) => r.read(buf),
        }
    }
}

impl BufRead for Source {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            Source::Plain(r) => r.fill_buf(),
            Source::Gzip(r) => r.fill_buf(),
        }
    }
    fn consume(&mut self, amt: usize) {
        match self {
            Source::Plain(r) => r.consume(amt),
            Source::Gzip(r) => r.consume(amt),
        }
    }
}

/// `fill_buf` that retries on `Interrupted`, which signals (e.g. SIGWINCH on a terminal
/// reading stdin) can produce at any time.
pub(crate) fn fill(src: &mut impl BufRead) -> io::Result<&[u8]> {
    // Two calls because the borrow checker cannot return a borrow from inside the retry loop;
    // the second call only hands back the already-filled buffer (never re-reads after EOF,
    // which on a terminal would wait for more input).
    loop {
        match src.fill_buf() {
            Ok([]) => return Ok(&[]),
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    src.fill_buf()
}

/// Outcome of [`read_line`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LineRead {
    /// No more bytes: nothing was read.
    Eof,
    /// A line (without its `\n`) is in the buffer.
    Line,
    /// The line exceeded the limit; it was consumed up to and including its `\n` but not kept.
    TooLong,
}

/// Reads one `\n`-terminated line into `buf` (cleared first), keeping at most `limit` bytes in
/// memory: an oversized line is skipped to the next newline instead of being buffered, so a
/// newline-free multi-gigabyte file cannot exhaust memory.
pub(crate) fn read_line(src: &mut impl BufRead, buf: &mut Vec<u8>, limit: usize) -> io::Result<LineRead> {
    buf.clear();
    let mut any = false;
    let mut too_long = false;
    loop {
        let chunk = fill(src)?;
        if chunk.is_empty() {
            return Ok(match (any, too_long) {
                (false, _) => LineRead::Eof,
                (true, true) => LineRead::TooLong,
                (true, false) => LineRead::Line,
            });
        }
        any = true;
        let (take, newline) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if !too_long {
            if buf.len() + take > limit {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&chunk[..take]);
            }
        }
        src.consume(take + usize::from(newline));
        if newline {
            return Ok(if too_long { LineRead::TooLong } else { LineRead::Line });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A reader that hands out one byte per call, like a slow pipe.
    struct Trickle(Vec<u8>, usize);
    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.1 >= self.0.len() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[self.1];
            self.1 += 1;
            Ok(1)
        }
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn hash_covers_raw_bytes_and_drain_reads_the_rest() {
        let data = b"line one\nline two\nline three\n".to_vec();
        let mut src = Source::new(Box::new(io::Cursor::new(data.clone())), false).unwrap();
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut src, &mut buf, 100).unwrap(), LineRead::Line);
        assert_eq!(buf, b"line one");
        src.raw().drain().unwrap();
        assert_eq!(src.raw().byte_count(), data.len() as u64);
        assert_eq!(src.raw().hex(), blake3::hash(&data).to_hex().to_string());
    }

    #[test]
    fn sniffs_gzip_magic_through_one_byte_reads() {
        let packed = gz(b"hello\nworld\n");
        let mut src = Source::new(Box::new(Trickle(packed.clone(), 0)), false).unwrap();
        assert!(matches!(src, Source::Gzip(_)));
        let mut out = String::new();
        src.read_to_string(&mut out).unwrap();
        assert_eq!(out, "hello\nworld\n");
        assert_eq!(src.raw().hex(), blake3::hash(&packed).to_hex().to_string());
    }

    #[test]
    fn empty_input_is_never_gzip() {
        let src = Source::new(Box::new(io::empty()), true).unwrap();
        assert!(matches!(src, Source::Plain(_)));
    }

    #[test]
    fn overlong_line_is_skipped_to_the_next_newline() {
        let mut data = vec![b'x'; 1000];
        data.extend_from_slice(b"\nshort\nlast-no-newline");
        let mut r = io::BufReader::with_capacity(7, &data[..]);
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut r, &mut buf, 10).unwrap(), LineRead::TooLong);
        assert!(buf.capacity() < 100, "an overlong line must not be buffered");
        assert_eq!(read_line(&mut r, &mut buf, 10).unwrap(), LineRead::Line);
        assert_eq!(buf, b"short");
        assert_eq!(read_line(&mut r, &mut buf, 100).unwrap(), LineRead::Line);
        assert_eq!(buf, b"last-no-newline");
        assert_eq!(read_line(&mut r, &mut buf, 100).unwrap(), LineRead::Eof);
    }

    #[test]
    fn line_at_exactly_the_limit_is_kept() {
        let mut r = io::BufReader::with_capacity(3, &b"abcdef\nabcdefg"[..]);
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut r, &mut buf, 6).unwrap(), LineRead::Line);
        assert_eq!(read_line(&mut r, &mut buf, 6).unwrap(), LineRead::TooLong);
    }
}
