# syntax=docker/dockerfile:1
# Consentry collector image. Build: docker build -t consentry:0.1.0 .   (optional: --build-arg EXTRAS=nlp)
# Without configuration it runs everything embedded (chDB + a local object directory) under /var/lib/consentry:
# right for one container, never for several (embedded chDB is one process on one disk). Kubernetes: k8s/.

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: build the wheel and install it with its dependencies into a self-contained venv -------------------
FROM ${PYTHON_IMAGE} AS builder
ARG EXTRAS=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# Only what the wheel needs (see .dockerignore): no tests, benchmarks or manifests.
COPY pyproject.toml README.md ./
COPY ingest ./ingest
COPY redact ./redact
COPY storage ./storage
COPY schemas ./schemas
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --upgrade pip wheel \
    && /opt/venv/bin/pip wheel --no-deps --wheel-dir /dist . \
    && wheel="$(ls /dist/consentry-*.whl)" \
    && /opt/venv/bin/pip install "${wheel}${EXTRAS:+[$EXTRAS]}" \
    && /opt/venv/bin/consentry --help > /dev/null

# --- final: the same slim Python, no compilers, no build tools, no sources ----------------------------------------
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CONSENTRY_DATA_DIR=/var/lib/consentry \
    CONSENTRY_HTTP_HOST=0.0.0.0 \
    CONSENTRY_HTTP_PORT=8080
RUN groupadd --system --gid 10001 consentry \
    && useradd --system --uid 10001 --gid consentry --home-dir /var/lib/consentry --shell /usr/sbin/nologin consentry \
    && install -d -o consentry -g consentry -m 0700 /var/lib/consentry
# Same base image and path as the builder, so the venv's interpreter links stay valid.
COPY --from=builder /opt/venv /opt/venv
USER 10001:10001
WORKDIR /var/lib/consentry
VOLUME ["/var/lib/consentry"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('CONSENTRY_HTTP_PORT', '8080'), timeout=2)"]
ENTRYPOINT ["consentry"]
CMD ["serve"]
