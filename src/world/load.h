// Reading a generated split back (for trainers and evaluators), with validation:
// every structural problem is one argus::Error (a std::runtime_error) naming the
// file and the entry, instead of a crash or a silently wrong sample later.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "image/image.h"
#include "image/mask_rle.h"
#include "world/instruct.h"

namespace argus::world {

struct ImageRecord {
  int64_t id = 0;
  std::string file_name;  // relative to the split directory
  int width = 0, height = 0;
  std::string background;
};

struct AnnotationRecord {
  int64_t id = 0, image_id = 0;
  int category_id = 0;  // 1..8
  std::string shape, colour, size, texture;
  std::array<double, 4> bbox{};  // x, y, w, h of the visible mask
  int64_t area = 0;              // visible pixels
  image::MaskRle segmentation;
  double visible_fraction = 0;
  double cx = 0, cy = 0;
};

struct CaptionRecord {
  int64_t id = 0, image_id = 0;
  std::string caption;
};

struct RefRecord {
  int64_t ref_id = 0, image_id = 0, ann_id = 0;
  std::string sentence;
};

struct QuestionRecord {
  int64_t question_id = 0, image_id = 0;
  std::string image, question, answer;
  std::string type;  // vqa: the question type; pope: the pope_type
};

struct InstructRecord {
  std::string id, image, type;
  std::vector<Turn> conversations;
};

struct WorldSplit {
  std::string dir;
  std::vector<ImageRecord> images;
  std::vector<AnnotationRecord> annotations;
  std::vector<CaptionRecord> captions;
  std::vector<RefRecord> refs;
  std::vector<QuestionRecord> vqa, pope;
  std::vector<InstructRecord> instruct;

  std::string image_path(const ImageRecord& im) const;  // dir + "/" + file_name
  const ImageRecord& image(int64_t id) const;             // an unknown id is an error
  std::vector<const AnnotationRecord*> annotations_of(int64_t image_id) const;

  std::map<int64_t, size_t> image_index;  // image id -> position in `images`
};

// Reads DIR/{instances,captions,refs,vqa,pope,llava_instruct}.json. Checks: each
// file present and valid JSON, required fields present with the right types,
// attribute names known, ids unique and references resolvable, boxes and centres
// inside their image, RLE masks of the image's size whose pixel count is the area,
// and each instruction sample's conversation alternating human/gpt with exactly one
// "<image>", at the start of the first human turn. Image files are not opened.
WorldSplit load_split(const std::string& dir);

// The 0/1 mask of an annotation (row-major [height, width]).
image::GrayImage decode_mask(const AnnotationRecord& ann);

}  // namespace argus::world
