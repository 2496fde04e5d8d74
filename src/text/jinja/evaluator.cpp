#include "text/jinja/evaluator.h"

#include <cmath>
#include <ctime>
#include <map>

#include "text/jinja/builtins.h"
#include "text/jinja/error.h"

namespace argus::text::jinja {
namespace {

// Work units (nodes executed + expressions evaluated) one render may take; real chat
// templates need well under a hundred per message.
constexpr uint64_t kMaxSteps = 2'000'000;
constexpr int kMaxCallDepth = 64;
constexpr int kMaxDataDepth = 128;

enum class Flow { Normal, Break, Continue };

class Evaluator {
 public:
  explicit Evaluator(const json& vars) {
    frames_.resize(2);  // [0]: globals + render variables, [1]: the template's top level
    auto& g = frames_[0];
    g["raise_exception"] = Value::function("raise_exception", [](CallArgs& a) -> Value {
      std::string msg = a.pos.empty() ? "" : to_str(a.pos[0]);
      fail_at(a.line, a.col, "template raised an error: {}", msg);
    });
    g["namespace"] = Value::function("namespace", [](CallArgs& a) -> Value {
      json obj = json::object();
      for (const auto& p : a.pos) {
        if (!p.is_dict()) fail_at(a.line, a.col, "namespace() takes a dict or keyword arguments, not {}", type_name(p));
        for (auto it = p.data().begin(); it != p.data().end(); ++it) obj[it.key()] = it.value();
      }
      for (const auto& kw : a.kw) obj[kw.first] = data_of(kw.second, "namespace()", a);
      return Value::make_namespace(std::move(obj));
    });
    g["dict"] = Value::function("dict", [](CallArgs& a) -> Value {
      if (!a.pos.empty()) fail_at(a.line, a.col, "dict() takes keyword arguments only here");
      json obj = json::object();
      for (const auto& kw : a.kw) obj[kw.first] = data_of(kw.second, "dict()", a);
      return Value(std::move(obj));
    });
    g["range"] = Value::function("range", [](CallArgs& a) -> Value {
      std::vector<int64_t> n;
      for (const auto& p : a.pos) {
        if (!p.is_int()) fail_at(a.line, a.col, "range() needs integers, not {}", type_name(p));
        n.push_back(p.data().get<int64_t>());
      }
      if (n.empty() || n.size() > 3 || !a.kw.empty()) fail_at(a.line, a.col, "range() takes 1 to 3 integers");
      int64_t start = n.size() > 1 ? n[0] : 0, stop = n.size() > 1 ? n[1] : n[0], step = n.size() > 2 ? n[2] : 1;
      if (step == 0) fail_at(a.line, a.col, "range() step cannot be zero");
      json out = json::array();
      for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
        if (out.size() >= kMaxListItems) fail_at(a.line, a.col, "range() longer than {} items", kMaxListItems);
        out.push_back(i);
        if ((step > 0 && i > INT64_MAX - step) || (step < 0 && i < INT64_MIN - step)) break;
      }
      return Value(std::move(out));
    });
    g["strftime_now"] = Value::function("strftime_now", [](CallArgs& a) -> Value {
      if (a.pos.size() != 1 || !a.pos[0].is_string()) fail_at(a.line, a.col, "strftime_now() takes one format string");
      std::time_t now = std::time(nullptr);
      std::tm tm{};
      localtime_r(&now, &tm);
      char buf[256];
      size_t n = std::strftime(buf, sizeof buf, a.pos[0].str().c_str(), &tm);
      return Value(json(std::string(buf, n)));
    });
    if (!vars.is_object()) argus::fail("chat template variables must be a JSON object");
    for (auto it = vars.begin(); it != vars.end(); ++it) g[it.key()] = Value(it.value());
  }

  std::string run(const Body& body) {
    std::string out;
    out_ = &out;
    exec(body);
    return out;
  }

