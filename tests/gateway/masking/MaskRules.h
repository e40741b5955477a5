// Rules the masking tests build plans from, as a resource file would give them.
#pragma once

#include "core/Resources.h"
#include "masking/MaskPlan.h"

#include <QTest>

namespace masktest {

inline gh::Rule detectorRule(const QString &detector, const QString &replace = {}, const QStringList &jsonFields = {})
{
    gh::Rule r;
    r.name = QStringLiteral("mask-") + QString(detector).replace(QLatin1Char('_'), QLatin1Char('-'));
    r.kind = QStringLiteral("mask");
    r.detector = detector;
    r.replace = replace;
    r.jsonFields = jsonFields;
    return r;
}

inline gh::Rule patternRule(const QString &name, const QString &pattern, const QString &replace = {})
{
    gh::Rule r;
    r.name = name;
    r.kind = QStringLiteral("mask");
    r.pattern = pattern;
    r.replace = replace;
    return r;
}

// Every built-in detector as one rule each, in builtinDetectorNames() order.
inline QList<gh::Rule> allDetectorRules()
{
    QList<gh::Rule> rules;
    for (const QString &d : gh::builtinDetectorNames())
        rules.append(detectorRule(d));
    return rules;
}

inline std::shared_ptr<const gh::MaskPlan> compileOrFail(const QList<gh::Rule> &rules)
{
    auto plan = gh::MaskPlan::compile(rules);
    if (!plan) {
        qWarning("%s", qPrintable(plan.error().toString()));
        return {};
    }
    return *plan;
}

inline const QByteArray kPem = QByteArrayLiteral(
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
    "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQJAIJLixBy2qpFoS4DSmoEm\n"
    "o3qGy0t6z09AIJtH+5OeRV1be+N4cDYJKffGzDa88vQENZiRm0GRq6a+HPGQMd2k\n"
    "-----END RSA PRIVATE KEY-----");

} // namespace masktest
