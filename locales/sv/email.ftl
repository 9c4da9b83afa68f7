# Etableringsmeddelanden (crates/mail). Ordvalen följer supportartikeln (shared/seed):
# etablering, etableringskontakt, Begärt startdatum, Point of No Return, organisationen
# registrerad. Endast ren text: HTML-delen escapar all text.

email-subject-initial = Information om etablering krävs för beställning { $order } ({ $sub }, { $customer })
email-subject-resend = Skickat igen: Information om etablering krävs för beställning { $order } ({ $sub }, { $customer })
email-subject-contact_changed = Du är nu etableringskontakt för beställning { $order } ({ $sub }, { $customer })
email-subject-reminder = Påminnelse: Information om etablering krävs för beställning { $order } ({ $sub }, { $customer })

email-greeting-named = Hej { $name },
email-greeting = Hej,

email-intro-initial = { $partner } har beställt en prenumeration för { $customer } och angett dig som etableringskontakt. Slutför etableringen av tjänsten.
email-intro-resend = Etableringsmeddelandet för prenumerationen för { $customer }, beställd av { $partner }, har skickats till dig igen. Slutför etableringen av tjänsten.
email-intro-contact_changed = Du är nu etableringskontakt för prenumerationen för { $customer }, beställd av { $partner }. Länkar som skickats till den tidigare etableringskontakten fungerar inte längre. Slutför etableringen av tjänsten.
email-intro-reminder = Påminnelse: prenumerationen för { $customer }, beställd av { $partner }, väntar fortfarande på information om etablering.

email-label-order = Beställning
email-label-subscription = Prenumeration
email-label-customer = Slutkund
email-label-partner = Partner
email-label-offer = Erbjudande
email-label-quantity = Antal
email-label-start-date = Begärt startdatum
email-label-deadline = Slutför senast
email-label-deadline-passed = Stängd sedan

email-setup-lead = Slutför etableringen här:
email-setup-button = Slutför etableringen
email-deadline-note = Om etableringen inte är slutförd senast { $deadline } stängs orderraden; { $partner } kan fortfarande skicka etableringsmeddelandet igen.
email-deadline-passed-note = Orderraden stängdes { $deadline } eftersom etableringen inte slutfördes i tid, men etableringen pågår fortfarande: du kan fortfarande konfigurera din tjänst via länken ovan.
email-admin-portal = När organisationen har registrerats slutar den här länken att fungera. Därefter slutför etableringskontakten eller en administratör tjänstekonfigurationen, och gör eventuella ändringar, genom att logga in på administrationsportalen:
email-help = Frågor? Kontakta { $name } ({ $email }), som gjorde beställningen, eller svara på det här meddelandet.
email-footer = Skickat av provisio på uppdrag av { $partner }. Om du inte väntade dig det här meddelandet, kontakta { $partner }.

# Meddelandet till beställaren att etableringen lämnats över (SPEC §10).
email-subject-handed_off = Etableringen har lämnats över till en kollega: beställning { $order } ({ $sub }, { $customer })
email-intro-handed_off = { $from }, etableringskontakt för prenumerationen för { $customer }, har lämnat över etableringen till en kollega: { $to }. Kollegan har fått etableringsmeddelandet; länkar som skickats tidigare fungerar inte längre.
email-label-handed-off-by = Överlämnad av
email-label-handed-off-to = Ny etableringskontakt
email-handed_off-next = Du behöver inte göra något. Om det här var oväntat kan du ändra etableringskontakten för orderraden i arbetsytan.

# E-post som läsaren kan lita på (ärende 19, punkt 7). $from: adressen till den som lämnade
# över etableringen från etableringssidan.
email-intro-contact_changed-handed_off = { $from } har bett dig att slutföra etableringen av tjänsten för prenumerationen för { $customer }, beställd av { $partner }. Du är nu etableringskontakt. Slutför etableringen av tjänsten.
email-handed_off-line = Se orderraden i arbetsytan:

# Ärendemeddelanden (SPEC §11): till supporten (case_opened) eller till den som öppnade
# ärendet (case_answered, case_resolved). Samma ämnesrad för alla meddelanden om ett ärende.
# Orden följer supportartikeln och SPEC §11: ärende, Typ av begäran.
email-case-subject-sub = Ärende om { $sub }: { $type }
email-case-subject-order = Ärende om beställning { $order }: { $type }
email-case-subject-company = Ärende från { $company }: { $type }
email-case-type-resend_provisioning_email = Skicka e-post om etablering igen
email-case-type-change_provisioning_contact = Ändra kontakt för etablering
email-case-type-other = Annat
email-case-state-open = Öppet
email-case-state-waiting = Väntar
email-case-state-resolved = Löst
email-intro-case_opened = Ett nytt ärende har öppnats av { $opener } på { $company }.
email-intro-case_answered = { $author } har svarat på ditt ärende:
email-intro-case_resolved = Ditt ärende har lösts av { $author }.
email-intro-case_resolved-by-service = Ditt ärende löstes av sig självt: organisationen har registrerats, så tjänsten är etablerad.
email-case-description = Beskrivning:
email-case-comment = Kommentar:
email-case-last-email-failed = Det senaste etableringsmeddelandet för orderraden kunde inte levereras: se orderradens e-post innan du svarar.
email-label-case = Ärende
email-label-request-type = Typ av begäran
email-label-opened-by = Öppnat av
email-case-link = Se ärendet:
email-case-no-reply = Svar på det här meddelandet läses inte: svara på ärendesidan.
email-case-footer = Skickat av provisio.
