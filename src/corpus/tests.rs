//! Tests of whole inputs through [`open`]: every format's good path and every kind of bad
//! input, plus the fixture folder and a no-panic property over arbitrary bytes.

use std::io::Write;
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::*;

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn file(dir: &Path, name: &str, bytes: &[u8]) -> InputFile {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    InputFile { display: name.to_string(), path }
}

/// Reads an input to the end; checks the summary against what was yielded.
fn read_all(f: &InputFile, limit: usize) -> (Vec<Document>, Vec<RecordError>, InputSummary) {
    let mut r = open_with_limit(f, limit);
    let (mut docs, mut errs) = (Vec::new(), Vec::new());
    for rec in r.by_ref() {
        match rec {
            Record::Document(d) => docs.push(d),
            Record::Error(e) => errs.push(e),
        }
    }
    let s = r.summary();
    assert_eq!(s.records, docs.len() as u64);
    assert_eq!(s.input, f.display);
    if errs.len() as u64 <= MAX_ERRORS_PER_INPUT {
        assert_eq!(s.failed, errs.len() as u64);
    }
    if s.blake3.is_empty() {
        assert_eq!(s.bytes, 0, "no hash means the input was not read");
    } else if let Ok(raw) = std::fs::read(&f.path) {
        assert_eq!(s.bytes, raw.len() as u64);
        assert_eq!(s.blake3, blake3::hash(&raw).to_hex().to_string());
    }
    (docs, errs, s)
}

fn read(dir: &Path, name: &str, bytes: &[u8]) -> (Vec<Document>, Vec<RecordError>) {
    let (d, e, _) = read_all(&file(dir, name, bytes), MAX_RECORD_BYTES);
    (d, e)
}

fn ids(docs: &[Document]) -> Vec<(&str, u64)> {
    docs.iter().map(|d| (d.id.as_str(), d.line)).collect()
}

fn errs(errs: &[RecordError]) -> Vec<(u64, &str, &str)> {
    errs.iter().map(|e| (e.line, e.record_id.as_str(), e.error.as_str())).collect()
}

const JSONL: &str = "\u{feff}{\"id\":\"r1\",\"date\":\"2023-03-21\",\"source\":\"Wire\",\"title\":\"Kremlin talks\",\"text\":\"Russia and China met.\\n\\nWashington objected.\"}\r\n\
\n   \n\
{\"id\":2,\"date\":\"2023-03-22T09:30:00Z\",\"text\":\"Beijing replied.\",\"likes\":[1,{\"a\":null}],\"title\":null}\n\
{\"id\":\"r3\",\"text\":\"No newline at the end.\"}";

#[test]
fn jsonl_good_path_plain_and_gzipped() {
    let t = tempfile::tempdir().unwrap();
    for (name, bytes) in [("a.jsonl", JSONL.as_bytes().to_vec()), ("a.NDJSON.gz", gz(JSONL.as_bytes()))] {
        let (docs, e) = read(t.path(), name, &bytes);
        assert_eq!(e, vec![], "{name}");
        assert_eq!(ids(&docs), [("r1", 1), ("2", 4), ("r3", 5)], "{name}");
        assert_eq!(docs[0].title, "Kremlin talks");
        assert_eq!(docs[0].source, "Wire");
        assert_eq!(docs[0].text, "Russia and China met.\n\nWashington objected.");
        assert_eq!(docs[0].date, Date::new(2023, 3, 21));
        assert_eq!(docs[1].date, Date::new(2023, 3, 22));
        assert_eq!(docs[1].title, "");
        assert_eq!(docs[2].input, name);
    }
}

#[test]
fn jsonl_bad_lines_are_rows_and_reading_goes_on() {
    let t = tempfile::tempdir().unwrap();
    let mut data = Vec::new();
    data.extend_from_slice(b"{\"id\":\"ok1\",\"text\":\"Moscow said.\"}\n");
    data.extend_from_slice(b"{\"id\":\"bad-utf8\",\"text\":\"Caf\xe9 in Paris\"}\n");
    data.extend_from_slice(b"{\"text\":\"No id here.\"}\n");
    data.extend_from_slice(b"{\"id\":\"no-text\",\"title\":\"T\"}\n");
    data.extend_from_slice(b"{\"id\":\"d\",\"text\":\"x\",\"date\":\"March 22\"}\n");
    data.extend_from_slice(b"{\"id\":\"ok2\",\"text\":\"Kyiv answered.\"}\n");
    data.extend_from_slice(b"{\"id\":\"cut\",\"text\":\"The Kremlin\n");
    let (docs, e) = read(t.path(), "bad.jsonl", &data);
    assert_eq!(ids(&docs), [("ok1", 1), ("ok2", 6)]);
    assert_eq!(
        errs(&e),
        [
            (2, "bad-utf8", "invalid UTF-8 at byte 28 of the line"),
            (3, "", "missing required field `id`"),
            (4, "no-text", "missing required field `text`"),
            (5, "d", "unparseable date \"March 22\": expected YYYY-MM-DD or RFC 3339"),
            (7, "", "truncated JSON: the line ends before the object is complete"),
        ]
    );
}

