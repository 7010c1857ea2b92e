// Inspection reads only headers, so it runs on the GUI thread; downloads run as engine jobs.
#include "ModelPage.h"

#include "PretrainPanel.h"

#include "Error.h"
#include "hub/BundledModels.h"
#include "hub/HubClient.h"
#include "hub/ModelCatalog.h"
#include "hub/ModelStore.h"
#include "jobs/JobRunner.h"
#include "models/ModelInspect.h"
#include "project/Project.h"
#include "runtime/Device.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QPushButton>
#include <QSettings>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

namespace fts {
namespace {
const QString kDeviceKey = QStringLiteral("model/device");
const QString kPrecisionKey = QStringLiteral("model/precision");
}

ModelPage::ModelPage(QWidget* parent)
    : QWidget(parent), m_recent(new QListWidget(this)), m_catalog(new QTableWidget(this)), m_hubId(new QLineEdit(this)),
      m_details(new QLabel(this)), m_layers(new QTableWidget(this)), m_device(new QComboBox(this)),
      m_precision(new QComboBox(this)), m_chosen(new QLabel(this)), m_pretrain(new PretrainPanel(this))
{
    setObjectName(QStringLiteral("modelPage"));
    m_recent->setObjectName(QStringLiteral("recentModels"));
    connect(m_recent, &QListWidget::currentTextChanged, this, [this](const QString& dir) {
        if (!dir.isEmpty())
            showModel(dir);
    });
    auto* open = new QPushButton(tr("Open model folder…"), this);
    connect(open, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a Hugging Face model folder"));
        if (!dir.isEmpty())
            showModel(dir);
    });

