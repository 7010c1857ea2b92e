// Few-shot classification by prompting: shot selection (seeded per query, TF-IDF for "similar"),
// the prompt, lenient answer parsing, the evaluation loop that fits prompts to the model's
// context, and the "few_shot" run it is kept as.
#include "deploy/FewShot.h"

#include "Error.h"
#include "align/AlignTypes.h"
#include "deploy/TextGenerator.h"
#include "project/Project.h"
#include "train/TrainData.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QRegularExpression>

#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace fts {
namespace {

constexpr int kFewShotMaxK = 32;
constexpr int kFewShotMaxNewTokens = 64;
constexpr int kFewShotMinShotChars = 20;
constexpr int kFewShotMaxShotChars = 4000;
// Integers a JSON number (a double) holds exactly.
constexpr quint64 kFewShotJsonExactInt = quint64(1) << 53;

// FNV-1a (64 bit) of the UTF-8 text: a per-query seed that is the same in every process, which
// qHash (salted per process) is not.
quint64 fewShotFnv1a(const QString& text)
{
    quint64 h = 14695981039346656037ULL;
    for (const char c : text.toUtf8()) {
        h ^= quint64(quint8(c));
        h *= 1099511628211ULL;
    }
    return h;
}

// Uniform index in [0, n) from the engine-defined mt19937_64 stream. std::uniform_int_distribution
// and std::shuffle differ between standard libraries; this keeps a seed's shots the same on each.
size_t fewShotDraw(std::mt19937_64& rng, size_t n)
{
    return size_t(rng() % quint64(n));
}

void fewShotShuffle(std::vector<int>& v, std::mt19937_64& rng)
{
    for (size_t i = v.size(); i > 1; --i)
        std::swap(v[i - 1], v[fewShotDraw(rng, i)]);
}

const QRegularExpression& fewShotWordPattern()
{
    static const QRegularExpression word(QStringLiteral("[\\p{L}\\p{N}]+"));
    return word;
}

struct FewShotWord
{
    QString text;
    qsizetype offset = 0;
};

QList<FewShotWord> fewShotWordsAt(const QString& lowered)
{
    QList<FewShotWord> out;
    auto it = fewShotWordPattern().globalMatch(lowered);
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        out << FewShotWord{m.captured(), m.capturedStart()};
    }
    return out;
}

QStringList fewShotWords(const QString& text)
{
    QStringList out;
    for (const FewShotWord& w : fewShotWordsAt(text.toLower()))
        out << w.text;
    return out;
}

QString fewShotCut(const QString& text, int maxChars)
{
    if (text.size() <= maxChars)
        return text;
    qsizetype keep = maxChars - 1;
    if (keep > 0 && text.at(keep - 1).isHighSurrogate())
        --keep; // never half a character
    return text.left(keep) + QChar(0x2026);
}

// The training rows once tokenized, so "similar" costs one pass over the query per row, not a
// re-tokenization of the whole pool.
class FewShotPoolIndex
{
public:
    FewShotPoolIndex(const std::vector<Shot>& pool, int labelCount)
        : m_pool(pool), m_labelCount(labelCount)
    {
        for (size_t i = 0; i < pool.size(); ++i)
            if (pool[i].label >= 0 && pool[i].label < labelCount)
                m_usable.push_back(int(i));
    }

