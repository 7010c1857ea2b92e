// Where a classification run stands, as its checkpoints store it: step, epoch, the epoch's batch
// order, the best evaluation so far and the time spent, so a resume continues exactly.
#pragma once

#include <QJsonObject>
#include <QString>

#include <vector>

namespace fts {

struct RunProgress
{
    qint64 step = 0, totalSteps = 0, warmupSteps = 0;
    int epoch = 0;
    size_t batchInEpoch = 0;
    std::vector<std::vector<int>> batches;
    double bestMetric = 0;
    qint64 bestStep = -1;
    int sinceBest = 0;
    QString lastCheckpoint, bestCheckpoint;
    double seconds = 0;

    double epochProgress() const
    {
        return epoch + (batches.empty() ? 0.0 : double(batchInEpoch) / double(batches.size()));
    }
    // The fields a checkpoint's trainer_state.json holds (with the CPU RNG state), and back.
    QJsonObject progressJson() const;
    void readProgressJson(const QJsonObject& state);
};

} // namespace fts
