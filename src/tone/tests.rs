//! Behaviour tests of the tone engine. Expected values were produced by Python 3.11.7 with
//! vaderSentiment 3.3.2 (`SentimentIntensityAnalyzer().polarity_scores`); each case names the
//! reference rule it pins. The full comparison with 89,641 reference rows is in
//! `tests/tone_reference.rs`.

use super::*;
use proptest::prelude::*;

/// (rule, text, [neg, neu, pos, compound]) from the reference.
const CASES: &[(&str, &str, [f64; 4])] = &[
    ("booster whole token: so", "It was so good.", [0.0, 0.445, 0.555, 0.5777]),
    ("booster whole token: also", "It was also good.", [0.0, 0.508, 0.492, 0.4404]),
    ("booster whole token: very", "A very good day.", [0.0, 0.484, 0.516, 0.4927]),
    ("booster whole token: every", "Every good day.", [0.0, 0.408, 0.592, 0.4404]),
    ("one-char tokens kept", "I love a good day", [0.0, 0.297, 0.703, 0.7964]),
    ("one-char tokens kept, caps", "I LOVE a good day", [0.0, 0.277, 0.723, 0.8331]),
    ("no rule: no + lexicon word", "There is no problem here", [0.0, 0.639, 0.361, 0.3089]),
    ("no rule: no alone", "no", [1.0, 0.0, 0.0, -0.296]),
    ("no rule: no or", "no love or hate", [0.403, 0.239, 0.358, -0.0951]),
    ("no rule: no two before", "no real love", [0.848, 0.152, 0.0, -0.6776]),
    ("question marks: one", "Is this good?", [0.0, 0.408, 0.592, 0.4404]),
    ("question marks: two", "Is this good??", [0.0, 0.38, 0.62, 0.504]),
    ("question marks: four", "Is this good????", [0.0, 0.341, 0.659, 0.594]),
    ("exclamation: capped at four", "Good!!!!!!", [0.0, 0.0, 1.0, 0.6209]),
    ("zero sum stays zero with !", "The table is brown!!!", [0.0, 1.0, 0.0, 0.0]),
    ("zero sum stays zero with ?", "The table is brown???", [0.0, 1.0, 0.0, 0.0]),
    ("short token keeps punctuation: no.", "no. good", [0.0, 0.256, 0.744, 0.4404]),
    ("short token keeps punctuation: ok,", "ok, fine", [0.0, 0.357, 0.643, 0.2023]),
    ("heart in lexicon", "She has a heart", [0.0, 0.417, 0.583, 0.6369]),
    ("hearts in lexicon", "hearts everywhere", [0.0, 0.189, 0.811, 0.6486]),
    ("never so", "It has never been so good", [0.0, 0.572, 0.428, 0.5777]),
    ("never this", "It has never been this good", [0.0, 0.597, 0.403, 0.5228]),
    ("never plain", "It has never been good", [0.376, 0.624, 0.0, -0.3412]),
    ("without doubt", "without doubt good", [0.0, 0.166, 0.834, 0.6136]),
    ("without a doubt", "Without a doubt, excellent idea.", [0.0, 0.341, 0.659, 0.7013]),
    ("idiom: kiss of death", "It was the kiss of death for them", [0.455, 0.545, 0.0, -0.6124]),
    ("idiom: yeah right", "oh yeah right sure great", [0.265, 0.177, 0.558, 0.5106]),
    ("idiom: bus stop", "I love the old bus stop", [0.0, 0.543, 0.457, 0.6369]),
    ("idiom: beating heart", "a truly beating heart here", [0.242, 0.161, 0.597, 0.6597]),
    ("idiom: the bomb", "that party was the bomb", [0.36, 0.337, 0.303, -0.128]),
    ("idiom not substring: kiss of deathly", "It was the kiss of deathly calm", [0.0, 0.495, 0.505, 0.6249]),
    ("idiom not substring: bus stops", "we like bus stops a lot", [0.198, 0.494, 0.309, 0.2263]),
    ("at least", "at least it is good", [0.0, 0.58, 0.42, 0.4404]),
    ("very least", "the very least good", [0.0, 0.486, 0.514, 0.4902]),
    ("least", "the least good idea", [0.445, 0.555, 0.0, -0.3412]),
    ("caps emphasis", "This is GOOD stuff", [0.0, 0.452, 0.548, 0.5622]),
    ("emoticon is not caps", "This is good :)", [0.0, 0.253, 0.747, 0.7096]),
    (":D is caps", "This is good :D", [0.0, 0.224, 0.776, 0.7865]),
    ("all caps everywhere", "THIS IS GOOD", [0.0, 0.408, 0.592, 0.4404]),
    ("but rescaling", "The food was good but the service was terrible", [0.317, 0.534, 0.149, -0.4939]),
    ("but quirk: first equal value rescaled", "applaud advanced but abilities advantages", [0.0, 0.108, 0.892, 0.7391]),
    ("but quirk: duplicates", "good good but good bad", [0.352, 0.074, 0.574, 0.25]),
    ("lowercase python semantics: İ", "İ love it", [0.0, 0.323, 0.677, 0.6369]),
    ("non-ascii caps", "NAÏVE good plan", [0.0, 0.408, 0.592, 0.4404]),
    ("roman numeral is upper", "Ⅻ good plan", [0.0, 0.408, 0.592, 0.4404]),
    ("whitespace U+001C splits", "good\u{1c}bad", [0.547, 0.0, 0.453, -0.1531]),
    ("whitespace U+0085 splits", "good\u{85}day", [0.0, 0.256, 0.744, 0.4404]),
    ("zero width space does not split", "good\u{200b}day", [0.0, 1.0, 0.0, 0.0]),
    ("emoji replaced", "Catch utf-8 emoji such as 💘 and 💋 and 😁", [0.0, 0.583, 0.417, 0.875]),
    ("emoji glued", "😁great", [0.0, 0.571, 0.429, 0.4588]),
    ("kind of", "it was kind of good", [0.0, 0.605, 0.395, 0.3832]),
    ("sort of", "it was sort of good", [0.0, 0.605, 0.395, 0.3832]),
    ("n't negation", "it isn't good", [0.546, 0.454, 0.0, -0.3412]),
    ("curly apostrophe is not negation", "it isn’t good", [0.0, 0.408, 0.592, 0.4404]),
    ("punctuation only", "?!?!?!", [0.0, 1.0, 0.0, 0.0]),
    ("empty", "", [0.0, 0.0, 0.0, 0.0]),
    ("nul bytes", "\u{0}good\u{0}", [0.0, 1.0, 0.0, 0.0]),
];

