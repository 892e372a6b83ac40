"""What the label scripts share: the label file's rows by mention key, the work folder's
batches (keys and one or two labellings, checked for order), the sorted, atomic write, and the
cutting of mention batches for the labellers.

Used by `merge_mentions.py`, `merge_places.py`, `select_mentions.py`, `cut_mentions.py` and
`cut_places.py`; not a
command of its own.
"""
import csv, glob, json, os, re


def key(r):
    """A row's mention key: article, paragraph, sentence, start byte."""
    return (r[0], int(r[1]), int(r[2]), int(r[3]))


def load_rows(path, header):
    """The rows already in the label file at `path` (none when it does not exist), by key."""
    rows = {}
    if os.path.exists(path):
        with open(path, newline="") as f:
            r = csv.reader(f)
            if next(r) != header:
                raise SystemExit(f"{path}: unexpected header")
            for row in r:
                rows[key(row)] = row
    return rows


def read_labels(p, check):
    """One labeller's file: JSON lines; `check(label)` says whether a line's values are allowed."""
    labels = [json.loads(l) for l in open(p) if l.strip()]
    for v in labels:
        if not check(v):
            raise SystemExit(f"{p} {v.get('id')}: bad label {v}")
    return labels


def batches(work, jobs, check):
    """Each batch of WORK/JOBS: (name, keys, first labelling, second labelling or None, how many
    items both finished). A batch labelled in part contributes the prefix every labeller finished;
    ids must follow the keys' order."""
    for keys_path in sorted(glob.glob(os.path.join(work, jobs, "*.keys.jsonl"))):
        name = os.path.basename(keys_path).split(".")[0]
        keys = [json.loads(l) for l in open(keys_path)]
        # One folder NAME_<letter> per labeller (any letters: a batch labelled once may be any
        # labeller's), in letter order.
        found = sorted(glob.glob(os.path.join(work, jobs, f"{name}_?", "labels.jsonl")))
        if not found:
            print(f"{name}: not labelled, skipped")
            continue
        if len(found) > 2:
            raise SystemExit(f"{name}: labelled more than twice")
        a = read_labels(found[0], check)
        b = read_labels(found[1], check) if len(found) == 2 else None
        if len(a) > len(keys) or (b is not None and len(b) > len(keys)):
            raise SystemExit(f"{name}: more labels than mentions")
        done = min(len(a), len(b)) if b is not None else len(a)
        for labels in (a, b) if b is not None else (a,):
            if [x["id"] for x in labels[:done]] != [k["id"] for k in keys[:done]]:
                raise SystemExit(f"{name}: ids or order differ")
        if done < len(keys):
            print(f"{name}: {done} of {len(keys)} labelled")
        yield name, keys, a, b, done


def add(rows, name, k, row):
    """Adds a new row; a mention labelled before is an error."""
    if key(row) in rows:
        raise SystemExit(f"{name} {k['id']}: mention already labelled")
    rows[key(row)] = row


def save(path, header, rows):
    """Writes the rows sorted by split, article and position, through a temporary file."""
    ordered = sorted(rows.values(), key=lambda r: (r[6], r[0], int(r[1]), int(r[2]), int(r[3])))
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(ordered)
    os.replace(tmp, path)


def describe(r, cname, actors):
    """The actor as every round's batches name it to the labellers."""
    c = cname.get(r["country"], r["country"])
    a = actors.get(r["actor"])
    if a is None:
        return f"{r['name']} (a person named with an official role in the text; acts for {c})"
    if a["kind"] == "state":
        return f"{r['name']} (the state / country {c})"
    if a["kind"] == "person":
        role = re.sub("_", " ", a["role"] or "office-holder")
        return f"{r['name']} (person, {role}; acts for {c})"
    return f"{r['name']} ({a['kind']}; stands for {c})"


def write_batches(sel, out, prefix, first, size, drawn):
    """Writes the draw rows `sel` in files of `size`: `PREFIXNN.jsonl` for the labellers (paragraph,
    sentence, mention, actor; nothing the system decided about them) and `PREFIXNN.keys.jsonl` for
    `merge_mentions.py` (the keys, and how the mentions were `drawn`). Numbering starts at
    `first`; a last partial batch is not written."""
    cname = {r["code"]: r["name"] for r in csv.DictReader(open("lexicons/countries.csv"))}
    actors = {r["id"]: r for r in csv.DictReader(open("lexicons/actors.csv"))}
    for b in range(len(sel) // size):
        name = f"{prefix}{b + first:02d}"
        with open(f"{out}/{name}.jsonl", "w") as f, open(f"{out}/{name}.keys.jsonl", "w") as g:
            for j, r in enumerate(sel[b * size:(b + 1) * size]):
                id_ = f"{name}-{j + 1:04d}"
                sent = r["sentence_text"]
                item = {"id": id_, "paragraph": r["paragraph_text"], "sentence": sent,
                        "mention": sent.encode()[r["start"]:r["end"]].decode(),
                        "mention_start_byte": r["start"], "actor": describe(r, cname, actors)}
                f.write(json.dumps(item, ensure_ascii=False) + "\n")
                keys = {k: r[k] for k in ("doc_id", "paragraph", "sentence", "start", "end", "hash", "split",
                                          "actor", "country")}
                g.write(json.dumps({"id": id_, **keys, "drawn": drawn}) + "\n")


def mention_key(r):
    """A draw or label row's mention: article, paragraph, sentence, start and end byte."""
    return (r["doc_id"], int(r["paragraph"]), int(r["sentence"]), int(r["start"]), int(r["end"]))


def labelled_mentions():
    """The mentions already in a label file (`labels/mentions/`, `labels/places/`), by
    [`mention_key`]: a new batch never takes one of them again."""
    keys = set()
    for f in ["labels/mentions/mentions.csv", "labels/places/places.csv"]:
        with open(f, newline="") as fh:
            keys.update(mention_key(r) for r in csv.DictReader(fh))
    return keys


def next_unlabelled(draw, split, count, keep=lambda r: True):
    """The first `count` mentions of `split` in the draw's seeded order (DRAW/mentions.jsonl) that
    `keep` accepts and no label file holds yet ([`labelled_mentions`]): what every round cuts."""
    labelled = labelled_mentions()
    sel = []
    with open(draw) as fh:
        for line in fh:
            r = json.loads(line)
            if r["split"] == split and keep(r) and mention_key(r) not in labelled:
                sel.append(r)
                if len(sel) == count:
                    break
    return sel


BATCH = 200


def cut_args(argv):
    """`DRAW/mentions.jsonl WORKDIR/JOBS SPLIT COUNT PREFIX [FIRST]`, checked, for the cut
    scripts: (draw, out, split, count, prefix, first)."""
    if len(argv) < 6:
        raise SystemExit("usage: DRAW/mentions.jsonl WORKDIR/JOBS SPLIT COUNT PREFIX [FIRST]")
    draw, out, split, count, prefix = argv[1], argv[2], argv[3], int(argv[4]), argv[5]
    first = int(argv[6]) if len(argv) > 6 else 1
    if split not in ("train", "dev", "test") or count % BATCH:
        raise SystemExit(f"split must be train, dev or test and COUNT a multiple of {BATCH}")
    return draw, out, split, count, prefix, first
