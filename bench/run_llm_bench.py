#!/usr/bin/python3
"""LLM decode/prefill benchmark: argus (bench/llm_bench.cpp) against the same graph in
PyTorch eager (reference_llama.py), same config, random weights, same thread count,
both run from this script. Writes the table between the BENCH:llm markers of
bench/README.md.

Run with Debian's python3:  /usr/bin/python3 bench/run_llm_bench.py --argus build/llm_bench
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import torch

from bench_report import machine_note, write_block

# Llama 3.2 1B's shape (GQA 32/8 heads, tied embeddings) with a 32k vocabulary.
LLAMA_1B = {
    "model_type": "llama", "vocab_size": 32000, "hidden_size": 2048, "intermediate_size": 8192,
    "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64,
    "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
    "tie_word_embeddings": True, "hidden_act": "silu",
}


def reference(config, dtype, prompt, decode, threads):
    from reference_llama import Llama
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    dt = {"f32": torch.float32, "bf16": torch.bfloat16}[dtype]
    with torch.inference_mode():
        model = Llama(config).eval().to(dt)
        weight_bytes = sum(p.numel() * p.element_size() for n, p in model.named_parameters() if "embed_tokens" not in n)
        if config.get("tie_word_embeddings"):
            weight_bytes += model.embed_tokens.weight.numel() * model.embed_tokens.weight.element_size()
        ids = torch.randint(1, config["vocab_size"], (1, prompt))
        caches = model.new_cache()
        logits = model(ids[:, :8], caches)
        for _ in range(2):
            logits = model(logits.argmax(-1), caches)
        caches = model.new_cache()
        t0 = time.perf_counter()
        nxt = model(ids, caches).argmax(-1)
        prefill = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(decode):
            nxt = model(nxt, caches).argmax(-1)
        step = (time.perf_counter() - t0) / decode
    return {"dtype": dtype, "prefill_tok_s": prompt / prefill, "ttft_ms": prefill * 1e3, "decode_tok_s": 1 / step,
            "decode_gb_s": weight_bytes / step / 1e9, "weight_gb": weight_bytes / 1e9,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def llava_config(text_config, quick=False):
    """llava-1.5's vision side (CLIP ViT-L/14 at 336, feature layer -2, mlp2x_gelu) on the given decoder."""
    vision = {"model_type": "clip_vision_model", "hidden_size": 1024, "intermediate_size": 4096,
              "num_attention_heads": 16, "num_hidden_layers": 24, "patch_size": 14,
              "image_size": 336, "hidden_act": "quick_gelu", "projection_dim": 768}
    if quick:
        vision.update(hidden_size=64, intermediate_size=128, num_attention_heads=2, num_hidden_layers=3, image_size=56)
    return {"model_type": "llava", "image_token_index": text_config["vocab_size"] - 1,
            "vision_feature_layer": -2, "vision_feature_select_strategy": "default",
            "projector_hidden_act": "gelu", "text_config": text_config, "vision_config": vision}


