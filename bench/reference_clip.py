"""CLIP ViT-B/32 in plain PyTorch eager: the reference graph argus is timed against.

Written for the benchmark (same layer structure as transformers' CLIPModel: pre-norm
blocks, quick_gelu, separate q/k/v projections), random weights.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.scale = heads, (d // heads) ** -0.5
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x, mask=None):
        b, l, d = x.shape
        split = lambda t: t.view(b, l, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        s = (q * self.scale) @ k.transpose(-1, -2)
        if mask is not None:
            s = s + mask
        o = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, l, d)
        return self.out_proj(o)


class Layer(nn.Module):
    def __init__(self, d, inter, heads):
        super().__init__()
        self.layer_norm1, self.layer_norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.self_attn = Attention(d, heads)
        self.fc1, self.fc2 = nn.Linear(d, inter), nn.Linear(inter, d)

    def forward(self, x, mask=None):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        h = self.fc1(self.layer_norm2(x))
        return x + self.fc2(h * torch.sigmoid(1.702 * h))


class Vision(nn.Module):
    def __init__(self, d=768, inter=3072, heads=12, layers=12, patch=32, image=224, proj=512):
        super().__init__()
        self.patch_embedding = nn.Conv2d(3, d, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(d))
        self.position_embedding = nn.Parameter(torch.randn((image // patch) ** 2 + 1, d) * 0.02)
        self.pre, self.post = nn.LayerNorm(d), nn.LayerNorm(d)
        self.layers = nn.ModuleList(Layer(d, inter, heads) for _ in range(layers))
        self.proj = nn.Linear(d, proj, bias=False)

    def embed(self, px):
        x = self.patch_embedding(px).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_embedding.expand(x.shape[0], 1, -1), x], 1) + self.position_embedding
        return self.pre(x)

    def forward(self, px):
        x = self.embed(px)
        for layer in self.layers:
            x = layer(x)
        e = self.proj(self.post(x[:, 0]))
        return e / e.norm(dim=-1, keepdim=True)


class Text(nn.Module):
    def __init__(self, d=512, inter=2048, heads=8, layers=12, vocab=49408, ctx=77, proj=512, eos=49407):
        super().__init__()
        self.eos = eos
        self.token_embedding = nn.Embedding(vocab, d)
        self.position_embedding = nn.Parameter(torch.randn(ctx, d) * 0.01)
        self.layers = nn.ModuleList(Layer(d, inter, heads) for _ in range(layers))
        self.final = nn.LayerNorm(d)
        self.proj = nn.Linear(d, proj, bias=False)
        self.register_buffer("mask", torch.full((ctx, ctx), float("-inf")).triu(1))

    def forward(self, ids):
        l = ids.shape[1]
        x = self.token_embedding(ids) + self.position_embedding[:l]
        for layer in self.layers:
            x = layer(x, self.mask[:l, :l])
        x = self.final(x)
        e = self.proj(x[torch.arange(ids.shape[0]), (ids == self.eos).int().argmax(-1)])
        return e / e.norm(dim=-1, keepdim=True)
