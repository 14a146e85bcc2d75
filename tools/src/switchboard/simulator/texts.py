"""What customers write, per language: long enough for language detection to be sure.

Ordinary messages avoid every word escalation's angry-message classifier looks for; the
``ANGRY`` lines use them on purpose.
"""

from __future__ import annotations

Message = tuple[str, str]
"""A subject line and a body."""

MESSAGES: dict[str, tuple[Message, ...]] = {
    "en": (
        (
            "Invoice question",
            "Hello, I received my invoice for this month and the amount is "
            "higher than what I usually pay. Could you please explain the extra charge to me?",
        ),
        (
            "Delivery has not arrived",
            "Hi, my order was supposed to arrive on Tuesday but I "
            "still have not received anything. Can you tell me where the parcel is right now?",
        ),
        (
            "Change my address",
            "Good morning, we have moved to a new flat and I would like to "
            "update the delivery address on my account before the next order is shipped.",
        ),
        (
            "Cannot log in",
            "Hello, since yesterday I cannot log in to my account. The page "
            "says that my password is wrong even after I reset it twice. What should I do?",
        ),
    ),
    "da": (
        (
            "Spørgsmål til faktura",
            "Hej, jeg har modtaget min faktura for denne måned, og "
            "beløbet er højere end det, jeg plejer at betale. Kan I forklare mig hvorfor?",
        ),
        (
            "Pakken er ikke kommet",
            "Hej, min ordre skulle være leveret i tirsdags, men jeg har "
            "stadig ikke modtaget noget. Kan I fortælle mig, hvor pakken er henne nu?",
        ),
        (
            "Ny adresse",
            "Godmorgen, vi er flyttet til en ny lejlighed, og jeg vil gerne ændre "
            "leveringsadressen på min konto, før den næste ordre bliver sendt afsted.",
        ),
        (
            "Kan ikke logge ind",
            "Hej, siden i går har jeg ikke kunnet logge ind på min konto. "
            "Der står, at adgangskoden er forkert, selvom jeg har nulstillet den to gange.",
        ),
    ),
    "sv": (
        (
            "Fråga om fakturan",
            "Hej, jag har fått min faktura för den här månaden och beloppet "
            "är högre än vad jag brukar betala. Kan ni förklara varför det blev så?",
        ),
        (
            "Paketet har inte kommit",
            "Hej, min beställning skulle komma i tisdags men jag har "
            "fortfarande inte fått någonting. Kan ni berätta var paketet finns just nu?",
        ),
        (
            "Byta adress",
            "God morgon, vi har flyttat till en ny lägenhet och jag skulle vilja "
            "ändra leveransadressen på mitt konto innan nästa beställning skickas iväg.",
        ),
        (
            "Kan inte logga in",
            "Hej, sedan igår kan jag inte logga in på mitt konto. Det står "
            "att lösenordet är fel fast jag har återställt det två gånger. Vad ska jag göra?",
        ),
    ),
    "nb": (
        (
            "Spørsmål om fakturaen",
            "Hei, jeg har fått fakturaen for denne måneden, og beløpet "
            "er høyere enn det jeg pleier å betale. Kan dere forklare meg hvorfor det ble slik?",
        ),
        (
            "Pakken har ikke kommet",
            "Hei, bestillingen min skulle komme på tirsdag, men jeg har "
            "fortsatt ikke fått noe. Kan dere si meg hvor pakken befinner seg nå?",
        ),
        (
            "Ny adresse",
            "God morgen, vi har flyttet til en ny leilighet, og jeg vil gjerne endre "
            "leveringsadressen på kontoen min før neste bestilling blir sendt.",
        ),
        (
            "Får ikke logget inn",
            "Hei, siden i går har jeg ikke fått logget inn på kontoen min. "
            "Det står at passordet er feil, selv om jeg har tilbakestilt det to ganger.",
        ),
    ),
    "fi": (
        (
            "Kysymys laskusta",
            "Hei, sain tämän kuun laskun ja summa on suurempi kuin mitä "
            "yleensä maksan. Voisitteko selittää, mistä ylimääräinen maksu johtuu?",
        ),
        (
            "Paketti ei ole saapunut",
            "Hei, tilaukseni piti saapua tiistaina, mutta en ole "
            "vieläkään saanut mitään. Voitteko kertoa, missä paketti on tällä hetkellä?",
        ),
        (
            "Osoitteen muutos",
            "Hyvää huomenta, muutimme uuteen asuntoon ja haluaisin päivittää "
            "toimitusosoitteen tililleni ennen kuin seuraava tilaus lähetetään.",
        ),
        (
            "En pääse kirjautumaan",
            "Hei, eilisestä lähtien en ole päässyt kirjautumaan tililleni. "
            "Sivu sanoo, että salasana on väärä, vaikka vaihdoin sen kahdesti.",
        ),
    ),
    "de": (
        (
            "Frage zur Rechnung",
            "Guten Tag, ich habe meine Rechnung für diesen Monat erhalten und "
            "der Betrag ist höher als sonst. Können Sie mir bitte die zusätzliche Gebühr erklären?",
        ),
        (
            "Paket nicht angekommen",
            "Hallo, meine Bestellung sollte am Dienstag geliefert werden, "
            "aber ich habe immer noch nichts bekommen. Wo befindet sich das Paket gerade?",
        ),
        (
            "Adresse ändern",
            "Guten Morgen, wir sind in eine neue Wohnung umgezogen und ich möchte "
            "die Lieferadresse in meinem Konto ändern, bevor die nächste Bestellung "
            "verschickt wird.",
        ),
        (
            "Anmeldung funktioniert nicht",
            "Hallo, seit gestern kann ich mich nicht mehr in mein "
            "Konto einloggen. Es heißt, das Passwort sei falsch, obwohl ich es zweimal "
            "zurückgesetzt habe.",
        ),
    ),
    "fr": (
        (
            "Question sur la facture",
            "Bonjour, j'ai reçu ma facture de ce mois-ci et le montant "
            "est plus élevé que d'habitude. Pourriez-vous m'expliquer ces frais supplémentaires ?",
        ),
        (
            "Colis non reçu",
            "Bonjour, ma commande devait arriver mardi mais je n'ai toujours "
            "rien reçu. Pouvez-vous me dire où se trouve le colis en ce moment ?",
        ),
        (
            "Changement d'adresse",
            "Bonjour, nous avons déménagé dans un nouvel appartement et je "
            "voudrais modifier l'adresse de livraison de mon compte avant la prochaine commande.",
        ),
        (
            "Impossible de me connecter",
            "Bonjour, depuis hier je n'arrive plus à me connecter à "
            "mon compte. Le site indique que mon mot de passe est incorrect alors que je l'ai "
            "réinitialisé deux fois.",
        ),
    ),
    "pl": (
        (
            "Pytanie o fakturę",
            "Dzień dobry, otrzymałem fakturę za ten miesiąc i kwota jest "
            "wyższa niż zwykle. Czy mogą mi Państwo wyjaśnić, skąd ta dodatkowa opłata?",
        ),
        (
            "Paczka nie dotarła",
            "Dzień dobry, moje zamówienie miało przyjść we wtorek, ale nadal "
            "nic nie dostałem. Czy mogą mi Państwo powiedzieć, gdzie jest teraz paczka?",
        ),
        (
            "Zmiana adresu",
            "Dzień dobry, przeprowadziliśmy się do nowego mieszkania i chciałbym "
            "zmienić adres dostawy na moim koncie, zanim zostanie wysłane następne zamówienie.",
        ),
        (
            "Nie mogę się zalogować",
            "Dzień dobry, od wczoraj nie mogę zalogować się na swoje "
            "konto. Strona pokazuje, że hasło jest błędne, chociaż dwa razy je resetowałem.",
        ),
    ),
}

