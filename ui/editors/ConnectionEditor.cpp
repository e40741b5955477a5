#include "editors/ConnectionEditor.h"

#include "editors/EditorCall.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QUrl>
#include <QVBoxLayout>

namespace gh {

namespace {

QLabel *hintLabel(QWidget *parent, const QString &name)
{
    auto *l = new QLabel(parent);
    l->setObjectName(name);
    l->setStyleSheet(QStringLiteral("color: #c0392b;"));
    l->setWordWrap(true);
    l->hide();
    return l;
}

void setHint(QLabel *label, const QString &text)
{
    label->setText(text);
    label->setVisible(!text.isEmpty());
}

QStringList splitList(const QString &text)
{
    QStringList out;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString t = part.trimmed();
        if (!t.isEmpty())
            out << t;
    }
    return out;
}

} // namespace

ConnectionEditor::ConnectionEditor(GatewayLink *link, const QJsonObject &existing, QWidget *parent)
    : QDialog(parent)
    , m_link(link)
    , m_editing(!existing.isEmpty())
    , m_form(new QGridLayout)
    , m_name(new QLineEdit(this))
    , m_nameHint(hintLabel(this, QStringLiteral("nameHint")))
    , m_type(new QComboBox(this))
    , m_upstream(new QLineEdit(this))
    , m_upstreamHint(hintLabel(this, QStringLiteral("upstreamHint")))
    , m_groups(new QLineEdit(this))
    , m_groupsHint(hintLabel(this, QStringLiteral("groupsHint")))
    , m_database(new QLineEdit(this))
    , m_caFile(new QLineEdit(this))
    , m_credential(new QComboBox(this))
    , m_header(new QLineEdit(this))
    , m_user(new QLineEdit(this))
    , m_credentialHint(hintLabel(this, QStringLiteral("credentialHint")))
    , m_prefix(new QLineEdit(this))
    , m_source(new QComboBox(this))
    , m_reference(new QLineEdit(this))
    , m_secret(new QLineEdit(this))
    , m_error(hintLabel(this, QStringLiteral("errorLabel")))
    , m_testResult(new QLabel(this))
    , m_testButton(new QPushButton(tr("&Test"), this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(m_editing ? tr("Edit connection") : tr("New connection"));
    m_name->setObjectName(QStringLiteral("nameEdit"));
    m_type->setObjectName(QStringLiteral("typeCombo"));
    m_type->addItem(tr("HTTP"), QStringLiteral("http"));
    m_type->addItem(tr("PostgreSQL"), QStringLiteral("postgres"));
    m_upstream->setObjectName(QStringLiteral("upstreamEdit"));
    m_groups->setObjectName(QStringLiteral("groupsEdit"));
    m_groups->setPlaceholderText(tr("ml-eng, ci-bots"));
    m_database->setObjectName(QStringLiteral("databaseEdit"));
    m_caFile->setObjectName(QStringLiteral("caFileEdit"));
    m_caFile->setPlaceholderText(tr("optional: a CA bundle on the gateway's machine"));
    m_credential->setObjectName(QStringLiteral("credentialCombo"));
    m_credential->addItem(tr("None"));
    m_credential->addItem(tr("Added by the gateway"));
    m_header->setObjectName(QStringLiteral("headerEdit"));
    m_header->setPlaceholderText(QStringLiteral("Authorization"));
    m_user->setObjectName(QStringLiteral("userEdit"));
    m_prefix->setObjectName(QStringLiteral("prefixEdit"));
    m_prefix->setPlaceholderText(tr("text before the value, e.g. \"Bearer \""));
    m_source->setObjectName(QStringLiteral("sourceCombo"));
    m_source->addItem(tr("Environment variable of the gateway"), int(Source::Environment));
    m_source->addItem(tr("File on the gateway's machine"), int(Source::File));
    m_source->addItem(tr("Secret (sealed by the gateway)"), int(Source::Secret));
    m_source->addItem(tr("Template"), int(Source::Template));
    m_reference->setObjectName(QStringLiteral("referenceEdit"));
    m_secret->setObjectName(QStringLiteral("secretEdit"));
    m_secret->setEchoMode(QLineEdit::Password);
    m_testButton->setObjectName(QStringLiteral("testButton"));
    m_testResult->setObjectName(QStringLiteral("testResult"));
    m_testResult->setWordWrap(true);
    m_testResult->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_saveButton = m_buttons->button(QDialogButtonBox::Save);
    m_saveButton->setObjectName(QStringLiteral("saveButton"));

    m_form.addRow(tr("&Name:"), m_name);
    m_form.addRow(QString(), m_nameHint);
    m_form.addRow(tr("T&ype:"), m_type);
    m_form.addRow(tr("&Upstream:"), m_upstream);
    m_form.addRow(QString(), m_upstreamHint);
    m_form.addRow(tr("Allowed &groups:"), m_groups);
    m_form.addRow(QString(), m_groupsHint);
    m_form.addRow(tr("&Database:"), m_database);
    m_form.addRow(tr("CA &file:"), m_caFile);
    m_form.addRow(tr("&Credential:"), m_credential);
    m_form.addRow(tr("&Header:"), m_header);
    m_form.addRow(tr("U&ser:"), m_user);
    m_form.addRow(tr("&Prefix:"), m_prefix);
    m_form.addRow(tr("&Value from:"), m_source);
    m_form.addRow(tr("&Reference:"), m_reference);
    m_form.addRow(tr("S&ecret:"), m_secret);
    m_form.addRow(QString(), m_credentialHint);

    auto *testRow = new QHBoxLayout;
    testRow->addWidget(m_testButton);
    testRow->addWidget(m_testResult, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(m_form.layout());
    layout->addLayout(testRow);
    layout->addWidget(m_error);
    layout->addWidget(m_buttons);

    if (m_editing)
        loadExisting(existing);
    else
        m_upstream->setPlaceholderText(QStringLiteral("http://127.0.0.1:9000"));

    for (QLineEdit *edit : {m_name, m_upstream, m_groups, m_database, m_caFile, m_header, m_user, m_prefix, m_reference, m_secret})
        connect(edit, &QLineEdit::textChanged, this, &ConnectionEditor::validate);
    connect(m_upstream, &QLineEdit::textChanged, this, &ConnectionEditor::updateRows);   // the CA file row
    for (QComboBox *combo : {m_type, m_credential, m_source})
        connect(combo, &QComboBox::currentIndexChanged, this, &ConnectionEditor::updateRows);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_saveButton, &QPushButton::clicked, this, &ConnectionEditor::save);
    connect(m_testButton, &QPushButton::clicked, this, &ConnectionEditor::test);
    updateRows();
}

void ConnectionEditor::loadExisting(const QJsonObject &o)
{
    m_name->setText(o.value(QLatin1String("name")).toString());
    m_name->setReadOnly(true);   // a new name is a new connection
    m_type->setCurrentIndex(qMax(0, m_type->findData(o.value(QLatin1String("type")).toString())));
    m_upstream->setText(o.value(QLatin1String("upstream")).toString());
    QStringList groups;
    for (const QJsonValue &g : o.value(QLatin1String("allow_groups")).toArray())
        groups << g.toString();
    m_groups->setText(groups.join(QLatin1String(", ")));
    m_database->setText(o.value(QLatin1String("database")).toString());
    m_caFile->setText(o.value(QLatin1String("ca_file")).toString());
    const QJsonObject cred = o.value(QLatin1String("credential")).toObject();
    m_header->setText(cred.value(QLatin1String("header")).toString());
    m_user->setText(cred.value(QLatin1String("user")).toString());
    const QString value = cred.value(m_type->currentData() == QLatin1String("postgres") ? QLatin1String("password")
                                                                                         : QLatin1String("value"))
                              .toString();
    m_credential->setCurrentIndex(cred.isEmpty() ? 0 : 1);
    static const QRegularExpression oneRef(QStringLiteral("^([^$]*)\\$\\{(env|file|sealed):([^}]*)\\}$"));
    const auto m = oneRef.match(value);
    if (!m.hasMatch()) {
        m_source->setCurrentIndex(m_source->findData(int(Source::Template)));
        m_reference->setText(value);
        return;
    }
    m_prefix->setText(m.captured(1));
    const QString kind = m.captured(2);
    if (kind == QLatin1String("sealed")) {
        // The stored secret is never shown; left empty it stays as it is.
        m_storedSecret = QStringLiteral("${sealed:") + m.captured(3) + QLatin1Char('}');
        m_source->setCurrentIndex(m_source->findData(int(Source::Secret)));
        m_secret->setPlaceholderText(tr("unchanged (sealed on the gateway)"));
    } else {
        m_source->setCurrentIndex(m_source->findData(int(kind == QLatin1String("env") ? Source::Environment : Source::File)));
        m_reference->setText(m.captured(3));
    }
}

void ConnectionEditor::updateRows()
{
    const bool postgres = m_type->currentData() == QLatin1String("postgres");
    const bool withCredential = m_credential->currentIndex() == 1;
    const auto source = Source(m_source->currentData().toInt());
    m_form.setRowVisible(m_database, postgres);
    m_form.setRowVisible(m_caFile, m_upstream->text().trimmed().startsWith(QLatin1String("https:"), Qt::CaseInsensitive)
                                        || !m_caFile->text().isEmpty());
    m_form.setRowVisible(m_header, withCredential && !postgres);
    m_form.setRowVisible(m_user, withCredential && postgres);
    m_form.setRowVisible(m_prefix, withCredential && !postgres && source != Source::Template);
    m_form.setRowVisible(m_source, withCredential);
    m_form.setRowVisible(m_reference, withCredential && source != Source::Secret);
    m_form.setRowVisible(m_secret, withCredential && source == Source::Secret);
    m_reference->setPlaceholderText(source == Source::Environment ? QStringLiteral("LLM_API_KEY")
                                    : source == Source::File      ? QStringLiteral("/etc/gatehouse/llm.key")
                                                                  : QStringLiteral("Bearer ${env:LLM_API_KEY}"));
    if (!m_editing)
        m_upstream->setPlaceholderText(postgres ? QStringLiteral("postgres://127.0.0.1:5432")
                                                : QStringLiteral("http://127.0.0.1:9000"));
    validate();
}

QString ConnectionEditor::credentialTemplate() const
{
    const QString prefix = m_type->currentData() == QLatin1String("postgres") ? QString() : m_prefix->text();
    switch (Source(m_source->currentData().toInt())) {
    case Source::Environment:
        return prefix + QStringLiteral("${env:") + m_reference->text().trimmed() + QLatin1Char('}');
    case Source::File:
        return prefix + QStringLiteral("${file:") + m_reference->text().trimmed() + QLatin1Char('}');
    case Source::Secret:
        // A literal is sealed by the gateway; an untouched field keeps the sealed value it has.
        return m_secret->text().isEmpty() && !m_storedSecret.isEmpty() ? prefix + m_storedSecret : prefix + m_secret->text();
    case Source::Template:
        return m_reference->text();
    }
    return {};
}

QJsonObject ConnectionEditor::connectionJson() const
{
    const bool postgres = m_type->currentData() == QLatin1String("postgres");
    QJsonObject o{{QStringLiteral("name"), m_name->text().trimmed()},
                  {QStringLiteral("type"), m_type->currentData().toString()},
                  {QStringLiteral("upstream"), m_upstream->text().trimmed()},
                  {QStringLiteral("allow_groups"), QJsonArray::fromStringList(splitList(m_groups->text()))}};
    if (postgres && !m_database->text().trimmed().isEmpty())
        o.insert(QStringLiteral("database"), m_database->text().trimmed());
    if (!m_caFile->text().trimmed().isEmpty())
        o.insert(QStringLiteral("ca_file"), m_caFile->text().trimmed());
    if (m_credential->currentIndex() == 1) {
        QJsonObject cred;
        if (postgres) {
            cred.insert(QStringLiteral("user"), m_user->text().trimmed());
            const QString password = credentialTemplate();
            if (!password.isEmpty())
                cred.insert(QStringLiteral("password"), password);
        } else {
            cred.insert(QStringLiteral("header"), m_header->text().trimmed());
            cred.insert(QStringLiteral("value"), credentialTemplate());
        }
        o.insert(QStringLiteral("credential"), cred);
    }
    return o;
}

QString ConnectionEditor::firstProblem() const
{
    for (QLabel *hint : {m_nameHint, m_upstreamHint, m_groupsHint, m_credentialHint})
        if (!hint->text().isEmpty())
            return hint->text();
    return {};
}

void ConnectionEditor::validate()
{
    // The same rules the gateway applies (core/Resources validate()), so Save only sends what it takes.
    static const QRegularExpression namePattern(QStringLiteral("^[a-z0-9-]{1,63}$"));
    static const QRegularExpression envName(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
    static const QRegularExpression groupPattern(QStringLiteral("^[A-Za-z0-9_.\\-/:@*?]+$"));
    static const QRegularExpression headerToken(QStringLiteral("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"));
    const bool postgres = m_type->currentData() == QLatin1String("postgres");

    const QString name = m_name->text().trimmed();
    setHint(m_nameHint, name.isEmpty()                       ? tr("A name is required.")
                        : !namePattern.match(name).hasMatch() ? tr("Use 1 to 63 characters: a-z, 0-9 and -.")
                                                              : QString());

    QString upstreamProblem;
    const QString upstream = m_upstream->text().trimmed();
    const QUrl url(upstream, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (upstream.isEmpty())
        upstreamProblem = tr("An upstream URL is required.");
    else if (!url.isValid() || url.host().isEmpty())
        upstreamProblem = tr("Not a URL with a host, e.g. %1.")
                              .arg(postgres ? QStringLiteral("postgres://db:5432") : QStringLiteral("https://api.example.com"));
    else if (!postgres && scheme != QLatin1String("http") && scheme != QLatin1String("https"))
        upstreamProblem = tr("An HTTP connection needs an http:// or https:// upstream.");
    else if (postgres && scheme != QLatin1String("postgres") && scheme != QLatin1String("postgresql"))
        upstreamProblem = tr("A PostgreSQL connection needs a postgres:// upstream.");
    else if (!url.userInfo().isEmpty())
        upstreamProblem = tr("Credentials do not belong in the URL; use the credential below.");
    else if (url.hasQuery() || url.hasFragment())
        upstreamProblem = tr("The URL must not have a query or fragment.");
    else if (!m_caFile->text().trimmed().isEmpty() && scheme != QLatin1String("https"))
        upstreamProblem = tr("Only https upstreams are verified against a CA file.");
    else if (postgres && !url.path().isEmpty() && url.path() != QLatin1String("/"))
        upstreamProblem = tr("A PostgreSQL upstream takes no path; set the database instead.");
    setHint(m_upstreamHint, upstreamProblem);

    QString groupsProblem;
    for (const QString &g : splitList(m_groups->text()))
        if (!groupPattern.match(g).hasMatch())
            groupsProblem = tr("\"%1\" is not a group: use letters, digits and _ . - / : @ * ?, and commas between groups.").arg(g);
    setHint(m_groupsHint, groupsProblem);

    QString credentialProblem;
    if (m_credential->currentIndex() == 1) {
        const auto source = Source(m_source->currentData().toInt());
        if (!postgres && m_header->text().trimmed().isEmpty())
            credentialProblem = tr("Name the header the gateway adds, e.g. Authorization.");
        else if (!postgres && !headerToken.match(m_header->text().trimmed()).hasMatch())
            credentialProblem = tr("\"%1\" is not a valid HTTP header name.").arg(m_header->text().trimmed());
        else if (postgres && m_user->text().trimmed().isEmpty())
            credentialProblem = tr("Name the database user the gateway logs in as.");
        else if (source == Source::Environment && !envName.match(m_reference->text().trimmed()).hasMatch())
            credentialProblem = tr("Give the name of an environment variable of the gateway (letters, digits, _).");
        else if (source == Source::File && !m_reference->text().trimmed().startsWith(QLatin1Char('/')))
            credentialProblem = tr("Give an absolute path to a file on the gateway's machine.");
        else if (source == Source::Secret && m_secret->text().isEmpty() && m_storedSecret.isEmpty())
            credentialProblem = tr("Type the secret; the gateway seals it and never shows it again.");
        else if (source == Source::Template && m_reference->text().trimmed().isEmpty())
            credentialProblem = tr("Write the value, e.g. Bearer ${env:LLM_API_KEY}.");
    }
    setHint(m_credentialHint, credentialProblem);
    m_saveButton->setEnabled(!m_busy && firstProblem().isEmpty());
    m_testButton->setEnabled(!m_busy && m_upstreamHint->text().isEmpty());
}

void ConnectionEditor::setBusy(bool busy)
{
    m_busy = busy;
    validate();
}

void ConnectionEditor::save()
{
    if (!firstProblem().isEmpty())
        return;
    const QJsonObject body = connectionJson();
    const QString name = body.value(QLatin1String("name")).toString();
    setHint(m_error, QString());
    setBusy(true);
    editors::call(m_link, "PUT", QStringLiteral("/api/v1/connections/") + QString::fromLatin1(QUrl::toPercentEncoding(name)),
                  body, this, [this, name](const AdminReply &reply) {
                      setBusy(false);
                      if (!reply.ok()) {
                          setHint(m_error, tr("The gateway did not save it: %1").arg(editors::errorOf(reply)));
                          return;
                      }
                      Q_EMIT saved(name);
                      accept();
                  });
}

void ConnectionEditor::test()
{
    QJsonObject body = connectionJson();
    if (body.value(QLatin1String("name")).toString().isEmpty() || !m_nameHint->text().isEmpty())
        body.remove(QStringLiteral("name"));
    m_testResult->setText(tr("Testing…"));
    m_testButton->setEnabled(false);
    editors::call(m_link, "POST", QStringLiteral("/api/v1/connections/test"), body, this, [this](const AdminReply &reply) {
        m_testButton->setEnabled(!m_busy);
        if (!reply.ok()) {
            m_testResult->setText(tr("Test failed: %1").arg(editors::errorOf(reply)));
            return;
        }
        const QJsonObject r = reply.json.object();
        const QString credential = r.value(QLatin1String("credential")).toString();
        QString message = r.value(QLatin1String("message")).toString();
        while (message.endsWith(QLatin1Char('.')))   // the sentences below end it themselves
            message.chop(1);
        const int latency = r.value(QLatin1String("latency_ms")).toInt();
        QString text = r.value(QLatin1String("ok")).toBool() ? tr("OK: %1 (%2 ms).").arg(message).arg(latency)
                     : r.value(QLatin1String("reachable")).toBool()
                         ? tr("Reached, but: %1 (%2 ms).").arg(message).arg(latency)
                         : tr("Not reachable: %1.").arg(message);
        if (credential.startsWith(QLatin1String("missing")))
            text += QLatin1Char(' ') + tr("Credential: %1").arg(credential.mid(9));
        else if (credential == QLatin1String("resolved"))
            text += QLatin1Char(' ') + tr("Credential: resolves.");
        m_testResult->setText(text);
    });
}

} // namespace gh
