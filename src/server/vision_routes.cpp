// /v1/classify, /v1/detect, /v1/segment, /v1/ground: the CLI's JSON over HTTP.
// Images are request image references (data: URIs, allowed paths or URLs).
#include <algorithm>
#include <climits>

#include <fmt/format.h>

#include "server/routes.h"
#include "tasks/classify.h"
#include "tasks/ground/grounder.h"
#include "tasks/ground/phrases.h"
#include "tasks/segment/everything.h"
#include "tasks/segment/prompt_masks.h"

namespace argus::server {

namespace {

namespace seg = tasks::segment;

image::Image body_image(Context& ctx, const nlohmann::json& body, const char* key = "image") {
  return load_request_image(req_string(body, key), ctx.images, key);
}

std::vector<double> numbers(const nlohmann::json& v, const std::string& where) {
  if (!v.is_array()) bad_request(where + " must be an array of numbers", where);
  std::vector<double> out;
  for (const auto& x : v) {
    if (!x.is_number()) bad_request(where + " must be an array of numbers", where);
    out.push_back(x.get<double>());
  }
  return out;
}

tasks::DetectOptions detect_options(const nlohmann::json& body) {
  tasks::DetectOptions o;
  if (auto t = opt_number(body, "threshold")) o.threshold = *t;
  o.text_threshold = opt_number(body, "text_threshold").value_or(o.text_threshold);
  auto nms = body.find("nms");
  if (nms != body.end() && nms->is_string() && *nms == "none")
    o.nms_iou = -1;
  else if (auto v = opt_number(body, "nms"))
    o.nms_iou = *v;
  o.class_agnostic = opt_bool(body, "class_agnostic").value_or(false);
  o.top_k = opt_int(body, "top_k");
  as_bad_request([&] { tasks::check_detect_options(o); });
  return o;
}

}  // namespace

nlohmann::json classify_route(Context& ctx, const nlohmann::json& body) {
  check_known_keys(body, {"model", "image", "labels", "template"});
  const std::string model = ctx.model_name(body, Role::Embed);
  auto labels = string_or_list(body, "labels");
  const std::string text_template = opt_string(body, "template").value_or("{}");
  as_bad_request([&] { tasks::check_classify_request(labels, text_template); });
  image::Image im = body_image(ctx, body);
  auto lease = ctx.pool.acquire(model, Role::Embed, ctx.deadline());
  auto r = as_bad_request([&] { return tasks::classify(*lease->embed, im, labels, text_template); });
  return {{"labels", r.labels}, {"logits", r.logits}, {"probs", r.probs}};
}

nlohmann::json detect_route(Context& ctx, const nlohmann::json& body) {
  check_known_keys(body, {"model", "image", "queries", "exemplars", "threshold", "text_threshold", "nms",
                          "class_agnostic", "top_k"});
  const std::string model = ctx.model_name(body, Role::Detect);
  auto queries = string_or_list(body, "queries");
  auto ex = body.find("exemplars");
  const bool has_exemplars = ex != body.end() && !ex->is_null();
  if (has_exemplars && !ex->is_array()) bad_request("'exemplars' must be an array of {image, box}", "exemplars");
  // The task's bounds and option rules, before any image is decoded or the model loaded.
  as_bad_request([&] { tasks::check_query_counts(queries.size(), has_exemplars ? ex->size() : 0); });
  auto opts = detect_options(body);
  std::vector<tasks::Exemplar> exemplars;
  if (has_exemplars) {
    for (size_t i = 0; i < ex->size(); ++i) {
      const auto& e = (*ex)[i];
      const std::string where = fmt::format("exemplars[{}]", i);
      if (!e.is_object() || !e.contains("box")) bad_request(where + " must be {\"image\": ..., \"box\": [x0,y0,x1,y1]}", where);
      auto b = numbers(e["box"], where + ".box");
      if (b.size() != 4) bad_request(where + ".box must have 4 numbers", where + ".box");
      tasks::Exemplar x;
      x.image = load_request_image(req_string(e, "image"), ctx.images, where + ".image");
      for (int k = 0; k < 4; ++k) x.box[static_cast<size_t>(k)] = static_cast<float>(b[static_cast<size_t>(k)]);
      x.label = fmt::format("exemplar {}", i);
      exemplars.push_back(std::move(x));
    }
  }
  image::Image im = body_image(ctx, body);
  auto lease = ctx.pool.acquire(model, Role::Detect, ctx.deadline());
  auto r = as_bad_request([&] { return lease->detect->detect(im, queries, exemplars, opts); });
  nlohmann::json out = tasks::to_json(r);
  if (!r.warnings.empty()) out["warnings"] = r.warnings;
  return out;
}

nlohmann::json segment_route(Context& ctx, const nlohmann::json& body) {
  check_known_keys(body, {"model", "image", "points", "box", "multimask", "everything"});
  const std::string model = ctx.model_name(body, Role::Segment);
  // The prompt is parsed and its bounds checked before the image is decoded or the
  // model loaded.
  seg::Prompt prompt;
  if (auto pts = body.find("points"); pts != body.end() && !pts->is_null()) {
    if (!pts->is_array()) bad_request("'points' must be an array of [x, y] or [x, y, label]", "points");
    as_bad_request([&] { seg::check_point_count(pts->size()); });
    for (size_t i = 0; i < pts->size(); ++i) {
      auto v = numbers((*pts)[i], fmt::format("points[{}]", i));
      if (v.size() != 2 && v.size() != 3) bad_request("each point is [x, y] or [x, y, label]", "points");
      prompt.points.push_back({v[0], v[1], v.size() == 3 ? static_cast<int>(v[2]) : 1});
      if (v.size() == 3 && v[2] != 0 && v[2] != 1) bad_request("point labels are 1 (foreground) or 0 (background)", "points");
    }
  }
  if (auto b = body.find("box"); b != body.end() && !b->is_null()) {
    auto v = numbers(*b, "box");
    if (v.size() != 4) bad_request("'box' must be [x0, y0, x1, y1]", "box");
    prompt.box = seg::Box{v[0], v[1], v[2], v[3]};
  }
  // everything: true, or an object of segment-everything options.
  auto ev = body.find("everything");
  const bool everything = ev != body.end() && ((ev->is_boolean() && ev->get<bool>()) || ev->is_object());
  seg::EverythingOptions o;
  if (everything) {
    if (!prompt.points.empty() || prompt.box) bad_request("'everything' takes no points or box", "everything");
    if (ev->is_object()) {
      check_known_keys(*ev, {"points_per_side", "pred_iou_thresh", "stability_thresh", "box_nms_thresh", "min_area"});
      const int64_t side = opt_int(*ev, "points_per_side").value_or(o.points_per_side);
      o.points_per_side = static_cast<int>(std::clamp<int64_t>(side, INT_MIN, INT_MAX));
      o.pred_iou_thresh = opt_number(*ev, "pred_iou_thresh").value_or(o.pred_iou_thresh);
      o.stability_score_thresh = opt_number(*ev, "stability_thresh").value_or(o.stability_score_thresh);
      o.box_nms_thresh = opt_number(*ev, "box_nms_thresh").value_or(o.box_nms_thresh);
      o.min_mask_region_area = opt_int(*ev, "min_area").value_or(0);
    }
    as_bad_request([&] { seg::check_everything_options(o); });
  } else if (prompt.points.empty() && !prompt.box) {
    bad_request("give 'points' and/or 'box', or 'everything': true", "points");
  }
  ImagePolicy policy = ctx.images;
  policy.max_pixels = std::min<int64_t>(policy.max_pixels, seg::kMaxSegmentPixels);
  image::Image im = load_request_image(req_string(body, "image"), policy, "image");
  auto lease = ctx.pool.acquire(model, Role::Segment, ctx.deadline());
  if (everything) {
    auto masks = as_bad_request([&] { return seg::segment_everything(*lease->segment, im, o); });
    return seg::masks_json(im.height, im.width, masks);
  }
  std::vector<std::string> notes;
  const int64_t hits_before = lease->segment->cache_hits();
  auto masks = as_bad_request([&] {
    return seg::segment_prompt(*lease->segment, im, prompt, opt_bool(body, "multimask").value_or(false), nullptr,
                               &notes);
  });
  nlohmann::json out = seg::masks_json(im.height, im.width, masks);
  // Clicks on the same image reuse its embedding: say so, clients can show it.
  out["embedding_cached"] = lease->segment->cache_hits() > hits_before;
  if (!notes.empty()) out["notes"] = notes;
  return out;
}

nlohmann::json ground_route(Context& ctx, const nlohmann::json& body) {
  check_known_keys(body, {"detector", "segmenter", "image", "phrases", "threshold", "text_threshold", "nms",
                          "class_agnostic", "top_k"});
  const std::string phrases = req_string(body, "phrases");
  auto opts = detect_options(body);
  auto queries = as_bad_request([&] {
    auto q = tasks::split_phrases(phrases);
    tasks::check_query_counts(q.size(), 0);
    return q;
  });
  image::Image im = body_image(ctx, body);
  // One model at a time: detect first, then segment, so two requests never deadlock
  // holding one model each.
  tasks::DetectResult det;
  {
    auto d = ctx.pool.acquire(ctx.model_name(body, Role::Detect, "detector"), Role::Detect, ctx.deadline(), "detector");
    det = as_bad_request([&] { return d->detect->detect(im, queries, {}, opts); });
  }
  auto s = ctx.pool.acquire(ctx.model_name(body, Role::Segment, "segmenter"), Role::Segment, ctx.deadline(), "segmenter");
  auto r = as_bad_request([&] { return tasks::segment_detections(*s->segment, im, det); });
  return tasks::to_json(r);
}

}  // namespace argus::server
