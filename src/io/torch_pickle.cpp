#include "io/torch_pickle.h"

#include <cstring>
#include <map>
#include <set>

#include "util/error.h"

namespace argus::io::pickle {

const char* kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::None: return "None";
    case Value::Kind::Bool: return "bool";
    case Value::Kind::Int: return "int";
    case Value::Kind::Float: return "float";
    case Value::Kind::String: return "str";
    case Value::Kind::Tuple: return "tuple";
    case Value::Kind::List: return "list";
    case Value::Kind::Dict: return "dict";
    case Value::Kind::Global: return "global";
    case Value::Kind::Storage: return "storage";
    case Value::Kind::Tensor: return "tensor";
  }
  return "?";
}

namespace {

const std::set<std::string>& allowed_globals() {
  static const std::set<std::string> g = {
      "collections.OrderedDict",     "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
      "torch.FloatStorage",          "torch.DoubleStorage",             "torch.HalfStorage",
      "torch.BFloat16Storage",       "torch.LongStorage",               "torch.IntStorage",
      "torch.ShortStorage",          "torch.CharStorage",               "torch.ByteStorage",
      "torch.BoolStorage"};
  return g;
}

class Machine {
 public:
  Machine(const uint8_t* data, size_t size, std::string what) : p_(data), end_(data + size), what_(std::move(what)) {}

  Document run() {
    for (;;) {
      const uint8_t op = byte();
      switch (op) {
        case 0x80: byte(); break;                // PROTO
        case 0x95: bytes(8); break;              // FRAME: a length hint only
        case '.':                                // STOP
          doc_.root = pop();
          return std::move(doc_);
        case '(': marks_.push_back(stack_.size()); break;
        case '}': push(make(Value::Kind::Dict)); break;
        case ']': push(make(Value::Kind::List)); break;
        case ')': push(make(Value::Kind::Tuple)); break;
        case 't': push(tuple(pop_mark())); break;
        case 0x85: case 0x86: case 0x87: {       // TUPLE1..3
          const size_t n = op - 0x84u;
          need(n);
          std::vector<ValuePtr> items(stack_.end() - static_cast<long>(n), stack_.end());
          stack_.resize(stack_.size() - n);
          push(tuple(std::move(items)));
          break;
        }
        case 'X': push(string(uint_le(4))); break;      // BINUNICODE
        case 0x8c: push(string(uint_le(1))); break;     // SHORT_BINUNICODE
        case 0x8d: push(string(uint_le(8))); break;     // BINUNICODE8
        case 'J': push(integer(static_cast<int32_t>(uint_le(4)))); break;
        case 'K': push(integer(static_cast<int64_t>(uint_le(1)))); break;
        case 'M': push(integer(static_cast<int64_t>(uint_le(2)))); break;
        case 0x8a: push(integer(long1(uint_le(1)))); break;
        case 'G': push(binfloat()); break;
        case 'N': push(make(Value::Kind::None)); break;
        case 0x88: case 0x89: {
          auto v = make(Value::Kind::Bool);
          v->i = op == 0x88;
          push(v);
          break;
        }
        case 'q': memo_[uint_le(1)] = top(); break;     // BINPUT
        case 'r': memo_[uint_le(4)] = top(); break;     // LONG_BINPUT
        case 0x94: memo_[memo_.size()] = top(); break;  // MEMOIZE
        case 'h': push(get(uint_le(1))); break;         // BINGET
        case 'j': push(get(uint_le(4))); break;         // LONG_BINGET
        case 'c': {                                     // GLOBAL "module\nname\n"
          std::string module = line(), name = line();
          push(global(module + "." + name));
          break;
        }
        case 0x93: {                                    // STACK_GLOBAL
          ValuePtr name = pop(), module = pop();
          if (module->kind != Value::Kind::String || name->kind != Value::Kind::String)
            fail("{}: STACK_GLOBAL without two strings", what_);
          push(global(module->s + "." + name->s));
          break;
        }
        case 'R': {                                     // REDUCE
          ValuePtr args = pop(), fn = pop();
          push(reduce(*fn, *args));
          break;
        }
        case 'Q': push(persistent(*pop())); break;      // BINPERSID
        case 's': {
          ValuePtr v = pop(), k = pop();
          dict_at_top().entries.emplace_back(k, v);
          break;
        }
        case 'u': {
          auto items = pop_mark();
          if (items.size() % 2) fail("{}: SETITEMS with an odd number of items", what_);
          Value& d = dict_at_top();
          for (size_t i = 0; i < items.size(); i += 2) d.entries.emplace_back(items[i], items[i + 1]);
          break;
        }
        case 'a': {
          ValuePtr v = pop();
          list_at_top().items.push_back(v);
          break;
        }
        case 'e': {
          auto items = pop_mark();
          Value& l = list_at_top();
          l.items.insert(l.items.end(), items.begin(), items.end());
          break;
        }
        case 'b': {  // BUILD: only a state dict's attributes (its _metadata dict) are expected
          ValuePtr state = pop();
          if (top()->kind != Value::Kind::Dict || state->kind != Value::Kind::Dict)
            fail("{}: BUILD of a {} from a {} (only a state dict's attributes are expected)", what_,
                 kind_name(top()->kind), kind_name(state->kind));
          break;  // the attributes (layer versions) do not change the tensors
        }
        default: fail("{}: pickle opcode 0x{:02x} is not one torch.save writes for a state dict", what_, op);
      }
    }
  }

