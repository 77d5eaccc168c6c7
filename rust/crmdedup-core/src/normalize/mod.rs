//! Field normalisers: turn one raw value into the form the matcher compares.
//!
//! Each normaliser is a pure function of one `&str`, so the engine can run it in parallel over
//! the distinct values of an Arrow column. `None` means "no usable value" (empty, or only noise).
//! Structured helpers (`email_parts`, `phone_info`, …) expose the derived parts comparisons need.

mod address;
mod columns;
mod company;
mod contact;
mod country;
pub mod date;
mod email;
mod given_names;
mod name;
mod phone;
pub mod phonetic;
mod region;
mod text;

pub use address::{AddressParts, address_parts, normalize_address, normalize_postcode};
pub use columns::{
    ProfileCounts, canonical_contact_points, date_column, derived_columns,
    derived_columns_in_regions, profile_counts, profile_counts_in_regions,
};
pub use company::{CompanyParts, company_parts, normalize_company, siren_siret_valid};
pub use contact::{ContactKind, canonical_contact_point};
pub use country::{country_code, normalize_country};
pub use date::{DateAgreement, DateFormat, Ymd, date_agreement};
pub use email::{EmailParts, email_parts};
pub use given_names::{canonical_given_name, canonical_name};
pub use name::{is_particle, normalize_name, strip_particles};
pub use phone::{PhoneInfo, PhoneKind, is_phone_region, phone_info};
pub use phonetic::{double_metaphone, phonetic_fr};
pub use region::{region_code, split_region, with_regions};
pub use text::{fold_text, fold_text_into};

use serde::{Deserialize, Serialize};

/// Which normaliser a column goes through before comparison and blocking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Normalizer {
    /// Keep the value as given (only nulls and empty strings become `None`).
    Raw,
    /// Accent and ligature folding, lower case, punctuation to spaces, whitespace collapsed.
    #[default]
    Text,
    /// Person names: [`Normalizer::Text`] plus name-specific clean-up (see [`normalize_name`]).
    Name,
    /// Email addresses: see [`email_parts`]; the canonical address.
    Email,
    /// Phone numbers: E.164 when parseable (see [`phone_info`]), else the digits with a leading
    /// `+` kept when given.
    Phone,
    /// Company names without their legal form (see [`company_parts`]).
    Company,
    /// Postal addresses with street types expanded (see [`address_parts`]).
    Address,
    /// Postcodes cleaned for [`NormalizeOptions::default_region`] (see [`normalize_postcode`]).
    Postcode,
    /// Dates as `YYYY-MM-DD`, from the common written forms (see [`date`]); the order of day
    /// and month is inferred per column, so a value alone is read with the region's default.
    Date,
    /// Identifiers (national ids, customer numbers): letters and digits only, upper case, so
    /// that `1 85 05 78 006 084 36` and `185057800608436` agree but no two different ids do.
    Identifier,
    /// Countries as ISO 3166-1 alpha-2 codes, from codes and names in several languages (see
    /// [`country_code`]); an unknown country as folded text.
    Country,
}

/// Settings shared by the normalisers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NormalizeOptions {
    /// ISO 3166-1 alpha-2 region assumed for phone numbers without a country code and for
    /// postcodes (`"FR"` by default).
    pub default_region: String,
    /// Apply mailbox-provider rules to emails: dots in Gmail local parts are ignored and `+tags`
    /// are dropped for providers that deliver them to the same mailbox. Off by default.
    pub email_provider_rules: bool,
}

impl Default for NormalizeOptions {
    fn default() -> Self {
        Self {
            default_region: "FR".to_owned(),
            email_provider_rules: false,
        }
    }
}

/// Normalise one value with `kind` and the default [`NormalizeOptions`]; `None` when nothing
/// usable is left.
#[must_use]
pub fn normalize(kind: Normalizer, value: &str) -> Option<String> {
    thread_local! {
        static DEFAULTS: NormalizeOptions = NormalizeOptions::default();
    }
    DEFAULTS.with(|opts| normalize_with(kind, value, opts))
}

/// Normalise one value with `kind` and `opts`; `None` when nothing usable is left.
///
/// Every kind is idempotent: normalising an output again gives the same output.
#[must_use]
pub fn normalize_with(kind: Normalizer, value: &str, opts: &NormalizeOptions) -> Option<String> {
    let out = match kind {
        Normalizer::Raw => value.to_owned(),
        Normalizer::Text => fold_text(value),
        Normalizer::Name => normalize_name(value),
        Normalizer::Email => return email_parts(value, opts).map(|p| p.canonical),
        Normalizer::Phone => match phone_info(value, opts) {
            Some(info) => info.e164,
            None if email::is_masked(value) => return None,
            None => phone_digits(value),
        },
        Normalizer::Company => return normalize_company(value),
        Normalizer::Address => return normalize_address(value),
        Normalizer::Postcode => return normalize_postcode(value, &opts.default_region),
        Normalizer::Identifier => value
            .chars()
            .flat_map(char::to_uppercase)
            .filter(|c| c.is_alphanumeric())
            .collect(),
        Normalizer::Date => return DateFormat::for_region(&opts.default_region).normalize(value),
        Normalizer::Country => return normalize_country(value),
    };
    if out.is_empty() { None } else { Some(out) }
}

/// Digits of `value`, with a leading `+` kept when the value starts with one.
fn phone_digits(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    if value.trim_start().starts_with('+') {
        out.push('+');
    }
    out.extend(value.chars().filter(char::is_ascii_digit));
    if out == "+" { String::new() } else { out }
}

#[cfg(test)]
mod tests;
