// A protobuf wire-format walk over the three messages that matter (ModelProto, its pieces,
// TrainerSpec, NormalizerSpec); every other field is skipped by its wire type, so models written
// by newer sentencepiece versions still read.
#include "tokenize/SentencePieceModelFile.h"

#include "Error.h"

#include <QDir>
#include <QFile>

#include <cstring>

namespace fts {
namespace {

class ProtoReader
{
public:
    ProtoReader(const QByteArray& bytes, qsizetype begin, qsizetype end, const QString& name)
        : m_bytes(bytes), m_pos(begin), m_end(end), m_name(name)
    {
    }
    bool atEnd() const { return m_pos >= m_end; }
    qsizetype position() const { return m_pos; }

    quint64 varint()
    {
        quint64 v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            need(1);
            const auto b = quint8(m_bytes[m_pos++]);
            v |= quint64(b & 0x7f) << shift;
            if (!(b & 0x80))
                return v;
        }
        fail(QStringLiteral("a number longer than 10 bytes"));
    }
    // The [begin, end) of a length-delimited field's payload; the reader moves past it.
    std::pair<qsizetype, qsizetype> span()
    {
        const quint64 n = varint();
        if (n > quint64(m_end - m_pos))
            fail(QStringLiteral("a field of %1 bytes that runs past the end").arg(n));
        const qsizetype begin = m_pos;
        m_pos += qsizetype(n);
        return {begin, m_pos};
    }
    float fixed32Float()
    {
        need(4);
        float f;
        std::memcpy(&f, m_bytes.constData() + m_pos, 4); // little-endian on every target we build
        m_pos += 4;
        return f;
    }
    void skip(int wireType)
    {
        switch (wireType) {
        case 0: varint(); return;
        case 1: need(8); m_pos += 8; return;
        case 2: span(); return;
        case 5: need(4); m_pos += 4; return;
        default: fail(QStringLiteral("wire type %1, which no sentencepiece field uses").arg(wireType));
        }
    }
    [[noreturn]] void fail(const QString& what) const
    {
        throw Error(QStringLiteral("%1 is not a readable SentencePiece model: %2 at byte %3.")
                        .arg(m_name, what)
                        .arg(m_pos));
    }

private:
    void need(qsizetype n) const
    {
        if (m_end - m_pos < n)
            fail(QStringLiteral("the data ends early"));
    }
    const QByteArray& m_bytes;
    qsizetype m_pos;
    qsizetype m_end;
    const QString& m_name;
};

SentencePieceFile::Piece readPiece(const QByteArray& bytes, qsizetype begin, qsizetype end, const QString& name)
{
    SentencePieceFile::Piece p;
    ProtoReader r(bytes, begin, end, name);
    while (!r.atEnd()) {
        const quint64 key = r.varint();
        const int field = int(key >> 3), wire = int(key & 7);
        if (field == 1 && wire == 2) {
            const auto [b, e] = r.span();
            p.text = bytes.mid(b, e - b);
        } else if (field == 2 && wire == 5) {
            p.score = r.fixed32Float();
        } else if (field == 3 && wire == 0) {
            const quint64 t = r.varint();
            if (t < 1 || t > 6)
                r.fail(QStringLiteral("piece type %1").arg(t));
            p.type = SentencePieceFile::PieceType(t);
        } else {
            r.skip(wire);
        }
    }
    return p;
}

} // namespace

SentencePieceFile SentencePieceFile::read(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("Cannot read %1: %2").arg(QDir::toNativeSeparators(path), f.errorString()));
    return parse(f.readAll(), QDir::toNativeSeparators(path));
}

SentencePieceFile SentencePieceFile::parse(const QByteArray& bytes, const QString& name)
{
    SentencePieceFile m;
    ProtoReader r(bytes, 0, bytes.size(), name);
    while (!r.atEnd()) {
        const quint64 key = r.varint();
        const int field = int(key >> 3), wire = int(key & 7);
        if (wire != 2 || field < 1 || field > 3) {
            r.skip(wire);
            continue;
        }
        const auto [begin, end] = r.span();
        if (field == 1) {
            m.pieces.push_back(readPiece(bytes, begin, end, name));
            continue;
        }
        ProtoReader sub(bytes, begin, end, name);
        while (!sub.atEnd()) {
            const quint64 k = sub.varint();
            const int f = int(k >> 3), w = int(k & 7);
            if (field == 2 && f == 3 && w == 0) { // TrainerSpec.model_type
                const quint64 t = sub.varint();
                if (t < 1 || t > 4)
                    sub.fail(QStringLiteral("model type %1").arg(t));
                m.algorithm = Algorithm(t);
            } else if (field == 3 && f == 1 && w == 2) { // NormalizerSpec.name
                const auto [b, e] = sub.span();
                m.normalizerName = QString::fromUtf8(bytes.mid(b, e - b));
            } else if (field == 3 && f == 2 && w == 2) {
                const auto [b, e] = sub.span();
                m.precompiledCharsmap = bytes.mid(b, e - b);
            } else if (field == 3 && f >= 3 && f <= 5 && w == 0) {
                const bool v = sub.varint() != 0;
                (f == 3 ? m.addDummyPrefix : f == 4 ? m.removeExtraWhitespaces : m.escapeWhitespaces) = v;
            } else {
                sub.skip(w);
            }
        }
    }
    if (m.pieces.empty())
        throw Error(QStringLiteral("%1 is not a readable SentencePiece model: it has no pieces.").arg(name));
    return m;
}

} // namespace fts
