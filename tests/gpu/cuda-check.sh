#!/usr/bin/env bash
# The CUDA check of docs/gpu.md, prepared on the CPU and run on the GPU machine (the `device` tool) in two parts,
# each under the tool's 10-minute limit. Everything it measures lands under $OUT; a step that fails is logged with
# its exit code and the rest still run. Prepare the bundle first: tests/gpu/prepare.sh.
#
#   on the device:  source .gpu/on-device.sh && bash tests/gpu/cuda-check.sh correctness   (then: speed)
#   dry run here:   tests/gpu/cuda-check.sh --dry-run correctness   (CPU, tiny sizes, this machine's build)
#
# correctness: train 200 steps of the CLI's default network on CUDA and on the CPU (loss.csv side by side), sample
#              both, sample 500 from the CUDA model on each device with one seed and score both (ddpm eval), the
#              bfloat16 forward against float32 on CUDA, the quality bar on CUDA, and sampling images/s by method.
# speed:       vs-pytorch on CUDA against the machine's PyTorch: the notebook's SimpleUNet at batch 128 in fp32 and
#              bf16, and the default UNet at batch 256 in fp32 and bf16; then the CPU training run of the same 200 steps.
set -uo pipefail

dry=0
if [[ "${1:-}" == "--dry-run" ]]; then dry=1; shift; fi
part=${1:?usage: cuda-check.sh [--dry-run] correctness|speed}
out=${OUT:-$PWD/gpu-out}
mkdir -p "$out"
repo=$(cd "$(dirname "$0")/../.." && pwd)

if (( dry )); then
  # This machine's Release build, the CPU, and sizes that finish in minutes on 2 cores.
  device=cpu
  ddpm=(dotnet "$repo/samples/Ddpm.Cli/bin/Release/net10.0/ddpm.dll")
  bench=(dotnet "$repo/tests/Ddpm.Benchmarks/bin/Release/net10.0/ddpm-benchmarks.dll")
  bar=(dotnet "$repo/samples/Ddpm.FashionMnist/bin/Release/net10.0/fashion-mnist-bar.dll")
  data=/usr/share/datasets/fashion-mnist
  python=/usr/bin/python3
  train_steps=4; train_size=(--unet tiny --timesteps 20); eval_count=20; sample_count=8
  bar_args=(--max-steps 3 --samples 20 --sampling-steps 2); speed_count=8
  vs_simple=(--batch-size 2 --image-size 16 --steps 1 --warmup 1 --rounds 1 --threads 2)
  vs_unet=(--batch-size 2 --image-size 16 --steps 1 --warmup 1 --rounds 1 --threads 2)
  precisions=(fp32); agreement=(--batch-size 2 --image-size 16); samplers=("ddim 5" "dpm++2m 5" "euler-a 5" "ddpm")
else
  device=cuda
  ddpm=(/tmp/app/ddpm)
  bench=(/tmp/app/ddpm-benchmarks)
  bar=(/tmp/app/fashion-mnist-bar)
  data=$repo/.gpu/fashion-mnist
  python=$(command -v python3)
  train_steps=200; train_size=(); eval_count=500; sample_count=64
  bar_args=(); speed_count=1000
  vs_simple=(--batch-size 128 --image-size 64 --steps 20 --warmup 5 --rounds 2)
  vs_unet=(--batch-size 256 --image-size 32 --timesteps 1000 --network unet --steps 10 --warmup 3 --rounds 2)
  precisions=(fp32 bf16); agreement=(--batch-size 64 --image-size 32); samplers=("ddim 50" "dpm++2m 20" "euler-a 20" "ddpm")
fi

# step NAME SECONDS COMMAND...: runs one step under a time limit, its output in $out/NAME.log, its verdict in $out/steps.txt.
step() {
  local name=$1 limit=$2; shift 2
  local start=$SECONDS
  timeout "$limit" "$@" > "$out/$name.log" 2>&1
  local rc=$?
  printf '%-28s exit %3d  %4d s\n' "$name" "$rc" $((SECONDS - start)) | tee -a "$out/steps.txt"
}

machine() {
  { date -u; uname -a; nproc; lscpu | grep -E 'Model name|CPU family'
    command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
    "$python" -c 'import torch; print("PyTorch", torch.__version__, "CUDA", torch.version.cuda)'
    "${ddpm[@]}" --version; } > "$out/machine.txt" 2>&1
}

correctness() {
  step train-$device 240 "${ddpm[@]}" train --device "$device" --steps "$train_steps" "${train_size[@]}" --samples 16 --out "$out/train-$device" --json
  local model=$out/train-$device
  step sample-$device 120 "${ddpm[@]}" sample --model "$model" --device "$device" --count "$sample_count" --seed 1 --out "$out/samples-$device.png" --json
  [[ $device == cpu ]] || step sample-cpu 120 "${ddpm[@]}" sample --model "$model" --device cpu --count "$sample_count" --seed 1 --out "$out/samples-cpu.png" --json
  for where in $(printf '%s\n' "$device" cpu | uniq); do
    step eval-sample-$where 240 "${ddpm[@]}" sample --model "$model" --device "$where" --count "$eval_count" --seed 1 --out "$out/eval-$where.png" --individual "$out/eval-$where" --json
    step eval-$where 120 "${ddpm[@]}" eval "$out/eval-$where" --json
    rm -rf "$out/eval-$where"
  done
  step bf16-agreement-random 120 "${bench[@]}" bf16-agreement --device "$device" "${agreement[@]}"
  step bf16-agreement-trained 120 "${bench[@]}" bf16-agreement --device "$device" --model "$model/model.ddpm"
  for sampler in "${samplers[@]}"; do
    read -r name steps <<< "$sampler"
    step speed-$name 240 "${ddpm[@]}" sample --model "$model" --device "$device" --count "$speed_count" --batch-size 250 --sampler "$name" ${steps:+--steps $steps} --seed 2 --out "$out/speed-$name.png" --json
  done
  step bar 420 "${bar[@]}" --device "$device" --data "$data" --out "$out/bar" "${bar_args[@]}"
  rm -rf "$out/bar/samples"
}

speed() {
  for precision in "${precisions[@]}"; do
    step vs-pytorch-simple-unet-$precision 300 "${bench[@]}" vs-pytorch --device "$device" --mode train --precision "$precision" "${vs_simple[@]}" --python "$python" --script "$repo/tests/reference/notebook_speed.py"
    step vs-pytorch-unet-$precision 300 "${bench[@]}" vs-pytorch --device "$device" --mode train --precision "$precision" --channels 3 "${vs_unet[@]}" --python "$python" --script "$repo/tests/reference/notebook_speed.py"
  done
  # The CPU run whose loss.csv the CUDA run's is compared with (after the timings, so that it does not disturb them).
  step train-cpu 300 "${ddpm[@]}" train --device cpu --steps "$train_steps" "${train_size[@]}" --samples 16 --out "$out/train-cpu" --json
}

machine
case $part in
  correctness) correctness ;;
  speed) speed ;;
  *) echo "unknown part '$part'; use correctness or speed" >&2; exit 2 ;;
esac
