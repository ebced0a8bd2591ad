#!/usr/bin/env bash
# System packages beyond PyPI, installed only when missing:
#  - LibreOffice (headless) converts DOC/WPS/ET/XLS attachments;
#  - libGL/glib, which OpenCV (pulled in by the [ocr] extra) loads;
#  - poppler-utils (pdftotext): the accuracy corpus renders PDFs' text layers as `pdftotext -layout`;
#  - Chromium (headless), with which the tests open the HTML report and check its charts drew.
# Without root/apt it says what to install and goes on: DOC/WPS/XLS then fail with a clear
# "needs LibreOffice" error, OCR with a clear "[ocr] extra" error, the browser test skips
# outside CI; everything else works.
set -euo pipefail
pkgs=()
command -v soffice >/dev/null 2>&1 || pkgs+=(libreoffice-writer-nogui libreoffice-calc-nogui)
ldconfig -p 2>/dev/null | grep -q 'libGL.so.1' || pkgs+=(libgl1)
ldconfig -p 2>/dev/null | grep -q 'libglib-2.0.so.0' || pkgs+=(libglib2.0-0)
command -v pdftotext >/dev/null 2>&1 || pkgs+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || pkgs+=(chromium)
[ ${#pkgs[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
else
  echo "note: missing system packages: ${pkgs[*]} (DOC/WPS/XLS conversion, OCR, the pdftotext corpus and the browser test need them)" >&2
fi
