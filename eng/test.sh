#!/usr/bin/env bash
# Restores, builds and runs the whole test suite, then prints one line: "N passed, N failed[, N skipped]".
set -euo pipefail
cd "$(dirname "$0")/.."
results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"
dotnet restore Consortia.slnx
dotnet build Consortia.slnx --no-restore -c Release
status=0
# One project at a time, each into its own folder: run together, two projects can start in the same
# instant and write the same TRX file name, and one project's results would silently vanish from the total.
projects=(tests/*/*.Tests.csproj)
for project in "${projects[@]}"; do
  name=$(basename "$project" .csproj)
  dotnet test --project "$project" --no-build -c Release --results-directory "$PWD/$results/$name" --report-xunit-trx || status=$?
done
python3 - "$results" "${projects[@]}" <<'PY'
import glob, os, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for project in sys.argv[2:]:
    name = os.path.splitext(os.path.basename(project))[0]
    if not glob.glob(f"{sys.argv[1]}/{name}/*.trx"):
        print(f"no test results from {name}", file=sys.stderr)
        failed += 1
files = glob.glob(sys.argv[1] + "/**/*.trx", recursive=True)
for f in files:
    c = ET.parse(f).getroot().find("t:ResultSummary/t:Counters", ns)
    passed += int(c.get("passed", 0))
    failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    skipped += int(c.get("notExecuted", 0))
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
PY
exit $status
