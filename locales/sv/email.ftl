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
