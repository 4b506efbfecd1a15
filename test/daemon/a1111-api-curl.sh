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

# PNG width and height from the IHDR chunk of a base64 image on stdin: prints "WxH"
png_size() { base64 -d | od -An -tu1 -j16 -N8 | awk '{ printf "%dx%d", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }'; }

# hires fix: the image has the upscaled size, the infotext and info the Hires keys
echo '{"prompt":"a lighthouse","steps":3,"width":64,"height":64,"seed":5,"enable_hr":true,"hr_scale":2,"hr_upscaler":"Latent","hr_second_pass_steps":2,"denoising_strength":0.6}' | post /sdapi/v1/txt2img > "$WORK/hr.json"
[ "$(jq -r '.images[0]' "$WORK/hr.json" | png_size)" = "128x128" ] || fail "hires image size"
jq -r '.info' "$WORK/hr.json" | jq -e '.width == 64 and .extra_generation_params["Hires upscale"] == 2 and (.infotexts[0] | test("Hires upscale: 2, Hires steps: 2, Hires upscaler: Latent"))' >/dev/null || fail "hires info"

# X/Y/Z plot through script_name: Steps (index 4) x Sampler (index 9, from the dropdown list), with sub images
jq -n '{prompt:"a lighthouse",steps:3,width:64,height:64,seed:8,script_name:"X/Y/Z plot",
  script_args:[4,"2,3",[],9,"",["Euler","Euler a"],0,"",[],true,true,false,false,false,false,false,0,false]}' | post /sdapi/v1/txt2img > "$WORK/xyz.json"
jq -e '.images | length == 5' "$WORK/xyz.json" >/dev/null || fail "xyz: grid + 4 cells"
[ "$(jq -r '.images[1]' "$WORK/xyz.json" | png_size)" = "64x64" ] || fail "xyz cell size"
jq -r '.info' "$WORK/xyz.json" | jq -e '.index_of_first_image == 1 and (.infotexts[0] | test("Script: X/Y/Z plot, X Type: Steps, X Values: \"2,3\", Y Type: Sampler"))' >/dev/null || fail "xyz grid infotext"
[ "$(echo '{"script_name":"no such script"}' | status /sdapi/v1/txt2img)" = 422 ] || fail "unknown script"
jq -e '.detail == "Script '"'"'no such script'"'"' not found"' "$WORK/body.json" >/dev/null || fail "unknown script detail"
get /sdapi/v1/scripts | jq -e '(.txt2img | index("x/y/z plot") != null) and (.img2img | index("outpainting mk2") != null)' >/dev/null || fail "scripts"
get /sdapi/v1/script-info | jq -e 'map(select(.name == "prompt matrix")) | length == 2' >/dev/null || fail "script-info"

# restore_faces: this models root has no face restorer, so the job is refused before it generates, naming it
[ "$(echo '{"prompt":"a face","steps":2,"width":64,"height":64,"restore_faces":true}' | status /sdapi/v1/txt2img)" = 404 ] || fail "restore_faces without models"
jq -e '.detail | test("CodeFormer model folder")' "$WORK/body.json" >/dev/null || fail "restore_faces detail"

# prompt styles: the styles.csv beside the models (written here) is what prompt-styles lists and txt2img applies
printf 'name,prompt,negative_prompt\r\nnoir,"{prompt}, film noir",colour\r\n' > "$WORK/styles.csv"
get /sdapi/v1/prompt-styles | jq -e '. == [{"name":"noir","prompt":"{prompt}, film noir","negative_prompt":"colour"}]' >/dev/null || fail "prompt-styles"
echo '{"prompt":"a street","steps":2,"width":64,"height":64,"seed":2,"styles":["noir"]}' | post /sdapi/v1/txt2img | jq -r '.info' \
  | jq -e '.infotexts[0] | startswith("a street, film noir\nNegative prompt: colour\n")' >/dev/null || fail "styles applied"

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
