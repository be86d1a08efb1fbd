#!/usr/bin/env bash
# The Debian packages the test suite needs beyond Python: Chromium and a CJK font for the browser
# tests, the PostgreSQL client tools (pg_isready, pg_dump, pgbench) for the PostgreSQL leg and the
# benchmarks. `make test` and `.ci/run` both call this. As root it installs what is missing
# through apt; otherwise it stops at once and prints the one command that installs it.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || missing+=(fonts-wqy-microhei)
command -v pg_isready >/dev/null 2>&1 || missing+=(postgresql-client)
command -v pgbench >/dev/null 2>&1 || missing+=(postgresql-contrib)
((${#missing[@]})) || exit 0

command="apt-get update && apt-get install -y ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "The test suite needs these system packages: ${missing[*]}" >&2
  echo "Install them with:  sudo sh -c '${command}'" >&2
  exit 1
fi
echo "== installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
  echo "Installing ${missing[*]} failed; run it by hand and look at apt's message:  ${command}" >&2
  exit 1
fi
