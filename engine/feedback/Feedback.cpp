// Feedback lives in three tables (schema version 5). A judgement supersedes the same annotator's
// current one on the same subject inside one transaction, like labels, so history is complete and
// a crash leaves the old judgement or the new one.
#include "feedback/Feedback.h"

#include "Error.h"
#include "io/AtomicWrite.h"
#include "label/Agreement.h"
#include "project/Project.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>
#include <map>

namespace fts {
namespace {

void requireAnnotator(const QString& annotator)
{
    if (annotator.trimmed().isEmpty())
        throw Error(QStringLiteral("Type your name in the Annotator box first: every judgement "
                                   "records who made it."));
}

qint64 promptOf(QSqlDatabase& db, qint64 candidateId)
{
    SqlQuery q(db, QStringLiteral("SELECT prompt_id FROM feedback_candidates WHERE id = ?"));
    q.bind(candidateId).exec("find a candidate's prompt");
    if (!q.next())
        throw Error(QStringLiteral("There is no candidate answer %1 in this project.").arg(candidateId));
    return q.value(0).toLongLong();
}

bool isSplit(const QString& split)
{
    return split == QLatin1String("train") || split == QLatin1String("val") || split == QLatin1String("test");
}

int countRows(QSqlDatabase& db, const char* table)
{
    SqlQuery q(db, QStringLiteral("SELECT COUNT(*) FROM %1").arg(QLatin1String(table)));
    q.exec("count rows");
    return q.next() ? q.value(0).toInt() : 0;
}

QString pairSubject(qint64 a, qint64 b)
{
    return QStringLiteral("%1,%2").arg(std::min(a, b)).arg(std::max(a, b));
}

// The write itself, inside the caller's transaction.
JudgementChange recordIn(QSqlDatabase& db, qint64 promptId, FeedbackKind kind,
                         const QString& subject, const QString& value, const QString& annotator)
{
    const QString now = nowIso();
    JudgementChange change;
    {
        SqlQuery q(db, QStringLiteral("SELECT id FROM feedback_judgements WHERE prompt_id = ? AND "
                                      "kind = ? AND subject = ? AND annotator = ? AND "
                                      "superseded_at IS NULL"));
        q.bind(promptId).bind(feedbackKindName(kind)).bind(subject).bind(annotator);
        q.exec("read the current judgement");
        if (q.next())
            change.replaced = q.value(0).toLongLong();
    }
    if (change.replaced)
        SqlQuery(db, QStringLiteral("UPDATE feedback_judgements SET superseded_at = ? WHERE id = ?"))
            .bind(now)
            .bind(change.replaced)
            .exec("supersede the earlier judgement");
    SqlQuery insert(db, QStringLiteral("INSERT INTO feedback_judgements (prompt_id, kind, subject, "
                                       "value, annotator, created_at) VALUES (?, ?, ?, ?, ?, ?)"));
    insert.bind(promptId).bind(feedbackKindName(kind)).bind(subject).bind(value).bind(annotator).bind(now);
    insert.exec("save the judgement");
    change.added = insert.lastInsertId().toLongLong();
    return change;
}

JudgementChange record(QSqlDatabase& db, qint64 promptId, FeedbackKind kind,
                       const QString& subject, const QString& value, const QString& annotator)
{
    Transaction tx(db);
    const JudgementChange change = recordIn(db, promptId, kind, subject, value, annotator);
    tx.commit();
    return change;
}

struct Current
{
    qint64 promptId;
    QString subject, value, annotator;
};

QList<Current> currentJudgements(QSqlDatabase& db, FeedbackKind kind)
{
    SqlQuery q(db, QStringLiteral("SELECT prompt_id, subject, value, annotator FROM "
                                  "feedback_judgements WHERE kind = ? AND superseded_at IS NULL "
                                  "ORDER BY id"));
    q.bind(feedbackKindName(kind)).exec("read the judgements");
    QList<Current> out;
    while (q.next())
        out.push_back({q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toString(),
                       q.value(3).toString()});
    return out;
}

QList<qint64> idList(const QString& json)
{
    QList<qint64> out;
    for (const QJsonValue& v : QJsonDocument::fromJson(json.toUtf8()).array())
        out << qint64(v.toDouble());
    return out;
}

// The (better, worse) candidate pairs one judgement implies; ratings are handled per annotator.
QList<QPair<qint64, qint64>> pairsOf(FeedbackKind kind, const QString& subject, const QString& value)
{
    QList<QPair<qint64, qint64>> out;
    if (kind == FeedbackKind::Ranking) {
        const QList<qint64> order = idList(value);
        for (int a = 0; a < order.size(); ++a)
            for (int b = a + 1; b < order.size(); ++b)
                out.push_back({order[a], order[b]});
    } else if (kind == FeedbackKind::Choice && value != QLatin1String("tie")) {
        const QStringList ids = subject.split(',');
        const qint64 low = ids.value(0).toLongLong(), high = ids.value(1).toLongLong();
        const qint64 chosen = value.toLongLong();
        out.push_back({chosen, chosen == low ? high : low});
    }
    return out;
}

struct PromptInfo
{
    QString text, split;
};

std::map<qint64, PromptInfo> promptInfo(QSqlDatabase& db)
{
    SqlQuery q(db, QStringLiteral("SELECT id, text, split FROM feedback_prompts"));
    q.exec("read the prompts");
    std::map<qint64, PromptInfo> out;
    while (q.next())
        out[q.value(0).toLongLong()] = {q.value(1).toString(), q.value(2).toString()};
    return out;
}

QHash<qint64, QString> candidateTexts(QSqlDatabase& db)
{
    SqlQuery q(db, QStringLiteral("SELECT id, text FROM feedback_candidates"));
    q.exec("read the candidates");
    QHash<qint64, QString> out;
    while (q.next())
        out.insert(q.value(0).toLongLong(), q.value(1).toString());
    return out;
}

QString formatNumber(double v)
{
    return QString::number(v, 'g', 10);
}

} // namespace

QString feedbackKindName(FeedbackKind kind)
{
    switch (kind) {
    case FeedbackKind::Rating:
        return QStringLiteral("rating");
    case FeedbackKind::Ranking:
        return QStringLiteral("ranking");
    case FeedbackKind::Choice:
        return QStringLiteral("choice");
    }
    return {};
}

QString promptSplitFor(const QString& text)
{
    const QByteArray h = QCryptographicHash::hash(text.toUtf8(), QCryptographicHash::Sha1);
    const quint32 v = (quint32(uchar(h[0])) << 24) | (quint32(uchar(h[1])) << 16)
                      | (quint32(uchar(h[2])) << 8) | quint32(uchar(h[3]));
    const quint32 bucket = v % 10;
    return bucket < 8 ? QStringLiteral("train") : bucket == 8 ? QStringLiteral("val")
                                                              : QStringLiteral("test");
}

qint64 addFeedbackPrompt(Project& project, const QString& text, const QString& source,
                         const QString& split)
{
    project.requireWritable(QStringLiteral("feedback"));
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        throw Error(QStringLiteral("A prompt cannot be empty."));
    if (!split.isEmpty() && !isSplit(split))
        throw Error(QStringLiteral("A prompt's split must be train, val or test, not \"%1\".").arg(split));
    QSqlDatabase& db = project.db();
    SqlQuery find(db, QStringLiteral("SELECT id FROM feedback_prompts WHERE text = ?"));
    find.bind(trimmed).exec("look for the prompt");
    if (find.next())
        return find.value(0).toLongLong();
    SqlQuery q(db, QStringLiteral("INSERT INTO feedback_prompts (text, split, source, created_at) "
                                  "VALUES (?, ?, ?, ?)"));
    q.bind(trimmed).bind(split.isEmpty() ? promptSplitFor(trimmed) : split).bind(source).bind(nowIso());
    q.exec("save the prompt");
    return q.lastInsertId().toLongLong();
}

qint64 addFeedbackCandidate(Project& project, qint64 promptId, const QString& text,
                            const QString& origin, const QJsonObject& settings)
{
    project.requireWritable(QStringLiteral("feedback"));
    if (text.trimmed().isEmpty())
        throw Error(QStringLiteral("A candidate answer cannot be empty."));
    QSqlDatabase& db = project.db();
    SqlQuery find(db, QStringLiteral("SELECT id FROM feedback_candidates WHERE prompt_id = ? AND text = ?"));
    find.bind(promptId).bind(text).exec("look for the candidate");
    if (find.next())
        return find.value(0).toLongLong();
    SqlQuery exists(db, QStringLiteral("SELECT 1 FROM feedback_prompts WHERE id = ?"));
    exists.bind(promptId).exec("find the prompt");
    if (!exists.next())
        throw Error(QStringLiteral("There is no prompt %1 in this project.").arg(promptId));
    SqlQuery q(db, QStringLiteral("INSERT INTO feedback_candidates (prompt_id, text, origin, "
                                  "settings, created_at) VALUES (?, ?, ?, ?, ?)"));
    q.bind(promptId).bind(text).bind(origin);
    q.bind(QString::fromUtf8(QJsonDocument(settings).toJson(QJsonDocument::Compact))).bind(nowIso());
    q.exec("save the candidate answer");
    return q.lastInsertId().toLongLong();
}

QList<FeedbackPrompt> feedbackPrompts(Project& project)
{
    SqlQuery q(project.db(),
               QStringLiteral("SELECT p.id, p.text, p.split, p.source, (SELECT COUNT(*) FROM "
                              "feedback_candidates c WHERE c.prompt_id = p.id) FROM "
                              "feedback_prompts p ORDER BY p.id"));
    q.exec("read the prompts");
    QList<FeedbackPrompt> out;
    while (q.next())
        out.push_back({q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toString(),
                       q.value(3).toString(), q.value(4).toInt()});
    return out;
}

QList<FeedbackCandidate> feedbackCandidates(Project& project, qint64 promptId)
{
    SqlQuery q(project.db(), QStringLiteral("SELECT id, text, origin, settings FROM "
                                            "feedback_candidates WHERE prompt_id = ? ORDER BY id"));
    q.bind(promptId).exec("read the candidate answers");
    QList<FeedbackCandidate> out;
    while (q.next())
        out.push_back({q.value(0).toLongLong(), promptId, q.value(1).toString(), q.value(2).toString(),
                       QJsonDocument::fromJson(q.value(3).toString().toUtf8()).object()});
    return out;
}

JudgementChange rateCandidate(Project& project, qint64 candidateId, int rating, const QString& annotator)
{
    project.requireWritable(QStringLiteral("feedback"));
    requireAnnotator(annotator);
    if (rating < kMinRating || rating > kMaxRating)
        throw Error(QStringLiteral("A rating must be from %1 (worst) to %2 (best), not %3.")
                        .arg(kMinRating)
                        .arg(kMaxRating)
                        .arg(rating));
    QSqlDatabase& db = project.db();
    const qint64 prompt = promptOf(db, candidateId);
    return record(db, prompt, FeedbackKind::Rating, QStringLiteral("c%1").arg(candidateId),
                  QString::number(rating), annotator);
}

JudgementChange rankCandidates(Project& project, qint64 promptId, const QList<qint64>& bestFirst,
                               const QString& annotator)
{
    project.requireWritable(QStringLiteral("feedback"));
    requireAnnotator(annotator);
    QSet<qint64> expected;
    for (const FeedbackCandidate& c : feedbackCandidates(project, promptId))
        expected.insert(c.id);
    const QSet<qint64> given(bestFirst.begin(), bestFirst.end());
    if (expected.size() < 2)
        throw Error(QStringLiteral("Prompt %1 has fewer than two candidate answers: nothing to rank.")
                        .arg(promptId));
    if (given != expected || given.size() != bestFirst.size())
        throw Error(QStringLiteral("A ranking must list each of the prompt's %1 candidate answers "
                                   "exactly once.")
                        .arg(expected.size()));
    QJsonArray order;
    for (qint64 id : bestFirst)
        order.append(double(id));
    return record(project.db(), promptId, FeedbackKind::Ranking, QStringLiteral(""),
                  QString::fromUtf8(QJsonDocument(order).toJson(QJsonDocument::Compact)), annotator);
}

JudgementChange choosePair(Project& project, qint64 first, qint64 second, PairChoice choice,
                           const QString& annotator)
{
    project.requireWritable(QStringLiteral("feedback"));
    requireAnnotator(annotator);
    QSqlDatabase& db = project.db();
    const qint64 prompt = promptOf(db, first);
    if (first == second || promptOf(db, second) != prompt)
        throw Error(QStringLiteral("A choice compares two different answers to the same prompt."));
    const QString value = choice == PairChoice::Tie     ? QStringLiteral("tie")
                          : choice == PairChoice::First ? QString::number(first)
                                                        : QString::number(second);
    return record(db, prompt, FeedbackKind::Choice, pairSubject(first, second), value, annotator);
}

void undoJudgement(Project& project, const JudgementChange& change)
{
    project.requireWritable(QStringLiteral("feedback"));
    QSqlDatabase& db = project.db();
    Transaction tx(db);
    // The undone judgement stays in the history, closed, like a superseded one. If it is no longer
    // current, someone (another window, the CLI) judged the item since: leave their judgement.
    SqlQuery close(db, QStringLiteral("UPDATE feedback_judgements SET superseded_at = ? WHERE id = ? AND "
                                      "superseded_at IS NULL"));
    close.bind(nowIso()).bind(change.added).exec("undo the judgement");
    if (close.raw().numRowsAffected() != 1)
        throw Error(QStringLiteral("This judgement was changed since it was made (in another window or "
                                   "the command line), so it was not undone."));
    if (change.replaced)
        SqlQuery(db, QStringLiteral("UPDATE feedback_judgements SET superseded_at = NULL WHERE id = ?"))
            .bind(change.replaced)
            .exec("restore the earlier judgement");
    tx.commit();
}

QMap<qint64, double> ratingsBy(Project& project, qint64 promptId, const QString& annotator)
{
    SqlQuery q(project.db(), QStringLiteral("SELECT subject, value FROM feedback_judgements WHERE "
                                            "prompt_id = ? AND kind = 'rating' AND annotator = ? "
                                            "AND superseded_at IS NULL"));
    q.bind(promptId).bind(annotator).exec("read the ratings");
    QMap<qint64, double> out;
    while (q.next())
        out.insert(q.value(0).toString().mid(1).toLongLong(), q.value(1).toDouble());
    return out;
}

QList<qint64> rankingBy(Project& project, qint64 promptId, const QString& annotator)
{
    SqlQuery q(project.db(), QStringLiteral("SELECT value FROM feedback_judgements WHERE "
                                            "prompt_id = ? AND kind = 'ranking' AND annotator = ? "
                                            "AND superseded_at IS NULL"));
    q.bind(promptId).bind(annotator).exec("read the ranking");
    return q.next() ? idList(q.value(0).toString()) : QList<qint64>();
}

QString choiceBy(Project& project, qint64 first, qint64 second, const QString& annotator)
{
    SqlQuery q(project.db(), QStringLiteral("SELECT value FROM feedback_judgements WHERE "
                                            "kind = 'choice' AND subject = ? AND annotator = ? "
                                            "AND superseded_at IS NULL"));
    q.bind(pairSubject(first, second)).bind(annotator).exec("read the choice");
    if (!q.next())
        return {};
    const QString v = q.value(0).toString();
    if (v == QLatin1String("tie"))
        return v;
    return v.toLongLong() == first ? QStringLiteral("first") : QStringLiteral("second");
}

FeedbackProgress feedbackProgress(Project& project, FeedbackKind kind, const QString& annotator)
{
    QSqlDatabase& db = project.db();
    FeedbackProgress p;
    const char* itemsSql = nullptr;
    switch (kind) {
    case FeedbackKind::Rating:
        itemsSql = "SELECT COUNT(*) FROM feedback_candidates";
        break;
    case FeedbackKind::Ranking:
        itemsSql = "SELECT COUNT(*) FROM (SELECT prompt_id FROM feedback_candidates GROUP BY "
                   "prompt_id HAVING COUNT(*) >= 2)";
        break;
    case FeedbackKind::Choice:
        itemsSql = "SELECT COALESCE(SUM(n * (n - 1) / 2), 0) FROM (SELECT COUNT(*) AS n FROM "
                   "feedback_candidates GROUP BY prompt_id)";
        break;
    }
    SqlQuery items(db, QString::fromLatin1(itemsSql));
    items.exec("count what there is to judge");
    if (items.next())
        p.items = items.value(0).toLongLong();
    SqlQuery judged(db, QStringLiteral("SELECT COUNT(*) FROM feedback_judgements WHERE kind = ? "
                                       "AND annotator = ? AND superseded_at IS NULL"));
    judged.bind(feedbackKindName(kind)).bind(annotator).exec("count the judgements");
    if (judged.next())
        p.judged = std::min(p.items, judged.value(0).toLongLong());
    return p;
}

FeedbackAgreement feedbackAgreement(Project& project, FeedbackKind kind)
{
    // Units: a rating's candidate, a choice's pair, each pair of candidates a ranking orders.
    QMap<QString, QMap<QString, QString>> units; // unit -> annotator -> value
    QSet<QString> annotators;
    for (const Current& j : currentJudgements(project.db(), kind)) {
        annotators.insert(j.annotator);
        // Pair verdicts are named by position ("low"/"high" id wins), not by candidate id, so
        // every pair has the same categories.
        if (kind == FeedbackKind::Ranking) {
            for (const auto& [better, worse] : pairsOf(kind, j.subject, j.value))
                units[pairSubject(better, worse)][j.annotator] =
                    better < worse ? QStringLiteral("low") : QStringLiteral("high");
        } else if (kind == FeedbackKind::Choice) {
            const qint64 low = j.subject.section(QLatin1Char(','), 0, 0).toLongLong();
            units[j.subject][j.annotator] = j.value == QLatin1String("tie") ? j.value
                                            : j.value.toLongLong() == low ? QStringLiteral("low")
                                                                           : QStringLiteral("high");
        } else {
            units[j.subject][j.annotator] = j.value;
        }
    }
    FeedbackAgreement a;
    a.annotators = int(annotators.size());
    QList<QStringList> alphaUnits;
    qint64 agreeingPairs = 0, pairs = 0;
    for (const auto& byAnnotator : units) {
        if (byAnnotator.size() < 2)
            continue;
        ++a.items;
        const QStringList values = byAnnotator.values();
        alphaUnits << values;
        for (int x = 0; x < values.size(); ++x)
            for (int y = x + 1; y < values.size(); ++y) {
                ++pairs;
                agreeingPairs += values[x] == values[y];
            }
    }
    if (pairs > 0) {
        a.percent = 100.0 * double(agreeingPairs) / double(pairs);
        a.alpha = krippendorffAlphaNominal(alphaUnits);
    }
    return a;
}

std::vector<PreferenceRecord> feedbackRecords(Project& project, PreferenceKind form)
{
    QSqlDatabase& db = project.db();
    const std::map<qint64, PromptInfo> prompts = promptInfo(db);
    const QHash<qint64, QString> texts = candidateTexts(db);
    std::vector<PreferenceRecord> out;
    const auto base = [&](qint64 promptId) {
        PreferenceRecord r;
        const auto it = prompts.find(promptId);
        r.prompt = it->second.text;
        r.split = it->second.split;
        r.splitGiven = true;
        return r;
    };
    switch (form) {
    case PreferenceKind::Ratings:
        for (const Current& j : currentJudgements(db, FeedbackKind::Rating)) {
            PreferenceRecord r = base(j.promptId);
            r.responses = {texts.value(j.subject.mid(1).toLongLong())};
            r.rating = j.value.toDouble();
            out.push_back(r);
        }
        break;
    case PreferenceKind::Rankings:
        for (const Current& j : currentJudgements(db, FeedbackKind::Ranking)) {
            PreferenceRecord r = base(j.promptId);
            for (qint64 id : idList(j.value))
                r.responses << texts.value(id);
            out.push_back(r);
        }
        break;
    case PreferenceKind::Pairs: {
        const auto addPair = [&](qint64 promptId, qint64 better, qint64 worse) {
            PreferenceRecord r = base(promptId);
            r.responses = {texts.value(better), texts.value(worse)};
            out.push_back(r);
        };
        for (FeedbackKind kind : {FeedbackKind::Choice, FeedbackKind::Ranking})
            for (const Current& j : currentJudgements(db, kind))
                for (const auto& [better, worse] : pairsOf(kind, j.subject, j.value))
                    addPair(j.promptId, better, worse);
        // Ratings: within one prompt and one annotator (people use a scale differently).
        QMap<QPair<qint64, QString>, QList<QPair<qint64, double>>> rated;
        for (const Current& j : currentJudgements(db, FeedbackKind::Rating))
            rated[{j.promptId, j.annotator}].push_back({j.subject.mid(1).toLongLong(), j.value.toDouble()});
        for (auto it = rated.cbegin(); it != rated.cend(); ++it) {
            const auto& list = it.value();
            for (int a = 0; a < list.size(); ++a)
                for (int b = a + 1; b < list.size(); ++b) {
                    if (list[a].second == list[b].second)
                        continue;
                    const bool aBetter = list[a].second > list[b].second;
                    addPair(it.key().first, aBetter ? list[a].first : list[b].first,
                            aBetter ? list[b].first : list[a].first);
                }
        }
        break;
    }
    }
    return out;
}

void recordComparison(Project& project, qint64 runId, qint64 promptId, qint64 tunedId, qint64 referenceId)
{
    project.requireWritable(QStringLiteral("feedback"));
    SqlQuery(project.db(), QStringLiteral("INSERT OR REPLACE INTO feedback_comparisons (run_id, prompt_id, tuned_id, "
                                          "reference_id, created_at) VALUES (?, ?, ?, ?, ?)"))
        .bind(runId)
        .bind(promptId)
        .bind(tunedId)
        .bind(referenceId)
        .bind(nowIso())
        .exec("save the comparison");
}

QList<qint64> comparedRuns(Project& project)
{
    SqlQuery q(project.db(), QStringLiteral("SELECT DISTINCT run_id FROM feedback_comparisons ORDER BY run_id"));
    q.exec("read the compared runs");
    QList<qint64> out;
    while (q.next())
        out << q.value(0).toLongLong();
    return out;
}

HumanVerdicts humanVerdicts(Project& project, qint64 runId)
{
    HumanVerdicts v;
    SqlQuery q(project.db(),
               QStringLiteral("SELECT c.tuned_id, j.value FROM feedback_comparisons c LEFT JOIN feedback_judgements j ON "
                              "j.kind = 'choice' AND j.superseded_at IS NULL AND j.prompt_id = c.prompt_id AND "
                              "j.subject = (MIN(c.tuned_id, c.reference_id) || ',' || MAX(c.tuned_id, c.reference_id)) "
                              "WHERE c.run_id = ? ORDER BY c.id"));
    q.bind(runId).exec("read the verdicts");
    QSet<qint64> pairs;
    while (q.next()) {
        pairs.insert(q.value(0).toLongLong());
        if (q.value(1).isNull())
            continue;
        const QString value = q.value(1).toString();
        if (value == QLatin1String("tie"))
            ++v.ties;
        else if (value.toLongLong() == q.value(0).toLongLong())
            ++v.wins;
        else
            ++v.losses;
    }
    v.pairs = int(pairs.size());
    return v;
}

QHash<qint64, int> judgedPerPrompt(Project& project, FeedbackKind kind, const QString& annotator)
{
    SqlQuery q(project.db(), QStringLiteral("SELECT prompt_id, COUNT(*) FROM feedback_judgements WHERE kind = ? AND "
                                            "annotator = ? AND superseded_at IS NULL GROUP BY prompt_id"));
    q.bind(feedbackKindName(kind)).bind(annotator).exec("count the judgements per prompt");
    QHash<qint64, int> out;
    while (q.next())
        out.insert(q.value(0).toLongLong(), q.value(1).toInt());
    return out;
}

bool showSwapped(qint64 first, qint64 second, const QString& annotator)
{
    const QByteArray key = pairSubject(first, second).toUtf8() + '/' + annotator.toUtf8();
    const bool flip = QCryptographicHash::hash(key, QCryptographicHash::Sha1).at(0) & 1;
    return first < second ? flip : !flip; // the same side for the pair whichever order it is asked in
}

FeedbackImport importFeedbackFile(Project& project, const QString& path, const QString& form)
{
    project.requireWritable(QStringLiteral("feedback"));
    const QString source = QStringLiteral("import:%1").arg(QFileInfo(path).fileName());
    FeedbackImport result;
    QSqlDatabase& db = project.db();

    if (form == QLatin1String("prompts")) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            throw Error(QStringLiteral("Cannot read the prompt file %1: %2.").arg(path, file.errorString()));
        struct Line
        {
            QString text, split;
        };
        QList<Line> lines;
        int n = 0;
        while (!file.atEnd()) {
            const QByteArray raw = file.readLine();
            ++n;
            const QString line = QString::fromUtf8(raw).trimmed();
            if (line.isEmpty())
                continue;
            if (!line.startsWith(QLatin1Char('{'))) {
                lines.push_back({line, {}});
                continue;
            }
            QJsonParseError error;
            const QJsonObject o = QJsonDocument::fromJson(raw, &error).object();
            const QString text = o.value(QLatin1String("prompt")).toString().trimmed();
            if (error.error != QJsonParseError::NoError || text.isEmpty())
                throw Error(QStringLiteral("%1, line %2: a line that starts with { must be a JSON "
                                           "object with a \"prompt\" text.")
                                .arg(path)
                                .arg(n));
            const QString split = o.value(QLatin1String("split")).toString();
            if (!split.isEmpty() && !isSplit(split))
                throw Error(QStringLiteral("%1, line %2: \"split\" must be train, val or test.")
                                .arg(path)
                                .arg(n));
            lines.push_back({text, split});
        }
        if (lines.isEmpty())
            throw Error(QStringLiteral("The prompt file %1 has no prompts.").arg(path));
        Transaction tx(db);
        const int before = countRows(db, "feedback_prompts");
        for (const Line& l : lines)
            addFeedbackPrompt(project, l.text, source, l.split);
        result.prompts = countRows(db, "feedback_prompts") - before;
        tx.commit();
        return result;
    }

