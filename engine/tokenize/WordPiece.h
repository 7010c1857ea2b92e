// BERT's tokenizer: basic text cleaning and splitting, then greedy longest-match WordPiece.
#pragma once

#include "tokenize/Tokenizer.h"

#include <QHash>
#include <QStringList>

namespace fts {

struct WordPieceOptions
{
    bool lowercase = true;
    // Strip accents (NFD, then drop combining marks); unset follows `lowercase`, as BERT does.
    int stripAccents = -1; // -1 unset, 0 no, 1 yes
    bool tokenizeChineseChars = true;
    QString unkToken = QStringLiteral("[UNK]");
    QString continuingPrefix = QStringLiteral("##");
    int maxCharsPerWord = 100; // longer words become [UNK], as in BERT
};

class WordPieceTokenizer : public Tokenizer
{
public:
    // `vocab` in id order (line n of vocab.txt has id n). Throws fts::Error if unkToken is missing.
    WordPieceTokenizer(const QStringList& vocab, const WordPieceOptions& options);
    // Reads vocab.txt (one token per line).
    static QStringList readVocabTxt(const QString& path);

    QString kind() const override { return QStringLiteral("wordpiece"); }

protected:
    void tokenizeText(const QString& text, std::vector<Piece>& out) const override;
    QString decodeModelIds(const std::vector<int64_t>& ids) const override;
    QString decodeJoiner() const override { return QStringLiteral(" "); }
    int modelVocabSize() const override { return int(m_vocab.size()); }
    int64_t modelTokenToId(const QString& token) const override;
    QString modelIdToToken(int64_t id) const override { return m_vocab[int(id)]; }

private:
    struct Char
    {
        char32_t cp;
        int start, end; // where the character it came from sits in the input
    };
    void normalizeChar(char32_t cp, int start, int end, char32_t next, char32_t prev,
                       std::vector<std::vector<Char>>& words) const;
    void wordPiece(const std::vector<Char>& word, std::vector<Piece>& out) const;

    QStringList m_vocab;
    QHash<QString, int> m_ids;
    WordPieceOptions m_options;
    int m_unk = -1;
};

} // namespace fts
