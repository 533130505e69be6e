# Backbone: slim image, non-root, database on a volume, knowledge baked in
# (mount your own folder over /app/knowledge to override it). SQLite on the volume is
# the default; set DATABASE_URL (and SHARD_COUNT/SHARD_IDS) to run it on PostgreSQL as
# one of several processes (README: "Several processes on PostgreSQL"). psycopg's binary
# wheel brings libpq, so the image needs no system package for it.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_PATH=/app/data/backbone.db \
    KNOWLEDGE_DIR=/app/knowledge

WORKDIR /app

RUN useradd --create-home --uid 10001 backbone

COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install .

COPY knowledge ./knowledge
RUN mkdir -p /app/data && chown backbone:backbone /app/data

USER backbone
VOLUME ["/app/data"]

# Fails the build if the baked-in knowledge base is broken.
RUN backbone check

CMD ["backbone", "run"]
