#include "hwnas/predictors/kernels/conv_dispatch.h"

#include <nlohmann/json.hpp>

namespace hwnas::predictors {

std::string_view conv_dispatch_name(ConvDispatch dispatch) {
  switch (dispatch) {
    case ConvDispatch::kAtenOneThread: return "aten-1-thread";
    case ConvDispatch::kAtenThreaded: return "aten-threaded";
    case ConvDispatch::kAlwaysBlocked: return "always-blocked";
  }
  return "always-blocked";
}

ConvDispatch conv_dispatch_of(const std::string& fingerprint_json) {
  const auto fingerprint = nlohmann::json::parse(fingerprint_json, nullptr, /*allow_exceptions=*/false);
  if (fingerprint.is_discarded() || !fingerprint.is_object()) return ConvDispatch::kAlwaysBlocked;
  const auto engine = fingerprint.find("engine");
  const auto threads = fingerprint.find("threads");
  if (engine == fingerprint.end() || !engine->is_string() || engine->get<std::string>() != "eager" ||
      threads == fingerprint.end() || !threads->is_number_integer() || threads->get<int>() < 1)
    return ConvDispatch::kAlwaysBlocked;
  return threads->get<int>() == 1 ? ConvDispatch::kAtenOneThread : ConvDispatch::kAtenThreaded;
}

bool takes_native_conv_path(ConvDispatch dispatch, const KernelConfig& c) {
  if (dispatch == ConvDispatch::kAlwaysBlocked || c.groups < 1 || c.kernel <= 0) return false;  // pools: groups 0
  if (dispatch == ConvDispatch::kAtenOneThread && c.kernel == 1 && c.stride == 1) return true;
  const std::int64_t input_elements = c.h * c.w * c.cin;
  return c.groups == 1 && c.kernel <= 3 && input_elements <= 20480;
}

}  // namespace hwnas::predictors
