<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>gh::ApprovalNotifier</name>
    <message>
        <source>%1 asks to use %2</source>
        <translation>%1 möchte %2 nutzen</translation>
    </message>
    <message>
        <source>%1 %2 (rule %3), %4 left</source>
        <translation>%1 %2 (Regel %3), noch %4</translation>
    </message>
    <message>
        <source>Justification: %1</source>
        <translation>Begründung: %1</translation>
    </message>
    <message>
        <source>Approve</source>
        <translation>Freigeben</translation>
    </message>
    <message>
        <source>Deny</source>
        <translation>Ablehnen</translation>
    </message>
</context>
<context>
    <name>gh::ApprovalsModel</name>
    <message>
        <source>not connected to a gateway</source>
        <translation>nicht mit einem Gateway verbunden</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>unbegrenzt</translation>
    </message>
    <message>
        <source>expiring</source>
        <translation>läuft ab</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message>
        <source>%1:%2</source>
        <translation>%1:%2</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <source>Requester</source>
        <translation>Anfragende Person</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <source>Request</source>
        <translation>Anfrage</translation>
    </message>
    <message>
        <source>Rule</source>
        <translation>Regel</translation>
    </message>
    <message>
        <source>Approvals</source>
        <translation>Freigaben</translation>
    </message>
    <message>
        <source>Time left</source>
        <translation>Verbleibende Zeit</translation>
    </message>
</context>
<context>
    <name>gh::ApprovalsPage</name>
    <message>
        <source>&amp;Deny…</source>
        <translation>&amp;Ablehnen…</translation>
    </message>
    <message>
        <source>&amp;Revoke grant…</source>
        <translation>Befristete Freigabe &amp;widerrufen…</translation>
    </message>
    <message>
        <source>(no body)</source>
        <translation>(kein Inhalt)</translation>
    </message>
    <message>
        <source>Approve &amp;once</source>
        <translation>&amp;Einmal freigeben</translation>
    </message>
    <message>
        <source>Approve for &amp;15 minutes</source>
        <translation>Für &amp;15 Minuten freigeben</translation>
    </message>
    <message>
        <source>Approve for 1 &amp;hour</source>
        <translation>Für 1 &amp;Stunde freigeben</translation>
    </message>
    <message>
        <source>Approve for &amp;a time of your choice…</source>
        <translation>Für eine &amp;gewählte Dauer freigeben…</translation>
    </message>
    <message>
        <source>A&amp;pprove</source>
        <translation>Frei&amp;geben</translation>
    </message>
    <message>
        <source>Who:</source>
        <translation>Wer:</translation>
    </message>
    <message>
        <source>Connection:</source>
        <translation>Verbindung:</translation>
    </message>
    <message>
        <source>Rule:</source>
        <translation>Regel:</translation>
    </message>
    <message>
        <source>Request:</source>
        <translation>Anfrage:</translation>
    </message>
    <message>
        <source>Body (masked):</source>
        <translation>Inhalt (maskiert):</translation>
    </message>
    <message>
        <source>Justification:</source>
        <translation>Begründung:</translation>
    </message>
    <message>
        <source>Approvals:</source>
        <translation>Freigaben:</translation>
    </message>
    <message>
        <source>Time left:</source>
        <translation>Verbleibende Zeit:</translation>
    </message>
    <message>
        <source>No time-boxed grants are running.</source>
        <translation>Keine befristete Freigabe läuft.</translation>
    </message>
    <message numerus="yes">
        <source>%n time-boxed grant(s) running.</source>
        <translation>
            <numerusform>%n befristete Freigabe läuft.</numerusform>
            <numerusform>%n befristete Freigaben laufen.</numerusform>
        </translation>
    </message>
    <message>
        <source>No requests are waiting for a decision.</source>
        <translation>Keine Anfrage wartet auf eine Entscheidung.</translation>
    </message>
    <message numerus="yes">
        <source>%n request(s) waiting for a decision.</source>
        <translation>
            <numerusform>%n Anfrage wartet auf eine Entscheidung.</numerusform>
            <numerusform>%n Anfragen warten auf eine Entscheidung.</numerusform>
        </translation>
    </message>
    <message>
        <source>Could not load the approvals: %1</source>
        <translation>Die Freigaben konnten nicht geladen werden: %1</translation>
    </message>
    <message>
        <source>%1 (groups: %2)</source>
        <translation>%1 (Gruppen: %2)</translation>
    </message>
    <message>
        <source>(none given)</source>
        <translation>(keine angegeben)</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>Wird gesendet…</translation>
    </message>
    <message>
        <source>Approve for a while</source>
        <translation>Für eine Weile freigeben</translation>
    </message>
    <message>
        <source>Let this requester&apos;s matching requests through for (for example 30m or 4h, at most 24h):</source>
        <translation>Passende Anfragen dieser Person durchlassen für (zum Beispiel 30m oder 4h, höchstens 24h):</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a duration; write it like 30m or 4h.</source>
        <translation>„%1“ ist keine Dauer; schreiben Sie sie etwa als 30m oder 4h.</translation>
    </message>
    <message>
        <source>Deny request</source>
        <translation>Anfrage ablehnen</translation>
    </message>
    <message>
        <source>Why is it denied? The requester sees this.</source>
        <translation>Warum wird sie abgelehnt? Die anfragende Person sieht diese Begründung.</translation>
    </message>
    <message>
        <source>Revoke grant</source>
        <translation>Befristete Freigabe widerrufen</translation>
    </message>
    <message>
        <source>End %1&apos;s grant now? Their next matching request waits for a decision again. Why:</source>
        <translation>Die befristete Freigabe für %1 jetzt beenden? Die nächste passende Anfrage wartet dann wieder auf eine Entscheidung. Begründung:</translation>
    </message>
    <message>
        <source>%1&apos;s grant is revoked.</source>
        <translation>Die befristete Freigabe für %1 ist widerrufen.</translation>
    </message>
    <message>
        <source>That grant is no longer running.</source>
        <translation>Diese befristete Freigabe läuft nicht mehr.</translation>
    </message>
    <message>
        <source>Approved; more approvers are needed.</source>
        <translation>Freigegeben; weitere Freigaben sind nötig.</translation>
    </message>
    <message>
        <source>Denied.</source>
        <translation>Abgelehnt.</translation>
    </message>
    <message>
        <source>Approved.</source>
        <translation>Freigegeben.</translation>
    </message>
    <message>
        <source>You cannot decide your own request.</source>
        <translation>Über die eigene Anfrage können Sie nicht entscheiden.</translation>
    </message>
    <message>
        <source>You may not decide this request: %1</source>
        <translation>Sie dürfen über diese Anfrage nicht entscheiden: %1</translation>
    </message>
    <message>
        <source>Already decided: %1</source>
        <translation>Bereits entschieden: %1</translation>
    </message>
    <message>
        <source>This request is gone.</source>
        <translation>Diese Anfrage gibt es nicht mehr.</translation>
    </message>
    <message>
        <source>The gateway did not answer: %1</source>
        <translation>Das Gateway hat nicht geantwortet: %1</translation>
    </message>
    <message>
        <source>HTTP %1: %2</source>
        <translation>HTTP %1: %2</translation>
    </message>
