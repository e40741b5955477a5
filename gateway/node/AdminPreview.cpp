#include "node/AdminPreview.h"

#include "core/Resources.h"
#include "masking/JsonFieldMasker.h"
#include "masking/MaskPlan.h"
#include "policy/PolicyPlan.h"
#include "proxy/ResponseMasker.h"
#include "recording/Store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <vector>

namespace gh {

namespace {

// utf16[i] = UTF-16 code units before byte i of `utf8`: the offsets a QTextEdit (and JavaScript)
// counts in. One pass; an offset inside a multi-byte character maps to just after it starts.
std::vector<qint64> utf16Offsets(QByteArrayView utf8)
{
    std::vector<qint64> out(size_t(utf8.size()) + 1);
    qint64 units = 0;
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        out[size_t(i)] = units;
        const auto b = uchar(utf8[i]);
        if ((b & 0xC0) != 0x80)
            units += b >= 0xF0 ? 2 : 1;
    }
    out[size_t(utf8.size())] = units;
    return out;
}

qint64 at(const std::vector<qint64> &map, qint64 byte)
{
    return map[size_t(std::clamp<qint64>(byte, 0, qint64(map.size()) - 1))];
}

void invalid(const HttpResponder &res, const QString &message, const QString &key = {})
{
    QJsonObject e{{QStringLiteral("error"), QStringLiteral("invalid")}, {QStringLiteral("message"), message}};
    if (!key.isEmpty())
        e.insert(QStringLiteral("key"), key);
    res.sendJson(400, e);
}

} // namespace

