// The trainer's view of a tokenizer: text -> ids, plus the special ids a classifier input needs.
#pragma once

#include <QHash>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>
#include <vector>

namespace fts {

class Tokenizer;

// Tokenizer-agnostic on purpose: the project's Tokenizer interface can be wrapped in one of these
// without the trainer changing.
class TextTokenizer
{
public:
    virtual ~TextTokenizer() = default;
    // Ids of `text` without special tokens.
    virtual std::vector<int64_t> encode(const QString& text) const = 0;
    virtual int64_t clsId() const = 0;
    virtual int64_t sepId() const = 0;
    virtual int64_t padId() const = 0;
    virtual int64_t vocabSize() const = 0;

    // [CLS] ids [SEP], cut to `maxLength` tokens in all (the [SEP] is kept).
    std::vector<int64_t> encodeForClassifier(const QString& text, int maxLength) const;
};

// Word-level vocabulary: lower-cased runs of letters/digits and single punctuation marks. Ids 0..3
// are [PAD], [UNK], [CLS], [SEP]; words follow in first-appearance order. Used to train on a model
// folder without a tokenizer file (tests, from-scratch teaching models).
class WordVocabulary : public TextTokenizer
{
public:
    static WordVocabulary build(const QStringList& texts, int maxWords = 0);
    static WordVocabulary fromWords(const QStringList& words); // as written by words()
    static QStringList split(const QString& text);

    std::vector<int64_t> encode(const QString& text) const override;
    int64_t clsId() const override { return 2; }
    int64_t sepId() const override { return 3; }
    int64_t padId() const override { return 0; }
    int64_t unkId() const { return 1; }
    int64_t vocabSize() const override { return m_words.size(); }
    const QStringList& words() const { return m_words; }

private:
    QStringList m_words;
    QHash<QString, int64_t> m_ids;
};

// A model folder's own tokenizer (WordPiece, byte-level BPE or sentencepiece, see loadTokenizer)
// framed for classification with the model's [CLS]/[SEP] or <s>/</s> tokens.
class ModelTokenizer : public TextTokenizer
{
public:
    ModelTokenizer(std::unique_ptr<Tokenizer> tokenizer, const QString& modelDir);
    ~ModelTokenizer() override;

    std::vector<int64_t> encode(const QString& text) const override;
    int64_t clsId() const override { return m_cls; }
    int64_t sepId() const override { return m_sep; }
    int64_t padId() const override { return m_pad; }
    int64_t vocabSize() const override;
    const Tokenizer& tokenizer() const { return *m_tokenizer; }

private:
    std::unique_ptr<Tokenizer> m_tokenizer;
    int64_t m_cls = 0, m_sep = 0, m_pad = 0;
};

// The tokenizer of a model folder: a word vocabulary written by the trainer (vocab_words.txt),
// else the folder's Hugging Face tokenizer files. Throws fts::Error naming the files that are needed.
std::unique_ptr<TextTokenizer> loadModelTokenizer(const QString& modelDir);

} // namespace fts
