// Loading a classifier for use (run checkpoint, exported folder or PEFT adapter) and batched
// prediction under inference mode.
#include "deploy/TextClassifier.h"

#include "Error.h"
#include "deploy/RunModel.h"
#include "models/Lora.h"
#include "models/SequenceClassifier.h"
#include "train/MultiTaskTrainer.h"
#include "train/TextTokenizer.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <mutex>

namespace fts {

struct TextClassifier::Impl
{
    SequenceClassifier model{nullptr};
    std::unique_ptr<TextTokenizer> tokenizer;
    mutable std::mutex mutex; // one forward at a time: modules are not re-entrant
};

namespace {

const QString kDeployFile = QStringLiteral("finetune_studio.json");

QJsonObject readJsonFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        throw Error(QStringLiteral("%1 is not valid JSON (%2); export the model again.")
                        .arg(QDir::toNativeSeparators(path), err.errorString()));
    return doc.object();
}

bool hasTokenizerFiles(const QString& dir)
{
    const QDir d(dir);
    for (const char* name :
         {"vocab_words.txt", "tokenizer.json", "vocab.txt", "vocab.json", "tokenizer.model"})
        if (QFileInfo::exists(d.filePath(QLatin1String(name))))
            return true;
    return false;
}

void requireTrainedHead(const ClassifierLoadReport& report, const QString& dir)
{
    for (const std::string& name : report.initialised)
        if (name.find("pooler.") == std::string::npos)
            throw Error(QStringLiteral("%1 has no trained classification head (%2 is missing), so "
                                       "its predictions would be random. Use a fine-tuned "
                                       "model: a run, or a folder exported from one.")
                            .arg(QDir::toNativeSeparators(dir), QString::fromStdString(name)));
}

} // namespace

QJsonObject DeployInfo::toJson() const
{
    QJsonObject o{{"labels", QJsonArray::fromStringList(labels)},
                  {"problem_type", problemType},
                  {"max_length", maxLength}};
    if (runId > 0)
        o.insert(QStringLiteral("run_id"), runId);
    if (!baseModel.isEmpty())
        o.insert(QStringLiteral("base_model"), baseModel);
    return o;
}

DeployInfo DeployInfo::fromJson(const QJsonObject& json)
{
    DeployInfo info;
    for (const QJsonValue& v : json.value(QLatin1String("labels")).toArray())
        info.labels << v.toString();
    info.problemType = json.value(QLatin1String("problem_type")).toString(info.problemType);
    info.maxLength = json.value(QLatin1String("max_length")).toInt(info.maxLength);
    info.runId = json.value(QLatin1String("run_id")).toInteger();
    info.baseModel = json.value(QLatin1String("base_model")).toString();
    return info;
}

int classifierMaxLength(int requested, const QString& modelType, qint64 maxPositions)
{
    const qint64 positions = maxPositions - (modelType == QLatin1String("roberta") ? 2 : 0);
    return int(std::min<qint64>(requested, std::max<qint64>(8, positions / 8 * 8)));
}

TextClassifier::TextClassifier() : d(std::make_unique<Impl>()) {}
TextClassifier::~TextClassifier() = default;

std::shared_ptr<TextClassifier> TextClassifier::loadFolder(const QString& dir,
                                                           const QString& baseDir)
{
    if (!QFileInfo(dir).isDir())
        throw Error(QStringLiteral("%1 is not a folder; give a model folder exported by the studio "
                                   "(config.json, model.safetensors, tokenizer files).")
                        .arg(QDir::toNativeSeparators(dir)));
    const QDir d(dir);
    std::shared_ptr<TextClassifier> c(new TextClassifier);
    const QJsonObject deploy = readJsonFile(d.filePath(kDeployFile));
    c->m_info = DeployInfo::fromJson(deploy);
    const bool adapter = QFileInfo::exists(d.filePath(QStringLiteral("adapter_config.json")));
    QString modelDir = dir;
    if (adapter) {
        modelDir = baseDir;
        if (modelDir.isEmpty())
            modelDir = c->m_info.baseModel.isEmpty()
                           ? readJsonFile(d.filePath(QStringLiteral("adapter_config.json")))
                                 .value(QLatin1String("base_model_name_or_path"))
                                 .toString()
                           : c->m_info.baseModel;
        if (!QFileInfo::exists(QDir(modelDir).filePath(QStringLiteral("config.json"))))
            throw Error(QStringLiteral("%1 holds a LoRA adapter only; its base model \"%2\" is not "
                                       "a model folder here. Give the base model's folder.")
                            .arg(QDir::toNativeSeparators(dir), modelDir));
    }
    const ModelConfig config = ModelConfig::load(modelDir);
    const ProblemType problem =
        problemTypeFromName(deploy.isEmpty() ? config.problemType : c->m_info.problemType);
    ClassifierLoadReport report;
    c->d->model = loadSequenceClassifier(modelDir, c->m_info.labels, problem, &report);
    if (adapter) {
        loadLoraAdapter(*c->d->model, dir);
        mergeAllLora(*c->d->model);
    } else {
        requireTrainedHead(report, dir);
    }
    c->d->model->eval();
    c->m_info.labels = c->d->model->config().labels;
    c->m_info.problemType = problemTypeName(problem);
    if (deploy.isEmpty())
        c->m_info.maxLength = classifierMaxLength(512, config.modelType, config.maxPositions);
    c->d->tokenizer = loadModelTokenizer(hasTokenizerFiles(dir) ? dir : modelDir);
    c->m_description = QStringLiteral("%1 (%2, %3 labels)")
                           .arg(QFileInfo(dir).fileName(), config.modelType)
                           .arg(c->m_info.labels.size());
    return c;
}

