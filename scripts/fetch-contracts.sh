#!/usr/bin/env bash
# Rebuild the shared contracts folder (../shared/contracts in this workspace) from the
# sources its README names, for CI machines that do not have it. Usage:
#   bash scripts/fetch-contracts.sh DEST     (e.g. "$GITHUB_WORKSPACE/../shared/contracts")
# Needs npm (registry) and curl (raw.githubusercontent.com). Each file's origin:
#   github/api.github.com.json      npm @octokit/openapi@23.0.2  generated/api.github.com.json
#   github/webhook-examples.json    npm @octokit/webhooks-examples@7.6.1  api.github.com/index.json
#   github/webhook-schema.json      npm @octokit/webhooks-schemas@7.6.1  schema.json
#   openai/openapi.yaml             github.com/openai/openai-openapi at f85dbe2
#   anthropic/openapi.json          github.com/laszukdawid/anthropic-openapi-spec hosted_spec.json
#                                   at 40cee51, minus the invalid "type": null of Model
#   licenses/spdx-full.json         npm spdx-license-list@6.12.0  spdx-full.json
set -euo pipefail
dest="${1:?usage: fetch-contracts.sh DEST}"
if [ -f "$dest/github/api.github.com.json" ]; then
  echo "contracts already in $dest"; exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"/{github,openai,anthropic,licenses}

unpack() {  # unpack NPM_SPEC: prints the folder holding the package's files
  local dir
  dir="$(mktemp -d "$work/pkg.XXXXXX")"
  (cd "$dir" && npm pack --silent "$1" >/dev/null && tar -xzf ./*.tgz)
  echo "$dir/package"
}

p="$(unpack @octokit/openapi@23.0.2)"
cp "$p/generated/api.github.com.json" "$dest/github/"
p="$(unpack @octokit/webhooks-examples@7.6.1)"
cp "$p/api.github.com/index.json" "$dest/github/webhook-examples.json"
p="$(unpack @octokit/webhooks-schemas@7.6.1)"
cp "$p/schema.json" "$dest/github/webhook-schema.json"
p="$(unpack spdx-license-list@6.12.0)"
cp "$p/spdx-full.json" "$dest/licenses/"

curl -fsSL -o "$dest/openai/openapi.yaml" \
  https://raw.githubusercontent.com/openai/openai-openapi/f85dbe2/openapi.yaml
curl -fsSL -o "$work/anthropic.json" \
  https://raw.githubusercontent.com/laszukdawid/anthropic-openapi-spec/40cee51/hosted_spec.json
python3 - "$work/anthropic.json" "$dest/anthropic/openapi.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
model = spec["components"]["schemas"]["Model"]
if model.get("type", "") is None:
    del model["type"]  # the one change the contracts README records
json.dump(spec, open(sys.argv[2], "w"), indent=2)
PY
echo "contracts written to $dest"
