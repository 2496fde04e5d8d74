#!/usr/bin/python3
"""Times argus against the same graph in PyTorch eager, in one script, and writes
the ratio table into bench/README.md (between the BENCH markers).

Run with Debian's python3 (python3-torch):  /usr/bin/python3 bench/run_bench.py --argus build/clip_bench
Both sides use the same thread count (Debian's LibTorch defaults to one thread).
"""
import argparse
import contextlib
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


def torch_ms(fn, warmup, iters, inference=True):
    with torch.inference_mode() if inference else contextlib.nullcontext():
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
    ap.add_argument("--argus", default="build/clip_bench")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best of each side is kept")
    ap.add_argument("--quick", action="store_true", help="fewer iterations (smoke test)")
    ap.add_argument("--owl", default=None, help="argus OWL benchmark binary (default: owl_bench beside --argus)")
    ap.add_argument("--sam", default=None, help="argus SAM benchmark binary (default: sam_bench beside --argus)")
    ap.add_argument("--train", default=None, help="argus training benchmark binary (default: train_bench beside --argus)")
    ap.add_argument("--only", choices=["all", "clip", "owl", "sam", "train"], default="all", help="which sections to run")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.only in ("all", "clip"):
        run_clip(args)
    if args.only in ("all", "owl"):
        run_owl(args)
    if args.only in ("all", "sam"):
        run_sam(args)
    if args.only in ("all", "train"):
        run_train(args)


def run_train(args):
    """One step of the world CLIP recipe (forward, loss, backward, clipping, AdamW) vs PyTorch eager."""
    import torch.nn.functional as F
    from bench_report import machine_note, write_block

    binary = args.train or os.path.join(os.path.dirname(args.argus) or ".", "train_bench")
    if not os.path.exists(binary):
        print(f"skipping training: no {binary}", flush=True)
        return
    batch, length = 96, 24
    iters = 2 if args.quick else 10
    torch.manual_seed(0)
    # The world CLIP (train::small_clip_config): 96 px in 12 px patches, width 128, 4 + 4 layers.
    vision = Vision(d=128, inter=512, heads=4, layers=4, patch=12, image=96, proj=128)
    text = Text(d=128, inter=512, heads=4, layers=4, vocab=834, ctx=64, proj=128, eos=833)
    scale = torch.nn.Parameter(torch.tensor(2.6592))
    params = [*vision.parameters(), *text.parameters(), scale]
    opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.1)
    px = torch.randn(batch, 3, 96, 96)
    ids = torch.randint(0, 832, (batch, length))
    ids[:, 0], ids[:, -1] = 832, 833
    labels = torch.arange(batch)

    def step():
        opt.zero_grad()
        logits = scale.exp() * vision(px) @ text(ids).t()
        loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    def ours_ms():
        res = subprocess.run([binary, "--batch", str(batch), "--len", str(length), "--iters", str(iters), "--warmup",
                              "2", "--threads", str(args.threads)], check=True, capture_output=True, text=True)
        return json.loads(res.stdout.strip().splitlines()[-1])["ms"]

    ref, ours = [], []
    for _ in range(args.rounds):
        ref.append(torch_ms(step, 2, iters, inference=False))
        ours.append(ours_ms())
    r, o = min(ref), min(ours)
    body = (machine_note(args.threads, "Median of iterations, best of 3 alternating rounds. Ratio = PyTorch time / "
                         "argus time.") + "\n\n| case | PyTorch eager (ms) | argus (ms) | ratio | argus samples/s |\n"
            "|---|---|---|---|---|\n"
            f"| world CLIP training step, batch {batch}, {length} tokens (fwd + bwd + clip + AdamW) | {r:.1f} | "
            f"{o:.1f} | **{r / o:.2f}×** | {1000 * batch / o:.0f} |")
    write_block("train", body, "Training step (world CLIP recipe)")
    print(body, flush=True)


