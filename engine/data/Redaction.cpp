// PII detectors: regular expressions narrowed by checksums and context so lookalikes survive
// (version strings, dates, order numbers, invalid card numbers).
#include "data/Redaction.h"

#include "Error.h"

#include <QRegularExpression>

#include <functional>

namespace fts {
namespace {

using Validator = std::function<bool(const QRegularExpressionMatch&, const QString&)>;

int replaceAll(QString& text, const QRegularExpression& re, const QString& placeholder,
               const Validator& valid = {})
{
    int count = 0;
    QString out;
    qsizetype last = 0;
    for (auto it = re.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        if (valid && !valid(m, text))
            continue;
        out += text.mid(last, m.capturedStart() - last) + placeholder;
        last = m.capturedEnd();
        ++count;
    }
    if (count)
        text = out + text.mid(last);
    return count;
}

QString digitsOf(const QString& s)
{
    QString d;
    for (QChar c : s)
        if (c.isDigit())
            d += c;
    return d;
}

} // namespace

bool luhnValid(const QString& digits)
{
    int sum = 0;
    bool doubleIt = false;
    for (qsizetype i = digits.size() - 1; i >= 0; --i) {
        int d = digits[i].digitValue();
        if (d < 0)
            return false;
        if (doubleIt && (d *= 2) > 9)
            d -= 9;
        sum += d;
        doubleIt = !doubleIt;
    }
    return digits.size() >= 12 && sum % 10 == 0;
}

bool ibanValid(const QString& input)
{
    QString iban = input;
    iban.remove(QLatin1Char(' '));
    if (iban.size() < 15 || iban.size() > 34)
        return false;
    const QString rearranged = iban.mid(4) + iban.left(4);
    int remainder = 0;
    for (QChar c : rearranged) {
        int value;
        if (c.isDigit())
            value = c.digitValue();
        else if (c >= QLatin1Char('A') && c <= QLatin1Char('Z'))
            value = c.unicode() - 'A' + 10;
        else
            return false;
        remainder = (value >= 10 ? remainder * 100 : remainder * 10) + value;
        remainder %= 97;
    }
    return remainder == 1;
}

RedactionResult redactText(const QString& input, const RedactionOptions& o)
{
    static const QRegularExpression url(QStringLiteral("\\b(?:https?://|www\\.)[^\\s<>\"']+[^\\s<>\"'.,;:!?)\\]]"),
                                        QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression email(QStringLiteral("\\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}\\b"));
    static const QRegularExpression iban(QStringLiteral("\\b[A-Z]{2}\\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\\b"));
    static const QRegularExpression card(QStringLiteral("\\b\\d(?:[ -]?\\d){11,18}\\b"));
    static const QRegularExpression ipv4(QStringLiteral("\\b(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\b"));
    static const QRegularExpression ipv6(QStringLiteral("\\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\\b|"
                                                        "\\b(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?\\b"));
    // A phone number has a + prefix, parentheses or separators between digit groups.
    static const QRegularExpression phone(QStringLiteral("(?<![\\w.])(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,5}\\)[ .-]?)?\\d{2,5}(?:[ .-]\\d{2,5}){1,4}(?!\\w|\\.\\d)|"
                                                         "\\+\\d{7,14}\\b"));
    static const QRegularExpression date(QStringLiteral("^(?:\\d{4}-\\d{2}-\\d{2}|\\d{1,2}[./-]\\d{1,2}[./-]\\d{2,4})$"));

    RedactionResult r;
    r.text = input;
    auto count = [&](const QString& placeholder, int n) {
        if (n)
            r.counts[placeholder] += n;
    };
    if (o.urls)
        count(QStringLiteral("[URL]"), replaceAll(r.text, url, QStringLiteral("[URL]")));
    if (o.emails)
        count(QStringLiteral("[EMAIL]"), replaceAll(r.text, email, QStringLiteral("[EMAIL]")));
    if (o.ibans)
        count(QStringLiteral("[IBAN]"), replaceAll(r.text, iban, QStringLiteral("[IBAN]"),
                                                   [](const auto& m, const auto&) { return ibanValid(m.captured(0)); }));
    if (o.cards)
        count(QStringLiteral("[CARD]"), replaceAll(r.text, card, QStringLiteral("[CARD]"), [](const auto& m, const QString& text) {
                  // Card numbers start with 2-6 (the issuer ranges in use); digits right after a
                  // country code and check digits ("DE89 ...") belong to an account number instead.
                  static const QRegularExpression ibanPrefix(QStringLiteral("\\b[A-Z]{2}\\d{2} ?$"));
                  const QString d = digitsOf(m.captured(0));
                  const QString before = text.left(m.capturedStart());
                  return d.size() >= 13 && d.size() <= 19 && d[0] >= QLatin1Char('2') && d[0] <= QLatin1Char('6') &&
                         !ibanPrefix.match(before).hasMatch() && luhnValid(d);
              }));
    if (o.ips) {
        const Validator notVersion = [](const QRegularExpressionMatch& m, const QString& text) {
            const QString before = text.mid(std::max<qsizetype>(0, m.capturedStart() - 9), std::min<qsizetype>(9, m.capturedStart()));
            return !before.contains(QRegularExpression(QStringLiteral("\\b(?:v|version|ver\\.?)\\s*$"), QRegularExpression::CaseInsensitiveOption));
        };
        count(QStringLiteral("[IP]"), replaceAll(r.text, ipv4, QStringLiteral("[IP]"), notVersion));
        count(QStringLiteral("[IP]"), replaceAll(r.text, ipv6, QStringLiteral("[IP]")));
    }
    if (o.phones)
        count(QStringLiteral("[PHONE]"), replaceAll(r.text, phone, QStringLiteral("[PHONE]"), [](const auto& m, const auto&) {
                  const QString s = m.captured(0).trimmed();
                  const int digits = int(digitsOf(s).size());
                  return digits >= 7 && digits <= 15 && !date.match(s).hasMatch();
              }));
    for (const QString& p : o.patterns) {
        const QRegularExpression re(p);
        if (!re.isValid())
            throw Error(QStringLiteral("The redaction pattern '%1' is not a valid regular expression: %2.")
                            .arg(p, re.errorString()));
        count(QStringLiteral("[REDACTED]"), replaceAll(r.text, re, QStringLiteral("[REDACTED]")));
    }
    for (const QString& w : o.words) {
        if (w.trimmed().isEmpty())
            continue;
        const QRegularExpression re(QStringLiteral("\\b%1\\b").arg(QRegularExpression::escape(w.trimmed())),
                                    QRegularExpression::CaseInsensitiveOption);
        count(QStringLiteral("[REDACTED]"), replaceAll(r.text, re, QStringLiteral("[REDACTED]")));
    }
    return r;
}

} // namespace fts