#[test]
fn overlong_line_is_an_error_row_and_the_next_line_is_read() {
    let t = tempfile::tempdir().unwrap();
    let long = format!("{{\"id\":\"big\",\"text\":\"{}\"}}\n", "x".repeat(5000));
    let data = format!("{{\"id\":\"a\",\"text\":\"x\"}}\n{long}{{\"id\":\"b\",\"text\":\"y\"}}\n");
    let f = file(t.path(), "long.jsonl", data.as_bytes());
    let (docs, e, _) = read_all(&f, 1000);
    assert_eq!(ids(&docs), [("a", 1), ("b", 3)]);
    assert_eq!(errs(&e), [(2, "", "record longer than the 1000-byte limit; skipped")]);
}

#[test]
fn nul_bytes_and_control_characters_are_kept_in_every_format() {
    let t = tempfile::tempdir().unwrap();
    let (docs, _) = read(t.path(), "n.jsonl", b"{\"id\":\"n\",\"text\":\"a\\u0000b\\u001bc\"}\n");
    assert_eq!(docs[0].text, "a\0b\u{1b}c");
    let (docs, _) = read(t.path(), "n.csv", b"id,text\nn,a\0b\x1bc\n");
    assert_eq!(docs[0].text, "a\0b\u{1b}c");
    let (docs, _) = read(t.path(), "n.txt", b"Title\0\nBody\0with NUL\x07.\n");
    assert_eq!((docs[0].title.as_str(), docs[0].text.as_str()), ("Title\0", "Body\0with NUL\x07."));
}

#[test]
fn csv_good_path_with_multiline_fields_any_column_order_and_extra_columns() {
    let t = tempfile::tempdir().unwrap();
    let data = "\u{feff}Title,extra,TEXT,id,date,source,url\r\n\
\"Xi, Putin meet\",zz,\"Russia and China\r\n\r\npledged \"\"deep\"\" ties.\",c1,2023-03-21T08:00:00+03:00,Wire,https://x.test/1\r\n\
\r\n\
,,One line.,42,,,\r\n";
    for (name, bytes) in [("a.csv", data.as_bytes().to_vec()), ("a.CSV.GZ", gz(data.as_bytes()))] {
        let (docs, e) = read(t.path(), name, &bytes);
        assert_eq!(e, vec![], "{name}");
        assert_eq!(ids(&docs), [("c1", 2), ("42", 6)]);
        let d = &docs[0];
        assert_eq!(d.title, "Xi, Putin meet");
        assert_eq!(d.text, "Russia and China\r\n\r\npledged \"deep\" ties.");
        assert_eq!((d.date, d.source.as_str(), d.url.as_str()), (Date::new(2023, 3, 21), "Wire", "https://x.test/1"));
        assert_eq!((docs[1].title.as_str(), docs[1].date), ("", None));
    }
}

#[test]
fn csv_bad_rows_are_rows_and_reading_goes_on() {
    let t = tempfile::tempdir().unwrap();
    let data = b"id,text,date\n\
a,short row\n\
b,\"Fine, two\nlines\",2023-01-02\n\
c,x,2023-02-30\n\
,no id,\n\
d,\xff\xfe,\n\
e,\"too\",many,fields\n\
f,last,\n";
    let (docs, e) = read(t.path(), "bad.csv", data);
    assert_eq!(ids(&docs), [("b", 3), ("f", 9)]);
    assert_eq!(
        errs(&e),
        [
            (2, "a", "expected 3 fields (as in the header), found 2"),
            (5, "c", "unparseable date \"2023-02-30\": expected YYYY-MM-DD or RFC 3339"),
            (6, "", "required field `id` is empty"),
            (7, "d", "invalid UTF-8 at byte 0 of the field `text`"),
            (8, "e", "expected 3 fields (as in the header), found 4"),
        ]
    );
}

