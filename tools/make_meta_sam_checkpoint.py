#!/usr/bin/python3
"""Writes a SAM checkpoint in Meta's original layout (segment_anything's module
names, torch.save'd state dict, no config) from a transformers SamModel
safetensors file, so the .pth loader can be tested against the transformers
reference outputs without downloading Meta's 375 MB sam_vit_b_01ec64.pth.

Usage (Debian's python3-torch; no transformers or safetensors package needed):
  /usr/bin/python3 tools/make_meta_sam_checkpoint.py ../shared/fixtures/sam/model.safetensors OUT.pth
"""
import json
import re
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        buf = bytearray(data[base + begin : base + end])
        t = torch.frombuffer(buf, dtype=DTYPES[info["dtype"]]) if buf else torch.empty(0, dtype=DTYPES[info["dtype"]])
        out[key] = t.reshape(info["shape"]).clone()
    return out


# transformers name -> segment_anything name, applied in order (each at most once).
HF_TO_META = [
    ("mask_decoder.upscale_conv1", "mask_decoder.output_upscaling.0"),
    ("mask_decoder.upscale_layer_norm", "mask_decoder.output_upscaling.1"),
    ("mask_decoder.upscale_conv2", "mask_decoder.output_upscaling.3"),
    ("mask_embed.conv1", "mask_downscaling.0"),
    ("mask_embed.layer_norm1", "mask_downscaling.1"),
    ("mask_embed.conv2", "mask_downscaling.3"),
    ("mask_embed.layer_norm2", "mask_downscaling.4"),
    ("mask_embed.conv3", "mask_downscaling.6"),
    ("point_embed", "point_embeddings"),
    ("vision_encoder", "image_encoder"),
    ("neck.conv1", "neck.0"),
    ("neck.layer_norm1", "neck.1"),
    ("neck.conv2", "neck.2"),
    ("neck.layer_norm2", "neck.3"),
    ("patch_embed.projection", "patch_embed.proj"),
    (".layer_norm", ".norm"),
    ("layers", "blocks"),  # only in the image encoder; undone below for the decoder
]


def to_meta(key):
    if key == "shared_image_embedding.positional_embedding":
        return "prompt_encoder.pe_layer.positional_encoding_gaussian_matrix"
    if key == "prompt_encoder.shared_embedding.positional_embedding":
        return None  # transformers' tied copy
    head = re.match(r"^(mask_decoder\.(?:iou_prediction_head|output_hypernetworks_mlps\.\d+))\.(proj_in|proj_out|layers\.(\d+))\.(.*)$", key)
    if head:
        i = 0 if head[2] == "proj_in" else 2 if head[2] == "proj_out" else int(head[3]) + 1
        return f"{head[1]}.layers.{i}.{head[4]}"
    k = key
    for a, b in HF_TO_META:
        if a == "layers" and not k.startswith("image_encoder."):
            continue
        k = k.replace(a, b, 1)
    return k


def main():
    src, dst = sys.argv[1], sys.argv[2]
    hf = read_safetensors(src)
    meta = {}
    for key, t in hf.items():
        m = to_meta(key)
        if m is not None:
            meta[m] = t
    # Meta's Sam keeps its normalisation constants as buffers too.
    meta["pixel_mean"] = torch.tensor([123.675, 116.28, 103.53]).view(-1, 1, 1)
    meta["pixel_std"] = torch.tensor([58.395, 57.12, 57.375]).view(-1, 1, 1)
    torch.save(meta, dst)


if __name__ == "__main__":
    main()
