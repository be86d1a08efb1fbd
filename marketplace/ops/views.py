"""`/healthz` (the process answers: no database), `/readyz` (this host can serve: 200 or 503),
`/metrics` (Prometheus, when METRICS_ENABLED). For load balancers and monitoring, no login."""
import hmac

from flask import Blueprint, Response, abort, current_app, jsonify, request

from marketplace.ops import health

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    ready, checks = health.readiness()
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


@bp.get("/metrics")
def metrics():
    config = current_app.config
    if not config["METRICS_ENABLED"]:
        abort(404)
    token = config["METRICS_TOKEN"]
    if token and not hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
        return Response("metrics need the bearer token\n", 401, {"WWW-Authenticate": "Bearer"})
    from prometheus_client import CONTENT_TYPE_LATEST

    from marketplace.ops.metrics import exposition

    return Response(exposition(), mimetype=CONTENT_TYPE_LATEST)