fn scores(p: Polarity) -> [f64; 4] {
    [p.neg, p.neu, p.pos, p.compound]
}

#[test]
fn rules_match_reference() {
    let vader = Vader::embedded();
    let mut failures = Vec::new();
    for &(rule, text, expected) in CASES {
        let got = scores(vader.polarity_scores(text));
        if got != expected {
            failures.push(format!("{rule}: {text:?}: got {got:?}, want {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn scratch_reuse_gives_same_scores() {
    let vader = Vader::embedded();
    let mut scratch = Scratch::default();
    // Long, emoji-laden and "but" texts first, so stale buffer contents would show.
    let long = "good but bad 😁 ".repeat(500);
    let _ = vader.polarity_scores_with(&long, &mut scratch);
    for &(_, text, expected) in CASES {
        assert_eq!(scores(vader.polarity_scores_with(text, &mut scratch)), expected, "{text:?}");
    }
}

#[test]
fn embedded_lexicons_parse_completely() {
    let vader = Vader::embedded();
    assert_eq!(vader.valence("good"), Some(1.9));
    assert_eq!(vader.valence("heart"), Some(3.2));
    assert_eq!(vader.valence("hearts"), Some(3.3));
    assert_eq!(vader.valence(":)"), Some(2.0));
    assert_eq!(vader.valence("Good"), None, "look-up expects lowercase");
    assert_eq!(vader.valence("very"), None, "booster, not a lexicon word");
    assert!(vader.tables.words.values().filter(|e| e.valence.is_some()).count() > 7000);
    assert!(vader.tables.emoji.len() > 1000);
}

#[test]
fn custom_lexicon_changes_scores() {
    let vader = Vader::from_sources("synergy\t3.0\n", "lex", EMBEDDED_EMOJI, "emoji").unwrap();
    assert_eq!(vader.valence("synergy"), Some(3.0));
    assert_eq!(vader.valence("good"), None);
    let p = vader.polarity_scores("Such SYNERGY today");
    assert!(p.compound > 0.5, "{p:?}");
    assert_eq!(vader.polarity_scores("good").compound, 0.0);
}

#[test]
fn load_dir_falls_back_per_file_and_reports_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("vader")).unwrap();
    // Only the word lexicon is replaced; emoji fall back to the embedded file.
    let lexicon = "synergy\t3.0\nsmiling\t1.6\n";
    std::fs::write(dir.path().join("vader/vader_lexicon.txt"), lexicon).unwrap();
    let vader = Vader::load_dir(dir.path()).unwrap();
    assert_eq!(vader.valence("synergy"), Some(3.0));
    // 😁 is "beaming face with smiling eyes" in the embedded emoji lexicon.
    assert!(vader.polarity_scores("😁").pos > 0.0, "embedded emoji still apply");
    assert_eq!(vader.valence("good"), None, "word lexicon replaced");

    let empty = tempfile::tempdir().unwrap();
    let vader = Vader::load_dir(empty.path()).unwrap();
    assert_eq!(vader.valence("good"), Some(1.9));

    std::fs::write(dir.path().join("vader/emoji_utf8_lexicon.txt"), "😀\n").unwrap();
    let err = Vader::load_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("emoji_utf8_lexicon.txt:1"), "{err}");

    std::fs::write(dir.path().join("vader/vader_lexicon.txt"), b"bad\xff\t1.0\n").unwrap();
    let err = Vader::load_dir(dir.path()).unwrap_err();
    assert!(matches!(err, ToneError::Io { .. }), "{err}");
    assert!(err.to_string().contains("vader_lexicon.txt"), "{err}");

    let err = Vader::load_dir(&dir.path().join("missing")).unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
}

#[test]
fn tone_csv_rows_format_and_lossy_utf8() {
    let vader = Vader::embedded();
    let input: &[u8] = b"It was so good.\nno\r\n\nbad \xff\xfe day\n\xe2\x80\x9c";
    let mut out = Vec::new();
    let rows = write_tone_csv(&vader, input, &mut out).unwrap();
    assert_eq!(rows, 5);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "neg,neu,pos,compound");
    assert_eq!(lines[1], "0.0,0.445,0.555,0.5777");
    assert_eq!(lines[2], "1.0,0.0,0.0,-0.296", "\\r is whitespace to VADER");
    assert_eq!(lines[3], "0.0,0.0,0.0,0.0");
    // Python: polarity_scores('bad \ufffd\ufffd day')
    assert_eq!(lines[4], "0.636,0.364,0.0,-0.5423");
    assert_eq!(lines[5], "0.0,1.0,0.0,0.0", "a truncated sequence becomes one U+FFFD token");
    assert_eq!(lines.len(), 6);

    let mut out = Vec::new();
    assert_eq!(write_tone_csv(&vader, &b""[..], &mut out).unwrap(), 0);
    assert_eq!(out, b"neg,neu,pos,compound\n");
}

