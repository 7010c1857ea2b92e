// The Tokenizer interface over a sentencepiece model (Llama, Mistral, T5-style tokenizer.model).
#pragma once

#include "tokenize/Tokenizer.h"

#include <memory>

namespace fts {

class SentencePieceModel;

class SentencePieceTokenizer : public Tokenizer
{
public:
    // Loads tokenizer.model. BOS/EOS are added per tokenizer_config.json's add_bos_token /
    // add_eos_token (Llama's defaults: BOS yes, EOS no); the model's control pieces (<s>, </s>,
    // <unk>, <pad>) are matched in text as special tokens so chat templates can spell them out.
    SentencePieceTokenizer(const QString& modelPath, bool addBos = true, bool addEos = false);
    ~SentencePieceTokenizer() override;

    QString kind() const override { return QStringLiteral("sentencepiece"); }
    bool addsBos() const { return m_addBos; }
    bool addsEos() const { return m_addEos; }

protected:
    void tokenizeText(const QString& text, std::vector<Piece>& out) const override;
    QString decodeModelIds(const std::vector<int64_t>& ids) const override;
    int modelVocabSize() const override;
    int64_t modelTokenToId(const QString& token) const override;
    QString modelIdToToken(int64_t id) const override;

private:
    std::unique_ptr<SentencePieceModel> m_model;
    bool m_addBos, m_addEos;
};

} // namespace fts
