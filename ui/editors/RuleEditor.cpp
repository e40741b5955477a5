#include "editors/RuleEditor.h"

#include "editors/EditorCall.h"
#include "editors/RulePreview.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QSplitter>
#include <QUrl>
#include <QVBoxLayout>

namespace gh {

namespace {

QStringList splitList(const QString &text)
{
    QStringList out;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (!part.trimmed().isEmpty())
            out << part.trimmed();
    return out;
}

QString joinList(const QJsonValue &v, const QString &fallback = {})
{
    if (!v.isArray())
        return fallback;
    QStringList parts;
    for (const QJsonValue &item : v.toArray())
        parts << item.toString();
    return parts.join(QLatin1String(", "));
}

// The contract's built-in detectors (§3); the gateway checks the name again when the rule is saved.
const char *const kDetectors[] = {"email", "credit_card", "us_ssn", "phone", "iban",
                                  "ipv4", "jwt", "aws_access_key", "private_key", "bearer_token"};

} // namespace

RuleEditor::RuleEditor(GatewayLink *link, const QJsonObject &existing, QWidget *parent)
    : QDialog(parent)
    , m_link(link)
    , m_editing(!existing.isEmpty())
    , m_form(new QGridLayout)
    , m_name(new QLineEdit(this))
    , m_kind(new QComboBox(this))
    , m_connections(new QLineEdit(QStringLiteral("*"), this))
    , m_groups(new QLineEdit(QStringLiteral("*"), this))
    , m_method(new QLineEdit(this))
    , m_path(new QLineEdit(this))
    , m_headerName(new QLineEdit(this))
    , m_headerValue(new QLineEdit(this))
    , m_body(new QLineEdit(this))
    , m_approvers(new QLineEdit(this))
    , m_approvals(new QSpinBox(this))
    , m_timeout(new QLineEdit(QStringLiteral("5m"), this))
    , m_justification(new QCheckBox(tr("The client must send a reason (X-Gatehouse-Justification)"), this))
    , m_detector(new QComboBox(this))
    , m_pattern(new QLineEdit(this))
    , m_replace(new QLineEdit(this))
    , m_jsonFields(new QLineEdit(this))
    , m_error(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this))
    , m_preview(new RulePreview(link, this))
{
    setWindowTitle(m_editing ? tr("Edit rule") : tr("New rule"));
    m_kind->addItem(tr("deny: refuse matching requests"), QStringLiteral("deny"));
    m_kind->addItem(tr("approve: hold matching requests for approval"), QStringLiteral("approve"));
    m_kind->addItem(tr("mask: replace matches in responses"), QStringLiteral("mask"));
    m_approvals->setRange(1, 10);
    m_detector->addItem(tr("Custom pattern"), QString());
    for (const char *d : kDetectors)
        m_detector->addItem(QLatin1String(d), QLatin1String(d));
    m_headerName->setPlaceholderText(tr("header name"));
    m_headerValue->setPlaceholderText(tr("RE2 on its value"));
    m_path->setPlaceholderText(QStringLiteral("^/v1/models/.*/weights"));
    m_jsonFields->setPlaceholderText(QStringLiteral("$.user.ssn, $.items[*].card"));

    const std::pair<QWidget *, const char *> names[] = {
        {m_name, "nameEdit"}, {m_kind, "kindCombo"}, {m_connections, "connectionsEdit"}, {m_groups, "groupsEdit"},
        {m_method, "methodEdit"}, {m_path, "pathEdit"}, {m_headerName, "headerNameEdit"},
        {m_headerValue, "headerValueEdit"}, {m_body, "bodyEdit"}, {m_approvers, "approversEdit"},
        {m_approvals, "approvalsSpin"}, {m_timeout, "timeoutEdit"}, {m_justification, "justificationCheck"},
        {m_detector, "detectorCombo"}, {m_pattern, "patternEdit"}, {m_replace, "replaceEdit"},
        {m_jsonFields, "jsonFieldsEdit"}, {m_error, "errorLabel"}, {m_preview, "preview"}};
    for (const auto &[w, n] : names)
        w->setObjectName(QLatin1String(n));

    auto *header = new QWidget(this);
    auto *headerRow = new QHBoxLayout(header);
    headerRow->setContentsMargins(0, 0, 0, 0);
    headerRow->addWidget(m_headerName, 1);
    headerRow->addWidget(m_headerValue, 2);
    addField(tr("&Name:"), m_name, QStringLiteral("name"));
    addField(tr("&Kind:"), m_kind, QStringLiteral("kind"));
    addField(tr("&Connections:"), m_connections, QStringLiteral("connections"));
    addField(tr("&Groups:"), m_groups, QStringLiteral("groups"));
    addField(tr("&Method:"), m_method, QStringLiteral("match.method"));
    addField(tr("&Path:"), m_path, QStringLiteral("match.path"));
    addField(tr("&Header:"), header, QStringLiteral("match.header"));
    addField(tr("&Body:"), m_body, QStringLiteral("match.body"));
    addField(tr("&Approvers:"), m_approvers, QStringLiteral("approvers"));
    addField(tr("Appro&vals needed:"), m_approvals, QStringLiteral("approvals"));
    addField(tr("&Timeout:"), m_timeout, QStringLiteral("timeout"));
    addField(QString(), m_justification, QStringLiteral("justification"));
    addField(tr("&Detector:"), m_detector, QStringLiteral("detector"));
    addField(tr("Patter&n:"), m_pattern, QStringLiteral("pattern"));
    addField(tr("&Replace with:"), m_replace, QStringLiteral("replace"));
    addField(tr("&JSON fields:"), m_jsonFields, QStringLiteral("json_fields"));

    m_error->setStyleSheet(QStringLiteral("color: #c0392b;"));
    m_error->setWordWrap(true);
    m_saveButton = m_buttons->button(QDialogButtonBox::Save);
    m_saveButton->setObjectName(QStringLiteral("saveButton"));

    auto *formBox = new QWidget(this);
    auto *formLayout = new QVBoxLayout(formBox);
    formLayout->addLayout(m_form.layout());
    formLayout->addStretch(1);
    formLayout->addWidget(m_error);
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(formBox);
    split->addWidget(m_preview);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(split, 1);
    layout->addWidget(m_buttons);
    resize(1100, 640);

    if (m_editing)
        loadExisting(existing);
    for (QLineEdit *e : {m_name, m_connections, m_groups, m_method, m_path, m_headerName, m_headerValue, m_body,
                         m_approvers, m_timeout, m_pattern, m_replace, m_jsonFields})
        connect(e, &QLineEdit::textChanged, this, &RuleEditor::changed);
    connect(m_approvals, &QSpinBox::valueChanged, this, &RuleEditor::changed);
    connect(m_justification, &QCheckBox::toggled, this, &RuleEditor::changed);
    connect(m_kind, &QComboBox::currentIndexChanged, this, &RuleEditor::updateRows);
    connect(m_detector, &QComboBox::currentIndexChanged, this, &RuleEditor::updateRows);
    connect(m_preview, &RulePreview::draftChecked, this, &RuleEditor::showServerError);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_saveButton, &QPushButton::clicked, this, &RuleEditor::save);
    updateRows();
}

