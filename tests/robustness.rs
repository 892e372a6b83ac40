//! Robustness of `newsstance score`, driving the real binary: bad inputs become error rows and
//! everything else is scored; exit codes; the manifest; identical bytes whatever the thread
//! count; atomic publication under SIGKILL; spreadsheet safety; gzip and stdin inputs.

mod common;
use common::{bin, root, score, Table};

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

const MIXED: &str = "tests/fixtures/inputs/mixed";
const CSVS: &[&str] =
    &["paragraphs.csv", "mentions.csv", "stances.csv", "actors.csv", "countries.csv", "dyads.csv", "errors.csv"];

// ---------------------------------------------------------------------------------------------
// Helpers

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn assert_code(o: &Output, want: i32) {
    assert_eq!(o.status.code(), Some(want), "stderr: {}", stderr(o));
}

/// Every file under `dir`, by relative path, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The CSV reports of `dir`, by name.
fn csv_bytes(dir: &Path) -> BTreeMap<&'static str, Vec<u8>> {
    CSVS.iter().map(|n| (*n, fs::read(dir.join(n)).unwrap_or_else(|e| panic!("{n}: {e}")))).collect()
}

/// Staging folders (`.<DIR>.staging-<pid>`) beside `out`.
fn staging_leftovers(out: &Path) -> Vec<String> {
    let prefix = format!(".{}.staging-", out.file_name().unwrap().to_string_lossy());
    fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix))
        .collect()
}

fn write_jsonl(path: &Path, docs: &[serde_json::Value]) {
    let mut s = String::new();
    for d in docs {
        s.push_str(&serde_json::to_string(d).unwrap());
        s.push('\n');
    }
    fs::write(path, s).unwrap();
}

fn table(out: &Path, file: &str) -> Table {
    Table::read(&out.join(file))
}

/// Rows of `t` whose `doc_id` is `id`.
fn rows_of<'a>(t: &'a Table, id: &str) -> Vec<&'a Vec<String>> {
    let c = t.col("doc_id");
    t.rows.iter().filter(|r| r[c] == id).collect()
}

fn doc_ids(out: &Path) -> BTreeSet<String> {
    let t = table(out, "paragraphs.csv");
    let c = t.col("doc_id");
    t.rows.iter().map(|r| r[c].clone()).collect()
}

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// What `EXPECTED.md` of the mixed folder lists: documents (file, id) and error rows
/// (input, line, record_id, error), as the binary run from the crate root must write them.
struct Expected {
    docs: Vec<(String, String)>,
    errors: Vec<[String; 4]>,
}

fn expected_md() -> Expected {
    let md = fs::read_to_string(root().join(MIXED).join("EXPECTED.md")).unwrap();
    let block = md.split("<!-- BEGIN ROWS -->").nth(1).unwrap().split("<!-- END ROWS -->").next().unwrap();
    let unquote = |s: &str| s.strip_prefix("id \"").and_then(|s| s.strip_suffix('"')).unwrap().to_string();
    let mut exp = Expected { docs: Vec::new(), errors: Vec::new() };
    for line in block.lines().filter(|l| l.contains(" | ")) {
        let f: Vec<&str> = line.splitn(5, " | ").collect();
        let lineno = f[2].strip_prefix("line ").unwrap().to_string();
        match f[1] {
            "doc" => exp.docs.push((f[0].to_string(), unquote(f[3]))),
            "error" => exp.errors.push([format!("{MIXED}/{}", f[0]), lineno, unquote(f[3]), f[4].to_string()]),
            other => panic!("unknown row kind {other:?} in EXPECTED.md"),
        }
    }
    exp
}

/// Article texts from the shipped fixtures (never the shared corpus).
fn fixture_texts() -> Vec<String> {
    let mut texts = Vec::new();
    for f in ["tests/data/stance_paragraphs.jsonl", "tests/fixtures/inputs/mixed/good_articles.jsonl"] {
        for line in fs::read_to_string(root().join(f)).unwrap().lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            texts.push(v["text"].as_str().unwrap().to_string());
        }
    }
    for f in ["seeds/000_ce661559d7daa382.txt", "tests/fixtures/inputs/mixed/good_01_kremlin.txt"] {
        let t = fs::read_to_string(root().join(f)).unwrap();
        // Drop the title line: the body alone is the text.
        texts.push(t.split_once('\n').unwrap().1.trim().to_string());
    }
    assert!(texts.len() > 100);
    texts
}

/// A JSONL corpus of `n` documents built from the fixture texts: unique ids, varied dates
/// (some absent), sources (one a formula), and 2–3 texts per document.
fn corpus_jsonl(path: &Path, n: usize) {
    let texts = fixture_texts();
    let k = texts.len();
    let sources = ["Reuters", "TASS", "=Xinhua", "", "AP"];
    let mut s = String::with_capacity(n * 1200);
    for i in 0..n {
        let mut text = format!("{}\n\n{}", texts[i % k], texts[(i * 7 + 3) % k]);
        if i % 3 == 0 {
            text.push_str("\n\n");
            text.push_str(&texts[(i * 13 + 5) % k]);
        }
        let mut doc = serde_json::json!({ "id": format!("gen-{i:06}"), "text": text, "source": sources[i % 5] });
        if i % 10 != 0 {
            doc["date"] = format!("2024-{:02}-{:02}", 1 + (i / 28) % 6, 1 + i % 28).into();
        }
        s.push_str(&serde_json::to_string(&doc).unwrap());
        s.push('\n');
    }
    fs::write(path, s).unwrap();
}

/// Waits for `child` at most `limit`; kills it and panics when it takes longer.
fn wait_with_timeout(child: &mut Child, limit: Duration, what: &str) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

