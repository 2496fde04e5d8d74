// An image-text contrastive model (CLIP, open_clip/OpenAI CLIP or SigLIP) with its tokenizer and image
// processor: the one object that embed, classify and retrieval use.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "image/image.h"
#include "image/preprocess.h"
#include "image/processor_config.h"

namespace argus::engine {

class DualEncoder {
 public:
  // Loads a checkpoint directory; unknown or non-contrastive model types are errors.
  static std::unique_ptr<DualEncoder> open(const std::string& dir);
  virtual ~DualEncoder() = default;

  // Projected, L2-normalised embeddings, one row per input.
  at::Tensor embed_images(const std::vector<image::Image>& images);
  at::Tensor embed_texts(const std::vector<std::string>& texts);
  // logits_per_image [images, texts] as the model defines them.
  virtual at::Tensor logits(const at::Tensor& image_embeds, const at::Tensor& text_embeds) = 0;
  // CLIP ranks labels with a softmax; SigLIP scores each with a sigmoid.
  virtual bool sigmoid_scores() const = 0;
  const std::string& family() const { return family_; }
  const std::string& dir() const { return dir_; }
  // Identifies the weights, so an index built with one model refuses another.
  virtual std::string fingerprint() const;

 protected:
  struct Tokens {
    at::Tensor ids, mask;  // mask undefined when the model attends to padding
  };
  virtual at::Tensor image_forward(const at::Tensor& pixel_values) = 0;
  virtual at::Tensor text_forward(const Tokens& tokens) = 0;
  virtual Tokens tokenize(const std::vector<std::string>& texts) = 0;
  // The model's image processor (preprocessor_config.json unless a family has its own).
  virtual image::PixelValues preprocess(const image::Image& im) const;

  std::string family_, dir_;
  image::ImageProcessorConfig preprocessor_;
};

}  // namespace argus::engine