void AdminPreview::handle(const HttpRequest &req, const HttpResponder &res, Store &store)
{
    if (req.method != "POST")
        return res.sendError(405, "method_not_allowed", QStringLiteral("use POST /api/v1/preview"));
    // The body carries the sample JSON-escaped: allow for escaping on top of the sample bound.
    if (req.body.size() > 6 * kMaxSampleBytes + 64 * 1024)
        return res.sendError(413, "too_large", QStringLiteral("the preview takes samples of at most %1 bytes").arg(kMaxSampleBytes));
    QJsonParseError perr{};
    const QJsonDocument doc = QJsonDocument::fromJson(req.body, &perr);
    if (perr.error != QJsonParseError::NoError || !doc.isObject())
        return res.sendError(400, "bad_request", QStringLiteral("the body must be a JSON object"));
    const QJsonObject o = doc.object();

    const QString side = o.value(QStringLiteral("side")).toString(QStringLiteral("response"));
    if (side != QLatin1String("request") && side != QLatin1String("response"))
        return invalid(res, QStringLiteral("side: \"request\" or \"response\""), QStringLiteral("side"));
    const QJsonValue sampleValue = o.value(QStringLiteral("sample"));
    if (!sampleValue.isObject())
        return invalid(res, QStringLiteral("sample: an object {method, path, headers, body} is required"),
                       QStringLiteral("sample"));
    const QJsonObject sample = sampleValue.toObject();
    const QByteArray body = sample.value(QStringLiteral("body")).toString().toUtf8();
    if (body.size() > kMaxSampleBytes)
        return res.sendError(413, "too_large", QStringLiteral("sample.body: at most %1 bytes (this one has %2)")
                                                   .arg(kMaxSampleBytes)
                                                   .arg(body.size()));
    const QByteArray method = sample.value(QStringLiteral("method")).toString(QStringLiteral("GET")).toUtf8();
    const QByteArray path = sample.value(QStringLiteral("path")).toString(QStringLiteral("/")).toUtf8();
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray contentType;
    const QJsonObject headerObject = sample.value(QStringLiteral("headers")).toObject();
    for (auto it = headerObject.constBegin(); it != headerObject.constEnd(); ++it) {
        if (!it.value().isString())
            return invalid(res, QStringLiteral("sample.headers: every value must be a string"), QStringLiteral("sample.headers"));
        headers.append({it.key().toLatin1(), it.value().toString().toUtf8()});
        if (it.key().compare(QLatin1String("content-type"), Qt::CaseInsensitive) == 0)
            contentType = headers.back().second;
    }

    // The rule set: the stored rules in their order, with the draft in place of its stored
    // namesake (or last when it is new).
    QList<Rule> rules;
    if (o.value(QStringLiteral("use_stored_rules")).toBool(true)) {
        auto set = store.resources();
        if (!set)
            return res.sendError(503, "store_unavailable", QStringLiteral("the store failed: %1").arg(set.error().message));
        rules = set->rules;
    }
    const QJsonValue draftValue = o.value(QStringLiteral("rule"));
    if (!draftValue.isUndefined() && !draftValue.isNull()) {
        if (!draftValue.isObject())
            return invalid(res, QStringLiteral("rule: must be a rule object"), QStringLiteral("rule"));
        auto draft = ruleFromJson(draftValue.toObject());
        if (!draft)
            return invalid(res, draft.error().message, draft.error().key);
        auto same = std::find_if(rules.begin(), rules.end(), [&](const Rule &r) { return r.name == draft->name; });
        if (same != rules.end())
            *same = *draft;
        else
            rules.append(*draft);
    }

    // Without a connection every rule is considered; without groups, every rule's groups admit the caller.
    QString connection = o.value(QStringLiteral("connection")).toString();
    const QJsonValue groupsValue = o.value(QStringLiteral("groups"));
    QStringList groups;
    for (const QJsonValue &g : groupsValue.toArray())
        groups << g.toString();
    for (Rule &r : rules) {
        if (connection.isEmpty())
            r.connections = {QStringLiteral("*")};
        if (!groupsValue.isArray())
            r.groups = {QStringLiteral("*")};
    }
    if (connection.isEmpty())
        connection = QStringLiteral("preview");

    auto plan = PolicyPlan::build(connection, rules);
    if (!plan)
        return invalid(res, plan.error().message, plan.error().key);

    QJsonObject out{{QStringLiteral("side"), side}, {QStringLiteral("offsets"), QStringLiteral("utf16")}};
    if (side == QLatin1String("request")) {
        const HttpRequestView view{method, path, &headers, body};
        QJsonObject decision{{QStringLiteral("action"), QStringLiteral("allow")}};
        if (const Rule *deny = (*plan)->denied(view, groups)) {
            decision = {{QStringLiteral("action"), QStringLiteral("deny")}, {QStringLiteral("rule"), deny->name}};
        } else if (const auto held = (*plan)->approvalsNeeded(view, groups); !held.isEmpty()) {
            QJsonArray names;
            QStringList approvers;
            for (const Rule *r : held) {
                names.append(r->name);
                for (const QString &a : r->approvers)
                    if (!approvers.contains(a))
                        approvers << a;
            }
            decision = {{QStringLiteral("action"), QStringLiteral("approve")},
                        {QStringLiteral("rule"), held.first()->name},
                        {QStringLiteral("rules"), names},
                        {QStringLiteral("approvers"), QJsonArray::fromStringList(approvers)}};
        }
        out.insert(QStringLiteral("decision"), decision);
    } else {
        out.insert(QStringLiteral("decision"), QJsonValue::Null);
    }

    const MaskSelection selection = (*plan)->maskRules(groups);
    QJsonArray applied;
    for (const Rule &r : selection.rules)
        applied.append(r.name);
    out.insert(QStringLiteral("mask_rules"), applied);

    MaskResult masked{body, {}};
    QString mode = QStringLiteral("text");
    if (!selection.rules.isEmpty()) {
        auto maskPlan = MaskPlan::compile(selection.rules);
        if (!maskPlan)
            return invalid(res, maskPlan.error().message, maskPlan.error().key);
        if (side == QLatin1String("response") && ResponseMasker::isJsonType(contentType)) {
            // As ResponseMasker does: a JSON answer is masked on its decoded strings; with a
            // json_fields rule it must be valid JSON, without one it falls back to raw masking.
            mode = QStringLiteral("json");
            const JsonFieldMasker json(*maskPlan, kMaxSampleBytes);
            if ((*maskPlan)->hasJsonFields()) {
                auto r = json.mask(body);
                if (!r) {
                    // The proxy would refuse this response 502 unmaskable rather than pass it on.
                    out.insert(QStringLiteral("mask_error"), r.error().message);
                } else {
                    masked = std::move(*r);
                }
            } else if (auto r = json.maskBody(body); r) {
                masked = std::move(*r);
            } else {
                mode = QStringLiteral("text");
                masked = (*maskPlan)->maskBuffer(body);
            }
        } else {
            masked = (*maskPlan)->maskBuffer(body);
        }
    }
    out.insert(QStringLiteral("mode"), mode);

    const std::vector<qint64> in16 = utf16Offsets(body);
    const std::vector<qint64> out16 = utf16Offsets(masked.data);
    QJsonArray matches;
    for (const MaskHit &h : masked.hits) {
        // A custom pattern found across the JSON syntax after the strings were masked has no
        // place in the sample: null there.
        const bool placed = h.inputOffset >= 0;
        auto inSample = [&](qint64 v) { return placed ? QJsonValue(double(v)) : QJsonValue(QJsonValue::Null); };
        matches.append(QJsonObject{
            {QStringLiteral("rule"), h.rule},
            {QStringLiteral("detector"), h.detector},
            {QStringLiteral("start"), inSample(at(in16, h.inputOffset))},
            {QStringLiteral("end"), inSample(at(in16, h.inputOffset + h.inputLength))},
            {QStringLiteral("byte_start"), inSample(h.inputOffset)},
            {QStringLiteral("byte_end"), inSample(h.inputOffset + h.inputLength)},
            {QStringLiteral("masked_start"), double(at(out16, h.offset))},
            {QStringLiteral("masked_end"), double(at(out16, h.offset + h.length))},
        });
    }
    out.insert(QStringLiteral("matches"), matches);
    out.insert(QStringLiteral("masked_body"), QString::fromUtf8(masked.data));
    res.sendJson(200, out);
}

} // namespace gh
