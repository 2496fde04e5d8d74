// The models behind the agent's tools, opened on first use (an MCP client that only
// detects never pays for loading the VLM) and kept for the session. Which checkpoint
// each expert uses is the front end's choice (--detector, --segmenter, ...); an expert
// left unconfigured takes its tools off the list.
#pragma once
#include <memory>
#include <string>

#include "engine/dual_encoder.h"
#include "tasks/chat/chat_model.h"
#include "tasks/detect/detector.h"
#include "tasks/ground/referring_segmenter.h"
#include "tasks/image_index.h"
#include "tasks/segment/segmenter.h"
#include "text/chat_template.h"

namespace argus::tasks::agent {

enum class Expert { None, Clip, Detector, Segmenter, RefSeg, Vlm, Index, ImageRoot };

struct ExpertPaths {
  std::string clip, detector, segmenter, refseg, vlm, vlm_template, index;
  std::string image_root;  // load_image reads files under it (canonical); "" = no file access
};

class Experts {
 public:
  explicit Experts(ExpertPaths paths) : paths_(std::move(paths)) {}

  bool configured(Expert e) const;
  const ExpertPaths& paths() const { return paths_; }

  engine::DualEncoder& clip();
  Detector& detector();
  segment::Segmenter& segmenter();
  ReferringSegmenter& refseg();
  ChatModel& vlm();
  const text::ChatTemplate& vlm_template();
  ImageIndex& index();

 private:
  ExpertPaths paths_;
  std::unique_ptr<engine::DualEncoder> clip_;
  std::unique_ptr<Detector> detector_;
  std::unique_ptr<segment::Segmenter> segmenter_;
  std::unique_ptr<ReferringSegmenter> refseg_;
  std::unique_ptr<ChatModel> vlm_;
  std::unique_ptr<text::ChatTemplate> vlm_template_;
  std::unique_ptr<ImageIndex> index_;
};

}  // namespace argus::tasks::agent
