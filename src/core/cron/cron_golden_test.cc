// Golden vectors: tests/cron/*.txt hold cron cases as data (format in
// tests/cron/README.md). Each case builds a CronSchedule and walks NextAfter.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/cron/cron_schedule.h"
#include "core/cron/iso8601.h"

namespace cronq {
namespace {

struct GoldenCase {
  int line = 0;
  std::string expr, zone, from;
  std::vector<std::string> expect;  // instants, "none", or "error: <substring>"
};

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<GoldenCase> LoadCases(const std::string& name) {
  std::ifstream in(std::string(CRONQ_CRON_VECTORS_DIR) + "/" + name);
  EXPECT_TRUE(in.good()) << "cannot open " << name;
  std::vector<GoldenCase> cases;
  std::string raw;
  for (int line = 1; std::getline(in, raw); ++line) {
    if (raw.empty() || raw[0] == '#' || Trim(raw).empty()) continue;
    if (raw.find('|') != std::string::npos) {  // header: expr | zone | from
      GoldenCase c;
      c.line = line;
      std::stringstream ss(raw);
      std::string part;
      std::getline(ss, c.expr, '|');
      std::getline(ss, c.zone, '|');
      std::getline(ss, c.from);
      c.expr = Trim(c.expr), c.zone = Trim(c.zone), c.from = Trim(c.from);
      cases.push_back(c);
      continue;
    }
    std::string value = Trim(raw);
    if (value.rfind("error:", 0) != 0) value = Trim(value.substr(0, value.find('#')));  // "# local time" notes
    EXPECT_FALSE(cases.empty()) << name << ":" << line << ": result before any case";
    if (!cases.empty()) cases.back().expect.push_back(value);
  }
  return cases;
}

void RunCase(const std::string& file, const GoldenCase& c) {
  SCOPED_TRACE(file + ":" + std::to_string(c.line) + ": " + c.expr + " | " + c.zone + " | " + c.from);
  ASSERT_FALSE(c.expect.empty()) << "case without expected results";
  Result<CronSchedule> s = CronSchedule::Create(c.expr, c.zone);
  if (c.expect[0].rfind("error:", 0) == 0) {
    ASSERT_FALSE(s.ok()) << "expected an error";
    EXPECT_TRUE(s.status().IsInvalidArgument());
    std::string want = Trim(c.expect[0].substr(6));
    EXPECT_NE(s.status().message().find(want), std::string::npos)
        << "message '" << s.status().message() << "' lacks '" << want << "'";
    return;
  }
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Result<TimeMs> from = ParseIso8601(c.from);
  ASSERT_TRUE(from.ok()) << from.status().ToString();
  TimeMs t = *from;
  for (const std::string& want : c.expect) {
    std::optional<TimeMs> next = s->NextAfter(t);
    std::string got = next ? FormatIso8601(*next) : "none";
    ASSERT_EQ(got, want) << "after " << FormatIso8601(t);
    if (!next) return;
    t = *next;
  }
}

void RunFile(const std::string& file) {
  std::vector<GoldenCase> cases = LoadCases(file);
  EXPECT_GT(cases.size(), 0u);
  for (const GoldenCase& c : cases) RunCase(file, c);
}

TEST(CronGolden, Syntax) { RunFile("syntax.txt"); }
TEST(CronGolden, Calendar) { RunFile("calendar.txt"); }
TEST(CronGolden, Dst) { RunFile("dst.txt"); }
TEST(CronGolden, Errors) { RunFile("errors.txt"); }

}  // namespace
}  // namespace cronq
