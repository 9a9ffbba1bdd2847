# syntax=docker/dockerfile:1
# The ci-orch image: the GitHub Docker action (action.yml), the GitLab jobs and a plain CLI.
#   docker build -t ci-orch .
#   docker run --rm -v "$PWD:/github/workspace" -w /github/workspace ci-orch   # = ci-orch action
#   docker run --rm --entrypoint ci-orch ci-orch --version
# Size, apt and start-up inside the image: bench/image_build.sh (podman/buildah, no registry).
#
# Debian bookworm plus Debian's own python3.11, all installed with apt, so dpkg's database is
# whole and `apt-get install <anything>` works in the image and in images built `FROM` it.
# BASE_IMAGE is a tag here so a checkout builds anywhere; releases pass the digest pinned in
# requirements/base-image.txt (docs/releasing.md: how to bump it).
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

# --- toolchain: what building needs and the image does not -------------------------------
FROM ${BASE_IMAGE} AS toolchain
ENV DEBIAN_FRONTEND=noninteractive PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3.11-venv git binutils \
 && rm -rf /var/lib/apt/lists/*

# --- wheel: ci-orch built from this source with the hash-pinned build backend -------------
FROM toolchain AS wheel
WORKDIR /src
COPY requirements/build.txt requirements/build.txt
RUN python3.11 -m venv /opt/build \
 && /opt/build/bin/pip install --require-hashes --only-binary :all: -r requirements/build.txt
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /wheels .

# --- dist: the wheel to install. The release replaces this stage with the wheel it has
# already tested (`--build-context dist=./dist`), so the image ships those very bytes.
FROM scratch AS dist
COPY --from=wheel /wheels/ /

# --- venv: the dependencies exactly as locked (versions and sha256), then ci-orch ----------
FROM toolchain AS venv
COPY requirements/lock.txt /tmp/lock.txt
COPY scripts/image_pyc.py /tmp/image_pyc.py
COPY --from=dist / /tmp/dist/
# --only-binary: nothing is compiled, so no compiler is needed and no build runs code.
# pip and setuptools leave afterwards: nothing installs into this venv at run time.
# image_pyc.py keeps byte-code for what ci-orch imports and drops the rest (~20 MB).
RUN mkdir -p /out/bin \
 && python3.11 -m venv /opt/ci-orch \
 && /opt/ci-orch/bin/pip install --require-hashes --no-deps --only-binary :all: -r /tmp/lock.txt \
 && /opt/ci-orch/bin/pip install --no-deps /tmp/dist/ci_orch-*.whl \
 && /opt/ci-orch/bin/pip check \
 && /opt/ci-orch/bin/pip uninstall -y -q pip setuptools \
 && find /opt/ci-orch -name '*.so' -exec strip --strip-unneeded {} + \
 && TIKTOKEN_CACHE_DIR=/opt/ci-orch/tiktoken /opt/ci-orch/bin/python -c \
    "from ci_orch.plan.tokens import get_encoding; get_encoding('o200k_base'); get_encoding('cl100k_base')" \
 && /opt/ci-orch/bin/python /tmp/image_pyc.py /opt/ci-orch/lib/python3.11/site-packages /out/stdlib.txt
# git for the diff: only the one binary. Every command ci-orch runs (diff, merge-base,
# rev-parse, show, apply, read-tree, ls-files, config) is built into it, and its libraries
# (libc, zlib, pcre2) are in the base image. Debian's git package would add perl and the
# network helpers (~100 MB); `apt-get install git` in a derived image still works and
# puts the full package in /usr/bin. The templates (a few kB) keep `git init` quiet.
RUN cp /usr/bin/git /out/bin/git && strip --strip-unneeded /out/bin/git \
 && cp -r /usr/share/git-core/templates /out/git-templates

# --- the image ------------------------------------------------------------------------------
FROM ${BASE_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive \
    PATH=/opt/ci-orch/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TIKTOKEN_CACHE_DIR=/opt/ci-orch/tiktoken
LABEL org.opencontainers.image.title="ci-orch" \
      org.opencontainers.image.licenses="Apache-2.0"
# The interpreter the venv was made with (same package, same path), and the CA store for
# gateways behind a corporate CA (SSL_CERT_FILE). The apt lists and downloaded packages go;
# apt itself stays usable (`apt-get update` first, as on any slim image).
# Debian byte-compiles only part of the standard library: compile the modules ci-orch loads.
COPY --from=venv /out/stdlib.txt /tmp/stdlib.txt
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3.11-minimal libpython3.11-stdlib \
    ca-certificates \
 && python3.11 -m compileall -q -i /tmp/stdlib.txt \
 && apt-get clean \
 && rm -rf /tmp/stdlib.txt /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log
COPY --from=venv /opt/ci-orch /opt/ci-orch
COPY --from=venv /out/bin/git /usr/local/bin/git
COPY --from=venv /out/git-templates /usr/share/git-core/templates
# Trust the Actions workspace for every user (the runner mounts a checkout owned by another
# uid, and git refuses it otherwise). Everything under /opt is world-readable and nothing
# is written there at run time, so any uid can run the image (`--user`, GitLab runners).
RUN git config --system --add safe.directory /github/workspace \
 && ci-orch --version
# GitHub runs Docker actions as root (no USER here, by GitHub's requirement); `ci-orch action`
# hands the files it writes in the workspace back to the workspace's owner.
WORKDIR /github/workspace
ENTRYPOINT ["ci-orch", "action"]
