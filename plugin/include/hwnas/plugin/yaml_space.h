#pragma once
/// Search spaces declared in YAML, no C++ needed: a stem, a chain of stages of blocks, and a head.
///
///     name: tiny_resnet                 # registry name (letters, digits, '_', '-', '.')
///     description: ...                  # optional, one line for `hwnas spaces`
///     input: [3, 32, 32]                # C, H, W of one image (the batch is added)
///     classes: 10
///     stem: {type: conv, channels: 16, kernel: 3, stride: 1}          # optional
///     blocks:                                                          # stages, in order
///       - {type: [resnet_basic, resnet_bottleneck], channels: [32, 48, 64], stride: 2, repeat: [1, 2, 3]}
///       - {type: mbconv, channels: [64, 96], kernel: [3, 5], expand: [3, 6], stride: 2, repeat: [1, 2],
///          se: [false, true], act: relu}
///     head: {pool: global_avg, channels: 0, hidden: 0}                # optional
///
/// Every field given as a list is a choice, i.e. one gene; a scalar is fixed. Unknown keys are errors.
///
/// Stage (and stem) fields, with defaults:
///   type      conv | resnet_basic | resnet_bottleneck | mbconv   (required in a stage; stem: conv)
///   channels  output channels (required)
///   kernel    3; odd, the spatial size of the k x k (or depthwise) convolution, padding k/2
///   expand    mbconv: hidden = input channels * expand (6; 1 = no expansion conv);
///             resnet_bottleneck: bottleneck = channels / expand (4). Only for those two types.
///   stride    1; of the stage's first block (the others have stride 1)
///   repeat    1; blocks in the stage (every block of a stage takes the same choices)
///   se        false; squeeze-and-excitation on the residual branch (not for conv)
///   act       relu | relu6 | hardswish | silu | gelu | sigmoid  (relu)
/// Head fields: pool global_avg | flatten (global_avg); channels: a 1x1 conv-bn-act before the pool
/// (0 = none); hidden: a linear-act layer before the classifier (0 = none); act (relu).
///
/// Blocks (every conv is bias-free and followed by batch norm; "act" is the stage's activation):
///   conv               conv k/s - act
///   resnet_basic       conv k/s - act - conv k - [se] - add shortcut - act
///   resnet_bottleneck  conv 1x1 to channels/expand - act - conv k/s - act - conv 1x1 - [se] - add - act
///   mbconv             [conv 1x1 to in*expand - act] - depthwise k/s - act - [se] - conv 1x1 - [add]
/// The resnet shortcut is the identity when stride is 1 and the channels do not change, else a 1x1 conv
/// with the stride; mbconv adds its input only when the shapes match. SE: global pool, 1x1 conv (bias) to
/// max(1, C/4), relu, 1x1 conv (bias) back to C, sigmoid (hardsigmoid when act is hardswish), multiply.
/// The classifier is a linear layer (with bias) to `classes`.
///
/// Genotype: one gene per list, in this order: stem, stages top to bottom, head; within each, the fields
/// in the order type, channels, kernel, expand, stride, repeat, se, act (head: pool, channels, hidden,
/// act). Gene value i picks the i-th list entry.
///
/// String form: `key=value` for every gene, comma-separated, in gene order, where key is `stem.F`,
/// `b<N>.F` (stage N, from 1) or `head.F`, e.g.
///     b1.type=resnet_basic,b1.channels=48,b1.repeat=2,b2.channels=96,b2.kernel=5,...
/// Parsing accepts the keys in any order and spaces around tokens, but every gene exactly once. A space
/// without choices has the empty string as its single architecture.
///
/// Checked on load, for every architecture of the space: kernels odd and no larger than the feature
/// map they run on, strides no larger than it (a 1x1 map cannot be strided further), channels, repeat,
/// expand >= 1, a bottleneck of at least one channel. Errors name the file, line and stage.

#include <filesystem>
#include <memory>
#include <string>

#include "hwnas/spaces/search_space.h"

namespace hwnas::plugin {

/// Reads and checks a YAML space file; throws hwnas::Error as `file:line: what` on any problem.
std::unique_ptr<spaces::SearchSpace> load_yaml_space(const std::filesystem::path& path);

/// Same from text; `source` names it in messages.
std::unique_ptr<spaces::SearchSpace> parse_yaml_space(const std::string& text, const std::string& source = "<yaml>");

}  // namespace hwnas::plugin