</context>
<context>
    <name>gh::ApprovalsTray</name>
    <message>
        <source>Gatehouse: no requests waiting</source>
        <translation>Gatehouse: keine Anfrage wartet</translation>
    </message>
    <message numerus="yes">
        <source>Gatehouse: %n request(s) waiting for approval</source>
        <translation>
            <numerusform>Gatehouse: %n Anfrage wartet auf Freigabe</numerusform>
            <numerusform>Gatehouse: %n Anfragen warten auf Freigabe</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>gh::AttachDialog</name>
    <message>
        <source>Attach to gateway</source>
        <translation>Mit Gateway verbinden</translation>
    </message>
    <message>
        <source>the admin token or a JWT</source>
        <translation>das Admin-Token oder ein JWT</translation>
    </message>
    <message>
        <source>Remember the token in the keychain</source>
        <translation>Token im Schlüsselbund speichern</translation>
    </message>
    <message>
        <source>Attach</source>
        <translation>Verbinden</translation>
    </message>
    <message>
        <source>Admin API URL:</source>
        <translation>URL der Admin-API:</translation>
    </message>
    <message>
        <source>Token:</source>
        <translation>Token:</translation>
    </message>
    <message>
        <source>Using the token remembered for this gateway.</source>
        <translation>Das für dieses Gateway gespeicherte Token wird verwendet.</translation>
    </message>
    <message>
        <source>Enter the gateway&apos;s admin API as an http:// or https:// URL, e.g. https://gateway.example.com:8700.</source>
        <translation>Geben Sie die Admin-API des Gateways als http://- oder https://-URL ein, z. B. https://gateway.example.com:8700.</translation>
    </message>
    <message>
        <source>Enter a token: the gateway&apos;s admin token or a JWT with an admin, auditor or approver group.</source>
        <translation>Geben Sie ein Token ein: das Admin-Token des Gateways oder ein JWT mit einer Gruppe für die Rolle admin, auditor oder approver.</translation>
    </message>
