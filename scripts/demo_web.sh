#!/usr/bin/env bash
# The `web` process of the Procfile: wire the webhook and the demo orders once localstripe answers,
# then serve. DEMO_HOST and DEMO_WEB_PORT come from scripts/run_demo.sh (honcho sets PORT itself).
set -euo pipefail
cd "$(dirname "$0")/.."
FLASK=".venv/bin/flask --app wsgi"
if [[ -n "${STRIPE_API_BASE:-}" ]]; then
  $FLASK payments register-webhook "http://${DEMO_HOST}:${DEMO_WEB_PORT}/payments/stripe/webhook"
  $FLASK seed orders  # demo orders in every state, paid through the emulator (once)
fi
exec $FLASK run --host "$DEMO_HOST" --port "$DEMO_WEB_PORT"
