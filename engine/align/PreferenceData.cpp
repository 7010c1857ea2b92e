// Reading preference JSONL and deriving the (better, worse) pairs that accuracy is measured on.
#include "align/PreferenceData.h"

#include "Error.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace fts {
namespace {

QString text(const QJsonObject& o, const char* key, const QString& path, int line)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (!v.isString() || v.toString().isEmpty())
        throw Error(QStringLiteral("%1, line %2: the field \"%3\" is missing or empty; every line "
                                   "needs it as a text value.")
                        .arg(path)
                        .arg(line)
                        .arg(QLatin1String(key)));
    return v.toString();
}

PreferenceRecord parse(const QJsonObject& o, PreferenceKind kind, const QString& path, int line)
{
    PreferenceRecord r;
    r.line = line;
    r.splitGiven = o.contains(QLatin1String("split"));
    r.split = o.value(QLatin1String("split")).toString(QStringLiteral("train"));
    if (r.split != QLatin1String("train") && r.split != QLatin1String("val")
        && r.split != QLatin1String("test"))
        throw Error(QStringLiteral("%1, line %2: \"split\" must be train, val or test, not \"%3\".")
                        .arg(path)
                        .arg(line)
                        .arg(o.value(QLatin1String("split")).toVariant().toString()));
    r.prompt = text(o, "prompt", path, line);
    switch (kind) {
    case PreferenceKind::Pairs:
        r.responses = {text(o, "chosen", path, line), text(o, "rejected", path, line)};
        break;
    case PreferenceKind::Ratings: {
        r.responses = {text(o, "response", path, line)};
        const QJsonValue v = o.value(QLatin1String("rating"));
        if (!v.isDouble())
            throw Error(QStringLiteral("%1, line %2: \"rating\" must be a number such as 4.")
                            .arg(path)
                            .arg(line));
        r.rating = v.toDouble();
        break;
    }
    case PreferenceKind::Rankings:
        for (const QJsonValue& v : o.value(QLatin1String("responses")).toArray())
            r.responses << v.toString();
        if (r.responses.size() < 2 || r.responses.contains(QString()))
            throw Error(QStringLiteral("%1, line %2: \"responses\" must list at least two "
                                       "non-empty answers, best first.")
                            .arg(path)
                            .arg(line));
        break;
    }
    return r;
}

} // namespace

QString preferenceKindName(PreferenceKind kind)
{
    switch (kind) {
    case PreferenceKind::Pairs:
        return QStringLiteral("pairs");
    case PreferenceKind::Ratings:
        return QStringLiteral("ratings");
    case PreferenceKind::Rankings:
        return QStringLiteral("rankings");
    }
    return {};
}

PreferenceKind preferenceKindFromName(const QString& name)
{
    for (PreferenceKind k :
         {PreferenceKind::Pairs, PreferenceKind::Ratings, PreferenceKind::Rankings})
        if (preferenceKindName(k) == name)
            return k;
    throw Error(
        QStringLiteral("Unknown preference data '%1': use pairs, ratings or rankings.").arg(name));
}

std::vector<PreferenceRecord> readPreferenceJsonl(const QString& path, PreferenceKind kind)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("Cannot read the preference file %1: %2.")
                        .arg(path, file.errorString()));
    std::vector<PreferenceRecord> out;
    int line = 0;
    while (!file.atEnd()) {
        const QByteArray bytes = file.readLine().trimmed();
        ++line;
        if (bytes.isEmpty())
            continue;
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
        if (!doc.isObject())
            throw Error(QStringLiteral("%1, line %2 is not a JSON object (%3).")
                            .arg(path)
                            .arg(line)
                            .arg(error.errorString()));
        out.push_back(parse(doc.object(), kind, path, line));
    }
    if (out.empty())
        throw Error(QStringLiteral("The preference file %1 has no records.").arg(path));
    return out;
}

std::vector<ResponsePair> impliedPairs(const std::vector<PreferenceRecord>& records,
                                       PreferenceKind kind)
{
    std::vector<ResponsePair> out;
    for (int r = 0; r < int(records.size()); ++r) {
        if (kind == PreferenceKind::Pairs) {
            out.push_back({r, 0, r, 1});
        } else if (kind == PreferenceKind::Rankings) {
            const int n = int(records[size_t(r)].responses.size());
            for (int a = 0; a < n; ++a)
                for (int b = a + 1; b < n; ++b)
                    out.push_back({r, a, r, b});
        } else {
            for (int o = r + 1; o < int(records.size()); ++o) {
                const PreferenceRecord& x = records[size_t(r)];
                const PreferenceRecord& y = records[size_t(o)];
                if (x.prompt != y.prompt || x.rating == y.rating)
                    continue;
                out.push_back(x.rating > y.rating ? ResponsePair{r, 0, o, 0}
                                                  : ResponsePair{o, 0, r, 0});
            }
        }
    }
    return out;
}

} // namespace fts
