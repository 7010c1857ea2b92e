#include "SftTaskPanel.h"

#include "Error.h"
#include "align/SftData.h"
#include "hub/LocalModels.h"
#include "models/ModelConfig.h"
#include "project/Project.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>

namespace fts {
namespace {

const QString kDataKey = QStringLiteral("train/sft_data/%1");
const QString kModelKey = QStringLiteral("train/sft_model");

QString defaultDataFile(const Project& project, const QString& task)
{
    const QString name = task == QLatin1String("summarization") ? QStringLiteral("summaries.jsonl")
                                                                : QStringLiteral("chat.jsonl");
    const QString beside = QFileInfo(project.path()).dir().filePath(name);
    return QFileInfo::exists(beside) ? beside : QString();
}

} // namespace

SftTaskPanel::SftTaskPanel(QWidget* parent)
    : QWidget(parent), m_data(new QLineEdit(this)), m_model(new QComboBox(this))
{
    m_data->setObjectName(QStringLiteral("sftDataFile"));
    m_data->setPlaceholderText(tr("A JSONL file: one conversation or document per line"));
    m_data->setToolTip(tr("Chat: {\"instruction\", \"response\"} or {\"messages\": [{\"role\", \"content\"}…]} "
                          "per line; summarization: {\"document\", \"summary\"}. An optional \"split\" "
                          "field (train/val/test) says which rows are held out."));
    m_model->setObjectName(QStringLiteral("sftModel"));
    m_model->setEditable(true); // a decoder folder elsewhere on disk can be typed or browsed to
    m_model->setToolTip(tr("The decoder (GPT-2 or Llama family) to fine-tune"));
    auto* browseData = new QPushButton(tr("Browse…"), this);
    connect(browseData, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Data to fine-tune on"), m_data->text(),
                                                          tr("JSON Lines (*.jsonl *.json);;All files (*)"));
        if (!file.isEmpty())
            m_data->setText(file);
    });
    auto* browseModel = new QPushButton(tr("Browse…"), this);
    connect(browseModel, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Decoder model folder"), modelDir());
        if (!dir.isEmpty())
            setModelDir(dir);
    });
    connect(m_model, &QComboBox::currentIndexChanged, this, &SftTaskPanel::modelChanged);
    connect(m_model, &QComboBox::editTextChanged, this, &SftTaskPanel::modelChanged);
    auto* dataRow = new QHBoxLayout;
    dataRow->addWidget(m_data, 1);
    dataRow->addWidget(browseData);
    auto* modelRow = new QHBoxLayout;
    modelRow->addWidget(m_model, 1);
    modelRow->addWidget(browseModel);
    auto* form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    form->addRow(tr("Data file:"), dataRow);
    form->addRow(tr("Decoder:"), modelRow);
}

void SftTaskPanel::reloadModels()
{
    const QString keep = modelDir();
    const QSignalBlocker block(m_model);
    m_model->clear();
    for (const LocalModel& m : localModels())
        if (m.decoder)
            m_model->addItem(QStringLiteral("%1 (%2)").arg(QFileInfo(m.dir).fileName(), m.modelType), m.dir);
    if (!keep.isEmpty())
        setModelDir(keep);
}

void SftTaskPanel::setProject(Project* project, const QString& task)
{
    reloadModels();
    if (!project)
        return;
    const QString saved = project->metaValue(kDataKey.arg(task));
    m_data->setText(saved.isEmpty() ? defaultDataFile(*project, task) : saved);
    const QString model = project->metaValue(kModelKey);
    if (!model.isEmpty())
        setModelDir(model);
}

void SftTaskPanel::save(Project& project, const QString& task) const
{
    // Each template remembers its own file; the decoder is shared.
    project.setMetaValue(kDataKey.arg(task), dataFile());
    project.setMetaValue(kModelKey, modelDir());
}

QString SftTaskPanel::dataFile() const
{
    return m_data->text().trimmed();
}

QString SftTaskPanel::modelDir() const
{
    const int i = m_model->findText(m_model->currentText());
    if (i >= 0 && !m_model->itemData(i).toString().isEmpty())
        return m_model->itemData(i).toString();
    return m_model->currentText().trimmed();
}

void SftTaskPanel::setDataFile(const QString& file)
{
    m_data->setText(file);
}

void SftTaskPanel::setModelDir(const QString& dir)
{
    int i = m_model->findData(dir);
    if (i < 0) {
        m_model->addItem(QFileInfo(dir).fileName(), dir);
        i = m_model->count() - 1;
    }
    m_model->setCurrentIndex(i);
}

qint64 SftTaskPanel::trainRecords(const QString& task) const
{
    if (modelDir().isEmpty())
        throw Error(tr("Choose a decoder to fine-tune (the bundled starter-decoder works offline)."));
    if (!ModelConfig::load(modelDir()).isDecoder())
        throw Error(tr("%1 holds an encoder; chat and summarization fine-tuning need a decoder such as "
                       "GPT-2 or Llama.").arg(QDir::toNativeSeparators(modelDir())));
    if (dataFile().isEmpty())
        throw Error(tr("Choose the JSONL file to fine-tune on."));
    qint64 n = 0;
    for (const SftRecord& r : readSftJsonl(dataFile(), sftTaskFromName(task)))
        n += r.split == QLatin1String("train") ? 1 : 0;
    return n;
}

} // namespace fts
