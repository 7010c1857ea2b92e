// Telling runs, classifier folders, adapters and decoders apart by what is on disk.
#include "deploy/DeployModel.h"

#include "train/RunStore.h"

#include "Error.h"
#include "models/ModelConfig.h"
#include "align/AlignTypes.h"
#include "deploy/FewShot.h"
#include "project/Project.h"
#include "train/RunStore.h"

#include <QDir>
#include <QFileInfo>

namespace fts {

QString DeployModel::description() const
{
    return classifier  ? classifier->description()
           : generator ? generator->description()
                       : QString();
}

DeployModel loadDeployModel(const QString& source, qint64 runId, const QString& adapterBase,
                            const QString& task)
{
    DeployModel m;
    const QFileInfo info(source);
    if (info.isFile() && info.suffix() == QLatin1String(Project::FileSuffix)) {
        if (runId <= 0)
            throw Error(QStringLiteral("%1 is a project: say which of its runs to use (--run ID; "
                                       "'ftstudio-cli info' lists them).")
                            .arg(QDir::toNativeSeparators(source)));
        auto project = Project::open(source, Project::Access::ReadOnly);
        const RunRecord record = loadRun(*project, runId);
        requireTrainedWeights(record, QStringLiteral("predict with or serve"));
        const QString method = record.method;
        // Decoder runs (SFT, DPO, PPO) write text; reward models only score it.
        if (isRewardRunMethod(method))
            throw Error(QStringLiteral("Run %1 is a reward model: it scores answers and cannot be served or "
                                       "predict with. Use an SFT, DPO or PPO run, or a classifier run.")
                            .arg(runId));
        if (isDecoderRunMethod(method))
            m.generator = TextGenerator::loadRun(*project, runId);
        else
            m.classifier = TextClassifier::loadRun(*project, runId, task);
        return m;
    }
    if (runId > 0)
        throw Error(QStringLiteral("--run needs a project file (.ftproj); %1 is not one.")
                        .arg(QDir::toNativeSeparators(source)));
    if (!info.isDir())
        throw Error(QStringLiteral("%1 is neither a model folder nor a project file.")
                        .arg(QDir::toNativeSeparators(source)));
    const QDir dir(source);
    if (QFileInfo::exists(dir.filePath(QStringLiteral("adapter_config.json")))) {
        m.classifier = TextClassifier::loadFolder(source, adapterBase);
        return m;
    }
    if (ModelConfig::load(source).isDecoder())
        m.generator = TextGenerator::loadFolder(source);
    else
        m.classifier = TextClassifier::loadFolder(source);
    return m;
}

} // namespace fts
