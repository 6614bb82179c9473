# syntax=docker/dockerfile:1
# One image for the operator, the feeds and the strategies (entrypoint `solarb`).
# The chart's default tag is the package version: build it as ghcr.io/solarb/solarb:<version>
# (hack/kind-up.sh does). Pin the base by digest in your registry mirror if you need to.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm
ARG RUST_IMAGE=rust:1.86-slim-bookworm

# The native core (native/: Rust + PyO3) as an abi3 wheel.
FROM ${RUST_IMAGE} AS native
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/* && python3 -m venv /opt/maturin
COPY requirements.lock /tmp/requirements.lock
RUN awk '/^maturin==/{p=1; print; next} p && /^ /{print; next} {p=0}' /tmp/requirements.lock \
      > /tmp/maturin.txt \
 && /opt/maturin/bin/pip install --require-hashes --no-deps -r /tmp/maturin.txt
COPY native /src/native
RUN /opt/maturin/bin/maturin build --release --locked -m /src/native/Cargo.toml -o /wheels

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
COPY --from=native /wheels /wheels
RUN /opt/solarb/bin/pip install --no-deps /wheels/*.whl . \
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
