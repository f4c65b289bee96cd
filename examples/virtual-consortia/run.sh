#!/usr/bin/env bash
# The virtual-consortia demonstration (docs/agreement.md, "Demonstration"): one coordinator process on loopback hosting
# two consortia — cardiology on the heart-disease data, oncology on TCGA-BRCA, the Cleveland Clinic in both — with a
# node process per hospital; a job per consortium at the same time, a hospital joining cardiology for its next job, a
# job outside the cardiology agreement refused by clause, and one byte of the signed agreement changed at every member.
#
#   examples/virtual-consortia/run.sh [--json] [--out DIR] [--rounds N]
#
# Prints the summary (one JSON document with --json; progress goes to standard error) and writes each consortium's
# agreement, DUA (dua.html, dua.md) and compliance report, the ledgers and summary.json into DIR (default
# out/virtual-consortia). Exit 0 when every check of the summary holds, 1 when one does not, 2 when it could not run.
# It builds the CLI first (CONSORTIA_CONFIGURATION, default Release: what eng/test.sh builds).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
configuration="${CONSORTIA_CONFIGURATION:-Release}"
# Build output to standard error: standard output carries only the summary.
dotnet build src/Consortia.Cli -c "$configuration" -v q -nologo >&2
exec dotnet "src/Consortia.Cli/bin/$configuration/net10.0/consortia.dll" demo virtual-consortia --source "$root" "$@"
