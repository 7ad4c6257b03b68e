#!/usr/bin/env python3
"""The test world's mail relay: the smarthost Alertmanager mails alerts through (Postmark's, in
production), beyond the cloud firewalls. Debian's aiosmtpd, as Postmark's SMTP answers: STARTTLS
is required before anything else, and so is the login, which only TLS may carry. Each message it
accepts lands in OUT_DIR as a JSON file: the login it came with, whether TLS was on, the envelope
and the message.

    smtp-server.py ADDRESS PORT CERT KEY USERNAME PASSWORD OUT_DIR
"""
import json
import os
import signal
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

address, port, cert, key, username, password, out_dir = sys.argv[1:8]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == username.encode() and auth_data.password == password.encode()
    # A refused login is answered 535 and the client may try again, as a real relay does.
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode() if ok else None)


class Relay:
    async def handle_DATA(self, server, session, envelope):
        record = {
            "received": time.time(),
            "login": session.auth_data if session.authenticated else None,
            "tls": session.ssl is not None,
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "message": envelope.content.decode("utf8", errors="replace"),
        }
        name = os.path.join(out_dir, f"{time.time_ns()}.json")
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name)
        return "250 OK: queued"


# AUTH LOGIN's prompts as relays send them (aiosmtpd's own, "User Name", make Go's client give up).
SMTP.AuthLoginUsernameChallenge = "Username:"
SMTP.AuthLoginPasswordChallenge = "Password:"

context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(Relay(), hostname=address, port=int(port), tls_context=context, require_starttls=True,
                        authenticator=authenticator, auth_required=True, auth_require_tls=True)
controller.start()
print(f"smtp relay on {address}:{port}", flush=True)
try:
    signal.pause()
finally:
    controller.stop()
