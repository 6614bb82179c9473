# syntax=docker/dockerfile:1
# One image for the operator, the feeds and the strategies (entrypoint `solarb`).
# The chart's default tag is the package version: build it as ghcr.io/solarb/solarb:<version>
# (hack/kind-up.sh does). Pin the base by digest in your registry mirror if you need to.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/solarb
# Dependencies first (hash-pinned lock), so code edits do not rebuild this layer.
COPY requirements.lock ./
RUN /opt/solarb/bin/pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.m[d] ./
COPY runtime runtime
COPY operator operator
RUN /opt/solarb/bin/pip install --no-deps . \
 && /opt/solarb/bin/solarb version

FROM ${PYTHON_IMAGE}
RUN groupadd --gid 10001 solarb \
 && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin solarb
COPY --from=build /opt/solarb /opt/solarb
ENV PATH=/opt/solarb/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# Non-root; pods also run with a read-only root filesystem (writable: /tmp, the journal).
USER 10001:10001
ENTRYPOINT ["solarb"]
CMD ["--help"]