    const PreferenceKind kind = preferenceKindFromName(form);
    // Parsed in full before anything is written: a bad line names itself and changes nothing.
    const std::vector<PreferenceRecord> records = readPreferenceJsonl(path, kind);
    Transaction tx(db);
    QSet<qint64> promptsSeen, candidatesSeen;
    const int promptsBefore = countRows(db, "feedback_prompts");
    const int candidatesBefore = countRows(db, "feedback_candidates");
    QSet<QString> judgedItems; // prompt/kind/subject judged by an earlier line
    const auto judge = [&](qint64 prompt, FeedbackKind k, const QString& subject, const QString& value) {
        const QString item = QStringLiteral("%1/%2/%3").arg(prompt).arg(int(k)).arg(subject);
        if (judgedItems.contains(item))
            ++result.repeated;
        judgedItems.insert(item);
        recordIn(db, prompt, k, subject, value, source);
    };
    for (const PreferenceRecord& r : records) {
        const qint64 prompt = addFeedbackPrompt(project, r.prompt, source, r.splitGiven ? r.split : QString());
        QList<qint64> ids;
        for (const QString& response : r.responses)
            ids << addFeedbackCandidate(project, prompt, response, source);
        if (kind == PreferenceKind::Pairs) {
            if (ids[0] == ids[1])
                throw Error(QStringLiteral("%1, line %2: \"chosen\" and \"rejected\" are the same text.")
                                .arg(path)
                                .arg(r.line));
            judge(prompt, FeedbackKind::Choice, pairSubject(ids[0], ids[1]), QString::number(ids[0]));
        } else if (kind == PreferenceKind::Rankings) {
            if (QSet<qint64>(ids.begin(), ids.end()).size() != ids.size())
                throw Error(QStringLiteral("%1, line %2: a ranking lists the same answer twice.")
                                .arg(path)
                                .arg(r.line));
            QJsonArray order;
            for (qint64 id : ids)
                order.append(double(id));
            // A ranking covers the answers it lists; the prompt's other answers stay unranked.
            judge(prompt, FeedbackKind::Ranking, QStringLiteral(""),
                  QString::fromUtf8(QJsonDocument(order).toJson(QJsonDocument::Compact)));
        } else {
            judge(prompt, FeedbackKind::Rating, QStringLiteral("c%1").arg(ids[0]), formatNumber(r.rating));
        }
        ++result.judgements;
    }
    result.prompts = countRows(db, "feedback_prompts") - promptsBefore;
    result.candidates = countRows(db, "feedback_candidates") - candidatesBefore;
    tx.commit();
    return result;
}

