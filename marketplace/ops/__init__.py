"""Running the app for real (docs/deploy.md): request ids and structured logs, the trusted-proxy
fix-up, health and readiness checks for the load balancer, Prometheus metrics. Everything is off
or inert by default: `make run` needs none of it.

`init_app(app)` and, last, `trust_proxies(app)` are called by the factory; the routes (`/healthz`, `/readyz`, `/metrics`) are on
`views.bp`."""


def init_app(app):
    from marketplace.ops import logs, metrics, request_ids

    logs.configure(app)
    request_ids.init_app(app)
    metrics.init_app(app)


def trust_proxies(app):
    """The trusted-proxy fix-up, the outermost WSGI layer: every layer inside sees the client's
    address and scheme as the proxies in front reported them."""
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only the client's address and scheme: the Host header is what the client sent (a
        # forwarded host would let a client choose the host of links in e-mails).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)
