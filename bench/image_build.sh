#!/usr/bin/env bash
# Build the Dockerfile with buildah and measure the image, with no image registry:
#
#   bash bench/image_build.sh            # needs root, buildah, podman, debootstrap:
#                                        #   apt-get install -y buildah podman debootstrap
#
# The base is Debian bookworm from debootstrap (minbase), trimmed the way Docker's
# debian:bookworm-slim is (no docs, man pages or locales; apt keeps no downloaded .debs),
# imported as localhost/bookworm-slim:debootstrap and passed as BASE_IMAGE. Builds run with
# `--isolation chroot` on vfs storage, which work inside an unprivileged container.
# Prints each figure next to its goal:
# - image size (goal < 200 MB) and the size of each layer;
# - apt works: `apt-get install -y jq` inside (needs the Debian mirror), `dpkg --audit` and
#   `apt-get check` clean;
# - no build tools: gcc, cc, make, strip, ld absent;
# - non-root: `ci-orch --version` and the gate as uid 65534;
# - start-up in a fresh container: bench/action_startup.py --installed (`ci-orch
#   --version`, `ci-orch action` gating a one-line pull request; first and median), then
#   the same for the checkout's .venv right after, for comparison under the same load.
# CONTEXT=dir builds another checkout; PIP_CERT (a CA bundle, e.g. behind a TLS-inspecting
# proxy) is mounted for pip during the build only, never into the image.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CONTEXT="${CONTEXT:-$ROOT}"
BASE=localhost/bookworm-slim:debootstrap
IMAGE=localhost/ci-orch:bench
WORK="${WORK:-/tmp/ci-orch-image-bench}"
B=(buildah --storage-driver vfs)
P=(podman --storage-driver vfs)

make_base() {
  if "${B[@]}" inspect --type image "$BASE" >/dev/null 2>&1; then return; fi
  local rootfs="$WORK/rootfs"
  rm -rf "$rootfs" && mkdir -p "$WORK"
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$WORK/debootstrap.log"
  # What docker-library's debian:*-slim does (debuerreotype --slimify, and its apt config).
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/groff/*' \
    'path-exclude /usr/share/info/*' 'path-exclude /usr/share/lintian/*' \
    'path-exclude /usr/share/linda/*' 'path-exclude /usr/share/locale/*' \
    >"$rootfs/etc/dpkg/dpkg.cfg.d/docker"
  printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };' \
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };' \
    'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";' >"$rootfs/etc/apt/apt.conf.d/docker-clean"
  find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/{man,info,locale,groff,lintian}/* "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" -c . | "${P[@]}" import - "$BASE" >/dev/null
  rm -rf "$rootfs"
}

build() {
  local mounts=()
  if [ -n "${PIP_CERT:-}" ] && [ -f "$PIP_CERT" ]; then
    mkdir -p "$WORK" && printf '[global]\ncert = /run/bench-ca.crt\n' >"$WORK/pip.conf"
    mounts=(-v "$PIP_CERT:/run/bench-ca.crt:ro" -v "$WORK/pip.conf:/etc/pip.conf:ro")
  fi
  local start=$SECONDS
  "${B[@]}" build --isolation chroot --layers "${mounts[@]}" --build-arg "BASE_IMAGE=$BASE" \
    -t "$IMAGE" -f "$CONTEXT/Dockerfile" "$CONTEXT" >"$WORK/build.log" 2>&1 \
    || { tail -40 "$WORK/build.log"; exit 1; }
  echo "build: $((SECONDS - start)) s (log: $WORK/build.log)"
}

report() {
  local bytes base
  bytes="$("${P[@]}" image inspect "$IMAGE" --format '{{.Size}}')"
  base="$("${P[@]}" image inspect "$BASE" --format '{{.Size}}')"
  awk -v b="$bytes" -v s="$base" 'BEGIN {printf "image size: %.1f MB (goal < 200 MB); base %.1f MB\n", b/1e6, s/1e6}'
  "${P[@]}" history "$IMAGE" --format '  {{.Size}}\t{{.CreatedBy}}' | grep -v '^  0 B' | cut -c1-110
  echo "apt-get install -y jq (goal: works):"
  run_in sh -c 'apt-get update -qq && apt-get install -y -qq jq >/dev/null && jq --version \
    && echo "  dpkg --audit: [$(dpkg --audit)] (goal: empty)" && apt-get check -qq && echo "  apt-get check: ok"'
  echo "build tools (goal: none):"
  run_in sh -c 'for t in gcc cc make strip ld; do command -v $t || true; done; echo "  done"'
  echo "non-root (uid 65534; goal: version and gate verdict):"
  run_in --user 65534:65534 sh -c 'ci-orch --version && cd /tmp && git init -q r && cd r \
    && echo x=1 >a.py && git add a.py && git -c user.name=b -c user.email=b@x commit -qm a \
    && echo y=2 >>a.py && git -c user.name=b -c user.email=b@x commit -qam b \
    && ci-orch gate --base HEAD~1 --platform none; echo "  gate exit $?"'
  echo "start-up in a fresh container (goal: no slower than the checkout's venv below):"
  run_in python3 /bench/action_startup.py --installed --runs "${RUNS:-10}"
  # Side by side, because on a shared machine the load moves both figures.
  if [ -x "$ROOT/.venv/bin/ci-orch" ]; then
    echo "the same with the checkout's .venv, right after:"
    PATH="$ROOT/.venv/bin:$PATH" python3 "$ROOT/bench/action_startup.py" --installed \
      --runs "${RUNS:-10}" | sed 's/^/  /'
  fi
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
}

# run_in [--user U:G] command...: in a fresh container of the image.
run_in() {
  local ctr opts=()
  ctr="$("${B[@]}" from --pull-never "$IMAGE")"
  while [ "${1:-}" = --user ]; do opts+=("$1" "$2"); shift 2; done
  "${B[@]}" run --isolation chroot "${opts[@]}" -v "$ROOT/bench:/bench:ro" "$ctr" -- "$@" 2>&1 \
    | sed 's/^/  /' || true
  "${B[@]}" rm "$ctr" >/dev/null
}

make_base
build
report