 private:
  static json data_of(const Value& v, const char* what, const CallArgs& a) {
    if (v.is_data()) return v.data();
    if (v.is_namespace()) return v.ns();
    fail_at(a.line, a.col, "{}: {} cannot be stored", what, type_name(v));
  }

  void step(int line, int col) {
    if (++steps_ > kMaxSteps) fail_at(line, col, "template runs longer than {} steps: refusing a runaway template", kMaxSteps);
  }

  // ---------------------------------------------------------------- scopes
  Value lookup(const std::string& name) const {
    for (size_t i = frames_.size(); i-- > barrier_;) {
      auto it = frames_[i].find(name);
      if (it != frames_[i].end()) return it->second;
    }
    for (size_t i = std::min<size_t>(barrier_, 2); i-- > 0;) {
      auto it = frames_[i].find(name);
      if (it != frames_[i].end()) return it->second;
    }
    return Value::undefined(name);
  }
  void assign(const std::string& name, Value v) { frames_.back()[name] = std::move(v); }

  void write(const std::string& s, int line, int col) {
    out_->append(s);
    if (out_->size() > kMaxBytes) fail_at(line, col, "output larger than {} bytes: refusing a runaway template", kMaxBytes);
  }

  // ---------------------------------------------------------------- statements
  Flow exec(const Body& body) {
    for (const auto& n : body) {
      Flow f = exec(*n);
      if (f != Flow::Normal) return f;
    }
    return Flow::Normal;
  }

  Flow exec(const Node& n) {
    step(n.line, n.col);
    switch (n.kind) {
      case Node::Kind::Text: write(n.text, n.line, n.col); return Flow::Normal;
      case Node::Kind::Output: write(to_str(eval(*n.expr)), n.line, n.col); return Flow::Normal;
      case Node::Kind::If:
        for (const auto& [cond, body] : n.branches)
          if (!cond || truthy(eval(*cond))) return exec(body);
        return Flow::Normal;
      case Node::Kind::For: exec_for(n); return Flow::Normal;
      case Node::Kind::Set: exec_set(n); return Flow::Normal;
      case Node::Kind::SetBlock: assign(n.targets[0], Value(json(capture(n.body)))); return Flow::Normal;
      case Node::Kind::Macro: define_macro(n); return Flow::Normal;
      case Node::Kind::Break: return Flow::Break;
      case Node::Kind::Continue: return Flow::Continue;
      case Node::Kind::Generation: return exec(n.body);
    }
    return Flow::Normal;
  }

  std::string capture(const Body& body) {
    std::string buf;
    std::string* saved = out_;
    out_ = &buf;
    try {
      exec(body);
    } catch (...) {
      out_ = saved;
      throw;
    }
    out_ = saved;
    return buf;
  }

  void bind(const std::vector<std::string>& targets, const json& item, int line, int col) {
    if (targets.size() == 1) {
      assign(targets[0], Value(item));
      return;
    }
    if (!item.is_array() || item.size() != targets.size())
      fail_at(line, col, "cannot unpack {} into {} names", type_name(Value(item)), targets.size());
    for (size_t i = 0; i < targets.size(); ++i) assign(targets[i], Value(item[i]));
  }

  struct FrameGuard {
    explicit FrameGuard(Evaluator& e) : e(e) { e.frames_.emplace_back(); }
    ~FrameGuard() { e.frames_.pop_back(); }
    Evaluator& e;
  };

