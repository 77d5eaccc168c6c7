//! Per-row regions for phone numbers: the region code read from a data column, and values
//! tagged with it so that distinct (region, number) pairs are normalised once each.

use std::borrow::Cow;

use arrow_array::builder::StringViewBuilder;
use arrow_array::{Array, StringViewArray};
use arrow_schema::ArrowError;

use super::NormalizeOptions;

/// Separates a row's region from its value in [`with_regions`].
const REGION_SEP: char = '\u{1f}';

/// A region code as written in a data column (`fr`, ` GB `, `UK` for GB, `Germany`, `DEU`),
/// upper case (see [`super::country_code`]); `None` when it is no country, so that the default
/// region applies.
#[must_use]
pub fn region_code(raw: &str) -> Option<String> {
    super::country_code(raw)
}

/// Each value prefixed with its row's region code (`GB\u{1f}020 7946 0958`); rows whose code is
/// null or unreadable (see [`region_code`]) get an empty prefix. Undo with [`split_region`].
///
/// # Errors
///
/// [`ArrowError::InvalidArgumentError`] when the two arrays differ in length.
pub fn with_regions(
    values: &StringViewArray,
    regions: &StringViewArray,
) -> Result<StringViewArray, ArrowError> {
    if values.len() != regions.len() {
        return Err(ArrowError::InvalidArgumentError(format!(
            "{} regions for {} values: expected one region per row",
            regions.len(),
            values.len()
        )));
    }
    let mut out = StringViewBuilder::with_capacity(values.len());
    let mut buf = String::new();
    for i in 0..values.len() {
        if values.is_null(i) {
            out.append_null();
            continue;
        }
        buf.clear();
        if !regions.is_null(i)
            && let Some(code) = region_code(regions.value(i))
        {
            buf.push_str(&code);
        }
        buf.push(REGION_SEP);
        buf.push_str(values.value(i));
        out.append_value(&buf);
    }
    Ok(out.finish())
}

/// The options and value of a tagged value of [`with_regions`]: `opts` with the row's region,
/// or `opts` itself when the row had none.
#[must_use]
pub fn split_region<'a, 'o>(
    tagged: &'a str,
    opts: &'o NormalizeOptions,
) -> (Cow<'o, NormalizeOptions>, &'a str) {
    match tagged.split_once(REGION_SEP) {
        Some(("", value)) => (Cow::Borrowed(opts), value),
        Some((region, value)) => (
            Cow::Owned(NormalizeOptions {
                default_region: region.to_owned(),
                ..opts.clone()
            }),
            value,
        ),
        None => (Cow::Borrowed(opts), tagged),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_leniently() {
        assert_eq!(region_code(" be ").as_deref(), Some("BE"));
        assert_eq!(region_code("UK").as_deref(), Some("GB"));
        assert_eq!(region_code("FRA").as_deref(), Some("FR"));
        assert_eq!(region_code("Deutschland").as_deref(), Some("DE"));
        assert_eq!(region_code("F1"), None);
    }

    #[test]
    fn tags_round_trip() {
        let values = StringViewArray::from(vec![Some("0470 12 34 56"), None, Some("x")]);
        let regions = StringViewArray::from(vec![Some("be"), Some("DE"), None]);
        let tagged = with_regions(&values, &regions).expect("same length");
        let opts = NormalizeOptions::default();
        let (row_opts, value) = split_region(tagged.value(0), &opts);
        assert_eq!(
            (row_opts.default_region.as_str(), value),
            ("BE", "0470 12 34 56")
        );
        assert!(tagged.is_null(1));
        let (row_opts, value) = split_region(tagged.value(2), &opts);
        assert_eq!((row_opts.default_region.as_str(), value), ("FR", "x"));
        assert!(with_regions(&values, &StringViewArray::from(vec!["FR"])).is_err());
    }
}
