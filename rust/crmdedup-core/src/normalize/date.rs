//! Dates: parsed from the common written forms into `YYYY-MM-DD`, with the field order inferred
//! per column from the values themselves.
//!
//! `1969-06-04`, `19690604`, `04/06/1969`, `04.06.1969`, `4 June 1969`, `June 4, 1969`,
//! `04-jun-69` and `1969-06-04T10:22:00+01:00` all become `1969-06-04`. Whether `04/06/1969` is
//! the 4th of June or the 6th of April is decided by [`DateFormat::infer`] from the values
//! themselves: the order under which most are valid dates wins (a field above 12 settles it),
//! once per written style (separator and year width: a table stacked from several systems
//! holds `06/04/1969` from one and `04.06.69` from another) and once for the whole column, used
//! by the styles that do not tell; a column with no such evidence falls back to day first
//! (month first for regions that write dates that way). A value that is no date under its
//! style's order but is one under the other (`25/12/1980` in a month-first column) is read
//! that way. Two-digit years up to [`TWO_DIGIT_PIVOT`] are read as 20xx, later ones as 19xx.
//! A value that is no valid date in either order becomes `None`.

/// Two-digit years `00..=TWO_DIGIT_PIVOT` are 2000s, the others 1900s.
pub const TWO_DIGIT_PIVOT: u32 = 29;

/// Years outside this range are not taken as dates.
const YEARS: std::ops::RangeInclusive<u32> = 1800..=2200;

/// Order of day and month (and year) in the ambiguous all-numeric forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOrder {
    /// Day, month, year (`04/06/1969` is the 4th of June).
    DayMonthYear,
    /// Month, day, year (`06/04/1969` is the 4th of June).
    MonthDayYear,
    /// Year, month, day (only for runs of digits: `19690604`).
    YearMonthDay,
}

/// Written styles of separated dates with the year last: separator (`/`, `.`, `-`, other)
/// times year width (two or four digits).
pub const STYLES: usize = 8;

/// The column-level decisions: one order for separated dates with the year last (and one per
/// written style where its values tell), one for runs of 8 digits and one for runs of 6 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateFormat {
    /// `dd/mm/yyyy` against `mm/dd/yyyy` (and their two-digit-year forms), for the styles
    /// without an order of their own.
    pub separated: FieldOrder,
    /// The order of each written style (see [`STYLES`]) whose values settle it.
    pub styles: [Option<FieldOrder>; STYLES],
    /// `yyyymmdd`, `ddmmyyyy` or `mmddyyyy`.
    pub digits8: FieldOrder,
    /// `yymmdd`, `ddmmyy` or `mmddyy`.
    pub digits6: FieldOrder,
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ymd {
    /// Four-digit year.
    pub year: u32,
    /// 1..=12.
    pub month: u32,
    /// 1..=31, valid for the month.
    pub day: u32,
}

impl Ymd {
    fn new(year: u32, month: u32, day: u32) -> Option<Self> {
        let ok = YEARS.contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        ok.then_some(Self { year, month, day })
    }

