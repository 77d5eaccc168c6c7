//! Phone numbers: E.164, validity and line type from libphonenumber metadata.
//!
//! The metadata comes from the `phonenumber` crate. Its own matcher shares one locked regex
//! cache between threads, so the patterns are compiled here once per region and matched without
//! locks, and numbers written with digits and the usual separators are parsed here following
//! libphonenumber's rules. Anything else (letters, extensions, odd prefixes) goes through
//! `phonenumber::parse`.

use std::collections::HashMap;
use std::sync::OnceLock;

use phonenumber::metadata::{DATABASE, Descriptor};
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use super::NormalizeOptions;

/// Line type of a phone number, as far as the metadata knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    /// A mobile number.
    Mobile,
    /// A fixed (landline) number.
    Fixed,
    /// Anything else: toll-free, premium, `VoIP`, numbers that may be fixed or mobile, or invalid.
    Other,
}

impl PhoneKind {
    /// The snake-case name used in derived columns: `mobile`, `fixed` or `other`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mobile => "mobile",
            Self::Fixed => "fixed",
            Self::Other => "other",
        }
    }
}

/// A parsed phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneInfo {
    /// `+` country code and national significant number, e.g. `+33612345678`.
    pub e164: String,
    /// Whether the number matches a valid number range of its country.
    pub valid: bool,
    /// Line type; [`PhoneKind::Other`] for invalid numbers.
    pub kind: PhoneKind,
}

/// Parse a phone number written in any common national or international format, assuming
/// [`NormalizeOptions::default_region`] when it has no country code.
///
/// Returns `None` when the value cannot be read as a phone number at all; a number that parses
/// but is not in a valid range is returned with `valid: false`.
#[must_use]
pub fn phone_info(value: &str, opts: &NormalizeOptions) -> Option<PhoneInfo> {
    if super::email::is_masked(value) {
        return None;
    }
    let tables = tables();
    let region = tables.region(&opts.default_region);
    let (code, national) = match fast_parse(value, region, tables) {
        Fast::Parsed(code, national) => (code, national),
        Fast::NotHandled => slow_parse(value, opts).or_else(|| {
            // Noise around the digits (`tel: 06 12 34 56 78 (bureau)`) can defeat the parser;
            // the digits alone are what the fallback normalisation keeps, so try them too.
            let digits = super::phone_digits(value);
            match fast_parse(&digits, region, tables) {
                Fast::Parsed(code, national) => Some((code, national)),
                Fast::NotHandled if digits != value => slow_parse(&digits, opts),
                Fast::NotHandled => None,
            }
        })?,
    };
    let mut kind = tables.classify(code, &national);
    let (mut code, mut national) = (code, national);
    // libphonenumber reads letters as keypad digits (`(bureau)` → 287328); in CRM data
    // trailing words are comments, so a valid number before them wins.
    if kind.is_none()
        && let Some(head) = before_trailing_words(value)
        && let Fast::Parsed(c, n) = fast_parse(head, region, tables)
        && let Some(k) = tables.classify(c, &n)
    {
        (code, national, kind) = (c, n, Some(k));
    }
    // `00` is the international prefix of most of the world but not of every region (011 in
    // North America): `0048 660 733 844` in a US row is a Polish mobile, not a US number.
    if kind.is_none()
        && let Some((c, n, k)) = after_foreign_idd(value, region, tables)
    {
        (code, national, kind) = (c, n, Some(k));
    }
    let mut e164 = String::with_capacity(national.len() + 4);
    e164.push('+');
    e164.push_str(itoa_u16(code, &mut [0; 5]));
    e164.push_str(&national);
    if kind.is_none() && !(value.starts_with('+') && value[1..].bytes().all(|b| b.is_ascii_digit()))
    {
        // An invalid parse can keep a national trunk prefix (`000 rue Aaaa` read on the keypad
        // gives +33 0783…), which reading the E.164 form again drops: normalise to that fixed
        // point (one trunk digit goes per reading), so that normalising a normalised number
        // changes nothing.
        let mut settled: Option<PhoneInfo> = None;
        for _ in 0..8 {
            let current = settled.as_ref().map_or(e164.as_str(), |i| i.e164.as_str());
            match phone_info(current, opts) {
                Some(again) if again.e164 != current => settled = Some(again),
                _ => break,
            }
        }
        if settled.is_some() {
            return settled;
        }
    }
    Some(PhoneInfo {
        e164,
        valid: kind.is_some(),
        kind: match kind {
            Some(Type::Mobile) => PhoneKind::Mobile,
            Some(Type::Fixed) => PhoneKind::Fixed,
            _ => PhoneKind::Other,
        },
    })
}