</context>
<context>
    <name>gh::ConnectionEditor</name>
    <message>
        <source>&amp;Test</source>
        <translation>&amp;Testen</translation>
    </message>
    <message>
        <source>Edit connection</source>
        <translation>Verbindung bearbeiten</translation>
    </message>
    <message>
        <source>New connection</source>
        <translation>Neue Verbindung</translation>
    </message>
    <message>
        <source>HTTP</source>
        <translation>HTTP</translation>
    </message>
    <message>
        <source>PostgreSQL</source>
        <translation>PostgreSQL</translation>
    </message>
    <message>
        <source>ml-eng, ci-bots</source>
        <translation>ml-eng, ci-bots</translation>
    </message>
    <message>
        <source>optional: a CA bundle on the gateway&apos;s machine</source>
        <translation>optional: ein CA-Bundle auf dem Rechner des Gateways</translation>
    </message>
    <message>
        <source>None</source>
        <translation>Keine</translation>
    </message>
    <message>
        <source>Added by the gateway</source>
        <translation>Vom Gateway hinzugefügt</translation>
    </message>
    <message>
        <source>text before the value, e.g. &quot;Bearer &quot;</source>
        <translation>Text vor dem Wert, z. B. „Bearer “</translation>
    </message>
    <message>
        <source>Environment variable of the gateway</source>
        <translation>Umgebungsvariable des Gateways</translation>
    </message>
    <message>
        <source>File on the gateway&apos;s machine</source>
        <translation>Datei auf dem Rechner des Gateways</translation>
    </message>
    <message>
        <source>Secret (sealed by the gateway)</source>
        <translation>Geheimnis (vom Gateway versiegelt)</translation>
    </message>
    <message>
        <source>Template</source>
        <translation>Vorlage</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>&amp;Name:</translation>
    </message>
    <message>
        <source>T&amp;ype:</source>
        <translation>T&amp;yp:</translation>
    </message>
    <message>
        <source>&amp;Upstream:</source>
        <translation>&amp;Upstream:</translation>
    </message>
    <message>
        <source>Allowed &amp;groups:</source>
        <translation>Erlaubte &amp;Gruppen:</translation>
    </message>
    <message>
        <source>&amp;Database:</source>
        <translation>&amp;Datenbank:</translation>
    </message>
    <message>
        <source>CA &amp;file:</source>
        <translation>&amp;CA-Datei:</translation>
    </message>
    <message>
        <source>&amp;Credential:</source>
        <translation>&amp;Zugangsdaten:</translation>
    </message>
    <message>
        <source>&amp;Header:</source>
        <translation>&amp;Header:</translation>
    </message>
    <message>
        <source>U&amp;ser:</source>
        <translation>&amp;Benutzer:</translation>
    </message>
    <message>
        <source>&amp;Prefix:</source>
        <translation>&amp;Präfix:</translation>
    </message>
    <message>
        <source>&amp;Value from:</source>
        <translation>&amp;Wert aus:</translation>
    </message>
    <message>
        <source>&amp;Reference:</source>
        <translation>&amp;Referenz:</translation>
    </message>
    <message>
        <source>S&amp;ecret:</source>
        <translation>Geh&amp;eimnis:</translation>
    </message>
    <message>
        <source>unchanged (sealed on the gateway)</source>
        <translation>unverändert (auf dem Gateway versiegelt)</translation>
    </message>
    <message>
        <source>A name is required.</source>
        <translation>Ein Name ist erforderlich.</translation>
    </message>
    <message>
        <source>Use 1 to 63 characters: a-z, 0-9 and -.</source>
        <translation>Verwenden Sie 1 bis 63 Zeichen: a-z, 0-9 und -.</translation>
    </message>
    <message>
        <source>An upstream URL is required.</source>
        <translation>Eine Upstream-URL ist erforderlich.</translation>
    </message>
    <message>
        <source>Not a URL with a host, e.g. %1.</source>
        <translation>Keine URL mit Host wie etwa %1.</translation>
    </message>
    <message>
        <source>An HTTP connection needs an http:// or https:// upstream.</source>
        <translation>Eine HTTP-Verbindung braucht einen http://- oder https://-Upstream.</translation>
    </message>
    <message>
        <source>A PostgreSQL connection needs a postgres:// upstream.</source>
        <translation>Eine PostgreSQL-Verbindung braucht einen postgres://-Upstream.</translation>
    </message>
    <message>
        <source>A PostgreSQL upstream takes no path; set the database instead.</source>
        <translation>Ein PostgreSQL-Upstream hat keinen Pfad; geben Sie stattdessen die Datenbank an.</translation>
    </message>
    <message>
        <source>Name the header the gateway adds, e.g. Authorization.</source>
        <translation>Geben Sie den Header an, den das Gateway hinzufügt, z. B. Authorization.</translation>
    </message>
    <message>
        <source>Name the database user the gateway logs in as.</source>
        <translation>Geben Sie den Datenbankbenutzer an, als der sich das Gateway anmeldet.</translation>
    </message>
    <message>
        <source>Give the name of an environment variable of the gateway (letters, digits, _).</source>
        <translation>Geben Sie den Namen einer Umgebungsvariablen des Gateways an (Buchstaben, Ziffern, _).</translation>
    </message>
    <message>
        <source>Give an absolute path to a file on the gateway&apos;s machine.</source>
        <translation>Geben Sie einen absoluten Pfad zu einer Datei auf dem Rechner des Gateways an.</translation>
    </message>
    <message>
        <source>Type the secret; the gateway seals it and never shows it again.</source>
        <translation>Geben Sie das Geheimnis ein; das Gateway versiegelt es und zeigt es nie wieder an.</translation>
    </message>
    <message>
        <source>Write the value, e.g. Bearer ${env:LLM_API_KEY}.</source>
        <translation>Geben Sie den Wert an, z. B. Bearer ${env:LLM_API_KEY}.</translation>
    </message>
    <message>
        <source>The gateway did not save it: %1</source>
        <translation>Das Gateway hat sie nicht gespeichert: %1</translation>
    </message>
    <message>
        <source>Testing…</source>
        <translation>Wird getestet…</translation>
    </message>
    <message>
        <source>Test failed: %1</source>
        <translation>Test fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>OK: %1 (%2 ms).</source>
        <translation>OK: %1 (%2 ms).</translation>
    </message>
    <message>
        <source>Reached, but: %1 (%2 ms).</source>
        <translation>Erreicht, aber: %1 (%2 ms).</translation>
    </message>
    <message>
        <source>Not reachable: %1.</source>
        <translation>Nicht erreichbar: %1.</translation>
    </message>
    <message>
        <source>Credential: %1</source>
        <translation>Zugangsdaten: %1</translation>
    </message>
    <message>
        <source>Credential: resolves.</source>
        <translation>Zugangsdaten: auflösbar.</translation>
    </message>
    <message>
        <source>Credentials do not belong in the URL; use the credential below.</source>
        <translation>Zugangsdaten gehören nicht in die URL; verwenden Sie das Feld „Zugangsdaten“ unten.</translation>
    </message>
    <message>
        <source>The URL must not have a query or fragment.</source>
        <translation>Die URL darf keine Query und kein Fragment enthalten.</translation>
    </message>
    <message>
        <source>Only https upstreams are verified against a CA file.</source>
        <translation>Nur https-Upstreams werden gegen eine CA-Datei geprüft.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a group: use letters, digits and _ . - / : @ * ?, and commas between groups.</source>
        <translation>„%1“ ist keine Gruppe: Verwenden Sie Buchstaben, Ziffern und _ . - / : @ * ? sowie Kommas zwischen Gruppen.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid HTTP header name.</source>
        <translation>„%1“ ist kein gültiger HTTP-Header-Name.</translation>
    </message>
</context>
<context>
    <name>gh::ConnectionsModel</name>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Typ</translation>
    </message>
    <message>
        <source>Upstream</source>
        <translation>Upstream</translation>
    </message>
    <message>
        <source>Allowed groups</source>
        <translation>Erlaubte Gruppen</translation>
    </message>
    <message>
        <source>Credential</source>
        <translation>Zugangsdaten</translation>
    </message>
    <message>
        <source>header %1</source>
        <translation>Header %1</translation>
    </message>
    <message>
        <source>user %1</source>
        <translation>Benutzer %1</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keine</translation>
    </message>
</context>
<context>
    <name>gh::DemoLauncher</name>
    <message>
        <source>Not connected to a gateway.</source>
        <translation>Nicht mit einem Gateway verbunden.</translation>
    </message>
    <message>
        <source>The demo runs on this machine only: attach to this machine&apos;s gateway to start it.</source>
        <translation>Die Demo läuft nur auf diesem Rechner: Verbinden Sie sich mit dem Gateway dieses Rechners, um sie zu starten.</translation>
    </message>
    <message>
        <source>The demo program %1 is not installed next to gatehouse or on PATH.</source>
        <translation>Das Demoprogramm %1 ist weder neben gatehouse noch im PATH installiert.</translation>
    </message>
    <message>
        <source>Cannot start %1.</source>
        <translation>%1 kann nicht gestartet werden.</translation>
    </message>
    <message>
        <source>The demo program did not start.</source>
        <translation>Das Demoprogramm ist nicht gestartet.</translation>
    </message>
    <message>
        <source>Could not add the demo connection: %1</source>
        <translation>Die Demo-Verbindung konnte nicht angelegt werden: %1</translation>
    </message>
    <message>
        <source>Could not issue a demo token: %1</source>
        <translation>Es konnte kein Demo-Token ausgestellt werden: %1</translation>
    </message>
    <message>
        <source>The demo is running. Try, in a terminal:

