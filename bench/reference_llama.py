"""A Llama-shaped decoder in plain PyTorch eager: the reference graph argus's LLM is
timed against. Written for the benchmark (same structure as transformers'
LlamaForCausalLM: RMSNorm, rotary embeddings, grouped-query attention with a KV
cache, SiLU-gated MLP), random weights.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class RmsNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(d)), eps

    def forward(self, x):
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * h.to(x.dtype)


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.h, self.kv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = c.get("head_dim", d // self.h)
        self.q_proj = nn.Linear(d, self.h * self.hd, bias=False)
        self.k_proj = nn.Linear(d, self.kv * self.hd, bias=False)
        self.v_proj = nn.Linear(d, self.kv * self.hd, bias=False)
        self.o_proj = nn.Linear(self.h * self.hd, d, bias=False)

    def forward(self, x, cos, sin, cache):
        b, l, _ = x.shape
        q = self.q_proj(x).view(b, l, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, l, self.kv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, l, self.kv, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if cache:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        cache[:] = [k, v]
        rep = self.h // self.kv
        k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd)
        t = k.shape[2]
        if l > 1:
            mask = torch.full((l, t), float("-inf")).triu(t - l + 1)
            s = s + mask
        o = (s.float().softmax(-1).to(q.dtype) @ v).transpose(1, 2).reshape(b, l, -1)
        return self.o_proj(o)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, i = c["hidden_size"], c["intermediate_size"]
        self.input_layernorm = RmsNorm(d, c["rms_norm_eps"])
        self.post_attention_layernorm = RmsNorm(d, c["rms_norm_eps"])
        self.self_attn = Attention(c)
        self.gate_proj, self.up_proj, self.down_proj = nn.Linear(d, i, bias=False), nn.Linear(d, i, bias=False), nn.Linear(i, d, bias=False)

    def forward(self, x, cos, sin, cache):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, cache)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d = c["hidden_size"]
        self.embed_tokens = nn.Embedding(c["vocab_size"], d)
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RmsNorm(d, c["rms_norm_eps"])
        self.lm_head = nn.Linear(d, c["vocab_size"], bias=False)
        if c.get("tie_word_embeddings"):
            self.lm_head.weight = self.embed_tokens.weight
        hd = c.get("head_dim", d // c["num_attention_heads"])
        theta = c.get("rope_theta", 10000.0)
        self.inv_freq = 1.0 / theta ** (torch.arange(0, hd, 2).float() / hd)

    def new_cache(self):
        return [[] for _ in self.layers]

    def forward(self, ids, caches):
        return self.forward_embeds(self.embed_tokens(ids), caches)

    def forward_embeds(self, x, caches):
        past = caches[0][0].shape[2] if caches[0] else 0
        pos = torch.arange(past, past + x.shape[1]).float()
        f = torch.outer(pos, self.inv_freq)
        emb = torch.cat((f, f), -1)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        for layer, cache in zip(self.layers, caches):
            x = layer(x, cos, sin, cache)
        return self.lm_head(self.norm(x[:, -1:]))
