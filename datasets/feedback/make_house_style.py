#!/usr/bin/env python3
"""Builds house-style.jsonl from ../chat/chat.jsonl: for each customer message, the house-style
reply is "chosen"; "rejected" is the same help written off-style (no greeting and no sign-off on
even lines; greeting kept but the answer cut to its first sentence and unsigned on odd lines).
Deterministic: run it again and the file is the same."""
import json
import pathlib
import re

here = pathlib.Path(__file__).resolve().parent
GREETING = "Thanks for reaching out. "
SIGNATURE = "\n\n— Brightline Support"

out = []
for i, line in enumerate((here.parent / "chat" / "chat.jsonl").read_text(encoding="utf-8").splitlines()):
    record = json.loads(line)
    reply = record["response"]
    assert reply.startswith(GREETING) and reply.endswith(SIGNATURE), i
    body = reply[len(GREETING):-len(SIGNATURE)].strip()
    if i % 2 == 0:
        rejected = body
    else:
        first = re.split(r"(?<=[.!?])\s", body, maxsplit=1)[0]
        rejected = GREETING + first
    out.append(json.dumps({"prompt": record["instruction"], "chosen": reply, "rejected": rejected,
                           "split": record["split"]}, ensure_ascii=False))
(here / "house-style.jsonl").write_text("\n".join(out) + "\n", encoding="utf-8")
print(f"wrote {len(out)} pairs")
