// What a SentencePiece `tokenizer.model` holds beyond what encoding needs: each piece's score and
// type, the algorithm it was trained with, and its normalizer — read straight from the protobuf,
// for writers that must carry them elsewhere (GGUF), without the sentencepiece library.
#pragma once

#include <QByteArray>
#include <QString>

#include <vector>

namespace fts {

struct SentencePieceFile
{
    // sentencepiece_model.proto's enums; llama.cpp numbers its token types the same way.
    enum class Algorithm { Unigram = 1, Bpe = 2, Word = 3, Char = 4 };
    enum class PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };
    struct Piece
    {
        QByteArray text; // UTF-8, spaces as U+2581
        float score = 0;
        PieceType type = PieceType::Normal;
    };

    std::vector<Piece> pieces; // in id order
    Algorithm algorithm = Algorithm::Unigram;
    QString normalizerName;
    QByteArray precompiledCharsmap; // the normalizer's compiled rules (empty: identity)
    bool addDummyPrefix = true;
    bool removeExtraWhitespaces = true;
    bool escapeWhitespaces = true;

    // Throws fts::Error naming the file and the byte where it stops being a model.
    static SentencePieceFile read(const QString& path);
    static SentencePieceFile parse(const QByteArray& bytes, const QString& nameForErrors);
};

} // namespace fts