1. A masked answer (card numbers become [CARD]):
curl -s %1 -H &apos;Content-Type: application/json&apos; -d &apos;{&quot;model&quot;:&quot;demo-1&quot;,&quot;messages&quot;:[{&quot;role&quot;:&quot;user&quot;,&quot;content&quot;:&quot;Who is Jane?&quot;}]}&apos; %2/demo/v1/chat/completions

2. A request held for approval (approve it in the Approvals tab, or with gatehousectl approve ID):
curl -s %1 -H &apos;Content-Type: application/json&apos; -d &apos;{&quot;training_file&quot;:&quot;file-demo&quot;}&apos; %2/demo/v1/fine-tunes

3. The replay: every request is recorded; see the Sessions tab, or gatehousectl get sessions and gatehousectl play ID.

The demo token is valid for one hour.</source>
        <translation>Die Demo läuft. Probieren Sie in einem Terminal:

1. Eine maskierte Antwort (Kartennummern werden zu [CARD]):
curl -s %1 -H &apos;Content-Type: application/json&apos; -d &apos;{&quot;model&quot;:&quot;demo-1&quot;,&quot;messages&quot;:[{&quot;role&quot;:&quot;user&quot;,&quot;content&quot;:&quot;Who is Jane?&quot;}]}&apos; %2/demo/v1/chat/completions

2. Eine zur Freigabe angehaltene Anfrage (geben Sie sie im Tab „Freigaben“ frei oder mit gatehousectl approve ID):
curl -s %1 -H &apos;Content-Type: application/json&apos; -d &apos;{&quot;training_file&quot;:&quot;file-demo&quot;}&apos; %2/demo/v1/fine-tunes

3. Die Wiedergabe: Jede Anfrage wird aufgezeichnet; siehe Tab „Sitzungen“ oder gatehousectl get sessions und gatehousectl play ID.

Das Demo-Token ist eine Stunde lang gültig.</translation>
    </message>
</context>
<context>
    <name>gh::EventDetailPane</name>
    <message>
        <source>Header</source>
        <translation>Header</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Wert</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Schlüssel</translation>
    </message>
    <message>
        <source>Body</source>
        <translation>Inhalt</translation>
    </message>
    <message>
        <source>Tree</source>
        <translation>Baum</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen…</translation>
    </message>
    <message>
        <source>body truncated at %L1 of %L2 bytes</source>
        <translation>Inhalt gekürzt auf %L1 von %L2 Bytes</translation>
    </message>
    <message>
        <source>body</source>
        <translation>Inhalt</translation>
    </message>
    <message numerus="yes">
        <source>(%n byte(s) of binary data)</source>
        <translation>
            <numerusform>(%n Byte Binärdaten)</numerusform>
            <numerusform>(%n Bytes Binärdaten)</numerusform>
        </translation>
    </message>
    <message>
        <source>event</source>
        <translation>Ereignis</translation>
    </message>
    <message>
        <source>(no body)</source>
        <translation>(kein Inhalt)</translation>
    </message>
    <message numerus="yes">
        <source>{%n key(s)}</source>
        <translation>
            <numerusform>{%n Schlüssel}</numerusform>
            <numerusform>{%n Schlüssel}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>[%n item(s)]</source>
        <translation>
            <numerusform>[%n Element]</numerusform>
            <numerusform>[%n Elemente]</numerusform>
        </translation>
    </message>
    <message>
        <source>masked by the gateway</source>
        <translation>vom Gateway maskiert</translation>
    </message>
</context>
<context>
    <name>gh::GatewayLink</name>
    <message>
        <source>Not connected</source>
        <translation>Nicht verbunden</translation>
    </message>
    <message>
        <source>Connecting to %1…</source>
        <translation>Verbindung mit %1 wird hergestellt…</translation>
    </message>
    <message>
        <source>Starting gateway…</source>
        <translation>Gateway wird gestartet…</translation>
    </message>
    <message>
        <source>Connected to %1</source>
        <translation>Verbunden mit %1</translation>
    </message>
    <message>
        <source>%1 unreachable, retrying</source>
        <translation>%1 nicht erreichbar, neuer Versuch läuft</translation>
    </message>
    <message>
        <source>%1 unreachable, retrying (%2)</source>
        <translation>%1 nicht erreichbar, neuer Versuch läuft (%2)</translation>
    </message>
    <message>
        <source>not connected</source>
        <translation>nicht verbunden</translation>
    </message>
    <message>
        <source>health check answered HTTP %1</source>
        <translation>Zustandsprüfung antwortete mit HTTP %1</translation>
    </message>
    <message>
        <source>no answer</source>
        <translation>keine Antwort</translation>
    </message>
    <message>
        <source>the gateway did not start; see %1</source>
        <translation>das Gateway ist nicht gestartet; siehe %1</translation>
    </message>
    <message>
        <source>no gatehoused found to start</source>
        <translation>kein gatehoused zum Starten gefunden</translation>
    </message>
    <message>
        <source>cannot start %1: %2</source>
        <translation>%1 kann nicht gestartet werden: %2</translation>
    </message>
</context>
<context>
    <name>gh::GatewayStartup</name>
    <message>
        <source>&amp;Attach to Gateway…</source>
        <translation>Mit Gateway &amp;verbinden…</translation>
    </message>
    <message>
        <source>Connect to another gateway by URL and token</source>
        <translation>Per URL und Token mit einem anderen Gateway verbinden</translation>
    </message>
    <message>
        <source>No token remembered for %1: use File &gt; Attach to Gateway… to give one.</source>
        <translation>Für %1 ist kein Token gespeichert: Geben Sie eines unter Datei &gt; Mit Gateway verbinden… an.</translation>
    </message>
