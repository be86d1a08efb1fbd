"""The demo's SMTP server (`make run`): accepts every e-mail on a loopback port and prints who it
is for and its subject, so the worker's outbox can be seen leaving. Nothing is stored or relayed.

    python scripts/mail_sink.py --port 8025
"""
import argparse
import asyncio
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class PrintingHandler:
    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        print(f"mail to {', '.join(envelope.rcpt_tos)}: {message['subject']}", flush=True)
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args()
    controller = Controller(PrintingHandler(), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"SMTP sink on 127.0.0.1:{args.port}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
