#!/usr/bin/env bash
# The Fashion-MNIST transfer study of docs/networks.md: pretrain a ResNet-20
# on classes 0-4, then on classes 5-9 (other images: the pool comes from
# the training split, the test set from the test split) compare the eNTK
# and the penultimate-feature kernel of the pretrained network with those
# of the same architecture at random initialisation.
#
#   scripts/transfer_study.sh [RMTLENS] [OUT]      (defaults: build/rmtlens,
#                                                   results/transfer)
set -euo pipefail
rmtlens=${1:-build/rmtlens}
out=${2:-results/transfer}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"

weights="$out/resnet20_classes0-4.pt"
data=(--dataset fashion-mnist --classes 5-9 --count 2000 --test-count 1000
      --data-seed 0)
random=(--arch resnet --depth 20 --width 16 --seed 0)

[ -f "$weights" ] || "$rmtlens" pretrain --out "$weights" -v
"$rmtlens" ntk --weights "$weights" "${data[@]}" --out "$out/ntk_pretrained" -v
"$rmtlens" ntk "${random[@]}" "${data[@]}" --out "$out/ntk_random" -v
"$rmtlens" features --weights "$weights" "${data[@]}" \
  --out "$out/features_pretrained"
"$rmtlens" features "${random[@]}" "${data[@]}" --out "$out/features_random"

for rep in ntk_pretrained ntk_random features_pretrained features_random; do
  d="$out/$rep"
  "$rmtlens" sweep --loo --kernel "$d/kernel.npy" \
    --test-kernel "$d/test_kernel.npy" --labels "$d/labels.npy" \
    --test-labels "$d/test_labels.npy" --sizes 250,500,1000,2000 \
    --ridges log:1e-6:1:13 --out "$d/sweep" > "$d/sweep.txt"
done
/usr/bin/python3 "$here/transfer_summary.py" "$out"
