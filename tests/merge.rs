//! Nights and shards: `score --shard I/N` and `merge` against one unsharded run, byte for byte,
//! on the seeds and on a generated set of a few thousand articles; refusals, faults, `--from`
//! and `--to`, the local N-process script of `deploy/`.

mod common;
use common::{bin, root, score};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_code(o: &Output, want: &[i32], what: &str) {
    let code = o.status.code().unwrap_or(-1);
    assert!(want.contains(&code), "{what}: exit {code}, wanted {want:?}; stderr: {}", stderr(o));
}

fn merge<P: AsRef<std::ffi::OsStr>>(out: &Path, parts: impl IntoIterator<Item = P>, extra: &[&str]) -> Output {
    bin().arg("merge").args(parts).arg("-o").arg(out).arg("-q").args(extra).output().expect("run newsstance merge")
}

/// Every file of a report folder but the manifest and the summary page, by name. (The page's
/// "Run" section names the command and its times, and a merged page's evidence has no outlet
/// names, which `stances.csv` does not carry; `merged_folders_have_their_summary_page` checks it.)
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    for e in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name != "manifest.json" && name != "summary.html" {
            m.insert(name, fs::read(e.path()).unwrap());
        }
    }
    m
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// Two report folders hold the same bytes in every file, and their manifests the same record
/// counts, outputs (rows, bytes, BLAKE3), inputs and listing; timings, paths, arguments aside.
fn assert_same_reports(want: &Path, got: &Path, what: &str) {
    let (a, b) = (files(want), files(got));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "{what}: file names");
    for (name, bytes) in &a {
        if bytes != &b[name] {
            let (x, y) = (String::from_utf8_lossy(bytes), String::from_utf8_lossy(&b[name]));
            let line = x.lines().zip(y.lines()).position(|(p, q)| p != q);
            panic!(
                "{what}: {name} differs ({} vs {} bytes); first different line {line:?}:\n{:?}\n{:?}",
                bytes.len(),
                b[name].len(),
                line.and_then(|l| x.lines().nth(l)),
                line.and_then(|l| y.lines().nth(l))
            );
        }
    }
    let (mut ma, mut mb) = (manifest(want), manifest(got));
    // Both list a summary page; its bytes differ in the "Run" section (see `files`).
    for m in [&mut ma, &mut mb] {
        let outputs = m["outputs"].as_array_mut().unwrap();
        let pages = outputs.iter().filter(|o| o["file"] == "summary.html").count();
        assert_eq!(pages, 1, "{what}: the manifest lists one summary page");
        outputs.retain(|o| o["file"] != "summary.html");
    }
    for key in ["schema_version", "records", "outputs", "inputs", "listing", "lexicons", "exit_code"] {
        assert_eq!(ma[key], mb[key], "{what}: manifest {key}");
    }
}

/// A deterministic generator (xorshift64*), so the generated set is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

const COUNTRIES: &[&str] = &[
    "Russia",
    "Ukraine",
    "China",
    "the United States",
    "France",
    "Germany",
    "Iran",
    "Israel",
    "India",
    "Pakistan",
    "Japan",
    "Turkey",
    "Brazil",
    "NATO",
    "the European Union",
];
const LEADERS: &[&str] = &[
    "Vladimir Putin",
    "Volodymyr Zelenskyy",
    "Xi Jinping",
    "Emmanuel Macron",
    "Olaf Scholz",
    "Narendra Modi",
    "the Kremlin",
    "the White House",
    "Beijing",
    "Moscow",
];
const VERBS: &[&str] = &[
    "condemned",
    "accused",
    "praised",
    "thanked",
    "threatened",
    "signed a trade agreement with",
    "imposed sanctions on",
    "welcomed the support of",
    "warned",
    "criticized",
];
const TAILS: &[&str] = &[
    "over the border dispute",
    "for its military build-up",
    "after talks in Geneva",
    "in a statement on Tuesday",
    "for its help with the grain deal",
    "over human rights",
];
const QUOTES: &[&str] = &[
    "This is an unacceptable provocation",
    "We are grateful for this friendship",
    "Our partnership has never been stronger",
    "They will pay a heavy price",
    "We want peace and cooperation",
];

