#!/usr/bin/env python3
"""The test world's release server: serves DIR over HTTPS on PORT (a certificate from the world's
CA) and, as a downgrade target, over plain HTTP on PORT+1. /redirect-to-http/<path> on the HTTPS
port answers 302 to the same file over plain HTTP: what a compromised or misconfigured release
server could send, and what the release step's curl must refuse.

usage: release-server.py BIND PORT DIR CERT KEY
"""
import functools
import http.server
import ssl
import sys
import threading

bind, port, directory, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
REDIRECT = "/redirect-to-http/"


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith(REDIRECT):
            host = self.headers.get("Host", bind).rsplit(":", 1)[0]
            self.send_response(302)
            self.send_header("Location", f"http://{host}:{port + 1}/{self.path[len(REDIRECT):]}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, *args):
        pass


def serve(server):
    server.serve_forever()


handler = functools.partial(Handler, directory=directory)
plain = http.server.ThreadingHTTPServer((bind, port + 1), handler)
secure = http.server.ThreadingHTTPServer((bind, port), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
secure.socket = context.wrap_socket(secure.socket, server_side=True)
threading.Thread(target=serve, args=(plain,), daemon=True).start()
serve(secure)
