"""Peer measurement for stride-bench: Hugging Face transformers decode tokens/s at batch 1,
bf16, eager attention, random init from the Qwen2.5-Coder-1.5B config (no download).

    python3 bench/hf_decode_peer.py [--new-tokens 128] [--prompt 512]
"""
import argparse
import time

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--prompt", type=int, default=512)
    args = ap.parse_args()
    cfg = Qwen2Config(hidden_size=1536, num_hidden_layers=28, num_attention_heads=12, num_key_value_heads=2,
                      intermediate_size=8960, vocab_size=151936, tie_word_embeddings=True,
                      max_position_embeddings=32768, rope_theta=1000000.0, rms_norm_eps=1e-6)
    cfg._attn_implementation = "eager"
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = Qwen2ForCausalLM(cfg).to(torch.bfloat16).eval()
    ids = torch.randint(0, cfg.vocab_size, (1, args.prompt), device="cuda")

    def gen(n):
        torch.cuda.synchronize()
        t = time.perf_counter()
        with torch.no_grad():
            model.generate(ids, max_new_tokens=n, min_new_tokens=n, do_sample=False, use_cache=True,
                           pad_token_id=0)
        torch.cuda.synchronize()
        return time.perf_counter() - t

    gen(4)  # warm-up
    t1 = min(gen(1) for _ in range(3))
    tn = min(gen(args.new_tokens) for _ in range(2))
    per = (tn - t1) / (args.new_tokens - 1)
    print(f"HF transformers eager bf16 Qwen2.5-Coder-1.5B shape (random): "
          f"prefill {args.prompt} tokens + first token {t1 * 1e3:.1f} ms, decode {per * 1e3:.3f} ms/token = "
          f"{1 / per:.1f} tok/s")


if __name__ == "__main__":
    main()
