/// @file
/// @brief Run configurations as JSON: what a checkpoint records so that a resume with another
/// configuration can be refused with the differences named.
#ifndef ENAS_IO_CONFIG_JSON_HPP
#define ENAS_IO_CONFIG_JSON_HPP

#include <nlohmann/json.hpp>

#include <string>
#include <type_traits>

#include "enas/core/option_table.hpp"

namespace enas::io {

/// The fields of an options struct that shape a run (option::Role::kShapesRun), keyed by their
/// flag names: what a checkpoint records, so that resuming with another value is refused by name.
/// The run-control fields (epochs, max_steps, logging, evaluation batch) may change on resume.
template <class Options, std::enable_if_t<option::is_described_v<Options>, int> = 0>
nlohmann::json to_json(const Options& o) {
  nlohmann::json out = nlohmann::json::object();
  option::for_each_field<Options>([&](const auto& field) {
    if (field.role == option::Role::kShapesRun) out[field.flag] = field.of(o);
  });
  return out;
}

namespace detail {

inline void collect_differences(const nlohmann::json& there, const nlohmann::json& now, std::string& out) {
  auto note = [&](const std::string& key, const nlohmann::json& a, const nlohmann::json& b) {
    out += (out.empty() ? "" : "; ") + key + " = " + (a.is_null() ? "(absent)" : a.dump()) + " in the checkpoint, " +
           (b.is_null() ? "(absent)" : b.dump()) + " now";
  };
  for (const auto& [key, value] : there.items()) {
    const auto it = now.find(key);
    if (it == now.end()) {
      note(key, value, nullptr);
    } else if (value.is_object() && it->is_object()) {
      collect_differences(value, *it, out);  // the flags of a group, named by themselves
    } else if (*it != value) {
      note(key, value, *it);
    }
  }
  for (const auto& [key, value] : now.items()) {
    if (!there.contains(key)) note(key, nullptr, value);
  }
}

}  // namespace detail

/// "key = a in the checkpoint, b now" for every value that differs, looking inside nested groups
/// (a configuration's `options` and `controller`), so a changed flag is named by its flag name;
/// empty when nothing differs.
inline std::string describe_differences(const nlohmann::json& there, const nlohmann::json& now) {
  std::string out;
  detail::collect_differences(there, now, out);
  return out;
}

}  // namespace enas::io

#endif  // ENAS_IO_CONFIG_JSON_HPP