QLabel *RuleEditor::addField(const QString &label, QWidget *field, const QString &key)
{
    auto *hint = new QLabel(this);
    hint->setObjectName(key + QLatin1String("Hint"));
    hint->setStyleSheet(QStringLiteral("color: #c0392b;"));
    hint->setWordWrap(true);
    hint->hide();
    auto *box = new QWidget(this);
    auto *v = new QVBoxLayout(box);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(2);
    v->addWidget(field);
    v->addWidget(hint);
    box->setFocusProxy(field);
    m_form.addRow(label, box);
    m_hints.insert(key, hint);
    return hint;
}

void RuleEditor::loadExisting(const QJsonObject &o)
{
    m_original = o;
    m_name->setText(o.value(QLatin1String("name")).toString());
    m_name->setReadOnly(true);
    m_kind->setCurrentIndex(qMax(0, m_kind->findData(o.value(QLatin1String("kind")).toString())));
    m_connections->setText(joinList(o.value(QLatin1String("connections")), QStringLiteral("*")));
    m_groups->setText(joinList(o.value(QLatin1String("groups")), QStringLiteral("*")));
    const QJsonObject match = o.value(QLatin1String("match")).toObject();
    m_method->setText(match.value(QLatin1String("method")).toString());
    m_path->setText(match.value(QLatin1String("path")).toString());
    m_body->setText(match.value(QLatin1String("body")).toString());
    const QJsonObject headers = match.value(QLatin1String("header")).toObject();
    if (!headers.isEmpty()) {
        m_headerName->setText(headers.constBegin().key());
        m_headerValue->setText(headers.constBegin().value().toString());
    }
    m_approvers->setText(joinList(o.value(QLatin1String("approvers"))));
    m_approvals->setValue(o.value(QLatin1String("approvals")).toInt(1));
    m_timeout->setText(o.value(QLatin1String("timeout")).toString(QStringLiteral("5m")));
    m_justification->setChecked(o.value(QLatin1String("justification")).toBool());
    m_detector->setCurrentIndex(qMax(0, m_detector->findData(o.value(QLatin1String("detector")).toString())));
    m_pattern->setText(o.value(QLatin1String("pattern")).toString());
    m_replace->setText(o.value(QLatin1String("replace")).toString());
    m_jsonFields->setText(joinList(o.value(QLatin1String("json_fields"))));
}