std::shared_ptr<TextClassifier> TextClassifier::loadRun(Project& project, qint64 runId,
                                                        const QString& task)
{
    const RunRecord record = fts::loadRun(project, runId);
    if (isMultiTaskRun(record) && task.isEmpty())
        throw Error(QStringLiteral("Run %1 trained several tasks (%2), one head each: say which task "
                                   "to predict (--task NAME).")
                        .arg(runId)
                        .arg(multiTaskRunTasks(record).join(QStringLiteral(", "))));
    RunModel run = loadRunModel(project, runId, task);
    mergeAllLora(*run.model); // same outputs, one matmul per projection instead of three
    std::shared_ptr<TextClassifier> c(new TextClassifier);
    c->d->model = run.model;
    c->d->tokenizer = std::move(run.tokenizer);
    c->m_info.labels = run.labels;
    c->m_info.problemType = problemTypeName(run.model->problemType());
    c->m_info.maxLength = run.maxLength;
    c->m_info.runId = runId;
    c->m_info.baseModel = run.record.modelDir;
    c->m_description = QStringLiteral("run %1 (%2, %3)")
                           .arg(runId)
                           .arg(run.record.method, QFileInfo(run.record.modelDir).fileName());
    if (isMultiTaskRun(run.record))
        c->m_description += QStringLiteral(", task ") + task;
    return c;
}

void TextClassifier::setBatchSize(int size)
{
    m_batchSize = std::max(1, size);
}

int TextClassifier::tokenCount(const QString& text) const
{
    return int(d->tokenizer->encodeForClassifier(text, m_info.maxLength).size());
}

std::vector<ClassPrediction> TextClassifier::classify(const QStringList& texts) const
{
    std::lock_guard<std::mutex> lock(d->mutex);
    c10::InferenceMode inference; // per thread: the server calls this from its workers
    const int64_t pad = d->tokenizer->padId();
    const ProblemType problem = d->model->problemType();
    std::vector<ClassPrediction> out;
    out.reserve(size_t(texts.size()));
    for (qsizetype start = 0; start < texts.size(); start += m_batchSize) {
        const qsizetype end = std::min<qsizetype>(texts.size(), start + m_batchSize);
        std::vector<std::vector<int64_t>> rows;
        size_t width = 0;
        for (qsizetype i = start; i < end; ++i) {
            rows.push_back(d->tokenizer->encodeForClassifier(texts[i], m_info.maxLength));
            width = std::max(width, rows.back().size());
        }
        width = (width + 7) / 8 * 8; // bounded oneDNN shape cache (DESIGN.md)
        at::Tensor ids = at::full({int64_t(rows.size()), int64_t(width)}, pad, at::kLong);
        at::Tensor mask = at::zeros({int64_t(rows.size()), int64_t(width)}, at::kLong);
        for (size_t r = 0; r < rows.size(); ++r) {
            const int64_t n = int64_t(rows[r].size());
            ids[int64_t(r)].narrow(0, 0, n).copy_(at::tensor(rows[r], at::kLong));
            mask[int64_t(r)].narrow(0, 0, n).fill_(1);
        }
        // [B, T] -> [B, labels] probabilities (regression: [B] values)
        const at::Tensor probs =
            d->model->predict(d->model->forward(ids, mask)).to(at::kDouble).contiguous();
        const at::Tensor rowsView = probs.dim() == 1 ? probs.unsqueeze(1) : probs;
        for (int64_t r = 0; r < rowsView.size(0); ++r) {
            ClassPrediction p;
            const double* v = rowsView[r].data_ptr<double>();
            p.probabilities.assign(v, v + rowsView.size(1));
            p.index = int(std::max_element(p.probabilities.begin(), p.probabilities.end()) -
                          p.probabilities.begin());
            p.label = m_info.labels.value(p.index);
            if (problem == ProblemType::MultiLabel)
                for (size_t k = 0; k < p.probabilities.size(); ++k)
                    if (p.probabilities[k] >= 0.5)
                        p.activeLabels << m_info.labels.value(int(k));
            out.push_back(std::move(p));
        }
    }
    return out;
}

} // namespace fts
