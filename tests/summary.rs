//! `summary.html`: written with every `score` (not with `--no-summary`), listed in the manifest,
//! self-contained, escaped, deterministic in its data, rebuilt from a report folder, and seen in
//! a real browser (headless Chromium): the matrix, the bars and the evidence laid out, the
//! screenshot not blank, no injected script run.

mod common;
use common::{root, score};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

const SCRIPT_PAYLOAD: &str = "<script>alert(1)</script>";
/// An attribute break-out whose handler would leave a mark on the document if it ever ran.
const IMG_PAYLOAD: &str = "\"><img src=x onerror=\"document.documentElement.setAttribute('data-pwned','img')\">";
/// A script that would leave a mark if it ran.
const MARK_PAYLOAD: &str = "<script>document.documentElement.setAttribute('data-pwned','script')</script>";

fn assert_code(o: &Output, want: i32) {
    assert_eq!(o.status.code(), Some(want), "stderr: {}", String::from_utf8_lossy(&o.stderr));
}

fn page(out: &Path) -> String {
    fs::read_to_string(out.join("summary.html")).unwrap_or_else(|e| panic!("{}: {e}", out.display()))
}

/// The seed article's body (without its title line).
fn seed_body() -> String {
    let t = fs::read_to_string(root().join("seeds/000_ce661559d7daa382.txt")).unwrap();
    t.split_once('\n').unwrap().1.trim().to_string()
}

/// Paragraphs written for the stance rules, many of which the pair model reports.
fn fixture_texts() -> Vec<String> {
    let mut texts = Vec::new();
    let raw = fs::read_to_string(root().join("tests/data/stance_paragraphs.jsonl")).unwrap();
    for line in raw.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        texts.push(v["text"].as_str().unwrap().to_string());
    }
    texts.push(seed_body());
    texts
}

/// The seed article with the payloads in its text (inside two sentences the pair model
/// reports), its id, source and title.
fn payload_doc(date: &str) -> serde_json::Value {
    let body = seed_body()
        .replace(
            "Kirby also pushed back on China’s claim",
            &format!("Kirby also pushed back on China’s claim {SCRIPT_PAYLOAD} {IMG_PAYLOAD} {MARK_PAYLOAD}"),
        )
        .replace("But Western leaders have", &format!("But Western leaders {IMG_PAYLOAD} have"));
    assert!(body.contains(SCRIPT_PAYLOAD));
    serde_json::json!({
        "id": format!("payload-{SCRIPT_PAYLOAD}"),
        "title": SCRIPT_PAYLOAD,
        "source": format!("{IMG_PAYLOAD} Daily"),
        "date": date,
        "text": body,
    })
}

/// The outlet of every third article in [`multi_date_corpus`].
fn payload_outlet() -> String {
    format!("{IMG_PAYLOAD}{MARK_PAYLOAD}{SCRIPT_PAYLOAD} Daily")
}

/// A corpus over twelve days of March 2024 with two days missing (the 5th and the 9th), some
/// undated articles, and every third article from an outlet named with the payloads.
fn multi_date_corpus(path: &Path, n: usize) {
    let texts = fixture_texts();
    let k = texts.len();
    let days: Vec<u32> = (1..=12).filter(|d| *d != 5 && *d != 9).collect();
    let mut s = String::new();
    let outlets = ["Reuters".to_string(), "TASS".to_string(), payload_outlet()];
    for i in 0..n {
        let text = format!("{}\n\n{}", texts[i % k], texts[(i * 7 + 3) % k]);
        let source = &outlets[i % 3];
        let mut doc = serde_json::json!({ "id": format!("gen-{i:05}"), "text": text, "source": source });
        if i % 11 != 0 {
            doc["date"] = format!("2024-03-{:02}", days[(i * 7) % days.len()]).into();
        }
        s.push_str(&serde_json::to_string(&doc).unwrap());
        s.push('\n');
    }
    fs::write(path, s).unwrap();
}

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap()
}

/// The page up to its run facts (which hold times and the thread count).
fn data_part(page: &str) -> &str {
    &page[..page.find("<section id=\"run\">").expect("no run section")]
}