 private:
  ValuePtr make(Value::Kind k) {
    // A state dict needs a few values per tensor; this bounds what a hostile file can allocate.
    if (doc_.values.size() >= (size_t{1} << 21)) fail("{}: the pickle builds more than 2M values", what_);
    doc_.values.push_back(std::make_unique<Value>());
    doc_.values.back()->kind = k;
    return doc_.values.back().get();
  }
  uint8_t byte() {
    if (p_ >= end_) fail("{}: the pickle ends early (truncated?)", what_);
    return *p_++;
  }
  const uint8_t* bytes(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) fail("{}: the pickle ends early (truncated?)", what_);
    const uint8_t* at = p_;
    p_ += n;
    return at;
  }
  uint64_t uint_le(size_t n) {
    const uint8_t* b = bytes(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(b[i]) << (8 * i);
    return v;
  }
  int64_t long1(uint64_t n) {
    if (n > 8) fail("{}: an integer of {} bytes is out of range", what_, n);
    if (n == 0) return 0;
    uint64_t v = uint_le(n);
    if (n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
    return static_cast<int64_t>(v);
  }
  std::string line() {
    const uint8_t* start = p_;
    while (p_ < end_ && *p_ != '\n') ++p_;
    if (p_ >= end_) fail("{}: the pickle ends early (truncated?)", what_);
    return std::string(reinterpret_cast<const char*>(start), static_cast<size_t>(p_++ - start));
  }
  ValuePtr string(uint64_t n) {
    const uint8_t* b = bytes(static_cast<size_t>(n));
    auto v = make(Value::Kind::String);
    v->s.assign(reinterpret_cast<const char*>(b), static_cast<size_t>(n));
    return v;
  }
  ValuePtr integer(int64_t i) {
    auto v = make(Value::Kind::Int);
    v->i = i;
    return v;
  }
  ValuePtr binfloat() {
    const uint8_t* b = bytes(8);
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = bits << 8 | b[i];  // big-endian
    auto v = make(Value::Kind::Float);
    std::memcpy(&v->f, &bits, 8);
    return v;
  }
  ValuePtr tuple(std::vector<ValuePtr> items) {
    auto v = make(Value::Kind::Tuple);
    v->items = std::move(items);
    return v;
  }
  ValuePtr global(const std::string& name) {
    if (!allowed_globals().count(name))
      fail("{}: the pickle asks for the global {}; argus loads only tensors and plain containers and runs no code",
           what_, name);
    auto v = make(Value::Kind::Global);
    v->s = name;
    return v;
  }
  ValuePtr get(uint64_t i) {
    auto it = memo_.find(i);
    if (it == memo_.end()) fail("{}: the pickle reads memo slot {} before writing it", what_, i);
    return it->second;
  }

  void push(ValuePtr v) { stack_.push_back(v); }
  void need(size_t n) {
    const size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() < floor + n) fail("{}: the pickle pops an empty stack", what_);
  }
  ValuePtr pop() {
    need(1);
    ValuePtr v = stack_.back();
    stack_.pop_back();
    return v;
  }
  ValuePtr top() {
    need(1);
    return stack_.back();
  }
  std::vector<ValuePtr> pop_mark() {
    if (marks_.empty()) fail("{}: the pickle closes a MARK it never opened", what_);
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<ValuePtr> items(stack_.begin() + static_cast<long>(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  Value& dict_at_top() {
    if (top()->kind != Value::Kind::Dict) fail("{}: SETITEM on a {}", what_, kind_name(top()->kind));
    return *top();
  }
  Value& list_at_top() {
    if (top()->kind != Value::Kind::List) fail("{}: APPEND on a {}", what_, kind_name(top()->kind));
    return *top();
  }

  std::vector<int64_t> ints(const Value& t, const char* role) {
    if (t.kind != Value::Kind::Tuple) fail("{}: tensor {} is a {}, not a tuple", what_, role, kind_name(t.kind));
    std::vector<int64_t> out;
    for (const auto& v : t.items) {
      if (v->kind != Value::Kind::Int || v->i < 0) fail("{}: tensor {} holds a non-count", what_, role);
      out.push_back(v->i);
    }
    return out;
  }

  // The calls torch.save's pickles make; the global was checked when it was pushed.
  ValuePtr reduce(const Value& fn, const Value& args) {
    if (fn.kind != Value::Kind::Global || args.kind != Value::Kind::Tuple)
      fail("{}: REDUCE of a {} (only the allowed globals can be called)", what_, kind_name(fn.kind));
    const auto& a = args.items;
    if (fn.s == "collections.OrderedDict") {
      if (!a.empty()) fail("{}: OrderedDict called with arguments", what_);
      return make(Value::Kind::Dict);
    }
    if (fn.s == "torch._utils._rebuild_parameter") {
      if (a.size() != 3 || a[0]->kind != Value::Kind::Tensor) fail("{}: _rebuild_parameter without a tensor", what_);
      return a[0];
    }
    if (fn.s == "torch._utils._rebuild_tensor_v2") {
      if (a.size() < 4 || a[0]->kind != Value::Kind::Storage || a[1]->kind != Value::Kind::Int)
        fail("{}: _rebuild_tensor_v2 with unexpected arguments", what_);
      auto t = make(Value::Kind::Tensor);
      t->tensor = a[0]->tensor;
      t->tensor.offset = a[1]->i;
      t->tensor.sizes = ints(*a[2], "size");
      t->tensor.strides = ints(*a[3], "stride");
      if (t->tensor.sizes.size() != t->tensor.strides.size() || t->tensor.offset < 0)
        fail("{}: tensor of storage {} has mismatched size/stride", what_, t->tensor.key);
      return t;
    }
    fail("{}: {} cannot be called", what_, fn.s);
  }

  // ('storage', torch.<Type>Storage, key, location, numel)
  ValuePtr persistent(const Value& pid) {
    const auto& a = pid.items;
    if (pid.kind != Value::Kind::Tuple || a.size() != 5 || a[0]->kind != Value::Kind::String || a[0]->s != "storage" ||
        a[1]->kind != Value::Kind::Global || a[2]->kind != Value::Kind::String || a[4]->kind != Value::Kind::Int)
      fail("{}: a persistent id that is not a torch storage", what_);
    auto v = make(Value::Kind::Storage);
    v->tensor.storage_type = a[1]->s.substr(std::strlen("torch."));
    v->tensor.key = a[2]->s;
    v->tensor.storage_numel = a[4]->i;
    return v;
  }

  const uint8_t* p_;
  const uint8_t* end_;
  std::string what_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, ValuePtr> memo_;
  Document doc_;
};

}  // namespace

Document parse(const uint8_t* data, size_t size, const std::string& what) { return Machine(data, size, what).run(); }

}  // namespace argus::io::pickle
