#!/usr/bin/env bash
set -euo pipefail
curl -fsSL https://get.example-tool.dev/install.sh | bash