    std::vector<Shot> choose(const QString& query, const FewShotOptions& options)
    {
        const QString q = query.trimmed();
        std::vector<int> eligible;
        for (int i : m_usable)
            if (m_pool[size_t(i)].text.trimmed() != q)
                eligible.push_back(i);
        const size_t k = std::min(size_t(std::max(0, options.k)), eligible.size());
        std::mt19937_64 rng(options.seed ^ fewShotFnv1a(q));
        std::vector<int> picked;
        switch (options.selection) {
        case ShotSelection::Random:
            for (size_t i = 0; i < k; ++i) // a partial Fisher-Yates shuffle
                std::swap(eligible[i], eligible[i + fewShotDraw(rng, eligible.size() - i)]);
            picked.assign(eligible.begin(), eligible.begin() + qsizetype(k));
            break;
        case ShotSelection::Balanced:
            picked = balanced(eligible, k, rng);
            break;
        case ShotSelection::Similar:
            picked = similar(eligible, k, q);
            break;
        }
        std::vector<Shot> out;
        for (int i : picked)
            out.push_back({fewShotCut(m_pool[size_t(i)].text, options.maxShotChars), m_pool[size_t(i)].label});
        return out;
    }

private:
    std::vector<int> balanced(const std::vector<int>& eligible, size_t k, std::mt19937_64& rng) const
    {
        std::vector<std::vector<int>> byLabel(static_cast<size_t>(m_labelCount));
        for (int i : eligible)
            byLabel[size_t(m_pool[size_t(i)].label)].push_back(i);
        for (auto& group : byLabel)
            fewShotShuffle(group, rng);
        // A random label order, so with k below the label count no label is always left out.
        std::vector<int> order(static_cast<size_t>(m_labelCount));
        for (int l = 0; l < m_labelCount; ++l)
            order[size_t(l)] = l;
        fewShotShuffle(order, rng);
        std::vector<int> picked;
        for (size_t round = 0; picked.size() < k; ++round)
            for (int l : order)
                if (round < byLabel[size_t(l)].size() && picked.size() < k)
                    picked.push_back(byLabel[size_t(l)][round]);
        return picked;
    }

    std::vector<int> similar(const std::vector<int>& eligible, size_t k, const QString& query)
    {
        buildTfIdf();
        QHash<int, double> queryWeights;
        double queryNorm = 0;
        {
            QHash<QString, int> counts;
            for (const QString& w : fewShotWords(query))
                ++counts[w];
            for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
                const auto term = m_terms.constFind(it.key());
                // A word no pool text has still lengthens the query (it makes every text less alike).
                const double idf = term == m_terms.cend() ? unseenIdf() : m_idf[size_t(*term)];
                const double w = it.value() * idf;
                queryNorm += w * w;
                if (term != m_terms.cend())
                    queryWeights.insert(*term, w);
            }
        }
        queryNorm = std::sqrt(queryNorm);
        std::vector<std::pair<double, int>> scored;
        for (int i : eligible) {
            double dot = 0;
            for (const auto& [term, weight] : m_docs[size_t(i)])
                dot += weight * queryWeights.value(term, 0.0);
            const double norm = m_norms[size_t(i)] * queryNorm;
            scored.emplace_back(norm > 0 ? dot / norm : 0.0, i);
        }
        std::stable_sort(scored.begin(), scored.end(),
                         [](const auto& a, const auto& b) { return a.first > b.first; });
        std::vector<int> picked;
        for (size_t j = 0; j < k; ++j)
            picked.push_back(scored[j].second);
        std::reverse(picked.begin(), picked.end()); // nearest last, next to the query
        return picked;
    }

    // Smoothed IDF as scikit-learn's TfidfVectorizer computes it: ln((1 + n) / (1 + df)) + 1.
    double unseenIdf() const { return std::log(1.0 + double(m_pool.size())) + 1.0; }

    void buildTfIdf()
    {
        if (m_built)
            return;
        m_built = true;
        std::vector<int> df;
        std::vector<QHash<int, int>> counts(m_pool.size());
        for (size_t i = 0; i < m_pool.size(); ++i)
            for (const QString& w : fewShotWords(m_pool[i].text)) {
                auto term = m_terms.constFind(w);
                if (term == m_terms.cend()) {
                    term = m_terms.insert(w, int(df.size()));
                    df.push_back(0);
                }
                if (counts[i][*term]++ == 0)
                    ++df[size_t(*term)];
            }
        const double n = double(m_pool.size());
        for (int d : df)
            m_idf.push_back(std::log((1.0 + n) / (1.0 + d)) + 1.0);
        m_docs.resize(m_pool.size());
        m_norms.assign(m_pool.size(), 0.0);
        for (size_t i = 0; i < m_pool.size(); ++i) {
            for (auto it = counts[i].cbegin(); it != counts[i].cend(); ++it) {
                const double w = it.value() * m_idf[size_t(it.key())];
                m_docs[i].emplace_back(it.key(), w);
                m_norms[i] += w * w;
            }
            m_norms[i] = std::sqrt(m_norms[i]);
        }
    }

    const std::vector<Shot>& m_pool;
    int m_labelCount;
    std::vector<int> m_usable;
    bool m_built = false;
    QHash<QString, int> m_terms;
    std::vector<double> m_idf;
    std::vector<std::vector<std::pair<int, double>>> m_docs;
    std::vector<double> m_norms;
};