    /// `YYYY-MM-DD`.
    #[must_use]
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// Parse the canonical `YYYY-MM-DD` form (as produced by [`Ymd::iso`]).
    #[must_use]
    pub fn from_iso(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
        Some(Self {
            year: num(0..4)?,
            month: num(5..7)?,
            day: num(8..10)?,
        })
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn full_year(digits: &str) -> Option<u32> {
    let y: u32 = digits.parse().ok()?;
    match digits.len() {
        4 => Some(y),
        2 if y <= TWO_DIGIT_PIVOT => Some(2000 + y),
        2 => Some(1900 + y),
        _ => None,
    }
}

/// Month number of an English, French, German, Spanish, Italian or Dutch month name or its
/// usual abbreviation (accents and case already folded).
fn month_of(word: &str) -> Option<u32> {
    const NAMES: [&[&str]; 12] = [
        &[
            "jan", "january", "janvier", "januar", "enero", "gennaio", "januari", "janv", "ene",
            "gen",
        ],
        &[
            "feb", "february", "fevrier", "februar", "febrero", "febbraio", "februari", "fev",
            "fevr",
        ],
        &["mar", "march", "mars", "marz", "marzo", "maart", "maerz"],
        &["apr", "april", "avril", "abril", "aprile", "avr", "abr"],
        &["may", "mai", "mayo", "maggio", "mei", "mag"],
        &["jun", "june", "juin", "juni", "junio", "giugno", "giu"],
        &[
            "jul", "july", "juillet", "juli", "julio", "luglio", "juil", "lug",
        ],
        &["aug", "august", "aout", "agosto", "augustus", "ago"],
        &[
            "sep",
            "sept",
            "september",
            "septembre",
            "septiembre",
            "settembre",
            "set",
        ],
        &[
            "oct", "october", "octobre", "oktober", "octubre", "ottobre", "okt", "ott",
        ],
        &["nov", "november", "novembre", "noviembre"],
        &[
            "dec",
            "december",
            "decembre",
            "dezember",
            "diciembre",
            "dicembre",
            "dez",
            "dic",
        ],
    ];
    let w = word.trim_end_matches('.');
    NAMES
        .iter()
        .position(|names| names.contains(&w))
        .map(|i| i as u32 + 1)
}

/// What a value looks like before the column's order is applied.
#[derive(Debug, PartialEq, Eq)]
enum Shape<'a> {
    /// Three numeric fields, the first of four digits: year, month, day.
    YearFirst(&'a str, &'a str, &'a str),
    /// Three numeric fields, the last the year, and the written style (see [`STYLES`]): order
    /// from the column.
    YearLast(&'a str, &'a str, &'a str, usize),
    /// A run of 8 or 6 digits.
    Digits(&'a str),
    /// Day, month number and year already told apart (a month written as a word).
    Resolved(Option<Ymd>),
}

/// Drop a time of day (`T10:22`, ` 10:22:00`, a zone) that follows the date.
fn date_part(value: &str) -> &str {
    let v = value.trim();
    let cut = v
        .char_indices()
        .find(|&(i, c)| {
            (c == 'T' || c == ' ')
                && v[i + 1..]
                    .split(|ch: char| !ch.is_ascii_digit())
                    .next()
                    .is_some_and(|h| {
                        !h.is_empty() && h.len() <= 2 && v[i + 1 + h.len()..].starts_with(':')
                    })
        })
        .map_or(v.len(), |(i, _)| i);
    v[..cut].trim()
}

fn shape(value: &str) -> Option<Shape<'_>> {
    let v = date_part(value);
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        return matches!(v.len(), 6 | 8).then_some(Shape::Digits(v));
    }
    let fields: Vec<&str> = v
        .split(|c: char| !c.is_alphanumeric())
        .filter(|f| !f.is_empty())
        .collect();
    if fields
        .iter()
        .any(|f| f.bytes().any(|b| b.is_ascii_alphabetic()))
    {
        return Some(Shape::Resolved(with_month_name(&fields)));
    }
    if fields.len() != 3 || fields.iter().any(|f| f.len() > 4) {
        return None;
    }
    let (a, b, c) = (fields[0], fields[1], fields[2]);
    if a.len() == 4 {
        Some(Shape::YearFirst(a, b, c))
    } else if matches!(c.len(), 2 | 4) && a.len() <= 2 && b.len() <= 2 {
        let separator = match v.chars().find(|ch| !ch.is_alphanumeric()) {
            Some('/') => 0,
            Some('.') => 1,
            Some('-') => 2,
            _ => 3,
        };
        Some(Shape::YearLast(
            a,
            b,
            c,
            separator * 2 + usize::from(c.len() == 4),
        ))
    } else {
        None
    }
}

/// `4 June 1969`, `June 4, 1969`, `04-jun-69`, `4th of June 1969`.
fn with_month_name(fields: &[&str]) -> Option<Ymd> {
    let mut month = None;
    let mut numbers = Vec::new();
    for f in fields {
        let lower = crate::normalize::fold_text(f);
        if let Some(m) = month_of(&lower) {
            if month.replace(m).is_some() {
                return None;
            }
        } else {
            let digits = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                if matches!(lower.as_str(), "of" | "de" | "der" | "del" | "di") {
                    continue;
                }
                return None;
            }
            numbers.push(digits.to_owned());
        }
    }
    let month = month?;
    let [x, y] = [numbers.first()?.as_str(), numbers.get(1)?.as_str()];
    if numbers.len() != 2 {
        return None;
    }
    let (day, year) = if x.len() == 4 || (y.len() <= 2 && x.len() == 2 && y.len() < x.len()) {
        (y, x)
    } else {
        (x, y)
    };
    Ymd::new(full_year(year)?, month, day.parse().ok()?)
}

fn num(s: &str) -> Option<u32> {
    s.parse().ok()
}

/// A date written with the year last, read in `order` only.
fn year_last(first: &str, second: &str, year: &str, order: FieldOrder) -> Option<Ymd> {
    let (day, month) = match order {
        FieldOrder::MonthDayYear => (second, first),
        _ => (first, second),
    };
    Ymd::new(full_year(year)?, num(month)?, num(day)?)
}

fn resolve(shape: &Shape<'_>, fmt: DateFormat) -> Option<Ymd> {
    match *shape {
        Shape::YearFirst(y, m, d) => Ymd::new(full_year(y)?, num(m)?, num(d)?),
        Shape::YearLast(first, second, year, style) => {
            let order = fmt.styles[style].unwrap_or(fmt.separated);
            let other = if order == FieldOrder::MonthDayYear {
                FieldOrder::DayMonthYear
            } else {
                FieldOrder::MonthDayYear
            };
            // A day above 12 in the month's place settles this value's order on its own.
            year_last(first, second, year, order).or_else(|| year_last(first, second, year, other))
        }
        Shape::Digits(s) => {
            let (order, ylen) = if s.len() == 8 {
                (fmt.digits8, 4)
            } else {
                (fmt.digits6, 2)
            };
            let (y, m, d) = match order {
                FieldOrder::YearMonthDay => (&s[..ylen], &s[ylen..ylen + 2], &s[ylen + 2..]),
                FieldOrder::DayMonthYear => (&s[4..], &s[2..4], &s[..2]),
                FieldOrder::MonthDayYear => (&s[4..], &s[..2], &s[2..4]),
            };
            Ymd::new(full_year(y)?, num(m)?, num(d)?)
        }
        Shape::Resolved(ymd) => ymd,
    }
}

/// Regions whose people write the month before the day.
fn month_first_region(region: &str) -> bool {
    matches!(
        region,
        "US" | "PH" | "FM" | "MH" | "PW" | "AS" | "GU" | "MP" | "PR" | "VI" | "UM"
    )
}

impl DateFormat {
    /// The format assumed when a column gives no evidence: day first (month first for the
    /// United States and other regions that write dates that way), `yyyymmdd` for runs of
    /// digits.
    #[must_use]
    pub fn for_region(region: &str) -> Self {
        let separated = if month_first_region(region) {
            FieldOrder::MonthDayYear
        } else {
            FieldOrder::DayMonthYear
        };
        Self {
            separated,
            styles: [None; STYLES],
            digits8: FieldOrder::YearMonthDay,
            digits6: separated,
        }
    }

