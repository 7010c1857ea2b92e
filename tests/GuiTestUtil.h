// Helpers shared by the GUI suites.
#pragma once

#include <QString>
#include <QTest>
#include <QWidget>

namespace fts::test {

// FTS_SCREENSHOT_DIR=folder saves what a test shows as <name>.png, to look at the GUI as a user
// would.
inline void saveScreenshot(QWidget& w, const QString& name)
{
    const QString dir = qEnvironmentVariable("FTS_SCREENSHOT_DIR");
    if (!dir.isEmpty()) {
        QTest::qWait(300); // let throttled charts redraw
        w.grab().save(dir + "/" + name + ".png");
    }
}

} // namespace fts::test