QString fewShotOneLine(const QString& text)
{
    return text.simplified();
}

struct FewShotFitted
{
    QString prompt;
    int shots = 0;
    bool trimmed = false;
};

// Drops shots from the front (for "similar" the least alike) until the prompt and room for the
// answer fit the context; with no shot left, cuts the end of the text.
FewShotFitted fitFewShotPrompt(const TextGenerator& generator, const QStringList& labels,
                               std::vector<Shot> shots, const QString& query, int maxNewTokens)
{
    const auto fits = [&](const QString& prompt) {
        GenerateRequest r;
        r.prompt = prompt;
        r.maxNewTokens = maxNewTokens;
        return generator.leavesRoomForAnswer(r);
    };
    FewShotFitted f;
    f.prompt = fewShotPrompt(labels, shots, query);
    while (!fits(f.prompt)) {
        f.trimmed = true;
        if (shots.empty())
            break;
        shots.erase(shots.begin());
        f.prompt = fewShotPrompt(labels, shots, query);
    }
    f.shots = int(shots.size());
    if (fits(f.prompt))
        return f;
    const QString text = fewShotOneLine(query);
    if (!fits(fewShotPrompt(labels, {}, QString(QChar(0x2026)))))
        throw Error(QStringLiteral("The model reads at most %1 tokens: too few for the instruction "
                                   "naming the labels and room for an answer. Choose a decoder "
                                   "with a longer context.")
                        .arg(generator.contextLength()));
    qsizetype lo = 0, hi = text.size(); // the longest prefix that fits lies in [lo, hi)
    while (hi - lo > 1) {
        const qsizetype mid = (lo + hi) / 2;
        if (fits(fewShotPrompt(labels, {}, text.left(mid) + QChar(0x2026))))
            lo = mid;
        else
            hi = mid;
    }
    f.prompt = fewShotPrompt(labels, {}, text.left(lo) + QChar(0x2026));
    return f;
}

// True once the answer has a line with text and a line break after it: the label is complete.
bool fewShotAnswerLineDone(const QString& sofar)
{
    qsizetype start = 0;
    while (start < sofar.size() && sofar.at(start).isSpace())
        ++start;
    return start < sofar.size() && sofar.indexOf(QLatin1Char('\n'), start) >= 0;
}

struct FewShotData
{
    LabeledRows rows;
    std::vector<Shot> pool;      // the train split
    std::vector<size_t> targets; // indices into rows.rows of the rows to evaluate
};

// Everything checked that can be before the (slow) model load and prompting.
FewShotData loadFewShotData(Project& project, const FewShotRequest& request)
{
    request.options.validate();
    if ((!request.modelDir.isEmpty()) == (request.decoderRunId > 0))
        throw Error(request.modelDir.isEmpty()
                        ? QStringLiteral("Few-shot prompting needs a decoder: a model folder or a decoder run "
                                         "(SFT, DPO or PPO) of the project.")
                        : QStringLiteral("Few-shot prompting takes a decoder folder or a decoder run, not both."));
    if (request.maxRows < 0)
        throw Error(QStringLiteral("max_rows must be 0 (every row) or more (got %1)").arg(request.maxRows));
    if (request.keepAsRun)
        project.requireWritable(QStringLiteral("its runs (a kept few-shot evaluation is one)"));
    FewShotData d;
    d.rows = loadLabeledRows(project, request.task, /*includeUnsplit=*/false);
    const QString& task = d.rows.task;
    if (d.rows.labels.size() < 2)
        throw Error(QStringLiteral("Task '%1' has only one label (%2); a classifier needs at least two.")
                        .arg(task, d.rows.labels.join(QString())));
    for (size_t i = 0; i < d.rows.rows.size(); ++i) {
        const LabeledRow& r = d.rows.rows[i];
        if (r.split == QLatin1String("train"))
            d.pool.push_back({r.text, r.label});
        if (r.split == request.split)
            d.targets.push_back(i);
    }
    if (d.targets.empty())
        throw Error(QStringLiteral("The %1 split of task '%2' has no labeled rows to evaluate on; assign "
                                   "splits or choose another split.")
                        .arg(request.split, task));
    if (request.maxRows > 0 && d.targets.size() > size_t(request.maxRows))
        d.targets.resize(size_t(request.maxRows));
    if (request.options.k > 0 && d.pool.empty())
        throw Error(QStringLiteral("Task '%1' has no labeled rows in the train split to draw examples "
                                   "from; assign splits and label some, or use k = 0 (zero-shot).")
                        .arg(task));
    return d;
}