  void exec_for(const Node& n) {
    json items = iterate(eval(*n.expr), n.line, n.col);
    FrameGuard frame(*this);
    if (n.cond) {  // `for x in xs if cond` filters before loop.* counts anything
      json kept = json::array();
      for (const auto& item : items) {
        step(n.line, n.col);
        bind(n.targets, item, n.line, n.col);
        if (truthy(eval(*n.cond))) kept.push_back(item);
      }
      items = std::move(kept);
    }
    if (items.empty()) {
      exec(n.else_body);
      return;
    }
    const int64_t len = static_cast<int64_t>(items.size());
    // One `loop` object per loop, updated in place: rebuilding it per iteration dominated
    // the cost of long loops.
    assign("loop", Value(json{{"length", len}, {"depth", 1}, {"depth0", 0}}));
    for (int64_t i = 0; i < len; ++i) {
      const json& item = items[static_cast<size_t>(i)];
      bind(n.targets, item, n.line, n.col);
      Value& lv = frames_.back()["loop"];
      if (!lv.is_dict()) lv = Value(json{{"length", len}, {"depth", 1}, {"depth0", 0}});  // a body `set loop`
      json& loop = lv.data();
      loop["index"] = i + 1;
      loop["index0"] = i;
      loop["revindex"] = len - i;
      loop["revindex0"] = len - i - 1;
      loop["first"] = i == 0;
      loop["last"] = i == len - 1;
      if (i > 0) loop["previtem"] = items[static_cast<size_t>(i - 1)];
      if (i + 1 < len)
        loop["nextitem"] = items[static_cast<size_t>(i + 1)];
      else
        loop.erase("nextitem");
      if (exec(n.body) == Flow::Break) break;
    }
  }

  // Values kept across statements are the only way to build ever deeper data (a loop doing
  // `set x = [x]`); capping their depth keeps every recursive walk (copy, repr, tojson,
  // equality) off the end of the stack.
  static bool deeper_than(const json& j, int limit) {
    if (!j.is_structured()) return false;
    if (limit == 0) return true;
    for (const auto& x : j)
      if (deeper_than(x, limit - 1)) return true;
    return false;
  }

  void exec_set(const Node& n) {
    Value v = eval(*n.expr);
    if ((v.is_data() && deeper_than(v.data(), kMaxDataDepth)) || (v.is_namespace() && deeper_than(v.ns(), kMaxDataDepth)))
      fail_at(n.line, n.col, "value nests deeper than {} levels", kMaxDataDepth);
    if (!n.attr.empty()) {
      Value target = lookup(n.targets[0]);
      if (!target.is_namespace())
        fail_at(n.line, n.col, "cannot set attribute '{}' of {} (only of a namespace())", n.attr, type_name(target));
      if (v.is_namespace()) {
        target.ns()[n.attr] = v.ns();
      } else if (v.is_data()) {
        target.ns()[n.attr] = v.data();
      } else {
        fail_at(n.line, n.col, "cannot store {} in a namespace", type_name(v));
      }
      return;
    }
    if (n.targets.size() == 1) {
      assign(n.targets[0], std::move(v));
      return;
    }
    if (!v.is_data()) fail_at(n.line, n.col, "cannot unpack {}", type_name(v));
    bind(n.targets, v.data(), n.line, n.col);
  }

  void define_macro(const Node& n) {
    const Node* node = &n;
    assign(n.targets[0], Value::function(n.targets[0], [this, node](CallArgs& a) -> Value { return call_macro(*node, a); }));
  }

  Value call_macro(const Node& m, CallArgs& a) {
    if (call_depth_ >= kMaxCallDepth) fail_at(a.line, a.col, "macro calls nest deeper than {}", kMaxCallDepth);
    const size_t nparams = m.targets.size() - 1;
    if (a.pos.size() > nparams)
      fail_at(a.line, a.col, "macro '{}' takes {} argument(s), got {}", m.targets[0], nparams, a.pos.size());
    size_t saved_barrier = barrier_;
    ++call_depth_;
    frames_.emplace_back();
    barrier_ = frames_.size() - 1;  // a macro sees its arguments and the template's globals only
    auto restore = [&] {
      frames_.pop_back();
      barrier_ = saved_barrier;
      --call_depth_;
    };
    std::string result;
    try {
      for (const auto& kw : a.kw) {
        auto it = std::find(m.targets.begin() + 1, m.targets.end(), kw.first);
        if (it == m.targets.end()) fail_at(a.line, a.col, "macro '{}' has no parameter '{}'", m.targets[0], kw.first);
      }
      for (size_t i = 0; i < nparams; ++i) {
        const std::string& p = m.targets[i + 1];
        const Value* given = i < a.pos.size() ? &a.pos[i] : nullptr;
        for (const auto& kw : a.kw)
          if (kw.first == p) given = &kw.second;
        if (given) {
          assign(p, *given);
        } else if (m.defaults[i]) {
          assign(p, eval(*m.defaults[i]));
        } else {
          assign(p, Value::undefined(p));  // Jinja leaves missing macro arguments undefined
        }
      }
      result = capture(m.body);
    } catch (...) {
      restore();
      throw;
    }
    restore();
    return Value(json(std::move(result)));
  }

