#include "train/RunProgress.h"

#include "train/Checkpoint.h"
#include "train/TrainData.h"

#include <QJsonArray>

namespace fts {

QJsonObject RunProgress::progressJson() const
{
    return {{"step", step},
            {"epoch", epoch},
            {"batch_in_epoch", qint64(batchInEpoch)},
            {"batches", batchesToJson(batches)},
            {"best_metric", bestMetric},
            {"best_step", bestStep},
            {"since_best", sinceBest},
            {"seconds", seconds},
            {"total_steps", totalSteps},
            {"rng", cpuRngState()}};
}

void RunProgress::readProgressJson(const QJsonObject& state)
{
    step = state.value(QLatin1String("step")).toInteger();
    epoch = state.value(QLatin1String("epoch")).toInt();
    batchInEpoch = size_t(state.value(QLatin1String("batch_in_epoch")).toInteger());
    batches = batchesFromJson(state.value(QLatin1String("batches")).toArray());
    bestMetric = state.value(QLatin1String("best_metric")).toDouble();
    bestStep = state.value(QLatin1String("best_step")).toInteger(-1);
    sinceBest = state.value(QLatin1String("since_best")).toInt();
    seconds = state.value(QLatin1String("seconds")).toDouble();
    setCpuRngState(state.value(QLatin1String("rng")).toString());
}

} // namespace fts
