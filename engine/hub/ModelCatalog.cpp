// Curated from the models' cards (licence, model_type, size) when written; a repository found without safetensors
// weights at download time is refused with an explanation, so a stale entry fails safely.
#include "hub/ModelCatalog.h"

namespace fts {

QList<CatalogEntry> modelCatalog()
{
    return {
        {"google/bert_uncased_L-2_H-128_A-2", "classification", "bert", 4'400'000, "Apache-2.0",
         "BERT-Tiny: trains in seconds on a laptop; good for first experiments and teaching."},
        {"google/bert_uncased_L-4_H-256_A-4", "classification", "bert", 11'200'000, "Apache-2.0",
         "BERT-Mini: a step up in accuracy, still fast on a CPU."},
        {"distilbert-base-uncased", "classification", "distilbert", 66'000'000, "Apache-2.0",
         "A strong general English classifier at 60% of BERT-base's cost."},
        {"bert-base-uncased", "classification", "bert", 110'000'000, "Apache-2.0",
         "The classic English encoder; best accuracy here when a GPU or patience is available."},
        {"roberta-base", "classification", "roberta", 125'000'000, "MIT",
         "Robust English encoder, often better than BERT on sentiment and informal text."},
        {"distilgpt2", "chat", "gpt2", 82'000'000, "Apache-2.0",
         "Small GPT-2 for text generation experiments; no instruction tuning."},
        {"openai-community/gpt2", "chat", "gpt2", 124'000'000, "MIT",
         "The original GPT-2 small; a base model to fine-tune for a house style."},
        {"HuggingFaceTB/SmolLM2-135M-Instruct", "chat", "llama", 135'000'000, "Apache-2.0",
         "Tiny instruction-tuned chat model; fine-tunes on a CPU in minutes."},
        {"HuggingFaceTB/SmolLM2-360M-Instruct", "chat", "llama", 362'000'000, "Apache-2.0",
         "Better answers than the 135M model, still laptop-sized."},
        {"Qwen/Qwen2.5-0.5B-Instruct", "chat", "qwen2", 494'000'000, "Apache-2.0",
         "Capable small chat and summarisation model with a ChatML template."},
    };
}

} // namespace fts
