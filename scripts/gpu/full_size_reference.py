"""HF transformers reference outputs for the full-size BLIP-2 OPT-2.7b / 6.7b structure.

Weights are not random draws but a counter hash of (tensor name, element index) that the Java side
(`dev.blip2serve.synthetic.HashedWeights`) reproduces bit for bit, so the project can write the same
checkpoint itself and compare its graphs with these tensors without moving 15 GB between machines.
Run on a CUDA machine with torch + transformers:  python full_size_reference.py OUT_DIR [2.7b] [6.7b]
"""
import json, math, sys, time
import torch
from safetensors.torch import save_file
from transformers import Blip2Config, Blip2ForConditionalGeneration

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
DEV = "cuda"
PROMPT = [2, 100, 200, 300, 400]
NEW_TOKENS = 8


def fnv1a32(name):
    h = 0x811C9DC5
    for b in name.encode("utf-8"):
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def hashed(name, shape, offset, amp):
    n = math.prod(shape)
    i = torch.arange(n, device=DEV, dtype=torch.int64)
    x = (i * 2654435761 + fnv1a32(name)) & 0xFFFFFFFF
    x = x ^ (x >> 16)
    x = (x * 0x45D9F3B) & 0xFFFFFFFF
    x = x ^ (x >> 16)
    x = (x * 0x45D9F3B) & 0xFFFFFFFF
    x = x ^ (x >> 16)
    u = x.double() / 4294967296.0
    return (offset + (u - 0.5) * 2 * amp).float().reshape(shape)


def law(name):
    """(offset, amplitude) of the uniform law for a hub tensor name; must match HashedWeights.java."""
    norm = any(k in name for k in ("layer_norm", "layernorm", "LayerNorm"))
    if norm and name.endswith(".weight"):
        return 1.0, 0.1
    return 0.0, 0.02


def fill(model):
    for name, p in model.named_parameters():
        if name.endswith("self_attn.qkv.bias"):
            prefix = name[: -len("qkv.bias")]
            d = p.shape[0] // 3
            q = hashed(prefix + "q_bias", (d,), *law(prefix + "q_bias"))
            v = hashed(prefix + "v_bias", (d,), *law(prefix + "v_bias"))
            value = torch.cat([q, torch.zeros_like(q), v])
        else:
            value = hashed(name, tuple(p.shape), *law(name))
        p.data.copy_(value)


@torch.no_grad()
def reference(size, out_dir):
    t0 = time.time()
    cfg = Blip2Config.from_json_file(f"config-opt-{size}.json")
    with torch.device(DEV):
        model = Blip2ForConditionalGeneration(cfg)
    model.eval()
    fill(model)
    model.tie_weights()
    t_init = time.time() - t0
    names = sorted(n for n, _ in model.named_parameters())
    pixels = hashed("pixel_values", (1, 3, 224, 224), 0.0, 1.5)
    vis = model.vision_model(pixel_values=pixels).last_hidden_state
    queries = model.query_tokens.expand(1, -1, -1)
    qf = model.qformer(query_embeds=queries, encoder_hidden_states=vis,
                       encoder_attention_mask=torch.ones(vis.shape[:-1], dtype=torch.long, device=DEV)).last_hidden_state
    proj = model.language_projection(qf)
    lm = model.language_model
    emb = lm.get_input_embeddings()
    ids = torch.tensor([PROMPT], device=DEV)
    generated = []
    logits_rows = None
    for step in range(NEW_TOKENS):
        seq = torch.tensor([PROMPT + generated], device=DEV)
        embeds = torch.cat([proj, emb(seq)], dim=1)
        mask = torch.ones(embeds.shape[:2], dtype=torch.long, device=DEV)
        logits = lm(inputs_embeds=embeds, attention_mask=mask).logits
        if step == 0:
            logits_rows = logits[0, -len(PROMPT):].contiguous()
        top2 = torch.topk(logits[0, -1], 2).values
        generated.append(int(logits[0, -1].argmax()))
    tensors = {
        "pixel_values": pixels.cpu(),
        "vision_last_hidden_state": vis.cpu().contiguous(),
        "qformer_last_hidden_state": qf.cpu().contiguous(),
        "language_projection": proj.cpu().contiguous(),
        "prompt_logits": logits_rows.cpu(),
    }
    save_file(tensors, f"{out_dir}/opt-{size}-reference.safetensors")
    meta = {"size": size, "prompt_ids": PROMPT, "greedy_new_ids": generated,
            "parameters": sum(p.numel() for p in model.parameters()), "parameter_names": len(names),
            "torch": torch.__version__, "transformers": __import__("transformers").__version__,
            "device": torch.cuda.get_device_name(), "init_s": round(t_init, 1), "total_s": round(time.time() - t0, 1)}
    json.dump(meta, open(f"{out_dir}/opt-{size}-reference.json", "w"), indent=2)
    json.dump(names, open(f"{out_dir}/opt-{size}-hf-parameter-names.json", "w"), indent=0)
    print(json.dumps(meta))
    del model
    torch.cuda.empty_cache()


if __name__ == "__main__":
    out = sys.argv[1]
    for size in sys.argv[2:] or ["2.7b"]:
        reference(size, out)
