"""The load generator's schedule: an open loop whose clients start after the first due time
moves the whole schedule later (start-up is not latency) and says by how much."""

from __future__ import annotations

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from load import Request, http_request, open_loop


class Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def test_a_late_start_shifts_the_schedule_instead_of_counting_as_latency() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"
    try:
        planned = time.time() - 5.0  # as if the clients had taken five seconds to start
        requests = [
            Request(http_request("GET", url), due=planned + i * 0.01, tag=str(i)) for i in range(50)
        ]
        result = open_loop(url, requests, clients=2, connections=4)
    finally:
        server.shutdown()
    assert result.statuses() == {200: 50}
    assert result.shifted_seconds >= 5.0
    gaps = sorted(answer.due - planned for answer in result.answers)
    assert abs((gaps[-1] - gaps[0]) - 0.49) < 0.02, "the schedule keeps its shape"
    assert max(answer.latency for answer in result.answers) < 2.0
