// ftstudio: the GUI. `ftstudio [PROJECT]` opens a project; `--sample` the sample project.
#include "MainWindow.h"
#include "RecentProjects.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QSettings>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("FinetuneStudio"));
    QApplication::setApplicationName(QStringLiteral("Finetune Studio"));
    QApplication::setApplicationVersion(QStringLiteral(FTS_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Fine-tune language models on your own data."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("A .ftproj file to open."), QStringLiteral("[PROJECT]"));
    const QCommandLineOption sample(QStringLiteral("sample"), QStringLiteral("Open the bundled sample project."));
    parser.addOption(sample);
    parser.process(app);

    fts::MainWindow window;
    window.show();
    const QStringList positional = parser.positionalArguments();
    if (!positional.isEmpty()) {
        window.openProject(positional.first());
    } else if (parser.isSet(sample)) {
        window.openSampleProject();
    } else {
        const QString last = QSettings().value(QStringLiteral("lastProject")).toString();
        if (!last.isEmpty() && QFileInfo::exists(last))
            window.openProject(last);
    }
    return app.exec();
}