    /// The format under which most of `values` are valid dates, from the region's default
    /// where they do not tell (see [`DateFormat::for_region`]).
    #[must_use]
    pub fn infer<'a>(values: impl IntoIterator<Item = &'a str>, region: &str) -> Self {
        use FieldOrder::{DayMonthYear, MonthDayYear, YearMonthDay};
        let default = Self::for_region(region);
        let candidates = |order: FieldOrder| Self {
            separated: order,
            styles: [None; STYLES],
            digits8: order,
            digits6: order,
        };
        // Valid counts per candidate order, for each ambiguous shape.
        let mut separated = [0usize; 2];
        let mut styles = [[0usize; 2]; STYLES];
        let mut digits8 = [0usize; 3];
        let mut digits6 = [0usize; 3];
        let orders = [DayMonthYear, MonthDayYear, YearMonthDay];
        for v in values {
            let Some(s) = shape(v) else { continue };
            match s {
                Shape::YearLast(first, second, year, style) => {
                    for (k, o) in orders[..2].iter().enumerate() {
                        let ok = usize::from(year_last(first, second, year, *o).is_some());
                        separated[k] += ok;
                        styles[style][k] += ok;
                    }
                }
                Shape::Digits(d) => {
                    let tally = if d.len() == 8 {
                        &mut digits8
                    } else {
                        &mut digits6
                    };
                    for (k, o) in orders.iter().enumerate() {
                        tally[k] += usize::from(resolve(&s, candidates(*o)).is_some());
                    }
                }
                _ => {}
            }
        }
        // Among the orders with the most valid values, the first in `preference`.
        let pick = |counts: &[usize], preference: &[FieldOrder]| -> FieldOrder {
            let best = counts.iter().copied().max().unwrap_or(0);
            let count = |o: &FieldOrder| {
                orders
                    .iter()
                    .position(|x| x == o)
                    .and_then(|k| counts.get(k))
                    .copied()
                    .unwrap_or(0)
            };
            preference
                .iter()
                .copied()
                .find(|o| count(o) == best)
                .unwrap_or(preference[0])
        };
        let other = |o: FieldOrder| {
            if o == DayMonthYear {
                MonthDayYear
            } else {
                DayMonthYear
            }
        };
        let sep = pick(&separated, &[default.separated, other(default.separated)]);
        let own = |counts: &[usize; 2]| match counts[0].cmp(&counts[1]) {
            std::cmp::Ordering::Greater => Some(DayMonthYear),
            std::cmp::Ordering::Less => Some(MonthDayYear),
            std::cmp::Ordering::Equal => None,
        };
        Self {
            separated: sep,
            styles: styles.map(|c| own(&c)),
            digits8: pick(&digits8, &[YearMonthDay, sep, other(sep)]),
            digits6: pick(&digits6, &[sep, YearMonthDay, other(sep)]),
        }
    }

