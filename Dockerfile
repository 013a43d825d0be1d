# ClotCare bot image: `python -m bot migrate`, then `python -m bot run` (long polling, or a webhook when
# WEBHOOK_URL is set). compose.yaml builds it once and runs it as migrate, bot and reminder workers.

# Stage 1: build the wheel (code plus content/, migrations and alembic.ini as data files).
FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY migrations ./migrations
COPY content ./content
COPY bot ./bot
RUN pip wheel --no-cache-dir --no-deps -c constraints.txt -w /wheels .

# Stage 2: the production install: base dependencies only (no dev tools), then the wheel.
FROM python:3.11-slim

# matplotlib (the /history chart) needs a writable config/cache folder (MPLCONFIGDIR); the app user
# has no home directory.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////app/data/clotcare.sqlite3 \
    MPLCONFIGDIR=/tmp/matplotlib

# A fixed, unprivileged uid/gid, so a mounted data volume can be chowned to match from the host.
RUN groupadd --system --gid 10001 clotcare \
    && useradd --system --uid 10001 --gid clotcare --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin clotcare

WORKDIR /app
# Dependencies first, pinned by constraints.txt, so code changes do not reinstall them.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -c constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Not editable and no source tree: the same install `make install-prod` does, from the same wheel.
COPY --from=wheel /wheels /tmp/wheels
RUN pip install -c constraints.txt --no-deps /tmp/wheels/*.whl \
    && rm -rf /tmp/wheels pyproject.toml constraints.txt \
    && mkdir -p /app/data /tmp/matplotlib \
    && chown clotcare:clotcare /app/data /tmp/matplotlib

USER clotcare
VOLUME ["/app/data"]
# The webhook port (WEBHOOK_PORT); TLS ends at a reverse proxy in front of it.
EXPOSE 8443

# exec replaces the shell, so python is PID 1 and gets docker stop's SIGTERM itself (graceful shutdown).
CMD ["sh", "-c", "python -m bot migrate && exec python -m bot run"]
