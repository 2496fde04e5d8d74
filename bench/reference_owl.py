"""OWL-ViT B/32 and OWLv2 B/16 detection heads in plain PyTorch eager: the reference
graph argus is timed against.

Written for the benchmark with transformers' OwlViTForObjectDetection structure: the
CLIP vision tower (pre-norm blocks, quick_gelu, every token through post_layernorm),
patch tokens times the class token, layer_norm, then the class head (scored against
pre-computed query embeddings), the box head (+ grid bias, sigmoid) and, for OWLv2, the
objectness head. Random weights.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from reference_clip import Layer


class BoxHead(nn.Module):
    def __init__(self, d, out):
        super().__init__()
        self.dense0, self.dense1, self.dense2 = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, out)

    def forward(self, x):
        return self.dense2(F.gelu(self.dense1(F.gelu(self.dense0(x)))))


class ClassHead(nn.Module):
    def __init__(self, d, q):
        super().__init__()
        self.dense0, self.logit_shift, self.logit_scale = nn.Linear(d, q), nn.Linear(d, 1), nn.Linear(d, 1)

    def forward(self, feats, queries):
        ce = self.dense0(feats)
        ce = ce / (ce.norm(dim=-1, keepdim=True) + 1e-6)
        q = queries / (queries.norm(dim=-1, keepdim=True) + 1e-6)
        logits = ce @ q.transpose(-1, -2)
        return (logits + self.logit_shift(feats)) * (F.elu(self.logit_scale(feats)) + 1)


def box_bias(grid):
    xy = torch.arange(1, grid + 1, dtype=torch.float32) / grid
    coords = torch.stack(torch.meshgrid(xy, xy, indexing="xy"), -1).reshape(-1, 2)
    coord_bias = torch.log(coords + 1e-4) - torch.log1p(-coords + 1e-4)
    size = torch.full_like(coord_bias, 1.0 / grid)
    size_bias = torch.log(size + 1e-4) - torch.log1p(-size + 1e-4)
    return torch.cat([coord_bias, size_bias], -1)


class OwlDetector(nn.Module):
    """OWL-ViT B/32 at 768 px (objectness=False) or OWLv2 B/16 at 960 px (objectness=True)."""

    def __init__(self, image=768, patch=32, d=768, inter=3072, heads=12, layers=12, query_dim=512, objectness=False):
        super().__init__()
        grid = image // patch
        self.patch_embedding = nn.Conv2d(3, d, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(d))
        self.position_embedding = nn.Parameter(torch.randn(grid * grid + 1, d) * 0.02)
        self.pre, self.post, self.layer_norm = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.layers = nn.ModuleList(Layer(d, inter, heads) for _ in range(layers))
        self.class_head = ClassHead(d, query_dim)
        self.box_head = BoxHead(d, 4)
        self.objectness_head = BoxHead(d, 1) if objectness else None
        self.register_buffer("box_bias", box_bias(grid))

    def forward(self, px, queries):
        x = self.patch_embedding(px).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_embedding.expand(x.shape[0], 1, -1), x], 1) + self.position_embedding
        x = self.pre(x)
        for layer in self.layers:
            x = layer(x)
        x = self.post(x)
        feats = self.layer_norm(x[:, 1:] * x[:, :1])
        logits = self.class_head(feats, queries)
        boxes = torch.sigmoid(self.box_head(feats) + self.box_bias)
        objectness = self.objectness_head(feats)[..., 0] if self.objectness_head is not None else None
        return logits, boxes, objectness