def run_sam(args):
    """SAM ViT-B: image encoder vs PyTorch eager; prompt-to-mask and segment-everything (argus only)."""
    from bench_report import machine_note, write_block
    from reference_sam import ImageEncoder

    binary = args.sam or os.path.join(os.path.dirname(args.argus) or ".", "sam_bench")
    if not os.path.exists(binary):
        print(f"skipping SAM: no {binary}", flush=True)
        return

    def ours(what, dtype, iters, extra=()):
        res = subprocess.run([binary, "--what", what, "--iters", str(iters), "--warmup", "1", "--threads",
                              str(args.threads), "--dtype", dtype, *extra], check=True, capture_output=True, text=True)
        return json.loads(res.stdout.strip().splitlines()[-1])

    iters = 1 if args.quick else 5
    torch.manual_seed(0)
    encoder = ImageEncoder().eval()
    px = torch.randn(1, 3, 1024, 1024)
    ref, f32, bf16 = [], [], []
    for _ in range(1 if args.quick else args.rounds):
        ref.append(torch_ms(lambda: encoder(px), 1, iters))
        f32.append(ours("encoder", "f32", iters)["ms"])
        bf16.append(ours("encoder", "bf16", iters)["ms"])
    r, a, b = min(ref), min(f32), min(bf16)
    print(f"sam encoder: pytorch {r:8.1f} ms | argus f32 {a:8.1f} ms ({r / a:.2f}x) | argus bf16 {b:8.1f} ms "
          f"({r / b:.2f}x)", flush=True)
    prompt_iters = 3 if args.quick else 20
    p32, pbf = ours("prompt", "f32", prompt_iters)["ms"], ours("prompt", "bf16", prompt_iters)["ms"]
    side = ["--points-per-side", "8"] if args.quick else []
    # A full 32x32 grid takes tens of seconds: two timed runs each are enough.
    e32 = ours("everything", "f32", min(iters, 2), side)
    ebf = ours("everything", "bf16", min(iters, 2), side)
    print(f"sam prompt->masks {p32:.1f} ms (bf16 {pbf:.1f}) | everything {e32['points']} points "
          f"{e32['ms']:.0f} ms (bf16 {ebf['ms']:.0f})", flush=True)
    table = ["| case | PyTorch eager fp32 (ms) | argus fp32 (ms) | ratio | argus bf16 (ms) | ratio |",
             "|---|---|---|---|---|---|",
             f"| SAM ViT-B image encoder, 1024x1024 | {r:.1f} | {a:.1f} | **{r / a:.2f}×** | {b:.1f} | {r / b:.2f}× |",
             f"| prompt → 3 masks at 1800x1200, cached embedding | – | {p32:.1f} | – | {pbf:.1f} | – |",
             f"| segment everything, {e32['points']} points, 1800x1200 (encoding included) | – | {e32['ms']:.0f} | – "
             f"| {ebf['ms']:.0f} | – |"]
    note = machine_note(args.threads, f"Median of iterations, best of {args.rounds} alternating rounds. "
                                      "Ratio = PyTorch time / argus time.")
    if not args.quick:
        write_block("sam", note + "\n\n" + "\n".join(table), "SAM")


def run_owl(args):
    """OWL-ViT B/32 and OWLv2 B/16 per-image detection (3 pre-encoded text queries)."""
    from bench_report import machine_note, write_block
    from reference_owl import OwlDetector

    binary = args.owl or os.path.join(os.path.dirname(args.argus) or ".", "owl_bench")
    if not os.path.exists(binary):
        print(f"skipping OWL: no {binary}", flush=True)
        return
    cases = [("owlvit", "OWL-ViT B/32, 768 px", dict(image=768, patch=32), 10),
             ("owlv2", "OWLv2 B/16, 960 px", dict(image=960, patch=16, objectness=True), 3)]
    rows = []
    for name, title, kw, iters in cases:
        if args.quick:
            iters = 2
        torch.manual_seed(0)
        model = OwlDetector(**kw).eval()
        px, queries = torch.randn(1, 3, kw["image"], kw["image"]), torch.randn(1, 3, 512)
        fn = lambda: model(px, queries)
        ref, ours, ours_bf16 = [], [], []
        for _ in range(args.rounds):
            ref.append(torch_ms(fn, 2, iters))
            for dtype, out in (("f32", ours), ("bf16", ours_bf16)):
                res = subprocess.run([binary, "--model", name, "--iters", str(iters), "--warmup", "2", "--threads",
                                      str(args.threads), "--dtype", dtype], check=True, capture_output=True, text=True)
                out.append(json.loads(res.stdout.strip().splitlines()[-1])["ms"])
        r, a, b = min(ref), min(ours), min(ours_bf16)
        rows.append(f"| {title}, batch 1 | {r:.1f} | {a:.1f} | **{r / a:.2f}×** | {b:.1f} | {r / b:.2f}× |")
        print(f"{name:6s}: pytorch {r:8.1f} ms | argus f32 {a:8.1f} ms ({r / a:.2f}x) "
              f"| argus bf16 {b:8.1f} ms ({r / b:.2f}x)", flush=True)
    table = ["| case | PyTorch eager fp32 (ms) | argus fp32 (ms) | ratio | argus bf16 (ms) | ratio |",
             "|---|---|---|---|---|---|"] + rows
    note = machine_note(args.threads, f"Median of iterations, best of {args.rounds} alternating rounds. "
                                      "Ratio = PyTorch time / argus time.")
    if not args.quick:
        write_block("owl", note + "\n\n" + "\n".join(table), "OWL-ViT / OWLv2 detection")


def run_clip(args):
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
