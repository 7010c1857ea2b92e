// Training a new sentencepiece tokenizer (through the isolated shim) for a model made from scratch.
#pragma once

#include <QString>
#include <QStringList>

namespace fts {

enum class TokenizerStyle {
    Bert,  // [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4; texts framed as [CLS] text [SEP]
    Llama, // <unk>=0 <s>=1 </s>=2; texts start with <s>
};

struct TokenizerTrainingOptions
{
    QString algorithm = QStringLiteral("unigram"); // or "bpe"
    int vocabSize = 8000;
    TokenizerStyle style = TokenizerStyle::Bert;
    // 1 keeps every character of the corpus (0.9995 dropped '!' from the dictionary corpus, so
    // "great!" lost its mark); lower only for scripts with thousands of rare characters.
    double characterCoverage = 1.0;
    // Documents sampled for training (sentencepiece keeps them all in memory); 0 = all.
    qint64 maxDocuments = 300000;
    int modelMaxLength = 512; // written to tokenizer_config.json
    int threads = 2;
};

// Trains on `documents` and writes a model folder's tokenizer files into `outDir` (created when
// missing): tokenizer.model, tokenizer_config.json and special_tokens_map.json, so both
// loadTokenizer() and Hugging Face's LlamaTokenizer (which only reads tokenizer.model) load it.
// Throws fts::Error with sentencepiece's reason (e.g. a vocabulary too large for the text).
void trainTokenizer(const QStringList& documents, const QString& outDir,
                    const TokenizerTrainingOptions& options = {});

// Writes only tokenizer_config.json and special_tokens_map.json for `style` (both atomically).
void writeTokenizerConfig(const QString& outDir, TokenizerStyle style, int modelMaxLength);

} // namespace fts
