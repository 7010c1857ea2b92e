// What the benchmarks of ftbench share: the table row they print and the process's peak memory.
#pragma once

#include <QJsonObject>
#include <QString>

#include <optional>

namespace fts::bench {

// One table row: "| name | figure | compared with |".
void row(const QString& name, const QString& figure, const QString& compared);
// The process's peak resident memory (VmHWM) in MiB.
qint64 peakRssMb();

// Runs bench/<script> on Debian's python3-torch with `job` as its JSON argument file (written in
// `workDir`) and returns the JSON object it prints; nullopt with `why` set when it cannot run.
std::optional<QJsonObject> runPythonJob(const QString& script, const QJsonObject& job,
                                        const QString& workDir, QString* why);

// Fine-tuning throughput against a PyTorch loop, padding waste, MFU (TrainBench.cpp).
void trainBench(bool smoke);
// One-sentence latency against a PyTorch forward, and the local server's requests/s (InferBench.cpp).
void inferBench(bool smoke);

} // namespace fts::bench