/// A JSONL set of `n` articles from templates (countries, leaders, cues, quotes, dates over a
/// month, a few undated), plus failed records (bad JSON, a record without text), and ids repeated
/// later in the listing, so that every kind of record and row occurs.
fn generated(path: &Path, n: usize, seed: u64) {
    let mut rng = Rng(seed | 1);
    let mut out = String::new();
    for i in 0..n {
        let mut paragraphs = Vec::new();
        for _ in 0..(1 + rng.next() % 4) {
            let (a, b) = (rng.pick(COUNTRIES), rng.pick(COUNTRIES));
            let s = match rng.next() % 4 {
                0 => format!("{a} {} {b} {}.", rng.pick(VERBS), rng.pick(TAILS)),
                1 => format!("\u{201c}{},\u{201d} {} said of {b}.", rng.pick(QUOTES), rng.pick(LEADERS)),
                2 => format!(
                    "{} {} {a} {}. Officials in {b} did not comment.",
                    rng.pick(LEADERS),
                    rng.pick(VERBS),
                    rng.pick(TAILS)
                ),
                _ => format!("Markets in {a} were calm on Monday as traders waited for news from {b}."),
            };
            paragraphs.push(s);
        }
        let date = if rng.next() % 10 == 0 {
            serde_json::Value::Null
        } else {
            format!("2026-11-{:02}", 1 + rng.next() % 30).into()
        };
        // Every 50th article repeats an earlier id (a duplicate for `score` to report).
        let id = if i % 50 == 49 { format!("gen-{}", i - 7) } else { format!("gen-{i}") };
        let doc = serde_json::json!({
            "id": id, "date": date, "source": "generated",
            "title": format!("Report {i}"), "text": paragraphs.join("\n\n"),
        });
        out.push_str(&doc.to_string());
        out.push('\n');
        if i % 400 == 123 {
            out.push_str("{not json at all\n");
        }
        if i % 700 == 5 {
            out.push_str(&format!("{{\"id\": \"broken-{i}\"}}\n"));
        }
    }
    fs::write(path, out).unwrap();
}

/// Scores `input` whole and in N shards for each N, merges the shards and compares.
fn shards_equal_unsharded(input: &Path, tmp: &Path, ns: &[u64]) {
    let input = input.to_str().unwrap();
    let full = tmp.join("full");
    assert_code(&score(&full, &[input, "-j", "2", "-q"]), &[0, 3], "unsharded score");
    let rows = |f: &str| fs::read_to_string(full.join(f)).unwrap().lines().count() - 1;
    assert!(rows("paragraphs.csv") > 0 && rows("mentions.csv") > 0, "the input gives rows");
    for &n in ns {
        let parts: Vec<PathBuf> = (0..n).map(|i| tmp.join(format!("n{n}-shard{i}"))).collect();
        for (i, p) in parts.iter().enumerate() {
            let shard = format!("{i}/{n}");
            assert_code(&score(p, &[input, "-j", "1", "-q", "--shard", &shard]), &[0, 3], "shard score");
        }
        let merged = tmp.join(format!("n{n}-merged"));
        assert_code(&merge(&merged, &parts, &[]), &[0, 3], "merge");
        assert_same_reports(&full, &merged, &format!("{input}, N = {n}"));
        // Any argument order of the shards gives the same result.
        if n > 2 {
            let mut rev = parts.clone();
            rev.reverse();
            let merged = tmp.join(format!("n{n}-merged-rev"));
            assert_code(&merge(&merged, &rev, &[]), &[0, 3], "merge reversed");
            assert_same_reports(&full, &merged, &format!("{input}, N = {n}, reversed"));
        }
    }
}

#[test]
fn shards_merge_to_the_unsharded_run_on_the_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    shards_equal_unsharded(&root().join("seeds"), tmp.path(), &[1, 2, 3, 7]);
}

#[test]
fn shards_merge_to_the_unsharded_run_on_a_generated_set() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("generated.jsonl");
    generated(&input, 3000, 17);
    shards_equal_unsharded(&input, tmp.path(), &[1, 2, 3, 7]);
    // The set exercised what it should: stances, failed records, duplicates.
    let full = tmp.path().join("full");
    let errors = fs::read_to_string(full.join("errors.csv")).unwrap();
    assert!(errors.contains("duplicate document id") && errors.lines().count() > 60, "{errors}");
    assert!(fs::read_to_string(full.join("stances.csv")).unwrap().lines().count() > 10);
}

