#!/usr/bin/python3
"""Load test of `argus serve`: concurrent chat and segment requests against the
fixture models (tiny weights, so this measures the server, not the models).

Starts the server, sends --requests requests from --clients threads (alternating
a streamed-free chat completion of 8 tokens and a SAM point prompt on one image,
whose embedding stays cached), and reports p50/p99 latency per kind, throughput,
errors, and the server's resident memory after a full-concurrency warm-up and at
the end (a leak shows as growth; more than 64 MB fails the run). Writes the result block into bench/README.md.

  /usr/bin/python3 bench/server_load.py --argus build/argus --shared ../shared
"""
import argparse
import base64
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--argus", default="build/argus")
    ap.add_argument("--shared", default=os.path.join(HERE, "..", "..", "shared"))
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--no-write", action="store_true", help="print only, leave bench/README.md alone")
    args = ap.parse_args()

    fx = os.path.join(args.shared, "fixtures")
    images = os.path.join(args.shared, "assets", "images")
    server = subprocess.Popen(
        [args.argus, "serve", "--port", "0", "--max-queue", str(args.clients + 4), "--image-root", images,
         "--model", f"llava={fx}/llava", "--model", f"sam={fx}/sam"],
        stderr=subprocess.PIPE, text=True)
    try:
        line = server.stderr.readline()
        port = int(re.search(r":(\d+)/", line).group(1))
        # Drain the access log so the server never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()

        with open(os.path.join(images, "extreme_ironing.jpg"), "rb") as f:
            data_uri = "data:image/jpeg;base64," + base64.b64encode(f.read()).decode()
        chat = json.dumps({"model": "llava", "temperature": 0, "max_tokens": 8, "messages": [
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": data_uri}},
                                         {"type": "text", "text": "What is unusual here?"}]}]})
        segment = json.dumps({"model": "sam", "image": "truck.jpg", "points": [[500, 375]]})
        work = [("chat", "/v1/chat/completions", chat), ("segment", "/v1/segment", segment)]

        lat = {"chat": [], "segment": []}
        errors = []
        lock = threading.Lock()
        counter = iter(range(args.requests))

        def client():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                kind, path, body = work[i % 2]
                t = time.perf_counter()
                conn.request("POST", path, body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                dt = time.perf_counter() - t
                with lock:
                    (lat[kind].append(dt) if r.status == 200 else errors.append((kind, r.status)))

        def run(n_clients):
            ts = [threading.Thread(target=client) for _ in range(n_clients)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()

        # Warm-up at full concurrency: load both models, cache the image embedding, and
        # let every worker thread's malloc arena reach its working size, so that growth
        # measured afterwards is a leak rather than the allocator settling.
        counter = iter(range(max(200, args.requests // 5)))
        run(args.clients)
        warm_rss = rss_mb(server.pid)
        lat = {"chat": [], "segment": []}
        counter = iter(range(args.requests))
        t0 = time.perf_counter()
        run(args.clients)
        wall = time.perf_counter() - t0
        end_rss = rss_mb(server.pid)
        alive = server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=30)

    done = len(lat["chat"]) + len(lat["segment"])
    rows = ["| requests | clients | kind | p50 (ms) | p99 (ms) |", "|---|---|---|---|---|"]
    for kind in ("chat", "segment"):
        xs = lat[kind]
        rows.append(f"| {len(xs)} | {args.clients} | {kind} | {percentile(xs, 50) * 1000:.1f} | "
                    f"{percentile(xs, 99) * 1000:.1f} |")
    summary = (f"{done} requests in {wall:.1f} s ({done / wall:.1f}/s), {len(errors)} errors, server "
               f"{'alive' if alive else 'DEAD'} after; resident memory {warm_rss:.0f} MB after warm-up, "
               f"{end_rss:.0f} MB after the run ({end_rss - warm_rss:+.0f} MB).")
    print("\n".join(rows))
    print(summary)
    if not args.no_write:
        sys.path.insert(0, HERE)
        from bench_report import cpu_name, write_block
        note = (f"Measured {time.strftime('%Y-%m-%d')} on {cpu_name()} ({os.cpu_count()} cores): `argus serve` with "
                "the llava and sam fixtures (tiny weights: the server's overhead, not model speed), chat = 8 greedy "
                "tokens about one data-URI image, segment = one point on a cached image embedding.")
        write_block("server", note + "\n\n" + "\n".join(rows) + "\n\n" + summary, "Server load")
    # Steady state should not grow: allow allocator noise, not a per-request leak.
    if errors or not alive or end_rss - warm_rss > 64:
        sys.exit(1)


if __name__ == "__main__":
    main()
