// Normalisation: mojibake repair first (it needs the damaged bytes), then HTML, NFKC, whitespace.
#include "data/TextNormalize.h"

#include <QHash>
#include <QRegularExpression>
#include <QStringDecoder>
#include <QStringEncoder>

namespace fts {
namespace {

// Typical pairs produced when UTF-8 bytes are shown as Windows-1252: "Ã" or "â€" or "Â" followed by
// a character from the upper half of the code page.
const QRegularExpression kMojibakeSign(QStringLiteral("[ÃÂâ][\\x{0080}-\\x{00BF}\\x{0152}\\x{0153}\\x{0160}"
                                                      "\\x{0161}\\x{0178}\\x{017D}\\x{017E}\\x{0192}\\x{02C6}"
                                                      "\\x{02DC}\\x{2013}-\\x{203A}\\x{20AC}\\x{2122}]"));
const QRegularExpression kTag(QStringLiteral("<\\s*/?\\s*[A-Za-z][^<>]*>"));
const QRegularExpression kEntity(QStringLiteral("&(#\\d{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z]{2,8});"));
const QRegularExpression kSpaces(QStringLiteral("\\s+"));

QString decodeEntity(const QString& body)
{
    if (body.startsWith(QLatin1Char('#'))) {
        bool ok = false;
        const uint code = body.startsWith(QLatin1String("#x"), Qt::CaseInsensitive) ? body.mid(2).toUInt(&ok, 16)
                                                                                     : body.mid(1).toUInt(&ok, 10);
        if (ok && code > 0 && code <= 0x10FFFF && (code < 0xD800 || code > 0xDFFF)) {
            const char32_t c = code;
            return QString::fromUcs4(&c, 1);
        }
        return {};
    }
    static const QHash<QString, QString> named = {
        {"amp", "&"},   {"lt", "<"},     {"gt", ">"},      {"quot", "\""},   {"apos", "'"},
        {"nbsp", " "},  {"eacute", "é"}, {"egrave", "è"},  {"agrave", "à"},  {"ccedil", "ç"},
        {"uuml", "ü"},  {"ouml", "ö"},   {"auml", "ä"},    {"szlig", "ß"},   {"hellip", "…"},
        {"mdash", "—"}, {"ndash", "–"},  {"rsquo", "’"},   {"lsquo", "‘"},   {"rdquo", "”"},
        {"ldquo", "“"}, {"euro", "€"},   {"copy", "©"},    {"reg", "®"},     {"trade", "™"}};
    return named.value(body);
}

} // namespace

QString repairMojibake(const QString& text)
{
    if (!kMojibakeSign.match(text).hasMatch())
        return text;
    QStringEncoder toCp1252("windows-1252");
    const QByteArray bytes = toCp1252(text);
    if (toCp1252.hasError())
        return text; // characters outside Windows-1252: it was not this mix-up
    QStringDecoder fromUtf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString repaired = fromUtf8(bytes);
    return fromUtf8.hasError() ? text : repaired;
}

QString normalizeText(const QString& input, const NormalizeOptions& o)
{
    QString t = input;
    if (o.fixMojibake)
        t = repairMojibake(t);
    if (o.stripHtml) {
        t.replace(QRegularExpression(QStringLiteral("<\\s*(br|p|div|li)\\b[^>]*>"), QRegularExpression::CaseInsensitiveOption), QStringLiteral(" "));
        t.remove(kTag);
        QString out;
        qsizetype last = 0;
        for (auto it = kEntity.globalMatch(t); it.hasNext();) {
            const auto m = it.next();
            const QString decoded = decodeEntity(m.captured(1));
            out += t.mid(last, m.capturedStart() - last);
            out += decoded.isEmpty() ? m.captured(0) : decoded;
            last = m.capturedEnd();
        }
        t = out + t.mid(last);
    }
    if (o.nfkc)
        t = t.normalized(QString::NormalizationForm_KC);
    if (o.collapseWhitespace)
        t = t.replace(kSpaces, QStringLiteral(" ")).trimmed();
    return t;
}

QString duplicateKey(const QString& text)
{
    QString t = normalizeText(text).toCaseFolded();
    static const QRegularExpression edges(QStringLiteral("^[\\p{P}\\p{S}\\s]+|[\\p{P}\\p{S}\\s]+$"));
    t.remove(edges);
    return t;
}

} // namespace fts