  // ---------------------------------------------------------------- expressions
  Value eval(const Expr& e) {
    step(e.line, e.col);
    switch (e.kind) {
      case Expr::Kind::Literal: return Value(e.value);
      case Expr::Kind::Name: return lookup(e.str);
      case Expr::Kind::List: {
        json out = json::array();
        for (const auto& k : e.kids) out.push_back(as_data(eval(*k), *k, "a list"));
        return Value(std::move(out));
      }
      case Expr::Kind::Dict: {
        json out = json::object();
        for (size_t i = 0; i + 1 < e.kids.size(); i += 2) {
          Value k = eval(*e.kids[i]);
          if (!k.is_string()) fail_at(e.kids[i]->line, e.kids[i]->col, "dict keys must be strings here, not {}", type_name(k));
          out[k.str()] = as_data(eval(*e.kids[i + 1]), *e.kids[i + 1], "a dict");
        }
        return Value(std::move(out));
      }
      case Expr::Kind::Attr: return get_attr(eval(*e.kids[0]), e.str, e.line, e.col);
      case Expr::Kind::Item: return get_item(eval(*e.kids[0]), eval(*e.kids[1]), e.line, e.col);
      case Expr::Kind::Slice: {
        Value obj = eval(*e.kids[0]);
        Value parts[3];
        for (int i = 0; i < 3; ++i)
          if (e.kids[static_cast<size_t>(i) + 1]) parts[i] = eval(*e.kids[static_cast<size_t>(i) + 1]);
        return get_slice(obj, parts[0], parts[1], parts[2], e.line, e.col);
      }
      case Expr::Kind::Call: {
        Value callee = eval(*e.kids[0]);
        CallArgs args = eval_args(e);
        if (!callee.is_function())
          fail_at(e.line, e.col, "'{}' is not a function this engine knows (unsupported or undefined): {}",
                  callee_name(*e.kids[0]), type_name(callee));
        return callee.call(args);
      }
      case Expr::Kind::Filter: {
        Value subject = eval(*e.kids[0]);
        CallArgs args = eval_args(e);
        return apply_filter(e.str, subject, args);
      }
      case Expr::Kind::Test: {
        Value subject = eval(*e.kids[0]);
        CallArgs args = eval_args(e);
        return Value(json(apply_test(e.str, subject, args) != e.negated));
      }
      case Expr::Kind::Unary: {
        Value v = eval(*e.kids[0]);
        if (e.str == "not") return Value(json(!truthy(v)));
        if (v.is_int() && !v.data().is_boolean()) {
          int64_t x = v.data().get<int64_t>();
          if (e.str == "-" && x == INT64_MIN) fail_at(e.line, e.col, "integer overflow");
          return Value(json(e.str == "-" ? -x : x));
        }
        if (v.is_number() || v.is_bool()) {
          double d = v.data().is_boolean() ? (v.data().get<bool>() ? 1 : 0) : v.data().get<double>();
          if (v.is_bool()) return Value(json(static_cast<int64_t>(e.str == "-" ? -d : d)));
          return Value(json(e.str == "-" ? -d : d));
        }
        fail_at(e.line, e.col, "bad operand type for unary {}: {}", e.str, type_name(v));
      }
      case Expr::Kind::Binary: return eval_binary(e);
      case Expr::Kind::Cond:
        if (truthy(eval(*e.kids[1]))) return eval(*e.kids[0]);
        return e.kids[2] ? eval(*e.kids[2]) : Value::undefined("");
    }
    return Value();
  }

