#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seeds taken, at run time, from the real corpus
# (../shared/corpus beside the crate, or $PYPROV_CORPUS). corpus/ is gitignored: the corpus's
# files are never copied into the repository.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=${PYPROV_CORPUS:-$here/../../shared/corpus}
[ -f "$src/manifest.json" ] || { echo "no corpus at $src (set PYPROV_CORPUS)" >&2; exit 2; }
out=$here/corpus
mkdir -p "$out/parse_document" "$out/parse_statement" "$out/verify_attestation_mutants"

# Every provenance document: PEP 740 attestations and provenance objects, Sigstore bundles
# (v0.1 to v0.3, Rekor v1 and v2), SLSA .intoto.jsonl bundles, the negative cases included.
find "$src/files" -type f \( -name '*.attestation' -o -name '*.provenance' \
    -o -name '*.sigstore' -o -name '*.sigstore.json' -o -name '*.intoto.jsonl' \) -print0 |
  while IFS= read -r -d '' f; do
    cp "$f" "$out/parse_document/$(sha1sum <"$f" | cut -c1-40)"
  done

# The signed in-toto statements, decoded, each followed by NUL and the file name it covers.
python3 - "$src" "$out/parse_statement" <<'PY'
import base64, hashlib, json, pathlib, sys
src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for case in json.loads((src / "manifest.json").read_text()):
    path = src / case.get("provenance", "")
    if not case.get("provenance") or not path.is_file():
        continue
    try:
        doc = json.loads(path.read_text())
    except ValueError:
        continue
    atts = [a for g in doc.get("attestation_bundles", []) for a in g.get("attestations", [])]
    payloads = [a["envelope"]["statement"] for a in atts + [doc] if "envelope" in a]
    if "dsseEnvelope" in doc:
        payloads.append(doc["dsseEnvelope"].get("payload", ""))
    for p in payloads:
        data = base64.b64decode(p) + b"\0" + pathlib.Path(case.get("dist", "")).name.encode()
        (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
PY

# The mutation target reads the corpus itself; its seeds only pick each document once.
for i in $(seq 0 31); do
  printf "$(printf '\\x%02x' "$i")" >"$out/verify_attestation_mutants/seed-$i"
done

for t in parse_document parse_statement verify_attestation_mutants; do
  echo "$t: $(ls "$out/$t" | wc -l) seeds"
done