ANGRY: dict[str, str] = {
    "en": "This is unacceptable. I have been waiting for a week and I am fed up with your "
    "service, it is ridiculous that nobody answers my messages.",
    "da": "Det er helt uacceptabelt. Jeg har ventet i en uge, og jeg er træt af jeres service, "
    "det er latterligt, at ingen svarer på mine beskeder.",
    "sv": "Det här är helt oacceptabelt. Jag har väntat i en vecka och jag är trött på er "
    "service, det är löjligt att ingen svarar på mina meddelanden.",
    "nb": "Dette er helt uakseptabelt. Jeg har ventet i en uke, og jeg er lei av tjenesten "
    "deres, det er latterlig at ingen svarer på meldingene mine.",
    "fi": "Tämä on täysin kohtuutonta ja naurettavaa. Olen odottanut viikon eikä kukaan "
    "vastaa viesteihini, olen todella vihainen palvelustanne.",
    "de": "Das ist absolut inakzeptabel. Ich warte seit einer Woche und niemand antwortet auf "
    "meine Nachrichten, das ist lächerlich und eine Frechheit.",
    "fr": "C'est inacceptable. J'attends depuis une semaine et personne ne répond à mes "
    "messages, c'est ridicule et je suis furieux de ce service.",
    "pl": "To jest niedopuszczalne. Czekam od tygodnia i nikt nie odpowiada na moje "
    "wiadomości, to skandal i jestem naprawdę wściekły.",
}