#[test]
fn score_format_is_pythons_repr() {
    let fmt = |x: f64| {
        let mut v = Vec::new();
        write_score(&mut v, x).unwrap();
        String::from_utf8(v).unwrap()
    };
    assert_eq!(fmt(0.0), "0.0");
    assert_eq!(fmt(-0.0), "-0.0");
    assert_eq!(fmt(1.0), "1.0");
    assert_eq!(fmt(0.798), "0.798");
    assert_eq!(fmt(-0.2263), "-0.2263");
    assert_eq!(fmt(0.0001), "0.0001");
}

#[test]
fn hostile_inputs_do_not_panic() {
    let vader = Vader::embedded();
    let emoji_line = "😁".repeat((1 << 20) / 4);
    let p = vader.polarity_scores(&emoji_line);
    assert!(p.compound > 0.99, "{p:?}");
    for text in [
        "\0\0\0",
        "!!!???...,,,;;;",
        "?",
        "     ",
        "\u{1c}\u{1d}\u{1e}\u{1f}",
        "İİİ ΣΣΣ ǅǅ",
        &"but ".repeat(10_000),
        &"good but great ".repeat(20_000),
        &"no ".repeat(1000),
    ] {
        let p = vader.polarity_scores(text);
        assert!((-1.0..=1.0).contains(&p.compound), "{p:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn scoring_is_total_and_bounded(text in "\\PC*|(\\PC| |but|no|very|good|bad|!|\\?|[A-Z]+|:\\)|😁){0,60}") {
        let vader = embedded_shared();
        let p = vader.polarity_scores(&text);
        prop_assert!((-1.0..=1.0).contains(&p.compound), "{:?}", p);
        for x in [p.neg, p.neu, p.pos] {
            prop_assert!((0.0..=1.0).contains(&x), "{:?}", p);
        }
    }

    #[test]
    fn scoring_is_total_on_any_chars(chars in proptest::collection::vec(any::<char>(), 0..200)) {
        let text: String = chars.into_iter().collect();
        let p = embedded_shared().polarity_scores(&text);
        prop_assert!((-1.0..=1.0).contains(&p.compound), "{:?}", p);
    }
}

