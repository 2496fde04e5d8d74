// The world generator's text, checked against the scene by parsers and rules
// written here, independently of the generator's own semantics (describe.h,
// refexp.cpp): counts, answers, referring expressions, POPE balance, LLaVA format
// and the absence of held-out pairs from training text.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>

#include "world/captions.h"
#include "world/generate.h"
#include "world/instruct.h"
#include "world/refexp.h"
#include "world/vocabulary.h"
#include "world/vqa.h"

using namespace argus::world;

namespace {

const char* const kShapeWords[] = {"circle", "square", "triangle", "star", "hexagon", "diamond", "cross", "pentagon"};
const char* const kColourWords[] = {"red", "orange", "yellow", "green", "blue", "purple", "white", "black"};
const char* const kSizeWords[] = {"small", "medium", "large"};
const char* const kTextureWords[] = {"solid", "striped", "dotted"};
const char* const kNumberWords[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight"};

template <size_t N>
int index_of(const char* const (&words)[N], const std::string& w) {
  for (size_t i = 0; i < N; ++i)
    if (w == words[i]) return int(i);
  return -1;
}

// "circles" -> circle, "crosses" -> cross; -1 when not a shape noun.
int shape_noun(const std::string& w, bool* plural = nullptr) {
  if (int k = index_of(kShapeWords, w); k >= 0) {
    if (plural) *plural = false;
    return k;
  }
  if (w == "crosses" || (w.size() > 1 && w.back() == 's' && w != "crosses")) {
    const std::string stem = w == "crosses" ? "cross" : w.substr(0, w.size() - 1);
    if (int k = index_of(kShapeWords, stem); k >= 0) {
      if (plural) *plural = true;
      return k;
    }
  }
  return -1;
}

std::vector<std::string> words_of(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// A noun phrase: [size] [texture] [colour] (shape | "object").
struct Phrase {
  int size = -1, texture = -1, colour = -1, shape = -1;
  bool matches(const Object& o) const {
    return (size < 0 || size == int(o.size)) && (texture < 0 || texture == int(o.texture)) &&
           (colour < 0 || colour == int(o.colour)) && (shape < 0 || shape == int(o.shape));
  }
};

// Parses words[pos...] up to and including the noun; false if it is not a phrase.
bool parse_phrase(const std::vector<std::string>& w, size_t& pos, Phrase& p) {
  if (pos < w.size() && (p.size = index_of(kSizeWords, w[pos])) >= 0) ++pos;
  if (pos < w.size() && (p.texture = index_of(kTextureWords, w[pos])) >= 0) ++pos;
  if (pos < w.size() && (p.colour = index_of(kColourWords, w[pos])) >= 0) ++pos;
  if (pos >= w.size()) return false;
  if (w[pos] == "object") return ++pos, true;
  p.shape = index_of(kShapeWords, w[pos]);
  if (p.shape < 0) return false;
  return ++pos, true;
}

Phrase phrase_of(const std::string& text) {
  const auto w = words_of(text);
  size_t pos = 0;
  Phrase p;
  EXPECT_TRUE(parse_phrase(w, pos, p) && pos == w.size()) << "not a phrase: " << text;
  return p;
}

std::vector<int> matching(const Scene& s, const Phrase& p) {
  std::vector<int> out;
  for (size_t i = 0; i < s.objects.size(); ++i)
    if (p.matches(s.objects[i])) out.push_back(int(i));
  return out;
}

int count_where(const Scene& s, int shape, int colour) {
  Phrase p;
  p.shape = shape;
  p.colour = colour;
  return int(matching(s, p).size());
}

std::vector<Scene> test_scenes() {
  std::vector<Scene> out;
  for (const char* split : {"train", "heldout", "openset"})
    for (int i = 0; i < 60; ++i) out.push_back(make_scene(21, split, i));
  return out;
}

const std::vector<Scene>& all_scenes() {
  static const std::vector<Scene> s = test_scenes();
  return s;
}

// Independent reading of a referring expression: the object it denotes, or -1
// when it denotes none or several.
int resolve_reference(const Scene& s, const std::string& sentence) {
  static const std::vector<std::string> superlatives = {"largest",   "smallest", "leftmost",
                                                        "rightmost", "topmost",  "bottommost"};
  const auto w = words_of(sentence);
  size_t pos = 0;
  if (w.empty() || w[pos++] != "the") return -1;
  std::string sup;
  if (pos < w.size() && std::find(superlatives.begin(), superlatives.end(), w[pos]) != superlatives.end()) sup = w[pos++];
  Phrase target;
  if (!parse_phrase(w, pos, target)) return -1;
  std::vector<int> cands = matching(s, target);
  if (pos == w.size() && sup.empty()) return cands.size() == 1 ? cands[0] : -1;
  if (!sup.empty()) {
    if (pos != w.size() || cands.size() < 2) return -1;
    auto value = [&](int i) {
      const Object& o = s.objects[size_t(i)];
      if (sup == "largest") return o.radius;
      if (sup == "smallest") return -o.radius;
      if (sup == "leftmost") return -o.cx;
      if (sup == "rightmost") return o.cx;
      if (sup == "topmost") return -o.cy;
      return o.cy;
    };
    std::sort(cands.begin(), cands.end(), [&](int a, int b) { return value(a) > value(b); });
    const Object &best = s.objects[size_t(cands[0])], &next = s.objects[size_t(cands[1])];
    const bool clear = sup == "largest"    ? best.radius >= 1.3 * next.radius
                       : sup == "smallest" ? next.radius >= 1.3 * best.radius
                       : (sup == "leftmost" || sup == "rightmost") ? std::abs(best.cx - next.cx) >= 0.1 * s.width
                                                                    : std::abs(best.cy - next.cy) >= 0.1 * s.height;
    return clear ? cands[0] : -1;
  }
  // Relation.
  std::string rel = w[pos++];
  if (rel == "left" || rel == "right") {
    if (pos >= w.size() || w[pos++] != "of") return -1;
  } else if (rel != "above" && rel != "below") {
    return -1;
  }
  if (pos >= w.size() || w[pos++] != "the") return -1;
  Phrase anchor_phrase;
  if (!parse_phrase(w, pos, anchor_phrase) || pos != w.size()) return -1;
  const auto anchors = matching(s, anchor_phrase);
  if (anchors.size() != 1) return -1;
  const Object& a = s.objects[size_t(anchors[0])];
  // dx, dy of a candidate in the relation's direction: > margin is clear, > 0 loose.
  auto along = [&](const Object& o) {
    if (rel == "left") return a.cx - o.cx;
    if (rel == "right") return o.cx - a.cx;
    if (rel == "above") return a.cy - o.cy;
    return o.cy - a.cy;
  };
  const double m = 0.1 * (rel == "left" || rel == "right" ? s.width : s.height);
  int found = -1, loose = 0;
  for (int i : cands) {
    if (i == anchors[0]) continue;
    const double d = along(s.objects[size_t(i)]);
    if (d > 0) ++loose;
    if (d > m) found = i;
  }
  return loose == 1 ? found : -1;
}

std::vector<std::string> all_text(const Scene& s) {
  std::vector<std::string> out = make_captions(s);
  for (const auto& r : referring_expressions(s)) out.push_back(r.sentence);
  for (const auto& q : make_vqa(s)) out.push_back(q.question), out.push_back(q.answer);
  for (const auto& q : make_pope(s, PairCounts{})) out.push_back(q.question);
  for (const auto& x : make_instruct(s))
    for (const auto& t : x.conversations) out.push_back(t.value);
  return out;
}

}  // namespace

TEST(WorldText, CaptionCountsAgreeWithTheScene) {
  const std::regex counted(
      R"(\b(one|two|three|four|five|six|seven|eight) (?:(red|orange|yellow|green|blue|purple|white|black) )?([a-z]+))");
  int checked = 0;
  for (const Scene& s : all_scenes()) {
    const auto caps = make_captions(s);
    ASSERT_GE(caps.size(), 3u);
    ASSERT_LE(caps.size(), 5u);
    EXPECT_EQ(std::set<std::string>(caps.begin(), caps.end()).size(), caps.size());
    for (const std::string& c : caps) {
      for (char ch : c) ASSERT_FALSE(std::isupper(static_cast<unsigned char>(ch))) << c;
      for (std::sregex_iterator it(c.begin(), c.end(), counted), end; it != end; ++it) {
        const int n = index_of(kNumberWords, (*it)[1]);
        const int colour = (*it)[2].matched ? index_of(kColourWords, (*it)[2]) : -1;
        const std::string noun = (*it)[3];
        bool plural = false;
        int shape = -1;
        if (noun == "shape" || noun == "shapes") {
          plural = noun == "shapes";
        } else {
          shape = shape_noun(noun, &plural);
          ASSERT_GE(shape, 0) << "unexpected counted noun in: " << c;
        }
        EXPECT_EQ(n, count_where(s, shape, colour)) << c;
        EXPECT_EQ(plural, n != 1) << c;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 300);
}

TEST(WorldText, VqaAnswersAreRight) {
  const std::string C = "(red|orange|yellow|green|blue|purple|white|black)";
  const std::string S = "(circle|square|triangle|star|hexagon|diamond|cross|pentagon)";
  const std::regex existence("^(?:is there|does the image contain) an? (?:" + C + " )?" + S + "\\?$");
  const std::regex colour_q("^what colour is the (.+)\\?$"), shape_q("^what shape is the (.+)\\?$");
  const std::regex count_q("^how many (?:" + C + " )?([a-z]+) are there\\?$");
  const std::regex horizontal("^is the (.+) left or right of the (.+)\\?$"), vertical("^is the (.+) above or below the (.+)\\?$");
  const std::regex compare("^are there more ([a-z]+) than ([a-z]+)\\?$");
  const std::regex arithmetic("^how many ([a-z]+) and ([a-z]+) are there in total\\?$");
  std::map<std::string, int> types;
  int existence_yes = 0, existence_no = 0;
  for (const Scene& s : all_scenes())
    for (const VqaItem& q : make_vqa(s)) {
      ++types[q.type];
      std::smatch m;
      ASSERT_EQ(words_of(q.answer).size(), 1u) << q.question << " -> " << q.answer;
      auto unique = [&](const std::string& text) {
        const auto found = matching(s, phrase_of(text));
        EXPECT_EQ(found.size(), 1u) << q.question;
        return found.empty() ? s.objects[0] : s.objects[size_t(found[0])];
      };
      if (q.type == "existence") {
        ASSERT_TRUE(std::regex_match(q.question, m, existence)) << q.question;
        const int n = count_where(s, index_of(kShapeWords, m[2]), m[1].matched ? index_of(kColourWords, m[1]) : -1);
        EXPECT_EQ(q.answer, n > 0 ? "yes" : "no") << q.question;
        (n > 0 ? existence_yes : existence_no)++;
      } else if (q.type == "colour") {
        ASSERT_TRUE(std::regex_match(q.question, m, colour_q)) << q.question;
        EXPECT_EQ(phrase_of(m[1]).colour, -1) << "the question gives the answer away: " << q.question;
        EXPECT_EQ(q.answer, kColourWords[int(unique(m[1]).colour)]) << q.question;
      } else if (q.type == "shape") {
        ASSERT_TRUE(std::regex_match(q.question, m, shape_q)) << q.question;
        EXPECT_EQ(phrase_of(m[1]).shape, -1) << q.question;
        EXPECT_EQ(q.answer, kShapeWords[int(unique(m[1]).shape)]) << q.question;
      } else if (q.type == "count") {
        ASSERT_TRUE(std::regex_match(q.question, m, count_q)) << q.question;
        const int shape = m[2] == "shapes" ? -1 : shape_noun(m[2]);
        ASSERT_TRUE(shape >= 0 || m[2] == "shapes") << q.question;
        EXPECT_EQ(q.answer, std::to_string(count_where(s, shape, m[1].matched ? index_of(kColourWords, m[1]) : -1)))
            << q.question;
      } else if (q.type == "position") {
        const bool h = std::regex_match(q.question, m, horizontal);
        ASSERT_TRUE(h || std::regex_match(q.question, m, vertical)) << q.question;
        const Object &a = unique(m[1]), &b = unique(m[2]);
        const double d = h ? a.cx - b.cx : a.cy - b.cy;
        EXPECT_GT(std::abs(d), 0.1 * (h ? s.width : s.height)) << "relation not clear: " << q.question;
        EXPECT_EQ(q.answer, h ? (d < 0 ? "left" : "right") : (d < 0 ? "above" : "below")) << q.question;
      } else if (q.type == "compare") {
        ASSERT_TRUE(std::regex_match(q.question, m, compare)) << q.question;
        const int a = count_where(s, shape_noun(m[1]), -1), b = count_where(s, shape_noun(m[2]), -1);
        EXPECT_EQ(q.answer, a > b ? "yes" : "no") << q.question;
      } else if (q.type == "arithmetic") {
        ASSERT_TRUE(std::regex_match(q.question, m, arithmetic)) << q.question;
        EXPECT_NE(m[1], m[2]);
        EXPECT_EQ(q.answer, std::to_string(count_where(s, shape_noun(m[1]), -1) + count_where(s, shape_noun(m[2]), -1)));
      } else {
        ADD_FAILURE() << "unknown type " << q.type;
      }
    }
  for (const char* t : {"existence", "colour", "count", "shape", "position", "compare", "arithmetic"})
    EXPECT_GT(types[t], 20) << t;
  EXPECT_EQ(existence_yes, existence_no);
}

TEST(WorldText, ReferringExpressionsDenoteExactlyTheirObject) {
  std::map<std::string, int> kinds;
  for (const Scene& s : all_scenes()) {
    const auto refs = referring_expressions(s);
    EXPECT_LE(refs.size(), 3u);
    if (s.objects.size() >= 3) EXPECT_GE(refs.size(), 1u) << "image " << s.index;
    std::set<int> objects;
    for (const auto& r : refs) {
      EXPECT_TRUE(objects.insert(r.object).second);
      EXPECT_EQ(resolve_reference(s, r.sentence), r.object) << s.split << " " << s.index << ": " << r.sentence;
      const auto w = words_of(r.sentence);
      const bool rel = std::find(w.begin(), w.end(), "of") != w.end() ||
                       std::find(w.begin(), w.end(), "above") != w.end() || std::find(w.begin(), w.end(), "below") != w.end();
      ++kinds[rel ? "relation" : w.size() > 1 && w[1].size() > 4 && (w[1].substr(w[1].size() - 4) == "most" || w[1].substr(w[1].size() - 3) == "est") ? "superlative" : "attributes"];
    }
  }
  EXPECT_GT(kinds["attributes"], 20);
  EXPECT_GT(kinds["relation"], 20);
  EXPECT_GT(kinds["superlative"], 20);
}

TEST(WorldText, ResolveRejectsAmbiguousExpressions) {
  // Two red circles side by side: "the red circle" is ambiguous, "the leftmost red
  // circle" is not; a distractor merely left of the anchor spoils "left of".
  Scene s;
  s.width = s.height = 100;
  auto add = [&](Shape sh, Colour c, double x, double y, double r) {
    Object o;
    o.shape = sh, o.colour = c, o.cx = x, o.cy = y, o.radius = r;
    s.objects.push_back(o);
  };
  add(Shape::circle, Colour::red, 20, 50, 8);
  add(Shape::circle, Colour::red, 80, 50, 8);
  add(Shape::square, Colour::blue, 55, 20, 8);
  RefExpr plain{Filter{std::nullopt, std::nullopt, Colour::red, Shape::circle}, Superlative::none, {}, {}};
  EXPECT_EQ(resolve(s, plain).size(), 2u);
  EXPECT_EQ(resolve_reference(s, plain.text()), -1);
  RefExpr left = plain;
  left.superlative = Superlative::leftmost;
  EXPECT_TRUE(identifies(s, left, 0));
  EXPECT_EQ(resolve_reference(s, left.text()), 0);
  RefExpr rel{Filter{std::nullopt, std::nullopt, std::nullopt, Shape::circle}, Superlative::none, Relation::left_of,
              Filter{std::nullopt, std::nullopt, std::nullopt, Shape::square}};
  EXPECT_TRUE(identifies(s, rel, 0));
  EXPECT_EQ(resolve_reference(s, rel.text()), 0);
  s.objects[1].cx = 52;  // now loosely left of the square too
  EXPECT_FALSE(identifies(s, rel, 0));
  EXPECT_EQ(resolve_reference(s, rel.text()), -1);
  for (const RefExpr& e : candidate_expressions(s, 0)) EXPECT_EQ(resolve_reference(s, e.text()), 0) << e.text();
}

TEST(WorldText, PopeIsBalancedAndCorrect) {
  const std::regex q("^is there an? (?:(red|orange|yellow|green|blue|purple|white|black) )?([a-z]+) in the image\\?$");
  for (const Scene& s : all_scenes()) {
    std::map<std::string, std::pair<int, int>> per_type;
    for (const PopeItem& p : make_pope(s, PairCounts{})) {
      std::smatch m;
      ASSERT_TRUE(std::regex_match(p.question, m, q)) << p.question;
      const int n = count_where(s, index_of(kShapeWords, m[2]), m[1].matched ? index_of(kColourWords, m[1]) : -1);
      EXPECT_EQ(p.answer, n > 0 ? "yes" : "no") << p.question;
      (p.answer == "yes" ? per_type[p.pope_type].first : per_type[p.pope_type].second)++;
    }
    ASSERT_EQ(per_type.size(), 3u);
    for (const auto& [type, yn] : per_type) {
      EXPECT_EQ(yn.first, yn.second) << type << " in image " << s.index;
      EXPECT_GE(yn.first, 1);
    }
  }
  // Popular negatives follow the split's frequencies.
  const Scene s = make_scene(21, "train", 0);
  PairCounts pop{};
  int target = -1;
  for (int k = 0; k < kNumShapes * kNumColours && target < 0; ++k)
    if (!is_openset_pair(Shape(k / kNumColours), Colour(k % kNumColours)) &&
        count_where(s, k / kNumColours, k % kNumColours) == 0)
      target = k;
  pop[size_t(target)] = 1000;
  const std::string expected =
      std::string(kColourWords[target % kNumColours]) + " " + kShapeWords[target / kNumColours] + " in the image?";
  bool asked = false;
  for (const PopeItem& p : make_pope(s, pop))
    asked |= p.pope_type == "popular" && p.answer == "no" && p.question.find(expected) != std::string::npos;
  EXPECT_TRUE(asked) << expected;
}

TEST(WorldText, InstructionSamplesHaveOneImageTokenAtTheStart) {
  const std::regex count_q("^how many ([a-z]+) are there\\?$");
  const std::regex exist_q("^(?:is there|can you see) an? (red|orange|yellow|green|blue|purple|white|black) ([a-z]+)(?: in the image)?\\?$");
  for (const Scene& s : all_scenes()) {
    const auto samples = make_instruct(s);
    ASSERT_EQ(samples.size(), 3u);
    EXPECT_EQ(samples[0].type, "conversation");
    EXPECT_EQ(samples[1].type, "detail");
    EXPECT_EQ(samples[2].type, "reasoning");
    for (const auto& x : samples) {
      ASSERT_GE(x.conversations.size(), 2u);
      ASSERT_EQ(x.conversations.size() % 2, 0u);
      int images = 0;
      for (size_t k = 0; k < x.conversations.size(); ++k) {
        const Turn& t = x.conversations[k];
        EXPECT_EQ(t.from, k % 2 ? "gpt" : "human");
        for (size_t p = t.value.find("<image>"); p != std::string::npos; p = t.value.find("<image>", p + 1)) ++images;
        if (k % 2 == 0) {
          // Answers to checkable questions are right.
          const std::string question = k == 0 ? t.value.substr(8) : t.value;
          const std::string& answer = x.conversations[k + 1].value;
          std::smatch m;
          if (std::regex_match(question, m, count_q) && shape_noun(m[1]) >= 0) {
            const int n = count_where(s, shape_noun(m[1]), -1);
            EXPECT_NE(answer.find(n == 0 ? std::string("no ") : std::string(kNumberWords[n]) + " "), std::string::npos)
                << question << " -> " << answer;
          } else if (std::regex_match(question, m, exist_q)) {
            const int n = count_where(s, shape_noun(m[2]), index_of(kColourWords, m[1]));
            EXPECT_EQ(answer.substr(0, 3), n > 0 ? "yes" : "no,") << question << " -> " << answer;
          }
        }
      }
      EXPECT_EQ(images, 1);
      EXPECT_EQ(x.conversations[0].value.rfind("<image>\n", 0), 0u);
    }
    EXPECT_GE(samples[0].conversations.size(), 4u);
    EXPECT_LE(samples[0].conversations.size(), 10u);
    // Every conversation has a negative question about an absent object.
    bool negative = false;
    for (const Turn& t : samples[0].conversations) negative |= t.value.rfind("no, there is no ", 0) == 0;
    EXPECT_TRUE(negative);
    // The detail answer names every object with all its attributes.
    const std::string& detail = samples[1].conversations[1].value;
    for (const Object& o : s.objects) EXPECT_NE(detail.find(full_phrase(o)), std::string::npos) << full_phrase(o);
    EXPECT_NE(detail.find(s.background.name()), std::string::npos);
  }
}

TEST(WorldText, HeldOutPairsNeverNamedOutsideOpenset) {
  std::vector<std::regex> pairs;
  for (int k = 0; k < kNumShapes; ++k) {
    const std::string shape = kShapeWords[k];
    pairs.emplace_back("\\b" + std::string(kColourWords[int(openset_colour(Shape(k)))]) + " " + shape +
                       (shape == "cross" ? "(es)?" : "s?") + "\\b");
  }
  int openset_mentions = 0;
  for (const Scene& s : all_scenes())
    for (const std::string& t : all_text(s))
      for (const auto& r : pairs) {
        const bool found = std::regex_search(t, r);
        if (s.split != "openset") ASSERT_FALSE(found) << s.split << " " << s.index << ": " << t;
        openset_mentions += found;
      }
  EXPECT_GT(openset_mentions, 60);
}

TEST(WorldText, TextIsDeterministicPerScene) {
  const Scene a = make_scene(4, "openset", 3), b = make_scene(4, "openset", 3);
  EXPECT_EQ(all_text(a), all_text(b));
  EXPECT_NE(all_text(a), all_text(make_scene(4, "openset", 4)));
}

TEST(WorldText, SplitWordsSeparatesPunctuation) {
  EXPECT_EQ(split_words("<image>\nyes, there is a red star."),
            (std::vector<std::string>{"<image>", "yes", ",", "there", "is", "a", "red", "star", "."}));
  EXPECT_EQ(split_words("three shapes: a b?"), (std::vector<std::string>{"three", "shapes", ":", "a", "b", "?"}));
}