</context>
<context>
    <name>gh::GrantsModel</name>
    <message>
        <source>not connected to a gateway</source>
        <translation>nicht mit einem Gateway verbunden</translation>
    </message>
    <message>
        <source>Granted to</source>
        <translation>Freigegeben für</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <source>Rule</source>
        <translation>Regel</translation>
    </message>
    <message>
        <source>Time left</source>
        <translation>Verbleibende Zeit</translation>
    </message>
</context>
<context>
    <name>gh::LocalGateway</name>
    <message>
        <source>cannot create %1</source>
        <translation>%1 kann nicht angelegt werden</translation>
    </message>
</context>
<context>
    <name>gh::MainWindow</name>
    <message>
        <source>Gatehouse</source>
        <translation>Gatehouse</translation>
    </message>
    <message>
        <source>&amp;Connections</source>
        <translation>&amp;Verbindungen</translation>
    </message>
    <message>
        <source>R&amp;ules</source>
        <translation>&amp;Regeln</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <source>&amp;About Gatehouse</source>
        <translation>Ü&amp;ber Gatehouse</translation>
    </message>
    <message>
        <source>About Gatehouse</source>
        <translation>Über Gatehouse</translation>
    </message>
    <message>
        <source>Gatehouse %1
Admin and audit workstation for the Gatehouse security gateway.</source>
        <translation>Gatehouse %1
Verwaltungs- und Prüfarbeitsplatz für das Gatehouse-Sicherheits-Gateway.</translation>
    </message>
    <message>
        <source>&amp;Approvals</source>
        <translation>&amp;Freigaben</translation>
    </message>
    <message>
        <source>&amp;Overview</source>
        <translation>&amp;Überblick</translation>
    </message>
    <message>
        <source>&amp;Sessions</source>
        <translation>&amp;Sitzungen</translation>
    </message>
    <message>
        <source>Re&amp;play</source>
        <translation>&amp;Wiedergabe</translation>
    </message>
</context>
<context>
    <name>gh::OverviewPage</name>
    <message>
        <source>All connections</source>
        <translation>Alle Verbindungen</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>Letzte Stunde</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>Letzte 24 Stunden</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>Letzte 7 Tage</translation>
    </message>
    <message>
        <source>Connection:</source>
        <translation>Verbindung:</translation>
    </message>
    <message>
        <source>Period:</source>
        <translation>Zeitraum:</translation>
    </message>
    <message>
        <source>Waiting for approval</source>
        <translation>Warten auf Freigabe</translation>
    </message>
    <message>
        <source>Latest refusals</source>
        <translation>Letzte Abweisungen</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <source>Subject</source>
        <translation>Subjekt</translation>
    </message>
    <message>
        <source>Rule</source>
        <translation>Regel</translation>
    </message>
    <message>
        <source>Method</source>
        <translation>Methode</translation>
    </message>
    <message>
        <source>Path</source>
        <translation>Pfad</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>This gateway has no connections yet.
Add one on the Connections tab, or start the demo: a local demo API, a connection to it with one mask rule and one approval rule, and the commands to try a masked answer, a held request and its replay.</source>
        <translation>Dieses Gateway hat noch keine Verbindungen.
Legen Sie eine im Tab „Verbindungen“ an oder starten Sie die Demo: eine lokale Demo-API, eine Verbindung dorthin mit einer Maskierungsregel und einer Freigaberegel sowie die Befehle, mit denen Sie eine maskierte Antwort, eine angehaltene Anfrage und deren Wiedergabe ausprobieren können.</translation>
    </message>
    <message>
        <source>Start the demo</source>
        <translation>Demo starten</translation>
    </message>
    <message>
        <source>Cannot read the statistics: %1</source>
        <translation>Die Statistik kann nicht gelesen werden: %1</translation>
    </message>
    <message>
        <source>Cannot list approvals: %1</source>
        <translation>Die Freigaben können nicht aufgelistet werden: %1</translation>
    </message>
    <message>
        <source>%1 %2 on %3 by %4 (rule %5, %6)</source>
        <translation>%1 %2 auf %3 von %4 (Regel %5, %6)</translation>
    </message>
    <message>
        <source>Open in the approvals inbox</source>
        <translation>In den Freigaben öffnen</translation>
    </message>
    <message>
        <source>Nothing is waiting.</source>
        <translation>Es wartet nichts.</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>Anfragen</translation>
    </message>
    <message>
        <source>Refusals</source>
        <translation>Abweisungen</translation>
    </message>
    <message>
        <source>Held for approval</source>
        <translation>Zur Freigabe angehalten</translation>
    </message>
    <message>
        <source>Masked values</source>
        <translation>Maskierte Werte</translation>
    </message>
    <message>
        <source>Requests: %1   Refusals: %2   Held for approval: %3   Masked values: %4</source>
        <translation>Anfragen: %1   Abweisungen: %2   Zur Freigabe angehalten: %3   Maskierte Werte: %4</translation>
    </message>
    <message>
        <source>Starting the demo…</source>
        <translation>Demo wird gestartet…</translation>
    </message>
