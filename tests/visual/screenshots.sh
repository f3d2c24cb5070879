#!/usr/bin/env bash
# Look at report.html as a person would: renders the demo report (with waivers and a month-over-
# month baseline) in headless Chromium at desktop and print widths, and prints it to PDF; then the
# same for trend.html over three synthetic months (examples/three_months.rs, the months
# tests/trend.rs checks), and the top of the last month's report.html with its trend block.
# Then the summary and one account's page of the 10,000-account synthetic organization.
#   bash tests/visual/screenshots.sh        -> target/screenshots/{desktop,print}.png, report.pdf,
#                                              account.png, account.pdf, accounts.png,
#                                              trend-{desktop,print}.png, trend.pdf, history.png,
#                                              large-summary.png, large-summary.pdf, large-account.pdf
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
cargo build --quiet --example three_months
target/debug/examples/three_months "$out/inventories" > /dev/null
for month in 2026-09 2026-10 2026-11; do
  "$bin" -q report --inventory "$out/inventories/$month.json" --out "$out/months/$month" || true
done
"$bin" -q report --inventory "$out/inventories/2026-11.json" --out "$out/history" \
  --history "$out/months/2026-09" --history "$out/months/2026-10" || true
"$bin" -q trend "$out"/months/* --out "$out/trend"
cargo build --quiet --example synthetic_inventory
target/debug/examples/synthetic_inventory 10000 > "$out/inventory-10k.json"
"$bin" -q report --inventory "$out/inventory-10k.json" --format html --out "$out/large" || true
account=$(ls "$out/report/accounts" | head -1)

profile=$(mktemp -d)
chrome() {
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --disable-quic --user-data-dir="$profile" "$@" 2>/dev/null
}
chrome --window-size=1400,4000 --screenshot="$PWD/$out/desktop.png" "file://$PWD/$out/report/report.html"
chrome --window-size=794,6000 --screenshot="$PWD/$out/print.png" "file://$PWD/$out/report/report.html"
chrome --print-to-pdf="$PWD/$out/report.pdf" --no-pdf-header-footer "file://$PWD/$out/report/report.html"
chrome --window-size=1400,3000 --screenshot="$PWD/$out/account.png" "file://$PWD/$out/report/accounts/$account"
chrome --print-to-pdf="$PWD/$out/account.pdf" --no-pdf-header-footer "file://$PWD/$out/report/accounts/$account"
chrome --window-size=1400,1600 --screenshot="$PWD/$out/accounts.png" "file://$PWD/$out/report/accounts.html"
time chrome --window-size=1400,4000 --screenshot="$PWD/$out/large-summary.png" "file://$PWD/$out/large/report.html"
chrome --print-to-pdf="$PWD/$out/large-summary.pdf" --no-pdf-header-footer "file://$PWD/$out/large/report.html"
chrome --print-to-pdf="$PWD/$out/large-account.pdf" --no-pdf-header-footer "file://$PWD/$out/large/accounts/100000000004.html"
chrome --window-size=1280,2600 --screenshot="$PWD/$out/trend-desktop.png" "file://$PWD/$out/trend/trend.html"
chrome --window-size=794,3600 --screenshot="$PWD/$out/trend-print.png" "file://$PWD/$out/trend/trend.html"
chrome --print-to-pdf="$PWD/$out/trend.pdf" --no-pdf-header-footer "file://$PWD/$out/trend/trend.html"
chrome --window-size=1280,900 --screenshot="$PWD/$out/history.png" "file://$PWD/$out/history/report.html"
rm -rf "$profile"
ls -l "$out"/*.png "$out"/*.pdf
if command -v pdfinfo >/dev/null; then
  for pdf in "$out"/*.pdf; do echo "$pdf: $(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}') pages"; done
fi
