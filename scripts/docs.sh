#!/usr/bin/env bash
# Builds the DocC documentation of every library product as a static web site in .build-docs/site
# (one folder per product and an index page; browse it with
# `python3 -m http.server --directory .build-docs/site 8000` and http://localhost:8000/) and checks
# the core: the script fails when DocC warns about GenerativeKit (broken links, undocumented
# parameters) or when a public symbol of the core has no documentation comment. The other
# products' warnings are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh --distributed >/dev/null
scratch=.build-docs
rm -rf "$scratch/archives" "$scratch/graphs" "$scratch/site"
mkdir -p "$scratch/archives" "$scratch/graphs" "$scratch/site"
# Symbol graphs of every module (public API only), written afresh on every run. The command also
# tries SwiftPM's generated test modules and reports failing on them; the products' graphs are
# checked below instead.
# It uses the package's usual build folder, so after `swift build` it compiles nothing again.
all=".build/$(uname -m)-unknown-linux-gnu/symbolgraph"
rm -rf "$all"
swift package dump-symbol-graph --minimum-access-level public \
  >"$scratch/archives/symbol-graphs.log" 2>&1 || true
products=(GenerativeKit GenerativeKitData GenerativeKitMetrics GenerativeKitTraining GenerativeKitTesting GenerativeKitDistributed)
for product in "${products[@]}"; do
  if [ ! -f "$all/$product.symbols.json" ]; then
    echo "no symbol graph for $product; see $scratch/archives/symbol-graphs.log" >&2
    exit 1
  fi
done
status=0
for product in "${products[@]}"; do
  graphs="$scratch/graphs/$product"
  mkdir -p "$graphs"
  cp "$all/$product.symbols.json" "$graphs/"
  cp "$all/$product"@*.symbols.json "$graphs/" 2>/dev/null || true
  log="$scratch/archives/$product.log"
  docc convert "Sources/$product/$product.docc" --additional-symbol-graph-dir "$graphs" \
    --output-dir "$scratch/site/$product" --hosting-base-path "$product" --fallback-display-name "$product" \
    --fallback-bundle-identifier "org.generativekit.$product" --analyze >"$log" 2>&1
  warnings=$(grep -c '^warning' "$log" || true)
  echo "$product: $warnings DocC warnings ($scratch/site/$product)"
  if [ "$warnings" -gt 0 ]; then grep -A1 '^warning' "$log" | grep -v '^--$' | paste - - | sed 's/^/  /'; fi
  if [ "$product" = GenerativeKit ]; then
    [ "$warnings" -eq 0 ] || status=1
    if ! python3 scripts/undocumented-symbols.py "$graphs/$product.symbols.json" "$PWD/Sources/$product"; then
      echo "GenerativeKit: the public symbols above have no documentation comment"
      status=1
    fi
  fi
done
# The site's front page: one link per product, to its overview.
{
  echo '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>GenerativeKit API reference</title>'
  echo '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}li{margin:.4em 0}</style></head>'
  echo '<body><h1>GenerativeKit API reference</h1><ul>'
  for product in "${products[@]}"; do
    lower=$(echo "$product" | tr '[:upper:]' '[:lower:]')
    echo "<li><a href=\"$product/documentation/$lower/\">$product</a></li>"
  done
  echo '</ul><p>Built by scripts/docs.sh from the DocC catalogues in Sources/.</p></body></html>'
} >"$scratch/site/index.html"
echo "site: $scratch/site/index.html (serve it: python3 -m http.server --directory $scratch/site 8000)"
exit $status
