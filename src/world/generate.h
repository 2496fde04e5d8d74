// The dataset writer: three splits of synthetic scenes with their PNG images, COCO
// instances (RLE masks), captions, referring expressions, VQA, POPE and LLaVA
// instruction data, plus world.json (vocabulary, attribute lists, open-set pairs).
//
// DIR/world.json
// DIR/<split>/images/000000.png ...
// DIR/<split>/{instances,captions,refs,vqa,pope,llava_instruct}.json
//
// Output is a pure function of the seed and the split sizes: the same bytes for any
// thread count, and image k of a split (pixels, instances, text other than POPE's
// "popular" negatives, which follow the whole split's pair frequencies) does not
// depend on how many images the split has.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "world/instruct.h"
#include "world/refexp.h"
#include "world/scene.h"
#include "world/vqa.h"

namespace argus::world {

struct GenerateOptions {
  std::string out_dir;
  int64_t n_train = 1000;
  int64_t n_eval = -1;  // images in heldout and in openset; < 0: max(50, n_train / 10)
  uint64_t seed = 0;
  int threads = 0;      // <= 0: one per core
  // Called after each image is written (from one thread at a time).
  std::function<void(const std::string& split, int64_t done, int64_t total)> progress;
};

struct GenerateResult {
  std::map<std::string, int64_t> images;  // per split
  int64_t objects = 0;
  size_t vocabulary_size = 0;
};

GenerateResult generate(const GenerateOptions& options);

// Every text of one image, as generate writes it.
struct SceneText {
  std::vector<std::string> captions;
  std::vector<ReferringExpression> refs;
  std::vector<VqaItem> vqa;
  std::vector<PopeItem> pope;
  std::vector<InstructSample> instruct;
};
SceneText make_text(const Scene& scene, const PairCounts& popularity);

// The COCO "images" entry and "annotations" of one scene (masks from the render).
nlohmann::json coco_image(const Scene& scene);
nlohmann::json coco_annotations(const Scene& scene);

// Ids: annotations index*10 + object + 1; captions and refs index*10 + k;
// questions index*100 + k. Unique within a split, independent of its size.
int64_t annotation_id(int64_t image_index, int object);
std::string image_file_name(int64_t image_index);  // "images/000042.png"

}  // namespace argus::world
