#include "nn/load.h"

#include <map>
#include <set>
#include <sstream>

#include "nn/tensor_io.h"
#include "util/progress.h"
#include "util/error.h"

namespace argus::nn {

std::string shape_str(at::IntArrayRef s) {
  std::ostringstream o;
  o << s;
  return o.str();
}

namespace {

std::string list_some(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 5; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > 5) out += fmt::format(" (+{} more)", names.size() - 5);
  return out;
}

// One checkpoint tensor, read on demand (a memory-mapped view or an in-memory tensor).
struct Source {
  std::string key;
  std::function<at::Tensor()> read;
  size_t nbytes = 0;
  std::function<void()> done;  // after the copy: let go of the source's memory
};

void load_from(torch::nn::Module& module, const std::vector<Source>& sources, const std::string& what,
               const LoadOptions& opts) {
  std::map<std::string, at::Tensor> targets;
  for (const auto& p : module.named_parameters(true)) targets[p.key()] = p.value();
  for (const auto& b : module.named_buffers(true)) targets[b.key()] = b.value();

  std::set<std::string> filled;
  std::vector<std::string> unexpected;
  at::NoGradGuard no_grad;
  // Big checkpoints page in from disk for a while: show it (in MB).
  size_t total = 0;
  for (const auto& s : sources) total += s.nbytes;
  std::unique_ptr<Progress> progress;
  if (total > (512u << 20)) progress = std::make_unique<Progress>("loading " + what, static_cast<int64_t>(total >> 20));
  for (const auto& src_ref : sources) {
    const std::string& key = src_ref.key;
    if (key.rfind(opts.prefix, 0) != 0) continue;
    bool ignored = false;
    for (const auto& suf : opts.ignore_suffixes)
      ignored |= key.size() >= suf.size() && key.compare(key.size() - suf.size(), suf.size(), suf) == 0;
    if (ignored) continue;
    std::string name = key.substr(opts.prefix.size());
    if (opts.rename) name = opts.rename(name);
    auto it = targets.find(name);
    if (it == targets.end()) {
      unexpected.push_back(key);
      continue;
    }
    at::Tensor src = src_ref.read();
    at::Tensor& dst = it->second;
    if (src.sizes() != dst.sizes())
      fail("checkpoint tensor \"{}\" has shape {} but the model expects {} for \"{}\"", key, shape_str(src.sizes()),
           shape_str(dst.sizes()), name);
    if (!filled.insert(name).second) fail("two checkpoint tensors map to \"{}\" (the second is \"{}\")", name, key);
    dst.copy_(src);
    if (src_ref.done) src_ref.done();
    if (progress) progress->step(static_cast<int64_t>(src_ref.nbytes >> 20));
  }
  if (progress) progress->finish();
  if (!unexpected.empty())
    fail("checkpoint has {} tensor(s) the model does not use: {}", unexpected.size(), list_some(unexpected));
  std::vector<std::string> missing;
  for (const auto& [name, t] : targets)
    if (!filled.count(name)) missing.push_back(name);
  if (!missing.empty()) fail("checkpoint is missing {} tensor(s): {}", missing.size(), list_some(missing));
}

}  // namespace

void load_weights(torch::nn::Module& module, const io::Checkpoint& ck, const LoadOptions& opts) {
  std::vector<Source> sources;
  // Each tensor's mapped pages are dropped once copied, so loading a checkpoint never
  // holds it twice (mapped file + parameters) in resident memory.
  for (const auto& [key, ref] : ck.tensors())
    sources.push_back({key, [&ref = ref] { return view_tensor(ref); }, ref.entry->nbytes(),
                       [&ref = ref] { ref.file->mapping()->release(ref.entry->data, ref.entry->nbytes()); }});
  load_from(module, sources, ck.dir(), opts);
}

void load_weights(torch::nn::Module& module, const std::map<std::string, at::Tensor>& tensors, const LoadOptions& opts) {
  std::vector<Source> sources;
  for (const auto& [key, t] : tensors)
    sources.push_back({key, [&t = t] { return t; }, static_cast<size_t>(t.nbytes()), {}});
  load_from(module, sources, "weights", opts);
}

std::function<std::string(const std::string&)> rename_table(std::vector<std::pair<std::string, std::string>> subs) {
  return [subs = std::move(subs)](const std::string& key) {
    std::string k = key;
    for (const auto& [from, to] : subs) {
      auto pos = k.find(from);
      if (pos != std::string::npos) k.replace(pos, from.size(), to);
    }
    return k;
  };
}

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters(true)) n += p.numel();
  return n;
}

}  // namespace argus::nn
