"""gunicorn for the studio: `gunicorn -c gunicorn.conf.py studio.wsgi` (make prod, deploy/studio-web.service).

Every value can be changed from the environment (deploy/studio.env.example):
WEB_BIND, WEB_CONCURRENCY, WEB_TIMEOUT, WEB_GRACEFUL_TIMEOUT, WEB_KEEPALIVE, WEB_MAX_REQUESTS, TRUSTED_PROXIES.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


wsgi_app = "studio.wsgi:application"
bind = os.environ.get("WEB_BIND", "127.0.0.1:8000").split(",")

# Sync workers, 2 x cores + 1 (gunicorn's rule of thumb), at most 12 per machine: each holds the whole
# app in memory; more web capacity is more machines behind the balancer.
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 12))
worker_class = "sync"
# A worker silent this long is killed and replaced; uploads (meshes up to 200 MB) stream through
# Django in chunks, so this is the time between two chunks, not the whole upload.
timeout = _int("WEB_TIMEOUT", 120)
# On SIGTERM (systemctl stop/restart, a deploy) requests in flight get this long to finish.
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 30)
keepalive = _int("WEB_KEEPALIVE", 5)
# Recycle each worker after this many requests (and a random extra, so they do not all restart at once).
max_requests = _int("WEB_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
# Heartbeat files in memory, not on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# X-Forwarded-Proto/-For only from a proxy in front (TRUSTED_PROXIES > 0: the machine is reached through
# the balancer only); without one, only from this machine. FORWARDED_ALLOW_IPS lists addresses exactly.
_trusted = _int("TRUSTED_PROXIES", 0)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or ("*" if _trusted > 0 else "127.0.0.1,::1")

# Access log on stdout: method, path WITHOUT the query string (tokens and signed-URL signatures live
# there), status, bytes, response time in ms, user agent; no referrer (it carries other pages' URLs).
# The line goes through the studio's redacting log handler too (LOGGING["loggers"]["gunicorn.access"]).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
capture_output = False
proc_name = "figurine-studio-web"