#[test]
fn two_nights_merge_to_one_run_over_both_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    generated(&t.join("night1.jsonl"), 500, 3);
    // The second night repeats some of the first night's ids (gen-0 ... gen-499 again).
    generated(&t.join("night2.jsonl"), 600, 5);
    let (n1, n2) = (t.join("night1.jsonl"), t.join("night2.jsonl"));
    let both = t.join("both");
    assert_code(&score(&both, &[n1.to_str().unwrap(), n2.to_str().unwrap(), "-q"]), &[3], "both nights");
    let (r1, r2) = (t.join("r1"), t.join("r2"));
    assert_code(&score(&r1, &[n1.to_str().unwrap(), "-q"]), &[3], "night 1");
    // Night 2 in three shards: a merge takes nights and shards together.
    let shards: Vec<PathBuf> = (0..3).map(|i| t.join(format!("r2-{i}"))).collect();
    for (i, s) in shards.iter().enumerate() {
        assert_code(&score(s, &[n2.to_str().unwrap(), "-q", "--shard", &format!("{i}/3")]), &[0, 3], "shard");
    }
    assert_code(&score(&r2, &[n2.to_str().unwrap(), "-q"]), &[3], "night 2");
    let merged = t.join("merged");
    let out = merge(&merged, [&r1, &r2], &[]);
    assert_code(&out, &[3], "merge nights");
    assert_same_reports(&both, &merged, "two nights");
    let merged3 = t.join("merged3");
    let mut parts = vec![r1.clone()];
    parts.extend(shards.iter().cloned());
    assert_code(&merge(&merged3, &parts, &[]), &[3], "merge night and shards");
    assert_same_reports(&both, &merged3, "night 1 + night 2 in shards");
    // Merging merged folders: ((night 1) + (night 2)) again equals the run over both.
    let again = t.join("again");
    let m1 = t.join("m1");
    assert_code(&merge(&m1, [&r1], &[]), &[3], "merge one");
    assert_code(&merge(&again, [&m1, &r2], &[]), &[3], "merge of a merge");
    assert_same_reports(&both, &again, "merge of a merge");
    // Each repeated article is counted once and reported once.
    let errors = fs::read_to_string(merged.join("errors.csv")).unwrap();
    let dup_rows = errors.lines().filter(|l| l.contains("duplicate document id")).count();
    assert!(dup_rows >= 400, "{dup_rows} duplicate rows");
    let m = manifest(&merged);
    assert_eq!(m["parts"].as_array().unwrap().len(), 2);
    assert_eq!(m["parts"][0]["manifest_blake3"], blake3_hex(&r1.join("manifest.json")));
}

fn blake3_hex(path: &Path) -> String {
    blake3::hash(&fs::read(path).unwrap()).to_hex().to_string()
}

#[test]
fn from_and_to_keep_only_those_dates() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let input = t.join("all.jsonl");
    generated(&input, 600, 11);
    let full = t.join("full");
    assert_code(&score(&full, &[input.to_str().unwrap(), "-q"]), &[3], "score");
    // The same window by hand: valid articles dated 2026-11-10 ..= 2026-11-19, first copy of each id.
    let mut seen = std::collections::HashSet::new();
    let mut kept = String::new();
    for line in fs::read_to_string(&input).unwrap().lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let (Some(id), Some(_)) = (v["id"].as_str(), v["text"].as_str()) else { continue };
        if !seen.insert(id.to_string()) {
            continue;
        }
        if let Some(d) = v["date"].as_str() {
            if ("2026-11-10"..="2026-11-19").contains(&d) {
                kept.push_str(line);
                kept.push('\n');
            }
        }
    }
    let window = t.join("window.jsonl");
    fs::write(&window, kept).unwrap();
    let want = t.join("want");
    assert_code(&score(&want, &[window.to_str().unwrap(), "-q"]), &[0], "score window");
    let got = t.join("got");
    assert_code(&merge(&got, [&full], &["--from", "2026-11-10", "--to", "2026-11-19"]), &[0], "merge window");
    for f in ["paragraphs.csv", "mentions.csv", "stances.csv", "actors.csv", "countries.csv", "dyads.csv", "errors.csv"]
    {
        assert_eq!(
            fs::read_to_string(want.join(f)).unwrap(),
            fs::read_to_string(got.join(f)).unwrap(),
            "{f} of the window"
        );
    }
    let dates = fs::read_to_string(got.join("actors.csv")).unwrap();
    assert!(dates.lines().skip(1).all(|l| ("2026-11-10".."2026-11-20").contains(&&l[..10])), "{dates}");
    let bad = merge(&t.join("bad"), [&want], &["--from", "2026-11-20", "--to", "2026-11-01"]);
    assert_code(&bad, &[2], "--from after --to");
}

