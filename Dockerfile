# ClotCare bot image: `python -m bot migrate`, then `python -m bot run` (long polling, or a webhook when
# WEBHOOK_URL is set). compose.yaml runs the same image as the webhook bot and as reminder workers.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////app/data/clotcare.sqlite3

WORKDIR /app

# A fixed, unprivileged uid/gid, so a mounted data volume can be chowned to match from the host.
RUN groupadd --system --gid 10001 clotcare \
    && useradd --system --uid 10001 --gid clotcare --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin clotcare

# Dependencies first, pinned by constraints.txt, so code changes do not reinstall them.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -c constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY README.md alembic.ini ./
COPY migrations ./migrations
COPY content ./content
COPY bot ./bot
# Editable: the bot finds content/ and alembic.ini next to its source, so it must run from /app.
RUN pip install -c constraints.txt --no-deps -e . \
    && mkdir -p /app/data \
    && chown clotcare:clotcare /app/data

USER clotcare
VOLUME ["/app/data"]
# The webhook port (WEBHOOK_PORT); TLS ends at a reverse proxy in front of it.
EXPOSE 8443

# exec replaces the shell, so python is PID 1 and gets docker stop's SIGTERM itself (graceful shutdown).
CMD ["sh", "-c", "python -m bot migrate && exec python -m bot run"]