/// Everything the page would fetch or run from elsewhere.
fn assert_self_contained(page: &str) {
    let lower = page.to_ascii_lowercase();
    for needle in ["<link", "<img", "<iframe", "<object", "@import", "url(", "src=\"", "src='", "href=\"//"] {
        assert!(!lower.contains(needle), "the page contains {needle:?}");
    }
    // The only URLs are SVG namespaces.
    for (i, _) in lower.match_indices("http:").chain(lower.match_indices("https:")) {
        let at = &lower[i..];
        assert!(at.starts_with("http://www.w3.org/"), "a URL in the page: {}", &page[i..(i + 60).min(page.len())]);
    }
    assert_eq!(lower.matches("<script").count(), 1, "one script, the page's own");
    assert!(lower.contains("content-security-policy") && lower.contains("default-src 'none'"));
}

#[test]
fn seeds_page_is_written_listed_and_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    assert_code(&score(&out, &["seeds", "-j", "2"]), 0);
    let p = page(&out);
    assert_self_contained(&p);
    assert!(p.len() < 2_000_000);
    for id in ["matrix", "relations", "coverage", "trends", "run"] {
        assert!(p.contains(&format!("<section id=\"{id}\">")), "no section {id}");
    }
    // The seed's directed pairs in stances.csv: CHN→RUS, RUS→CHN, USA→CHN, USA→RUS and WEST→CHN.
    // USA→UKR, a place taken as the target ("pushed back on China's claim ... regarding the war
    // in Ukraine"), gone with session 10's model and back with session 14's (pair model
    // P(hostile) 0.612 against its threshold 0.59), is gone again with the sentence reader beside
    // it (reader P(hostile) 0.246; combined 0.418 against 0.51).
    assert_eq!(p.matches("<td class=\"cell").count(), 5);
    // The mean moves in its second decimal when the model is retrained; its sign and form do not.
    assert!(p.contains("title=\"United States (USA) → China (CHN): 3 events in 1 document; mean stance −0."), "{p}");
    // Evidence with the cue highlighted, strongest relations both ways.
    assert!(p.contains("Kirby also <mark>pushed back</mark> on China’s claim"), "{p}");
    // (hostile USA→CHN, friendly RUS→CHN; CHN→RUS holds one hostile and one friendly event,
    // a mean near zero that is shown or not as it moves around 0.05 with each retraining).
    assert!(p.contains("id=\"rel-USA-CHN\"") && p.contains("id=\"rel-RUS-CHN\""), "{p}");
    // Coverage bars for the six countries and blocs mentioned, with their counts. Russia's 15
    // mentions less the "Moscow" the place model (session 21) reads as only a city: "Xi spent
    // three days in Moscow this week", the place of a visit, as the brief has it.
    assert!(p.contains("Russia (RUS) · 14 mentions"), "{p}");
    // One date (none): no lines over time, said so.
    assert!(p.contains("nothing to draw over time"));
    // Run facts and the link to the errors.
    assert!(p.contains("<a href=\"errors.csv\">errors.csv</a>"));
    assert!(p.contains("seeds/000_ce661559d7daa382.txt"));
    let m = manifest(&out);
    let entry = m["outputs"].as_array().unwrap().iter().find(|o| o["file"] == "summary.html").unwrap().clone();
    assert_eq!(entry["blake3"], blake3::hash(p.as_bytes()).to_hex().as_str());
}

#[test]
fn no_summary_writes_no_page_and_drops_an_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    assert_code(&score(&out, &["seeds"]), 0);
    assert!(out.join("summary.html").exists());
    assert_code(&score(&out, &["seeds", "--no-summary"]), 0);
    assert!(!out.join("summary.html").exists(), "a stale page was left beside new reports");
    let m = manifest(&out);
    assert!(m["outputs"].as_array().unwrap().iter().all(|o| o["file"] != "summary.html"));
    assert!(m.get("summary_seconds").is_none());
    assert!(out.join("dyads.csv").exists() && out.join("_SUCCESS").exists());
}

#[test]
fn article_text_is_shown_escaped_never_as_markup() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("payload.jsonl");
    fs::write(&input, serde_json::to_string(&payload_doc("2024-03-01")).unwrap() + "\n").unwrap();
    let out = dir.path().join("r");
    assert_code(&score(&out, &[input.to_str().unwrap()]), 0);
    // The payloads reached the evidence...
    let stances = fs::read_to_string(out.join("stances.csv")).unwrap();
    assert!(stances.contains(SCRIPT_PAYLOAD), "{stances}");
    let p = page(&out);
    assert_self_contained(&p);
    // ... and the page shows them as text: in the evidence sentence, the outlet and the id.
    assert!(p.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(p.contains("&quot;&gt;&lt;img src=x onerror=&quot;"));
    assert!(p.matches("payload-&lt;script&gt;alert(1)&lt;/script&gt; ¶").count() >= 2, "{p}");
    assert!(!p.contains("onerror=\"document"), "an unescaped handler");
}

