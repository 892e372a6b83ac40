//! Property test over the input readers and the whole per-document pipeline (library API, not
//! the binary, for speed): large random inputs, both arbitrary bytes and news-like JSONL / CSV /
//! `.txt` (news words, actor names, quotes, punctuation runs, control characters, emoji, huge
//! lines), plain or gzipped, sometimes cut short. Nothing may panic and the invariants of
//! `common/invariants.rs` must hold.
//!
//! CI runs a few dozen cases; `PROPTEST_CASES=100000 cargo test --release --test fuzz_pipeline`
//! runs a long session. The coverage-guided counterpart is the cargo-fuzz target in `fuzz/`.

#[path = "common/invariants.rs"]
mod invariants;

use invariants::{run_case, Kind};
use proptest::prelude::*;

/// Tokens of news-like text: words, actors, cues, quotes, punctuation, whitespace, control
/// characters and exotic Unicode.
const TOKENS: &[&str] = &[
    "Russia",
    "Ukraine",
    "the Kremlin",
    "Kremlin",
    "Peskov",
    "Dmitry Peskov",
    "Kremlin spokesman",
    "Moscow",
    "Kyiv",
    "Washington",
    "the White House",
    "Beijing",
    "China",
    "Chinese",
    "Xi Jinping",
    "President",
    "Vladimir Putin",
    "Putin",
    "NATO",
    "the EU",
    "EU",
    "UN",
    "the West",
    "Western",
    "Iran",
    "Israel",
    "Hamas",
    "Tehran",
    "Pope",
    "foreign ministry spokesman",
    "Wang Wenbin",
    "minister",
    "said",
    "told reporters",
    "accused",
    "condemned",
    "praised",
    "welcomed",
    "slammed",
    "thanked",
    "warned",
    "threatened",
    "supports",
    "rejected",
    "signed",
    "agreed",
    "by",
    "of",
    "the",
    "and",
    "but",
    "however",
    "not",
    "never",
    "that",
    "it",
    "they",
    "he",
    "his",
    "shelling",
    "sanctions",
    "ceasefire",
    "talks",
    "aid",
    "weapons",
    "great",
    "terrible",
    "hostile",
    "good",
    "\"",
    "“",
    "”",
    "‘",
    "’",
    "'",
    "«",
    "»",
    ":",
    ";",
    ",",
    ".",
    "!",
    "?",
    "...",
    "…",
    "!!!???",
    "(ANI)",
    "(",
    ")",
    "Mr.",
    "Dr.",
    "U.S.",
    "U.K.",
    "5 p.m.",
    "No.",
    "2019.Officials",
    "e.g.",
    "i.e.",
    "-",
    "—",
    "=",
    "+",
    "@",
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\n \n",
    "\u{2028}",
    "\u{2029}",
    "\u{85}",
    "\u{a0}",
    "\u{3000}",
    "\0",
    "\u{1}",
    "\u{7}",
    "\u{8}",
    "\u{b}",
    "\u{c}",
    "\u{1b}[31m",
    "\u{7f}",
    "\u{feff}",
    "\u{200b}",
    "\u{200d}",
    "😀",
    "🇷🇺",
    "👍🏽",
    "👨‍👩‍👧",
    "é",
    "e\u{301}",
    "ß",
    "İ",
    "ǅ",
    "مرحبا",
    "中国",
    "한국",
    "Ελλάδα",
    "\u{fffd}",
    ":)",
    ":(",
    "<3",
    "LOL",
    "VERY",
    "GOOD",
    "0",
    "-1",
    "3.14",
    "1,000",
    "2024-03-01",
];

/// The largest char boundary of `s` at or below `n` (`str::floor_char_boundary` is newer than
/// the MSRV).
fn floor(s: &str, n: usize) -> usize {
    (0..=n.min(s.len())).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0)
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        20 => proptest::sample::select(TOKENS).prop_map(String::from),
        2 => any::<char>().prop_map(String::from),
        1 => "[a-zA-Z]{1,12}",
        // Runs: a long word, a punctuation run, whitespace runs, a repeated phrase.
        1 => (1usize..6000).prop_map(|n| "x".repeat(n)),
        1 => (proptest::sample::select(&[".", "!", "?", "\"", "\n", " ", "-", "\0", "😀"][..]), 1usize..3000)
            .prop_map(|(t, n)| t.repeat(n)),
        1 => (proptest::sample::select(TOKENS), 1usize..400).prop_map(|(t, n)| format!("{t} ").repeat(n)),
    ]
}

fn text(max_tokens: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec((token(), proptest::sample::select(&[" ", " ", " ", "", "\n"][..])), 0..max_tokens)
        .prop_map(|v| v.into_iter().flat_map(|(t, sep)| [t, sep.to_string()]).collect())
}

/// A huge paragraph now and then: past the 1 MiB paragraph limit or just under it.
fn maybe_huge() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        30 => Just(None),
        1 => (1usize << 20..(1 << 20) + 4096, proptest::sample::select(TOKENS))
            .prop_map(|(n, t)| { let mut s = format!("{t} word ").repeat(n / 8 + 1); s.truncate(floor(&s, n)); Some(s) }),
    ]
}

