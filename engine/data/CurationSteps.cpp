// The curation steps themselves. Each reads the active rows, decides, and records every change
// through StepWriter so the recipe can undo it.
#include "data/CurationSteps.h"

#include "Error.h"
#include "data/NearDuplicates.h"
#include "data/Redaction.h"
#include "data/TextNormalize.h"
#include "data/Thesaurus.h"

#include <QHash>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <optional>
#include <cmath>
#include <random>

namespace fts::curation {
namespace {

constexpr int kExamples = 5;

void progress(JobContext* ctx, qint64 done, qint64 total, const QString& stage)
{
    if (ctx) {
        if ((done & 255) == 0)
            ctx->checkCancelled();
        ctx->progress(done, total, stage);
    }
}

void example(StepEffect& e, const QString& a, const QString& b)
{
    if (e.examples.size() < kExamples)
        e.examples.append({a, b});
}

int wordCount(const QString& text)
{
    static const QRegularExpression ws(QStringLiteral("\\s+"));
    return int(text.split(ws, Qt::SkipEmptyParts).size());
}

// Duplicates agree when no task has two different labels among them.
bool labelsConflict(const QList<ActiveRow>& rows, const QList<int>& members)
{
    QMap<QString, QString> seen;
    for (int i : members)
        for (auto it = rows[i].labels.begin(); it != rows[i].labels.end(); ++it) {
            const auto s = seen.constFind(it.key());
            if (s != seen.constEnd() && *s != it.value())
                return true;
            seen.insert(it.key(), it.value());
        }
    return false;
}

// Keeps the first labeled member (or the first one), removes the rest; conflicting groups are kept
// whole and listed for review.
void resolveGroups(const QList<ActiveRow>& rows, const QList<QList<int>>& groups, StepWriter& w,
                   StepEffect& e)
{
    QJsonArray conflicts, removedGroups;
    for (const QList<int>& g : groups) {
        QJsonArray ids;
        for (int i : g)
            ids.append(rows[i].id);
        if (labelsConflict(rows, g)) {
            conflicts.append(ids);
            continue;
        }
        int keep = g.first();
        for (int i : g)
            if (!rows[i].labels.isEmpty()) {
                keep = i;
                break;
            }
        for (int i : g)
            if (i != keep) {
                w.remove(rows[i].id);
                ++e.removed;
                example(e, rows[keep].text, rows[i].text);
            }
        removedGroups.append(ids);
    }
    e.details.insert(QStringLiteral("groups"), removedGroups);
    e.details.insert(QStringLiteral("conflicts"), conflicts);
}

} // namespace

StepEffect normalizeStep(QSqlDatabase& db, StepWriter& w, const Params& p, JobContext* ctx)
{
    NormalizeOptions o;
    o.nfkc = p.flag("nfkc", true);
    o.collapseWhitespace = p.flag("whitespace", true);
    o.stripHtml = p.flag("html", true);
    o.fixMojibake = p.flag("mojibake", true);
    StepEffect e;
    const QList<ActiveRow> rows = loadActiveRows(db);
    for (qsizetype i = 0; i < rows.size(); ++i) {
        const QString after = normalizeText(rows[i].text, o);
        if (after != rows[i].text) {
            w.setText(rows[i].id, rows[i].text, after);
            ++e.changed;
            example(e, rows[i].text, after);
        }
        progress(ctx, i + 1, rows.size(), QStringLiteral("Normalizing"));
    }
    return e;
}

StepEffect dropEmptyStep(QSqlDatabase& db, StepWriter& w, const Params&, JobContext*)
{
    StepEffect e;
    for (const ActiveRow& r : loadActiveRows(db))
        if (r.text.trimmed().isEmpty()) {
            w.remove(r.id);
            ++e.removed;
        }
    return e;
}

StepEffect dedupeStep(QSqlDatabase& db, StepWriter& w, const Params&, JobContext*)
{
    const QList<ActiveRow> rows = loadActiveRows(db);
    QHash<QString, QList<int>> byKey;
    QStringList order;
    for (int i = 0; i < rows.size(); ++i) {
        const QString key = duplicateKey(rows[i].text);
        if (!byKey.contains(key))
            order << key;
        byKey[key] << i;
    }
    QList<QList<int>> groups;
    for (const QString& k : order)
        if (byKey[k].size() > 1)
            groups << byKey[k];
    StepEffect e;
    resolveGroups(rows, groups, w, e);
    return e;
}

StepEffect nearDedupeStep(QSqlDatabase& db, StepWriter& w, const Params& p, JobContext* ctx)
{
    const double threshold = p.number("threshold", 0.7, 0.3, 1.0);
    const QList<ActiveRow> rows = loadActiveRows(db);
    QStringList texts;
    for (const ActiveRow& r : rows)
        texts << r.text;
    if (ctx)
        ctx->progress(0, 1, QStringLiteral("Finding near-duplicates"));
    StepEffect e;
    resolveGroups(rows, nearDuplicateGroups(texts, threshold), w, e);
    e.details.insert(QStringLiteral("threshold"), threshold);
    return e;
}

StepEffect lengthStep(QSqlDatabase& db, StepWriter& w, const Params& p, JobContext*)
{
    constexpr double kBig = 1e9;
    const double minChars = p.number("min_chars", 0, 0, kBig), maxChars = p.number("max_chars", kBig, 1, kBig);
    const double minWords = p.number("min_words", 0, 0, kBig), maxWords = p.number("max_words", kBig, 1, kBig);
    if (minChars > maxChars || minWords > maxWords)
        throw Error(QStringLiteral("length: the minimum is larger than the maximum."));
    StepEffect e;
    for (const ActiveRow& r : loadActiveRows(db)) {
        const int chars = int(r.text.size()), words = wordCount(r.text);
        if (chars < minChars || chars > maxChars || words < minWords || words > maxWords) {
            w.remove(r.id);
            ++e.removed;
            example(e, r.text, QString());
        }
    }
    return e;
}

StepEffect redactStep(QSqlDatabase& db, StepWriter& w, const Params& p, JobContext* ctx)
{
    RedactionOptions o;
    o.emails = p.flag("emails", true);
    o.phones = p.flag("phones", true);
    o.urls = p.flag("urls", true);
    o.ips = p.flag("ips", true);
    o.cards = p.flag("cards", true);
    o.ibans = p.flag("ibans", true);
    o.patterns = p.strings("patterns");
    o.words = p.strings("words");
    StepEffect e;
    QMap<QString, int> totals;
    const QList<ActiveRow> rows = loadActiveRows(db);
    for (qsizetype i = 0; i < rows.size(); ++i) {
        const RedactionResult r = redactText(rows[i].text, o);
        if (r.text != rows[i].text) {
            w.setText(rows[i].id, rows[i].text, r.text);
            ++e.changed;
            example(e, rows[i].text, r.text);
            for (auto it = r.counts.begin(); it != r.counts.end(); ++it)
                totals[it.key()] += it.value();
        }
        progress(ctx, i + 1, rows.size(), QStringLiteral("Redacting"));
    }
    QJsonObject found;
    for (auto it = totals.begin(); it != totals.end(); ++it)
        found.insert(it.key(), it.value());
    e.details.insert(QStringLiteral("found"), found);
    return e;
}

StepEffect splitStep(QSqlDatabase& db, StepWriter& w, const Params& p, JobContext*)
{
    const double train = p.number("train", 0.8, 0, 1), val = p.number("val", 0.1, 0, 1), test = p.number("test", 0.1, 0, 1);
    if (std::abs(train + val + test - 1.0) > 1e-6)
        throw Error(QStringLiteral("split: the train, val and test fractions must add up to 1 (they add up to %1).")
                        .arg(train + val + test));
    const bool stratify = p.flag("stratify", true);
    std::mt19937_64 rng(uint64_t(p.number("seed", 13, 0, 4294967295.0)));
    const QList<ActiveRow> rows = loadActiveRows(db);
    // Strata: the first task's label (unlabeled rows form their own stratum).
    QMap<QString, QList<int>> strata;
    for (int i = 0; i < rows.size(); ++i)
        if (rows[i].split.isEmpty())
            strata[stratify && !rows[i].labels.isEmpty() ? rows[i].labels.first() : QString()] << i;
    StepEffect e;
    QJsonObject sizes{{"train", 0}, {"val", 0}, {"test", 0}};
    for (QList<int>& members : strata) {
        std::shuffle(members.begin(), members.end(), rng);
        const int n = int(members.size());
        // Largest remainder: each stratum's counts are within one row of its exact share.
        const double exact[3] = {train * n, val * n, test * n};
        int counts[3] = {int(std::floor(exact[0])), int(std::floor(exact[1])), int(std::floor(exact[2]))};
        int left = n - counts[0] - counts[1] - counts[2];
        int order[3] = {0, 1, 2};
        std::sort(order, order + 3, [&](int a, int b) { return exact[a] - counts[a] > exact[b] - counts[b]; });
        for (int k = 0; left > 0; k = (k + 1) % 3, --left)
            ++counts[order[k]];
        const QString names[3] = {QStringLiteral("train"), QStringLiteral("val"), QStringLiteral("test")};
        int at = 0;
        for (int s = 0; s < 3; ++s)
            for (int c = 0; c < counts[s]; ++c, ++at) {
                w.setSplit(rows[members[at]].id, QString(), names[s]);
                ++e.changed;
                sizes.insert(names[s], sizes.value(names[s]).toInt() + 1);
            }
    }
    e.details.insert(QStringLiteral("sizes"), sizes);
    return e;
}

StepEffect augmentStep(QSqlDatabase& db, StepWriter& w, const Params& p, JobContext* ctx)
{
    const int perRow = int(p.number("per_row", 1, 1, 20));
    const double alpha = p.number("alpha", 0.1, 0.01, 0.5);
    const QStringList ops = p.strings("ops", {"synonym", "swap", "delete", "insert"});
    for (const QString& op : ops)
        if (!QStringList{"synonym", "swap", "delete", "insert"}.contains(op))
            throw Error(QStringLiteral("augment: '%1' is not an operation; use synonym, swap, delete, insert.").arg(op));
    if (ops.isEmpty())
        throw Error(QStringLiteral("augment: choose at least one operation."));
    std::mt19937_64 rng(uint64_t(p.number("seed", 13, 0, 4294967295.0)));
    std::optional<Thesaurus> thesaurus;
    if (ops.contains(QLatin1String("synonym")) || ops.contains(QLatin1String("insert")))
        thesaurus.emplace(p.string("thesaurus", Thesaurus::defaultPath()));
    static const QRegularExpression ws(QStringLiteral("\\s+"));
    auto pick = [&](int n) { return int(std::uniform_int_distribution<int>(0, n - 1)(rng)); };

    StepEffect e;
    QList<ActiveRow> rows = loadActiveRows(db);
    rows.removeIf([](const ActiveRow& r) { return r.split != QLatin1String("train"); }); // never val/test
    for (qsizetype i = 0; i < rows.size(); ++i) {
        const QStringList words = rows[i].text.split(ws, Qt::SkipEmptyParts);
        if (words.size() < 2)
            continue;
        const int n = std::max(1, int(std::round(alpha * words.size())));
        for (int v = 0; v < perRow; ++v) {
            QStringList out = words;
            const QString op = ops[(v + int(i)) % ops.size()];
            // Easy Data Augmentation (Wei & Zou 2019): SR, RI, RS, RD with n = alpha * length.
            for (int k = 0; k < n && out.size() > 1; ++k) {
                if (op == QLatin1String("swap")) {
                    out.swapItemsAt(pick(int(out.size())), pick(int(out.size())));
                } else if (op == QLatin1String("delete")) {
                    out.removeAt(pick(int(out.size())));
                } else {
                    const int at = pick(int(out.size()));
                    QString bare = out[at];
                    bare.remove(QRegularExpression(QStringLiteral("[^\\w'-]")));
                    const QStringList syn = thesaurus->synonyms(bare);
                    if (syn.isEmpty())
                        continue;
                    const QString s = syn[pick(int(syn.size()))];
                    if (op == QLatin1String("synonym"))
                        out[at] = QString(out[at]).replace(bare, s);
                    else
                        out.insert(pick(int(out.size()) + 1), s);
                }
            }
            const QString text = out.join(QLatin1Char(' '));
            if (text == rows[i].text)
                continue;
            w.addRow(text, QStringLiteral("train"), rows[i].labels, rows[i].id);
            ++e.added;
            example(e, rows[i].text, text);
        }
        progress(ctx, i + 1, rows.size(), QStringLiteral("Augmenting"));
    }
    return e;
}

} // namespace fts::curation
