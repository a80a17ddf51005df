/// @file
/// @brief Where the programs look for a data set, in order: `data/<name>/`, then
/// `$ENAS_DATA_DIR/<name>`, then `../shared/data/<name>` (relative to the working directory and
/// to the project folder), then a download into `data/<name>/`.
#ifndef ENAS_DATA_LOCATE_HPP
#define ENAS_DATA_LOCATE_HPP

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "enas/core/error.hpp"

namespace enas::data {

/// Folders that could hold data set `name` (e.g. "ptb", "cifar-10-batches-bin"), in the order
/// they are tried. `project_dir` (optional) is the enas source folder, for programs started
/// elsewhere.
inline std::vector<std::filesystem::path> candidate_dirs(const std::string& name,
                                                         const std::filesystem::path& project_dir = {}) {
  namespace fs = std::filesystem;
  std::vector<fs::path> dirs;
  auto add = [&](const fs::path& p) {
    for (const auto& d : dirs) {
      if (d == p) return;
    }
    dirs.push_back(p);
  };
  add(fs::path("data") / name);
  if (!project_dir.empty()) add(project_dir / "data" / name);
  if (const char* env = std::getenv("ENAS_DATA_DIR"); env != nullptr && *env != '\0') add(fs::path(env) / name);
  add(fs::path("..") / "shared" / "data" / name);
  if (!project_dir.empty()) add(project_dir / ".." / "shared" / "data" / name);
  return dirs;
}

/// The first candidate folder that holds every file in `required`, or empty.
inline std::filesystem::path find_data_dir(const std::string& name, const std::vector<std::string>& required,
                                           const std::filesystem::path& project_dir = {}) {
  for (const auto& dir : candidate_dirs(name, project_dir)) {
    bool all = true;
    for (const auto& f : required) all = all && std::filesystem::is_regular_file(dir / f);
    if (all) return dir;
  }
  return {};
}

/// Downloads `files` from `base_url` into `dir` with curl (or wget). Returns false, leaving no
/// partial file behind, when neither tool is present or a download fails (e.g. no network).
inline bool download_files(const std::string& base_url, const std::vector<std::string>& files,
                           const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return false;
  const bool have_curl = std::system("command -v curl >/dev/null 2>&1") == 0;
  const bool have_wget = !have_curl && std::system("command -v wget >/dev/null 2>&1") == 0;
  if (!have_curl && !have_wget) return false;
  for (const auto& f : files) {
    const auto target = dir / f;
    const auto partial = dir / (f + ".part");
    const std::string url = base_url + f;
    const std::string cmd = have_curl ? "curl -fsSL --connect-timeout 20 -o '" + partial.string() + "' '" + url + "'"
                                      : "wget -q -T 20 -O '" + partial.string() + "' '" + url + "'";
    if (std::system(cmd.c_str()) != 0) {
      fs::remove(partial, ec);
      return false;
    }
    fs::rename(partial, target, ec);
    if (ec) return false;
  }
  return true;
}

}  // namespace enas::data

#endif  // ENAS_DATA_LOCATE_HPP