#[test]
fn csv_file_level_problems_are_one_row_each() {
    let t = tempfile::tempdir().unwrap();
    let (docs, e) = read(t.path(), "h.csv", b"title,body\nA,B\nC,D\n");
    assert!(docs.is_empty());
    assert_eq!(
        errs(&e),
        [(1, "", "CSV header lacks required column(s) `id`, `text` (found: title, body); file skipped")]
    );
    let (_, e) = read(t.path(), "o.csv", b"id,text\n\n");
    assert_eq!(errs(&e), [(0, "", "empty input: CSV header but no rows")]);
    let (docs, e) = read(t.path(), "u.csv", b"id,text\na,ok\nb,\"never closed\nc,gone\n");
    assert_eq!(ids(&docs), [("a", 2)]);
    assert_eq!(
        errs(&e),
        [(3, "", "unterminated quoted field: runs from this record to the end of the input (3 lines); rows after it were not read")]
    );
}

#[test]
fn csv_overlong_record_is_skipped_without_losing_the_next() {
    let t = tempfile::tempdir().unwrap();
    let data = format!("id,text\na,\"{}\"\nb,fine\n", "y\n".repeat(600));
    let f = file(t.path(), "l.csv", data.as_bytes());
    let (docs, e, _) = read_all(&f, 1000);
    assert_eq!(ids(&docs), [("b", 603)]);
    assert_eq!(errs(&e), [(2, "", "record longer than the 1000-byte limit; skipped")]);
}

const SEED_LIKE: &str = "Xi departs Russia but fails to achieve breakthrough in Ukraine conflict\n\n\
Xi departs Russia but fails to achieve breakthrough in Ukraine conflict\n\n\
MOSCOW: Chinese leader Xi Jinping on Wednesday departed Russia.\n\n\
Both leaders did not discuss a Kyiv-proposed peace plan, said Kremlin spokesman Dmitry Peskov.\n";

#[test]
fn txt_good_path_plain_and_gzipped() {
    let t = tempfile::tempdir().unwrap();
    for (name, bytes) in
        [("000_seed.txt", SEED_LIKE.as_bytes().to_vec()), ("000_seed.Txt.gz", gz(SEED_LIKE.as_bytes()))]
    {
        let (docs, e) = read(t.path(), name, &bytes);
        assert_eq!(e, vec![]);
        let d = &docs[0];
        assert_eq!((d.id.as_str(), d.line, d.date), ("000_seed", 1, None));
        assert_eq!(d.title, "Xi departs Russia but fails to achieve breakthrough in Ukraine conflict");
        assert!(d.text.starts_with("MOSCOW: Chinese leader"), "{:?}", d.text);
        assert!(d.text.ends_with("Dmitry Peskov."));
    }
}

#[test]
fn the_real_seed_article_loses_its_repeated_title() {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/000_ce661559d7daa382.txt");
    let f = InputFile { display: "seed".into(), path: seed };
    let (docs, e, _) = read_all(&f, MAX_RECORD_BYTES);
    assert_eq!(e, vec![]);
    assert_eq!(docs[0].id, "000_ce661559d7daa382");
    assert!(docs[0].text.starts_with("MOSCOW:"));
    assert!(!docs[0].text.contains("Xi departs Russia"));
}

#[test]
fn txt_bad_files() {
    let t = tempfile::tempdir().unwrap();
    let (_, e) = read(t.path(), "u.txt", b"Title\n\nBody \xc3\x28 broken\n");
    assert_eq!(errs(&e), [(1, "u", "invalid UTF-8 at byte 12 (line 3)")]);
    let (_, e) = read(t.path(), "t.txt", b"Only a title\n");
    assert_eq!(errs(&e), [(1, "t", "no body text after the title")]);
    let f = file(t.path(), "big.txt", format!("Title\n{}", "z".repeat(2000)).as_bytes());
    let (_, e, s) = read_all(&f, 1000);
    assert_eq!(errs(&e), [(1, "big", "record longer than the 1000-byte limit; skipped")]);
    assert_eq!(s.bytes, 2006, "the unread remainder is still hashed");
}

