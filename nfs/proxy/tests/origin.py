#!/usr/bin/env python3
"""The web server of the proxy's end-to-end test: Python's http.server
serving a folder on several ports, with cache headers (Cache-Control:
public, max-age=600, besides http.server's Last-Modified), and one log
line per request: PORT CLIENT_IP "REQUEST LINE" STATUS.

Usage: origin.py DIR LOG PORT [PORT...]
"""
import functools
import http.server
import sys
import threading


class Handler(http.server.SimpleHTTPRequestHandler):
    log_file = None

    def end_headers(self):
        self.send_header("Cache-Control", "public, max-age=600")
        super().end_headers()

    def log_request(self, code="-", size="-"):
        port = self.server.server_address[1]
        line = f'{port} {self.client_address[0]} "{self.requestline}" {int(code)}\n'
        self.log_file.write(line)
        self.log_file.flush()

    def log_message(self, format, *args):
        pass  # errors show as status codes in log_request's lines


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    folder, log, ports = sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3:]]
    Handler.log_file = open(log, "a", encoding="utf-8")
    handler = functools.partial(Handler, directory=folder)
    servers = [http.server.ThreadingHTTPServer(("0.0.0.0", p), handler) for p in ports]
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
