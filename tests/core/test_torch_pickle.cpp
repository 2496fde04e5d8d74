// io/torch_pickle: the state-dict pickle subset is read, everything else refused by name.
#include <gtest/gtest.h>

#include <string>

#include "io/torch_pickle.h"
#include "util/error.h"

using namespace argus::io::pickle;
using namespace std::string_literals;

namespace {

Document parse_bytes(const std::string& b) { return parse(reinterpret_cast<const uint8_t*>(b.data()), b.size(), "t.pkl"); }

std::string error_of(const std::string& b) {
  try {
    parse_bytes(b);
  } catch (const argus::Error& e) {
    return e.what();
  }
  return "";
}

std::string str(const std::string& s) { return "X" + std::string(1, char(s.size())) + std::string(3, '\0') + s; }

// OrderedDict({"w": _rebuild_tensor_v2(storage "0" (HalfStorage, 6 values), 1, (2, 2), (2, 1), False, OrderedDict())})
std::string state_dict_pickle() {
  std::string p = "\x80\x02" "ccollections\nOrderedDict\nq\x00)Rq\x01("s + str("w");
  p += "ctorch._utils\n_rebuild_tensor_v2\n(" "(" + str("storage") + "ctorch\nHalfStorage\n" + str("0") + str("cpu");
  p += "K\x06tQK\x01K\x02K\x02\x86K\x02K\x01\x86\x89h\x00)Rtq\x02R" "u}"s + str("_metadata") + "}sb.";
  return p;
}

}  // namespace

TEST(TorchPickle, ReadsAStateDictOfTensorViews) {
  Document doc = parse_bytes(state_dict_pickle());
  ASSERT_EQ(doc.root->kind, Value::Kind::Dict);
  ASSERT_EQ(doc.root->entries.size(), 1u);
  EXPECT_EQ(doc.root->entries[0].first->s, "w");
  const Value& t = *doc.root->entries[0].second;
  ASSERT_EQ(t.kind, Value::Kind::Tensor);
  EXPECT_EQ(t.tensor.key, "0");
  EXPECT_EQ(t.tensor.storage_type, "HalfStorage");
  EXPECT_EQ(t.tensor.storage_numel, 6);
  EXPECT_EQ(t.tensor.offset, 1);
  EXPECT_EQ(t.tensor.sizes, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(t.tensor.strides, (std::vector<int64_t>{2, 1}));
}

TEST(TorchPickle, OtherGlobalsAreRefusedByName) {
  EXPECT_NE(error_of("\x80\x02" "cos\nsystem\n" + str("ls") + "\x85R."s).find("the global os.system"), std::string::npos);
  // STACK_GLOBAL (protocol 4) names are checked the same way.
  EXPECT_NE(error_of("\x80\x04\x8c\x08" "builtins\x8c\x04" "eval\x93."s).find("builtins.eval"), std::string::npos);
}

TEST(TorchPickle, MalformedPicklesAreOneLineErrors) {
  const std::string good = state_dict_pickle();
  for (const std::string& bad : {good.substr(0, good.size() / 2), std::string("\x80\x02h\x05."), std::string("\x80\x02u."),
                                 std::string("\x80\x02\xff."), std::string(".")}) {
    std::string err = error_of(bad);
    EXPECT_NE(err.find("t.pkl"), std::string::npos) << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  }
}

TEST(TorchPickle, AListHoldingItselfIsFreedWithTheDocument) {
  // ] q0 h0 a . : a list appended to itself through the memo (a cycle with owning pointers).
  Document doc = parse_bytes("\x80\x02]q\x00h\x00" "a."s);
  ASSERT_EQ(doc.root->kind, Value::Kind::List);
  EXPECT_EQ(doc.root->items.at(0), doc.root);
}