#[test]
fn empty_inputs_in_every_format() {
    let t = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("e.jsonl", b"".to_vec()),
        ("w.jsonl", b" \n\r\n\t\n".to_vec()),
        ("b.jsonl", b"\xEF\xBB\xBF\n".to_vec()),
        ("e.csv", b"".to_vec()),
        ("w.csv", b"  \n \r\n".to_vec()),
        ("e.txt", b"".to_vec()),
        ("w.txt", b"\n \n\t".to_vec()),
        ("e.jsonl.gz", b"".to_vec()),
        ("z.jsonl.gz", gz(b"")),
        ("y.txt.gz", gz(b"\n\n")),
    ] {
        let (docs, e) = read(t.path(), name, &bytes);
        assert!(docs.is_empty());
        assert_eq!(errs(&e), [(0, "", "empty input")], "{name}");
    }
}

#[test]
fn unsupported_and_missing_inputs_are_error_rows() {
    let t = tempfile::tempdir().unwrap();
    let (docs, e, s) = read_all(&file(t.path(), "notes.md", b"# hi"), MAX_RECORD_BYTES);
    assert!(docs.is_empty());
    assert_eq!(errs(&e), [(0, "", CorpusError::UnsupportedExtension.to_string().as_str())]);
    assert_eq!((s.bytes, s.blake3.as_str(), s.failed), (0, "", 1));
    let missing = InputFile { path: t.path().join("gone.jsonl"), display: "gone.jsonl".into() };
    let (_, e, s) = read_all(&missing, MAX_RECORD_BYTES);
    assert_eq!(e.len(), 1);
    assert!(e[0].error.starts_with("cannot open: No such file"), "{}", e[0].error);
    assert_eq!((e[0].line, s.blake3.as_str()), (0, ""));
}

/// Twenty records, big enough to span several deflate blocks once compressed.
fn many_records() -> Vec<u8> {
    let mut data = Vec::new();
    let mut x: u64 = 7;
    for i in 0..20 {
        let words: String = (0..400)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ["Russia", "China", "Kremlin", "Washington", "talks", "sanctions", "said"][(x >> 60) as usize % 7]
            })
            .collect::<Vec<_>>()
            .join(" ");
        data.extend_from_slice(format!("{{\"id\":\"m{i}\",\"text\":\"{words}\"}}\n").as_bytes());
    }
    data
}

#[test]
fn truncated_gzip_keeps_earlier_records_and_reports_the_line_reached() {
    let t = tempfile::tempdir().unwrap();
    let packed = gz(&many_records());
    let cut = &packed[..packed.len() / 2];
    let (docs, e) = read(t.path(), "cut.jsonl.gz", cut);
    assert!(docs.len() >= 3, "records before the cut are kept ({})", docs.len());
    assert!(docs.len() < 20);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].line, docs.len() as u64 + 1);
    assert!(e[0].error.starts_with("corrupt or truncated gzip data:"), "{}", e[0].error);
}

#[test]
fn corrupt_gzip_keeps_earlier_records_and_reports_one_error() {
    let t = tempfile::tempdir().unwrap();
    let packed = gz(&many_records());
    // Garbage after a complete member: everything decodes, then the next "member" is junk.
    let mut trailing = packed.clone();
    trailing.extend_from_slice(b"this is not a gzip member");
    let (docs, e) = read(t.path(), "trail.jsonl.gz", &trailing);
    assert_eq!(docs.len(), 20);
    assert_eq!(errs(&e).len(), 1);
    assert_eq!(e[0].line, 21);
    assert!(e[0].error.starts_with("corrupt or truncated gzip data:"), "{}", e[0].error);
    // Damage in the middle of the deflate stream.
    let mut damaged = packed.clone();
    let mid = damaged.len() / 2;
    damaged[mid..mid + 64].fill(0xff);
    let (docs, e) = read(t.path(), "mid.jsonl.gz", &damaged);
    assert!(docs.len() >= 3 && docs.len() < 20, "{}", docs.len());
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].error.starts_with("corrupt or truncated gzip data:"), "{}", e[0].error);
    assert_eq!(
        docs.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
        (0..docs.len()).map(|i| format!("m{i}")).collect::<Vec<_>>()
    );
}

#[test]
fn misnamed_gzip_is_decompressed_by_its_magic() {
    let t = tempfile::tempdir().unwrap();
    let (docs, e) = read(t.path(), "really-gz.jsonl", &gz(JSONL.as_bytes()));
    assert_eq!((docs.len(), e.len()), (3, 0));
}