// ---------------------------------------------------------------------------------------------
// Record-level errors

#[test]
fn mixed_folder_scores_every_good_document_and_reports_every_bad_record() {
    let exp = expected_md();
    assert_eq!((exp.docs.len(), exp.errors.len()), (26, 20), "EXPECTED.md changed: update this test");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let o = score(&out, &[MIXED]);
    assert_code(&o, 3);

    // Every good document is scored, nothing else is (not the hidden folder, not bad records).
    let want: BTreeSet<String> = exp.docs.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(doc_ids(&out), want);

    // Exactly the expected error rows (input path, line, record id, message).
    let errors = table(&out, "errors.csv");
    assert_eq!(errors.header, ["input", "line", "record_id", "error"]);
    let mut got: Vec<[String; 4]> =
        errors.rows.iter().map(|r| [r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone()]).collect();
    let mut want = exp.errors.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    // One row per bad-input kind of the issue, spelled out so the test cannot pass vacuously.
    for (file, line, needle) in [
        ("bad_utf8_line.jsonl", "2", "invalid UTF-8"),
        ("bad_binary_junk.jsonl", "3", "invalid UTF-8"),
        ("bad_truncated_json.jsonl", "2", "truncated JSON"),
        ("bad_missing_id.jsonl", "1", "missing required field `id`"),
        ("bad_missing_text.jsonl", "1", "missing required field `text`"),
        ("bad_date.jsonl", "1", "unparseable date"),
        ("bad_short_row.csv", "2", "expected 4 fields (as in the header), found 3"),
        ("bad_header.csv", "1", "lacks required column"),
        ("bad_unterminated_quote.csv", "3", "unterminated quoted field"),
        ("bad_title_only.txt", "1", "no body text"),
        ("empty.jsonl", "0", "empty input"),
        ("unsupported.xml", "0", "unsupported extension"),
        ("dangling_link.jsonl", "0", "no such file or directory"),
        ("bad_corrupt.jsonl.gz", "3", "corrupt or truncated gzip data"),
        ("bad_truncated.jsonl.gz", "2", "corrupt or truncated gzip data"),
        ("bad_overlong.jsonl.gz", "2", "record longer than the 67108864-byte limit"),
    ] {
        assert!(
            errors.rows.iter().any(|r| r[0].ends_with(&format!("/{file}")) && r[1] == line && r[3].contains(needle)),
            "no error row for {file} line {line} containing {needle:?}"
        );
    }

    // NUL and control characters in a text are scored, actors and all.
    let paragraphs = table(&out, "paragraphs.csv");
    let actors =
        |id: &str| rows_of(&paragraphs, id).iter().map(|r| paragraphs.get(r, "actors").to_string()).collect::<Vec<_>>();
    assert_eq!(actors("mx-nul-001"), ["CHN;RUS"]);
    assert!(actors("nul_bytes").iter().any(|a| a.contains("RUS")), "{:?}", actors("nul_bytes"));
    let m = manifest(&out);
    assert_eq!(m["exit_code"], 3);
    assert!(out.join("_SUCCESS").exists());
}

#[test]
fn duplicate_document_ids_are_error_rows_and_the_first_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let inp = dir.path().join("in");
    fs::create_dir(&inp).unwrap();
    write_jsonl(
        &inp.join("a.jsonl"),
        &[serde_json::json!({"id": "dup-1", "text": "Russia accused Ukraine of shelling."})],
    );
    write_jsonl(
        &inp.join("b.jsonl"),
        &[
            serde_json::json!({"id": "dup-1", "text": "Brazil praised Argentina for the trade deal."}),
            serde_json::json!({"id": "uniq-2", "text": "Japan and South Korea agreed to hold talks."}),
            serde_json::json!({"id": "dup-1", "text": "Canada welcomed the decision by Mexico."}),
        ],
    );
    let out = dir.path().join("reports");
    let o = score(&out, &[inp.to_str().unwrap()]);
    assert_code(&o, 3);
    let errors = table(&out, "errors.csv");
    let rows: Vec<(&str, &str, &str)> =
        errors.rows.iter().map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str())).collect();
    let b = inp.join("b.jsonl").display().to_string();
    assert_eq!(rows, [(b.as_str(), "1", "dup-1"), (b.as_str(), "3", "dup-1")]);
    assert!(errors.rows.iter().all(|r| r[3].contains("duplicate")), "{:?}", errors.rows);
    let paragraphs = table(&out, "paragraphs.csv");
    let first = rows_of(&paragraphs, "dup-1");
    assert_eq!(first.len(), 1);
    assert_eq!(paragraphs.get(first[0], "actors"), "RUS;UKR", "the first dup-1 must be the one scored");
    assert_eq!(rows_of(&paragraphs, "uniq-2").len(), 1);
    let mentions = table(&out, "mentions.csv");
    assert!(rows_of(&mentions, "dup-1")
        .iter()
        .all(|r| !["BRA", "ARG", "CAN", "MEX"].contains(&mentions.get(r, "country"))));
    let m = manifest(&out);
    assert_eq!((m["records"]["scored"].as_u64(), m["records"]["failed"].as_u64()), (Some(2), Some(2)));
}

