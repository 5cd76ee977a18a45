#pragma once
/// Import of TorchScript models (scripted or traced, saved by PyTorch) into the hwnas graph IR.
///
/// The model is loaded with LibTorch, put in eval mode and frozen (weights become constants, methods are
/// inlined), then run once on a zero tensor of the given input shape by an interpreter that walks the
/// frozen graph node by node. Every executed aten op whose inputs depend on the model input is lowered to
/// core::Graph ops with the shapes it really produced; ops on constants only (weights, sizes, lists) are
/// evaluated and leave no IR node, and branches not taken are never lowered. See lowered_aten_ops() for
/// what is understood and docs in frontends/src/aten_lowering.cpp for the approximations made.

#include <filesystem>
#include <string>
#include <vector>

#include "hwnas/core/graph.h"
#include "hwnas/core/shape.h"

namespace hwnas::frontends {

struct ImportOptions {
  std::string method = "forward";  ///< the module method to import; it must take one tensor
  std::string graph_name;          ///< name of the resulting graph; empty: the file's stem ("resnet18.script")
};

/// Reads the TorchScript file and lowers its `method` for an input of `input_shape` (NCHW or any rank).
/// The graph has one input node and one output per tensor the method returns (googlenet's scripted
/// tuple gives one). Throws hwnas::Error, one line, when the file is missing or is not a TorchScript
/// archive, when the model fails on that input shape (naming the op, its module path and the shapes),
/// or when a depending op has no lowering (naming the aten op, where it occurs and the supported ops).
core::Graph import_torchscript(const std::filesystem::path& file, const core::Shape& input_shape,
                               const ImportOptions& options = {});

/// The aten/prim ops the importer lowers to IR nodes or folds away, sorted ("aten::add", "aten::conv2d", ...).
const std::vector<std::string>& lowered_aten_ops();

}  // namespace hwnas::frontends