/// A small scored folder to refuse or fault with.
fn small_run(t: &Path, name: &str, shard: Option<&str>) -> PathBuf {
    small_run_of(t, name, shard, 23)
}

/// [`small_run`] of another generated input (another listing: not a shard of the same run).
fn small_run_of(t: &Path, name: &str, shard: Option<&str>, seed: u64) -> PathBuf {
    let input = t.join(format!("small-{seed}.jsonl"));
    if !input.exists() {
        generated(&input, 40, seed);
    }
    let out = t.join(name);
    let mut args = vec![input.to_str().unwrap().to_string(), "-q".to_string()];
    if let Some(s) = shard {
        args.extend(["--shard".to_string(), s.to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_code(&score(&out, &args), &[0, 3], "small run");
    out
}

fn assert_refused(o: &Output, folder: &Path, words: &str, out: &Path) {
    assert_code(o, &[2], words);
    let e = stderr(o);
    assert!(e.contains(&folder.display().to_string()) && e.contains(words), "stderr: {e}");
    assert!(!out.exists(), "nothing written");
    let parent = out.parent().unwrap();
    let leftovers: Vec<_> = fs::read_dir(parent)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("out.staging"))
        .collect();
    assert!(leftovers.is_empty(), "no staging left");
}

#[test]
fn incomplete_foreign_or_partial_folders_are_refused_with_exit_2_and_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let good = small_run(t, "good", None);
    let out = t.join("out");

    let unfinished = small_run(t, "unfinished", None);
    fs::remove_file(unfinished.join("_SUCCESS")).unwrap();
    assert_refused(&merge(&out, [&good, &unfinished], &[]), &unfinished, "no _SUCCESS", &out);

    let writing = small_run(t, "writing", None);
    fs::create_dir(t.join(".writing.staging-4242")).unwrap();
    assert_refused(&merge(&out, [&good, &writing], &[]), &writing, "a run is writing it", &out);

    let old = small_run(t, "old", None);
    let m = fs::read_to_string(old.join("manifest.json")).unwrap();
    fs::write(old.join("manifest.json"), m.replace("\"schema_version\": 2", "\"schema_version\": 1")).unwrap();
    assert_refused(&merge(&out, [&good, &old], &[]), &old, "schema version 1", &out);

    let lex = small_run_of(t, "lex", None, 24);
    let m = manifest(&lex);
    let hash = m["lexicons"][0]["blake3"].as_str().unwrap().to_string();
    let text = fs::read_to_string(lex.join("manifest.json")).unwrap().replacen(&hash, &"0".repeat(64), 1);
    fs::write(lex.join("manifest.json"), text).unwrap();
    assert_refused(&merge(&out, [&good, &lex], &[]), &lex, "other lexicons", &out);
    assert_code(&merge(&out, [&good, &lex], &["--allow-lexicon-change"]), &[0, 3], "allowed");
    fs::remove_dir_all(&out).unwrap();

    let s0 = small_run(t, "s0", Some("0/3"));
    let s2 = small_run(t, "s2", Some("2/3"));
    assert_refused(&merge(&out, [&s0, &s2], &[]), &s0, "shard 1/3 of this run is missing", &out);
    assert_refused(&merge(&out, [&good, &good], &[]), &good, "given twice", &out);

    let cut = small_run(t, "cut", None);
    let p = fs::read(cut.join("paragraphs.csv")).unwrap();
    fs::write(cut.join("paragraphs.csv"), &p[..p.len() / 2]).unwrap();
    assert_refused(&merge(&out, [&cut], &[]), &cut, "not the file the manifest lists", &out);

    let missing = t.join("never-written");
    assert_refused(&merge(&out, [&good, &missing], &[]), &missing, "not a folder", &out);
}

#[test]
fn a_failed_shard_leaves_no_folder_that_merge_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let input = t.join("in.jsonl");
    generated(&input, 300, 29);
    // Valid articles with distinct ids, and one line of bad JSON (a failed record without id).
    let mut seen = std::collections::HashSet::new();
    let mut text: String = fs::read_to_string(&input)
        .unwrap()
        .lines()
        .filter(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap_or_default();
            v["text"].is_string() && seen.insert(v["id"].to_string())
        })
        .map(|l| format!("{l}\n"))
        .collect();
    text.push_str("{not json\n");
    fs::write(&input, text).unwrap();
    let input = input.to_str().unwrap();
    // The shard holding the id-less bad record fails (--max-errors 0): exit 1, nothing published.
    let shards: Vec<PathBuf> = (0..3).map(|i| t.join(format!("s{i}"))).collect();
    let mut failed = None;
    for (i, s) in shards.iter().enumerate() {
        let o = score(s, &[input, "-q", "--shard", &format!("{i}/3"), "--max-errors", "0"]);
        if o.status.code() == Some(1) {
            assert!(!s.exists(), "a failed shard publishes nothing");
            failed = Some(i);
        } else {
            assert_code(&o, &[0], "shard without errors");
        }
    }
    let failed = failed.expect("one shard has the failed records");
    let out = t.join("out");
    let o = merge(&out, &shards, &[]);
    assert_refused(&o, &shards[failed], "not a folder", &out);
    let present: Vec<PathBuf> = shards.iter().filter(|s| s.exists()).cloned().collect();
    let o = merge(&out, &present, &[]);
    assert_refused(&o, &present[0], "is missing", &out);
}

