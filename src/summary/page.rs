//! The page itself: a `maud` template. maud escapes every interpolated string (`&`, `<`, `>`,
//! `"`), so article text, ids and paths are shown as written and never become markup; the only
//! unescaped parts are the charts' SVG from `plotters` (which escapes its own text) and the
//! constant style and script below.

use super::charts::{diverging, hex, LINE_COLOURS};
use super::evidence::highlight;
use super::view::{thousands, Pair, Relation, View, MATRIX_COUNTRIES, MAX_BUCKETS, RELATIONS};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use sha2::{Digest, Sha256};

/// Inputs listed in the run facts at most (a folder of text files can be thousands).
const MAX_INPUTS: usize = 50;

/// Pipeline stages in the manifest's order; others follow in name order.
const STAGES: [&str; 9] = ["segment", "tone", "actors", "target", "events", "syntax", "model", "rows", "encode"];

const STYLE: &str = r#"
:root{color-scheme:light}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1b1b1b;background:#fff;margin:0}
main{max-width:1180px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:1.6em;margin:.4em 0 .1em}h2{font-size:1.25em;margin:1.6em 0 .4em;border-bottom:1px solid #ddd;padding-bottom:.2em}
h3{font-size:1em;margin:1em 0 .3em}
.lead{color:#444;margin:.2em 0 1em}.note{color:#555;font-size:.9em}
nav a{margin-right:1em}
table{border-collapse:collapse}
.facts td,.facts th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
.facts td.n{text-align:right;font-variant-numeric:tabular-nums}
.matrix{font-size:12px;font-variant-numeric:tabular-nums}
.matrix th{font-weight:600;padding:2px 4px;white-space:nowrap}
.matrix thead th.col{writing-mode:vertical-rl;transform:rotate(180deg);height:4.5em;text-align:left}
.matrix thead th.corner{font-weight:400;color:#555;text-align:right;vertical-align:bottom}
.matrix th.row{text-align:right}
.matrix td{width:34px;height:26px;text-align:center;border:1px solid #fff;padding:0}
.matrix td.empty{background:#f1f1f1}
.matrix td a{color:inherit;text-decoration:none;display:block}
.matrix td.dark{color:#fff}
.scale{display:flex;align-items:center;gap:8px;font-size:12px;margin:6px 0}
.scale span.bar{display:inline-block;width:220px;height:12px;border:1px solid #ccc}
.relations{display:grid;grid-template-columns:1fr 1fr;gap:24px}
@media (max-width:900px){.relations{grid-template-columns:1fr}}
.relations>div>ol{padding-left:1.2em}
.rel{margin-bottom:1em}.rel .head{font-weight:600}
.rel .fig{font-weight:400;color:#444;font-size:.92em}
.rel ul{margin:.3em 0;padding-left:1.1em}
.quote{margin:.25em 0}.quote q{quotes:"“" "”"}
.meta{color:#666;font-size:.85em}
mark{background:#ffe08a;padding:0 1px}
.chip{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin-right:4px;vertical-align:-1px}
.legend span.item{margin-right:1.2em;font-size:.9em}
svg{max-width:100%;height:auto}
"#;

/// Runs at the end of the page: records in the document which sections are laid out and seen
/// (the browser test reads it with `--dump-dom`), and the time to that point. The page reads
/// the same without it.
const SCRIPT: &str = r##"(function(){var r={},q=function(s){return document.querySelector(s)};[["matrix","#matrix table.matrix"],["bars","#coverage svg"],["evidence","#relations li.quote"],["trends","#trends svg"],["run","#run table"]].forEach(function(p){var e=q(p[1]),b=e&&e.getBoundingClientRect();r[p[0]]=b&&b.width>0&&b.height>0&&getComputedStyle(e).visibility!=="hidden"?1:0});r.cells=document.querySelectorAll("#matrix td.cell").length;r.bars_drawn=document.querySelectorAll("#coverage svg rect").length;r.quotes=document.querySelectorAll("#relations li.quote").length;r.scripts=document.scripts.length;r.images=document.images.length;r.ms=Math.round(performance.now());document.documentElement.setAttribute("data-rendered",JSON.stringify(r))})();"##;

/// The Content-Security-Policy: nothing from the network, inline styles, and only the script
/// above (by its hash) — a second line of defence behind the escaping.
fn csp() -> String {
    let digest = Sha256::digest(SCRIPT.as_bytes());
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{}'; base-uri 'none'; form-action 'none'",
        base64(&digest)
    )
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for (k, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if k <= c.len() {
                out.push(A[(n >> shift & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn signed(x: f64) -> String {
    let s = format!("{x:+.2}");
    s.replace('-', "−")
}

/// `1 event`, `2,345 events`.
fn count(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", thousands(n), if n == 1 { "" } else { "s" })
}

fn pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

fn anchor(p: &Pair) -> String {
    let clean = |s: &str| s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect::<String>();
    format!("rel-{}-{}", clean(&p.source), clean(&p.target))
}

fn tooltip(p: &Pair, source: &str, target: &str) -> String {
    format!(
        "{source} → {target}: {} in {}; mean stance {}; negative {}, positive {}",
        count(p.events(), "event"),
        count(p.dyad.documents, "document"),
        signed(p.mean()),
        pct(p.share(p.dyad.negative)),
        pct(p.share(p.dyad.positive)),
    )
}

pub fn render(v: &View) -> Markup {
    let f = v.facts;
    let listed: std::collections::BTreeSet<String> =
        v.hostile.iter().chain(&v.friendly).map(|r| anchor(&r.pair)).collect();
    let period = match (v.first_date, v.last_date) {
        (Some(a), Some(b)) if a == b => format!("{a}"),
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "undated articles".to_string(),
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(csp());
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content={ "newsstance " (f.version) };
                title { "newsstance summary — " (period) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    h1 { "A picture of the night" }
                    p.lead {
                        (count(f.records.scored, "article")) " (" (period) "), "
                        (thousands(v.pairs_total as u64)) " directed country pairs with stance events, "
                        (thousands(v.countries_total as u64)) " countries and blocs mentioned. "
                        "The CSV files beside this page hold every number; this page shows the top of them."
                    }
                    nav {
                        a href="#matrix" { "Stance matrix" }
                        a href="#relations" { "Strongest relations" }
                        a href="#coverage" { "Coverage" }
                        a href="#trends" { "Over time" }
                        a href="#run" { "Run" }
                    }
                    (matrix(v, &listed))
                    (relations(v))
                    section #coverage {
                        h2 { "Coverage" }
                        p.note { "Mean sentiment of the text toward each country or bloc (from " code { "countries.csv" } "), the "
                            (v.coverage.len()) " most mentioned, with their mention counts." }
                        @if let Some(svg) = &v.coverage_svg {
                            figure { (PreEscaped(svg)) }
                        } @else {
                            p { "No country was mentioned." }
                        }
                    }
                    (trends(v))
                    (run(v))
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
}

fn matrix(v: &View, listed: &std::collections::BTreeSet<String>) -> Markup {
    let scale: Vec<String> = (0..=10).map(|i| hex(diverging(i as f64 / 5.0 - 1.0))).collect();
    html! {
        section #matrix {
            h2 { "Stance matrix" }
            @if v.matrix.is_empty() {
                p { "No directed stance event in this run." }
            } @else {
                p.note {
                    "Who takes which stance toward whom: rows are the source, columns the target, for the "
                    (v.matrix.len()) " countries and blocs with the most stance events (at most " (MATRIX_COUNTRIES) "). "
                    "Colour is the mean stance of the events, the number is how many there were; hover a cell for "
                    "documents and the negative and positive shares (from " code { "dyads.csv" } ")."
                }
                div.scale {
                    span { "−1 hostile" }
                    span.bar style={ "background:linear-gradient(to right," (scale.join(",")) ")" } {}
                    span { "+1 friendly" }
                }
                table.matrix {
                    thead { tr { th.corner { "source ↓ · target →" } @for c in &v.matrix { th.col title=(c.label()) { (c.code) } } } }
                    tbody {
                        @for (r, row) in v.cells.iter().enumerate() {
                            tr {
                                th.row title=(v.matrix[r].label()) { (v.matrix[r].code) }
                                @for (c, cell) in row.iter().enumerate() {
                                    @match cell {
                                        Some(p) => {
                                            @let colour = diverging(p.mean());
                                            @let dark = p.mean().abs() > 0.55;
                                            @let id = anchor(p);
                                            td.cell.dark[dark]
                                                style={ "background:" (hex(colour)) }
                                                title=(tooltip(p, &v.matrix[r].label(), &v.matrix[c].label())) {
                                                @if listed.contains(&id) {
                                                    a href={ "#" (id) } { (p.events()) }
                                                } @else {
                                                    (p.events())
                                                }
                                            }
                                        }
                                        None => { td.empty {} }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn relations(v: &View) -> Markup {
    html! {
        section #relations {
            h2 { "Strongest relations" }
            p.note {
                "Directed pairs with at least " (v.min_events) " event" @if v.min_events != 1 { "s" }
                ", by mean stance (at most " (RELATIONS) " each), with the clearest sentences "
                "(from " code { "stances.csv" } "; the cue that fired is highlighted)."
            }
            div.relations {
                div { h3 { "Most hostile" } (relation_list(&v.hostile)) }
                div { h3 { "Most friendly" } (relation_list(&v.friendly)) }
            }
        }
    }
}

fn relation_list(list: &[Relation]) -> Markup {
    html! {
        @if list.is_empty() {
            p.note { "None." }
        } @else {
            ol {
                @for r in list {
                    @let p = &r.pair;
                    li.rel id=(anchor(p)) {
                        div.head {
                            (name(&r.source_name, &p.source)) " → " (name(&r.target_name, &p.target))
                            " " span.fig {
                                "mean " (signed(p.mean())) " · " (count(p.events(), "event")) " · "
                                (count(p.dyad.documents, "document")) " · "
                                (pct(p.share(p.dyad.negative))) " negative, " (pct(p.share(p.dyad.positive))) " positive"
                            }
                        }
                        @if r.quotes.is_empty() {
                            p.note { "No sentence kept for this sign." }
                        } @else {
                            ul {
                                @for q in r.quotes {
                                    li.quote {
                                        q { @for (marked, text) in highlight(&q.text, &q.cue) {
                                            @if marked { mark { (text) } } @else { (text) }
                                        } }
                                        " "
                                        span.meta {
                                            @if !q.outlet.is_empty() { (q.outlet) " · " }
                                            @if let Some(d) = q.date { (d.to_string()) " · " }
                                            (q.doc_id) " ¶" (q.paragraph) "." (q.sentence)
                                            " · score " (signed(q.score))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn name(name: &str, code: &str) -> String {
    if name.is_empty() || name == code {
        code.to_string()
    } else {
        format!("{name} ({code})")
    }
}

fn legend(names: &[String]) -> Markup {
    html! {
        p.legend {
            @for (k, n) in names.iter().enumerate() {
                span.item { span.chip style={ "background:" (hex(LINE_COLOURS[k % LINE_COLOURS.len()])) } {} (n) }
            }
        }
    }
}

fn trends(v: &View) -> Markup {
    html! {
        section #trends {
            h2 { "Over time" }
            @match &v.trends {
                None => { p.note { "The articles of this run have one date (or none): nothing to draw over time." } }
                Some(t) => {
                    p.note {
                        "By " (t.bucket) ", " (t.first) " to " (t.last) "; a missing " (t.bucket)
                        " is a gap in the line, not a zero."
                        @if t.dropped > 0 {
                            " The " (thousands(t.dropped)) " mentions dated before " (t.first)
                            " (the first percent of them, or more than " (MAX_BUCKETS) " " (t.bucket) "s back) are not drawn."
                        }
                    }
                    @if let Some((svg, names)) = &t.stance {
                        h3 { "Stance of the pairs with the most events" }
                        (legend(names))
                        figure { (PreEscaped(svg)) }
                    }
                    @if let Some((svg, names)) = &t.coverage {
                        h3 { "Coverage of the most mentioned countries" }
                        (legend(names))
                        figure { (PreEscaped(svg)) }
                    }
                }
            }
        }
    }
}

fn run(v: &View) -> Markup {
    let f = v.facts;
    let mut stages: Vec<(&str, f64)> =
        STAGES.iter().filter_map(|s| f.stage_seconds.get(*s).map(|t| (*s, *t))).collect();
    stages.extend(f.stage_seconds.iter().filter(|(k, _)| !STAGES.contains(&k.as_str())).map(|(k, t)| (k.as_str(), *t)));
    html! {
        section #run {
            h2 { "Run" }
            table.facts {
                tr { th { "newsstance" } td { (f.version) } }
                tr { th { "command" } td { code { (f.arguments.join(" ")) } } }
                tr { th { "started" } td { (f.started) } }
                tr { th { "scoring time" } td { (format!("{:.2}", f.elapsed_seconds)) " s on " (f.threads) " threads" } }
                tr { th { "exit code" } td { (f.exit_code) } }
                tr { th { "articles read / scored" } td { (thousands(f.records.read)) " / " (thousands(f.records.scored)) } }
                tr { th { "failed records" } td {
                    (thousands(f.records.failed)) " (" (thousands(f.records.error_rows)) " rows in " a href="errors.csv" { "errors.csv" } ")"
                } }
                tr { th { "paragraphs" } td { (thousands(f.records.paragraphs)) } }
                tr { th { "text" } td { (format!("{:.1}", f.records.text_bytes as f64 / 1e6)) " MB" } }
            }
            h3 { "Inputs" }
            table.facts {
                tr { th { "input" } th { "bytes" } th { "records" } th { "failed" } th { "BLAKE3" } }
                @for i in f.inputs.iter().take(MAX_INPUTS) {
                    tr {
                        td { code { (i.path) } }
                        td.n { (thousands(i.bytes)) }
                        td.n { (thousands(i.records)) }
                        td.n { (thousands(i.failed)) }
                        td { code { (i.blake3.get(..16).unwrap_or(&i.blake3)) } }
                    }
                }
            }
            @if f.inputs.len() > MAX_INPUTS {
                p.note { "and " (f.inputs.len() - MAX_INPUTS) " more (all in " code { "manifest.json" } ")." }
            }
            h3 { "Lexicons" }
            table.facts {
                tr { th { "file" } th { "from" } th { "BLAKE3" } }
                @for l in &f.lexicons {
                    tr { td { (l.name) } td { code { (l.origin) } } td { code { (l.blake3.get(..16).unwrap_or(&l.blake3)) } } }
                }
            }
            h3 { "Stage times" }
            p.note { "Seconds the worker threads spent in each stage, summed over documents and threads." }
            table.facts {
                @for (s, t) in stages { tr { th { (s) } td.n { (format!("{t:.3}")) } } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_known_values() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
