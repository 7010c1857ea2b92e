#!/usr/bin/env bash
# Builds the pre-training corpus of the starter models from Debian's WordNet and GCIDE packages.
# Usage: scripts/build-corpus.sh [OUT_FILE]        (default: build/corpus/dictionary-corpus.txt)
# Output: UTF-8, one document per line (a WordNet synset's gloss and examples, or a GCIDE entry's
# definitions), markup removed, exact duplicates dropped, in a fixed order so reruns are identical.
# Environment (tests use these to run on a small slice): WORDNET_DIR (default /usr/share/wordnet),
# GCIDE_DICT (default /usr/share/dictd/gcide.dict.dz, gzip or plain text), CORPUS_MAX_DOCS (0 = all).
# Licences: WordNet 3.0 (Princeton WordNet licence, BSD-like, see /usr/share/doc/wordnet-base/
# copyright); GCIDE 0.48 (GPL-2+, see /usr/share/doc/dict-gcide/copyright). A model trained on the
# corpus is not a copy of it, but the model card names both sources and their licences.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/corpus/dictionary-corpus.txt}
wordnet=${WORDNET_DIR:-/usr/share/wordnet}
gcide=${GCIDE_DICT:-/usr/share/dictd/gcide.dict.dz}

if [[ -z "${WORDNET_DIR:-}${GCIDE_DICT:-}" ]] &&
   { [[ ! -f "$wordnet/data.noun" ]] || [[ ! -f "$gcide" ]]; }; then
  echo "Installing wordnet-base and dict-gcide with apt..." >&2
  if [[ $(id -u) -eq 0 ]]; then apt-get install -y --no-install-recommends wordnet-base dict-gcide
  else sudo apt-get install -y --no-install-recommends wordnet-base dict-gcide; fi
fi
mkdir -p "$(dirname "$out")"

# Python's standard library only (no torch): any python3 will do.
python3 - "$wordnet" "$gcide" "$out" "${CORPUS_MAX_DOCS:-0}" <<'PY'
import gzip, os, re, sys, unicodedata

wordnet_dir, gcide_path, out_path, max_docs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def clean(text):
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text

def wordnet_docs():
    # data.<pos> lines: "offset lex_filenum ss_type w_cnt word lex_id ... | gloss; "example"".
    for pos in ("noun", "verb", "adj", "adv"):
        path = os.path.join(wordnet_dir, "data." + pos)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  ") or "|" not in line:
                    continue  # the licence header lines start with two spaces
                head, gloss = line.split("|", 1)
                fields = head.split()
                count = int(fields[3], 16)
                words = [fields[4 + 2 * i].replace("_", " ") for i in range(count)]
                words = [re.sub(r"\(\w+\)$", "", w) for w in words]  # adjective markers (a), (p)
                doc = clean(", ".join(words) + ": " + gloss)
                if len(doc) > 10:
                    yield doc

HEADWORD = re.compile(r'^(\S[^\\]*?)\s*\\[^\\]*\\\s*,?\s*(.*)$')

def clean_gcide(text):
    text = re.sub(r"\[(1913 Webster|WordNet 1\.5|PJC|Century Dict\.|Webster 1913 Suppl\.|"
                  r"[^\]]{0,40}?\b(Dict|Webster|WordNet)[^\]]*)\]", " ", text)
    text = re.sub(r"--\s*[A-Z][\w.' ]{0,40}?\.(\s|$)", " ", text)  # "--Bailey." citations
    text = text.replace("{", "").replace("}", "")
    text = re.sub(r"\\[^\\]{0,80}\\", " ", text)  # pronunciations of run-on forms
    return clean(text)

def gcide_docs():
    opener = gzip.open if gcide_path.endswith(".gz") or gcide_path.endswith(".dz") else open
    with opener(gcide_path, "rt", encoding="utf-8", errors="replace") as f:
        blocks, cur = [], []
        for line in f:
            if line.strip():
                cur.append(line.rstrip("\n"))
            elif cur:
                blocks.append(cur); cur = []
        if cur:
            blocks.append(cur)
    entry = None
    for block in blocks:
        m = HEADWORD.match(block[0]) if not block[0].startswith(" ") else None
        if m:
            if entry:
                yield entry
            word, rest = m.group(1), m.group(2)
            rest = re.sub(r"^([^\[]*?)\[[^\]]*\]", r"\1", rest)  # etymology in the first line
            entry = [word + " (" + rest.strip().rstrip(".").strip() + "):" if rest.strip()
                     else word + ":"] + block[1:]
            entry = [entry[0]] + [l.strip() for l in entry[1:]]
            entry = [clean_gcide(" ".join(entry))]
        elif entry is not None and block[0].startswith(" "):
            entry.append(clean_gcide(" ".join(l.strip() for l in block)))
        else:
            if entry:
                yield entry
            entry = None  # the database header, not an entry
    if entry:
        yield entry

def gcide_text():
    for parts in gcide_docs():
        doc = clean(" ".join(p for p in parts if p))
        # too short to teach anything ("Abdicator (n.): One who abdicates.") is still kept
        if len(doc) > 20 and not doc.startswith("00-database"):
            yield doc

seen, n = set(), 0
with open(out_path + ".tmp", "w", encoding="utf-8") as out:
    for source in (wordnet_docs(), gcide_text()):
        for doc in source:
            if doc in seen:
                continue
            seen.add(doc)
            out.write(doc + "\n")
            n += 1
            if max_docs and n >= max_docs:
                break
        if max_docs and n >= max_docs:
            break
os.replace(out_path + ".tmp", out_path)
print(f"{n} documents, {os.path.getsize(out_path)} bytes -> {out_path}", file=sys.stderr)
PY
