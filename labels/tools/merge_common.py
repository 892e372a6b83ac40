"""What the label merge scripts share: the label file's rows by mention key, the work folder's
batches (keys and one or two labellings, checked for order), and the sorted, atomic write.

Used by `merge_mentions.py` and `merge_places.py`; not a command of its own.
"""
import csv, glob, json, os


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
