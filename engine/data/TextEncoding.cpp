// Encoding detection by BOM, then UTF-16 NUL patterns, then a full UTF-8 validity scan.
#include "data/TextEncoding.h"

#include "Error.h"

#include <QStringDecoder>

namespace fts {
namespace {
constexpr qint64 kChunk = 1 << 16;
// Of the first bytes, this share of NULs at odd (or even) positions marks UTF-16 without a BOM.
constexpr double kUtf16NulShare = 0.3;
} // namespace

DetectedEncoding detectEncoding(QIODevice& device)
{
    device.seek(0);
    const QByteArray head = device.peek(4096);
    if (head.startsWith("\xEF\xBB\xBF"))
        return {QStringLiteral("UTF-8"), 3};
    if (head.startsWith("\xFF\xFE"))
        return {QStringLiteral("UTF-16LE"), 2};
    if (head.startsWith("\xFE\xFF"))
        return {QStringLiteral("UTF-16BE"), 2};
    int nulEven = 0, nulOdd = 0;
    for (int i = 0; i < head.size(); ++i)
        if (head[i] == '\0')
            (i % 2 ? nulOdd : nulEven)++;
    if (head.size() >= 4) {
        if (nulOdd > kUtf16NulShare * head.size() / 2 && nulEven == 0)
            return {QStringLiteral("UTF-16LE"), 0};
        if (nulEven > kUtf16NulShare * head.size() / 2 && nulOdd == 0)
            return {QStringLiteral("UTF-16BE"), 0};
    }
    QStringDecoder utf8(QStringDecoder::Utf8);
    bool valid = true;
    while (valid && !device.atEnd()) {
        const QString decoded = utf8(device.read(kChunk)); // decoding happens on conversion
        valid = !utf8.hasError();
    }
    device.seek(0);
    if (valid)
        return {QStringLiteral("UTF-8"), 0};
    return {QStringLiteral("windows-1252"), 0};
}

QByteArray decodeToUtf8(QIODevice& device, const QString& encoding, int skipBytes)
{
    device.seek(skipBytes);
    QStringDecoder decoder(encoding.toLatin1().constData());
    if (!decoder.isValid())
        throw Error(QStringLiteral("The text encoding '%1' is not supported.").arg(encoding));
    QByteArray out;
    while (!device.atEnd())
        out += QString(decoder(device.read(kChunk))).toUtf8();
    return out;
}

} // namespace fts
