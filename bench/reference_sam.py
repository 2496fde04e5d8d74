"""SAM ViT-B image encoder in plain PyTorch eager: the reference graph argus is timed against.

Written for the benchmark with the structure of segment-anything's ImageEncoderViT and
transformers' SamVisionEncoder: 16x16 patch embedding, absolute position embedding,
12 pre-norm blocks with 14x14 windowed attention (global at blocks 2, 5, 8, 11) and
decomposed relative position terms, then the conv neck to 256 channels. Random weights.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def rel_pos_table(q_size, k_size, table):
    # Relative position embeddings for every (query, key) pair along one axis;
    # the table already has 2 * size - 1 rows at the real sizes, so no resampling.
    q = torch.arange(q_size)[:, None] * max(k_size / q_size, 1.0)
    k = torch.arange(k_size)[None, :] * max(q_size / k_size, 1.0)
    idx = (q - k) + (k_size - 1) * max(q_size / k_size, 1.0)
    return table[idx.long()]


class Attention(nn.Module):
    def __init__(self, dim, heads, size):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.qkv, self.proj = nn.Linear(dim, dim * 3), nn.Linear(dim, dim)
        hd = dim // heads
        self.rel_pos_h = nn.Parameter(torch.randn(2 * size - 1, hd) * 0.02)
        self.rel_pos_w = nn.Parameter(torch.randn(2 * size - 1, hd) * 0.02)

    def forward(self, x):
        b, h, w, c = x.shape
        qkv = self.qkv(x).reshape(b, h * w, 3, self.heads, -1).permute(2, 0, 3, 1, 4).reshape(3, b * self.heads, h * w, -1)
        q, k, v = qkv.unbind(0)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        rh, rw = rel_pos_table(h, h, self.rel_pos_h), rel_pos_table(w, w, self.rel_pos_w)
        rq = q.reshape(b * self.heads, h, w, -1)
        bias_h = torch.einsum("bhwc,hkc->bhwk", rq, rh)
        bias_w = torch.einsum("bhwc,wkc->bhwk", rq, rw)
        attn = (attn.view(b * self.heads, h, w, h, w) + bias_h[:, :, :, :, None] + bias_w[:, :, :, None, :])
        attn = attn.view(b * self.heads, h * w, h * w).softmax(-1)
        x = (attn @ v).view(b, self.heads, h, w, -1).permute(0, 2, 3, 1, 4).reshape(b, h, w, -1)
        return self.proj(x)


class Block(nn.Module):
    def __init__(self, dim, heads, mlp, window, grid):
        super().__init__()
        self.window = window
        self.layer_norm1, self.layer_norm2 = nn.LayerNorm(dim, eps=1e-6), nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads, window if window else grid)
        self.lin1, self.lin2 = nn.Linear(dim, mlp), nn.Linear(mlp, dim)

    def forward(self, x):
        shortcut = x
        x = self.layer_norm1(x)
        if self.window:
            b, h, w, c = x.shape
            s = self.window
            ph, pw = (s - h % s) % s, (s - w % s) % s
            x = F.pad(x, (0, 0, 0, pw, 0, ph))
            hp, wp = h + ph, w + pw
            x = x.view(b, hp // s, s, wp // s, s, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, s, s, c)
            x = self.attn(x)
            x = x.view(b, hp // s, wp // s, s, s, c).permute(0, 1, 3, 2, 4, 5).reshape(b, hp, wp, c)[:, :h, :w]
        else:
            x = self.attn(x)
        x = shortcut + x
        return x + self.lin2(F.gelu(self.lin1(self.layer_norm2(x))))


class LayerNorm2d(nn.Module):
    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.weight, self.bias, self.eps = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c)), eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class ImageEncoder(nn.Module):
    def __init__(self, dim=768, depth=12, heads=12, mlp=3072, out=256, image=1024, patch=16, window=14,
                 global_blocks=(2, 5, 8, 11)):
        super().__init__()
        grid = image // patch
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.pos_embed = nn.Parameter(torch.randn(1, grid, grid, dim) * 0.02)
        self.blocks = nn.ModuleList(
            Block(dim, heads, mlp, 0 if i in global_blocks else window, grid) for i in range(depth))
        self.neck = nn.Sequential(nn.Conv2d(dim, out, 1, bias=False), LayerNorm2d(out),
                                  nn.Conv2d(out, out, 3, padding=1, bias=False), LayerNorm2d(out))

    def forward(self, px):
        x = self.patch_embed(px).permute(0, 2, 3, 1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return self.neck(x.permute(0, 3, 1, 2))


if __name__ == "__main__":
    with torch.inference_mode():
        print(ImageEncoder().eval()(torch.randn(1, 3, 1024, 1024)).shape)
