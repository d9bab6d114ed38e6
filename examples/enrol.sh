#!/usr/bin/env bash
# Enrol a synthetic adult through the wallet against a server started with
# `netid serve --demo`, using the netid on PATH.
#
#   examples/enrol.sh SERVER_URL OUT_DIR
#
# Writes OUT_DIR/result.json: {internet_number, certificate_pem, password,
# wallet_dir}. The password is the one it set, so that scripts can log in.
# Each run enrols the demo's "adult" document, which can hold one account per
# server: run it against a fresh demo server, or expect a duplicate-identity
# refusal.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 SERVER_URL OUT_DIR" >&2
  exit 2
fi
server=$1
out=$2
command -v netid >/dev/null || { echo "netid is not on PATH: go install ./cmd/netid" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed to write result.json" >&2; exit 2; }

mkdir -p "$out"
chmod 700 "$out"
wallet_dir=$(cd "$out" && pwd)/wallet
password="correct horse battery staple $(od -An -N4 -tu4 /dev/urandom | tr -d ' ')"
umask 077
printf '%s\n' "$password" > "$out/password"

# A mainland mobile number unlikely to be used by another demo account.
phone="+86139$(od -An -N4 -tu4 /dev/urandom | tr -d ' ' | cut -c1-8 | awk '{printf "%08d", $1}')"

netid wallet enrol --wallet "$wallet_dir" --server "$server" --demo-document adult \
  --phone "$phone" --password-file "$out/password" --json > "$out/enrol.json"

python3 - "$out/enrol.json" "$password" "$wallet_dir" "$out/result.json" <<'PY'
import json, sys
enrolled = json.load(open(sys.argv[1]))
result = {
    "internet_number": enrolled["internet_number"],
    "certificate_pem": enrolled["certificate_pem"],
    "password": sys.argv[2],
    "wallet_dir": sys.argv[3],
}
with open(sys.argv[4], "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")
PY
rm -f "$out/password"
echo "enrolled $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["internet_number"])' "$out/result.json"); see $out/result.json" >&2
