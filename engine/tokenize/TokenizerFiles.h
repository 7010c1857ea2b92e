// Reads a model folder's tokenizer files (tokenizer.json, tokenizer_config.json,
// special_tokens_map.json) into one place; loadTokenizer() builds the Tokenizer from them.
#pragma once

#include <QJsonObject>
#include <QString>

#include <optional>

namespace fts {

struct TokenizerFiles
{
    QString dir;
    bool hasTokenizerJson = false;
    QJsonObject tokenizerJson; // the whole tokenizer.json
    QJsonObject config;        // tokenizer_config.json ({} when absent)
    QJsonObject specialTokensMap;

    // Reads what is there; throws fts::Error naming the file when a present file is not valid JSON.
    static TokenizerFiles read(const QString& modelDir);

    bool has(const QString& fileName) const;
    QString path(const QString& fileName) const;
    // A special token's text ("bos_token", "pad_token", ...): tokenizer_config.json first, then
    // special_tokens_map.json; accepts both "text" and {"content": "text"}. Empty when unset.
    QString specialToken(const QString& name) const;
    std::optional<bool> configFlag(const QString& name) const;
    // tokenizer_config.json's model_max_length; 0 when absent or the "very large" placeholder.
    int modelMaxLength() const;
    // The Jinja chat template ("chat_template"; for a list of named templates, the default one).
    QString chatTemplate() const;
};

// Copies every tokenizer file of the known formats (vocab_words.txt, tokenizer.json,
// tokenizer_config.json, special_tokens_map.json, added_tokens.json, vocab.txt, vocab.json,
// merges.txt, tokenizer.model) that `fromDir` has into `toDir`, each written atomically.
// Throws fts::Error naming a file that cannot be read or written.
void copyTokenizerFiles(const QString& fromDir, const QString& toDir);

} // namespace fts
