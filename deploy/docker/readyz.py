"""Container health check: exit 0 when the service on this port answers /readyz with 200.

Usage: ``python readyz.py PORT`` (the slim image has no curl; the standard library will do).
"""

from __future__ import annotations

import http.client
import sys


def ready(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=4)
    try:
        connection.request("GET", "/readyz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(0 if ready(int(sys.argv[1])) else 1)