  static std::string callee_name(const Expr& e) {
    if (e.kind == Expr::Kind::Name) return e.str;
    if (e.kind == Expr::Kind::Attr) return callee_name(*e.kids[0]) + "." + e.str;
    return "expression";
  }

  json as_data(const Value& v, const Expr& at, const char* where) {
    if (v.is_data()) return v.data();
    if (v.is_namespace()) return v.ns();
    fail_at(at.line, at.col, "{} cannot be put in {}", type_name(v), where);
  }

  CallArgs eval_args(const Expr& e) {
    CallArgs a;
    a.line = e.line;
    a.col = e.col;
    size_t npos = e.positional_count();
    for (size_t i = 0; i < npos; ++i) a.pos.push_back(eval(*e.kids[i + 1]));
    for (size_t i = 0; i < e.kw_names.size(); ++i) a.kw.emplace_back(e.kw_names[i], eval(*e.kids[1 + npos + i]));
    return a;
  }

  Value eval_binary(const Expr& e) {
    const std::string& op = e.str;
    if (op == "and" || op == "or") {  // Python: returns the deciding operand
      Value l = eval(*e.kids[0]);
      if (truthy(l) == (op == "or")) return l;
      return eval(*e.kids[1]);
    }
    Value l = eval(*e.kids[0]);
    Value r = eval(*e.kids[1]);
    const int line = e.line, col = e.col;
    if (op == "==") return Value(json(equals(l, r)));
    if (op == "!=") return Value(json(!equals(l, r)));
    if (op == "<" || op == "<=" || op == ">" || op == ">=") {
      int c = compare(l, r, line, col);
      bool res = op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0;
      return Value(json(res));
    }
    if (op == "in" || op == "not in") return Value(json(contains(r, l, line, col) == (op == "in")));
    if (op == "~") {
      std::string s = to_str(l) + to_str(r);
      if (s.size() > kMaxBytes) fail_at(line, col, "string larger than {} bytes", kMaxBytes);
      return Value(json(std::move(s)));
    }
    return arithmetic(op, l, r, line, col);
  }

  static bool contains(const Value& container, const Value& item, int line, int col) {
    if (container.is_undefined()) return false;
    if (container.is_string()) {
      if (!item.is_string()) fail_at(line, col, "'in <string>' needs a string on the left, not {}", type_name(item));
      return container.str().find(item.str()) != std::string::npos;
    }
    if (container.is_dict() || container.is_namespace()) {
      const json& d = container.is_dict() ? container.data() : container.ns();
      return item.is_string() && d.contains(item.str());
    }
    if (container.is_list()) {
      for (const auto& x : container.data())
        if (equals(Value(x), item)) return true;
      return false;
    }
    fail_at(line, col, "argument of type {} is not a container", type_name(container));
  }

  static bool int_like(const Value& v) { return v.is_data() && (v.data().is_number_integer() || v.data().is_boolean()); }
  static int64_t int_of(const Value& v) {
    return v.data().is_boolean() ? (v.data().get<bool>() ? 1 : 0) : v.data().get<int64_t>();
  }

  static Value repeat(const Value& seq, int64_t n, int line, int col) {
    if (n <= 0) return seq.is_string() ? Value(json("")) : Value(json::array());
    size_t unit = seq.is_string() ? seq.str().size() : seq.data().size();
    if (unit != 0 && static_cast<uint64_t>(n) > (seq.is_string() ? kMaxBytes : kMaxListItems) / unit)
      fail_at(line, col, "repetition larger than the template size limit");
    if (seq.is_string()) {
      std::string out;
      for (int64_t i = 0; i < n; ++i) out += seq.str();
      return Value(json(std::move(out)));
    }
    json out = json::array();
    for (int64_t i = 0; i < n; ++i)
      for (const auto& x : seq.data()) out.push_back(x);
    return Value(std::move(out));
  }