#[test]
fn binary_junk_gives_error_rows_only() {
    let t = tempfile::tempdir().unwrap();
    let junk: Vec<u8> = (0..3000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    for name in ["junk.jsonl", "junk.csv", "junk.txt", "junk.txt.gz"] {
        let (docs, e) = read(t.path(), name, &junk);
        assert!(docs.is_empty(), "{name}");
        assert!(!e.is_empty(), "{name}");
    }
}

#[test]
fn error_rows_are_capped_per_input_but_all_counted() {
    let t = tempfile::tempdir().unwrap();
    let data = "not json\n".repeat(MAX_ERRORS_PER_INPUT as usize + 5);
    let (_, e, s) = read_all(&file(t.path(), "many.jsonl", data.as_bytes()), MAX_RECORD_BYTES);
    assert_eq!(e.len() as u64, MAX_ERRORS_PER_INPUT + 1);
    assert_eq!(s.failed, MAX_ERRORS_PER_INPUT + 5);
    let last = e.last().unwrap();
    assert_eq!(last.error, "5 more bad records in this input not listed (lines 1001-1005)");
}

#[test]
fn early_summary_still_hashes_the_whole_input() {
    let t = tempfile::tempdir().unwrap();
    let data = many_records();
    let f = file(t.path(), "early.jsonl", &data);
    let mut r = open(&f);
    assert!(matches!(r.next(), Some(Record::Document(_))));
    let s = r.summary();
    assert_eq!((s.bytes, s.records), (data.len() as u64, 1));
    assert_eq!(s.blake3, blake3::hash(&data).to_hex().to_string());
    assert!(r.next().is_none());
}

/// Serves `data`, then fails like a dying disk.
struct FailingDisk(std::io::Cursor<Vec<u8>>);

impl std::io::Read for FailingDisk {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.read(buf)? {
            0 => Err(std::io::Error::other("simulated I/O error")),
            n => Ok(n),
        }
    }
}

#[test]
fn read_errors_keep_earlier_records_and_void_the_hash() {
    let data = b"{\"id\":\"a\",\"text\":\"Seoul said.\"}\n{\"id\":\"b\",\"text\":\"cut".to_vec();
    for (name, bytes) in [("d.jsonl", data.clone()), ("d.jsonl.gz", gz(&data)[..20].to_vec())] {
        let f = InputFile { path: name.into(), display: name.into() };
        let bytes = bytes.clone();
        let mut r = open_from(&f, MAX_RECORD_BYTES, move || Ok(Box::new(FailingDisk(std::io::Cursor::new(bytes)))));
        let recs: Vec<Record> = r.by_ref().collect();
        let s = r.summary();
        assert_eq!(s.blake3, "", "{name}: a partial hash must not be reported");
        let Some(Record::Error(e)) = recs.last() else { panic!("{name}: {recs:?}") };
        assert_eq!(e.error, "read error: simulated I/O error", "{name}");
        assert_eq!(s.failed, 1);
    }
    let f = InputFile { path: "x.jsonl".into(), display: "x.jsonl".into() };
    let mut r = open_from(&f, MAX_RECORD_BYTES, move || Ok(Box::new(FailingDisk(std::io::Cursor::new(data)))));
    assert!(matches!(r.next(), Some(Record::Document(d)) if d.id == "a"));
    let Some(Record::Error(e)) = r.next() else { panic!() };
    assert_eq!((e.line, e.error.as_str()), (2, "read error: simulated I/O error"));
    assert!(r.next().is_none());
}

#[test]
fn input_reader_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<InputReader>();
}

/// Renders what the reader makes of a folder, in the format of the block in EXPECTED.md.
fn render(root: &Path) -> String {
    let (files, errors) = discover(&[root.to_path_buf()]);
    let rel = |s: &str| s.strip_prefix(&format!("{}/", root.display())).unwrap_or(s).to_string();
    let error_row = |e: &RecordError| {
        let row = format!("error | line {} | id {:?} | {}", e.line, e.record_id, e.error);
        (rel(&e.input), row)
    };
    let mut rows = Vec::new();
    for f in &files {
        let mut r = open(f);
        for rec in r.by_ref() {
            rows.push(match rec {
                Record::Document(d) => {
                    let start: String = d.text.chars().take(24).collect();
                    let date = d.date.map_or("-".into(), |d| d.to_string());
                    let row = format!(
                        "doc | line {} | id {:?} | date {date} | title {:?} | text {} bytes {start:?}",
                        d.line,
                        d.id,
                        d.title,
                        d.text.len()
                    );
                    (rel(&d.input), row)
                }
                Record::Error(e) => error_row(&e),
            });
        }
        r.summary();
    }
    rows.extend(errors.iter().map(error_row));
    // Files in path order (discovery errors merged in), records in reading order.
    rows.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    rows.iter().map(|(file, row)| format!("{file} | {row}\n")).collect()
}

