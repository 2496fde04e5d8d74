#!/usr/bin/env python3
"""Times argus against the same graph in PyTorch eager, in one script, and writes
the ratio table into bench/README.md (between the BENCH markers).

Run with Debian's python3 (python3-torch):  /usr/bin/python3 bench/run_bench.py --argus build/argus_bench
Both sides use the same thread count (Debian's LibTorch defaults to one thread).
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import time

import torch

from reference_clip import Text, Vision

HERE = os.path.dirname(os.path.abspath(__file__))


def torch_ms(fn, warmup, iters):
    with torch.inference_mode():
        for _ in range(warmup):
            fn()
        ts = []
        for _ in range(iters):
            t0 = time.perf_counter()
            fn()
            ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def argus_ms(binary, what, batch, iters, warmup, threads, dtype):
    out = subprocess.run([binary, "--what", what, "--batch", str(batch), "--iters", str(iters), "--warmup",
                          str(warmup), "--threads", str(threads), "--dtype", dtype],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--argus", default="build/argus_bench")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best of each side is kept")
    ap.add_argument("--quick", action="store_true", help="fewer iterations (smoke test)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    vision, text = Vision().eval(), Text().eval()

    cases = [("image", 1, 20), ("image", 32, 3), ("text", 32, 5)]
    rows = []
    for what, batch, iters in cases:
        if args.quick:
            iters = 2
        if what == "image":
            x = torch.randn(batch, 3, 224, 224)
            fn = lambda: vision(x)
        else:
            ids = torch.randint(1, 49405, (batch, 77))
            ids[:, -1] = 49407
            fn = lambda: text(ids)
        ref, ours, ours_bf16 = [], [], []
        for _ in range(args.rounds):
            ref.append(torch_ms(fn, 2, iters))
            ours.append(argus_ms(args.argus, what, batch, iters, 2, args.threads, "f32"))
            ours_bf16.append(argus_ms(args.argus, what, batch, iters, 2, args.threads, "bf16"))
        r, a, b = min(ref), min(ours), min(ours_bf16)
        rows.append((what, batch, r, a, r / a, b, r / b))
        print(f"{what:5s} batch {batch:2d}: pytorch {r:8.1f} ms | argus f32 {a:8.1f} ms ({r / a:.2f}x) "
              f"| argus bf16 {b:8.1f} ms ({r / b:.2f}x)", flush=True)

    table = ["| case | PyTorch eager fp32 (ms) | argus fp32 (ms) | ratio | argus bf16 (ms) | ratio |",
             "|---|---|---|---|---|---|"]
    for what, batch, r, a, ra, b, rb in rows:
        unit = "image embedding" if what == "image" else "text embedding"
        table.append(f"| CLIP ViT-B/32 {unit}, batch {batch} | {r:.1f} | {a:.1f} | **{ra:.2f}×** | {b:.1f} | {rb:.2f}× |")
    cpu = platform.processor() or platform.machine()
    try:
        cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read()).group(1)
    except Exception:
        pass
    note = (f"Measured {time.strftime('%Y-%m-%d')} on {cpu}, {args.threads} threads on both sides, "
            f"PyTorch {torch.__version__} (Debian python3-torch) vs argus on the same LibTorch; "
            f"median of iterations, best of {args.rounds} alternating rounds. Ratio = PyTorch time / argus time.")
    block = "<!-- BENCH:clip -->\n" + note + "\n\n" + "\n".join(table) + "\n<!-- /BENCH:clip -->"
    path = os.path.join(HERE, "README.md")
    text_md = open(path).read() if os.path.exists(path) else "# Benchmarks\n\n"
    if "<!-- BENCH:clip -->" in text_md:
        text_md = re.sub(r"<!-- BENCH:clip -->.*?<!-- /BENCH:clip -->", lambda m: block, text_md, flags=re.S)
    else:
        text_md += "\n## CLIP\n\n" + block + "\n"
    if not args.quick:
        open(path, "w").write(text_md)


if __name__ == "__main__":
    main()