#[test]
fn a_symlinked_output_stays_a_symlink() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let part = small_run(t, "part", None);
    let real = t.join("2026-12-05");
    fs::create_dir(&real).unwrap();
    fs::write(real.join("README.txt"), "kept").unwrap();
    let link = t.join("latest");
    std::os::unix::fs::symlink("2026-12-05", &link).unwrap();
    assert_code(&merge(&link, [&part], &[]), &[0, 3], "merge into a link");
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "still a link");
    assert!(real.join("_SUCCESS").exists());
    assert_eq!(fs::read_to_string(real.join("README.txt")).unwrap(), "kept", "files newsstance does not own stay");
    fs::remove_file(real.join("README.txt")).unwrap();
    assert_same_reports(&part, &real, "through the link");
    // score too.
    let again = score(&link, &[t.join("small-23.jsonl").to_str().unwrap(), "-q"]);
    assert_code(&again, &[0, 3], "score into a link");
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
}

/// Runs `mount ARGS`; false (and a note) when this machine does not allow it (not root, or a
/// container without the capability).
fn try_mount(args: &[&str]) -> bool {
    let ok = std::process::Command::new("mount").args(args).output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        eprintln!("skipped: `mount {}` not permitted here", args.join(" "));
    }
    ok
}

fn umount(p: &Path) {
    let _ = std::process::Command::new("umount").arg(p).status();
}

