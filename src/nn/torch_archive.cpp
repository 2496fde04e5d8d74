#include "nn/torch_archive.h"

#include <ATen/core/jit_type.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/api/compilation_unit.h>
#include <torch/csrc/jit/serialization/import_read.h>

#include "util/error.h"

namespace argus::nn {

namespace {

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::unique_ptr<caffe2::serialize::PyTorchStreamReader> open_zip(const std::string& path) {
  try {
    return std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
  } catch (const std::exception& e) {
    fail("{}: not a PyTorch zip archive ({})", path, first_line(e.what()));
  }
}

// LibTorch resolves the tensor/container globals itself and asks this for every other
// one: TorchScript module classes (`__torch__.*`) get an empty class whose attributes
// the object loader declares as it finds them.
struct Resolver {
  std::string path;
  std::shared_ptr<torch::jit::CompilationUnit> cu = std::make_shared<torch::jit::CompilationUnit>();

  c10::StrongTypePtr resolve(const c10::QualifiedName& name) {
    const std::string qn = name.qualifiedName();
    if (qn.rfind("__torch__.", 0) != 0)
      fail("{}: the pickle asks for the global {}; argus loads only tensors and plain containers and runs no code",
           path, qn);
    if (auto known = cu->get_class(name)) return c10::StrongTypePtr(cu, known);
    auto cls = c10::ClassType::create(name, cu, /*is_module=*/true);
    cu->register_type(cls);
    return c10::StrongTypePtr(cu, cls);
  }

  // BUILD of a module object: its state is the {attribute: value} dict the pickler wrote.
  c10::intrusive_ptr<c10::ivalue::Object> build(const c10::StrongTypePtr& type, c10::IValue state) {
    auto cls = type.type_->expect<c10::ClassType>();
    if (!state.isGenericDict()) fail("{}: {} has a {} for its state, not a dict", path, cls->repr_str(), state.tagKind());
    auto dict = state.toGenericDict();
    for (const auto& e : dict) {
      if (!e.key().isString()) fail("{}: {} has a non-string attribute name", path, cls->repr_str());
      cls->addOrCheckAttribute(e.key().toStringRef(), e.value().type());
    }
    auto obj = c10::ivalue::Object::create(type, cls->numAttributes());
    for (const auto& e : dict) obj->setAttr(e.key().toStringRef(), e.value());
    return obj;
  }
};

c10::IValue read_archive(const std::string& path, Resolver& r) {
  auto zip = open_zip(path);
  try {
    return torch::jit::readArchiveAndTensors(
        "data", "", "", [&r](const c10::QualifiedName& n) { return r.resolve(n); },
        [&r](const c10::StrongTypePtr& t, c10::IValue s) { return r.build(t, std::move(s)); }, at::Device(at::kCPU),
        *zip);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail("{}: not a readable PyTorch archive ({})", path, first_line(e.what()));
  }
}

void collect(const c10::IValue& v, const std::string& name, const std::string& path,
             std::map<std::string, at::Tensor>& out) {
  if (v.isTensor()) {
    out.emplace(name, v.toTensor());
  } else if (v.isObject()) {
    const auto obj = v.toObject();
    const auto cls = obj->type();
    for (size_t i = 0; i < cls->numAttributes(); ++i) {
      const std::string attr = cls->getAttributeName(i);
      const c10::IValue& a = obj->getSlot(i);
      if ((attr == "training" && a.isBool()) || a.isNone()) continue;  // nn.Module flags and empty slots
      collect(a, name.empty() ? attr : name + "." + attr, path, out);
    }
  } else {
    fail("{}: unexpected {} at \"{}\" in the module tree (expected tensors and submodules)", path, v.tagKind(), name);
  }
}

}  // namespace

bool is_torchscript_archive(const std::string& path) {
  try {
    caffe2::serialize::PyTorchStreamReader zip(path);
    for (const auto& rec : zip.getAllRecords())
      if (rec.rfind("code/", 0) == 0) return true;
  } catch (const std::exception&) {
  }
  return false;
}

std::map<std::string, at::Tensor> read_torchscript_tensors(const std::string& path) {
  Resolver r{path};
  c10::IValue root = read_archive(path, r);
  if (!root.isObject()) fail("{}: data.pkl holds a {}, not a TorchScript module", path, root.tagKind());
  std::map<std::string, at::Tensor> out;
  collect(root, "", path, out);
  if (out.empty()) fail("{}: the TorchScript module holds no tensors", path);
  return out;
}

}  // namespace argus::nn