#[test]
fn an_oversized_paragraph_is_an_error_row_and_the_rest_of_the_document_is_scored() {
    const LIMIT: usize = 1 << 20; // newsstance::pipeline::MAX_PARAGRAPH_BYTES, as documented
    assert_eq!(newsstance::pipeline::MAX_PARAGRAPH_BYTES, LIMIT);
    let filler = |len: usize| {
        let mut s = "filler words ".repeat(len / 13 + 1);
        s.truncate(len);
        s.replace_range(len - 1.., "x");
        assert_eq!(s.len(), len);
        s
    };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.jsonl");
    write_jsonl(
        &input,
        &[
            serde_json::json!({"id": "big-1", "text": format!(
                "Russia accused Ukraine of shelling the border town.\n\n{}\n\nChina praised Brazil for the new trade deal.",
                filler(LIMIT + 1)
            )}),
            serde_json::json!({"id": "at-limit", "text": format!("Japan thanked India. {}", filler(LIMIT - 21))}),
        ],
    );
    let out = dir.path().join("reports");
    let o = score(&out, &[input.to_str().unwrap()]);
    assert_code(&o, 3);
    let errors = table(&out, "errors.csv");
    assert_eq!(errors.rows.len(), 1, "{:?}", errors.rows);
    let e = &errors.rows[0];
    assert_eq!((e[1].as_str(), e[2].as_str()), ("1", "big-1"));
    assert!(e[3].contains(&format!("{} bytes, over the limit of {LIMIT}", LIMIT + 1)), "{}", e[3]);
    let paragraphs = table(&out, "paragraphs.csv");
    let actors: Vec<(&str, &str)> = rows_of(&paragraphs, "big-1")
        .iter()
        .map(|r| (paragraphs.get(r, "paragraph"), paragraphs.get(r, "actors")))
        .collect();
    // Paragraphs keep their number in the body: the one after the skipped paragraph is 3.
    assert_eq!(actors, [("1", "RUS;UKR"), ("3", "CHN;BRA")]);
    // A paragraph of exactly the limit is scored.
    let at = rows_of(&paragraphs, "at-limit");
    assert_eq!(at.len(), 1);
    assert!(paragraphs.get(at[0], "actors").starts_with("JPN;IND"));
    let stances = table(&out, "stances.csv");
    let events: BTreeSet<(&str, &str)> =
        rows_of(&stances, "big-1").iter().map(|r| (stances.get(r, "paragraph"), stances.get(r, "source"))).collect();
    assert!(events.contains(&("1", "rus")) && events.contains(&("3", "chn")), "{events:?}");
    let mentions = table(&out, "mentions.csv");
    let brazil: Vec<&str> = rows_of(&mentions, "big-1")
        .iter()
        .filter(|r| mentions.get(r, "country") == "BRA")
        .map(|r| mentions.get(r, "paragraph"))
        .collect();
    assert_eq!(brazil, ["3"]);
}

#[test]
fn nul_and_control_characters_in_text_are_scored_not_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ctl.jsonl");
    write_jsonl(
        &input,
        &[
            serde_json::json!({"id": "ctl-1", "text": "Russia\u{0} accused\u{1} Ukraine\u{1b}[31m of shelling.\u{7f}"}),
            serde_json::json!({"id": "ctl-2", "text": "\u{0}\u{0}\u{0}"}),
            serde_json::json!({"id": "ctl\u{7}-3", "text": "China\u{85}and Russia held talks.\u{2028}Then\u{b}more.\u{feff}"}),
        ],
    );
    // And a .txt with a raw NUL and a lone CR.
    fs::write(dir.path().join("ctl-4.txt"), b"Title\n\nThe Kremlin\x00 said\r Ukraine \x08lied.\n").unwrap();
    let out = dir.path().join("reports");
    let o = score(&out, &[input.to_str().unwrap(), dir.path().join("ctl-4.txt").to_str().unwrap()]);
    assert_code(&o, 0);
    assert!(table(&out, "errors.csv").rows.is_empty());
    assert_eq!(doc_ids(&out), ["ctl-1", "ctl-2", "ctl\u{7}-3", "ctl-4"].map(String::from).into());
    let mentions = table(&out, "mentions.csv");
    let countries: BTreeSet<&str> = rows_of(&mentions, "ctl-1").iter().map(|r| mentions.get(r, "country")).collect();
    assert_eq!(countries, ["RUS", "UKR"].into());
    assert!(rows_of(&mentions, "ctl-4").iter().any(|r| mentions.get(r, "actor") == "rus-kremlin"));
}

#[test]
fn an_unreadable_file_is_an_error_row() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let inp = dir.path().join("in");
    fs::create_dir(&inp).unwrap();
    write_jsonl(&inp.join("a.jsonl"), &[serde_json::json!({"id": "ok-1", "text": "Russia accused Ukraine."})]);
    let locked = inp.join("locked.jsonl");
    write_jsonl(&locked, &[serde_json::json!({"id": "locked-1", "text": "France thanked Germany."})]);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::File::open(&locked).is_ok() {
        eprintln!("skipped: running as root, permissions do not make a file unreadable");
        return;
    }
    let out = dir.path().join("reports");
    let o = score(&out, &[inp.to_str().unwrap()]);
    assert_code(&o, 3);
    let errors = table(&out, "errors.csv");
    assert_eq!(errors.rows.len(), 1);
    assert!(errors.rows[0][0].ends_with("locked.jsonl") && errors.rows[0][3].starts_with("cannot open"));
    assert_eq!(doc_ids(&out), ["ok-1".to_string()].into());
}

// ---------------------------------------------------------------------------------------------
// Exit codes

#[test]
fn exit_0_when_every_record_is_scored() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let o = score(&out, &["seeds"]);
    assert_code(&o, 0);
    assert!(table(&out, "errors.csv").rows.is_empty());
    assert!(out.join("_SUCCESS").exists());
    assert_eq!(manifest(&out)["exit_code"], 0);
}

