// Jinja lexer: template source -> a flat token stream. Whitespace control is applied here,
// as Jinja's own lexer does it, with the settings transformers renders chat templates with:
// trim_blocks (drop the newline right after a block/comment tag), lstrip_blocks (drop the
// spaces/tabs before a block/comment tag that starts a line), `-` on either side of a tag
// (drop all whitespace on that side), `+` (keep it), and one trailing newline of the source
// dropped (keep_trailing_newline=False).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace argus::text::jinja {

enum class Tok {
  Text,        // literal template text (already whitespace-trimmed)
  VarBegin,    // {{
  VarEnd,      // }}
  BlockBegin,  // {%
  BlockEnd,    // %}
  Name,
  String,
  Int,
  Float,
  Op,  // operators and punctuation: + - * / // % ** ~ == != < <= > >= = ( ) [ ] { } . , : |
  Eof,
};

struct Token {
  Tok type = Tok::Eof;
  std::string text;  // Text/Name/String (unescaped)/Op
  int64_t ival = 0;
  double fval = 0;
  int line = 1, col = 1;
};

// Throws argus::Error ("chat template line L, column C: ...") on an unclosed tag or comment,
// an unterminated string or a character that is not Jinja syntax.
std::vector<Token> tokenize(const std::string& source);

}  // namespace argus::text::jinja