#[test]
fn multi_date_page_draws_lines_with_gaps_and_its_data_do_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("multi.jsonl");
    multi_date_corpus(&input, 400);
    let pages: Vec<String> = ["1", "2"]
        .iter()
        .map(|j| {
            let out = dir.path().join(format!("j{j}"));
            assert_code(&score(&out, &[input.to_str().unwrap(), "-j", j]), 0);
            page(&out)
        })
        .collect();
    assert_eq!(data_part(&pages[0]), data_part(&pages[1]), "the page's data differ between -j 1 and -j 2");
    let p = &pages[0];
    assert_self_contained(p);
    assert!(p.contains("By day, 2024-03-01 to 2024-03-12; a missing day is a gap"), "{p}");
    // Two charts over time, each line broken at the missing days: no run crosses them. In the
    // SVG a run is a polyline; x = 0..11 maps to the days, so a gap shows as runs that end
    // before the 5th and start after it.
    let trends = &p[p.find("<section id=\"trends\">").unwrap()..p.find("<section id=\"run\">").unwrap()];
    assert_eq!(trends.matches("<svg").count(), 2);
    assert!(trends.matches("<polyline").count() >= 2 * 3, "each line is drawn in pieces");
    assert!(p.matches("<td class=\"cell").count() >= 10);
    assert!(p.matches("<li class=\"quote\"").count() >= 6);
    assert!(p.len() < 2_000_000);
}

#[test]
fn a_report_folder_gives_the_same_picture() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("multi.jsonl");
    multi_date_corpus(&input, 200);
    let out = dir.path().join("r");
    assert_code(&score(&out, &[input.to_str().unwrap()]), 0);
    let from_run = page(&out);
    let from_dir = newsstance::summary::from_report_dir(&out).unwrap();
    // Same cells, relations and run facts; the folder has no outlets (stances.csv has none).
    let cells = |p: &str| p.matches("<td class=\"cell").count();
    let anchors = |p: &str| -> Vec<String> {
        p.match_indices("<li class=\"rel\" id=\"").map(|(i, _)| p[i..].split('"').nth(3).unwrap().to_string()).collect()
    };
    assert_eq!(cells(&from_run), cells(&from_dir));
    assert_eq!(anchors(&from_run), anchors(&from_dir));
    assert!(!anchors(&from_run).is_empty());
    let run_facts = |p: &str| p[p.find("<section id=\"run\">").unwrap()..].to_string();
    assert_eq!(run_facts(&from_run), run_facts(&from_dir));
    // A folder without its files is an error, not a panic.
    let err = newsstance::summary::from_report_dir(&dir.path().join("missing")).unwrap_err();
    assert!(err.to_string().contains("manifest.json"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// In the browser

/// Headless Chromium, or `None` (the test then says it skipped) — except under CI, where a
/// missing browser fails the test: `.ci/run` installs it.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(name)).find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but no chromium is installed (.ci/run installs Debian's chromium)"
        );
        eprintln!("SKIPPED: no chromium on PATH; the browser checks of summary.html did not run");
    }
    found
}

/// Runs headless Chromium on `page` with a fresh profile; `what` is `--dump-dom` or
/// `--screenshot=PATH`.
fn browse(chrome: &Path, page: &Path, what: &str) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1280,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(what)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(o.status.success(), "chromium failed: {}", String::from_utf8_lossy(&o.stderr));
    o
}

/// What the page's script recorded about the laid-out page, from the DOM as the browser has it.
fn rendered(dom: &str) -> serde_json::Value {
    let start = dom.find("data-rendered=\"").unwrap_or_else(|| panic!("the page's script did not run: {dom}")) + 15;
    let raw = &dom[start..start + dom[start..].find('"').unwrap()];
    serde_json::from_str(&raw.replace("&quot;", "\"")).unwrap()
}