#[test]
fn max_errors_turns_too_many_failed_records_into_exit_1_and_keeps_the_previous_reports() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    assert_code(&score(&out, &["seeds"]), 0);
    let before = snapshot(&out);
    // The mixed folder has 20 failed records: more than 0 and 19, not more than 20.
    for max in ["0", "19"] {
        let o = score(&out, &[MIXED, "--max-errors", max]);
        assert_code(&o, 1);
        assert!(stderr(&o).contains("--max-errors"), "{}", stderr(&o));
        assert!(snapshot(&out) == before, "--max-errors {max}: the previous reports changed");
        assert_eq!(staging_leftovers(&out), Vec::<String>::new());
    }
    let o = score(&out, &[MIXED, "--max-errors", "20"]);
    assert_code(&o, 3);
    assert_eq!(table(&out, "errors.csv").rows.len(), 20);
    assert_eq!(staging_leftovers(&out), Vec::<String>::new());
}

#[test]
fn failed_records_beyond_the_listing_cap_count_toward_max_errors_and_the_manifest() {
    // 1,500 malformed lines: 1,000 are listed, the rest summed up in one notice row; all 1,500
    // are failed records.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("junk.jsonl");
    let mut s: String = (0..1500).map(|i| format!("not json {i}\n")).collect();
    s.push_str("{\"id\": \"ok-1\", \"text\": \"Russia accused Ukraine of shelling.\"}\n");
    fs::write(&input, s).unwrap();
    let out = dir.path().join("reports");
    let o = score(&out, &[input.to_str().unwrap()]);
    assert_code(&o, 3);
    let errors = table(&out, "errors.csv");
    assert_eq!(errors.rows.len(), 1001);
    assert!(errors.rows[..1000].iter().all(|r| r[3].starts_with("malformed JSON")), "{:?}", errors.rows[0]);
    assert_eq!((errors.rows[0][1].as_str(), errors.rows[999][1].as_str()), ("1", "1000"));
    assert!(errors.rows[1000][3].starts_with("500 more bad records"), "{:?}", errors.rows[1000]);
    let m = manifest(&out);
    assert_eq!(m["inputs"][0]["failed"], 1500);
    assert_eq!(m["records"]["failed"], 1500);
    assert_eq!(m["records"]["scored"], 1);
    assert_eq!(m["records"]["read"], 1501);
    let before = snapshot(&out);
    let o = score(&out, &[input.to_str().unwrap(), "--max-errors", "1499"]);
    assert_code(&o, 1);
    assert!(snapshot(&out) == before);
    assert_code(&score(&out, &[input.to_str().unwrap(), "--max-errors", "1500"]), 3);
}

#[test]
fn a_bad_lexicon_exits_2_with_file_and_line_before_any_input_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let lex = dir.path().join("lexicons");
    fs::create_dir(&lex).unwrap();
    let actors = fs::read_to_string(root().join("lexicons/actors.csv")).unwrap();
    let line = actors.lines().position(|l| l.starts_with("ago,Angola,AGO,")).unwrap() + 1;
    fs::write(lex.join("actors.csv"), actors.replace("ago,Angola,AGO,", "ago,Angola,XXX,")).unwrap();

    let run = |out: &Path| {
        // A missing input (it would be an error row) and stdin held open (reading it would
        // block): the run must stop on the lexicon before touching either.
        let mut child = bin()
            .args(["score", "--progress", "never", "--lexicons"])
            .arg(&lex)
            .arg(dir.path().join("does-not-exist.jsonl"))
            .arg("-")
            .arg("-o")
            .arg(out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        wait_with_timeout(&mut child, Duration::from_secs(60), "a run with a bad lexicon");
        drop(stdin);
        child.wait_with_output().unwrap()
    };

    // No previous reports: nothing is created.
    let out = dir.path().join("reports");
    let o = run(&out);
    assert_code(&o, 2);
    assert!(stderr(&o).contains(&format!("actors.csv:{line}:")), "{}", stderr(&o));
    assert_eq!(stderr(&o).matches("XXX").count(), 1, "{}", stderr(&o));
    assert!(!out.exists());
    assert_eq!(staging_leftovers(&out), Vec::<String>::new());

    // Previous reports: untouched.
    let out = dir.path().join("kept");
    assert_code(&score(&out, &["seeds"]), 0);
    let before = snapshot(&out);
    assert_code(&run(&out), 2);
    assert!(snapshot(&out) == before);
    assert_eq!(staging_leftovers(&out), Vec::<String>::new());
}

#[test]
fn usage_errors_exit_2_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    for args in [&["seeds", "--no-such-flag"][..], &["seeds", "-j", "many"], &["seeds", "--max-errors", "-1"]] {
        let o = score(&out, args);
        assert_code(&o, 2);
        assert!(!out.exists(), "{args:?}");
        assert!(fs::read_dir(dir.path()).unwrap().next().is_none(), "{args:?}: something was written");
    }
}

#[test]
fn a_fatal_error_exits_1_and_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    fs::write(&blocker, "x").unwrap();
    let o = score(&blocker.join("reports"), &["seeds"]);
    assert_code(&o, 1);
    assert_eq!(fs::read(&blocker).unwrap(), b"x");
    // One readable line for the cron log: the cause once, not once per level of its chain.
    let err = stderr(&o);
    assert!(err.contains("not-a-dir") && err.matches("(os error").count() == 1, "{err}");
}

// ---------------------------------------------------------------------------------------------
// manifest.json

