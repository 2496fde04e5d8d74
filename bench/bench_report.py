"""Shared by the bench drivers: the machine note and writing a result block into
bench/README.md between <!-- BENCH:name --> markers."""
import os
import re
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def cpu_name():
    try:
        return re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read()).group(1)
    except Exception:
        return "unknown CPU"


def machine_note(threads, extra=""):
    return (f"Measured {time.strftime('%Y-%m-%d')} on {cpu_name()}, {threads} threads on both sides, "
            f"PyTorch {torch.__version__} (Debian python3-torch) vs argus on the same LibTorch. {extra}").strip()


def write_block(name, body, heading):
    block = f"<!-- BENCH:{name} -->\n{body}\n<!-- /BENCH:{name} -->"
    path = os.path.join(HERE, "README.md")
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n\n"
    if f"<!-- BENCH:{name} -->" in text:
        text = re.sub(rf"<!-- BENCH:{name} -->.*?<!-- /BENCH:{name} -->", lambda m: block, text, flags=re.S)
    else:
        text += f"\n## {heading}\n\n{block}\n"
    open(path, "w").write(text)
