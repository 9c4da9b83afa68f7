# Felmeddelanden (crates/server/src/error.rs). API:t svarar på engelska; sidorna på
# användarens språk.

error-field = { $field }: { $message }
error-invalid = Förfrågan är inte giltig.
error-internal = Något gick fel hos oss; det har loggats.
error-unavailable = Tjänsten är tillfälligt otillgänglig; försök igen om några minuter.
error-stale-form = Formuläret har gått ut. Gå tillbaka, ladda om sidan och försök igen.
error-idempotency-conflict = Idempotency-Key har redan använts för en annan förfrågan
error-payload-too-large = förfrågan är större än { $limit } byte
error-request-timeout = begärans innehåll stannade av: inga data kom på { $seconds } sekunder
error-unsupported-media-type = skicka innehållet som Content-Type: application/json, inte { $type }
error-method-not-allowed = den här adressen tar inte emot den metoden

not-found-line = prenumerationsraden finns inte
not-found-order = beställningen finns inte
not-found-user = användaren finns inte
not-found-company = företaget finns inte
not-found-organization = ingen organisation med detta organization_id är känd för denna partner
not-found-email = e-postmeddelandet finns inte
not-found-api-key = API-nyckeln finns inte
not-found-route = sidan finns inte
not-found-resource = hittades inte

exists-company = det finns redan ett företag med det namnet
exists-user = det finns redan en användare med den e-postadressen
exists-api-key = det finns redan en API-nyckel med den kontrollsumman
exists-order = det finns redan en beställning med det web_order_id
exists-line = det finns redan en rad med den prenumerationsreferensen
exists-other = det finns redan

auth-missing = skicka Authorization: Bearer <api-nyckel>
auth-malformed = Authorization-huvudet måste vara Bearer <api-nyckel>
auth-unknown-key = API-nyckeln är inte giltig
auth-wrong-password = E-postadressen eller lösenordet stämmer inte.
auth-disabled = Det här kontot är inaktiverat. Fråga din administratör.
auth-throttled = För många misslyckade inloggningar för det här kontot. Försök igen om { $minutes } minuter.

denied-ask-ordering-contact = { $reason }: { $name } <{ $email }>
denied-line-action = du får inte skicka etableringsmeddelandet igen eller byta etableringskontakt för den här beställningen; fråga beställningskontakten
denied-cancel = bara beställningskontakten eller en administratör får avbryta en rad
denied-report = bara en integration, en supportagent eller en administratör får rapportera registrering eller konfiguration
denied-admin-only = det här kräver administratörsrollen
denied-support-agent-orders = supportagenter lägger inte beställningar
denied-own-company-orders = du får bara lägga beställningar där ditt företag är partner eller distributör
denied-on-behalf = bara en administratör eller en integration får lägga en beställning åt någon annan
denied-policy-by-api = villkor ändras av en administratör via API:t

refused-not-found = hittades inte
refused-past-point-of-no-return = Kundens organisation är redan registrerad, så etableringsmeddelandet kan inte längre skickas igen eller till någon annan. Etableringskontakten eller en administratör kan slutföra konfigurationen genom att logga in på administrationsportalen: { $url }
refused-past-point-of-no-return-cancel = Kundens organisation är redan registrerad, så raden kan inte längre avbrytas.
refused-past-point-of-no-return-no-portal = Kundens organisation är redan registrerad, så etableringsmeddelandet kan inte längre skickas igen eller till någon annan. Etableringskontakten eller en administratör kan slutföra konfigurationen i administrationsportalen; kontakta din partner för adressen.
refused-line-cancelled = raden är avbruten
refused-rate-limited = Högst { $limit } utskick per rad och timme; försök igen om { $seconds } sekunder.
refused-transition-onboard = en rad som är { $stage } kan inte registreras
refused-transition-mark-provisioned = en rad som är { $stage } kan inte markeras som etablerad
refused-transition-cancel = en rad som är { $stage } kan inte avbrytas