#[test]
fn manifest_records_arguments_inputs_counts_lexicons_outputs_times_and_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let before = std::time::SystemTime::now();
    let o = score(&out, &[MIXED, "-j", "2"]);
    let after = std::time::SystemTime::now();
    assert_code(&o, 3);
    let m = manifest(&out);

    assert_eq!(m["schema_version"], 2);
    assert_eq!(m["version"], env!("CARGO_PKG_VERSION"));
    let args: Vec<&str> = m["arguments"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(args[1..], ["score", MIXED, "-j", "2", "-o", out.to_str().unwrap(), "--progress", "never"]);
    assert_eq!(m["exit_code"], 3);

    // Inputs: every file read, with its size and BLAKE3 (of the bytes as stored).
    let inputs = m["inputs"].as_array().unwrap();
    let exp = expected_md();
    let files: BTreeSet<&str> = exp.docs.iter().map(|(f, _)| f.as_str()).collect();
    for f in &files {
        let path = format!("{MIXED}/{f}");
        let entry =
            inputs.iter().find(|i| i["path"] == path.as_str()).unwrap_or_else(|| panic!("{path} not in manifest"));
        let raw = fs::read(root().join(&path)).unwrap();
        assert_eq!(entry["bytes"], raw.len() as u64, "{path}");
        assert_eq!(entry["blake3"], blake3::hash(&raw).to_hex().as_str(), "{path}");
    }
    for i in inputs {
        assert_eq!(i["blake3"].as_str().unwrap().len(), 64, "{i}");
    }

    // Record counts agree with the reports.
    let errors = table(&out, "errors.csv").rows.len() as u64;
    let scored = doc_ids(&out).len() as u64;
    let r = &m["records"];
    assert_eq!((r["scored"].as_u64(), r["failed"].as_u64()), (Some(scored), Some(errors)));
    assert_eq!(r["read"].as_u64(), Some(scored + errors));
    assert_eq!((scored, errors), (26, 20));
    let per_input: u64 = inputs.iter().map(|i| i["records"].as_u64().unwrap()).sum();
    assert_eq!(per_input, scored);

    // Lexicon files with hashes (the default ./lexicons of the crate root is used).
    let lexicons = m["lexicons"].as_array().unwrap();
    let names: BTreeSet<&str> = lexicons.iter().map(|l| l["name"].as_str().unwrap()).collect();
    for n in ["actors.csv", "countries.csv", "stance_cues.csv", "target_model.csv", "vader/vader_lexicon.txt"] {
        assert!(names.contains(n), "{n} missing from {names:?}");
    }
    let actors = lexicons.iter().find(|l| l["name"] == "actors.csv").unwrap();
    let raw = fs::read(root().join("lexicons/actors.csv")).unwrap();
    assert_eq!(actors["blake3"], blake3::hash(&raw).to_hex().as_str());

    // Outputs: the CSVs with row counts equal to their rows, the page with its size and BLAKE3.
    let outputs = m["outputs"].as_array().unwrap();
    let listed: BTreeSet<&str> = outputs.iter().map(|o| o["file"].as_str().unwrap()).collect();
    let mut want: BTreeSet<&str> = CSVS.iter().copied().collect();
    want.extend(["state_records.tsv", "state_sums.tsv", "summary.html"]);
    assert_eq!(listed, want);
    for o in outputs {
        let file = o["file"].as_str().unwrap();
        if file.ends_with(".csv") {
            assert_eq!(o["rows"], table(&out, file).rows.len() as u64, "{file}");
        }
        if file == "summary.html" {
            assert!(o.get("rows").is_none(), "{o}");
        }
        // Size and BLAKE3 of the file as published (what `merge` checks).
        let raw = fs::read(out.join(file)).unwrap();
        assert_eq!(o["bytes"], raw.len() as u64, "{file}");
        assert_eq!(o["blake3"], blake3::hash(&raw).to_hex().as_str(), "{file}");
    }
    // One state record per record read (documents and failed records with a row).
    let records = outputs.iter().find(|o| o["file"] == "state_records.tsv").unwrap();
    assert_eq!(records["rows"].as_u64(), Some(scored + errors));
    assert!(m["summary_seconds"].as_f64().is_some_and(|s| s >= 0.0), "{m}");

    // Start and end: RFC 3339 UTC, within the run (to the second).
    let t = |k: &str| {
        let s = m[k].as_str().unwrap();
        assert!(s.ends_with('Z'), "{k} = {s}: not UTC");
        humantime::parse_rfc3339(s).unwrap_or_else(|e| panic!("{k} = {s}: {e}"))
    };
    let (started, finished) = (t("started"), t("finished"));
    let sec = Duration::from_secs(1);
    assert!(before - sec <= started && started <= finished && finished <= after + sec);

    // Worker seconds per stage, in pipeline order, together within the run's time on two threads.
    let stages = m["stage_seconds"].as_object().unwrap();
    let order =
        ["segment", "tone", "actors", "target", "events", "syntax", "model", "reader", "coverage", "rows", "encode"];
    assert_eq!(stages.len(), order.len(), "{stages:?}");
    let raw = fs::read_to_string(out.join("manifest.json")).unwrap();
    let block = &raw[raw.find("\"stage_seconds\"").unwrap()..];
    let at: Vec<usize> = order.iter().map(|k| block.find(&format!("\"{k}\":")).unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "stages out of order: {block}");
    let elapsed = m["elapsed_seconds"].as_f64().unwrap();
    let total: f64 = stages.values().map(|v| v.as_f64().unwrap()).sum();
    assert!(stages.values().all(|v| v.as_f64().unwrap() >= 0.0) && total <= 2.0 * elapsed + 0.01, "{stages:?}");
}

// ---------------------------------------------------------------------------------------------
// Determinism

