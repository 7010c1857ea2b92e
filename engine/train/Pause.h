// Pausing a run in memory: the trainer waits between steps, writing nothing, until it is
// continued or stopped.
#pragma once

#include <QElapsedTimer>
#include <QThread>

#include <atomic>

namespace fts {

// Waits while `pause` is set, unless `cancel` is (or becomes) set; returns the milliseconds waited,
// which a run does not count as training time.
inline qint64 waitWhilePaused(const std::atomic<bool>* pause, const std::atomic<bool>* cancel)
{
    if (!pause || !pause->load())
        return 0;
    QElapsedTimer waited;
    waited.start();
    while (pause->load() && !(cancel && cancel->load()))
        QThread::msleep(20);
    return waited.elapsed();
}

} // namespace fts