#[test]
fn fixture_folder_matches_expected_md() {
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/inputs/mixed");
    let expected = std::fs::read_to_string(root.join("EXPECTED.md")).unwrap();
    let start =
        expected.find("<!-- BEGIN ROWS -->\n```text\n").expect("begin marker") + "<!-- BEGIN ROWS -->\n```text\n".len();
    let end = expected.find("```\n<!-- END ROWS -->").expect("end marker");
    let got = render(&root);
    if got != expected[start..end] {
        panic!("EXPECTED.md is out of date; the reader now yields:\n{got}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Arbitrary bytes under any supported name never panic, and the summary stays consistent.
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
        seed in proptest::collection::vec(
            prop_oneof![Just(&b"{\"id\":1,\"text\":\"x\"}\n"[..]), Just(&b"id,text\n"[..]), Just(&b"\"\n,"[..]), Just(&b"\r\n"[..])], 0..4),
        name in prop_oneof![Just("p.jsonl"), Just("p.csv"), Just("p.txt"), Just("p.jsonl.gz"), Just("p.csv.gz"), Just("p.txt.gz")],
        compress in any::<bool>(),
    ) {
        let t = tempfile::tempdir().unwrap();
        let mut data = seed.concat();
        data.extend_from_slice(&bytes);
        if compress {
            data = gz(&data);
            let n = bytes.len() % (data.len() + 1);
            data.truncate(data.len() - n / 2);
        }
        read_all(&file(t.path(), name, &data), 64);
    }
}

/// CPU time of the calling thread, from /proc (Linux); wall-clock numbers on a shared
/// two-core machine say more about the neighbours than about the code.
fn thread_cpu() -> Option<std::time::Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = stat.split_whitespace().next()?.parse().ok()?;
    Some(std::time::Duration::from_nanos(ns))
}

/// Best-of-3 (wall, CPU) seconds of `f`.
fn time_best(mut f: impl FnMut()) -> (f64, f64) {
    let (mut wall, mut cpu) = (f64::MAX, f64::MAX);
    for _ in 0..3 {
        let (w0, c0) = (std::time::Instant::now(), thread_cpu());
        f();
        wall = wall.min(w0.elapsed().as_secs_f64());
        if let (Some(c0), Some(c1)) = (c0, thread_cpu()) {
            cpu = cpu.min((c1 - c0).as_secs_f64());
        }
    }
    (wall, cpu)
}

/// Throughput on the real corpus (read from shared/, never copied into the repo). Run with
/// `cargo test --release --lib corpus::tests::throughput -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark on the shared corpus; run in release"]
fn throughput_on_real_corpus() {
    let gz_path = std::env::var_os("NEWSSTANCE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/corpus/news.jsonl.gz"));
    if !gz_path.exists() {
        eprintln!("skipped: {} not found", gz_path.display());
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let plain = t.path().join("news.jsonl");
    let mut dec = flate2::read::MultiGzDecoder::new(std::fs::File::open(&gz_path).unwrap());
    let mut out = std::fs::File::create(&plain).unwrap();
    let mb = std::io::copy(&mut dec, &mut out).unwrap() as f64 / 1e6;
    drop(out);
    let report = |what: &str, (wall, cpu): (f64, f64)| {
        eprintln!(
            "{what}: {mb:.1} MB of JSONL, wall {wall:.3} s = {:.0} MB/s, thread CPU {cpu:.3} s = {:.0} MB/s",
            mb / wall,
            mb / cpu
        );
    };
    report(
        "gunzip only (baseline)",
        time_best(|| {
            let f = std::fs::File::open(&gz_path).unwrap();
            let mut d = flate2::bufread::MultiGzDecoder::new(std::io::BufReader::new(f));
            std::io::copy(&mut d, &mut std::io::sink()).unwrap();
        }),
    );
    for path in [plain, gz_path.clone()] {
        let f = InputFile { display: path.display().to_string(), path: path.clone() };
        let timing = time_best(|| {
            let mut r = open(&f);
            let docs = r.by_ref().filter(|r| matches!(r, Record::Document(_))).count();
            let s = r.summary();
            assert_eq!((docs, s.failed), (17_859, 0));
        });
        report(&format!("corpus reader on {} (BLAKE3 included)", path.display()), timing);
    }
}