</context>
<context>
    <name>gh::ReplayView</name>
    <message>
        <source>No session open</source>
        <translation>Keine Sitzung geöffnet</translation>
    </message>
    <message>
        <source>not verified yet</source>
        <translation>noch nicht verifiziert</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>◀ Previous</source>
        <translation>◀ Zurück</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>Abspielen</translation>
    </message>
    <message>
        <source>Next ▶</source>
        <translation>Weiter ▶</translation>
    </message>
    <message>
        <source>%1×</source>
        <translation>%1×</translation>
    </message>
    <message>
        <source>Pauses longer than %1 s play as %1 s.</source>
        <translation>Pausen über %1 s werden als %1 s abgespielt.</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>Geschwindigkeit</translation>
    </message>
    <message>
        <source>Session %1</source>
        <translation>Sitzung %1</translation>
    </message>
    <message>
        <source>Not connected to a gateway.</source>
        <translation>Nicht mit einem Gateway verbunden.</translation>
    </message>
    <message>
        <source>Loading the timeline…</source>
        <translation>Zeitleiste wird geladen…</translation>
    </message>
    <message>
        <source>The gateway connection changed while loading.</source>
        <translation>Die Verbindung zum Gateway hat sich beim Laden geändert.</translation>
    </message>
    <message>
        <source>Loading the timeline failed: %1</source>
        <translation>Laden der Zeitleiste fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>Loading the timeline: %L1 of %L2 events…</source>
        <translation>Zeitleiste wird geladen: %L1 von %L2 Ereignissen…</translation>
    </message>
    <message>
        <source>Loading cancelled: showing the first %L1 of %L2 events.</source>
        <translation>Laden abgebrochen: Angezeigt werden die ersten %L1 von %L2 Ereignissen.</translation>
    </message>
    <message numerus="yes">
        <source>%Ln event(s).</source>
        <translation>
            <numerusform>%Ln Ereignis.</numerusform>
            <numerusform>%Ln Ereignisse.</numerusform>
        </translation>
    </message>
    <message>
        <source>not verified: %1</source>
        <translation>nicht verifiziert: %1</translation>
    </message>
    <message>
        <source>chain verified</source>
        <translation>Kette verifiziert</translation>
    </message>
    <message>
        <source>chain verified (%1)</source>
        <translation>Kette verifiziert (%1)</translation>
    </message>
    <message>
        <source>chain BROKEN at seq %1</source>
        <translation>Kette GEBROCHEN bei seq %1</translation>
    </message>
    <message>
        <source>Loading the event failed: %1</source>
        <translation>Laden des Ereignisses fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Pause</translation>
    </message>
    <message>
        <source>event %L1 of %L2, +%3 s</source>
        <translation>Ereignis %L1 von %L2, +%3 s</translation>
    </message>
</context>
<context>
    <name>gh::ResourcePage</name>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <source>Gateway not reachable; showing the last list loaded.</source>
        <translation>Gateway nicht erreichbar; angezeigt wird die zuletzt geladene Liste.</translation>
    </message>
    <message>
        <source>Waiting for the gateway…</source>
        <translation>Warten auf das Gateway…</translation>
    </message>
    <message>
        <source>Could not load: %1</source>
        <translation>Laden fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>Could not load: the gateway sent an unexpected answer.</source>
        <translation>Laden fehlgeschlagen: das Gateway sandte eine unerwartete Antwort.</translation>
    </message>
    <message>
        <source>Entries: %1, updated %2</source>
        <translation>Einträge: %1, aktualisiert %2</translation>
    </message>
    <message>
        <source>HTTP %1</source>
        <translation>HTTP %1</translation>
    </message>
    <message>
        <source>HTTP %1: %2</source>
        <translation>HTTP %1: %2</translation>
    </message>
    <message>
        <source>&amp;New…</source>
        <translation>&amp;Neu…</translation>
    </message>
    <message>
        <source>&amp;Edit…</source>
        <translation>&amp;Bearbeiten…</translation>
    </message>
    <message>
        <source>&amp;Delete…</source>
        <translation>&amp;Löschen…</translation>
    </message>
    <message>
        <source>Delete rule</source>
        <translation>Regel löschen</translation>
    </message>
    <message>
        <source>Delete connection</source>
        <translation>Verbindung löschen</translation>
    </message>
    <message>
        <source>Delete the rule &quot;%1&quot;? It stops applying at once.</source>
        <translation>Regel „%1“ löschen? Sie gilt dann sofort nicht mehr.</translation>
    </message>
    <message>
        <source>Delete the connection &quot;%1&quot;? Clients can no longer reach it.</source>
        <translation>Verbindung „%1“ löschen? Clients können sie dann nicht mehr erreichen.</translation>
    </message>
    <message>
        <source>Could not delete %1: %2</source>
        <translation>%1 konnte nicht gelöscht werden: %2</translation>
    </message>
</context>
<context>
    <name>gh::RuleEditor</name>
    <message>
        <source>The client must send a reason (X-Gatehouse-Justification)</source>
        <translation>Der Client muss eine Begründung senden (X-Gatehouse-Justification)</translation>
    </message>
    <message>
        <source>Edit rule</source>
        <translation>Regel bearbeiten</translation>
    </message>
    <message>
        <source>New rule</source>
        <translation>Neue Regel</translation>
    </message>
    <message>
        <source>deny: refuse matching requests</source>
        <translation>ablehnen: passende Anfragen abweisen</translation>
    </message>
    <message>
        <source>approve: hold matching requests for approval</source>
        <translation>freigeben: passende Anfragen bis zur Freigabe anhalten</translation>
    </message>
    <message>
        <source>mask: replace matches in responses</source>
        <translation>maskieren: Treffer in Antworten ersetzen</translation>
    </message>
    <message>
        <source>Custom pattern</source>
        <translation>Eigenes Muster</translation>
    </message>
    <message>
        <source>header name</source>
        <translation>Header-Name</translation>
    </message>
    <message>
        <source>RE2 on its value</source>
        <translation>RE2 für den Wert</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>&amp;Name:</translation>
    </message>
    <message>
        <source>&amp;Kind:</source>
        <translation>&amp;Art:</translation>
    </message>
    <message>
        <source>&amp;Connections:</source>
        <translation>&amp;Verbindungen:</translation>
    </message>
    <message>
        <source>&amp;Groups:</source>
        <translation>&amp;Gruppen:</translation>
    </message>
    <message>
        <source>&amp;Method:</source>
        <translation>&amp;Methode:</translation>
    </message>
    <message>
        <source>&amp;Path:</source>
        <translation>&amp;Pfad:</translation>
    </message>
    <message>
        <source>&amp;Header:</source>
        <translation>&amp;Header:</translation>
    </message>
    <message>
        <source>&amp;Body:</source>
        <translation>&amp;Inhalt:</translation>
    </message>
    <message>
        <source>&amp;Approvers:</source>
        <translation>&amp;Freigabeberechtigte:</translation>
    </message>
    <message>
        <source>Appro&amp;vals needed:</source>
        <translation>&amp;Benötigte Freigaben:</translation>
    </message>
    <message>
        <source>&amp;Timeout:</source>
        <translation>&amp;Zeitlimit:</translation>
    </message>
    <message>
        <source>&amp;Detector:</source>
        <translation>&amp;Detektor:</translation>
    </message>
    <message>
        <source>Patter&amp;n:</source>
        <translation>M&amp;uster:</translation>
    </message>
    <message>
        <source>&amp;Replace with:</source>
        <translation>&amp;Ersetzen durch:</translation>
    </message>
    <message>
        <source>&amp;JSON fields:</source>
        <translation>&amp;JSON-Felder:</translation>
    </message>
    <message>
        <source>A name is required.</source>
        <translation>Ein Name ist erforderlich.</translation>
    </message>
    <message>
        <source>Use 1 to 63 characters: a-z, 0-9 and -.</source>
        <translation>Verwenden Sie 1 bis 63 Zeichen: a-z, 0-9 und -.</translation>
    </message>
    <message>
        <source>The gateway did not save it: %1</source>
        <translation>Das Gateway hat sie nicht gespeichert: %1</translation>
    </message>
