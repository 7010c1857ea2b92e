// What the benchmarks of ftbench share: the table row they print and the process's peak memory.
#pragma once

#include <QString>

namespace fts::bench {

// One table row: "| name | figure | compared with |".
void row(const QString& name, const QString& figure, const QString& compared);
// The process's peak resident memory (VmHWM) in MiB.
qint64 peakRssMb();

// Fine-tuning throughput against a PyTorch loop, padding waste, MFU (TrainBench.cpp).
void trainBench(bool smoke);
// One-sentence latency against a PyTorch forward, and the local server's requests/s (InferBench.cpp).
void inferBench(bool smoke);

} // namespace fts::bench
