// A generated world's training split as the recipes consume it.
#pragma once
#include <string>
#include <vector>

#include "train/clip_trainer.h"
#include "train/llava_trainer.h"
#include "train/owl_trainer.h"
#include "train/sam_trainer.h"
#include "world/attributes.h"

namespace argus::train {

// The words world.json lists (every word of every generated text).
std::vector<std::string> world_vocabulary(const std::string& data_dir);

// What world_clip_data adds to the captions; each costs memory and start-up, so only
// when the recipe uses it.
struct ClipDataExtras {
  bool label_maps = false;      // the shapes' label maps, for token labelling
  bool hard_negatives = false;  // per caption, one shape word (picked by `seed`) changed to an absent shape
  uint64_t seed = 0;
};

// Images of DATA/train with their captions (the first `max_images`, 0: all) and the
// extras asked for.
CaptionedImages world_clip_data(const std::string& data_dir, int64_t max_images = 0, const ClipDataExtras& extras = {});

// `caption` with its shape word number `which` (counting shape names and their plurals,
// modulo their number) replaced by `replacement`, singular or plural as the word was; ""
// if the caption names no shape.
std::string replace_shape_word(const std::string& caption, size_t which, world::Shape replacement);

// The same images with LLaVA's data: captions for stage 1; for stage 2 the instruction
// conversations plus the VQA and POPE questions as short-answer turns; all of the text
// for the language model's pre-training.
LlavaData world_llava_data(const std::string& data_dir, int64_t max_images = 0);

// The same images with every object's visible mask and box (COCO instances).
MaskedImages world_sam_data(const std::string& data_dir, int64_t max_images = 0);

// The same images with every object's box for detection training. The class queries are
// the world's detection vocabulary (world_detection_queries); each object is described
// by its shape's and its colour-and-shape's query; the phrases are the referring
// expressions with their targets.
DetectionData world_owl_data(const std::string& data_dir, int64_t max_images = 0);

// "circle", …, then "red circle", …: the shape names (the COCO categories, in id order)
// followed by every colour-shape pair, open-set pairs included (they are never positive in
// training, but a detector must answer them).
std::vector<std::string> world_detection_queries();

// A single-turn question about one image, as training and evaluation ask it.
nlohmann::json image_question(const std::string& question);

}  // namespace argus::train
