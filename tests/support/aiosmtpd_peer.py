"""A configurable aiosmtpd receiving peer for Empath's delivery tests.

Usage: aiosmtpd_peer.py CONFIG_JSON

CONFIG_JSON keys: host, port, dir (messages are saved there as JSON),
replies ({address: "550 5.1.1 ..."}), tempfail ({address: N}: 451 for the
first N attempts), cert/key (offer STARTTLS), require_starttls, smtputf8.
Prints "READY" once the port accepts connections, then runs until killed.
"""
import base64
import json
import os
import signal
import ssl
import sys
import uuid

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, config):
        self.dir = config["dir"]
        self.replies = config.get("replies", {})
        self.tempfail = dict(config.get("tempfail", {}))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        left = self.tempfail.get(address, 0)
        if left > 0:
            self.tempfail[address] = left - 1
            return "451 4.3.0 Try again later"
        reply = self.replies.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        record = {
            "mailFrom": envelope.mail_from,
            "mailOptions": envelope.mail_options,
            "rcptTos": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "data": base64.b64encode(envelope.original_content).decode("ascii"),
        }
        name = os.path.join(self.dir, f"{uuid.uuid4().hex}.json")
        with open(name + ".tmp", "w") as out:
            json.dump(record, out)
        os.rename(name + ".tmp", name)
        return "250 2.0.0 OK queued"


def main():
    config = json.loads(sys.argv[1])
    params = {"enable_SMTPUTF8": bool(config.get("smtputf8", False))}
    if config.get("cert"):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(config["cert"], config["key"])
        params["tls_context"] = context
        params["require_starttls"] = bool(config.get("require_starttls", False))
    controller = Controller(
        Handler(config), hostname=config["host"], port=config["port"], **params
    )
    controller.start()
    print("READY", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (controller.stop(), sys.exit(0)))
    signal.pause()


if __name__ == "__main__":
    main()
