#!/usr/bin/env python3
"""Validate lexicons/people.csv against /work/notes/lexicon-spec.md (person rows only).

Usage:
    python3 scripts/check_people.py [path/to/people.csv] [--sort]

--sort rewrites the file in canonical order (country, role, valid_from, id) and
canonical CSV form (RFC 4180, UTF-8, LF, minimal quoting) before checking.

Exit status 0 when clean, 1 when any error is found. Warnings do not fail.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
from collections import defaultdict
from pathlib import Path

HEADER = ["id", "name", "country", "kind", "aliases", "valid_from", "valid_to", "role"]

ROLES = {
    "head_of_state", "head_of_government", "head_of_state_and_government",
    "foreign_minister", "defence_minister", "spokesperson", "secretary_general",
    "commission_president", "council_president", "national_security_adviser",
    "supreme_leader", "other_official",
}

BLOCS = {"EU", "NATO", "UN", "WEST", "G7", "G20", "ASEAN", "AU", "BRICS", "OPEC",
         "SCO", "GCC", "LAS"}

# ISO 3166-1 alpha-3 (all 249 current codes) plus XKX (Kosovo).
ISO3 = set("""
AFG ALA ALB DZA ASM AND AGO AIA ATA ATG ARG ARM ABW AUS AUT AZE BHS BHR BGD BRB
BLR BEL BLZ BEN BMU BTN BOL BES BIH BWA BVT BRA IOT BRN BGR BFA BDI CPV KHM CMR
CAN CYM CAF TCD CHL CHN CXR CCK COL COM COG COD COK CRI CIV HRV CUB CUW CYP CZE
DNK DJI DMA DOM ECU EGY SLV GNQ ERI EST SWZ ETH FLK FRO FJI FIN FRA GUF PYF ATF
GAB GMB GEO DEU GHA GIB GRC GRL GRD GLP GUM GTM GGY GIN GNB GUY HTI HMD VAT HND
HKG HUN ISL IND IDN IRN IRQ IRL IMN ISR ITA JAM JPN JEY JOR KAZ KEN KIR PRK KOR
KWT KGZ LAO LVA LBN LSO LBR LBY LIE LTU LUX MAC MDG MWI MYS MDV MLI MLT MHL MTQ
MRT MUS MYT MEX FSM MDA MCO MNG MNE MSR MAR MOZ MMR NAM NRU NPL NLD NCL NZL NIC
NER NGA NIU NFK MKD MNP NOR OMN PAK PLW PSE PAN PNG PRY PER PHL PCN POL PRT PRI
QAT REU ROU RUS RWA BLM SHN KNA LCA MAF SPM VCT WSM SMR STP SAU SEN SRB SYC SLE
SGP SXM SVK SVN SLB SOM ZAF SGS SSD ESP LKA SDN SUR SJM SWE CHE SYR TWN TJK TZA
THA TLS TGO TKL TON TTO TUN TUR TKM TCA TUV UGA UKR ARE GBR USA UMI URY UZB VUT
VEN VNM VGB VIR WLF ESH YEM ZMB ZWE XKX
""".split())

# Bare aliases that must never appear: ordinary words, very frequent names, or
# surnames shared by several prominent people (decisions documented in the reply).
FORBIDDEN_ALIASES = set("""
May Rice Brown Price Lee Kim Li Wang Sun Young King Johnson Miller Katz Fernández
Fernandez Albanese Moon Park Cho Han Kang Choe Choi Ri Yun Song Shin Suh Jeong Chung
Mao Hua Zhao Lin Guo Hong Lu Geng Qin Chang Wei Dong Singh Kumar Khan Smith Bishop
Wong Hunt Cooper Hammond Austin Carter Kerry Sanders Morrison Abbott Conte Philippe
Borne Gabriel Michel Costa Cohen Bennett Lieberman Liberman Bolton Waltz Flynn
Sullivan Cleverly Champagne Dion Sisulu Earnest Grisham Shanahan Wallace Fallon
Williamson Healey Baird Anand Hayashi Kono Kato Koizumi Nakatani Suga Kishi
Mukherjee Swaraj Rau Trenta Meade Sandoval Cienfuegos Saar Ashkenazi Herzog Boris
Charles Elizabeth Salman Abdullah Mohammed Khalifa Hamad Tamim Sheikh Emir Ban
Jaiswal Bagchi Srivastava Taran Modise Petri Bruce Ryder Parnell White Mousavi
Qasemi Thomas Martin Martínez Martinez Rossi Blair Kenney Payne Reynolds Nicholson
Jean-Pierre Wolf Bagheri Pinho Hart Cook Cameron Pistorius Napolitano Colonna
Primas Mendel Cerruti Ashtiani Dana Hoffman Fedorov Jarvis
""".split()) | {"Chris Miller", "Mike Flynn"}

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def load_country_codes(root: Path) -> set[str]:
    codes = set(ISO3) | BLOCS
    countries = root / "lexicons" / "countries.csv"
    if countries.exists():
        with countries.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row.get("code"):
                    codes.add(row["code"])
    return codes


def sort_key(row: list[str]):
    return (row[2], row[7], row[5], row[0])


def write_rows(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(HEADER)
    for r in rows:
        w.writerow(r)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


def parse_date(s: str):
    if not DATE_RE.match(s):
        return None
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        return None


def main(argv: list[str]) -> int:
    do_sort = "--sort" in argv
    args = [a for a in argv if not a.startswith("--")]
    root = Path(__file__).resolve().parent.parent
    path = Path(args[0]) if args else root / "lexicons" / "people.csv"
    raw = path.read_bytes()
    errors: list[str] = []
    warnings: list[str] = []

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        print(f"ERROR: not UTF-8: {e}")
        return 1
    if text.startswith("\ufeff"):
        errors.append("file starts with a BOM")
    if "\r" in text:
        errors.append("file contains CR characters (must be LF only)")
    if not text.endswith("\n"):
        errors.append("file does not end with a newline")

    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    if not rows or rows[0] != HEADER:
        errors.append(f"bad header: {rows[0] if rows else None!r}")
        body = rows[1:] if rows else []
    else:
        body = rows[1:]

    if do_sort and not errors:
        body = sorted(body, key=sort_key)
        write_rows(path, body)
        text = path.read_text(encoding="utf-8")

    # canonical form: re-serialising must give the same bytes (minimal quoting)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    for r in rows[:1] + body:
        w.writerow(r)
    if buf.getvalue() != text:
        errors.append("file is not in canonical CSV form (minimal quoting, LF); run with --sort")

    codes = load_country_codes(root)
    ids: dict[str, int] = {}
    alias_countries: dict[str, set[str]] = defaultdict(set)
    alias_rows: dict[str, list[str]] = defaultdict(list)
    today = dt.date.today()

    for n, r in enumerate(body, start=2):
        where = f"line {n}"
        if len(r) != 8:
            errors.append(f"{where}: {len(r)} columns, expected 8: {r!r}")
            continue
        rid, name, country, kind, aliases, vf, vt, role = r
        where = f"line {n} ({rid})"
        for col, val in zip(HEADER, r):
            if val != val.strip():
                errors.append(f"{where}: leading/trailing whitespace in {col}")
            if "  " in val:
                errors.append(f"{where}: double space in {col}")
        if not ID_RE.match(rid):
            errors.append(f"{where}: id is not a lowercase ASCII slug")
        if rid in ids:
            errors.append(f"{where}: duplicate id (first on line {ids[rid]})")
        ids[rid] = n
        expected_prefix = country.lower() + "-"
        if not rid.startswith(expected_prefix):
            errors.append(f"{where}: id should start with {expected_prefix!r}")
        if not name:
            errors.append(f"{where}: empty name")
        if country not in codes:
            errors.append(f"{where}: unknown country code {country!r}")
        if kind != "person":
            errors.append(f"{where}: kind must be 'person', got {kind!r}")
        if role not in ROLES:
            errors.append(f"{where}: invalid role {role!r}")
        dfrom = parse_date(vf) if vf else None
        dto = parse_date(vt) if vt else None
        if not vf:
            errors.append(f"{where}: empty valid_from")
        elif dfrom is None:
            errors.append(f"{where}: bad valid_from {vf!r}")
        if vt and dto is None:
            errors.append(f"{where}: bad valid_to {vt!r}")
        if dfrom and dto and dfrom > dto:
            errors.append(f"{where}: valid_from {vf} after valid_to {vt}")
        if dfrom and dfrom > today:
            errors.append(f"{where}: valid_from {vf} is in the future")
        if dto and dto > today:
            errors.append(f"{where}: valid_to {vt} is in the future")
        if dto and dto < dt.date(2015, 1, 1):
            errors.append(f"{where}: role ended before 2015-01-01 (out of scope)")

        if not aliases:
            errors.append(f"{where}: no aliases")
            continue
        parts = aliases.split("|")
        seen = set()
        for a in parts:
            if a == "":
                errors.append(f"{where}: empty alias")
                continue
            if a != a.strip() or "  " in a:
                errors.append(f"{where}: alias {a!r} has stray whitespace")
            if a in seen:
                errors.append(f"{where}: alias {a!r} repeated in the row")
            seen.add(a)
            if a in FORBIDDEN_ALIASES:
                errors.append(f"{where}: forbidden bare alias {a!r}")
            if a.endswith(("'s", "’s")):
                errors.append(f"{where}: possessive alias {a!r} (matcher adds these)")
            alias_countries[a].add(country)
            alias_rows[a].append(rid)
        if name not in seen:
            warnings.append(f"{where}: display name {name!r} is not among the aliases")

    for a, cs in sorted(alias_countries.items()):
        if len(cs) > 1:
            errors.append(f"alias {a!r} shared across countries {sorted(cs)}: {alias_rows[a]}")

    if [sort_key(r) for r in body if len(r) == 8] != sorted(sort_key(r) for r in body if len(r) == 8):
        errors.append("rows are not sorted by country, role, valid_from (run with --sort)")

    for w_ in warnings:
        print("WARN:", w_)
    for e in errors:
        print("ERROR:", e)
    per_country: dict[str, int] = defaultdict(int)
    for r in body:
        if len(r) == 8:
            per_country[r[2]] += 1
    print(f"{len(body)} rows, {len(errors)} errors, {len(warnings)} warnings")
    print(" ".join(f"{c}={per_country[c]}" for c in sorted(per_country)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