QJsonObject RuleEditor::ruleJson() const
{
    const QString kind = m_kind->currentData().toString();
    QJsonObject o{{QStringLiteral("name"), m_name->text().trimmed()},
                  {QStringLiteral("kind"), kind},
                  {QStringLiteral("connections"), QJsonArray::fromStringList(splitList(m_connections->text()))},
                  {QStringLiteral("groups"), QJsonArray::fromStringList(splitList(m_groups->text()))}};
    if (kind == QLatin1String("mask")) {
        const QString detector = m_detector->currentData().toString();
        if (!detector.isEmpty())
            o.insert(QStringLiteral("detector"), detector);
        else if (!m_pattern->text().isEmpty())
            o.insert(QStringLiteral("pattern"), m_pattern->text());
        if (!m_replace->text().isEmpty())
            o.insert(QStringLiteral("replace"), m_replace->text());
        const QStringList fields = splitList(m_jsonFields->text());
        if (!fields.isEmpty())
            o.insert(QStringLiteral("json_fields"), QJsonArray::fromStringList(fields));
        if (m_original.contains(QLatin1String("columns")))   // PostgreSQL: no field here, kept
            o.insert(QStringLiteral("columns"), m_original.value(QLatin1String("columns")));
        return o;
    }
    QJsonObject match;
    if (!m_method->text().trimmed().isEmpty())
        match.insert(QStringLiteral("method"), m_method->text().trimmed());
    if (!m_path->text().isEmpty())
        match.insert(QStringLiteral("path"), m_path->text());
    if (!m_headerName->text().trimmed().isEmpty())
        match.insert(QStringLiteral("header"), QJsonObject{{m_headerName->text().trimmed(), m_headerValue->text()}});
    if (!m_body->text().isEmpty())
        match.insert(QStringLiteral("body"), m_body->text());
    // PostgreSQL match keys and further headers have no field here: saved as they were.
    const QJsonObject before = m_original.value(QLatin1String("match")).toObject();
    for (const char *key : {"query", "class"})
        if (before.contains(QLatin1String(key)))
            match.insert(QLatin1String(key), before.value(QLatin1String(key)));
    QJsonObject headers = match.value(QLatin1String("header")).toObject();
    const QJsonObject beforeHeaders = before.value(QLatin1String("header")).toObject();
    for (auto it = beforeHeaders.constBegin(); it != beforeHeaders.constEnd(); ++it)
        if (it != beforeHeaders.constBegin() && !headers.contains(it.key()))
            headers.insert(it.key(), it.value());
    if (!headers.isEmpty())
        match.insert(QStringLiteral("header"), headers);
    if (!match.isEmpty())
        o.insert(QStringLiteral("match"), match);
    if (kind == QLatin1String("approve")) {
        o.insert(QStringLiteral("approvers"), QJsonArray::fromStringList(splitList(m_approvers->text())));
        o.insert(QStringLiteral("approvals"), m_approvals->value());
        o.insert(QStringLiteral("timeout"), m_timeout->text().trimmed());
        o.insert(QStringLiteral("justification"), m_justification->isChecked());
    }
    return o;
}

