//! The stance pair model on the seven kinds of error the rules made on real news (one
//! real-style sentence each: the rules emit the wrong pair, the model must not), and on the seed.

use newsstance::document::Document;
use newsstance::pipeline::{analyse, Analysis, Engines};

fn engines() -> &'static Engines {
    static E: std::sync::OnceLock<Engines> = std::sync::OnceLock::new();
    E.get_or_init(|| {
        Engines::load(Some(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/lexicons"))))
            .expect("shipped lexicons load")
    })
}

fn run(text: &str) -> Analysis {
    let doc = Document { id: "t".into(), text: text.into(), ..Document::default() };
    analyse(engines(), &doc)
}

/// Ordered country pairs with the sign of their events.
fn pairs(a: &Analysis, events: &[newsstance::stance::StanceEvent]) -> Vec<(String, String, i8)> {
    let lex = &engines().lexicon;
    events
        .iter()
        .map(|e| {
            let s = a.actors.actor(lex, e.source).country.clone();
            let t = a.actors.actor(lex, e.target).country.clone();
            (s, t, if e.score < 0.0 { -1 } else { 1 })
        })
        .collect()
}

/// The rules give `wrong` for `text`; the model does not.
fn model_drops(text: &str, wrong: (&str, &str, i8)) {
    let a = run(text);
    let wrong = (wrong.0.to_string(), wrong.1.to_string(), wrong.2);
    let rules = pairs(&a, &a.rule_events);
    assert!(rules.contains(&wrong), "the rules no longer make this mistake: {rules:?} ({text})");
    let model = pairs(&a, &a.events);
    assert!(!model.contains(&wrong), "the model repeats {wrong:?}: {model:?} ({text})");
}

#[test]
fn hypothetical_and_questioned_acts_are_not_stances() {
    model_drops("What if Iran was responsible for the attack on Saudi Arabia, the analyst asked.", ("IRN", "SAU", -1));
}

#[test]
fn a_bystander_does_not_take_someone_elses_stance() {
    model_drops(
        "The summit will bring together the United States and China, whose ally North Korea is absent.",
        ("USA", "PRK", 1),
    );
}

#[test]
fn non_state_groups_are_not_their_country() {
    model_drops("Pro-Russian separatists shelled Ukrainian army positions near Donetsk on Sunday.", ("RUS", "UKR", -1));
}

#[test]
fn direction_follows_the_agent() {
    let text = "North Korean state media accused Japan of plotting an invasion.";
    model_drops(text, ("JPN", "PRK", -1));
    let a = run(text);
    assert!(pairs(&a, &a.events).contains(&("PRK".to_string(), "JPN".to_string(), -1)));
}

#[test]
fn the_place_of_an_event_is_not_its_target() {
    model_drops("U.S. airstrikes on Islamic State fighters in Syria killed dozens overnight.", ("USA", "SYR", -1));
}

#[test]
fn a_cue_word_in_another_sense_is_not_a_cue() {
    // Hosting a visit is a meeting, not a stance (the guide), whatever "hosted" signals elsewhere.
    model_drops("It was a sign of the times that France hosted German officials.", ("FRA", "DEU", 1));
}

#[test]
fn context_can_turn_a_cue_around() {
    model_drops(
        "Washington offered Tehran relief from sanctions in exchange for limits on enrichment.",
        ("IRN", "USA", -1),
    );
}

#[test]
fn the_seed_article_keeps_its_stances_and_loses_the_spurious_ones() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/000_ce661559d7daa382.txt")).unwrap();
    let body = text.split_once('\n').map_or(text.as_str(), |(_, b)| b);
    let a = run(body);
    let model = pairs(&a, &a.events);
    // Both directions of "Beijing and Moscow concluding agreements bolstering cooperation":
    // Moscow → Beijing was a known miss in session 9 (P(friendly) 0.30) and is found again by
    // session 10's model (0.45 against the friendly threshold 0.39); since session 14 the two
    // directions of a coordination share one probability (the mean: 0.54 against 0.35).
    for want in [("USA", "CHN", -1), ("WEST", "CHN", -1), ("CHN", "RUS", 1), ("RUS", "CHN", 1)] {
        let want = (want.0.to_string(), want.1.to_string(), want.2);
        assert!(model.contains(&want), "missing {want:?}: {model:?}");
    }
    // The rules' spurious "thanked for" RUS→CHN is gone, and nothing makes Moscow hostile to
    // Beijing. A known miss since session 10's model (trained on 37,254 paragraphs): CHN→RUS
    // hostile on "warned that China is considering sending lethal aid to Russia ..., which
    // Beijing has denied" (P(hostile) 0.71; the cue the rules saw there is "aid; denied"). In
    // the labelled train paragraphs "aid" goes with hostile pairs more often than friendly ones
    // (274 against 150 pairs, 77 of them aid withheld from Ukraine as leverage), and the model
    // does not yet read "is considering" as a hypothetical: error kinds 1 and 7 of the stance
    // issue, left open there. Only that sentence may give CHN→RUS hostile.
    assert!(!model.contains(&("RUS".to_string(), "CHN".to_string(), -1)), "{model:?}");
    for (e, p) in a.events.iter().zip(&model) {
        if (p.0.as_str(), p.1.as_str(), p.2) == ("CHN", "RUS", -1) {
            assert_eq!(e.cues, "aid; denied", "a new CHN→RUS hostile row: {e:?}");
        }
    }
    for (e, &c) in a.events.iter().zip(&a.confidence) {
        assert!(!e.cues.contains("thanked for"), "{:?}", e.cues);
        assert!((0.0..=1.0).contains(&c) && (-1.0..=1.0).contains(&e.score));
    }
}

