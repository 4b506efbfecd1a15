#!/usr/bin/env bash
# A second, independent A1111 API client: curl + jq against `sd-studio serve --api` (URL in $1, a work folder in
# $2). Every endpoint once; exits non-zero at the first answer that is not A1111's. Run by a1111Curl.test.ts.
set -euo pipefail
URL="$1"
WORK="$2"
fail() { echo "FAIL: $*" >&2; exit 1; }
get() { curl -sS -f "$URL$1"; }
post() { curl -sS -f -H 'Content-Type: application/json' --data-binary "@-" "$URL$1"; }
# status of a request that must fail: prints "<code> <body>"
status() { curl -sS -o "$WORK/body.json" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@-" "$URL$1"; }

# txt2img: one 64x64 PNG, info as a JSON string with the seed, parameters echoing A1111's defaults
echo '{"prompt":"a lighthouse","steps":3,"width":64,"height":64,"seed":1234,"sampler_name":"Euler"}' | post /sdapi/v1/txt2img > "$WORK/t2i.json"
jq -e '.images | length == 1' "$WORK/t2i.json" >/dev/null || fail "txt2img images"
jq -e '.parameters.sampler_index == "Euler" and .parameters.steps == 3 and .parameters.batch_size == 1' "$WORK/t2i.json" >/dev/null || fail "txt2img parameters"
jq -r '.info' "$WORK/t2i.json" | jq -e '.seed == 1234 and .all_seeds == [1234] and (.infotexts[0] | test("Seed: 1234, Size: 64x64"))' >/dev/null || fail "txt2img info"
jq -r '.images[0]' "$WORK/t2i.json" | base64 -d > "$WORK/t2i.png"
[ "$(head -c 8 "$WORK/t2i.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "txt2img image is not a PNG"

# img2img from that image
INIT="$(jq -r '.images[0]' "$WORK/t2i.json")"
jq -n --arg img "$INIT" '{prompt:"a lighthouse at night",init_images:[$img],denoising_strength:0.5,steps:4,width:64,height:64,seed:99}' | post /sdapi/v1/img2img > "$WORK/i2i.json"
jq -r '.info' "$WORK/i2i.json" | jq -e '.infotexts[0] | test("Denoising strength: 0.5")' >/dev/null || fail "img2img infotext"

# png-info reads the infotext back
jq -n --arg img "$INIT" '{image:$img}' | post /sdapi/v1/png-info > "$WORK/png.json"
jq -e '.parameters.Seed == "1234" and (.info | startswith("a lighthouse\n"))' "$WORK/png.json" >/dev/null || fail "png-info"

# extras
jq -n --arg img "$INIT" '{image:$img,upscaler_1:"Lanczos",upscaling_resize:2}' | post /sdapi/v1/extra-single-image > "$WORK/x1.json"
jq -e '.image | length > 100' "$WORK/x1.json" >/dev/null || fail "extra-single-image"
jq -n --arg img "$INIT" '{imageList:[{data:$img,name:"a.png"},{data:$img,name:"b.png"}],upscaler_1:"Nearest",upscaling_resize:2}' | post /sdapi/v1/extra-batch-images > "$WORK/x2.json"
jq -e '.images | length == 2' "$WORK/x2.json" >/dev/null || fail "extra-batch-images"

# state and control
get /sdapi/v1/progress | jq -e '.progress == 0 and .state.job_count == 0 and has("eta_relative")' >/dev/null || fail "progress"
[ "$(echo '{}' | post /sdapi/v1/interrupt)" = "{}" ] || fail "interrupt"
[ "$(echo '{}' | post /sdapi/v1/skip)" = "null" ] || fail "skip"
echo '{"CLIP_stop_at_last_layers":2}' | post /sdapi/v1/options >/dev/null
get /sdapi/v1/options | jq -e '.CLIP_stop_at_last_layers == 2 and .samples_format == "png"' >/dev/null || fail "options"
echo '{"CLIP_stop_at_last_layers":1}' | post /sdapi/v1/options >/dev/null

# lists
get /sdapi/v1/sd-models | jq -e 'map(.model_name) | index("tiny") != null' >/dev/null || fail "sd-models"
get /sdapi/v1/sd-vae | jq -e 'type == "array"' >/dev/null || fail "sd-vae"
get /sdapi/v1/samplers | jq -e 'map(.name) | index("Euler a") != null' >/dev/null || fail "samplers"
get /sdapi/v1/schedulers | jq -e 'map(.label) | index("Karras") != null' >/dev/null || fail "schedulers"
get /sdapi/v1/upscalers | jq -e '.[0].name == "None"' >/dev/null || fail "upscalers"
get /sdapi/v1/latent-upscale-modes | jq -e '.[0].name == "Latent"' >/dev/null || fail "latent-upscale-modes"
get /sdapi/v1/face-restorers | jq -e 'length == 2' >/dev/null || fail "face-restorers"
get /sdapi/v1/loras | jq -e 'type == "array"' >/dev/null || fail "loras"
get /sdapi/v1/embeddings | jq -e 'has("loaded") and has("skipped")' >/dev/null || fail "embeddings"
get /sdapi/v1/prompt-styles | jq -e 'type == "array"' >/dev/null || fail "prompt-styles"
get /sdapi/v1/memory | jq -e '.ram.total > 0' >/dev/null || fail "memory"
[ "$(echo '{}' | post /sdapi/v1/refresh-checkpoints)" = "null" ] || fail "refresh-checkpoints"
get /openapi.json | jq -e '.paths["/sdapi/v1/txt2img"].post' >/dev/null || fail "openapi.json"

# interrogate without interrogate models: A1111's error shape naming the missing model
code="$(jq -n --arg img "$INIT" '{image:$img, model:"deepdanbooru"}' | status /sdapi/v1/interrogate)"
[ "$code" != 200 ] && jq -e '(.error | type == "string") and (.detail | test("deepbooru|deepdanbooru|model-resnet"; "i"))' "$WORK/body.json" >/dev/null || fail "interrogate: $code"

# errors
[ "$(echo '{"prompt":"x"}' | status /sdapi/v1/img2img)" = 404 ] || fail "img2img without init_images"
jq -e '.detail == "Init image not found" and .error == "HTTPException"' "$WORK/body.json" >/dev/null || fail "404 shape"
[ "$(echo '{"sampler_name":"Nope"}' | status /sdapi/v1/txt2img)" = 400 ] || fail "unknown sampler"
[ "$(echo '{"steps":"many"}' | status /sdapi/v1/txt2img)" = 422 ] || fail "validation"
jq -e '.detail[0].loc == ["body","steps"]' "$WORK/body.json" >/dev/null || fail "422 shape"
echo "curl client: every endpoint answered as A1111 does"