FOLLOW_UPS: dict[str, str] = {
    "en": "Thank you for the quick answer. One more thing: could you also send me a copy of "
    "the confirmation by email so that I have it for my records?",
    "da": "Tak for det hurtige svar. En ting mere: kan I også sende mig en kopi af "
    "bekræftelsen på mail, så jeg har den til mine papirer?",
    "sv": "Tack för det snabba svaret. En sak till: kan ni också skicka en kopia av "
    "bekräftelsen via mejl så att jag har den sparad?",
    "nb": "Takk for det raske svaret. En ting til: kan dere også sende meg en kopi av "
    "bekreftelsen på e-post, slik at jeg har den i papirene mine?",
    "fi": "Kiitos nopeasta vastauksesta. Vielä yksi asia: voisitteko lähettää minulle "
    "vahvistuksen kopion sähköpostilla, jotta se on tallessa?",
    "de": "Vielen Dank für die schnelle Antwort. Noch eine Sache: Könnten Sie mir bitte auch "
    "eine Kopie der Bestätigung per E-Mail schicken, damit ich sie aufbewahren kann?",
    "fr": "Merci pour votre réponse rapide. Encore une chose : pourriez-vous aussi m'envoyer "
    "une copie de la confirmation par e-mail pour que je la garde ?",
    "pl": "Dziękuję za szybką odpowiedź. Jeszcze jedna sprawa: czy mogą mi Państwo przesłać "
    "kopię potwierdzenia e-mailem, żebym miał ją u siebie?",
}

COMMENTS: dict[str, tuple[str, str]] = {
    "en": ("Quick and friendly help, thank you.", "I had to wait far too long for an answer."),
    "da": ("Hurtig og venlig hjælp, tak.", "Jeg måtte vente alt for længe på et svar."),
    "sv": ("Snabb och vänlig hjälp, tack.", "Jag fick vänta alldeles för länge på svar."),
    "nb": ("Rask og vennlig hjelp, takk.", "Jeg måtte vente altfor lenge på et svar."),
    "fi": ("Nopeaa ja ystävällistä apua, kiitos.", "Jouduin odottamaan vastausta liian kauan."),
    "de": ("Schnelle und freundliche Hilfe, danke.", "Ich musste viel zu lange warten."),
    "fr": ("Aide rapide et aimable, merci.", "J'ai dû attendre beaucoup trop longtemps."),
    "pl": ("Szybka i miła pomoc, dziękuję.", "Musiałem zdecydowanie za długo czekać."),
}

REPLIES: dict[str, Message] = {
    "en": (
        "Your request",
        "Hello, thank you for writing to us. I have looked into your account and sorted it "
        "out; you will see the change within a day. Kind regards, customer service",
    ),
    "da": (
        "Din henvendelse",
        "Hej, tak fordi du skrev til os. Jeg har kigget på din konto og ordnet det; du vil "
        "kunne se ændringen inden for et døgn. Venlig hilsen, kundeservice",
    ),
    "sv": (
        "Ditt ärende",
        "Hej, tack för att du hörde av dig. Jag har tittat på ditt konto och ordnat det; du "
        "kommer att se ändringen inom ett dygn. Vänliga hälsningar, kundtjänst",
    ),
    "nb": (
        "Din henvendelse",
        "Hei, takk for at du skrev til oss. Jeg har sett på kontoen din og ordnet det; du vil "
        "se endringen innen et døgn. Vennlig hilsen, kundeservice",
    ),
    "fi": (
        "Yhteydenottosi",
        "Hei, kiitos viestistäsi. Tarkistin tilisi ja hoidin asian kuntoon; näet muutoksen "
        "vuorokauden kuluessa. Ystävällisin terveisin, asiakaspalvelu",
    ),
    "de": (
        "Ihre Anfrage",
        "Guten Tag, vielen Dank für Ihre Nachricht. Ich habe mir Ihr Konto angesehen und die "
        "Sache erledigt; Sie sehen die Änderung innerhalb eines Tages. Freundliche Grüße, "
        "Kundenservice",
    ),
    "fr": (
        "Votre demande",
        "Bonjour, merci de nous avoir écrit. J'ai vérifié votre compte et tout est réglé ; "
        "vous verrez le changement d'ici un jour. Cordialement, le service client",
    ),
    "pl": (
        "Państwa zgłoszenie",
        "Dzień dobry, dziękujemy za wiadomość. Sprawdziłem Państwa konto i wszystko "
        "załatwiłem; zmiana będzie widoczna w ciągu doby. Pozdrawiam, obsługa klienta",
    ),
}
"""What an agent answers, per language: a subject (for e-mail) and the text."""
