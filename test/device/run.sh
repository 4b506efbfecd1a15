#!/usr/bin/env bash
# Run THERE (the lent GPU machine), from the repository root, after test/device/prepare.sh here:
#   run(command="bash test/device/run.sh", carry=[".device"], timeout_s=540)
# Unpacks .device/, makes Vulkan reachable (WebGPU runs on it), looks for CUDA, runs test/device/gpuCheck.ts on the
# tiny model and on a full-size random SD1.5 UNet for the CPU, WebGPU and CUDA providers, and leaves the log and
# gpu-check.json in $OUT. Whatever fails is recorded and the script goes on. GPU_CHECK_FULL=0 skips the full-size
# part; GPU_CHECK_BUDGET (seconds, default 420) bounds the check itself.
set -uo pipefail
D="$(pwd)/.device"
OUTDIR="${OUT:-/tmp/gpu-check-out}"
W=/tmp/gpu-check
mkdir -p "$OUTDIR" "$W"
exec > >(tee "$OUTDIR/run.log") 2>&1
say() { echo "== $*"; }
[ -d "$D" ] || { echo "no .device/: run test/device/prepare.sh here and carry .device"; exit 2; }

say machine
uname -a; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | head -3
unxz() { if command -v xz >/dev/null; then xz -dc "$1"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; fi; }

say node
NODE=node
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null; then
  unxz "$D/node.xz" >"$W/node" && chmod +x "$W/node" && NODE="$W/node"
fi
"$NODE" --version

say unpack
unxz "$D/check.tar.xz" | tar -C "$W" -xf - && ls "$W"

say vulkan
# The carried loader is unpacked into a private prefix (never over /), found through LD_LIBRARY_PATH.
if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
  for f in "$D"/gl/*.deb; do dpkg -x "$f" "$W/gl"; done
  export LD_LIBRARY_PATH="$W/gl/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  ls "$W/gl/usr/lib/x86_64-linux-gnu" | grep vulkan
else
  ldconfig -p | grep libvulkan
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; echo "ICD: $icd"; break; fi
done
[ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] && export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json

say cuda
# onnxruntime-node's CUDA provider is built for CUDA 12 + cuDNN 9; say what this image has.
ldconfig -p | grep -E 'libcudart\.so|libcublasLt\.so|libcudnn\.so|libcufft\.so' | sed 's/ (.*//' | sort -u | head -20
for lib in $(python3 -c 'import glob,site; [print(p) for d in site.getsitepackages() for p in glob.glob(d + "/nvidia/*/lib")]' 2>/dev/null); do
  ls "$lib" | grep -E '^lib(cudart|cublasLt|cudnn|cufft)\.so\.[0-9]+$' | sed "s|^|$lib/|"
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$lib"
done
BIN="$W/node_modules/onnxruntime-node/bin/napi-v6/linux/x64"
if ls "$D"/cuda/libonnxruntime_providers_*.so >/dev/null 2>&1; then
  cp "$D"/cuda/libonnxruntime_providers_*.so "$BIN/" && echo "CUDA provider libraries carried: $(ls "$D"/cuda)"
else
  echo "CUDA provider libraries not carried (libonnxruntime_providers_cuda.so is hundreds of MB; limit 64 MiB): CUDA is expected to fail to load"
fi

say check
cd "$W"
FULL=--full; [ "${GPU_CHECK_FULL:-1}" = 0 ] && FULL=
SD_STUDIO_SHARED="$W/shared" SD_STUDIO_GPU_RUNTIME=off SD_STUDIO_CACHE_DIR="$W/cache" \
  timeout "${GPU_CHECK_BUDGET:-420}" "$NODE" gpuCheck.js --out "$OUTDIR" --work "$W/work" $FULL --providers "${GPU_CHECK_PROVIDERS:-webgpu,cuda}"
echo "gpuCheck exit $?"
ls -la "$OUTDIR"