</context>
<context>
    <name>gh::RulePreview</name>
    <message>
        <source>Rule %1, detector %2</source>
        <translation>Regel %1, Detektor %2</translation>
    </message>
    <message>
        <source>With the other &amp;stored rules</source>
        <translation>Mit den anderen ge&amp;speicherten Regeln</translation>
    </message>
    <message>
        <source>&amp;Load sample…</source>
        <translation>Beispiel &amp;laden…</translation>
    </message>
    <message>
        <source>Response</source>
        <translation>Antwort</translation>
    </message>
    <message>
        <source>Request</source>
        <translation>Anfrage</translation>
    </message>
    <message>
        <source>any connection</source>
        <translation>alle Verbindungen</translation>
    </message>
    <message>
        <source>Only the rules that apply to this connection; empty: every rule</source>
        <translation>Nur die Regeln, die für diese Verbindung gelten; leer: alle Regeln</translation>
    </message>
    <message>
        <source>Paste a body, or a whole message:
HTTP/1.1 200 OK
Content-Type: application/json

{&quot;email&quot;: &quot;ana@example.com&quot;}</source>
        <translation>Fügen Sie einen Inhalt oder eine ganze Nachricht ein:
HTTP/1.1 200 OK
Content-Type: application/json

{&quot;email&quot;: &quot;ana@example.com&quot;}</translation>
    </message>
    <message>
        <source>The masked result appears here.</source>
        <translation>Hier erscheint das maskierte Ergebnis.</translation>
    </message>
    <message>
        <source>Sample:</source>
        <translation>Beispiel:</translation>
    </message>
    <message>
        <source>On:</source>
        <translation>Für:</translation>
    </message>
    <message>
        <source>Load a sample request or response</source>
        <translation>Beispielanfrage oder -antwort laden</translation>
    </message>
    <message>
        <source>Could not read %1.</source>
        <translation>%1 konnte nicht gelesen werden.</translation>
    </message>
    <message>
        <source>The draft rule is not valid yet: %1</source>
        <translation>Der Regelentwurf ist noch nicht gültig: %1</translation>
    </message>
    <message>
        <source>No preview: %1</source>
        <translation>Keine Vorschau: %1</translation>
    </message>
    <message>
        <source>%1 · %2: &quot;%3&quot;</source>
        <translation>%1 · %2: „%3“</translation>
    </message>
    <message>
        <source>Denied by rule %1.</source>
        <translation>Von Regel %1 abgelehnt.</translation>
    </message>
    <message>
        <source>Held for approval by %1 (rule %2).</source>
        <translation>Angehalten bis zur Freigabe durch %1 (Regel %2).</translation>
    </message>
    <message>
        <source>Allowed.</source>
        <translation>Erlaubt.</translation>
    </message>
    <message>
        <source>Response passed on.</source>
        <translation>Antwort wird durchgereicht.</translation>
    </message>
    <message>
        <source>Refused 502 unmaskable: %1</source>
        <translation>Abgewiesen mit 502, nicht maskierbar: %1</translation>
    </message>
    <message>
        <source>Matches masked: %1.</source>
        <translation>Maskierte Treffer: %1.</translation>
    </message>
</context>
<context>
    <name>gh::RulesModel</name>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Art</translation>
    </message>
    <message>
        <source>Connections</source>
        <translation>Verbindungen</translation>
    </message>
    <message>
        <source>Groups</source>
        <translation>Gruppen</translation>
    </message>
    <message>
        <source>Match</source>
        <translation>Bedingung</translation>
    </message>
    <message>
        <source>Effect</source>
        <translation>Wirkung</translation>
    </message>
    <message>
        <source>deny</source>
        <translation>ablehnen</translation>
    </message>
    <message>
        <source>approve</source>
        <translation>freigeben</translation>
    </message>
    <message>
        <source>mask</source>
        <translation>maskieren</translation>
    </message>
    <message>
        <source>refused with 403</source>
        <translation>abgewiesen mit 403</translation>
    </message>
    <message>
        <source>held until approved by %1 (%2 needed)</source>
        <translation>angehalten bis zur Freigabe durch %1 (%2 nötig)</translation>
    </message>
    <message>
        <source>%1 replaced by %2</source>
        <translation>%1 ersetzt durch %2</translation>
    </message>
</context>
<context>
    <name>gh::SessionExporter</name>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>%1 kann nicht geschrieben werden: %2</translation>
    </message>
    <message>
        <source>The gateway connection changed during the export.</source>
        <translation>Die Verbindung zum Gateway hat sich während des Exports geändert.</translation>
    </message>
    <message>
        <source>The gateway broke the export off: %1</source>
        <translation>Das Gateway hat den Export abgebrochen: %1</translation>
    </message>
    <message>
        <source>Writing the file failed: %1</source>
        <translation>Schreiben der Datei fehlgeschlagen: %1</translation>
    </message>
</context>
<context>
    <name>gh::SessionsModel</name>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 min %2 s</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message>
        <source>open</source>
        <translation>offen</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Beginn</translation>
    </message>
    <message>
        <source>Subject</source>
        <translation>Subjekt</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <source>Client</source>
        <translation>Client</translation>
    </message>
    <message>
        <source>Events</source>
        <translation>Ereignisse</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Dauer</translation>
    </message>
    <message>
        <source>Session</source>
        <translation>Sitzung</translation>
    </message>
