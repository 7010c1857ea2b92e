// Byte-level BPE (GPT-2, RoBERTa, Llama-3, Qwen): UTF-8 bytes as symbols, merges by rank.
#pragma once

#include "tokenize/Tokenizer.h"

#include <QHash>
#include <QMutex>
#include <QRegularExpression>
#include <QStringList>

namespace fts {

struct ByteLevelBpeOptions
{
    bool addPrefixSpace = false; // RoBERTa's option: " " before text that does not start with one
    // Pre-tokenization regex (tokenizer.json's Split pattern); empty = GPT-2's.
    QString pattern;
    bool ignoreMerges = false; // Llama-3: a word found whole in the vocabulary is one token
    int64_t unkId = -1;        // for symbols missing from the vocabulary; -1 = report an error
};

class ByteLevelBpeTokenizer : public Tokenizer
{
public:
    using Merges = std::vector<std::pair<QString, QString>>;
    // `vocab` maps tokens (in the byte-to-unicode alphabet) to ids; `merges` in rank order.
    ByteLevelBpeTokenizer(const QHash<QString, int>& vocab, const Merges& merges,
                          const ByteLevelBpeOptions& options);
    static QString gpt2Pattern();
    static QHash<QString, int> readVocabJson(const QString& path);
    static Merges readMergesTxt(const QString& path);

    QString kind() const override { return QStringLiteral("bpe"); }
    // The exact bytes the ids stand for (decode() turns them into text).
    QByteArray decodeBytes(const std::vector<int64_t>& ids) const;

protected:
    void tokenizeText(const QString& text, std::vector<Piece>& out) const override;
    QString decodeModelIds(const std::vector<int64_t>& ids) const override;
    int modelVocabSize() const override { return int(m_tokens.size()); }
    int64_t modelTokenToId(const QString& token) const override { return m_ids.value(token, -1); }
    QString modelIdToToken(int64_t id) const override { return m_tokens[int(id)]; }

private:
    // (id, length in symbols) of each token of one pre-tokenized word, in order.
    using WordTokens = std::vector<std::pair<int, int>>;
    WordTokens bpeWord(const QString& word) const;
    WordTokens mergeSymbols(const QString& word) const;

    QHash<QString, int> m_ids;
    QStringList m_tokens;
    QHash<QString, int> m_ranks; // "left right" -> rank
    QChar m_byteToChar[256];
    QHash<QChar, uint8_t> m_charToByte;
    ByteLevelBpeOptions m_options;
    QRegularExpression m_pattern;
    mutable QMutex m_cacheMutex;
    mutable QHash<QString, WordTokens> m_cache; // words repeat a lot in real text
};

} // namespace fts
