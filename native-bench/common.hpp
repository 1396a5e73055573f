// Clock, argument parsing and exact percentiles shared by the native benchmarks.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace nb {

/** steady_clock in nanoseconds (CLOCK_MONOTONIC through the vDSO: the same clock as Node's hrtime). */
inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/** `--name value` options; anything unknown is an error so a typo never silently runs the default. */
class Args {
 public:
  Args(int argc, char** argv, std::vector<std::string> known) : known_(std::move(known)) {
    for (int i = 1; i < argc; i++) {
      std::string k = argv[i];
      if (k.rfind("--", 0) != 0 || std::find(known_.begin(), known_.end(), k.substr(2)) == known_.end()) fail("unknown option " + k);
      if (i + 1 >= argc) fail("option " + k + " needs a value");
      keys_.push_back(k.substr(2));
      vals_.push_back(argv[++i]);
    }
  }
  bool has(const std::string& k) const { return std::find(keys_.begin(), keys_.end(), k) != keys_.end(); }
  double num(const std::string& k, double def) const {
    for (std::size_t i = 0; i < keys_.size(); i++) {
      if (keys_[i] != k) continue;
      char* end = nullptr;
      double v = std::strtod(vals_[i].c_str(), &end);
      if (end == vals_[i].c_str() || *end != '\0' || !(v >= 0)) fail("--" + k + " must be a non-negative number, got " + vals_[i]);
      return v;
    }
    return def;
  }
  std::string str(const std::string& k, const std::string& def) const {
    for (std::size_t i = 0; i < keys_.size(); i++)
      if (keys_[i] == k) return vals_[i];
    return def;
  }
  [[noreturn]] void fail(const std::string& msg) const {
    std::string opts;
    for (auto& k : known_) opts += " --" + k + " N";
    std::fprintf(stderr, "%s\nusage:%s\n", msg.c_str(), opts.c_str());
    std::exit(2);
  }

 private:
  std::vector<std::string> known_, keys_, vals_;
};

/** Exact percentile (nearest rank) of samples; sorts them. */
inline uint64_t percentile(std::vector<uint64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  std::size_t rank = static_cast<std::size_t>(p / 100.0 * sorted.size() + 0.999999999);
  if (rank < 1) rank = 1;
  if (rank > sorted.size()) rank = sorted.size();
  return sorted[rank - 1];
}

}  // namespace nb
