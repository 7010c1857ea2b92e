// A sweep is only a loop over ordinary runs, so each trial is resumable, comparable and reportable
// like any other run, and the run table shows the whole sweep.
#include "train/Sweep.h"

#include "Error.h"
#include "project/Project.h"

#include <QJsonDocument>
#include <QSet>

#include <algorithm>
#include <cmath>
#include <random>

namespace fts {
namespace {

// The grid's combinations as value lists, last axis fastest.
QList<QStringList> combinations(const QList<SweepAxis>& grid)
{
    QList<QStringList> out{{}};
    for (const SweepAxis& axis : grid) {
        QList<QStringList> next;
        for (const QStringList& prefix : std::as_const(out))
            for (const QString& v : axis.values)
                next << (QStringList(prefix) << v);
        out = next;
    }
    return out;
}

HyperparameterInfo catalogEntry(const QString& key)
{
    for (const HyperparameterInfo& info : Hyperparameters::catalog())
        if (info.key == key)
            return info;
    Hyperparameters().set(key, QString()); // throws, listing the known keys
    return {};
}

double parseNumber(const QString& text, const QString& what)
{
    bool ok = false;
    const double v = text.trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(v))
        throw Error(QStringLiteral("%1: '%2' is not a number.").arg(what, text.trimmed()));
    return v;
}

// Checks a range against the hyperparameter's own limits, so a bad range is refused before any
// run rather than at the draw that happens to fall outside.
void checkRange(const SweepAxis& axis)
{
    const HyperparameterInfo info = catalogEntry(axis.key);
    if (info.choices.isEmpty() && info.min == 0 && info.max == 0)
        throw Error(QStringLiteral("%1 is not a number, so it has no range: list its values.")
                        .arg(axis.key));
    if (!info.choices.isEmpty())
        throw Error(QStringLiteral("%1 takes one of %2, not a range: list the values instead "
                                   "(%1=%3).")
                        .arg(axis.key, info.choices.join(QStringLiteral(", ")),
                             info.choices.join(QLatin1Char(','))));
    if (!(axis.low < axis.high))
        throw Error(QStringLiteral("The range of %1 needs its low end below its high end (got "
                                   "%2..%3).")
                        .arg(axis.key)
                        .arg(axis.low)
                        .arg(axis.high));
    if (axis.low < info.min || axis.high > info.max)
        throw Error(QStringLiteral("The range %1..%2 of %3 goes outside its allowed range %4..%5.")
                        .arg(axis.low)
                        .arg(axis.high)
                        .arg(axis.key)
                        .arg(info.min)
                        .arg(info.max));
    if (axis.logScale && axis.low <= 0)
        throw Error(QStringLiteral("A log-scale range of %1 needs a low end above 0 (got %2).")
                        .arg(axis.key)
                        .arg(axis.low));
}

QString drawValue(const SweepAxis& axis, bool integer, std::mt19937& rng)
{
    if (!axis.isRange)
        return axis.values[std::uniform_int_distribution<qsizetype>(0, axis.values.size() - 1)(rng)];
    double v = 0;
    if (axis.logScale)
        v = std::exp(std::uniform_real_distribution<double>(std::log(axis.low),
                                                            std::log(axis.high))(rng));
    else
        v = std::uniform_real_distribution<double>(axis.low, axis.high)(rng);
    if (integer)
        return QString::number(qRound64(v));
    return QString::number(v, 'g', 3); // three digits: finer steps do not matter to a sweep
}

Hyperparameters applyValues(const Hyperparameters& base, const QList<SweepAxis>& axes,
                            const QStringList& values)
{
    Hyperparameters hp = base;
    for (qsizetype i = 0; i < values.size(); ++i) {
        try {
            hp.set(axes[i].key, values[i]);
        } catch (const Error& e) {
            throw Error(QStringLiteral("Sweep value %1=%2: %3")
                            .arg(axes[i].key, values[i], e.message()));
        }
    }
    return hp;
}

SweepPoint point(const SweepOptions& o, const QStringList& values)
{
    SweepPoint p;
    p.hp = applyValues(o.base, o.grid, values);
    for (qsizetype i = 0; i < values.size(); ++i)
        p.values.insert(o.grid[i].key, values[i]);
    return p;
}

} // namespace