    m_catalog->setObjectName(QStringLiteral("modelCatalog"));
    m_catalog->setColumnCount(5);
    m_catalog->setHorizontalHeaderLabels({tr("Model"), tr("Task"), tr("Size"), tr("Licence"), tr("Good for")});
    m_catalog->verticalHeader()->setVisible(false);
    m_catalog->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_catalog->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_catalog->horizontalHeader()->setStretchLastSection(true);
    const QList<CatalogEntry> catalog = modelCatalog();
    m_catalog->setRowCount(int(catalog.size()));
    for (int r = 0; r < catalog.size(); ++r) {
        const CatalogEntry& e = catalog[r];
        const QStringList cells = {e.hubId, e.task, tr("%1M").arg(e.parameters / 1'000'000), e.licence, e.goodFor};
        for (int c = 0; c < cells.size(); ++c)
            m_catalog->setItem(r, c, new QTableWidgetItem(cells[c]));
    }
    m_catalog->resizeColumnsToContents();
    connect(m_catalog, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (row >= 0)
            m_hubId->setText(m_catalog->item(row, 0)->text());
    });
    m_hubId->setObjectName(QStringLiteral("hubId"));
    m_hubId->setPlaceholderText(tr("Any Hub id, e.g. distilbert-base-uncased"));
    auto* downloadButton = new QPushButton(tr("Download"), this);
    connect(downloadButton, &QPushButton::clicked, this, [this] { download(m_hubId->text().trimmed()); });

    m_details->setObjectName(QStringLiteral("modelDetails"));
    m_details->setWordWrap(true);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_layers->setObjectName(QStringLiteral("layerTable"));
    m_layers->setColumnCount(2);
    m_layers->setHorizontalHeaderLabels({tr("Part"), tr("Parameters")});
    m_layers->verticalHeader()->setVisible(false);
    m_layers->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_layers->horizontalHeader()->setStretchLastSection(true);

    for (const QString& d : availableDevices())
        m_device->addItem(d == QLatin1String("cpu") ? tr("CPU") : d.toUpper(), d);
    m_precision->addItem(QStringLiteral("fp32"), QStringLiteral("fp32"));
    m_precision->addItem(QStringLiteral("bf16"), QStringLiteral("bf16"));
    const DeviceChoice def = defaultDeviceChoice();
    QSettings settings;
    m_device->setCurrentIndex(std::max(0, m_device->findData(settings.value(kDeviceKey, def.device).toString())));
    m_precision->setCurrentIndex(std::max(0, m_precision->findData(settings.value(kPrecisionKey, def.precision).toString())));
    m_precision->setToolTip(cpuHasNativeBf16() ? tr("This processor computes bf16 natively: faster, slightly less exact.")
                                               : tr("bf16 is emulated on this processor: slower than fp32."));
    connect(m_device, &QComboBox::currentIndexChanged, this, [this] { QSettings().setValue(kDeviceKey, m_device->currentData()); });
    connect(m_precision, &QComboBox::currentIndexChanged, this, [this] { QSettings().setValue(kPrecisionKey, m_precision->currentData()); });

    auto* use = new QPushButton(tr("Use this model for the project"), this);
    use->setObjectName(QStringLiteral("useModel"));
    connect(use, &QPushButton::clicked, this, &ModelPage::useSelected);
    m_chosen->setObjectName(QStringLiteral("chosenModel"));

    auto* left = new QVBoxLayout;
    left->addWidget(new QLabel(tr("<b>Recently used and downloaded</b>"), this));
    left->addWidget(m_recent, 1);
    left->addWidget(open);
    left->addWidget(new QLabel(tr("<b>Recommended models</b> (downloaded from the Hugging Face Hub)"), this));
    left->addWidget(m_catalog, 1);
    auto* dl = new QHBoxLayout;
    dl->addWidget(m_hubId, 1);
    dl->addWidget(downloadButton);
    left->addLayout(dl);
    auto* runOn = new QFormLayout;
    runOn->addRow(tr("Device:"), m_device);
    runOn->addRow(tr("Precision:"), m_precision);
    auto* right = new QVBoxLayout;
    right->addWidget(m_details);
    right->addWidget(m_layers, 1);
    right->addLayout(runOn);
    right->addWidget(use);
    right->addWidget(m_chosen);
    auto* choose = new QWidget(this);
    auto* columns = new QHBoxLayout(choose);
    columns->addLayout(left, 3);
    columns->addLayout(right, 2);
    auto* tabs = new QTabWidget(this);
    tabs->setObjectName(QStringLiteral("modelTabs"));
    tabs->addTab(choose, tr("Choose a model"));
    tabs->addTab(m_pretrain, tr("Pre-train on your text"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(tabs);
    connect(m_pretrain, &PretrainPanel::useModelRequested, this, [this](const QString& dir) {
        if (showModel(dir))
            useSelected();
    });
    m_details->setText(
        starterEncoderDir().isEmpty()
            ? tr("Choose a model on the left: download one, or open a Hugging Face model folder "
                 "you already have.")
            : tr("Choose a model on the left. The bundled starter-encoder works offline and "
                 "fine-tunes in about a minute, but it is small and weak (its README.md says how "
                 "weak); for real work download a recommended model."));
}

void ModelPage::setContext(Project* project, JobRunner* jobs)
{
    m_project = project;
    m_jobs = jobs;
    m_pretrain->setContext(project, jobs);
    refreshLists();
    if (m_project) {
        const QString chosen = m_project->metaValue(QStringLiteral("model_dir"));
        m_chosen->setText(chosen.isEmpty() ? tr("The project has no model yet.") : tr("Project model: %1").arg(QDir::toNativeSeparators(chosen)));
        // Show what the project trains on, so its layers and size are on screen at once.
        if (!chosen.isEmpty() && QFileInfo::exists(chosen))
            showModel(chosen);
    }
}

void ModelPage::refreshLists()
{
    m_recent->clear();
    // The bundled starter models first: they work offline on any machine.
    QStringList models = bundledModels();
    for (const QString& m : recentModels())
        if (!models.contains(m))
            models << m;
    m_recent->addItems(models);
    const QStringList bundled = bundledModels();
    for (int i = 0; i < m_recent->count(); ++i)
        if (bundled.contains(m_recent->item(i)->text()))
            m_recent->item(i)->setToolTip(tr("Bundled with the studio: works offline"));
}

QString ModelPage::detailsText() const
{
    return m_details->text();
}

bool ModelPage::showModel(const QString& dir)
{
    m_layers->setRowCount(0);
    try {
        const ModelInspection m = inspectModelFolder(dir);
        m_shown = m.dir;
        m_pretrain->setBaseModel(m_shown);
        m_details->setText(m.toText().section(QLatin1Char('\n'), 0, 3).toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>")));
        m_layers->setRowCount(int(m.layers.size()));
        for (int r = 0; r < m.layers.size(); ++r) {
            m_layers->setItem(r, 0, new QTableWidgetItem(m.layers[r].name));
            m_layers->setItem(r, 1, new QTableWidgetItem(QLocale::c().toString(m.layers[r].parameters)));
        }
        addRecentModel(m.dir);
        return true;
    } catch (const Error& e) {
        m_shown.clear();
        m_pretrain->setBaseModel({});
        m_details->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(e.message().toHtmlEscaped()));
        return false;
    }
}

int ModelPage::download(const QString& hubId)
{
    if (!m_jobs || hubId.isEmpty())
        return 0;
    const QString target = localDirForHubId(hubId);
    const int id = m_jobs->submit(std::make_shared<DownloadModelJob>(hubId, target));
    connect(m_jobs, &JobRunner::jobFinished, this, [this, id, target](int finished, const JobOutcome& out) {
        if (finished != id)
            return;
        if (out.status == JobStatus::Succeeded)
            showModel(target);
        else
            m_details->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(out.message.toHtmlEscaped()));
        refreshLists();
    });
    return id;
}

void ModelPage::useSelected()
{
    if (!m_project || m_shown.isEmpty() || m_project->isReadOnly())
        return;
    m_project->setMetaValue(QStringLiteral("model_dir"), m_shown);
    m_project->setMetaValue(QStringLiteral("device"), m_device->currentData().toString());
    m_project->setMetaValue(QStringLiteral("precision"), m_precision->currentData().toString());
    m_chosen->setText(tr("Project model: %1 (%2)").arg(QDir::toNativeSeparators(m_shown),
                                                       describeDevice({m_device->currentData().toString(), m_precision->currentData().toString()})));
}

} // namespace fts
