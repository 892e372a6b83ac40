//! The shipped world lexicon: coverage of every state, and the `lexicon check` command.

mod common;
use common::bin;
use newsstance::actors::{self, Kind};

/// The 193 UN member states (ISO 3166-1 alpha-3), written out independently of the lexicon.
const UN_MEMBERS: &str = "AFG ALB DZA AND AGO ATG ARG ARM AUS AUT AZE BHS BHR BGD BRB BLR BEL BLZ BEN BTN BOL BIH BWA BRA \
BRN BGR BFA BDI CPV KHM CMR CAN CAF TCD CHL CHN COL COM COG COD CRI CIV HRV CUB CYP CZE DNK DJI DMA DOM ECU EGY SLV GNQ \
ERI EST SWZ ETH FJI FIN FRA GAB GMB GEO DEU GHA GRC GRD GTM GIN GNB GUY HTI HND HUN ISL IND IDN IRN IRQ IRL ISR ITA JAM \
JPN JOR KAZ KEN KIR PRK KOR KWT KGZ LAO LVA LBN LSO LBR LBY LIE LTU LUX MDG MWI MYS MDV MLI MLT MHL MRT MUS MEX FSM MDA \
MCO MNG MNE MAR MOZ MMR NAM NRU NPL NLD NZL NIC NER NGA MKD NOR OMN PAK PLW PAN PNG PRY PER PHL POL PRT QAT ROU RUS RWA \
KNA LCA VCT WSM SMR STP SAU SEN SRB SYC SLE SGP SVK SVN SLB SOM ZAF SSD ESP LKA SDN SUR SWE CHE SYR TJK TZA THA TLS TGO \
TON TTO TUN TUR TKM TUV UGA UKR ARE GBR USA URY UZB VUT VEN VNM YEM ZMB ZWE";

/// Demonyms that belong to a larger neighbour in English and so resolve there when matched
/// (documented in lexicons/README.md): the lexicon records them but cannot match them for these.
const SHARED_DEMONYMS: &[&str] = &["DMA", "COG"];

#[test]
fn every_state_has_a_name_and_a_demonym() {
    let lex =
        actors::load(Some(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/lexicons")))).unwrap().lexicon;
    let members: Vec<&str> = UN_MEMBERS.split_whitespace().collect();
    assert_eq!(members.len(), 193);
    let mut missing = Vec::new();
    for code in members.iter().chain(&["VAT", "PSE", "TWN", "XKX"]) {
        let Some(country) = lex.country(code) else {
            missing.push(format!("{code}: not in countries.csv"));
            continue;
        };
        if country.kind != "state" || country.name.is_empty() || country.demonym.is_empty() {
            missing
                .push(format!("{code}: kind {}, name {:?}, demonym {:?}", country.kind, country.name, country.demonym));
        }
        // A state row that finds the name and the demonym in text.
        let doc = format!("{} said so. The {} minister agreed.", country.name, country.demonym);
        let para = newsstance::segment::segment(&doc);
        let found = lex.find(&doc, &para, None);
        let codes: Vec<&str> = found.mentions.iter().map(|m| found.actor(&lex, m.actor).country.as_str()).collect();
        let expected = if SHARED_DEMONYMS.contains(code) { 1 } else { 2 };
        if codes.iter().filter(|c| **c == *code).count() < expected {
            missing.push(format!("{code}: {doc:?} found {codes:?}"));
        }
        assert!(lex.actors().iter().any(|a| a.country == *code && a.kind == Kind::State), "{code} has no state row");
    }
    assert!(missing.is_empty(), "{} states incomplete:\n{}", missing.len(), missing.join("\n"));
}

#[test]
fn lexicon_check_passes_on_the_shipped_lexicons_and_reports_bad_lines() {
    let o = bin().args(["lexicon", "check"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("actors.csv"),
        "id,name,country,kind,aliases,valid_from,valid_to,role\nxx,X,XYZ,state,Xland,,,\nyy,Y,RUS,person,,2020-02-01,2019-01-01,\n",
    )
    .unwrap();
    let o = bin().args(["lexicon", "check", "--lexicons"]).arg(dir.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("actors.csv:2: unknown country code `XYZ`"), "{out}");
    assert!(out.contains("actors.csv:3: valid_from 2020-02-01 is after valid_to 2019-01-01"), "{out}");
    assert!(out.contains("actors.csv:3: no aliases"), "{out}");
}

/// The pair model's weights load on a thread of their own beside the parser's: a bad line in
/// them is still reported with its file and line, and the lines before it are read as before.
#[test]
fn a_bad_line_in_the_stance_weights_names_its_file_and_line() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    // `lexicon check` of a folder whose stance weights are `text`: its exit code and output.
    let check = |text: &str| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        std::fs::write(dir.path().join("stance_model.txt.gz"), gz.finish().unwrap()).unwrap();
        let o = bin().args(["lexicon", "check", "--lexicons"]).arg(dir.path()).output().unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let text = "# a test model\nbits\t20\nthreshold\t0.5 0.4\ngate\t0.5\nbias\t0.1 0.2 -0.3\n4\t0.01 -0.02 0\n7\t0.5 x 0.1\n9\t0.1 0.2 0.3 0.4\n";
    let (code, out) = check(text);
    assert_eq!(code, Some(2));
    assert!(out.contains("stance_model.txt.gz:7: `x` is not a number"), "{out}");
    let (code, out) = check(&text.replace("0.5 x 0.1", "0.5 0.25 0.1"));
    assert_eq!(code, Some(2));
    assert!(out.contains("stance_model.txt.gz:8: a bucket needs three weights"), "{out}");
}