/// A number that is invalid in its region but valid once its leading `00` is read as the
/// international prefix: its calling code, national number and type.
fn after_foreign_idd(
    value: &str,
    region: Option<&Rules>,
    tables: &Tables,
) -> Option<(u16, String, Type)> {
    let digits = super::phone_digits(value);
    let international = format!("+{}", digits.strip_prefix("00")?);
    match fast_parse(&international, region, tables) {
        Fast::Parsed(c, n) => tables.classify(c, &n).map(|k| (c, n, k)),
        Fast::NotHandled => None,
    }
}

/// Whether `code` is an upper-case ISO 3166-1 alpha-2 region the phone metadata knows, so
/// that national numbers can be read in it.
#[must_use]
pub fn is_phone_region(code: &str) -> bool {
    code.len() == 2
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && tables().region(code).is_some()
}

/// `value` up to the first letter that follows a digit, when there is one.
fn before_trailing_words(value: &str) -> Option<&str> {
    let first_digit = value.find(|c: char| c.is_ascii_digit())?;
    let letter = value[first_digit..].find(char::is_alphabetic)?;
    Some(&value[..first_digit + letter])
}

fn itoa_u16(mut n: u16, buf: &mut [u8; 5]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("")
}

fn slow_parse(value: &str, opts: &NormalizeOptions) -> Option<(u16, String)> {
    let region = opts
        .default_region
        .to_ascii_uppercase()
        .parse::<phonenumber::country::Id>()
        .ok();
    let number = phonenumber::parse(region, value).ok()?;
    Some((number.code().value(), number.national().to_string()))
}

/// Number types, in the order libphonenumber tests them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    PremiumRate,
    TollFree,
    SharedCost,
    Voip,
    Personal,
    Pager,
    Uan,
    Voicemail,
    Fixed,
    FixedOrMobile,
    Mobile,
}

/// A compiled number pattern with the lengths it allows (empty: any).
struct Pattern {
    regex: Regex,
    lengths: Vec<u16>,
}

impl Pattern {
    fn matches(&self, nsn: &str) -> bool {
        (self.lengths.is_empty() || self.lengths.contains(&(nsn.len() as u16)))
            && self.regex.is_match(nsn)
    }
}

/// What parsing and validation need from one region's metadata.
struct Rules {
    code: u16,
    general: Option<Regex>,
    lengths: Vec<u16>,
    local_lengths: Vec<u16>,
    types: Vec<(Type, Pattern)>,
    fixed_same_as_mobile: bool,
    national_prefix: Option<Regex>,
    has_transform: bool,
    international_prefix: Option<Regex>,
    leading_digits: Option<Regex>,
}

fn compile(pattern: &str, whole: bool) -> Option<Regex> {
    let anchored = if whole {
        format!("^(?:{pattern})$")
    } else {
        format!("^(?:{pattern})")
    };
    RegexBuilder::new(&anchored)
        .ignore_whitespace(true)
        .build()
        .ok()
}

impl Rules {
    fn new(meta: &phonenumber::Metadata) -> Self {
        let d = meta.descriptors();
        let typed: [(Type, Option<&Descriptor>); 10] = [
            (Type::PremiumRate, d.premium_rate()),
            (Type::TollFree, d.toll_free()),
            (Type::SharedCost, d.shared_cost()),
            (Type::Voip, d.voip()),
            (Type::Personal, d.personal_number()),
            (Type::Pager, d.pager()),
            (Type::Uan, d.uan()),
            (Type::Voicemail, d.voicemail()),
            (Type::Fixed, d.fixed_line()),
            (Type::Mobile, d.mobile()),
        ];
        let mut lengths = Vec::new();
        let mut local_lengths = Vec::new();
        let mut types = Vec::new();
        for (kind, desc) in typed {
            let Some(desc) = desc else { continue };
            lengths.extend_from_slice(desc.possible_length());
            local_lengths.extend_from_slice(desc.possible_local_length());
            if let Some(regex) = compile(desc.national_number().as_str(), true) {
                types.push((
                    kind,
                    Pattern {
                        regex,
                        lengths: desc.possible_length().to_vec(),
                    },
                ));
            }
        }
        lengths.sort_unstable();
        lengths.dedup();
        local_lengths.sort_unstable();
        local_lengths.dedup();
        local_lengths.retain(|l| !lengths.contains(l));
        let fixed_same_as_mobile = match (d.fixed_line(), d.mobile()) {
            (Some(f), Some(m)) => f.national_number().as_str() == m.national_number().as_str(),
            _ => false,
        };
        // Built metadata parses the national prefix itself when no parsing rule is given.
        let national_prefix = match meta.national_prefix_for_parsing() {
            Some(rule) => compile(rule.as_str(), false),
            None => meta
                .national_prefix()
                .and_then(|p| compile(&regex::escape(p), false)),
        };
        Self {
            code: meta.country_code(),
            general: compile(d.general().national_number().as_str(), true),
            lengths,
            local_lengths,
            types,
            fixed_same_as_mobile,
            national_prefix,
            has_transform: meta.national_prefix_transform_rule().is_some(),
            international_prefix: meta
                .international_prefix()
                .and_then(|p| compile(p.as_str(), false)),
            leading_digits: meta
                .leading_digits()
                .and_then(|p| compile(p.as_str(), false)),
        }
    }