QString guessFeedbackForm(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("Cannot read %1: %2.").arg(path, file.errorString()));
    while (!file.atEnd()) {
        const QByteArray line = file.readLine().trimmed();
        if (line.isEmpty())
            continue;
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        if (o.contains(QLatin1String("chosen")) || o.contains(QLatin1String("rejected")))
            return QStringLiteral("pairs");
        if (o.contains(QLatin1String("rating")))
            return QStringLiteral("ratings");
        if (o.contains(QLatin1String("responses")))
            return QStringLiteral("rankings");
        return QStringLiteral("prompts");
    }
    throw Error(QStringLiteral("%1 is empty.").arg(path));
}

namespace {

QByteArray toJsonl(const std::vector<PreferenceRecord>& records, PreferenceKind form)
{
    QByteArray out;
    for (const PreferenceRecord& r : records) {
        QJsonObject o{{"prompt", r.prompt}, {"split", r.split}};
        if (form == PreferenceKind::Pairs) {
            o.insert(QStringLiteral("chosen"), r.responses.value(0));
            o.insert(QStringLiteral("rejected"), r.responses.value(1));
        } else if (form == PreferenceKind::Ratings) {
            o.insert(QStringLiteral("response"), r.responses.value(0));
            o.insert(QStringLiteral("rating"), r.rating);
        } else {
            o.insert(QStringLiteral("responses"), QJsonArray::fromStringList(r.responses));
        }
        out += QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
    }
    return out;
}

void writeBytes(const QString& path, const QByteArray& bytes)
{
    writeFileAtomically(path, [&](QIODevice& d) {
        if (d.write(bytes) != bytes.size())
            throw Error(QStringLiteral("Could not write %1.").arg(path));
    });
}

// A run's frozen input: <artifacts>/feedback/<name>-<time>.jsonl, written once and never changed.
QString writeSnapshot(Project& project, const QString& name, const QByteArray& bytes)
{
    const QString dir = project.artifactsDir() + QStringLiteral("/feedback");
    if (!QDir().mkpath(dir))
        throw Error(QStringLiteral("Cannot create the folder %1.").arg(dir));
    const QString path = QStringLiteral("%1/%2-%3.jsonl")
                             .arg(dir, name, QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmsszzz")));
    writeBytes(path, bytes);
    return path;
}

QString noRecordsMessage(PreferenceKind form)
{
    switch (form) {
    case PreferenceKind::Pairs:
        return QStringLiteral("There are no preference pairs yet: choose the better of two answers, "
                              "rank answers, or give different ratings to answers of one prompt.");
    case PreferenceKind::Ratings:
        return QStringLiteral("There are no ratings yet: rate some answers on the Feedback page.");
    case PreferenceKind::Rankings:
        return QStringLiteral("There are no rankings yet: rank some answers on the Feedback page.");
    }
    return {};
}

} // namespace

int exportFeedbackJsonl(Project& project, const QString& path, PreferenceKind form)
{
    const std::vector<PreferenceRecord> records = feedbackRecords(project, form);
    if (records.empty())
        throw Error(noRecordsMessage(form));
    writeBytes(path, toJsonl(records, form));
    return int(records.size());
}

QString writeFeedbackSnapshot(Project& project, PreferenceKind form)
{
    const std::vector<PreferenceRecord> records = feedbackRecords(project, form);
    if (std::none_of(records.begin(), records.end(),
                     [](const PreferenceRecord& r) { return r.split == QLatin1String("train"); }))
        throw Error(records.empty() ? noRecordsMessage(form)
                                    : QStringLiteral("All the %1 judged so far belong to val or test "
                                                     "prompts; judge answers to training prompts too.")
                                          .arg(preferenceKindName(form)));
    return writeSnapshot(project, preferenceKindName(form), toJsonl(records, form));
}

QString writeFeedbackPromptSnapshot(Project& project)
{
    const QList<FeedbackPrompt> prompts = feedbackPrompts(project);
    QByteArray bytes;
    bool anyTrain = false;
    for (const FeedbackPrompt& p : prompts) {
        anyTrain = anyTrain || p.split == QLatin1String("train");
        bytes += QJsonDocument(QJsonObject{{"prompt", p.text}, {"split", p.split}}).toJson(QJsonDocument::Compact) + '\n';
    }
    if (!anyTrain)
        throw Error(QStringLiteral("There are no training prompts: add or import prompts first."));
    return writeSnapshot(project, QStringLiteral("prompts"), bytes);
}

} // namespace fts