#[test]
fn reports_are_byte_identical_across_thread_counts_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("corpus.jsonl");
    corpus_jsonl(&input, 3000); // about six batches of 512 documents
    let mut runs = Vec::new();
    for (name, j) in [("j1", "1"), ("j2", "2"), ("j2-again", "2")] {
        let out = dir.path().join(name);
        let o = score(&out, &[input.to_str().unwrap(), "-j", j]);
        assert_code(&o, 0);
        runs.push((name, out.clone(), csv_bytes(&out)));
    }
    let (_, first_out, first) = &runs[0];
    assert_eq!(manifest(first_out)["records"]["scored"], 3000);
    assert!(table(first_out, "stances.csv").rows.len() > 1000);
    for (name, _, csvs) in &runs[1..] {
        for (file, bytes) in csvs {
            assert!(bytes == &first[file], "{file} of {name} differs from -j 1");
        }
    }
    // What the costly stages did is counted the same on every run and thread count, unlike
    // their times: the manifest's `stage_counts`.
    let counts = manifest(first_out)["stage_counts"].clone();
    assert!(counts["stance_candidates"].as_u64().unwrap() > 1000, "{counts}");
    assert!(counts["parsed_sentences"].as_u64().unwrap() > 0, "{counts}");
    for (name, out, _) in &runs[1..] {
        assert_eq!(manifest(out)["stage_counts"], counts, "{name}");
    }
    // No wall-clock time of the run inside the CSVs: it is in the manifest only.
    for (_, out, csvs) in &runs {
        let m = manifest(out);
        let started = m["started"].as_str().unwrap();
        let finished = m["finished"].as_str().unwrap();
        for stamp in [&started[..10], &finished[..10], &started[..16], &finished[..16]] {
            for (file, bytes) in csvs {
                assert!(!String::from_utf8_lossy(bytes).contains(stamp), "{file} contains the run time {stamp}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Atomic publication under SIGKILL

#[test]
fn a_run_killed_at_any_moment_leaves_the_previous_reports_complete_and_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("corpus.jsonl");
    let out = dir.path().join("reports");
    let spawn = || {
        bin()
            .args(["score", "--progress", "never", "-j", "2", "-o"])
            .arg(&out)
            .arg(&input)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // An input that takes at least ~1.2 s here (grown on fast machines, below ~45 MB).
    let mut docs = 4000;
    let run_time = loop {
        corpus_jsonl(&input, docs);
        let start = Instant::now();
        let status = spawn().wait().unwrap();
        let t = start.elapsed();
        assert_eq!(status.code(), Some(0));
        if t >= Duration::from_millis(1200) || docs >= 100_000 {
            break t;
        }
        docs = (docs as f64 * 1.4 / t.as_secs_f64()).ceil().min(100_000.0) as usize;
    };
    let mut previous = snapshot(&out);
    let previous_csvs = csv_bytes(&out);
    assert!(previous.contains_key("_SUCCESS") && previous.contains_key("manifest.json"));

    // Moments: fixed delays, fractions of the run time, and events seen in the staging folder
    // (created; aggregates being written; manifest written; `_SUCCESS` written, i.e. during
    // publication).
    enum Moment {
        After(Duration),
        When(&'static str),
    }
    let ms = |n: u64| Moment::After(Duration::from_millis(n));
    let frac = |f: f64| Moment::After(run_time.mul_f64(f));
    let moments = [
        ms(20),
        ms(150),
        ms(400),
        Moment::When(""),
        Moment::When("actors.csv"),
        frac(0.9),
        Moment::When("manifest.json"),
        Moment::When("_SUCCESS"),
        frac(1.0),
    ];
    let mut left_unchanged = 0;
    let mut leftovers_seen = 0;
    for (k, moment) in moments.iter().enumerate() {
        let mut child = spawn();
        let staging = dir.path().join(format!(".reports.staging-{}", child.id()));
        let start = Instant::now();
        let finished_first = loop {
            if child.try_wait().unwrap().is_some() {
                break true;
            }
            let now = match moment {
                Moment::After(d) => start.elapsed() >= *d,
                Moment::When(f) => staging.join(f).exists(),
            };
            if now {
                break false;
            }
            if start.elapsed() > run_time * 20 + Duration::from_secs(30) {
                panic!("moment {k}: never reached");
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        if !finished_first {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
        }
        let now = snapshot(&out);
        if now == previous {
            left_unchanged += 1;
        } else {
            // Only if the run got to publish: then a complete new set, with the same CSVs.
            assert!(now.contains_key("_SUCCESS"), "moment {k}: DIR changed and has no _SUCCESS");
            let names: BTreeSet<&String> = now.keys().collect();
            assert_eq!(names, previous.keys().collect(), "moment {k}: another set of files");
            assert!(csv_bytes(&out) == previous_csvs, "moment {k}: CSVs differ from the complete set");
            assert_eq!(manifest(&out)["exit_code"], 0);
            previous = now; // the reference for the next kill
        }
        if !finished_first && staging.exists() {
            leftovers_seen += 1;
        }
    }
    assert!(left_unchanged >= 4, "too few kills landed before publication ({left_unchanged})");
    assert!(leftovers_seen >= 1, "no kill left a staging folder behind; the test did not kill mid-run");

    // A staging folder left by a killed run is removed by the next run.
    let mut child = spawn();
    let staging = dir.path().join(format!(".reports.staging-{}", child.id()));
    while !staging.exists() {
        assert!(child.try_wait().unwrap().is_none(), "the run ended before its staging folder was seen");
        std::thread::sleep(Duration::from_micros(200));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(snapshot(&out) == previous);
    assert!(staging.exists());
    assert_eq!(spawn().wait().unwrap().code(), Some(0));
    assert_eq!(staging_leftovers(&out), Vec::<String>::new());
    assert!(csv_bytes(&out) == previous_csvs);
}

// ---------------------------------------------------------------------------------------------
// Spreadsheet safety

#[test]
fn formula_cells_are_neutralised_and_numbers_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("formula.jsonl");
    write_jsonl(
        &input,
        &[
            serde_json::json!({"id": "=HYPERLINK(\"http://x\")", "source": "+cmd", "date": "2024-03-01",
                "text": "@SUM(1) Russia accused Ukraine of shelling."}),
            serde_json::json!({"id": "-5", "source": "@x", "text": "-Russia accused Ukraine of shelling."}),
            serde_json::json!({"id": "\tTAB", "source": "\rCR", "text": "Russia accused Ukraine of shelling."}),
        ],
    );
    let csv = dir.path().join("bad.csv");
    fs::write(&csv, "id,text,date\n=cmd|' /C calc'!A0,Russia accused Ukraine.,not-a-date\n").unwrap();
    let out = dir.path().join("reports");
    let o = score(&out, &[input.to_str().unwrap(), csv.to_str().unwrap()]);
    assert_code(&o, 3);

    let paragraphs = table(&out, "paragraphs.csv");
    let cells: Vec<(&str, &str)> =
        paragraphs.rows.iter().map(|r| (paragraphs.get(r, "doc_id"), paragraphs.get(r, "source"))).collect();
    assert_eq!(cells, [("'=HYPERLINK(\"http://x\")", "'+cmd"), ("'-5", "'@x"), ("'\tTAB", "'\rCR")]);
    let stances = table(&out, "stances.csv");
    assert_eq!(stances.rows.len(), 3, "{:?}", stances.rows);
    let evidence: Vec<&str> = stances.rows.iter().map(|r| stances.get(r, "evidence")).collect();
    assert_eq!(
        evidence,
        [
            "'@SUM(1) Russia accused Ukraine of shelling.",
            "'-Russia accused Ukraine of shelling.",
            "Russia accused Ukraine of shelling."
        ]
    );
    // Numbers are not text: a negative score stays a number.
    for r in &stances.rows {
        assert_eq!(stances.get(r, "doc_id").chars().next(), Some('\''));
        let score = stances.get(r, "score");
        assert!(score.starts_with('-') && score.parse::<f64>().is_ok(), "score cell {score:?}");
    }
    let mentions = table(&out, "mentions.csv");
    assert!(mentions.rows.iter().any(|r| mentions.get(r, "sentiment").starts_with('-')));
    assert!(mentions.rows.iter().all(|r| mentions.get(r, "sentiment").parse::<f64>().is_ok()));
    let actors = table(&out, "actors.csv");
    // A negative mean stance stays a number (no formula guard on numeric cells).
    assert!(
        actors.rows.iter().any(|r| {
            let v = actors.get(r, "stance_out");
            v.starts_with('-') && v.parse::<f64>().is_ok()
        }),
        "{:?}",
        actors.rows
    );
    let dyads = table(&out, "dyads.csv");
    assert!(dyads.rows.iter().all(|r| dyads.get(r, "stance").parse::<f64>().is_ok()));
    // The record id of an error row is a text cell too.
    let errors = table(&out, "errors.csv");
    assert_eq!(errors.rows.len(), 1);
    assert_eq!(errors.rows[0][2], "'=cmd|' /C calc'!A0");
    // Raw bytes: the guarded cell is what a spreadsheet sees first.
    let raw = fs::read_to_string(out.join("paragraphs.csv")).unwrap();
    assert!(raw.contains("\"'=HYPERLINK(\"\"http://x\"\")\",2024-03-01,'+cmd,1,"), "{raw}");
}

#[test]
fn evidence_is_one_line_and_below_the_excel_cell_limit() {
    const EXCEL: usize = 32_767;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("long.jsonl");
    let long = format!("Russia accused Ukraine of shelling {}.", "é".repeat(40_000));
    write_jsonl(
        &input,
        &[
            serde_json::json!({"id": "breaks", "text":
                "Officials met on Monday.\n\nThe Kremlin sharply condemned Ukraine\r\nfor the shelling\u{2028}of the border town."}),
            serde_json::json!({"id": "long", "text": long}),
        ],
    );
    // An error message quoting a CSV header of 40,000 emoji is cut as well. Excel counts UTF-16
    // code units (an emoji is two), so that is what must stay below the limit.
    let csv = dir.path().join("header.csv");
    fs::write(&csv, format!("headline,{}\nfoo,bar\n", "😀".repeat(40_000))).unwrap();
    let out = dir.path().join("reports");
    let o = score(&out, &[input.to_str().unwrap(), csv.to_str().unwrap()]);
    assert_code(&o, 3);
    let stances = table(&out, "stances.csv");
    let breaks: Vec<&str> = rows_of(&stances, "breaks").iter().map(|r| stances.get(r, "evidence")).collect();
    assert!(!breaks.is_empty());
    for e in &breaks {
        assert!(!e.contains(['\n', '\r', '\u{2028}']), "{e:?}");
        assert!(e.starts_with("The Kremlin sharply condemned Ukraine") && e.ends_with("of the border town."), "{e:?}");
    }
    let long: Vec<&str> = rows_of(&stances, "long").iter().map(|r| stances.get(r, "evidence")).collect();
    assert!(!long.is_empty());
    for e in stances.rows.iter().map(|r| stances.get(r, "evidence")) {
        assert!(e.chars().count() <= EXCEL && e.encode_utf16().count() <= EXCEL);
    }
    let errors = table(&out, "errors.csv");
    assert_eq!(errors.rows.len(), 1);
    let msg = &errors.rows[0][3];
    assert!(msg.starts_with("CSV header lacks required column"));
    let units = msg.encode_utf16().count();
    assert!(units <= EXCEL && units > 30_000, "{units} UTF-16 code units");
    // One line per row, in the raw file too (CRLF only as the record terminator).
    let raw = fs::read_to_string(out.join("stances.csv")).unwrap();
    assert_eq!(raw.matches('\n').count(), stances.rows.len() + 1);
    assert_eq!(raw.matches("\r\n").count(), stances.rows.len() + 1);
}

#[test]
fn bom_starts_every_csv_when_asked_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    let with = dir.path().join("bom");
    assert_code(&score(&with, &[MIXED, "--bom"]), 3);
    let without = dir.path().join("plain");
    assert_code(&score(&without, &[MIXED]), 3);
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    for f in CSVS {
        let a = fs::read(with.join(f)).unwrap();
        let b = fs::read(without.join(f)).unwrap();
        assert!(a.starts_with(BOM) && !a[3..].starts_with(BOM), "{f}");
        assert!(!b.starts_with(BOM), "{f}");
        assert_eq!(&a[3..], &b[..], "{f}: --bom changes more than the first bytes");
    }
    assert!(fs::read(with.join("manifest.json")).unwrap().starts_with(b"{"));
}

// ---------------------------------------------------------------------------------------------
// Compressed inputs and stdin

/// The same three articles as JSONL, CSV and `.txt` files.
fn write_formats(dir: &Path, gzip: bool) -> Vec<PathBuf> {
    fs::create_dir_all(dir).unwrap();
    let texts = fixture_texts();
    let jsonl: String = (0..3)
        .map(|i| {
            serde_json::json!({"id": format!("j{i}"), "date": format!("2024-03-0{}", i + 1), "text": texts[i]})
                .to_string()
                + "\n"
        })
        .collect();
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(["id", "text", "date"]).unwrap();
    for i in 0..3 {
        csv.write_record([format!("c{i}"), texts[10 + i].clone(), "2024-04-01".into()]).unwrap();
    }
    let csv = csv.into_inner().unwrap();
    let txt = format!("A title\n\n{}\n\n{}\n", texts[20], texts[21]);
    let ext = if gzip { ".gz" } else { "" };
    let mut files = Vec::new();
    for (name, bytes) in [("a.jsonl", jsonl.into_bytes()), ("b.csv", csv), ("t.txt", txt.into_bytes())] {
        let path = dir.join(format!("{name}{ext}"));
        fs::write(&path, if gzip { gz(&bytes) } else { bytes }).unwrap();
        files.push(path);
    }
    files
}

#[test]
fn gzip_inputs_of_every_format_score_like_the_plain_files() {
    let dir = tempfile::tempdir().unwrap();
    let plain = write_formats(&dir.path().join("plain"), false);
    let gzipped = write_formats(&dir.path().join("gz"), true);
    let run = |name: &str, inputs: &[PathBuf]| {
        let out = dir.path().join(name);
        let args: Vec<&str> = inputs.iter().map(|p| p.to_str().unwrap()).collect();
        assert_code(&score(&out, &args), 0);
        out
    };
    let a = run("out-plain", &plain);
    let b = run("out-gz", &gzipped);
    assert_eq!(doc_ids(&a), ["j0", "j1", "j2", "c0", "c1", "c2", "t"].map(String::from).into());
    assert!(csv_bytes(&a) == csv_bytes(&b), "gzip inputs give other reports than the plain files");
    // The manifest hashes the compressed bytes as stored.
    let m = manifest(&b);
    for (entry, path) in m["inputs"].as_array().unwrap().iter().zip(&gzipped) {
        let raw = fs::read(path).unwrap();
        assert_eq!(entry["blake3"], blake3::hash(&raw).to_hex().as_str());
    }

    // A truncated or corrupt archive of each format is an error row, not a crash; the records
    // read before the damage are kept.
    let broken = dir.path().join("broken");
    fs::create_dir(&broken).unwrap();
    for path in &gzipped {
        let raw = fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        fs::write(broken.join(format!("cut-{name}")), &raw[..raw.len() * 2 / 3]).unwrap();
        let mut flipped = raw.clone();
        let n = flipped.len();
        flipped[n / 2..n - 8].iter_mut().for_each(|b| *b ^= 0x5a);
        fs::write(broken.join(format!("flip-{name}")), flipped).unwrap();
    }
    fs::write(broken.join("notgzip.jsonl.gz"), b"{\"id\": \"x\", \"text\": \"plain text named .gz\"}\n").unwrap();
    let out = dir.path().join("out-broken");
    let o = score(&out, &[broken.to_str().unwrap()]);
    assert_code(&o, 3);
    let errors = table(&out, "errors.csv");
    for entry in fs::read_dir(&broken).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with("notgzip") {
            continue;
        }
        assert!(
            errors.rows.iter().any(|r| r[0].ends_with(&name) && r[3].contains("gzip")),
            "no gzip error row for {name}: {:?}",
            errors.rows
        );
    }
    let ids = doc_ids(&out);
    assert!(ids.contains("j0"), "records before the damage are kept: {ids:?}");
}

#[test]
fn dash_reads_jsonl_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_formats(&dir.path().join("plain"), false);
    let jsonl = &files[0];
    let from_file = dir.path().join("file");
    assert_code(&score(&from_file, &[jsonl.to_str().unwrap()]), 0);
    let from_stdin = dir.path().join("stdin");
    let mut child = bin()
        .args(["score", "-", "--progress", "never", "-o"])
        .arg(&from_stdin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&fs::read(jsonl).unwrap()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_code(&o, 0);
    assert!(csv_bytes(&from_file) == csv_bytes(&from_stdin));
    let m = manifest(&from_stdin);
    assert_eq!(m["inputs"][0]["path"], "-");
    assert_eq!(m["inputs"][0]["blake3"], blake3::hash(&fs::read(jsonl).unwrap()).to_hex().as_str());
}
