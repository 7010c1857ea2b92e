// Where and in which precision models run: CPU by default, CUDA when libtorch has it; fp32 or bf16.
#pragma once

#include <QString>
#include <QStringList>

namespace fts {

struct DeviceChoice
{
    QString device = QStringLiteral("cpu"); // "cpu", "cuda" or "cuda:N"
    QString precision = QStringLiteral("fp32"); // "fp32" or "bf16"
};

// Devices this build and machine can use, e.g. {"cpu", "cuda:0"}.
QStringList availableDevices();
// True when the processor computes bf16 natively (AVX-512 BF16 or AMX), so bf16 is faster, not emulated.
bool cpuHasNativeBf16();
// "cpu" with bf16 where the CPU has it natively, else fp32; the first GPU with bf16 where there is one.
DeviceChoice defaultDeviceChoice();
// Throws fts::Error saying what is wrong (an absent GPU, an unknown precision) and what is available.
void validateDeviceChoice(const DeviceChoice& choice);
// One line for the UI: "CPU (2 threads), bf16" / "CUDA 0: NVIDIA H200, bf16".
QString describeDevice(const DeviceChoice& choice);

} // namespace fts
