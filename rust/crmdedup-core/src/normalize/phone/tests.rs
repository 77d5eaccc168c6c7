use super::*;

type Info = (String, bool, PhoneKind);

fn info(value: &str, region: &str) -> Option<Info> {
    let opts = NormalizeOptions {
        default_region: region.to_owned(),
        ..NormalizeOptions::default()
    };
    phone_info(value, &opts).map(|i| (i.e164, i.valid, i.kind))
}

#[test]
#[allow(clippy::too_many_lines)] // a table of test vectors
fn messy_french_and_european_numbers() {
    use PhoneKind::{Fixed, Mobile, Other};
    type Case = (
        &'static str,
        &'static str,
        Option<(&'static str, bool, PhoneKind)>,
    );
    let cases: &[Case] = &[
        ("06 12 34 56 78", "FR", Some(("+33612345678", true, Mobile))),
        ("0612345678", "FR", Some(("+33612345678", true, Mobile))),
        ("06.12.34.56.78", "FR", Some(("+33612345678", true, Mobile))),
        ("06-12-34-56-78", "FR", Some(("+33612345678", true, Mobile))),
        (
            "+33 6 12 34 56 78",
            "FR",
            Some(("+33612345678", true, Mobile)),
        ),
        (
            "+33 (0)6 12 34 56 78",
            "FR",
            Some(("+33612345678", true, Mobile)),
        ),
        ("+330612345678", "FR", Some(("+33612345678", true, Mobile))),
        (
            "0033 6 12 34 56 78",
            "FR",
            Some(("+33612345678", true, Mobile)),
        ),
        ("33612345678", "FR", Some(("+33612345678", true, Mobile))),
        ("6 12 34 56 78", "FR", Some(("+33612345678", true, Mobile))),
        ("01 42 68 53 00", "FR", Some(("+33142685300", true, Fixed))),
        ("0800 123 456", "FR", Some(("+33800123456", true, Other))),
        (
            "Tél : 06 12 34 56 78",
            "FR",
            Some(("+33612345678", true, Mobile)),
        ),
        (
            "06 12 34 56 78 poste 12",
            "FR",
            Some(("+33612345678", true, Mobile)),
        ),
        (
            "06 12 34 56 78 (bureau)",
            "FR",
            Some(("+33612345678", true, Mobile)),
        ),
        ("01 23", "FR", Some(("+330123", false, Other))),
        (
            "+32 470 12 34 56",
            "FR",
            Some(("+32470123456", true, Mobile)),
        ),
        ("0470 12 34 56", "BE", Some(("+32470123456", true, Mobile))),
        ("02 511 45 67", "BE", Some(("+3225114567", true, Fixed))),
        (
            "+41 79 123 45 67",
            "FR",
            Some(("+41791234567", true, Mobile)),
        ),
        ("044 668 18 00", "CH", Some(("+41446681800", true, Fixed))),
        (
            "+49 151 23456789",
            "FR",
            Some(("+4915123456789", true, Mobile)),
        ),
        ("030 1234567", "DE", Some(("+49301234567", true, Fixed))),
        (
            "+34 612 34 56 78",
            "FR",
            Some(("+34612345678", true, Mobile)),
        ),
        (
            "+39 06 1234 5678",
            "FR",
            Some(("+390612345678", true, Fixed)),
        ),
        ("06 1234 5678", "IT", Some(("+390612345678", true, Fixed))),
        (
            "+39 312 345 6789",
            "FR",
            Some(("+393123456789", true, Mobile)),
        ),
        (
            "+1 (202) 555-0173",
            "FR",
            Some(("+12025550173", true, Other)),
        ),
        (
            "+44 20 7183 8750",
            "FR",
            Some(("+442071838750", true, Fixed)),
        ),
        ("n/a", "FR", None),
        ("", "FR", None),
    ];
    for &(raw, region, want) in cases {
        let want = want.map(|(e, v, k)| (e.to_owned(), v, k));
        assert_eq!(info(raw, region), want, "{raw:?} in {region}");
    }
}

#[test]
fn fallback_keeps_digits() {
    use crate::normalize::{Normalizer, normalize};
    assert_eq!(normalize(Normalizer::Phone, "+ 0").as_deref(), Some("+0"));
    assert_eq!(normalize(Normalizer::Phone, "n/a"), None);
    // Like libphonenumber, a short number is read in the default region (and is invalid).
    assert_eq!(
        normalize(Normalizer::Phone, "n/a 12").as_deref(),
        Some("+3312")
    );
}

/// Agreement with the `phonenumbers` Python package on `tests/data/phones.csv`, made by
/// `tests/data/make_phones.py`.
#[test]
fn agrees_with_phonenumbers_oracle() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/phones.csv");
    let text = std::fs::read_to_string(path).expect("tests/data/phones.csv is readable");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("raw,region,e164"));
    let (mut total, mut agree) = (0usize, 0usize);
    let mut mismatches = Vec::new();
    for line in lines {
        let mut fields = line.rsplitn(3, ',');
        let (Some(e164), Some(region), Some(raw)) = (fields.next(), fields.next(), fields.next())
        else {
            panic!("bad line {line:?}");
        };
        let raw = raw.trim_matches('"');
        let got = info(raw, region).map(|i| i.0).unwrap_or_default();
        total += 1;
        if got == e164 {
            agree += 1;
        } else {
            mismatches.push(format!("{raw:?} {region}: want {e164:?} got {got:?}"));
        }
    }
    let rate = agree as f64 / total as f64;
    eprintln!(
        "phone oracle agreement: {agree}/{total} = {:.4}%",
        rate * 100.0
    );
    for m in mismatches.iter().take(30) {
        eprintln!("  {m}");
    }
    assert!(total >= 1000, "only {total} vectors");
    assert!(rate >= 0.99, "agreement {rate}");
}

#[test]
fn an_invalid_parse_is_normalised_to_its_fixed_point() {
    // Found by the idempotence property: the keypad reading of the letters kept a trunk `0`
    // after the country code, which a second normalisation dropped.
    let opts = NormalizeOptions::default();
    for value in ["000 rue AaaaAA", "000783222222", "+330783222222"] {
        let once = phone_info(value, &opts).unwrap().e164;
        let twice = phone_info(&once, &opts).unwrap().e164;
        assert_eq!(once, twice, "{value}");
    }
}

/// `00` then a calling code is an international number even where the international prefix
/// is another (011 in North America), when the national reading is not a valid number.
#[test]
fn a_leading_00_is_international_where_the_region_dials_out_otherwise() {
    let polish = Some(("+48660733844".to_owned(), true, PhoneKind::Mobile));
    assert_eq!(info("0048 660 733 844", "US"), polish);
    assert_eq!(info("0048 660 733 844", "CA"), polish);
    assert_eq!(info("+48 660 733 844", "US"), polish);
    // A valid national number keeps its national reading.
    assert_eq!(
        info("(312) 485-9600", "US"),
        Some(("+13124859600".to_owned(), true, PhoneKind::Other))
    );
    // In France, `00` is the international prefix already.
    assert_eq!(info("0048 660 733 844", "FR"), polish);
}