def reference_llava(config, dtype, text, threads, iters, quick):
    from reference_llava import Llava
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    dt = {"f32": torch.float32, "bf16": torch.bfloat16}[dtype]
    with torch.inference_mode():
        vision = llava_config(config, quick)["vision_config"]
        model = Llava(config, vision).eval().to(dt)
        px = torch.randn(1, 3, vision["image_size"], vision["image_size"], dtype=dt)
        ids = torch.randint(1, config["vocab_size"], (1, text))
        model.first_token(px, ids)
        best = 1e30
        for _ in range(iters):
            t0 = time.perf_counter()
            model.first_token(px, ids)
            best = min(best, time.perf_counter() - t0)
    return {"dtype": dtype, "ttft_image_ms": best * 1e3,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def memory_bandwidth_gb_s(threads):
    torch.set_num_threads(threads)
    a, b = torch.ones(1 << 28), torch.empty(1 << 28)  # 1 GiB each
    best = 1e9
    for _ in range(5):
        t0 = time.perf_counter()
        b.copy_(a)
        best = min(best, time.perf_counter() - t0)
    return 2 * a.numel() * 4 / best / 1e9  # read + write


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--argus", default="build/llm_bench")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--prompt", type=int, default=128)
    ap.add_argument("--decode", type=int, default=16)
    ap.add_argument("--quick", action="store_true", help="a tiny config (smoke test); README untouched")
    ap.add_argument("--reference-only", help=argparse.SUPPRESS)
    ap.add_argument("--reference-llava", help=argparse.SUPPRESS)
    ap.add_argument("--text", type=int, default=32, help="text tokens after the image (LLaVA time to first token)")
    ap.add_argument("--iters", type=int, default=3)
    args = ap.parse_args()
    config = dict(LLAMA_1B)
    if args.quick:
        config.update(hidden_size=256, intermediate_size=512, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, vocab_size=1000)
    if args.reference_only:  # child process: one clean RSS per run
        print(json.dumps(reference(config, args.reference_only, args.prompt, args.decode, args.threads)))
        return
    if args.reference_llava:
        print(json.dumps(reference_llava(config, args.reference_llava, args.text, args.threads, args.iters, args.quick)))
        return
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(config, f)
    rows = []
    for dtype in ("f32", "bf16"):
        ref = json.loads(subprocess.run([sys.executable, __file__, "--reference-only", dtype, "--threads",
                                         str(args.threads), "--prompt", str(args.prompt), "--decode",
                                         str(args.decode)] + (["--quick"] if args.quick else []),
                                        check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        ours = json.loads(subprocess.run([args.argus, "--config", f.name, "--dtype", dtype, "--threads",
                                          str(args.threads), "--prompt", str(args.prompt), "--decode",
                                          str(args.decode)], check=True, capture_output=True,
                                         text=True).stdout.splitlines()[-1])
        print(dtype, "pytorch", ref, "\nargus", ours, flush=True)
        rows.append((dtype, ref, ours))
    os.unlink(f.name)
    # LLaVA: one 336 px image (576 features) + text tokens, to the first token.
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(llava_config(config, args.quick), f)
    llava_rows = []
    for dtype in ("f32", "bf16"):
        ref = json.loads(subprocess.run([sys.executable, __file__, "--reference-llava", dtype, "--threads",
                                         str(args.threads), "--text", str(args.text), "--iters", str(args.iters)]
                                        + (["--quick"] if args.quick else []),
                                        check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        ours = json.loads(subprocess.run([args.argus, "--llava", "--config", f.name, "--dtype", dtype, "--threads",
                                          str(args.threads), "--prompt", str(args.text), "--iters", str(args.iters)],
                                         check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        print("llava", dtype, "pytorch", ref, "\nargus", ours, flush=True)
        llava_rows.append((dtype, ref, ours))
    os.unlink(f.name)
    # A float16 checkpoint of the decoder, loaded the normal way (dtype auto -> bfloat16
    # weights): resident memory against its size on disk.
    with tempfile.TemporaryDirectory() as d, tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(config, f)
        f.flush()
        ckpt = os.path.join(d, "fp16")
        subprocess.run([args.argus, "--config", f.name, "--write-fp16", ckpt], check=True, capture_output=True)
        mem = json.loads(subprocess.run([args.argus, "--load", ckpt, "--threads", str(args.threads)], check=True,
                                        capture_output=True, text=True).stdout.splitlines()[-1])
    os.unlink(f.name)
    print("fp16 checkpoint", mem, flush=True)
    bw = memory_bandwidth_gb_s(args.threads)
    table = ["| weights | metric | PyTorch eager | argus | ratio |", "|---|---|---|---|---|"]
    for dtype, r, a in rows:
        for key, label, better_high in (("prefill_tok_s", f"prefill tok/s ({args.prompt}-token prompt)", True),
                                        ("ttft_ms", "time to first token (ms)", False),
                                        ("decode_tok_s", "decode tok/s (batch 1)", True),
                                        ("decode_gb_s", "weights streamed per second (GB/s)", True),
                                        ("peak_rss_mib", "peak RSS (MiB)", False)):
            ratio = a[key] / r[key] if better_high else r[key] / a[key]
            table.append(f"| {dtype} ({a['weight_gb']:.2f} GB) | {label} | {r[key]:.1f} | {a[key]:.1f} | **{ratio:.2f}×** |")
    for dtype, r, a in llava_rows:
        for key, label in (("ttft_image_ms", f"LLaVA time to first token, 1 image (336 px, 576 features) + {args.text} tokens (ms)"),
                           ("peak_rss_mib", "LLaVA peak RSS (MiB)")):
            table.append(f"| {dtype} | {label} | {r[key]:.1f} | {a[key]:.1f} | **{r[key] / a[key]:.2f}×** |")
    table += ["", "| float16 checkpoint on disk | RSS after load + prefill + decode | peak RSS | RSS / size | weights kept as |",
              "|---|---|---|---|---|",
              f"| {mem['checkpoint_mib']:.0f} MiB | {mem['rss_mib']:.0f} MiB | {mem['peak_rss_mib']:.0f} MiB | "
              f"**{mem['rss_mib'] / mem['checkpoint_mib']:.2f}×** | {mem['weights_dtype']} |"]
    note = machine_note(args.threads, f"Measured memory bandwidth (1 GiB copy, read+write): {bw:.1f} GB/s. "
                        "Ratios are argus over PyTorch for rates and PyTorch over argus for times and memory: "
                        "above 1 means argus is better. LLaVA rows: CLIP ViT-L/14-336 tower (feature layer -2) + "
                        "mlp2x_gelu projector on the same decoder, best of runs; PyTorch's bf16 is the whole model "
                        "in bf16, argus's bf16 packs bf16 copies of its linear layers (activations float32).")
    body = note + "\n\n" + "\n".join(table)
    print(body)
    if not args.quick:
        write_block("llm", body, "LLM decoder (Llama 3.2 1B shape)")


if __name__ == "__main__":
    main()
