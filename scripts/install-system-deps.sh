#!/usr/bin/env bash
# System packages the project needs beyond PyPI: LibreOffice (headless) converts DOC/WPS/ET/XLS
# attachments. Installed only when missing; without root/apt it says what to install and goes on
# (those formats then fail with a clear "needs LibreOffice" error, everything else works).
set -euo pipefail
if command -v soffice >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui libreoffice-calc-nogui >/dev/null
else
  echo "note: LibreOffice not found; install libreoffice-writer-nogui and libreoffice-calc-nogui for DOC/WPS/XLS support" >&2
fi
