#!/usr/bin/env bash
# Make Fashion-MNIST available: Debian's package when we are root with apt, else the real
# (checksum-verified) download through gankit itself.
set -euo pipefail
PY=${1:-python3}
DEB_DIR=/usr/share/datasets/fashion-mnist
if [ -f "$DEB_DIR/train-images-idx3-ubyte.gz" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1) || \
    (apt-get update -qq >/dev/null && apt-get install -y -qq dataset-fashion-mnist >/dev/null)
  [ -f "$DEB_DIR/train-images-idx3-ubyte.gz" ] && exit 0
fi
"$PY" -m gankit data prepare fashion-mnist --root "${GANKIT_DATA:-$HOME/.cache/gankit/data}"
