#!/usr/bin/env bash
# README.md = header + one section per area (docs/readme/*.md), in reading order.
set -euo pipefail
cd "$(dirname "$0")/.."
{
  cat docs/readme/_header.md
  for part in core searches claims figures lm peers; do
    [ -f "docs/readme/$part.md" ] && { echo; cat "docs/readme/$part.md"; }
  done
  [ -f docs/readme/_footer.md ] && { echo; cat docs/readme/_footer.md; }
} > README.md
