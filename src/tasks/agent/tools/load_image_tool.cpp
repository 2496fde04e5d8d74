#include <fmt/format.h>

#include "image/decode.h"
#include "tasks/agent/tools/tool_args.h"
#include "tasks/agent/tools/tools.h"
#include "util/base64.h"
#include "util/error.h"
#include "util/open_under_root.h"

namespace argus::tasks::agent {

namespace {

constexpr size_t kMaxImageBytes = 32u << 20;
constexpr int64_t kMaxImagePixels = 40'000'000;  // as the server's images

// The file `rel` names under the image root. Messages name the caller's own path, never
// the root: where the images lie on the host is not the caller's business.
std::vector<uint8_t> read_under_root(const std::string& root, const std::string& rel) {
  if (!rel.empty() && rel[0] == '/') fail("path \"{}\" must be relative to the image root", rel);
  RootedFile f = read_file_under_root(root, rel, kMaxImageBytes);
  using S = RootedFile::Status;
  switch (f.status) {
    case S::Ok: return std::move(f.bytes);
    case S::Outside: fail("path \"{}\" is outside the image root", rel);
    case S::Missing:
    case S::NotRegular: fail("there is no image file \"{}\"", rel);
    case S::TooLarge: fail("image file \"{}\" is over {} MiB", rel, kMaxImageBytes >> 20);
    case S::BadName: fail("path \"{}\" is not a valid file name", rel);
    default: fail("image file \"{}\" could not be read", rel);
  }
}

}  // namespace

Tool load_image_tool() {
  Tool t;
  t.name = "load_image";
  t.description = "Opens an image for the other tools: a file under the server's image root (path) or the bytes "
                  "of a PNG, JPEG or WebP file (data, base64). Returns its id and size.";
  t.parameters = object_schema(
      {{"path", {{"type", "string"}, {"description", "a file path relative to the image root"}, {"minLength", 1},
                 {"maxLength", 4096}}},
       {"data", {{"type", "string"}, {"description", "base64 of the image file's bytes"}, {"minLength", 1}}}},
      {});
  t.run = [](const nlohmann::json& args, ToolContext& ctx) {
    if (args.contains("path") == args.contains("data")) fail("load_image needs either a path or data (not both)");
    std::vector<uint8_t> bytes;
    if (args.contains("path")) {
      const auto& root = ctx.experts.paths().image_root;
      if (root.empty()) fail("reading files is disabled: start argus with --image-root DIR, or send the image as data");
      bytes = read_under_root(root, args["path"].get<std::string>());
    } else {
      bytes = util::base64_decode(args["data"].get<std::string>(), kMaxImageBytes);
    }
    image::DecodeLimits limits;
    limits.max_pixels = kMaxImagePixels;
    ToolResult out;
    image::Image img = image::decode_image(bytes.data(), bytes.size(), limits);
    const int w = img.width, h = img.height;
    // The caller has this image already: its id goes in the result, not the image again.
    const std::string id = ctx.images.add("image", std::move(img));
    out.data = {{"image", id}, {"width", w}, {"height", h}};
    out.text = fmt::format("{}: {}x{}", id, w, h);
    return out;
  };
  return t;
}

}  // namespace argus::tasks::agent
