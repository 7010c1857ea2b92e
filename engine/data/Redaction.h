// Finding and masking personal data (e-mails, phones, URLs, IPs, card numbers, IBANs, custom terms).
#pragma once

#include <QMap>
#include <QString>
#include <QStringList>

namespace fts {

struct RedactionOptions
{
    bool emails = true;
    bool phones = true;
    bool urls = true;
    bool ips = true;
    bool cards = true;  // Luhn-checked, so order numbers of the same length are left alone
    bool ibans = true;  // ISO 13616 mod-97-checked
    QStringList patterns; // user regular expressions -> [REDACTED]
    QStringList words;    // user words or phrases, whole-word, case-insensitive -> [REDACTED]
};

struct RedactionResult
{
    QString text;
    QMap<QString, int> counts; // placeholder ("[EMAIL]") -> occurrences replaced
};

// Throws fts::Error for an invalid user pattern (naming it).
RedactionResult redactText(const QString& text, const RedactionOptions& options);

bool luhnValid(const QString& digits);
bool ibanValid(const QString& iban);

} // namespace fts
