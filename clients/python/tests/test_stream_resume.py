"""Tests that imap/imap_unordered's NDJSON stream is read again when it ends short of the batch's
total (a replica shutting down, the store out of reach for a moment): every index once, none
lost. A stand-in server plays the service's side, so the cut is certain; it needs no jar."""

import http.server
import json
import threading
import unittest

import support  # noqa: F401 (puts the client on the path)

import jobpool


class _CuttingService(http.server.BaseHTTPRequestHandler):
    """Batch B of 4 items: the first stream stops after items 0 and 1, the second is refused
    with 503 store-unavailable, the third sends all four."""

    streams = 0

    def do_GET(self):
        if self.path == "/v1/batches/B":
            self._answer(200, "application/json", json.dumps({"id": "B", "counts": {"total": 4}}).encode())
        elif self.path == "/v1/batches/B/results":
            type(self).streams += 1
            if self.streams == 2:
                self._answer(503, "application/problem+json", b'{"type":"store-unavailable","status":503}')
                return
            items = [0, 1] if self.streams == 1 else [0, 1, 2, 3]
            lines = b"".join(json.dumps({"index": i, "result": i * i}).encode() + b"\n" for i in items)
            self._answer(200, "application/x-ndjson", lines)
        else:
            self._answer(404, "application/problem+json", b"{}")

    def _answer(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class StreamResumeTest(unittest.TestCase):

    def setUp(self):
        _CuttingService.streams = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CuttingService)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()

    def test_a_stream_cut_short_is_read_again_and_each_index_comes_once(self):
        pool = jobpool.Pool("http://127.0.0.1:%d" % self.server.server_address[1])
        pool.close()
        lines = list(pool._stream("B"))
        self.assertEqual([index for index, _ in lines], [0, 1, 2, 3])
        self.assertEqual([line["result"] for _, line in lines], [0, 1, 4, 9])
        self.assertEqual(_CuttingService.streams, 3)


if __name__ == "__main__":
    unittest.main()