    fn general_matches(&self, nsn: &str) -> bool {
        self.general.as_ref().is_some_and(|g| g.is_match(nsn))
    }

    /// libphonenumber's `getNumberTypeHelper`; `None` for an invalid number.
    fn number_type(&self, nsn: &str) -> Option<Type> {
        let len = nsn.len() as u16;
        if !self.lengths.is_empty() && !self.lengths.contains(&len) || !self.general_matches(nsn) {
            return None;
        }
        let (kind, _) = self
            .types
            .iter()
            .find(|(_, pattern)| pattern.matches(nsn))?;
        if *kind == Type::Fixed {
            let mobile = self
                .types
                .iter()
                .any(|(k, p)| *k == Type::Mobile && p.matches(nsn));
            if self.fixed_same_as_mobile || mobile {
                return Some(Type::FixedOrMobile);
            }
        }
        Some(*kind)
    }

    fn test_length(&self, nsn: &str) -> Length {
        let len = nsn.len() as u16;
        let (Some(&min), Some(&max)) = (self.lengths.first(), self.lengths.last()) else {
            return Length::Invalid;
        };
        if self.local_lengths.contains(&len) {
            Length::LocalOnly
        } else if len == min {
            Length::Possible
        } else if len < min {
            Length::TooShort
        } else if len > max {
            Length::TooLong
        } else if self.lengths.contains(&len) {
            Length::Possible
        } else {
            Length::Invalid
        }
    }

    /// libphonenumber's `maybeStripNationalPrefixAndCarrierCode`, without transform rules;
    /// `None` when the region has a transform rule (left to the full parser).
    fn strip_national_prefix(&self, number: &mut String) -> Option<()> {
        let Some(prefix) = &self.national_prefix else {
            return Some(());
        };
        if number.is_empty() {
            return Some(());
        }
        let Some(found) = prefix.find(number) else {
            return Some(());
        };
        if self.has_transform {
            return None;
        }
        let end = found.end();
        if self.general_matches(number) && !self.general_matches(&number[end..]) {
            return Some(());
        }
        number.drain(..end);
        Some(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Length {
    Possible,
    LocalOnly,
    TooShort,
    TooLong,
    Invalid,
}

struct Entry {
    meta: &'static phonenumber::Metadata,
    rules: OnceLock<Rules>,
}

struct Tables {
    entries: Vec<Entry>,
    by_region: HashMap<&'static str, usize>,
    /// Entries per country calling code, the main country first.
    by_code: HashMap<u16, Vec<usize>>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let database: &'static phonenumber::metadata::Database = &DATABASE;
        let mut entries = Vec::new();
        let mut by_region = HashMap::new();
        let mut by_code: HashMap<u16, Vec<usize>> = HashMap::new();
        let mut metas: Vec<&'static phonenumber::Metadata> = database.iter().collect();
        metas.sort_by_key(|m| (m.country_code(), !m.is_main_country_for_code(), m.id()));
        for meta in metas {
            let index = entries.len();
            entries.push(Entry {
                meta,
                rules: OnceLock::new(),
            });
            if meta.id() != "001" {
                by_region.insert(meta.id(), index);
            }
            by_code.entry(meta.country_code()).or_default().push(index);
        }
        Tables {
            entries,
            by_region,
            by_code,
        }
    })
}

impl Tables {
    fn rules(&self, index: usize) -> &Rules {
        let entry = &self.entries[index];
        entry.rules.get_or_init(|| Rules::new(entry.meta))
    }

