// Builds the sample project atomically: import into a temporary project, then rename into place.
#include "project/SampleProject.h"

#include "Error.h"
#include "data/Importer.h"
#include "feedback/Feedback.h"
#include "hub/BundledModels.h"
#include "label/LabelSchema.h"
#include "project/Project.h"
#include "train/Hyperparameters.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

namespace fts {

bool useStarterModel(Project& project)
{
    const QString starter = starterEncoderDir();
    if (starter.isEmpty() || project.isReadOnly() ||
        !project.metaValue(QStringLiteral("model_dir")).isEmpty())
        return false;
    project.setMetaValue(QStringLiteral("model_dir"), starter);
    // A few-million-parameter model wants a far larger learning rate and more epochs than the
    // defaults, which suit BERT-base; its folder says which settings its benchmark used.
    QFile recommended(QDir(starter).filePath(QStringLiteral("recommended_hyperparameters.json")));
    if (project.metaValue(QStringLiteral("hyperparameters")).isEmpty() &&
        recommended.open(QIODevice::ReadOnly)) {
        const QJsonObject json = QJsonDocument::fromJson(recommended.readAll()).object();
        try {
            const Hyperparameters hp = Hyperparameters::fromJson(json);
            project.setMetaValue(QStringLiteral("hyperparameters"),
                                 QString::fromUtf8(QJsonDocument(hp.toJson()).toJson(QJsonDocument::Compact)));
        } catch (const Error&) {
            // A broken recommendation leaves the studio's defaults in place.
        }
    }
    return true;
}

QString ensureSampleProject(const QString& folder, const QString& datasetCsv, JobContext* ctx,
                            const QString& feedbackPairs, const QStringList& sideFiles)
{
    const QString path = QDir(folder).absoluteFilePath(QLatin1String(SampleProjectFileName));
    if (QFile::exists(path))
        return path;
    if (!QDir().mkpath(folder))
        throw Error(QStringLiteral("Could not create the folder %1 for the sample project.")
                        .arg(QDir::toNativeSeparators(folder)));
    const QString tmp = path + QStringLiteral(".building");
    QFile::remove(tmp);
    try {
        auto project = Project::create(tmp);
        project->setMetaValue(QStringLiteral("name"), QStringLiteral("Sentiment Sample"));
        ImportOptions options;
        options.file = datasetCsv;
        options.annotator = QStringLiteral("sample dataset");
        importTable(*project, options, ctx);
        // The sentiment preset: negative / neutral / positive in that order, keys 1-3, guidelines.
        LabelSchema schema = LabelSchema::preset(QStringLiteral("sentiment-3"), QStringLiteral("label"));
        schema.guidelines = QStringLiteral("Label the writer's overall verdict. Sarcasm counts as what it "
                                           "means; mixed reviews take the side of their conclusion.");
        saveLabelSchema(*project, schema);
        useStarterModel(*project);
        if (!feedbackPairs.isEmpty()) {
            // Support replies in and out of the house style: a reward model on the starter encoder
            // learns the preference offline, so the Feedback page has something to show at once.
            importFeedbackFile(*project, feedbackPairs, QStringLiteral("pairs"));
            project->setMetaValue(QStringLiteral("feedback/rubric"),
                                  QStringLiteral("5 = Brightline house style: starts \"Thanks for reaching out.\", "
                                                 "1-3 short helpful sentences, ends with \"— Brightline Support\"; "
                                                 "1 = off-style, curt or unhelpful"));
        }
        for (const QString& file : sideFiles) {
            const QString target = QDir(folder).filePath(QFileInfo(file).fileName());
            QFile::remove(target); // a leftover of an interrupted build
            if (!QFile::copy(file, target))
                throw Error(QStringLiteral("Could not copy %1 into the sample project's folder %2.")
                                .arg(file, QDir::toNativeSeparators(folder)));
            // A copy of a Qt resource is read-only; the user's copy is theirs to edit.
            QFile::setPermissions(target, QFile::permissions(target) | QFileDevice::WriteOwner);
        }
        // Fold the WAL into the main file so the rename below moves one complete file.
        SqlQuery(project->db(), QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")).exec("finish the project");
    } catch (...) {
        QFile::remove(tmp);
        QFile::remove(tmp + QStringLiteral("-wal"));
        QFile::remove(tmp + QStringLiteral("-shm"));
        throw;
    }
    QFile::remove(tmp + QStringLiteral("-wal"));
    QFile::remove(tmp + QStringLiteral("-shm"));
    if (!QFile::rename(tmp, path))
        throw Error(QStringLiteral("Could not create the sample project at %1.")
                        .arg(QDir::toNativeSeparators(path)));
    return path;
}

} // namespace fts
