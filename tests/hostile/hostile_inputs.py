#!/usr/bin/python3
"""Replays each class of hostile input from issue 24 against a running `argus serve`
(and the CLI where the class is the CLI's), on the shared fixtures.

For every server case: the server's peak RSS during the case (VmHWM, reset before it
through /proc/PID/clear_refs) may exceed its RSS before the case by at most
--rss-bound-mb (README, Security), the answer must be the expected refusal, and
/health must answer afterwards. CLI cases must end with exit status 1 and one error
line, within a time limit (no hang, no crash). Standard library only.

  tests/hostile/hostile_inputs.py --argus build/argus --shared ../shared
"""
import argparse
import base64
import http.client
import json
import os
import pickle
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


# ---------------------------------------------------------------- the server process

class Server:
    def __init__(self, argus, shared, image_root):
        fx = os.path.join(shared, "fixtures")
        args = [argus, "--threads", "2", "serve", "--port", "0", "--image-root", image_root,
                "--model", "clip=" + os.path.join(fx, "clip"), "--model", "sam=" + os.path.join(fx, "sam"),
                "--model", "llava=" + os.path.join(fx, "llava"), "--model", "owlvit=" + os.path.join(fx, "owlvit"),
                "--max-body-bytes", str(8 << 20)]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.port = None
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stderr.readline().decode(errors="replace")
            if not line:
                break
            m = re.search(r"on http://[^:]+:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            raise SystemExit("argus serve did not start")
        # Drain the access log so the server never blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stderr:
            self.log.write(line)

    def status(self, key):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) // 1024  # MiB
        return -1

    def reset_peak(self):
        with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
            f.write("5")

    def alive(self):
        try:
            status, body = self.request("GET", "/health", timeout=10)
            return self.proc.poll() is None and status == 200
        except OSError:
            return False

    def request(self, method, path, body=None, headers=None, timeout=60):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        data = json.dumps(body) if isinstance(body, (dict, list)) else body
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        out = r.read()
        c.close()
        return r.status, out

    def raw(self, data, timeout=10):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(data)
        except OSError:
            pass
        reply = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                reply += chunk
        except OSError:
            pass
        s.close()
        return reply

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def server_case(srv, name, bound_mb, run):
    """Runs `run(srv)` -> (ok, detail); checks the peak RSS growth and that the server lives."""
    before = srv.status("VmRSS")
    srv.reset_peak()
    t0 = time.time()
    try:
        ok, detail = run(srv)
    except Exception as e:  # a refused connection, a timeout: a failure of the case
        ok, detail = False, f"{type(e).__name__}: {e}"
    peak = srv.status("VmHWM")
    grew = peak - before
    check(ok, f"{name}: {detail}")
    check(grew <= bound_mb, f"{name}: peak RSS {peak} MiB, {grew:+d} MiB over {before} MiB (bound {bound_mb}) "
                            f"in {time.time() - t0:.1f}s")
    check(srv.alive(), f"{name}: the server answers /health afterwards")


def refused(status, body, want_status, needle=None):
    text = body.decode(errors="replace")
    ok = status == want_status and (needle is None or needle in text)
    return ok, f"HTTP {status} {text[:160]!r}"


# ---------------------------------------------------------------- server cases

