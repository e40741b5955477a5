#include "identity/OidcProvider.h"

#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>

namespace gh {

Q_LOGGING_CATEGORY(lcOidc, "gatehouse.identity.oidc")

namespace {

bool isLoopbackHost(const QString &host)
{
    if (host == QLatin1String("localhost"))
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

} // namespace

OidcProvider::OidcProvider(OidcProviderConfig config, const Clock &clock, QObject *parent)
    : QObject(parent), m_config(std::move(config)), m_clock(clock)
{
}

OidcProvider::~OidcProvider()
{
    if (m_reply)
        m_reply->abort();
}

JwtPolicy OidcProvider::policy() const
{
    JwtPolicy p;
    p.issuer = m_config.issuer;
    p.audience = m_config.audience;
    if (!m_config.groupsClaim.isEmpty())
        p.groupsClaim = m_config.groupsClaim;
    return p;
}

JwkSet OidcProvider::keys() const
{
    QReadLocker lock(&m_lock);
    return m_keys;   // implicitly shared: a cheap copy
}

QString OidcProvider::lastError() const
{
    QReadLocker lock(&m_lock);
    return m_lastError;
}

void OidcProvider::setKeys(const JwkSet &keys)
{
    QWriteLocker lock(&m_lock);
    m_keys = keys;
    m_lastError.clear();
}

void OidcProvider::setError(const QString &error)
{
    {
        QWriteLocker lock(&m_lock);
        m_lastError = error;
    }
    qCWarning(lcOidc, "%s", qUtf8Printable(error));
}

Status OidcProvider::start()
{
    const QString where = QStringLiteral("identity.oidc \"%1\"").arg(m_config.issuer);
    if (m_config.issuer.isEmpty())
        return Error(QStringLiteral("issuer is required"), QString(), 0, QStringLiteral("identity.oidc.issuer"));
    if (m_config.audience.isEmpty())
        return Error(QStringLiteral("audience is required"), QString(), 0, where + QStringLiteral(".audience"));
    if (m_config.jwksFile.isEmpty() == m_config.jwksUrl.isEmpty())
        return Error(QStringLiteral("set exactly one of jwks_file and jwks_url"), QString(), 0, where);

    if (!m_config.jwksFile.isEmpty()) {
        if (auto st = loadFile(); !st)
            return st;
        return {};
    }

    m_url = QUrl(m_config.jwksUrl, QUrl::StrictMode);
    const QString scheme = m_url.scheme();
    if (!m_url.isValid() || m_url.host().isEmpty()
        || (scheme != QLatin1String("https") && scheme != QLatin1String("http")))
        return Error(QStringLiteral("jwks_url is not an http(s) URL"), QString(), 0, where + QStringLiteral(".jwks_url"));
    // Keys fetched in clear text could be swapped by anyone on the path.
    if (scheme == QLatin1String("http") && !isLoopbackHost(m_url.host()))
        return Error(QStringLiteral("jwks_url must use https (plain http only to a loopback address)"), QString(), 0,
                     where + QStringLiteral(".jwks_url"));

    m_network = new QNetworkAccessManager(this);
    m_periodic = new QTimer(this);
    m_periodic->setInterval(std::chrono::duration_cast<std::chrono::milliseconds>(kPeriodicRefresh));
    connect(m_periodic, &QTimer::timeout, this, [this] {
        if (!m_reply)
            startFetch();
    });
    m_periodic->start();
    startFetch();
    return {};
}

Status OidcProvider::loadFile()
{
    const QFileInfo info(m_config.jwksFile);
    QFile file(m_config.jwksFile);
    if (!file.open(QIODevice::ReadOnly))
        return Error(QStringLiteral("cannot read JWKS: %1").arg(file.errorString()), m_config.jwksFile, 0, QString());
    if (file.size() > kMaxJwksBytes)
        return Error(QStringLiteral("JWKS is larger than 1 MiB"), m_config.jwksFile, 0, QString());
    const QByteArray json = file.read(kMaxJwksBytes + 1);
    auto parsed = JwkSet::fromJson(json);
    if (!parsed)
        return Error(parsed.error().message, m_config.jwksFile, 0, parsed.error().key);
    m_fileMtime = info.lastModified();
    m_fileSize = info.size();
    setKeys(parsed.value());
    return {};
}

void OidcProvider::refreshForUnknownKey()
{
    if (!m_config.jwksFile.isEmpty()) {
        const QFileInfo info(m_config.jwksFile);
        bool changed = false;
        if (info.exists() && (info.lastModified() != m_fileMtime || info.size() != m_fileSize)) {
            if (auto st = loadFile(); st.ok())
                changed = true;
            else
                setError(st.error().toString());   // keep serving the keys we had
        }
        emit refreshFinished(changed);
        return;
    }
    if (!m_network) {   // not started, or not a URL source
        emit refreshFinished(false);
        return;
    }
    if (m_reply)
        return;   // the fetch in flight will report
    const QDateTime now = m_clock.now();
    if (m_lastFetchStarted.isValid()
        && m_lastFetchStarted.secsTo(now) < qint64(kMinRefreshInterval.count()) && now >= m_lastFetchStarted) {
        emit refreshFinished(false);
        return;
    }
    startFetch();
}

void OidcProvider::startFetch()
{
    m_lastFetchStarted = m_clock.now();
    m_replyTooLarge = false;
    QNetworkRequest request(m_url);
    request.setTransferTimeout(int(std::chrono::duration_cast<std::chrono::milliseconds>(kFetchTimeout).count()));
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    request.setRawHeader("Accept", "application/jwk-set+json, application/json");
    QNetworkReply *reply = m_network->get(request);
    m_reply = reply;
    // Stop reading as soon as the body exceeds the limit, whatever Content-Length claimed.
    connect(reply, &QNetworkReply::downloadProgress, this, [this, reply](qint64 received, qint64 total) {
        if (received > kMaxJwksBytes || total > kMaxJwksBytes) {
            m_replyTooLarge = true;
            reply->abort();
        }
    });
    connect(reply, &QNetworkReply::finished, this, &OidcProvider::onFetchFinished);
}

void OidcProvider::onFetchFinished()
{
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    if (!reply)
        return;
    reply->deleteLater();
    const QString source = m_url.toDisplayString(QUrl::RemoveUserInfo | QUrl::RemoveQuery);
    bool changed = false;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (m_replyTooLarge) {
        setError(QStringLiteral("JWKS from %1 is larger than 1 MiB").arg(source));
    } else if (status != 0 && status != 200) {
        setError(QStringLiteral("cannot fetch JWKS from %1: HTTP %2").arg(source).arg(status));
    } else if (reply->error() != QNetworkReply::NoError) {
        setError(QStringLiteral("cannot fetch JWKS from %1: %2").arg(source, reply->errorString()));
    } else {
        auto parsed = JwkSet::fromJson(reply->read(kMaxJwksBytes + 1));
        if (!parsed) {
            setError(QStringLiteral("JWKS from %1 is invalid: %2").arg(source, parsed.error().toString()));
        } else {
            setKeys(parsed.value());
            changed = true;
        }
    }
    emit refreshFinished(changed);
}

} // namespace gh