</context>
<context>
    <name>gh::SessionsPage</name>
    <message>
        <source>Search id, subject, connection, client address</source>
        <translation>ID, Subjekt, Verbindung, Client-Adresse suchen</translation>
    </message>
    <message>
        <source>any connection</source>
        <translation>alle Verbindungen</translation>
    </message>
    <message>
        <source>anyone</source>
        <translation>alle</translation>
    </message>
    <message>
        <source>e.g. 24h or 2026-11-25T08:00:00Z</source>
        <translation>z. B. 24h oder 2026-11-25T08:00:00Z</translation>
    </message>
    <message>
        <source>now</source>
        <translation>jetzt</translation>
    </message>
    <message>
        <source>Denials</source>
        <translation>Ablehnungen</translation>
    </message>
    <message>
        <source>Approvals</source>
        <translation>Freigaben</translation>
    </message>
    <message>
        <source>Masking</source>
        <translation>Maskierung</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Aktualisieren</translation>
    </message>
    <message>
        <source>Replay</source>
        <translation>Wiedergeben</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Exportieren…</translation>
    </message>
    <message>
        <source>until</source>
        <translation>bis</translation>
    </message>
    <message>
        <source>Subject</source>
        <translation>Subjekt</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Suche</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <source>Since</source>
        <translation>Seit</translation>
    </message>
    <message>
        <source>Having</source>
        <translation>Mit</translation>
    </message>
    <message>
        <source>Not connected to a gateway.</source>
        <translation>Nicht mit einem Gateway verbunden.</translation>
    </message>
    <message>
        <source>Showing the newest 1000 sessions; narrow the filters to see older ones.</source>
        <translation>Angezeigt werden die neuesten 1000 Sitzungen; schränken Sie die Filter ein, um ältere zu sehen.</translation>
    </message>
    <message numerus="yes">
        <source>%n session(s)</source>
        <translation>
            <numerusform>%n Sitzung</numerusform>
            <numerusform>%n Sitzungen</numerusform>
        </translation>
    </message>
    <message>
        <source>Select a session to replay.</source>
        <translation>Wählen Sie eine Sitzung zur Wiedergabe aus.</translation>
    </message>
    <message>
        <source>Select a session to export.</source>
        <translation>Wählen Sie eine Sitzung zum Exportieren aus.</translation>
    </message>
    <message>
        <source>Export session</source>
        <translation>Sitzung exportieren</translation>
    </message>
    <message>
        <source>JSON Lines (*.jsonl);;All files (*)</source>
        <translation>JSON Lines (*.jsonl);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Exporting session %1…</source>
        <translation>Sitzung %1 wird exportiert…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Exported %L1 of %L2 events…</source>
        <translation>%L1 von %L2 Ereignissen exportiert…</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n event(s) to %1.</source>
        <translation>
            <numerusform>%n Ereignis nach %1 exportiert.</numerusform>
            <numerusform>%n Ereignisse nach %1 exportiert.</numerusform>
        </translation>
    </message>
    <message>
        <source>Export cancelled; nothing was written.</source>
        <translation>Export abgebrochen; es wurde nichts geschrieben.</translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation>Export fehlgeschlagen: %1</translation>
    </message>
</context>
<context>
    <name>gh::TimelineWidget</name>
    <message>
        <source>request</source>
        <translation>Anfrage</translation>
    </message>
    <message>
        <source>response</source>
        <translation>Antwort</translation>
    </message>
    <message>
        <source>stream chunk</source>
        <translation>Stream-Teil</translation>
    </message>
    <message>
        <source>deny</source>
        <translation>Ablehnung</translation>
    </message>
    <message>
        <source>approval</source>
        <translation>Freigabe</translation>
    </message>
    <message>
        <source>masking</source>
        <translation>Maskierung</translation>
    </message>
    <message>
        <source>other</source>
        <translation>Sonstiges</translation>
    </message>
    <message>
        <source>Drag or click to move the cursor, wheel or +/- to zoom, Shift+wheel to pan, Left/Right to step, Space to play or pause</source>
        <translation>Ziehen oder klicken, um den Cursor zu bewegen; Mausrad oder +/- zum Zoomen, Umschalt+Mausrad zum Verschieben, Links/Rechts für Einzelschritte, Leertaste zum Abspielen oder Pausieren</translation>
    </message>
</context>
<context>
    <name>gh::TokenVault</name>
    <message>
        <source>No keychain service is available: the token is kept in memory only and is gone when the app quits.</source>
        <translation>Kein Schlüsselbund-Dienst verfügbar: Das Token wird nur im Arbeitsspeicher gehalten und geht beim Beenden der App verloren.</translation>
    </message>
    <message>
        <source>No keychain service is available (%1): the token is kept in memory only and is gone when the app quits.</source>
        <translation>Kein Schlüsselbund-Dienst verfügbar (%1): Das Token wird nur im Arbeitsspeicher gehalten und geht beim Beenden der App verloren.</translation>
    </message>
</context>
<context>
    <name>gh::editors</name>
    <message>
        <source>The gateway is not connected.</source>
        <translation>Das Gateway ist nicht verbunden.</translation>
    </message>
    <message>
        <source>HTTP %1</source>
        <translation>HTTP %1</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Gatehouse desktop: the connections and rules of a Gatehouse gateway.
Without options it attaches to this machine&apos;s gateway and starts it when none answers.</source>
        <translation>Gatehouse Desktop: Verbindungen und Regeln eines Gatehouse-Gateways.
Ohne Optionen verbindet es sich mit dem Gateway dieses Rechners und startet es, wenn keines antwortet.</translation>
    </message>
    <message>
        <source>Attach to the gateway whose admin API is at &lt;url&gt;.</source>
        <translation>Mit dem Gateway verbinden, dessen Admin-API unter &lt;url&gt; liegt.</translation>
    </message>
    <message>
        <source>url</source>
        <translation>url</translation>
    </message>
    <message>
        <source>Authenticate to the admin API with &lt;token&gt;.</source>
        <translation>Bei der Admin-API mit &lt;token&gt; anmelden.</translation>
    </message>
    <message>
        <source>token</source>
        <translation>token</translation>
    </message>
    <message>
        <source>unexpected argument %1</source>
        <translation>unerwartetes Argument %1</translation>
    </message>
    <message>
        <source>--server: not an http(s) URL: %1</source>
        <translation>--server: keine http(s)-URL: %1</translation>
    </message>
</context>
</TS>