/// "X and Y signed / cooperated" gives both directions (the guide): the two ordered pairs of a
/// coordination get one probability, so the model reports both or neither; a verb between the
/// two ("accused") is not a coordination.
#[test]
fn a_coordinated_pair_is_read_both_ways() {
    let a = run("Beijing and Moscow signed a series of agreements bolstering economic cooperation on Tuesday.");
    let coordinated = |s: &str, t: &str| {
        a.candidates.iter().find(|c| c.source_code == s && c.target_code == t).map(|c| c.coordinated)
    };
    assert_eq!((coordinated("CHN", "RUS"), coordinated("RUS", "CHN")), (Some(true), Some(true)));
    let model = pairs(&a, &a.events);
    let has = |s: &str, t: &str| model.contains(&(s.to_string(), t.to_string(), 1));
    assert!(has("CHN", "RUS") && has("RUS", "CHN"), "{model:?}");
    let scores: Vec<f64> = a.events.iter().map(|e| e.score).collect();
    assert!(scores.windows(2).all(|w| w[0] == w[1]), "{scores:?}");
    let b = run("Beijing accused Moscow of stalling the agreements on economic cooperation.");
    assert!(b.candidates.iter().all(|c| !c.coordinated));
}

/// The pair features read the words before, between and after the two mentions, and the
/// words between carry the order of the mentions: "X accused Y" is X→Y's evidence, not Y→X's.
#[test]
fn pair_features_read_the_words_around_the_pair_and_their_order() {
    use newsstance::pipeline::{analyse_parsing, Parse};
    let text = "On Monday Japan sharply accused China of hacking its defence networks.";
    let doc = Document { id: "t".into(), text: text.into(), ..Document::default() };
    let a = analyse_parsing(engines(), &doc, true, Parse::Gated);
    let names = |s: &str, t: &str| -> Vec<String> {
        let c = a.candidates.iter().find(|c| c.source_code == s && c.target_code == t).expect("candidate");
        c.names.clone()
    };
    let (jc, cj) = (names("JPN", "CHN"), names("CHN", "JPN"));
    for want in
        ["btwd:sharply:s<t", "btwd:accused:s<t", "pre:monday:s", "post:hacking:t", "t:prev:accused", "t:next:of"]
    {
        assert!(jc.iter().any(|n| n == want), "JPN→CHN lacks {want}: {jc:?}");
    }
    for want in ["btwd:accused:t<s", "pre:monday:t", "post:hacking:s", "s:prev:accused"] {
        assert!(cj.iter().any(|n| n == want), "CHN→JPN lacks {want}: {cj:?}");
    }
    assert!(!cj.iter().any(|n| n == "btwd:accused:s<t"), "{cj:?}");
}

