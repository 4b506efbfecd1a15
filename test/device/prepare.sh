#!/usr/bin/env bash
# Run HERE (the development machine), once per session, before the device check: fills `.device/` (git-ignored
# through .git/info/exclude) with everything test/device/run.sh needs on the lent GPU machine, which is bare and
# offline: the check bundled into one JS file, onnxruntime-node (this platform's binaries) and onnxruntime-common,
# the Node binary, the Vulkan loader packages (WebGPU runs on Vulkan there) and the SD1.5 key table for the random
# full-size checkpoint. Large parts are xz-compressed: the working tree that travels is limited to 64 MiB.
# Then, with the device tool:  run(command="bash test/device/run.sh", carry=[".device"], timeout_s=540)
set -euo pipefail
cd "$(dirname "$0")/../.."
D=.device
grep -qx '/.device/' "$(git rev-parse --git-common-dir)/info/exclude" 2>/dev/null || echo '/.device/' >>"$(git rev-parse --git-common-dir)/info/exclude"
rm -rf "$D" && mkdir -p "$D/gl" "$D/stage/shared/models-fixtures/sd-tiny"

# The check, bundled like the CLI (onnxruntime-node stays external: it loads its native binding from node_modules).
npx esbuild test/device/gpuCheck.ts --bundle --platform=node --target=node20 --format=cjs --external:onnxruntime-node --external:sharp \
  --outfile="$D/stage/gpuCheck.js" --log-level=warning
if grep -q 'require("sharp")' "$D/stage/gpuCheck.js"; then echo "prepare: the check bundle requires sharp; carry it too" >&2; exit 1; fi

# onnxruntime-node as the .vsix ships it for linux-x64 (package.json, dist/*.js, bin/napi-v6/linux/x64), + common.
O=node_modules/onnxruntime-node
mkdir -p "$D/stage/$O/bin/napi-v6/linux" "$D/stage/node_modules/onnxruntime-common/dist"
cp "$O/package.json" "$D/stage/$O/" && cp -r "$O/dist" "$D/stage/$O/" && cp -r "$O/bin/napi-v6/linux/x64" "$D/stage/$O/bin/napi-v6/linux/"
cp node_modules/onnxruntime-common/package.json "$D/stage/node_modules/onnxruntime-common/"
cp -r node_modules/onnxruntime-common/dist/cjs "$D/stage/node_modules/onnxruntime-common/dist/"
cp ../shared/models-fixtures/sd-tiny/sd15-keys.json "$D/stage/shared/models-fixtures/sd-tiny/"
tar -C "$D/stage" -cf - . | xz -T2 -6 >"$D/check.tar.xz"
rm -rf "$D/stage"

# Node itself (the device image is not known to have Node 20+).
xz -T2 -6 <"$(readlink -f "$(command -v node)")" >"$D/node.xz"

# The Vulkan loader (libvulkan.so.1), for the device to unpack when its image lacks it.
(cd "$D/gl" && apt-get download libvulkan1 >/dev/null)

# Optional: CUDA provider libraries of the same onnxruntime version (libonnxruntime_providers_{shared,cuda}.so), put
# into .device/cuda/ by hand if you have them (they are hundreds of MB: over the 64 MiB limit as they come).
du -sh "$D"/* | sed 's/^/prepare: /'
du -sh "$D" | sed 's/^/prepare: total /'
