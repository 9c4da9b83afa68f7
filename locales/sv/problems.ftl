# Sidorna som ett problemdokuments `type` pekar på: /problems/{code} (crates/server/src/web/problems.rs),
# en rubrik och en text per felkod i tabellen i crates/server/src/error/code.rs.

problem-page-code = Kod
problem-page-status = HTTP-status
problem-page-about = provisios API svarar på varje fel med ett problemdokument (RFC 9457, application/problem+json) vars code är den ovan och vars type är den här sidan; dess detail säger exakt vad som var fel.

problem-invalid_request-title = Begäran är inte giltig
problem-invalid_request-text = Med status 400 gick begäran inte att läsa: innehållet är inte JSON, ett fält har fel typ eller är okänt, eller en parameter eller ett huvud (som limit, cursor eller Idempotency-Key) är felformaterat. Med status 422 gick den att läsa men bryter mot en regel: listan errors anger varje fält (path) och vad som är fel med det. Rätta begäran och skicka den igen.
problem-unauthenticated-title = Inloggning krävs
problem-unauthenticated-text = Skicka en API-nyckel som Authorization: Bearer följt av nyckeln. Nyckeln saknades, var felformaterad eller okänd. En administratör skapar nycklar (provisio api-key create).
problem-not_found-title = Hittades inte
problem-not_found-text = Det finns inget med detta id som du får se. Det som tillhör andra företag rapporteras också som saknat, liksom felformaterade id:n och okända adresser.
problem-permission_denied-title = Åtkomst nekad
problem-permission_denied-text = Du är inloggad, men din roll eller ditt företag får inte göra detta. För en åtgärd på en rad anger problemet vilken beställare (ordering_contact) du kan fråga.
problem-past_point_of_no_return-title = Organisationen är redan registrerad
problem-past_point_of_no_return-text = Kundens organisation är registrerad, så etableringsmeddelandet kan inte längre skickas om, kontakten inte bytas och raden inte avbrytas. Slutför installationen i administrationsportalen (admin_portal_url, om den är konfigurerad).
problem-line_cancelled-title = Raden är avbruten
problem-line_cancelled-text = Raden har avbrutits och tar inte emot fler åtgärder.
problem-resend_rate_limited-title = För många omskick
problem-resend_rate_limited-text = Etableringsmeddelandet för den här orderraden har skickats igen för många gånger den senaste timmen (5 gånger som standard; det automatiska första utskicket räknas inte). Försök igen efter antalet sekunder i huvudet Retry-After (även retry_after).
problem-invalid_email-title = Ogiltig e-postadress
problem-invalid_email-text = En e-postadress är inte giltig; listan errors anger fältet. Ange en enkel adress som kim@example.com, utan visningsnamn.
problem-idempotency_conflict-title = Idempotensnyckeln användes för en annan begäran
problem-idempotency_conflict-text = Du har använt denna Idempotency-Key under de senaste 24 timmarna för en annan begäran. Ett nytt försök måste skicka samma innehåll med samma nyckel; en ny begäran behöver en ny nyckel.
problem-request_timeout-title = Begärans innehåll kom inte fram i tid
problem-request_timeout-text = Klienten slutade skicka innehållet den aviserade; detail anger hur länge inget kom. Skicka begäran igen, hel.
problem-payload_too_large-title = Begärans innehåll är för stort
problem-payload_too_large-text = Innehållet är större än servern tar emot; detail anger gränsen. Skicka mindre, till exempel en order i flera delar.
problem-already_exists-title = Finns redan
problem-already_exists-text = Det finns redan något med detta namn, denna e-postadress eller detta id.
problem-invalid_transition-title = Inte möjligt i nuvarande läge
problem-invalid_transition-text = Radens nuvarande steg tillåter inte detta, till exempel att markera den som etablerad innan organisationen är registrerad.
problem-method_not_allowed-title = Metoden är inte tillåten
problem-method_not_allowed-text = Den här adressen tar inte emot denna HTTP-metod; huvudet Allow listar metoderna den tar emot.
problem-unsupported_media_type-title = Medietypen stöds inte
problem-unsupported_media_type-text = Skicka begärans innehåll som JSON, med Content-Type: application/json.
problem-unavailable-title = Tillfälligt otillgänglig
problem-unavailable-text = Tjänsten eller dess databas svarar inte just nu, eller så tog begäran för lång tid. Försök igen om några minuter.
problem-internal_error-title = Internt serverfel
problem-internal_error-text = Något gick fel hos oss. Det har loggats, och svaret säger med avsikt inget mer. Försök igen senare; om felet består, ge operatören svarets x-request-id-huvud.
problem-rate_limited-title = För många förfrågningar
problem-rate_limited-text = Den här användaren har öppnat för många supportärenden den senaste timmen (högst 10; nekade förfrågningar räknas inte). Försök igen efter antalet sekunder i huvudet Retry-After (även retry_after).
