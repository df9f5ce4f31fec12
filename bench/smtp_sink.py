"""An SMTP sink for the benchmarks, in a process of its own as a mail server is: it accepts every
message on 127.0.0.1:PORT and counts them. Each line read on stdin is answered with the count on
stdout; end of stdin stops it.

    .venv/bin/python bench/smtp_sink.py PORT
"""

import sys

from aiosmtpd.controller import Controller


class CountingHandler:
    """Accepts every message and counts it."""

    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def main() -> None:
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    print("ready", flush=True)
    try:
        for _line in sys.stdin:
            print(handler.count, flush=True)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
