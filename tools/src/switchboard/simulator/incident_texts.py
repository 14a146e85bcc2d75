"""What customers write when one thing breaks everywhere: each incident in every language
the demo regions speak (German aside), two wordings each, so that no two regions share a
sentence and the detector has to see through the languages."""

from __future__ import annotations

INCIDENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "card-payment-rejected": {
        "en": (
            "My card payment is rejected every time I try to pay, though the card works in shops.",
            "Payment declined again: your site refuses my card with an error, what is wrong?",
        ),
        "da": (
            "Min betaling med kort bliver afvist hver gang, selvom kortet virker i butikken.",
            "Jeg kan ikke betale, betalingen afvises og der står fejl ved mit kort.",
        ),
        "sv": (
            "Min betalning med kort nekas varje gång trots att kortet fungerar i butiken.",
            "Jag kan inte betala, betalningen avvisas och det står fel på mitt kort.",
        ),
        "nb": (
            "Betalingen med kortet mitt blir avvist hver gang, selv om kortet virker i butikken.",
            "Jeg får ikke betalt, betalingen avvises og det kommer en feil om kortet.",
        ),
        "fi": (
            "Maksu kortilla hylätään joka kerta, vaikka kortti toimii kaupassa.",
            "En pysty maksamaan, kortti hylätään ja maksu antaa virheen.",
        ),
        "fr": (
            "Mon paiement par carte est refusé à chaque fois alors que la carte marche en magasin.",
            "Impossible de payer, la carte est rejetée avec une erreur au moment du paiement.",
        ),
        "pl": (
            "Moja płatność kartą jest odrzucana za każdym razem, chociaż karta działa w sklepie.",
            "Nie mogę zapłacić, karta zostaje odrzucona i pojawia się błąd płatności.",
        ),
    },
    "app-crashes": {
        "en": (
            "Since this morning the app crashes as soon as I open it on my phone.",
            "Your mobile app closes by itself right after start, I cannot use it at all.",
        ),
        "da": (
            "Siden i morges lukker appen ned, så snart jeg åbner den på telefonen.",
            "Jeres app går ned med det samme, når jeg starter den på min mobil.",
        ),
        "sv": (
            "Sedan i morse kraschar appen så fort jag öppnar den i telefonen.",
            "Er app stänger sig själv direkt när jag startar den på mobilen.",
        ),
        "nb": (
            "Siden i morges krasjer appen med en gang jeg åpner den på telefonen.",
            "Appen deres lukker seg selv rett etter at jeg starter den på mobilen.",
        ),
        "fi": (
            "Aamusta asti sovellus kaatuu heti kun avaan sen puhelimessa.",
            "Teidän sovellus sulkeutuu itsestään heti käynnistyksen jälkeen puhelimessa.",
        ),
        "fr": (
            "Depuis ce matin l'application plante dès que je l'ouvre sur mon téléphone.",
            "Votre application se ferme toute seule juste après le démarrage sur mon mobile.",
        ),
        "pl": (
            "Od rana aplikacja zamyka się, gdy tylko otworzę ją na telefonie.",
            "Wasza aplikacja sama się wyłącza zaraz po uruchomieniu na komórce.",
        ),
    },
    "sms-code-missing": {
        "en": (
            "I never receive the SMS code to sign in, I have requested it five times.",
            "The verification code by text message does not arrive, so I am locked out.",
        ),
        "da": (
            "Jeg modtager aldrig SMS koden til at logge ind, jeg har bedt om den fem gange.",
            "Koden på SMS kommer ikke frem, så jeg kan ikke komme ind.",
        ),
        "sv": (
            "Jag får aldrig SMS koden för att logga in, jag har begärt den fem gånger.",
            "Koden via SMS kommer inte fram, så jag kommer inte in.",
        ),
        "nb": (
            "Jeg mottar aldri SMS koden for å logge inn, jeg har bedt om den fem ganger.",
            "Koden på SMS kommer ikke frem, så jeg kommer ikke inn.",
        ),
        "fi": (
            "En saa koskaan SMS koodia kirjautumiseen, olen pyytänyt sitä viisi kertaa.",
            "Vahvistuskoodi ei tule tekstiviestinä, joten en pääse sisään.",
        ),
        "fr": (
            "Je ne reçois jamais le code SMS pour me connecter, je l'ai demandé cinq fois.",
            "Le code de vérification par SMS n'arrive pas, je suis bloqué.",
        ),
        "pl": (
            "Nigdy nie dostaję kodu SMS do logowania, prosiłem o niego pięć razy.",
            "Kod weryfikacyjny SMS nie przychodzi, więc nie mogę się zalogować.",
        ),
    },
    "charged-twice": {
        "en": (
            "I was charged twice for the same order, the amount left my account two times.",
            "There is a double charge on my bank statement for one purchase.",
        ),
        "da": (
            "Jeg er blevet trukket to gange for den samme ordre på min bankkonto.",
            "Beløbet er hævet dobbelt fra min konto for et enkelt køb.",
        ),
        "sv": (
            "Jag har blivit debiterad två gånger för samma beställning på mitt konto.",
            "Beloppet har dragits dubbelt från mitt bankkonto för ett enda köp.",
        ),
        "nb": (
            "Jeg er blitt trukket to ganger for den samme ordren på kontoen min.",
            "Beløpet er trukket dobbelt fra bankkontoen min for ett enkelt kjøp.",
        ),
        "fi": (
            "Minulta veloitettiin kaksi kertaa samasta tilauksesta tililtäni.",
            "Summa on veloitettu tililtä kahdesti yhdestä ostoksesta.",
        ),
        "fr": (
            "J'ai été débité deux fois pour la même commande sur mon compte.",
            "Le montant a été prélevé en double sur mon compte bancaire pour un seul achat.",
        ),
        "pl": (
            "Zostałem obciążony dwa razy za to samo zamówienie na moim koncie.",
            "Kwota została pobrana podwójnie z mojego konta za jeden zakup.",
        ),
    },
    "reset-link-expired": {
        "en": (
            "The link in the password reset email says it has expired the moment I click it.",
            "Every password reset link you send me is already expired and useless.",
        ),
        "da": (
            "Linket i mailen til ny adgangskode er udløbet, lige når jeg klikker på det.",
            "Hvert link til nulstilling af adgangskoden er allerede udløbet.",
        ),
        "sv": (
            "Länken i mejlet för nytt lösenord har gått ut precis när jag klickar på den.",
            "Varje länk för att återställa lösenordet har redan gått ut.",
        ),
        "nb": (
            "Lenken i eposten for nytt passord er utløpt med en gang jeg klikker på den.",
            "Hver lenke for å tilbakestille passordet er allerede utløpt.",
        ),
        "fi": (
            "Salasanan vaihdon linkki sähköpostissa on vanhentunut heti kun klikkaan sitä.",
            "Jokainen salasanan palautuksen linkki on jo vanhentunut.",
        ),
        "fr": (
            "Le lien de réinitialisation du mot de passe est expiré dès que je clique dessus.",
            "Chaque lien pour changer le mot de passe que vous envoyez est déjà expiré.",
        ),
        "pl": (
            "Link do resetowania hasła w mailu wygasa, gdy tylko go kliknę.",
            "Każdy link do zmiany hasła, który wysyłacie, już wygasł.",
        ),
    },
    "tracking-page-error": {
        "en": (
            "The tracking page shows an error instead of where my parcel is.",
            "I cannot track my shipment, the tracking number gives an error page.",
        ),
        "da": (
            "Siden til sporing af pakken viser en fejl i stedet for hvor pakken er.",
            "Jeg kan ikke spore min forsendelse, sporingsnummeret giver en fejl.",
        ),
        "sv": (
            "Sidan för spårning visar ett fel i stället för var paketet är.",
            "Jag kan inte spåra min försändelse, spårningsnumret ger ett fel.",
        ),
        "nb": (
            "Siden for sporing viser en feil i stedet for hvor pakken er.",
            "Jeg får ikke sporet sendingen min, sporingsnummeret gir en feil.",
        ),
        "fi": (
            "Seurantasivu näyttää virheen eikä kerro missä pakettini on.",
            "En voi seurata lähetystä, seurantanumero antaa virheen.",
        ),
        "fr": (
            "La page de suivi affiche une erreur au lieu de l'endroit où est mon colis.",
            "Impossible de suivre mon envoi, le numéro de suivi donne une page d'erreur.",
        ),
        "pl": (
            "Strona śledzenia przesyłki pokazuje błąd zamiast miejsca mojej paczki.",
            "Nie mogę śledzić przesyłki, numer śledzenia wyświetla błąd.",
        ),
    },
}
