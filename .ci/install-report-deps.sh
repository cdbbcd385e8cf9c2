#!/usr/bin/env bash
# Installs what the report tests need: headless Chromium (Debian package `chromium`), which
# crates/gleaner/tests/report.rs runs to check that report.html draws every chart without console
# errors. Idempotent; .ci/run calls it before `cargo test`. Without Chromium that test fails on
# purpose, saying how to install it.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -n "${GLEANER_CHROMIUM:-}" ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium
