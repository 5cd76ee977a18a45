#pragma once
/// Where a TorchScript node comes from, for messages. INTERNAL torch header.

#include <string>

#include <torch/script.h>

namespace hwnas::frontends {

/// Dotted path of the submodule the node was inlined from ("layer1.0.conv1"), or "" at the top level.
std::string module_path(const torch::jit::Node& node);

/// "file.py:123" of the Python source that produced the node (the original source of a scripted model,
/// the calling line of a traced one), or "" when the file carries no debug information.
std::string source_location(const torch::jit::Node& node);

/// "aten::conv2d in module 'layer1.0.conv1' at resnet.py:71": the op and everything known of its site.
std::string describe_node(const torch::jit::Node& node);

/// First line of an exception's message, without LibTorch's C++ backtrace.
std::string first_line(const std::exception& error);

}  // namespace hwnas::frontends