void RuleEditor::updateRows()
{
    const QString kind = m_kind->currentData().toString();
    const bool mask = kind == QLatin1String("mask");
    const bool approve = kind == QLatin1String("approve");
    auto rowOf = [](QWidget *w) { return w->parentWidget(); };   // the field's box with its hint
    for (QWidget *w : {static_cast<QWidget *>(m_method), static_cast<QWidget *>(m_path),
                       m_headerName->parentWidget(), static_cast<QWidget *>(m_body)})
        m_form.setRowVisible(rowOf(w), !mask);
    for (QWidget *w : {static_cast<QWidget *>(m_approvers), static_cast<QWidget *>(m_approvals),
                       static_cast<QWidget *>(m_timeout), static_cast<QWidget *>(m_justification)})
        m_form.setRowVisible(rowOf(w), approve);
    for (QWidget *w : {static_cast<QWidget *>(m_detector), static_cast<QWidget *>(m_replace),
                       static_cast<QWidget *>(m_jsonFields)})
        m_form.setRowVisible(rowOf(w), mask);
    m_form.setRowVisible(rowOf(m_pattern), mask && m_detector->currentData().toString().isEmpty());
    m_preview->setSide(mask ? QStringLiteral("response") : QStringLiteral("request"));
    changed();
}

QString RuleEditor::localProblem()
{
    static const QRegularExpression namePattern(QStringLiteral("^[a-z0-9-]{1,63}$"));
    const QString name = m_name->text().trimmed();
    QString problem = name.isEmpty()                        ? tr("A name is required.")
                    : !namePattern.match(name).hasMatch() ? tr("Use 1 to 63 characters: a-z, 0-9 and -.")
                                                          : QString();
    QLabel *hint = m_hints.value(QStringLiteral("name"));
    if (m_serverKey != QLatin1String("name")) {
        hint->setText(problem);
        hint->setVisible(!problem.isEmpty());
    }
    return problem;
}

void RuleEditor::changed()
{
    localProblem();
    QJsonObject draft = ruleJson();
    // The preview checks everything but the name, which the name field checks itself.
    if (!localProblem().isEmpty())
        draft.insert(QStringLiteral("name"), QStringLiteral("draft"));
    m_saveButton->setEnabled(false);   // until the gateway has checked this draft
    m_preview->setDraft(draft);
}

void RuleEditor::showServerError(const QString &key, const QString &message)
{
    // `rule "x": match.path` -> "match.path"; `json_fields[1]` and `match.header.X` -> their field.
    QString field = key.mid(key.lastIndexOf(QLatin1String("\": ")) + (key.contains(QLatin1String("\": ")) ? 3 : 0));
    field = field.section(QLatin1Char('['), 0, 0);
    if (field.startsWith(QLatin1String("match.header")))
        field = QStringLiteral("match.header");
    if (field.startsWith(QLatin1String("match")) && !m_hints.contains(field) && !message.isEmpty())
        field = QStringLiteral("match.path");
    for (auto it = m_hints.cbegin(); it != m_hints.cend(); ++it) {
        if (it.key() == QLatin1String("name") && m_serverKey != QLatin1String("name"))
            continue;   // the local check owns it
        if (it.key() != field || message.isEmpty())
            it.value()->hide();
    }
    m_serverKey = message.isEmpty() ? QString() : field;
    m_error->clear();
    if (!message.isEmpty()) {
        if (QLabel *hint = m_hints.value(field)) {
            hint->setText(message);
            hint->show();
        } else {
            m_error->setText(message);
        }
    }
    m_saveButton->setEnabled(!m_busy && message.isEmpty() && localProblem().isEmpty());
}

void RuleEditor::save()
{
    const QJsonObject body = ruleJson();
    const QString name = body.value(QLatin1String("name")).toString();
    m_busy = true;
    m_saveButton->setEnabled(false);
    m_error->clear();
    editors::call(m_link, "PUT", QStringLiteral("/api/v1/rules/") + QString::fromLatin1(QUrl::toPercentEncoding(name)), body,
                  this, [this, name](const AdminReply &reply) {
                      m_busy = false;
                      if (!reply.ok()) {
                          m_error->setText(tr("The gateway did not save it: %1").arg(editors::errorOf(reply)));
                          m_saveButton->setEnabled(true);
                          return;
                      }
                      Q_EMIT saved(name);
                      accept();
                  });
}

} // namespace gh