// The decoder of a folder or of a decoder run, and the model folder a kept run names.
std::shared_ptr<TextGenerator> loadFewShotDecoder(Project& project, const FewShotRequest& request,
                                                  QString* modelDir)
{
    if (!request.modelDir.isEmpty()) {
        *modelDir = QDir(request.modelDir).absolutePath();
        return TextGenerator::loadFolder(request.modelDir);
    }
    const RunRecord run = loadRun(project, request.decoderRunId);
    if (!isDecoderRunMethod(run.method))
        throw Error(QStringLiteral("Run %1 (%2) is not a decoder run; few-shot prompting needs an SFT, "
                                   "DPO or PPO run, or a decoder model folder.")
                        .arg(QString::number(run.id), run.method));
    *modelDir = run.modelDir;
    return TextGenerator::loadRun(project, request.decoderRunId);
}

// Greedy, so the same prompt gets the same answer and runs compare. Not GenerateRequest::stop =
// "\n": a model that starts its answer on a new line would then answer nothing; the label's line
// is complete at the first break after some text.
QString fewShotAnswer(const TextGenerator& generator, const QString& prompt, int maxNewTokens,
                      const std::atomic<bool>* cancel)
{
    GenerateRequest g;
    g.prompt = prompt;
    g.maxNewTokens = maxNewTokens;
    g.temperature = 0;
    QString sofar;
    const GenerateReply reply = generator.generate(
        g, [&sofar](const QString& piece) { return !fewShotAnswerLineDone(sofar += piece); }, cancel);
    if (cancel && cancel->load())
        throw Cancelled();
    return reply.text;
}

QString fewShotTitle(const FewShotOptions& o)
{
    return QStringLiteral("few-shot (k=%1, %2)").arg(o.k).arg(shotSelectionName(o.selection));
}

QJsonArray fewShotRowIds(const std::vector<Example>& examples)
{
    QJsonArray ids;
    for (const Example& e : examples)
        ids.append(e.rowId);
    return ids;
}

// The run as the trainers record theirs: the data snapshot over every split (so its hash equals a
// fine-tuned run's on the same data), settings, software; scores at step 0; all or nothing.
qint64 keepFewShotRun(Project& project, const FewShotRequest& request, const LabeledRows& data,
                      const QString& modelDir, const FewShotEvaluation& result)
{
    TaskData snapshot;
    snapshot.task = data.task;
    snapshot.labels = data.labels;
    for (const LabeledRow& r : data.rows)
        snapshot.splits[r.split].push_back(Example{r.rowId, r.text, r.label, {}});
    RunRecord record;
    record.task = data.task;
    record.modelDir = modelDir;
    record.method = QStringLiteral("few_shot");
    record.hyperparameters = request.options.toJson();
    record.hyperparameters.insert(QStringLiteral("split"), request.split);
    if (request.decoderRunId > 0)
        record.hyperparameters.insert(QStringLiteral("decoder_run"), request.decoderRunId);
    record.hyperparameters.insert(QStringLiteral("max_rows"), request.maxRows);
    record.seed = int(request.options.seed & 0x7fffffff); // the column is an int; the full seed is a setting
    record.snapshot = {{"hash", QString::fromLatin1(snapshot.snapshotHash())},
                       {"labels", QJsonArray::fromStringList(data.labels)}};
    for (auto it = snapshot.splits.cbegin(); it != snapshot.splits.cend(); ++it)
        record.snapshot.insert(it.key(), fewShotRowIds(it.value()));
    record.software = {{"finetune_studio", QStringLiteral(FTS_VERSION)},
                       {"libtorch", QStringLiteral(TORCH_VERSION)},
                       {"qt", QString::fromLatin1(qVersion())}};
    const ClassificationReport& report = result.evaluation.report;
    Transaction transaction(project.db());
    const qint64 id = createRun(project, record);
    const auto metric = [&](const char* name, double value) {
        addMetric(project, id, MetricPoint{0, 0, request.split, QLatin1String(name), value});
    };
    metric("accuracy", report.accuracy);
    metric("macro_f1", report.macroF1);
    metric("unparsed_share", double(result.unparsed) / double(std::max<qint64>(1, report.total)));
    metric("mean_shots", result.meanShots);
    recordEvaluation(project, id, result.evaluation);
    // No training happened: no checkpoint and no training time; the best score is the one score.
    setRunCheckpoints(project, id, QString(), QString(), report.macroF1, 0, 0);
    setRunStatus(project, id, QStringLiteral("finished"));
    transaction.commit();
    return id;
}

} // namespace

