"""LLaVA-1.5's image path in plain PyTorch eager, for the time-to-first-token
benchmark: CLIP ViT-L/14 at 336 px (features of the second-to-last layer, CLS
dropped), the mlp2x_gelu projector, then the Llama-shaped decoder's prefill over
the image features and the text tokens. Random weights; written for the benchmark.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from reference_clip import Vision
from reference_llama import Llama


class VisionTower(Vision):
    """CLIP's vision transformer up to vision_feature_layer -2: the last layer's output
    is never used, so that layer is not built or run."""

    def __init__(self, d=1024, inter=4096, heads=16, layers=24, patch=14, image=336):
        super().__init__(d, inter, heads, layers - 1, patch, image, proj=d)

    def forward(self, px):
        x = self.embed(px)
        for layer in self.layers:
            x = layer(x)
        return x[:, 1:]  # the "default" strategy drops CLS


class Llava(nn.Module):
    def __init__(self, text_config, v):
        super().__init__()
        vision_hidden = v["hidden_size"]
        self.vision = VisionTower(d=vision_hidden, inter=v["intermediate_size"], heads=v["num_attention_heads"],
                                  layers=v["num_hidden_layers"], patch=v["patch_size"], image=v["image_size"])
        d = text_config["hidden_size"]
        self.linear_1, self.linear_2 = nn.Linear(vision_hidden, d), nn.Linear(d, d)
        self.lm = Llama(text_config)

    def first_token(self, px, text_ids):
        feats = self.linear_2(F.gelu(self.linear_1(self.vision(px))))
        x = torch.cat([feats, self.lm.embed_tokens(text_ids)], 1)
        return self.lm.forward_embeds(x, self.lm.new_cache()).argmax(-1)
