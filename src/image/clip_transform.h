// OpenAI's clip._transform (open_clip's eval transform for resize_mode "shortest"), which
// is not transformers' CLIP processor: PIL bicubic resize of the short side to `size`
// (long side floored), a centre crop whose offsets are round((W - S) / 2) with Python's
// half-to-even rounding (transformers floors), then ToTensor's u8 / 255 and Normalize's
// (x - mean) / std, each a float32 step.
//
// Its RGB conversion comes after the crop, so an image with alpha (Image::alpha) is
// resized as RGBA, which PIL does premultiplied: RGBA -> "RGBa" (c * a / 255, rounded),
// resample all four channels, back to RGBA (c * 255 / a, floored and clamped; a of 0 or
// 255 left as is), then convert("RGB") drops the alpha. Transparent pixels therefore
// lend no colour to their neighbours and come out black where nothing opaque is near.
//
// `squash` is resize_mode "squash": the same resize straight to size x size, no crop (so
// nothing near the border is cut off; the world CLIP trains and serves with it).
#pragma once
#include <array>

#include "image/image.h"
#include "image/preprocess.h"

namespace argus::image {

PixelValues clip_transform(const Image& im, int size, const std::array<double, 3>& mean,
                           const std::array<double, 3>& std, bool squash = false);

// torchvision's center_crop offset for one axis: int(round((from - to) / 2)).
int clip_crop_offset(int from, int to);

}  // namespace argus::image
