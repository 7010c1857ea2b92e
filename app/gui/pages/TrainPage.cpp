// Settings live in the project (meta "hyperparameters"), so they travel with it and a later run
// starts from them.
#include "TrainPage.h"

#include "Error.h"
#include "HyperparameterEditor.h"
#include "models/ModelConfig.h"
#include "project/Project.h"
#include "runtime/Device.h"

#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

namespace fts {
namespace {

QString explainMethod(const QString& method)
{
    if (method == QLatin1String("frozen"))
        return QObject::tr("<b>Feature extraction</b>: the pre-trained model stays as it is and only a small new "
                           "classifier on top learns. Fastest, needs little data, usually a little less accurate.");
    if (method == QLatin1String("freeze"))
        return QObject::tr("<b>Layer freezing</b>: the embeddings and the first layers stay fixed, the upper layers and "
                           "the classifier learn. A middle ground in speed and accuracy.");
    if (method == QLatin1String("lora"))
        return QObject::tr("<b>LoRA</b>: the model stays fixed and small adapter matrices beside some layers learn. "
                           "Nearly the accuracy of full fine-tuning with a fraction of the trainable parameters.");
    return QObject::tr("<b>Full fine-tuning</b>: every weight of the model learns. Usually the most accurate, and the "
                       "slowest; needs a small learning rate.");
}

qint64 trainRows(Project& p)
{
    SqlQuery q(p.db(), QStringLiteral("SELECT COUNT(*) FROM rows r JOIN gold_labels g ON g.row_id = r.id "
                                      "WHERE r.split = 'train' AND r.removed_by_step IS NULL"));
    q.exec("count training rows");
    return q.next() ? q.value(0).toLongLong() : 0;
}

} // namespace

TrainPage::TrainPage(QWidget* parent)
    : QWidget(parent), m_editor(new HyperparameterEditor(this)), m_method(new QLabel(this)), m_check(new QLabel(this))
{
    setObjectName(QStringLiteral("trainPage"));
    m_method->setWordWrap(true);
    m_method->setObjectName(QStringLiteral("methodExplanation"));
    m_check->setWordWrap(true);
    m_check->setObjectName(QStringLiteral("trainCheck"));
    connect(m_editor, &HyperparameterEditor::changed, this, [this] {
        m_method->setText(explainMethod(m_editor->values().method));
    });
    auto* presets = new QHBoxLayout;
    presets->addWidget(new QLabel(tr("Presets:"), this));
    for (const auto& [name, title] : {std::pair{"quick", "Quick look"}, {"balanced", "Balanced"}, {"careful", "Careful"}}) {
        auto* b = new QPushButton(tr(title), this);
        b->setObjectName(QStringLiteral("preset-%1").arg(QLatin1String(name)));
        connect(b, &QPushButton::clicked, this, [this, n = QString::fromLatin1(name)] { applyPreset(n); });
        presets->addWidget(b);
    }
    presets->addStretch(1);
    auto* checkButton = new QPushButton(tr("Check settings"), this);
    auto* saveButton = new QPushButton(tr("Save as the project's settings"), this);
    connect(checkButton, &QPushButton::clicked, this, &TrainPage::check);
    connect(saveButton, &QPushButton::clicked, this, &TrainPage::save);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(m_editor);
    scroll->setWidgetResizable(true);
    auto* status = new QLabel(tr("<p style='color:#8a5a00'><b>Starting a training run is not available in this "
                                 "version yet.</b> The settings are checked against your data and model and saved "
                                 "with the project.</p>"), this);
    status->setWordWrap(true);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(checkButton);
    buttons->addWidget(saveButton);
    buttons->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(status);
    layout->addWidget(m_method);
    layout->addLayout(presets);
    layout->addWidget(scroll, 1);
    layout->addWidget(m_check);
    layout->addLayout(buttons);
    m_method->setText(explainMethod(m_editor->values().method));
}

void TrainPage::setProject(Project* project)
{
    m_project = project;
    Hyperparameters h;
    if (m_project) {
        const QString saved = m_project->metaValue(QStringLiteral("hyperparameters"));
        try {
            h = saved.isEmpty() ? Hyperparameters::preset(QStringLiteral("balanced"), trainRows(*m_project))
                                : Hyperparameters::fromJson(QJsonDocument::fromJson(saved.toUtf8()).object());
        } catch (const Error& e) {
            m_check->setText(tr("The saved settings could not be read (%1); the defaults are shown.").arg(e.message()));
        }
    }
    m_editor->setValues(h);
    m_method->setText(explainMethod(h.method));
}

void TrainPage::applyPreset(const QString& name)
{
    Hyperparameters h = Hyperparameters::preset(name, m_project ? trainRows(*m_project) : 0);
    h.method = m_editor->values().method; // a preset changes the knobs, not the method
    m_editor->setValues(h);
}

bool TrainPage::check()
{
    if (!m_project)
        return false;
    TrainingContext c;
    c.trainRows = trainRows(*m_project);
    c.cpuHasBf16 = cpuHasNativeBf16() || availableDevices().size() > 1;
    QString model = m_project->metaValue(QStringLiteral("model_dir"));
    QString note;
    if (model.isEmpty()) {
        note = tr(" No model is chosen yet (Model page), so model-dependent limits were not checked.");
    } else {
        try {
            const ModelConfig config = ModelConfig::load(model);
            c.hiddenSize = int(config.hiddenSize);
            c.numLayers = int(config.numLayers);
        } catch (const Error& e) {
            note = tr(" The chosen model could not be read: %1").arg(e.message());
        }
    }
    try {
        m_editor->values().validate(c);
    } catch (const Error& e) {
        m_check->setText(QStringLiteral("<span style='color:#b00020'>%1</span>%2")
                             .arg(e.message().toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>")), note.toHtmlEscaped()));
        return false;
    }
    m_check->setText(tr("These settings fit the %1 labeled training rows.%2").arg(c.trainRows).arg(note));
    return true;
}

bool TrainPage::save()
{
    if (!m_project || m_project->isReadOnly())
        return false;
    m_project->setMetaValue(QStringLiteral("hyperparameters"),
                            QString::fromUtf8(QJsonDocument(m_editor->values().toJson()).toJson(QJsonDocument::Compact)));
    m_check->setText(tr("Saved with the project."));
    return true;
}

QString TrainPage::checkText() const
{
    return m_check->text();
}

} // namespace fts
