#!/bin/sh
# Checks deploy/systemd/careledger.service with `systemd-analyze verify`,
# pointing its ExecStart at a built careledger (the installed path need not
# exist on a build machine). usage: verify_unit.sh CARELEDGER_BINARY
set -eu
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|/usr/local/bin/careledger|$1|" "$here/careledger.service" > "$tmp/careledger.service"
output=$(systemd-analyze verify "$tmp/careledger.service" 2>&1) || { echo "$output"; exit 1; }
# verify exits 0 on some warnings; any line naming the unit is a finding.
if echo "$output" | grep -q "careledger.service"; then echo "$output"; exit 1; fi
echo "careledger.service verifies"