SweepAxis SweepAxis::parse(const QString& text)
{
    const qsizetype eq = text.indexOf(QLatin1Char('='));
    if (eq <= 0)
        throw Error(QStringLiteral("A sweep axis is KEY=V1,V2 or KEY=LOW..HIGH[:log], got '%1'.")
                        .arg(text));
    SweepAxis axis;
    axis.key = text.left(eq).trimmed();
    QString rest = text.mid(eq + 1).trimmed();
    const qsizetype dots = rest.indexOf(QStringLiteral(".."));
    if (dots < 0) {
        for (const QString& v : rest.split(QLatin1Char(','), Qt::SkipEmptyParts))
            axis.values << v.trimmed();
        if (axis.values.isEmpty())
            throw Error(QStringLiteral("The sweep gives no values for %1.").arg(axis.key));
        return axis;
    }
    axis.isRange = true;
    if (rest.endsWith(QStringLiteral(":log"), Qt::CaseInsensitive)) {
        axis.logScale = true;
        rest.chop(4);
    }
    const QString what = QStringLiteral("The range of %1").arg(axis.key);
    axis.low = parseNumber(rest.left(dots), what);
    axis.high = parseNumber(rest.mid(dots + 2), what);
    return axis;
}

QString SweepAxis::toString() const
{
    if (!isRange)
        return key + QLatin1Char('=') + values.join(QLatin1Char(','));
    return QStringLiteral("%1=%2..%3%4")
        .arg(key)
        .arg(low)
        .arg(high)
        .arg(logScale ? QStringLiteral(":log") : QString());
}

QList<SweepPoint> sweepSettings(const SweepOptions& options)
{
    if (options.grid.isEmpty())
        throw Error(QStringLiteral("A sweep needs at least one hyperparameter with values to try, "
                                   "e.g. lr=1e-5,3e-5,1e-4."));
    QSet<QString> keys;
    for (const SweepAxis& axis : options.grid) {
        if (keys.contains(axis.key))
            throw Error(QStringLiteral("The sweep varies %1 twice; give it once.").arg(axis.key));
        keys.insert(axis.key);
        if (axis.isRange) {
            if (options.search == SweepSearch::Grid)
                throw Error(QStringLiteral("%1 has a range (%2), which only random search can "
                                           "draw from; choose random search or list the values.")
                                .arg(axis.key, axis.toString()));
            checkRange(axis);
        } else if (axis.values.isEmpty()) {
            throw Error(QStringLiteral("The sweep gives no values for %1.").arg(axis.key));
        } else {
            for (const QString& v : axis.values) // each listed value must be allowed
                applyValues(options.base, {axis}, {v});
        }
    }
    if (options.maxRuns < 0 || options.maxRuns > 1000)
        throw Error(QStringLiteral("The sweep's budget is %1 runs; allowed: 1 to 1000 (0 = the "
                                   "whole grid).")
                        .arg(options.maxRuns));
    QList<SweepPoint> out;
    if (options.search == SweepSearch::Grid) {
        for (const QStringList& values : combinations(options.grid)) {
            if (options.maxRuns > 0 && out.size() >= options.maxRuns)
                break;
            out << point(options, values);
        }
        return out;
    }
    if (options.maxRuns <= 0)
        throw Error(QStringLiteral("Random search needs a budget: how many runs to train "
                                   "(1 to 1000)."));
    QList<bool> integer;
    bool finite = true; // only lists: the space can be smaller than the budget
    qint64 spaceSize = 1;
    for (const SweepAxis& axis : options.grid) {
        integer << catalogEntry(axis.key).integer;
        if (axis.isRange)
            finite = false;
        else
            spaceSize = std::min<qint64>(spaceSize * axis.values.size(), 1000000);
    }
    const int budget = finite ? int(std::min<qint64>(options.maxRuns, spaceSize)) : options.maxRuns;
    std::mt19937 rng(options.seed);
    QSet<QString> seen; // a setting drawn twice would only repeat a run
    for (int attempt = 0; out.size() < budget && attempt < budget * 50; ++attempt) {
        QStringList values;
        for (qsizetype i = 0; i < options.grid.size(); ++i)
            values << drawValue(options.grid[i], integer[i], rng);
        const QString id = values.join(QChar(0x1f));
        if (seen.contains(id))
            continue;
        seen.insert(id);
        out << point(options, values);
    }
    return out;
}

