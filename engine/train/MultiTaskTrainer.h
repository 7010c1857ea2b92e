// Multi-task classification: several label tasks of the project (say sentiment and topic) train
// one shared encoder with one head each; each task's loss is weighted (hp.taskWeights) and its
// metrics recorded under "<task>/<metric>" beside their means. Trainer::run and Trainer::resume
// come here when TrainerOptions::tasks names two or more tasks.
#pragma once

#include "train/TrainTypes.h"

namespace fts {

// Whether a run trained several tasks at once (its snapshot lists them).
bool isMultiTaskRun(const RunRecord& record);
QStringList multiTaskRunTasks(const RunRecord& record);

TrainResult trainMultiTask(Project& project, const TrainerOptions& options);
TrainResult resumeMultiTask(Project& project, const TrainerOptions& options, qint64 runId);

} // namespace fts