#[test]
fn read_only_or_full_output_exits_1_and_keeps_the_previous_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let part = small_run(t, "part", None);
    let big_input = t.join("big.jsonl");
    generated(&big_input, 1500, 31);
    let big = t.join("big");
    assert_code(&score(&big, &[big_input.to_str().unwrap(), "-q"]), &[3], "big");

    // Read-only: a folder of previous reports on a read-only bind mount.
    let ro = t.join("ro");
    fs::create_dir(&ro).unwrap();
    assert_code(&merge(&ro.join("reports"), [&part], &[]), &[0, 3], "previous reports");
    let before = files(&ro.join("reports"));
    let ro_path = ro.to_str().unwrap();
    if try_mount(&["--bind", ro_path, ro_path]) {
        let remounted = try_mount(&["-o", "remount,bind,ro", ro_path]);
        // Both runs first, the mount undone, then the checks (a failed check leaves no mount).
        let runs = remounted.then(|| {
            (merge(&ro.join("reports"), [&big], &[]), score(&ro.join("reports"), &[big_input.to_str().unwrap(), "-q"]))
        });
        umount(&ro);
        if let Some((m, s)) = runs {
            assert_code(&m, &[1], "merge into a read-only folder");
            assert_code(&s, &[1], "score into a read-only folder");
            assert_eq!(files(&ro.join("reports")), before, "previous reports untouched");
        }
    }

    // Full: a 1 MB tmpfs holding small previous reports; the big merge does not fit.
    let small_fs = t.join("tmpfs");
    fs::create_dir(&small_fs).unwrap();
    if try_mount(&["-t", "tmpfs", "-o", "size=1m", "tmpfs", small_fs.to_str().unwrap()]) {
        let reports = small_fs.join("reports");
        let first = merge(&reports, [&part], &[]);
        let before = if reports.exists() { files(&reports) } else { BTreeMap::new() };
        let o = merge(&reports, [&big], &[]);
        let o2 = score(&reports, &[big_input.to_str().unwrap(), "-q"]);
        let after = files(&reports);
        let leftovers = fs::read_dir(&small_fs).unwrap().count();
        umount(&small_fs);
        assert_code(&first, &[0, 3], "previous reports");
        assert_code(&o, &[1], "merge on a full disk");
        assert!(stderr(&o).contains("No space left"), "{}", stderr(&o));
        assert_code(&o2, &[1], "score on a full disk");
        assert_eq!(after, before, "previous reports untouched");
        assert_eq!(leftovers, 1, "no staging folder left behind");
    }
}

#[test]
fn help_merge_explains_every_option() {
    let o = bin().args(["help", "merge"]).output().unwrap();
    assert_code(&o, &[0], "help merge");
    let text = String::from_utf8_lossy(&o.stdout);
    for opt in ["--out", "--from", "--to", "--allow-lexicon-change", "--bom", "--quiet", "_SUCCESS", "Exit codes"] {
        assert!(text.contains(opt), "help merge lacks {opt}:\n{text}");
    }
    let o = bin().args(["help", "score"]).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("--shard <I/N>"));
}

#[test]
fn the_local_shards_script_reproduces_the_unsharded_run() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let input = t.join("generated.jsonl");
    generated(&input, 2000, 41);
    for (what, input) in [("seeds", root().join("seeds")), ("generated", input)] {
        let o = std::process::Command::new("bash")
            .arg(root().join("deploy/local-shards.sh"))
            .arg(&input)
            .arg("4")
            .arg(t.join(what))
            .env("NEWSSTANCE", env!("CARGO_BIN_EXE_newsstance"))
            .current_dir(root())
            .output()
            .unwrap();
        assert_code(&o, &[0], &format!("deploy/local-shards.sh on {what}"));
        assert!(String::from_utf8_lossy(&o.stdout).contains("identical"), "{}", String::from_utf8_lossy(&o.stdout));
    }
}

/// `merge` writes the summary page of the merged folder (listed in its manifest like every
/// output) from the merged figures and evidence, and `--no-summary` leaves it out.
#[test]
fn merged_folders_have_their_summary_page() {
    let t = tempfile::tempdir().unwrap();
    let a = small_run(t.path(), "page-a", Some("0/2"));
    let b = small_run(t.path(), "page-b", Some("1/2"));
    let out = t.path().join("page-merged");
    assert_code(&merge(&out, [&a, &b], &[]), &[0, 3], "merge");
    let page = fs::read(out.join("summary.html")).expect("merge writes summary.html");
    let text = String::from_utf8(page.clone()).unwrap();
    for section in ["id=\"matrix\"", "id=\"coverage\"", "id=\"relations\"", "id=\"run\""] {
        assert!(text.contains(section), "{section} missing from the merged page");
    }
    let m = manifest(&out);
    let listed = m["outputs"].as_array().unwrap().iter().find(|o| o["file"] == "summary.html").cloned();
    let listed = listed.expect("the manifest lists the page");
    assert_eq!(listed["bytes"], page.len() as u64);
    assert_eq!(listed["blake3"], blake3::hash(&page).to_hex().as_str());
    // A merged folder's page can be merged again, and the page left out on request.
    let again = t.path().join("page-again");
    assert_code(&merge(&again, [&out], &["--no-summary"]), &[0, 3], "merge --no-summary");
    assert!(!again.join("summary.html").exists());
    assert!(manifest(&again)["outputs"].as_array().unwrap().iter().all(|o| o["file"] != "summary.html"));
}
