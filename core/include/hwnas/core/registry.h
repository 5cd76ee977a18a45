#pragma once
/// A name -> factory registry. Built-ins are registered explicitly (no self-registering statics,
/// which a static library can lose at link time); a failed lookup lists every valid name.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"

namespace hwnas::core {

template <typename Product, typename... Args>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<Product>(Args...)>;

  /// `what` names the kind of thing in messages ("search space", "platform").
  explicit Registry(std::string what) : what_(std::move(what)) {}

  void add(const std::string& name, Factory factory, std::string description = "") {
    HWNAS_CHECK(!entries_.count(name), "{} '{}' is registered twice", what_, name);
    entries_.emplace(name, Entry{std::move(factory), std::move(description)});
  }

  bool contains(const std::string& name) const { return entries_.count(name) > 0; }

  std::unique_ptr<Product> create(const std::string& name, Args... args) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) fail("unknown {} '{}' (valid: {})", what_, name, fmt::join(names(), ", "));
    return it->second.factory(std::forward<Args>(args)...);
  }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, entry] : entries_) out.push_back(name);
    return out;
  }

  const std::string& description(const std::string& name) const { return entries_.at(name).description; }

 private:
  struct Entry {
    Factory factory;
    std::string description;
  };
  std::string what_;
  std::map<std::string, Entry> entries_;
};

}  // namespace hwnas::core