QString shotSelectionName(ShotSelection selection)
{
    switch (selection) {
    case ShotSelection::Random:
        return QStringLiteral("random");
    case ShotSelection::Balanced:
        return QStringLiteral("balanced");
    case ShotSelection::Similar:
        return QStringLiteral("similar");
    }
    return {};
}

ShotSelection shotSelectionFromName(const QString& name)
{
    for (ShotSelection s : {ShotSelection::Random, ShotSelection::Balanced, ShotSelection::Similar})
        if (name.trimmed().compare(shotSelectionName(s), Qt::CaseInsensitive) == 0)
            return s;
    throw Error(QStringLiteral("Shot selection must be random, balanced or similar, not '%1'.").arg(name));
}

void FewShotOptions::validate() const
{
    const auto range = [](const char* name, int value, int low, int high) {
        if (value < low || value > high)
            throw Error(QStringLiteral("%1 must be between %2 and %3 (got %4)")
                            .arg(QLatin1String(name))
                            .arg(low)
                            .arg(high)
                            .arg(value));
    };
    range("k", k, 0, kFewShotMaxK);
    range("max_new_tokens", maxNewTokens, 1, kFewShotMaxNewTokens);
    range("max_shot_chars", maxShotChars, kFewShotMinShotChars, kFewShotMaxShotChars);
}

QJsonObject FewShotOptions::toJson() const
{
    return {{"k", k},
            {"selection", shotSelectionName(selection)},
            {"seed", seed < kFewShotJsonExactInt ? QJsonValue(qint64(seed)) : QJsonValue(QString::number(seed))},
            {"max_new_tokens", maxNewTokens},
            {"max_shot_chars", maxShotChars}};
}

std::vector<Shot> chooseShots(const std::vector<Shot>& pool, int labelCount, const QString& query,
                              const FewShotOptions& options)
{
    return FewShotPoolIndex(pool, labelCount).choose(query, options);
}

QString fewShotPrompt(const QStringList& labels, const std::vector<Shot>& shots, const QString& query)
{
    QString p = QStringLiteral("Classify each text as one of these labels: %1.\n\n")
                    .arg(labels.join(QStringLiteral(", ")));
    for (const Shot& s : shots)
        p += QStringLiteral("Text: %1\nLabel: %2\n\n").arg(fewShotOneLine(s.text), labels.value(s.label));
    return p + QStringLiteral("Text: %1\nLabel:").arg(fewShotOneLine(query));
}

int parseFewShotAnswer(const QString& answer, const QStringList& labels)
{
    QString line;
    for (const QString& l : answer.split(QLatin1Char('\n')))
        if (!l.trimmed().isEmpty()) {
            line = l.toLower();
            break;
        }
    if (line.isEmpty())
        return -1;
    const QList<FewShotWord> words = fewShotWordsAt(line);
    // Whole names: the earliest, and at the same place the longer ("very positive" over "very").
    int best = -1;
    qsizetype bestAt = -1;
    qsizetype bestLength = -1;
    const auto consider = [&](int label, qsizetype at, qsizetype length) {
        if (at < 0)
            return;
        if (best < 0 || at < bestAt || (at == bestAt && length > bestLength)) {
            best = label;
            bestAt = at;
            bestLength = length;
        }
    };
    QList<QStringList> labelWords;
    for (qsizetype l = 0; l < labels.size(); ++l) {
        const QString lowered = labels[l].trimmed().toLower();
        labelWords << fewShotWords(lowered);
        const QStringList& lw = labelWords.last();
        if (lw.isEmpty()) { // a label of symbols only ("+", "-"): found as written
            if (!lowered.isEmpty())
                consider(int(l), line.indexOf(lowered), lowered.size());
            continue;
        }
        for (qsizetype i = 0; i + lw.size() <= words.size(); ++i) {
            bool same = true;
            for (qsizetype j = 0; j < lw.size() && same; ++j)
                same = words[i + j].text == lw[j];
            if (same) {
                consider(int(l), words[i].offset, lowered.size());
                break;
            }
        }
    }
    if (best >= 0)
        return best;
    // Abbreviations: the earliest word of 3+ letters that begins exactly one label's name.
    constexpr qsizetype kMinPrefix = 3;
    for (const FewShotWord& w : words) {
        if (w.text.size() < kMinPrefix)
            continue;
        int only = -1;
        bool ambiguous = false;
        for (qsizetype l = 0; l < labels.size() && !ambiguous; ++l)
            if (!labelWords[l].isEmpty() && labelWords[l].join(QLatin1Char(' ')).startsWith(w.text)) {
                ambiguous = only >= 0;
                only = int(l);
            }
        if (only >= 0 && !ambiguous)
            return only;
    }
    return -1;
}

