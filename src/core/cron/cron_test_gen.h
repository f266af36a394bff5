// Random cron expressions for the property and fuzz tests (test-only header).
// Biased towards expressions that fire near a given month and day, and towards
// the hours where DST transitions happen.
#pragma once

#include <random>
#include <string>
#include <vector>

namespace cronq {

inline int Pick(std::mt19937& rng, int lo, int hi) { return lo + int(rng() % unsigned(hi - lo + 1)); }

template <typename T>
const T& PickOf(std::mt19937& rng, const std::vector<T>& v) {
  return v[rng() % v.size()];
}

// A field of plain values in [lo, hi]: *, a value, a range, a step or a list.
inline std::string RandomValueField(std::mt19937& rng, int lo, int hi, const std::vector<int>& favorites) {
  auto value = [&] { return std::to_string(rng() % 2 ? PickOf(rng, favorites) : Pick(rng, lo, hi)); };
  auto range = [&] {
    int a = Pick(rng, lo, hi), b = Pick(rng, a, std::min(hi, a + Pick(rng, 0, 6)));
    return std::to_string(a) + "-" + std::to_string(b);
  };
  auto step = [&] { return std::to_string(Pick(rng, 1, std::min(20, hi - lo + 1))); };
  switch (rng() % 8) {
    case 0: return "*";
    case 1: case 2: return value();
    case 3: return "*/" + step();
    case 4: return range();
    case 5: return range() + "/" + step();
    case 6: return value() + "/" + step();
    default: return value() + "," + range() + "," + value();
  }
}

inline std::string RandomDayOfMonth(std::mt19937& rng, int day) {
  std::string d = std::to_string(day), prev = std::to_string(std::max(1, day - 1));
  std::string next = std::to_string(std::min(31, day + 1));
  static const std::vector<std::string> kFixed = {"L", "LW", "*/2", "1-31/3", "1W", "15W", "31W", "28-31", "29"};
  switch (rng() % 12) {
    case 0: case 1: case 2: case 3: case 4: case 5: return rng() % 6 ? "*" : "?";
    case 6: return d;
    case 7: return prev + "," + next;
    case 8: return d + "W";
    case 9: return prev + "-" + next + ",L";
    default: return PickOf(rng, kFixed);
  }
}

inline std::string RandomMonth(std::mt19937& rng, int month) {
  static const char* kNames[] = {"", "JAN", "feb", "Mar", "APR", "may", "JUN", "jul", "AUG", "sep", "OCT", "nov", "DEC"};
  int next = month % 12 + 1;
  switch (rng() % 10) {
    case 0: return std::to_string(month);
    case 1: return kNames[month];
    case 2: return std::to_string(month) + "," + std::to_string(next);
    case 3: return std::to_string(next);
    default: return rng() % 8 ? "*" : "?";
  }
}

inline std::string RandomDayOfWeek(std::mt19937& rng) {
  static const std::vector<std::string> kForms = {"MON-FRI", "0,6", "SAT-SUN", "*/2", "1-7/3", "7", "SUN"};
  std::string n = std::to_string(Pick(rng, 0, 7));
  switch (rng() % 12) {
    case 0: return n;
    case 1: return n + "L";
    case 2: return n + "#" + std::to_string(Pick(rng, 1, 5));
    case 3: return n + "#1," + std::to_string(Pick(rng, 0, 6)) + "L";
    case 4: case 5: return PickOf(rng, kForms);
    default: return rng() % 6 ? "*" : "?";
  }
}

// "dom month dow" near (month, day).
inline std::string RandomDayFields(std::mt19937& rng, int month, int day) {
  return RandomDayOfMonth(rng, day) + " " + RandomMonth(rng, month) + " " + RandomDayOfWeek(rng);
}

// A whole 5- or 6-field expression near (month, day).
inline std::string RandomCronText(std::mt19937& rng, int month, int day) {
  std::string text;
  if (rng() % 5 < 2) text += RandomValueField(rng, 0, 59, {0, 30, 59}) + " ";
  text += RandomValueField(rng, 0, 59, {0, 15, 30, 45, 59}) + " ";
  text += RandomValueField(rng, 0, 23, {0, 1, 2, 3, 23}) + " ";
  return text + RandomDayFields(rng, month, day);
}

}  // namespace cronq
