"""A WSGI web app on the standard library's wsgiref server; its one requirement (greeting) is a vendored wheel."""
import os
import sys
from wsgiref.simple_server import make_server

import greeting


def app(environ, start_response):
    body = f"{greeting.hello('Python')} ({sys.version.split()[0]})\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    with make_server("", port, app) as server:
        print(f"listening on {port}", flush=True)
        server.serve_forever()
