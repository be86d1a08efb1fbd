#!/usr/bin/env bash
# `make run`'s last step: serve the app with localstripe (the Stripe emulator) beside it, so the
# whole payment flow — test cards, 3-D Secure, signed webhooks — works offline.
#
#   scripts/run_demo.sh [HOST] [PORT]      (STRIPE_PORT, default 8420, moves the emulator)
#
# localstripe listens on 127.0.0.1 only and keeps its data in instance/localstripe.pickle, next to
# the demo database. Ctrl-C stops both. With STRIPE_API_BASE already set (another emulator, or
# real Stripe keys with STRIPE_API_BASE empty) nothing is started here.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${1:-127.0.0.1}
PORT=${2:-5000}
STRIPE_PORT=${STRIPE_PORT:-8420}
BIN=.venv/bin
FLASK="$BIN/flask --app wsgi"

emulator=
cleanup() {
  if [[ -n "$emulator" ]]; then
    kill "$emulator" 2>/dev/null || true
    wait "$emulator" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z "${STRIPE_API_BASE+set}" ]]; then
  if "$BIN/python" -c 'import socket, sys; sys.exit(socket.socket().connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$STRIPE_PORT"; then
    busy=$STRIPE_PORT
    STRIPE_PORT=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    echo "Port $busy is taken: localstripe uses port $STRIPE_PORT instead."
  fi
  export STRIPE_API_BASE="http://127.0.0.1:${STRIPE_PORT}"
  export STRIPE_SECRET_KEY=${STRIPE_SECRET_KEY:-sk_test_localstripe_demo}
  export STRIPE_WEBHOOK_SECRET=${STRIPE_WEBHOOK_SECRET:-whsec_localstripe_demo}
  mkdir -p instance
  "$BIN/python" -m marketplace.payments.localstripe --port "$STRIPE_PORT" \
    --state instance/localstripe.pickle >instance/localstripe.log 2>&1 &
  emulator=$!
  echo "localstripe (Stripe emulator) on $STRIPE_API_BASE, log in instance/localstripe.log"
fi
if [[ -n "$STRIPE_API_BASE" ]]; then
  # Only localstripe must be up for this: events (and so deliveries) start once someone pays.
  $FLASK payments register-webhook "http://${HOST}:${PORT}/payments/stripe/webhook"
  $FLASK seed orders  # demo orders in every state, paid through the emulator (once)
fi
echo "Serving on http://${HOST}:${PORT}  (Ctrl-C stops)"
$FLASK run --host "$HOST" --port "$PORT"
