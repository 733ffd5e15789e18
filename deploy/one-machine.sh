#!/usr/bin/env bash
# `make prod`: the studio with production settings on this one machine: gunicorn (web, static files
# through WhiteNoise) and the django-q2 workers, until Ctrl-C. Real machines: deploy/*.service.
#
# DEBUG=0. SECRET_KEY from the environment, else generated once into var/secret_key (kept, mode 600).
# ALLOWED_HOSTS defaults to 127.0.0.1,localhost. Plain HTTP on loopback unless told otherwise:
# SECURE_SSL_REDIRECT=0 and SECURE_COOKIES=0 by default here (set both to 1 behind a TLS proxy).
# Any other variable of deploy/studio.env.example may be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
GUNICORN=${GUNICORN:-.venv/bin/gunicorn}

mkdir -p var
if [ -z "${SECRET_KEY:-}" ]; then
  if [ ! -s var/secret_key ]; then
    (umask 077 && "$PYTHON" -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key)
    echo "generated a SECRET_KEY into var/secret_key (kept for the next runs)"
  fi
  SECRET_KEY=$(cat var/secret_key)
fi
export SECRET_KEY DEBUG=0
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-0} SECURE_COOKIES=${SECURE_COOKIES:-0}
export WEB_BIND=${WEB_BIND:-${HOST:-127.0.0.1}:${PORT:-8000}}

"$PYTHON" manage.py migrate --noinput
"$PYTHON" manage.py collectstatic --noinput -v 0
"$PYTHON" manage.py check --deploy --fail-level ERROR

echo "Figurine Studio (DEBUG=0) on http://$WEB_BIND/ with gunicorn and django-q2 workers; Ctrl-C stops everything."
# Stop signals go to the direct children only: a django-q2 cluster stops its own processes (its
# sentinel dies at once on a SIGTERM of its own, and the cluster would then wait for it forever).
pids=()
stop() {
  trap - EXIT INT TERM
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait
}
trap stop EXIT INT TERM
"$PYTHON" manage.py qcluster &
pids+=($!)
if [ -n "${Q_GPU_CLUSTER:-}" ]; then
  Q_CLUSTER_NAME="$Q_GPU_CLUSTER" "$PYTHON" manage.py qcluster &
  pids+=($!)
fi
"$GUNICORN" -c gunicorn.conf.py studio.wsgi:application &
pids+=($!)
wait -n  # the first to end ends them all