    /// Parse one value under this format.
    #[must_use]
    pub fn parse(&self, value: &str) -> Option<Ymd> {
        resolve(&shape(value)?, *self)
    }

    /// `YYYY-MM-DD`, or `None` when `value` is no valid date under this format.
    #[must_use]
    pub fn normalize(&self, value: &str) -> Option<String> {
        self.parse(value).map(Ymd::iso)
    }
}

/// How two dates differ, strongest agreement first (the levels of the `date` comparison).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DateAgreement {
    /// Nothing above.
    Else,
    /// Same day and month, years one apart.
    YearOffByOne,
    /// Exactly one of year, month and day differs (a typo in one field).
    OnePartDiffers,
    /// Day and month swapped.
    Transposed,
    /// The same date.
    Exact,
}

/// Grade two dates.
#[must_use]
pub fn date_agreement(a: Ymd, b: Ymd) -> DateAgreement {
    if a == b {
        return DateAgreement::Exact;
    }
    if a.year == b.year && a.day == b.month && a.month == b.day {
        return DateAgreement::Transposed;
    }
    let differing =
        u8::from(a.year != b.year) + u8::from(a.month != b.month) + u8::from(a.day != b.day);
    if differing == 1 {
        if a.year.abs_diff(b.year) == 1 {
            return DateAgreement::YearOffByOne;
        }
        return DateAgreement::OnePartDiffers;
    }
    DateAgreement::Else
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors() -> Vec<(String, String, String)> {
        let text = include_str!("../../../../tests/data/dates.csv");
        text.lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (fmt, rest) = l.split_once(',').unwrap();
                let (raw, want) = match rest.strip_prefix('"') {
                    Some(quoted) => {
                        let (raw, after) = quoted.split_once('"').unwrap();
                        (raw, after.trim_start_matches(','))
                    }
                    None => rest.split_once(',').unwrap(),
                };
                (fmt.to_owned(), raw.to_owned(), want.to_owned())
            })
            .collect()
    }

    fn format_named(name: &str) -> DateFormat {
        let o = match name {
            "dmy" => FieldOrder::DayMonthYear,
            "mdy" => FieldOrder::MonthDayYear,
            _ => FieldOrder::YearMonthDay,
        };
        let sep = if o == FieldOrder::YearMonthDay {
            FieldOrder::DayMonthYear
        } else {
            o
        };
        DateFormat {
            separated: sep,
            styles: [None; STYLES],
            digits8: o,
            digits6: o,
        }
    }

    #[test]
    fn shared_vectors() {
        for (fmt, raw, want) in vectors() {
            let got = format_named(&fmt).normalize(&raw).unwrap_or_default();
            assert_eq!(got, want, "{fmt} {raw:?}");
        }
    }

    #[test]
    fn order_is_inferred_from_the_values() {
        let us = ["06/04/1969", "12/25/1980", "01/02/2000"];
        assert_eq!(
            DateFormat::infer(us, "FR").separated,
            FieldOrder::MonthDayYear
        );
        let eu = ["06/04/1969", "25/12/1980", "01/02/2000"];
        assert_eq!(
            DateFormat::infer(eu, "US").separated,
            FieldOrder::DayMonthYear
        );
        let unclear = ["06/04/1969", "01/02/2000"];
        assert_eq!(
            DateFormat::infer(unclear, "FR").separated,
            FieldOrder::DayMonthYear
        );
        assert_eq!(
            DateFormat::infer(unclear, "US").separated,
            FieldOrder::MonthDayYear
        );
        let ddmmyyyy = ["04061969", "25121980"];
        assert_eq!(
            DateFormat::infer(ddmmyyyy, "FR").digits8,
            FieldOrder::DayMonthYear
        );
        let iso = ["19690604", "19801225"];
        assert_eq!(
            DateFormat::infer(iso, "FR").digits8,
            FieldOrder::YearMonthDay
        );
    }

    #[test]
    fn each_written_style_gets_its_own_order() {
        // A table stacked from two systems: month first with four-digit years, day first
        // with two; the column as a whole leans to day first.
        let values = [
            "12/21/1970",
            "05/01/1980",
            "29/08/71",
            "13/02/85",
            "31/12/99",
            "04/06/69",
        ];
        let fmt = DateFormat::infer(values, "FR");
        assert_eq!(fmt.separated, FieldOrder::DayMonthYear);
        assert_eq!(fmt.normalize("05/01/1980").as_deref(), Some("1980-05-01"));
        assert_eq!(fmt.normalize("04/06/69").as_deref(), Some("1969-06-04"));
        // A style the values do not settle follows the column.
        assert_eq!(fmt.normalize("04.06.1969").as_deref(), Some("1969-06-04"));
    }

    #[test]
    fn a_value_invalid_in_its_order_is_read_in_the_other() {
        let us = DateFormat::infer(["12/21/1970", "06/04/1969"], "US");
        assert_eq!(us.normalize("25/12/1980").as_deref(), Some("1980-12-25"));
        assert_eq!(us.normalize("13/13/1980"), None);
    }

    #[test]
    fn agreement_levels() {
        let d = |s: &str| Ymd::from_iso(s).unwrap();
        let g = |a: &str, b: &str| date_agreement(d(a), d(b));
        assert_eq!(g("1969-06-04", "1969-06-04"), DateAgreement::Exact);
        assert_eq!(g("1969-06-04", "1969-04-06"), DateAgreement::Transposed);
        assert_eq!(g("1969-06-04", "1969-06-14"), DateAgreement::OnePartDiffers);
        assert_eq!(g("1969-06-04", "1968-06-04"), DateAgreement::YearOffByOne);
        assert_eq!(g("1969-06-04", "1979-06-04"), DateAgreement::OnePartDiffers);
        assert_eq!(g("1969-06-04", "1970-07-04"), DateAgreement::Else);
    }

    proptest::proptest! {
        #[test]
        fn iso_output_parses_back_to_itself(y in 1800u32..2200, m in 1u32..13, d in 1u32..29) {
            let iso = Ymd::new(y, m, d).unwrap().iso();
            let fmt = DateFormat::for_region("FR");
            proptest::prop_assert_eq!(fmt.normalize(&iso), Some(iso.clone()));
            let us = format!("{m:02}/{d:02}/{y}");
            proptest::prop_assert_eq!(format_named("mdy").normalize(&us), Some(iso.clone()));
            let eu = format!("{d}.{m}.{y}");
            proptest::prop_assert_eq!(format_named("dmy").normalize(&eu), Some(iso));
        }
    }
}
