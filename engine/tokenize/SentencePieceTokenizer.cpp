// Adapts SentencePieceModel (behind the isolated shim) to the Tokenizer interface.
#include "tokenize/SentencePieceTokenizer.h"

#include "Error.h"
#include "tokenize/SentencePiece.h"

#include <QRegularExpression>

namespace fts {
namespace {

const QChar kSpaceMarker(0x2581); // sentencepiece writes word starts as U+2581 "▁"

int utf8Length(char32_t cp)
{
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

int charLength(const QString& text, int i)
{
    return (text[i].isHighSurrogate() && i + 1 < text.size()) ? 2 : 1;
}

} // namespace

SentencePieceTokenizer::SentencePieceTokenizer(const QString& modelPath, bool addBos, bool addEos)
    : m_model(SentencePieceModel::load(modelPath)), m_addBos(addBos), m_addEos(addEos)
{
    SpecialIds ids;
    ids.unk = m_model->unkId();
    ids.bos = ids.cls = m_model->bosId();
    ids.eos = ids.sep = m_model->eosId();
    ids.pad = m_model->padId();
    setSpecialIds(ids);
    for (int id : {ids.unk, ids.bos, ids.eos, ids.pad})
        if (id >= 0)
            addAddedToken({m_model->idToPiece(id), id, /*special=*/true});
    setPostProcessor(PostProcessor::bosEos(addBos ? ids.bos : -1, addEos ? ids.eos : -1));
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

int SentencePieceTokenizer::modelVocabSize() const
{
    return m_model->vocabSize();
}

int64_t SentencePieceTokenizer::modelTokenToId(const QString& token) const
{
    // sentencepiece answers unknown pieces with the unk id; the interface wants -1.
    const int id = m_model->pieceToId(token);
    return (id >= 0 && m_model->idToPiece(id) == token) ? id : -1;
}

QString SentencePieceTokenizer::modelIdToToken(int64_t id) const
{
    return m_model->idToPiece(int(id));
}

QString SentencePieceTokenizer::decodeModelIds(const std::vector<int64_t>& ids) const
{
    return m_model->decode(QList<int>(ids.begin(), ids.end()));
}

void SentencePieceTokenizer::tokenizeText(const QString& text, std::vector<Piece>& out) const
{
    // The shim returns ids only, so offsets come from aligning each piece with the input. That is
    // exact where normalization leaves the text alone and a close approximation elsewhere (NFKC
    // folding, collapsed whitespace).
    static const QRegularExpression bytePiece(QStringLiteral("^<0x([0-9A-Fa-f]{2})>$"));
    const int n = int(text.size());
    int cursor = 0;
    int bytesLeft = 0, charStart = 0;
    for (int id : m_model->encode(text)) {
        const QString piece = m_model->idToPiece(id);
        if (bytesLeft > 0 || bytePiece.match(piece).hasMatch()) {
            // byte fallback: a character spelled as its UTF-8 bytes, one piece per byte
            if (bytesLeft == 0) {
                while (cursor < n && text[cursor].isSpace())
                    ++cursor;
                charStart = cursor;
                bytesLeft = cursor < n ? utf8Length(text.mid(cursor, 2).toUcs4().value(0)) : 1;
                cursor = std::min(n, cursor + (cursor < n ? charLength(text, cursor) : 0));
            }
            --bytesLeft;
            out.push_back({id, charStart, cursor});
            continue;
        }
        QString body = piece;
        body.replace(kSpaceMarker, u' ');
        const int start = cursor;
        const bool leadingSpace = body.startsWith(u' ') || id == m_model->unkId();
        while (body.startsWith(u' '))
            body.remove(0, 1);
        if (leadingSpace)
            while (cursor < n && text[cursor].isSpace())
                ++cursor;
        const int bodyStart = (start == cursor) ? cursor : start;
        if (id == m_model->unkId()) {
            if (cursor < n)
                cursor += charLength(text, cursor);
        } else if (QStringView(text).mid(cursor).startsWith(body)) {
            cursor += int(body.size());
        } else {
            // normalized differently from the input (NFKC): take input until it covers the piece
            const int from = cursor;
            while (cursor < n &&
                   text.mid(from, cursor - from).normalized(QString::NormalizationForm_KC).size() <
                       body.size())
                cursor += charLength(text, cursor);
        }
        out.push_back({id, bodyStart, cursor});
    }
}

} // namespace fts
