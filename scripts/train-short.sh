#!/usr/bin/env bash
# CI's training run: a small world, every recipe from scratch for a few minutes, then the
# evaluation, which must clear bars well above chance. It shows that data generation,
# the trainers, the saved layouts, the loaders and the evaluator work together; the
# committed default models (models/world) are the long run of the same commands.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ARGUS="$PWD/$BUILD/argus"
work=$(mktemp -d /tmp/argus-train-short.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$ARGUS" world generate --out "$work/data" --n 2000 --n-eval 100 --seed 11 >/dev/null
"$ARGUS" world train --data "$work/data" --out "$work/models" --only clip --steps 600 --batch 64 --seed 1 >/dev/null
"$ARGUS" world train --data "$work/data" --out "$work/models" --only llava --steps 500 --lm-steps 200 \
  --align-steps 100 --seed 1 >/dev/null
"$ARGUS" world train --data "$work/data" --out "$work/models" --only sam --steps 300 --seed 1 >/dev/null
"$ARGUS" world train --data "$work/data" --out "$work/models" --only owl --steps 300 --lr 5e-4 --seed 1 >/dev/null
"$ARGUS" world eval --models "$work/models" --data "$work/data" --json >"$work/eval.json"

/usr/bin/python3 - "$work/eval.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["splits"]["heldout"]
print(json.dumps({k: m[k] for k in ("zero_shot_colour_acc", "zero_shot_acc", "retrieval_r1", "vqa_acc", "vqa_by_type", "pope_acc", "point_miou", "det_ap50", "det_ap50_class_agnostic", "refer_iou", "refer_acc50")}))
# Bars for a few minutes of training; chance is 1/8 for colours, about 1/4 for the VQA mix,
# 1/100 for retrieval. Point mIoU: an untrained SAM scores about 0.03 and a mask of the
# whole image about 0.05; these 300 steps reach 0.167 (the 6000-step default, 0.81).
# OWL: an untrained detector (its grid boxes) scores class-agnostic AP50 0.001 and
# referring IoU 0.03-0.05; these 300 steps reach 0.197 and 0.213.
bars = {"zero_shot_colour_acc": 0.7, "retrieval_r1": 0.08, "vqa_acc": 0.35, "point_miou": 0.15,
        "det_ap50_class_agnostic": 0.12, "refer_iou": 0.15}
failed = [f"{k} = {m[k]:.3f} < {v}" for k, v in bars.items() if m[k] is None or m[k] < v]
if failed:
    sys.exit("short training run below its bars: " + "; ".join(failed))
print("short training run: every bar cleared")
PY