value-hand-off-self = det är adressen som det här meddelandet skickades till; ange din kollegas adress
value-hand-off-limit = den här prenumerationen har lämnats vidare för många gånger den senaste timmen; be { $name } ({ $email }), som gjorde beställningen, att byta kontakt
value-email-empty = e-postadressen är tom
value-email-too-long = e-postadressen är längre än 254 tecken
value-email-not-bare = '{ $value }' är inte en ren e-postadress (inga visningsnamn eller mellanslag)
value-email-invalid = '{ $value }' är inte en giltig e-postadress: { $reason }
value-email-non-ascii-local = '{ $value }' har tecken utanför ASCII före @, vilket provisio inte kan skicka till (SMTPUTF8 används inte); tecken som å eller ü går bra i domänen
value-sub-ref = '{ $value }' är inte en prenumerationsreferens (Sub följt av siffror)
value-web-order-id = '{ $value }' är inte ett webbordernummer (1–64 bokstäver, siffror, '-', '_' eller '.', inte bara punkter)
value-offer = '{ $value }' är inte en erbjudandekod (1–40 bokstäver, siffror och '-')
value-name-empty = namnet är tomt
value-name-too-long = namnet har { $length } tecken; högst { $max } är tillåtna
value-name-control = namnet innehåller ett osynligt tecken eller styrtecken ({ $char }, t.ex. en textriktningsändring); ta bort det
value-locale = '{ $value }' är inte ett språk som stöds (en, sv)
value-date = '{ $value }' är inte ett datum (ÅÅÅÅ-MM-DD)
value-unknown-variant = '{ $value }' är inte giltigt ({ $allowed })
value-window-days = window_days måste vara mellan 1 och { $max }, inte { $value }
value-required = { $field } måste anges
value-organization-id = får vara högst 200 tecken utan styrtecken
value-organization-not-yours = den organisationen har inte registrerats tidigare med den här etableringskontakten
value-company-id = '{ $value }' är inte ett företags-id
value-no-company-id = det finns inget företag med id { $value }
value-no-company = det finns inget företag '{ $value }'
value-company-kind = { $name } är { $kind }, inte { $expected }
value-order-partner = anger ingen partner som du får beställa åt (en distributör beställer åt de partner som en administratör har kopplat till den)
value-order-distributor = anger ingen distributör som betjänar beställningens partner
value-partner-required = partner_id måste anges när ditt företag inte är en partner
value-no-user = det finns ingen användare { $value }
value-order-placed-by = anger ingen användare hos beställningens partner
value-role-in-company = rollen { $role } finns bara hos operatörer; { $company } är { $kind }
value-password-too-short = ett lösenord behöver minst { $min } tecken
value-password-too-long = ett lösenord får ha högst 1024 tecken
value-password-unhashable = lösenordet kunde inte hashas
value-disable-self = du kan inte inaktivera ditt eget konto; en annan administratör kan göra det
value-clock-seconds = måste vara mellan 0 och { $max } (tio år), inte { $value }
value-clock-past-end = att flytta klockan { $value } sekunder skulle ta den förbi { $latest }, den senaste tid tjänsten kan hålla; den är { $now }, så den kan flyttas högst { $room } sekunder till
value-bulk-no-lines = ange minst en prenumerationsreferens
value-bulk-too-many = högst 1000 referenser per förfrågan
value-limit = limit måste vara mellan 1 och 200, inte { $value }
value-page = page måste vara 1 eller mer, inte { $value }
order-no-lines = en beställning behöver minst en rad
order-too-many-lines = en beställning har högst { $max } rader, inte { $count }
order-quantity = antalet måste vara ett heltal från 1 till { $max }, inte { $value }

form-not-utf8 = formuläret innehåller text som inte är giltig UTF-8; skriv den igen
request-body-unreadable = förfrågan kunde inte läsas: { $reason }
request-json-invalid = innehållet är inte giltig JSON: { $reason }
request-json-shape = innehållet har inte den väntade formen: { $reason }
request-json-field = { $field }: { $reason }
request-body-not-empty = den här åtgärden tar inget innehåll (skicka inget, eller {"{"}{"}"})
request-idempotency-key = Idempotency-Key måste vara 1–255 synliga ASCII-tecken
request-query-number = { $field }: '{ $value }' är inte ett tal
request-query-value = { $field }: { $reason }
request-cursor = cursor: inte en markör som den här tjänsten har gett ut

# Issue 19 (lead)
value-days = closing_within_days måste vara ett helt antal dagar från 0 till { $max }, inte { $value }

# Issue 19 point 8: a form says every problem at once.
value-company-missing = inget företag valdes

# Ärenden (SPEC §11)
not-found-case = Ärendet finns inte
denied-case-support-only = bara supportagenter och administratörer svarar på ärenden, skriver interna anteckningar, tar ärenden och skickar om å beställarens vägnar
refused-case-exists = Raden har redan ett öppet ärende av den här typen; lägg till i det ärendet i stället.
refused-case-rate-limited = Högst { $limit } ärenden kan öppnas per timme; försök igen om { $seconds } sekunder.
refused-case-without-line = Ärendet gäller en beställning, inte en rad: det finns inget e-postmeddelande om etablering att skicka om.
value-too-long = högst { $max } tecken är tillåtna
value-control-characters = innehåller ett styrtecken; ta bort det
case-about-required = ange prenumerationen (eller beställningen) som ärendet gäller
case-order-mismatch = { $sub } är inte en rad i den här beställningen
request-field-unknown = okänt fält '{ $field }'
attachment-empty = filen är tom
attachment-not-allowed = bara PNG-, JPEG-, GIF- och WebP-bilder och PDF-filer kan bifogas (filens innehåll avgör, inte dess namn)
attachment-damaged = filen kunde inte läsas som den bild eller PDF den börjar som
attachment-too-many-pixels = bilden är { $width } × { $height } bildpunkter; högst { $max } bildpunkter per sida är tillåtet
attachment-too-large = en fil får vara högst { $max_mb } MB
attachment-too-many = högst { $max } filer per ärende
case-note-text = { $text }
case-note-resend-queued = Skickade e-postmeddelandet om etablering igen till { $to } å beställarens vägnar.
case-note-resend-accepted = E-postservern tog emot e-postmeddelandet om etablering till { $to }: { $reply }
case-note-resend-refused = E-postservern avvisade e-postmeddelandet om etablering till { $to }: { $reply }
case-note-resend-deferred = E-postservern sköt upp e-postmeddelandet om etablering till { $to } ({ $reply }); det skickas igen.
case-note-onboarded = Organisationen { $organization } har registrerats: tjänsten är konfigurerad, så ärendet löstes av sig självt.
value-text-empty = texten är tom; beskriv vad som hänt
case-request-type-required = välj en typ av begäran ({ $allowed })
