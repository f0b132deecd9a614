"""HF transformers fp16 reference outputs for the fp16-compute graphs (convert --precision fp16-compute).

Loads shapes-blip2 and tiny-blip2 with dtype=float16 on CUDA and writes, per model:
  <name>_fp16.json         where each module computes (parameter dtypes), greedy captions (ids and text)
  <name>_fp16.safetensors  query_embeds_<i> [Q, D] and text_logits_<i> [T, V] (float32 copies of the fp16
                           outputs) for the first images, teacher-forced on BOS + HF fp16's own greedy caption
Run on a CUDA machine with torch + transformers, from the repository root:
  python scripts/gpu/hf_fp16_reference.py OUT_DIR
"""
import json, os, sys, time
import torch
from PIL import Image
from safetensors.torch import save_file
from transformers import AutoImageProcessor, AutoTokenizer, Blip2ForConditionalGeneration

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
DEV = "cuda"


def module_dtypes(model):
    out = {}
    for name in ("vision_model", "query_tokens", "qformer", "language_projection", "language_model"):
        obj = getattr(model, name, None)
        if obj is None:
            continue
        if isinstance(obj, torch.nn.Parameter):
            out[name] = str(obj.dtype)
        else:
            out[name] = sorted({str(p.dtype) for p in obj.parameters()})
    return out


def run(name, ckpt, images, max_new_tokens, teacher_forced, out_dir):
    t0 = time.time()
    model = Blip2ForConditionalGeneration.from_pretrained(ckpt, dtype=torch.float16).to(DEV).eval()
    proc = AutoImageProcessor.from_pretrained(ckpt)
    tok = AutoTokenizer.from_pretrained(ckpt)
    q = model.config.num_query_tokens
    image_token = model.config.image_token_index
    bos = tok("", add_special_tokens=True)["input_ids"]
    report = {"model": name, "dtypes": module_dtypes(model), "attn_implementation":
              str(getattr(model.config, "_attn_implementation", None)), "bos": bos,
              "max_new_tokens": max_new_tokens, "captions": []}
    tensors = {}
    batch = 50
    for start in range(0, len(images), batch):
        paths = images[start:start + batch]
        px = proc(images=[Image.open(p).convert("RGB") for p in paths], return_tensors="pt")["pixel_values"]
        px = px.to(DEV, torch.float16)
        ids = torch.tensor([[image_token] * q + bos] * len(paths), device=DEV)
        with torch.no_grad():
            gen = model.generate(pixel_values=px, input_ids=ids, attention_mask=torch.ones_like(ids),
                                 max_new_tokens=max_new_tokens, do_sample=False, num_beams=1)
        for i, p in enumerate(paths):
            new = gen[i, ids.shape[1]:].tolist()
            eos = model.config.text_config.eos_token_id
            if eos in new:
                new = new[: new.index(eos) + 1]
            report["captions"].append({"image": os.path.relpath(p), "ids": new,
                                       "text": tok.decode(new, skip_special_tokens=True).strip()})
    for i in range(min(teacher_forced, len(images))):
        c = report["captions"][i]
        text = bos + [t for t in c["ids"] if t != model.config.text_config.eos_token_id]
        px = proc(images=[Image.open(images[i]).convert("RGB")], return_tensors="pt")["pixel_values"].to(DEV, torch.float16)
        ids = torch.tensor([[image_token] * q + text], device=DEV)
        with torch.no_grad():
            feats = model.get_image_features(pixel_values=px)
            if not torch.is_tensor(feats):
                feats = feats[0] if isinstance(feats, (tuple, list)) else feats.pooler_output
            logits = model(pixel_values=px, input_ids=ids, attention_mask=torch.ones_like(ids)).logits
        tensors[f"query_embeds_{i}"] = feats[0].float().cpu().contiguous()
        tensors[f"text_logits_{i}"] = logits[0, q:].float().cpu().contiguous()
        report.setdefault("teacher_forced", []).append({"image": os.path.relpath(images[i]), "ids": text,
                                                        "query_embeds_dtype": str(feats.dtype),
                                                        "logits_dtype": str(logits.dtype)})
    save_file(tensors, os.path.join(out_dir, f"{name}_fp16.safetensors"))
    with open(os.path.join(out_dir, f"{name}_fp16.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(name, report["dtypes"], report["attn_implementation"], f"{time.time() - t0:.1f} s",
          report["captions"][0]["text"], flush=True)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    shapes = "src/main/resources/models/shapes-blip2"
    evalset = json.load(open("data/shapes-blip2/eval/eval.json"))["items"]
    run("shapes-blip2", shapes, [os.path.join("data/shapes-blip2/eval", it["image"]) for it in evalset], 24, 16, out)
    tiny = "src/test/resources/fixtures/tiny-blip2"
    imgs = sorted(os.path.join(tiny, "images", f) for f in os.listdir(os.path.join(tiny, "images")) if f.endswith(".png"))
    run("tiny-blip2", tiny, imgs, 12, len(imgs), out)


if __name__ == "__main__":
    main()
