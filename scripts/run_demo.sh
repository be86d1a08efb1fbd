#!/usr/bin/env bash
# `make run`'s last step: the whole system under one process manager (honcho, see Procfile):
#   web     the app on HOST:PORT (after registering the webhook and creating the demo orders)
#   worker  the periodic jobs: e-mail outbox, order timeouts, hold and voucher expiry, reminders,
#           search outbox
#   stripe  localstripe, the Stripe emulator, so test cards, 3-D Secure and webhooks work offline
#   mail    a local SMTP sink that prints each e-mail the worker sends
#
#   scripts/run_demo.sh [HOST] [PORT]      (STRIPE_PORT, default 8420; DEMO_MAIL_PORT, default 8025)
#
# Output is prefixed per process; Ctrl-C stops all of them. With STRIPE_API_BASE already set
# (another emulator, or real Stripe keys with STRIPE_API_BASE empty) the emulator is not started;
# with MAIL_SERVER set, mail goes there and the sink is not started.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEMO_HOST=${1:-127.0.0.1} DEMO_WEB_PORT=${2:-5000}
BIN=.venv/bin
mkdir -p instance

free_port() {  # the wanted port, or a free one if it is taken
  "$BIN/python" - "$1" <<'PY'
import socket, sys
wanted = int(sys.argv[1])
with socket.socket() as probe:
    if probe.connect_ex(("127.0.0.1", wanted)) != 0:
        print(wanted)
        sys.exit()
with socket.socket() as free:
    free.bind(("127.0.0.1", 0))
    print(free.getsockname()[1])
PY
}

processes=(web worker)
if [[ -z "${STRIPE_API_BASE+set}" ]]; then
  export STRIPE_PORT; STRIPE_PORT=$(free_port "${STRIPE_PORT:-8420}")
  export STRIPE_API_BASE="http://127.0.0.1:${STRIPE_PORT}"
  export STRIPE_SECRET_KEY=${STRIPE_SECRET_KEY:-sk_test_localstripe_demo}
  export STRIPE_WEBHOOK_SECRET=${STRIPE_WEBHOOK_SECRET:-whsec_localstripe_demo}
  processes+=(stripe)
fi
if [[ -z "${MAIL_SERVER:-}" ]]; then
  export DEMO_MAIL_PORT; DEMO_MAIL_PORT=$(free_port "${DEMO_MAIL_PORT:-8025}")
  export MAIL_SERVER=127.0.0.1 MAIL_PORT=$DEMO_MAIL_PORT
  processes+=(mail)
fi
echo "Starting ${processes[*]}: http://${DEMO_HOST}:${DEMO_WEB_PORT}  (Ctrl-C stops all)"
exec "$BIN/honcho" start --no-colour "${processes[@]}"
