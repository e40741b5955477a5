#include "masking/Detectors.h"

#include <array>

namespace gh {

namespace {

using Check = Detector::Check;

// Every pattern is ASCII-only and free of capturing groups, so one alternation of all of them can
// tell which fired by one capturing group per rule (MaskPlan). Word boundaries keep a detector
// from starting or ending inside a longer run of digits or letters: that alone removes most false
// positives (a card number inside a 25-digit id, an SSN inside 2024-01-15's neighbours).
const std::array<Detector, 10> kDetectors{{
    // local@domain.tld; no TLD (user@localhost) is not an address worth masking.
    {"email", R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b)", Check::None, "A-Za-z0-9._%+\\-", "@", "A-Za-z0-9._%+@\\-", 6, 0},
    // 13-19 digits, single spaces or dashes between them, starting 2-6 (the card networks' IIN
    // ranges: ISBN-13s start 978/979 and so are never candidates), then Luhn.
    {"credit_card", R"(\b[2-6]\d(?:[ \-]?\d){11,17}\b)", Check::Luhn, "2-6", "", "0-9 \\-", 13, 37},
    // AAA-GG-SSSS with area 001-899 except 666, group 01-99, serial 0001-9999. Dashes required:
    // a bare 9-digit number is far more often an id than an SSN.
    {"us_ssn",
     R"(\b(?:00[1-9]|0[1-9]\d|[1-578]\d\d|6[0-57-9]\d|66[0-57-9])-(?:0[1-9]|[1-9]\d)-(?:000[1-9]|00[1-9]\d|0[1-9]\d\d|[1-9]\d\d\d)\b)",
     Check::None, "0-8", "\\-", "0-9\\-", 11, 11},
    // North American numbers with separators ((555) 123-4567, 555.123.4567, +1 555 123 4567) and
    // international numbers written with a leading + (+44 20 7946 0958). Undelimited digit runs
    // are not phone numbers here: they are ids, amounts and timestamps far more often.
    {"phone",
     R"((?:(?:\+1[ .\-]?)?(?:\([2-9]\d\d\) ?|\b[2-9]\d\d[ .\-])\d{3}[ .\-]\d{4}\b|\+[1-9]\d{0,2}[ .\-]?\(?\d{1,4}\)?(?:[ .\-]?\d{2,4}){2,4}\b))",
     Check::None, "+(2-9", " .+\\-", "0-9 .()+\\-", 7, 0},
    // CCkk then 4-character groups (optionally space-separated), 15-34 characters, then mod-97.
    {"iban", R"(\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b)", Check::Mod97, "A-Z", "", "A-Z0-9 ", 12, 43},
    // Dotted quad with every octet 0-255.
    {"ipv4", R"(\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b)", Check::Ipv4, "0-9", ".", "0-9.", 7, 15},
    // header.payload.signature, base64url, header starting eyJ ('{"'); the signature may be empty
    // (alg "none").
    {"jwt", R"(\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*)", Check::None, "e", ".", "A-Za-z0-9_.\\-", 7, 0},
    {"aws_access_key", R"(\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b)", Check::None, "A", "", "A-Z0-9", 20, 20},
    // A whole PEM block. The body class allows base64, the encrypted-key headers and the "\n"
    // escapes of a key inside a JSON string, so an unterminated BEGIN never runs on through text.
    {"private_key",
     R"(-----BEGIN[A-Z0-9 ]* PRIVATE KEY-----[A-Za-z0-9+/=\s:,\\\-]*?-----END[A-Z0-9 ]* PRIVATE KEY-----)",
     Check::None, "\\-", "\\-", "A-Za-z0-9+/=:,\\\\ \t\n\r\f\v\\-", 52, 0},
    // "Bearer <token68>" with at least 12 token characters, so prose ("the bearer of") stays.
    {"bearer_token", R"((?:Bearer|bearer|BEARER)[ \t]+[A-Za-z0-9\-._~+/]{12,}=*)", Check::BearerToken, "Bb", " \t", "A-Za-z0-9 \t._~+/=\\-", 19, 0},
}};

} // namespace

const Detector *findDetector(QStringView name)
{
    for (const Detector &d : kDetectors)
        if (name == QLatin1String(d.name))
            return &d;
    return nullptr;
}

QList<const Detector *> allDetectors()
{
    QList<const Detector *> out;
    for (const Detector &d : kDetectors)
        out.append(&d);
    return out;
}

bool luhnValid(QByteArrayView digits)
{
    int sum = 0;
    int count = 0;
    bool dbl = false;
    for (qsizetype i = digits.size() - 1; i >= 0; --i) {
        const char c = digits[i];
        if (c == ' ' || c == '-')
            continue;
        if (c < '0' || c > '9')
            return false;
        int d = c - '0';
        if (dbl) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
        dbl = !dbl;
        ++count;
    }
    return count >= 13 && count <= 19 && sum % 10 == 0;
}

bool ibanValid(QByteArrayView iban)
{
    // Compact to at most 34 characters without allocating.
    std::array<char, 34> c{};
    qsizetype n = 0;
    for (char ch : iban) {
        if (ch == ' ')
            continue;
        if (n == qsizetype(c.size()))
            return false;
        c[size_t(n++)] = ch;
    }
    if (n < 15)
        return false;
    // ISO 13616: move the country code and check digits to the end, letters become 10..35, and
    // the resulting number mod 97 must be 1. Computed digit by digit to stay in an int.
    int rem = 0;
    for (qsizetype k = 0; k < n; ++k) {
        const char ch = c[size_t((k + 4) % n)];
        if (ch >= '0' && ch <= '9') {
            rem = (rem * 10 + (ch - '0')) % 97;
        } else if (ch >= 'A' && ch <= 'Z') {
            rem = (rem * 100 + (ch - 'A' + 10)) % 97;
        } else {
            return false;
        }
    }
    return rem == 1;
}

} // namespace gh
