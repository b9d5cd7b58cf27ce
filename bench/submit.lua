-- wrk script for the sync path: every request submits a noop job and waits for it (?wait in the URL).
wrk.method = "POST"
wrk.body = '{"task":"echo"}'
wrk.headers["Content-Type"] = "application/json"
