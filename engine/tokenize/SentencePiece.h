// A sentencepiece model, used through the isolated libftspm shim (never linked directly).
#pragma once

#include <QList>
#include <QString>

#include <memory>

namespace fts {

class SentencePieceModel
{
public:
    // Loads `tokenizer.model`; throws fts::Error if the file or the shim library cannot be loaded.
    static std::unique_ptr<SentencePieceModel> load(const QString& path);
    // Trains a model with spm_train's flags, e.g. "--input=a.txt --model_prefix=m --vocab_size=500".
    static void train(const QString& args);
    // Where the shim was found; throws fts::Error with the places looked in when it is missing.
    static QString shimPath();

    ~SentencePieceModel();
    QList<int> encode(const QString& text) const;
    QString decode(const QList<int>& ids) const;
    int vocabSize() const;
    QString idToPiece(int id) const;
    int pieceToId(const QString& piece) const;
    int unkId() const { return m_unk; }
    int bosId() const { return m_bos; }
    int eosId() const { return m_eos; }
    int padId() const { return m_pad; }

private:
    explicit SentencePieceModel(void* handle);
    void* m_handle;
    int m_unk = -1, m_bos = -1, m_eos = -1, m_pad = -1;
};

} // namespace fts