def chunked_oversize(srv):
    # 64 MiB sent chunked against an 8 MiB limit: refused while reading.
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    s.sendall(b"POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"100000\r\n" + b" " * (1 << 20) + b"\r\n"
    try:
        for _ in range(64):
            s.sendall(chunk)
    except OSError:
        pass  # the server stopped reading and closed: what should happen
    reply = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            reply += d
    except OSError:
        pass
    s.close()
    return reply.startswith(b"HTTP/1.1 413"), reply[:80]


def json_node_flood(srv):
    # The densest JSON there is: 4 MiB of empty objects (1.4 million) take ~120 MiB parsed.
    body = "[" + ",".join(["{}"] * ((4 << 20) // 3)) + "]"
    return refused(*srv.request("POST", "/v1/embeddings", body), 400)


def many_points(srv):
    pts = [[i % 1800, i % 1200] for i in range(10000)]
    return refused(*srv.request("POST", "/v1/segment", {"model": "sam", "image": "truck.jpg", "points": pts}), 400,
                   "over the limit of 64 points")


def many_labels(srv):
    return refused(*srv.request("POST", "/v1/classify", {"model": "clip", "image": "dog.jpg",
                                                         "labels": ["x"] * 100000}), 400, "over the limit")


def many_queries(srv):
    return refused(*srv.request("POST", "/v1/detect", {"model": "owlvit", "image": "dog.jpg",
                                                       "queries": ["a dog"] * 100000}), 400, "over the limit")


def many_messages(srv):
    msgs = [{"role": "user", "content": "hi"}] * 100000
    return refused(*srv.request("POST", "/v1/chat/completions", {"model": "llava", "messages": msgs}), 400,
                   "over the limit")


def many_stops(srv):
    return refused(*srv.request("POST", "/v1/completions", {"model": "llava", "prompt": "a", "stop": ["x"] * 1000}),
                   400, "stop strings")


def long_prompt(srv):
    words = " ".join(["hello"] * 100000)
    return refused(*srv.request("POST", "/v1/completions", {"model": "llava", "prompt": words, "max_tokens": 1}),
                   400)


def long_prompt_ids(srv):
    return refused(*srv.request("POST", "/v1/completions", {"model": "llava", "prompt": [1] * 100000,
                                                            "max_tokens": 1}), 400)


def metrics_injection(srv):
    for i in range(3000):
        srv.raw(f"GET /x{i}%0Aargus_injected%201 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    srv.raw(b"GET /a\nargus_injected 1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    status, body = srv.request("GET", "/metrics")
    text = body.decode(errors="replace")
    ok = status == 200 and "argus_injected" not in text and len(text) < 64 * 1024
    return ok, f"/metrics is {len(text)} bytes, injected line {'present' if 'argus_injected' in text else 'absent'}"


def foreign_origin(srv):
    s1, b1 = srv.request("POST", "/v1/classify", {"model": "clip", "image": "dog.jpg", "labels": ["dog"]},
                         headers={"Origin": "https://evil.example"})
    s2, b2 = srv.request("GET", "/v1/models", headers={"Host": "rebound.evil.example"})
    s3, b3 = srv.request("POST", "/v1/classify", '{"model":"clip"}', headers={"Content-Type": "text/plain"})
    return (s1, s2, s3) == (403, 403, 415), f"Origin {s1}, Host {s2}, text/plain {s3}"


def path_traversal(srv):
    results = []
    for ref in ["../../../../etc/passwd", "/etc/passwd", "file:///etc/passwd", "outside_link.png", "sub/../../x.png"]:
        s, _ = srv.request("POST", "/v1/classify", {"model": "clip", "image": ref, "labels": ["dog"]})
        results.append(s)
    return all(s == 403 for s in results), f"statuses {results}"


def fifo_image(srv):
    return refused(*srv.request("POST", "/v1/classify", {"model": "clip", "image": "fifo.png", "labels": ["dog"]},
                                timeout=20), 400, "not a regular file")


def corrupt_images(srv):
    statuses = []
    for data in [b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, b"\xff\xd8\xff" + os.urandom(2000), b"GIF89a", os.urandom(5000)]:
        uri = "data:image/png;base64," + base64.b64encode(data).decode()
        s, _ = srv.request("POST", "/v1/classify", {"model": "clip", "image": uri, "labels": ["dog"]})
        statuses.append(s)
    # A PNG header claiming 100000 x 100000 pixels.
    import struct
    import zlib
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    s, _ = srv.request("POST", "/v1/classify", {"model": "clip", "image": "data:image/png;base64," +
                                                base64.b64encode(png).decode(), "labels": ["dog"]})
    statuses.append(s)
    return all(s == 400 for s in statuses), f"statuses {statuses}"


def smuggling(srv):
    head = b"POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    hidden = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    r1 = srv.raw(head + b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}" + hidden)
    r2 = srv.raw(head + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + hidden)
    ok = all(r.startswith(b"HTTP/1.1 400") and r.count(b"HTTP/1.1 ") == 1 for r in (r1, r2))
    return ok, f"{r1[:12]!r} / {r2[:12]!r}, one response each"


def slowloris(srv):
    socks = []
    for _ in range(12):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        socks.append(s)
    stop = threading.Event()

    def trickle():
        i = 0
        while not stop.is_set():
            for s in socks:
                try:
                    s.sendall(f"X-Slow-{i}: 1\r\n".encode())
                except OSError:
                    pass
            i += 1
            stop.wait(0.5)

    t = threading.Thread(target=trickle)
    t.start()
    time.sleep(1)
    try:
        status, _ = srv.request("GET", "/health", timeout=4)
    finally:
        stop.set()
        t.join()
        for s in socks:
            s.close()
    return status == 200, f"/health answered {status} beside 12 trickling connections"


# ---------------------------------------------------------------- CLI cases

def cli_case(argus, name, args, needle, timeout=60, env=None):
    t0 = time.time()
    try:
        p = subprocess.run([argus] + args, capture_output=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)
        err = p.stderr.decode(errors="replace")
        ok = p.returncode == 1 and err.count("\n") == 1 and needle in err
        detail = f"exit {p.returncode}, {err.strip()[:160]!r}"
    except subprocess.TimeoutExpired:
        ok, detail = False, f"still running after {timeout}s"
    check(ok, f"cli {name}: {detail} ({time.time() - t0:.1f}s)")


def pickle_calling_a_function(path, marker):
    class Evil:
        def __reduce__(self):
            return (os.system, ("touch " + marker,))

    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(Evil(), protocol=2))
        z.writestr("archive/version", "3\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--argus", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--rss-bound-mb", type=int, default=256)
    a = ap.parse_args()
    argus, shared = os.path.abspath(a.argus), os.path.abspath(a.shared)
    fx = os.path.join(shared, "fixtures")
    images = os.path.join(shared, "assets", "images")

    work = tempfile.mkdtemp(prefix="argus_hostile_")
    try:
        root = os.path.join(work, "root")
        os.makedirs(os.path.join(root, "sub"))
        for name in ("dog.jpg", "truck.jpg"):
            shutil.copy(os.path.join(images, name), root)
        os.mkfifo(os.path.join(root, "fifo.png"))
        os.symlink("/etc/hostname", os.path.join(root, "outside_link.png"))

        srv = Server(argus, shared, root)
        try:
            # Load every model once, so that a case's growth is the case's own.
            for path, body in [("/v1/classify", {"model": "clip", "image": "dog.jpg", "labels": ["dog", "cat"]}),
                               ("/v1/segment", {"model": "sam", "image": "truck.jpg", "points": [[500, 375]]}),
                               ("/v1/detect", {"model": "owlvit", "image": "dog.jpg", "queries": ["a dog"]}),
                               ("/v1/completions", {"model": "llava", "prompt": [1, 2], "max_tokens": 4})]:
                status, out = srv.request("POST", path, body)
                check(status == 200, f"warm-up {path}: HTTP {status}")
            bound = a.rss_bound_mb
            for name, run in [("chunked body over --max-body-bytes", chunked_oversize),
                              ("4 MiB of empty JSON objects", json_node_flood),
                              ("10,000 segment points", many_points),
                              ("100,000 classify labels", many_labels),
                              ("100,000 detect queries", many_queries),
                              ("100,000 chat messages", many_messages),
                              ("1,000 stop strings", many_stops),
                              ("100k-token prompt (text)", long_prompt),
                              ("100k-token prompt (ids)", long_prompt_ids),
                              ("metrics and log injection, 3,000 paths", metrics_injection),
                              ("foreign Origin, rebound Host, text/plain", foreign_origin),
                              ("path traversal out of --image-root", path_traversal),
                              ("a FIFO as an image", fifo_image),
                              ("corrupt and oversized images", corrupt_images),
                              ("request smuggling headers", smuggling),
                              ("slowloris", slowloris)]:
                server_case(srv, name, bound, run)
        finally:
            srv.stop()

        truck = os.path.join(images, "truck.jpg")
        cli_case(argus, "--threads 100000", ["--threads", "100000", "inspect", "--model", os.path.join(fx, "clip")], "--threads")
        cli_case(argus, "--threads -1", ["--threads=-1", "inspect", "--model", os.path.join(fx, "clip")], "--threads")
        cli_case(argus, "a FIFO as --image", ["classify", "--model", os.path.join(fx, "clip"), "--image",
                                              os.path.join(root, "fifo.png"), "--label", "dog"], "fifo.png", timeout=20)
        cli_case(argus, "--messages /dev/zero", ["template", "--model", os.path.join(fx, "llava"), "--messages",
                                                 "/dev/zero"], "/dev/zero", timeout=20)
        corrupt = os.path.join(work, "corrupt.png")
        with open(corrupt, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + os.urandom(300))
        cli_case(argus, "a corrupt image", ["classify", "--model", os.path.join(fx, "clip"), "--image", corrupt,
                                            "--label", "dog"], "corrupt.png")
        # A checkpoint cut short: the header promises tensors the file does not hold.
        bad_ckpt = os.path.join(work, "truncated_clip")
        shutil.copytree(os.path.join(fx, "clip"), bad_ckpt)
        st = os.path.join(bad_ckpt, "model.safetensors")
        with open(st, "r+b") as f:
            f.truncate(os.path.getsize(st) // 2)
        cli_case(argus, "a truncated checkpoint", ["classify", "--model", bad_ckpt, "--image", truck, "--label", "x"],
                 "model.safetensors")
        marker = os.path.join(work, "pickle_ran")
        evil = os.path.join(work, "evil_sam.pth")
        pickle_calling_a_function(evil, marker)
        cli_case(argus, "a pickle that calls os.system", ["segment", "--model", evil, "--image", truck, "--point",
                                                          "10,10"], "system")
        check(not os.path.exists(marker), "cli a pickle that calls os.system: its function never ran")
        cli_case(argus, "10,000 --point prompts", ["segment", "--model", os.path.join(fx, "sam"), "--image", truck] +
                 ["--point", "5,5"] * 10000, "over the limit of 64 points")
        cli_case(argus, "--seed 1e23", ["generate", "--model", os.path.join(fx, "llava"), "--prompt-ids", "1",
                                        "--seed", "1e23"], "seed")
        cli_case(argus, "--threshold nan", ["detect", "--model", os.path.join(fx, "owlvit"), "--image", truck,
                                            "--query", "a", "--threshold", "nan"], "threshold")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