/// The parse gate skips sentences whose candidates cannot reach a threshold, and the sure share
/// those whose candidates are sure of a sign on their words alone; the stances do not change for
/// it: on the seed, gated analysis parses fewer sentences than parsing every sentence the rules
/// point at, and reports the same pairs with the same signs, with the same scores except where a
/// sure candidate kept the probability of its words.
#[test]
fn the_parse_gate_parses_less_and_changes_no_stance() {
    use newsstance::pipeline::{analyse_parsing, Parse};
    let model = &engines().pair.model;
    assert!(model.gate > 0.0 && model.sure >= 1.0, "the shipped model has a parse gate and a sure share");
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/000_ce661559d7daa382.txt")).unwrap();
    let doc = Document { id: "seed".into(), text, ..Document::default() };
    let gated = analyse_parsing(engines(), &doc, false, Parse::Gated);
    let all = analyse_parsing(engines(), &doc, false, Parse::All);
    assert!(gated.trees.len() < all.trees.len(), "gated {} trees, all {}", gated.trees.len(), all.trees.len());
    let key = |a: &Analysis| -> Vec<(u32, u32, String, String, bool)> {
        a.events
            .iter()
            .map(|e| (e.paragraph, e.sentence, format!("{:?}", e.source), format!("{:?}", e.target), e.score < 0.0))
            .collect()
    };
    assert_eq!(key(&gated), key(&all));
    let mut sure_changed = 0;
    for (g, a) in gated.events.iter().zip(&all.events) {
        if g.score == a.score {
            continue;
        }
        let cand = gated
            .candidates
            .iter()
            .find(|c| c.paragraph == g.paragraph && c.source == g.source && c.target == g.target)
            .expect("every event has its candidate");
        let base = &cand.features[..cand.base_len];
        assert!(
            model.passes_gate(base) && !model.needs_parse(base),
            "{:?} → {:?}: score {} gated against {}, but its candidate asked for the parse",
            g.source,
            g.target,
            g.score,
            a.score
        );
        sure_changed += 1;
    }
    assert!(sure_changed < gated.events.len(), "most scores are those of the full parse");
}

#[test]
fn a_list_of_countries_gets_no_candidates_and_a_short_paragraph_all_its_pairs() {
    let names = [
        "France",
        "Germany",
        "Italy",
        "Spain",
        "Portugal",
        "Poland",
        "Austria",
        "Hungary",
        "Greece",
        "Sweden",
        "Norway",
        "Finland",
        "Denmark",
        "Ireland",
        "Belgium",
        "Romania",
        "Bulgaria",
        "Croatia",
        "Serbia",
        "Albania",
        "Estonia",
        "Latvia",
        "Lithuania",
        "Slovakia",
        "Slovenia",
    ];
    let max = newsstance::stance::model::MAX_PARAGRAPH_CODES;
    assert!(names.len() > max);
    let list = format!("The countries that signed were {}.", names.join(", "));
    let a = run(&list);
    let named: std::collections::HashSet<&str> =
        a.actors.mentions.iter().map(|m| a.actors.actor(&engines().lexicon, m.actor).country.as_str()).collect();
    assert_eq!(named.len(), names.len(), "every listed country is found: {named:?}");
    assert!(a.candidates.is_empty(), "a list of {} countries gave {} candidates", names.len(), a.candidates.len());
    assert!(a.trees.is_empty(), "a list is not parsed");
    let short = format!("France accused {} of breaking the deal.", names[1..max].join(", "));
    let a = run(&short);
    assert_eq!(a.candidates.len(), max * (max - 1), "every ordered pair of {max} countries is a candidate");
}
