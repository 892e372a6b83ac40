//! The place model through the binary: a capital read as only a city (a dateline, "a London
//! judge") is not written as coverage of its country, a capital used for its government is; the
//! stance stages still read both; `explain` says which.

mod common;

use common::Table;

#[test]
fn a_city_is_not_coverage_of_its_country_and_a_government_is() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let docs = [
        serde_json::json!({"id": "city", "text": "Washington (CNN) -- Senate Republicans unveiled their health plan on Monday.\n\nA London judge this week upheld her dismissal."}),
        serde_json::json!({"id": "state", "text": "Washington imposed new sanctions on Moscow on Friday."}),
    ];
    std::fs::write(&input, docs.iter().map(|d| format!("{d}\n")).collect::<String>()).unwrap();
    let out = dir.path().join("out");
    let o = common::score(&out, &[input.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = Table::read(&out.join("mentions.csv"));
    let of = |doc: &str| -> Vec<String> {
        m.rows.iter().filter(|r| m.get(r, "doc_id") == doc).map(|r| m.get(r, "actor").to_string()).collect()
    };
    assert!(of("city").is_empty(), "{:?}", of("city"));
    assert_eq!(of("state"), ["usa-washington", "rus-moscow"]);
    let p = Table::read(&out.join("paragraphs.csv"));
    let codes: Vec<&str> = p.rows.iter().filter(|r| p.get(r, "doc_id") == "city").map(|r| p.get(r, "actors")).collect();
    assert_eq!(codes, ["", ""]);
    let a = Table::read(&out.join("actors.csv"));
    let ids: Vec<&str> = a.rows.iter().map(|r| a.get(r, "actor")).collect();
    assert!(!ids.contains(&"gbr-london") && ids.contains(&"usa-washington"), "{ids:?}");

    let e = common::bin().args(["explain", "A London judge this week upheld her dismissal."]).output().unwrap();
    let text = String::from_utf8_lossy(&e.stdout);
    assert!(text.contains("place model: P(only a city)") && text.contains("not counted as coverage"), "{text}");
}

/// `newsstance train places` rewrites the shipped `lexicons/place_model.csv` byte for byte (it
/// needs the corpus the labels point into; skipped without it).
#[test]
fn train_places_reproduces_the_shipped_weights() {
    let root = common::root();
    let corpus = root.join("../shared/corpus/news.jsonl.gz");
    if !corpus.exists() {
        eprintln!("skipped: no {}", corpus.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("place_model.csv");
    let o = common::bin().args(["train", "places", "--corpus"]).arg(&corpus).arg("--out").arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let shipped = std::fs::read(root.join("lexicons/place_model.csv")).unwrap();
    assert!(std::fs::read(&out).unwrap() == shipped, "train places no longer gives the shipped weights");
}

/// `sample mentions` draws every mention the lexicon finds, cities included (with `coverage`
/// false), each with its own actor and offsets: a city left out of the reports must not shift
/// the rows of the mentions after it.
#[test]
fn sample_mentions_keeps_cities_and_each_mention_its_own_actor() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let doc = serde_json::json!({"id": "d1", "text": "Washington (CNN) -- Senate Republicans unveiled their health plan on Monday.\n\nMoscow said it would answer the sanctions Washington imposed."});
    std::fs::write(&input, format!("{doc}\n")).unwrap();
    let reserved = dir.path().join("reserved.txt");
    std::fs::write(&reserved, "").unwrap();
    let out = dir.path().join("draw");
    let o = common::bin()
        .args(["sample", "mentions", "--count", "100", "--reserved"])
        .arg(&reserved)
        .arg("--out")
        .arg(&out)
        .arg(&input)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(out.join("mentions.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut seen: Vec<(String, String, bool, u64)> = rows
        .iter()
        .map(|r| {
            let s = r["sentence_text"].as_str().unwrap();
            let (a, b) = (r["start"].as_u64().unwrap() as usize, r["end"].as_u64().unwrap() as usize);
            (
                s[a..b].to_string(),
                r["actor"].as_str().unwrap().to_string(),
                r["coverage"].as_bool().unwrap(),
                r["paragraph"].as_u64().unwrap(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("Moscow".to_string(), "rus-moscow".to_string(), true, 2),
            ("Washington".to_string(), "usa-washington".to_string(), false, 1),
            ("Washington".to_string(), "usa-washington".to_string(), true, 2),
        ]
    );
}
