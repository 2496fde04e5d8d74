#!/usr/bin/python3
# Regenerates the small decoder test images and the RGB bytes Pillow (Debian 12's
# python3-pil 9.4) decodes them to: <name>.rgb is Image.open(name).convert("RGB")
# as raw HWC bytes, and <name>.alpha, for the files PIL opens with an alpha channel, is
# that channel (open_clip's transform resizes with it). Run from this directory with
# /usr/bin/python3.
import io, struct, zlib
import numpy as np
from PIL import Image

rng = np.random.default_rng(7)
W, H = 16, 12
yy, xx = np.mgrid[0:H, 0:W]
base = np.dstack([xx * 15, yy * 20, (xx + yy) * 9]).astype(np.uint8)
base = np.clip(base.astype(int) + rng.integers(-20, 21, base.shape), 0, 255).astype(np.uint8)
alpha = rng.integers(0, 256, (H, W), dtype=np.uint8)


def save(name, data):
    open(name, "wb").write(data)
    rgb = np.array(Image.open(io.BytesIO(data)).convert("RGB"))
    open(name + ".rgb", "wb").write(rgb.tobytes())
    im = Image.open(io.BytesIO(data))
    if im.mode in ("RGBA", "LA"):
        open(name + ".alpha", "wb").write(np.array(im.getchannel("A")).tobytes())


def encoded(im, fmt, **kw):
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


save("cmyk.jpg", encoded(Image.fromarray(base).convert("CMYK"), "JPEG", quality=90))
save("gray.jpg", encoded(Image.fromarray(base).convert("L"), "JPEG", quality=90))
save("progressive.jpg", encoded(Image.fromarray(base), "JPEG", quality=90, progressive=True))
save("alpha.webp", encoded(Image.fromarray(np.dstack([base, alpha]), "RGBA"), "WEBP", quality=80))


# 16-bit RGBA, Adam7-interlaced PNG (Pillow cannot write one).
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)


px = rng.integers(0, 65536, (H, W, 4))
raw = b""
for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
    sub = px[y0::dy, x0::dx]
    if sub.size:
        for row in sub:
            raw += b"\x00" + b"".join(struct.pack(">H", int(v)) for v in row.reshape(-1))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 16, 6, 0, 0, 1)) +
       chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
save("rgba16_interlaced.png", png)