  static Value arithmetic(const std::string& op, const Value& l, const Value& r, int line, int col) {
    auto bad = [&]() -> Value {
      fail_at(line, col, "unsupported operand types for {}: {} and {}", op, type_name(l), type_name(r));
    };
    if (op == "+") {
      if (l.is_string() && r.is_string()) {
        if (l.str().size() + r.str().size() > kMaxBytes) fail_at(line, col, "string larger than {} bytes", kMaxBytes);
        return Value(json(l.str() + r.str()));
      }
      if (l.is_list() && r.is_list()) {
        if (l.data().size() + r.data().size() > kMaxListItems) fail_at(line, col, "list longer than {} items", kMaxListItems);
        json out = l.data();
        for (const auto& x : r.data()) out.push_back(x);
        return Value(std::move(out));
      }
    }
    if (op == "*") {
      if ((l.is_string() || l.is_list()) && int_like(r)) return repeat(l, int_of(r), line, col);
      if ((r.is_string() || r.is_list()) && int_like(l)) return repeat(r, int_of(l), line, col);
    }
    if (op == "%" && l.is_string()) fail_at(line, col, "unsupported: printf-style string formatting with '%'");
    bool ints = int_like(l) && int_like(r);
    bool nums = (l.is_number() || l.is_bool()) && (r.is_number() || r.is_bool());
    if (!nums) return bad();
    if (ints && op != "/") {
      int64_t a = int_of(l), b = int_of(r), out = 0;
      bool overflow = false;
      if (op == "+") overflow = __builtin_add_overflow(a, b, &out);
      else if (op == "-") overflow = __builtin_sub_overflow(a, b, &out);
      else if (op == "*") overflow = __builtin_mul_overflow(a, b, &out);
      else if (op == "//" || op == "%") {
        if (b == 0) fail_at(line, col, "integer division or modulo by zero");
        if (a == INT64_MIN && b == -1) fail_at(line, col, "integer overflow");
        int64_t q = a / b, m = a % b;
        if (m != 0 && ((m < 0) != (b < 0))) {  // Python floors
          q -= 1;
          m += b;
        }
        out = op == "//" ? q : m;
      } else if (op == "**") {
        if (b < 0) return Value(json(std::pow(static_cast<double>(a), static_cast<double>(b))));
        out = 1;
        for (int64_t i = 0; i < b && !overflow; ++i) {
          overflow = __builtin_mul_overflow(out, a, &out);
          if (out == 0 || out == 1) break;
          if (out == -1) {
            out = (b % 2 == 0) ? 1 : -1;
            break;
          }
        }
      }
      if (overflow) fail_at(line, col, "integer overflow in {}", op);
      return Value(json(out));
    }
    double a = l.data().is_boolean() ? int_of(l) : l.data().get<double>();
    double b = r.data().is_boolean() ? int_of(r) : r.data().get<double>();
    if (op == "+") return Value(json(a + b));
    if (op == "-") return Value(json(a - b));
    if (op == "*") return Value(json(a * b));
    if (op == "**") return Value(json(std::pow(a, b)));
    if (b == 0) fail_at(line, col, "division by zero");
    if (op == "/") return Value(json(a / b));
    if (op == "//") return Value(json(std::floor(a / b)));
    if (op == "%") {
      double m = std::fmod(a, b);
      if (m != 0 && ((m < 0) != (b < 0))) m += b;
      return Value(json(m));
    }
    return bad();
  }

  std::vector<std::map<std::string, Value>> frames_;
  size_t barrier_ = 1;
  std::string* out_ = nullptr;
  uint64_t steps_ = 0;
  int call_depth_ = 0;
};

}  // namespace

std::string evaluate(const Body& body, const json& vars) { return Evaluator(vars).run(body); }

}  // namespace argus::text::jinja