FewShotEvaluation evaluateFewShot(Project& project, const FewShotRequest& request,
                                  const std::function<void(int, int)>& progress,
                                  const std::atomic<bool>* cancel)
{
    const FewShotOptions& options = request.options;
    const FewShotData data = loadFewShotData(project, request);
    QString modelDir;
    const std::shared_ptr<TextGenerator> generator = loadFewShotDecoder(project, request, &modelDir);

    QElapsedTimer clock;
    clock.start();
    FewShotEvaluation result;
    Evaluation& e = result.evaluation;
    e.task = data.rows.task;
    e.split = request.split;
    e.predictor = QStringLiteral("%1 with %2").arg(fewShotTitle(options), generator->description());
    FewShotPoolIndex index(data.pool, int(data.rows.labels.size()));
    std::vector<int> truth, predicted;
    qint64 shotsUsed = 0;
    const int total = int(data.targets.size());
    if (progress)
        progress(0, total);
    for (size_t target : data.targets) {
        if (cancel && cancel->load())
            throw Cancelled();
        const LabeledRow& row = data.rows.rows[target];
        const FewShotFitted fitted = fitFewShotPrompt(*generator, data.rows.labels, index.choose(row.text, options),
                                                      row.text, options.maxNewTokens);
        if (result.examplePrompt.isEmpty())
            result.examplePrompt = fitted.prompt;
        result.trimmedPrompts += fitted.trimmed ? 1 : 0;
        shotsUsed += fitted.shots;
        const QString answer = fewShotAnswer(*generator, fitted.prompt, options.maxNewTokens, cancel);
        RowPrediction p;
        p.rowId = row.rowId;
        p.text = row.text;
        p.truth = row.label;
        p.predicted = parseFewShotAnswer(answer, data.rows.labels);
        result.unparsed += p.predicted < 0 ? 1 : 0;
        result.answers << answer;
        truth.push_back(p.truth);
        predicted.push_back(p.predicted);
        e.rows << p;
        if (progress)
            progress(int(e.rows.size()), total);
    }
    e.report = classificationReport(data.rows.labels, truth, predicted);
    result.meanShots = double(shotsUsed) / double(total);
    result.seconds = double(clock.elapsed()) / 1000.0;
    if (request.keepAsRun)
        result.runId = keepFewShotRun(project, request, data.rows, modelDir, result);
    return result;
}

bool isFewShotRunMethod(const QString& method)
{
    return method == QLatin1String("few_shot");
}

Evaluation keptFewShotEvaluation(Project& project, const RunRecord& run)
{
    Evaluation e;
    const QList<StoredEvaluation> kept = runEvaluations(project, run.id);
    if (kept.isEmpty())
        return e;
    e.task = kept.last().task;
    e.split = kept.last().split;
    e.predictor = QStringLiteral("run %1 (few-shot)").arg(run.id);
    e.report = ClassificationReport::fromJson(kept.last().report);
    return e;
}

void requireTrainedWeights(const RunRecord& run, const QString& use)
{
    if (isFewShotRunMethod(run.method))
        throw Error(QStringLiteral("Run %1 is a few-shot evaluation: it has no trained weights to %2 "
                                   "(it prompted the decoder %3; its scores are kept with the run).")
                        .arg(QString::number(run.id), use, QFileInfo(run.modelDir).fileName()));
}

} // namespace fts
