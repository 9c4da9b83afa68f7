# Etableringskontaktens sida för konfiguration (GET/POST /setup/{token}).

setup-title = Konfigurera din tjänst
setup-intro = { $partner } har beställt en prenumeration för { $customer }. Skapa din organisation, eller välj en som du redan administrerar, för att börja använda den.
setup-partner = Partner
setup-customer = Kund
setup-offer = Erbjudande
setup-quantity = Antal
setup-reference = Prenumerationsreferens
setup-order = Beställning
setup-deadline = Konfigurera senast
setup-existing = Använd en organisation som du redan administrerar
setup-new = Eller skapa en ny organisation
setup-organization-name = Organisationens namn
setup-submit = Konfigurera din tjänst
setup-name-missing = Ange organisationens namn, eller välj en organisation som du redan administrerar.
setup-unknown-organization = Den organisationen administrerar du inte; välj en i listan eller ange ett nytt namn.
setup-done-title = Din tjänst är konfigurerad
setup-done = Organisationen { $organization } är nu registrerad för prenumerationen { $reference }.
setup-continue-portal = Slutför tjänstekonfigurationen genom att logga in på administrationsportalen:
setup-continue-partner = Din partner berättar hur du slutför tjänstekonfigurationen.
setup-spent-title = Länken har redan använts
setup-spent = Organisationen för prenumerationen { $reference } är redan registrerad, så länken kan inte användas igen.
setup-revoked-title = Länken fungerar inte längre
setup-revoked = Länken har ersatts eller dragits tillbaka: etableringskontakten kan ha ändrats eller beställningen avbrutits.
setup-ask-partner = Be kontakten som gjorde beställningen att skicka om etableringsmeddelandet: { $name } ({ $email }).
setup-unknown-title = Länken är inte giltig
setup-unknown = Vi känner inte till den här länken. Kontrollera att du öppnade hela länken från etableringsmeddelandet.
