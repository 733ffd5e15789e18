#!/usr/bin/env bash
# Vendor Google's <model-viewer> web component into studio/static/vendor/model-viewer/ so the
# portal's preview page works offline (no CDN). Needs node/npm once, on the developer's machine.
#   usage: studio/static/vendor/model-viewer/vendor.sh [VERSION]   (default: the pinned version below)
set -euo pipefail
VERSION="${1:-4.4.0}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "@google/model-viewer@${VERSION}" >/dev/null
tar xzf google-model-viewer-*.tgz
# model-viewer.min.js bundles three.js and lit: one self-contained ES module.
cp package/dist/model-viewer.min.js "$HERE/model-viewer.min.js"
cp package/LICENSE "$HERE/LICENSE"
echo "$VERSION" > "$HERE/VERSION"
sha256sum "$HERE/model-viewer.min.js"