QString sweepPruneReason(const QList<SweepTrial>& earlier, int evaluation, double bestSoFar,
                         const QString& metric, int pruneAfterEvaluations)
{
    if (evaluation <= pruneAfterEvaluations)
        return {};
    std::vector<double> others;
    for (const SweepTrial& t : earlier)
        if (t.bestSoFar.size() >= evaluation)
            others.push_back(t.bestSoFar[evaluation - 1]);
    if (others.size() < 2)
        return {};
    std::sort(others.begin(), others.end());
    const size_t n = others.size();
    const double median = n % 2 ? others[n / 2] : (others[n / 2 - 1] + others[n / 2]) / 2;
    const bool worse = higherIsBetter(metric) ? bestSoFar < median : bestSoFar > median;
    if (!worse)
        return {};
    return QStringLiteral("Pruned by the sweep after evaluation %1: its best %2 so far (%3) is worse "
                          "than the median of %4 earlier runs at that point (%5).")
        .arg(evaluation)
        .arg(metric)
        .arg(bestSoFar, 0, 'f', 4)
        .arg(n)
        .arg(median, 0, 'f', 4);
}

int bestSweepTrial(const QList<SweepTrial>& trials, const QString& metric)
{
    const bool higher = higherIsBetter(metric);
    int best = -1;
    for (int i = 0; i < trials.size(); ++i)
        if (trials[i].scored && (best < 0 || (higher ? trials[i].score > trials[best].score
                                                     : trials[i].score < trials[best].score)))
            best = i;
    return best;
}

SweepJob::SweepJob(QString projectPath, SweepOptions options)
    : m_projectPath(std::move(projectPath)), m_options(std::move(options))
{
}

QString SweepJob::title() const
{
    return QStringLiteral("Sweep over %1 settings").arg(sweepSettings(m_options).size());
}

void SweepJob::run(JobContext& ctx)
{
    const QList<SweepPoint> settings = sweepSettings(m_options);
    auto project = Project::open(m_projectPath);
    m_result = SweepResult();
    m_result.metric = m_options.base.earlyStoppingMetric;
    for (qsizetype i = 0; i < settings.size(); ++i) {
        ctx.checkCancelled();
        ctx.progress(i, settings.size(), QStringLiteral("Run %1 of %2").arg(i + 1).arg(settings.size()));
        if (onTrialStarted)
            onTrialStarted(int(i), settings[i].values);
        SweepTrial trial;
        trial.values = settings[i].values;
        TrainerOptions options;
        options.modelDir = m_options.modelDir;
        options.task = m_options.task;
        options.hp = settings[i].hp;
        options.tokenizer = m_options.tokenizer;
        options.cancel = ctx.cancelFlag();
        options.onStep = onStep;
        options.onLog = [&](const QString& line) { ctx.log(line); };
        options.prune = [&](int evaluation, double bestSoFar) {
            trial.bestSoFar << bestSoFar;
            if (!m_options.prune)
                return QString();
            return sweepPruneReason(m_result.trials, evaluation, bestSoFar, m_result.metric,
                                    m_options.pruneAfterEvaluations);
        };
        const TrainResult r = Trainer(*project, options).run();
        // The last evaluation is not offered to prune(): record it for the later runs' medians.
        if (r.bestStep >= 0 && r.status == QLatin1String("finished"))
            trial.bestSoFar << r.bestMetric;
        trial.runId = r.runId;
        trial.status = r.status;
        trial.scored = r.bestStep >= 0;
        trial.score = r.bestMetric;
        ctx.log(QStringLiteral("run %1 %2: %3 %4%5")
                    .arg(r.runId)
                    .arg(QString::fromUtf8(QJsonDocument(trial.values).toJson(QJsonDocument::Compact)))
                    .arg(m_result.metric)
                    .arg(trial.scored ? QString::number(trial.score, 'f', 4) : QStringLiteral("–"))
                    .arg(r.status == QLatin1String("pruned") ? QStringLiteral(" (pruned)")
                                                             : QString()));
        m_result.trials << trial;
        m_result.best = bestSweepTrial(m_result.trials, m_result.metric);
        if (onTrialFinished)
            onTrialFinished(trial);
        if (r.status == QLatin1String("cancelled"))
            throw Cancelled();
    }
}

QString SweepJob::summary() const
{
    if (m_result.best < 0)
        return QStringLiteral("Sweep finished: %1 runs, none with a validation score.")
            .arg(m_result.trials.size());
    const SweepTrial& b = m_result.trials[m_result.best];
    return QStringLiteral("Sweep finished: %1 runs; best is run %2 (%3 %4)")
        .arg(m_result.trials.size())
        .arg(b.runId)
        .arg(m_result.metric)
        .arg(b.score, 0, 'f', 4);
}

} // namespace fts