fn embedded_shared() -> &'static Vader {
    static VADER: std::sync::OnceLock<Vader> = std::sync::OnceLock::new();
    VADER.get_or_init(Vader::embedded)
}

#[test]
fn custom_lexicons_with_ascii_emoji_key_match_reference() {
    // Expected values: SentimentIntensityAnalyzer(lexicon_file=..., emoji_lexicon=...) of
    // vaderSentiment 3.3.2 with exactly these two files.
    let vader = Vader::from_sources(
        "synergy\t3.0\nsmiling\t1.6\ngreat\t3.1\n",
        "lex",
        "#\tgreat news\n😁\tbeaming face with smiling eyes\n",
        "emoji",
    )
    .unwrap();
    for (text, expected) in [
        ("#synergy", [0.0, 0.196, 0.804, 0.6249]),
        ("a#b SYNERGY", [0.0, 0.185, 0.815, 0.87]),
        ("😁 # no", [0.0, 0.472, 0.528, 0.7717]),
        ("(éé) great", [0.0, 0.196, 0.804, 0.6249]),
        ("SYNERGY #", [0.0, 0.102, 0.898, 0.87]),
    ] {
        assert_eq!(scores(vader.polarity_scores(text)), expected, "{text:?}");
    }
}

#[test]
fn vader_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Vader>();
    let vader = embedded_shared();
    let results: Vec<[f64; 4]> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| scores(vader.polarity_scores("It was so good.")))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results.iter().all(|r| *r == [0.0, 0.445, 0.555, 0.5777]));
}

/// `valence_padded` is `valence` for every table word (lexicon and rule words) and for words
/// absent from the table, at every length it accepts; other lengths give `None`.
#[test]
fn valence_padded_agrees_with_valence() {
    let vader = Vader::embedded();
    let mut keys: Vec<&str> = vader.tables.words.keys().map(|k| &**k).collect();
    keys.extend(["", "zzzq", "goodx", "a", "abcdefghijklmnop", "abcdefghijklmnopq"]);
    let mut checked = 0;
    for k in keys {
        let b = k.as_bytes();
        let got = if b.len() <= 16 {
            let mut pad = [0u8; 16];
            pad[..b.len()].copy_from_slice(b);
            vader.valence_padded(u128::from_le_bytes(pad), b.len())
        } else {
            None
        };
        let want = if (1..=16).contains(&b.len()) { vader.valence(k) } else { None };
        assert_eq!(got, want, "{k:?}");
        checked += usize::from(want.is_some());
    }
    assert!(checked > 7000, "{checked}");
}