    fn region(&self, id: &str) -> Option<&Rules> {
        let index = match self.by_region.get(id) {
            Some(&index) => index,
            None => *self.by_region.get(id.to_ascii_uppercase().as_str())?,
        };
        Some(self.rules(index))
    }

    fn main_rules(&self, code: u16) -> Option<&Rules> {
        self.by_code
            .get(&code)
            .map(|indexes| self.rules(indexes[0]))
    }

    /// libphonenumber's `extractCountryCode`: the calling code that starts `digits`.
    fn country_code(&self, digits: &str) -> Option<(u16, usize)> {
        if digits.starts_with('0') {
            return None;
        }
        (1..=3.min(digits.len())).find_map(|len| {
            let code: u16 = digits[..len].parse().ok()?;
            self.by_code.contains_key(&code).then_some((code, len))
        })
    }

    /// Type of a valid number, `None` for an invalid one (`isValidNumber`).
    fn classify(&self, code: u16, nsn: &str) -> Option<Type> {
        let indexes = self.by_code.get(&code)?;
        if let [only] = indexes.as_slice() {
            return self.rules(*only).number_type(nsn);
        }
        for &index in indexes {
            let rules = self.rules(index);
            match &rules.leading_digits {
                Some(leading) if leading.is_match(nsn) => return rules.number_type(nsn),
                Some(_) => {}
                None => {
                    if let Some(kind) = rules.number_type(nsn) {
                        return Some(kind);
                    }
                }
            }
        }
        None
    }
}

enum Fast {
    Parsed(u16, String),
    NotHandled,
}

/// Parse digits written with spaces, dots, dashes, slashes and brackets, an optional leading
/// `+`, following libphonenumber's `parseHelper`; anything else is left to the full parser.
fn fast_parse(value: &str, default: Option<&Rules>, tables: &Tables) -> Fast {
    let mut digits = String::with_capacity(value.len());
    let mut plus = false;
    for c in value.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if digits.is_empty() && !plus => plus = true,
            ' ' | '\t' | '.' | '-' | '/' | '(' | ')' | '\u{a0}' | '\u{202f}' => {}
            _ => return Fast::NotHandled,
        }
    }
    if digits.len() < 3 || digits.len() > 24 {
        return Fast::NotHandled;
    }
    let (code, mut national, rules) = if plus {
        let Some((code, len)) = tables.country_code(&digits) else {
            return Fast::NotHandled;
        };
        (code, digits[len..].to_owned(), tables.main_rules(code))
    } else {
        let Some(default) = default else {
            return Fast::NotHandled;
        };
        let idd_end = default
            .international_prefix
            .as_ref()
            .and_then(|idd| idd.find(&digits))
            .map(|m| m.end())
            .filter(|&end| !digits[end..].starts_with('0'));
        if let Some(end) = idd_end {
            if digits.len() - end <= 2 {
                return Fast::NotHandled;
            }
            let Some((code, len)) = tables.country_code(&digits[end..]) else {
                return Fast::NotHandled;
            };
            (
                code,
                digits[end + len..].to_owned(),
                tables.main_rules(code),
            )
        } else {
            match national_with_default(&digits, default) {
                Some((code, national)) => (code, national, Some(default)),
                None => return Fast::NotHandled,
            }
        }
    };
    if let Some(rules) = rules {
        let mut potential = national.clone();
        if rules.strip_national_prefix(&mut potential).is_none() {
            return Fast::NotHandled;
        }
        if !matches!(
            rules.test_length(&potential),
            Length::TooShort | Length::LocalOnly | Length::Invalid
        ) {
            national = potential;
        }
    }
    if national.len() < 2 || national.len() > 17 {
        return Fast::NotHandled;
    }
    Fast::Parsed(code, national)
}

/// A number without international prefix: the default region's, unless it starts with that
/// region's calling code and only makes sense without it (`33612345678` read in France).
fn national_with_default(digits: &str, default: &Rules) -> Option<(u16, String)> {
    let code = default.code;
    let code_str = code.to_string();
    if let Some(rest) = digits.strip_prefix(code_str.as_str()) {
        let mut potential = rest.to_owned();
        default.strip_national_prefix(&mut potential)?;
        if (!default.general_matches(digits) && default.general_matches(&potential))
            || default.test_length(digits) == Length::TooLong
        {
            return Some((code, potential));
        }
    }
    Some((code, digits.to_owned()))
}

#[cfg(test)]
mod tests;
