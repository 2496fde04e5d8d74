// Argument parsing and output helpers shared by `detect` and `ground`.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "image/image.h"
#include "tasks/detect/detector.h"

namespace argus::cli {

// "PATH:X0,Y0,X1,Y1" (split at the last ':') -> the decoded exemplar image and its box.
tasks::Exemplar parse_exemplar(const std::string& spec);
// --nms is an IoU in [0, 1) or "none"; the other values' rules are the task's
// (tasks::check_detect_options), so detect, ground and the server agree.
// The filtering flags detect and ground share, as given on the command line.
struct DetectFlags {
  double threshold = 0;  // used only when given (threshold_flag): else the detector's default
  double text_threshold = 0.25;
  std::string nms;  // empty: the detector's default (0.3; DETR: none)
  bool class_agnostic = false;
  int64_t top_k = 0;     // used only when given (top_k_flag): else all
  const CLI::Option* threshold_flag = nullptr;
  const CLI::Option* top_k_flag = nullptr;
};
// --threshold, --text-threshold, --nms, --class-agnostic, --top-k.
void add_detect_flags(CLI::App* cmd, DetectFlags& f);
// Checks them (clear errors) into the task's options.
tasks::DetectOptions parse_detect_options(const DetectFlags& f);
// "argus: warning: ..." lines on stderr.
void print_warnings(const std::vector<std::string>& warnings);

}  // namespace argus::cli
