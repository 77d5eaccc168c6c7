//! Cross-kind tests: dispatch through `normalize` and idempotence of every kind.

use proptest::prelude::*;

use super::*;

const KINDS: [Normalizer; 11] = [
    Normalizer::Raw,
    Normalizer::Text,
    Normalizer::Name,
    Normalizer::Email,
    Normalizer::Phone,
    Normalizer::Company,
    Normalizer::Address,
    Normalizer::Postcode,
    Normalizer::Date,
    Normalizer::Identifier,
    Normalizer::Country,
];

#[test]
fn masked_values_are_missing() {
    assert_eq!(normalize(Normalizer::Email, "jan***@example.com"), None);
    assert_eq!(normalize(Normalizer::Email, "j•••@x.fr"), None);
    assert_eq!(normalize(Normalizer::Phone, "06 ** ** 12 34"), None);
    assert_eq!(
        normalize(Normalizer::Email, "jan*k@example.com").as_deref(),
        Some("jan*k@example.com")
    );
}

#[test]
fn email_and_phone_basics() {
    assert_eq!(
        normalize(Normalizer::Email, "  J.Dupont@Gmail.COM ").as_deref(),
        Some("j.dupont@gmail.com")
    );
    assert_eq!(
        normalize(Normalizer::Phone, "+33 6 12-34.56 78").as_deref(),
        Some("+33612345678")
    );
    assert_eq!(
        normalize(Normalizer::Phone, "06 12 34 56 78").as_deref(),
        Some("+33612345678")
    );
    assert_eq!(normalize(Normalizer::Phone, " + "), None);
    assert_eq!(
        normalize(Normalizer::Postcode, "75 001").as_deref(),
        Some("75001")
    );
    assert_eq!(normalize(Normalizer::Text, " -- "), None);
    assert_eq!(normalize(Normalizer::Raw, "").as_deref(), None);
    assert_eq!(normalize(Normalizer::Raw, " x ").as_deref(), Some(" x "));
    assert_eq!(
        normalize(Normalizer::Date, "03/02/1980").as_deref(),
        Some("1980-02-03")
    );
    assert_eq!(
        normalize(Normalizer::Company, "SARL Dupont & Fils").as_deref(),
        Some("dupont fils")
    );
    assert_eq!(
        normalize(Normalizer::Address, "12 av. Foch").as_deref(),
        Some("12 avenue foch")
    );
    assert_eq!(
        normalize(Normalizer::Name, "Mme Lefèvre").as_deref(),
        Some("lefevre")
    );
}

#[test]
fn options_change_region_and_email_rules() {
    let be = NormalizeOptions {
        default_region: "BE".to_owned(),
        ..NormalizeOptions::default()
    };
    assert_eq!(
        normalize_with(Normalizer::Phone, "0470 12 34 56", &be).as_deref(),
        Some("+32470123456")
    );
    let rules = NormalizeOptions {
        email_provider_rules: true,
        ..NormalizeOptions::default()
    };
    assert_eq!(
        normalize_with(Normalizer::Email, "J.Dupont+x@gmail.com", &rules).as_deref(),
        Some("jdupont@gmail.com")
    );
    let json = serde_json::to_string(&NormalizeOptions::default()).expect("serialisable");
    assert_eq!(
        json,
        r#"{"default_region":"FR","email_provider_rules":false}"#
    );
    let parsed: NormalizeOptions = serde_json::from_str("{}").expect("all fields default");
    assert_eq!(parsed, NormalizeOptions::default());
    let kind: Normalizer = serde_json::from_str("\"postcode\"").expect("snake case");
    assert_eq!(kind, Normalizer::Postcode);
}

#[test]
fn idempotent_on_messy_examples() {
    let samples = [
        "SARL Dupont & Fils",
        "a et b",
        "S.A. S.A.",
        "12 bis av. de la République",
        "Hauptstr. 5",
        "06 12 34 56 78",
        "+33 (0)6 12 34 56 78",
        "tel: 06 12 34 56 78 (bureau)",
        "0033612345678",
        "  J.Dupont@Gmail.COM ",
        "Jean <j@x.fr>",
        "M. Jean-Pierre O'Brien",
        "Mr Ms",
        "1000",
        "F-75001",
        "12 e t",
        "e t",
        "x & y z",
        "+",
        "00",
        "330612345678",
        "+39 06 1234 5678",
    ];
    for kind in KINDS {
        for sample in samples {
            if let Some(once) = normalize(kind, sample) {
                assert_eq!(
                    normalize(kind, &once).as_deref(),
                    Some(once.as_str()),
                    "{kind:?} {sample:?}"
                );
            }
        }
    }
}

fn contact_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,24}",
        "[A-Za-zéèçÉ' .&-]{0,24}",
        "[+]?[0-9 ().-]{0,18}",
        "[a-zA-Z0-9.+_]{0,10}@?[a-zA-Zé0-9.-]{0,12}",
        "[0-9]{0,3}( ?(bis|b|ter|t))? (av|bd|r|rue|chem|all|imp|pl|fg|st)\\.? [A-Za-z ]{0,12}",
        "(sarl|sas|s\\.a\\.|gmbh|ltd|et|and|&|[a-z]|dupont| ){0,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn normalisation_is_idempotent(value in contact_like()) {
        for kind in KINDS {
            if let Some(once) = normalize(kind, &value) {
                let twice = normalize(kind, &once);
                prop_assert_eq!(twice.as_deref(), Some(once.as_str()), "{:?} of {:?}", kind, value);
            }
        }
    }

    #[test]
    fn phonetic_keys_are_stable_under_normalisation(value in "[A-Za-zéèçëœ' -]{0,20}") {
        let name = normalize_name(&value);
        prop_assert_eq!(phonetic_fr(&name), phonetic_fr(&normalize_name(&name)));
        prop_assert!(phonetic_fr(&value).bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
