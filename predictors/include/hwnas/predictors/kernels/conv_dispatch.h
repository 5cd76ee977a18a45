#pragma once
/// How a platform's engine picks the implementation of a dense convolution. Two convolutions of nearly
/// equal work can differ ~20x in latency depending on that choice, and no smooth function of the shape
/// finds the cut, so the kernel features spell it out (KernelFeatures::of) and must know the rule of the
/// platform whose latencies they describe. The rule is read from the platform fingerprint, so a predictor
/// set, its training data and a calibration on a new platform all agree on it without storing it.

#include <string>
#include <string_view>

#include "hwnas/predictors/kernels/kernel.h"

namespace hwnas::predictors {

enum class ConvDispatch {
  /// LibTorch eager on one intra-op thread (ATen Convolution.cpp, ConvParams::use_mkldnn, batch 1):
  /// the native im2col + BLAS path for a 1x1 unstrided convolution, or for an ungrouped one with a
  /// kernel of at most 3 on an input of at most 20480 elements; oneDNN otherwise.
  kAtenOneThread,
  /// LibTorch eager on several intra-op threads: the same rule without the 1x1 clause (ATen sends 1x1
  /// convolutions to oneDNN once it has threads to share).
  kAtenThreaded,
  /// Every convolution in vector-blocked kernels: frozen TorchScript (its convolutions are rewritten
  /// to oneDNN), OpenCV DNN, and any engine hwnas knows nothing about.
  kAlwaysBlocked,
};

/// "aten-1-thread", "aten-threaded", "always-blocked".
std::string_view conv_dispatch_name(ConvDispatch dispatch);

/// The dispatch of the platform with this fingerprint (devices::PlatformFingerprint::to_json()):
/// engine "eager" with 1 thread or more → kAtenOneThread / kAtenThreaded; anything else, including
/// text that is not a fingerprint (a hand-built set's), → kAlwaysBlocked.
ConvDispatch conv_dispatch_of(const std::string& fingerprint_json);

/// Whether `dispatch` runs this kernel on LibTorch's native convolution path (false for every kernel
/// that is not a convolution, and always under kAlwaysBlocked). ATen also sends dilated convolutions to
/// oneDNN; a KernelConfig does not record dilation (no search space here dilates), so such a kernel of
/// an imported model may be placed on the wrong side.
bool takes_native_conv_path(ConvDispatch dispatch, const KernelConfig& config);

}  // namespace hwnas::predictors
