# Etableringskontaktens sida för konfiguration (GET/POST /setup/{token}).

setup-title = Konfigurera din tjänst
setup-intro = { $partner } har beställt en prenumeration för { $customer }.
setup-partner = Partner
setup-customer = Kund
setup-offer = Erbjudande
setup-quantity = Antal
setup-reference = Prenumerationsreferens
setup-order = Beställning
setup-deadline = Konfigurera senast

setup-organization-name = Organisationens namn
setup-submit = Konfigurera din tjänst
setup-name-missing = Ange organisationens namn, eller välj ett annat sätt att konfigurera tjänsten.
setup-unknown-organization = Den organisationen administrerar du inte; välj en i listan eller ange ett nytt namn.
setup-done-title = Din tjänst är konfigurerad
setup-done = Organisationen { $organization } är nu registrerad för prenumerationen { $reference }.
setup-continue-portal = Slutför tjänstekonfigurationen genom att logga in på administrationsportalen:
setup-continue-partner = Din partner berättar hur du slutför tjänstekonfigurationen.
setup-spent-title = Länken har redan använts
setup-spent = Organisationen för prenumerationen { $reference } är redan registrerad, så länken kan inte användas igen.
setup-revoked-title = Länken fungerar inte längre
setup-revoked = Länken har ersatts eller dragits tillbaka: etableringskontakten kan ha ändrats eller beställningen avbrutits.
setup-ask-partner = Be kontakten som gjorde beställningen att skicka etableringsmeddelandet igen: { $name } ({ $email }).
setup-unknown-title = Länken är inte giltig
setup-unknown = Vi känner inte till den här länken. Kontrollera att du öppnade hela länken från etableringsmeddelandet.
setup-intro-create = Skapa din organisation för att börja använda den, eller låt en kollega konfigurera den.
setup-intro-pick = Välj en organisation som du redan administrerar, skapa en ny, eller låt en kollega konfigurera tjänsten.
setup-closed-on = Orderraden stängdes
setup-closed-note = Orderraden stängdes eftersom etableringen inte slutfördes i tid, men etableringen pågår fortfarande: du kan fortfarande konfigurera din tjänst här.
setup-choice-legend = Hur vill du konfigurera tjänsten?
setup-choice-existing = Använd { $name }, som du redan administrerar
setup-choice-new = Skapa en ny organisation
setup-choice-colleague = Någon annan i mitt företag konfigurerar detta
setup-colleague-email = Kollegans e-post
setup-colleague-hint = Vi skickar konfigurationslänken till din kollega och meddelar { $name }, som gjorde beställningen. Den här länken slutar sedan att fungera.
setup-colleague-missing = Ange din kollegas e-postadress.
setup-problem = Något behöver rättas
setup-error-prefix = Fel:
setup-handed-off-title = Din kollega har fått etableringsmeddelandet
setup-handed-off = Vi har skickat etableringsmeddelandet till { $email }. Länkar som skickats till dig tidigare fungerar inte längre, och { $name }, som gjorde beställningen, har fått besked.
setup-fresh-lead = Behöver du fortfarande konfigurera tjänsten? Vi kan skicka en ny konfigurationslänk till prenumerationens nuvarande etableringskontakt.
setup-fresh-button = Skicka en ny länk till mig
setup-fresh-title = Vi har tagit emot din begäran
setup-fresh-done = Om prenumerationen fortfarande kan konfigureras är en ny konfigurationslänk på väg till dess nuvarande etableringskontakt. Det kan ta några minuter innan den kommer fram; titta även i skräpposten.

# Issue 19 (lead)
setup-done-next = Vad händer nu: länken har gjort sitt och öppnar inte längre sidan; partnern ser att tjänsten är registrerad, och inga fler e-postmeddelanden skickas om den.
