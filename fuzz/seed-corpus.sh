#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seeds taken, at run time, from the real corpus
# (../shared/corpus beside the crate, or $PYPROV_CORPUS). corpus/ is gitignored: the corpus's
# files are never copied into the repository.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=${PYPROV_CORPUS:-$here/../../shared/corpus}
[ -f "$src/manifest.json" ] || { echo "no corpus at $src (set PYPROV_CORPUS)" >&2; exit 2; }
out=$here/corpus
targets="parse_document parse_statement verify_attestation_mutants pipopts requirements project_page
  netrc trust_file identity_term distname"
for t in $targets; do mkdir -p "$out/$t"; done

# seed TARGET NAME: the bytes on stdin become fuzz/corpus/TARGET/NAME.
seed() { cat >"$out/$1/$2"; }

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

# The text parsers' seeds are written here, not taken from the corpus: real spellings of each
# input. A leading byte, where a target reads one, picks a command, base URL or issuer.

# pipopts: command byte, then `key=value` config lines, a blank line, one word per line.
printf '\x00index-url=https://a.example/simple\nno-cache-dir=yes\nverbose=2\n\n--extra-index\nhttp://x\n-Ufhttp://z\n-qqv\n--find=/w\n--no-user\n--locked\nsix==1.16\n--\n-r' | seed pipopts install
printf '\x01\n\n-d\ndist\n--only-binary=:all:\n--platform\nmanylinux2014_x86_64\n--python-version=3.12\nfoo' | seed pipopts download
printf '\x02\n\n--isolated\n-v\n--cert=/etc/ssl/a.pem\n--proxy\nhttp://p:3128' | seed pipopts general
printf '\x03\n\n--index-url\nhttps://x/simple\n--hash=sha256:aa\n-c\nc.txt\n--config-settings=k=v' | seed pipopts reqfile
printf '\x00\n\n%s' "--trusted-host='a b' \"x\\\"y\" \${HOME} \${NOT_SET} \${bad" | seed pipopts shlex

# requirements: a requirements file.
cat <<'REQ' | seed requirements basic
# a comment
--index-url https://evil.example/simple
--extra-index-url=https://extra.example/simple
-f ./wheels
--trusted-host evil.example
six==1.16.0 \
    --hash=sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926
requests[socks]>=2; python_version > "3.8"  # trailing comment
-e git+https://github.com/a/b#egg=b
pkg @ https://x.example/pkg-1.0.tar.gz
./local/dir
-r req.txt
--no-binary :all:
${NOT_SET}==1.0
REQ

# project_page: base byte, then an HTML or JSON page.
printf '\x00<html><head><base href="../other/"></head><body>
<a href="../../files/foo-1.0-py3-none-any.whl#sha256=abc" data-requires-python="&gt;=3.8" data-core-metadata="sha256=def" data-provenance="https://example.com/integrity/foo/1.0/foo-1.0-py3-none-any.whl/provenance">foo</a>
<a href="https://files.example.com/foo-1.0.tar.gz" data-yanked="">foo</a>
<a href="..%%2F..%%2Fx.whl">x</a><a href="%%ff.whl">y</a><a href="a%%5Cb.whl">z</a>
</body></html>' | seed project_page html
printf '\x01{"meta":{"api-version":"1.1"},"name":"foo","files":[{"filename":"foo-1.0.tar.gz","url":"../../f/foo-1.0.tar.gz#sha256=ab","hashes":{"sha256":"cd"},"requires-python":">=3","yanked":"bad","core-metadata":{"sha256":"ef"},"provenance":"https://x/p"},{"filename":"../x.whl","url":"x.whl","hashes":{}},{"filename":"y.whl","url":"y.whl","provenance":null,"dist-info-metadata":true,"yanked":true}]}' | seed project_page json

# netrc
printf 'machine a.example login u password p\ndefault login d password q\nmachine b account x macdef init\nlogin\n' | seed netrc basic

# trust_file: TOML, NUL, a publisher spec.
cat <<'TOML' | seed trust_file basic
[policy]
unattested = "deny"
tofu = true
require-environment-proof = false

[packages]
sampleproject = { publisher = "github:pypa/sampleproject/release.yml" }
"Pypi_Attestations" = { publisher = ["github:trailofbits/pypi-attestations/release.yml", "gitlab:ns/sub/proj//ci/release.yml"], environment = "release", require-environment-proof = true }
legacy = { unattested = "allow" }
pinned = { publisher = "google:bot@example.iam.gserviceaccount.com", pinned = "tofu 2025-06-01" }
TOML
printf '\0github:owner/repo/.github/workflows/release.yml' >>"$out/trust_file/basic"
printf '[packages]\n"a" = 1\né = { publisher = "x" }\n\0gitlab:a/b//c/d.yml' | seed trust_file errors

# identity_term: issuer byte, then NUL-separated fields: (issuer) san repository ref commit
# workflow build-config-uri ... (see the target).
printf '\x00x\0https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1\0https://github.com/o/r\0refs/tags/v1\0abcdef0123456789\0.github/workflows/release.yml\0https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1\0' | seed identity_term github
printf '\x01x\0https://gitlab.com/ns/p//.gitlab-ci.yml@refs/heads/main\0https://gitlab.com/ns/p\0refs/heads/main\0\xe2\x80\xae0123\0.gitlab-ci.yml' | seed identity_term gitlab
printf '\x03https://evil.example\0\x1b[2Jdeny\r\0' | seed identity_term escapes

# distname: file names.
for n in pypi_attestations-0.0.19.tar.gz pypi_attestations-0.0.19-py3-none-any.whl \
    foo-1.0-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl Foo.Bar-1!2.0rc1.post3.dev4+local.7.zip \
    a-99999999999999999999999.tar.gz ../x-1.0.tar.gz; do
  printf '%s' "$n" | seed distname "$(printf '%s' "$n" | sha1sum | cut -c1-40)"
done

for t in $targets; do
  echo "$t: $(ls "$out/$t" | wc -l) seeds"
done
