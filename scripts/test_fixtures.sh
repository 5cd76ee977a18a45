#!/usr/bin/env bash
# Test fixtures that are generated, not committed: TorchScript exports of torchvision models, made by
# Debian's PyTorch with random weights (nothing is downloaded), read by test_frontends.
# CI exports a representative subset (every layer family of the zoo, small files); the whole zoo,
# VGG, AlexNet and ViT-B/16 included, is `cmake --build build --target frontends_model_zoo` (about 2 GB).
# Usage: scripts/test_fixtures.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:?usage: scripts/test_fixtures.sh BUILD_DIR}"
out="$build/model_zoo"
models="resnet18,mobilenet_v2,mobilenet_v3_small,efficientnet_b0,shufflenet_v2_x1_0,squeezenet1_0,mnasnet1_0,regnet_y_400mf,densenet121,googlenet,convnext_tiny,transformer_encoder"

if ! /usr/bin/python3 -c "import torchvision" 2>/dev/null; then
  echo "test_fixtures: installing python3-torchvision (to export the model zoo)"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends python3-torchvision
fi
if [ ! -f "$out/manifest.json" ]; then
  echo "test_fixtures: exporting the model zoo subset to $out"
  /usr/bin/python3 scripts/export_model_zoo.py "$out" --models "$models"
fi
