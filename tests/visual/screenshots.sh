#!/usr/bin/env bash
# Look at report.html as a person would: renders the demo report (with waivers and a month-over-
# month baseline) in headless Chromium at desktop and print widths, and prints it to PDF.
#   bash tests/visual/screenshots.sh        -> target/screenshots/{desktop,print}.png, report.pdf
# Needs Debian's chromium (apt-get install chromium). Open the PNGs and read them.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=target/screenshots
rm -rf "$out" && mkdir -p "$out"
cargo build --quiet
bin=target/debug/orgtrail
"$bin" -q report --inventory examples/demo-inventory.json --format json --out "$out/last-month" || true
"$bin" -q report --inventory examples/demo-inventory.json --waivers examples/waivers.toml \
  --baseline "$out/last-month/report.json" --framework cis-aws-foundations-1.5 --out "$out/report" || true
# Every account section open, as a reader expanding them would see it.
sed 's/<details class="account"/<details open class="account"/' "$out/report/report.html" > "$out/open.html"

profile=$(mktemp -d)
chrome() {
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --disable-quic --user-data-dir="$profile" "$@" 2>/dev/null
}
chrome --window-size=1280,4000 --screenshot="$PWD/$out/desktop.png" "file://$PWD/$out/report/report.html"
chrome --window-size=794,6000 --screenshot="$PWD/$out/print.png" "file://$PWD/$out/open.html"
chrome --print-to-pdf="$PWD/$out/report.pdf" --no-pdf-header-footer "file://$PWD/$out/report/report.html"
rm -rf "$profile"
ls -l "$out"/*.png "$out"/report.pdf