fn json_value(text: String) -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{json, Value};
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,20}".prop_map(Value::String),
        Just(json!([1, "two"])),
        Just(json!({"nested": true})),
    ];
    let id = prop_oneof![4 => "[a-z0-9=+@-]{1,10}".prop_map(Value::String), 1 => scalar.clone()];
    let date = prop_oneof![
        Just(Value::String("2024-03-01".into())),
        Just(Value::String("2024-03-25T18:20:00-05:00".into())),
        Just(Value::String("2023-02-29".into())),
        Just(Value::String("21/03/2024".into())),
        scalar.clone(),
    ];
    (id, date, ".{0,30}", any::<[bool; 5]>(), scalar).prop_map(move |(id, date, title, present, extra)| {
        let mut o = serde_json::Map::new();
        if present[0] {
            o.insert("id".into(), id);
        }
        if present[1] {
            o.insert("text".into(), Value::String(text.clone()));
        }
        if present[2] {
            o.insert("date".into(), date);
        }
        if present[3] {
            o.insert("title".into(), Value::String(title));
        }
        if present[4] {
            o.insert("lang".into(), extra);
        }
        Value::Object(o)
    })
}

/// One JSONL line: an object, or something broken.
fn jsonl_line() -> impl Strategy<Value = String> {
    (text(60), maybe_huge(), 0usize..8).prop_flat_map(|(t, huge, mode)| {
        let t = match huge {
            Some(h) => format!("{t}\n\n{h}\n\nRussia accused Ukraine."),
            None => t,
        };
        json_value(t).prop_map(move |v| {
            let s = serde_json::to_string(&v).unwrap();
            match mode {
                0 => s[..floor(&s, s.len() / 2)].to_string(), // truncated JSON
                1 => format!("[{s}]"),
                2 => String::new(),
                _ => s,
            }
        })
    })
}

fn jsonl() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(jsonl_line(), 0..12).prop_map(|lines| lines.join("\n").into_bytes())
}

fn csv_file() -> impl Strategy<Value = Vec<u8>> {
    let header = proptest::sample::subsequence(vec!["id", "text", "date", "title", "source", "extra", "id"], 0..=7)
        .prop_shuffle();
    (header, proptest::collection::vec(proptest::collection::vec(text(30), 0..8), 0..10), any::<bool>()).prop_map(
        |(header, rows, raw)| {
            if raw {
                // Hand-made, quoting left to chance.
                let mut s = header.join(",");
                for r in rows {
                    s.push('\n');
                    s.push_str(&r.join(","));
                }
                s.into_bytes()
            } else {
                let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
                w.write_record(&header).unwrap();
                for r in rows {
                    w.write_record(&r).unwrap();
                }
                w.into_inner().unwrap()
            }
        },
    )
}

fn txt_file() -> impl Strategy<Value = Vec<u8>> {
    (text(20), text(200), maybe_huge()).prop_map(|(title, body, huge)| {
        let mut s = format!("{title}\n\n{title}\n{body}");
        if let Some(h) = huge {
            s.push_str("\n\n");
            s.push_str(&h);
        }
        s.into_bytes()
    })
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 0..4096),
        1 => proptest::collection::vec(any::<u8>(), 0..200_000),
        // Mostly text with invalid bytes sprinkled in.
        2 => (text(200), proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8)).prop_map(|(t, flips)| {
            let mut b = t.into_bytes();
            if !b.is_empty() {
                for (i, x) in flips {
                    let n = b.len();
                    b[i.index(n)] = x;
                }
            }
            b
        }),
    ]
}

/// A case: how it is fed, the content, and where the stored bytes are cut (if at all).
fn case() -> impl Strategy<Value = (Kind, Vec<u8>, Option<usize>)> {
    let cut = prop_oneof![4 => Just(None), 1 => (0usize..4000).prop_map(Some)];
    let kind = proptest::sample::select(&Kind::ALL[..]);
    (kind, any::<u8>(), cut).prop_flat_map(|(kind, pick, cut)| {
        let content = match (kind, pick % 4) {
            (_, 0) => bytes().boxed(),
            (Kind::Jsonl | Kind::JsonlGz | Kind::NdjsonSniffedGz, _) => jsonl().boxed(),
            (Kind::Csv | Kind::CsvGz, _) => csv_file().boxed(),
            (Kind::Txt | Kind::TxtGz, _) => txt_file().boxed(),
            (Kind::Text, _) => txt_file().boxed(),
        };
        (Just(kind), content, Just(cut))
    })
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn readers_and_pipeline_survive_any_input((kind, content, cut) in case()) {
        let dir = tempfile::tempdir().unwrap();
        run_case(dir.path(), kind, &content, cut);
    }
}

#[test]
fn news_like_inputs_do_produce_documents_mentions_and_stances() {
    // Guards against the generators drifting into inputs that never reach the later stages.
    let dir = tempfile::tempdir().unwrap();
    // (Session 9's stance model gives the bare "China praised Brazil." P(friendly) 0.22, below
    // its threshold: friendly stances are the model's weak side, see the stance issue.)
    let doc = r#"{"id": "a", "text": "Kremlin spokesman Dmitry Peskov said Russia condemned Ukraine.\n\nChina accused Brazil of spying on its diplomats."}"#;
    let o = run_case(dir.path(), Kind::JsonlGz, doc.as_bytes(), None);
    assert_eq!((o.documents, o.error_rows, o.paragraphs), (1, 0, 2));
    assert!(o.mentions >= 4 && o.stances >= 2, "{o:?}");
}