/// The screenshot has content: enough non-white pixels in enough colours.
fn assert_not_blank(png_path: &Path) {
    let decoder = png::Decoder::new(std::io::BufReader::new(fs::File::open(png_path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    let pixels = buf[..info.buffer_size()].chunks(channels);
    let total = (info.width * info.height) as usize;
    let mut colours = std::collections::BTreeSet::new();
    let mut inked = 0;
    for p in pixels {
        if p[0] < 235 || p[1] < 235 || p[2] < 235 {
            inked += 1;
        }
        colours.insert((p[0] >> 3, p[1] >> 3, p[2] >> 3));
    }
    assert!(inked * 50 > total, "{}: only {inked} of {total} pixels are not white", png_path.display());
    assert!(colours.len() > 50, "{}: {} colours", png_path.display(), colours.len());
}

#[test]
fn the_browser_shows_the_matrix_bars_and_evidence_and_runs_no_injected_script() {
    let Some(chrome) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();

    // The seeds: the screenshot is the one in docs/ (copied there by hand after a look).
    let seeds = dir.path().join("seeds");
    assert_code(&score(&seeds, &["seeds"]), 0);
    let page = seeds.join("summary.html");
    let r = rendered(&String::from_utf8_lossy(&browse(&chrome, &page, "--dump-dom").stdout));
    for k in ["matrix", "bars", "evidence", "run"] {
        assert_eq!(r[k], 1, "{k} not visible: {r}");
    }
    assert_eq!((r["cells"].as_u64(), r["scripts"].as_u64(), r["images"].as_u64()), (Some(5), Some(1), Some(0)), "{r}");
    assert!(r["bars_drawn"].as_u64().unwrap() >= 6 && r["quotes"].as_u64().unwrap() >= 4, "{r}");
    let shot = root().join("target/summary-seeds.png");
    browse(&chrome, &page, &format!("--screenshot={}", shot.display()));
    assert_not_blank(&shot);
    eprintln!("seeds page: script done at {} ms after navigation start; screenshot {}", r["ms"], shot.display());

    // Several dates, every third article from an outlet named with the payloads.
    let input = dir.path().join("multi.jsonl");
    multi_date_corpus(&input, 400);
    let multi = dir.path().join("multi");
    assert_code(&score(&multi, &[input.to_str().unwrap()]), 0);
    let page = multi.join("summary.html");
    let clock = Instant::now();
    let dom = String::from_utf8_lossy(&browse(&chrome, &page, "--dump-dom").stdout).into_owned();
    let wall = clock.elapsed();
    let r = rendered(&dom);
    for k in ["matrix", "bars", "evidence", "trends", "run"] {
        assert_eq!(r[k], 1, "{k} not visible: {r}");
    }
    assert_no_injection(&dom, &r);
    let shot = root().join("target/summary-multi-date.png");
    browse(&chrome, &page, &format!("--screenshot={}", shot.display()));
    assert_not_blank(&shot);
    eprintln!(
        "multi-date page: script done at {} ms after navigation start; chromium start to DOM dump {:.2} s",
        r["ms"],
        wall.as_secs_f64()
    );
    assert!(r["ms"].as_u64().unwrap() < 2000, "{r}");

    // The article with the payloads in its sentences, id, title and outlet.
    let input = dir.path().join("payload.jsonl");
    fs::write(&input, serde_json::to_string(&payload_doc("2024-03-01")).unwrap() + "\n").unwrap();
    let out = dir.path().join("payload");
    assert_code(&score(&out, &[input.to_str().unwrap()]), 0);
    let dom = String::from_utf8_lossy(&browse(&chrome, &out.join("summary.html"), "--dump-dom").stdout).into_owned();
    let r = rendered(&dom);
    assert_eq!(r["evidence"], 1, "{r}");
    assert_no_injection(&dom, &r);
    assert!(dom.contains("China’s claim &lt;script&gt;alert(1)&lt;/script&gt; \"&gt;&lt;img src=x"), "{dom}");
}

/// No injected script ran: no mark, one script element (the page's), no image element; and the
/// payloads are the page's text.
fn assert_no_injection(dom: &str, r: &serde_json::Value) {
    // The payloads' own text names the mark; set, it would be an attribute of `<html>`.
    assert!(!dom.contains("data-pwned="), "an injected script ran");
    assert_eq!((r["scripts"].as_u64(), r["images"].as_u64()), (Some(1), Some(0)), "{r}");
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the payload is not shown as text");
    assert!(dom.contains("&lt;img src=x onerror="), "the payload is not shown as text");
}
