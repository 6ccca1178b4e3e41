#!/usr/bin/env bash
# Packs what tests/gpu/cuda-check.sh needs on the GPU machine into .gpu/ (git-ignored; pass it as `carry`):
#   .gpu/app.tar.xz      ddpm, ddpm-benchmarks and fashion-mnist-bar, published self-contained for linux-x64 into one
#                        folder, without the CPU libtorch (the device's PyTorch brings a CUDA one), as
#                        ../shared/gpu/bundle.sh packs one app;
#   .gpu/on-device.sh    that folder's unpacker (from ../shared/gpu);
#   .gpu/fashion-mnist/  Fashion-MNIST's training images for the quality bar (the device has no network).
# The tool carries at most 64 MiB: the app is about 36 MiB and the images 25 MiB.
# Usage, from the repository root:  tests/gpu/prepare.sh [SHARED_GPU_DIR]   (default ../shared/gpu)
set -euo pipefail
shared=${1:-../shared/gpu}
[[ -f "$shared/on-device.sh" ]] || { echo "no $shared/on-device.sh; pass the folder of the GPU recipe (../shared/gpu)" >&2; exit 2; }
data=/usr/share/datasets/fashion-mnist
[[ -f "$data/train-images-idx3-ubyte.gz" ]] || { echo "no Fashion-MNIST in $data; apt-get install dataset-fashion-mnist" >&2; exit 2; }
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
rm -rf .gpu && mkdir -p .gpu
for project in samples/Ddpm.Cli tests/Ddpm.Benchmarks samples/Ddpm.FashionMnist; do
  dotnet publish "$project" -c Release -r linux-x64 --self-contained true -p:InvariantGlobalization=true -p:DebugType=none -o .gpu/app
done
# The CPU libtorch and its helpers go; TorchSharp's binding (libLibTorchSharp.so) stays.
find .gpu/app -maxdepth 1 \( -name 'libtorch*.so*' -o -name 'libc10*.so*' -o -name 'libgomp*.so*' -o -name 'libshm*.so*' \
  -o -name 'libbackend_with_compiler.so' -o -name 'libjitbackend_test.so' -o -name 'libnnapi_backend.so' \
  -o -name 'libtorchbind_test.so' -o -name 'libaoti_custom_ops.so' -o -name 'libmscordaccore.so' -o -name 'libmscordbi.so' \
  -o -name 'createdump' \) -delete
rm -rf .gpu/app/cpu .gpu/app/runtimes
tar -cJf .gpu/app.tar.xz -C .gpu/app . && rm -rf .gpu/app
cp "$shared/on-device.sh" .gpu/on-device.sh
mkdir -p .gpu/fashion-mnist && cp "$data/train-images-idx3-ubyte.gz" .gpu/fashion-mnist/
size=$(du -sm .gpu | cut -f1)
echo "$size MiB in .gpu"
(( size < 64 )) || { echo ".gpu is $size MiB, over the device tool's 64 MiB carry limit" >&2; exit 1; }
echo 'On the device (carry [".gpu"]):  source .gpu/on-device.sh && bash tests/gpu/cuda-check.sh correctness'
