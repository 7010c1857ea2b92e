// Run export: weights and configs through the model code's own savers, tokenizer files copied,
// and a README.md model card in the Hugging Face layout (YAML front matter + markdown).
#include "deploy/Export.h"

#include "Error.h"
#include "align/AlignLoop.h"
#include "deploy/FewShot.h"
#include "deploy/RunModel.h"
#include "deploy/TextClassifier.h"
#include "io/AtomicWrite.h"
#include "models/Lora.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"
#include "project/Project.h"
#include "tokenize/TokenizerFiles.h"
#include "train/MultiTaskTrainer.h"
#include "train/RunStore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <map>
#include <set>

namespace fts {
namespace {

void checkFolder(const ExportOptions& options)
{
    if (options.outDir.isEmpty())
        throw Error(QStringLiteral("Choose a folder to export to."));
    const QDir dir(options.outDir);
    if (dir.exists() && !dir.isEmpty() && !options.overwrite)
        throw Error(QStringLiteral("The folder %1 is not empty; choose an empty or new folder, or "
                                   "allow replacing its files.")
                        .arg(QDir::toNativeSeparators(options.outDir)));
}

// What an export wrote: the folder and the names of its files.
ExportResult exportedFolder(const QString& path)
{
    const QDir out(path);
    ExportResult result;
    result.dir = out.absolutePath();
    result.files = out.entryList(QDir::Files, QDir::Name);
    return result;
}

void makeFolder(const QString& path)
{
    if (!QDir().mkpath(path))
        throw Error(QStringLiteral("Cannot create the folder %1; check that the location is "
                                   "writable.")
                        .arg(QDir::toNativeSeparators(path)));
}

// PEFT's target_modules as the run applied them: the last name of every adapted projection.
LoraConfig adapterConfig(SequenceClassifierImpl& model, const RunModel& run)
{
    LoraConfig c;
    c.rank = run.hp.loraRank;
    c.alpha = run.hp.loraAlpha;
    c.dropout = run.hp.loraDropout;
    std::set<QString> targets;
    for (const auto& [path, projection] : findProjections(model))
        if (projection->hasLora())
            targets.insert(QString::fromStdString(path.substr(path.rfind('.') + 1)));
    if (targets.empty())
        throw Error(QStringLiteral("Run %1 was trained with the \"%2\" method and has no LoRA "
                                   "adapter to export on its own; export the full model instead.")
                        .arg(run.record.id)
                        .arg(run.record.method));
    c.targetModules = QStringList(targets.begin(), targets.end());
    c.modulesToSave = model.headModules();
    c.baseModel = run.record.modelDir;
    c.taskType = QStringLiteral("SEQ_CLS");
    return c;
}

// The last value of every val metric the run recorded, by name.
std::map<QString, double> finalMetrics(Project& project, qint64 runId)
{
    std::map<QString, double> last;
    for (const MetricPoint& p : runMetrics(project, runId))
        if (p.split == QLatin1String("val"))
            last[p.name] = p.value;
    return last;
}

QString modelCard(Project& project, const RunModel& run, bool adapterOnly)
{
    const RunRecord& r = run.record;
    const QString base = QFileInfo(r.modelDir).fileName();
    QString md = QStringLiteral("---\nlibrary_name: %1\nbase_model: %2\npipeline_tag: "
                                "text-classification\ntags:\n- finetune-studio\n- %3\n---\n\n")
                     .arg(adapterOnly ? QStringLiteral("peft") : QStringLiteral("transformers"),
                          base, r.method);
    md += QStringLiteral("# %1 — run %2\n\nA text classifier fine-tuned with Finetune Studio from "
                         "`%3` (%4). It predicts one of: %5.\n\n")
              .arg(r.task.isEmpty() ? QStringLiteral("Classifier") : r.task)
              .arg(r.id)
              .arg(base, run.model->config().modelType, run.labels.join(QStringLiteral(", ")));
    md += adapterOnly ? QStringLiteral("This folder holds a LoRA adapter in PEFT layout: load the "
                                       "base model first, then the adapter.\n\n")
                      : QStringLiteral("The weights are complete (LoRA adapters, if any, are "
                                       "merged): load the folder with "
                                       "`AutoModelForSequenceClassification`.\n\n");
    md += QStringLiteral("## Data\n\n- Task: %1\n- Labels: %2\n")
              .arg(r.task, run.labels.join(QStringLiteral(", ")));
    for (const char* split : {"train", "val", "test"}) {
        const QJsonArray rows = r.snapshot.value(QLatin1String(split)).toArray();
        if (!rows.isEmpty())
            md += QStringLiteral("- %1 rows: %2\n").arg(QLatin1String(split)).arg(rows.size());
    }
    md += QStringLiteral("- Data snapshot (SHA-256): `%1`\n\n")
              .arg(r.snapshot.value(QLatin1String("hash")).toString());
    md += QStringLiteral("## Method\n\n- Method: %1\n- Seed: %2\n- Maximum length: %3 tokens\n"
                         "- Training time: %4 s\n\n")
              .arg(r.method)
              .arg(r.seed)
              .arg(run.maxLength)
              .arg(r.trainSeconds, 0, 'f', 1);
    md += QStringLiteral("## Hyperparameters\n\n| name | value |\n|---|---|\n");
    const QStringList keys = r.hyperparameters.keys();
    for (const QString& k : keys)
        md += QStringLiteral("| %1 | %2 |\n")
                  .arg(k, r.hyperparameters.value(k).toVariant().toString());
    md += QStringLiteral("\n## Metrics (validation split)\n\n");
    const auto metrics = finalMetrics(project, r.id);
    if (metrics.empty())
        md += QStringLiteral("The run had no validation rows, so no metrics were recorded.\n");
    else {
        md += QStringLiteral("| metric | final value |\n|---|---|\n");
        for (const auto& [name, value] : metrics)
            md += QStringLiteral("| %1 | %2 |\n").arg(name).arg(value, 0, 'f', 4);
        if (r.bestStep >= 0)
            md += QStringLiteral("\nBest checkpoint: step %1 (%2 = %3); that is the checkpoint "
                                 "exported.\n")
                      .arg(r.bestStep)
                      .arg(run.hp.earlyStoppingMetric)
                      .arg(r.bestMetric, 0, 'f', 4);
    }
    md += QStringLiteral("\n## Software\n\n```\n%1\n```\n")
              .arg(QString::fromUtf8(QJsonDocument(r.software).toJson(QJsonDocument::Indented))
                       .trimmed());
    return md;
}

// A chat/summarization run as a plain decoder folder (LoRA merged): the base model's config and
// tokenizer files with the run's weights, so it can be fine-tuned further (SFT, then DPO or PPO
// on top), served, or used outside the studio.
void exportDecoderRun(Project& project, const RunRecord& record, const ExportOptions& options)
{
    if (options.adapterOnly)
        throw Error(QStringLiteral("Run %1 (%2): adapter-only export is for classifiers; export the "
                                   "whole model (LoRA is merged into it).")
                        .arg(record.id)
                        .arg(record.method));
    std::shared_ptr<DecoderModel> model = loadTrainedDecoder(project, record);
    mergeAllLora(*model);
    const QDir out(options.outDir);
    saveSafetensors(out.filePath(QStringLiteral("model.safetensors")), stateDict(*model),
                    {{QStringLiteral("format"), QStringLiteral("pt")}});
    QFile config(QDir(record.modelDir).filePath(QStringLiteral("config.json")));
    if (!config.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("Cannot read %1.").arg(config.fileName()));
    const QByteArray configBytes = config.readAll();
    writeFileAtomically(out.filePath(QStringLiteral("config.json")), [&](QIODevice& f) { f.write(configBytes); });
    copyTokenizerFiles(record.modelDir, options.outDir);
    QString card = QStringLiteral("---\nlibrary_name: finetune-studio\npipeline_tag: text-generation\n---\n\n"
                                  "# Run %1 (%2)\n\nExported by Finetune Studio %3 from `%4`, run %1: method %2, "
                                  "started from `%5`, %6 seconds of training.\n\nHyperparameters:\n\n```json\n%7\n```\n")
                       .arg(record.id)
                       .arg(record.method, QStringLiteral(FTS_VERSION), QFileInfo(project.path()).fileName(),
                            record.modelDir)
                       .arg(record.trainSeconds, 0, 'f', 0)
                       .arg(QString::fromUtf8(QJsonDocument(record.hyperparameters).toJson(QJsonDocument::Indented)).trimmed());
    writeFileAtomically(out.filePath(QStringLiteral("README.md")), [&](QIODevice& f) { f.write(card.toUtf8()); });
}

// Writes the run's files into the existing folder options.outDir, each file atomically.
void exportInto(Project& project, qint64 runId, const ExportOptions& options)
{
    {
        const RunRecord record = loadRun(project, runId);
        requireTrainedWeights(record, QStringLiteral("export"));
        if (isRewardRunMethod(record.method))
            throw Error(QStringLiteral("Run %1 is a reward model: it scores answers and has nothing to export "
                                       "as a model to use; export SFT, DPO, PPO or classifier runs.")
                            .arg(runId));
        if (isDecoderRunMethod(record.method)) {
            exportDecoderRun(project, record, options);
            return;
        }
        if (options.task.isEmpty() && isMultiTaskRun(record))
            throw Error(QStringLiteral("Run %1 trained several tasks (%2), one head each: choose whose "
                                       "classifier to export (--task NAME); each exports as an ordinary "
                                       "model folder.")
                            .arg(runId)
                            .arg(multiTaskRunTasks(record).join(QStringLiteral(", "))));
    }
    RunModel run = loadRunModel(project, runId, options.task);
    const QDir out(options.outDir);
    if (options.adapterOnly) {
        saveLoraAdapter(*run.model, adapterConfig(*run.model, run), options.outDir);
    } else {
        mergeAllLora(*run.model);
        saveSequenceClassifier(*run.model, options.outDir);
    }
    copyTokenizerFiles(run.tokenizerDir, options.outDir);
    DeployInfo info;
    info.labels = run.labels;
    info.problemType = problemTypeName(run.model->problemType());
    info.maxLength = run.maxLength;
    info.runId = runId;
    info.baseModel = run.record.modelDir;
    writeFileAtomically(out.filePath(QStringLiteral("finetune_studio.json")),
                        [&](QIODevice& f) { f.write(QJsonDocument(info.toJson()).toJson()); });
    writeFileAtomically(out.filePath(QStringLiteral("README.md")), [&](QIODevice& f) {
        f.write(modelCard(project, run, options.adapterOnly).toUtf8());
    });
}

} // namespace

ExportResult exportRun(Project& project, qint64 runId, const ExportOptions& options)
{
    checkFolder(options);
    const QDir target(options.outDir);
    if (target.exists() && !target.isEmpty()) { // replacing files among others the user keeps there
        exportInto(project, runId, options);
        return exportedFolder(options.outDir);
    }
    // A new or empty folder appears complete or not at all: the files are written to a staging
    // folder beside it that is renamed into place once all are there (a crash leaves only
    // "<folder>.partial", which the next export replaces).
    const QString staging = QDir::cleanPath(options.outDir) + QStringLiteral(".partial");
    QDir(staging).removeRecursively();
    makeFolder(staging);
    ExportOptions staged = options;
    staged.outDir = staging;
    try {
        exportInto(project, runId, staged);
    } catch (...) {
        QDir(staging).removeRecursively();
        throw;
    }
    if (target.exists())
        QDir().rmdir(options.outDir);
    if (!QDir().rename(staging, options.outDir))
        throw Error(QStringLiteral("The export was written to %1 but could not be moved to %2; "
                                   "check that nothing else is using that name.")
                        .arg(QDir::toNativeSeparators(staging),
                             QDir::toNativeSeparators(options.outDir)));
    return exportedFolder(options.outDir);
}

} // namespace fts
