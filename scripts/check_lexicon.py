#!/usr/bin/env python3
"""Validate lexicons/countries.csv and lexicons/actors.csv against the lexicon contract.

Usage:
    python3 scripts/check_lexicon.py [--dir lexicons] [--verbose]
    python3 scripts/check_lexicon.py --probe "Text to run through a reference matcher"

Exit status 0 when there are no errors (warnings are printed but do not fail), 1 otherwise.
The contract is docs in lexicons/README.md; `newsstance lexicon check` implements the same
rules in Rust. This script is the data authors' quick check and needs only Python 3.11.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import re
import sys
from collections import defaultdict

COUNTRIES_HEADER = ["code", "name", "kind", "demonym"]
ACTORS_HEADER = ["id", "name", "country", "kind", "aliases", "valid_from", "valid_to", "role"]
BLOC_CODES = ["EU", "NATO", "UN", "WEST", "G7", "G20", "ASEAN", "AU", "BRICS", "OPEC", "SCO", "GCC", "LAS"]
COUNTRY_KINDS = {"state", "territory", "bloc"}
ACTOR_KINDS = ["state", "place", "institution", "person", "bloc", "ignore"]
ROLES = {
    "head_of_state", "head_of_government", "head_of_state_and_government", "foreign_minister",
    "defence_minister", "spokesperson", "secretary_general", "commission_president", "council_president",
    "national_security_adviser", "supreme_leader", "other_official",
}
# The 193 UN member states.
UN_MEMBERS = set("""
AFG ALB DZA AND AGO ATG ARG ARM AUS AUT AZE BHS BHR BGD BRB BLR BEL BLZ BEN BTN BOL BIH BWA BRA BRN BGR
BFA BDI CPV KHM CMR CAN CAF TCD CHL CHN COL COM COG COD CRI CIV HRV CUB CYP CZE DNK DJI DMA DOM ECU EGY
SLV GNQ ERI EST SWZ ETH FJI FIN FRA GAB GMB GEO DEU GHA GRC GRD GTM GIN GNB GUY HTI HND HUN ISL IND IDN
IRN IRQ IRL ISR ITA JAM JPN JOR KAZ KEN KIR KWT KGZ LAO LVA LBN LSO LBR LBY LIE LTU LUX MDG MWI MYS MDV
MLI MLT MHL MRT MUS MEX FSM MDA MCO MNG MNE MAR MOZ MMR NAM NRU NPL NLD NZL NIC NER NGA PRK MKD NOR OMN
PAK PLW PAN PNG PRY PER PHL POL PRT QAT KOR ROU RUS RWA KNA LCA VCT WSM SMR STP SAU SEN SRB SYC SLE SGP
SVK SVN SLB SOM ZAF SSD ESP LKA SDN SUR SWE CHE SYR TJK TZA THA TLS TGO TON TTO TUN TUR TKM TUV UGA UKR
ARE GBR USA URY UZB VUT VEN VNM YEM ZMB ZWE
""".split())
# UN observer states, plus Taiwan and Kosovo: also kind `state`.
OTHER_STATES = {"VAT", "PSE", "TWN", "XKX"}
EXPECTED_STATES = UN_MEMBERS | OTHER_STATES
ISO_JSON = "/usr/share/iso-codes/json/iso_3166-1.json"  # Debian package iso-codes, if installed

# Aliases that must never be used on their own (ordinary words / very common names).
FORBIDDEN_BARE = {"May", "Rice", "Brown", "Lee", "Kim", "Li", "Wang", "Sun", "Price", "Young", "King", "Johnson"}

# States that have no demonym of their own: the English demonym is taken by a bigger neighbour
# ("Dominican" -> Dominican Republic, "Congolese" -> DR Congo). Documented in lexicons/README.md.
NO_DEMONYM_OK = {
    "DMA": '"Dominican" is mapped to the Dominican Republic (DOM)',
    "COG": '"Congolese" is mapped to DR Congo (COD)',
}
# Words that mark an alias as a (formal) name rather than a demonym.
POLITY_WORDS = {
    "Republic", "Kingdom", "State", "States", "Federation", "Union", "Commonwealth", "Confederation",
    "Principality", "Sultanate", "Emirate", "Emirates", "Duchy", "Islands", "Federated", "Democratic",
    "Independent", "Plurinational", "Bolivarian", "Socialist", "Hashemite", "Co-operative", "Cooperative",
    "Territories", "territories", "See", "City", "Congo", "Korea", "China", "Britain", "America", "Coast",
    "Timor", "and",
}
# Alternative country names that happen to end like a demonym.
# ("Vatican" is deliberately not here: it is also the Holy See's adjective, "Vatican officials".)
ALT_NAMES = {"Solomons", "Bharat", "Burkina", "Kosova", "Surinam", "Bosnia-Herzegovina", "Chinese Taipei"}
DEMONYM_RE = re.compile(
    r"(?:an|ans|ian|ians|ean|eans|ese|i|is|ish|ch|chs|ss|ic|er|ers|ot|ots|ois|que|ques|k|ks|z|ns|es|"
    r"men|mens|sy|tho|wana|ino|inos|ina|inas|ene|enes|en|ens|kh|khs|ar|ars|in|ins|ine|ines|be|bè|bé)$")

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Report:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def err(self, msg: str) -> None:
        self.errors.append(msg)

    def warn(self, msg: str) -> None:
        self.warnings.append(msg)


def read_csv(path: str, header: list[str], rep: Report) -> list[tuple[int, list[str]]]:
    """Read a CSV file and check the byte-level format rules. Returns (line number, fields) rows."""
    name = os.path.basename(path)
    try:
        raw = open(path, "rb").read()
    except OSError as e:
        rep.err(f"{name}: cannot read: {e}")
        return []
    if raw.startswith(b"\xef\xbb\xbf"):
        rep.err(f"{name}: starts with a UTF-8 BOM")
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        rep.err(f"{name}: not valid UTF-8: {e}")
        return []
    if "\r" in text:
        rep.err(f"{name}: contains CR characters (use LF line endings)")
    if not text.endswith("\n"):
        rep.err(f"{name}: does not end with a newline")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    rows = []
    for ln, line in enumerate(lines, start=1):
        if line.strip() == "":
            rep.err(f"{name}:{ln}: blank line")
            continue
        fields = next(csv.reader([line], strict=True))
        buf = io.StringIO()
        csv.writer(buf, lineterminator="", quoting=csv.QUOTE_MINIMAL).writerow(fields)
        if buf.getvalue() != line:
            rep.err(f"{name}:{ln}: not minimally quoted (RFC 4180, quote only fields with , \" or newline)")
        rows.append((ln, fields))
    if not rows or rows[0][1] != header:
        rep.err(f"{name}: header must be exactly {','.join(header)}")
        return []
    out = []
    for ln, fields in rows[1:]:
        if len(fields) != len(header):
            rep.err(f"{name}:{ln}: {len(fields)} columns, expected {len(header)}")
            continue
        out.append((ln, fields))
    return out


def check_countries(path: str, rep: Report) -> dict[str, tuple[str, str]]:
    rows = read_csv(path, COUNTRIES_HEADER, rep)
    codes: dict[str, tuple[str, str]] = {}
    for ln, (code, name, kind, *_demonym) in rows:
        where = f"countries.csv:{ln}"
        if code in codes:
            rep.err(f"{where}: duplicate code {code}")
        if not (re.fullmatch(r"[A-Z]{3}", code) or code in BLOC_CODES):
            rep.err(f"{where}: bad code {code!r}")
        if kind not in COUNTRY_KINDS:
            rep.err(f"{where}: bad kind {kind!r}")
        if not name.strip() or name != name.strip():
            rep.err(f"{where}: empty name or surrounding whitespace")
        if code in BLOC_CODES and kind != "bloc":
            rep.err(f"{where}: bloc code {code} must have kind bloc")
        if code not in BLOC_CODES and kind == "bloc":
            rep.err(f"{where}: {code} is not in the fixed bloc list")
        if code in EXPECTED_STATES and kind != "state":
            rep.err(f"{where}: {code} must have kind state")
        if (re.fullmatch(r"[A-Z]{3}", code) and code not in BLOC_CODES and code not in EXPECTED_STATES
                and kind != "territory"):
            rep.err(f"{where}: {code} must have kind territory")
        codes[code] = (name, kind)
    for b in BLOC_CODES:
        if b not in codes:
            rep.err(f"countries.csv: missing bloc code {b}")
    for s in sorted(EXPECTED_STATES - set(codes)):
        rep.err(f"countries.csv: missing state {s}")
    if os.path.exists(ISO_JSON):
        iso = {c["alpha_3"] for c in json.load(open(ISO_JSON, encoding="utf-8"))["3166-1"]}
        have = {c for c, (_, k) in codes.items() if k != "bloc"} - {"XKX"}
        for c in sorted(iso - have):
            rep.err(f"countries.csv: missing ISO 3166-1 code {c}")
        for c in sorted(have - iso):
            rep.err(f"countries.csv: {c} is not a current ISO 3166-1 alpha-3 code (only XKX is allowed extra)")
    else:
        rep.warn(f"{ISO_JSON} not found: ISO code list not cross-checked (apt-get install iso-codes)")
    if "XKX" not in codes:
        rep.err("countries.csv: missing XKX (Kosovo)")
    return codes


def parse_date(s: str) -> dt.date | None:
    if not DATE_RE.match(s):
        return None
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        return None


def alias_regex(alias: str) -> re.Pattern:
    return re.compile(r"(?<!\w)" + re.escape(alias) + r"(?!\w)")


def surface_forms(alias: str) -> list[str]:
    """Forms the matcher accepts for an alias (sentence-initial capital for lowercase-first aliases)."""
    forms = [alias]
    if alias[:1].islower():
        forms.append(alias[:1].upper() + alias[1:])
    return forms


def is_demonym(alias: str, short_name: str) -> bool:
    words = alias.split()
    if re.match(r"(?:I|Ni)-[A-Z]", alias):
        return True  # I-Kiribati, Ni-Vanuatu
    if alias_regex(short_name).search(alias) or alias in ALT_NAMES:
        return False
    if any(w in POLITY_WORDS for w in words):
        return False
    if any(re.fullmatch(r"[A-Z.&]{2,}", w) or re.search(r"[a-z][A-Z]", w) for w in words):
        return False  # abbreviations (UK, U.S., DRC, BiH...)
    return bool(DEMONYM_RE.search(words[-1]))


def check_actors(path: str, codes: dict[str, tuple[str, str]], rep: Report, verbose: bool) -> list[list[str]]:
    rows = read_csv(path, ACTORS_HEADER, rep)
    ids: dict[str, int] = {}
    alias_owner: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    state_rows: dict[str, list[str]] = {}
    actor_rows = []
    order = []  # (section index, sort key, line) for non-person rows
    for ln, f in rows:
        aid, name, country, kind, aliases, vfrom, vto, role = f
        where = f"actors.csv:{ln} ({aid})"
        actor_rows.append(f)
        # id
        if not ID_RE.match(aid):
            rep.err(f"{where}: id must be a lowercase ASCII slug")
        if aid in ids:
            rep.err(f"{where}: duplicate id (first on line {ids[aid]})")
        ids[aid] = ln
        if not name.strip() or name != name.strip():
            rep.err(f"{where}: empty name or surrounding whitespace")
        # kind / country
        if kind not in ACTOR_KINDS:
            rep.err(f"{where}: bad kind {kind!r}")
            continue
        if kind == "ignore":
            if country:
                rep.err(f"{where}: ignore rows must have an empty country")
            if not aid.startswith("ignore-"):
                rep.err(f"{where}: ignore ids start with 'ignore-'")
        else:
            if country not in codes:
                rep.err(f"{where}: country {country!r} is not in countries.csv")
            else:
                ckind = codes[country][1]
                if kind == "state":
                    if ckind != "state":
                        rep.err(f"{where}: state row for non-state code {country}")
                    if aid != country.lower():
                        rep.err(f"{where}: state id must be {country.lower()}")
                    if name != codes[country][0]:
                        rep.err(f"{where}: name {name!r} differs from countries.csv {codes[country][0]!r}")
                    if country in state_rows:
                        rep.err(f"{where}: second state row for {country}")
                    state_rows[country] = f
                elif kind == "bloc":
                    if ckind != "bloc":
                        rep.err(f"{where}: bloc row for non-bloc code {country}")
                    if aid != country.lower():
                        rep.err(f"{where}: bloc id must be {country.lower()}")
                elif not aid.startswith(country.lower() + "-"):
                    rep.err(f"{where}: id must start with '{country.lower()}-'")
        # dates and role
        if kind in ("person", "institution"):
            d1 = parse_date(vfrom) if vfrom else None
            d2 = parse_date(vto) if vto else None
            if vfrom and d1 is None:
                rep.err(f"{where}: valid_from {vfrom!r} is not a YYYY-MM-DD date")
            if vto and d2 is None:
                rep.err(f"{where}: valid_to {vto!r} is not a YYYY-MM-DD date")
            if d1 and d2 and d1 > d2:
                rep.err(f"{where}: valid_from is after valid_to")
        elif vfrom or vto:
            rep.err(f"{where}: {kind} rows leave valid_from/valid_to empty")
        if kind == "person":
            if role not in ROLES:
                rep.err(f"{where}: role {role!r} is not one of the spec's roles")
        elif role:
            rep.err(f"{where}: role is only for person rows")
        # aliases
        if not aliases:
            rep.err(f"{where}: no aliases")
        parts = aliases.split("|")
        seen = set()
        for a in parts:
            if not a:
                rep.err(f"{where}: empty alias (doubled or trailing '|')")
                continue
            if a != a.strip() or "  " in a:
                rep.err(f"{where}: alias {a!r} has stray whitespace")
            if any(ord(c) < 32 for c in a):
                rep.err(f"{where}: alias {a!r} has a control character")
            if a in seen:
                rep.err(f"{where}: alias {a!r} listed twice")
            seen.add(a)
            if re.search(r"['\u2019]s$", a) and kind != "ignore":
                rep.err(f"{where}: alias {a!r} looks like a possessive (the matcher adds those)")
            if a in FORBIDDEN_BARE:
                rep.err(f"{where}: bare alias {a!r} is forbidden (ordinary word / frequent name)")
            if "'" in a and a.replace("'", "\u2019") not in parts:
                rep.err(f"{where}: alias {a!r} lacks its curly-apostrophe twin")
            if "\u2019" in a and a.replace("\u2019", "'") not in parts:
                rep.err(f"{where}: alias {a!r} lacks its straight-apostrophe twin")
            alias_owner[a][country].append(aid)
        # ordering (people are appended by another author and not order-checked)
        if kind != "person":
            sec = ["state", "place", "institution", "bloc", "ignore"].index(kind)
            key = (aid,) if kind == "ignore" else (country, aid)
            order.append((sec, key, ln, aid))

    # alias ownership
    for a, owners in sorted(alias_owner.items()):
        if len(owners) > 1:
            desc = "; ".join(f"{c or 'ignore'}: {','.join(ids_)}" for c, ids_ in owners.items())
            rep.err(f"alias {a!r} maps to more than one country ({desc})")
        else:
            (c, ids_), = owners.items()
            if len(ids_) > 1:
                rep.warn(f"alias {a!r} appears in several rows of {c or 'ignore'}: {', '.join(ids_)}")

    # order
    for prev, cur in zip(order, order[1:]):
        if (cur[0], cur[1]) < (prev[0], prev[1]):
            rep.err(f"actors.csv:{cur[2]} ({cur[3]}): out of order (states by code, then places, "
                    f"institutions, blocs by country then id, ignore by id)")

    # every state present, with its name and a demonym
    lacking = []
    for code in sorted(EXPECTED_STATES):
        f = state_rows.get(code)
        if f is None:
            rep.err(f"actors.csv: no state row for {code}")
            continue
        short = codes[code][0]
        parts = f[4].split("|")
        if short not in parts:
            rep.err(f"actors.csv: state {code} does not list its name {short!r} as an alias")
        dem = [a for a in parts if is_demonym(a, short)]
        if verbose:
            print(f"  {code} {short}: demonyms = {', '.join(dem) or '-'}")
        if not dem:
            if code in NO_DEMONYM_OK:
                rep.warn(f"state {code} has no demonym alias (accepted: {NO_DEMONYM_OK[code]})")
            else:
                lacking.append(code)
    if lacking:
        rep.err("states lacking a demonym alias: " + ", ".join(lacking))

    # every ignore phrase must contain an actor alias (else it masks nothing)
    actor_aliases = [a for a, owners in alias_owner.items() if "" not in owners]
    by_first = defaultdict(list)
    for a in actor_aliases:
        for form in surface_forms(a):
            by_first[form.split()[0].split("-")[0][:4]].append(form)
    for f in actor_rows:
        if f[3] != "ignore":
            continue
        for phrase in f[4].split("|"):
            ok = False
            for form in surface_forms(phrase):
                for a in actor_aliases:
                    for af in surface_forms(a):
                        if af in form and alias_regex(af).search(form):
                            ok = True
                            break
                    if ok:
                        break
                if ok:
                    break
            if not ok:
                rep.err(f"ignore phrase {phrase!r} ({f[0]}) contains no actor alias")
    return actor_rows


def build_matcher(actor_rows: list[list[str]]):
    table = {}
    for f in actor_rows:
        for a in f[4].split("|"):
            for form in surface_forms(a):
                table.setdefault(form, f)
    forms = sorted(table, key=len, reverse=True)
    pat = re.compile(r"(?<!\w)(" + "|".join(re.escape(x) for x in forms) + r")(?!\w)")
    return pat, table


def probe(actor_rows: list[list[str]], text: str) -> None:
    """Reference leftmost-longest, case-sensitive, word-bounded matcher (no name guard, no context rules)."""
    pat, table = build_matcher(actor_rows)
    for m in pat.finditer(text):
        f = table[m.group(1)]
        tag = "IGNORE" if f[3] == "ignore" else f"{f[2]:5} {f[3]}"
        print(f"  {m.start():5}  {m.group(1)!r:40} -> {tag:18} {f[0]}")


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=os.path.join(here, "..", "lexicons"), help="folder with the two CSV files")
    ap.add_argument("--verbose", action="store_true", help="print the demonyms found for each state")
    ap.add_argument("--probe", action="append", default=[], help="text to run through the reference matcher")
    args = ap.parse_args()

    rep = Report()
    codes = check_countries(os.path.join(args.dir, "countries.csv"), rep)
    rows = check_actors(os.path.join(args.dir, "actors.csv"), codes, rep, args.verbose)
    for t in args.probe:
        print(f"probe: {t}")
        probe(rows, t)

    kinds = defaultdict(int)
    for f in rows:
        kinds[f[3]] += 1
    ckinds = defaultdict(int)
    for _, k in codes.values():
        ckinds[k] += 1
    print("countries.csv: " + ", ".join(f"{k} {ckinds[k]}" for k in ("state", "territory", "bloc"))
          + f" (total {len(codes)})")
    print("actors.csv:    " + ", ".join(f"{k} {kinds[k]}" for k in ACTOR_KINDS) + f" (total {len(rows)})")
    for w in rep.warnings:
        print(f"warning: {w}")
    for e in rep.errors:
        print(f"ERROR: {e}")
    print(f"{len(rep.errors)} errors, {len(rep.warnings)} warnings")
    return 1 if rep.errors else 0


if __name__ == "__main__":
    sys.exit(main())
